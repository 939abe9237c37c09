"""A sandbox with several hosted clusters (SANDBOX_HOSTED_CLUSTERS, make_fixtures.py
--hosted-clusters): the fixtures hold each HostedCluster with everything of its own, each control
plane has its own real etcd (a snapshot of one is that cluster's data alone), the simulated
HyperShift restore restores each from its own snapshot, and hosted-api.json follows each hosted
cluster's control plane alone (the CPO model runs per control-plane namespace, as the real CPO does)."""

import base64
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import simetcd
from controllers import cloud
from controllers.hosted_api import ApiView, servers_of
from controllers.shared import Shared
from simtest import CRDS, FIXTURES, KUBECTL, RestoreTestCase, Sim, SnapshotServer, needs, poll

sys.path.insert(0, FIXTURES)
import make_fixtures  # noqa: E402

NAMES = ["jdoe-hosted", "ops-hosted", "qa-hosted", "ci-hosted"]
NS = "clusters"
TLS = ["--cacert", "/etc/etcd/tls/etcd-ca/ca.crt", "--cert", "/etc/etcd/tls/client/etcd-client.crt",
       "--key", "/etc/etcd/tls/client/etcd-client.key", "--endpoints=localhost:2379"]
HAS_ETCD = os.access(simetcd.ETCD, os.X_OK) and os.access(simetcd.ETCDCTL, os.X_OK)


def write_fixtures(out, *args):
    make_fixtures.main(["--out", out, "--hosted-clusters", " ".join(NAMES)] + list(args))
    return os.path.join(out, "source.json")


def load(path):
    with open(path) as f:
        return json.load(f)["objects"]


def key(o):
    return (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])


