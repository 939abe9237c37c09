// patch and scale through the real kubectl against the sandbox: the exact prior state is back
// after the inverse, failures are classified, and the executor retries them as the policy says.
#include <gtest/gtest.h>

#include "engine/run/executor.h"
#include "tests/engine/test_plan.h"
#include "tests/kube/step_harness.h"

namespace ferry::engine {
namespace {

using testing::Sim;
using testing::StepHarness;

const char* kCp = "clusters-jdoe-hosted";

json hc(const Sim& sim) { return sim.get("clusters", {"hostedcluster", "jdoe-hosted"}); }

// The HostedCluster without what every write changes.
json comparable(json o) {
  for (const char* k : {"resourceVersion", "generation", "managedFields"}) o["metadata"].erase(k);
  o.erase("status");
  return o;
}

TEST(Patch, MergeThenInverseRestoresExactlyThePriorObject) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  const json before = hc(sim);
  ASSERT_FALSE(before["spec"].contains("pausedUntil"));
  StepHarness h(sim, "patch", {{"namespace", "clusters"}, {"object", "hostedclusters/jdoe-hosted"},
                               {"merge", {{"spec", {{"pausedUntil", "true"}}}, {"metadata", {{"finalizers", nullptr}}}}}});
  StepResult r = h.run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  // The output is the touched paths after the patch, not the object read back (whose other
  // fields may hold what an earlier process made secret, unknown to this one's redactor).
  EXPECT_EQ(r.outputs, json::parse(R"({"patched": {"/spec/pausedUntil": "true"}})"));
  ASSERT_EQ(h.undos.size(), 1u);
  EXPECT_EQ(h.undos[0]["paths"], json::parse(R"([
      {"path": "/metadata/finalizers", "value": ["hypershift.openshift.io/finalizer"]},
      {"path": "/spec/pausedUntil", "absent": true}])"));
  json during = hc(sim);
  EXPECT_EQ(during["spec"]["pausedUntil"], "true");
  EXPECT_FALSE(during["metadata"].contains("finalizers"));

  Status s = h.inverse();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(comparable(hc(sim)), comparable(before));
  // A second inverse finds nothing to do.
  ASSERT_TRUE(h.inverse().ok());
  EXPECT_EQ(h.logs.back(), "hostedclusters/jdoe-hosted already has its prior values");
}

TEST(Patch, JsonPatchInverse) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  const json before = sim.get("clusters", {"nodepool", "jdoe-hosted-us-west-1a"});
  StepHarness h(sim, "patch", {{"namespace", "clusters"}, {"object", "nodepools/jdoe-hosted-us-west-1a"},
                               {"json", json::parse(R"([{"op": "replace", "path": "/spec/replicas", "value": 5},
                                                        {"op": "add", "path": "/metadata/labels/moved", "value": "yes"}])")}});
  StepResult r = h.run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs, json::parse(R"({"patched": {"/spec/replicas": 5, "/metadata/labels/moved": "yes"}})"));
  ASSERT_TRUE(h.inverse().ok());
  EXPECT_EQ(comparable(sim.get("clusters", {"nodepool", "jdoe-hosted-us-west-1a"})), comparable(before));
}

TEST(Patch, ErrorsAreClassifiedWithTheServersMessage) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  StepHarness missing(sim, "patch", {{"namespace", "clusters"}, {"object", "hostedclusters/nope"},
                                     {"merge", {{"spec", {{"pausedUntil", "true"}}}}}});
  StepResult r = missing.run();
  EXPECT_EQ(r.status.error_class(), ErrorClass::kNotFound);
  EXPECT_EQ(r.status.message(), "read hostedclusters/nope in namespace clusters: Error from server (NotFound): "
                                "hostedclusters.hypershift.openshift.io \"nope\" not found");
  EXPECT_TRUE(missing.undos.empty());

  StepHarness wrong_type(sim, "patch", {{"namespace", "clusters"}, {"object", "hostedclusters/jdoe-hosted"},
                                        {"merge", {{"spec", {{"pausedUntil", 5}}}}}});
  r = wrong_type.run();
  EXPECT_EQ(r.status.error_class(), ErrorClass::kInvalid);
  EXPECT_NE(r.status.message().find("spec.pausedUntil in body must be of type string"), std::string::npos)
      << r.status.message();

