// Each risk rule on a pair of small plans: the rule fires when the plan gets more dangerous,
// and stays quiet when the same change goes the safe way.
#include "engine/diff/risk.h"

#include <gtest/gtest.h>

#include "tests/diff/diff_test_util.h"

namespace ferry::diff {
namespace {

using testing_util::compile_text;

std::vector<std::string> kinds(const std::string& old_plan, const std::string& new_plan) {
  PlanDiff diff = diff_plans(compile_text(old_plan), compile_text(new_plan));
  std::vector<std::string> out;
  for (const Risk& r : diff.risks) out.push_back(r.kind + " " + r.step);
  return out;
}

using Kinds = std::vector<std::string>;

std::string plan(const std::string& settings, const std::string& steps) {
  return "plan \"p\" {\n" + settings + "\n  cluster c { kubeconfig = \"/k\" }\n  phase one {\n" + steps + "\n  }\n}\n";
}

const std::string kBackup = R"(step saved = backup { cluster = c namespace = "n" kind = "secrets" })";
const std::string kWait = R"(step ready = wait { probe = ["true"] })";

TEST(Risk, NewDeleteAndScaleToZero) {
  std::string old_plan = plan("", "step s = scale { cluster = c namespace = \"n\" all = true replicas = 2 }");
  std::string new_plan = plan("",
                              "step s = scale { cluster = c namespace = \"n\" all = true replicas = 0 }\n"
                              "step d = delete { cluster = c namespace = \"n\" kind = \"pods\" all = true }");
  EXPECT_EQ(kinds(old_plan, new_plan), (Kinds{"destructive_added d", "became_destructive s"}));
  EXPECT_EQ(kinds(new_plan, old_plan), Kinds{});
}

TEST(Risk, BackupDependencyLostOnceForAllBackups) {
  std::string guarded = plan(
      "", kBackup + "\n" + kWait +
              "\nstep d = delete { cluster = c namespace = \"n\" kind = \"pods\" all = true after = [saved, ready] }");
  std::string unguarded = plan(
      "", kBackup + "\n" + kWait + "\nstep d = delete { cluster = c namespace = \"n\" kind = \"pods\" all = true }");
  EXPECT_EQ(kinds(guarded, unguarded), (Kinds{"guard_removed d", "backup_dependency_lost d"}));
  EXPECT_EQ(kinds(unguarded, guarded), Kinds{});
}

TEST(Risk, RollbackRemovedAndOnFailure) {
  std::string with =
      plan("on_failure = rollback", "step s = scale { cluster = c namespace = \"n\" all = true replicas = 2 }");
  std::string without = plan(
      "on_failure = stop", "step s = scale { cluster = c namespace = \"n\" all = true replicas = 2 rollback = none }");
  EXPECT_EQ(kinds(with, without), (Kinds{"rollback_removed s", "rollback_removed "}));
  EXPECT_EQ(kinds(without, with), Kinds{});
}

TEST(Risk, FewerRetriesAndShorterTimeouts) {
  std::string patient =
      plan("retry { attempts = 3 }", "step x = shell { argv = [\"true\"] retry { attempts = 5 } timeout = \"10m\" }");
  std::string hasty =
      plan("retry { attempts = 2 }", "step x = shell { argv = [\"true\"] retry { attempts = 4 } timeout = \"9m\" }");
  EXPECT_EQ(kinds(patient, hasty), (Kinds{"fewer_retries ", "fewer_retries x", "shorter_timeout x"}));
  EXPECT_EQ(kinds(hasty, patient), Kinds{});
  // No timeout is longer than any.
  std::string unbounded = plan("", "step x = shell { argv = [\"true\"] }");
  std::string bounded = plan("", "step x = shell { argv = [\"true\"] timeout = \"1h\" }");
  EXPECT_EQ(kinds(unbounded, bounded), Kinds{"shorter_timeout x"});
}

}  // namespace
}  // namespace ferry::diff
