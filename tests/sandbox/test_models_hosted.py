"""The fixtures as a real management cluster holds them, the hosted cluster's nodes
(controllers/nodes.py) and its API as clients see it (controllers/hosted_api.py,
hosted_writer.py), through the real kubectl and a real etcd. hosted-api.json, which the CPO model
keeps, is written by the tests here; latencies are pinned in node-lifecycle.json."""

import calendar
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import simetcd
import simtest
from controllers.shared import Shared
from simtest import CRDS, HERE, KUBECTL, Sim, needs

HC = "jdoe-hosted"
NS = "clusters"
CP = NS + "-" + HC
TIMEOUT = 60


def ts(s):
    """RFC 3339 (fractional seconds or not) -> unix time."""
    s = s.rstrip("Z")
    whole, _, frac = s.partition(".")
    return calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) + (float("0." + frac) if frac else 0.0)


def wait_for(what, fn, timeout=TIMEOUT, interval=0.2):
    got, last = simtest.poll(fn, timeout, interval)
    if got:
        return got
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


class Kubectl:
    def k(self, sim, *args, ok=True):
        env = dict(os.environ, KUBECACHEDIR=os.path.join(self.work, "cache-%d" % id(sim)))
        r = subprocess.run([KUBECTL, "--kubeconfig", sim.kubeconfig, "--request-timeout=10s"] + list(args),
                           capture_output=True, text=True, env=env, timeout=60)
        if ok:
            self.assertEqual(r.returncode, 0, "kubectl %s: %s" % (" ".join(args), r.stderr))
        return r

    def obj(self, sim, *args):
        return json.loads(self.k(sim, "get", "-o", "json", *args).stdout)


def refs(obj):
    return obj["metadata"].get("ownerReferences") or []


