// The scheduler, retries, timeouts, cancellation and rollback, with scripted step types and
// (where time matters) a virtual clock.
#include "engine/run/executor.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "engine/run/journal.h"
#include "engine/steps/registry.h"
#include "engine/steps/services.h"

#include "engine/run/run_state.h"
#include "tests/engine/test_plan.h"

namespace ferry::engine {
namespace {

using testing::compile_text;
using testing::Script;

struct Harness {
  Script script;
  std::map<std::string, StepImpl> impls;
  RunOptions options;
  Services services;
  Redactor redactor;
  FakeClock fake_clock;
  bool use_fake_clock = false;
  JournalWriter* journal = nullptr;
  std::vector<std::pair<std::string, json>> events;

  Harness() {
    for (const char* type : {"noop", "shell"}) impls[type] = script.impl(type);
    options.impls = [this](const std::string& type) -> const StepImpl* {
      auto it = impls.find(type);
      return it == impls.end() ? nullptr : &it->second;
    };
    options.seed = 1;
  }

  RunResult run(const dsl::Ir& ir, CancelToken cancel = {}) {
    auto runner = real_runner();
    Clock& clock = use_fake_clock ? static_cast<Clock&>(fake_clock) : real_clock();
    Executor ex(ir, options, services, clock, redactor, *runner, journal,
                [this](Event e, const json& f) { events.emplace_back(std::string(event_name(e)), f); });
    RunResult r = ex.run(cancel);
    state = ex.state();
    fatal = ex.fatal_error();
    return r;
  }

  // `ferry rollback` of the run so far: an executor that starts from its state.
  RunResult rollback(const dsl::Ir& ir) {
    auto runner = real_runner();
    Executor ex(ir, options, services, real_clock(), redactor, *runner, nullptr,
                [this](Event e, const json& f) { events.emplace_back(std::string(event_name(e)), f); }, state);
    RunResult r = ex.rollback(CancelToken{}, "rollback asked for");
    state = ex.state();
    return r;
  }

  size_t index_of(const std::vector<std::string>& v, const std::string& id) {
    return std::find(v.begin(), v.end(), id) - v.begin();
  }

  std::vector<json> events_named(const std::string& name) {
    std::vector<json> out;
    for (auto& [e, f] : events) {
      if (e == name) out.push_back(f);
    }
    return out;
  }

  RunState state;
  std::string fatal;
};

// A journal file that fails from the first line containing `fail_from` on, as a full disk does:
// the lines before it are kept in `lines`.
struct FailingJournalFile : JournalFile {
  std::string fail_from;
  std::vector<std::string>* lines;
  bool failing = false;
  FailingJournalFile(std::string from, std::vector<std::string>* out) : fail_from(std::move(from)), lines(out) {}
  bool append(const std::string& bytes, bool, std::string* error) override {
    failing = failing || bytes.find(fail_from) != std::string::npos;
    if (failing) {
      *error = "No space left on device";
      return false;
    }
    lines->push_back(bytes);
    return true;
  }
};

TEST(Executor, RespectsDependenciesAndPhaseOrder) {
  Harness h;
  dsl::Ir ir = compile_text(R"(plan "p" {
    phase one {
      step a = noop {}
      step b = noop { after = [a] }
      step c = noop { after = [a] }
      step d = noop { after = [b, c] }
    }
    phase two {
      step e = noop {}
    }
  })");
  ASSERT_EQ(h.run(ir), RunResult::kSucceeded);
  auto& s = h.script.started;
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[0], "a");
  EXPECT_LT(h.index_of(s, "b"), h.index_of(s, "d"));
  EXPECT_LT(h.index_of(s, "c"), h.index_of(s, "d"));
  // Phase two starts only when phase one is done, though e depends on nothing.
  EXPECT_EQ(s.back(), "e");
}

