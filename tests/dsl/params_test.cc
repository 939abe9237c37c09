// Params given as text (--var, a vars file, the environment): how each type reads it.
#include <gtest/gtest.h>

#include "dsl/ir.h"
#include "test_util.h"

namespace ferry::dsl {
namespace {

using testing_util::compile_text;

json list_value(const std::string& text) {
  auto c = compile_text("plan \"p\" {\n  param pools : list(string) = []\n  phase p { step s = noop {} }\n}\n",
                        {{"pools", text}});
  EXPECT_TRUE(c->ir) << c->errors;
  return c->ir ? c->ir->params.at("pools").value : json();
}

TEST(ListParam, CommasOrWhitespaceSeparateTheItems) {
  EXPECT_EQ(list_value("pool-a,pool-b"), json({"pool-a", "pool-b"}));
  // As an env file written for the shell has it: NODEPOOLS="pool-a pool-b".
  EXPECT_EQ(list_value("pool-a pool-b"), json({"pool-a", "pool-b"}));
  EXPECT_EQ(list_value(" pool-a,\tpool-b , "), json({"pool-a", "pool-b"}));
  EXPECT_EQ(list_value("pool-a"), json({"pool-a"}));
  EXPECT_EQ(list_value(""), json::array());
}

TEST(ListParam, AJsonListIsReadAsJson) {
  EXPECT_EQ(list_value(R"(["a b", "c"])"), json({"a b", "c"}));
}

}  // namespace
}  // namespace ferry::dsl
