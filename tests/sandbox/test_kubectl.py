"""The real kubectl against apisim: for each verb ferry uses, what kubectl prints and its exit
status, as against a real API server (texts from kubectl's and the API server's sources:
cmd/util/helpers.go StandardErrorMessage, apimachinery's StatusError and field.Error)."""

import hashlib
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.request

from simetcd import free_ports
from simtest import CRD_TESTS, CRDS, KUBECTL, Sim, SimTestCase, needs

HC = "jdoe-hosted"
CP = "clusters-jdoe-hosted"


class TestDiscoveryAndGet(SimTestCase):
    def test_version_is_1_32(self):
        out = self.ok("version", "-o", "json")
        self.assertEqual(json.loads(out)["serverVersion"]["gitVersion"], "v1.32.5")

    def test_get_hostedcluster_json(self):
        hc = self.get("-n", "clusters", "hostedcluster", HC)
        self.assertEqual(hc["kind"], "HostedCluster")
        self.assertEqual(hc["apiVersion"], "hypershift.openshift.io/v1beta1")
        md = hc["metadata"]
        for k in ("uid", "resourceVersion", "creationTimestamp", "generation"):
            self.assertIn(k, md)
        self.assertNotIn("managedFields", md)     # kubectl hides them unless --show-managed-fields
        hc = json.loads(self.ok("-n", "clusters", "get", "hc", HC, "-o", "json", "--show-managed-fields"))
        self.assertEqual(hc["metadata"]["managedFields"][0]["manager"], "apisim-fixture")
        self.assertEqual(md["finalizers"], ["hypershift.openshift.io/finalizer"])
        # defaults from the CRD schema are applied, as the API server does
        self.assertIn("networking", hc["spec"])

    def test_short_names_and_table(self):
        out = self.ok("-n", "clusters", "get", "hc")
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("NAME          VERSION   CP VERSION   KUBECONFIG "), lines[0])
        self.assertEqual(lines[1].split()[:4], [HC, "4.15.11", "jdoe-hosted-admin-kubeconfig", "Completed"])
        out = self.ok("-n", "clusters", "get", "np")
        self.assertEqual(len(out.splitlines()), 4)
        self.assertIn("DESIRED NODES", out.splitlines()[0])
        out = self.ok("-n", CP, "get", "deploy", "kube-apiserver")
        self.assertEqual(out.split(), ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "kube-apiserver", "3/3",
                                       "3", "3", out.split()[-1]])

    def test_not_found(self):
        err = self.fails("-n", "clusters", "get", "hc", "nope")
        self.assertEqual(err, 'Error from server (NotFound): hostedclusters.hypershift.openshift.io "nope" not found\n')
        err = self.fails("-n", "nowhere", "get", "secret", "nope")
        self.assertEqual(err, 'Error from server (NotFound): namespaces "nowhere" not found\n')
        self.assertEqual(self.ok("-n", "clusters", "get", "hc", "nope", "--ignore-not-found"), "")

    def test_unknown_resource_type(self):
        err = self.fails("get", "frobnicators")
        self.assertIn('error: the server doesn\'t have a resource type "frobnicators"', err)

    def test_label_selector(self):
        lst = self.get("-n", CP, "pods", "-l", "app=etcd")
        self.assertEqual([p["metadata"]["name"] for p in lst["items"]], ["etcd-0", "etcd-1", "etcd-2"])
        lst = self.get("-n", CP, "machines", "-l", "hypershift.openshift.io/nodePool in (jdoe-hosted-us-west-1b)")
        self.assertEqual(len(lst["items"]), 1)
        lst = self.get("-n", CP, "machines", "-l", "hypershift.openshift.io/nodePool!=jdoe-hosted-us-west-1b")
        self.assertEqual(len(lst["items"]), 2)
        self.assertEqual(self.get("-n", CP, "pods", "-l", "app=nothing")["items"], [])
        out = self.kubectl("-n", CP, "get", "pods", "-l", "app=nothing")
        self.assertEqual((out.returncode, out.stdout, out.stderr), (0, "", "No resources found in %s namespace.\n" % CP))

    def test_field_selector(self):
        lst = self.get("-n", "clusters", "secrets", "--field-selector", "metadata.name=jdoe-hosted-ssh-key")
        self.assertEqual([s["metadata"]["name"] for s in lst["items"]], ["jdoe-hosted-ssh-key"])
        lst = self.get("-n", "clusters", "secrets", "--field-selector", "type=kubernetes.io/dockerconfigjson")
        self.assertEqual(len(lst["items"]), 2)

    def test_all_namespaces_and_cluster_scoped(self):
        lst = self.get("deployments", "-A")
        namespaces = {d["metadata"]["namespace"] for d in lst["items"]}
        self.assertEqual(namespaces, {CP, "hypershift"})
        out = self.ok("get", "hc", "-A")
        self.assertTrue(out.startswith("NAMESPACE   NAME "), out)
        ns = self.get("namespaces")
        names = [n["metadata"]["name"] for n in ns["items"]]
        for n in ("clusters", CP, "default", "kube-system"):
            self.assertIn(n, names)
        self.assertNotIn("namespace", ns["items"][0]["metadata"])

    def test_crds_are_listed(self):
        crd = self.get("crd", "hostedclusters.hypershift.openshift.io")
        self.assertEqual(crd["spec"]["names"]["shortNames"], ["hc", "hcs"])
        storage = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"][
            "etcd"]["properties"]["managed"]["properties"]["storage"]["properties"]["restoreSnapshotURL"]
        self.assertEqual(storage["maxItems"], 1)

    def test_field_selector_on_custom_kinds_is_limited(self):
        err = self.fails("-n", "clusters", "get", "np", "--field-selector", "spec.clusterName=jdoe-hosted")
        self.assertEqual(err, 'Error from server (BadRequest): Unable to find "hypershift.openshift.io/v1beta1, '
                              'Resource=nodepools" that match label selector "", field selector '
                              '"spec.clusterName=jdoe-hosted": field label not supported: spec.clusterName\n')
        lst = self.get("-n", "clusters", "np", "--field-selector", "metadata.name!=other-cluster-pool")
        self.assertEqual(len(lst["items"]), 2)

    def test_jsonpath_output(self):
        out = self.ok("-n", "clusters", "get", "hc", HC, "-o", "jsonpath={.spec.platform.aws.region}")
        self.assertEqual(out, "us-west-1")
        # the HostedControlPlane label whose value holds the hc name gives the CAPI Cluster's name
        out = self.ok("-n", CP, "get", "hcp", HC, "-o", "jsonpath={.metadata.labels.*}")
        name = [v for v in out.split() if HC in v][0]
        self.ok("-n", CP, "get", "cluster.cluster.x-k8s.io", name)

    def test_secret_backup_filters(self):
        # what the procedure's backup keeps and skips in the control-plane namespace
        lst = self.get("-n", CP, "secrets")
        kept = [s["metadata"]["name"] for s in lst["items"]
                if s["type"] not in ("kubernetes.io/dockercfg", "kubernetes.io/service-account-token")
                and not s["metadata"]["name"].startswith("oauth-openshift")
                and not s["metadata"]["name"].startswith("token-" + HC)]
        skipped = len(lst["items"]) - len(kept)
        self.assertEqual(skipped, 4)
        self.assertIn("etcd-client-tls", kept)


