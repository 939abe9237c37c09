"""The HyperShift operator, control-plane operator and workload models (controllers/hypershift.py,
cpo.py, workloads.py) through the real kubectl: each test starts its own apisim with
`--controllers` and pinned latencies and checks one behaviour of ../shared/reference/controllers.md.

Waits are on conditions (kubectl wait, or polling with a generous deadline); the only
"something does not happen" checks wait first for an event that proves the model had its chance.
"""

import base64
import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import unittest

from simtest import CRDS, KUBECTL, Sim, needs, poll

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from controllers.cloud import Cloud, ledger  # noqa: E402
from controllers.shared import Shared  # noqa: E402

HC = "jdoe-hosted"
NS = "clusters"
CP = NS + "-" + HC
INFRA = "jdoe-hosted-7xk2p"
ALL = "hypershift,control-plane-operator,workloads"
FAST = ["--latency", "hypershift=0.3", "--latency", "control-plane-operator=0.3", "--latency", "workloads=0.3"]
TLS = ["--cacert", "/etc/etcd/tls/etcd-ca/ca.crt", "--cert", "/etc/etcd/tls/client/etcd-client.crt",
       "--key", "/etc/etcd/tls/client/etcd-client.key", "--endpoints=localhost:2379"]
HAS_ETCD = os.path.exists("/usr/bin/etcd") and os.path.exists("/usr/bin/etcdctl")


def fixture_objects():
    with open(os.path.join(HERE, "fixtures", "source.json")) as f:
        return json.load(f)["objects"]


class _Snapshots(http.server.SimpleHTTPRequestHandler):
    """An https "S3" for presigned GETs: an expired URL gets S3's 403 with an XML body."""

    def do_GET(self):
        if "X-Amz-Expires=0" in self.path:
            body = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                    b"<Message>Request has expired</Message></Error>")
            self.send_response(403)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        return super().do_GET()

    def log_message(self, *a):
        pass


