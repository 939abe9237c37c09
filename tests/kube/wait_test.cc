// wait's object and count forms through the real kubectl against the sandbox.
#include <gtest/gtest.h>

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
  auto start = std::chrono::steady_clock::now();
  StepResult r = run_with_timeout(h, Millis(1500));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status.error_class(), ErrorClass::kTimeout) << r.status.ToString();
  EXPECT_NE(r.status.message().find("last seen: no such condition yet"), std::string::npos) << r.status.message();
  EXPECT_GE(h.logs.size(), 2u);
  EXPECT_LT(took, std::chrono::seconds(5));

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
  EXPECT_FALSE(h.logs.empty());
}

}  // namespace
}  // namespace ferry::engine
