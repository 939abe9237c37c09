// The compiled plan: what both surfaces compile to, what the engine runs and what `diff`
// compares. Everything known at compile time is resolved; what only a run can know stays
// symbolic (dsl/symbolic.h). The canonical JSON form is deterministic: keys sorted,
// steps keyed by id, no dependence on declaration order or surface.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/retry.h"
#include "dsl/source.h"
#include "dsl/types.h"

namespace ferry::dsl {

inline constexpr int kIrVersion = 1;

// How a step is undone: its type's inverse ("auto"), not at all ("none"), or by its own block of
// steps ("steps").
enum class RollbackMode { kAuto, kNone, kSteps };
// What a failed run does: "rollback" or "stop"; "" (kInherit) takes the phase's, then the plan's.
enum class OnFailure { kInherit, kRollback, kStop };

// The names the IR's JSON, the plans and the CLI spell them with; std::nullopt for another name.
std::string_view rollback_mode_name(RollbackMode mode);
std::optional<RollbackMode> rollback_mode_from_name(std::string_view name);
std::string_view on_failure_name(OnFailure on_failure);
std::optional<OnFailure> on_failure_from_name(std::string_view name);

struct IrParam {
  std::string name;
  std::string type;     // as spelled: "list(string)"
  bool secret = false;
  json default_value;   // null when none; never a secret's
  json value;           // the value compiled in; a $secret (make_secret) for secrets
  Span span;
};

struct IrCluster {
  std::string name;
  json fields;          // kubeconfig, context, description
  Span span;
};

struct IrStep {
  std::string id;       // "pause", "snap[etcd-0]", "etcd[etcd-0].put", "stop/undo" (rollback block)
  std::string type;
  std::string phase;
  std::string cluster;  // "" when the step acts on no cluster
  json args;            // the type's own fields the plan sets; step_args() adds the defaults
  std::vector<std::string> after;  // explicit dependencies, resolved to step ids
  std::vector<std::string> deps;   // after + data references: the DAG edges into this step
  json when;            // null: always; else a symbolic condition evaluated when the step is ready
  SharedRetry retry;    // effective policy (the step's or the plan's default, shared)
  std::string timeout;  // "" when none; as the JSON spells it
  std::optional<int64_t> timeout_ms;  // the same parsed, set when the IR is made or read: what the executor reads
  RollbackMode rollback = RollbackMode::kNone;
  std::vector<IrStep> rollback_steps;
  std::string description;
  std::string pool;
  // The shared things the run takes a Lease for on `cluster` ("hostedcluster/clusters/jdoe-hosted"),
  // in the order written, repeats dropped; docs/fleet.md.
  std::vector<std::string> holds;
  std::string template_name;  // "hypershift.stop_control_plane" when a template made the step
  // The failure scope the step belongs to: the id prefix of the `isolated` template instance
  // that made it ("etcd[etcd-0]"), "" for none. A scope that fails is compensated alone and the
  // rest of the run goes on (docs/language.md §17).
  std::string scope;
  Span span;
};

struct IrPhase {
  std::string name;
  std::string description;
  OnFailure on_failure = OnFailure::kInherit;  // kInherit: the plan's
  std::vector<std::string> steps;  // ids, sorted
  Span span;
};

struct Ir {
  std::string plan;
  std::string description;
  OnFailure on_failure = OnFailure::kInherit;
  std::string timeout;                // "" when none
  std::optional<int64_t> timeout_ms;  // parsed, like IrStep::timeout_ms
  SharedRetry retry;  // the default policy of every step
  std::map<std::string, int> pools;  // the plan's depth of each named pool (`pools`); --pool overrides
  std::vector<std::string> modules;  // modules used, directly or not
  std::map<std::string, IrParam> params;
  std::map<std::string, IrCluster> clusters;
  std::vector<IrPhase> phases;  // in run order
  std::map<std::string, IrStep> steps;
  // The values of secret params known when compiling (from a --var or a default). Never in the
  // JSON, the hash or anything printed: only the executor reads them.
  std::map<std::string, std::string> secret_values;

  const IrStep* find(const std::string& id) const;
};

struct IrJsonOptions {
  bool spans = true;  // "file:line:col" of each node; off for comparisons across surfaces
};

// The step's args with its type's defaults where the plan sets nothing: what the IR's JSON shows
// and what the executor runs. The compiler leaves the defaults out of IrStep::args because a
// copy of each in every step was a tenth of the compile of a large plan.
json step_args(const IrStep& step);

json ir_to_json(const Ir& ir, const IrJsonOptions& options = {});
// The canonical text: ir_to_json without spans, dumped with sorted keys and 2-space indent.
std::string ir_canonical_text(const Ir& ir);
// SHA-256 (hex) of the canonical text without spans: what a saved plan and a journal pin.
std::string ir_hash(const Ir& ir);
// The same from ir_canonical_text(ir), for a caller that has the text already (a large plan's
// IR is megabytes: serializing it twice shows).
std::string canonical_text_hash(const std::string& canonical_text);
// The IR back from ir_to_json (spans are not restored). std::nullopt with *error if malformed.
std::optional<Ir> ir_from_json(const json& j, std::string* error);

}  // namespace ferry::dsl
