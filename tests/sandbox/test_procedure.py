"""The published migration procedure (../shared/reference/procedure.md), phase by phase, as plain
kubectl commands against the three simulated clusters: what the kube backend will do, checked
end to end (the backup read from the source passes the destination's strict validation; the
teardown leaves nothing behind). S3 is left out: the snapshot is copied out of the pod with
`kubectl cp` and its URL is a made-up presigned https URL."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from simtest import CRDS, KUBECTL, Sim, needs

HC = "jdoe-hosted"
NS = "clusters"
CP = NS + "-" + HC
SERVER_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink",
                 "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences")


def clean(obj, drop_status=True):
    """What the backup keeps of an object: no status, no server-set metadata."""
    obj = json.loads(json.dumps(obj))
    for k in SERVER_FIELDS:
        obj["metadata"].pop(k, None)
    obj["metadata"].get("annotations", {}).pop("kubectl.kubernetes.io/last-applied-configuration", None)
    if drop_status:
        obj.pop("status", None)
    return obj


@needs(KUBECTL, "kubectl is not installed")
@needs(os.path.isdir(CRDS), "CRDs not found")
class TestProcedure(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sims = {name: Sim(name) for name in ("source", "destination", "hosted")}
        cls.work = tempfile.mkdtemp(prefix="procedure-")

    @classmethod
    def tearDownClass(cls):
        for s in cls.sims.values():
            s.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def k(self, cluster, *args, input=None, ok=True):
        env = dict(os.environ, KUBECACHEDIR=os.path.join(self.work, "cache-" + cluster))
        if isinstance(input, (dict, list)):
            input = json.dumps(input)
        r = subprocess.run([KUBECTL, "--kubeconfig", self.sims[cluster].kubeconfig] + list(args), input=input,
                           capture_output=True, text=True, env=env, timeout=60)
        if ok:
            self.assertEqual(r.returncode, 0, "kubectl %s: %s" % (" ".join(args), r.stderr))
        return r

    def items(self, cluster, *args):
        return json.loads(self.k(cluster, "get", "-o", "json", *args).stdout)["items"]

    def test_migration(self):
        src, dst, hosted = "source", "destination", "hosted"
        # Phase 1: backup
        self.k(hosted, "create", "configmap", "mgmt-parent-cluster", "-n", "default", "--from-literal=from=jdoe-dev")
        self.k(src, "-n", NS, "patch", "hc", HC, "--type", "merge", "-p", '{"spec":{"pausedUntil":"true"}}')
        pools = [p["metadata"]["name"] for p in self.items(src, "-n", NS, "nodepools")
                 if p["spec"]["clusterName"] == HC]
        self.assertEqual(pools, ["jdoe-hosted-us-west-1a", "jdoe-hosted-us-west-1b"])
        for p in pools:
            self.k(src, "-n", NS, "patch", "nodepool", p, "--type", "merge", "-p", '{"spec":{"pausedUntil":"true"}}')
        self.k(src, "-n", CP, "scale", "deployment", "kube-apiserver", "openshift-apiserver",
               "openshift-oauth-apiserver", "control-plane-operator", "--replicas=0")
        self.k(src, "-n", CP, "wait", "--for=jsonpath={.status.replicas}=0", "deployment/kube-apiserver",
               "--timeout=10s")
        snaps = {}
        for pod in ("etcd-0", "etcd-1", "etcd-2"):
            # no etcd behind these pods here: the file stands for `etcdctl snapshot save`'s output
            self.k(src, "-n", CP, "exec", pod, "-c", "etcd", "--", "sh", "-c",
                   "head -c 65536 /dev/urandom > /var/lib/data/snapshot.db")
            local = os.path.join(self.work, pod + "-snapshot.db")
            self.k(src, "-n", CP, "cp", pod + ":/var/lib/data/snapshot.db", local, "-c", "etcd")
            self.assertEqual(os.path.getsize(local), 65536)
            snaps[pod] = "https://jdoe-hosted-us-west-1.s3.us-west-1.amazonaws.com/%s-%s-snapshot.db?X-Amz-Signature=x" % (
                HC, pod)
        backup = {}
        backup["hc"] = clean(self.items(src, "-n", NS, "hostedclusters")[0])
        backup["np"] = [clean(p) for p in self.items(src, "-n", NS, "nodepools") if p["metadata"]["name"] in pools]
        backup["ns_secrets"] = [clean(s) for s in self.items(src, "-n", NS, "secrets")
                                if s["metadata"]["name"].startswith(HC)]
        backup["cp_secrets"] = [clean(s) for s in self.items(src, "-n", CP, "secrets")
                                if s["type"] not in ("kubernetes.io/dockercfg", "kubernetes.io/service-account-token")
                                and not s["metadata"]["name"].startswith(("oauth-openshift", "token-" + HC))]
        backup["hcp"] = clean(self.items(src, "-n", CP, "hostedcontrolplanes")[0], drop_status=False)
        labels = self.k(src, "-n", CP, "get", "hcp", HC, "-o", "jsonpath={.metadata.labels.*}").stdout.split()
        cluster_name = [v for v in labels if HC in v][0]
        backup["cluster"] = clean(json.loads(self.k(src, "-n", CP, "get", "cluster.cluster.x-k8s.io", cluster_name,
                                                    "-o", "json").stdout), drop_status=False)
        capi = []
        for kind in ("awsclusters", "awsmachinetemplates", "awsmachines", "machinedeployments", "machinesets",
                     "machines"):
            capi += [clean(o, drop_status=False) for o in self.items(src, "-n", CP, kind)]
        self.assertEqual(len(backup["ns_secrets"]), 4)
        self.assertEqual(len(backup["cp_secrets"]), 5)
        self.assertEqual(len(capi), 1 + 2 + 3 + 2 + 2 + 3)
        # Public endpoint access: delete the routes, wait until they are gone
        self.k(src, "-n", CP, "delete", "routes", "--all")
        self.assertEqual(self.items(src, "-n", CP, "routes"), [])

        # Phase 2: restore on the destination
        for ns in (NS, CP):
            self.k(dst, "delete", "namespace", ns, "--ignore-not-found", "--wait=true", "--timeout=10s")
            self.k(dst, "create", "namespace", ns)
        apply = ["apply", "--server-side", "-f", "-"]
        self.k(dst, *apply, input={"apiVersion": "v1", "kind": "List", "items": backup["ns_secrets"]})
        self.k(dst, *apply, input={"apiVersion": "v1", "kind": "List",
                                   "items": backup["cp_secrets"] + [backup["hcp"], backup["cluster"]]})
        self.k(dst, *apply, input={"apiVersion": "v1", "kind": "List", "items": capi})
        hc = json.loads(json.dumps(backup["hc"]))
        hc["spec"].pop("pausedUntil", None)
        # current HyperShift restores every member from one snapshot: at most one URL
        hc["spec"]["etcd"]["managed"]["storage"]["restoreSnapshotURL"] = list(snaps.values())
        r = self.k(dst, "create", "-f", "-", input=hc, ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("Too many: 3: must have at most 1 items", r.stderr)
        hc["spec"]["etcd"]["managed"]["storage"]["restoreSnapshotURL"] = [snaps["etcd-0"]]
        self.assertEqual(self.k(dst, "create", "-f", "-", input=hc).stdout,
                         "hostedcluster.hypershift.openshift.io/jdoe-hosted created\n")
        for p in backup["np"]:
            p["spec"].pop("pausedUntil", None)
        self.k(dst, *apply, input={"apiVersion": "v1", "kind": "List", "items": backup["np"]})
        want_nodes = sum(p["spec"]["replicas"] for p in backup["np"])
        ready = [n for n in self.items(hosted, "nodes")
                 if any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"])]
        self.assertEqual(len(ready), want_nodes)
        restored = json.loads(self.k(dst, "-n", NS, "get", "hc", HC, "-o", "json").stdout)
        self.assertNotIn("pausedUntil", restored["spec"])
        self.assertEqual(len(self.items(dst, "-n", CP, "machines")), 3)
        self.assertEqual(len(self.items(dst, "-n", CP, "secrets")), 5)

        # Phase 3: teardown of the source
        self.k(src, "-n", CP, "scale", "deployment", "--all", "--replicas=0")
        self.k(src, "-n", CP, "scale", "statefulset", "--all", "--replicas=0")
        for p in pools:
            self.k(src, "-n", NS, "patch", "nodepool", p, "--type", "json",
                   "-p", '[{"op":"remove","path":"/metadata/finalizers"}]')
            self.k(src, "-n", NS, "delete", "nodepool", p)
        for m in self.items(src, "-n", CP, "machines"):
            self.k(src, "-n", CP, "patch", "machine.cluster.x-k8s.io", m["metadata"]["name"], "--type", "merge",
                   "-p", '{"metadata":{"finalizers":null}}')
            self.k(src, "-n", CP, "delete", "machine.cluster.x-k8s.io", m["metadata"]["name"], "--ignore-not-found")
        self.k(src, "-n", CP, "delete", "machineset.cluster.x-k8s.io", "--all")
        self.k(src, "-n", CP, "patch", "cluster.cluster.x-k8s.io", cluster_name, "--type", "json",
               "-p", '[{"op":"remove","path":"/metadata/finalizers"}]')
        self.k(src, "-n", CP, "delete", "cluster.cluster.x-k8s.io", "--all")
        for m in self.items(src, "-n", CP, "awsmachines"):
            self.k(src, "-n", CP, "patch", "awsmachine", m["metadata"]["name"], "--type", "merge",
                   "-p", '{"metadata":{"finalizers":null}}')
            self.k(src, "-n", CP, "delete", "awsmachine", m["metadata"]["name"])
        self.k(src, "-n", CP, "patch", "hostedcontrolplane", HC, "--type", "json",
               "-p", '[{"op":"remove","path":"/metadata/finalizers"}]')
        self.k(src, "-n", CP, "delete", "hostedcontrolplane", HC)
        # the AWSCluster still holds a finalizer: the namespace waits for it
        r = self.k(src, "delete", "namespace", CP, "--timeout=2s", ok=False)
        self.assertEqual(r.returncode, 1)
        aws = self.items(src, "-n", CP, "awsclusters")[0]["metadata"]["name"]
        self.k(src, "-n", CP, "patch", "awscluster", aws, "--type", "merge", "-p", '{"metadata":{"finalizers":null}}')
        self.k(src, "wait", "--for=delete", "namespace/" + CP, "--timeout=10s")
        self.k(src, "-n", NS, "patch", "hc", HC, "--type", "merge", "-p", '{"metadata":{"finalizers":null}}')
        self.k(src, "-n", NS, "delete", "hc", HC)
        # the other cluster's NodePool keeps its finalizer: strip it so the namespace can go
        self.k(src, "-n", NS, "patch", "nodepool", "other-cluster-pool", "--type", "merge",
               "-p", '{"metadata":{"finalizers":null}}')
        self.k(src, "delete", "namespace", NS, "--timeout=10s")
        self.assertEqual(self.k(src, "get", "hc", "-A").stderr, "No resources found\n")
        names = [n["metadata"]["name"] for n in self.items(src, "namespaces")]
        self.assertNotIn(NS, names)
        self.assertNotIn(CP, names)
        # Public clusters: restart the OVN pods in the hosted cluster
        self.k(hosted, "-n", "openshift-ovn-kubernetes", "delete", "pods", "--all")
        self.assertEqual(self.k(hosted, "-n", "default", "get", "cm", "mgmt-parent-cluster",
                                "-o", "jsonpath={.data.from}").stdout, "jdoe-dev")


if __name__ == "__main__":
    unittest.main()
