#include "engine/diff/plan_diff.h"

#include <gtest/gtest.h>

#include <set>

#include "engine/diff/guards.h"
#include "engine/diff/render.h"
#include "tests/diff/diff_test_util.h"

namespace ferry::diff {
namespace {

using testing_util::compile;
using testing_util::compile_text;

const std::filesystem::path kPlans = FERRY_PLANS_DIR;

std::set<std::string> ids(const std::vector<StepRef>& steps) {
  std::set<std::string> out;
  for (const StepRef& s : steps) out.insert(s.id);
  return out;
}

TEST(PlanDiff, StockPlanAndItsTomlTwinAreTheSame) {
  dsl::Ir ferry = compile(kPlans / "controlplane.ferry", kPlans / "example.env");
  dsl::Ir toml = compile(kPlans / "controlplane.toml", kPlans / "example.env");
  PlanDiff diff = diff_plans(ferry, toml);
  EXPECT_TRUE(diff.empty()) << render_text(diff, {"ferry", "toml", false});
}

// Everything the NodePool plan adds to the ControlPlane plan is listed as added, and nothing of
// the ControlPlane plan disappears.
TEST(PlanDiff, NodePoolPlanAddsToTheControlPlanePlan) {
  dsl::Ir cp = compile(kPlans / "controlplane.ferry", kPlans / "example.env");
  dsl::Ir np = compile(kPlans / "controlplane-nodepool.ferry", kPlans / "example.env");
  PlanDiff diff = diff_plans(cp, np);
  EXPECT_TRUE(diff.removed.empty());
  EXPECT_TRUE(diff.renamed.empty());
  std::set<std::string> new_steps;
  for (const auto& [id, step] : np.steps) {
    if (!cp.steps.count(id)) new_steps.insert(id);
  }
  ASSERT_FALSE(new_steps.empty());
  EXPECT_EQ(ids(diff.added), new_steps);
  std::set<std::string> params;
  for (const NamedChange& p : diff.params) {
    EXPECT_EQ(p.kind, NamedChange::Kind::Added) << p.name;
    params.insert(p.name);
  }
  EXPECT_EQ(params, (std::set<std::string>{"nodepools"}));
  ASSERT_FALSE(diff.plan.empty());
  EXPECT_EQ(diff.plan.front().path, "description");
  // The steps the templates now give NodePool work to are changed, attributed to the template.
  for (const StepChange& c : diff.changed) EXPECT_FALSE(c.template_name.empty()) << c.id;
  // And the reverse diff removes exactly what this one adds.
  PlanDiff reverse = diff_plans(np, cp);
  EXPECT_EQ(ids(reverse.removed), new_steps);
  EXPECT_TRUE(reverse.added.empty());
}

TEST(PlanDiff, RenameIsSameContentUnderANewIdWithoutEdgeNoise) {
  const char* old_plan = R"(plan "p" {
  phase a {
    step first = shell { argv = ["true"] }
    step second = shell { argv = ["echo"] after = [first] }
  }
})";
  const char* new_plan = R"(plan "p" {
  phase a {
    step renamed = shell { argv = ["true"] }
    step second = shell { argv = ["echo"] after = [renamed] }
  }
})";
  PlanDiff diff = diff_plans(compile_text(old_plan), compile_text(new_plan));
  ASSERT_EQ(diff.renamed.size(), 1u);
  EXPECT_EQ(diff.renamed[0].old_id, "first");
  EXPECT_EQ(diff.renamed[0].new_id, "renamed");
  EXPECT_TRUE(diff.added.empty());
  EXPECT_TRUE(diff.removed.empty());
  EXPECT_TRUE(diff.edges_added.empty());
  EXPECT_TRUE(diff.edges_removed.empty());
  EXPECT_TRUE(diff.changed.empty());  // `after` moved with the rename: nothing else changed
}

TEST(Guards, ThroughDependenciesAndEarlierPhases) {
  dsl::Ir ir = compile_text(R"(plan "p" {
  cluster c { kubeconfig = "/k" }
  phase one {
    step saved = backup { cluster = c namespace = "n" kind = "secrets" }
  }
  phase two {
    step ready = wait { probe = ["true"] }
    step middle = shell { argv = ["true"] after = [ready] }
    step gone = delete { cluster = c namespace = "n" kind = "secrets" all = true after = [middle] }
    step unrelated = wait { probe = ["true"] }
  }
})");
  std::vector<Guard> guards = guards_before(ir, "gone");
  ASSERT_EQ(guards.size(), 2u);
  EXPECT_EQ(guards[0].id, "ready");  // reached through `middle`
  EXPECT_EQ(guards[0].kind, "wait");
  EXPECT_EQ(guards[1].id, "saved");  // an earlier phase
  EXPECT_EQ(guards[1].kind, "backup");
  EXPECT_TRUE(guards_before(ir, "saved").empty());
}

}  // namespace
}  // namespace ferry::diff
