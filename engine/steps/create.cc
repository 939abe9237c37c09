// `create`: objects via `kubectl create -f -` (the object as JSON on stdin). An object that
// already exists with the content the plan gives counts as created, so a re-run is harmless;
// one that differs is an error naming the first field that differs. Before creating, the step
// journals which objects did not exist: the inverse deletes those and only those.
#include <algorithm>

#include "engine/steps/kube_steps.h"

namespace ferry::engine {
namespace {

using kube_step::kubectl_for;
using kube_step::str;

std::vector<json> objects_of(const StepContext& ctx) {
  std::vector<json> objects;
  if (json o = ctx.arg("object"); o.is_object()) objects.push_back(o);
  for (const json& o : ctx.arg("objects", json::array())) objects.push_back(o);
  return objects;
}

std::string label(const json& o) { return o.value("kind", "?") + "/" + o["metadata"].value("name", "?"); }

// The identity of an object, enough to get or delete it.
json ref_of(const json& o, const std::string& default_ns) {
  json md = {{"name", o["metadata"].value("name", "")}};
  std::string ns = o["metadata"].value("namespace", default_ns);
  if (!ns.empty()) md["namespace"] = ns;
  return {{"apiVersion", o.value("apiVersion", "")}, {"kind", o.value("kind", "")}, {"metadata", md}};
}

json as_list(const std::vector<json>& objects) {
  return {{"apiVersion", "v1"}, {"kind", "List"}, {"items", objects}};
}

std::vector<Action> render(const StepContext& ctx) {
  kube::Kubectl k = kubectl_for(ctx);
  std::vector<Action> actions;
  for (const json& o : objects_of(ctx)) {
    Action a = k.action({"create", "-f", "-", "-o", "json"}, label(o) + " as JSON");
    a.note = "an existing identical " + label(o) + " counts as created";
    actions.push_back(a);
  }
  return actions;
}

StepResult run(StepContext& ctx) {
  StepResult r;
  kube::Kubectl k = kubectl_for(ctx);
  const std::vector<json> objects = objects_of(ctx);
  std::vector<json> refs;
  for (const json& o : objects) refs.push_back(ref_of(o, k.target().ns));

  json existing;
  r.status = k.run_json({"get", "-f", "-", "--ignore-not-found"}, ctx.cancel, "look for the objects to create" + k.where(),
                        &existing, as_list(refs).dump());
  if (!r.status.ok()) return r;
  auto found = [&](const json& ref) {
    for (const json& e : kube::items_of(existing)) {
      if (e.value("kind", "") == ref["kind"] && e["metadata"].value("name", "") == ref["metadata"]["name"]) return true;
    }
    return false;
  };
  json absent = json::array();
  for (const json& ref : refs) {
    if (!found(ref)) absent.push_back(ref);
  }
  ctx.save_undo({{"created", absent}});

  json created = json::array();
  for (const json& o : objects) {
    const std::string what = "create " + label(o) + k.where();
    kube::CallResult c = k.run({"create", "-f", "-", "-o", "json"}, ctx.cancel, what, o.dump());
    if (c.status.error_class() == ErrorClass::kAlreadyExists) {
      json there;
      r.status = k.run_json({"get", "-f", "-"}, ctx.cancel, "read the existing " + label(o) + k.where(), &there,
                            ref_of(o, k.target().ns).dump());
      if (!r.status.ok()) return r;
      std::vector<json> found_there = kube::items_of(there);  // `get -f` answers a List
      if (!found_there.empty()) there = found_there.front();
      // Paths only: values may be a Secret's data.
      if (std::string d = kube_step::differs_at(o, there); !d.empty()) {
        r.status = Status::Error(ErrorClass::kAlreadyExists,
                                 what + ": it already exists and differs from the plan at " + d +
                                     " (delete it first, or use `apply` to change it)");
        return r;
      }
      ctx.log(label(o) + " already exists as the plan gives it");
    } else if (!c.status.ok()) {
      r.status = c.status;
      return r;
    }
    created.push_back(label(o));
  }
  r.outputs["created"] = created;
  return r;
}

Status inverse(StepContext& ctx, const json& undo) {
  if (!undo.is_object() || !undo.contains("created") || undo["created"].empty()) return Status::Ok();
  kube::Kubectl k = kubectl_for(ctx);
  std::vector<json> refs = undo["created"].get<std::vector<json>>();
  std::reverse(refs.begin(), refs.end());
  return k.run({"delete", "-f", "-", "--ignore-not-found"}, ctx.cancel, "delete the objects the step created" + k.where(),
               as_list(refs).dump())
      .status;
}

std::vector<Action> render_inverse(const StepContext& ctx) {
  return {kubectl_for(ctx).action({"delete", "-f", "-", "--ignore-not-found"},
                                  "the objects that did not exist before the step, as a JSON List")};
}

}  // namespace

StepImpl create_step() {
  StepImpl impl;
  impl.type = "create";
  impl.render = render;
  impl.run = run;
  impl.inverse = inverse;
  impl.render_inverse = render_inverse;
  return impl;
}

}  // namespace ferry::engine