class TestCreateApply(SimTestCase):
    def cm(self, name, value, ns="default"):
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns},
                "data": {"from": value}}

    def test_create_from_stdin_then_already_exists(self):
        out = self.ok("create", "-f", "-", input=self.cm("mgmt-parent-cluster", "jdoe-dev"))
        self.assertEqual(out, "configmap/mgmt-parent-cluster created\n")
        err = self.fails("create", "-f", "-", input=self.cm("mgmt-parent-cluster", "jdoe-dev"))
        self.assertEqual(err, 'Error from server (AlreadyExists): error when creating "STDIN": configmaps '
                              '"mgmt-parent-cluster" already exists\n')

    def test_create_in_missing_namespace(self):
        err = self.fails("create", "-f", "-", input=self.cm("x", "y", ns="nowhere"))
        self.assertEqual(err, 'Error from server (NotFound): error when creating "STDIN": namespaces "nowhere" '
                              'not found\n')

    def test_create_namespace_configmap_secret_generators(self):
        # these kubectl generators send protobuf bodies
        self.assertEqual(self.ok("create", "namespace", "gen-ns"), "namespace/gen-ns created\n")
        self.assertEqual(self.ok("-n", "gen-ns", "create", "configmap", "c", "--from-literal=from=jdoe-dev"),
                         "configmap/c created\n")
        self.assertEqual(self.ok("-n", "gen-ns", "create", "secret", "generic", "s", "--from-literal=k=v"),
                         "secret/s created\n")
        self.assertEqual(self.get("-n", "gen-ns", "cm", "c")["data"], {"from": "jdoe-dev"})
        s = self.get("-n", "gen-ns", "secret", "s")
        self.assertEqual((s["type"], s["data"]), ("Opaque", {"k": "dg=="}))
        err = self.fails("create", "namespace", "gen-ns")
        self.assertEqual(err, 'Error from server (AlreadyExists): namespaces "gen-ns" already exists\n')

    def test_server_side_apply_creates_updates_and_noop_keeps_resource_version(self):
        out = self.ok("apply", "--server-side", "-f", "-", input=self.cm("ssa", "a"))
        self.assertEqual(out, "configmap/ssa serverside-applied\n")
        rv1 = self.get("cm", "ssa")["metadata"]["resourceVersion"]
        self.ok("apply", "--server-side", "-f", "-", input=self.cm("ssa", "a"))
        self.assertEqual(self.get("cm", "ssa")["metadata"]["resourceVersion"], rv1)
        self.ok("apply", "--server-side", "-f", "-", input=self.cm("ssa", "b"))
        cm = self.get("cm", "ssa")
        self.assertEqual(cm["data"], {"from": "b"})
        self.assertGreater(int(cm["metadata"]["resourceVersion"]), int(rv1))
        # a field the manager stops applying is removed
        body = self.cm("ssa", "b")
        body["data"] = {"other": "x"}
        self.ok("apply", "--server-side", "-f", "-", input=body)
        self.assertEqual(self.get("cm", "ssa")["data"], {"other": "x"})

    def hosted_cluster(self, name, ns, urls=None):
        hc = self.get("-n", "clusters", "hc", HC)
        hc["metadata"] = {"name": name, "namespace": ns}
        hc.pop("status")
        hc["spec"].pop("pausedUntil", None)
        if urls is not None:
            hc["spec"]["etcd"]["managed"]["storage"]["restoreSnapshotURL"] = urls
        return hc

    def test_apply_hostedcluster_with_restore_url(self):
        self.ok("create", "namespace", "restore1")
        hc = self.hosted_cluster("restored", "restore1", ["https://bucket.s3.amazonaws.com/etcd-0.db?X-Amz-Signature=x"])
        out = self.ok("apply", "--server-side", "-f", "-", input=hc)
        self.assertEqual(out, "hostedcluster.hypershift.openshift.io/restored serverside-applied\n")
        # immutable once set
        hc["spec"]["etcd"]["managed"]["storage"]["restoreSnapshotURL"] = ["https://bucket.s3.amazonaws.com/other.db"]
        err = self.fails("apply", "--server-side", "-f", "-", input=hc)
        self.assertEqual(err, 'The HostedCluster "restored" is invalid: spec.etcd.managed.storage.restoreSnapshotURL: '
                              'Invalid value: "array": restoreSnapshotURL is immutable\n')

    def test_restore_url_rules_on_create(self):
        self.ok("create", "namespace", "restore2")
        hc = self.hosted_cluster("two-urls", "restore2", ["https://b/etcd-0.db", "https://b/etcd-1.db"])
        err = self.fails("create", "-f", "-", input=hc)
        self.assertTrue(err.startswith('The HostedCluster "two-urls" is invalid: \n'), err)
        self.assertLine("* spec.etcd.managed.storage.restoreSnapshotURL: Too many: 2: must have at most 1 items", err)
        hc = self.hosted_cluster("http-url", "restore2", ["http://b/etcd-0.db"])
        err = self.fails("create", "-f", "-", input=hc)
        self.assertEqual(err, 'The HostedCluster "http-url" is invalid: spec.etcd.managed.storage.restoreSnapshotURL: '
                              'Invalid value: "array": restoreSnapshotURL must be a valid URL with scheme https or s3\n')
        hc = self.hosted_cluster("long-url", "restore2", ["https://b/" + "x" * 1100])
        err = self.fails("create", "-f", "-", input=hc)
        self.assertIn("spec.etcd.managed.storage.restoreSnapshotURL[0]: Too long: may not be more than 1024 bytes",
                      err)
        hc = self.hosted_cluster("s3-url", "restore2", ["s3://bucket/etcd-0.db"])
        self.assertEqual(self.ok("create", "-f", "-", input=hc),
                         "hostedcluster.hypershift.openshift.io/s3-url created\n")

    def test_unknown_field_strict_and_warn(self):
        self.ok("create", "namespace", "restore3")
        hc = self.hosted_cluster("strict", "restore3")
        hc["spec"]["notAField"] = True
        err = self.fails("create", "-f", "-", input=hc)
        self.assertEqual(err, 'Error from server (BadRequest): error when creating "STDIN": HostedCluster in version '
                              '"v1beta1" cannot be handled as a HostedCluster: strict decoding error: unknown field '
                              '"spec.notAField"\n')
        # --validate=warn: the field is pruned and the server warns
        r = self.kubectl("create", "--validate=warn", "-f", "-", input=hc)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, 'Warning: unknown field "spec.notAField"\n')
        self.assertNotIn("notAField", self.get("-n", "restore3", "hc", "strict")["spec"])

    def test_required_and_enum(self):
        np = self.get("-n", "clusters", "np", "jdoe-hosted-us-west-1a")
        np["metadata"] = {"name": "broken", "namespace": "clusters"}
        del np["spec"]["release"]
        np["spec"]["management"]["upgradeType"] = "Sideways"
        err = self.fails("create", "-f", "-", input=np)
        self.assertTrue(err.startswith('The NodePool "broken" is invalid: \n'), err)
        self.assertLine('* spec.management.upgradeType: Unsupported value: "Sideways": supported values: '
                        '"Replace", "InPlace"', err)
        self.assertLine("* spec.release: Required value", err)

    def test_create_drops_status_of_kinds_with_a_status_subresource(self):
        hcp = self.get("-n", CP, "hcp", HC)
        hcp["metadata"] = {"name": "copy", "namespace": CP}
        hcp["status"] = {"ready": True}
        self.ok("create", "-f", "-", input=hcp)
        self.assertNotIn("status", self.get("-n", CP, "hcp", "copy"))

    def test_builtin_kinds_unknown_fields_and_secret_string_data(self):
        secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sd", "namespace": "default", "bogus": 1},
                  "stringData": {"password": "hunter2"}, "spec": {}}
        err = self.fails("create", "-f", "-", input=secret)
        self.assertEqual(err, 'Error from server (BadRequest): error when creating "STDIN": Secret in version "v1" '
                              'cannot be handled as a Secret: strict decoding error: unknown field "metadata.bogus", '
                              'unknown field "spec"\n')
        del secret["metadata"]["bogus"], secret["spec"]
        self.ok("create", "-f", "-", input=secret)
        got = self.get("secret", "sd")
        self.assertEqual((got["type"], got["data"], "stringData" in got), ("Opaque", {"password": "aHVudGVyMg=="}, False))

    def test_default_namespace_cannot_be_deleted(self):
        self.assertEqual(self.fails("delete", "namespace", "default"),
                         'Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be '
                         'deleted\n')

    def test_pod_logs(self):
        pdir = self.sim.pod_dir(CP, "etcd-1")
        os.makedirs(pdir, exist_ok=True)
        with open(os.path.join(pdir, "etcd.log"), "w") as f:
            f.write("etcd started\n")
        self.assertEqual(self.ok("-n", CP, "logs", "etcd-1", "-c", "etcd"), "etcd started\n")
        self.assertEqual(self.ok("-n", CP, "logs", "etcd-1", "-c", "etcd-metrics"), "")

    def test_replace_with_stale_resource_version_conflicts(self):
        self.ok("apply", "--server-side", "-f", "-", input=self.cm("stale", "a"))
        cm = self.get("cm", "stale")
        self.ok("patch", "cm", "stale", "--type", "merge", "-p", '{"data":{"from":"b"}}')
        err = self.fails("replace", "-f", "-", input=cm)
        self.assertEqual(err, 'Error from server (Conflict): error when replacing "STDIN": Operation cannot be '
                              'fulfilled on configmaps "stale": the object has been modified; please apply your '
                              'changes to the latest version and try again\n')


