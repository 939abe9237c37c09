"""The Cluster API, CAPA and garbage-collector models (controllers/capi.py, capa.py, gc.py)
through the real kubectl: finalizers that come back, cascades that end in terminated instances,
restored objects with stale owner UIDs collected. Condition-based waits, generous timeouts."""

import json
import shutil
import tempfile
import time
import unittest
import uuid

import simtest
from controllers import cloud, shared

NS = "clusters-jdoe-hosted"
CLUSTER = "jdoe-hosted-7xk2p"
TEMPLATE = "jdoe-hosted-us-west-1a-5d8f9"
MACHINE = "jdoe-hosted-us-west-1a-7c9d6b5f4-x4k2l"
CONTROLLERS = "cluster-api,capa,garbage-collector"
LATENCY = ["--latency", "cluster-api=0.2", "--latency", "capa=0.2", "--latency", "garbage-collector=0.5"]
TIMEOUT = 40


class ModelTestCase(simtest.SimTestCase):
    per_test = True

    def setUp(self):
        self.shared_dir = tempfile.mkdtemp(prefix="sandbox-shared-")
        self.addCleanup(shutil.rmtree, self.shared_dir, True)
        self.sim = simtest.Sim("source", extra=["--controllers", CONTROLLERS, "--shared-dir", self.shared_dir]
                               + LATENCY)
        self.addCleanup(self.sim.stop)
        self.cache = tempfile.mkdtemp(prefix="kubecache-")
        self.addCleanup(shutil.rmtree, self.cache, True)
        self.cloud = cloud.Cloud(shared.Shared(self.shared_dir), "test", "test")

    # ---- helpers
    def obj(self, kind, name, ns=NS):
        r = self.kubectl("get", kind, name, "-n", ns, "-o", "json", "--ignore-not-found")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout) if r.stdout.strip() else None

    def items(self, kind, ns=NS, selector=None):
        args = ["get", kind, "-n", ns, "-o", "json"] + (["-l", selector] if selector else [])
        return json.loads(self.ok(*args))["items"]

    def wait_for(self, what, fn, timeout=TIMEOUT):
        got, last = simtest.poll(fn, timeout)
        if got:
            return got
        with open(self.sim.log.name) as f:
            tail = f.read()[-3000:]
        self.fail("timed out after %ss waiting for %s (last: %r)\n--- apisim log tail:\n%s" % (timeout, what, last, tail))

    def finalizers(self, kind, name):
        o = self.obj(kind, name)
        return None if o is None else (o["metadata"].get("finalizers") or [])

    def strip(self, kind, name):
        self.ok("patch", kind, name, "-n", NS, "--type", "merge", "-p", '{"metadata":{"finalizers":null}}')

    def pause_cluster(self, paused):
        self.ok("patch", "clusters.cluster.x-k8s.io", CLUSTER, "-n", NS, "--type", "merge",
                "-p", json.dumps({"spec": {"paused": paused}}))

    def ledger(self, action=None, kind="instance"):
        return [e for e in cloud.ledger(self.cloud.shared)
                if e["kind"] == kind and (action is None or e["action"] == action)]

    def make_pool(self, name, replicas):
        """A MachineDeployment as HyperShift's NodePool controller writes one (no MachineSet yet)."""
        labels = {"cluster.x-k8s.io/cluster-name": CLUSTER, "hypershift.openshift.io/nodePool": name}
        md = {"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "MachineDeployment",
              "metadata": {"name": name, "namespace": NS, "labels": labels},
              "spec": {"clusterName": CLUSTER, "replicas": replicas, "selector": {"matchLabels": labels},
                       "template": {"metadata": {"labels": labels},
                                    "spec": {"clusterName": CLUSTER, "bootstrap": {"dataSecretName": "user-data-" + name},
                                             "infrastructureRef": {
                                                 "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2",
                                                 "kind": "AWSMachineTemplate", "name": TEMPLATE, "namespace": NS}}}}}
        self.ok("create", "-f", "-", input=md)
        sel = "hypershift.openshift.io/nodePool=" + name

        def launched():
            ams = self.items("awsmachines", selector=sel)
            ready = [a for a in ams if (a["spec"].get("providerID") or "").startswith("aws:///")
                     and (a.get("status") or {}).get("ready")]
            return ams if len(ams) == replicas and len(ready) == replicas else None
        return self.wait_for("%d launched AWSMachines of %s" % (replicas, name), launched)