TEST(Executor, BoundsParallelismAndPools) {
  Harness h;
  std::string steps;
  for (int i = 0; i < 12; ++i) {
    std::string id = "w" + std::to_string(i);
    // shell, not noop: the scheduler runs noop steps itself, without a worker.
    steps += "step " + id + " = shell { argv = [\"x\"] " + (i < 6 ? " pool = \"narrow\" " : "") + "}\n";
    h.script.sleep_ms[id] = 30;
    if (i < 6) h.script.pool_of[id] = {"narrow"};
  }
  dsl::Ir ir = compile_text("plan \"wide\" { phase p {\n" + steps + "} }");
  h.options.parallelism = 3;
  h.options.pools["narrow"] = 1;
  ASSERT_EQ(h.run(ir), RunResult::kSucceeded);
  EXPECT_EQ(h.script.finished.size(), 12u);
  EXPECT_LE(h.script.max_running, 3);
  EXPECT_GT(h.script.max_running, 1);
  EXPECT_EQ(h.script.pool_max["narrow"], 1);
}

// The plan's `pools` gives a pool its depth; --pool (RunOptions::pools) overrides it.
TEST(Executor, ThePlanSetsAPoolsDepthAndThePoolOptionOverridesIt) {
  auto run = [](std::optional<int> option) {
    Harness h;
    std::string steps;
    for (int i = 0; i < 6; ++i) {
      std::string id = "w" + std::to_string(i);
      steps += "step " + id + " = shell { argv = [\"x\"]  pool = \"restore\" }\n";
      h.script.sleep_ms[id] = 30;
      h.script.pool_of[id] = {"restore"};
    }
    dsl::Ir ir = compile_text("plan \"fleet\" {\n pools = { restore = 3 }\n phase p {\n" + steps + "} }");
    EXPECT_EQ(ir.pools.at("restore"), 3);
    h.options.parallelism = 6;
    if (option) h.options.pools["restore"] = *option;
    EXPECT_EQ(h.run(ir), RunResult::kSucceeded);
    EXPECT_EQ(h.script.finished.size(), 6u);
    return h.script.pool_max["restore"];
  };
  int planned = run(std::nullopt);
  EXPECT_LE(planned, 3);
  EXPECT_GT(planned, 1);
  EXPECT_EQ(run(1), 1);
}

TEST(Executor, WhenIsEvaluatedFromOutputsWhenTheStepIsReady) {
  Harness h;
  dsl::Ir ir = compile_text(R"(plan "p" {
    phase one {
      step probe = shell { argv = ["x"] }
      step yes = noop { when = probe.stdout == "go" }
      step no = noop { when = probe.stdout == "stop" }
    }
  })");
  h.script.outputs["probe"] = {{"stdout", "go"}, {"exit_code", 0}};
  ASSERT_EQ(h.run(ir), RunResult::kSucceeded);
  EXPECT_EQ(h.state.steps["yes"].state, StepState::kSucceeded);
  EXPECT_EQ(h.state.steps["no"].state, StepState::kSkipped);
  EXPECT_EQ(h.index_of(h.script.started, "no"), h.script.started.size());
}

TEST(Executor, RetriesRetryableClassesWithExponentialBackoff) {
  Harness h;
  h.use_fake_clock = true;
  dsl::Ir ir = compile_text(R"(plan "p" {
    phase one {
      step flaky = noop {
        retry { attempts = 4  backoff = exponential("1s", "3s")  jitter = false }
      }
    }
  })");
  h.script.failures["flaky"] = {ErrorClass::kTransient, ErrorClass::kTimeout, ErrorClass::kTransient};
  ASSERT_EQ(h.run(ir), RunResult::kSucceeded);
  EXPECT_EQ(h.script.attempts["flaky"], 4);
  EXPECT_EQ(h.fake_clock.sleeps(), (std::vector<Millis>{Millis(1000), Millis(2000), Millis(3000)}));
  auto failed = h.events_named("attempt_failed");
  ASSERT_EQ(failed.size(), 3u);
  EXPECT_EQ(failed[1]["class"], "timeout");
  EXPECT_EQ(failed[2]["retry_in_ms"], 3000);
}

TEST(Executor, JitterStaysWithinHalfTheDelay) {
  Harness h;
  h.use_fake_clock = true;
  dsl::Ir ir = compile_text(R"(plan "p" { phase one { step s = noop { retry { attempts = 6  backoff = constant("10s") } } } })");
  h.script.failures["s"] = std::vector<ErrorClass>(5, ErrorClass::kTransient);
  ASSERT_EQ(h.run(ir), RunResult::kSucceeded);
  auto sleeps = h.fake_clock.sleeps();
  ASSERT_EQ(sleeps.size(), 5u);
  for (Millis m : sleeps) {
    EXPECT_GE(m, Millis(5000));
    EXPECT_LE(m, Millis(10000));
  }
  EXPECT_FALSE(std::all_of(sleeps.begin(), sleeps.end(), [&](Millis m) { return m == sleeps[0]; }));
}

