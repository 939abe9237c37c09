// Step types that need no cluster: the engine is usable and testable with these alone.
#pragma once

#include "engine/run/step.h"

namespace ferry::engine {

StepImpl noop_step();     // noop.cc
StepImpl shell_step();    // shell.cc
StepImpl wait_step();     // wait.cc (a local probe, or objects in a cluster)
StepImpl approve_step();  // approve.cc

}  // namespace ferry::engine
