// create and delete through the real kubectl against the sandbox.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "tests/kube/step_harness.h"

namespace ferry::engine {
namespace {

using testing::Sim;
using testing::StepHarness;

json config_map(const std::string& name, const std::string& value) {
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}, {"data", {{"from", value}}}};
}

bool exists(const Sim& sim, const std::string& ns, const std::string& kind, const std::string& name) {
  json out;
  Status s = sim.kubectl(ns).run_json({"get", kind, name, "--ignore-not-found"}, CancelToken(), "test", &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return !kube::items_of(out).empty();
}

TEST(Create, CreatesThenInverseDeletesOnlyWhatItCreated) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  StepHarness first(sim, "create", {{"namespace", "clusters"}, {"object", config_map("mgmt-parent-cluster", "jdoe-dev")}});
  StepResult r = first.run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["created"], json({"ConfigMap/mgmt-parent-cluster"}));
  EXPECT_EQ(sim.get("clusters", {"configmap", "mgmt-parent-cluster"})["data"]["from"], "jdoe-dev");

  // The same object again plus a new one: the identical one counts as created, and only the
  // new one is the second step's to delete.
  StepHarness second(sim, "create", {{"namespace", "clusters"},
                                     {"objects", {config_map("mgmt-parent-cluster", "jdoe-dev"), config_map("second", "x")}}});
  r = second.run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["created"], json({"ConfigMap/mgmt-parent-cluster", "ConfigMap/second"}));
  ASSERT_EQ(second.undos.size(), 1u);
  EXPECT_EQ(second.undos[0]["created"].size(), 1u);
  ASSERT_TRUE(second.inverse().ok());
  EXPECT_FALSE(exists(sim, "clusters", "configmap", "second"));
  EXPECT_TRUE(exists(sim, "clusters", "configmap", "mgmt-parent-cluster"));
  ASSERT_TRUE(first.inverse().ok());
  EXPECT_FALSE(exists(sim, "clusters", "configmap", "mgmt-parent-cluster"));
}

TEST(Create, AnExistingClusterScopedObjectIsNotTheInversesToDelete) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  // The step has a namespace, the Namespace object (cluster-scoped) exists already: `get -f -`
  // answers it without metadata.namespace, and it must still count as there before.
  json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "clusters"}}}};
  StepHarness h(sim, "create", {{"namespace", "clusters"}, {"objects", {ns, config_map("fresh", "x")}}});
  StepResult r = h.run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(h.undos.size(), 1u);
  ASSERT_EQ(h.undos[0]["created"].size(), 1u) << h.undos[0].dump();
  EXPECT_EQ(h.undos[0]["created"][0]["kind"], "ConfigMap");
  ASSERT_TRUE(h.inverse().ok());
  EXPECT_TRUE(exists(sim, "", "namespace", "clusters"));
  EXPECT_FALSE(exists(sim, "clusters", "configmap", "fresh"));
}

// Objects that are not there yet are no kubectl process at all: one POST each through the
// cluster's kubectl proxy (a restore on the critical path of a migration was twenty processes in
// a row, then one kubectl create of a List).
size_t create_calls(const StepHarness& h) {
  return std::count_if(h.logs.begin(), h.logs.end(), [](const std::string& l) { return l.find(" create -f -") != std::string::npos; });
}
size_t posts(const StepHarness& h) {
  return std::count_if(h.logs.begin(), h.logs.end(), [](const std::string& l) {
    return l.rfind("$ POST /api/v1/namespaces/clusters/configmaps", 0) == 0 && l.find("through kubectl proxy") != std::string::npos;
  });
}

