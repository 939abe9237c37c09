// The JSON face, for bots. The schema is documented in docs/diff.md; a change to it bumps
// kDiffJsonVersion. Every key is always present (empty lists included), so consumers need no
// existence checks.
#include "engine/diff/render.h"

namespace ferry::diff {
namespace {

json field_json(const FieldChange& f) {
  json out = {{"path", f.path}};
  if (f.has_old) out["old"] = f.old_value;
  if (f.has_new) out["new"] = f.new_value;
  return out;
}

json fields_json(const std::vector<FieldChange>& fields) {
  json out = json::array();
  for (const FieldChange& f : fields) out.push_back(field_json(f));
  return out;
}

json step_json(const StepRef& s) {
  return {{"id", s.id},
          {"type", s.type},
          {"phase", s.phase},
          {"template", s.template_name},
          {"destructive", s.destructive},
          {"deps", s.deps},
          {"dependents", s.dependents}};
}

json named_json(const std::vector<NamedChange>& list) {
  json out = {{"added", json::object()}, {"removed", json::object()}, {"changed", json::object()}};
  for (const NamedChange& c : list) {
    if (c.kind == NamedChange::Kind::Added) out["added"][c.name] = c.value;
    if (c.kind == NamedChange::Kind::Removed) out["removed"][c.name] = c.value;
    if (c.kind == NamedChange::Kind::Changed) out["changed"][c.name] = fields_json(c.fields);
  }
  return out;
}

json guards_json(const std::vector<Guard>& guards) {
  json out = json::array();
  for (const Guard& g : guards) out.push_back({{"id", g.id}, {"type", g.type}, {"kind", g.kind}});
  return out;
}

json edges_json(const std::vector<Edge>& edges) {
  json out = json::array();
  for (const Edge& e : edges) out.push_back({{"from", e.from}, {"to", e.to}});
  return out;
}

}  // namespace

json render_json(const PlanDiff& diff, const RenderOptions& options) {
  json risks = json::array();
  for (const Risk& r : diff.risks) risks.push_back({{"kind", r.kind}, {"step", r.step}, {"message", r.message}});
  json added = json::array(), removed = json::array(), renamed = json::array(), changed = json::array();
  for (const StepRef& s : diff.added) added.push_back(step_json(s));
  for (const StepRef& s : diff.removed) removed.push_back(step_json(s));
  for (const StepRename& r : diff.renamed)
    renamed.push_back({{"old", r.old_id}, {"new", r.new_id}, {"template", r.template_name}});
  for (const StepChange& c : diff.changed) {
    changed.push_back(
        {{"id", c.id}, {"type", c.type}, {"template", c.template_name}, {"fields", fields_json(c.fields)}});
  }
  json moved = json::array();
  for (const PhaseMove& m : diff.moved) moved.push_back({{"step", m.step}, {"old", m.old_phase}, {"new", m.new_phase}});
  json order = json::array();
  for (const OrderChange& c : diff.order) {
    order.push_back(
        {{"step", c.step}, {"type", c.type}, {"lost", guards_json(c.lost)}, {"gained", guards_json(c.gained)}});
  }
  return {
      {"ferry_diff", kDiffJsonVersion},
      {"old", options.old_label},
      {"new", options.new_label},
      {"equal", diff.empty()},
      {"risks", risks},
      {"plan", fields_json(diff.plan)},
      {"phases", named_json(diff.phases)},
      {"params", named_json(diff.params)},
      {"clusters", named_json(diff.clusters)},
      {"steps", {{"added", added}, {"removed", removed}, {"renamed", renamed}, {"changed", changed}}},
      {"edges", {{"added", edges_json(diff.edges_added)}, {"removed", edges_json(diff.edges_removed)}}},
      {"phase_moves", moved},
      {"destructive_order", order},
  };
}

}  // namespace ferry::diff
