// The engine implements every step type the language declares, under the same name, with an
// inverse exactly where the schema offers `rollback = auto`.
#include <gtest/gtest.h>

#include "dsl/step_types.h"
#include "engine/steps/registry.h"

namespace ferry::engine {
namespace {

TEST(Registry, EverySchemaTypeHasAnImplementation) {
  for (const dsl::StepSchema& schema : dsl::step_schemas()) {
    const StepImpl* impl = find_step_impl(schema.name);
    ASSERT_NE(impl, nullptr) << "no implementation of step type '" << schema.name << "'";
    EXPECT_EQ(impl->type, schema.name);
    EXPECT_TRUE(impl->render && impl->run) << schema.name;
    EXPECT_EQ(static_cast<bool>(impl->inverse), schema.has_inverse) << schema.name;
    EXPECT_EQ(static_cast<bool>(impl->render_inverse), schema.has_inverse) << schema.name;
  }
  EXPECT_EQ(find_step_impl("no-such-type"), nullptr);
}

}  // namespace
}  // namespace ferry::engine
