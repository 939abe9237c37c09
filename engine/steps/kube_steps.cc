#include "engine/steps/kube_steps.h"

#include <cctype>

namespace ferry::engine::kube_step {

kube::Kubectl kubectl_for(const StepContext& ctx) {
  kube::Target t;
  if (ctx.services && !ctx.services->kubectl.empty()) t.kubectl = ctx.services->kubectl;
  if (ctx.cluster) {
    t.kubeconfig = ctx.cluster->fields.value("kubeconfig", "");
    t.context = ctx.cluster->fields.value("context", "");
  }
  t.ns = str(ctx, "namespace");
  kube::Kubectl k(std::move(t));
  if (ctx.log) k.set_log(ctx.log);
  return k;
}

std::string str(const StepContext& ctx, const std::string& name) {
  json v = ctx.arg(name, "");
  return v.is_string() ? v.get<std::string>() : v.dump();
}

json::json_pointer dotted_path(const std::string& path) {
  json::json_pointer p;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    if (dot == std::string::npos) dot = path.size();
    if (dot > start) p /= path.substr(start, dot - start);
    start = dot + 1;
  }
  return p;
}

std::string file_safe(const std::string& id) {
  std::string out;
  for (char c : id) out.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ? c : '_');
  return out;
}

}  // namespace ferry::engine::kube_step
