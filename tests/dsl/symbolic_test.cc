// The IR's symbolic values: their shapes, and the one implementation of the operators that the
// compiler folds and the executor evaluates.
#include "dsl/symbolic.h"

#include <cstdint>

#include <gtest/gtest.h>

namespace ferry::dsl {
namespace {

// eval_op's value, or "error: ..." with its message.
json op(const std::string& name, std::vector<json> args) {
  std::string error;
  auto value = eval_op(name, args, &error);
  return value ? *value : json("error: " + error);
}

TEST(Symbolic, MakesAndRecognisesEachKind) {
  json ref = make_ref("snap");
  EXPECT_EQ(ref, json::parse(R"({"$ref": "snap"})"));
  EXPECT_EQ(symbolic_kind(ref), SymbolicKind::kRef);
  EXPECT_TRUE(is_step_ref(ref));
  EXPECT_EQ(ref_output(ref), nullptr);
  extend_ref(ref, "size");
  EXPECT_EQ(ref, json::parse(R"({"$ref": "snap", "output": ["size"]})"));
  EXPECT_FALSE(is_step_ref(ref));
  EXPECT_EQ(*ref_step(ref), "snap");
  EXPECT_EQ(make_output_ref("snap", json::array({"size"})), ref);

  EXPECT_EQ(make_secret("token"), json::parse(R"({"$secret": "token"})"));
  EXPECT_EQ(*secret_param(make_secret("token")), "token");
  json concat = make_concat({"s3://", ref});
  EXPECT_EQ(concat, json::parse(R"({"$concat": ["s3://", {"$ref": "snap", "output": ["size"]}]})"));
  EXPECT_EQ(*operands(concat), json::array({"s3://", ref}));
  json gt = make_op(">", json::array({ref, 0}));
  EXPECT_EQ(gt, json::parse(R"({"$op": ">", "args": [{"$ref": "snap", "output": ["size"]}, 0]})"));
  EXPECT_EQ(*op_name(gt), ">");
  EXPECT_EQ(*operands(gt), json::array({ref, 0}));
  EXPECT_EQ(operands(ref), nullptr);

  EXPECT_TRUE(contains_symbolic(json{{"env", {{"A", make_secret("token")}}}}));
  EXPECT_FALSE(is_symbolic(json{{"a", 1}}));
  EXPECT_FALSE(is_symbolic(json::object()));
  EXPECT_EQ(ref_step(gt), nullptr);
}

TEST(Symbolic, EvaluatesOperators) {
  EXPECT_EQ(op("+", {2, 3}), 5);
  EXPECT_EQ(op("+", {"a", "b"}), "ab");
  EXPECT_EQ(op("+", {json::array({1}), json::array({2})}), json::array({1, 2}));
  EXPECT_EQ(op("-", {2, 3}), -1);
  EXPECT_EQ(op("-", {4}), -4);
  EXPECT_EQ(op("==", {"a", "a"}), true);
  EXPECT_EQ(op("<", {"a", "b"}), true);
  EXPECT_EQ(op("?:", {false, 1, 2}), 2);
  EXPECT_EQ(op("len", {"abc"}), 3);
  EXPECT_EQ(op("join", {json::array({"a", 1, true}), ","}), "a,1,true");
  EXPECT_EQ(op("int", {"42\n"}), 42);
  EXPECT_EQ(op("index", {json::array({"x", "y"}), 1}), "y");
  EXPECT_EQ(op("field", {json{{"k", 7}}, "k"}), 7);
  // A `when` under enclosing `when` blocks is one "&&" of all of them.
  EXPECT_EQ(op("&&", {true, true, false}), false);
  EXPECT_EQ(op("||", {false, false, true}), true);
}

TEST(Symbolic, OperandsThatDoNotFitAreErrorsNotGuesses) {
  EXPECT_EQ(op("+", {1, "a"}), "error: '+' adds two ints, joins two strings or two lists, not an int and a string");
  EXPECT_EQ(op("<", {1, "a"}), "error: '<' compares two ints or two strings, not an int and a string");
  EXPECT_EQ(op("&&", {true, "yes"}), "error: '&&' needs bools, got a string");
  EXPECT_EQ(op("int", {"4x"}), "error: int(): '4x' is not an integer");
  EXPECT_EQ(op("index", {json::array({1}), 3}), "error: index 3 is out of range (the list has 1 items)");
  EXPECT_EQ(op("field", {json{{"name", 1}}, "nmae"}), "error: the map has no key 'nmae'; did you mean 'name'?");
  EXPECT_EQ(op("*", {1, 2}), "error: unknown operation '*' with 2 operands (was the plan compiled by a newer ferry?)");
}

TEST(Symbolic, IntOverflowIsAnError) {
  EXPECT_EQ(op("+", {INT64_MAX, 1}), "error: integer overflow in '+' (9223372036854775807 + 1)");
  EXPECT_EQ(op("-", {INT64_MIN, 1}), "error: integer overflow in '-' (-9223372036854775808 - 1)");
  EXPECT_EQ(op("-", {INT64_MIN}), "error: integer overflow in '-' (-(-9223372036854775808))");
  EXPECT_EQ(op("int", {"9223372036854775808"}),
            "error: int(): '9223372036854775808' is out of range (at most 9223372036854775807)");
  EXPECT_EQ(op("+", {INT64_MAX - 1, 1}), INT64_MAX);
}

TEST(Symbolic, InterpolationText) {
  EXPECT_EQ(interpolation_text("a"), "a");
  EXPECT_EQ(interpolation_text(-3), "-3");
  EXPECT_EQ(interpolation_text(false), "false");
  EXPECT_EQ(interpolation_text(nullptr), "");
  EXPECT_EQ(interpolation_text(json::array()), std::nullopt);
}

}  // namespace
}  // namespace ferry::dsl
