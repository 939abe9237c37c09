// `holds` (docs/fleet.md, docs/language.md §12): the shared things a step holds a Lease for on
// its cluster. Both surfaces compile it the same; the IR carries it only when set (a plan without
// holds keeps its IR and hash) and reads it back; a hold needs the step's cluster.
#include <gtest/gtest.h>

#include "dsl/ir.h"
#include "test_util.h"

namespace ferry::dsl {
namespace {

using testing_util::compile_text;

const char* kPlan = R"(plan "t" {
  param ns : string = "clusters"
  cluster source { kubeconfig = "/dev/null" }

  phase p {
    step check = noop {
      cluster = source
      holds = ["hostedcluster/${ns}/hc", "hostedcluster/${ns}/hc", "dns/hc"]
    }
    step plain = noop { cluster = source }
  }
})";

const char* kToml = R"([plan]
name = "t"

[param.ns]
type = "string"
default = "clusters"

[cluster.source]
kubeconfig = "/dev/null"

[[phase]]
name = "p"

[[phase.step]]
id = "check"
type = "noop"
cluster = "source"
holds = ["hostedcluster/${ns}/hc", "hostedcluster/${ns}/hc", "dns/hc"]

[[phase.step]]
id = "plain"
type = "noop"
cluster = "source"
)";

TEST(Holds, AStepsHoldsAreInterpolatedKeptInOrderAndEachOnce) {
  auto c = compile_text(kPlan);
  ASSERT_TRUE(c->ir) << c->errors;
  EXPECT_EQ(c->ir->steps.at("check").holds, (std::vector<std::string>{"hostedcluster/clusters/hc", "dns/hc"}));
  json j = ir_to_json(*c->ir, {.spans = false});
  EXPECT_EQ(j["steps"]["check"]["holds"], json({"hostedcluster/clusters/hc", "dns/hc"}));
  EXPECT_FALSE(j["steps"]["plain"].contains("holds"));  // no key: a plan without holds hashes as before
}

TEST(Holds, TheTomlFormSaysTheSame) {
  auto ferry = compile_text(kPlan);
  auto toml = compile_text(kToml, {}, "plan.toml");
  ASSERT_TRUE(ferry->ir && toml->ir) << ferry->errors << toml->errors;
  EXPECT_EQ(ir_hash(*ferry->ir), ir_hash(*toml->ir));
}

TEST(Holds, TheHoldsMakeTheOnlyDifferenceToTheIrAndTheIrReadsThemBack) {
  std::string plain = kPlan;
  size_t at = plain.find("      holds");
  plain.erase(at, plain.find('\n', at) + 1 - at);
  auto with = compile_text(kPlan);
  auto without = compile_text(plain);
  ASSERT_TRUE(with->ir && without->ir) << with->errors << without->errors;
  EXPECT_NE(ir_hash(*with->ir), ir_hash(*without->ir));
  json a = ir_to_json(*with->ir, {.spans = false});
  a["steps"]["check"].erase("holds");
  EXPECT_EQ(a, ir_to_json(*without->ir, {.spans = false}));

  std::string error;
  auto back = ir_from_json(ir_to_json(*with->ir), &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->steps.at("check").holds, with->ir->steps.at("check").holds);
  EXPECT_EQ(ir_hash(*back), ir_hash(*with->ir));
}

TEST(Holds, AHoldNeedsTheStepsClusterAndANonEmptyThing) {
  auto c = compile_text(R"(plan "t" {
  cluster source { kubeconfig = "/dev/null" }
  phase p {
    step a = noop { holds = ["hostedcluster/clusters/hc"] }
    step b = noop {
      cluster = source
      holds = [""]
    }
  }
})");
  EXPECT_FALSE(c->ir);
  EXPECT_NE(c->errors.find("step 'a' holds [\"hostedcluster/clusters/hc\"] but sets no 'cluster'"), std::string::npos)
      << c->errors;
  EXPECT_NE(c->errors.find("step 'b' holds an empty string"), std::string::npos) << c->errors;
}

}  // namespace
}  // namespace ferry::dsl
