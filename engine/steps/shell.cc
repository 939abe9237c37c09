// `shell`: a local command, the escape hatch. Its stdout is the step's output.
#include <algorithm>

#include "engine/base/subprocess.h"
#include "engine/steps/local_steps.h"

namespace ferry::engine {
namespace {

ProcessSpec spec_of(const StepContext& ctx) {
  ProcessSpec spec;
  spec.argv = ctx.arg("argv", json::array()).get<std::vector<std::string>>();
  const json env = ctx.arg("env", json::object());
  for (const auto& [k, v] : env.items()) spec.env[k] = v.get<std::string>();
  spec.cwd = ctx.arg("cwd", "").get<std::string>();
  spec.stdin_text = ctx.arg("stdin", "").get<std::string>();
  return spec;
}

std::vector<Action> render(const StepContext& ctx) {
  ProcessSpec spec = spec_of(ctx);
  Action a;
  a.argv = spec.argv;
  if (!spec.stdin_text.empty()) a.input = std::to_string(spec.stdin_text.size()) + " bytes of text";
  std::string note;
  if (!spec.cwd.empty()) note += "in " + spec.cwd;
  for (const auto& [k, v] : spec.env) note += (note.empty() ? "with " : ", ") + k + "=" + v;
  a.note = note;
  return {a};
}

StepResult run(StepContext& ctx) {
  ProcessSpec spec = spec_of(ctx);
  ProcessResult p = run_process(spec, ctx.cancel);
  StepResult r;
  if (!p.status.ok()) {
    r.status = p.status;
    return r;
  }
  r.outputs = {{"stdout", p.out}, {"exit_code", p.exit_code}};
  auto accepted = ctx.arg("accept_exit_codes", json::array({0})).get<std::vector<int>>();
  if (std::find(accepted.begin(), accepted.end(), p.exit_code) == accepted.end()) {
    std::string tail = p.err.size() > 2000 ? "..." + p.err.substr(p.err.size() - 2000) : p.err;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
    r.status = Status::Failed("'" + spec.argv[0] + "' exited with status " + std::to_string(p.exit_code) +
                              (tail.empty() ? "" : ": " + tail));
  }
  return r;
}

}  // namespace

StepImpl shell_step() {
  StepImpl impl;
  impl.type = "shell";
  impl.render = render;
  impl.run = run;
  return impl;
}

}  // namespace ferry::engine