class TestCAPIFinalizers(ModelTestCase):
    def test_machine_finalizer_comes_back_while_capi_runs_even_paused(self):
        # machine_controller.go ~219 (EnsureFinalizer) runs before ~229 (pause check)
        self.wait_for("the fixture Machine's finalizer", lambda: self.finalizers("machine", MACHINE))
        self.pause_cluster(True)
        self.strip("machine", MACHINE)
        self.strip("machineset", "jdoe-hosted-us-west-1a-7c9d6b5f4")
        self.wait_for("the Machine finalizer back while paused",
                      lambda: "machine.cluster.x-k8s.io" in self.finalizers("machine", MACHINE))
        self.wait_for("the MachineSet finalizer back while paused",
                      lambda: "cluster.x-k8s.io/machineset" in
                      self.finalizers("machineset", "jdoe-hosted-us-west-1a-7c9d6b5f4"))

    def test_capa_finalizer_not_back_while_paused(self):
        # awsmachine_controller.go: the finalizer is added in reconcileNormal (~552), after the
        # pause check (~209), unlike CAPI's
        ams = self.make_pool("np-fin", 1)
        name = ams[0]["metadata"]["name"]
        self.pause_cluster(True)
        self.strip("awsmachine", name)
        self.strip("machine", name)
        self.wait_for("the Machine finalizer back", lambda: self.finalizers("machine", name))
        time.sleep(1.0)   # five CAPA latencies after CAPI acted
        self.assertEqual(self.finalizers("awsmachine", name), [])
        self.pause_cluster(False)
        self.wait_for("the AWSMachine finalizer back once unpaused",
                      lambda: "awsmachine.infrastructure.cluster.x-k8s.io" in self.finalizers("awsmachine", name))

    def test_finalizer_stays_off_once_cluster_api_has_no_pods(self):
        self.wait_for("the fixture Machine's finalizer", lambda: self.finalizers("machine", MACHINE))
        self.ok("-n", NS, "scale", "deployment", "cluster-api", "--replicas=0")
        self.wait_for("cluster-api without pods",
                      lambda: not (self.obj("deployment", "cluster-api").get("status") or {}).get("replicas"))
        self.strip("machine", MACHINE)
        # an event on the Machine (a reconcile would run now if CAPI had pods), then time for it
        self.ok("-n", NS, "annotate", "machine", MACHINE, "test/poke=1")
        time.sleep(1.5)
        self.assertEqual(self.finalizers("machine", MACHINE), [])
        self.ok("-n", NS, "scale", "deployment", "cluster-api", "--replicas=1")
        self.wait_for("the finalizer back once cluster-api runs again",
                      lambda: "machine.cluster.x-k8s.io" in self.finalizers("machine", MACHINE))

    def test_delete_then_strip_leaves_no_fight(self):
        # the safe order (controllers.md §3): the API server refuses new finalizers on an object
        # being deleted, so the running CAPI cannot put its finalizer back
        self.wait_for("the fixture Machine's finalizer", lambda: self.finalizers("machine", MACHINE))
        self.pause_cluster(True)   # CAPI keeps running (finalizers) but does not delete
        self.ok("-n", NS, "delete", "machine", MACHINE, "--wait=false")
        self.assertTrue(self.obj("machine", MACHINE)["metadata"].get("deletionTimestamp"))
        self.strip("machine", MACHINE)
        self.wait_for("the Machine gone", lambda: self.obj("machine", MACHINE) is None)
        time.sleep(1.0)
        self.assertIsNone(self.obj("machine", MACHINE))