TEST(Executor, DoesNotRetryOtherClassesAndStopsTheRun) {
  Harness h;
  dsl::Ir ir = compile_text(R"(plan "p" {
    phase one {
      step bad = noop { retry { attempts = 5 } }
      step later = noop { after = [bad] }
    }
    phase two { step never = noop {} }
  })");
  h.script.failures["bad"] = {ErrorClass::kInvalid};
  ASSERT_EQ(h.run(ir), RunResult::kFailed);
  EXPECT_EQ(h.script.attempts["bad"], 1);
  EXPECT_EQ(h.state.steps["bad"].state, StepState::kFailed);
  EXPECT_EQ(h.state.steps["bad"].error_class, "invalid");
  EXPECT_FALSE(h.state.steps.count("later"));
  EXPECT_FALSE(h.state.steps.count("never"));
}

TEST(Executor, TimesOutAStepOnTheVirtualClock) {
  Harness h;
  h.use_fake_clock = true;
  dsl::Ir ir = compile_text(R"(plan "p" { phase one { step slow = noop { timeout = "10s" } } })");
  h.script.virtual_sleep_ms["slow"] = 3600 * 1000;
  ASSERT_EQ(h.run(ir), RunResult::kFailed);
  EXPECT_EQ(h.state.steps["slow"].error_class, "timeout");
  EXPECT_NE(h.state.steps["slow"].error.find("timed out after 10s"), std::string::npos) << h.state.steps["slow"].error;
  EXPECT_EQ(h.fake_clock.now(), Millis(10000));
}

TEST(Executor, TheStepsTimeoutBoundsItsCompensationToo) {
  Harness h;
  h.use_fake_clock = true;
  dsl::Ir ir = compile_text(R"(plan "p" {
    on_failure = "rollback"
    phase one {
      step stuck = noop { timeout = "30s"  rollback = auto  retry { attempts = 1 } }
      step fine = noop { rollback = auto  after = [stuck] }
      step boom = noop { after = [fine] }
    }
  })");
  h.script.failures["boom"] = {ErrorClass::kInvalid};
  h.script.inverse_virtual_sleep_ms["stuck"] = 3600 * 1000;  // a deletion that never finishes
  ASSERT_EQ(h.run(ir), RunResult::kRollbackFailed);
  EXPECT_EQ(h.state.steps["stuck"].undo_state, UndoState::kFailed);
  EXPECT_EQ(h.state.steps["fine"].undo_state, UndoState::kDone);
  std::vector<json> failed = h.events_named("compensation_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["class"], "timeout") << failed[0].dump();
  EXPECT_EQ(h.fake_clock.now(), Millis(30000));
}

TEST(Executor, CancellationStopsARunningCommand) {
  Harness h;
  h.options.impls = find_step_impl;  // the real shell step
  dsl::Ir ir = compile_text(R"(plan "p" {
    phase one { step long = shell { argv = ["sleep", "30"] } }
    phase two { step after_it = noop {} }
  })");
  CancelToken cancel;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel.cancel(ErrorClass::kCancelled, "interrupted");
  });
  RunResult r = h.run(ir, cancel);
  stopper.join();
  EXPECT_EQ(r, RunResult::kCancelled);
  EXPECT_EQ(h.state.steps["long"].state, StepState::kCancelled);
  EXPECT_FALSE(h.state.steps.count("after_it"));
}

TEST(Executor, RollsBackCompletedStepsInReverseCompletionOrder) {
  Harness h;
  dsl::Ir ir = compile_text(R"(plan "p" {
    on_failure = "rollback"
    phase one {
      step a = noop { rollback = auto }
      step b = noop { rollback = auto  after = [a] }
      step kept = noop { rollback = none  after = [b] }
      step c = noop { rollback = auto  after = [kept] }
    }
    phase two { step boom = noop {} }
  })");
  h.script.failures["boom"] = {ErrorClass::kInvalid};
  ASSERT_EQ(h.run(ir), RunResult::kRolledBack);
  EXPECT_EQ(h.script.compensated, (std::vector<std::string>{"c", "b", "a"}));
  EXPECT_EQ(h.state.steps["kept"].undo_state, UndoState::kSkipped);
  EXPECT_EQ(h.state.steps["a"].undo_state, UndoState::kDone);
}

