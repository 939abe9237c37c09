// The run's holds (docs/fleet.md): the executor takes every hold of the plan before its first
// step, refuses the run (journaled, nothing started) when one is not free, stops the run when one
// is lost, and lets them go when the run or a rollback ends. The Leases themselves are
// engine/steps/lease_keeper.h's (tested against the sandbox by the e2e `lease` case).
#include <algorithm>
#include <memory>

#include "engine/run/dry_run.h"
#include "engine/run/executor.h"
#include "engine/run/holds.h"
#include "engine/steps/services.h"
#include "tests/engine/test_plan.h"

namespace ferry::engine {
namespace {

using testing::compile_text;
using testing::Script;

// `check` holds hc on both clusters (twice on source: once is enough); `grab` holds it again on
// source in its rollback block; `work` fails when the test says so.
const char* kPlan = R"(plan "held" {
  cluster source { kubeconfig = "/dev/null" }
  cluster destination { kubeconfig = "/dev/null" }

  phase one {
    step check = noop {
      cluster = source
      holds = ["hostedcluster/clusters/hc", "hostedcluster/clusters/hc"]
    }
    step free = noop {
      cluster = destination
      holds = ["hostedcluster/clusters/hc"]
    }
    step work = noop {
      after = [check, free]
      rollback {
        step grab = noop {
          cluster = source
          holds = ["other/thing"]
        }
      }
    }
  }
})";

// A keeper that records what the executor asks of it, and refuses a hold when told to.
struct FakeKeeper : HoldKeeper {
  Script* script = nullptr;
  std::vector<Hold> taken;
  size_t steps_started_at_take = 99;
  int releases = 0;
  Status refuse = Status::Ok();
  LostFn lost;

  Status take(const std::vector<Hold>& holds, const CancelToken&, LostFn on_lost) override {
    std::lock_guard lock(script->mu);
    steps_started_at_take = script->started.size();
    if (!refuse.ok()) return refuse;
    taken = holds;
    lost = std::move(on_lost);
    return Status::Ok();
  }
  void release() override { ++releases; }
};

struct HeldRun {
  Script script;
  std::map<std::string, StepImpl> impls;
  FakeKeeper keeper;
  RunOptions options;
  Services services;
  Redactor redactor;
  dsl::Ir ir = compile_text(kPlan);
  std::vector<std::pair<std::string, json>> events;
  std::unique_ptr<StepRunner> runner = real_runner();

  HeldRun() {
    impls["noop"] = script.impl("noop");
    options.impls = [this](const std::string& type) -> const StepImpl* {
      auto it = impls.find(type);
      return it == impls.end() ? nullptr : &it->second;
    };
    options.seed = 1;
    keeper.script = &script;
    options.holds = &keeper;
  }

  std::unique_ptr<Executor> executor() {
    return std::make_unique<Executor>(ir, options, services, real_clock(), redactor, *runner, nullptr,
                                      [this](Event e, const json& f) { events.emplace_back(event_name(e), f); });
  }
};

TEST(Holds, ThePlansHoldsAreEachStepsOnItsClusterOnceRollbackBlocksIncluded) {
  dsl::Ir ir = compile_text(kPlan);
  EXPECT_EQ(ir.steps.at("check").holds, (std::vector<std::string>{"hostedcluster/clusters/hc"}));
  EXPECT_EQ(plan_holds(ir), (std::vector<Hold>{{"destination", "hostedcluster/clusters/hc"},
                                               {"source", "hostedcluster/clusters/hc"},
                                               {"source", "other/thing"}}));
}

TEST(Holds, EveryHoldIsTakenBeforeTheFirstStepAndReleasedAtTheEnd) {
  HeldRun r;
  auto ex = r.executor();
  ASSERT_EQ(ex->run(CancelToken{}), RunResult::kSucceeded) << ex->fatal_error();
  EXPECT_EQ(r.keeper.steps_started_at_take, 0u);
  EXPECT_EQ(r.keeper.taken, plan_holds(r.ir));
  EXPECT_EQ(r.keeper.releases, 1);
  EXPECT_EQ(r.script.started.size(), 3u);
}