class TestPatch(SimTestCase):
    def test_merge_patch_and_noop(self):
        out = self.ok("-n", "clusters", "patch", "hc", HC, "--type", "merge", "-p", '{"spec":{"pausedUntil":"true"}}')
        self.assertEqual(out, "hostedcluster.hypershift.openshift.io/jdoe-hosted patched\n")
        hc = self.get("-n", "clusters", "hc", HC)
        self.assertEqual(hc["spec"]["pausedUntil"], "true")
        self.assertEqual(hc["metadata"]["generation"], 2)
        out = self.ok("-n", "clusters", "patch", "hc", HC, "--type", "merge", "-p", '{"spec":{"pausedUntil":"true"}}')
        self.assertEqual(out, "hostedcluster.hypershift.openshift.io/jdoe-hosted patched (no change)\n")
        self.assertEqual(self.get("-n", "clusters", "hc", HC)["metadata"]["resourceVersion"],
                         hc["metadata"]["resourceVersion"])
        # null removes a field (how the restore drops pausedUntil)
        self.ok("-n", "clusters", "patch", "hc", HC, "--type", "merge", "-p", '{"spec":{"pausedUntil":null}}')
        self.assertNotIn("pausedUntil", self.get("-n", "clusters", "hc", HC)["spec"])

    def test_patch_does_not_touch_status(self):
        self.ok("-n", "clusters", "patch", "np", "jdoe-hosted-us-west-1b", "--type", "merge",
                "-p", '{"status":{"replicas":42}}')
        self.assertEqual(self.get("-n", "clusters", "np", "jdoe-hosted-us-west-1b")["status"]["replicas"], 1)
        self.ok("-n", "clusters", "patch", "np", "jdoe-hosted-us-west-1b", "--subresource", "status",
                "--type", "merge", "-p", '{"status":{"replicas":42}}')
        self.assertEqual(self.get("-n", "clusters", "np", "jdoe-hosted-us-west-1b")["status"]["replicas"], 42)

    def test_json_patch_remove_finalizers(self):
        args = ["-n", CP, "patch", "awsmachine", "jdoe-hosted-us-west-1b-7c9d6b5f4-x4k2l", "--type", "json",
                "-p", '[{"op":"remove","path":"/metadata/finalizers"}]']
        self.assertEqual(self.ok(*args),
                         "awsmachine.infrastructure.cluster.x-k8s.io/jdoe-hosted-us-west-1b-7c9d6b5f4-x4k2l patched\n")
        # a second remove fails like the API server's json-patch (the procedure ignores that error)
        self.assertEqual(self.fails(*args), "The request is invalid: the server rejected our request due to an error "
                                            "in our request\n")

    def test_json_patch_test_and_add(self):
        ops = [{"op": "test", "path": "/spec/replicas", "value": 1},
               {"op": "replace", "path": "/spec/replicas", "value": 2},
               {"op": "add", "path": "/metadata/labels/moved", "value": "yes"}]
        self.ok("-n", CP, "patch", "deploy", "cluster-api", "--type", "json", "-p", json.dumps(ops))
        d = self.get("-n", CP, "deploy", "cluster-api")
        self.assertEqual((d["spec"]["replicas"], d["metadata"]["labels"]["moved"]), (2, "yes"))
        self.fails("-n", CP, "patch", "deploy", "cluster-api", "--type", "json", "-p", json.dumps(ops[:1]))

    def test_strategic_merge_on_crd_is_415(self):
        err = self.fails("-n", "clusters", "patch", "hc", HC, "-p", '{"spec":{"pausedUntil":"x"}}')
        self.assertIn("the body of the request was in an unknown format - accepted media types include: "
                      "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml", err)
        # built-in kinds take strategic merge (kubectl's default patch type)
        out = self.ok("-n", CP, "patch", "deploy", "kube-scheduler", "-p", '{"metadata":{"labels":{"x":"y"}}}')
        self.assertEqual(out, "deployment.apps/kube-scheduler patched\n")

    def test_strategic_merge_merges_lists_by_key(self):
        self.assertEqual(self.ok("-n", CP, "set", "image", "deployment/ignition-server", "ignition-server=quay.io/x:2"),
                         "deployment.apps/ignition-server image updated\n")
        self.ok("-n", CP, "set", "env", "deployment/ignition-server", "A=1", "B=2")
        self.ok("-n", CP, "set", "env", "deployment/ignition-server", "A=3")
        c = self.get("-n", CP, "deploy", "ignition-server")["spec"]["template"]["spec"]["containers"]
        self.assertEqual([(x["name"], x["image"]) for x in c], [("ignition-server", "quay.io/x:2")])
        self.assertEqual(c[0]["env"], [{"name": "A", "value": "3"}, {"name": "B", "value": "2"}])

    def test_schema_type_error_is_422(self):
        err = self.fails("-n", "clusters", "patch", "np", "jdoe-hosted-us-west-1a", "--type", "merge",
                         "-p", '{"spec":{"replicas":"three"}}')
        self.assertEqual(err, 'The NodePool "jdoe-hosted-us-west-1a" is invalid: spec.replicas: Invalid value: '
                              '"string": spec.replicas in body must be of type integer: "string"\n')

    def test_unknown_field_in_patch_warns_and_is_pruned(self):
        r = self.kubectl("-n", "clusters", "patch", "hc", HC, "--type", "merge", "-p", '{"spec":{"bogus":1}}')
        self.assertEqual((r.returncode, r.stdout), (0, "hostedcluster.hypershift.openshift.io/jdoe-hosted patched "
                                                       "(no change)\n"))
        self.assertEqual(r.stderr, 'Warning: unknown field "spec.bogus"\n')

    def test_patch_not_found(self):
        err = self.fails("-n", "clusters", "patch", "hc", "nope", "--type", "merge", "-p", '{"spec":{}}')
        self.assertEqual(err, 'Error from server (NotFound): hostedclusters.hypershift.openshift.io "nope" not found\n')


class TestScale(SimTestCase):
    per_test = True
    def test_scale_by_names(self):
        out = self.ok("-n", CP, "scale", "deployment", "kube-apiserver", "openshift-apiserver",
                      "openshift-oauth-apiserver", "control-plane-operator", "--replicas=0")
        self.assertEqual(out, "deployment.apps/kube-apiserver scaled\ndeployment.apps/openshift-apiserver scaled\n"
                              "deployment.apps/openshift-oauth-apiserver scaled\n"
                              "deployment.apps/control-plane-operator scaled\n")
        d = self.get("-n", CP, "deploy", "kube-apiserver")
        self.assertEqual(d["spec"]["replicas"], 0)
        self.assertEqual(d["status"]["replicas"], 0)
        self.assertNotIn("readyReplicas", d["status"])
        self.assertEqual(self.get("-n", CP, "deploy", "kube-scheduler")["spec"]["replicas"], 3)

    def test_scale_all_deployments_and_statefulsets(self):
        out = self.ok("-n", CP, "scale", "statefulset", "--all", "--replicas=0")
        self.assertEqual(out, "statefulset.apps/etcd scaled\n")
        out = self.ok("-n", CP, "scale", "deployment", "--all", "--replicas=0")
        self.assertEqual(len(out.splitlines()), 10)
        self.assertTrue(all(line.endswith(" scaled") for line in out.splitlines()))
        for d in self.get("-n", CP, "deploy")["items"]:
            self.assertEqual(d["spec"]["replicas"], 0, d["metadata"]["name"])

    def test_scale_nodepool_subresource(self):
        self.assertEqual(self.ok("-n", "clusters", "scale", "np", "other-cluster-pool", "--replicas=5"),
                         "nodepool.hypershift.openshift.io/other-cluster-pool scaled\n")
        self.assertEqual(self.get("-n", "clusters", "np", "other-cluster-pool")["spec"]["replicas"], 5)

    def test_scale_precondition_and_not_found(self):
        err = self.fails("-n", CP, "scale", "deploy", "kube-controller-manager", "--replicas=1",
                         "--current-replicas=2")
        self.assertIn("Expected replicas to be 2, was 3", err)
        err = self.fails("-n", CP, "scale", "deploy", "nope", "--replicas=0")
        self.assertIn('deployments.apps "nope" not found', err)


