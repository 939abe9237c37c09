#include "engine/run/executor.h"

#include <algorithm>
#include <set>
#include <thread>

#include "dsl/step_types.h"
#include "dsl/utf8.h"
#include "engine/base/identity.h"
#include "engine/run/attempt.h"
#include "engine/run/resolve.h"
#include "engine/run/resume.h"
#include "engine/run/saga.h"
#include "engine/run/scheduler.h"
#include "engine/run/scopes.h"
#include "engine/run/shared_objects.h"
#include "engine/run/test_faults.h"

namespace ferry::engine {
namespace {

class RealRunner : public StepRunner {
 public:
  StepResult attempt(const StepImpl& impl, StepContext& ctx) override { return impl.run(ctx); }
  Status compensate(const StepImpl& impl, StepContext& ctx, const json& undo) override {
    return impl.inverse(ctx, undo);
  }
};

// The watchdog's key for the run's own deadline (step ids are never empty).
const std::string kRunDeadline;

}  // namespace

std::unique_ptr<StepRunner> real_runner() { return std::make_unique<RealRunner>(); }

std::string_view run_result_name(RunResult r) {
  switch (r) {
    case RunResult::kSucceeded: return "succeeded";
    case RunResult::kFailed: return "failed";
    case RunResult::kCancelled: return "cancelled";
    case RunResult::kRolledBack: return "rolled_back";
    case RunResult::kRollbackFailed: return "rollback_failed";
    case RunResult::kPartiallyFailed: return "partially_failed";
  }
  return "failed";
}

struct Executor::Impl {
  const dsl::Ir& ir;
  RunOptions opt;
  const Services& services;
  Clock& clock;
  Redactor& redactor;
  StepRunner& runner;
  JournalWriter* journal;
  EventSink sink;

  Watchdog watchdog;      // has its own lock
  Attempts attempts;      // has its own lock
  // The run's, or the rollback's: a failed journal write cancels it. Set by run() and
  // compensate() before any other thread starts; cancelling it is thread-safe.
  CancelToken run_token;
  ResolveScope scope;     // every step resolves through the same lookups; read-only

  std::mutex mu;  // guards everything below
  RunState state;
  // Every output of this process's steps, secret ones too. An entry is written once, when its
  // step succeeds, and read (through `scope`, after mu is released) only by steps that depend
  // on it, which start after that: the pointer scope.outputs hands out stays valid.
  std::map<std::string, json> live_outputs;
  std::vector<std::pair<std::string, int>> started;
  std::string fatal;
  int wave = 0;
  // Failed scopes whose compensation this process has started beside the phase's other steps
  // (start_ready_compensations), and the threads running them.
  std::set<std::string> compensating;
  std::vector<std::thread> scope_compensations;  // joined by join_scope_compensations, mu not held
  // The holds this process took and has not let go of yet, and those it let go of before the
  // end (HoldUse). Used by the run's own thread only.
  HoldUse hold_use{ir};
  std::vector<Hold> held;
  std::vector<Hold> let_go;

  Impl(const dsl::Ir& ir, RunOptions o, const Services& s, Clock& c, Redactor& r, StepRunner& run, JournalWriter* j,
       EventSink e, RunState prior)
      : ir(ir), opt(std::move(o)), services(s), clock(c), redactor(r), runner(run), journal(j), sink(std::move(e)),
        watchdog(c), attempts(c, watchdog, opt.seed), scope(make_scope()), state(std::move(prior)) {
    for (const auto& [name, value] : opt.secrets) redactor.add(value);
  }
  ~Impl() { join_scope_compensations(); }

  const StepImpl* impl_for(const std::string& type) { return opt.impls ? opt.impls(type) : nullptr; }

  // Journals an event, applies it to the state and shows it. REQUIRES: mu held. False (the run's
  // token cancelled, `fatal` set) if the journal could not take it.
  bool record(Event event, json fields, bool sync = true) {
    fields["t"] = clock.unix_ms();
    fields["event"] = event_name(event);
    fields = redactor.redact_json(fields);
    apply_event(fields, &state);
    if (journal) {
      std::string error;
      if (!journal->append(fields, &error, sync)) {
        if (fatal.empty()) fatal = error;
        run_token.cancel(ErrorClass::kCancelled, error);
        return false;
      }
    }
    if (sink) sink(event, fields);
    return true;
  }

  StepState state_of(const std::string& id) {
    auto it = state.steps.find(id);
    return it == state.steps.end() ? StepState::kPending : it->second.state;
  }

