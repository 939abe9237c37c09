"""AWSEndpointServices (PrivateLink) through the real kubectl: the CRD written from the Go type
(crds/hypershift.openshift.io_awsendpointservices.yaml), the fixture variant that has them
(make_fixtures.py --endpoint-access PublicAndPrivate), and the finalizers of the two controllers
that reconcile them (hypershift @ 3ee96155):
- the CPO's `hypershift.openshift.io/control-plane-operator-finalizer`
  (control-plane-operator/controllers/awsprivatelink/awsprivatelink_controller.go Reconcile):
  put back when removed; on deletion the VPC endpoint, its security group and the private-zone
  records go, then the finalizer; only while the CPO's pods run (controllers/cpo.py);
- the HO's `hypershift.openshift.io/hypershift-operator-finalizer`
  (hypershift-operator/controllers/platform/aws/controller.go Reconcile): on deletion the VPC
  endpoint service goes, then the finalizer (controllers/hypershift.py).
"""

import json
import os
import subprocess
import sys
import time

from simtest import Sim
from test_models_hypershift import ALL, CP, FAST, HC, NS, ModelTest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from controllers.cloud import ledger, seed_from_fixture  # noqa: E402
from controllers.shared import Shared  # noqa: E402

CPO_FIN = "hypershift.openshift.io/control-plane-operator-finalizer"
HO_FIN = "hypershift.openshift.io/hypershift-operator-finalizer"
AES = "awsendpointservices.hypershift.openshift.io"


class TestAWSEndpointServices(ModelTest):
    def private_sim(self, latencies=FAST):
        """The source with PrivateLink (API server behind a LoadBalancer: both AWSEndpointServices),
        the fake cloud seeded from it as sandbox.sh does."""
        out = os.path.join(self.work, "fixtures")
        subprocess.run([sys.executable, os.path.join(HERE, "fixtures", "make_fixtures.py"), "--out", out,
                        "--endpoint-access", "PublicAndPrivate", "--no-api-hostname"], check=True)
        fixture = os.path.join(out, "source.json")
        seed_from_fixture(Shared(self.shared_dir), fixture, "source")
        s = Sim(None, name="source", extra=["--fixture", fixture, "--controllers", ALL,
                                            "--shared-dir", self.shared_dir] + list(latencies))
        self.addCleanup(s.stop)
        self.sims["source"] = s
        return s

    def finalizers(self, sim, name):
        o = self.get(sim, "-n", CP, AES, name)
        return None if o is None else o["metadata"].get("finalizers") or []

    def deleted(self, by=None):
        return sorted((e["kind"], e["id"]) for e in ledger(Shared(self.shared_dir))
                      if e["action"] == "delete" and (by is None or e["controller"] == by))

    def test_listed_finalizer_put_back_and_deletion_completed_by_a_running_cpo(self):
        src = self.private_sim()
        out = self.ok(src, "get", AES, "-n", CP)
        self.assertEqual([ln.split()[0] for ln in out.splitlines()], ["NAME", "kube-apiserver-private", "private-router"])
        aes = self.get(src, "-n", CP, AES, "private-router")
        self.assertEqual(aes["metadata"].get("ownerReferences"), None)   # the observer sets none
        self.assertEqual(aes["metadata"]["finalizers"], [HO_FIN, CPO_FIN])
        # both controllers ensure their finalizer (before any pause check): removed, it comes back
        self.ok(src, "-n", CP, "patch", AES, "private-router", "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
        self.until("both finalizers back", lambda: sorted(self.finalizers(src, "private-router")) == [CPO_FIN, HO_FIN],
                   sim=src)
        # deleted while both run: each cleans up its cloud resources and drops its finalizer
        self.ok(src, "-n", CP, "delete", AES, "kube-apiserver-private", "--wait=false")
        self.wait(src, "-n", CP, "--for=delete", AES + "/kube-apiserver-private")
        zone = aes["status"]["dnsZoneID"]
        self.assertEqual(self.deleted("control-plane-operator"),
                         [("dns_record", zone + "/api.%s.hypershift.local" % HC),
                          ("security_group", "sg-0e1f2a3b4c5d6e7f0"), ("vpc_endpoint", "vpce-0c1d2e3f4a5b69780")])
        self.assertEqual(self.deleted("hypershift"), [("vpc_endpoint_service", "vpce-svc-0f1e2d3c4b5a69780")])
        self.assertEqual(sorted(self.finalizers(src, "private-router")), [CPO_FIN, HO_FIN])

    def test_deletion_pending_while_the_cpo_is_scaled_to_zero(self):
        src = self.private_sim()
        # HC paused (else the HO puts the CPO's replicas back), then the CPO scaled to 0
        self.ok(src, "-n", NS, "patch", "hc", HC, "--type=merge", "-p", '{"spec":{"pausedUntil":"true"}}')
        self.wait(src, "-n", CP, "--for=jsonpath={.spec.pausedUntil}=true", "hcp/" + HC)
        self.ok(src, "-n", CP, "scale", "deploy/control-plane-operator", "--replicas=0")
        self.until("CPO pods gone", lambda: not self.get(src, "-n", CP, "pods", "-l", "app=control-plane-operator")["items"])
        self.ok(src, "-n", CP, "delete", AES, "private-router", "--wait=false")
        # the HO (running, deletion before its pause check) drops its finalizer: the deletion is seen
        self.until("HO finalizer gone", lambda: self.finalizers(src, "private-router") == [CPO_FIN], sim=src)
        time.sleep(2 * 3.0 + 1)     # two resyncs of the CPO model (cpo.py resync)
        aes = self.get(src, "-n", CP, AES, "private-router")
        self.assertTrue(aes["metadata"].get("deletionTimestamp"))
        self.assertEqual(aes["metadata"]["finalizers"], [CPO_FIN])
        self.assertEqual(self.deleted("control-plane-operator"), [])
        self.assertEqual(self.deleted("hypershift"), [("vpc_endpoint_service", "vpce-svc-0f1e2d3c4b5a69781")])
        # the CPO back (HCP still paused: deletion comes before the pause check) completes it
        self.ok(src, "-n", CP, "scale", "deploy/control-plane-operator", "--replicas=1")
        self.wait(src, "-n", CP, "--for=delete", AES + "/private-router")
        self.assertIn(("vpc_endpoint", "vpce-0c1d2e3f4a5b69781"), self.deleted("control-plane-operator"))


if __name__ == "__main__":
    import unittest
    unittest.main()