@needs(KUBECTL, "kubectl is not installed")
@needs(os.path.isdir(CRDS), "CRDs not found at " + CRDS)
class ModelTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="models-hs-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.shared_dir = os.path.join(self.work, "shared")
        self.sims = {}

    def sim(self, fixture="source", controllers=ALL, latencies=FAST, extra=(), name=None):
        s = Sim(fixture, name=name or fixture, extra=["--controllers", controllers, "--shared-dir", self.shared_dir]
                + list(latencies) + list(extra))
        self.addCleanup(s.stop)
        self.sims[s.info["name"]] = s
        return s

    def k(self, sim, *args, input=None, timeout=120):
        env = dict(os.environ, KUBECONFIG=sim.kubeconfig,
                   KUBECACHEDIR=os.path.join(self.work, "cache-" + sim.info["name"]))
        if isinstance(input, (dict, list)):
            input = json.dumps(input)
        return subprocess.run([KUBECTL] + list(args), input=input, capture_output=True, text=True, env=env,
                              timeout=timeout)

    def ok(self, sim, *args, **kw):
        r = self.k(sim, *args, **kw)
        self.assertEqual(r.returncode, 0, "kubectl %s: %s\n--- apisim log:\n%s" % (" ".join(args), r.stderr, self.log(sim)))
        return r.stdout

    def log(self, sim):
        try:
            with open(os.path.join(sim.dir, "apisim.log")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def get(self, sim, *args):
        r = self.k(sim, "get", "-o", "json", *args)
        if r.returncode != 0 and "NotFound" in r.stderr:
            return None
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def until(self, what, fn, timeout=60, sim=None):
        """Polls fn() until it returns something truthy; returns it."""
        got, last = poll(fn, timeout)
        if got:
            return got
        self.fail("timed out waiting for %s (last: %r)%s" % (what, last, "\n--- apisim log:\n" + self.log(sim) if sim else ""))

    def wait(self, sim, *args, timeout="60s"):
        return self.ok(sim, "wait", "--timeout=" + timeout, *args, timeout=200)

    @staticmethod
    def cond(obj, ctype):
        return next((c for c in ((obj or {}).get("status") or {}).get("conditions") or [] if c.get("type") == ctype), None)

    def hosted_api(self):
        data = Shared(self.shared_dir).read("hosted-api.json")
        return ((data.get("hosted_clusters") or {}).get("clusters/jdoe-hosted") or {}).get("servers", {})


class TestWorkloads(ModelTest):
    @needs(HAS_ETCD, "etcd not installed")
    def test_pods_follow_replicas_and_etcd_pods_come_back_with_their_etcd(self):
        src = self.sim(controllers="workloads", latencies=["--latency", "workloads=0.5"], extra=["--etcd"])
        # a Deployment scaled to 2 gets two pods <name>-<hash>-<rand> with the template's labels
        self.ok(src, "-n", CP, "scale", "deploy/kube-scheduler", "--replicas=2")
        self.until("2 kube-scheduler pods", lambda: len(self.get(src, "-n", CP, "pods", "-l", "app=kube-scheduler")["items"]) == 2)
        pods = self.get(src, "-n", CP, "pods", "-l", "app=kube-scheduler")["items"]
        for p in pods:
            self.assertRegex(p["metadata"]["name"], r"^kube-scheduler-[a-z0-9]{10}-[a-z0-9]{5}$")
            self.assertIn("pod-template-hash", p["metadata"]["labels"])
        self.until("status.replicas 2", lambda: self.get(src, "-n", CP, "deploy", "kube-scheduler")["status"].get("replicas") == 2)
        # scale to 0: status.replicas drops only once the pods are gone (read first, never below them)
        self.ok(src, "-n", CP, "scale", "deploy/kube-scheduler", "--replicas=0")
        d = self.get(src, "-n", CP, "deploy", "kube-scheduler")
        left = self.get(src, "-n", CP, "pods", "-l", "app=kube-scheduler")["items"]
        self.assertGreaterEqual(d["status"].get("replicas", 0), len(left))
        self.assertEqual(d["spec"]["replicas"], 0)
        self.until("pods gone", lambda: not self.get(src, "-n", CP, "pods", "-l", "app=kube-scheduler")["items"])
        self.until("status.replicas 0", lambda: not self.get(src, "-n", CP, "deploy", "kube-scheduler")["status"].get("replicas"))

        # the etcd StatefulSet: the fixture's pods are adopted with their annotations; scale to 0
        # removes them, scale to 3 re-creates etcd-0..2 backed by the same etcd (teardown/rollback)
        before = {p["metadata"]["name"]: p["metadata"]["annotations"]["apisim.ferry.dev/etcd-endpoint"]
                  for p in self.get(src, "-n", CP, "pods", "-l", "app=etcd")["items"]}
        self.assertEqual(sorted(before), ["etcd-0", "etcd-1", "etcd-2"])
        self.ok(src, "-n", CP, "exec", "etcd-0", "-c", "etcd", "--", "env", "ETCDCTL_API=3", "/usr/bin/etcdctl",
                *TLS, "put", "/sandbox/key", "kept")
        self.ok(src, "-n", CP, "scale", "sts/etcd", "--replicas=0")
        self.until("etcd pods gone", lambda: not self.get(src, "-n", CP, "pods", "-l", "app=etcd")["items"])
        self.until("sts status 0", lambda: not self.get(src, "-n", CP, "sts", "etcd")["status"].get("replicas"))
        self.ok(src, "-n", CP, "scale", "sts/etcd", "--replicas=3")
        self.wait(src, "-n", CP, "--for=jsonpath={.status.readyReplicas}=3", "sts/etcd")
        after = {p["metadata"]["name"]: p["metadata"]["annotations"].get("apisim.ferry.dev/etcd-endpoint")
                 for p in self.get(src, "-n", CP, "pods", "-l", "app=etcd")["items"]}
        self.assertEqual(after, before)
        out = self.ok(src, "-n", CP, "exec", "etcd-2", "-c", "etcd", "--", "env", "ETCDCTL_API=3", "/usr/bin/etcdctl",
                      *TLS, "get", "/sandbox/key", "--print-value-only")
        self.assertEqual(out.strip(), "kept")

    def test_a_statefulset_pods_volume_goes_with_its_namespace(self):
        # PVCs are namespaced: a StatefulSet pod re-created keeps its volume (here an
        # apisim.ferry.dev/* annotation), one in a namespace deleted and made again starts empty
        src = self.sim(controllers="workloads", latencies=["--latency", "workloads=0.2"])
        sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "pvc-test"},
               "spec": {"replicas": 1, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                        "template": {"metadata": {"labels": {"app": "db"}},
                                     "spec": {"containers": [{"name": "db", "image": "db"}]}}}}
        self.ok(src, "create", "namespace", "pvc-test")
        self.ok(src, "create", "-f", "-", input=sts)
        self.until("db-0", lambda: self.get(src, "-n", "pvc-test", "pod", "db-0"))
        self.ok(src, "-n", "pvc-test", "annotate", "pod", "db-0", "apisim.ferry.dev/volume=data")
        self.ok(src, "-n", "pvc-test", "scale", "sts/db", "--replicas=0")
        self.until("db-0 gone", lambda: self.get(src, "-n", "pvc-test", "pod", "db-0") is None)
        self.ok(src, "-n", "pvc-test", "scale", "sts/db", "--replicas=1")
        self.until("db-0 again, with its volume", lambda: (self.get(src, "-n", "pvc-test", "pod", "db-0") or {})
                   .get("metadata", {}).get("annotations", {}).get("apisim.ferry.dev/volume") == "data")
        self.ok(src, "delete", "namespace", "pvc-test", "--timeout=60s")
        self.ok(src, "create", "namespace", "pvc-test")
        self.ok(src, "create", "-f", "-", input=sts)
        pod = self.until("db-0 in the new namespace", lambda: self.get(src, "-n", "pvc-test", "pod", "db-0"))
        self.assertNotIn("apisim.ferry.dev/volume", pod["metadata"].get("annotations") or {})


