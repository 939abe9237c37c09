// `apply`: server-side apply of objects from files, a directory (kubectl reads those; YAML
// included) or inline (a JSON List on stdin), with ferry's field manager. Idempotent by nature.
#include "engine/steps/kube_steps.h"

namespace ferry::engine {
namespace {

using kube_step::kubectl_for;
using kube_step::str;

std::vector<std::string> apply_args(const StepContext& ctx, const std::vector<std::string>& sources) {
  std::string manager = str(ctx, "field_manager");
  std::vector<std::string> args = {"apply", "--server-side", "--field-manager=" + (manager.empty() ? "ferry" : manager)};
  if (ctx.arg("force_conflicts", false) == json(true)) args.push_back("--force-conflicts");
  for (const std::string& s : sources) args.insert(args.end(), {"-f", s});
  return args;
}

// The `-f` arguments: each file, the directory, or stdin for inline objects.
std::vector<std::string> sources_of(const StepContext& ctx) {
  std::vector<std::string> sources;
  for (const json& f : ctx.arg("files", json::array())) sources.push_back(f.get<std::string>());
  if (std::string d = str(ctx, "directory"); !d.empty()) sources.push_back(d);
  if (!ctx.arg("objects").is_null()) sources.push_back("-");
  return sources;
}

std::string inline_objects(const StepContext& ctx) {
  json objects = ctx.arg("objects");
  if (objects.is_null()) return "";
  return json{{"apiVersion", "v1"}, {"kind", "List"}, {"items", objects}}.dump();
}

std::vector<Action> render(const StepContext& ctx) {
  std::string input;
  if (!ctx.arg("objects").is_null()) input = std::to_string(ctx.arg("objects").size()) + " object(s) as a JSON List";
  return {kubectl_for(ctx).action(apply_args(ctx, sources_of(ctx)), input)};
}

StepResult run(StepContext& ctx) {
  StepResult r;
  kube::Kubectl k = kubectl_for(ctx);
  json answer;
  r.status = k.run_json(apply_args(ctx, sources_of(ctx)), ctx.cancel, "server-side apply" + k.where(), &answer,
                        inline_objects(ctx));
  if (!r.status.ok()) return r;
  json applied = json::array();
  for (const json& o : kube::items_of(answer)) applied.push_back(o.value("kind", "?") + "/" + o["metadata"].value("name", "?"));
  r.outputs["applied"] = applied;
  return r;
}

}  // namespace

StepImpl apply_step() {
  StepImpl impl;
  impl.type = "apply";
  impl.render = render;
  impl.run = run;
  return impl;
}

}  // namespace ferry::engine
