// Rules about a step read from its schema and arguments (dsl/step_rules.h).
#include "dsl/step_rules.h"

#include <gtest/gtest.h>

namespace ferry::dsl {
namespace {

TEST(StepRules, DestructivenessFollowsTheSchemaAndScaleToZero) {
  IrStep step;
  step.type = "delete";
  EXPECT_TRUE(is_destructive(step));
  step.type = "scale";
  step.args = {{"replicas", 2}};
  EXPECT_FALSE(is_destructive(step));
  step.args = {{"replicas", 0}};
  EXPECT_TRUE(is_destructive(step));
  // A count known only at run time may be 0.
  step.args = {{"replicas", {{"$ref", "count.value"}}}};
  EXPECT_TRUE(is_destructive(step));
  step.type = "backup";
  EXPECT_FALSE(is_destructive(step));
  step.type = "no_such_type";
  EXPECT_FALSE(is_destructive(step));
}

}  // namespace
}  // namespace ferry::dsl
