#include "engine/run/events.h"

#include <array>
#include <utility>

namespace ferry::engine {
namespace {

constexpr auto kNames = std::to_array<std::pair<Event, std::string_view>>({
    {Event::kRunStarted, "run_started"},
    {Event::kPhaseStarted, "phase_started"},
    {Event::kStepStarted, "step_started"},
    {Event::kUndo, "undo"},
    {Event::kAttemptFailed, "attempt_failed"},
    {Event::kStepSucceeded, "step_succeeded"},
    {Event::kStepFailed, "step_failed"},
    {Event::kStepCancelled, "step_cancelled"},
    {Event::kStepSkipped, "step_skipped"},
    {Event::kStepAssumedDone, "step_assumed_done"},
    {Event::kRollbackStarted, "rollback_started"},
    {Event::kCompensationStarted, "compensation_started"},
    {Event::kCompensationSucceeded, "compensation_succeeded"},
    {Event::kCompensationFailed, "compensation_failed"},
    {Event::kCompensationSkipped, "compensation_skipped"},
    {Event::kScopeFailed, "scope_failed"},
    {Event::kScopeCompensated, "scope_compensated"},
    {Event::kScopeRetried, "scope_retried"},
    {Event::kRunEnded, "run_ended"},
    {Event::kLog, "log"},
    {Event::kStepProgress, "step_progress"},
});
static_assert(kNames.size() == static_cast<size_t>(Event::kStepProgress) + 1, "every event has its name");

}  // namespace

std::string_view event_name(Event e) {
  for (const auto& [event, name] : kNames) {
    if (event == e) return name;
  }
  return "unknown";
}

std::optional<Event> event_from_name(std::string_view name) {
  for (const auto& [event, n] : kNames) {
    if (n == name) return event;
  }
  return std::nullopt;
}

}  // namespace ferry::engine
