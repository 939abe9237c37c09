// The semantic difference between two compiled plans: what a run of the new plan does
// differently from a run of the old one. Computed on the IR only (never on source text), so
// formatting, comments, declaration order and the surface (.ferry or .toml) make no difference.
// Every list in a PlanDiff is sorted, so the renderers' output is deterministic.
#pragma once

#include <string>
#include <vector>

#include "dsl/ir.h"

namespace ferry::diff {

using dsl::json;

// One changed value, at a path written in the plan's own terms: `args.merge.spec.pausedUntil`,
// `args.names[2]`, `args.set["app.kubernetes.io/name"]`. A missing side means the value was
// added (no old) or removed (no new).
struct FieldChange {
  std::string path;
  bool has_old = false;
  bool has_new = false;
  json old_value;
  json new_value;
};

// A step as listed among the added or removed ones.
struct StepRef {
  std::string id;
  std::string type;
  std::string phase;
  std::string template_name;  // "" when the plan itself declares the step
  bool destructive = false;
  std::vector<std::string> deps;  // what it runs after
  // Steps of both plans that wait on it directly: now (an added step), or no longer (a removed
  // one); by their new ids.
  std::vector<std::string> dependents;
};

struct StepRename {
  std::string old_id;
  std::string new_id;
  std::string template_name;
};

// A step under the same id in both plans whose compiled form differs (a renamed step has the
// same content by definition). Changes to its dependencies and phase are not here: they are
// edges and moves.
struct StepChange {
  std::string id;
  std::string type;
  std::string template_name;  // the template that made the step: the change comes from it
  std::vector<FieldChange> fields;
};

struct Edge {
  std::string from;  // runs first
  std::string to;    // depends on `from`
  bool operator<(const Edge& o) const { return from != o.from ? from < o.from : to < o.to; }
  bool operator==(const Edge& o) const { return from == o.from && to == o.to; }
};

struct PhaseMove {
  std::string step;
  std::string old_phase;
  std::string new_phase;
};

// A step that guards a destructive one: it runs before it (by a dependency, direct or not, or
// in an earlier phase). Kinds: "backup" (backup, snapshot, upload), "restore", "wait"
// (wait, dns_wait), "approval" (approve).
struct Guard {
  std::string id;
  std::string type;
  std::string kind;
};

// How the guards before a destructive step (in both plans) changed.
struct OrderChange {
  std::string step;
  std::string type;
  std::vector<Guard> lost;    // ran before it in the old plan, no longer do (ids of the old plan)
  std::vector<Guard> gained;  // steps of both plans that run before it now and did not before
};

// Something named (a param, a cluster, a phase) added, removed or changed field by field.
struct NamedChange {
  std::string name;
  enum class Kind { Added, Removed, Changed } kind = Kind::Changed;
  json value;                       // the whole entry, for Added and Removed
  std::vector<FieldChange> fields;  // for Changed
};

// A way the new plan is more dangerous than the old one. `kind` is a stable identifier (see
// docs/diff.md); `message` is a sentence for people.
struct Risk {
  std::string kind;
  std::string step;  // "" for plan-wide risks
  std::string message;
};

struct PlanDiff {
  std::vector<Risk> risks;
  std::vector<FieldChange> plan;  // plan settings: name, description, on_failure, ...
  // Phases by name; a phase is {order, description, on_failure, steps}, `order` its place in the
  // run (1 for the first) and `steps` the ids it holds. A changed phase lists each step of both
  // plans that left it (`steps`, old only) or joined it (`steps`, new only).
  std::vector<NamedChange> phases;
  std::vector<NamedChange> params;
  std::vector<NamedChange> clusters;
  std::vector<StepRef> added;
  std::vector<StepRef> removed;
  std::vector<StepRename> renamed;
  std::vector<StepChange> changed;
  std::vector<Edge> edges_added;
  std::vector<Edge> edges_removed;
  std::vector<PhaseMove> moved;
  std::vector<OrderChange> order;

  // True when the plans compile to the same run (risks cannot exist without a difference).
  bool empty() const;
};

// Compares two compiled plans.
PlanDiff diff_plans(const dsl::Ir& old_ir, const dsl::Ir& new_ir);

}  // namespace ferry::diff
