#include "engine/steps/kube_steps.h"

namespace ferry::engine::kube_step {

kube::Kubectl kubectl_for(const StepContext& ctx) {
  kube::Target t;
  if (ctx.services && !ctx.services->kubectl.empty()) t.kubectl = ctx.services->kubectl;
  if (ctx.cluster) {
    t.kubeconfig = ctx.cluster->fields.value("kubeconfig", "");
    t.context = ctx.cluster->fields.value("context", "");
  }
  t.ns = str(ctx, "namespace");
  return kube::Kubectl(std::move(t));
}

std::string str(const StepContext& ctx, const std::string& name) {
  json v = ctx.arg(name, "");
  return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace ferry::engine::kube_step
