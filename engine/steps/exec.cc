// `exec`: a command in a pod (`kubectl exec [-i] POD [-c C] -- argv`, no TTY, no shell unless
// the command runs one). stdout is the output (capped by `max_output`) or goes to
// `stdout_file`; stderr goes to the log; the command's exit status is checked against
// `accept_exit_codes`. One exec at a time per pod (the implicit pool): two commands in an etcd
// pod at once would fight over its disk and its snapshot file.

#include <algorithm>
#include <fstream>
#include <sstream>

#include "engine/base/durable_file.h"
#include "engine/steps/kube_steps.h"

namespace ferry::engine {
namespace {

using kube_step::kubectl_for;
using kube_step::str;

// `stdout_file` may hold a whole snapshot: it is captured up to this, then written out.
// (run_process captures into memory; it has no way to hand stdout to a file yet.)
constexpr size_t kMaxFileOutput = size_t(4) << 30;

std::vector<std::string> exec_args(const StepContext& ctx) {
  std::vector<std::string> command;
  for (const json& a : ctx.arg("command", json::array())) command.push_back(a.is_string() ? a.get<std::string>() : a.dump());
  return kube_step::pod_exec_args(ctx, command, !str(ctx, "stdin_file").empty());
}

std::string under_run_dir(const StepContext& ctx, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return ctx.run_dir + "/" + path;
}

// The command's own exit status, when kubectl reports one ("command terminated with exit code N").
bool command_exit(const kube::CallResult& c) {
  return c.exit_code == 0 || c.err.find("command terminated with exit code ") != std::string::npos;
}

std::vector<Action> render(const StepContext& ctx) {
  Action a = kubectl_for(ctx).action(exec_args(ctx), str(ctx, "stdin_file").empty() ? "" : "the file " + str(ctx, "stdin_file"));
  if (std::string f = str(ctx, "stdout_file"); !f.empty()) a.note = "stdout to " + under_run_dir(ctx, f);
  return {a};
}

StepResult run(StepContext& ctx) {
  StepResult r;
  kube::Kubectl k = kubectl_for(ctx);
  const std::string what = "exec in pod " + str(ctx, "pod") + k.where();
  std::string stdin_text;
  if (std::string in = str(ctx, "stdin_file"); !in.empty()) {
    std::ifstream f(under_run_dir(ctx, in), std::ios::binary);
    if (!f) {
      r.status = Status::Invalid(what + ": cannot read stdin_file " + under_run_dir(ctx, in));
      return r;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    stdin_text = ss.str();
  }
  const std::string out_file = under_run_dir(ctx, str(ctx, "stdout_file"));
  const size_t cap = out_file.empty() ? ctx.arg("max_output", 1 << 20).get<size_t>() : kMaxFileOutput;
  kube::CallResult c = k.run(exec_args(ctx), ctx.cancel, what, stdin_text, cap);
  if (!c.status.ok() && c.status.message().find("bytes to stdout") != std::string::npos) {
    r.status = Status::Invalid(what + ": the command wrote more than max_output (" + std::to_string(cap) +
                               " bytes) to stdout; raise max_output or use stdout_file");
    return r;
  }
  if (!command_exit(c)) {
    r.status = c.status;  // kubectl itself failed: no pod, no container, no connection
    return r;
  }
  std::string err = kube::error_text(c.err);
  if (!err.empty()) ctx.log("stderr of the command: " + err);
  if (!out_file.empty()) {
    if (std::string error; !write_file_durably(out_file, c.out, &error)) {
      r.status = Status::Failed(what + ": stdout_file: " + error);
      return r;
    }
    ctx.log("stdout (" + std::to_string(c.out.size()) + " bytes) written to " + out_file);
    c.out.clear();
  }
  r.outputs = {{"stdout", c.out}, {"exit_code", c.exit_code}};
  auto accepted = ctx.arg("accept_exit_codes", json::array({0})).get<std::vector<int>>();
  if (std::find(accepted.begin(), accepted.end(), c.exit_code) == accepted.end()) {
    r.status = Status::Failed(what + ": the command exited with status " + std::to_string(c.exit_code) +
                              (err.empty() ? "" : ": " + err));
  }
  return r;
}

std::string implicit_pool(const StepContext& ctx) {
  const std::string cluster = ctx.cluster ? ctx.cluster->name : "";
  return "exec:" + cluster + "/" + str(ctx, "namespace") + "/" + str(ctx, "pod");
}

}  // namespace

StepImpl exec_step() {
  StepImpl impl;
  impl.type = "exec";
  impl.render = render;
  impl.run = run;
  impl.implicit_pool = implicit_pool;
  return impl;
}

}  // namespace ferry::engine