class TestCAPIMachines(ModelTestCase):
    def test_machinedeployment_creates_owned_machines_and_capa_launches(self):
        ams = self.make_pool("np-new", 2)
        sets = self.items("machinesets", selector="hypershift.openshift.io/nodePool=np-new")
        self.assertEqual(len(sets), 1)
        md = self.obj("machinedeployment", "np-new")
        ms = sets[0]
        ctrl = [r for r in ms["metadata"]["ownerReferences"] if r.get("controller")]
        self.assertEqual([(r["kind"], r["name"], r["uid"]) for r in ctrl],
                         [("MachineDeployment", "np-new", md["metadata"]["uid"])])
        self.assertIn("cluster.x-k8s.io/machineset", ms["metadata"]["finalizers"])
        self.assertIn("cluster.x-k8s.io/machinedeployment", md["metadata"]["finalizers"])
        for am in ams:
            m = self.obj("machine", am["metadata"]["name"])
            self.assertEqual([(r["kind"], r["uid"]) for r in m["metadata"]["ownerReferences"] if r.get("controller")],
                             [("MachineSet", ms["metadata"]["uid"])])
            self.assertEqual([(r["kind"], r["uid"]) for r in am["metadata"]["ownerReferences"]],
                             [("Machine", m["metadata"]["uid"])])
            self.assertEqual(m["spec"]["infrastructureRef"]["name"], am["metadata"]["name"])
            self.assertIn("awsmachine.infrastructure.cluster.x-k8s.io", am["metadata"]["finalizers"])
            iid = am["spec"]["instanceID"]
            self.assertTrue(am["spec"]["providerID"].endswith("/" + iid))
            self.wait_for("the Machine's providerID", lambda: (self.obj("machine", am["metadata"]["name"])["spec"]
                                                               .get("providerID") == am["spec"]["providerID"]))
        launched = {e["id"]: e for e in self.ledger("create")}
        for am in ams:
            e = launched[am["spec"]["instanceID"]]
            self.assertEqual((e["cluster"], e["controller"], e["owner"]), ("source", "capa", CLUSTER))
        # the AWSCluster's API load balancer
        self.assertTrue(self.ledger("create", kind="load_balancer"))

    def test_pool_deletion_cascades_to_terminated_instances(self):
        ams = self.make_pool("np-del", 2)
        ids = sorted(a["spec"]["instanceID"] for a in ams)
        self.ok("-n", NS, "delete", "machinedeployment", "np-del", "--wait=false")
        sel = "hypershift.openshift.io/nodePool=np-del"
        self.wait_for("the pool's objects gone", lambda: not any(
            self.items(k, selector=sel) for k in ("machinedeployments", "machinesets", "machines", "awsmachines")))
        gone = self.ledger("delete")
        self.assertEqual(sorted(e["id"] for e in gone), ids)
        self.assertTrue(all(e["controller"] == "capa" and e["cluster"] == "source" for e in gone))

    def test_paused_machine_deletion_waits_for_unpause(self):
        # deletion runs *after* the pause check in CAPI (machine_controller.go ~229 before ~274)
        # and CAPA (awsmachine_controller.go ~209 before ~236)
        ams = self.make_pool("np-pause", 1)
        name = ams[0]["metadata"]["name"]
        self.ok("-n", NS, "annotate", "machinedeployment", "np-pause", "cluster.x-k8s.io/paused=")
        self.ok("-n", NS, "annotate", "machineset", "-l", "hypershift.openshift.io/nodePool=np-pause",
                "cluster.x-k8s.io/paused=")
        self.pause_cluster(True)
        self.ok("-n", NS, "delete", "machine", name, "--wait=false")
        time.sleep(1.5)
        self.assertIsNotNone(self.obj("machine", name))
        self.assertIsNotNone(self.obj("awsmachine", name))
        self.assertEqual(self.ledger("delete"), [])
        self.pause_cluster(False)
        self.wait_for("the Machine gone once unpaused", lambda: self.obj("machine", name) is None)
        self.assertEqual([e["id"] for e in self.ledger("delete")], [ams[0]["spec"]["instanceID"]])

    def test_cluster_deletion_deletes_descendants_then_infrastructure(self):
        # CAPI and CAPA must outlive the HostedControlPlane here: when the fixture makes it their
        # owner, the garbage collector would take them with it (and the Cluster would wait forever)
        for d in ("cluster-api", "capi-provider"):
            if self.obj("deployment", d):
                self.ok("-n", NS, "patch", "deployment", d, "--type", "merge", "-p", '{"metadata":{"ownerReferences":null}}')
        self.make_pool("np-cl", 1)
        md = self.wait_for("the Cluster owner reference on the MachineDeployment", lambda: [
            r for r in (self.obj("machinedeployment", "np-cl")["metadata"].get("ownerReferences") or [])
            if r["kind"] == "Cluster"])
        self.assertEqual(md[0]["name"], CLUSTER)
        self.ok("-n", NS, "delete", "clusters.cluster.x-k8s.io", CLUSTER, "--wait=false")
        self.wait_for("no MachineDeployment left", lambda: not self.items("machinedeployments"))
        self.wait_for("no Machine left", lambda: not self.items("machines"))
        # then the controlPlaneRef (the HostedControlPlane, whose finalizer the CPO would remove)
        self.wait_for("the HostedControlPlane being deleted", lambda: (
            self.obj("hostedcontrolplane", "jdoe-hosted") or {"metadata": {"deletionTimestamp": "gone"}}
        )["metadata"].get("deletionTimestamp"))
        self.assertIsNotNone(self.obj("awscluster", CLUSTER))   # not before the control plane is gone
        if self.obj("hostedcontrolplane", "jdoe-hosted"):
            self.strip("hostedcontrolplane", "jdoe-hosted")
        self.wait_for("the Cluster gone", lambda: self.obj("clusters.cluster.x-k8s.io", CLUSTER) is None)
        self.assertIsNone(self.obj("awscluster", CLUSTER))
        self.assertEqual([e["id"] for e in self.ledger("delete", kind="load_balancer")], [CLUSTER + "-apiserver"])


