// `ferry convert --to ferry` of a TOML plan: the .ferry it prints reads as a person would write
// it (expressions, bare names, the written order, the comments) and compiles to the same IR.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dsl/compiler.h"
#include "dsl/ferry_idioms.h"
#include "dsl/ferry_parser.h"
#include "dsl/printer.h"
#include "dsl/toml_loader.h"
#include "test_util.h"

namespace ferry::dsl {
namespace {

using testing_util::compile_text;

// TOML text to .ferry text, as `ferry convert --to ferry` does; `module`, if given, is the
// text of a module the plan uses.
std::string to_ferry(const std::string& toml, const std::string& module = "") {
  SourceSet sources;
  Diagnostics diags;
  auto file = load_toml(*sources.add("plan.toml", toml), &diags);
  EXPECT_TRUE(file) << diags.render();
  if (!file) return "";
  std::vector<File> modules;
  if (!module.empty()) {
    auto m = parse_ferry(*sources.add("m.ferry", module), &diags);
    EXPECT_TRUE(m) << diags.render();
    if (m) modules.push_back(std::move(*m));
  }
  use_ferry_idioms(&*file, modules);
  return print_ferry(*file);
}

std::string to_toml(const std::string& ferry) {
  SourceSet sources;
  Diagnostics diags;
  auto file = parse_ferry(*sources.add("plan.ferry", ferry), &diags);
  EXPECT_TRUE(file) << diags.render();
  return file ? print_toml(*file) : "";
}

// The IR hash of a plan's text ("" if it does not compile, with the errors reported).
std::string hash_of(const std::string& text, const std::string& name, std::map<std::string, std::string> vars = {}) {
  auto compiled = compile_text(text, vars, name);
  EXPECT_TRUE(compiled->ir) << compiled->errors << text;
  return compiled->ir ? ir_hash(*compiled->ir) : "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Whether the pieces occur in `text` in this order.
bool in_order(const std::string& text, const std::vector<std::string>& pieces) {
  size_t at = 0;
  for (const std::string& piece : pieces) {
    at = text.find(piece, at);
    if (at == std::string::npos) return false;
    at += piece.size();
  }
  return true;
}

const char* kPlan = R"toml([plan]
name = "p"

[param.pods]
type = "list(string)"
default = ["etcd-0", "etcd-1"]

[param.hc_name]
type = "string"
default = "jdoe"

[param.replicas]
type = "int"
default = 0

[cluster.source]
kubeconfig = "/k"

[[phase]]
name = "one"

[[phase.step]]
id = "pause"
type = "patch"
cluster = "source"
namespace = "${hc_name}"
object = "hostedclusters/${hc_name}"
merge = { spec = { pausedUntil = "true" } }

[[phase.step]]
for = "pod"
in = "${pods}"

[[phase.step.step]]
id = "echo"
index = "${pod}"
type = "shell"
argv = ["echo", "${pod}", "${replicas}", "${hc_name}"]
after = ["pause"]
)toml";

TEST(ConvertToFerry, ALoneInterpolationIsTheExpression) {
  std::string ferry = to_ferry(kPlan);
  EXPECT_TRUE(contains(ferry, "for pod in pods {")) << ferry;
  EXPECT_TRUE(contains(ferry, "step echo[pod] = shell {")) << ferry;
  EXPECT_TRUE(contains(ferry, "namespace = hc_name\n")) << ferry;
  // Text around the interpolation: a string it stays.
  EXPECT_TRUE(contains(ferry, "object = \"hostedclusters/${hc_name}\"")) << ferry;
  // An int where a string is expected: "${replicas}" is its text, a bare `replicas` an error.
  EXPECT_TRUE(contains(ferry, "argv = [\"echo\", pod, \"${replicas}\", hc_name]")) << ferry;
  EXPECT_EQ(hash_of(kPlan, "plan.toml"), hash_of(ferry, "plan.ferry"));
}

TEST(ConvertToFerry, AReferenceIsABareName) {
  std::string ferry = to_ferry(kPlan);
  EXPECT_TRUE(contains(ferry, "cluster = source\n")) << ferry;
  EXPECT_TRUE(contains(ferry, "after = [pause]")) << ferry;
  EXPECT_FALSE(contains(ferry, "\"source\"")) << ferry;
  EXPECT_FALSE(contains(ferry, "\"pause\"")) << ferry;
}

TEST(ConvertToFerry, BareNamesOnlyWhereTheTypeReadsANameAndNothingElseHasIt) {
  const char* toml = R"toml([plan]
name = "p"
on_failure = "rollback"
description = "source"

[param.stop]
type = "string"
default = "x"

[cluster.source]
kubeconfig = "/k"

[[phase]]
name = "one"
on_failure = "stop"

[[phase.step]]
id = "pause"
type = "noop"
cluster = "source"
description = "source"

[[phase.step]]
id = "after_pause"
type = "noop"
rollback = "none"
after = ["pause"]
)toml";
  std::string ferry = to_ferry(toml);
  EXPECT_TRUE(contains(ferry, "  on_failure = rollback\n")) << ferry;
  // A string field stays a string, though a cluster has that name.
  EXPECT_TRUE(contains(ferry, "description = \"source\"")) << ferry;
  EXPECT_TRUE(contains(ferry, "cluster = source\n")) << ferry;
  // `stop` is a param, and bare it would be the param's value.
  EXPECT_TRUE(contains(ferry, "on_failure = \"stop\"")) << ferry;
  EXPECT_TRUE(contains(ferry, "rollback = none")) << ferry;
  EXPECT_TRUE(contains(ferry, "after = [pause]")) << ferry;
  EXPECT_EQ(hash_of(toml, "plan.toml"), hash_of(ferry, "plan.ferry"));
}

TEST(ConvertToFerry, TemplateArgumentsTakeTheirParametersTypes) {
  const char* module = R"ferry(module "m" {
  template t(on : cluster, count : int, label : string, deps : list(step) = []) {
    step s = shell {
      cluster = on
      argv = ["echo", label, "${count}"]
      after = deps
    }
  }
})ferry";
  const char* toml = R"toml([plan]
