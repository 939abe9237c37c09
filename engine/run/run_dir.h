// The run directory: one run's files and their format, in one place. DIR/plan.json is the saved
// plan the run runs (engine/run/saved_plan.h); DIR/journal.jsonl its events, whose header names
// the plan's IR hash (engine/run/journal.h); DIR/lock is held by the one command appending to it
// (engine/run/run_lock.h); steps write their own files beside them. Dirs 0700, files 0600.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dsl/ir.h"
#include "engine/run/journal.h"
#include "engine/run/run_state.h"

namespace ferry::engine {

// Where `ferry apply` makes run directories when not given one (and completion looks for them).
inline constexpr const char* kRunsDir = ".ferry/runs";

std::string plan_file(const std::string& dir);
std::string journal_file(const std::string& dir);

// Creates the run directory `requested`, or when it is empty .ferry/runs/<UTC time>-<plan>
// under the current directory, all 0700. Refuses a directory that already holds a run.
std::optional<std::string> create_run_dir(const std::string& requested, const std::string& plan, std::string* error);

// The journal's first line: the format, the plan, its IR hash, the ferry that ran it, where the
// plan came from, and who started the run on which host.
json journal_header(const dsl::Ir& ir, const std::string& hash, const std::string& source,
                    const std::string& ferry_version);

// A run directory read back, its plan verified against the journal's header.
struct RunDirContents {
  dsl::Ir ir;
  std::string hash;    // the plan's IR hash, the same as the journal's
  std::string source;  // DIR/plan.json, as shown in messages and JSON
  RunState state;      // the journal replayed (with its torn_lines)
  std::vector<json> events;  // the journal's events as read: when each thing happened (`ferry report`)
};
// Reads DIR/journal.jsonl and DIR/plan.json. *error says what is wrong and, for a plan.json that
// is damaged, edited or another plan's, that it is to be put back (a run goes on, or is undone,
// only with the plan it started with).
std::optional<RunDirContents> read_run_dir(const std::string& dir, std::string* error);

}  // namespace ferry::engine
