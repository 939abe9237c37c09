// The saga's order and the resume policy on their own, over states made from journal events
// (the executor's tests use them only through a run).
#include <gtest/gtest.h>

#include <set>

#include "engine/run/executor.h"
#include "engine/run/resume.h"
#include "engine/run/saga.h"
#include "tests/engine/test_plan.h"

namespace ferry::engine {
namespace {

using testing::compile_text;

RunState state_of(const std::vector<json>& events) {
  RunState state;
  for (const json& e : events) apply_event(e, &state);
  return state;
}

json ev(const std::string& event, const std::string& step, json more = json::object()) {
  more["event"] = event;
  more["step"] = step;
  return more;
}

TEST(Saga, UndoesLastCompletedFirstIncludingAFailureThatSavedUndoData) {
  dsl::Ir ir = compile_text(R"(plan "p" { phase a { step a = noop {}  step b = noop {}  step c = noop {}  step d = noop {} } })");
  RunState state = state_of({ev("step_succeeded", "b"), ev("step_succeeded", "a"), ev("undo", "c", {{"undo", 1}}),
                             ev("step_failed", "c"), ev("step_failed", "d"), ev("step_succeeded", "gone")});
  // d failed without undo data: it changed nothing. "gone" is not in the plan.
  EXPECT_EQ(compensation_order(ir, state), (std::vector<std::string>{"c", "a", "b"}));
  apply_event(ev("compensation_succeeded", "c"), &state);
  apply_event(ev("compensation_skipped", "a"), &state);
  EXPECT_EQ(compensation_order(ir, state), (std::vector<std::string>{"b"}));
}

// A run for roll_back: every step's rollback is "auto" but `none`'s; the journal fails at the
// event numbered `fail_at` (1-based; 0: never).
struct SagaRun {
  dsl::Ir ir = compile_text(R"(plan "p" { phase a { step a = noop {}  step b = noop {}  step c = noop {}  step none = noop {} } })");
  std::vector<std::string> journaled;  // "event step"
  std::vector<std::string> compensated;
  std::set<std::string> failing;
  size_t fail_at = 0;
  std::string journal_error;

  SagaRun() {
    for (auto& [id, step] : ir.steps) step.rollback = id == "none" ? dsl::RollbackMode::kNone : dsl::RollbackMode::kAuto;
  }
  RunResult run(const std::vector<std::string>& order) {
    SagaSteps saga;
    saga.journal = [this](Event e, json f) {
      if (journaled.size() + 1 == fail_at) {
        journal_error = "disk full";
        return false;
      }
      journaled.push_back(std::string(event_name(e)) + " " + f.value("step", f.value("result", "")));
      return true;
    };
    saga.undo_of = [](const std::string&, const std::vector<std::string>&, json*) { return std::optional<json>(); };
    saga.compensate = [this](const dsl::IrStep& step, const std::optional<json>&) {
      compensated.push_back(step.id);
      return failing.count(step.id) ? Status::Failed("stuck") : Status::Ok();
    };
    saga.journal_error = [this] { return journal_error; };
    return roll_back(ir, order, "test", saga);
  }
};

TEST(Saga, AFailedStepWithUndoDataAResumeSetBackToPendingIsStillUndone) {
  dsl::Ir ir = compile_text(R"(plan "p" { phase a { step a = noop {}  step c = noop {} } })");
  RunState state = state_of({ev("step_succeeded", "a"), ev("undo", "c", {{"undo", 1}}), ev("step_failed", "c")});
  decide_unfinished(ir, &state, {}, {});  // a resume: c runs again
  ASSERT_EQ(state.steps["c"].state, StepState::kPending);
  // The resumed run fails before c runs again: c's first attempt may have acted.
  EXPECT_EQ(compensation_order(ir, state), (std::vector<std::string>{"c", "a"}));
}

TEST(Saga, CompensatesInOrderSkipsRollbackNoneAndStopsAtTheFirstFailure) {
  SagaRun r;
  r.failing = {"b"};
  EXPECT_EQ(r.run({"c", "none", "b", "a"}), RunResult::kRollbackFailed);
  EXPECT_EQ(r.compensated, (std::vector<std::string>{"c", "b"}));  // a is left: b before it failed
  EXPECT_EQ(r.journaled, (std::vector<std::string>{"rollback_started ", "compensation_started c",
                                                   "compensation_succeeded c", "compensation_skipped none",
                                                   "compensation_started b", "compensation_failed b",
                                                   "run_ended rollback_failed"}));
}

TEST(Saga, NoCompensationRunsUnlessItsStartWasJournaled) {
  SagaRun r;
  r.fail_at = 4;  // rollback_started, started c, succeeded c, then started b fails
  EXPECT_EQ(r.run({"c", "b", "a"}), RunResult::kRollbackFailed);
  EXPECT_EQ(r.compensated, (std::vector<std::string>{"c"}));
  SagaRun first;
  first.fail_at = 1;  // not even rollback_started
  EXPECT_EQ(first.run({"c"}), RunResult::kRollbackFailed);
  EXPECT_TRUE(first.compensated.empty());
  SagaRun all;
  EXPECT_EQ(all.run({"c", "b", "a"}), RunResult::kRolledBack);
  EXPECT_EQ(all.journaled.back(), "run_ended rolled_back");
}

TEST(Saga, ARollbackBlockRunsInTheOrderOfItsOwnDependencies) {
  dsl::Ir ir = compile_text(R"(plan "p" { phase a {
    step s = noop {
      rollback {
        step second = noop { after = [first] }
        step first = noop {}
        step third = noop { after = [second] }
      }
    } } })");
  auto order = rollback_block_order(ir.steps.at("s"));
  ASSERT_TRUE(order);
  std::vector<std::string> ids;
  for (const dsl::IrStep* s : *order) ids.push_back(s->id);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_TRUE(ids[0].ends_with("first"));
  EXPECT_TRUE(ids[1].ends_with("second"));
  EXPECT_TRUE(ids[2].ends_with("third"));
  dsl::IrStep cyclic = ir.steps.at("s");
  cyclic.rollback_steps[1].deps.push_back(cyclic.rollback_steps[2].id);  // first after third
  EXPECT_FALSE(rollback_block_order(cyclic));
}

