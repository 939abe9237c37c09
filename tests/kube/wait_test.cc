// wait's object and count forms through the real kubectl against the sandbox.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/kube/step_harness.h"

namespace ferry::engine {
namespace {

using testing::Sim;
using testing::StepHarness;

const char* kCp = "clusters-jdoe-hosted";

StepResult run_with_timeout(StepHarness& h, Millis timeout) {
  StepContext ctx = h.context();
  ctx.deadline = ctx.clock->now() + timeout;
  return h.impl().run(ctx);
}

TEST(Wait, ObjectFormsThatHoldAtOnce) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  std::vector<json> cases = {
      {{"namespace", kCp}, {"object", "deployment/kube-apiserver"}, {"jsonpath", ".status.readyReplicas"}, {"equals", 3}},
      {{"namespace", "clusters"}, {"object", "hostedclusters/jdoe-hosted"}, {"exists", true}},
      {{"namespace", "clusters"}, {"object", "hostedclusters/nope"}, {"exists", false}},
      {{"namespace", kCp}, {"kind", "pods"}, {"selector", "app=etcd"}, {"count", 3}},
      {{"namespace", "clusters"}, {"kind", "nodepools"}, {"jsonpath", ".spec.clusterName"}, {"equals", "jdoe-hosted"},
       {"count", 2}},
  };
  for (json args : cases) {
    args["interval"] = "100ms";
    StepHarness h(sim, "wait", args);
    StepResult r = run_with_timeout(h, Millis(10'000));
    EXPECT_TRUE(r.status.ok()) << args.dump() << ": " << r.status.ToString();
    EXPECT_TRUE(h.logs.empty()) << args.dump() << ": held on the first poll, yet: " << h.logs[0];
  }
}

TEST(Wait, TimesOutCleanlySayingWhatItSaw) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  StepHarness h(sim, "wait", {{"namespace", "clusters"}, {"object", "hostedclusters/jdoe-hosted"},
                              {"condition", "EtcdSnapshotRestored"}, {"interval", "200ms"}});
  StepResult r = run_with_timeout(h, Millis(1500));
  EXPECT_EQ(r.status.error_class(), ErrorClass::kTimeout) << r.status.ToString();
  EXPECT_NE(r.status.message().find("last seen: no such condition yet"), std::string::npos) << r.status.message();
  // One read, then a watch to the deadline: no poll every interval.
  ASSERT_EQ(h.logs.size(), 1u);
  EXPECT_NE(h.logs[0].find("poll 1: no such condition yet; watching for"), std::string::npos) << h.logs[0];

  StepHarness count(sim, "wait", {{"namespace", kCp}, {"kind", "pods"}, {"selector", "app=etcd"}, {"count", 4},
                                  {"interval", "200ms"}});
  r = run_with_timeout(count, Millis(1000));
  EXPECT_EQ(r.status.error_class(), ErrorClass::kTimeout) << r.status.ToString();
  EXPECT_NE(r.status.message().find("last seen: 3 match"), std::string::npos) << r.status.message();
}

TEST(Wait, PollsThroughTransientErrorsButNotOthers) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  sim.fault({{"method", "GET"}, {"path", "/deployments/kube-apiserver$"}, {"code", 503}, {"count", 2}});
  StepHarness h(sim, "wait", {{"namespace", kCp}, {"object", "deployment/kube-apiserver"},
                              {"jsonpath", ".spec.replicas"}, {"equals", 3}, {"interval", "100ms"}});
  StepResult r = run_with_timeout(h, Millis(20'000));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(h.logs.size(), 2u);
  EXPECT_NE(h.logs[0].find("Error from server (ServiceUnavailable)"), std::string::npos) << h.logs[0];

  sim.fault({{"method", "GET"}, {"path", "/deployments/kube-apiserver$"}, {"code", 403}, {"count", 1}});
  r = run_with_timeout(h, Millis(20'000));
  EXPECT_EQ(r.status.error_class(), ErrorClass::kForbidden) << r.status.ToString();
}

TEST(Wait, SeesAChangeMadeWhileItPolls) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  std::thread scaler([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    sim.kubectl(kCp).run({"scale", "deployment", "kube-apiserver", "--replicas=0"}, CancelToken(), "scale");
  });
  StepHarness h(sim, "wait", {{"namespace", kCp}, {"object", "deployment/kube-apiserver"},
                              {"jsonpath", "{.status.replicas}"}, {"equals", 0}, {"interval", "200ms"}});
  StepResult r = run_with_timeout(h, Millis(20'000));
  scaler.join();
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  // It watched instead of polling every 200 ms: one read, one watch that saw the change.
  ASSERT_EQ(h.logs.size(), 1u) << h.logs.back();
  EXPECT_NE(h.logs[0].find("watching"), std::string::npos) << h.logs[0];
}

// A condition on an object that does not exist yet: a watch for its creation, then one for the
// condition, as a restore's HostedControlPlane appears and only later becomes restored.
TEST(Wait, WatchesForAnObjectToAppearAndThenForItsCondition) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    sim.kubectl("clusters").run({"create", "configmap", "late"}, CancelToken(), "create");
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    sim.kubectl("clusters").run({"patch", "configmap", "late", "--type", "merge", "-p", R"({"data":{"ready":"yes"}})"},
                                CancelToken(), "patch");
  });
  StepHarness h(sim, "wait", {{"namespace", "clusters"}, {"object", "configmap/late"}, {"jsonpath", ".data.ready"},
                              {"equals", "yes"}, {"interval", "100ms"}});
  StepResult r = run_with_timeout(h, Millis(20'000));
  writer.join();
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(h.logs.size(), 2u);
  EXPECT_NE(h.logs[0].find("poll 1: not found; watching"), std::string::npos) << h.logs[0];
  // (a JSONPath read prints nothing for a missing field too)
  EXPECT_NE(h.logs[1].find("poll 2: not found; watching"), std::string::npos) << h.logs[1];
}

// Until none is left (a stopped Deployment's pods): a watch for the deletion of every match.
TEST(Wait, WatchesUntilNoneIsLeft) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  sim.kubectl("clusters").run({"create", "configmap", "doomed"}, CancelToken(), "create");
  sim.kubectl("clusters").run({"label", "configmap", "doomed", "doom=yes"}, CancelToken(), "label");
  std::thread deleter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    sim.kubectl("clusters").run({"delete", "configmap", "doomed"}, CancelToken(), "delete");
  });
  StepHarness h(sim, "wait", {{"namespace", "clusters"}, {"kind", "configmaps"}, {"selector", "doom=yes"},
                              {"max_count", 0}, {"interval", "100ms"}});
  StepResult r = run_with_timeout(h, Millis(20'000));
  deleter.join();
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(h.logs.size(), 1u) << h.logs.back();
  EXPECT_NE(h.logs[0].find("poll 1: 1 match; watching"), std::string::npos) << h.logs[0];
}

// A CustomResourceDefinition whose kind is also a core kind's: `configmap` is then not exactly one
// resource of the cluster (kubectl's own priorities pick the core one), so the step leaves the
// reads and the watch to kubectl. apisim serves the CRDs of its --crds dirs, read when it starts.
struct AmbiguousConfigMaps {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("ferry-ambiguous-" + std::to_string(getpid()));
  AmbiguousConfigMaps() {
    std::filesystem::create_directories(dir);
    const json crd = {
        {"apiVersion", "apiextensions.k8s.io/v1"},
        {"kind", "CustomResourceDefinition"},
        {"metadata", {{"name", "configmaps.example.com"}}},
        {"spec",
         {{"group", "example.com"},
          {"scope", "Namespaced"},
          {"names", {{"plural", "configmaps"}, {"singular", "configmap"}, {"kind", "ConfigMap"}}},
          {"versions", {{{"name", "v1"}, {"served", true}, {"storage", true}}}}}}};
    std::ofstream(dir / "configmaps.example.com.json") << crd.dump();
  }
  ~AmbiguousConfigMaps() { std::filesystem::remove_all(dir); }
  std::vector<std::string> sim_args() const { return {"--crds", dir.string()}; }
};

// Goals `kubectl wait` cannot watch (a count with a filter) are watched through the proxy all
// the same: one read, one watch that sees the change, and no kubectl process to wait.
TEST(Wait, AGoalKubectlCannotWatchIsWatchedThroughTheProxy) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  sim.kubectl("clusters").run({"create", "configmap", "counted", "--from-literal=v=no"}, CancelToken(), "create");
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    sim.kubectl("clusters").run({"patch", "configmap", "counted", "--type", "merge", "-p", R"({"data":{"v":"yes"}})"},
                                CancelToken(), "patch");
  });
  const std::string calls = sim.dir() + "/calls";
  StepHarness h(sim, "wait", {{"namespace", "clusters"}, {"kind", "configmaps"}, {"jsonpath", ".data.v"},
                              {"equals", "yes"}, {"count", 1}, {"interval", "10s"}});
  h.services.kubectl = testing::counting_kubectl(sim, calls);
  StepResult r = run_with_timeout(h, Millis(20'000));
  writer.join();
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  // Polled, it would have read again only after its 10 s interval.
  ASSERT_EQ(h.logs.size(), 1u) << h.logs.back();
  EXPECT_NE(h.logs[0].find("poll 1: 0 match; watching for"), std::string::npos) << h.logs[0];
  EXPECT_EQ(testing::read_file(calls).find("wait"), std::string::npos) << testing::read_file(calls);
}

// kubectl splits `--for=jsonpath=PATH=VALUE` at every lone `=`: where kubectl watches (a kind
// that is not exactly one resource), a value with one in it is read every interval instead
// (a watch would be refused or, worse, misread).
TEST(Wait, AValueKubectlWouldMisreadIsPolled) {
  ASSERT_TRUE(testing::require_kubectl());
  AmbiguousConfigMaps ambiguous;
  Sim sim(ambiguous.sim_args());
  ASSERT_TRUE(sim.up());
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    sim.kubectl("clusters").run({"create", "configmap", "eq", "--from-literal=v=a=b"}, CancelToken(), "create");
  });
  StepHarness h(sim, "wait", {{"namespace", "clusters"}, {"object", "configmap/eq"}, {"jsonpath", ".data.v"},
                              {"equals", "a=b"}, {"interval", "100ms"}});
  StepResult r = run_with_timeout(h, Millis(20'000));
  writer.join();
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_FALSE(h.logs.empty());
  for (const std::string& line : h.logs) EXPECT_EQ(line.find("watching"), std::string::npos) << line;
  EXPECT_NE(h.logs[0].find("next in 100ms"), std::string::npos) << h.logs[0];
}

// The same ambiguous kind with a goal kubectl can watch: `kubectl wait` watches it.
TEST(Wait, AKindThatIsNotOneResourceIsWatchedByKubectl) {
  ASSERT_TRUE(testing::require_kubectl());
  AmbiguousConfigMaps ambiguous;
  Sim sim(ambiguous.sim_args());
  ASSERT_TRUE(sim.up());
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    sim.kubectl("clusters").run({"create", "configmap", "late", "--from-literal=v=yes"}, CancelToken(), "create");
  });
  const std::string calls = sim.dir() + "/calls";
  StepHarness h(sim, "wait", {{"namespace", "clusters"}, {"object", "configmap/late"}, {"exists", true},
                              {"interval", "10s"}});
  h.services.kubectl = testing::counting_kubectl(sim, calls);
  StepResult r = run_with_timeout(h, Millis(20'000));
  writer.join();
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(h.logs.size(), 1u) << h.logs.back();
  EXPECT_NE(h.logs[0].find("poll 1: not found; watching"), std::string::npos) << h.logs[0];
  EXPECT_NE(testing::read_file(calls).find("wait"), std::string::npos) << testing::read_file(calls);
}

// kubectl's watch says the goal is met, the step's read does not (here a kubectl that answers
// `wait` at once and `get` with an object lacking the condition, and has no proxy): the step
// reads every interval rather than running `kubectl wait` in a busy loop.
TEST(Wait, WhenKubectlAndTheReadDisagreeItPollsNotSpins) {
  Sim sim;  // only for its directory and kubeconfig: this kubectl never reaches it
  ASSERT_TRUE(sim.up());
  const std::string calls = sim.dir() + "/calls";
  const std::string fake = sim.dir() + "/kubectl-agreeable";
  std::ofstream(fake) << "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in\n"
                      << "  get) echo get >>" << calls << "; echo '{\"kind\": \"HostedCluster\", \"metadata\": {\"name\": \"hc\"}}'; exit 0 ;;\n"
                      << "  wait) echo wait >>" << calls << "; exit 0 ;;\n"
                      << "  proxy) exit 1 ;;\nesac; done\nexit 1\n";
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  StepHarness h(sim, "wait", {{"namespace", "clusters"}, {"object", "hostedclusters/hc"}, {"condition", "Available"},
                              {"interval", "200ms"}});
  h.services.kubectl = fake;
  StepResult r = run_with_timeout(h, Millis(2'000));
  EXPECT_EQ(r.status.error_class(), ErrorClass::kTimeout) << r.status.ToString();
  const std::string log = testing::read_file(calls);
  const auto waits = std::count(log.begin(), log.end(), 'w');
  // Two seconds at one watch per 200 ms interval at most; a busy loop makes hundreds.
  EXPECT_GE(waits, 1);
  EXPECT_LE(waits, 10) << log;
}

}  // namespace
}  // namespace ferry::engine
