// `approve`: a gate for a human. --yes answers it; otherwise it asks on the terminal. A run with
// no terminal is refused before its first step (preflight) rather than deciding for the human.
#include "engine/steps/local_steps.h"
#include "engine/steps/services.h"

namespace ferry::engine {

StepImpl approve_step() {
  StepImpl impl;
  impl.type = "approve";
  impl.render = [](const StepContext& ctx) {
    Action a;
    a.note = "asks: " + ctx.arg("message", "").get<std::string>() + " (--yes answers it)";
    return std::vector<Action>{a};
  };
  // Without --yes and a terminal nobody can answer: refused before the run's first step, not
  // when the gate is reached with the source already stopped.
  impl.preflight = [](StepContext& ctx) {
    if (ctx.services->assume_yes || ctx.services->ask) return Status::Ok();
    return Status::Invalid("needs a human's approval (\"" + ctx.arg("message", "").get<std::string>() +
                           "\") but there is no terminal to ask on; run with --yes to approve");
  };
  impl.run = [](StepContext& ctx) {
    StepResult r;
    std::string message = ctx.arg("message", "").get<std::string>();
    if (ctx.services->assume_yes) {
      ctx.log("approved by --yes: " + message);
      return r;
    }
    std::optional<bool> answer = ctx.services->ask ? ctx.services->ask(message) : std::nullopt;
    if (!answer) {
      r.status = Status::Invalid("needs a human's approval (\"" + message +
                                 "\") but there is no terminal to ask on; run with --yes to approve");
    } else if (!*answer) {
      r.status = Status::Failed("not approved: " + message);
    }
    return r;
  };
  return impl;
}

}  // namespace ferry::engine