  // Whether the run is past step `id`: done, or left with its failed scope. REQUIRES: mu held.
  bool settled(const std::string& id) { return is_done(state_of(id)) || in_failed_scope(ir, state, id); }

  // ---- resolving ---------------------------------------------------------------------------

  ResolveScope make_scope() {
    ResolveScope s;
    s.ir = &ir;
    s.redactor = &redactor;
    s.placeholders = !runner.makes_outputs();
    s.outputs = [this](const std::string& id) -> const json* {
      if (!runner.makes_outputs()) return nullptr;
      std::lock_guard lock(mu);
      if (auto it = live_outputs.find(id); it != live_outputs.end()) return &it->second;
      auto it = state.steps.find(id);
      if (it != state.steps.end() && it->second.state == StepState::kSucceeded) return &it->second.outputs;
      return nullptr;
    };
    s.secret = [this](const std::string& name) -> std::optional<std::string> {
      auto it = opt.secrets.find(name);
      if (it == opt.secrets.end()) return std::nullopt;
      return it->second;
    };
    return s;
  }

  StepContext context_for(const dsl::IrStep& step) {
    StepContext ctx;
    ctx.step = &step;
    auto c = ir.clusters.find(step.cluster);
    ctx.cluster = c == ir.clusters.end() ? nullptr : &c->second;
    ctx.run_dir = opt.run_dir;
    ctx.clock = &clock;
    ctx.redactor = &redactor;
    ctx.services = &services;
    std::string id = step.id;
    ctx.log = [this, id](const std::string& line) {
      std::lock_guard lock(mu);
      if (sink) sink(Event::kLog, redactor.redact_json(json{{"step", id}, {"message", line}}));
    };
    ctx.progress = [this, id](const std::string& status) {
      std::lock_guard lock(mu);
      if (sink) sink(Event::kStepProgress, json{{"step", id}, {"status", redactor.redact(status)}});
    };
    ctx.taint = [this](const std::string& value) { redactor.add(value); };
    return ctx;
  }

  // ---- one step ----------------------------------------------------------------------------

  Status when_holds(const dsl::IrStep& step, bool* holds) {
    *holds = true;
    if (step.when.is_null()) return Status::Ok();
    json value;
    if (Status s = resolve_value(step.when, scope, &value); !s.ok()) return s;
    if (!runner.makes_outputs() && value.is_string()) return Status::Ok();  // a placeholder: decided at run time
    if (!value.is_boolean()) return Status::Invalid("`when` is " + std::string(value.type_name()) + ", not a bool");
    *holds = value.get<bool>();
    return Status::Ok();
  }

  void fail(const std::string& id, const Status& s, int attempts_made) {
    std::lock_guard lock(mu);
    Event event = s.error_class() == ErrorClass::kCancelled ? Event::kStepCancelled : Event::kStepFailed;
    record(event, {{"step", id}, {"class", error_class_name(s.error_class())}, {"message", s.message()},
                   {"attempts", attempts_made}});
  }

  // Runs the attempts of one step (on a worker, on the scheduler's thread, or for a rollback
  // block on the caller's). Journals its outcome. REQUIRES: mu not held.
  void execute(const dsl::IrStep& step) {
    const std::string& id = step.id;
    const StepImpl* impl = impl_for(step.type);
    bool quiet = impl && impl->local_only;  // no action outside ferry: no need to sync its events
    StepContext ctx = context_for(step);
    bool holds = true;
    if (Status s = when_holds(step, &holds); !s.ok()) return fail(id, s, 0);
    if (!holds) {
      std::lock_guard lock(mu);
      record(Event::kStepSkipped, {{"step", id}, {"reason", "`when` is false"}}, !quiet);
      return;
    }
    if (Status s = resolve_value(dsl::step_args(step), scope, &ctx.args); !s.ok()) return fail(id, s, 0);
    if (!impl) {
      return fail(id, Status::Invalid("this build of ferry has no implementation of step type '" + step.type + "'"), 0);
    }
    ctx.save_undo = [this, id](const json& undo) {
      std::lock_guard lock(mu);
      record(Event::kUndo, {{"step", id}, {"undo", undo}});
    };
    int first;
    {
      std::lock_guard lock(mu);
      first = state.steps.count(id) ? state.steps[id].attempts + 1 : 1;
    }
    int last = first;  // the journal's number of the latest attempt
    StepResult result;
    AttemptHooks hooks;
    hooks.start = [&](int attempt) {
      last = first + attempt - 1;
      std::lock_guard lock(mu);
      return record(Event::kStepStarted, {{"step", id}, {"attempt", last}}, !quiet) ? Status::Ok() : run_token.status();
    };
    hooks.act = [&] {
      maybe_crash(id + ":before");
      maybe_crash(id + ":during");
      result = runner.attempt(*impl, ctx);
      maybe_crash(id + ":after");
      return timeout_in_words(step, maybe_fail(id, result.status));
    };
    hooks.before_retry = [&](int, const Status& s, Millis wait) {
      std::lock_guard lock(mu);
      return record(Event::kAttemptFailed, {{"step", id}, {"attempt", last}, {"class", error_class_name(s.error_class())},
                                            {"message", s.message()}, {"retry_in_ms", wait.count()}});
    };
    Status s = attempts.run(step, ctx, run_token, hooks);
    // Recorded even when the journal has failed (then only in memory): the run's state says
    // what happened in this process.
    if (s.ok()) {
      succeed(step, result.outputs, last, quiet);
      maybe_crash(id + ":done");
      return;
    }
    fail(id, run_token.cancelled() ? run_token.status() : s, last);
  }

