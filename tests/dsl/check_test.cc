// Compiler behaviour: variables, secrets, when, templates, references, retries and the DAG.
#include <gtest/gtest.h>

#include "dsl/ir.h"
#include "test_util.h"

namespace ferry::dsl {
namespace {

using testing_util::compile_text;

const char* kHeader = R"(plan "t" {
  cluster source { kubeconfig = "/k" }
)";

std::string plan(const std::string& body) { return std::string(kHeader) + body + "\n}\n"; }

TEST(Compile, ASecretNeverReachesTheIr) {
  auto c = compile_text(plan(R"(
  param token : secret string
  phase p { step s = shell { argv = ["curl", "-H", "Authorization: Bearer ${token}"] } })"),
                        {{"token", "canary-s3cr3t"}});
  ASSERT_TRUE(c->ir) << c->errors;
  std::string ir = ir_to_json(*c->ir).dump();
  EXPECT_EQ(ir.find("canary-s3cr3t"), std::string::npos);
  EXPECT_EQ(c->ir->steps.at("s").args["argv"][2],
            (json{{"$concat", json::array({"Authorization: Bearer ", json{{"$secret", "token"}}})}}));
}

TEST(Compile, DefaultsAreAddedWhereArgsAreReadNotStoredInEachStep) {
  auto c = compile_text(plan(R"(
  phase p {
    step snap = snapshot { cluster = source
      namespace = "ns"
      pod = "etcd-0" }
    step mine = snapshot { cluster = source
      namespace = "ns"
      pod = "etcd-1"
      container = "other"
      key_file = null }
  })"));
  ASSERT_TRUE(c->ir) << c->errors;
  const IrStep& snap = c->ir->steps.at("snap");
  EXPECT_FALSE(snap.args.contains("container"));  // the compiled step holds what the plan set
  json args = step_args(snap);
  EXPECT_EQ(args["container"], "etcd");
  EXPECT_EQ(args["pod"], "etcd-0");
  EXPECT_EQ(ir_to_json(*c->ir)["steps"]["snap"]["args"], args);
  // What the plan sets wins; an explicit null leaves the field to its default.
  json mine = step_args(c->ir->steps.at("mine"));
  EXPECT_EQ(mine["container"], "other");
  EXPECT_EQ(mine["key_file"], args["key_file"]);
  // Back from the JSON (which has the defaults), the args are the same.
  std::string error;
  auto back = ir_from_json(ir_to_json(*c->ir), &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(step_args(back->steps.at("snap")), args);
}

// A saved plan is read back into the IR's types once: a value they cannot hold (an edited or
// damaged file) is refused with where it is, and the parsed policy is what the executor reads.
TEST(Compile, ASavedPlanIsParsedOnceAndADamagedOneIsRefused) {
  auto c = compile_text(plan("phase p { step s = noop { retry { attempts = 4  backoff = constant(\"2s\") } } }"));
  ASSERT_TRUE(c->ir) << c->errors;
  json saved = ir_to_json(*c->ir);
  std::string error;
  auto back = ir_from_json(saved, &error);
  ASSERT_TRUE(back) << error;
  const RetryPolicy& policy = back->steps.at("s").retry.policy();
  EXPECT_EQ(policy.attempts, 4);
  EXPECT_FALSE(policy.exponential);
  EXPECT_EQ(policy.initial_ms, 2000);
  EXPECT_EQ(back->retry.policy().attempts, 1);  // the plan's default
  EXPECT_EQ(ir_hash(*back), ir_hash(*c->ir));

  json bad = saved;
  bad["steps"]["s"]["retry"]["backoff"]["interval"] = "2 fortnights";
  EXPECT_FALSE(ir_from_json(bad, &error));
  EXPECT_NE(error.find("malformed plan: step 's': retry backoff interval \"2 fortnights\" is not a duration"), std::string::npos)
      << error;
  bad = saved;
  bad["steps"]["s"]["rollback"] = "sideways";
  EXPECT_FALSE(ir_from_json(bad, &error));
  EXPECT_NE(error.find("step 's' has rollback 'sideways'"), std::string::npos) << error;
}

TEST(Compile, ABadSecretValueIsReportedWithoutShowingIt) {
  auto c = compile_text(plan("param pin : secret int\n  phase p { step s = noop {} }"), {{"pin", "canary-value"}});
  EXPECT_FALSE(c->ir);
  EXPECT_NE(c->errors.find("the value <redacted> given for param 'pin' is not an int"), std::string::npos) << c->errors;
  EXPECT_EQ(c->errors.find("canary-value"), std::string::npos);
}

TEST(Compile, ParamsTakeTypedValuesFromVars) {
  auto c = compile_text(plan(R"(
  param n : int
  param on : bool
  param pods : list(string)
  param extra : list(int)
  param wait : duration = "90s"
  phase p { step s = noop {} })"),
                        {{"n", "3"}, {"on", "true"}, {"pods", "etcd-0,etcd-1"}, {"extra", "[1, 2]"}});
  ASSERT_TRUE(c->ir) << c->errors;
  EXPECT_EQ(c->ir->params.at("n").value, 3);
  EXPECT_EQ(c->ir->params.at("on").value, true);
  EXPECT_EQ(c->ir->params.at("pods").value, json::array({"etcd-0", "etcd-1"}));
  EXPECT_EQ(c->ir->params.at("extra").value, json::array({1, 2}));
  EXPECT_EQ(c->ir->params.at("wait").value, "1m30s");
}

TEST(Compile, AMisspelledVarIsAnError) {
  auto c = compile_text(plan("param hc_name : string = \"x\"\n  phase p { step s = noop {} }"), {{"hc_nme", "y"}});
  EXPECT_FALSE(c->ir);
  EXPECT_EQ(c->errors,
            "error: --var 'hc_nme' matches no param of plan 't' and no env() lookup; did you mean 'hc_name'?\n");
}

TEST(Compile, EnvReadsVarsThenTheEnvironmentThenItsDefault) {
  std::string text = plan(R"(
  let a = env("A")
  let b = env("B")
  let c = env("C", "fallback")
  phase p { step s = shell { argv = [a, b, c] } })");
  auto compiled = compile_text(text, {{"A", "from-var"}}, "plan.ferry", {{"A", "from-env"}, {"B", "env-b"}});
  ASSERT_TRUE(compiled->ir) << compiled->errors;
  EXPECT_EQ(compiled->ir->steps.at("s").args["argv"], json::array({"from-var", "env-b", "fallback"}));

  auto missing = compile_text(text, {{"A", "x"}});
  EXPECT_NE(missing->errors.find("environment variable 'B' is not set; pass --var B=... or --vars-file"),
            std::string::npos)
      << missing->errors;
}

TEST(Compile, AFalseWhenLeavesTheStepOut) {
  auto c = compile_text(plan(R"(
  param public : bool = false
  phase p {
    when public { step routes = delete { cluster = source  namespace = "n"  kind = "routes"  all = true } }
    step next = noop { after = [routes] }
  })"));
  ASSERT_TRUE(c->ir) << c->errors;
  EXPECT_FALSE(c->ir->find("routes"));
  EXPECT_TRUE(c->ir->steps.at("next").deps.empty());
}

TEST(Compile, ReadingTheOutputOfALeftOutStepIsAnError) {
  auto c = compile_text(plan(R"(
  phase p {
    step a = shell { argv = ["true"]  when = false }
    step b = shell { argv = [a.stdout] }
  })"));
  EXPECT_FALSE(c->ir);
  EXPECT_NE(c->errors.find("reads the output of 'a', which this plan leaves out (its 'when' is false)"),
            std::string::npos)
      << c->errors;
}

TEST(Compile, ARuntimeWhenStaysSymbolic) {
  auto c = compile_text(plan(R"(
  phase p {
    step probe = shell { argv = ["kubectl", "get", "routes"] }
    step act = noop { when = probe.stdout != "" }
  })"));
  ASSERT_TRUE(c->ir) << c->errors;
  EXPECT_EQ(c->ir->steps.at("act").when,
            (json{{"$op", "!="}, {"args", json::array({json{{"$ref", "probe"}, {"output", {"stdout"}}}, ""})}}));
  EXPECT_EQ(c->ir->steps.at("act").deps, std::vector<std::string>{"probe"});
}

TEST(Compile, TemplateInstancesNamespaceTheirSteps) {
  auto c = compile_text(plan(R"(
  template backup(pod : string, after_step : step) {
    step snap = snapshot { cluster = source  namespace = "ns"  pod = pod  after = [after_step] }
    step put = upload { from = snap  to = "s3://b/${pod}" }
  }
  phase p {
    step start = noop {}
    for pod in ["etcd-0", "etcd-1"] {
      step etcd[pod] = backup(pod = pod, after_step = start)
    }
    step done = noop { after = [etcd] }
    step one = presign { url = etcd["etcd-1"].put.url }
  })"));
  ASSERT_TRUE(c->ir) << c->errors;
  const IrStep& put = c->ir->steps.at("etcd[etcd-0].put");
  EXPECT_EQ(put.args["from"], (json{{"$ref", "etcd[etcd-0].snap"}}));
  EXPECT_EQ(put.template_name, "backup");
  EXPECT_EQ(c->ir->steps.at("etcd[etcd-1].snap").deps, std::vector<std::string>{"start"});
  EXPECT_EQ(c->ir->steps.at("done").deps,
            (std::vector<std::string>{"etcd[etcd-0].put", "etcd[etcd-0].snap", "etcd[etcd-1].put", "etcd[etcd-1].snap"}));
  EXPECT_EQ(c->ir->steps.at("one").deps, std::vector<std::string>{"etcd[etcd-1].put"});
}

TEST(Compile, TemplateArgumentsAreChecked) {
  auto c = compile_text(plan(R"(
  template t(n : int, m : string) { step s = noop {} }
  phase p { step x = t(n = "three", k = 1) })"));
  EXPECT_FALSE(c->ir);
  EXPECT_NE(c->errors.find("template 't' has no parameter 'k'"), std::string::npos) << c->errors;
  EXPECT_NE(c->errors.find("template 't' needs the argument 'm'"), std::string::npos) << c->errors;
  EXPECT_NE(c->errors.find("'n': expected an int, got string"), std::string::npos) << c->errors;
}

TEST(Compile, AStepRetryOverridesThePlanDefaultFieldByField) {
  auto c = compile_text(plan(R"(
  retry { attempts = 3  backoff = constant("5s") }
  phase p {
    step a = noop {}
    step b = noop { retry { attempts = 7 } }
  })"));
  ASSERT_TRUE(c->ir) << c->errors;
  EXPECT_EQ(c->ir->steps.at("a").retry.get()["attempts"], 3);
  EXPECT_EQ(c->ir->steps.at("b").retry.get()["attempts"], 7);
  EXPECT_EQ(c->ir->steps.at("b").retry.get()["backoff"], (json{{"kind", "constant"}, {"interval", "5s"}}));
  EXPECT_EQ(c->ir->steps.at("b").retry.get()["on"], json::array({"transient", "timeout"}));
}

TEST(Compile, RollbackModesFollowTheStepType) {
  auto c = compile_text(plan(R"(
  phase p {
    step s = scale { cluster = source  namespace = "n"  names = ["a"]  replicas = 0 }
    step e = exec { cluster = source  namespace = "n"  pod = "p"  command = ["true"] }
    step b = shell {
      argv = ["make-thing"]
      rollback { step undo = shell { argv = ["remove-thing", b.stdout] } }
    }
  })"));
  ASSERT_TRUE(c->ir) << c->errors;
  EXPECT_EQ(c->ir->steps.at("s").rollback, RollbackMode::kAuto);
  EXPECT_EQ(c->ir->steps.at("e").rollback, RollbackMode::kNone);
  const IrStep& b = c->ir->steps.at("b");
  EXPECT_EQ(b.rollback, RollbackMode::kSteps);
  ASSERT_EQ(b.rollback_steps.size(), 1u);
  EXPECT_EQ(b.rollback_steps[0].id, "b/undo");
  EXPECT_FALSE(c->ir->find("b/undo"));

  auto bad = compile_text(plan(R"(
  phase p { step e = exec { cluster = source  namespace = "n"  pod = "p"  command = ["true"]  rollback = auto } })"));
  EXPECT_NE(bad->errors.find("step type 'exec' has no automatic rollback"), std::string::npos) << bad->errors;
}

TEST(Compile, OutputsAreCheckedAgainstTheStepType) {
  auto c = compile_text(plan(R"(
  phase p {
    step snap = snapshot { cluster = source  namespace = "n"  pod = "etcd-0" }
    step put = upload { from = snap.pth  to = "s3://b/k" }
  })"));
  EXPECT_FALSE(c->ir);
  EXPECT_NE(c->errors.find("reads 'pth' of 'snap', but a snapshot step has no output 'pth'; did you mean 'path'?"),
            std::string::npos)
      << c->errors;
}

TEST(Compile, PhasesMayOnlyLookBack) {
  auto c = compile_text(plan(R"(
  phase first { step a = noop { after = [b] } }
  phase second { step b = noop {} })"));
  EXPECT_FALSE(c->ir);
  EXPECT_NE(c->errors.find("step 'a' in phase 'first' depends on 'b' in the later phase 'second'"), std::string::npos)
      << c->errors;
}

TEST(Compile, ACycleIsPrintedWithEveryStepOnIt) {
  auto c = compile_text(plan(R"(
  phase p {
    step a = noop { after = [c] }
    step b = noop { after = [a] }
    step c = noop { after = [b] }
  })"));
  EXPECT_FALSE(c->ir);
  EXPECT_NE(c->errors.find("error: dependency cycle: a -> c -> b -> a"), std::string::npos) << c->errors;
  EXPECT_NE(c->errors.find("note: 'c' depends on 'b'"), std::string::npos) << c->errors;
}

TEST(Compile, TheIrDoesNotDependOnDeclarationOrder) {
  auto one = compile_text(plan(R"(
  let x = "a"
  phase p { step a = noop {}  step b = noop { after = [a] } })"));
  auto two = compile_text(plan(R"(
  phase p { step b = noop { after = [a] }
            step a = noop {} }
  let x = "a")"));
  ASSERT_TRUE(one->ir && two->ir) << one->errors << two->errors;
  EXPECT_EQ(ir_hash(*one->ir), ir_hash(*two->ir));
}

TEST(Compile, TomlErrorsPointIntoTheTomlFile) {
  auto c = compile_text(R"([plan]
name = "t"

[cluster.source]
kubeconfig = "/k"

[[phase]]
name = "p"

[[phase.step]]
id = "s"
type = "scale"
cluster = "source"
namespace = "n"
names = ["a"]
replicas = "zero"
)",
                        {}, "plan.toml");
  EXPECT_FALSE(c->ir);
  EXPECT_NE(c->errors.find("plan.toml:16:12: error: 'replicas': expected an int, got string"), std::string::npos)
      << c->errors;
}

}  // namespace
}  // namespace ferry::dsl

namespace ferry::dsl {
namespace {

namespace fs = std::filesystem;

// A throwaway directory tree for module resolution tests.
struct TempTree {
  fs::path root = fs::temp_directory_path() / ("ferry-modules-" + std::to_string(::getpid()));
  TempTree() { fs::create_directories(root); }
  ~TempTree() { fs::remove_all(root); }
  std::string add(const std::string& path, const std::string& text) {
    fs::create_directories((root / path).parent_path());
    std::ofstream(root / path) << text;
    return (root / path).string();
  }
};

const char* kModule = R"(module "tools" {
  let greeting = "hello"
  template say(what : string) { step echo = shell { argv = ["echo", greeting, what] } }
})";

TEST(Modules, UseResolvesRelativePathsThenTheModulePath) {
  TempTree tree;
  tree.add("lib/tools.ferry", kModule);
  tree.add("plans/local/tools.ferry", std::string(kModule).replace(0, 14, "module \"local\""));
  std::string plan = tree.add("plans/p.ferry", R"(plan "p" {
  use "tools"
  use "local/tools.ferry"
  phase one {
    step a = tools.say(what = "from the module path")
    step b = local.say(what = "from a relative path")
  }
})");
  CompileOptions options;
  options.module_path = {(tree.root / "lib").string()};
  SourceSet sources;
  Diagnostics diags;
  auto ir = compile_plan(plan, options, &sources, &diags);
  ASSERT_TRUE(ir) << diags.render();
  EXPECT_EQ(ir->modules, (std::vector<std::string>{"local", "tools"}));
  EXPECT_EQ(ir->steps.at("a.echo").args["argv"], json::array({"echo", "hello", "from the module path"}));
  EXPECT_EQ(ir->steps.at("a.echo").template_name, "tools.say");
  EXPECT_EQ(ir->steps.at("b.echo").template_name, "local.say");
}

TEST(Modules, ABareTemplateNameTwoModulesDefineIsAmbiguous) {
  TempTree tree;
  tree.add("lib/tools.ferry", kModule);
  tree.add("lib/more.ferry", std::string(kModule).replace(0, 14, "module \"more\""));
  std::string plan = tree.add("p.ferry", R"(plan "p" {
  use "tools"
  use "more"
  phase one { step a = say(what = "x") }
})");
  CompileOptions options;
  options.module_path = {(tree.root / "lib").string()};
  SourceSet sources;
  Diagnostics diags;
  EXPECT_FALSE(compile_plan(plan, options, &sources, &diags));
  EXPECT_NE(diags.render().find("template name 'say' is defined by more than one module; qualify it as 'module.say'"),
            std::string::npos)
      << diags.render();
}

TEST(Modules, FerryPathComesFirstInTheDefaultModulePath) {
  ::setenv("FERRY_PATH", "/opt/a:/opt/b", 1);
  auto path = default_module_path();
  ::unsetenv("FERRY_PATH");
  ASSERT_GE(path.size(), 3u);
  EXPECT_EQ(path[0], "/opt/a");
  EXPECT_EQ(path[1], "/opt/b");
  EXPECT_NE(std::find(path.begin(), path.end(), std::string(FERRY_STDLIB_DIR)), path.end());
}

TEST(Compile, AMissingDollarKeySuggestsTheKeyAsThePlanWritesIt) {
  auto c = compile_text(plan(R"(
  let schema = { "$schema" = "v1" }
  phase p { step s = shell { argv = [schema["$schemas"]] } })"));
  EXPECT_FALSE(c->ir);
  EXPECT_NE(c->errors.find("did you mean '$schema'?"), std::string::npos) << c->errors;
  EXPECT_EQ(c->errors.find("$$schema"), std::string::npos) << c->errors;
}

TEST(Compile, AMapKeyStartingWithDollarIsTheUsersKeyEscapedInTheIr) {
  auto c = compile_text(plan(R"(
  param extra : map(string) = {}
  let schema = { "$schema" = "https://json-schema.org/draft/2020-12/schema", "$$two" = "x" }
  phase p {
    step a = shell { argv = ["true"] }
    step s = create {
      cluster = source
      object = { kind = "Schema", spec = schema, id = schema["$schema"], refs = { "$ref" = a.stdout }, extra = extra }
    }
  })"),
                        {{"extra", R"({"$ref": "a"})"}});
  ASSERT_TRUE(c->ir) << c->errors;
  const json& object = c->ir->steps.at("s").args["object"];
  EXPECT_EQ(object["spec"], json::parse(R"({"$$schema": "https://json-schema.org/draft/2020-12/schema", "$$$two": "x"})"));
  EXPECT_EQ(object["id"], "https://json-schema.org/draft/2020-12/schema");
  EXPECT_FALSE(is_symbolic(object["refs"]));
  EXPECT_EQ(object["refs"]["$$ref"], make_output_ref("a", json::array({"stdout"})));
  // A --var's JSON is the user's too: its "$ref" is a key, not a reference to step 'a'.
  EXPECT_EQ(object["extra"], json::parse(R"({"$$ref": "a"})"));
  EXPECT_EQ(c->ir->steps.at("s").deps, std::vector<std::string>{"a"});  // from refs, not from extra
}

TEST(Compile, TheTomlSurfaceTakesDollarKeysToo) {
  auto c = compile_text(R"([plan]
name = "t"

[cluster.source]
kubeconfig = "/k"

[[phase]]
name = "p"

  [[phase.step]]
  id = "s"
  type = "create"
  cluster = "source"
  object = { kind = "Schema", spec = { "$schema" = "v1" } }
)",
                        {}, "plan.toml");
  ASSERT_TRUE(c->ir) << c->errors;
  EXPECT_EQ(c->ir->steps.at("s").args["object"]["spec"], json::parse(R"({"$$schema": "v1"})"));
}

}  // namespace
}  // namespace ferry::dsl
