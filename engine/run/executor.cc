#include "engine/run/executor.h"

#include <signal.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "dsl/step_types.h"
#include "dsl/utf8.h"
#include "engine/run/resolve.h"
#include "engine/run/retry_policy.h"

namespace ferry::engine {
namespace {

// A test-only fault hook: FERRY_TEST_CRASH="STEP:POINT" kills ferry with SIGKILL at that point
// of that step, so the crash tests can stop a real process exactly where they want. POINT:
// before (step_started is journaled, nothing ran), during (300 ms into the attempt), after (the
// attempt returned, its outcome is not journaled), done (journaled); "undo:STEP:before|after"
// around a compensation.
void maybe_crash(const std::string& where) {
  static const char* spec = std::getenv("FERRY_TEST_CRASH");
  if (!spec || where != spec) return;
  if (where.ends_with(":during")) {
    std::thread([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      raise(SIGKILL);
    }).detach();
    return;
  }
  raise(SIGKILL);
}

// The same for failures: FERRY_TEST_FAIL="STEP" makes STEP's attempt fail for good once it has
// run (it took effect, as the worst real failure does), so the e2e tests can fail a migration at
// any step and check what the rollback leaves. Never set outside tests.
Status maybe_fail(const std::string& id, Status s) {
  static const char* spec = std::getenv("FERRY_TEST_FAIL");
  if (!spec || id != spec || !s.ok()) return s;
  return Status::Failed("injected failure (FERRY_TEST_FAIL=" + id + ")");
}

bool is_done(StepState s) { return s == StepState::kSucceeded || s == StepState::kSkipped; }

class RealRunner : public StepRunner {
 public:
  bool dry() const override { return false; }
  StepResult attempt(const StepImpl& impl, StepContext& ctx) override { return impl.run(ctx); }
  Status compensate(const StepImpl& impl, StepContext& ctx, const json& undo) override {
    return impl.inverse(ctx, undo);
  }
};

}  // namespace

std::unique_ptr<StepRunner> real_runner() { return std::make_unique<RealRunner>(); }

std::string_view run_result_name(RunResult r) {
  switch (r) {
    case RunResult::kSucceeded: return "succeeded";
    case RunResult::kFailed: return "failed";
    case RunResult::kCancelled: return "cancelled";
    case RunResult::kRolledBack: return "rolled_back";
    case RunResult::kRollbackFailed: return "rollback_failed";
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

  std::mutex mu;  // guards everything below
  RunState state;
  std::map<std::string, json> live_outputs;  // every output of this process's steps, secret ones too
  std::vector<std::pair<std::string, int>> started;
  std::string fatal;
  std::mt19937_64 rng;
  int wave = 0;

  // Workers and the queues between them and the scheduler.
  std::vector<std::thread> workers;
  std::deque<std::string> tasks;
  std::deque<std::string> done;
  std::condition_variable task_cv, done_cv;
  bool stopping = false;

  // Running attempts with a deadline, watched by the watchdog thread.
  struct Watched {
    Millis deadline;
    CancelToken token;
  };
  std::map<std::string, Watched> watched;
  std::thread watchdog;
  CancelToken run_token;
  Millis run_deadline{0};

  Impl(const dsl::Ir& ir, RunOptions o, const Services& s, Clock& c, Redactor& r, StepRunner& run, JournalWriter* j,
       EventSink e, RunState prior)
      : ir(ir), opt(std::move(o)), services(s), clock(c), redactor(r), runner(run), journal(j), sink(std::move(e)),
        state(std::move(prior)), rng(opt.seed ? opt.seed : std::random_device{}()) {
    for (const auto& [name, value] : opt.secrets) redactor.add(value);
  }

  ~Impl() { stop_threads(); }

  const StepImpl* impl_for(const std::string& type) { return opt.impls ? opt.impls(type) : find_step_impl(type); }

  // ---- journal ---------------------------------------------------------------------------

  // Journals an event, applies it to the state and shows it. REQUIRES: mu held.
  bool record(const std::string& event, json fields, bool sync = true) {
    fields["t"] = clock.unix_ms();
    fields["event"] = event;
    fields = redactor.redact_json(fields);
    const json& shown = fields;
    apply_event(shown, &state);
    if (journal) {
      std::string error;
      if (!journal->append(shown, &error, sync)) {
        if (fatal.empty()) fatal = error;
        run_token.cancel(ErrorClass::kCancelled, error);
        return false;
      }
    }
    if (sink) sink(event, shown);
    return true;
  }

  // ---- threads ---------------------------------------------------------------------------

  // Workers run steps; the watchdog enforces timeouts (also while compensating, with no workers).
  void start_threads(bool with_workers) {
    stopping = false;
    int n = with_workers && !runner.dry() ? std::max(1, opt.parallelism) : 0;
    for (int i = 0; i < n; ++i) workers.emplace_back([this] { worker_loop(); });
    if (!runner.dry()) watchdog = std::thread([this] { watchdog_loop(); });
  }

  void stop_threads() {
    {
      std::lock_guard lock(mu);
      stopping = true;
    }
    task_cv.notify_all();
    for (auto& w : workers) w.join();
    workers.clear();
    if (watchdog.joinable()) watchdog.join();
  }

  void worker_loop() {
    for (;;) {
      std::string id;
      {
        std::unique_lock lock(mu);
        task_cv.wait(lock, [&] { return stopping || !tasks.empty(); });
        if (tasks.empty()) return;
        id = tasks.front();
        tasks.pop_front();
      }
      execute(ir.steps.at(id));
      {
        std::lock_guard lock(mu);
        done.push_back(id);
      }
      done_cv.notify_one();
    }
  }

  // Cancels attempts past their deadline, and the run past its own.
  void watchdog_loop() {
    std::unique_lock lock(mu);
    while (!stopping) {
      Millis now = clock.now();
      for (auto& [id, w] : watched) {
        if (now >= w.deadline) w.token.cancel(ErrorClass::kTimeout, "timed out");
      }
      if (run_deadline.count() && now >= run_deadline) {
        run_token.cancel(ErrorClass::kTimeout, "the run's timeout (" + ir.timeout + ") passed");
      }
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      lock.lock();
    }
  }

  // ---- resolving -------------------------------------------------------------------------

  // Built once: every step resolves through the same lookups.
  const ResolveScope& scope() {
    if (!scope_.ir) scope_ = make_scope();
    return scope_;
  }
  ResolveScope scope_;

  ResolveScope make_scope() {
    ResolveScope s;
    s.ir = &ir;
    s.redactor = &redactor;
    s.placeholders = runner.dry();
    s.outputs = [this](const std::string& id) -> const json* {
      if (runner.dry()) return nullptr;
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
      if (sink) sink("log", redactor.redact_json(json{{"step", id}, {"message", line}}));
    };
    ctx.progress = [this, id](const std::string& status) {
      std::lock_guard lock(mu);
      if (sink) sink("step_progress", json{{"step", id}, {"status", redactor.redact(status)}});
    };
    ctx.taint = [this](const std::string& value) { redactor.add(value); };
    return ctx;
  }

  // ---- one step ----------------------------------------------------------------------------

  Status when_holds(const dsl::IrStep& step, bool* holds) {
    *holds = true;
    if (step.when.is_null()) return Status::Ok();
    json value;
    if (Status s = resolve_value(step.when, scope(), &value); !s.ok()) return s;
    if (runner.dry() && value.is_string()) return Status::Ok();  // decided at run time
    if (!value.is_boolean()) return Status::Invalid("`when` is " + std::string(value.type_name()) + ", not a bool");
    *holds = value.get<bool>();
    return Status::Ok();
  }

  void fail(const std::string& id, const Status& s, int attempts) {
    std::lock_guard lock(mu);
    std::string event = s.error_class() == ErrorClass::kCancelled ? "step_cancelled" : "step_failed";
    record(event, {{"step", id}, {"class", error_class_name(s.error_class())}, {"message", s.message()},
                   {"attempts", attempts}});
  }

  // Runs the attempts of one step (on a worker, or for a rollback block on the caller's
  // thread). Journals its outcome.
  void execute(const dsl::IrStep& step) {
    const std::string& id = step.id;
    const StepImpl* impl = impl_for(step.type);
    bool quiet = impl && impl->local_only;  // no action outside ferry: no need to sync its events
    StepContext ctx = context_for(step);
    bool holds = true;
    if (Status s = when_holds(step, &holds); !s.ok()) return fail(id, s, 0);
    if (!holds) {
      std::lock_guard lock(mu);
      record("step_skipped", {{"step", id}, {"reason", "`when` is false"}}, !quiet);
      return;
    }
    if (Status s = resolve_value(dsl::step_args(step), scope(), &ctx.args); !s.ok()) return fail(id, s, 0);
    if (!impl) {
      return fail(id, Status::Invalid("this build of ferry has no implementation of step type '" + step.type + "'"), 0);
    }
    std::string id_copy = id;
    ctx.save_undo = [this, id_copy](const json& undo) {
      std::lock_guard lock(mu);
      record("undo", {{"step", id_copy}, {"undo", undo}});
    };
    const int first = state_attempts(id) + 1;
    int last = first;  // the journal's number of the latest attempt
    StepResult result;
    auto once = [&](int attempt) {
      last = first + attempt - 1;
      {
        std::lock_guard lock(mu);
        if (!record("step_started", {{"step", id}, {"attempt", last}}, !quiet)) return run_token.status();
      }
      maybe_crash(id + ":before");
      maybe_crash(id + ":during");
      result = runner.attempt(*impl, ctx);
      maybe_crash(id + ":after");
      return timeout_in_words(step, maybe_fail(id, result.status));
    };
    auto before_retry = [&](int, const Status& s, Millis wait) {
      std::lock_guard lock(mu);
      return record("attempt_failed", {{"step", id}, {"attempt", last}, {"class", error_class_name(s.error_class())},
                                       {"message", s.message()}, {"retry_in_ms", wait.count()}});
    };
    Status s = attempt_loop(step, ctx, run_token, once, before_retry);
    // Recorded even when the journal has failed (then only in memory): the run's state says
    // what happened in this process.
    if (s.ok()) {
      succeed(step, result.outputs, last, quiet);
      maybe_crash(id + ":done");
      return;
    }
    fail(id, run_token.cancelled() ? run_token.status() : s, last);
  }

  // One attempt loop, for steps and compensations alike: each attempt gets a child of `cancel`
  // and, with the step's timeout, a deadline the watchdog enforces; a failure of a class the
  // step's retry policy names is retried after its backoff, once `before_retry` (told the
  // attempt, its status and the wait) agrees. Returns the last attempt's status, or the
  // cancellation's. REQUIRES: mu not held.
  Status attempt_loop(const dsl::IrStep& step, StepContext& ctx, const CancelToken& cancel,
                      const std::function<Status(int attempt)>& once,
                      const std::function<bool(int attempt, const Status&, Millis wait)>& before_retry) {
    const RetryPolicy policy = RetryPolicy::from_ir(step.retry);
    const auto timeout = step.timeout_ms;
    for (int attempt = 1;; ++attempt) {
      ctx.attempt = attempt;
      ctx.cancel = cancel.child();
      ctx.deadline = timeout ? clock.now() + Millis(*timeout) : Millis(0);
      if (ctx.deadline.count()) {
        std::lock_guard lock(mu);
        watched.insert_or_assign(step.id, Watched{ctx.deadline, ctx.cancel});
      }
      Status s = once(attempt);
      {
        std::lock_guard lock(mu);
        watched.erase(step.id);
      }
      if (s.ok() || cancel.cancelled() || attempt >= policy.attempts || !policy.retries(s.error_class())) return s;
      Millis wait;
      {
        std::lock_guard lock(mu);
        wait = policy.delay(attempt, rng);
      }
      if (!before_retry(attempt, s, wait)) return s;
      if (!clock.sleep_until(clock.now() + wait, cancel)) return cancel.status();
    }
  }

  // A timeout of the step's own `timeout` says so, once (the step's words may start with
  // "timed out" too).
  static Status timeout_in_words(const dsl::IrStep& step, Status s) {
    if (s.error_class() != ErrorClass::kTimeout || !step.timeout_ms) return s;
    std::string detail = s.message().starts_with("timed out") ? s.message().substr(9) : s.message();
    while (!detail.empty() && (detail[0] == ':' || detail[0] == ' ')) detail.erase(0, 1);
    if (detail.starts_with("(") && detail.ends_with(")")) detail = detail.substr(1, detail.size() - 2);
    return Status::Timeout("timed out after " + step.timeout + " (the step's timeout)" + (detail.empty() ? "" : ": " + detail));
  }

  int state_attempts(const std::string& id) {
    std::lock_guard lock(mu);
    auto it = state.steps.find(id);
    return it == state.steps.end() ? 0 : it->second.attempts;
  }

  void succeed(const dsl::IrStep& step, json outputs, int attempts, bool quiet) {
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
    if (!runner.dry()) live_outputs[step.id] = outputs;
    json fields = {{"step", step.id}, {"outputs", journaled}, {"attempts", attempts}};
    if (!secret.empty()) fields["secret_outputs"] = secret;
    record("step_succeeded", fields, !quiet);
  }

  // ---- scheduling --------------------------------------------------------------------------

  std::vector<std::string> pools_of(const dsl::IrStep& step) {
    std::vector<std::string> pools;
    if (!step.pool.empty()) pools.push_back(step.pool);
    if (const StepImpl* impl = impl_for(step.type); impl && impl->implicit_pool) {
      StepContext ctx = context_for(step);
      // The implicit pool needs the resolved args (e.g. the pod); placeholders are fine for it.
      ResolveScope s = scope();
      s.placeholders = true;
      if (resolve_value(dsl::step_args(step), s, &ctx.args).ok()) {
        if (std::string p = impl->implicit_pool(ctx); !p.empty()) pools.push_back(p);
      }
    }
    return pools;
  }

  int depth_of(const std::string& pool) {
    auto it = opt.pools.find(pool);
    return it == opt.pools.end() ? 1 : std::max(1, it->second);
  }

  StepState state_of(const std::string& id) {
    auto it = state.steps.find(id);
    return it == state.steps.end() ? StepState::kPending : it->second.state;
  }

  // A dry run records, and a local_only step does nothing outside ferry: handing either to a
  // worker would only add two thread switches per step, so the scheduler runs them itself.
  bool runs_inline(const dsl::IrStep& step) {
    if (runner.dry()) return true;
    const StepImpl* impl = impl_for(step.type);
    return impl && impl->local_only;
  }

  // Runs the steps of one phase until all are done or the run stops. REQUIRES: mu not held.
  // False if the phase did not complete.
  bool run_phase(const dsl::IrPhase& phase, std::set<std::string>* failed) {
    // Each pending step waits for a count of unfinished dependencies; a finished step counts
    // down its dependents', so scheduling costs O(edges), not a scan of the phase per step.
    std::set<std::string> ready;  // ordered: ties start in id order, deterministically
    std::map<std::string, int> waiting;
    std::map<std::string, std::vector<std::string>> dependents;
    std::map<std::string, std::vector<std::string>> step_pools;
    {
      std::lock_guard lock(mu);
      for (const std::string& id : phase.steps) {
        if (state_of(id) != StepState::kPending) continue;
        int unfinished = 0;
        for (const std::string& d : ir.steps.at(id).deps) {
          if (!is_done(state_of(d))) {
            ++unfinished;
            dependents[d].push_back(id);
          }
        }
        if (unfinished) {
          waiting[id] = unfinished;
        } else {
          ready.insert(id);
        }
      }
    }
    for (const std::string& id : phase.steps) step_pools[id] = pools_of(ir.steps.at(id));
    std::set<std::string> running;
    std::map<std::string, int> pool_use;
    const size_t parallelism = std::max(1, opt.parallelism);
    for (;;) {
      std::unique_lock lock(mu);
      bool stop_launching = run_token.cancelled() || !failed->empty() || !fatal.empty();
      bool launched = false;
      std::vector<std::string> inline_steps;
      if (!stop_launching) {
        ++wave;
        for (auto it = ready.begin(); it != ready.end() && running.size() < parallelism;) {
          const auto& pools = step_pools[*it];
          bool free = std::all_of(pools.begin(), pools.end(), [&](const std::string& p) { return pool_use[p] < depth_of(p); });
          if (!free) {
            ++it;
            continue;
          }
          for (const std::string& p : pools) ++pool_use[p];
          running.insert(*it);
          started.emplace_back(*it, wave);
          if (runs_inline(ir.steps.at(*it))) {
            inline_steps.push_back(*it);
          } else {
            tasks.push_back(*it);
            launched = true;
          }
          it = ready.erase(it);
        }
      }
      if (launched) task_cv.notify_all();
      if (!inline_steps.empty()) {
        lock.unlock();
        for (const std::string& id : inline_steps) execute(ir.steps.at(id));
        lock.lock();
        done.insert(done.end(), inline_steps.begin(), inline_steps.end());
      }
      if (running.empty()) break;
      done_cv.wait(lock, [&] { return !done.empty(); });
      // Every completion there is, before launching again. (A dry run's steps all run inline,
      // so its rounds are exactly the sets of steps that could run together: its waves.)
      while (!done.empty()) {
        std::string id = done.front();
        done.pop_front();
        running.erase(id);
        for (const std::string& p : step_pools[id]) --pool_use[p];
        if (!is_done(state_of(id))) {
          failed->insert(id);
          continue;
        }
        for (const std::string& d : dependents[id]) {
          if (--waiting[d] == 0) {
            waiting.erase(d);
            ready.insert(d);
          }
        }
      }
    }
    std::lock_guard lock(mu);
    return std::all_of(phase.steps.begin(), phase.steps.end(), [&](const std::string& id) { return is_done(state_of(id)); });
  }

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
      Status s = resolve_value(dsl::step_args(*step), scope(), &ctx.args);
      if (s.ok()) s = impl->retaint(ctx, outputs);
      if (!s.ok()) {
        ctx.log("cannot learn again the secrets this step made (" + s.message() +
                "); only the redactor's URL patterns hide them from what this run writes");
      }
    }
  }