class TestFleetFixtures(unittest.TestCase):
    """The fixtures of four hosted clusters, read as JSON (no simulator)."""

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="fleet-fixtures-")
        cls.objs = load(write_fixtures(os.path.join(cls.work, "ha")))
        cls.private = load(write_fixtures(os.path.join(cls.work, "private"), "--endpoint-access", "Private",
                                          "--availability", "SingleReplica"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def hcs(self, objs=None):
        return {o["metadata"]["name"]: o for o in (objs or self.objs) if o["kind"] == "HostedCluster"}

    def test_default_output_is_the_committed_fixtures(self):
        out = os.path.join(self.work, "default")
        make_fixtures.main(["--out", out])
        for name in ("source", "destination", "hosted"):
            with open(os.path.join(out, name + ".json"), "rb") as a, open(os.path.join(FIXTURES, name + ".json"), "rb") as b:
                self.assertEqual(a.read(), b.read(), name + ".json")

    def test_the_first_hosted_cluster_is_the_single_fixtures_one(self):
        single = load(os.path.join(FIXTURES, "source.json"))
        self.assertEqual(self.objs[:len(single)], single)
        # and the hosted cluster's own API instance stands for it
        with open(os.path.join(self.work, "ha", "hosted.json")) as a, open(os.path.join(FIXTURES, "hosted.json")) as b:
            self.assertEqual(json.load(a), json.load(b))

    def test_names_uids_and_ids_are_distinct(self):
        for objs in (self.objs, self.private):
            self.assertEqual([k for k, n in collections.Counter(map(key, objs)).items() if n > 1], [])
            uids = [o["metadata"]["uid"] for o in objs]
            self.assertEqual(len(uids), len(set(uids)))
            hcs = self.hcs(objs)
            self.assertEqual(sorted(hcs), sorted(NAMES))
            for field in ("infraID", "clusterID", "issuerURL"):
                values = [hc["spec"][field] for hc in hcs.values()]
                self.assertEqual(len(set(values)), len(NAMES), field)
            for name, hc in hcs.items():
                self.assertRegex(hc["spec"]["infraID"], "^%s-[b-z2-9]{5}$" % name)
            hosts = [s["servicePublishingStrategy"]["route"].get("hostname") for hc in hcs.values()
                     for s in hc["spec"]["services"] if s["service"] == "APIServer"]
            self.assertEqual(len(set(hosts)), len(NAMES))
            pids = [o["spec"]["providerID"] for o in objs if o["kind"] == "AWSMachine"]
            self.assertEqual(len(pids), 3 * len(NAMES))
            self.assertEqual(len(set(p.rsplit("/", 1)[1] for p in pids)), len(pids))

    def test_each_hosted_clusters_objects_reference_its_own_namespace(self):
        by_uid = {o["metadata"]["uid"]: o for o in self.objs}
        hcs = self.hcs()
        for name, hc in hcs.items():
            cp, infra = "%s-%s" % (NS, name), hc["spec"]["infraID"]
            mine = [o for o in self.objs if o["metadata"].get("namespace") == cp]
            kinds = collections.Counter(o["kind"] for o in mine)
            self.assertEqual((kinds["HostedControlPlane"], kinds["Cluster"], kinds["AWSCluster"], kinds["Pod"],
                              kinds["StatefulSet"], kinds["MachineDeployment"], kinds["AWSMachine"]),
                             (1, 1, 1, 3, 1, 2, 3), name)
            for o in mine:
                for ref in o["metadata"].get("ownerReferences") or []:
                    owner = by_uid.get(ref["uid"])
                    self.assertIsNotNone(owner, "%s: %s" % (key(o), ref))
                    self.assertEqual(owner["metadata"].get("namespace"), cp, "%s -> %s" % (key(o), key(owner)))
                    self.assertEqual((owner["kind"], owner["metadata"]["name"]), (ref["kind"], ref["name"]))
                labels = o["metadata"].get("labels") or {}
                if "cluster.x-k8s.io/cluster-name" in labels:
                    self.assertEqual(labels["cluster.x-k8s.io/cluster-name"], infra, key(o))
                spec = o.get("spec") or {}
                if "clusterName" in spec:
                    self.assertEqual(spec["clusterName"], infra, key(o))
                for ref in ("infrastructureRef", "controlPlaneRef"):
                    if ref in spec:
                        self.assertEqual(spec[ref]["namespace"], cp, key(o))
                ann = (o["metadata"].get("annotations") or {}).get("hypershift.openshift.io/cluster")
                if ann:
                    self.assertEqual(ann, "%s/%s" % (NS, name), key(o))
            hcp = next(o for o in mine if o["kind"] == "HostedControlPlane")
            self.assertEqual((hcp["metadata"]["name"], hcp["spec"]["infraID"], hcp["spec"]["clusterID"]),
                             (name, infra, hc["spec"]["clusterID"]))
            self.assertEqual([o["metadata"]["name"] for o in mine if o["kind"] == "Cluster"], [infra])
            # the HostedCluster's own Secrets and NodePools are there, in its namespace
            present = {key(o) for o in self.objs}
            for ref in (hc["spec"]["pullSecret"]["name"], hc["spec"]["sshKey"]["name"],
                        hc["spec"]["secretEncryption"]["aescbc"]["activeKey"]["name"],
                        hc["spec"]["configuration"]["oauth"]["identityProviders"][0]["github"]["clientSecret"]["name"]):
                self.assertIn(("Secret", NS, ref), present, name)
            pools = [o for o in self.objs if o["kind"] == "NodePool" and o["spec"]["clusterName"] == name]
            self.assertEqual(len(pools), 2)
            for np in pools:
                self.assertEqual([(r["kind"], r["name"], r["uid"]) for r in np["metadata"]["ownerReferences"]],
                                 [("HostedCluster", name, hc["metadata"]["uid"])])
                self.assertIn(("MachineDeployment", cp, np["metadata"]["name"]), present)
        # each its own OAuth client secret; the namespace's CA ConfigMaps shared by all
        idps = {hc["spec"]["configuration"]["oauth"]["identityProviders"][0]["github"]["clientSecret"]["name"]
                for hc in hcs.values()}
        self.assertEqual(len(idps), len(NAMES))
        self.assertEqual({hc["spec"]["additionalTrustBundle"]["name"] for hc in hcs.values()}, {"user-ca-bundle"})

    def test_the_cloud_holds_each_hosted_clusters_resources(self):
        for objs, private in ((self.objs, False), (self.private, True)):
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "source.json")
                with open(path, "w") as f:
                    json.dump({"objects": objs}, f)
                shared = Shared(os.path.join(d, "shared"))
                cloud.seed_from_fixture(shared, path, "source")
                state = shared.read(cloud.STATE)
            infras = sorted(hc["spec"]["infraID"] for hc in self.hcs(objs).values())
            self.assertEqual(len(state["instance"]), 3 * len(NAMES))
            self.assertEqual(sorted(collections.Counter(i["owner"] for i in state["instance"].values()).items()),
                             [(i, 3) for i in infras])
            self.assertEqual(sorted(state["load_balancer"]), sorted(i + "-apiserver" for i in infras))
            self.assertEqual(len(state["oidc_document"]), 2 * len(NAMES))
            if private:
                # one private-router AWSEndpointService each: its endpoint service, endpoint,
                # security group and two records in its own private zone
                for kind, n in (("vpc_endpoint_service", 1), ("vpc_endpoint", 1), ("security_group", 1),
                                ("dns_record", 2)):
                    self.assertEqual(len(state[kind]), n * len(NAMES), kind)
                    owners = collections.Counter(v["owner"] for v in state[kind].values())
                    self.assertEqual(sorted(owners), sorted("%s-%s/private-router" % (NS, n) for n in NAMES))

    def test_names_are_checked(self):
        for bad in ("Bad_Name", "a" * 60, "x x"):
            with self.assertRaises(ValueError):
                make_fixtures.hosted_clusters(bad)
        self.assertEqual([h.name for h in make_fixtures.hosted_clusters("a,b c")], ["a", "b", "c"])


class TestHostedApiView(unittest.TestCase):
    """hosted-api.json keyed per hosted cluster: a view reads its own; a split brain of any is recorded."""

    def test_view_reads_its_own_hosted_cluster_and_records_every_split_brain(self):
        with tempfile.TemporaryDirectory() as d:
            shared = Shared(d)
            with shared.locked("hosted-api.json") as data:
                servers_of(data, "clusters/jdoe-hosted")["source"] = {"since": 1}
                servers_of(data, "clusters/ops-hosted").update(source={"since": 1}, destination={"since": 2})
            view = ApiView(shared, cluster_name="hosted", hosted_cluster="clusters/jdoe-hosted")
            self.assertEqual(view.serving(), ("source", {"since": 1}))
            lines = shared.lines("split-brain.jsonl")
            self.assertEqual([(x["hosted_cluster"], x["servers"]) for x in lines],
                             [("clusters/ops-hosted", ["destination", "source"])])
            # another hosted cluster's view sees its own split brain (refused) and records nothing twice
            other = ApiView(shared, record=False, hosted_cluster="clusters/ops-hosted")
            self.assertIsNone(other.serving())
            self.assertEqual(sorted(other.refresh()), ["destination", "source"])
            with shared.locked("hosted-api.json") as data:
                del servers_of(data, "clusters/ops-hosted")["source"]
            view.refresh()
            self.assertEqual(len(shared.lines("split-brain.jsonl")), 1)
            self.assertEqual(other.serving(), ("destination", {"since": 2}))


@needs(KUBECTL, "kubectl is not installed")
@needs(os.path.isdir(CRDS), "CRDs not found")
@needs(HAS_ETCD, "etcd not installed")
class TestFleetEtcd(RestoreTestCase):
    """The source with four hosted clusters and --etcd (and the CPO and workload models, so
    hosted-api.json is kept); a destination with --hypershift-restore."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="fleet-etcd-")
        fixture = write_fixtures(os.path.join(cls.work, "fixtures"), "--availability", "SingleReplica")
        cls.snapshots = SnapshotServer(cls.work)  # the "presigned" snapshot URLs
        cls.www, cls.base = cls.snapshots.www, cls.snapshots.base
        cls.shared = Shared(os.path.join(cls.work, "shared"))
        cls.src = Sim(None, name="source", extra=[
            "--fixture", fixture, "--etcd", "--shared-dir", cls.shared.path,
            "--controllers", "control-plane-operator,workloads", "--latency", "0.2"])
        cls.dst = Sim("destination", extra=["--hypershift-restore", "--ca-bundle", cls.snapshots.crt])

    def etcdctl(self, name, *args):
        e = self.src.info["etcds"]["%s-%s" % (NS, name)]
        return subprocess.run([simetcd.ETCDCTL, "--endpoints=" + e["endpoint"], "--cacert", e["ca"], "--cert",
                               e["cert"], "--key", e["key"]] + list(args), env=dict(os.environ, ETCDCTL_API="3"),
                              capture_output=True, text=True, check=True).stdout

    def in_pod(self, sim, name, *args):
        return self.ok(sim, "-n", "%s-%s" % (NS, name), "exec", "etcd-0", "-c", "etcd", "--", "env", "ETCDCTL_API=3",
                       "/usr/bin/etcdctl", *TLS, *args)

    def test_1_each_hosted_cluster_has_its_own_etcd(self):
        info = self.src.info
        self.assertEqual(sorted(info["etcds"]), sorted("%s-%s" % (NS, n) for n in NAMES))
        self.assertEqual(info["etcd"], info["etcds"]["clusters-jdoe-hosted"])
        self.assertEqual(len({e["endpoint"] for e in info["etcds"].values()}), len(NAMES))
        for name in NAMES:
            self.etcdctl(name, "put", "/ferry/whose", name)
        for name in NAMES:
            self.assertEqual(self.in_pod(self.src, name, "get", "/ferry/whose", "--print-value-only").strip(), name)
        self.etcdctl("ops-hosted", "put", "/ferry/only-ops", "yes")
        self.assertEqual(self.in_pod(self.src, "qa-hosted", "get", "/ferry/only-ops", "--print-value-only").strip(), "")

    def test_2_hosted_api_follows_each_control_plane_alone(self):
        def entries():
            data = self.shared.read("hosted-api.json")
            got = {k: v.get("servers", {}) for k, v in (data.get("hosted_clusters") or {}).items()}
            return got if all(got.get("%s/%s" % (NS, n), {}).get("source") for n in NAMES) else None
        got, last = poll(entries, 60)
        self.assertIsNotNone(got, last)
        self.assertEqual({k: v["source"]["namespace"] for k, v in got.items()},
                         {"%s/%s" % (NS, n): "%s-%s" % (NS, n) for n in NAMES})
        self.assertEqual({k: v["source"]["etcd"]["endpoint"] for k, v in got.items()},
                         {"%s/%s" % (NS, n): self.src.info["etcds"]["%s-%s" % (NS, n)]["endpoint"] for n in NAMES})
        # ops-hosted's kube-apiserver goes (its HostedControlPlane paused first, or its CPO would
        # scale it back): only its entry goes
        self.ok(self.src, "-n", "clusters-ops-hosted", "patch", "hostedcontrolplane", "ops-hosted", "--type=merge",
                "-p", '{"spec": {"pausedUntil": "true"}}')
        self.ok(self.src, "-n", "clusters-ops-hosted", "scale", "deployment", "kube-apiserver", "--replicas=0")
        gone, last = poll(lambda: (lambda e: e if e and not e["clusters/ops-hosted"] else None)(
            {k: v.get("servers", {}) for k, v in (self.shared.read("hosted-api.json").get("hosted_clusters") or {}).items()}),
            60)
        self.assertIsNotNone(gone, last)
        time.sleep(1)   # a few more reconciles: the others' entries stay
        data = self.shared.read("hosted-api.json")["hosted_clusters"]
        self.assertEqual(sorted(k for k, v in data.items() if v["servers"]),
                         sorted("%s/%s" % (NS, n) for n in NAMES if n != "ops-hosted"))

    def test_3_each_hosted_cluster_restored_from_its_own_snapshot(self):
        restored = ["jdoe-hosted", "qa-hosted", "ci-hosted"]
        for name in restored:
            self.etcdctl(name, "put", "/ferry/e2e-marker", "written before the migration of " + name)
            self.in_pod(self.src, name, "snapshot", "save", "/var/lib/data/snapshot.db")
            r = self.k(self.src, "-n", "%s-%s" % (NS, name), "cp", "etcd-0:/var/lib/data/snapshot.db",
                       os.path.join(self.www, name + ".db"), "-c", "etcd")
            self.assertEqual(r.returncode, 0, r.stderr)
        self.ok(self.dst, "create", "namespace", NS)
        # all at once: the restore controller handles each HostedCluster on its own
        for name in restored:
            hc = json.loads(self.ok(self.src, "-n", NS, "get", "hc", name, "-o", "json"))
            hc["metadata"] = {"name": name, "namespace": NS}
            hc.pop("status")
            hc["spec"]["etcd"]["managed"]["storage"]["restoreSnapshotURL"] = [
                "%s/%s.db?X-Amz-Expires=3600&X-Amz-Signature=0f" % (self.base, name)]
            self.ok(self.dst, "create", "-f", "-", input=json.dumps(hc))
        for name in restored:
            self.ok(self.dst, "-n", NS, "wait", "--for=condition=EtcdSnapshotRestored", "hc/" + name, "--timeout=60s")
        for name in restored:
            out = self.in_pod(self.dst, name, "get", "--prefix", "/ferry/", "-w", "json")
            got = {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv["value"]).decode()
                   for kv in json.loads(out)["kvs"]}
            self.assertEqual(got["/ferry/e2e-marker"], "written before the migration of " + name)
            self.assertEqual(got["/ferry/whose"], name)
            self.assertNotIn("/ferry/only-ops", got)
        self.assertEqual(self.k(self.dst, "-n", "clusters-ops-hosted", "get", "pods", "-o", "name").stdout, "")


if __name__ == "__main__":
    unittest.main()
