#include "engine/run/run_state.h"

namespace ferry::engine {

std::string_view step_state_name(StepState s) {
  switch (s) {
    case StepState::kPending: return "pending";
    case StepState::kRunning: return "running";
    case StepState::kSucceeded: return "succeeded";
    case StepState::kFailed: return "failed";
    case StepState::kSkipped: return "skipped";
    case StepState::kCancelled: return "cancelled";
  }
  return "pending";
}

std::string_view undo_state_name(UndoState s) {
  switch (s) {
    case UndoState::kNone: return "";
    case UndoState::kRunning: return "rolling back";
    case UndoState::kDone: return "rolled back";
    case UndoState::kFailed: return "rollback failed";
    case UndoState::kSkipped: return "not rolled back";
  }
  return "";
}

void apply_event(const json& e, RunState* state) {
  std::string event = e.value("event", "");
  int64_t t = e.value("t", int64_t{0});
  if (event == "run_started") {
    if (!state->started_ms) state->started_ms = t;
    state->result.clear();
    return;
  }
  if (event == "run_ended") {
    state->result = e.value("result", "");
    state->ended_ms = t;
    return;
  }
  if (!e.contains("step")) return;
  StepRecord& r = state->steps[e["step"].get<std::string>()];
  if (event == "step_started") {
    r.state = StepState::kRunning;
    r.attempts = e.value("attempt", r.attempts + 1);
    if (!r.started_ms) r.started_ms = t;
    r.error.clear();
    r.error_class.clear();
  } else if (event == "undo") {
    if (!r.undo) r.undo = e["undo"];
  } else if (event == "attempt_failed") {
    r.error_class = e.value("class", "");
    r.error = e.value("message", "");
  } else if (event == "step_succeeded") {
    r.state = StepState::kSucceeded;
    r.outputs = e.value("outputs", json::object());
    r.secret_outputs = e.value("secret_outputs", std::vector<std::string>{});
    r.finished_ms = t;
    r.completed_seq = state->next_seq++;
    r.error.clear();
    r.error_class.clear();
  } else if (event == "step_failed") {
    r.state = StepState::kFailed;
    r.error_class = e.value("class", "");
    r.error = e.value("message", "");
    r.finished_ms = t;
    r.completed_seq = state->next_seq++;
  } else if (event == "step_cancelled") {
    r.state = StepState::kCancelled;
    r.error = e.value("message", "");
    r.finished_ms = t;
  } else if (event == "step_skipped") {
    r.state = StepState::kSkipped;
    r.skip_reason = e.value("reason", "");
    r.finished_ms = t;
  } else if (event == "step_assumed_done") {
    r.state = StepState::kSucceeded;
    r.outputs = json::object();
    r.finished_ms = t;
    r.completed_seq = state->next_seq++;
  } else if (event == "compensation_started") {
    r.undo_state = UndoState::kRunning;
  } else if (event == "compensation_succeeded") {
    r.undo_state = UndoState::kDone;
  } else if (event == "compensation_failed") {
    r.undo_state = UndoState::kFailed;
    r.undo_error = e.value("message", "");
  } else if (event == "compensation_skipped") {
    r.undo_state = UndoState::kSkipped;
    r.undo_error = e.value("reason", "");
  }
}

RunState replay(const JournalContents& journal) {
  RunState state;
  state.header = journal.header;
  state.torn_lines = journal.torn_lines;
  for (const json& e : journal.events) apply_event(e, &state);
  return state;
}

}  // namespace ferry::engine
