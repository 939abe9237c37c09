// The downtime window's rule on the stock plans: found from what the steps do (a scale of
// kube-apiserver to 0, a wait for the HostedCluster's Available after it), it must land on the
// steps the e2e test times by name (tests/e2e/migrate_test.sh, plan_downtime); on the fleet
// plan, one window per hosted cluster's scope.
#include "engine/report/downtime.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <iterator>
#include <vector>

#include "dsl/compiler.h"
#include "dsl/vars_file.h"
#include "engine/report/scope_summary.h"

namespace ferry::report {
namespace {

dsl::Ir stock_plan(const std::string& name) {
  dsl::CompileOptions options;
  options.environment = [](std::string_view) { return std::nullopt; };
  options.module_path = {FERRY_STDLIB_DIR};
  dsl::SourceSet sources;
  dsl::Diagnostics diags;
  std::ifstream env_in(std::string(FERRY_PLANS_DIR) + "/example.env");
  const dsl::SourceFile* env_file =
      sources.add("example.env", std::string(std::istreambuf_iterator<char>(env_in), std::istreambuf_iterator<char>()));
  std::vector<dsl::VarsFileEntry> entries;
  auto home = [](std::string_view n) -> std::optional<std::string> {
    return n == "HOME" ? std::optional<std::string>("/home/jdoe") : std::nullopt;
  };
  EXPECT_TRUE(dsl::parse_vars_file(*env_file, home, &entries, &diags)) << diags.render();
  for (const auto& e : entries) options.vars[e.name] = e.value;
  auto ir = dsl::compile_plan(std::string(FERRY_PLANS_DIR) + "/" + name, options, &sources, &diags);
  EXPECT_TRUE(ir) << diags.render();
  return ir ? *ir : dsl::Ir{};
}

// Every step of the plan run once, phase after phase, each succeeding.
std::map<std::string, StepTimeline> ran_all(const dsl::Ir& ir) {
  std::map<std::string, StepTimeline> steps;
  int64_t t = 1000;
  for (const dsl::IrPhase& phase : ir.phases) {
    for (const std::string& id : phase.steps) {
      steps[id].id = id;
      steps[id].attempts.push_back({1, t, t + 10, AttemptEnd::kSucceeded, ""});
      t += 100;
    }
  }
  return steps;
}

class StockPlanWindow : public ::testing::TestWithParam<std::string> {};

TEST_P(StockPlanWindow, RunsFromPausingTheControlPlaneToTheRestoredClusterBeingAvailable) {
  dsl::Ir ir = stock_plan(GetParam());
  ASSERT_FALSE(ir.steps.empty());
  std::map<std::string, StepTimeline> steps = ran_all(ir);
  DowntimeWindow w = find_downtime(ir, steps);
  ASSERT_TRUE(w.found) << w.absent;
  EXPECT_EQ(w.start_step, "pause.control_plane");
  EXPECT_EQ(w.end_step, "restored.available");
  EXPECT_EQ(w.start_ms, steps["pause.control_plane"].attempts[0].start_ms);
  EXPECT_EQ(w.end_ms, steps["restored.available"].attempts[0].end_ms);
  EXPECT_EQ(w.ended_by, "available");
}

// The fleet plan: each hosted cluster's window is found among its own scope's steps.
TEST(StockPlanWindow, EachHostedClusterOfTheFleetPlanHasItsOwnWindow) {
  dsl::Ir ir = stock_plan("evacuate.ferry");
  ASSERT_FALSE(ir.steps.empty());
  std::map<std::string, StepTimeline> steps = ran_all(ir);
  std::vector<ScopeSummary> scopes = summarize_scopes(ir, engine::RunState{}, steps, 0);
  std::vector<std::string> names;
  for (const ScopeSummary& s : scopes) {
    names.push_back(s.scope);
    if (s.phase != "migrate") continue;
    ASSERT_TRUE(s.downtime.found) << s.scope << ": " << s.downtime.absent;
    EXPECT_EQ(s.downtime.start_step, s.scope + ".pause.control_plane");
    EXPECT_EQ(s.downtime.end_step, s.scope + ".restored.available");
    EXPECT_EQ(s.downtime.ended_by, "available");
  }
  EXPECT_EQ(names, (std::vector<std::string>{"hosted[jdoe-ci]", "hosted[jdoe-hosted]", "hosted[jdoe-ops]",
                                             "removed[jdoe-ci]", "removed[jdoe-hosted]", "removed[jdoe-ops]"}));
}

INSTANTIATE_TEST_SUITE_P(Plans, StockPlanWindow,
                         ::testing::Values("controlplane.ferry", "controlplane.toml", "controlplane-nodepool.ferry"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

}  // namespace
}  // namespace ferry::report
