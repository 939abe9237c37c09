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
  std::string listed;
  for (const json& o : objects_of(ctx)) listed += (listed.empty() ? "" : ", ") + label(o);
  Action a = kubectl_for(ctx).action({"create", "-f", "-"}, "those of " + listed + " not there yet, as one JSON List");
  a.note = "an existing identical object counts as created";
  return {a};
}

StepResult run(StepContext& ctx) {
  StepResult r;
  kube::Kubectl k = kubectl_for(ctx);
  kube_step::CreateObjects how{.verb = "create",
                               .given_by = "the plan",
                               .advice = "(delete it first, or use `apply` to change it)",
                               .as_given = "as the plan gives it"};
  json created;
  r.status = kube_step::create_objects(ctx, k, objects_of(ctx), how, &created);
  if (r.status.ok()) r.outputs["created"] = created;
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