  StepHarness unknown(sim, "patch", {{"namespace", "clusters"}, {"object", "hostedclusters/jdoe-hosted"},
                                     {"merge", {{"spec", {{"pausedUntill", "true"}}}}}});
  r = unknown.run();
  EXPECT_EQ(r.status.error_class(), ErrorClass::kInvalid);
  EXPECT_NE(r.status.message().find("\"spec.pausedUntill\""), std::string::npos) << r.status.message();

  sim.fault({{"method", "PATCH"}, {"path", "/hostedclusters/jdoe-hosted$"}, {"code", 409}, {"count", 1}});
  StepHarness conflict(sim, "patch", {{"namespace", "clusters"}, {"object", "hostedclusters/jdoe-hosted"},
                                      {"merge", {{"spec", {{"pausedUntil", "true"}}}}}});
  r = conflict.run();
  EXPECT_EQ(r.status.error_class(), ErrorClass::kConflict) << r.status.ToString();
}

// An object that goes between the read and the patch (a controller finishing its deletion):
// with ignore_not_found there is nothing to patch; without, it is NotFound.
TEST(Patch, IgnoreNotFoundCoversAnObjectGoneBeforeThePatch) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  const json args = {{"namespace", "clusters"}, {"object", "hostedclusters/jdoe-hosted"},
                     {"merge", {{"spec", {{"pausedUntil", "true"}}}}}, {"ignore_not_found", true}};
  sim.fault({{"method", "PATCH"}, {"path", "/hostedclusters/jdoe-hosted$"}, {"code", 404}, {"count", 1}});
  StepResult r = StepHarness(sim, "patch", args).run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["patched"], json::object());

  json strict = args;
  strict.erase("ignore_not_found");
  sim.fault({{"method", "PATCH"}, {"path", "/hostedclusters/jdoe-hosted$"}, {"code", 404}, {"count", 1}});
  r = StepHarness(sim, "patch", strict).run();
  EXPECT_EQ(r.status.error_class(), ErrorClass::kNotFound) << r.status.ToString();
}

TEST(Scale, NamesThenInverseRestoresEachCount) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  StepHarness h(sim, "scale", {{"namespace", kCp}, {"kind", "deployment"}, {"replicas", 0},
                               {"names", {"kube-apiserver", "control-plane-operator", "ignition-server"}}});
  StepResult r = h.run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  json previous = {{"kube-apiserver", 3}, {"control-plane-operator", 1}, {"ignition-server", 2}};
  EXPECT_EQ(r.outputs["previous"], previous);
  ASSERT_EQ(h.undos.size(), 1u);
  EXPECT_EQ(h.undos[0]["previous"], previous);
  for (const auto& [name, _] : previous.items()) {
    EXPECT_EQ(sim.get(kCp, {"deployment", name})["spec"]["replicas"], 0) << name;
  }
  ASSERT_TRUE(h.inverse().ok());
  for (const auto& [name, count] : previous.items()) {
    EXPECT_EQ(sim.get(kCp, {"deployment", name})["spec"]["replicas"], count) << name;
  }
}

TEST(Scale, AllStatefulsetsAndAMissingName) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  StepHarness h(sim, "scale", {{"namespace", kCp}, {"kind", "statefulset"}, {"replicas", 1}, {"all", true}});
  StepResult r = h.run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["previous"], json({{"etcd", 3}}));
  EXPECT_EQ(sim.get(kCp, {"statefulset", "etcd"})["spec"]["replicas"], 1);
  ASSERT_TRUE(h.inverse().ok());
  EXPECT_EQ(sim.get(kCp, {"statefulset", "etcd"})["spec"]["replicas"], 3);

  StepHarness missing(sim, "scale", {{"namespace", kCp}, {"kind", "deployment"}, {"replicas", 0},
                                     {"names", {"kube-apiserver", "nope"}}});
  r = missing.run();
  EXPECT_EQ(r.status.error_class(), ErrorClass::kNotFound) << r.status.ToString();
  EXPECT_TRUE(missing.undos.empty());
  // Nothing was scaled: the read failed first.
  EXPECT_EQ(sim.get(kCp, {"deployment", "kube-apiserver"})["spec"]["replicas"], 3);
}

