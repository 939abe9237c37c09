#include "engine/run/run_state.h"

#include <cstdint>

#include "engine/run/events.h"
#include "engine/run/journal_fields.h"

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

std::string_view scope_state_name(ScopeState s) {
  switch (s) {
    case ScopeState::kFailed: return "failed";
    case ScopeState::kRolledBack: return "rolled_back";
    case ScopeState::kRollbackFailed: return "rollback_failed";
  }
  return "failed";
}

using journal_field::integer;
using journal_field::object;
using journal_field::text;
using journal_field::texts;

bool is_done(const RunState& state, const std::string& id) {
  auto it = state.steps.find(id);
  return it != state.steps.end() && is_done(it->second.state);
}

namespace {

// The events of a failure scope (events.h). A retried scope's steps start over: pending, with
// no outputs or undo data; their attempts keep counting, as the journal numbers them.
void apply_scope_event(Event event, const json& e, RunState* state) {
  std::string scope = text(e, "scope");
  if (scope.empty()) return;
  if (event == Event::kScopeFailed) {
    ScopeRecord& r = state->scopes[scope];
    r = ScopeRecord{};
    r.step = text(e, "step");
    r.error_class = text(e, "class");
    r.error = e.contains("message") ? text(e, "message") : text(e, "reason");
  } else if (event == Event::kScopeCompensated) {
    ScopeRecord& r = state->scopes[scope];
    r.state = text(e, "result") == "rolled_back" ? ScopeState::kRolledBack : ScopeState::kRollbackFailed;
    r.not_undone = texts(e, "not_undone");
  } else {
    state->scopes.erase(scope);
    for (const std::string& id : texts(e, "steps")) {
      auto it = state->steps.find(id);
      if (it == state->steps.end()) continue;
      StepRecord fresh;
      fresh.attempts = it->second.attempts;
      fresh.reached_seq = it->second.reached_seq;
      it->second = std::move(fresh);
    }
  }
}

}  // namespace

void apply_event(const json& e, RunState* state) {
  if (!e.is_object()) return;
  std::optional<Event> event = event_from_name(text(e, "event"));
  if (!event) return;  // a newer ferry's event: what this one knows of the run is unchanged by it
  int64_t t = integer(e, "t", 0);
  if (*event == Event::kRunStarted) {
    if (!state->started_ms) state->started_ms = t;
    state->result.clear();
    return;
  }
  if (*event == Event::kRunEnded) {
    state->result = text(e, "result");
    state->ended_ms = t;
    return;
  }
  if (*event == Event::kScopeFailed || *event == Event::kScopeCompensated || *event == Event::kScopeRetried) {
    return apply_scope_event(*event, e, state);
  }
  if (!e.contains("step") || !e["step"].is_string()) return;
  StepRecord& r = state->steps[e["step"].get<std::string>()];
  bool reached = *event == Event::kStepStarted || *event == Event::kStepSkipped || *event == Event::kStepAssumedDone;
  if (reached && !r.reached_seq) r.reached_seq = state->next_reached_seq++;
  switch (*event) {
    case Event::kStepStarted: {
      r.state = StepState::kRunning;
      int64_t attempt = integer(e, "attempt", r.attempts + 1);
      r.attempts = attempt > 0 && attempt <= INT32_MAX ? static_cast<int>(attempt) : r.attempts + 1;
      if (!r.started_ms) r.started_ms = t;
      r.error.clear();
      r.error_class.clear();
      break;
    }
    case Event::kUndo:
      if (auto undo = e.find("undo"); !r.undo && undo != e.end()) r.undo = *undo;
      break;
    case Event::kAttemptFailed:
      r.error_class = text(e, "class");
      r.error = text(e, "message");
      break;
    case Event::kStepSucceeded:
      r.state = StepState::kSucceeded;
      r.outputs = object(e, "outputs");
      r.secret_outputs = texts(e, "secret_outputs");
      r.finished_ms = t;
      r.completed_seq = state->next_seq++;
      r.error.clear();
      r.error_class.clear();
      break;
    case Event::kStepFailed:
      r.state = StepState::kFailed;
      r.error_class = text(e, "class");
      r.error = text(e, "message");
      r.finished_ms = t;
      r.completed_seq = state->next_seq++;
      break;
    case Event::kStepCancelled:
      r.state = StepState::kCancelled;
      r.error_class = text(e, "class");
      r.error = text(e, "message");
      r.finished_ms = t;
      break;
    case Event::kStepSkipped:
      r.state = StepState::kSkipped;
      r.skip_reason = text(e, "reason");
      r.finished_ms = t;
      break;
    case Event::kStepAssumedDone:
      r.state = StepState::kSucceeded;
      r.outputs = json::object();
      r.finished_ms = t;
      r.completed_seq = state->next_seq++;
      break;
    case Event::kCompensationStarted:
      r.undo_state = UndoState::kRunning;
      break;
    case Event::kCompensationSucceeded:
      r.undo_state = UndoState::kDone;
      break;
    case Event::kCompensationFailed:
      r.undo_state = UndoState::kFailed;
      r.undo_error = text(e, "message");
      break;
    case Event::kCompensationSkipped:
      r.undo_state = UndoState::kSkipped;
      r.undo_error = text(e, "reason");
      break;
    case Event::kRunStarted:
    case Event::kRunEnded:
    case Event::kScopeFailed:
    case Event::kScopeCompensated:
    case Event::kScopeRetried:
    case Event::kPhaseStarted:
    case Event::kRollbackStarted:
    case Event::kLog:
    case Event::kStepProgress:
      break;
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
