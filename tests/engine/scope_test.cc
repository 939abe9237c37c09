// Failure scopes (`isolated` template instances): a failing scope is compensated alone while the
// others complete, what depends on it is skipped, the run ends partially_failed; the journal
// replays the scopes; resume leaves failed scopes alone unless asked; rollback takes a scope.
#include <algorithm>
#include <filesystem>

#include "engine/run/executor.h"
#include "engine/run/journal.h"
#include "engine/run/run_dir.h"
#include "engine/run/run_state.h"
#include "engine/run/scopes.h"
#include "engine/steps/services.h"
#include "tests/engine/test_plan.h"

namespace ferry::engine {
namespace {

using testing::compile_text;
using testing::Script;

// Two isolated instances, cell[a] and cell[b], each `first` then `second`; `after_a` needs
// cell[a] (and `later`, in the next phase, needs `after_a`); `after_all` needs both; `free`
// needs neither.
const char* kPlan = R"(plan "cells" {
  on_failure = rollback

  template pair() {
    step first = noop {}
    step second = noop { after = [first] }
  }

  phase one {
    step pre = noop {}
    for n in ["a", "b"] {
      isolated step cell[n] = pair()
    }
    step after_a = noop { after = [cell["a"]] }
    step free = noop { after = [pre] }
  }

  phase two {
    step after_all = noop { after = [cell] }
    step later = noop { after = [after_a] }
    step last = noop {}
  }
})";

struct ScopeRun {
  Script script;
  std::map<std::string, StepImpl> impls;
  RunOptions options;
  Services services;
  Redactor redactor;
  dsl::Ir ir = compile_text(kPlan);
  RunState state;
  std::string fatal;
  std::vector<std::pair<std::string, json>> events;
  std::unique_ptr<JournalWriter> journal;

  ScopeRun() {
    for (const char* type : {"noop", "shell"}) impls[type] = script.impl(type);
    options.impls = [this](const std::string& type) -> const StepImpl* {
      auto it = impls.find(type);
      return it == impls.end() ? nullptr : &it->second;
    };
    options.seed = 1;
  }

  // Journals to `path` from now on (a new file, or the end of an existing one).
  void journal_to(const std::string& path) {
    std::string error;
    journal = JournalWriter::open(path, journal_header(ir, dsl::ir_hash(ir), "cells.ferry", "test"), &redactor, &error);
    ASSERT_TRUE(journal) << error;
  }

  Executor executor() {
    return Executor(ir, options, services, real_clock(), redactor, *runner_, journal.get(),
                    [this](Event e, const json& f) { events.emplace_back(std::string(event_name(e)), f); }, state);
  }

  // The first run, or a resume of this one's state.
  RunResult run() {
    Executor ex = executor();
    RunResult r = ex.run(CancelToken{});
    state = ex.state();
    fatal = ex.fatal_error();
    return r;
  }

  RunResult rollback_scope(const std::string& scope) {
    Executor ex = executor();
    RunResult r = ex.rollback_scope(CancelToken{}, scope);
    state = ex.state();
    return r;
  }

  std::vector<json> named(const std::string& name) const {
    std::vector<json> out;
    for (const auto& [e, f] : events) {
      if (e == name) out.push_back(f);
    }
    return out;
  }

  StepState step(const std::string& id) { return state.steps[id].state; }

 private:
  std::unique_ptr<StepRunner> runner_ = real_runner();
};