TEST(Create, ObjectsNotThereYetAreOneCall) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  StepHarness h(sim, "create", {{"namespace", "clusters"},
                                {"objects", {config_map("a", "1"), config_map("b", "2"), config_map("c", "3"),
                                             config_map("a", "1")}}});  // given twice, as two backups can
  StepResult r = h.run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["created"], json({"ConfigMap/a", "ConfigMap/b", "ConfigMap/c", "ConfigMap/a"}));
  EXPECT_EQ(create_calls(h), 0u);
  EXPECT_EQ(posts(h), 3u);  // `a` once
  for (const char* name : {"a", "b", "c"}) EXPECT_TRUE(exists(sim, "clusters", "configmap", name)) << name;

  // Given twice with other content: the second is judged against the first.
  StepHarness twice(sim, "create", {{"namespace", "clusters"}, {"objects", {config_map("d", "1"), config_map("d", "2")}}});
  r = twice.run();
  EXPECT_EQ(r.status.error_class(), ErrorClass::kAlreadyExists) << r.status.ToString();
  EXPECT_NE(r.status.message().find("differs from the plan at data.from"), std::string::npos) << r.status.message();
}

// Another writer creates one of them between the step's look and its create: the batch fails
// with AlreadyExists, and the step goes on one object at a time, which judges each.
TEST(Create, AnObjectCreatedMeanwhileSendsTheStepOneByOne) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  sim.fault({{"method", "POST"}, {"path", "/configmaps$"}, {"code", 409}, {"reason", "AlreadyExists"}, {"count", 1}});
  StepHarness h(sim, "create", {{"namespace", "clusters"}, {"objects", {config_map("a", "1"), config_map("b", "2")}}});
  StepResult r = h.run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["created"], json({"ConfigMap/a", "ConfigMap/b"}));
  EXPECT_EQ(create_calls(h), 0u);
  EXPECT_EQ(posts(h), 4u);  // the batch (both tried, as kubectl create does), then each
  EXPECT_TRUE(exists(sim, "clusters", "configmap", "a"));
  EXPECT_TRUE(exists(sim, "clusters", "configmap", "b"));
  EXPECT_EQ(h.undos[0]["created"].size(), 2u);
}

TEST(Create, ExistingWithOtherContentIsAlreadyExists) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  ASSERT_TRUE(StepHarness(sim, "create", {{"namespace", "clusters"}, {"object", config_map("cm", "a")}}).run().status.ok());
  StepResult r = StepHarness(sim, "create", {{"namespace", "clusters"}, {"object", config_map("cm", "b")}}).run();
  EXPECT_EQ(r.status.error_class(), ErrorClass::kAlreadyExists);
  EXPECT_NE(r.status.message().find("differs from the plan at data.from"), std::string::npos) << r.status.message();
}

TEST(Create, UnknownFieldIsInvalidWithTheServersMessage) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  json hc = {{"apiVersion", "hypershift.openshift.io/v1beta1"},
             {"kind", "HostedCluster"},
             {"metadata", {{"name", "y"}}},
             {"spec", {{"bogus", 1}}}};
  StepResult r = StepHarness(sim, "create", {{"namespace", "clusters"}, {"object", hc}}).run();
  EXPECT_EQ(r.status.error_class(), ErrorClass::kInvalid);
  EXPECT_NE(r.status.message().find("strict decoding error: unknown field \"spec.bogus\""), std::string::npos)
      << r.status.message();
}

TEST(Delete, StripsFinalizersAndWaitsUntilGone) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  const char* cp = "clusters-jdoe-hosted";
  json machines = sim.get(cp, {"awsmachines"});
  ASSERT_FALSE(kube::items_of(machines).empty());
  ASSERT_FALSE(kube::items_of(machines)[0]["metadata"]["finalizers"].empty());
  StepHarness h(sim, "delete", {{"namespace", cp}, {"kind", "awsmachines"}, {"all", true}, {"strip_finalizers", true},
                                {"wait", true}, {"wait_timeout", "30s"}});
  StepResult r = h.run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["deleted"].size(), kube::items_of(machines).size());
  EXPECT_TRUE(kube::items_of(sim.get(cp, {"awsmachines"})).empty());
  // Each object's patch and delete went through the cluster's kubectl proxy, not a kubectl
  // process each (nor one to ask discovery).
  ASSERT_GE(kube::items_of(machines).size(), 2u);
  auto count = [&](const std::string& text) {
    return std::count_if(h.logs.begin(), h.logs.end(), [&](const std::string& l) { return l.find(text) != std::string::npos; });
  };
  EXPECT_EQ(count("$ PATCH /apis/infrastructure.cluster.x-k8s.io/"), static_cast<long>(kube::items_of(machines).size()));
  EXPECT_EQ(count("$ DELETE /apis/infrastructure.cluster.x-k8s.io/"), static_cast<long>(kube::items_of(machines).size()));
  EXPECT_EQ(count(" api-resources "), 0);
  EXPECT_EQ(count(" --raw "), 0);
}

