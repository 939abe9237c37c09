#include "engine/diff/plan_diff.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "dsl/step_rules.h"
#include "dsl/step_types.h"
#include "engine/diff/field_changes.h"
#include "engine/diff/guards.h"
#include "engine/diff/risk.h"

namespace ferry::diff {
namespace {

using dsl::Ir;
using dsl::IrStep;

// A step's compiled form without what is reported elsewhere: its dependencies (edges) and its
// phase (moves). What is left is what "the same content" means for a rename. A retry policy
// that is the plan's default reads "plan default", so a change of the default shows once, at
// the plan, and not again at every step that follows it.
json step_content(const json& step, const json& plan_retry) {
  json content = step;
  for (const char* key : {"deps", "after", "phase"}) content.erase(key);
  if (content["retry"] == plan_retry) content["retry"] = "plan default";
  if (content.contains("rollback_steps")) {
    for (auto& [id, undo] : content["rollback_steps"].items()) undo = step_content(undo, plan_retry);
  }
  return content;
}

// Plan-level settings. Phases are compared on their own, by name (phase_records).
json plan_settings(const json& ir) {
  json settings = ir;
  for (const char* key : {"ferry_ir", "params", "clusters", "steps", "phases", "plan"}) settings.erase(key);
  settings["name"] = ir["plan"];
  return settings;
}

// `id` through `rename` (old id -> new id): the id the new plan gives an old plan's step.
std::string renamed(const std::map<std::string, std::string>& rename, const std::string& id) {
  auto it = rename.find(id);
  return it == rename.end() ? id : it->second;
}

// Each phase by name, as the fields the diff compares: its place in the run (`order`, 1 for the
// first), its settings (`description`, `on_failure`, when set) and the steps it holds (sorted;
// old ids through `rename`, old id -> new id, so a renamed step has not left its phase). Every
// record has an order and steps, so a phase that loses its last setting is still there: its
// description reads as removed, not the phase.
json phase_records(const json& ir, const std::map<std::string, std::string>& rename) {
  json records = json::object();
  size_t order = 0;
  for (json phase : ir["phases"]) {
    std::string name = phase["name"];
    phase.erase("name");
    phase["order"] = ++order;
    std::set<std::string> steps;
    for (const json& id : phase["steps"]) steps.insert(renamed(rename, id.get<std::string>()));
    phase["steps"] = steps;
    records[name] = phase;
  }
  return records;
}

// A phase's changes: its order and settings field by field, then each step of both plans
// (`in_both`, new ids) that left it or joined it: a step moved between phases. An added or
// removed step is not news about its phase: it is listed with its phase under Steps. The steps
// of a phase are a set: what runs first in it is its dependencies' business.
std::vector<FieldChange> phase_changes(const json& old_phase, const json& new_phase,
                                       const std::set<std::string>& in_both) {
  auto settings = [](json phase) {
    phase.erase("steps");
    return phase;
  };
  std::vector<FieldChange> out = field_changes(settings(old_phase), settings(new_phase));
  const auto old_steps = old_phase["steps"].get<std::set<std::string>>();
  const auto new_steps = new_phase["steps"].get<std::set<std::string>>();
  for (const std::string& id : old_steps) {
    if (in_both.count(id) && !new_steps.count(id)) out.push_back({"steps", true, false, id, nullptr});
  }
  for (const std::string& id : new_steps) {
    if (in_both.count(id) && !old_steps.count(id)) out.push_back({"steps", false, true, nullptr, id});
  }
  return out;
}

using Changes = std::function<std::vector<FieldChange>(const json&, const json&)>;

// Entries of two maps by name: added, removed, or changed as `changes` tells field by field
// (one that tells none is not changed).
std::vector<NamedChange> diff_named(const json& old_map, const json& new_map, const Changes& changes = field_changes) {
  std::vector<NamedChange> out;
  for (const auto& [name, value] : old_map.items()) {
    if (!new_map.contains(name)) out.push_back({name, NamedChange::Kind::Removed, value, {}});
  }
  for (const auto& [name, value] : new_map.items()) {
    if (!old_map.contains(name)) {
      out.push_back({name, NamedChange::Kind::Added, value, {}});
    } else if (old_map[name] != value) {
      std::vector<FieldChange> fields = changes(old_map[name], value);
      if (!fields.empty()) out.push_back({name, NamedChange::Kind::Changed, nullptr, std::move(fields)});
    }
  }
  std::sort(out.begin(), out.end(), [](const NamedChange& x, const NamedChange& y) { return x.name < y.name; });
  return out;
}

StepRef step_ref(const IrStep& step) {
  return {step.id, step.type, step.phase, step.template_name, dsl::is_destructive(step), step.deps, {}};
}

// Pairs the steps of both plans: by id, then each new id with the first unpaired old step of
// the same content (a rename). Fills added, removed and renamed; returns the pairs.
std::vector<StepPair> match_steps(const Ir& old_ir, const Ir& new_ir, const json& old_json, const json& new_json,
                                  PlanDiff* diff) {
  auto content = [](const json& ir, const std::string& id) { return step_content(ir["steps"][id], ir["retry"]); };
  std::vector<StepPair> pairs;
  std::vector<std::string> old_only, new_only;
  for (const auto& [id, step] : old_ir.steps) {
    if (new_ir.steps.count(id))
      pairs.push_back({&step, &new_ir.steps.at(id)});
    else
      old_only.push_back(id);
  }
  for (const auto& [id, step] : new_ir.steps) {
    if (!old_ir.steps.count(id)) new_only.push_back(id);
  }
  std::set<std::string> renamed_from;
  for (const std::string& id : new_only) {
    json new_content = content(new_json, id);
    auto match = std::find_if(old_only.begin(), old_only.end(), [&](const std::string& old_id) {
      return !renamed_from.count(old_id) && content(old_json, old_id) == new_content;
    });
    if (match == old_only.end()) {
      diff->added.push_back(step_ref(new_ir.steps.at(id)));
      continue;
    }
    renamed_from.insert(*match);
    diff->renamed.push_back({*match, id, new_ir.steps.at(id).template_name});
    pairs.push_back({&old_ir.steps.at(*match), &new_ir.steps.at(id)});
  }
  for (const std::string& id : old_only) {
    if (!renamed_from.count(id)) diff->removed.push_back(step_ref(old_ir.steps.at(id)));
  }
  return pairs;
}

// The dependency edges of `ir`, with ids renamed through `rename` (old id -> new id).
std::set<Edge> edges(const Ir& ir, const std::map<std::string, std::string>& rename) {
  std::set<Edge> out;
  for (const auto& [id, step] : ir.steps) {
    for (const std::string& dep : step.deps) out.insert({renamed(rename, dep), renamed(rename, id)});
  }
  return out;
}

// The steps both plans have, from the pairs of match_steps: each old id's new id, and the new ids.
struct StepsInBoth {
  std::map<std::string, std::string> rename;  // old id -> new id
  std::set<std::string> ids;                  // new ids

