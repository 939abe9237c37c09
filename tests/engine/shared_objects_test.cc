// Objects several steps use: a compensation leaves in place what another step, still done, found
// or created (engine/run/shared_objects.h), in the rule itself and through the executor's saga.
#include "engine/run/shared_objects.h"

#include <gtest/gtest.h>

#include "engine/run/executor.h"
#include "engine/steps/services.h"
#include "tests/engine/test_plan.h"

namespace ferry::engine {
namespace {

using json = nlohmann::json;

const json kNamespace = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "clusters"}}}};
const json kSecret = {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "a"}, {"namespace", "clusters"}}}};

StepRecord done_with(json undo, UndoState undo_state = UndoState::kNone) {
  StepRecord r;
  r.state = StepState::kSucceeded;
  r.undo = std::move(undo);
  r.undo_state = undo_state;
  return r;
}

TEST(SharedObjects, WhatAStepStillDoneFoundIsLeftInPlace) {
  RunState state;
  state.steps["a"] = done_with({{"created", {kNamespace, kSecret}}, {"found", json::array()}});
  state.steps["b"] = done_with({{"created", json::array()}, {"found", {kNamespace}}});
  std::vector<ObjectInUse> kept;
  json undo = without_objects_in_use(state, "a", *state.steps["a"].undo, {"a"}, &kept);
  EXPECT_EQ(undo["created"], json::array({kSecret}));
  EXPECT_EQ(undo["found"], json::array());  // the rest of the undo data as it was
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].ref, kNamespace);
  EXPECT_EQ(kept[0].by, "b");
}

TEST(SharedObjects, OnlyAStepThatSucceededAndIsNotUndoneKeepsAnObject) {
  for (auto [state_of_b, undo_of_b, in_use] :
       {std::tuple{StepState::kSucceeded, UndoState::kDone, false},     // undone before: gone with it
        std::tuple{StepState::kSucceeded, UndoState::kSkipped, true},   // rollback = none: still there
        std::tuple{StepState::kSucceeded, UndoState::kFailed, true},    // its undo failed: still there
        std::tuple{StepState::kRunning, UndoState::kNone, true},        // found it, goes on using it
        std::tuple{StepState::kFailed, UndoState::kNone, false},        // failed: being undone too
        std::tuple{StepState::kSkipped, UndoState::kNone, false}}) {
    RunState state;
    state.steps["a"] = done_with({{"created", {kNamespace}}});
    state.steps["b"] = done_with({{"found", {kNamespace}}}, undo_of_b);
    state.steps["b"].state = state_of_b;
    std::vector<ObjectInUse> kept;
    json undo = without_objects_in_use(state, "a", *state.steps["a"].undo, {"a"}, &kept);
    EXPECT_EQ(undo["created"].size(), in_use ? 0u : 1u) << step_state_name(state_of_b) << " " << undo_state_name(undo_of_b);
  }
}

// A rollback of the whole run undoes the step that found the object too (it completed after the
// one that made it, so it may come first or later in reverse completion order): nothing keeps the
// object, and it goes with the step that created it rather than stay behind.
TEST(SharedObjects, AStepTheSameRollbackUndoesKeepsNothing) {
  RunState state;
  state.steps["a"] = done_with({{"created", {kNamespace}}});
  state.steps["b"] = done_with({{"found", {kNamespace}}});
  std::vector<ObjectInUse> kept;
  json undo = without_objects_in_use(state, "a", *state.steps["a"].undo, {"a", "b"}, &kept);
  EXPECT_EQ(undo["created"], json::array({kNamespace}));
  EXPECT_TRUE(kept.empty());
}

TEST(SharedObjects, UndoDataWithoutCreatedIsLeftAsItIs) {
  RunState state;
  state.steps["b"] = done_with({{"found", {kNamespace}}});
  std::vector<ObjectInUse> kept;
  EXPECT_EQ(without_objects_in_use(state, "a", json{{"previous", 3}}, {"a"}, &kept), json({{"previous", 3}}));
  EXPECT_EQ(without_objects_in_use(state, "a", json::array(), {"a"}, &kept), json::array());
  EXPECT_TRUE(kept.empty());
}

// Through the executor: cell[a] created the namespace, cell[b] found it; cell[a] fails and is
// undone while cell[b] stays done: cell[a]'s undo no longer names the namespace.
TEST(SharedObjects, AFailedScopesUndoLeavesWhatAnotherScopeFound) {
  testing::Script script;
  StepImpl make = script.impl("noop");
  std::map<std::string, json> undone_with;
  std::mutex mu;
  make.run = [&](StepContext& ctx) {
    const std::string id = ctx.step->id;
    StepResult r;
    if (id == "cell[a].make") ctx.save_undo({{"created", {kNamespace}}, {"found", json::array()}});
    if (id == "cell[b].make") {
      ctx.save_undo({{"created", json::array()}, {"found", {kNamespace}}});
      script.mark("b found it");
    }
    if (id == "cell[a].check") {  // fails once cell[b].make has found the namespace
      std::unique_lock lock(script.mu);
      script.marked.wait_for(lock, std::chrono::seconds(10), [&] { return !script.marks.empty(); });
      r.status = Status::Invalid("broken");
    }
    return r;
  };
  make.inverse = [&](StepContext& ctx, const json& undo) {
    std::lock_guard lock(mu);
    undone_with[ctx.step->id] = undo;
    return Status::Ok();
  };
  dsl::Ir ir = testing::compile_text(R"(plan "fleet" {
    template cell() {
      step make = noop {}
      step check = noop { after = [make] }
    }
    phase one {
      for n in ["a", "b"] {
        isolated step cell[n] = cell()
      }
    }
  })");
  RunOptions options;
  options.impls = [&](const std::string&) { return &make; };
  Services services;
  Redactor redactor;
  auto runner = real_runner();
  std::vector<json> started;
  Executor ex(ir, options, services, real_clock(), redactor, *runner, nullptr, [&](Event e, const json& f) {
    if (e == Event::kCompensationStarted) started.push_back(f);
  });
  ASSERT_EQ(ex.run(CancelToken{}), RunResult::kPartiallyFailed) << ex.fatal_error();
  ASSERT_TRUE(undone_with.count("cell[a].make"));
  EXPECT_EQ(undone_with["cell[a].make"]["created"], json::array());
  EXPECT_FALSE(undone_with.count("cell[b].make"));
  // The journal says what was left and for whom.
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0]["step"], "cell[a].make");
  EXPECT_EQ(started[0]["left"], json::array({{{"kind", "Namespace"}, {"name", "clusters"}, {"used_by", "cell[b].make"}}}));
}

}  // namespace
}  // namespace ferry::engine