class TestDelete(SimTestCase):
    def test_delete_by_name_and_not_found(self):
        self.ok("-n", "clusters", "create", "configmap", "doomed")
        self.assertEqual(self.ok("-n", "clusters", "delete", "configmap", "doomed"), 'configmap "doomed" deleted\n')
        err = self.fails("-n", "clusters", "delete", "configmap", "doomed")
        self.assertEqual(err, 'Error from server (NotFound): configmaps "doomed" not found\n')
        self.assertEqual(self.ok("-n", "clusters", "delete", "configmap", "doomed", "--ignore-not-found"), "")

    def test_delete_by_selector(self):
        out = self.ok("-n", CP, "delete", "machinedeployment", "-l",
                      "hypershift.openshift.io/nodePool=jdoe-hosted-us-west-1a")
        self.assertEqual(out, 'machinedeployment.cluster.x-k8s.io "jdoe-hosted-us-west-1a" deleted\n')
        self.assertEqual([m["metadata"]["name"] for m in self.get("-n", CP, "md")["items"]], ["jdoe-hosted-us-west-1b"])

    def test_delete_all(self):
        out = self.ok("-n", CP, "delete", "routes", "--all")
        self.assertEqual(sorted(out.splitlines()), sorted('route.route.openshift.io "%s" deleted' % n for n in
                                                          ("ignition-server", "konnectivity", "kube-apiserver",
                                                           "oauth")))
        r = self.kubectl("-n", CP, "get", "routes")
        self.assertEqual(r.stderr, "No resources found in %s namespace.\n" % CP)

    def test_finalizers_hold_deletion_until_removed(self):
        name = "jdoe-hosted-us-west-1a-7c9d6b5f4-p9m3n"
        err = self.fails("-n", CP, "delete", "machine", name, "--timeout=1s")
        # (client-go may also log a warning about the watch that its own timeout cut short)
        self.assertEqual(err.splitlines()[-1], "error: timed out waiting for the condition on machines/%s" % name)
        m = self.get("-n", CP, "machine", name)
        self.assertIn("deletionTimestamp", m["metadata"])
        # a second delete changes nothing; no finalizer can be added; removing it completes the deletion
        self.ok("-n", CP, "delete", "machine", name, "--wait=false")
        err = self.fails("-n", CP, "patch", "machine", name, "--type", "json", "-p",
                         '[{"op":"add","path":"/metadata/finalizers/-","value":"late"}]')
        self.assertEqual(err, 'The Machine "%s" is invalid: metadata.finalizers: Forbidden: no new finalizers can be '
                              'added if the object is being deleted, found new finalizers []string{"late"}\n' % name)
        self.ok("-n", CP, "patch", "machine", name, "--type", "merge", "-p", '{"metadata":{"finalizers":null}}')
        self.fails("-n", CP, "get", "machine", name)

    def test_delete_waits_for_finalizer_removal(self):
        name = "jdoe-hosted-us-west-1a-7c9d6b5f4-x4k2l"
        p = self.start("-n", CP, "delete", "awsmachine", name, "--timeout=30s")
        self.sim.wait_for_watch("awsmachines")
        self.ok("-n", CP, "patch", "awsmachine", name, "--type", "json", "-p",
                '[{"op":"remove","path":"/metadata/finalizers"}]')
        self.assertEqual(self.finish(p), (0, 'awsmachine.infrastructure.cluster.x-k8s.io "%s" deleted\n' % name, ""))


class TestNamespaceDeletion(SimTestCase):
    def test_namespace_deletion_removes_content_after_finalizers(self):
        self.ok("-n", "clusters", "patch", "hc", HC, "--type", "merge", "-p", '{"metadata":{"finalizers":null}}')
        self.assertEqual(self.ok("delete", "namespace", CP, "--wait=false"), 'namespace "%s" deleted\n' % CP)
        ns = self.get("namespace", CP)
        self.assertEqual(ns["status"]["phase"], "Terminating")
        # objects without finalizers are gone at once, the others wait for their finalizers
        self.assertEqual(self.get("-n", CP, "deploy")["items"], [])
        left = self.get("-n", CP, "machines,awsmachines,clusters.cluster.x-k8s.io,hcp,awscluster")["items"]
        self.assertEqual(len(left), 9)
        err = self.fails("-n", CP, "create", "configmap", "late")
        self.assertIn("unable to create new content in namespace %s because it is being terminated" % CP, err)
        for o in left:
            ref = "%s/%s" % (o["kind"].lower() + "." + o["apiVersion"].split("/")[0], o["metadata"]["name"])
            self.ok("-n", CP, "patch", ref, "--type", "merge", "-p", '{"metadata":{"finalizers":null}}')
        self.fails("get", "namespace", CP)
        # the hosted-cluster namespace: its objects have no finalizer left but the NodePools'
        self.ok("delete", "namespace", "clusters", "--wait=false")
        for np in self.get("-n", "clusters", "np")["items"]:
            self.ok("-n", "clusters", "patch", "np", np["metadata"]["name"], "--type", "json",
                    "-p", '[{"op":"remove","path":"/metadata/finalizers"}]')
        self.ok("wait", "--for=delete", "namespace/clusters", "--timeout=5s")


class TestWait(SimTestCase):
    def test_wait_condition_met(self):
        out = self.ok("-n", CP, "wait", "--for=condition=Available", "deploy/kube-apiserver", "--timeout=5s")
        self.assertEqual(out, "deployment.apps/kube-apiserver condition met\n")
        out = self.ok("-n", "clusters", "wait", "--for=condition=Available", "hc/" + HC, "--timeout=5s")
        self.assertEqual(out, "hostedcluster.hypershift.openshift.io/jdoe-hosted condition met\n")

    def test_wait_timeout(self):
        t0 = time.time()
        err = self.fails("-n", "clusters", "wait", "--for=condition=Degraded", "hc/" + HC, "--timeout=1s")
        self.assertIn("error: timed out waiting for the condition on hostedclusters/jdoe-hosted", err)
        self.assertLess(time.time() - t0, 10)

    def test_wait_jsonpath_sees_a_later_change(self):
        p = self.start("-n", CP, "wait", "--for=jsonpath={.status.replicas}=0", "deploy/oauth-openshift",
                       "--timeout=30s")
        self.sim.wait_for_watch("deployments")
        self.ok("-n", CP, "scale", "deploy", "oauth-openshift", "--replicas=0")
        self.assertEqual(self.finish(p), (0, "deployment.apps/oauth-openshift condition met\n", ""))

    def test_wait_for_delete(self):
        self.ok("-n", "clusters", "create", "configmap", "short-lived")
        p = self.start("-n", "clusters", "wait", "--for=delete", "cm/short-lived", "--timeout=30s")
        self.sim.wait_for_watch("configmaps")
        self.ok("-n", "clusters", "delete", "cm", "short-lived")
        self.assertEqual(self.finish(p), (0, "configmap/short-lived condition met\n", ""))
        err = self.fails("-n", CP, "wait", "--for=delete", "pod/etcd-0", "--timeout=1s")
        self.assertIn("error: timed out waiting for the condition on pods/etcd-0", err)

    def test_rollout_status(self):
        self.assertEqual(self.ok("-n", CP, "rollout", "status", "deploy/kube-apiserver", "--timeout=5s"),
                         'deployment "kube-apiserver" successfully rolled out\n')
        self.assertEqual(self.ok("-n", CP, "rollout", "status", "sts/etcd", "--timeout=5s"),
                         "partitioned roll out complete: 3 new pods have been updated...\n")

    def test_get_watch_prints_table_rows(self):
        p = self.start("-n", CP, "get", "deploy", "kube-controller-manager", "-w", "--output-watch-events")
        self.sim.wait_for_watch("deployments")
        self.ok("-n", CP, "scale", "deploy", "kube-controller-manager", "--replicas=1")
        time.sleep(1.0)
        p.terminate()
        out = self.finish(p)[1].splitlines()
        self.assertEqual(out[0].split(), ["EVENT", "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"])
        self.assertEqual(out[1].split()[:3], ["ADDED", "kube-controller-manager", "3/3"])
        self.assertEqual(out[-1].split()[:3], ["MODIFIED", "kube-controller-manager", "1/1"])
        self.assertEqual(len(out), 4)

    def test_watch_replays_from_resource_version(self):
        """A list, then a watch from its resourceVersion, sees the changes made in between."""
        info = self.sim.info
        ctx = ssl.create_default_context(cafile=info["ca"])
        base = info["url"] + "/api/v1/namespaces/clusters/configmaps"

        def call(url, method="GET", body=None):
            req = urllib.request.Request(url, method=method, data=body, headers={
                "Authorization": "Bearer " + info["token"], "Content-Type": "application/json"})
            return urllib.request.urlopen(req, context=ctx, timeout=10)
        rv = json.load(call(base))["metadata"]["resourceVersion"]
        call(base, "POST", json.dumps({"metadata": {"name": "w1"}, "data": {"a": "1"}}).encode()).read()
        call(base + "/w1", "DELETE").read()
        resp = call(base + "?watch=true&timeoutSeconds=1&resourceVersion=" + rv)
        events = [json.loads(line) for line in resp.read().splitlines() if line.strip()]
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in events],
                         [("ADDED", "w1"), ("DELETED", "w1")])
        rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
        self.assertTrue(rvs[0] > int(rv) and rvs[1] > rvs[0], rvs)


