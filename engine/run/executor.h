// The executor: runs a compiled plan's DAG phase by phase on a bounded pool of workers, with
// retries, timeouts, `when` conditions evaluated when a step is ready, and rollback as a saga
// (compensations of completed steps in reverse completion order). Every state change is
// journaled before the next action. The dry run is this same scheduler with a runner that
// records instead of acting (see dry_run.h), as ninja's -n is.
//
// It is a front over parts with one job each: the ready set and the workers (scheduler.h), one
// attempt loop with the watchdog (attempt.h), the saga's order (saga.h), the resume policy
// (resume.h) and the events (events.h); the run directory is run_dir.h's.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "dsl/ir.h"
#include "engine/base/clock.h"
#include "engine/base/redactor.h"
#include "engine/run/events.h"
#include "engine/run/holds.h"
#include "engine/run/journal.h"
#include "engine/run/run_state.h"
#include "engine/run/step.h"

namespace ferry::engine {

struct RunOptions {
  int parallelism = 4;
  std::map<std::string, int> pools;  // depth of each named pool (--pool NAME=N); else the plan's `pools`, else 1
  dsl::OnFailure on_failure = dsl::OnFailure::kInherit;  // kInherit: the phase's, else the plan's
  std::string run_dir;
  std::map<std::string, std::string> secrets;  // values of secret params
  uint64_t seed = 0;                 // for backoff jitter; 0 picks one
  // resume: what to do with steps that started, did not finish and are not idempotent.
  std::set<std::string> rerun;
  std::set<std::string> assume_done;
  // resume: failed scopes to run again (--retry-scope); the others stay failed.
  std::set<std::string> retry_scopes;
  // The implementation of each step type: the registry (engine/steps/registry.h find_step_impl)
  // for a run; tests substitute their own to script failures, delays and inverses. Required:
  // without it, every step fails as having no implementation.
  std::function<const StepImpl*(const std::string& type)> impls;
  // Takes the plan's holds (plan_holds) before the first step, and lets them go when the run or
  // rollback ends, whatever its result. Null: nothing is taken (a dry run, a test).
  HoldKeeper* holds = nullptr;
};

// How one attempt of a step is carried out: for real, or recorded for the dry run. What else
// differs between the two is asked of the runner, never decided by the executor.
class StepRunner {
 public:
  virtual ~StepRunner() = default;
  virtual StepResult attempt(const StepImpl& impl, StepContext& ctx) = 0;
  virtual Status compensate(const StepImpl& impl, StepContext& ctx, const json& undo) = 0;
  // Whether attempts make outputs. When not (a dry run), a reference to an earlier step's output
  // resolves to a placeholder ("<snap.path>"), and a `when` that reads one is decided at run time.
  virtual bool makes_outputs() const { return true; }
  // Whether a step of `impl`'s type runs on the scheduler's own thread rather than a worker's:
  // one that does nothing outside ferry, to which a worker would add only two thread switches.
  virtual bool runs_inline(const StepImpl* impl) const { return impl && impl->local_only; }
};

// The runner of `ferry apply`: calls the step type's run and inverse.
std::unique_ptr<StepRunner> real_runner();

// Receives every event as it is journaled (already redacted): the log and the live view.
using EventSink = std::function<void(Event event, const json& fields)>;

// kPartiallyFailed: every step ran but those of failed scopes (and their dependents), and
// each failed scope was compensated (or its compensation failed: see the scopes' states).
enum class RunResult { kSucceeded, kFailed, kCancelled, kRolledBack, kRollbackFailed, kPartiallyFailed };
std::string_view run_result_name(RunResult r);

class Executor {
 public:
  // `journal` null journals nothing (a dry run, or a test). `prior` is the state replayed from the
  // journal when resuming or rolling back (empty for a new run).
  Executor(const dsl::Ir& ir, RunOptions options, const Services& services, Clock& clock, Redactor& redactor,
           StepRunner& runner, JournalWriter* journal, EventSink sink, RunState prior = {});
  ~Executor();

  // Runs every step not yet done; on failure stops or rolls back as the plan says.
  RunResult run(const CancelToken& cancel);
  // Compensates every completed step not yet compensated, in reverse completion order.
  RunResult rollback(const CancelToken& cancel, const std::string& reason);
  // Compensates the completed steps of one failure scope, in reverse completion order, and
  // marks it failed first if it was not; the rest of the run is left as it is. kRolledBack or
  // kRollbackFailed.
  RunResult rollback_scope(const CancelToken& cancel, const std::string& scope);

  const RunState& state() const;
  // Order in which steps were started (dry run: with the wave each ran in).
  const std::vector<std::pair<std::string, int>>& started_order() const;
  // The error that stopped the run, if it stopped for a reason other than a failed step.
  const std::string& fatal_error() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::engine