  // Before resuming: decide about steps a crash left started but unfinished.
  bool prepare_resume(std::string* error) {
    std::vector<std::string> undecided;
    for (auto& [id, r] : state.steps) {
      const dsl::IrStep* step = ir.find(id);
      if (!step) continue;
      if (r.state == StepState::kFailed || r.state == StepState::kCancelled) r.state = StepState::kPending;
      if (r.state != StepState::kRunning) continue;
      const dsl::StepSchema* schema = dsl::find_step_schema(step->type);
      if ((schema && schema->idempotent) || opt.rerun.count(id)) {
        r.state = StepState::kPending;
      } else if (opt.assume_done.count(id)) {
        record("step_assumed_done", {{"step", id}, {"reason", "--assume-done"}});
      } else {
        undecided.push_back(id);
      }
    }
    // Secret outputs are not journaled: a step that made one reruns if a step still to run needs it.
    for (auto& [id, r] : state.steps) {
      if (r.state != StepState::kSucceeded || r.secret_outputs.empty()) continue;
      for (const auto& [other, step] : ir.steps) {
        bool pending = !is_done(state_of(other));
        if (pending && std::find(step.deps.begin(), step.deps.end(), id) != step.deps.end()) {
          r.state = StepState::kPending;
          break;
        }
      }
    }
    if (undecided.empty()) return true;
    *error = "these steps started but did not finish, and are not safe to simply run again:";
    for (const auto& id : undecided) *error += " " + id;
    *error += ". Check what they did, then resume with --rerun ID (run it again) or --assume-done ID (it took effect)";
    return false;
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

  RunResult run(const CancelToken& cancel) {
    if (!state.steps.empty()) retaint_earlier();
    run_token = cancel.child();
    if (ir.timeout_ms) run_deadline = clock.now() + Millis(*ir.timeout_ms);
    {
      std::lock_guard lock(mu);
      bool resuming = !state.steps.empty();
      std::string error;
      if (resuming && !prepare_resume(&error)) {
        fatal = error;
        return RunResult::kFailed;
      }
      record("run_started", {{"mode", resuming ? "resume" : "apply"}, {"parallelism", opt.parallelism}});
    }
    start_threads(true);
    std::set<std::string> failed;
    bool complete = true;
    for (const dsl::IrPhase& phase : ir.phases) {
      bool all_done = std::all_of(phase.steps.begin(), phase.steps.end(), [&](const std::string& id) {
        std::lock_guard lock(mu);
        return is_done(state_of(id));
      });
      if (all_done) continue;
      {
        std::lock_guard lock(mu);
        record("phase_started", {{"phase", phase.name}});
      }
      if (!run_phase(phase, &failed)) {
        complete = false;
        break;
      }
    }
    stop_threads();
    std::lock_guard lock(mu);
    RunResult result = RunResult::kSucceeded;
    if (!fatal.empty()) {
      result = RunResult::kFailed;
    } else if (run_token.cancelled()) {
      result = run_token.status().error_class() == ErrorClass::kTimeout ? RunResult::kFailed : RunResult::kCancelled;
    } else if (!complete) {
      result = RunResult::kFailed;
    }
    if (result == RunResult::kFailed && !failed.empty() && fatal.empty() && !runner.dry() &&
        on_failure_for(failed) == dsl::OnFailure::kRollback) {
      // No rollback that the journal does not know is coming (the journal contract, below).
      if (!record("run_ended", {{"result", "failed"}, {"next", "rollback"}})) return RunResult::kFailed;
      mu.unlock();
      RunResult r = compensate(cancel, "step " + *failed.begin() + " failed");
      mu.lock();
      return r;
    }
    record("run_ended", {{"result", run_result_name(result)}});
    return result;
  }

  // ---- rollback ----------------------------------------------------------------------------

  // Runs one compensation (with the step's retry policy). REQUIRES: mu not held.
  Status compensate_step(const dsl::IrStep& step, const std::optional<json>& undo, const CancelToken& cancel) {
    if (step.rollback == dsl::RollbackMode::kSteps) {
      // The block's steps run in order of their dependencies among themselves.
      std::vector<const dsl::IrStep*> order;
      std::set<std::string> placed;
      while (order.size() < step.rollback_steps.size()) {
        size_t before = order.size();
        for (const dsl::IrStep& s : step.rollback_steps) {
          if (placed.count(s.id)) continue;
          bool ready = std::all_of(s.deps.begin(), s.deps.end(), [&](const std::string& d) {
            return placed.count(d) || std::none_of(step.rollback_steps.begin(), step.rollback_steps.end(),
                                                   [&](const dsl::IrStep& o) { return o.id == d; });
          });
          if (ready) {
            order.push_back(&s);
            placed.insert(s.id);
          }
        }
        if (order.size() == before) return Status::Invalid("the rollback block of '" + step.id + "' has a cycle");
      }
      for (const dsl::IrStep* s : order) {
        if (Status st = run_compensation_step(*s); !st.ok()) return st;
      }
      return Status::Ok();
    }
    const StepImpl* impl = impl_for(step.type);
    if (!impl || !impl->inverse) return Status::Invalid("step type '" + step.type + "' has no automatic rollback in this build");
    StepContext ctx = context_for(step);
    if (Status s = resolve_value(dsl::step_args(step), scope(), &ctx.args); !s.ok()) return s;
    // The step's timeout bounds each attempt of its inverse too: a rollback must not hang on a
    // deletion that never finishes.
    return attempt_loop(
        step, ctx, cancel, [&](int) { return runner.compensate(*impl, ctx, undo.value_or(json())); },
        [](int, const Status&, Millis) { return true; });
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
    if (r.state == StepState::kSucceeded || r.state == StepState::kSkipped) return Status::Ok();
    return Status::Error(error_class_from_name(r.error_class).value_or(ErrorClass::kFailed), r.error);
  }

  RunResult compensate(const CancelToken& cancel, const std::string& reason) {
    run_token = cancel.child();
    run_deadline = Millis(0);
    start_threads(false);
    RunResult result = compensate_all(run_token, reason);  // a journal failure cancels run_token: it stops a running compensation too
    stop_threads();
    return result;
  }

  // The journal contract in a rollback (docs/journal.md): no compensation runs unless its
  // compensation_started is on disk. Once a journal write fails, nothing more is undone: the
  // rollback ends as failed, and `ferry rollback DIR` goes on from the last journaled event once
  // the disk is fixed (a compensation whose end was not journaled runs again; they are
  // idempotent: a deletion of what is gone, a scale to the count it has).
  RunResult compensate_all(const CancelToken& cancel, const std::string& reason) {
    std::vector<std::pair<int64_t, std::string>> order;
    {
      std::lock_guard lock(mu);
      if (!record("rollback_started", {{"reason", reason}})) return RunResult::kRollbackFailed;
      for (const auto& [id, r] : state.steps) {
        if (!ir.find(id) || r.completed_seq == 0) continue;
        bool changed = r.state == StepState::kSucceeded || (r.state == StepState::kFailed && r.undo);
        if (changed && r.undo_state != UndoState::kDone && r.undo_state != UndoState::kSkipped) {
          order.emplace_back(r.completed_seq, id);
        }
      }
    }
    std::sort(order.rbegin(), order.rend());
    // A failed compensation stops the rollback: what comes after it in reverse order was done
    // before it, and undoing it now may be unsafe (the stock plans unpause the source only after
    // the destination is known to be inert). `ferry rollback DIR` goes on from there.
    bool all_ok = true;
    json not_undone = json::array();
    for (const auto& [seq, id] : order) {
      if (!all_ok) {
        not_undone.push_back(id);
        continue;
      }
      const dsl::IrStep& step = ir.steps.at(id);
      std::optional<json> undo;
      {
        std::lock_guard lock(mu);
        if (step.rollback == dsl::RollbackMode::kNone) {
          all_ok = record("compensation_skipped", {{"step", id}, {"reason", "rollback = none"}});
          continue;
        }
        undo = state.steps[id].undo;
        if (!record("compensation_started", {{"step", id}})) {
          all_ok = false;
          not_undone.push_back(id);
          continue;
        }
      }
      maybe_crash("undo:" + id + ":before");
      Status s = compensate_step(step, undo, cancel);
      maybe_crash("undo:" + id + ":after");
      std::lock_guard lock(mu);
      if (s.ok() && fatal.empty()) {
        all_ok = record("compensation_succeeded", {{"step", id}});
      } else {
        all_ok = false;
        if (s.ok()) s = Status::Error(ErrorClass::kFailed, fatal);  // a rollback block's step could not journal
        record("compensation_failed", {{"step", id}, {"class", error_class_name(s.error_class())}, {"message", s.message()}});
      }
    }
    std::lock_guard lock(mu);
    RunResult result = all_ok ? RunResult::kRolledBack : RunResult::kRollbackFailed;
    json ended = {{"result", run_result_name(result)}};
    if (!not_undone.empty()) ended["not_undone"] = not_undone;
    record("run_ended", ended);
    return result;
  }
};

Executor::Executor(const dsl::Ir& ir, RunOptions options, const Services& services, Clock& clock, Redactor& redactor,
                   StepRunner& runner, JournalWriter* journal, EventSink sink, RunState prior)
    : impl_(std::make_unique<Impl>(ir, std::move(options), services, clock, redactor, runner, journal, std::move(sink),
                                   std::move(prior))) {}

Executor::~Executor() = default;

RunResult Executor::run(const CancelToken& cancel) { return impl_->run(cancel); }

RunResult Executor::rollback(const CancelToken& cancel, const std::string& reason) {
  impl_->retaint_earlier();
  return impl_->compensate(cancel, reason);
}

const RunState& Executor::state() const { return impl_->state; }
const std::vector<std::pair<std::string, int>>& Executor::started_order() const { return impl_->started; }
const std::string& Executor::fatal_error() const { return impl_->fatal; }

}  // namespace ferry::engine