  explicit StepsInBoth(const std::vector<StepPair>& pairs) {
    for (const StepPair& p : pairs) {
      rename[p.old_step->id] = p.new_step->id;
      ids.insert(p.new_step->id);
    }
  }
};

void diff_edges(const Ir& old_ir, const Ir& new_ir, const StepsInBoth& in_both, PlanDiff* diff) {
  // Edges between steps both plans have are the changes in how the same work is ordered. An
  // edge from an added or removed step is told at that step, as its dependents: the work that
  // now waits on a new gate, or no longer waits on a step that went. (An edge to an added or
  // removed step is its own `deps`.)
  auto both = [&](const Edge& e) { return in_both.ids.count(e.from) && in_both.ids.count(e.to); };
  auto dependents_of = [&](std::vector<StepRef>& steps, const std::set<Edge>& plan_edges) {
    for (StepRef& s : steps) {
      for (auto e = plan_edges.lower_bound({s.id, ""}); e != plan_edges.end() && e->from == s.id; ++e) {
        if (in_both.ids.count(e->to)) s.dependents.push_back(e->to);
      }
    }
  };
  std::set<Edge> old_edges = edges(old_ir, in_both.rename);
  std::set<Edge> new_edges = edges(new_ir, {});
  for (const Edge& e : new_edges) {
    if (!old_edges.count(e) && both(e)) diff->edges_added.push_back(e);
  }
  for (const Edge& e : old_edges) {
    if (!new_edges.count(e) && both(e)) diff->edges_removed.push_back(e);
  }
  dependents_of(diff->added, new_edges);
  dependents_of(diff->removed, old_edges);
}

void diff_order(const Ir& old_ir, const Ir& new_ir, const std::vector<StepPair>& pairs, const StepsInBoth& in_both,
                PlanDiff* diff) {
  for (const StepPair& p : pairs) {
    if (!dsl::is_destructive(*p.new_step)) continue;
    std::vector<Guard> old_guards = guards_before(old_ir, p.old_step->id);
    std::vector<Guard> new_guards = guards_before(new_ir, p.new_step->id);
    std::set<std::string> old_ids, new_ids;
    for (const Guard& g : old_guards) old_ids.insert(renamed(in_both.rename, g.id));
    for (const Guard& g : new_guards) new_ids.insert(g.id);
    OrderChange change{p.new_step->id, p.new_step->type, {}, {}};
    for (const Guard& g : old_guards) {
      if (!new_ids.count(renamed(in_both.rename, g.id))) change.lost.push_back(g);
    }
    // A guard the new plan adds comes with that step (listed as added); what is news here is a
    // guard both plans have that now runs before the destructive step.
    for (const Guard& g : new_guards) {
      if (!old_ids.count(g.id) && in_both.ids.count(g.id)) change.gained.push_back(g);
    }
    if (!change.lost.empty() || !change.gained.empty()) diff->order.push_back(std::move(change));
  }
}

}  // namespace

bool PlanDiff::empty() const {
  return risks.empty() && plan.empty() && phases.empty() && params.empty() && clusters.empty() && added.empty() &&
         removed.empty() && renamed.empty() && changed.empty() && edges_added.empty() && edges_removed.empty() &&
         moved.empty() && order.empty();
}

PlanDiff diff_plans(const Ir& old_ir, const Ir& new_ir) {
  const json old_json = dsl::ir_to_json(old_ir, {.spans = false});
  const json new_json = dsl::ir_to_json(new_ir, {.spans = false});
  PlanDiff diff;
  diff.plan = field_changes(plan_settings(old_json), plan_settings(new_json));
  diff.params = diff_named(old_json["params"], new_json["params"]);
  diff.clusters = diff_named(old_json["clusters"], new_json["clusters"]);

  std::vector<StepPair> pairs = match_steps(old_ir, new_ir, old_json, new_json, &diff);
  const StepsInBoth in_both(pairs);
  diff.phases = diff_named(phase_records(old_json, in_both.rename), phase_records(new_json, {}),
                           [&](const json& o, const json& n) { return phase_changes(o, n, in_both.ids); });
  std::sort(pairs.begin(), pairs.end(),
            [](const StepPair& x, const StepPair& y) { return x.new_step->id < y.new_step->id; });
  for (const StepPair& p : pairs) {
    const IrStep& o = *p.old_step;
    const IrStep& n = *p.new_step;
    auto fields = field_changes(step_content(old_json["steps"][o.id], old_json["retry"]),
                                step_content(new_json["steps"][n.id], new_json["retry"]));
    if (!fields.empty()) {
      diff.changed.push_back({n.id, n.type, n.template_name.empty() ? o.template_name : n.template_name, fields});
    }
    if (o.phase != n.phase) diff.moved.push_back({n.id, o.phase, n.phase});
  }
  diff_edges(old_ir, new_ir, in_both, &diff);
  diff_order(old_ir, new_ir, pairs, in_both, &diff);
  diff.risks = assess_risks(old_ir, new_ir, pairs, diff);
  return diff;
}

}  // namespace ferry::diff
