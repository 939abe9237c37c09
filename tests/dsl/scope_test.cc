// Failure scopes in the language: `isolated step` (and TOML's `scope = "isolated"`) marks the
// steps of a template instance with the instance's id; the IR carries it, reads it back and
// refuses a malformed one; a plan without scopes keeps its IR and hash.
#include <gtest/gtest.h>

#include "dsl/ir.h"
#include "test_util.h"

namespace ferry::dsl {
namespace {

using testing_util::compile_text;

const char* kPlan = R"(plan "t" {
  template two() {
    step a = noop {}
    step b = noop { after = [a] }
  }

  phase p {
    for n in ["x", "y"] {
      isolated step cell[n] = two()
    }
    step plain = two()
    let isolated = "a let may still be called isolated"
    step after_all = noop { after = [cell]  description = isolated }
  }
})";

TEST(Scopes, AnIsolatedInstanceMarksEachOfItsStepsWithItsId) {
  auto c = compile_text(kPlan);
  ASSERT_TRUE(c->ir) << c->errors;
  const Ir& ir = *c->ir;
  EXPECT_EQ(ir.steps.at("cell[x].a").scope, "cell[x]");
  EXPECT_EQ(ir.steps.at("cell[y].b").scope, "cell[y]");
  EXPECT_EQ(ir.steps.at("plain.a").scope, "");
  EXPECT_EQ(ir.steps.at("after_all").scope, "");
  json j = ir_to_json(ir, {.spans = false});
  EXPECT_EQ(j["steps"]["cell[x].b"]["scope"], "cell[x]");
  EXPECT_FALSE(j["steps"]["plain.b"].contains("scope"));  // no key: a plan without scopes hashes as before
}

TEST(Scopes, TheScopeMakesTheOnlyDifferenceToTheIrAndItsHash) {
  std::string plain = kPlan;
  plain.replace(plain.find("isolated step"), 9, "");
  auto with = compile_text(kPlan);
  auto without = compile_text(plain);
  ASSERT_TRUE(with->ir && without->ir) << with->errors << without->errors;
  EXPECT_NE(ir_hash(*with->ir), ir_hash(*without->ir));
  json a = ir_to_json(*with->ir, {.spans = false});
  for (auto& [id, step] : a["steps"].items()) step.erase("scope");
  EXPECT_EQ(a, ir_to_json(*without->ir, {.spans = false}));
}

TEST(Scopes, TheIrReadsItsScopesBackAndRefusesAMalformedOne) {
  auto c = compile_text(kPlan);
  ASSERT_TRUE(c->ir) << c->errors;
  json saved = ir_to_json(*c->ir);
  std::string error;
  auto back = ir_from_json(saved, &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->steps.at("cell[y].a").scope, "cell[y]");
  EXPECT_EQ(ir_hash(*back), ir_hash(*c->ir));

  json bad = saved;
  bad["steps"]["plain.a"]["scope"] = "cell[x]";
  EXPECT_FALSE(ir_from_json(bad, &error));
  EXPECT_NE(error.find("malformed plan: step 'plain.a' has scope 'cell[x]', which is not an instance it is part of"),
            std::string::npos)
      << error;
  bad = saved;
  bad["steps"]["cell[x].a"]["scope"] = 7;
  EXPECT_FALSE(ir_from_json(bad, &error));
  EXPECT_NE(error.find("step 'cell[x].a' has scope 7; expected the name of an instance"), std::string::npos) << error;
  bad["steps"]["cell[x].a"]["scope"] = "";
  EXPECT_FALSE(ir_from_json(bad, &error));
}
}  // namespace
}  // namespace ferry::dsl
