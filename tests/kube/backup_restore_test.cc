// backup, restore and apply through the real kubectl: the procedure's Secret filters, cleaned
// files (0600), tainted Secret data, and a restore with transforms on a second cluster.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <set>

#include "tests/kube/step_harness.h"

namespace ferry::engine {
namespace {

using testing::Sim;
using testing::StepHarness;

const char* kCp = "clusters-jdoe-hosted";

json read_file(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

TEST(Backup, SecretsOfTheControlPlaneWithTheProceduresFilters) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  StepHarness h(sim, "backup", {{"namespace", kCp}, {"kind", "secrets"},
                                {"exclude_names", {"^oauth-openshift", "^token-jdoe-hosted"}},
                                {"exclude_types", {"kubernetes.io/dockercfg", "kubernetes.io/service-account-token"}},
                                {"drop", json::array()}, {"keep_status", false}});
  StepResult r = h.run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_GT(r.outputs["count"].get<int>(), 0);
  EXPECT_EQ(r.outputs["files"].size(), r.outputs["count"].get<size_t>());
  json all = sim.get(kCp, {"secrets"});
  size_t kept = 0;
  for (const json& s : kube::items_of(all)) {
    std::string name = s["metadata"]["name"], type = s.value("type", "");
    bool skip = name.rfind("oauth-openshift", 0) == 0 || name.rfind("token-jdoe-hosted", 0) == 0 ||
                type == "kubernetes.io/dockercfg" || type == "kubernetes.io/service-account-token";
    kept += !skip;
  }
  EXPECT_EQ(r.outputs["count"].get<size_t>(), kept);
  for (const json& f : r.outputs["files"]) {
    struct stat st;
    ASSERT_EQ(stat(f.get<std::string>().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
    json o = read_file(f);
    EXPECT_EQ(o["kind"], "Secret");
    for (const char* k : {"uid", "resourceVersion", "creationTimestamp", "managedFields"}) {
      EXPECT_FALSE(o["metadata"].contains(k)) << f << " keeps metadata." << k;
    }
    const json data = o.value("data", json::object());
    for (const auto& [k, v] : data.items()) {
      EXPECT_NE(std::find(h.tainted.begin(), h.tainted.end(), v.get<std::string>()), h.tainted.end())
          << "data." << k << " of " << f << " was not tainted";
    }
  }
  struct stat st;
  ASSERT_EQ(stat((h.run_dir + "/backups").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

// Two HostedClusters whose names prefix one another, `jdoe-hosted` and `jdoe-hosted-2`, in one
// namespace: the Secrets named after the longer one are its own, not the shorter one's.
TEST(Backup, ANamePrefixLeavesOutWhatALongerOwnersNameClaims) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  kube::Kubectl k = sim.kubectl("clusters");
  json hc = sim.get("clusters", {"hostedclusters", "jdoe-hosted"});
  hc["metadata"] = {{"name", "jdoe-hosted-2"}, {"namespace", "clusters"}};
  hc.erase("status");
  auto create = [&](const json& o) {
    kube::CallResult c = k.run({"create", "-f", "-"}, CancelToken{}, "create", o.dump());
    ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  };
  create(hc);
  for (const char* name : {"jdoe-hosted-2-admin-kubeconfig", "jdoe-hosted-extra"}) {
    create({{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", name}, {"namespace", "clusters"}}},
            {"stringData", {{"k", "v"}}}});
  }
  auto backed_up = [&](json args) {
    StepHarness h(sim, "backup", std::move(args));
    StepResult r = h.run();
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    std::set<std::string> names;
    for (const json& f : r.outputs.value("files", json::array())) names.insert(read_file(f)["metadata"]["name"]);
    return names;
  };
  json args = {{"namespace", "clusters"}, {"kind", "secrets"}, {"name_prefix", "jdoe-hosted"},
               {"drop", json::array()}, {"keep_status", false}};
  std::set<std::string> all = backed_up(args);
  EXPECT_TRUE(all.count("jdoe-hosted-2-admin-kubeconfig"));  // a plain prefix takes the other's too
  args["prefix_owners"] = "hostedclusters";
  std::set<std::string> own = backed_up(args);
  EXPECT_FALSE(own.count("jdoe-hosted-2-admin-kubeconfig"));
  EXPECT_TRUE(own.count("jdoe-hosted-extra"));
  EXPECT_EQ(own.size() + 1, all.size());
}

TEST(BackupRestore, HostedClusterToASecondClusterWithTransforms) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim source;
  ASSERT_TRUE(source.up());
  StepHarness backup(source, "backup", {{"namespace", "clusters"}, {"kind", "hostedclusters"}, {"names", {"jdoe-hosted"}}});
  StepResult b = backup.run();
  ASSERT_TRUE(b.status.ok()) << b.status.ToString();
  ASSERT_EQ(b.outputs["count"], 1);
  json file = read_file(b.outputs["files"][0]);
  EXPECT_FALSE(file.contains("status"));

  Sim dest;  // the same fixture: the namespace exists; the HostedCluster is deleted first
  ASSERT_TRUE(dest.up());
  ASSERT_TRUE(StepHarness(dest, "delete", {{"namespace", "clusters"}, {"kind", "hostedclusters"}, {"all", true},
                                           {"strip_finalizers", true}, {"wait_timeout", "30s"}})
                  .run()
                  .status.ok());
  json restore_args = {{"from", b.outputs},
                       {"set", {{"spec.pausedUntil", "2030-01-01T00:00:00Z"}}},
                       {"remove", {"metadata.finalizers"}},
                       {"kind_order", json::array()},
                       {"on_exists", "fail"}};
  StepHarness restore(dest, "restore", restore_args);
  StepResult r = restore.run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["applied"], json({"HostedCluster/jdoe-hosted"}));
  json hc = dest.get("clusters", {"hostedcluster", "jdoe-hosted"});
  EXPECT_EQ(hc["spec"]["pausedUntil"], "2030-01-01T00:00:00Z");
  EXPECT_FALSE(hc["metadata"].contains("finalizers"));
  EXPECT_EQ(hc["spec"]["release"], file["spec"]["release"]);

  // Again: identical, so a re-run (after a crash) succeeds; once it differs, `fail` fails.
  r = StepHarness(dest, "restore", restore_args).run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["applied"], json({"HostedCluster/jdoe-hosted"}));
  restore_args["set"]["spec.pausedUntil"] = "2031-01-01T00:00:00Z";
  r = StepHarness(dest, "restore", restore_args).run();
  EXPECT_EQ(r.status.error_class(), ErrorClass::kAlreadyExists) << r.status.ToString();
  EXPECT_NE(r.status.message().find("differs from the backup at spec.pausedUntil"), std::string::npos)
      << r.status.message();
  restore_args["on_exists"] = "skip";
  r = StepHarness(dest, "restore", restore_args).run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["applied"], json::array());
}

TEST(BackupRestore, TheInverseDeletesOnlyWhatTheStepCreatedFinalizersFirst) {
  // Backups never carry finalizers or owner references (on another cluster the owners' UIDs name
  // nothing); a controller on the destination may add a finalizer to what was restored, and the
  // inverse must still delete it.
  ASSERT_TRUE(testing::require_kubectl());
  Sim source;
  ASSERT_TRUE(source.up());
  StepResult hcp = StepHarness(source, "backup", {{"namespace", kCp}, {"kind", "hostedcontrolplanes"}}).run();
  StepResult secrets = StepHarness(source, "backup", {{"namespace", kCp}, {"kind", "secrets"}}).run();
  ASSERT_TRUE(hcp.status.ok() && secrets.status.ok()) << hcp.status.ToString() << secrets.status.ToString();
  ASSERT_EQ(hcp.outputs["count"], 1);
  const json backed_up = read_file(hcp.outputs["files"][0]);
  EXPECT_FALSE(backed_up["metadata"].contains("finalizers")) << backed_up["metadata"].dump();
  EXPECT_FALSE(backed_up["metadata"].contains("ownerReferences")) << backed_up["metadata"].dump();

  Sim dest;  // the same fixture: the Secrets exist there; the HostedControlPlane is deleted first
  ASSERT_TRUE(dest.up());
  ASSERT_TRUE(StepHarness(dest, "delete", {{"namespace", kCp}, {"kind", "hostedcontrolplanes"}, {"all", true},
                                           {"strip_finalizers", true}, {"wait_timeout", "30s"}})
                  .run()
                  .status.ok());
  const size_t secrets_before = dest.get(kCp, {"secrets"})["items"].size();
  StepHarness restore(dest, "restore", {{"from", {secrets.outputs, hcp.outputs}}, {"on_exists", "skip"},
                                        {"kind_order", {"Secret", "HostedControlPlane"}}});
  StepResult r = restore.run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["applied"], json({"HostedControlPlane/jdoe-hosted"}));
  ASSERT_EQ(restore.undos.size(), 1u);
  ASSERT_EQ(restore.undos[0]["created"].size(), 1u) << restore.undos[0].dump();
  EXPECT_EQ(restore.undos[0]["created"][0]["kind"], "HostedControlPlane");
  json hcp_there = dest.get(kCp, {"hostedcontrolplane", "jdoe-hosted"});
  EXPECT_FALSE(hcp_there["metadata"].contains("finalizers"));
  ASSERT_TRUE(dest.kubectl(kCp)
                  .run({"patch", "hostedcontrolplane", "jdoe-hosted", "--type", "merge", "-p",
                        R"({"metadata":{"finalizers":["hypershift.openshift.io/finalizer"]}})"},
                       CancelToken(), "a controller's finalizer")
                  .status.ok());

  // The inverse: the HostedControlPlane goes (its finalizer would otherwise hold it forever);
  // the Secrets that were there before stay.
  Status s = restore.inverse();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(dest.get(kCp, {"hostedcontrolplanes"})["items"].empty());
  EXPECT_EQ(dest.get(kCp, {"secrets"})["items"].size(), secrets_before);
  // Again (a resumed rollback): nothing left to do is not an error.
  s = restore.inverse();
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(Apply, InlineObjectsServerSide) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim;
  ASSERT_TRUE(sim.up());
  json cms = {{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "a"}}}, {"data", {{"x", "1"}}}},
              {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "b"}}}, {"data", {{"x", "2"}}}}};
  json args = {{"namespace", "clusters"}, {"objects", cms}, {"field_manager", "ferry"}, {"force_conflicts", false}};
  for (int i = 0; i < 2; ++i) {  // twice: apply is idempotent
    StepResult r = StepHarness(sim, "apply", args).run();
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(r.outputs["applied"], json({"ConfigMap/a", "ConfigMap/b"}));
  }
  EXPECT_EQ(sim.get("clusters", {"configmap", "b"})["data"]["x"], "2");
}

}  // namespace
}  // namespace ferry::engine