class TestExec(SimTestCase):
    def test_stdout_stderr_and_pod_environment(self):
        r = self.kubectl("-n", CP, "exec", "etcd-1", "-c", "etcd", "--", "sh", "-c",
                         'echo out; echo err >&2; echo "api=$ETCDCTL_API"; pwd')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "out\napi=3\n%s\n" % self.sim.pod_dir(CP, "etcd-1"))
        self.assertEqual(r.stderr, "err\n")

    def test_default_container_notice(self):
        r = self.kubectl("-n", CP, "exec", "etcd-1", "--", "true")
        self.assertEqual((r.returncode, r.stderr), (0, 'Defaulted container "etcd" out of: etcd, etcd-metrics\n'))

    def test_exit_code(self):
        r = self.kubectl("-n", CP, "exec", "etcd-1", "-c", "etcd", "--", "sh", "-c", "echo partial; exit 3")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (3, "partial\n", "command terminated with exit code 3\n"))

    def test_command_not_found(self):
        err = self.fails("-n", CP, "exec", "etcd-1", "-c", "etcd", "--", "no-such-command")
        self.assertIn('exec: "no-such-command": executable file not found in $PATH', err)
        self.assertTrue(err.startswith("error: Internal error occurred: "), err)

    def test_bad_pod_or_container(self):
        self.assertEqual(self.fails("-n", CP, "exec", "nope", "--", "true"),
                         'Error from server (NotFound): pods "nope" not found\n')
        self.assertEqual(self.fails("-n", CP, "exec", "etcd-1", "-c", "bogus", "--", "true"),
                         "Error from server (BadRequest): container bogus is not valid for pod etcd-1\n")

    def test_stdin(self):
        data = os.urandom(3 << 20)
        r = self.kubectl("-n", CP, "exec", "-i", "etcd-2", "-c", "etcd", "--", "sh", "-c", "cat > upload.bin; echo ok",
                         input=data, binary=True)
        self.assertEqual((r.returncode, r.stdout), (0, b"ok\n"), r.stderr)
        with open(os.path.join(self.sim.pod_dir(CP, "etcd-2"), "upload.bin"), "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), hashlib.sha256(data).hexdigest())

    def test_large_stdout_streams_intact(self):
        pdir = self.sim.pod_dir(CP, "etcd-2")
        os.makedirs(pdir, exist_ok=True)
        data = os.urandom(1 << 20) * 40   # 40 MiB
        with open(os.path.join(pdir, "big.bin"), "wb") as f:
            f.write(data)
        t0 = time.time()
        r = self.kubectl("-n", CP, "exec", "etcd-2", "-c", "etcd", "--", "cat", "big.bin", binary=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(r.stdout), len(data))
        self.assertEqual(hashlib.sha256(r.stdout).digest(), hashlib.sha256(data).digest())
        self.assertLess(time.time() - t0, 20)
        os.unlink(os.path.join(pdir, "big.bin"))

    def test_cp_both_ways(self):
        with tempfile.TemporaryDirectory() as d:
            src, back = os.path.join(d, "snap.db"), os.path.join(d, "back.db")
            data = os.urandom(2 << 20)
            with open(src, "wb") as f:
                f.write(data)
            self.ok("-n", CP, "cp", src, "etcd-2:/var/lib/data/cp.db", "-c", "etcd")
            with open(os.path.join(self.sim.pod_dir(CP, "etcd-2"), "var/lib/data/cp.db"), "rb") as f:
                self.assertEqual(f.read(), data)
            r = self.kubectl("-n", CP, "cp", "etcd-2:/var/lib/data/cp.db", back, "-c", "etcd")
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(back, "rb") as f:
                self.assertEqual(f.read(), data)

    def test_rooted_paths_land_in_the_pod_dir(self):
        out = self.ok("-n", CP, "exec", "etcd-0", "-c", "etcd", "--", "sh", "-c",
                      "echo x > /var/lib/data/marker; ls /var/lib/data; echo /var/lib/data/marker")
        self.assertEqual(out, "marker\n/var/lib/data/marker\n")
        self.assertTrue(os.path.exists(os.path.join(self.sim.pod_dir(CP, "etcd-0"), "var/lib/data/marker")))


@needs(os.path.exists("/usr/bin/etcd") and os.path.exists("/usr/bin/etcdctl"),
                     "etcd-server / etcd-client not installed (scripts/install-deps.sh)")
class TestExecEtcd(SimTestCase):
    """`etcdctl` in pod etcd-0 talks to a real etcd started on loopback."""

    @classmethod
    def start_etcd(cls, name, tls_dir=None):
        client, peer = free_ports(2)
        scheme = "https" if tls_dir else "http"
        args = ["/usr/bin/etcd", "--name", name, "--data-dir", os.path.join(cls.etcd_dir, name),
                "--listen-client-urls", "%s://127.0.0.1:%d" % (scheme, client),
                "--advertise-client-urls", "%s://127.0.0.1:%d" % (scheme, client),
                "--listen-peer-urls", "http://127.0.0.1:%d" % peer,
                "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % peer,
                "--initial-cluster", "%s=http://127.0.0.1:%d" % (name, peer)]
        check = ["/usr/bin/etcdctl", "--endpoints=%s://127.0.0.1:%d" % (scheme, client), "endpoint", "health"]
        if tls_dir:
            t = lambda f: os.path.join(tls_dir, f)  # noqa: E731
            args += ["--cert-file", t("server.crt"), "--key-file", t("server.key"), "--trusted-ca-file", t("ca.crt"),
                     "--client-cert-auth"]
            check += ["--cacert", t("ca.crt"), "--cert", t("client.crt"), "--key", t("client.key")]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.etcds.append(proc)
        deadline = time.time() + 15
        while time.time() < deadline:
            if subprocess.run(check, env=dict(os.environ, ETCDCTL_API="3"), capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        return client

    @classmethod
    def make_tls(cls, d):
        os.makedirs(d)

        def ossl(*a):
            subprocess.run(["openssl"] + list(a), check=True, capture_output=True)
        ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
             "-keyout", os.path.join(d, "ca.key"), "-out", os.path.join(d, "ca.crt"), "-subj", "/CN=etcd-ca")
        for name, ext in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"),
                          ("client", "extendedKeyUsage=clientAuth")):
            ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                 os.path.join(d, name + ".key"), "-out", os.path.join(d, name + ".csr"), "-subj", "/CN=" + name)
            with open(os.path.join(d, name + ".ext"), "w") as f:
                f.write(ext + "\n")
            ossl("x509", "-req", "-in", os.path.join(d, name + ".csr"), "-CA", os.path.join(d, "ca.crt"), "-CAkey",
                 os.path.join(d, "ca.key"), "-CAcreateserial", "-days", "2", "-out", os.path.join(d, name + ".crt"),
                 "-extfile", os.path.join(d, name + ".ext"))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.etcd_dir = tempfile.mkdtemp(prefix="etcd-test-")
        cls.etcds = []
        cls.client = cls.start_etcd("plain")
        cls.tls_dir = os.path.join(cls.etcd_dir, "tls")
        cls.make_tls(cls.tls_dir)
        cls.tls_client = cls.start_etcd("tls", cls.tls_dir)

    @classmethod
    def tearDownClass(cls):
        for e in cls.etcds:
            e.terminate()
            e.wait(10)
        shutil.rmtree(cls.etcd_dir, ignore_errors=True)
        super().tearDownClass()

    def test_snapshot_save_and_status_in_pod(self):
        ns = "etcd-test"
        self.ok("create", "namespace", ns)
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "etcd-0", "namespace": ns},
               "spec": {"containers": [{"name": "etcd", "image": "etcd", "env": [
                   {"name": "ETCDCTL_API", "value": "3"},
                   {"name": "ETCDCTL_ENDPOINTS", "value": "127.0.0.1:%d" % self.client}]}]}}
        self.ok("create", "-f", "-", input=pod)
        self.assertEqual(self.ok("-n", ns, "exec", "etcd-0", "--", "etcdctl", "put", "/ferry/key", "value-1"), "OK\n")
        out = self.ok("-n", ns, "exec", "etcd-0", "--", "env", "ETCDCTL_API=3", "/usr/bin/etcdctl",
                      "snapshot", "save", "/var/lib/data/snapshot.db")
        self.assertIn("Snapshot saved at /var/lib/data/snapshot.db", out)
        path = os.path.join(self.sim.pod_dir(ns, "etcd-0"), "var/lib/data/snapshot.db")
        self.assertTrue(os.path.getsize(path) > 0)
        status = json.loads(self.ok("-n", ns, "exec", "etcd-0", "--", "etcdctl", "-w", "json", "snapshot", "status",
                                    "/var/lib/data/snapshot.db"))
        self.assertGreaterEqual(status["totalKey"], 1)
        # the snapshot streams out through exec byte for byte
        r = self.kubectl("-n", ns, "exec", "etcd-0", "--", "cat", "/var/lib/data/snapshot.db", binary=True)
        with open(path, "rb") as f:
            self.assertEqual(r.stdout, f.read())
        r = self.kubectl("-n", ns, "exec", "etcd-0", "--", "etcdctl", "get", "/ferry/missing", "--print-value-only")
        self.assertEqual((r.returncode, r.stdout), (0, ""))

    def test_the_procedures_exact_command_against_a_tls_etcd(self):
        """The published command, unchanged: TLS files under /etc/etcd/tls in the pod's directory,
        `--endpoints=localhost:2379` rewritten to the test etcd's port by a pod annotation."""
        ns = "etcd-tls"
        self.ok("create", "namespace", ns)
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {
            "name": "etcd-0", "namespace": ns,
            "annotations": {"apisim.ferry.dev/arg-rewrites": json.dumps({"localhost:2379":
                                                                          "localhost:%d" % self.tls_client})}},
            "spec": {"containers": [{"name": "etcd", "image": "etcd"}]}}
        self.ok("create", "-f", "-", input=pod)
        pdir = self.sim.pod_dir(ns, "etcd-0")
        for src, dst in (("ca.crt", "etc/etcd/tls/etcd-ca/ca.crt"), ("client.crt", "etc/etcd/tls/client/etcd-client.crt"),
                         ("client.key", "etc/etcd/tls/client/etcd-client.key")):
            os.makedirs(os.path.dirname(os.path.join(pdir, dst)), exist_ok=True)
            shutil.copy(os.path.join(self.tls_dir, src), os.path.join(pdir, dst))
        tls = ["--cacert", "/etc/etcd/tls/etcd-ca/ca.crt", "--cert", "/etc/etcd/tls/client/etcd-client.crt",
               "--key", "/etc/etcd/tls/client/etcd-client.key", "--endpoints=localhost:2379"]
        self.assertEqual(self.ok("-n", ns, "exec", "etcd-0", "--", "env", "ETCDCTL_API=3", "/usr/bin/etcdctl", *tls,
                                 "put", "/ferry/tls", "yes"), "OK\n")
        out = self.ok("-n", ns, "exec", "etcd-0", "--", "env", "ETCDCTL_API=3", "/usr/bin/etcdctl", *tls,
                      "snapshot", "save", "/var/lib/data/snapshot.db")
        self.assertIn("Snapshot saved at /var/lib/data/snapshot.db", out)
        out = self.ok("-n", ns, "exec", "etcd-0", "--", "env", "ETCDCTL_API=3", "/usr/bin/etcdctl", "-w", "table",
                      "snapshot", "status", "/var/lib/data/snapshot.db")
        self.assertIn("TOTAL KEYS", out)
        # without the client certificate the etcd refuses: the TLS is real
        r = self.kubectl("-n", ns, "exec", "etcd-0", "--", "env", "ETCDCTL_API=3", "/usr/bin/etcdctl",
                         "--cacert", "/etc/etcd/tls/etcd-ca/ca.crt", "--endpoints=localhost:2379",
                         "--command-timeout=2s", "get", "/ferry/tls")
        self.assertNotEqual(r.returncode, 0)


