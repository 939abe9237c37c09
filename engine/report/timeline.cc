#include "engine/report/timeline.h"

#include <algorithm>
#include <climits>
#include <optional>

#include "engine/run/events.h"
#include "engine/run/journal_fields.h"

namespace ferry::report {
namespace {

using engine::Event;

using engine::journal_field::integer;
using engine::journal_field::text;
using engine::journal_field::texts;

// A journal's times are milliseconds since the epoch. A hand-edited or foreign one may say
// anything; its times are kept within the years 1970 to 9999, so that the report's arithmetic on
// them (spans, the axis of the picture) can never overflow.
constexpr int64_t kLastJournalMs = 253402300799999;  // 9999-12-31T23:59:59.999Z

std::string error_of(const json& e) {
  std::string cls = text(e, "class");
  std::string message = text(e, "message");
  return cls.empty() ? message : cls + ": " + message;
}

// Ends the step's attempt in flight, if it has one.
void end_attempt(StepTimeline& s, AttemptEnd end, int64_t t, std::string error = "") {
  if (s.attempts.empty() || s.attempts.back().end != AttemptEnd::kUnfinished) return;
  s.attempts.back().end = end;
  s.attempts.back().end_ms = std::max(t, s.attempts.back().start_ms);  // a clock stepped back ends no span before it began
  s.attempts.back().error = std::move(error);
}

void end_compensation(StepTimeline& s, const std::string& result, int64_t t, std::string message = "") {
  if (s.compensations.empty() || s.compensations.back().result != "unfinished") {
    s.compensations.push_back({t, t, "", ""});  // its start was not journaled: a hand-edited journal
  }
  s.compensations.back().end_ms = std::max(t, s.compensations.back().start_ms);
  s.compensations.back().result = result;
  s.compensations.back().message = std::move(message);
}

// A new process took the run over: what the last one left in flight stopped with it, after the
// last event it journaled (the crash itself left no trace).
void interrupt_all(Timeline& tl, int64_t last_sign_of_life) {
  for (auto& [id, s] : tl.steps) {
    end_attempt(s, AttemptEnd::kInterrupted, last_sign_of_life, "its process stopped without journaling an end");
    if (!s.compensations.empty() && s.compensations.back().result == "unfinished") {
      end_compensation(s, "interrupted", last_sign_of_life, "its process stopped without journaling an end");
    }
  }
}

}  // namespace

Timeline fold_timeline(const std::vector<json>& events) {
  Timeline tl;
  for (const json& e : events) {
    if (!e.is_object()) continue;
    std::optional<Event> event = engine::event_from_name(text(e, "event"));
    if (!event) continue;
    const int64_t t = std::clamp<int64_t>(integer(e, "t", tl.last_ms), 0, kLastJournalMs);
    if (!tl.first_ms) tl.first_ms = t;
    // The first events a new process journals: `resume`'s assumed-done steps and run_started,
    // `ferry rollback`'s rollback_started. (Within one process, no attempt is in flight then.)
    if (*event == Event::kRunStarted || *event == Event::kRollbackStarted || *event == Event::kStepAssumedDone) {
      interrupt_all(tl, tl.last_ms);
    }
    tl.last_ms = std::max(tl.last_ms, t);
    switch (*event) {
      case Event::kRunStarted:
        tl.invocations.push_back({text(e, "mode"), t, text(e, "user"), text(e, "host")});
        tl.not_undone.clear();
        continue;
      case Event::kRollbackStarted:
        tl.rollbacks.push_back({t, text(e, "reason")});
        continue;
      case Event::kRunEnded:
        tl.not_undone = texts(e, "not_undone");
        continue;
      default:
        break;
    }
    const std::string id = text(e, "step");
    if (id.empty()) continue;
    StepTimeline& s = tl.steps[id];
    s.id = id;
    switch (*event) {
      case Event::kStepStarted: {
        int64_t number = integer(e, "attempt", static_cast<int64_t>(s.attempts.size()) + 1);
        s.attempts.push_back({static_cast<int>(std::clamp<int64_t>(number, 1, INT32_MAX)), t, t, AttemptEnd::kUnfinished, ""});
        break;
      }
      case Event::kAttemptFailed:
        end_attempt(s, AttemptEnd::kRetried, t, error_of(e));
        break;
      case Event::kStepSucceeded: {
        end_attempt(s, AttemptEnd::kSucceeded, t);
        auto outputs = e.find("outputs");
        s.outputs = outputs != e.end() && outputs->is_object() ? *outputs : json::object();
        // Secret outputs are never journaled; a name listed as secret is left out all the same.
        for (const std::string& secret : texts(e, "secret_outputs")) s.outputs.erase(secret);
        break;
      }
      case Event::kStepFailed:
        end_attempt(s, AttemptEnd::kFailed, t, error_of(e));
        break;
      case Event::kStepCancelled:
        end_attempt(s, AttemptEnd::kCancelled, t, error_of(e));
        break;
      case Event::kStepSkipped:
        s.marked_ms = t;
        s.note = "skipped: " + text(e, "reason");
        break;
      case Event::kStepAssumedDone:
        s.marked_ms = t;
        s.note = "assumed done (" + text(e, "reason") + ")";
        break;
      case Event::kCompensationStarted:
        s.compensations.push_back({t, t, "unfinished", ""});
        break;
      case Event::kCompensationSucceeded:
        end_compensation(s, "succeeded", t);
        break;
      case Event::kCompensationFailed:
        end_compensation(s, "failed", t, error_of(e));
        break;
      case Event::kCompensationSkipped:
        s.compensations.push_back({t, t, "skipped", text(e, "reason")});
        break;
      default:
        break;
    }
  }
  // What is still in flight ends, on the chart, at the last event: the run is still running,
  // or that was its last sign of life.
  for (auto& [id, s] : tl.steps) {
    if (!s.attempts.empty() && s.attempts.back().end == AttemptEnd::kUnfinished) s.attempts.back().end_ms = tl.last_ms;
    if (!s.compensations.empty() && s.compensations.back().result == "unfinished") {
      s.compensations.back().end_ms = tl.last_ms;
    }
  }
  return tl;
}

}  // namespace ferry::report