name = "p"
use = ["m"]

[param.n]
type = "int"
default = 2

[cluster.source]
kubeconfig = "/k"

[[phase]]
name = "one"

[[phase.step]]
id = "first"
type = "noop"

[[phase.step]]
id = "a"
template = "m.t"
args = { on = "source", count = "${n}", label = "${n}", deps = ["first"] }
)toml";
  std::string ferry = to_ferry(toml, module);
  // `count` is an int, so `n` may be written bare; `label` a string, so "${n}" stays its text.
  EXPECT_TRUE(contains(ferry, "step a = m.t(on = source, count = n, label = \"${n}\", deps = [first])")) << ferry;
  // A template the rewrite cannot read: its arguments keep the forms any type reads the same.
  std::string unknown = to_ferry(toml);
  EXPECT_TRUE(contains(unknown, "step a = m.t(on = \"source\", count = \"${n}\", label = \"${n}\", deps = [\"first\"])"))
      << unknown;
}

TEST(ConvertToFerry, KeepsTheWrittenOrder) {
  const char* toml = R"toml([plan]
name = "p"
on_failure = "stop"
description = "d"

[param.zone]
type = "string"
default = "z"

[param.bucket]
type = "string"
default = "b"

[cluster.source]
kubeconfig = "/k"
description = "the source"

[let]
z = 1
a = 2

[[phase]]
name = "one"

[[phase.step]]
id = "s"
type = "shell"
timeout = "1m"
argv = ["true"]
description = "last"
)toml";
  std::string ferry = to_ferry(toml);
  EXPECT_TRUE(in_order(ferry, {"on_failure", "description"})) << ferry;
  EXPECT_TRUE(in_order(ferry, {"param zone", "param bucket"})) << ferry;
  EXPECT_TRUE(in_order(ferry, {"kubeconfig", "description = \"the source\""})) << ferry;
  EXPECT_TRUE(in_order(ferry, {"let z", "let a"})) << ferry;
  EXPECT_TRUE(in_order(ferry, {"timeout", "argv", "description = \"last\""})) << ferry;
}