class TestLeases(SimTestCase):
    """coordination.k8s.io/v1 Leases as ferry takes them: create, or a compare-and-swap on the
    resourceVersion read (replace or merge patch), and a delete on uid+resourceVersion preconditions."""

    def lease(self, name, who, rv=None, **spec):
        body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": name, "namespace": "clusters"},
                "spec": dict({"holderIdentity": who, "leaseDurationSeconds": 30,
                              "acquireTime": "2026-11-26T12:00:00.000000Z",
                              "renewTime": "2026-11-26T12:00:00.000000Z", "leaseTransitions": 0}, **spec)}
        if rv:
            body["metadata"]["resourceVersion"] = rv
        return body

    def path(self, name):
        return "/apis/coordination.k8s.io/v1/namespaces/clusters/leases/" + name

    def test_create_then_already_exists(self):
        self.assertEqual(self.ok("create", "-f", "-", input=self.lease("l-create", "run-a")),
                         "lease.coordination.k8s.io/l-create created\n")
        err = self.fails("create", "-f", "-", input=self.lease("l-create", "run-b"))
        self.assertEqual(err, 'Error from server (AlreadyExists): error when creating "STDIN": '
                              'leases.coordination.k8s.io "l-create" already exists\n')
        got = self.get("-n", "clusters", "lease", "l-create")
        self.assertEqual(got["spec"]["holderIdentity"], "run-a")
        self.assertEqual(got["spec"]["renewTime"], "2026-11-26T12:00:00.000000Z")
        out = self.ok("-n", "clusters", "get", "lease", "l-create")
        self.assertEqual(out.splitlines()[0].split(), ["NAME", "HOLDER", "AGE"])
        self.assertEqual(out.splitlines()[1].split()[:2], ["l-create", "run-a"])

    def test_replace_with_the_read_version_then_stale_conflicts(self):
        self.ok("create", "-f", "-", input=self.lease("l-replace", "run-a"))
        rv = self.get("-n", "clusters", "lease", "l-replace")["metadata"]["resourceVersion"]
        # two writers read the same version; the first replace wins, the second is refused
        self.assertEqual(self.ok("replace", "-f", "-", input=self.lease("l-replace", "run-b", rv, leaseTransitions=1)),
                         "lease.coordination.k8s.io/l-replace replaced\n")
        err = self.fails("replace", "-f", "-", input=self.lease("l-replace", "run-c", rv, leaseTransitions=1))
        self.assertEqual(err, 'Error from server (Conflict): error when replacing "STDIN": Operation cannot be '
                              'fulfilled on leases.coordination.k8s.io "l-replace": the object has been modified; '
                              'please apply your changes to the latest version and try again\n')
        got = self.get("-n", "clusters", "lease", "l-replace")
        self.assertEqual((got["spec"]["holderIdentity"], got["spec"]["leaseTransitions"]), ("run-b", 1))
        self.assertGreater(int(got["metadata"]["resourceVersion"]), int(rv))

    def test_merge_patch_with_a_stale_version_conflicts(self):
        self.ok("create", "-f", "-", input=self.lease("l-patch", "run-a"))
        rv = self.get("-n", "clusters", "lease", "l-patch")["metadata"]["resourceVersion"]
        renew = {"metadata": {"resourceVersion": rv}, "spec": {"renewTime": "2026-11-26T12:00:10.000000Z"}}
        self.ok("-n", "clusters", "patch", "lease", "l-patch", "--type", "merge", "-p", json.dumps(renew))
        err = self.fails("-n", "clusters", "patch", "lease", "l-patch", "--type", "merge", "-p", json.dumps(renew))
        self.assertEqual(err, 'Error from server (Conflict): Operation cannot be fulfilled on '
                              'leases.coordination.k8s.io "l-patch": the object has been modified; please apply your '
                              'changes to the latest version and try again\n')
        self.assertEqual(self.get("-n", "clusters", "lease", "l-patch")["spec"]["renewTime"],
                         "2026-11-26T12:00:10.000000Z")

    def test_delete_with_preconditions(self):
        self.ok("create", "-f", "-", input=self.lease("l-delete", "run-a"))
        md = self.get("-n", "clusters", "lease", "l-delete")["metadata"]

        def delete(**pre):
            return self.kubectl("delete", "--raw", self.path("l-delete"), "-f", "-",
                                input={"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": pre})
        r = delete(uid="0000-not-it", resourceVersion=md["resourceVersion"])
        self.assertEqual(r.stderr, 'Error from server (Conflict): Operation cannot be fulfilled on '
                                   'leases.coordination.k8s.io "l-delete": Precondition failed: UID in precondition: '
                                   '0000-not-it, UID in object meta: %s\n' % md["uid"])
        self.ok("-n", "clusters", "patch", "lease", "l-delete", "--type", "merge", "-p",
                '{"spec":{"holderIdentity":"run-b"}}')
        r = delete(uid=md["uid"], resourceVersion=md["resourceVersion"])
        self.assertEqual((r.returncode, r.stderr), (1, 'Error from server (Conflict): Operation cannot be fulfilled on '
                         'leases.coordination.k8s.io "l-delete": the object has been modified; please apply your '
                         'changes to the latest version and try again\n'))
        self.assertEqual(self.get("-n", "clusters", "lease", "l-delete")["spec"]["holderIdentity"], "run-b")
        md = self.get("-n", "clusters", "lease", "l-delete")["metadata"]
        self.assertEqual(delete(uid=md["uid"], resourceVersion=md["resourceVersion"]).returncode, 0)
        self.assertEqual(self.fails("-n", "clusters", "get", "lease", "l-delete"),
                         'Error from server (NotFound): leases.coordination.k8s.io "l-delete" not found\n')

    def test_micro_time_takes_six_fraction_digits_and_is_kept_in_utc(self):
        for n, bad in enumerate(("2026-11-26T12:00:00Z", "2026-11-26T12:00:00.5Z", "2026-11-26T12:00:00.123456789Z")):
            err = self.fails("create", "-f", "-", input=self.lease("l-time-%d" % n, "run-a", renewTime=bad))
            self.assertTrue(err.startswith('Error from server (BadRequest): error when creating "STDIN": Lease in '
                                           'version "v1" cannot be handled as a Lease: parsing time "%s" as '
                                           '"2006-01-02T15:04:05.000000Z07:00": cannot parse ' % bad), err)
        self.ok("create", "-f", "-", input=self.lease("l-time", "run-a", renewTime="2026-11-26T14:00:00.250000+02:00"))
        self.assertEqual(self.get("-n", "clusters", "lease", "l-time")["spec"]["renewTime"],
                         "2026-11-26T12:00:00.250000Z")

    def test_spec_is_decoded_strictly_and_validated(self):
        err = self.fails("create", "-f", "-", input=self.lease("l-bad", "run-a", holder=1))
        self.assertEqual(err, 'Error from server (BadRequest): error when creating "STDIN": Lease in version "v1" '
                              'cannot be handled as a Lease: strict decoding error: unknown field "spec.holder"\n')
        err = self.fails("create", "-f", "-", input=self.lease("l-bad", 7))
        self.assertEqual(err, 'Error from server (BadRequest): error when creating "STDIN": Lease in version "v1" '
                              'cannot be handled as a Lease: json: cannot unmarshal number into Go struct field '
                              'LeaseSpec.spec.holderIdentity of type string\n')
        err = self.fails("create", "-f", "-", input=self.lease("l-bad", "run-a", leaseDurationSeconds="30s"))
        self.assertEqual(err, 'Error from server (BadRequest): error when creating "STDIN": Lease in version "v1" '
                              'cannot be handled as a Lease: json: cannot unmarshal string into Go struct field '
                              'LeaseSpec.spec.leaseDurationSeconds of type int32\n')
        err = self.fails("create", "-f", "-", input=self.lease("l-bad", "run-a", leaseDurationSeconds=0,
                                                                leaseTransitions=-1))
        self.assertEqual(err, 'The Lease "l-bad" is invalid: \n'
                              '* spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0\n'
                              '* spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0\n')
        self.fails("-n", "clusters", "get", "lease", "l-bad")