// a, b and c done one after the other, each with an automatic rollback; then boom.
constexpr const char* kThreeUndoableThenBoom = R"(plan "p" {
  on_failure = "rollback"
  phase one {
    step a = noop { rollback = auto }
    step b = noop { rollback = auto  after = [a] }
    step c = noop { rollback = auto  after = [b] }
    step boom = noop { after = [c] }
  }
})";

TEST(Executor, AFailingCompensationStopsTheRollbackAndARollbackGoesOnFromThere) {
  Harness h;
  dsl::Ir ir = compile_text(kThreeUndoableThenBoom);
  h.script.failures["boom"] = {ErrorClass::kFailed};
  h.script.inverse_fails["b"] = ErrorClass::kConflict;
  ASSERT_EQ(h.run(ir), RunResult::kRollbackFailed);
  // `a` was done before `b`: it is not undone while `b` is not.
  EXPECT_EQ(h.script.compensated, (std::vector<std::string>{"c"}));
  EXPECT_EQ(h.state.steps["b"].undo_state, UndoState::kFailed);
  EXPECT_NE(h.state.steps["a"].undo_state, UndoState::kDone);
  auto failed = h.events_named("compensation_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["class"], "conflict");
  auto ended = h.events_named("run_ended");
  ASSERT_FALSE(ended.empty());
  EXPECT_EQ(ended.back()["not_undone"], json::array({"a"})) << ended.back().dump();

  // Once the cause is fixed, a rollback of the same run undoes `b`, then `a`.
  h.script.inverse_fails.clear();
  h.script.compensated.clear();
  ASSERT_EQ(h.rollback(ir), RunResult::kRolledBack);
  EXPECT_EQ(h.script.compensated, (std::vector<std::string>{"b", "a"}));
}

// The journal contract in a rollback: a compensation whose start cannot be journaled does not
// run, and nothing after it is undone; `ferry rollback` goes on once the disk is fixed.
TEST(Executor, NoCompensationRunsUnlessItsStartIsJournaled) {
  Harness h;
  dsl::Ir ir = compile_text(kThreeUndoableThenBoom);
  h.script.failures["boom"] = {ErrorClass::kFailed};
  std::vector<std::string> lines;
  auto writer = JournalWriter::over(
      std::make_unique<FailingJournalFile>(R"("event":"compensation_started","step":"b")", &lines), &h.redactor);
  h.journal = writer.get();
  ASSERT_EQ(h.run(ir), RunResult::kRollbackFailed);
  EXPECT_EQ(h.script.compensated, (std::vector<std::string>{"c"}));
  EXPECT_NE(h.fatal.find("No space left on device"), std::string::npos) << h.fatal;
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.back().find(R"("compensation_succeeded")"), std::string::npos) << lines.back();

  // The disk fixed: a rollback from the journaled state undoes b, then a.
  RunState journaled;
  for (const std::string& line : lines) apply_event(json::parse(line), &journaled);
  h.state = journaled;
  h.journal = nullptr;
  h.script.compensated.clear();
  ASSERT_EQ(h.rollback(ir), RunResult::kRolledBack);
  EXPECT_EQ(h.script.compensated, (std::vector<std::string>{"b", "a"}));
}

// A run whose failure cannot be journaled does not roll back: the journal would not know.
TEST(Executor, NoRollbackStartsUnlessTheRunsEndIsJournaled) {
  Harness h;
  dsl::Ir ir = compile_text(kThreeUndoableThenBoom);
  h.script.failures["boom"] = {ErrorClass::kFailed};
  std::vector<std::string> lines;
  auto writer = JournalWriter::over(std::make_unique<FailingJournalFile>(R"("event":"run_ended")", &lines), &h.redactor);
  h.journal = writer.get();
  EXPECT_EQ(h.run(ir), RunResult::kFailed);
  EXPECT_TRUE(h.script.compensated.empty());
  EXPECT_FALSE(h.fatal.empty());
}