class TestCPO(ModelTest):
    def test_scale_to_zero_undone_while_hcp_unpaused_and_kept_once_paused(self):
        src = self.sim()
        self.wait(src, "-n", CP, "--for=condition=Available", "hcp/" + HC)
        self.ok(src, "-n", CP, "scale", "deploy/kube-apiserver", "--replicas=0")
        # the CPO (HCP not paused) resets the replicas to 3 (HighlyAvailable)
        self.wait(src, "-n", CP, "--for=jsonpath={.spec.replicas}=3", "deploy/kube-apiserver")
        self.wait(src, "-n", CP, "--for=jsonpath={.status.readyReplicas}=3", "deploy/kube-apiserver")
        # paused (the HO has copied the pause to the HCP): the scale holds
        self.ok(src, "-n", NS, "patch", "hc", HC, "--type=merge", "-p", '{"spec":{"pausedUntil":"true"}}')
        self.wait(src, "-n", CP, "--for=jsonpath={.spec.pausedUntil}=true", "hcp/" + HC)
        self.ok(src, "-n", CP, "scale", "deploy/kube-apiserver", "--replicas=0")
        self.until("kube-apiserver pods gone", lambda: not self.get(src, "-n", CP, "pods", "-l", "app=kube-apiserver")["items"])
        # the CPO saw the pods go (HCP Available falls) and still did not scale back
        self.wait(src, "-n", CP, "--for=condition=Available=False", "hcp/" + HC)
        self.assertEqual(self.get(src, "-n", CP, "deploy", "kube-apiserver")["spec"]["replicas"], 0)

    def test_missing_root_ca_is_minted_anew_owned_by_the_hcp(self):
        src = self.sim()
        old = self.get(src, "-n", CP, "secret", "root-ca")
        hcp = self.get(src, "-n", CP, "hcp", HC)
        self.ok(src, "-n", CP, "delete", "secret", "root-ca")
        new = self.until("a new root-ca", lambda: self.get(src, "-n", CP, "secret", "root-ca"), sim=src)
        self.assertNotEqual(new["data"], old["data"])
        self.assertNotEqual(new["metadata"]["uid"], old["metadata"]["uid"])
        refs = [r for r in new["metadata"].get("ownerReferences") or [] if r.get("controller")]
        self.assertEqual([(r["kind"], r["name"], r["uid"]) for r in refs], [("HostedControlPlane", HC, hcp["metadata"]["uid"])])

    def test_hcp_deletion_handled_even_when_paused_and_cleanup_deletes_cloud_resources(self):
        src = self.sim(controllers="control-plane-operator,workloads")
        cloud = Cloud(Shared(self.shared_dir), "test", "test")
        cloud.create("load_balancer", "lb-ingress-1", INFRA + "/ingress")
        cloud.create("load_balancer", "lb-other", "other-cluster")
        self.ok(src, "-n", CP, "patch", "hcp", HC, "--type=merge", "-p",
                json.dumps({"spec": {"pausedUntil": "true"},
                            "metadata": {"annotations": {"hypershift.openshift.io/cleanup-cloud-resources": "true"}}}))
        self.wait(src, "-n", CP, "--for=condition=ReconciliationActive=False", "hcp/" + HC)
        self.ok(src, "-n", CP, "delete", "hcp", HC, "--wait=false")
        self.wait(src, "-n", CP, "--for=delete", "hcp/" + HC)
        deleted = [e["id"] for e in ledger(Shared(self.shared_dir)) if e["action"] == "delete"]
        self.assertEqual(deleted, ["lb-ingress-1"])

    def test_cpo_scaled_to_zero_resets_nothing(self):
        src = self.sim(latencies=["--latency", "hypershift=0.3", "--latency", "control-plane-operator=0.3",
                                  "--latency", "workloads=2"])
        self.wait(src, "-n", CP, "--for=condition=Available", "hcp/" + HC)
        # HC unpaused: the HO (reconcileControlPlaneOperator) sets the CPO's replicas back to 1
        self.ok(src, "-n", CP, "scale", "deploy/control-plane-operator", "--replicas=0")
        self.wait(src, "-n", CP, "--for=jsonpath={.spec.replicas}=1", "deploy/control-plane-operator")
        # paused: the scale holds, and once its pods are gone the CPO resets nothing
        self.ok(src, "-n", NS, "patch", "hc", HC, "--type=merge", "-p", '{"spec":{"pausedUntil":"true"}}')
        self.wait(src, "-n", CP, "--for=jsonpath={.spec.pausedUntil}=true", "hcp/" + HC)
        self.ok(src, "-n", CP, "scale", "deploy/control-plane-operator", "--replicas=0")
        self.until("CPO pods gone", lambda: not self.get(src, "-n", CP, "pods", "-l", "app=control-plane-operator")["items"])
        self.ok(src, "-n", CP, "patch", "hcp", HC, "--type=merge", "-p", '{"spec":{"pausedUntil":null}}')
        self.ok(src, "-n", CP, "scale", "deploy/openshift-apiserver", "--replicas=0")
        self.until("openshift-apiserver pods gone",
                   lambda: not self.get(src, "-n", CP, "pods", "-l", "app=openshift-apiserver")["items"])
        self.assertEqual(self.get(src, "-n", CP, "deploy", "openshift-apiserver")["spec"]["replicas"], 0)


