#include "engine/diff/plan_diff.h"

#include <algorithm>
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

// Plan-level settings, with phases keyed by name (their order is a setting of its own) and
// without their step lists (steps are compared one by one).
json plan_settings(const json& ir) {
  json settings = ir;
  for (const char* key : {"ferry_ir", "params", "clusters", "steps", "phases", "plan"}) settings.erase(key);
  settings["name"] = ir["plan"];
  json order = json::array();
  for (json phase : ir["phases"]) {
    std::string name = phase["name"];
    order.push_back(name);
    phase.erase("name");
    phase.erase("steps");
    // A phase without settings is only its place in the order.
    if (!phase.empty()) settings["phase"][name] = phase;
  }
  settings["phases"] = order;
  return settings;
}

std::vector<NamedChange> diff_named(const json& old_map, const json& new_map) {
  std::vector<NamedChange> out;
  for (const auto& [name, value] : old_map.items()) {
    if (!new_map.contains(name)) out.push_back({name, NamedChange::Kind::Removed, value, {}});
  }
  for (const auto& [name, value] : new_map.items()) {
    if (!old_map.contains(name)) {
      out.push_back({name, NamedChange::Kind::Added, value, {}});
    } else if (old_map[name] != value) {
      out.push_back({name, NamedChange::Kind::Changed, nullptr, field_changes(old_map[name], value)});
    }
  }
  std::sort(out.begin(), out.end(), [](const NamedChange& x, const NamedChange& y) { return x.name < y.name; });
  return out;
}

StepRef step_ref(const IrStep& step) {
  return {step.id, step.type, step.phase, step.template_name, dsl::is_destructive(step), step.deps};
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
  auto name = [&](const std::string& id) {
    auto it = rename.find(id);
    return it == rename.end() ? id : it->second;
  };
  std::set<Edge> out;
  for (const auto& [id, step] : ir.steps) {
    for (const std::string& dep : step.deps) out.insert({name(dep), name(id)});
  }
  return out;
}

void diff_edges(const Ir& old_ir, const Ir& new_ir, const std::vector<StepPair>& pairs, PlanDiff* diff) {
  std::map<std::string, std::string> rename;
  for (const StepPair& p : pairs) rename[p.old_step->id] = p.new_step->id;
  std::set<std::string> in_both;
  for (const StepPair& p : pairs) in_both.insert(p.new_step->id);
  // Edges of added and removed steps come with those steps; here only edges between steps
  // both plans have, which are the changes in how the same work is ordered.
  auto both = [&](const Edge& e) { return in_both.count(e.from) && in_both.count(e.to); };
  std::set<Edge> old_edges = edges(old_ir, rename);
  std::set<Edge> new_edges = edges(new_ir, {});
  for (const Edge& e : new_edges) {
    if (!old_edges.count(e) && both(e)) diff->edges_added.push_back(e);
  }
  for (const Edge& e : old_edges) {
    if (!new_edges.count(e) && both(e)) diff->edges_removed.push_back(e);
  }
}

void diff_order(const Ir& old_ir, const Ir& new_ir, const std::vector<StepPair>& pairs, PlanDiff* diff) {
  std::map<std::string, std::string> rename;
  std::set<std::string> in_both;
  for (const StepPair& p : pairs) {
    rename[p.old_step->id] = p.new_step->id;
    in_both.insert(p.new_step->id);
  }
  for (const StepPair& p : pairs) {
    if (!dsl::is_destructive(*p.new_step)) continue;
    std::vector<Guard> old_guards = guards_before(old_ir, p.old_step->id);
    std::vector<Guard> new_guards = guards_before(new_ir, p.new_step->id);
    std::set<std::string> old_ids, new_ids;
    for (const Guard& g : old_guards) old_ids.insert(rename.count(g.id) ? rename[g.id] : g.id);
    for (const Guard& g : new_guards) new_ids.insert(g.id);
    OrderChange change{p.new_step->id, p.new_step->type, {}, {}};
    for (const Guard& g : old_guards) {
      if (!new_ids.count(rename.count(g.id) ? rename[g.id] : g.id)) change.lost.push_back(g);
    }
    // A guard the new plan adds comes with that step (listed as added); what is news here is a
    // guard both plans have that now runs before the destructive step.
    for (const Guard& g : new_guards) {
      if (!old_ids.count(g.id) && in_both.count(g.id)) change.gained.push_back(g);
    }
    if (!change.lost.empty() || !change.gained.empty()) diff->order.push_back(std::move(change));
  }
}

}  // namespace

bool PlanDiff::empty() const {
  return risks.empty() && plan.empty() && params.empty() && clusters.empty() && added.empty() && removed.empty() &&
         renamed.empty() && changed.empty() && edges_added.empty() && edges_removed.empty() && moved.empty() &&
         order.empty();
}

PlanDiff diff_plans(const Ir& old_ir, const Ir& new_ir) {
  const json old_json = dsl::ir_to_json(old_ir, {.spans = false});
  const json new_json = dsl::ir_to_json(new_ir, {.spans = false});
  PlanDiff diff;
  diff.plan = field_changes(plan_settings(old_json), plan_settings(new_json));
  diff.params = diff_named(old_json["params"], new_json["params"]);
  diff.clusters = diff_named(old_json["clusters"], new_json["clusters"]);

  std::vector<StepPair> pairs = match_steps(old_ir, new_ir, old_json, new_json, &diff);
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
  diff_edges(old_ir, new_ir, pairs, &diff);
  diff_order(old_ir, new_ir, pairs, &diff);
  diff.risks = assess_risks(old_ir, new_ir, pairs, diff);
  return diff;
}

}  // namespace ferry::diff
