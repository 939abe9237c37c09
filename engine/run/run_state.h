// What a run knows about each step: its state, attempts, outputs and undo data. The executor
// keeps it while it runs; replay() rebuilds it from a journal for `resume`, `rollback` and
// `status`, so all three read a run the same way.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/run/journal.h"

namespace ferry::engine {

using json = nlohmann::json;

enum class StepState { kPending, kRunning, kSucceeded, kFailed, kSkipped, kCancelled };
enum class UndoState { kNone, kRunning, kDone, kFailed, kSkipped };

std::string_view step_state_name(StepState s);
std::string_view undo_state_name(UndoState s);

struct StepRecord {
  StepState state = StepState::kPending;
  int attempts = 0;
  int64_t started_ms = 0;   // first attempt
  int64_t finished_ms = 0;
  json outputs;             // non-secret outputs (null until it succeeds)
  std::vector<std::string> secret_outputs;  // names of outputs not journaled (secret)
  std::optional<json> undo;  // what the inverse needs, as first journaled
  int64_t completed_seq = 0; // order of completion (succeeded or failed), for the saga
  int64_t reached_seq = 0;   // order in which the run reached it (started, skipped or assumed done), for `status`
  std::string error_class;
  std::string error;
  std::string skip_reason;
  UndoState undo_state = UndoState::kNone;
  std::string undo_error;
};

// A failure scope that failed (docs/journal.md): a scope the journal says nothing about is
// running or done, as its steps are.
enum class ScopeState { kFailed, kRolledBack, kRollbackFailed };
std::string_view scope_state_name(ScopeState s);

struct ScopeRecord {
  ScopeState state = ScopeState::kFailed;  // kFailed: its compensation has not ended yet
  std::string step;         // the step that failed ("" when `rollback --scope` failed it)
  std::string error_class;
  std::string error;        // the step's error, or why it was failed
  std::vector<std::string> not_undone;  // kRollbackFailed: the steps its compensation left
};

struct RunState {
  json header;
  std::map<std::string, StepRecord> steps;
  std::map<std::string, ScopeRecord> scopes;  // the failed ones, by name
  int64_t next_seq = 1;
  int64_t next_reached_seq = 1;
  std::string result;     // "" while unfinished; else as in the run_ended event
  int64_t started_ms = 0;
  int64_t ended_ms = 0;
  std::vector<size_t> torn_lines;
};

// Whether a step is behind the run: it succeeded or was skipped (its dependents may start).
inline bool is_done(StepState s) { return s == StepState::kSucceeded || s == StepState::kSkipped; }
bool is_done(const RunState& state, const std::string& id);

// Applies one journal event to `state` (the executor calls it as it journals, replay for each line).
void apply_event(const json& event, RunState* state);
RunState replay(const JournalContents& journal);

}  // namespace ferry::engine