TEST(Delete, FinalizersHoldItAndTheWaitTimesOut) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  StepHarness h(sim, "delete", {{"namespace", "clusters"}, {"kind", "hostedclusters"}, {"names", {"jdoe-hosted"}},
                                {"wait", true}, {"wait_timeout", "2s"}});
  StepResult r = h.run();
  EXPECT_EQ(r.status.error_class(), ErrorClass::kTimeout) << r.status.ToString();
  EXPECT_NE(r.status.message().find("strip_finalizers"), std::string::npos) << r.status.message();
}

// remove_finalizers_before/_after take off only the named finalizers, around the delete; the
// others stay for their controllers (here none runs, so the wait times out on the one left).
TEST(Delete, RemovesOnlyTheNamedFinalizersAroundTheDelete) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  json held = config_map("held", "test");
  held["metadata"]["finalizers"] = {"example.com/kept", "example.com/first", "example.com/after"};
  ASSERT_TRUE(sim.kubectl("clusters").run({"create", "-f", "-"}, CancelToken(), "create", held.dump()).status.ok());
  StepHarness h(sim, "delete", {{"namespace", "clusters"}, {"kind", "configmaps"}, {"names", {"held"}},
                                {"remove_finalizers_before", {"example.com/first"}},
                                {"remove_finalizers_after", {"example.com/after", "example.com/absent"}},
                                {"wait_timeout", "2s"}});
  StepResult r = h.run();
  EXPECT_EQ(r.status.error_class(), ErrorClass::kTimeout) << r.status.ToString();
  EXPECT_NE(r.status.message().find("remove_finalizers_after"), std::string::npos) << r.status.message();
  json now = sim.get("clusters", {"configmap", "held"});
  EXPECT_FALSE(now["metadata"].value("deletionTimestamp", "").empty()) << now.dump();
  EXPECT_EQ(now["metadata"]["finalizers"], json({"example.com/kept"})) << now.dump();

  // Already being deleted: the last one off, and it is gone.
  r = StepHarness(sim, "delete", {{"namespace", "clusters"}, {"kind", "configmaps"}, {"names", {"held"}},
                                  {"remove_finalizers_after", {"example.com/kept"}}, {"wait_timeout", "10s"}})
          .run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_FALSE(exists(sim, "clusters", "configmap", "held"));
}

// A delete is no kubectl process: a DELETE of each object through the proxy, then a watch until
// they are gone (here once another writer takes the last finalizer off).
TEST(Delete, DeletesThroughTheProxyAndWatchesUntilGone) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  json held = config_map("slow", "test");
  held["metadata"]["finalizers"] = {"example.com/slow"};
  ASSERT_TRUE(sim.kubectl("clusters").run({"create", "-f", "-"}, CancelToken(), "create", held.dump()).status.ok());
  ASSERT_TRUE(sim.kubectl("clusters").run({"create", "configmap", "quick"}, CancelToken(), "create").status.ok());
  std::thread controller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    sim.kubectl("clusters").run({"patch", "configmap", "slow", "--type", "merge", "-p", R"({"metadata":{"finalizers":null}})"},
                                CancelToken(), "finish");
  });
  const std::string calls = sim.dir() + "/calls";
  StepHarness h(sim, "delete", {{"namespace", "clusters"}, {"kind", "configmaps"}, {"names", {"slow", "quick"}},
                                {"wait_timeout", "20s"}});
  h.services.kubectl = testing::counting_kubectl(sim, calls);
  StepResult r = h.run();
  controller.join();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_FALSE(exists(sim, "clusters", "configmap", "slow"));
  EXPECT_FALSE(exists(sim, "clusters", "configmap", "quick"));
  const size_t deletes = std::count_if(h.logs.begin(), h.logs.end(), [](const std::string& l) {
    return l.rfind("$ DELETE /api/v1/namespaces/clusters/configmaps/", 0) == 0;
  });
  EXPECT_EQ(deletes, 2u);
  EXPECT_EQ(testing::read_file(calls).find("delete"), std::string::npos) << testing::read_file(calls);
}