class TestHyperShiftOperator(ModelTest):
    def test_reconciliation_active_false_before_the_pause_reaches_hcp_and_cluster(self):
        # a resync would reconcile at once: pinned out of the window the test looks at
        src = self.sim(latencies=["--latency", "hypershift=2", "--latency", "hypershift.resync=600",
                                  "--latency", "control-plane-operator=0.3", "--latency", "workloads=0.3"])
        self.wait(src, "-n", NS, "--for=condition=Available", "hc/" + HC, timeout="90s")
        self.ok(src, "-n", NS, "patch", "hc", HC, "--type=merge", "-p", '{"spec":{"pausedUntil":"true"}}')
        self.wait(src, "-n", NS, "--for=condition=ReconciliationActive=False", "hc/" + HC)
        # written before the HCP and the Cluster are paused: alone it proves nothing
        self.assertNotIn("pausedUntil", self.get(src, "-n", CP, "hcp", HC)["spec"])
        self.assertFalse(self.get(src, "-n", CP, "cluster.cluster.x-k8s.io", INFRA)["spec"].get("paused"))
        self.wait(src, "-n", CP, "--for=jsonpath={.spec.pausedUntil}=true", "hcp/" + HC)
        self.wait(src, "-n", CP, "--for=jsonpath={.spec.paused}=true", "cluster.cluster.x-k8s.io/" + INFRA)
        # unpaused: the HO overwrites the HCP from the HC and unpauses the Cluster at once
        self.ok(src, "-n", NS, "patch", "hc", HC, "--type=merge", "-p", '{"spec":{"pausedUntil":null}}')
        self.wait(src, "-n", CP, "--for=jsonpath={.spec.paused}=false", "cluster.cluster.x-k8s.io/" + INFRA)
        self.until("HCP unpaused", lambda: "pausedUntil" not in self.get(src, "-n", CP, "hcp", HC)["spec"])

    def test_finalizers_come_back_even_when_paused(self):
        src = self.sim()
        self.ok(src, "-n", NS, "patch", "hc", HC, "--type=merge", "-p", '{"spec":{"pausedUntil":"true"}}')
        self.wait(src, "-n", CP, "--for=jsonpath={.spec.pausedUntil}=true", "hcp/" + HC)
        # the component finalizer on the CAPI Deployments, ensured before the pause check
        for d in ("cluster-api", "capi-provider"):
            self.wait(src, "-n", CP, "--for=jsonpath={.metadata.finalizers[0]}=hypershift.openshift.io/component-finalizer",
                      "deploy/" + d)
        self.ok(src, "-n", CP, "patch", "deploy", "cluster-api", "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
        self.ok(src, "-n", NS, "patch", "hc", HC, "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
        self.until("HC finalizer back", lambda: "hypershift.openshift.io/finalizer" in
                   (self.get(src, "-n", NS, "hc", HC)["metadata"].get("finalizers") or []), sim=src)
        self.until("component finalizer back", lambda: "hypershift.openshift.io/component-finalizer" in
                   (self.get(src, "-n", CP, "deploy", "cluster-api")["metadata"].get("finalizers") or []))

    def test_deletion_runs_the_delete_path_even_when_paused(self):
        src = self.sim()
        self.until("OIDC documents uploaded", lambda: len(Cloud(Shared(self.shared_dir), "t", "t").list("oidc_document")) == 2,
                   sim=src)
        self.ok(src, "-n", NS, "patch", "hc", HC, "--type=merge", "-p", '{"spec":{"pausedUntil":"true"}}')
        self.wait(src, "-n", CP, "--for=jsonpath={.spec.paused}=true", "cluster.cluster.x-k8s.io/" + INFRA)
        self.ok(src, "-n", NS, "delete", "hc", HC, "--wait=false")
        # paused or not: the Cluster is unpaused and deleted, the NodePools are deleted
        self.wait(src, "-n", CP, "--for=jsonpath={.spec.paused}=false", "cluster.cluster.x-k8s.io/" + INFRA)
        self.until("Cluster deleting", lambda: (self.get(src, "-n", CP, "cluster.cluster.x-k8s.io", INFRA) or {}).get(
            "metadata", {}).get("deletionTimestamp"))
        self.wait(src, "-n", NS, "--for=delete", "nodepool/jdoe-hosted-us-west-1a", "nodepool/jdoe-hosted-us-west-1b")
        self.assertIsNotNone(self.get(src, "-n", NS, "nodepool", "other-cluster-pool"))
        # no CAPI model here: the Cluster's finalizer holds the rest until someone removes it
        self.assertIsNotNone(self.get(src, "-n", CP, "hcp", HC))
        self.ok(src, "-n", CP, "patch", "cluster.cluster.x-k8s.io", INFRA, "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
        # then the HCP (the CPO drops its finalizer) and the namespace, which CAPI's and CAPA's
        # finalizers hold (no model of theirs here: strip them as their controllers would)
        self.wait(src, "-n", CP, "--for=delete", "hcp/" + HC, timeout="90s")
        self.until("namespace terminating", lambda: (self.get(src, "namespace", CP) or {"metadata": {"deletionTimestamp": 1}})[
            "metadata"].get("deletionTimestamp"), sim=src)
        for kind in ("machines.cluster.x-k8s.io", "awsmachines.infrastructure.cluster.x-k8s.io",
                     "awsclusters.infrastructure.cluster.x-k8s.io"):
            for name in self.ok(src, "-n", CP, "get", kind, "-o", "name").split():
                self.k(src, "-n", CP, "patch", name, "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
        self.wait(src, "-n", NS, "--for=delete", "hc/" + HC, timeout="90s")
        self.assertIsNone(self.get(src, "namespace", CP))
        gone = sorted(e["id"] for e in ledger(Shared(self.shared_dir)) if e["action"] == "delete")
        self.assertEqual(gone, [INFRA + "/.well-known/openid-configuration", INFRA + "/openid/v1/jwks"])

    def test_nodepool_owner_pause_and_ignition(self):
        src = self.sim()
        hc = self.get(src, "-n", NS, "hc", HC)
        np = "jdoe-hosted-us-west-1a"
        # a stale owner UID (a restored NodePool) is rewritten to the HostedCluster's
        self.ok(src, "-n", NS, "patch", "nodepool", np, "--type=merge", "-p", json.dumps({"metadata": {"ownerReferences": [
            {"apiVersion": "hypershift.openshift.io/v1beta1", "kind": "HostedCluster", "name": HC,
             "uid": "00000000-0000-0000-0000-000000000000"}]}}))
        self.wait(src, "-n", NS, "--for=jsonpath={.metadata.ownerReferences[0].uid}=" + hc["metadata"]["uid"], "nodepool/" + np)
        # ReachedIgnitionEndpoint: the fixture's token secret has no ignition-reached annotation
        self.wait(src, "-n", NS, "--for=condition=ReachedIgnitionEndpoint=False", "nodepool/" + np)
        # NodePool pause reaches the MachineDeployment named after the pool
        self.ok(src, "-n", NS, "patch", "nodepool", np, "--type=merge", "-p", '{"spec":{"pausedUntil":"true"}}')
        self.wait(src, "-n", CP, "--for=jsonpath={.metadata.annotations.cluster\\.x-k8s\\.io/paused}=true",
                  "machinedeployment/" + np)
        self.ok(src, "-n", NS, "patch", "nodepool", np, "--type=merge", "-p", '{"spec":{"pausedUntil":null}}')
        self.until("MachineDeployment unpaused", lambda: "cluster.x-k8s.io/paused" not in (
            self.get(src, "-n", CP, "machinedeployment", np)["metadata"].get("annotations") or {}))

    def test_missing_pull_secret_blocks_until_it_exists(self):
        src_fixture = fixture_objects()
        dst = self.sim("destination")
        hc = next(o for o in src_fixture if o["kind"] == "HostedCluster")
        hc = {"apiVersion": hc["apiVersion"], "kind": hc["kind"], "metadata": {"name": HC, "namespace": NS},
              "spec": hc["spec"]}
        self.ok(dst, "create", "namespace", NS)
        for o in src_fixture:
            if o["kind"] in ("Secret", "ConfigMap") and o["metadata"]["namespace"] == NS and \
                    o["metadata"]["name"] != HC + "-pull-secret":
                self.ok(dst, "create", "-f", "-", input={k: v for k, v in o.items() if k != "status"})
        self.ok(dst, "create", "-f", "-", input=hc)
        got = self.until("ReconciliationSucceeded=False", lambda: self.cond(self.get(dst, "-n", NS, "hc", HC),
                                                                            "ReconciliationSucceeded"), sim=dst)
        self.assertEqual(got["status"], "False")
        self.assertIn('secrets "jdoe-hosted-pull-secret" not found', got["message"])
        self.assertIsNone(self.get(dst, "-n", CP, "hcp", HC))
        pull = next(o for o in src_fixture if o["kind"] == "Secret" and o["metadata"]["name"] == HC + "-pull-secret")
        self.ok(dst, "create", "-f", "-", input=pull)
        self.wait(dst, "-n", NS, "--for=condition=ReconciliationSucceeded", "hc/" + HC)
        self.assertIsNotNone(self.get(dst, "-n", CP, "hcp", HC))


@needs(HAS_ETCD, "etcd not installed")
class TestRestore(ModelTest):
    def setUp(self):
        super().setUp()
        www = os.path.join(self.work, "www")
        os.makedirs(www)
        key, crt = os.path.join(self.work, "s3.key"), os.path.join(self.work, "s3.crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "2", "-keyout", key, "-out", crt, "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a, **kw: _Snapshots(*a, directory=www, **kw))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        self.addCleanup(httpd.server_close)
        self.addCleanup(httpd.shutdown)
        self.www, self.crt = www, crt
        self.base = "https://localhost:%d" % httpd.server_address[1]

    def snapshot(self, keys):
        """A snapshot of an etcd holding `keys`, made by the source's real etcd (apisim --etcd)."""
        src = self.sim(controllers="none", latencies=[], extra=["--etcd"])
        e = src.info["etcd"]
        cmd = ["/usr/bin/etcdctl", "--endpoints=" + e["endpoint"], "--cacert", e["ca"], "--cert", e["cert"], "--key", e["key"]]
        env = dict(os.environ, ETCDCTL_API="3")
        for k, v in keys.items():
            subprocess.run(cmd + ["put", k, v], env=env, check=True, capture_output=True)
        path = os.path.join(self.www, "jdoe-hosted-etcd-0-snapshot.db")
        subprocess.run(cmd + ["snapshot", "save", path], env=env, check=True, capture_output=True)
        src.stop()
        return path

    def restored_hc(self, name, url, policy="HighlyAvailable", annotations=None):
        objs = fixture_objects()
        hc = next(o for o in objs if o["kind"] == "HostedCluster")
        spec = json.loads(json.dumps(hc["spec"]))
        spec["etcd"]["managed"]["storage"]["restoreSnapshotURL"] = [url]
        spec["controllerAvailabilityPolicy"] = policy
        md = {"name": name, "namespace": NS}
        if annotations:
            md["annotations"] = annotations
        return {"apiVersion": hc["apiVersion"], "kind": hc["kind"], "metadata": md, "spec": spec}, \
            [o for o in objs if o["kind"] in ("Secret", "ConfigMap") and o["metadata"]["namespace"] == NS]

    def destination(self, extra_latency=()):
        return self.sim("destination", latencies=FAST + list(extra_latency), extra=["--etcd", "--ca-bundle", self.crt,
                                                                                    "--hypershift-restore"])

    def etcdctl_in(self, sim, ns, pod, *args):
        return self.ok(sim, "-n", ns, "exec", pod, "-c", "etcd", "--", "env", "ETCDCTL_API=3", "/usr/bin/etcdctl",
                       *TLS, *args)

    def test_restore_from_presigned_url_on_the_hcp_only(self):
        keys = {"/kubernetes.io/secrets/default/s%d" % i: "value-%d" % i for i in range(20)}
        self.snapshot(keys)
        url = self.base + "/jdoe-hosted-etcd-0-snapshot.db?X-Amz-Expires=3600&X-Amz-Signature=0f"
        dst = self.destination()
        hc, refs = self.restored_hc(HC, url, annotations={"hypershift.openshift.io/restored-from-backup": ""})
        self.ok(dst, "create", "namespace", NS)
        for o in refs:
            self.ok(dst, "create", "-f", "-", input={k: v for k, v in o.items() if k != "status"})
        self.ok(dst, "create", "-f", "-", input=hc)
        # applied with the HostedCluster, as the procedure does; restored-from-backup makes its
        # token count as having reached ignition (token.go)
        np = {"apiVersion": "hypershift.openshift.io/v1beta1", "kind": "NodePool",
              "metadata": {"name": HC + "-pool", "namespace": NS},
              "spec": {"clusterName": HC, "replicas": 1, "management": {"upgradeType": "Replace"},
                       "platform": {"type": "AWS", "aws": {"instanceType": "m5.large",
                                                           "subnet": {"id": "subnet-0a1b2c3d4e5f6071a"}}},
                       "release": {"image": hc["spec"]["release"]["image"]}}}
        self.ok(dst, "create", "-f", "-", input=np)
        self.until("the HostedControlPlane", lambda: self.get(dst, "-n", CP, "hcp", HC), sim=dst)
        self.wait(dst, "-n", CP, "--for=condition=EtcdSnapshotRestored", "hcp/" + HC, timeout="120s")
        self.wait(dst, "-n", NS, "--for=condition=Available", "hc/" + HC, timeout="60s")
        # the HO copies a fixed list of HCP conditions: EtcdSnapshotRestored is not in it
        r = self.k(dst, "-n", NS, "wait", "--for=condition=EtcdSnapshotRestored", "hc/" + HC, "--timeout=3s")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("timed out", r.stderr)
        # restored-from-backup: the HCCO reports recovery on the HCP, the HO mirrors it and drops the annotation
        self.wait(dst, "-n", NS, "--for=condition=HostedClusterRestoredFromBackup", "hc/" + HC)
        self.until("annotation removed", lambda: "hypershift.openshift.io/restored-from-backup" not in (
            self.get(dst, "-n", NS, "hc", HC)["metadata"].get("annotations") or {}))
        # the keys, read in any member; a HighlyAvailable restore is one 3-member cluster (after #9048)
        out = self.etcdctl_in(dst, CP, "etcd-2", "get", "--prefix", "/kubernetes.io/secrets/", "-w", "json")
        got = {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv["value"]).decode()
               for kv in json.loads(out)["kvs"]}
        self.assertEqual(got, keys)
        members = self.etcdctl_in(dst, CP, "etcd-1", "member", "list").strip().splitlines()
        self.assertEqual(len(members), 3, members)
        # the hosted API is served from this management cluster, from the restored etcd
        entry = self.until("hosted-api entry", lambda: self.hosted_api().get("destination"))
        self.assertEqual(entry["restored_from"], url)
        self.assertEqual(entry["hosted_cluster"], NS + "/" + HC)
        self.wait(dst, "-n", NS, "--for=condition=ReachedIgnitionEndpoint", "nodepool/" + HC + "-pool")

    def test_expired_url_fails_the_init_container_and_pre_9048_members_split(self):
        self.snapshot({"/k": "v"})
        dst = self.destination(["--latency", "control-plane-operator.etcd-pre-9048=1"])
        self.ok(dst, "create", "namespace", NS)
        hc, refs = self.restored_hc("expired", self.base + "/jdoe-hosted-etcd-0-snapshot.db?X-Amz-Expires=0",
                                    policy="SingleReplica")
        for o in refs:
            self.ok(dst, "create", "-f", "-", input={k: v for k, v in o.items() if k != "status"})
        self.ok(dst, "create", "-f", "-", input=hc)
        self.until("the HostedControlPlane", lambda: self.get(dst, "-n", "clusters-expired", "hcp", "expired"), sim=dst)
        pod = self.until("etcd-init exited 1", lambda: next((
            s for p in (self.get(dst, "-n", "clusters-expired", "pods", "-l", "app=etcd") or {"items": []})["items"]
            for s in (p.get("status") or {}).get("initContainerStatuses") or []
            if ((s.get("lastState") or {}).get("terminated") or {}).get("exitCode") == 1), None), timeout=90, sim=dst)
        self.assertIn("Request has expired", pod["lastState"]["terminated"]["message"])
        self.wait(dst, "-n", "clusters-expired", "--for=condition=EtcdAvailable=False", "hcp/expired")
        # etcdRestoredCondition looks at the init containers only once every replica is ready:
        # a failed restore leaves EtcdSnapshotRestored absent, not False
        self.assertIsNone(self.cond(self.get(dst, "-n", "clusters-expired", "hcp", "expired"), "EtcdSnapshotRestored"))
        self.assertIsNone(self.hosted_api().get("destination"))
        # pre-#9048 HighlyAvailable: each member restored alone, a one-member cluster each
        hc, _ = self.restored_hc(HC, self.base + "/jdoe-hosted-etcd-0-snapshot.db?X-Amz-Signature=1")
        self.ok(dst, "create", "-f", "-", input=hc)
        self.until("the HostedControlPlane", lambda: self.get(dst, "-n", CP, "hcp", HC), sim=dst)
        self.wait(dst, "-n", CP, "--for=condition=EtcdSnapshotRestored", "hcp/" + HC, timeout="120s")
        self.wait(dst, "-n", CP, "--for=condition=EtcdAvailable", "hcp/" + HC)
        for pod in ("etcd-0", "etcd-2"):
            members = self.etcdctl_in(dst, CP, pod, "member", "list").strip().splitlines()
            self.assertEqual(len(members), 1, members)


@needs(HAS_ETCD, "etcd not installed")
class TestHostedAPI(ModelTest):
    def test_entry_follows_kube_apiserver_pods_and_oidc_documents_are_in_the_ledger(self):
        src = self.sim(extra=["--etcd"])
        entry = self.until("hosted-api entry", lambda: self.hosted_api().get("source"), sim=src)
        self.assertEqual(entry["etcd"]["endpoint"], src.info["etcd"]["endpoint"])
        self.assertIsNone(entry["restored_from"])
        # the operator puts the documents one at a time and adds its finalizer after the last
        # (reconcileAWSOIDCDocuments), so the finalizer is when both must be there
        self.until("OIDC finalizer", lambda: "hypershift.io/aws-oidc-discovery" in
                   self.get(src, "-n", NS, "hc", HC)["metadata"]["finalizers"])
        docs = Cloud(Shared(self.shared_dir), "t", "t").list("oidc_document")
        self.assertEqual(sorted(docs), [INFRA + "/.well-known/openid-configuration", INFRA + "/openid/v1/jwks"])
        self.ok(src, "-n", NS, "patch", "hc", HC, "--type=merge", "-p", '{"spec":{"pausedUntil":"true"}}')
        self.wait(src, "-n", CP, "--for=jsonpath={.spec.pausedUntil}=true", "hcp/" + HC)
        self.ok(src, "-n", CP, "scale", "deploy/kube-apiserver", "--replicas=0")
        self.until("entry gone", lambda: "source" not in self.hosted_api(), sim=src)
        self.assertFalse(self.get(src, "-n", CP, "pods", "-l", "app=kube-apiserver")["items"])
        self.ok(src, "-n", CP, "scale", "deploy/kube-apiserver", "--replicas=3")
        self.until("entry back", lambda: self.hosted_api().get("source"), sim=src)


if __name__ == "__main__":
    unittest.main()
