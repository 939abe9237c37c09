// The dry runner on its own: what `ferry plan` shows comes from the same scheduler with a runner
// that records, never acts.
#include "engine/run/dry_run.h"

#include <gtest/gtest.h>

#include "engine/steps/registry.h"
#include "engine/steps/services.h"
#include "tests/engine/test_plan.h"

namespace ferry::engine {
namespace {

using testing::compile_text;

const PlannedStep& planned(const PlanReport& r, const std::string& id) {
  for (const PlannedStep& p : r.steps) {
    if (p.id == id) return p;
  }
  ADD_FAILURE() << "no planned step " << id;
  static PlannedStep none;
  return none;
}

PlanReport plan(const dsl::Ir& ir, std::function<const StepImpl*(const std::string&)> impls = find_step_impl) {
  RunOptions options;
  options.impls = std::move(impls);
  Services services;
  return dry_run(ir, dsl::ir_hash(ir), options, services);
}

TEST(DryRun, ActsOnNothingAndShowsLaterOutputsAsPlaceholdersInWaves) {
  const std::string marker = ::testing::TempDir() + "/ferry-dry-run-marker";
  std::remove(marker.c_str());
  dsl::Ir ir = compile_text(R"(plan "p" { phase a {
    step make = shell { argv = ["touch", ")" + marker + R"("] }
    step other = noop {}
    step use = shell { argv = ["echo", "${make.stdout}"]  after = [make] }
    step maybe = noop { when = make.stdout == "x" }
  } })");
  PlanReport r = plan(ir);
  EXPECT_EQ(std::fopen(marker.c_str(), "r"), nullptr) << "the dry run ran the command";
  ASSERT_EQ(r.steps.size(), 4u);
  EXPECT_EQ(planned(r, "use").args["argv"][1], "<make.stdout>");
  EXPECT_EQ(planned(r, "make").wave, planned(r, "other").wave);
  EXPECT_GT(planned(r, "use").wave, planned(r, "make").wave);
  EXPECT_EQ(planned(r, "maybe").error, "");  // its `when` is decided at run time, not an error
  EXPECT_FALSE(planned(r, "make").actions.empty());
}

TEST(DryRun, SecretsShowRedactedAndAStepThatCannotBePlannedSaysWhyWhileTheOthersArePlanned) {
  dsl::Ir ir = compile_text(R"(plan "p" {
    on_failure = "rollback"
    param token : secret string
    phase a {
      step first = noop {}
      step needs = shell { argv = ["echo", "${token}"]  after = [first] }
    } })");
  EXPECT_EQ(plan(ir).steps.back().args["argv"][1], "<redacted>");
  // A build without the shell type: that step fails in the dry run; the plan is still shown whole.
  PlanReport r = plan(ir, [](const std::string& type) { return type == "shell" ? nullptr : find_step_impl(type); });
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_NE(planned(r, "needs").error.find("no implementation of step type 'shell'"), std::string::npos)
      << planned(r, "needs").error;
  EXPECT_TRUE(planned(r, "first").error.empty());
}

}  // namespace
}  // namespace ferry::engine