  void succeed(const dsl::IrStep& step, json outputs, int attempts_made, bool quiet) {
    if (outputs.is_null()) outputs = json::object();
    // A command's output need not be UTF-8; every output becomes JSON (the journal, the
    // arguments of later steps), so bad bytes are replaced here, the one way into the run.
    dsl::make_valid_utf8(&outputs);
    json journaled = json::object();
    std::vector<std::string> secret;
    const dsl::StepSchema* schema = dsl::find_step_schema(step.type);
    for (const auto& [name, value] : outputs.items()) {
      bool is_secret = false;
      if (schema) {
        for (const auto& o : schema->outputs) is_secret |= o.name == name && o.secret;
      }
      if (is_secret) {
        if (value.is_string()) redactor.add(value.get<std::string>());
        secret.push_back(name);
      } else {
        journaled[name] = value;
      }
    }
    std::lock_guard lock(mu);
    if (runner.makes_outputs()) live_outputs[step.id] = outputs;
    json fields = {{"step", step.id}, {"outputs", journaled}, {"attempts", attempts_made}};
    if (!secret.empty()) fields["secret_outputs"] = secret;
    record(Event::kStepSucceeded, fields, !quiet);
  }

  // ---- scheduling --------------------------------------------------------------------------

  // The pools a step counts against: its own, and its type's implicit one. REQUIRES: mu not held.
  std::vector<std::string> pools_of(const dsl::IrStep& step) {
    std::vector<std::string> pools;
    if (!step.pool.empty()) pools.push_back(step.pool);
    if (const StepImpl* impl = impl_for(step.type); impl && impl->implicit_pool) {
      StepContext ctx = context_for(step);
      // The implicit pool needs the resolved args (e.g. the pod); placeholders are fine for it.
      ResolveScope s = scope;
      s.placeholders = true;
      if (resolve_value(dsl::step_args(step), s, &ctx.args).ok()) {
        if (std::string p = impl->implicit_pool(ctx); !p.empty()) pools.push_back(p);
      }
    }
    return pools;
  }

  int depth_of(const std::string& pool) const {
    if (auto it = opt.pools.find(pool); it != opt.pools.end()) return std::max(1, it->second);
    if (auto it = ir.pools.find(pool); it != ir.pools.end()) return it->second;
    return 1;
  }

