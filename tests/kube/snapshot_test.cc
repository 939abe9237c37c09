// snapshot in an etcd pod through kubectl exec, against the real etcd the sandbox starts
// behind the etcd pods (apisim --etcd): the procedure's etcdctl command as written.
#include <gtest/gtest.h>

#include "tests/kube/step_harness.h"

namespace ferry::engine {
namespace {

using testing::Sim;
using testing::StepHarness;

json snapshot_args() {
  return {{"namespace", "clusters-jdoe-hosted"}, {"pod", "etcd-0"}, {"container", "etcd"},
          {"path", "/var/lib/data/snapshot.db"}, {"cert_file", "/etc/etcd/tls/client/etcd-client.crt"},
          {"key_file", "/etc/etcd/tls/client/etcd-client.key"}};
}

TEST(Snapshot, SaveAndStatusInThePod) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim({"--etcd"});
  ASSERT_TRUE(sim.up());
  // Ten keys from the host, so the snapshot's revision and key count say something.
  const json etcd = sim.info()["etcd"];
  for (int i = 0; i < 10; ++i) {
    ProcessSpec put;
    put.argv = {"etcdctl", "--endpoints=" + etcd["endpoint"].get<std::string>(), "--cacert", etcd["ca"], "--cert",
                etcd["cert"], "--key", etcd["key"], "put", "/key" + std::to_string(i), "value"};
    put.env = {{"ETCDCTL_API", "3"}};
    ProcessResult p = run_process(put, CancelToken());
    ASSERT_EQ(p.exit_code, 0) << p.err;
  }
  StepHarness h(sim, "snapshot", snapshot_args());
  const std::string calls = sim.dir() + "/calls";
  h.services.kubectl = testing::counting_kubectl(sim, calls);
  StepResult r = h.run();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  // One exec finds the CA (no ca_file given), one saves the snapshot and reads its status and
  // size: a process and a round trip each, while the control plane is down.
  EXPECT_EQ(testing::read_file(calls), "exec\nexec\n");
  EXPECT_EQ(r.outputs["path"], "/var/lib/data/snapshot.db");
  EXPECT_EQ(r.outputs["revision"], 11);
  EXPECT_GE(r.outputs["total_keys"].get<int64_t>(), 10);
  EXPECT_NE(r.outputs["hash"].get<int64_t>(), 0);
  // The file is where the pod's /var/lib/data is, with etcdctl's 32-byte SHA-256 appended.
  const auto file = std::filesystem::path(sim.dir()) / "state/pods/clusters-jdoe-hosted/etcd-0/var/lib/data/snapshot.db";
  ASSERT_TRUE(std::filesystem::exists(file)) << file;
  EXPECT_EQ(r.outputs["size"].get<uintmax_t>(), std::filesystem::file_size(file));
  StepContext ctx = h.context();
  EXPECT_EQ(h.impl().implicit_pool(ctx), "exec:source/clusters-jdoe-hosted/etcd-0");
}

TEST(Snapshot, AWrongCertificateFailsWithEtcdctlsMessage) {
  ASSERT_TRUE(testing::require_kubectl());
  Sim sim({"--etcd"});
  ASSERT_TRUE(sim.up());
  json args = snapshot_args();
  args["cert_file"] = "/etc/etcd/tls/client/missing.crt";
  StepResult r = StepHarness(sim, "snapshot", args).run();
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("etcdctl snapshot save in pod etcd-0"), std::string::npos) << r.status.message();
}

}  // namespace
}  // namespace ferry::engine