// What the executor needs to know of a step type, the type says (no type is special by name):
// a local_only one runs on the scheduler's own thread, any other on a worker.
TEST(Executor, ALocalOnlyStepTypeRunsOnTheSchedulersThread) {
  for (bool local : {true, false}) {
    Harness h;
    std::thread::id ran_on;
    h.impls["shell"].local_only = local;
    h.impls["shell"].run = [&ran_on](StepContext&) {
      ran_on = std::this_thread::get_id();
      return StepResult{};
    };
    dsl::Ir ir = compile_text(R"(plan "p" { phase one { step s = shell { argv = ["true"] } } })");
    ASSERT_EQ(h.run(ir), RunResult::kSucceeded);
    EXPECT_EQ(ran_on == std::this_thread::get_id(), local) << "local_only = " << local;
  }
}

TEST(Executor, OnFailureStopLeavesCompletedStepsAlone) {
  Harness h;
  dsl::Ir ir = compile_text(R"(plan "p" {
    phase one {
      step a = noop { rollback = auto }
      step boom = noop { after = [a] }
    }
  })");
  h.script.failures["boom"] = {ErrorClass::kFailed};
  ASSERT_EQ(h.run(ir), RunResult::kFailed);
  EXPECT_TRUE(h.script.compensated.empty());
  // The command line overrides the plan.
  Harness h2;
  h2.script.failures["boom"] = {ErrorClass::kFailed};
  h2.options.on_failure = dsl::OnFailure::kRollback;
  ASSERT_EQ(h2.run(ir), RunResult::kRolledBack);
  EXPECT_EQ(h2.script.compensated, (std::vector<std::string>{"a"}));
}

TEST(Executor, RollbackBlocksRunAsStepsOfTheirOwn) {
  Harness h;
  dsl::Ir ir = compile_text(R"(plan "p" {
    on_failure = "rollback"
    phase one {
      step a = noop {
        rollback {
          step first = noop {}
          step second = noop { after = [first] }
        }
      }
      step boom = noop { after = [a] }
    }
  })");
  h.script.failures["boom"] = {ErrorClass::kFailed};
  ASSERT_EQ(h.run(ir), RunResult::kRolledBack);
  auto& s = h.script.started;
  size_t first = h.index_of(s, "a/first"), second = h.index_of(s, "a/second");
  ASSERT_LT(second, s.size()) << "the rollback block's steps ran";
  EXPECT_LT(first, second);
  EXPECT_EQ(h.state.steps["a"].undo_state, UndoState::kDone);
}

TEST(Executor, ResumeRunsOnlyWhatIsNotDone) {
  Harness h;
  dsl::Ir ir = compile_text(R"(plan "p" {
    phase one {
      step a = noop {}
      step b = noop { after = [a] }
      step c = noop { after = [b] }
    }
  })");
  h.script.failures["b"] = {ErrorClass::kFailed};
  ASSERT_EQ(h.run(ir), RunResult::kFailed);
  RunState prior = h.state;
  Harness again;
  auto runner = real_runner();
  Executor ex(ir, again.options, again.services, real_clock(), again.redactor, *runner, nullptr, nullptr, prior);
  ASSERT_EQ(ex.run(CancelToken()), RunResult::kSucceeded);
  EXPECT_EQ(again.script.started, (std::vector<std::string>{"b", "c"}));
}

TEST(Executor, ResumeAsksAboutUnfinishedStepsThatAreNotIdempotent) {
  Harness h;
  dsl::Ir ir = compile_text(R"(plan "p" { phase one { step cmd = shell { argv = ["true"] } } })");
  RunState prior;
  apply_event({{"event", "step_started"}, {"step", "cmd"}, {"attempt", 1}}, &prior);
  auto runner = real_runner();
  {
    Executor ex(ir, h.options, h.services, real_clock(), h.redactor, *runner, nullptr, nullptr, prior);
    EXPECT_EQ(ex.run(CancelToken()), RunResult::kFailed);
    EXPECT_NE(ex.fatal_error().find("--rerun ID"), std::string::npos) << ex.fatal_error();
    EXPECT_TRUE(h.script.started.empty());
  }
  h.options.rerun = {"cmd"};
  Executor ex(ir, h.options, h.services, real_clock(), h.redactor, *runner, nullptr, nullptr, prior);
  EXPECT_EQ(ex.run(CancelToken()), RunResult::kSucceeded);
  EXPECT_EQ(h.script.started, (std::vector<std::string>{"cmd"}));
}