class TestGarbageCollector(ModelTestCase):
    def secret(self, name, owners):
        return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": NS, "ownerReferences": owners},
                "data": {"k": "dg=="}}

    def test_stale_owner_uid_collected_live_owner_kept(self):
        hcp = self.obj("hostedcontrolplane", "jdoe-hosted")
        ref = {"apiVersion": "hypershift.openshift.io/v1beta1", "kind": "HostedControlPlane", "name": "jdoe-hosted",
               "blockOwnerDeletion": True, "controller": True}
        ns_obj = json.loads(self.ok("get", "namespace", NS, "-o", "json"))
        ns_ref = {"apiVersion": "v1", "kind": "Namespace", "name": NS}
        objs = [self.secret("restored-stale", [dict(ref, uid=str(uuid.uuid4()))]),          # the source's UID
                self.secret("live-owner", [dict(ref, uid=hcp["metadata"]["uid"])]),
                self.secret("one-of-two", [dict(ref, uid=hcp["metadata"]["uid"]),
                                           {"apiVersion": "v1", "kind": "ConfigMap", "name": "gone",
                                            "uid": str(uuid.uuid4())}]),
                self.secret("ns-owner-live", [dict(ns_ref, uid=ns_obj["metadata"]["uid"])]),
                self.secret("ns-owner-stale", [dict(ns_ref, uid=str(uuid.uuid4()))])]
        self.ok("create", "-f", "-", input={"apiVersion": "v1", "kind": "List", "items": objs})
        self.wait_for("the stale-owner secrets collected", lambda: self.obj("secret", "restored-stale") is None
                      and self.obj("secret", "ns-owner-stale") is None)
        self.wait_for("the dangling reference removed", lambda: len(
            self.obj("secret", "one-of-two")["metadata"]["ownerReferences"]) == 1)
        time.sleep(1.0)   # two GC latencies more
        self.assertIsNotNone(self.obj("secret", "live-owner"))
        self.assertIsNotNone(self.obj("secret", "ns-owner-live"))
        self.assertEqual([r["kind"] for r in self.obj("secret", "one-of-two")["metadata"]["ownerReferences"]],
                         ["HostedControlPlane"])

    def test_owner_deleted_dependents_collected_finalizer_holds(self):
        self.ok("-n", NS, "create", "configmap", "owner")
        owner = self.obj("configmap", "owner")
        ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
        plain = self.secret("dep-plain", [ref])
        held = self.secret("dep-held", [ref])
        held["metadata"]["finalizers"] = ["example.com/hold"]
        self.ok("create", "-f", "-", input={"apiVersion": "v1", "kind": "List", "items": [plain, held]})
        self.ok("-n", NS, "delete", "configmap", "owner")
        self.wait_for("the plain dependent collected", lambda: self.obj("secret", "dep-plain") is None)
        # background propagation is an ordinary delete: a finalizer holds the dependent
        self.wait_for("the held dependent marked", lambda: self.obj("secret", "dep-held")["metadata"].get(
            "deletionTimestamp"))
        self.strip("secret", "dep-held")
        self.wait_for("the held dependent gone", lambda: self.obj("secret", "dep-held") is None)

    def test_restored_machineset_with_stale_owner_runs_the_delete_path(self):
        # controllers.md §2: a restored object that kept its finalizers and its owner's old UID is
        # collected, and its controller's delete path runs: Machines, AWSMachines, instances
        ams = self.make_pool("np-gc", 1)
        old_id = ams[0]["spec"]["instanceID"]
        ms = self.items("machinesets", selector="hypershift.openshift.io/nodePool=np-gc")[0]
        refs = ms["metadata"]["ownerReferences"]
        i = next(i for i, r in enumerate(refs) if r["kind"] == "MachineDeployment")
        self.ok("-n", NS, "patch", "machineset", ms["metadata"]["name"], "--type", "json", "-p", json.dumps(
            [{"op": "replace", "path": "/metadata/ownerReferences/%d/uid" % i, "value": str(uuid.uuid4())}]))
        self.wait_for("the old MachineSet gone", lambda: (self.obj("machineset", ms["metadata"]["name"]) or
                                                          {"metadata": {"uid": None}})["metadata"]["uid"] != ms["metadata"]["uid"])
        terminated = self.wait_for("its instance terminated", lambda: [
            e for e in self.ledger("delete") if e["id"] == old_id])
        self.assertEqual((terminated[0]["controller"], terminated[0]["cluster"]), ("capa", "source"))
        # the MachineDeployment does not adopt a MachineSet another UID controls: it makes a new one
        self.wait_for("a replacement instance", lambda: [e for e in self.ledger("create") if e["id"] != old_id])


if __name__ == "__main__":
    unittest.main()
