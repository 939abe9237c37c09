// Resume policy: what a resumed run does with the steps its earlier processes left behind.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "dsl/ir.h"
#include "engine/run/run_state.h"

namespace ferry::engine {

struct ResumeDecisions {
  std::vector<std::string> assumed_done;  // to journal as step_assumed_done (--assume-done)
  std::vector<std::string> undecided;     // started, unfinished, not idempotent, and no flag says
};

// Failed and cancelled steps run again, but those of failed scopes (scopes.h). A step a crash left running runs again if its type is
// idempotent or `rerun` names it; `assume_done` names those that took effect; the rest are
// undecided (the resume is refused: a human checks what they did). Updates `state` for the
// steps that run again.
ResumeDecisions decide_unfinished(const dsl::Ir& ir, RunState* state, const std::set<std::string>& rerun,
                                  const std::set<std::string>& assume_done);

// Secret outputs are never journaled, so a succeeded step that made one runs again when a step
// still to run depends on it. Call after the assumed-done steps are journaled.
void rerun_makers_of_secrets(const dsl::Ir& ir, RunState* state);

// The message refusing a resume with undecided steps.
std::string undecided_message(const std::vector<std::string>& undecided);

}  // namespace ferry::engine
