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
  std::vector<std::vector<Hold>> takes;  // every take, in order
  size_t steps_started_at_take = 99;
  int releases = 0;
  Status refuse = Status::Ok();
  size_t refuse_from_take = 0;  // refuse (when `refuse` says so) from this take on
  LostFn lost;

  Status take(const std::vector<Hold>& holds, const CancelToken&, LostFn on_lost) override {
    std::lock_guard lock(script->mu);
    if (takes.empty()) steps_started_at_take = script->started.size();
    takes.push_back(holds);
    if (!refuse.ok() && takes.size() > refuse_from_take) return refuse;
    taken = holds;
    lost = std::move(on_lost);
    return Status::Ok();
  }
  void release() override { ++releases; }
  // Marks "released THING" for each, as it lets go of them before the end.
  void release(const std::vector<Hold>& holds) override {
    for (const Hold& h : holds) script->mark("released " + h.thing);
  }
};

struct HeldRun {
  Script script;
  std::map<std::string, StepImpl> impls;
  FakeKeeper keeper;
  RunOptions options;
  Services services;
  Redactor redactor;
  dsl::Ir ir;
  std::vector<std::pair<std::string, json>> events;
  std::unique_ptr<StepRunner> runner = real_runner();

  explicit HeldRun(const char* plan = kPlan) : ir(compile_text(plan)) {
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

// Two isolated cells, each holding its own hosted cluster on source, and a step outside them
// holding a shared thing; `late` (phase two) fails when the test says so.
const char* kFleetPlan = R"(plan "fleet" {
  on_failure = rollback
  cluster source { kubeconfig = "/dev/null" }

  template cell(name : string) {
    step first = noop {
      cluster = source
      holds = ["hc/${name}"]
    }
    step second = noop { after = [first] }
  }

  phase one {
    for n in ["a", "b"] {
      isolated step cells[n] = cell(name = n)
    }
    step shared = noop {
      cluster = source
      holds = ["shared"]
    }
  }

  phase two {
    step late = noop {}
  }
})";

std::vector<std::string> marks_of(Script& s) {
  std::lock_guard lock(s.mu);
  return s.marks;
}

TEST(Holds, AScopesHoldIsLetGoOfOnceTheScopeEndsWhileTheRunGoesOn) {
  HeldRun r(kFleetPlan);
  // cells[b].second ends only once hc/a has been let go of (or after 10 s, and the test fails).
  r.script.ends_after_mark["cells[b].second"] = "released hc/a";
  auto ex = r.executor();
  ASSERT_EQ(ex->run(CancelToken{}), RunResult::kSucceeded) << ex->fatal_error();
  const std::vector<std::string> marks = marks_of(r.script);
  ASSERT_EQ(marks, (std::vector<std::string>{"released hc/a", "released hc/b"}));
  std::vector<std::string> order = r.script.finished;
  // hc/a went while cells[b] still ran; `shared`, held outside every scope, only at the end.
  EXPECT_LT(std::find(order.begin(), order.end(), "cells[a].second") - order.begin(),
            std::find(order.begin(), order.end(), "cells[b].second") - order.begin());
  EXPECT_EQ(r.keeper.releases, 1);
  EXPECT_EQ(r.keeper.takes.size(), 1u);
}

TEST(Holds, AFailedScopesHoldIsLetGoOfOnceItIsUndone) {
  HeldRun r(kFleetPlan);
  r.script.failures["cells[a].second"] = {ErrorClass::kInvalid};
  auto ex = r.executor();
  ASSERT_EQ(ex->run(CancelToken{}), RunResult::kPartiallyFailed) << ex->fatal_error();
  const std::vector<std::string> marks = marks_of(r.script);
  auto at = [&](const std::string& m) { return std::find(marks.begin(), marks.end(), m) - marks.begin(); };
  ASSERT_LT(at("released hc/a"), static_cast<long>(marks.size()));
  EXPECT_LT(at("undone cells[a].first"), at("released hc/a"));
}

TEST(Holds, ARollbackOfTheWholeRunTakesBackWhatItLetGoOf) {
  HeldRun r(kFleetPlan);
  r.script.failures["late"] = {ErrorClass::kInvalid};
  auto ex = r.executor();
  ASSERT_EQ(ex->run(CancelToken{}), RunResult::kRolledBack) << ex->fatal_error();
  ASSERT_EQ(r.keeper.takes.size(), 2u);
  EXPECT_EQ(r.keeper.takes[1], (std::vector<Hold>{{"source", "hc/a"}, {"source", "hc/b"}}));
  EXPECT_EQ(r.script.compensated.size(), 5u);  // both cells' steps and `shared`

  // Taken by another run meanwhile: nothing is undone, and the error says how to go on.
  HeldRun refused(kFleetPlan);
  refused.script.failures["late"] = {ErrorClass::kInvalid};
  refused.keeper.refuse = Status::Error(ErrorClass::kLeaseHeld, "hc/a is held by another ferry run");
  refused.keeper.refuse_from_take = 1;
  auto again = refused.executor();
  EXPECT_EQ(again->run(CancelToken{}), RunResult::kFailed);
  EXPECT_EQ(again->fatal_error(), "cannot roll back: hc/a is held by another ferry run");
  EXPECT_TRUE(refused.script.compensated.empty());
}

TEST(Holds, AResumeDoesNotTakeWhatItsEarlierProcessWasDoneWith) {
  HeldRun r(kFleetPlan);
  r.options.on_failure = dsl::OnFailure::kStop;
  r.script.failures["late"] = {ErrorClass::kTransient, ErrorClass::kTransient, ErrorClass::kTransient,
                               ErrorClass::kTransient};
  auto first = r.executor();
  ASSERT_EQ(first->run(CancelToken{}), RunResult::kFailed);
  RunState stopped = first->state();
  r.script.failures.clear();
  auto resumed = std::make_unique<Executor>(r.ir, r.options, r.services, real_clock(), r.redactor, *r.runner, nullptr,
                                            nullptr, stopped);
  ASSERT_EQ(resumed->run(CancelToken{}), RunResult::kSucceeded) << resumed->fatal_error();
  ASSERT_EQ(r.keeper.takes.size(), 2u);
  EXPECT_EQ(r.keeper.takes[1], (std::vector<Hold>{{"source", "shared"}}));
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
