// Resolving the symbolic parts of compiled arguments at run time, and the IR's JSON round trip
// that saved plans and run directories depend on.
#include "engine/run/resolve.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "dsl/vars_file.h"
#include "engine/run/saved_plan.h"
#include "tests/engine/test_plan.h"

namespace ferry::engine {
namespace {

TEST(Resolve, EvaluatesReferencesConcatenationsAndOperators) {
  dsl::Ir ir = testing::compile_text(R"(plan "p" {
    param token : secret string
    phase one {
      step a = shell { argv = ["x"] }
      step b = shell {
        argv = ["n=${int(a.stdout) + 1}", "${a.stdout == "41" ? "yes" : "no"}", "t=${token}"]
      }
    }
  })");
  json outputs = {{"stdout", "41"}, {"exit_code", 0}};
  Redactor redactor;
  ResolveScope scope;
  scope.ir = &ir;
  scope.redactor = &redactor;
  scope.outputs = [&](const std::string& id) -> const json* { return id == "a" ? &outputs : nullptr; };
  scope.secret = [](const std::string& name) -> std::optional<std::string> {
    return name == "token" ? std::optional<std::string>("s3cret") : std::nullopt;
  };
  json args;
  ASSERT_TRUE(resolve_value(ir.steps.at("b").args, scope, &args).ok());
  EXPECT_EQ(args["argv"], json({"n=42", "yes", "t=s3cret"}));
  // The secret, and the string made from it, are now redacted wherever they appear.
  EXPECT_EQ(redactor.redact("argv t=s3cret"), "argv <redacted>");

  scope.placeholders = true;
  scope.outputs = [](const std::string&) -> const json* { return nullptr; };
  ASSERT_TRUE(resolve_value(ir.steps.at("b").args, scope, &args).ok());
  EXPECT_EQ(args["argv"][2], "t=<redacted>");
  EXPECT_EQ(args["argv"][0], "n=<+(...)>");
}

TEST(Resolve, AMissingOutputOrSecretIsAClearError) {
  dsl::Ir ir = testing::compile_text(R"(plan "p" {
    param token : secret string
    phase one {
      step a = shell { argv = ["x"] }
      step b = shell { argv = [a.stdout] }
      step c = shell { argv = [token] }
    }
  })");
  ResolveScope scope;
  scope.ir = &ir;
  scope.outputs = [](const std::string&) -> const json* { return nullptr; };
  json out;
  Status s = resolve_value(ir.steps.at("b").args, scope, &out);
  EXPECT_EQ(s.error_class(), ErrorClass::kInvalid);
  EXPECT_NE(s.message().find("a.stdout is not known"), std::string::npos) << s.message();
  s = resolve_value(ir.steps.at("c").args, scope, &out);
  EXPECT_NE(s.message().find("secret param 'token' has no value"), std::string::npos) << s.message();
}

TEST(Resolve, IntOverflowIsAClearError) {
  dsl::Ir ir = testing::compile_text(R"(plan "p" {
    phase one {
      step a = shell { argv = ["x"] }
      step b = shell { argv = ["${int(a.stdout) + 1}"] }
      step c = shell { argv = ["${-int(a.stdout) - 2}"] }
    }
  })");
  json outputs = {{"stdout", "9223372036854775807\n"}};
  ResolveScope scope;
  scope.ir = &ir;
  scope.outputs = [&](const std::string& id) -> const json* { return id == "a" ? &outputs : nullptr; };
  json out;
  Status s = resolve_value(ir.steps.at("b").args, scope, &out);
  EXPECT_EQ(s.error_class(), ErrorClass::kInvalid);
  EXPECT_EQ(s.message(), "integer overflow in '+' (9223372036854775807 + 1)");
  s = resolve_value(ir.steps.at("c").args, scope, &out);
  EXPECT_EQ(s.message(), "integer overflow in '-' (-9223372036854775807 - 2)");
  outputs["stdout"] = "41";
  ASSERT_TRUE(resolve_value(ir.steps.at("b").args, scope, &out).ok());
  EXPECT_EQ(out["argv"][0], 42);  // "${x}" alone is x itself
}