  // Runs the steps of one phase until all are done or the run stops. REQUIRES: mu not held.
  // False if the phase did not complete.
  bool run_phase(const dsl::IrPhase& phase, std::set<std::string>* failed, Workers& workers) {
    std::vector<PhaseSchedule::Step> pending;
    {
      std::lock_guard lock(mu);
      for (const std::string& id : phase.steps) {
        if (state_of(id) == StepState::kPending) pending.push_back({id, {}});
      }
    }
    for (PhaseSchedule::Step& p : pending) p.pools = pools_of(ir.steps.at(p.id));
    std::unique_lock lock(mu);
    PhaseSchedule schedule(
        ir, pending, [this](const std::string& id) { return is_done(state_of(id)); },
        [this](const std::string& pool) { return depth_of(pool); }, opt.parallelism);
    for (;;) {
      std::vector<std::string> inline_steps, worker_steps;
      if (!run_token.cancelled() && failed->empty() && fatal.empty()) {
        ++wave;
        for (const std::string& id : schedule.take_startable()) {
          started.emplace_back(id, wave);
          (runner.runs_inline(impl_for(ir.steps.at(id).type)) ? inline_steps : worker_steps).push_back(id);
        }
      }
      if (schedule.running() == 0) break;
      lock.unlock();
      release_done_holds();
      for (const std::string& id : worker_steps) workers.submit(id);
      for (const std::string& id : inline_steps) execute(ir.steps.at(id));
      // Every completion there is, before launching again. (A dry run's steps all run inline,
      // so its rounds are exactly the sets of steps that could run together: its waves.)
      std::vector<std::string> ended = workers.ended(/*wait=*/inline_steps.empty());
      ended.insert(ended.end(), inline_steps.begin(), inline_steps.end());
      lock.lock();
      for (const std::string& id : ended) {
        bool succeeded = is_done(state_of(id));
        schedule.finished(id, succeeded);
        if (succeeded) continue;
        // A step of a scope that failed for good fails its scope alone; a cancelled one, or one
        // the run's own end (its timeout, a journal error) stopped, stops the run as before.
        const std::string& scope = ir.steps.at(id).scope;
        if (!scope.empty() && state_of(id) == StepState::kFailed && !run_token.cancelled() && fatal.empty()) {
          fail_scope(scope, id, &schedule);
        } else {
          failed->insert(id);
        }
      }
      start_ready_compensations(schedule);
    }
    return std::all_of(phase.steps.begin(), phase.steps.end(), [&](const std::string& id) { return settled(id); });
  }

  // ---- failure scopes ----------------------------------------------------------------------

  // Step `id` of `scope` failed for good: the scope fails (journaled first: it announces the
  // compensation to come, as rollback_started does a run's), and what it stops is skipped.
  // REQUIRES: mu held.
  void fail_scope(const std::string& scope, const std::string& id, PhaseSchedule* schedule) {
    if (state.scopes.count(scope)) return;  // another of its steps failed first
    StepRecord r = state.steps[id];
    if (!record(Event::kScopeFailed, {{"scope", scope}, {"step", id}, {"class", r.error_class}, {"message", r.error}})) {
      return;
    }
    skip_stopped(scope, schedule);
  }

  // Skips the pending steps a failed scope stops (its own and their dependents, scopes.h), and
  // takes them out of the phase's `schedule` if there is one. REQUIRES: mu held.
  void skip_stopped(const std::string& scope, PhaseSchedule* schedule) {
    for (const std::string& id : stopped_by_scope(ir, scope)) {
      if (state_of(id) != StepState::kPending) continue;
      if (schedule) schedule->drop(id);
      if (!record(Event::kStepSkipped, {{"step", id}, {"reason", scope_skip_reason(scope)}})) return;
    }
  }

  // A failed scope is undone as soon as none of its steps runs any more, on a thread of its own
  // beside the phase's other steps: a hosted cluster whose migration failed goes back to its
  // source without waiting for the others to finish theirs. The steps it stopped were skipped
  // when it failed, so nothing the schedule starts depends on what is being undone.
  // REQUIRES: mu held.
  void start_ready_compensations(const PhaseSchedule& schedule) {
    if (run_token.cancelled() || !fatal.empty()) return;
    for (const auto& [scope, r] : state.scopes) {
      if (r.state != ScopeState::kFailed || compensating.count(scope)) continue;
      const std::vector<std::string> steps = scope_steps(ir, scope);
      if (std::any_of(steps.begin(), steps.end(), [&](const std::string& id) { return schedule.is_running(id); })) {
        continue;
      }
      compensating.insert(scope);
      scope_compensations.emplace_back([this, name = scope] { undo_failed_scope(name); });
    }
  }

  // Waits for the compensations start_ready_compensations started. REQUIRES: mu not held.
  void join_scope_compensations() {
    for (std::thread& t : scope_compensations) t.join();
    scope_compensations.clear();
  }

  // Undoes one failed scope's completed steps, newest first. REQUIRES: mu not held.
  void undo_failed_scope(const std::string& scope) {
    if (run_token.cancelled()) return;
    maybe_crash("scope:" + scope + ":failed");
    std::vector<std::string> order;
    {
      std::lock_guard lock(mu);
      order = scope_compensation_order(ir, state, scope);
    }
    roll_back_scope(ir, scope, order, saga_steps(run_token));
    maybe_crash("scope:" + scope + ":compensated");
  }