TEST(ConvertToFerry, KeepsCommentsBeforeAndAtTheEndOfLines) {
  const char* toml = R"toml(# The plan's own comment.
[plan]
name = "p"
# Stop when a step fails.
on_failure = "stop"  # not rollback

# Where the cluster is.
[param.hc_name]  # its name
type = "string"
# the default
default = "jdoe"

[cluster.source]
# the file
kubeconfig = "/k"  # the old cluster

# Values.
[let]
a = [
  1,  # one
  2,
]

# The only phase.
[[phase]]
name = "one"

# Pause it.
[[phase.step]]  # first
id = "pause"
type = "noop"
description = "between"  # the description
# before timeout
timeout = "1m"
# the end
)toml";
  std::string ferry = to_ferry(toml);
  EXPECT_EQ(ferry, R"ferry(# The plan's own comment.
plan "p" {
  # Stop when a step fails.
  on_failure = stop  # not rollback

  # Where the cluster is.
  # the default
  param hc_name : string = "jdoe"  # its name

  cluster source {
    # the file
    kubeconfig = "/k"  # the old cluster
  }

  # Values.
  let a = [1, 2]  # one

  # The only phase.
  phase one {
    # Pause it.
    # first
    step pause = noop {
      description = "between"  # the description
      # before timeout
      timeout = "1m"
    }
  }
  # the end
}
)ferry");
}

TEST(ConvertToFerry, AHashInAStringIsNoComment) {
  const char* toml = R"toml([plan]
name = "p#1"
description = 'a # b'  # real

[[phase]]
name = "one"

[[phase.step]]
id = "s"
type = "shell"
argv = [
  "echo",  # the program
  """#not a comment
still # not""",
]  # the command
)toml";
  std::string ferry = to_ferry(toml);
  EXPECT_TRUE(contains(ferry, "plan \"p#1\" {")) << ferry;
  EXPECT_TRUE(contains(ferry, "description = \"a # b\"  # real")) << ferry;
  // Both comments on the list's lines are its field's: one at the end of the line, one before.
  EXPECT_TRUE(contains(ferry, "      # the command\n      argv = [\"echo\", \"#not a comment\\nstill # not\"]  # the program"))
      << ferry;
}

TEST(ConvertToFerry, AFerryPlanThroughTomlAndBackKeepsItsIr) {
  const char* ferry = R"ferry(plan "p" {
  on_failure = rollback

  param hc_name : string = "jdoe"
  param replicas : int = 0
  param pods : list(string) = ["etcd-0", "etcd-1"]

  cluster source {
    kubeconfig = "/k"
  }

  let ns = "clusters-${hc_name}"

  template pair(on : cluster, pod : string, deps : list(step) = []) {
    step first = noop {
      cluster = on
      after = deps
    }

    step second = shell {
      argv = ["echo", pod, "${replicas}"]
      after = [first]
    }
  }

  phase one {
    step pause = patch {
      cluster = source
      namespace = ns
      object = "hostedclusters/${hc_name}"
      merge = { spec = { pausedUntil = "true" } }
      rollback = auto
    }

    for pod in pods {
      step p[pod] = pair(on = source, pod = pod, deps = [pause])
    }

    when replicas == 0 {
      step last = noop {
        after = [p]
      }
    }
  }
}
)ferry";
  std::string toml = to_toml(ferry);
  std::string back = to_ferry(toml);
  EXPECT_EQ(hash_of(ferry, "plan.ferry"), hash_of(toml, "plan.toml"));
  EXPECT_EQ(hash_of(ferry, "plan.ferry"), hash_of(back, "plan.ferry"));
  EXPECT_EQ(back, ferry);
}

}  // namespace
}  // namespace ferry::dsl
