// `wait`: poll until a condition holds. Here, the `probe` form (a local command that exits 0
// when done); the `object` and `count` forms poll a cluster and come with the kube backend.
#include "engine/run/subprocess.h"
#include "engine/steps/local_steps.h"

namespace ferry::engine {
namespace {

std::vector<Action> render(const StepContext& ctx) {
  Action a;
  if (ctx.args.contains("probe")) {
    a.argv = ctx.args["probe"].get<std::vector<std::string>>();
    a.note = "every " + ctx.arg("interval", "10s").get<std::string>() + " until it exits 0";
  } else {
    a.note = "poll the cluster (object and count waits need the kube backend)";
  }
  return {a};
}

StepResult run(StepContext& ctx) {
  StepResult r;
  if (!ctx.args.contains("probe")) {
    r.status = Status::Invalid("this build of ferry cannot wait on cluster objects yet (the kube backend is not built); "
                               "use a `probe` command");
    return r;
  }
  auto interval = dsl::parse_duration(ctx.arg("interval", "10s").get<std::string>()).value_or(10'000);
  ProcessSpec spec;
  spec.argv = ctx.args["probe"].get<std::vector<std::string>>();
  for (int polls = 1;; ++polls) {
    ProcessResult p = run_process(spec, ctx.cancel);
    if (!p.status.ok()) {
      r.status = p.status;
      return r;
    }
    if (p.exit_code == 0) return r;
    ctx.log("probe exited " + std::to_string(p.exit_code) + "; next poll in " + dsl::format_duration(interval));
    if (Status s = ctx.sleep_for(Millis(interval)); !s.ok()) {
      r.status = Status::Error(s.error_class(), s.message() + " (the probe had not succeeded after " +
                                                    std::to_string(polls) + (polls == 1 ? " poll)" : " polls)"));
      return r;
    }
  }
}

}  // namespace

StepImpl wait_step() {
  StepImpl impl;
  impl.type = "wait";
  impl.render = render;
  impl.run = run;
  return impl;
}

}  // namespace ferry::engine
