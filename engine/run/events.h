// The events of a run, with their names in one place: each is a journal line's "event" (but
// the last two, which only the live view gets) and drives the run's state (run_state.h), the
// log and the live view (engine/cli/run_view.h). docs/journal.md lists each one's fields.
#pragma once

#include <optional>
#include <string_view>

namespace ferry::engine {

enum class Event {
  kRunStarted,             // mode ("apply", "resume"), parallelism
  kPhaseStarted,           // phase
  kStepStarted,            // step, attempt
  kUndo,                   // step, undo: what the step's inverse needs, before it acts
  kAttemptFailed,          // step, attempt, class, message, retry_in_ms
  kStepSucceeded,          // step, outputs (not the secret ones), secret_outputs, attempts
  kStepFailed,             // step, class, message, attempts
  kStepCancelled,          // step, class, message, attempts
  kStepSkipped,            // step, reason
  kStepAssumedDone,        // step, reason (resume --assume-done)
  kRollbackStarted,        // reason
  kCompensationStarted,    // step
  kCompensationSucceeded,  // step
  kCompensationFailed,     // step, class, message
  kCompensationSkipped,    // step, reason
  kScopeFailed,            // scope, step, class, message (or reason, from `rollback --scope`)
  kScopeCompensated,       // scope, result ("rolled_back", "rollback_failed"), not_undone
  kScopeRetried,           // scope, steps: back to pending (resume --retry-scope)
  kRunEnded,               // result, next ("rollback"), not_undone, failed_scopes
  // Not journaled:
  kLog,                    // step, message: a line of a step's log
  kStepProgress,           // step, status: where a long step is now
};

std::string_view event_name(Event e);
// The event a journal line names; nullopt for a name this ferry does not know.
std::optional<Event> event_from_name(std::string_view name);

}  // namespace ferry::engine