TEST(Executor, SecretsAreResolvedForStepsAndRedactedInEvents) {
  Harness h;
  h.options.impls = find_step_impl;
  const std::string canary = "CANARY-7d1e0f";
  dsl::Ir ir = compile_text(R"(plan "p" {
    param token : secret string
    phase one {
      step show = shell { argv = ["sh", "-c", "echo value=${token}; echo err-${token} >&2; exit 4"] }
    }
  })");
  h.options.secrets["token"] = canary;
  ASSERT_EQ(h.run(ir), RunResult::kFailed);
  for (auto& [event, fields] : h.events) EXPECT_EQ(fields.dump().find(canary), std::string::npos) << fields.dump();
  // The step did get the real value: its error quotes stderr, redacted.
  EXPECT_NE(h.state.steps["show"].error.find("err-<redacted>"), std::string::npos) << h.state.steps["show"].error;
}

TEST(Executor, ProgressReachesTheSinkRedactedAndIsNotJournaled) {
  Harness h;
  h.impls["noop"].run = [](StepContext& ctx) {
    ctx.taint("hunter2");
    ctx.progress("256 of 1024 MiB to a URL signed hunter2");
    return StepResult{};
  };
  const std::string journal = ::testing::TempDir() + "/progress-journal.jsonl";
  std::filesystem::remove(journal);
  std::string error;
  auto writer = JournalWriter::open(journal, json{{"ferry_journal", 1}}, &h.redactor, &error);
  ASSERT_NE(writer, nullptr) << error;
  dsl::Ir ir = compile_text(R"(plan "p" { phase one { step copy = noop {} } })");
  auto runner = real_runner();
  Executor ex(ir, h.options, h.services, real_clock(), h.redactor, *runner, writer.get(),
              [&h](Event e, const json& f) { h.events.emplace_back(std::string(event_name(e)), f); });
  ASSERT_EQ(ex.run(CancelToken()), RunResult::kSucceeded);
  std::vector<json> progress = h.events_named("step_progress");
  ASSERT_EQ(progress.size(), 1u);
  EXPECT_EQ(progress[0]["step"], "copy");
  EXPECT_EQ(progress[0]["status"], "256 of 1024 MiB to a URL signed <redacted>");
  writer.reset();
  std::ifstream in(journal);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("step_succeeded"), std::string::npos) << text;
  EXPECT_EQ(text.find("256 of 1024"), std::string::npos) << text;
}

// A secret an earlier process made, read back in a resumed run that did not re-run its maker:
// the maker's retaint registers it before anything is journaled.
TEST(Executor, ResumeRetaintsWhatEarlierProcessesMadeSecret) {
  const std::string canary = "CANARY-made-by-process-1";
  dsl::Ir ir = compile_text(R"(plan "p" {
    phase one {
      step make = noop {}
      step gate = shell { argv = ["true"]  after = [make] }
      step read = shell { argv = ["true"]  after = [gate] }
    }
  })");
  Harness h;
  h.impls["noop"].run = [&](StepContext& ctx) {
    ctx.taint(canary);
    return StepResult{};
  };
  h.script.failures["gate"] = {ErrorClass::kFailed};
  ASSERT_EQ(h.run(ir), RunResult::kFailed);
  RunState prior = h.state;

  Harness again;  // a new process: its redactor knows nothing yet
  again.impls["shell"].run = [&](StepContext&) {
    StepResult r;
    r.outputs = {{"stdout", "read back: " + canary}};
    return r;
  };
  bool retainted = false;
  again.impls["noop"].retaint = [&](StepContext& ctx, const json&) {
    retainted = true;
    ctx.taint(canary);
    return Status::Ok();
  };
  auto runner = real_runner();
  Executor ex(ir, again.options, again.services, real_clock(), again.redactor, *runner, nullptr,
              [&again](Event e, const json& f) { again.events.emplace_back(std::string(event_name(e)), f); }, prior);
  ASSERT_EQ(ex.run(CancelToken()), RunResult::kSucceeded);
  EXPECT_TRUE(retainted);
  for (auto& [event, fields] : again.events) EXPECT_EQ(fields.dump().find(canary), std::string::npos) << fields.dump();
  EXPECT_EQ(ex.state().steps.at("read").outputs["stdout"], "read back: <redacted>");
}

}  // namespace
}  // namespace ferry::engine