// The delete after remove_finalizers_before carries the patched object's uid and resourceVersion:
// a change in between (here a Conflict the simulator answers once) means take off and delete again.
TEST(Delete, ADeleteThatFindsTheObjectChangedIsDoneAgain) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  json held = config_map("changing", "test");
  held["metadata"]["finalizers"] = {"example.com/first"};
  ASSERT_TRUE(sim.kubectl("clusters").run({"create", "-f", "-"}, CancelToken(), "create", held.dump()).status.ok());
  sim.fault({{"method", "DELETE"}, {"path", "/configmaps/changing$"}, {"code", 409}, {"count", 1}});
  StepResult r = StepHarness(sim, "delete", {{"namespace", "clusters"}, {"kind", "configmaps"}, {"names", {"changing"}},
                                             {"remove_finalizers_before", {"example.com/first"}}, {"wait_timeout", "10s"}})
                     .run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_FALSE(exists(sim, "clusters", "configmap", "changing"));
}

// assert: one look, the plan's message with what was found when it does not hold.
TEST(Assert, HoldsOrFailsWithThePlansMessage) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  auto check = [&](json extra) {
    json args = {{"namespace", "clusters"}, {"object", "hostedclusters/jdoe-hosted"}, {"message", "fix it"}};
    args.update(extra);
    return StepHarness(sim, "assert", args).run().status;
  };
  EXPECT_TRUE(check({{"exists", true}}).ok());
  Status s = check({{"exists", false}});
  EXPECT_EQ(s.error_class(), ErrorClass::kFailed) << s.ToString();
  EXPECT_NE(s.message().find("fix it"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("it exists"), std::string::npos) << s.message();
  EXPECT_TRUE(check({{"jsonpath", "{.metadata.name}"}, {"equals", "jdoe-hosted"}}).ok());
  s = check({{"jsonpath", "{.metadata.name}"}, {"equals", "other"}});
  EXPECT_NE(s.message().find("found 'jdoe-hosted'"), std::string::npos) << s.message();
  EXPECT_TRUE(check({{"jsonpath", "{.metadata.annotations.nope}"}, {"empty", true}}).ok());
  EXPECT_EQ(check({{"equals", "x"}}).error_class(), ErrorClass::kInvalid);  // equals without a jsonpath
  EXPECT_TRUE(check({{"object", "hostedclusters/nope"}, {"exists", false}}).ok());
}

TEST(Delete, NotFoundUnlessIgnored) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  StepResult r = StepHarness(sim, "delete", {{"namespace", "clusters"}, {"kind", "configmaps"}, {"names", {"nope"}},
                                             {"wait_timeout", "5s"}})
                     .run();
  EXPECT_EQ(r.status.error_class(), ErrorClass::kNotFound) << r.status.ToString();
  r = StepHarness(sim, "delete", {{"namespace", "clusters"}, {"kind", "configmaps"}, {"names", {"nope"}},
                                  {"ignore_not_found", true}, {"wait_timeout", "5s"}})
          .run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["deleted"], json::array());
}

TEST(Delete, BySelector) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  const char* cp = "clusters-jdoe-hosted";
  StepResult r = StepHarness(sim, "delete", {{"namespace", cp}, {"kind", "machines.cluster.x-k8s.io"},
                                             {"selector", "hypershift.openshift.io/nodePool=jdoe-hosted-us-west-1b"},
                                             {"strip_finalizers", true}, {"wait_timeout", "30s"}})
                     .run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["deleted"].size(), 1u);
  EXPECT_EQ(kube::items_of(sim.get(cp, {"machines.cluster.x-k8s.io"})).size(), 2u);
}

}  // namespace
}  // namespace ferry::engine