  // Compensates each failed scope whose compensation has not ended, once those already running
  // have: a scope that failed as the phase ended, or one an earlier process left (a crash, a
  // cancel). REQUIRES: mu not held, no step running.
  void compensate_failed_scopes() {
    join_scope_compensations();
    std::vector<std::string> due;
    {
      std::lock_guard lock(mu);
      for (const auto& [scope, r] : state.scopes) {
        if (r.state == ScopeState::kFailed) due.push_back(scope);
      }
    }
    for (const std::string& scope : due) {
      if (run_token.cancelled()) return;
      undo_failed_scope(scope);
    }
  }

  // resume --retry-scope: each named scope's steps, and those it stopped, start over. Only a
  // scope whose compensation ended may: what it did is undone. REQUIRES: mu held.
  bool retry_scopes() {
    for (const std::string& scope : opt.retry_scopes) {
      auto it = state.scopes.find(scope);
      if (it == state.scopes.end()) {
        fatal = "--retry-scope " + scope + ": the scope has not failed";
        return false;
      }
      if (it->second.state != ScopeState::kRolledBack) {
        fatal = "--retry-scope " + scope + ": the scope's compensation " +
                (it->second.state == ScopeState::kFailed ? "has not run yet" : "failed") +
                "; finish it first with ferry rollback DIR --scope " + scope;
        return false;
      }
      // Its steps, the steps of their rollback blocks (run by its compensation: they must run
      // again if it fails again) and the steps it stopped.
      std::set<std::string> steps;
      std::string reason = scope_skip_reason(scope);
      for (const auto& [id, r] : state.steps) {
        const dsl::IrStep* step = ir.find(id);
        if (step && (step->scope == scope || (r.state == StepState::kSkipped && r.skip_reason == reason))) {
          steps.insert(id);
        }
        if (!step || step->scope != scope) continue;
        for (const dsl::IrStep& undo : step->rollback_steps) {
          if (state.steps.count(undo.id)) steps.insert(undo.id);
        }
      }
      if (!record(Event::kScopeRetried, {{"scope", scope}, {"steps", steps}})) return false;
    }
    return true;
  }

  // ---- the run -----------------------------------------------------------------------------

  // Before a resumed or rolled-back run journals anything: the secrets earlier processes'
  // steps made (a presigned URL, a backup's Secret data) are registered again, so what this
  // process reads back that carries them is redacted too. REQUIRES: mu not held.
  void retaint_earlier() {
    std::vector<std::pair<const dsl::IrStep*, json>> made;
    {
      std::lock_guard lock(mu);
      for (const auto& [id, r] : state.steps) {
        const dsl::IrStep* step = ir.find(id);
        if (step && r.state == StepState::kSucceeded) made.emplace_back(step, r.outputs);
      }
    }
    for (const auto& [step, outputs] : made) {
      const StepImpl* impl = impl_for(step->type);
      if (!impl || !impl->retaint) continue;
      StepContext ctx = context_for(*step);
      Status s = resolve_value(dsl::step_args(*step), scope, &ctx.args);
      if (s.ok()) s = impl->retaint(ctx, outputs);
      if (!s.ok()) {
        ctx.log("cannot learn again the secrets this step made (" + s.message() +
                "); only the redactor's URL patterns hide them from what this run writes");
      }
    }
  }

  // Before resuming (resume.h): decides about the steps earlier processes left unfinished, and
  // journals the ones assumed done. REQUIRES: mu held.
  bool prepare_resume() {
    if (!retry_scopes()) return false;
    ResumeDecisions decisions = decide_unfinished(ir, &state, opt.rerun, opt.assume_done);
    if (!decisions.undecided.empty()) {
      fatal = undecided_message(decisions.undecided);
      return false;
    }
    for (const std::string& id : decisions.assumed_done) {
      if (!record(Event::kStepAssumedDone, {{"step", id}, {"reason", "--assume-done"}})) return false;
    }
    rerun_makers_of_secrets(ir, &state);
    return true;
  }

  dsl::OnFailure on_failure_for(const std::set<std::string>& failed) {
    if (opt.on_failure != dsl::OnFailure::kInherit) return opt.on_failure;
    for (const std::string& id : failed) {
      const dsl::IrStep& step = ir.steps.at(id);
      for (const dsl::IrPhase& p : ir.phases) {
        if (p.name == step.phase && p.on_failure != dsl::OnFailure::kInherit) return p.on_failure;
      }
    }
    return ir.on_failure == dsl::OnFailure::kInherit ? dsl::OnFailure::kStop : ir.on_failure;
  }

  // ---- holds -------------------------------------------------------------------------------

