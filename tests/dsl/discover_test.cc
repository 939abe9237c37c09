// discover(): a cluster read when a run's plan is made, its names frozen into the plan.
#include <gtest/gtest.h>

#include <vector>

#include "dsl/ir.h"
#include "test_util.h"

namespace ferry::dsl {
namespace {

using testing_util::compile_text;

const char* const kFleet = R"(plan "fleet" {
  cluster source {
    kubeconfig = env("MGMT_KUBECONFIG", "/k/source")
    context = "admin"
  }
  param selector : string = "ferry.dev/evacuate=true"
  param names : list(string) = env("HOSTED_CLUSTERS", discover(source, "hostedclusters", "clusters", selector))
  phase pause {
    for name in names {
      step paused[name] = shell { argv = ["echo", name] }
    }
  }
}
)";

// A cluster that answers with `names` and records what it was asked.
struct FakeCluster {
  std::vector<std::string> names;
  std::string error;
  std::vector<DiscoverQuery> asked;

  std::function<DiscoverAnswer(const DiscoverQuery&)> discoverer() {
    return [this](const DiscoverQuery& q) {
      asked.push_back(q);
      return DiscoverAnswer{names, error};
    };
  }
};

TEST(Discover, TheNamesTheClusterGivesBecomeThePlansSortedAndOnce) {
  FakeCluster cluster{{"qa-hosted", "jdoe-hosted", "qa-hosted"}, "", {}};
  auto c = compile_text(kFleet, {}, "plan.ferry", {}, cluster.discoverer());
  ASSERT_TRUE(c->ir) << c->errors;
  EXPECT_EQ(c->ir->params.at("names").value, json({"jdoe-hosted", "qa-hosted"}));
  EXPECT_TRUE(c->ir->steps.count("paused[jdoe-hosted]"));
  EXPECT_TRUE(c->ir->steps.count("paused[qa-hosted]"));
  EXPECT_EQ(c->ir->steps.size(), 2u);
  ASSERT_EQ(cluster.asked.size(), 1u);
  const DiscoverQuery& q = cluster.asked[0];
  EXPECT_EQ(q.cluster, "source");
  EXPECT_EQ(q.kubeconfig, "/k/source");  // the cluster as the plan declares it
  EXPECT_EQ(q.context, "admin");
  EXPECT_EQ(q.kind, "hostedclusters");
  EXPECT_EQ(q.namespace_, "clusters");
  EXPECT_EQ(q.selector, "ferry.dev/evacuate=true");
}

TEST(Discover, TheVariableWinsAndTheClusterIsNotRead) {
  FakeCluster cluster{{"jdoe-hosted"}, "", {}};
  auto c = compile_text(kFleet, {}, "plan.ferry", {{"HOSTED_CLUSTERS", "a b"}}, cluster.discoverer());
  ASSERT_TRUE(c->ir) << c->errors;
  EXPECT_EQ(c->ir->params.at("names").value, json({"a", "b"}));
  EXPECT_TRUE(cluster.asked.empty());
}

TEST(Discover, NothingFoundIsAnEmptyList) {
  FakeCluster cluster{{}, "", {}};
  auto c = compile_text(kFleet, {}, "plan.ferry", {}, cluster.discoverer());
  ASSERT_TRUE(c->ir) << c->errors;
  EXPECT_EQ(c->ir->params.at("names").value, json::array());
  EXPECT_TRUE(c->ir->steps.empty());
}

TEST(Discover, AClusterThatCannotBeReadFailsThePlanAtTheCall) {
  FakeCluster cluster{{}, "Error from server (Forbidden): hostedclusters is forbidden", {}};
  auto c = compile_text(kFleet, {}, "plan.ferry", {}, cluster.discoverer());
  EXPECT_FALSE(c->ir);
  EXPECT_NE(c->errors.find("plan.ferry:7:"), std::string::npos) << c->errors;
  EXPECT_NE(c->errors.find("discover(): cluster 'source': Error from server (Forbidden)"), std::string::npos)
      << c->errors;
}

TEST(Discover, WithoutAClusterToReadItSaysWhichCommandsRead) {
  auto c = compile_text(kFleet);
  EXPECT_FALSE(c->ir);
  EXPECT_NE(c->errors.find("discover() reads cluster 'source', and only `ferry plan` and `ferry apply` read clusters"),
            std::string::npos)
      << c->errors;
}

TEST(Discover, BadArgumentsAreErrorsAtTheArgument) {
  FakeCluster cluster{{"x"}, "", {}};
  auto compile_with = [&](const std::string& call) {
    std::string plan = std::string(kFleet);
    plan.replace(plan.find("discover(source, \"hostedclusters\", \"clusters\", selector)"),
                 std::string("discover(source, \"hostedclusters\", \"clusters\", selector)").size(), call);
    return compile_text(plan, {}, "plan.ferry", {}, cluster.discoverer());
  };
  struct Case {
    std::string call;
    std::string error;
  } cases[] = {
      {"discover(source, \"hostedclusters\")", "discover() takes a cluster, a kind, a namespace and a label selector"},
      {"discover(\"nowhere\", \"hostedclusters\", \"clusters\", selector)",
       "the first argument must be one of the plan's clusters, got 'nowhere'"},
      {"discover(source, 3, \"clusters\", selector)", "discover(): the kind must be a string"},
      {"discover(source, \"hostedclusters\", \"clusters\", \"\")", "the label selector is empty"},
      {"discover(source, \"\", \"clusters\", selector)", "discover(): the kind is empty"},
  };
  for (const Case& k : cases) {
    auto c = compile_with(k.call);
    EXPECT_FALSE(c->ir) << k.call;
    EXPECT_NE(c->errors.find(k.error), std::string::npos) << k.call << "\n" << c->errors;
  }
  EXPECT_TRUE(cluster.asked.empty());
}

TEST(Discover, OneQueryReadsTheClusterOnce) {
  FakeCluster cluster{{"a"}, "", {}};
  std::string plan = kFleet;
  plan.replace(plan.find("  phase pause {"), 0,
               "  let again = discover(source, \"hostedclusters\", \"clusters\", selector)\n"
               "  let count = len(again) + len(names)\n");
  plan.replace(plan.find("argv = [\"echo\", name]"), std::string("argv = [\"echo\", name]").size(),
               "argv = [\"echo\", name, \"${count}\"]");
  auto c = compile_text(plan, {}, "plan.ferry", {}, cluster.discoverer());
  ASSERT_TRUE(c->ir) << c->errors;
  EXPECT_EQ(cluster.asked.size(), 1u);
}

}  // namespace
}  // namespace ferry::dsl