TEST(Resolve, EveryConditionOfANestedWhenCounts) {
  // Two `when` blocks and the step's own `when`: one "&&" of three conditions.
  dsl::Ir ir = testing::compile_text(R"(plan "p" {
    phase one {
      step a = shell { argv = ["x"] }
      when a.exit_code == 0 {
        when a.stdout != "" {
          step b = shell { argv = ["y"]  when = a.stdout == "go" }
        }
      }
    }
  })");
  ASSERT_EQ(ir.steps.at("b").when["args"].size(), 3u);
  json outputs = {{"stdout", "stop"}, {"exit_code", 0}};
  ResolveScope scope;
  scope.ir = &ir;
  scope.outputs = [&](const std::string& id) -> const json* { return id == "a" ? &outputs : nullptr; };
  json when;
  ASSERT_TRUE(resolve_value(ir.steps.at("b").when, scope, &when).ok());
  EXPECT_EQ(when, false);  // the third condition; it was not evaluated before
  outputs["stdout"] = "go";
  ASSERT_TRUE(resolve_value(ir.steps.at("b").when, scope, &when).ok());
  EXPECT_EQ(when, true);
}

TEST(Resolve, MapKeysStartingWithDollarAreGivenBackAsWritten) {
  dsl::Ir ir = testing::compile_text(R"(plan "p" {
    cluster c { kubeconfig = "/k" }
    phase one {
      step a = shell { argv = ["x"] }
      step s = create {
        cluster = c
        object = { kind = "Schema", spec = { "$schema" = "v1", "$$two" = 2, "$comment" = a.stdout, list = [{ "$ref" = "#/a" }] } }
      }
    }
  })");
  json outputs = {{"stdout", "from a"}};
  ResolveScope scope;
  scope.ir = &ir;
  scope.outputs = [&](const std::string& id) -> const json* { return id == "a" ? &outputs : nullptr; };
  json args;
  ASSERT_TRUE(resolve_value(ir.steps.at("s").args, scope, &args).ok());
  EXPECT_EQ(args["object"]["spec"],
            json::parse(R"({"$schema": "v1", "$$two": 2, "$comment": "from a", "list": [{"$ref": "#/a"}]})"));
  // A step's outputs are taken as they are: a "$$" key there is its own.
  outputs = {{"stdout", json{{"$$x", 1}}}};
  ASSERT_TRUE(resolve_value(ir.steps.at("s").args, scope, &args).ok());
  EXPECT_EQ(args["object"]["spec"]["$comment"], json({{"$$x", 1}}));
}

class StockPlanRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(StockPlanRoundTrip, SavedPlanReadsBackToTheSameIr) {
  dsl::CompileOptions options;
  options.environment = [](std::string_view) { return std::nullopt; };
  options.module_path = {FERRY_STDLIB_DIR};
  dsl::SourceSet sources;
  dsl::Diagnostics diags;
  // With the example env file, as the demo compiles them.
  std::ifstream env_in(std::string(FERRY_PLANS_DIR) + "/example.env");
  std::string env_text((std::istreambuf_iterator<char>(env_in)), std::istreambuf_iterator<char>());
  const dsl::SourceFile* env_file = sources.add("example.env", env_text);
  std::vector<dsl::VarsFileEntry> entries;
  auto home = [](std::string_view name) -> std::optional<std::string> {
    if (name == "HOME") return "/home/jdoe";
    if (name == "USER") return "jdoe";
    return std::nullopt;
  };
  ASSERT_TRUE(dsl::parse_vars_file(*env_file, home, &entries, &diags)) << diags.render();
  for (const auto& e : entries) options.vars[e.name] = e.value;
  auto ir = dsl::compile_plan(std::string(FERRY_PLANS_DIR) + "/" + GetParam(), options, &sources, &diags);
  ASSERT_TRUE(ir) << diags.render();
  std::string path = ::testing::TempDir() + "saved-" + GetParam() + ".json";
  SavedPlanText saved = saved_plan_text(*ir, GetParam());
  EXPECT_EQ(saved.hash, dsl::ir_hash(*ir));
  std::ofstream(path) << saved.text;
  ASSERT_TRUE(is_saved_plan(path));
  std::string error;
  auto back = read_saved_plan(path, &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(dsl::ir_canonical_text(*back), dsl::ir_canonical_text(*ir));
  // An edited saved plan is refused.
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  auto at = text.find("\"replicas\": 0");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 13, "\"replicas\": 1");
  std::ofstream(path) << text;
  EXPECT_FALSE(read_saved_plan(path, &error));
  EXPECT_NE(error.find("was changed after it was saved"), std::string::npos) << error;
}

INSTANTIATE_TEST_SUITE_P(Plans, StockPlanRoundTrip,
                         ::testing::Values("controlplane.ferry", "controlplane-nodepool.ferry", "controlplane.toml",
                                           "evacuate.ferry"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return n;
                         });

}  // namespace
}  // namespace ferry::engine
