// `create`: objects via `kubectl create -f -` (the object as JSON on stdin). An object that
// already exists with the content the plan gives counts as created, so a re-run is harmless;
// one that differs is an error naming the first field that differs. Before creating, the step
// journals which objects did not exist: the inverse deletes those and only those.
#include <algorithm>

#include "engine/steps/kube_steps.h"

namespace ferry::engine {
namespace {

using kube_step::kubectl_for;
using kube_step::label;
using kube_step::str;

std::vector<json> objects_of(const StepContext& ctx) {
  std::vector<json> objects;
  if (json o = ctx.arg("object"); o.is_object()) objects.push_back(o);
  for (const json& o : ctx.arg("objects", json::array())) objects.push_back(o);
  return objects;
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
  for (const json& o : objects) refs.push_back(kube_step::ref_of(o, k.target().ns));
  json absent;
  if (r.status = kube_step::absent_objects(k, refs, ctx.cancel, &absent); !r.status.ok()) return r;
  ctx.save_undo({{"created", absent}});

  json created = json::array();
  for (const json& o : objects) {
    const std::string what = "create " + label(o) + k.where();
    kube::CallResult c = k.run({"create", "-f", "-", "-o", "json"}, ctx.cancel, what, o.dump());
    if (c.status.error_class() == ErrorClass::kAlreadyExists) {
      std::string d;
      if (r.status = kube_step::existing_differs(k, o, ctx.cancel, &d); !r.status.ok()) return r;
      if (!d.empty()) {
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

Status inverse(StepContext& ctx, const json& undo) { return kube_step::delete_created(ctx, undo, false); }

std::vector<Action> render_inverse(const StepContext& ctx) { return kube_step::render_delete_created(ctx, false); }

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