  // Takes every hold of the plan before anything changes (docs/fleet.md). A hold lost later stops
  // the run, as a journal failure does: it no longer owns what it was changing. False (`fatal`
  // set) when one is not free; `journal_refusal`: the refusal is journaled as the run's end, with
  // its class and message (a rollback journals none: its run's result stays what it was).
  // REQUIRES: mu not held (a loss is reported on the keeper's thread, which takes mu), run_token set.
  bool take_holds(bool journal_refusal) {
    if (!opt.holds) return true;
    std::vector<Hold> holds = plan_holds(ir);
    if (journal_refusal) {  // a run, not a rollback: what its earlier processes were done with stays free
      std::lock_guard lock(mu);
      std::vector<Hold> done = hold_use.done_with(state, holds);
      std::erase_if(holds, [&](const Hold& h) { return std::find(done.begin(), done.end(), h) != done.end(); });
    }
    if (holds.empty()) return true;
    Status s = opt.holds->take(holds, run_token, lost_hold());
    if (s.ok()) {
      held = std::move(holds);
      return true;
    }
    std::lock_guard lock(mu);
    if (fatal.empty()) fatal = s.message();
    if (!journal_refusal) return false;
    record(Event::kRunEnded,
           {{"result", "failed"}, {"class", error_class_name(s.error_class())}, {"message", s.message()}});
    return false;
  }

  // What a hold lost while held does: the run stops, as on a journal failure.
  HoldKeeper::LostFn lost_hold() {
    return [this](const Status& why) {
      std::lock_guard lock(mu);
      if (fatal.empty()) fatal = why.message();
      run_token.cancel(why.error_class(), why.message());
    };
  }

  // Lets go of the holds the run is done with before it ends: those only its ended failure
  // scopes declare (a fleet's hosted cluster is free for other runs once its migration and its
  // teardown are over). REQUIRES: mu not held.
  void release_done_holds() {
    if (!opt.holds || held.empty()) return;
    std::vector<Hold> done;
    {
      std::lock_guard lock(mu);
      done = hold_use.done_with(state, held);
    }
    if (done.empty()) return;
    std::erase_if(held, [&](const Hold& h) { return std::find(done.begin(), done.end(), h) != done.end(); });
    opt.holds->release(done);
    let_go.insert(let_go.end(), done.begin(), done.end());
  }

  // Before a rollback of the whole run: what it let go of is taken again, since the rollback may
  // undo the steps of ended scopes too. False (`fatal` set) when one is held by another run now:
  // nothing is undone then (`ferry rollback` does it once the hold is free). REQUIRES: mu not held.
  bool take_back_let_go() {
    if (!opt.holds || let_go.empty()) return true;
    std::sort(let_go.begin(), let_go.end());  // in plan_holds' order, as every run takes them
    Status s = opt.holds->take(let_go, run_token, lost_hold());
    if (!s.ok()) {
      std::lock_guard lock(mu);
      if (fatal.empty()) fatal = "cannot roll back: " + s.message();
      return false;
    }
    held.insert(held.end(), let_go.begin(), let_go.end());
    let_go.clear();
    return true;
  }

  // Lets the holds go once nothing of the run runs any more. REQUIRES: mu not held.
  void release_holds() {
    if (opt.holds) opt.holds->release();
    held.clear();
  }

  RunResult run(const CancelToken& cancel) {
    RunResult result = run_holding(cancel);
    release_holds();
    return result;
  }

