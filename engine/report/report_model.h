// A run read back for a change ticket or a postmortem (`ferry report`): who ran which plan where,
// how it ended, when each step ran (every attempt, every compensation), the control plane's
// downtime window, the S3 transfers and what each destructive step did. Made from the run
// directory alone (its saved plan and journal); the renderers (render.h) only lay it out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/run/run_dir.h"

namespace ferry::report {

using json = nlohmann::json;

// How one attempt of a step ended.
enum class AttemptEnd {
  kSucceeded,
  kRetried,      // attempt_failed: the step was tried again
  kFailed,       // step_failed: for good
  kCancelled,    // step_cancelled: Ctrl-C, SIGTERM, a journal that could not be written
  kInterrupted,  // its process stopped (a crash, kill -9) and a later one went on with the run
  kUnfinished,   // no end in the journal: still running, or the run crashed
};
std::string_view attempt_end_name(AttemptEnd end);

// A span of the run. An attempt or compensation with no end in the journal ends at the last
// event its process journaled (the last sign of life, not the crash itself, which is unknown).
struct Attempt {
  int number = 0;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  AttemptEnd end = AttemptEnd::kUnfinished;
  std::string error;  // "class: message" of a retried, failed or cancelled attempt
};

struct Compensation {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  std::string result;   // "succeeded", "failed", "skipped" (start = end) or "unfinished"
  std::string message;  // why it failed or was skipped
};

// A step the run reached (started, skipped or assumed done).
struct StepTimeline {
  std::string id;
  std::string type;
  std::string phase;
  std::string description;
  std::string state;  // its final state, as `ferry status` names it
  bool destructive = false;
  std::vector<Attempt> attempts;
  int64_t marked_ms = 0;  // when it was skipped or assumed done (0: neither)
  std::string note;       // "skipped: `when` is false", "assumed done (--assume-done)"
  std::vector<Compensation> compensations;
  json outputs = json::object();  // as journaled: never the secret ones (step_succeeded lists only their names)

  int64_t start_ms() const;  // the first attempt's start, else marked_ms
  int64_t end_ms() const;    // the last attempt's end, else marked_ms
};

// The window in which the hosted cluster had no control plane: from the start of the step that
// stops kube-apiserver (a `scale` of it to 0 replicas) to the success of the first wait that
// follows it for condition Available on a HostedCluster (`hostedclusters/NAME`). In the stock
// plans, pause.control_plane .. restored.available. Found from the plan, not from step names.
struct DowntimeWindow {
  bool found = false;
  std::string absent;      // when not found: why, as a sentence
  std::string start_step;
  std::string end_step;    // "" when the plan has a stop but no such wait after it
  int64_t start_ms = 0;
  int64_t end_ms = 0;      // 0: still down when the journal ends
  // What ended it: "available" (end_step succeeded), "rollback" (the stop was undone: the
  // control plane was scaled back up on the source), or "" (it had not ended).
  std::string ended_by;
  int64_t duration_ms(int64_t journal_end_ms) const { return (end_ms ? end_ms : journal_end_ms) - start_ms; }
};

// An `upload` step: a file sent to S3.
struct Transfer {
  std::string step;
  std::string url;       // s3://bucket/key (never a presigned URL: those are secret outputs)
  std::string state;
  int64_t start_ms = 0;
  int64_t bytes = -1;    // -1: unknown (it did not succeed, or an older ferry journaled no size)
  int64_t ms = 0;        // the successful attempt's duration
  int64_t parts = 0;
  std::string sha256;
  std::optional<double> bytes_per_second() const;
};

// A step that removes or stops something (dsl::is_destructive), reached or not.
struct DestructiveStep {
  std::string id;
  std::string type;
  std::string phase;
  std::string description;
  std::string cluster;  // the cluster it acts on ("" for none)
  json args;  // its arguments, defaults included, resolved with the run's outputs; secrets "<redacted>"
  std::string state;   // "pending" when the run did not reach it
  int attempts = 0;
  std::string error;   // "class: message" when it failed
  std::string undone;  // its rollback's state ("rolled back", "rollback failed", ...), "" if none ran
  json outputs = json::object();
};

struct Invocation {  // a command that ran steps (run_started): apply or resume
  std::string mode;
  int64_t t_ms = 0;
  std::string user;
  std::string host;
};

struct RollbackStart {
  int64_t t_ms = 0;
  std::string reason;
};

struct RunReport {
  std::string dir;
  std::string plan;
  std::string description;
  std::string source;  // where the plan was compiled from, as the journal's header says
  std::string ir_hash;
  std::string ferry_version;
  std::string user;    // who started the run, on which host ("" in a journal from before they were recorded)
  std::string host;
  // succeeded, failed, cancelled, rolled back, rollback failed, or unfinished (still running, or
  // crashed: the journal alone cannot tell which).
  std::string result;
  bool finished = false;
  int64_t started_ms = 0;  // the first event
  int64_t ended_ms = 0;    // the last event (run_ended when finished)
  std::vector<Invocation> invocations;
  std::vector<RollbackStart> rollbacks;
  std::vector<std::string> phases;         // in run order
  std::vector<StepTimeline> steps;         // reached ones: phase by phase, each phase in the order reached
  std::vector<std::string> not_reached;    // in the plan's order
  std::vector<std::string> not_undone;     // a failed rollback stopped before these
  DowntimeWindow downtime;
  std::vector<Transfer> transfers;         // in the order they started
  std::vector<DestructiveStep> destructive;  // in the order of `steps`, then those not reached
  std::vector<size_t> torn_lines;
};

// Every compensation of the run with its step, in the order they started (the rollback's order).
// The pointers are into r.steps.
std::vector<std::pair<const StepTimeline*, const Compensation*>> compensations_in_order(const RunReport& r);

// The report of a run directory read back (engine/run/run_dir.h); `dir` names it.
RunReport build_report(const engine::RunDirContents& run, const std::string& dir);

// Reads DIR and builds its report; nullopt with *error (one line naming what is wrong: no such
// directory, a missing or damaged journal or plan.json) otherwise.
std::optional<RunReport> read_report(const std::string& dir, std::string* error);

}  // namespace ferry::report
