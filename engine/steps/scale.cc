// `scale`: set the replicas of deployments or statefulsets, by name or all of a kind. It reads
// the replica counts first and journals them; the inverse sets each workload back to its own
// count. `all` is resolved to names when the step reads, so a workload created later is
// neither scaled nor "restored".
#include <map>

#include "engine/kube/api_write.h"
#include "engine/steps/kube_steps.h"

namespace ferry::engine {
namespace {

using kube_step::kubectl_for;
using kube_step::str;

std::string kind_of(const StepContext& ctx) {
  std::string kind = str(ctx, "kind");
  return kind.empty() ? "deployment" : kind;
}

std::vector<std::string> names_of(const StepContext& ctx) {
  json names = ctx.arg("names", json::array());
  return names.is_array() ? names.get<std::vector<std::string>>() : std::vector<std::string>{};
}

bool all_of_kind(const StepContext& ctx) { return ctx.arg("all", false) == json(true); }

std::vector<std::string> scale_args(const std::string& kind, const std::vector<std::string>& names, int64_t replicas) {
  std::vector<std::string> args = {"scale", kind};
  args.insert(args.end(), names.begin(), names.end());
  args.push_back("--replicas=" + std::to_string(replicas));
  return args;
}

// Sets the replicas of `names`: through the proxy where the kind is certain, else `kubectl scale`.
Status scale_to(const kube::Kubectl& k, const std::string& kind, const std::vector<std::string>& names,
                int64_t replicas, const CancelToken& cancel, const std::string& what) {
  Status s;
  if (kube::scale_through_api(k, kind, names, replicas, cancel, what, &s)) return s;
  return k.run(scale_args(kind, names, replicas), cancel, what).status;
}

std::vector<Action> render(const StepContext& ctx) {
  kube::Kubectl k = kubectl_for(ctx);
  const std::string kind = kind_of(ctx);
  std::vector<std::string> get = {"get", kind};
  std::vector<std::string> names = names_of(ctx);
  if (!all_of_kind(ctx)) get.insert(get.end(), names.begin(), names.end());
  get.insert(get.end(), {"-o", "json"});
  Action read = k.action(get);
  read.note = "reads the replica counts (for the rollback)";
  if (all_of_kind(ctx)) names = {"<every " + kind + " read>"};
  return {read, k.action(scale_args(kind, names, ctx.arg("replicas", 0).get<int64_t>()))};
}

StepResult run(StepContext& ctx) {
  StepResult r;
  kube::Kubectl k = kubectl_for(ctx);
  const std::string kind = kind_of(ctx);
  std::vector<std::string> get = {"get", kind};
  std::vector<std::string> asked = names_of(ctx);
  if (!all_of_kind(ctx)) get.insert(get.end(), asked.begin(), asked.end());
  json answer;
  if (r.status = k.run_json(get, ctx.cancel, "read the replicas of " + kind + "s" + k.where(), &answer); !r.status.ok()) {
    return r;
  }
  json previous = json::object();
  std::vector<std::string> names;
  for (const json& o : kube::items_of(answer)) {
    std::string name = o["metadata"].value("name", "");
    previous[name] = o.contains("spec") ? o["spec"].value("replicas", 1) : 1;  // the API's default is 1
    names.push_back(name);
  }
  r.outputs["previous"] = previous;
  if (names.empty()) {
    ctx.log("no " + kind + " to scale" + k.where());
    return r;
  }
  ctx.save_undo({{"kind", kind}, {"previous", previous}});
  const int64_t replicas = ctx.arg("replicas", 0).get<int64_t>();
  r.status = scale_to(k, kind, names, replicas, ctx.cancel, "scale " + kind + "s" + k.where());
  return r;
}

// One kubectl call per distinct prior count.
std::map<int64_t, std::vector<std::string>> by_count(const json& previous) {
  std::map<int64_t, std::vector<std::string>> groups;
  for (const auto& [name, count] : previous.items()) groups[count.get<int64_t>()].push_back(name);
  return groups;
}

Status inverse(StepContext& ctx, const json& undo) {
  if (!undo.is_object() || !undo.contains("previous")) return Status::Ok();  // it scaled nothing
  kube::Kubectl k = kubectl_for(ctx);
  const std::string kind = undo.value("kind", kind_of(ctx));
  for (const auto& [count, names] : by_count(undo["previous"])) {
    Status s = scale_to(k, kind, names, count, ctx.cancel, "restore the replicas of " + kind + "s" + k.where());
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

std::vector<Action> render_inverse(const StepContext& ctx) {
  kube::Kubectl k = kubectl_for(ctx);
  Action a = k.action({"scale", kind_of(ctx), "<each workload>", "--replicas=<its prior count>"});
  a.note = "one call per distinct prior replica count";
  return {a};
}

}  // namespace

StepImpl scale_step() {
  StepImpl impl;
  impl.type = "scale";
  impl.render = render;
  impl.run = run;
  impl.inverse = inverse;
  impl.render_inverse = render_inverse;
  return impl;
}

}  // namespace ferry::engine