  RunResult run_holding(const CancelToken& cancel) {
    if (!state.steps.empty()) retaint_earlier();
    run_token = cancel.child();
    {
      std::lock_guard lock(mu);
      bool resuming = !state.steps.empty();
      if (resuming && !prepare_resume()) return RunResult::kFailed;
      if (!record(Event::kRunStarted, {{"mode", resuming ? "resume" : "apply"},
                                       {"parallelism", opt.parallelism},
                                       {"user", user_name()},
                                       {"host", host_name()}})) {
        return RunResult::kFailed;
      }
    }
    if (!take_holds(true)) return RunResult::kFailed;
    {
      std::lock_guard lock(mu);
      // A resume: what the failed scopes stopped stays stopped (a crash may have come before
      // the skips were journaled).
      for (const auto& [scope, r] : state.scopes) skip_stopped(scope, nullptr);
    }
    watchdog.start();
    if (ir.timeout_ms) {
      watchdog.watch(kRunDeadline, clock.now() + Millis(*ir.timeout_ms), run_token,
                     "the run's timeout (" + ir.timeout + ") passed");
    }
    compensate_failed_scopes();  // those a crash left uncompensated
    std::set<std::string> failed;
    bool complete = true;
    {
      Workers workers(opt.parallelism, [this](const std::string& id) { execute(ir.steps.at(id)); });
      for (const dsl::IrPhase& phase : ir.phases) {
        bool all_done = std::all_of(phase.steps.begin(), phase.steps.end(), [&](const std::string& id) {
          std::lock_guard lock(mu);
          return settled(id);
        });
        if (all_done) continue;
        {
          std::lock_guard lock(mu);
          record(Event::kPhaseStarted, {{"phase", phase.name}});
        }
        bool phase_complete = run_phase(phase, &failed, workers);
        compensate_failed_scopes();
        release_done_holds();
        if (!phase_complete) {
          complete = false;
          break;
        }
      }
    }  // the workers end here: every step has ended
    watchdog.unwatch(kRunDeadline);
    watchdog.stop();
    std::lock_guard lock(mu);
    RunResult result = RunResult::kSucceeded;
    if (!fatal.empty()) {
      result = RunResult::kFailed;
    } else if (run_token.cancelled()) {
      result = run_token.status().error_class() == ErrorClass::kTimeout ? RunResult::kFailed : RunResult::kCancelled;
    } else if (!complete) {
      result = RunResult::kFailed;
    }
    if (result == RunResult::kFailed && !failed.empty() && fatal.empty() &&
        on_failure_for(failed) == dsl::OnFailure::kRollback) {
      // No rollback that the journal does not know is coming (the journal contract, below).
      if (!record(Event::kRunEnded, {{"result", "failed"}, {"next", "rollback"}})) return RunResult::kFailed;
      mu.unlock();
      RunResult r = take_back_let_go() ? compensate(cancel, "step " + *failed.begin() + " failed") : RunResult::kFailed;
      mu.lock();
      return r;
    }
    json ended = {{"result", run_result_name(result)}};
    if (result == RunResult::kSucceeded && !state.scopes.empty()) {
      result = RunResult::kPartiallyFailed;
      json scopes = json::array();
      for (const auto& [scope, r] : state.scopes) scopes.push_back(scope);
      ended = {{"result", run_result_name(result)}, {"failed_scopes", scopes}};
    }
    record(Event::kRunEnded, ended);
    return result;
  }

  // ---- rollback ----------------------------------------------------------------------------

  // Runs one compensation (with the step's retry policy). REQUIRES: mu not held.
  Status compensate_step(const dsl::IrStep& step, const std::optional<json>& undo, const CancelToken& cancel) {
    if (step.rollback == dsl::RollbackMode::kSteps) {
      auto order = rollback_block_order(step);
      if (!order) return Status::Invalid("the rollback block of '" + step.id + "' has a cycle");
      for (const dsl::IrStep* s : *order) {
        if (Status st = run_compensation_step(*s); !st.ok()) return st;
      }
      return Status::Ok();
    }
    const StepImpl* impl = impl_for(step.type);
    if (!impl || !impl->inverse) return Status::Invalid("step type '" + step.type + "' has no automatic rollback in this build");
    StepContext ctx = context_for(step);
    if (Status s = resolve_value(dsl::step_args(step), scope, &ctx.args); !s.ok()) return s;
    // The step's timeout bounds each attempt of its inverse too: a rollback must not hang on a
    // deletion that never finishes.
    AttemptHooks hooks;
    hooks.act = [&] { return runner.compensate(*impl, ctx, undo.value_or(json())); };
    return attempts.run(step, ctx, cancel, hooks);
  }

  // A step of a rollback block: an ordinary step, journaled under its own id.
  Status run_compensation_step(const dsl::IrStep& s) {
    {
      std::lock_guard lock(mu);
      if (state_of(s.id) == StepState::kSucceeded) return Status::Ok();  // done before a crash
    }
    execute(s);
    std::lock_guard lock(mu);
    const StepRecord& r = state.steps[s.id];
    if (is_done(r.state)) return Status::Ok();
    return Status::Error(error_class_from_name(r.error_class).value_or(ErrorClass::kFailed), r.error);
  }

  RunResult compensate(const CancelToken& cancel, const std::string& reason) {
    {
      // A journal failure cancels it: it stops a running compensation too. Under mu: a lost hold
      // cancels run_token from the keeper's thread.
      std::lock_guard lock(mu);
      run_token = cancel.child();
    }
    watchdog.start();
    RunResult result = compensate_all(run_token, reason);
    watchdog.stop();
    return result;
  }

