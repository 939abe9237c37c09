"""The fake cloud: one AWS account that both management clusters of a sandbox use.

What a migration must never destroy lives here: EC2 instances (one per AWSMachine, made by the
CAPA model), load balancers and Route53 records (the AWSCluster's and the hosted cluster's API),
and the OIDC documents the HyperShift operator uploads for STS federation. Every create and
every delete is appended to `cloud-ledger.jsonl` in the shared directory with the cluster and
controller that did it, so a test reads afterwards exactly what the migration did to the cloud:
an instance terminated while a Machine on the other management cluster still uses it is the
worst thing a migration can do (controllers.md §2, §3).

State (`cloud.json`): {kind: {id: {"owner": ..., "created_by": ..., "t": ...}}}.
Ledger line: {"t", "action": "create"|"delete", "kind", "id", "owner", "cluster", "controller", "reason"}.
"""

import json
import os
import time

KINDS = ("instance", "load_balancer", "dns_record", "oidc_document",
         # PrivateLink, behind an AWSEndpointService: the HO's VPC endpoint service, the CPO's VPC
         # endpoint and its security group (and the CPO's dns_records in the private zone)
         "vpc_endpoint_service", "vpc_endpoint", "security_group")
STATE = "cloud.json"
LEDGER = "cloud-ledger.jsonl"


class Cloud:
    def __init__(self, shared, cluster_name, controller):
        self.shared = shared
        self.cluster = cluster_name
        self.controller = controller

    def create(self, kind, rid, owner, **attrs):
        """Creates resource `rid` (idempotent: an existing one is returned as is). Returns it."""
        assert kind in KINDS, kind
        with self.shared.locked(STATE) as state:
            cur = state.setdefault(kind, {}).get(rid)
            if cur is not None:
                return cur
            cur = dict(attrs, owner=owner, created_by=self.cluster, t=round(time.time(), 3))
            state[kind][rid] = cur
        self.shared.append(LEDGER, {"action": "create", "kind": kind, "id": rid, "owner": owner,
                                    "cluster": self.cluster, "controller": self.controller})
        return cur

    def delete(self, kind, rid, reason=""):
        """Deletes (terminates) resource `rid`; False if there was none."""
        with self.shared.locked(STATE) as state:
            cur = state.setdefault(kind, {}).pop(rid, None)
        if cur is None:
            return False
        self.shared.append(LEDGER, {"action": "delete", "kind": kind, "id": rid, "owner": cur.get("owner"),
                                    "cluster": self.cluster, "controller": self.controller, "reason": reason})
        return True

    def get(self, kind, rid):
        return self.shared.read(STATE).get(kind, {}).get(rid)

    def list(self, kind, owner=None):
        """{id: resource} of `kind`, only those of `owner` if given."""
        items = self.shared.read(STATE).get(kind, {})
        return {k: v for k, v in items.items() if owner is None or v.get("owner") == owner}


def ledger(shared):
    """Every ledger entry, oldest first."""
    return shared.lines(LEDGER)


def seed_from_fixture(shared, fixture_path, cluster_name):
    """What the account held before the sandbox started: the instances behind the fixture's
    AWSMachines (their providerIDs), the API load balancer of each CAPI Cluster (CAPA's name for
    it) and the OIDC documents of each HostedCluster (the HO's paths under its infraID) and what an
    AWSEndpointService's status names (endpoint service, endpoint, security group, DNS records). Seeded
    without ledger lines: the ledger records what happens from then on."""
    with open(fixture_path) as f:
        data = json.load(f)
    objs = data.get("objects", []) if isinstance(data, dict) else data
    now = round(time.time(), 3)
    with shared.locked(STATE) as state:
        for o in objs:
            kind, md, spec = o.get("kind"), o.get("metadata") or {}, o.get("spec") or {}
            if kind == "AWSMachine" and str(spec.get("providerID", "")).startswith("aws://"):
                parts = spec["providerID"][len("aws://"):].strip("/").split("/")
                owner = (md.get("labels") or {}).get("cluster.x-k8s.io/cluster-name", "")
                state.setdefault("instance", {}).setdefault(parts[-1], {
                    "owner": owner, "machine": "%s/%s" % (md.get("namespace"), md.get("name")),
                    "az": parts[-2] if len(parts) >= 2 else None, "created_by": cluster_name, "t": now})
            elif kind == "Cluster" and o.get("apiVersion", "").startswith("cluster.x-k8s.io/"):
                state.setdefault("load_balancer", {}).setdefault("%s-apiserver" % md.get("name"), {
                    "owner": md.get("name"), "created_by": cluster_name, "t": now})
            elif kind == "AWSEndpointService":
                # what its status names (owner: the AWSEndpointService); the endpoint service by
                # its ID, the last part of its name (platform/aws/controller.go delete)
                st = o.get("status") or {}
                owner = "%s/%s" % (md.get("namespace"), md.get("name"))
                found = [("vpc_endpoint_service", st.get("endpointServiceName", "").split(".")[-1]),
                         ("vpc_endpoint", st.get("endpointID")), ("security_group", st.get("securityGroupID"))]
                found += [("dns_record", "%s/%s" % (st.get("dnsZoneID"), n)) for n in st.get("dnsNames") or []
                          if st.get("dnsZoneID")]
                for k, rid in found:
                    if rid:
                        state.setdefault(k, {}).setdefault(rid, {"owner": owner, "created_by": cluster_name, "t": now})
            elif kind == "HostedCluster" and spec.get("infraID"):
                for path in ("/.well-known/openid-configuration", "/openid/v1/jwks"):
                    state.setdefault("oidc_document", {}).setdefault(spec["infraID"] + path, {
                        "owner": spec["infraID"], "created_by": cluster_name, "t": now})


if __name__ == "__main__":
    # cloud.py seed SHARED_DIR FIXTURE CLUSTER_NAME (sandbox.sh start)
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from controllers.shared import Shared
    if len(sys.argv) != 5 or sys.argv[1] != "seed":
        raise SystemExit("usage: cloud.py seed SHARED_DIR FIXTURE CLUSTER_NAME")
    seed_from_fixture(Shared(sys.argv[2]), sys.argv[3], sys.argv[4])
