// What a run holds (docs/fleet.md): the shared things its steps name in `holds`, each on the
// step's cluster. The executor only says when to take them and when to let them go; a HoldKeeper
// does it (engine/steps/lease_keeper.h: coordination.k8s.io Leases), so the run layer stays
// without a backend.
#pragma once

#include <compare>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "dsl/ir.h"
#include "engine/base/cancel.h"
#include "engine/base/status.h"
#include "engine/run/run_state.h"

namespace ferry::engine {

struct Hold {
  std::string cluster;  // a cluster of the plan
  std::string thing;    // "hostedcluster/clusters/jdoe-hosted"
  bool operator==(const Hold&) const = default;
  auto operator<=>(const Hold&) const = default;
};

// Every hold of the plan's steps and of their rollback blocks, sorted by cluster then thing,
// each once.
std::vector<Hold> plan_holds(const dsl::Ir& ir);

// When a run is done with each hold of its plan (docs/fleet.md, "Until"). A hold that only steps
// of failure scopes declare is done with once each of those scopes has ended: all its steps done,
// or its compensation ended. A hold a step outside every scope declares is kept until the run
// ends. (A rollback of the whole run takes again what it undoes: Executor.)
class HoldUse {
 public:
  explicit HoldUse(const dsl::Ir& ir);
  // Of `holds`, those the run in `state` no longer needs, in the same order.
  std::vector<Hold> done_with(const RunState& state, const std::vector<Hold>& holds) const;

 private:
  bool scope_ended(const RunState& state, const std::string& scope) const;

  std::map<Hold, std::set<std::string>> scopes_;  // the scopes of the steps that declare it ("": none)
  std::map<std::string, std::vector<std::string>> scope_steps_;  // scope_steps, kept: asked after every step
};

class HoldKeeper {
 public:
  // Called, on a thread of the keeper's, when a hold is lost while held (another run took its
  // Lease over, or it was deleted): why, in words a user can act on.
  using LostFn = std::function<void(const Status& why)>;

  virtual ~HoldKeeper() = default;
  // Takes every one of `holds`, in order, or none: on a failure it lets go of those it took and
  // returns the failure (kLeaseHeld naming who holds it). Keeps them until release().
  virtual Status take(const std::vector<Hold>& holds, const CancelToken& cancel, LostFn lost) = 0;
  // Lets go of every hold taken. Failures are the keeper's to report: the run has ended.
  virtual void release() = 0;
  // Lets go of those of `holds` it has, before the run ends (HoldUse::done_with). Failures are
  // the keeper's to report.
  virtual void release(const std::vector<Hold>& holds) = 0;
};

}  // namespace ferry::engine