  // The journal contract in a rollback (docs/journal.md; saga.h): no compensation runs unless
  // its compensation_started is on disk. Once a journal write fails, nothing more is undone: the
  // rollback ends as failed, and `ferry rollback DIR` goes on from the last journaled event once
  // the disk is fixed (a compensation whose end was not journaled runs again; they are
  // idempotent: a deletion of what is gone, a scale to the count it has).
  RunResult compensate_all(const CancelToken& cancel, const std::string& reason) {
    std::vector<std::string> order;
    {
      std::lock_guard lock(mu);
      order = compensation_order(ir, state);
    }
    return roll_back(ir, order, reason, saga_steps(cancel));
  }

  // `ferry rollback DIR --scope NAME`: fails the scope if it has not failed (skipping what it
  // stops, as a failure would), then compensates its steps; the rest of the run is left alone.
  RunResult compensate_scope(const CancelToken& cancel, const std::string& scope) {
    {
      std::lock_guard lock(mu);
      run_token = cancel.child();
    }
    watchdog.start();
    std::vector<std::string> order;
    {
      std::lock_guard lock(mu);
      if (!state.scopes.count(scope) &&
          record(Event::kScopeFailed, {{"scope", scope}, {"reason", "ferry rollback --scope " + scope}})) {
        skip_stopped(scope, nullptr);
      }
      order = scope_compensation_order(ir, state, scope);
    }
    RunResult result = roll_back_scope(ir, scope, order, saga_steps(run_token));
    watchdog.stop();
    return result;
  }

  // What the saga (saga.h) needs of this run, for a compensation under `cancel`.
  SagaSteps saga_steps(const CancelToken& cancel) {
    SagaSteps saga;
    saga.journal = [this](Event event, json fields) {
      std::lock_guard lock(mu);
      return record(event, std::move(fields));
    };
    saga.undo_of = [this](const std::string& id, const std::vector<std::string>& rollback,
                          json* left) -> std::optional<json> {
      std::lock_guard lock(mu);
      const std::optional<json>& undo = state.steps[id].undo;
      if (!undo) return undo;
      std::vector<ObjectInUse> kept;
      json rest = without_objects_in_use(state, id, *undo, rollback, &kept);
      for (const ObjectInUse& k : kept) {
        const json md = k.ref.value("metadata", json::object());
        json object = {{"kind", k.ref.value("kind", "")}, {"name", md.value("name", "")}, {"used_by", k.by}};
        if (md.contains("namespace")) object["namespace"] = md["namespace"];
        left->push_back(std::move(object));
      }
      return rest;
    };
    saga.compensate = [this, &cancel](const dsl::IrStep& step, const std::optional<json>& undo) {
      return compensate_step(step, undo, cancel);
    };
    saga.journal_error = [this] {
      std::lock_guard lock(mu);
      return fatal;
    };
    return saga;
  }
};

Executor::Executor(const dsl::Ir& ir, RunOptions options, const Services& services, Clock& clock, Redactor& redactor,
                   StepRunner& runner, JournalWriter* journal, EventSink sink, RunState prior)
    : impl_(std::make_unique<Impl>(ir, std::move(options), services, clock, redactor, runner, journal, std::move(sink),
                                   std::move(prior))) {}

Executor::~Executor() = default;

RunResult Executor::run(const CancelToken& cancel) { return impl_->run(cancel); }

// `ferry rollback` changes the clusters too: it holds what the run holds while it undoes it.
RunResult Executor::rollback(const CancelToken& cancel, const std::string& reason) {
  impl_->retaint_earlier();
  impl_->run_token = cancel.child();
  if (!impl_->take_holds(false)) return RunResult::kRollbackFailed;
  RunResult result = impl_->compensate(cancel, reason);
  impl_->release_holds();
  return result;
}

RunResult Executor::rollback_scope(const CancelToken& cancel, const std::string& scope) {
  impl_->retaint_earlier();
  impl_->run_token = cancel.child();
  if (!impl_->take_holds(false)) return RunResult::kRollbackFailed;
  RunResult result = impl_->compensate_scope(cancel, scope);
  impl_->release_holds();
  return result;
}

const RunState& Executor::state() const { return impl_->state; }
const std::vector<std::pair<std::string, int>>& Executor::started_order() const { return impl_->started; }
const std::string& Executor::fatal_error() const { return impl_->fatal; }

}  // namespace ferry::engine
