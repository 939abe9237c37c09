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

// An added step names the steps of both plans that now wait on it, a removed step those that
// no longer do (by their new ids: through a rename too); neither is an edge between steps both
// plans have.
TEST(PlanDiff, AddedAndRemovedStepsNameTheirDependents) {
  const char* old_plan = R"(plan "p" {
  phase a {
    step gone = shell { argv = ["echo", "gone"] }
    step x = shell { argv = ["echo", "x"] after = [gone] }
    step y = shell { argv = ["echo", "y"] }
    step z = shell { argv = ["echo", "z"] }
    step old_name = shell { argv = ["echo", "renamed"] after = [gone] }
  }
})";
  const char* new_plan = R"(plan "p" {
  phase a {
    step gate = approve { message = "go?" after = [z] }
    step x = shell { argv = ["echo", "x"] }
    step y = shell { argv = ["echo", "y"] after = [gate] }
    step z = shell { argv = ["echo", "z"] }
    step new_name = shell { argv = ["echo", "renamed"] after = [gate] }
    step w = shell { argv = ["echo", "w"] after = [gate] }
  }
})";
  PlanDiff diff = diff_plans(compile_text(old_plan), compile_text(new_plan));
  ASSERT_EQ(ids(diff.added), (std::set<std::string>{"gate", "w"}));
  const StepRef& gate = diff.added[0];
  EXPECT_EQ(gate.deps, std::vector<std::string>{"z"});
  // w waits on it too, but w is new: it is listed with its own deps, not as news about gate.
  EXPECT_EQ(gate.dependents, (std::vector<std::string>{"new_name", "y"}));
  EXPECT_TRUE(diff.added[1].dependents.empty());
  ASSERT_EQ(diff.removed.size(), 1u);
  EXPECT_EQ(diff.removed[0].dependents, (std::vector<std::string>{"new_name", "x"}));
  EXPECT_TRUE(diff.edges_added.empty());
  EXPECT_TRUE(diff.edges_removed.empty());
  EXPECT_TRUE(diff.phases.empty()) << "a step added or removed is not news about its phase";
  std::string text = render_text(diff, {"old", "new", false});
  EXPECT_NE(text.find("+ gate (approve, phase a) after z\n      2 steps now run after it: new_name, y\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("- gone (shell, phase a)\n      2 steps no longer run after it: new_name, x\n"),
            std::string::npos)
      << text;
}

// A phase's change is named by its field; a phase that loses its only setting is not removed.
TEST(PlanDiff, APhaseChangeNamesTheFieldThatChanged) {
  const char* old_plan = R"(plan "p" {
  phase a {
    description = "first"
    step s = shell { argv = ["echo", "s"] }
  }
  phase b {
    description = "second"
    step t = shell { argv = ["echo", "t"] }
  }
})";
  const char* new_plan = R"(plan "p" {
  phase b {
    description = "second, changed"
    step t = shell { argv = ["echo", "t"] }
  }
  phase a {
    step s = shell { argv = ["echo", "s"] }
  }
})";
  PlanDiff diff = diff_plans(compile_text(old_plan), compile_text(new_plan));
  EXPECT_TRUE(diff.plan.empty());
  ASSERT_EQ(diff.phases.size(), 2u);
  const NamedChange& a = diff.phases[0];
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(a.kind, NamedChange::Kind::Changed);
  ASSERT_EQ(a.fields.size(), 2u);
  EXPECT_EQ(a.fields[0].path, "description");
  EXPECT_TRUE(a.fields[0].has_old && !a.fields[0].has_new);
  EXPECT_EQ(a.fields[1].path, "order");
  EXPECT_EQ(a.fields[1].old_value, 1);
  EXPECT_EQ(a.fields[1].new_value, 2);
  const NamedChange& b = diff.phases[1];
  ASSERT_EQ(b.fields.size(), 2u);
  EXPECT_EQ(b.fields[0].path, "description");
  EXPECT_EQ(b.fields[0].old_value, "second");
  EXPECT_EQ(b.fields[0].new_value, "second, changed");
  EXPECT_EQ(b.fields[1].path, "order");
  std::string text = render_text(diff, {"old", "new", false});
  EXPECT_NE(text.find("Phases\n  ~ a\n      description: removed (was \"first\")\n      order: 1 \u2192 2\n"),
            std::string::npos)
      << text;
}

// The steps a phase holds are a set: a step that moves in or out is named, a renamed one is not.
TEST(PlanDiff, APhaseNamesTheStepsThatLeftOrJoinedIt) {
  const char* old_plan = R"(plan "p" {
  phase a {
    step moving = shell { argv = ["echo", "moving"] }
    step old_name = shell { argv = ["echo", "renamed"] }
  }
  phase b {
    step t = shell { argv = ["echo", "t"] }
  }
})";
  const char* new_plan = R"(plan "p" {
  phase a {
    step new_name = shell { argv = ["echo", "renamed"] }
  }
  phase b {
    step t = shell { argv = ["echo", "t"] }
    step moving = shell { argv = ["echo", "moving"] }
  }
})";
  PlanDiff diff = diff_plans(compile_text(old_plan), compile_text(new_plan));
  ASSERT_EQ(diff.phases.size(), 2u);
  ASSERT_EQ(diff.phases[0].fields.size(), 1u);
  EXPECT_EQ(diff.phases[0].fields[0].path, "steps");
  EXPECT_EQ(diff.phases[0].fields[0].old_value, "moving");
  EXPECT_FALSE(diff.phases[0].fields[0].has_new);
  ASSERT_EQ(diff.phases[1].fields.size(), 1u);
  EXPECT_EQ(diff.phases[1].fields[0].new_value, "moving");
  EXPECT_FALSE(diff.phases[1].fields[0].has_old);
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