class TestFaults(SimTestCase):
    """Injected failures, for the kube backend's retry and error classification."""

    def test_conflict_once_then_success(self):
        self.sim.fault(method="PATCH", path="/hostedclusters/jdoe-hosted$", code=409, reason="Conflict",
                       message='Operation cannot be fulfilled on hostedclusters.hypershift.openshift.io '
                               '"jdoe-hosted": the object has been modified; please apply your changes to the latest '
                               'version and try again')
        args = ["-n", "clusters", "patch", "hc", HC, "--type", "merge", "-p", '{"spec":{"pausedUntil":"true"}}']
        err = self.fails(*args)
        self.assertEqual(err, 'Error from server (Conflict): Operation cannot be fulfilled on '
                              'hostedclusters.hypershift.openshift.io "jdoe-hosted": the object has been modified; '
                              'please apply your changes to the latest version and try again\n')
        self.assertEqual(self.ok(*args), "hostedcluster.hypershift.openshift.io/jdoe-hosted patched\n")

    def test_server_errors(self):
        self.sim.fault(method="GET", path="/deployments/kube-apiserver$", code=500, message="etcdserver: leader changed")
        err = self.fails("-n", CP, "get", "deploy", "kube-apiserver")
        self.assertEqual(err, "Error from server (InternalError): etcdserver: leader changed\n")
        self.sim.fault(method="PATCH", path="/scale$", code=503, message="the server is currently unable to "
                                                                         "handle the request")
        err = self.fails("-n", CP, "scale", "deploy", "kube-scheduler", "--replicas=0")
        self.assertIn("(ServiceUnavailable)", err)
        self.assertEqual(self.get("-n", CP, "deploy", "kube-scheduler")["spec"]["replicas"], 3)

    def test_delay_and_request_timeout(self):
        self.sim.fault(method="GET", path="/deployments/cluster-api$", delay=3)
        err = self.fails("-n", CP, "get", "deploy", "cluster-api", "--request-timeout=1s")
        # (which of Go's two timeout texts kubectl prints depends on where the deadline hits)
        self.assertTrue(err.startswith("Unable to connect to the server: "), err)
        self.assertTrue("context deadline exceeded" in err or "Client.Timeout exceeded" in err, err)
        self.sim.fault(method="GET", path="/deployments/cluster-api$", delay=0.5)
        self.assertEqual(self.ok("-n", CP, "get", "deploy", "cluster-api", "-o", "name"),
                         "deployment.apps/cluster-api\n")

    def test_retry_after_is_retried_by_kubectl(self):
        self.sim.fault(method="GET", path="/namespaces/clusters/hostedclusters/jdoe-hosted$", code=429,
                       retryAfter=1, count=2)
        t0 = time.time()
        out = self.ok("-n", "clusters", "get", "hc", HC, "-o", "name")
        self.assertEqual(out, "hostedcluster.hypershift.openshift.io/jdoe-hosted\n")
        self.assertGreaterEqual(time.time() - t0, 1.5)