std::vector<std::string> ids(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(Scopes, TheCompilerMarksTheStepsOfAnIsolatedInstance) {
  dsl::Ir ir = compile_text(kPlan);
  EXPECT_EQ(scope_names(ir), (std::vector<std::string>{"cell[a]", "cell[b]"}));
  EXPECT_EQ(scope_steps(ir, "cell[a]"), (std::vector<std::string>{"cell[a].first", "cell[a].second"}));
  EXPECT_EQ(ir.steps.at("pre").scope, "");
  // What a failed cell[a] stops: its steps and what depends on them, in this phase and the next.
  EXPECT_EQ(stopped_by_scope(ir, "cell[a]"),
            (std::vector<std::string>{"after_a", "after_all", "cell[a].first", "cell[a].second", "later"}));
}

TEST(Scopes, AFailingScopeIsCompensatedAloneWhileTheRestOfTheRunCompletes) {
  ScopeRun r;
  r.script.failures["cell[a].second"] = {ErrorClass::kInvalid};
  ASSERT_EQ(r.run(), RunResult::kPartiallyFailed) << r.fatal;

  // cell[a]'s completed step is undone; nothing else is (on_failure = rollback is the run's, not
  // the scope's: the run did not fail).
  EXPECT_EQ(r.script.compensated, (std::vector<std::string>{"cell[a].first"}));
  EXPECT_TRUE(r.named("rollback_started").empty());
  // The other scope and the independent steps completed, in both phases.
  for (const char* id : {"pre", "free", "cell[b].first", "cell[b].second", "last"}) {
    EXPECT_EQ(r.step(id), StepState::kSucceeded) << id;
  }
  // What depends on cell[a] is skipped, naming it, transitively and across the phase barrier.
  for (const char* id : {"after_a", "after_all", "later"}) {
    EXPECT_EQ(r.step(id), StepState::kSkipped) << id;
    EXPECT_EQ(r.state.steps[id].skip_reason, "scope cell[a] failed") << id;
  }
  EXPECT_EQ(r.step("cell[a].second"), StepState::kFailed);

  auto failed = r.named("scope_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["scope"], "cell[a]");
  EXPECT_EQ(failed[0]["step"], "cell[a].second");
  EXPECT_EQ(failed[0]["class"], "invalid");
  auto compensated = r.named("scope_compensated");
  ASSERT_EQ(compensated.size(), 1u);
  EXPECT_EQ(compensated[0]["result"], "rolled_back");
  auto ended = r.named("run_ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0]["result"], "partially_failed");
  EXPECT_EQ(ended[0]["failed_scopes"], json::array({"cell[a]"}));
  ASSERT_EQ(r.state.scopes.size(), 1u);
  EXPECT_EQ(r.state.scopes["cell[a]"].state, ScopeState::kRolledBack);
  EXPECT_EQ(r.state.scopes["cell[a]"].error, "scripted failure 1");
  EXPECT_EQ(run_result_name(RunResult::kPartiallyFailed), "partially_failed");
}

TEST(Scopes, AFailedScopeIsUndoneWhileAnotherScopesStepStillRuns) {
  ScopeRun r;
  r.script.failures["cell[a].second"] = {ErrorClass::kInvalid};
  // cell[b].second, running beside cell[a].second, ends only once cell[a] has been undone (or
  // after 10 s, when the order below shows the compensation waited for it).
  r.script.ends_after_mark["cell[b].second"] = "undone cell[a].first";
  ASSERT_EQ(r.run(), RunResult::kPartiallyFailed) << r.fatal;
  EXPECT_EQ(r.script.compensated, (std::vector<std::string>{"cell[a].first"}));
  auto at = [&](const std::string& event, const std::string& key, const std::string& value) {
    for (size_t i = 0; i < r.events.size(); ++i) {
      if (r.events[i].first == event && r.events[i].second.value(key, "") == value) return i;
    }
    return r.events.size();
  };
  // Journaled before the inverse runs, so before cell[b].second can end.
  const size_t undoing = at("compensation_started", "step", "cell[a].first");
  const size_t other_ended = at("step_succeeded", "step", "cell[b].second");
  ASSERT_LT(undoing, r.events.size());
  ASSERT_LT(other_ended, r.events.size());
  EXPECT_LT(undoing, other_ended) << "cell[a] was undone only after cell[b].second ended";
  EXPECT_LT(at("scope_compensated", "scope", "cell[a]"), r.events.size());
  EXPECT_EQ(r.step("cell[b].second"), StepState::kSucceeded);
  EXPECT_EQ(r.state.scopes["cell[a]"].state, ScopeState::kRolledBack);
}

TEST(Scopes, AFailureOutsideAnyScopeStillRollsBackTheWholeRun) {
  ScopeRun r;
  r.script.failures["free"] = {ErrorClass::kInvalid};
  r.script.sleep_ms["free"] = 50;  // the cells finish first
  ASSERT_EQ(r.run(), RunResult::kRolledBack);
  EXPECT_TRUE(r.named("scope_failed").empty());
  EXPECT_EQ(r.named("rollback_started").size(), 1u);
  EXPECT_TRUE(std::count(r.script.compensated.begin(), r.script.compensated.end(), "cell[b].first"));
}

TEST(Scopes, TheJournalReplaysScopes) {
  auto dir = std::filesystem::temp_directory_path() / ("ferry-scope-journal-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string path = (dir / "journal.jsonl").string();
  ScopeRun r;
  r.journal_to(path);
  r.script.failures["cell[b].first"] = {ErrorClass::kInvalid};
  ASSERT_EQ(r.run(), RunResult::kPartiallyFailed);
  r.journal.reset();

  std::string error;
  auto contents = read_journal(path, &error);
  ASSERT_TRUE(contents) << error;
  RunState replayed = replay(*contents);
  EXPECT_EQ(replayed.result, "partially_failed");
  ASSERT_EQ(replayed.scopes.size(), 1u);
  const ScopeRecord& scope = replayed.scopes["cell[b]"];
  EXPECT_EQ(scope.state, ScopeState::kRolledBack);
  EXPECT_EQ(scope.step, "cell[b].first");
  EXPECT_EQ(scope.error_class, "invalid");
  EXPECT_EQ(replayed.steps["cell[b].second"].state, StepState::kSkipped);
  EXPECT_EQ(replayed.steps["after_all"].skip_reason, "scope cell[b] failed");
  EXPECT_EQ(replayed.steps["cell[a].second"].state, StepState::kSucceeded);
  EXPECT_TRUE(in_failed_scope(r.ir, replayed, "cell[b].first"));
  EXPECT_FALSE(in_failed_scope(r.ir, replayed, "cell[a].first"));
  std::filesystem::remove_all(dir);
}

TEST(Scopes, ResumeLeavesAFailedScopeAloneUnlessAskedToRetryIt) {
  ScopeRun r;
  r.script.failures["cell[a].second"] = {ErrorClass::kInvalid};
  ASSERT_EQ(r.run(), RunResult::kPartiallyFailed);
  size_t started = r.script.started.size();

  // A plain resume runs nothing: the failed scope and what it stopped stay as they are.
  ASSERT_EQ(r.run(), RunResult::kPartiallyFailed) << r.fatal;
  EXPECT_EQ(r.script.started.size(), started);
  EXPECT_EQ(r.step("cell[a].second"), StepState::kFailed);

  // --retry-scope cell[a]: its steps and the ones it stopped run again; the cause is gone now.
  r.events.clear();
  r.options.retry_scopes = {"cell[a]"};
  ASSERT_EQ(r.run(), RunResult::kSucceeded) << r.fatal;
  auto retried = r.named("scope_retried");
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_EQ(retried[0]["scope"], "cell[a]");
  EXPECT_EQ(retried[0]["steps"],
            json::array({"after_a", "after_all", "cell[a].first", "cell[a].second", "later"}));
  std::vector<std::string> again(r.script.started.begin() + static_cast<long>(started), r.script.started.end());
  EXPECT_EQ(ids(again), (std::vector<std::string>{"after_a", "after_all", "cell[a].first", "cell[a].second", "later"}));
  EXPECT_TRUE(r.state.scopes.empty());
  // The journal numbers the retried step's attempts on from the failed one.
  EXPECT_EQ(r.state.steps["cell[a].second"].attempts, 2);
}

TEST(Scopes, AScopeWhoseCompensationFailedIsNotRetriedUntilItsRollbackIsFinished) {
  ScopeRun r;
  r.script.failures["cell[a].second"] = {ErrorClass::kInvalid};
  r.script.inverse_fails["cell[a].first"] = ErrorClass::kFailed;
  ASSERT_EQ(r.run(), RunResult::kPartiallyFailed);
  EXPECT_EQ(r.state.scopes["cell[a]"].state, ScopeState::kRollbackFailed);
  EXPECT_EQ(r.state.steps["cell[a].first"].undo_state, UndoState::kFailed);
  EXPECT_EQ(r.named("scope_compensated").at(0)["result"], "rollback_failed");

  r.options.retry_scopes = {"cell[a]"};
  EXPECT_EQ(r.run(), RunResult::kFailed);
  EXPECT_NE(r.fatal.find("ferry rollback DIR --scope cell[a]"), std::string::npos) << r.fatal;

  // `ferry rollback DIR --scope cell[a]` once the cause is fixed.
  r.options.retry_scopes.clear();
  r.script.inverse_fails.clear();
  ASSERT_EQ(r.rollback_scope("cell[a]"), RunResult::kRolledBack);
  EXPECT_EQ(r.state.scopes["cell[a]"].state, ScopeState::kRolledBack);
  EXPECT_EQ(r.script.compensated, (std::vector<std::string>{"cell[a].first"}));
}

TEST(Scopes, RollbackOfOneScopeUndoesOnlyItsSteps) {
  ScopeRun r;
  ASSERT_EQ(r.run(), RunResult::kSucceeded);
  ASSERT_EQ(r.rollback_scope("cell[b]"), RunResult::kRolledBack);
  // Last completed first; nothing of cell[a] or outside the scope.
  EXPECT_EQ(r.script.compensated, (std::vector<std::string>{"cell[b].second", "cell[b].first"}));
  auto failed = r.named("scope_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["reason"], "ferry rollback --scope cell[b]");
  EXPECT_EQ(r.state.scopes["cell[b]"].state, ScopeState::kRolledBack);
  EXPECT_EQ(r.state.result, "succeeded");  // the run's own end is unchanged
  EXPECT_EQ(r.step("cell[a].second"), StepState::kSucceeded);
}

TEST(Scopes, AResumeAfterACrashAtTheScopeBoundaryFinishesTheCompensationFirst) {
  // The crash at "scope:cell[a]:failed": scope_failed and its skips are journaled, the phase's
  // other steps have ended, nothing is compensated yet. Replayed from that journal:
  ScopeRun first;
  first.script.failures["cell[a].second"] = {ErrorClass::kInvalid};
  ASSERT_EQ(first.run(), RunResult::kPartiallyFailed);
  RunState cut;
  for (const auto& [name, fields] : first.events) {
    if (name == "compensation_started") break;
    json line = fields;
    line["event"] = name;
    apply_event(line, &cut);
  }
  ASSERT_EQ(cut.scopes["cell[a]"].state, ScopeState::kFailed);
  ASSERT_EQ(cut.steps["cell[a].first"].undo_state, UndoState::kNone);

  ScopeRun resumed;
  resumed.state = cut;
  ASSERT_EQ(resumed.run(), RunResult::kPartiallyFailed) << resumed.fatal;
  EXPECT_EQ(resumed.script.compensated, (std::vector<std::string>{"cell[a].first"}));
  EXPECT_EQ(resumed.state.scopes["cell[a]"].state, ScopeState::kRolledBack);
  // The failed step was not run again; the rest of the run finished.
  EXPECT_EQ(std::count(resumed.script.started.begin(), resumed.script.started.end(), "cell[a].second"), 0);
  EXPECT_EQ(resumed.step("last"), StepState::kSucceeded);
  EXPECT_EQ(resumed.step("later"), StepState::kSkipped);
}

}  // namespace
}  // namespace ferry::engine