TEST(Holds, AHoldAnotherRunHasRefusesTheRunBeforeAnyStepAndJournalsWhy) {
  HeldRun r;
  r.keeper.refuse = Status::Error(ErrorClass::kLeaseHeld, "cluster source: hostedcluster/clusters/hc is held by "
                                                          "another ferry run: jdoe on bastion-1");
  auto ex = r.executor();
  EXPECT_EQ(ex->run(CancelToken{}), RunResult::kFailed);
  EXPECT_TRUE(r.script.started.empty());
  EXPECT_NE(ex->fatal_error().find("jdoe on bastion-1"), std::string::npos) << ex->fatal_error();
  // run_started, then the refusal as the run's end: the journal says why nothing ran.
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].first, "run_started");
  EXPECT_EQ(r.events[1].first, "run_ended");
  EXPECT_EQ(r.events[1].second["result"], "failed");
  EXPECT_EQ(r.events[1].second["class"], "lease_held");
  EXPECT_NE(r.events[1].second["message"].get<std::string>().find("jdoe on bastion-1"), std::string::npos);
  EXPECT_EQ(ex->state().result, "failed");
}

TEST(Holds, ALostHoldStopsTheRunSayingSo) {
  HeldRun r;
  // `check` finds the hold lost as it runs (the keeper's thread would say so at any time).
  r.impls["noop"].run = [&r](StepContext& ctx) {
    if (ctx.step->id == "check") r.keeper.lost(Status::Error(ErrorClass::kLeaseHeld, "lost the Lease of hc"));
    std::lock_guard lock(r.script.mu);
    r.script.started.push_back(ctx.step->id);
    return StepResult{};
  };
  auto ex = r.executor();
  EXPECT_EQ(ex->run(CancelToken{}), RunResult::kFailed);
  EXPECT_EQ(ex->fatal_error(), "lost the Lease of hc");
  EXPECT_EQ(std::count(r.script.started.begin(), r.script.started.end(), "work"), 0);
  EXPECT_EQ(r.keeper.releases, 1);
}

TEST(Holds, ARollbackHoldsWhatTheRunHoldsAndARefusedOneUndoesNothing) {
  HeldRun r;
  auto first = r.executor();
  ASSERT_EQ(first->run(CancelToken{}), RunResult::kSucceeded);
  RunState done = first->state();

  auto undo = std::make_unique<Executor>(r.ir, r.options, r.services, real_clock(), r.redactor, *r.runner, nullptr,
                                         nullptr, done);
  EXPECT_EQ(undo->rollback(CancelToken{}, "test"), RunResult::kRolledBack) << undo->fatal_error();
  EXPECT_EQ(r.keeper.releases, 2);

  r.keeper.refuse = Status::Error(ErrorClass::kLeaseHeld, "held by another ferry run");
  size_t started = r.script.started.size();  // `grab`, work's rollback block, ran once above
  ASSERT_EQ(std::count(r.script.started.begin(), r.script.started.end(), "work/grab"), 1);
  auto refused = std::make_unique<Executor>(r.ir, r.options, r.services, real_clock(), r.redactor, *r.runner,
                                            nullptr, nullptr, done);
  EXPECT_EQ(refused->rollback(CancelToken{}, "test"), RunResult::kRollbackFailed);
  EXPECT_EQ(refused->fatal_error(), "held by another ferry run");
  EXPECT_EQ(r.script.started.size(), started);
}

TEST(Holds, TheDryRunListsTheHoldsAndTakesNone) {
  HeldRun r;
  PlanReport report = dry_run(r.ir, "hash", r.options, r.services);
  EXPECT_NE(plan_text(report, false).find("holds (a Lease each, taken before the first step):\n"
                                          "  hostedcluster/clusters/hc on destination\n"
                                          "  hostedcluster/clusters/hc on source\n"
                                          "  other/thing on source\n"),
            std::string::npos)
      << plan_text(report, false);
  EXPECT_EQ(plan_json(report)["holds"][0], json({{"cluster", "destination"}, {"thing", "hostedcluster/clusters/hc"}}));
  EXPECT_EQ(r.keeper.steps_started_at_take, 99u);  // never asked
}

}  // namespace
}  // namespace ferry::engine
