#include "engine/run/resume.h"

#include <algorithm>

#include "dsl/step_types.h"
#include "engine/run/scopes.h"

namespace ferry::engine {

ResumeDecisions decide_unfinished(const dsl::Ir& ir, RunState* state, const std::set<std::string>& rerun,
                                  const std::set<std::string>& assume_done) {
  ResumeDecisions out;
  for (auto& [id, r] : state->steps) {
    const dsl::IrStep* step = ir.find(id);
    // A failed scope stays as it ended; resume --retry-scope reopens it before this runs.
    if (!step || in_failed_scope(ir, *state, id)) continue;
    if (r.state == StepState::kFailed || r.state == StepState::kCancelled) r.state = StepState::kPending;
    if (r.state != StepState::kRunning) continue;
    const dsl::StepSchema* schema = dsl::find_step_schema(step->type);
    if ((schema && schema->idempotent) || rerun.count(id)) {
      r.state = StepState::kPending;
    } else if (assume_done.count(id)) {
      out.assumed_done.push_back(id);
    } else {
      out.undecided.push_back(id);
    }
  }
  return out;
}

void rerun_makers_of_secrets(const dsl::Ir& ir, RunState* state) {
  for (auto& [id, r] : state->steps) {
    if (r.state != StepState::kSucceeded || r.secret_outputs.empty()) continue;
    for (const auto& [other, step] : ir.steps) {
      if (!is_done(*state, other) && std::find(step.deps.begin(), step.deps.end(), id) != step.deps.end()) {
        r.state = StepState::kPending;
        break;
      }
    }
  }
}

std::string undecided_message(const std::vector<std::string>& undecided) {
  std::string error = "these steps started but did not finish, and are not safe to simply run again:";
  for (const auto& id : undecided) error += " " + id;
  return error + ". Check what they did, then resume with --rerun ID (run it again) or --assume-done ID (it took effect)";
}

}  // namespace ferry::engine