@needs(KUBECTL, "kubectl is not installed")
@needs(os.path.isdir(CRDS), "CRDs not found")
class TestFixtures(Kubectl, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="models-hosted-")
        cls.src = Sim("source")
        cls.hosted = Sim("hosted")

    @classmethod
    def tearDownClass(cls):
        cls.src.stop()
        cls.hosted.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def owned_by(self, obj, owner, controller):
        r = [x for x in refs(obj) if x["uid"] == owner["metadata"]["uid"]]
        self.assertEqual(len(r), 1, "%s %s: %s" % (obj["kind"], obj["metadata"]["name"], refs(obj)))
        self.assertEqual((r[0]["kind"], r[0]["name"]), (owner["kind"], owner["metadata"]["name"]))
        self.assertEqual(bool(r[0].get("controller")), controller)
        self.assertEqual(bool(r[0].get("blockOwnerDeletion")), controller)

    def test_owner_references_by_uid(self):
        hc = self.obj(self.src, "-n", NS, "hostedcluster", HC)
        hcp = self.obj(self.src, "-n", CP, "hostedcontrolplane", HC)
        cluster = self.obj(self.src, "-n", CP, "cluster.cluster.x-k8s.io", hcp["metadata"]["labels"]["cluster.x-k8s.io/cluster-name"])
        self.assertEqual(refs(hc), [])
        self.assertEqual(refs(cluster), [])    # the HyperShift operator sets no owner on it
        self.owned_by(hcp, cluster, True)      # CAPI's cluster controller controls its controlPlaneRef
        self.owned_by(self.obj(self.src, "-n", CP, "awscluster", cluster["metadata"]["name"]), cluster, True)
        for p in self.obj(self.src, "-n", NS, "nodepools")["items"]:
            if p["spec"]["clusterName"] == HC:
                self.owned_by(p, hc, False)
        for name in ("root-ca", "etcd-client-tls", "kube-apiserver-cert"):
            self.owned_by(self.obj(self.src, "-n", CP, "secret", name), hcp, True)
        for name in ("kube-apiserver", "cluster-api", "capi-provider", "control-plane-operator"):
            self.owned_by(self.obj(self.src, "-n", CP, "deployment", name), hcp, True)
        sts = self.obj(self.src, "-n", CP, "statefulset", "etcd")
        self.owned_by(sts, hcp, True)
        pods = self.obj(self.src, "-n", CP, "pods", "-l", "app=etcd")["items"]
        self.assertEqual(len(pods), 3)
        for p in pods:
            self.owned_by(p, sts, True)
        mds = {o["metadata"]["name"]: o for o in self.obj(self.src, "-n", CP, "machinedeployments")["items"]}
        mss = {o["metadata"]["name"]: o for o in self.obj(self.src, "-n", CP, "machinesets")["items"]}
        machines = {o["metadata"]["name"]: o for o in self.obj(self.src, "-n", CP, "machines")["items"]}
        for md in mds.values():
            self.owned_by(md, cluster, False)
        for ms in mss.values():
            self.owned_by(ms, mds[refs(ms)[0]["name"]], True)
        for m in machines.values():
            self.owned_by(m, mss[refs(m)[0]["name"]], True)
        for am in self.obj(self.src, "-n", CP, "awsmachines")["items"]:
            self.owned_by(am, machines[am["metadata"]["name"]], True)

    def test_finalizers(self):
        def fin(*args):
            return self.obj(self.src, *args)["metadata"].get("finalizers")
        self.assertEqual(fin("-n", NS, "hostedcluster", HC), ["hypershift.openshift.io/finalizer"])
        self.assertEqual(fin("-n", CP, "hostedcontrolplane", HC), ["hypershift.openshift.io/finalizer"])
        for m in self.obj(self.src, "-n", CP, "machines")["items"]:
            self.assertEqual(m["metadata"]["finalizers"], ["machine.cluster.x-k8s.io"])
        for m in self.obj(self.src, "-n", CP, "awsmachines")["items"]:
            self.assertEqual(m["metadata"]["finalizers"], ["awsmachine.infrastructure.cluster.x-k8s.io"])
        # the procedure's teardown cannot pass these: only in the --controller-finalizers variant
        self.assertIsNone(fin("-n", CP, "deployment", "cluster-api"))

    def test_references_a_name_prefix_backup_misses(self):
        hc = self.obj(self.src, "-n", NS, "hostedcluster", HC)
        spec = hc["spec"]
        api = [s for s in spec["services"] if s["service"] == "APIServer"][0]
        self.assertEqual(api["servicePublishingStrategy"], {"type": "Route", "route": {"hostname": "api.jdoe-hosted.jdoe.sandbox.example.com"}})
        secrets = [spec["pullSecret"]["name"], spec["secretEncryption"]["aescbc"]["activeKey"]["name"],
                   spec["configuration"]["oauth"]["identityProviders"][0]["github"]["clientSecret"]["name"]]
        configmaps = [spec["additionalTrustBundle"]["name"], spec["configuration"]["proxy"]["trustedCA"]["name"]]
        for p in self.obj(self.src, "-n", NS, "nodepools")["items"]:
            configmaps += [c["name"] for c in p["spec"].get("config") or []]
        for name in secrets:
            self.obj(self.src, "-n", NS, "secret", name)
        for name in configmaps:
            self.obj(self.src, "-n", NS, "configmap", name)
        self.assertTrue([n for n in secrets if not n.startswith(HC)], secrets)

    def test_hosted_nodes_and_leases(self):
        nodes = self.obj(self.hosted, "nodes", "-l", "node-role.kubernetes.io/worker")["items"]
        self.assertEqual(len(nodes), 3)
        leases = {o["metadata"]["name"]: o for o in self.obj(self.hosted, "-n", "kube-node-lease", "leases")["items"]}
        for n in nodes:
            ready = [c for c in n["status"]["conditions"] if c["type"] == "Ready"][0]
            self.assertEqual(ready["status"], "True")
            self.assertIn("lastHeartbeatTime", ready)
            lease = leases[n["metadata"]["name"]]
            self.owned_by(lease, n, False)
            self.assertEqual(lease["spec"]["holderIdentity"], n["metadata"]["name"])

    def test_variant(self):
        out = os.path.join(self.work, "variant")
        subprocess.run([sys.executable, os.path.join(HERE, "fixtures", "make_fixtures.py"), "--out", out,
                        "--availability", "SingleReplica", "--no-api-hostname", "--controller-finalizers"], check=True)
        sim = Sim(None, name="source", extra=["--fixture", os.path.join(out, "source.json")])
        try:
            self.assertEqual(len(self.obj(sim, "-n", CP, "pods", "-l", "app=etcd")["items"]), 1)
            hc = self.obj(sim, "-n", NS, "hostedcluster", HC)
            self.assertEqual(hc["spec"]["controllerAvailabilityPolicy"], "SingleReplica")
            api = [s for s in hc["spec"]["services"] if s["service"] == "APIServer"][0]
            self.assertEqual(api["servicePublishingStrategy"], {"type": "LoadBalancer"})
            for d in ("cluster-api", "capi-provider"):
                self.assertEqual(self.obj(sim, "-n", CP, "deployment", d)["metadata"]["finalizers"],
                                 ["hypershift.openshift.io/component-finalizer"])
            self.assertEqual(self.obj(sim, "-n", CP, "machinesets")["items"][0]["metadata"]["finalizers"],
                             ["cluster.x-k8s.io/machineset"])
        finally:
            sim.stop()


