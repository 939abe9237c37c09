#include "engine/steps/local_steps.h"

namespace ferry::engine {

StepImpl noop_step() {
  StepImpl impl;
  impl.type = "noop";
  impl.local_only = true;
  impl.render = [](const StepContext&) { return std::vector<Action>{}; };
  impl.run = [](StepContext&) { return StepResult{}; };
  // noop has an inverse in the schema (rollback = auto is allowed): undoing nothing is nothing.
  impl.inverse = [](StepContext&, const json&) { return Status::Ok(); };
  impl.render_inverse = [](const StepContext&) { return std::vector<Action>{}; };
  return impl;
}

}  // namespace ferry::engine