TEST(Resume, RunsAgainWhatIsSafeAndRefusesToGuessTheRest) {
  dsl::Ir ir = compile_text(R"(plan "p" { phase a {
    step idem = noop {}  step sh = shell { argv = ["x"] }  step sh2 = shell { argv = ["y"] }
    step sh3 = shell { argv = ["z"] }  step bad = shell { argv = ["w"] } } })");
  RunState state = state_of({ev("step_started", "idem"), ev("step_started", "sh"), ev("step_started", "sh2"),
                             ev("step_started", "sh3"), ev("step_failed", "bad")});
  ResumeDecisions d = decide_unfinished(ir, &state, {"sh2"}, {"sh3"});
  EXPECT_EQ(d.undecided, (std::vector<std::string>{"sh"}));
  EXPECT_EQ(d.assumed_done, (std::vector<std::string>{"sh3"}));
  EXPECT_EQ(state.steps["idem"].state, StepState::kPending);  // noop is idempotent
  EXPECT_EQ(state.steps["sh2"].state, StepState::kPending);   // --rerun
  EXPECT_EQ(state.steps["bad"].state, StepState::kPending);   // a failure runs again
  EXPECT_EQ(state.steps["sh"].state, StepState::kRunning);
  EXPECT_NE(undecided_message(d.undecided).find("--rerun ID"), std::string::npos);
}

TEST(Resume, AStepWhoseSecretOutputAPendingStepNeedsRunsAgain) {
  dsl::Ir ir = compile_text(R"(plan "p" { phase a {
    step made = noop {}  step uses = noop { after = [made] }  step done = noop { after = [made] } } })");
  RunState state = state_of({ev("step_succeeded", "made", {{"secret_outputs", {"url"}}}), ev("step_succeeded", "done")});
  rerun_makers_of_secrets(ir, &state);
  EXPECT_EQ(state.steps["made"].state, StepState::kPending);
  RunState all_done = state_of({ev("step_succeeded", "made", {{"secret_outputs", {"url"}}}), ev("step_succeeded", "done"),
                                ev("step_succeeded", "uses")});
  rerun_makers_of_secrets(ir, &all_done);
  EXPECT_EQ(all_done.steps["made"].state, StepState::kSucceeded);
}

TEST(Events, EveryNameReadsBackAsItsEventAndUnknownOnesAreIgnoredByReplay) {
  for (int i = 0; i <= static_cast<int>(Event::kStepProgress); ++i) {
    Event e = static_cast<Event>(i);
    EXPECT_EQ(event_from_name(event_name(e)), e) << event_name(e);
  }
  EXPECT_FALSE(event_from_name("step_teleported"));
  RunState state = state_of({ev("step_teleported", "a")});
  EXPECT_TRUE(state.steps.empty());
}

}  // namespace
}  // namespace ferry::engine