@needs(KUBECTL, "kubectl is not installed")
@needs(os.path.isdir(CRDS), "CRDs not found")
@needs(os.access(simetcd.ETCD, os.X_OK) and os.access(simetcd.ETCDCTL, os.X_OK), "etcd is not installed")
class TestHostedApi(Kubectl, unittest.TestCase):
    """One hosted instance with the hosted-api and node-lifecycle models; etcds stand for the
    management clusters' hosted etcd."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="models-hosted-")
        cls.shared = Shared(os.path.join(cls.work, "shared"))
        cls.etcd = simetcd.EtcdManager(cls.work)
        port, err = cls.etcd.start("source")
        if err:
            cls.etcd.stop_all()
            raise RuntimeError(err)
        cls.source = cls.entry(port)
        cls.pin(reconnect=0.5)
        cls.serve({"source": cls.source})
        cls.sim = Sim("hosted", extra=["--shared-dir", cls.shared.path, "--cluster-role", "hosted",
                                       "--controllers", "hosted-api,node-lifecycle"])

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.etcd.stop_all()
        shutil.rmtree(cls.work, ignore_errors=True)

    @classmethod
    def entry(cls, port, restored_from=None):
        t = cls.etcd.tls
        return {"etcd": {"endpoint": "https://localhost:%d" % port, "ca": os.path.join(t, "ca.crt"),
                         "cert": os.path.join(t, "client.crt"), "key": os.path.join(t, "client.key")},
                "since": round(time.time(), 3), "restored_from": restored_from}

    @classmethod
    def serve(cls, servers):
        with cls.shared.locked("hosted-api.json") as data:
            data.setdefault("hosted_clusters", {})["clusters/jdoe-hosted"] = {"servers": servers}

    @classmethod
    def pin(cls, **kw):
        cfg = {"lease_renew": 0.5, "status_report": 1.0, "grace": 3.0, "reconnect": 0.5}
        cfg.update(kw)
        with cls.shared.locked("node-lifecycle.json") as data:
            data.clear()
            data.update(cfg)

    def etcdctl(self, port, *args):
        r = subprocess.run([simetcd.ETCDCTL] + self.etcd.client_args(port) + list(args), capture_output=True,
                           text=True, env=dict(os.environ, ETCDCTL_API="3"), timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def port(self, entry):
        return int(entry["etcd"]["endpoint"].rsplit(":", 1)[1])

    def nodes(self):
        """{node: (Ready status, lastHeartbeatTime, Lease renewTime)} through kubectl."""
        nodes = self.obj(self.sim, "nodes")["items"]
        leases = {o["metadata"]["name"]: o for o in self.obj(self.sim, "-n", "kube-node-lease", "leases")["items"]}
        out = {}
        for n in nodes:
            rc = [c for c in n["status"]["conditions"] if c["type"] == "Ready"][0]
            out[n["metadata"]["name"]] = (rc["status"], ts(rc["lastHeartbeatTime"]),
                                          ts(leases[n["metadata"]["name"]]["spec"]["renewTime"]), n)
        return out

    def all_nodes(self, pred):
        return lambda: (lambda ns: ns if ns and all(pred(*v) for v in ns.values()) else None)(self.nodes())

    def raw_get(self):
        """GET /api/v1/nodes straight over HTTPS: the answer's status, or the connection error."""
        import http.client
        import ssl
        url = self.sim.info["url"].split("//", 1)[1]
        conn = http.client.HTTPSConnection(url, timeout=10, context=ssl.create_default_context(cafile=self.sim.info["ca"]))
        try:
            conn.request("GET", "/api/v1/nodes", headers={"Authorization": "Bearer " + self.sim.info["token"]})
            return conn.getresponse().status
        except (http.client.HTTPException, ConnectionError) as e:
            return type(e).__name__
        finally:
            conn.close()

    def test_1_gate(self):
        self.serve({})
        # refused at the connection, like a load balancer without a backend
        self.assertEqual(wait_for("a refusal", lambda: (lambda r: r if r != 200 else None)(self.raw_get())),
                         "RemoteDisconnected")
        r = self.k(self.sim, "get", "nodes", "--request-timeout=1s", ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("EOF", r.stderr)
        self.serve({"source": self.source, "destination": dict(self.source, since=time.time())})
        wait_for("split brain recorded", lambda: self.shared.lines("split-brain.jsonl"))
        self.assertEqual(self.raw_get(), "RemoteDisconnected")
        lines = self.shared.lines("split-brain.jsonl")
        self.assertEqual([x["servers"] for x in lines], [["destination", "source"]])
        self.serve({"source": self.source})
        wait_for("the API served again", lambda: self.k(self.sim, "get", "nodes", ok=False).returncode == 0)
        self.assertEqual(len(self.shared.lines("split-brain.jsonl")), 1)

    def test_2_heartbeats_restore_and_grace(self):
        self.pin(reconnect=0.5)
        self.serve({"source": self.source})
        t0 = time.time()
        first = wait_for("heartbeats while served", self.all_nodes(lambda s, hb, rn, n: s == "True" and rn > t0 and hb >= int(t0)))
        wait_for("heartbeats advancing", self.all_nodes(lambda s, hb, rn, n: rn > first[n["metadata"]["name"]][2]))
        # a snapshot of the source's etcd, then more heartbeats written after it
        snap = os.path.join(self.work, "snapshot.db")
        port = self.port(self.source)
        self.etcdctl(port, "snapshot", "save", snap)
        t_snap = time.time()
        wait_for("heartbeats after the snapshot", self.all_nodes(lambda s, hb, rn, n: rn > t_snap))
        # not served: nothing renews (read from the etcd, the API refuses)
        self.serve({})
        time.sleep(0.5)
        t_out = time.time()
        before = self.etcdctl(port, "get", "--prefix", "/registry/leases/")
        time.sleep(2.0)
        self.assertEqual(self.etcdctl(port, "get", "--prefix", "/registry/leases/"), before)
        # served from an etcd restored from the snapshot, kubelets held off: the snapshot's Ready=True
        self.pin(reconnect=1e6)
        rport, err = self.etcd.start("destination", restored_from=snap)
        self.assertIsNone(err)
        t_restore = time.time()
        self.serve({"destination": self.entry(rport, "https://bucket.s3.example.com/jdoe-hosted-etcd-0-snapshot.db")})
        stale = wait_for("the snapshot's nodes", self.all_nodes(lambda s, hb, rn, n: rn <= t_snap))
        for s, hb, rn, n in stale.values():
            self.assertEqual(s, "True")
            self.assertLess(hb, t_restore)
            self.assertLess(rn, t_out)
        # the kubelets reconnect: fresh heartbeats, newer than the restore
        self.pin(reconnect=0.5)
        wait_for("fresh heartbeats", self.all_nodes(lambda s, hb, rn, n: s == "True" and rn > t_restore and hb >= int(t_restore)))
        # a control plane that runs while kubelets cannot reach it: Ready goes Unknown after the grace
        self.pin(reconnect=1e6, grace=2.0)
        self.serve({"destination": self.entry(rport)})
        unknown = wait_for("Ready Unknown", self.all_nodes(lambda s, hb, rn, n: s == "Unknown"))
        for s, hb, rn, n in unknown.values():
            self.assertIn({"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"},
                          [{k: t[k] for k in ("key", "effect")} for t in n["spec"]["taints"]])
        self.pin(reconnect=0.5)
        back = wait_for("Ready again", self.all_nodes(lambda s, hb, rn, n: s == "True" and not n["spec"].get("taints")))
        self.assertEqual(len(back), 3)
        self.serve({"source": self.source})

    def writer(self, out):
        return subprocess.Popen([sys.executable, os.path.join(HERE, "hosted_writer.py"), "write", "--shared",
                                 self.shared.path, "--out", out, "--interval", "0.05"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def acked(self, out):
        try:
            with open(out) as f:
                return [json.loads(x) for x in f if x.strip()]
        except FileNotFoundError:
            return []

    def check(self, acked, *args):
        return subprocess.run([sys.executable, os.path.join(HERE, "hosted_writer.py"), "check", "--acked", acked]
                              + list(args), capture_output=True, text=True, timeout=60)

    def test_3_writer_outage_and_lost_writes(self):
        self.serve({"source": self.source})
        out = os.path.join(self.work, "acked.jsonl")
        w = self.writer(out)
        try:
            wait_for("acked writes", lambda: len([r for r in self.acked(out) if r["event"] == "acked"]) >= 3)
            self.serve({})
            wait_for("refused writes", lambda: any(r["event"] == "refused" for r in self.acked(out)))
            self.serve({"source": self.source})
            n = len(self.acked(out))
            wait_for("acked after the outage", lambda: any(r["event"] == "acked" for r in self.acked(out)[n:]))
            # a snapshot while the writer goes on: what is acked after it is not in the snapshot
            snap = os.path.join(self.work, "writer-snapshot.db")
            self.etcdctl(self.port(self.source), "snapshot", "save", snap)
            n = len(self.acked(out))
            wait_for("acked after the snapshot", lambda: len([r for r in self.acked(out)[n:] if r["event"] == "acked"]) >= 2)
        finally:
            w.send_signal(signal.SIGTERM)
            stdout, stderr = w.communicate(timeout=30)
        self.assertEqual(w.returncode, 0, stderr)
        summary = json.loads(stdout)
        self.assertGreaterEqual(summary["acked"], 6)
        self.assertGreaterEqual(summary["refused"], 1)
        self.assertGreater(summary["first_accepted_after_refusal"], summary["first_refused"])
        self.assertGreater(summary["outage_seconds"], 0)
        # every acked write reads back from the source's etcd
        r = self.check(out, "--shared", self.shared.path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(json.loads(r.stdout.splitlines()[-1])["missing"], 0)
        # from an etcd restored from the snapshot, the later ones are missing
        rport, err = self.etcd.start("writer-restored", restored_from=snap)
        self.assertIsNone(err)
        e = self.entry(rport)["etcd"]
        r = self.check(out, "--endpoint", e["endpoint"], "--cacert", e["ca"], "--cert", e["cert"], "--key", e["key"])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("missing /ferry-canary/", r.stdout)
        self.assertGreaterEqual(json.loads(r.stdout.splitlines()[-1])["missing"], 2)


if __name__ == "__main__":
    unittest.main()