// Through the executor: a 409 and a 503 on the patch are retried as the policy says; a failure
// later rolls back both steps.
TEST(KubeExecutor, RetriesClassifiedErrorsThenRollsBack) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  sim.fault({{"method", "PATCH"}, {"path", "/hostedclusters/jdoe-hosted$"}, {"code", 409}, {"count", 1}});
  sim.fault({{"method", "PATCH"}, {"path", "/deployments/kube-apiserver/scale$"}, {"code", 503}, {"count", 1}});
  dsl::Ir ir = testing::compile_text(R"(plan "p" {
    on_failure = rollback
    cluster source { kubeconfig = ")" + sim.kubeconfig() + R"(" }
    phase one {
      step pause = patch {
        cluster = source  namespace = "clusters"  object = "hostedclusters/jdoe-hosted"
        merge = { spec = { pausedUntil = "true" } }
        retry { attempts = 3  backoff = constant("10ms")  on = ["conflict"] }
        rollback = auto
      }
      step stop = scale {
        cluster = source  namespace = "clusters-jdoe-hosted"  names = ["kube-apiserver"]  replicas = 0
        after = [pause]  rollback = auto
        retry { attempts = 2  backoff = constant("10ms")  on = ["transient"] }
      }
      step boom = shell { argv = ["false"]  after = [stop] }
    }
  })");
  RunOptions options;
  options.seed = 1;
  options.impls = find_step_impl;
  Services services;
  Redactor redactor;
  auto runner = real_runner();
  std::vector<std::pair<std::string, json>> events;
  Executor ex(ir, options, services, real_clock(), redactor, *runner, nullptr,
              [&](Event e, const json& f) { events.emplace_back(std::string(event_name(e)), f); });
  EXPECT_EQ(ex.run(CancelToken()), RunResult::kRolledBack);
  std::vector<std::string> retried;
  for (auto& [e, f] : events) {
    if (e == "attempt_failed") retried.push_back(f["step"].get<std::string>() + ":" + f["class"].get<std::string>());
  }
  EXPECT_EQ(retried, (std::vector<std::string>{"pause:conflict", "stop:transient"}));
  EXPECT_EQ(ex.state().steps.at("pause").attempts, 2);
  EXPECT_FALSE(hc(sim)["spec"].contains("pausedUntil"));
  EXPECT_EQ(sim.get(kCp, {"deployment", "kube-apiserver"})["spec"]["replicas"], 3);
}

// NotFound is retried only when the policy names it.
TEST(KubeExecutor, NotFoundRetriedOnlyWhenThePolicySaysSo) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  auto plan = [&](const std::string& on) {
    return testing::compile_text(R"(plan "p" {
      cluster source { kubeconfig = ")" + sim.kubeconfig() + R"(" }
      phase one {
        step pause = patch {
          cluster = source  namespace = "clusters"  object = "hostedclusters/jdoe-hosted"
          merge = { spec = { pausedUntil = "true" } }
          retry { attempts = 3  backoff = constant("10ms")  on = [)" + on + R"(] }
        }
      }
    })");
  };
  for (const std::string on : {"\"transient\"", "\"not_found\""}) {
    sim.fault({{"method", "GET"}, {"path", "/hostedclusters/jdoe-hosted$"}, {"code", 404}, {"count", 1}});
    dsl::Ir ir = plan(on);
    RunOptions options;
    options.seed = 1;
    options.impls = find_step_impl;
    Services services;
    Redactor redactor;
    auto runner = real_runner();
    Executor ex(ir, options, services, real_clock(), redactor, *runner, nullptr, nullptr);
    RunResult result = ex.run(CancelToken());
    const StepRecord& rec = ex.state().steps.at("pause");
    if (on == "\"not_found\"") {
      EXPECT_EQ(result, RunResult::kSucceeded);
      EXPECT_EQ(rec.attempts, 2);
    } else {
      EXPECT_EQ(result, RunResult::kFailed);
      EXPECT_EQ(rec.attempts, 1);
      EXPECT_EQ(rec.error_class, "not_found");
    }
  }
}

}  // namespace
}  // namespace ferry::engine