class TestAuth(SimTestCase):
    def test_wrong_token_is_401(self):
        with open(self.sim.kubeconfig) as f:
            kc = json.load(f)
        kc["users"][0]["user"]["token"] = "wrong-token"
        bad = os.path.join(self.cache, "bad-kubeconfig")
        with open(bad, "w") as f:
            json.dump(kc, f)
        for args in (["get", "ns"], ["-n", CP, "scale", "deploy", "kube-apiserver", "--replicas=0"],
                     ["-n", CP, "exec", "etcd-0", "--", "true"]):
            r = self.kubectl(*args, kubeconfig=bad)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stderr.splitlines()[-1], "error: You must be logged in to the server (the server has "
                                                        "asked for the client to provide credentials)")
        # nothing was changed
        self.assertEqual(self.get("-n", CP, "deploy", "kube-apiserver")["spec"]["replicas"], 3)

    def test_auth_can_i_and_whoami(self):
        self.assertEqual(self.ok("-n", "clusters", "auth", "can-i", "patch", "hostedclusters"), "yes\n")
        self.assertIn("system:admin", self.ok("auth", "whoami"))

    def test_kubeconfig_uses_https_and_a_token(self):
        with open(self.sim.kubeconfig) as f:
            kc = json.load(f)
        self.assertTrue(kc["clusters"][0]["cluster"]["server"].startswith("https://127.0.0.1:"))
        self.assertTrue(kc["users"][0]["user"]["token"])


def _load_crd_tests():
    import simyaml
    path = os.path.join(CRD_TESTS, "stable.hostedclusters.etcd.testsuite.yaml")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return simyaml.load(f.read())


class TestHyperShiftCrdSuite(SimTestCase):
    """HyperShift's own validation cases for restoreSnapshotURL (../shared/testdata/crd-tests/),
    through the real kubectl: create for onCreate, create then replace for onUpdate."""

    fixture = "destination"

    def prepare(self, text, name):
        import simyaml
        o = simyaml.load(text)
        o["metadata"] = {"name": name, "namespace": "crd-tests"}
        return o

    def test_suite(self):
        suite = _load_crd_tests()
        if suite is None:
            self.skipTest("crd-tests not found")
        self.ok("create", "namespace", "crd-tests")
        n = 0
        for i, case in enumerate(suite["tests"].get("onCreate", [])):
            with self.subTest(case["name"]):
                name = "create-%d" % i
                r = self.kubectl("create", "-f", "-", input=self.prepare(case["initial"], name))
                if case.get("expectedError"):
                    self.assertEqual(r.returncode, 1, r.stdout)
                    self.assertTrue(r.stderr.startswith('The HostedCluster "%s" is invalid: ' % name), r.stderr)
                    self.assertIn(case["expectedError"], r.stderr)
                else:
                    self.assertEqual((r.returncode, r.stderr), (0, ""))
                n += 1
        for i, case in enumerate(suite["tests"].get("onUpdate", [])):
            with self.subTest(case["name"]):
                name = "update-%d" % i
                self.ok("create", "-f", "-", input=self.prepare(case["initial"], name))
                r = self.kubectl("replace", "-f", "-", input=self.prepare(case["updated"], name))
                if case.get("expectedError"):
                    self.assertEqual(r.returncode, 1, r.stdout)
                    self.assertTrue(r.stderr.startswith('The HostedCluster "%s" is invalid: ' % name), r.stderr)
                    self.assertIn(case["expectedError"], r.stderr)
                else:
                    self.assertEqual((r.returncode, r.stderr), (0, ""))
                    if case.get("expected"):
                        want = self.prepare(case["expected"], name)["spec"]
                        got = self.get("-n", "crd-tests", "hc", name)["spec"]
                        self.assertEqual({k: got.get(k) for k in want}, want)
                n += 1
        self.assertGreaterEqual(n, 9)


@needs(KUBECTL, "kubectl is not installed")
@needs(os.path.isdir(CRDS), "CRDs not found")
class TestSeveralInstances(unittest.TestCase):
    def test_three_instances_with_their_own_ports_and_kubeconfigs(self):
        sims = [Sim(f) for f in ("source", "destination", "hosted")]
        try:
            self.assertEqual(len({s.info["port"] for s in sims}), 3)
            self.assertEqual(len({s.info["token"] for s in sims}), 3)
            # a token of one instance is refused by another
            with open(sims[0].kubeconfig) as f:
                kc = json.load(f)
            kc["clusters"][0]["cluster"]["server"] = sims[1].info["url"]
            kc["clusters"][0]["cluster"]["certificate-authority"] = sims[1].info["ca"]
            cache = tempfile.mkdtemp()
            mixed = os.path.join(cache, "mixed")
            with open(mixed, "w") as f:
                json.dump(kc, f)
            env = dict(os.environ, KUBECACHEDIR=cache)
            r = subprocess.run(["kubectl", "--kubeconfig", mixed, "get", "ns"], capture_output=True, text=True, env=env)
            self.assertEqual(r.returncode, 1)
            r = subprocess.run(["kubectl", "--kubeconfig", sims[2].kubeconfig, "get", "nodes", "-o", "name"],
                               capture_output=True, text=True, env=env)
            self.assertEqual(len(r.stdout.split()), 3, r.stderr)
            r = subprocess.run(["kubectl", "--kubeconfig", sims[2].kubeconfig, "get", "clusterversion", "version",
                                "-o", "jsonpath={.status.desired.version}"], capture_output=True, text=True, env=env)
            self.assertEqual(r.stdout, "4.15.11", r.stderr)
            r = subprocess.run(["kubectl", "--kubeconfig", sims[1].kubeconfig, "get", "hc", "-A"],
                               capture_output=True, text=True, env=env)
            self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", "No resources found\n"))
        finally:
            for s in sims:
                s.stop()

    def test_sigterm_stops_cleanly_and_kills_exec_processes(self):
        s = Sim("source")
        cache = tempfile.mkdtemp()
        env = dict(os.environ, KUBECACHEDIR=cache, KUBECONFIG=s.kubeconfig)
        pidfile = os.path.join(s.pod_dir(CP, "etcd-0"), "sleep.pid")
        exe = subprocess.Popen(["kubectl", "-n", CP, "exec", "etcd-0", "-c", "etcd", "--", "sh", "-c",
                                "echo $$ > sleep.pid; exec sleep 60"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 10
            def read_pid():
                try:
                    with open(pidfile) as f:
                        return f.read().strip()
                except OSError:
                    return ""
            while not read_pid() and time.time() < deadline:
                time.sleep(0.05)
            pid = int(read_pid())
            os.kill(pid, 0)
            s.proc.terminate()
            self.assertEqual(s.proc.wait(10), 0)
            def alive():
                try:
                    with open("/proc/%d/stat" % pid) as f:
                        return f.read().split(") ")[1][0] != "Z"    # a zombie waiting for its reaper is dead
                except OSError:
                    return False
            deadline = time.time() + 5
            while alive() and time.time() < deadline:
                time.sleep(0.05)
            self.assertFalse(alive(), "exec'd process %d survived the simulator" % pid)
            exe.wait(10)
        finally:
            if exe.poll() is None:
                exe.kill()
            s.stop()


if __name__ == "__main__":
    unittest.main()
