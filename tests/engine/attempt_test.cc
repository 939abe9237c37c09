// The attempt loop and the watchdog on their own, on the fake clock (the executor's tests use
// them only through a run), and the fake clock itself.
#include "engine/run/attempt.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/engine/test_plan.h"

namespace ferry::engine {
namespace {

using testing::compile_text;

const dsl::IrStep& only_step(const dsl::Ir& ir) { return ir.steps.begin()->second; }

TEST(FakeClock, SleepingAdvancesTimeAtOnceAndIsRecorded) {
  FakeClock clock;
  CancelToken cancel;
  EXPECT_TRUE(clock.sleep_until(Millis(250), cancel));
  EXPECT_EQ(clock.now(), Millis(250));
  EXPECT_TRUE(clock.sleep_until(Millis(100), cancel));  // in the past: no time passes
  EXPECT_EQ(clock.now(), Millis(250));
  clock.advance(Millis(50));
  EXPECT_EQ(clock.unix_ms() - 1'700'000'000'000, 300);
  cancel.cancel(ErrorClass::kCancelled, "stop");
  EXPECT_FALSE(clock.sleep_until(Millis(1000), cancel));
  EXPECT_EQ(clock.now(), Millis(300));
  EXPECT_EQ(clock.sleeps(), (std::vector<Millis>{Millis(250), Millis(0)}));
}

TEST(Attempts, RetriesTheClassesThePolicyNamesWithItsBackoffThenGivesUp) {
  dsl::Ir ir = compile_text(R"(plan "p" { phase a {
    step s = noop { retry { attempts = 3  backoff = constant("2s")  jitter = false } } } })");
  FakeClock clock;
  Watchdog watchdog(clock);
  Attempts attempts(clock, watchdog, 1);
  StepContext ctx;
  std::vector<int> started;
  AttemptHooks hooks;
  hooks.start = [&](int n) {
    started.push_back(n);
    return Status::Ok();
  };
  hooks.act = [] { return Status::Transient("busy"); };
  std::vector<Millis> waits;
  hooks.before_retry = [&](int, const Status& s, Millis wait) {
    EXPECT_EQ(s.message(), "busy");
    waits.push_back(wait);
    return true;
  };
  Status s = attempts.run(only_step(ir), ctx, CancelToken(), hooks);
  EXPECT_EQ(s.error_class(), ErrorClass::kTransient);
  EXPECT_EQ(started, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(waits, (std::vector<Millis>{Millis(2000), Millis(2000)}));
  EXPECT_EQ(clock.sleeps(), waits);
  EXPECT_EQ(ctx.attempt, 3);
}

TEST(Attempts, AClassThePolicyDoesNotNameIsNotRetriedAndAFailedStartEndsTheLoop) {
  dsl::Ir ir = compile_text(R"(plan "p" { phase a { step s = noop { retry { attempts = 5 } } } })");
  FakeClock clock;
  Watchdog watchdog(clock);
  Attempts attempts(clock, watchdog, 1);
  StepContext ctx;
  int acts = 0;
  AttemptHooks hooks;
  hooks.act = [&] {
    ++acts;
    return Status::Invalid("bad field");
  };
  EXPECT_EQ(attempts.run(only_step(ir), ctx, CancelToken(), hooks).error_class(), ErrorClass::kInvalid);
  EXPECT_EQ(acts, 1);
  hooks.start = [](int) { return Status::Cancelled("the journal could not be written"); };
  EXPECT_EQ(attempts.run(only_step(ir), ctx, CancelToken(), hooks).message(), "the journal could not be written");
  EXPECT_EQ(acts, 1);  // never acted
}

TEST(Attempts, TheWatchdogCancelsAnAttemptPastTheStepsTimeout) {
  dsl::Ir ir = compile_text(R"(plan "p" { phase a { step s = noop { timeout = "30s" } } })");
  FakeClock clock;
  Watchdog watchdog(clock);
  watchdog.start();
  Attempts attempts(clock, watchdog, 1);
  StepContext ctx;
  Millis deadline{0};
  AttemptHooks hooks;
  hooks.start = [&](int) {
    clock.advance(Millis(5000));  // the journal's sync is not the step's time
    return Status::Ok();
  };
  hooks.act = [&] {
    deadline = ctx.deadline;
    clock.advance(Millis(31'000));
    // The watchdog looks every 20 ms: wait for it, up to 10 s of real time.
    for (int i = 0; i < 500 && !ctx.cancel.cancelled(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return ctx.cancel.status();
  };
  Status s = timeout_in_words(only_step(ir), attempts.run(only_step(ir), ctx, CancelToken(), hooks));
  watchdog.stop();
  EXPECT_EQ(deadline, Millis(35'000));
  EXPECT_EQ(s.error_class(), ErrorClass::kTimeout);
  EXPECT_EQ(s.message(), "timed out after 30s (the step's timeout)");
}

TEST(Attempts, CancellingTheRunStopsTheBackoffWait) {
  dsl::Ir ir = compile_text(R"(plan "p" { phase a { step s = noop { retry { attempts = 4 } } } })");
  FakeClock clock;
  Watchdog watchdog(clock);
  Attempts attempts(clock, watchdog, 1);
  StepContext ctx;
  CancelToken run;
  AttemptHooks hooks;
  hooks.act = [] { return Status::Transient("busy"); };
  hooks.before_retry = [&](int, const Status&, Millis) {
    run.cancel(ErrorClass::kCancelled, "interrupted");
    return true;
  };
  Status s = attempts.run(only_step(ir), ctx, run, hooks);
  EXPECT_EQ(s.error_class(), ErrorClass::kCancelled);
  EXPECT_EQ(s.message(), "interrupted");
  EXPECT_EQ(ctx.attempt, 1);
}

TEST(TimeoutInWords, NamesTheStepsTimeoutOnceAndKeepsTheDetail) {
  dsl::Ir ir = compile_text(R"(plan "p" { phase a { step s = noop { timeout = "5m" } } })");
  const dsl::IrStep& step = only_step(ir);
  EXPECT_EQ(timeout_in_words(step, Status::Timeout("timed out (waiting for Available)")).message(),
            "timed out after 5m (the step's timeout): waiting for Available");
  EXPECT_EQ(timeout_in_words(step, Status::Failed("exit 1")).message(), "exit 1");
  dsl::Ir none = compile_text(R"(plan "p" { phase a { step s = noop {} } })");
  EXPECT_EQ(timeout_in_words(only_step(none), Status::Timeout("the run's timeout passed")).message(),
            "the run's timeout passed");
}

}  // namespace
}  // namespace ferry::engine
