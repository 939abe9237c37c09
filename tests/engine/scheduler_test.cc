// The ready set of a phase and the workers, on their own (the executor's tests use them only
// through a run).
#include "engine/run/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "tests/engine/test_plan.h"

namespace ferry::engine {
namespace {

using testing::compile_text;

std::vector<PhaseSchedule::Step> pending(const dsl::Ir& ir, std::map<std::string, std::vector<std::string>> pools = {}) {
  std::vector<PhaseSchedule::Step> out;
  for (const auto& [id, step] : ir.steps) out.push_back({id, pools[id]});
  return out;
}

TEST(PhaseSchedule, StartsStepsWhoseDependenciesAreDoneInIdOrderUpToTheParallelism) {
  dsl::Ir ir = compile_text(R"(plan "p" { phase a {
    step c = noop {}  step b = noop {}  step a = noop {}
    step d = noop { after = [a, b] } } })");
  PhaseSchedule s(ir, pending(ir), [](const std::string&) { return false; }, [](const std::string&) { return 1; }, 2);
  EXPECT_EQ(s.take_startable(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.running(), 2u);
  EXPECT_TRUE(s.take_startable().empty());  // full
  s.finished("a", true);
  EXPECT_EQ(s.take_startable(), (std::vector<std::string>{"c"}));  // d still waits for b
  s.finished("b", true);
  EXPECT_EQ(s.take_startable(), (std::vector<std::string>{"d"}));
}

TEST(PhaseSchedule, AFailedStepNeverReleasesItsDependents) {
  dsl::Ir ir = compile_text(R"(plan "p" { phase a { step a = noop {}  step b = noop { after = [a] } } })");
  PhaseSchedule s(ir, pending(ir), [](const std::string&) { return false; }, [](const std::string&) { return 1; }, 4);
  EXPECT_EQ(s.take_startable(), (std::vector<std::string>{"a"}));
  s.finished("a", false);
  EXPECT_TRUE(s.take_startable().empty());
  EXPECT_EQ(s.running(), 0u);
}

TEST(PhaseSchedule, APoolBoundsItsStepsAndADependencyDoneEarlierDoesNotWait) {
  dsl::Ir ir = compile_text(R"(plan "p" { phase a {
    step x = noop {}  step y = noop {}  step z = noop {}  step w = noop { after = [x] } } })");
  std::vector<PhaseSchedule::Step> steps = pending(ir, {{"x", {"net"}}, {"y", {"net"}}, {"z", {"net", "disk"}}});
  steps.erase(std::remove_if(steps.begin(), steps.end(), [](const auto& s) { return s.id == "x"; }), steps.end());
  // x is done already (an earlier process ran it): w is ready at once.
  PhaseSchedule s(ir, steps, [](const std::string& id) { return id == "x"; },
                  [](const std::string& pool) { return pool == "net" ? 1 : 2; }, 8);
  EXPECT_EQ(s.take_startable(), (std::vector<std::string>{"w", "y"}));  // z waits for the net pool
  s.finished("y", true);
  EXPECT_EQ(s.take_startable(), (std::vector<std::string>{"z"}));
}

TEST(Workers, RunWhatIsSubmittedOnAtMostCountThreadsAndReportEachEnd) {
  std::mutex mu;
  std::set<std::thread::id> threads;
  std::atomic<int> running{0}, most{0};
  Workers workers(2, [&](const std::string&) {
    int now = ++running;
    for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
    }
    {
      std::lock_guard lock(mu);
      threads.insert(std::this_thread::get_id());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    --running;
  });
  for (const char* id : {"a", "b", "c", "d", "e"}) workers.submit(id);
  std::multiset<std::string> ended;
  while (ended.size() < 5) {
    for (const std::string& id : workers.ended(/*wait=*/true)) ended.insert(id);
  }
  EXPECT_EQ(ended, (std::multiset<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_LE(most.load(), 2);
  EXPECT_LE(threads.size(), 2u);
  EXPECT_TRUE(workers.ended(/*wait=*/false).empty());
}

}  // namespace
}  // namespace ferry::engine
