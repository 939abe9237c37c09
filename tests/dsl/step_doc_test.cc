// The example `ferry explain` shows for each step type is generated from the schema; these
// tests compile every one through the real compiler, so none can show a plan that fails.
#include "dsl/step_doc.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace ferry::dsl {
namespace {

using testing_util::compile_text;

TEST(StepSchemaExample, EveryTypesExampleCompiles) {
  for (const StepSchema& schema : step_schemas()) {
    SCOPED_TRACE(schema.name + ":\n" + example_plan(schema));
    auto result = compile_text(example_plan(schema));
    EXPECT_TRUE(result->ir.has_value()) << result->errors;
    EXPECT_EQ(result->errors, "");
  }
}

TEST(StepSchemaExample, SetsTheRequiredFieldsAndOneOfEachExactlyOneGroup) {
  std::string scale = example_step(*find_step_schema("scale"));
  EXPECT_EQ(scale,
            "step my_scale = scale {\n"
            "  cluster = source\n"
            "  namespace = \"<namespace>\"\n"
            "  names = [\"<names>\"]\n"
            "  replicas = 1\n"
            "}\n");
  EXPECT_EQ(example_step(*find_step_schema("noop")), "step my_noop = noop {\n}\n");
}

TEST(StepSchemaExample, FindsOwnAndCommonFieldsAndTheirSubFields) {
  const StepSchema& scale = *find_step_schema("scale");
  EXPECT_EQ(find_step_field(scale, "replicas")->type.str(), "int");
  const StructField* retry = find_step_field(scale, "retry");
  ASSERT_NE(retry, nullptr);
  ASSERT_NE(sub_fields(retry->type), nullptr);
  EXPECT_EQ(sub_fields(retry->type)->front().name, "attempts");
  EXPECT_EQ(find_step_field(scale, "replica"), nullptr);
  EXPECT_EQ(sub_fields(find_step_field(scale, "names")->type), nullptr);
  EXPECT_EQ(destructive_text(scale), "at 0 replicas");
}

}  // namespace
}  // namespace ferry::dsl
