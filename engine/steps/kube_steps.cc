#include "engine/steps/kube_steps.h"

#include <cctype>

namespace ferry::engine::kube_step {
namespace {

// The first path where `given` is not contained in `existing` ("" when it is): the server adds
// defaults and metadata, so only what the plan gives is compared.
std::string first_difference(const json& given, const json& existing, const std::string& at) {
  if (given.is_object() && existing.is_object()) {
    for (const auto& [k, v] : given.items()) {
      if (!existing.contains(k)) return at + "." + k;
      if (std::string d = first_difference(v, existing[k], at + "." + k); !d.empty()) return d;
    }
    return "";
  }
  if (given.is_array() && existing.is_array() && given.size() == existing.size()) {
    for (size_t i = 0; i < given.size(); ++i) {
      std::string d = first_difference(given[i], existing[i], at + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return "";
  }
  return given == existing ? "" : at;
}

// What of an object is its content: everything but the identity and server-owned parts.
json content_of(const json& o) {
  json c = o;
  for (const char* k : {"apiVersion", "kind", "status"}) c.erase(k);
  json md = json::object();
  for (const char* k : {"labels", "annotations"}) {
    if (o.contains("metadata") && o["metadata"].contains(k)) md[k] = o["metadata"][k];
  }
  c["metadata"] = md;
  return c;
}

}  // namespace

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

std::string differs_at(const json& given, const json& existing) {
  std::string d = first_difference(content_of(given), content_of(existing), "");
  return d.empty() ? d : d.substr(1);
}

}  // namespace ferry::engine::kube_step
