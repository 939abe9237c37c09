// The saga's order and the resume policy on their own, over states made from journal events
// (the executor's tests use them only through a run).
#include <gtest/gtest.h>

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
