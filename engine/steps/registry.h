// The step types this build of ferry can run, by name: what the CLI hands the executor
// (RunOptions::impls) and preflight checks against.
#pragma once

#include <string>

#include "engine/run/step.h"

namespace ferry::engine {

// The implementation of step type `type`, or nullptr if the engine has none yet.
const StepImpl* find_step_impl(const std::string& type);

}  // namespace ferry::engine
