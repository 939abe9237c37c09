"""apisim --etcd and --hypershift-restore: keys written to the source's real etcd come back from
the etcd the simulated HyperShift controller restores on the destination from restoreSnapshotURL;
a corrupted snapshot is refused (etcd's own hash check)."""

import base64
import json
import os
import subprocess
import tempfile
import unittest

from simtest import CRDS, KUBECTL, RestoreTestCase, Sim, SnapshotServer, needs

HC = "jdoe-hosted"
CP = "clusters-" + HC
TLS = ["--cacert", "/etc/etcd/tls/etcd-ca/ca.crt", "--cert", "/etc/etcd/tls/client/etcd-client.crt",
       "--key", "/etc/etcd/tls/client/etcd-client.key", "--endpoints=localhost:2379"]


@needs(KUBECTL, "kubectl is not installed")
@needs(os.path.isdir(CRDS), "CRDs not found")
@needs(os.path.exists("/usr/bin/etcd") and os.path.exists("/usr/bin/etcdctl"), "etcd not installed")
class TestRestore(RestoreTestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="restore-test-")
        cls.snapshots = SnapshotServer(cls.work)  # the "presigned" snapshot URLs
        cls.www, cls.base = cls.snapshots.www, cls.snapshots.base
        cls.src = Sim("source", extra=["--etcd"])
        cls.dst = Sim("destination", extra=["--hypershift-restore", "--ca-bundle", cls.snapshots.crt])

    def etcdctl_source(self, *args):
        e = self.src.info["etcd"]
        return subprocess.run(["/usr/bin/etcdctl", "--endpoints=" + e["endpoint"], "--cacert", e["ca"], "--cert",
                               e["cert"], "--key", e["key"]] + list(args), env=dict(os.environ, ETCDCTL_API="3"),
                              capture_output=True, text=True, check=True).stdout

    def hosted_cluster(self, name, url):
        hc = json.loads(self.ok(self.src, "-n", "clusters", "get", "hc", HC, "-o", "json"))
        hc["metadata"] = {"name": name, "namespace": "clusters"}
        hc.pop("status")
        hc["spec"]["etcd"]["managed"]["storage"]["restoreSnapshotURL"] = [url]
        return json.dumps(hc)

    def test_restore_round_trip_and_corrupt_snapshot(self):
        keys = {"/kubernetes.io/secrets/default/s%d" % i: "value-%d" % i for i in range(50)}
        for k, v in keys.items():
            self.etcdctl_source("put", k, v)
        # the procedure's command, as written, in the source's etcd pod
        out = self.ok(self.src, "-n", CP, "exec", "etcd-0", "-c", "etcd", "--", "env", "ETCDCTL_API=3",
                      "/usr/bin/etcdctl", *TLS, "snapshot", "save", "/var/lib/data/snapshot.db")
        self.assertIn("Snapshot saved at /var/lib/data/snapshot.db", out)
        snap = os.path.join(self.www, "jdoe-hosted-etcd-0-snapshot.db")
        r = self.k(self.src, "-n", CP, "cp", "etcd-0:/var/lib/data/snapshot.db", snap, "-c", "etcd")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(snap, "rb") as f:
            data = bytearray(f.read())
        data[len(data) // 2] ^= 0xFF
        with open(os.path.join(self.www, "corrupt.db"), "wb") as f:
            f.write(data)

        self.ok(self.dst, "create", "namespace", "clusters")
        url = self.base + "/jdoe-hosted-etcd-0-snapshot.db?X-Amz-Expires=3600&X-Amz-Signature=0f"
        self.ok(self.dst, "create", "-f", "-", input=self.hosted_cluster(HC, url))
        self.ok(self.dst, "-n", "clusters", "wait", "--for=condition=EtcdSnapshotRestored", "hc/" + HC,
                "--timeout=60s")
        pods = self.ok(self.dst, "-n", CP, "get", "pods", "-o", "name").split()
        self.assertEqual(pods, ["pod/etcd-0", "pod/etcd-1", "pod/etcd-2"])   # HighlyAvailable
        out = self.ok(self.dst, "-n", CP, "exec", "etcd-2", "--", "env", "ETCDCTL_API=3", "/usr/bin/etcdctl", *TLS,
                      "get", "--prefix", "/kubernetes.io/secrets/", "-w", "json")
        got = {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv["value"]).decode()
               for kv in json.loads(out)["kvs"]}
        self.assertEqual(got, keys)

        self.ok(self.dst, "create", "-f", "-", input=self.hosted_cluster("broken", self.base + "/corrupt.db"))
        self.ok(self.dst, "-n", "clusters", "wait", "--for=condition=EtcdSnapshotRestored=False", "hc/broken",
                "--timeout=60s")
        hc = json.loads(self.ok(self.dst, "-n", "clusters", "get", "hc", "broken", "-o", "json"))
        cond = [c for c in hc["status"]["conditions"] if c["type"] == "EtcdSnapshotRestored"][0]
        self.assertTrue(cond["message"].startswith("etcdctl snapshot restore: Error: expected sha256 "), cond)
        self.assertEqual(self.k(self.dst, "-n", "clusters-broken", "get", "pods", "-o", "name").stdout, "")


if __name__ == "__main__":
    unittest.main()
