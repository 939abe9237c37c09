// What a run holds (docs/fleet.md): the shared things its steps name in `holds`, each on the
// step's cluster. The executor only says when to take them and when to let them go; a HoldKeeper
// does it (engine/steps/lease_keeper.h: coordination.k8s.io Leases), so the run layer stays
// without a backend.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "dsl/ir.h"
#include "engine/base/cancel.h"
#include "engine/base/status.h"

namespace ferry::engine {

struct Hold {
  std::string cluster;  // a cluster of the plan
  std::string thing;    // "hostedcluster/clusters/jdoe-hosted"
  bool operator==(const Hold&) const = default;
};

// Every hold of the plan's steps and of their rollback blocks, sorted by cluster then thing,
// each once.
std::vector<Hold> plan_holds(const dsl::Ir& ir);

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
};

}  // namespace ferry::engine
