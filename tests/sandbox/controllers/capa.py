"""Cluster API Provider AWS (CAPA): AWSMachine and AWSCluster, against the fake cloud.

Modelled on kubernetes-sigs/cluster-api-provider-aws @ 2cf09d78 (controllers.md §2-§3):

- AWSMachine (`controllers/awsmachine_controller.go` Reconcile ~164): the owner Machine is found
  by its owner reference (CAPI `util.GetOwnerMachine`: kind Machine, by *name*, any UID); none:
  nothing happens ("Machine Controller has not yet set OwnerRef"), not even on deletion. The
  Cluster comes from the Machine's `cluster.x-k8s.io/cluster-name` label
  (`util.GetClusterFromMetadata`), the AWSCluster from the Cluster's infrastructureRef; missing:
  nothing happens. Then the pause check (~209, `paused.EnsurePausedCondition`: Cluster
  `spec.paused` or the AWSMachine's `cluster.x-k8s.io/paused` annotation) and only then deletion
  (~236-243): a paused AWSMachine being deleted keeps its finalizer and its instance.
  `reconcileDelete` (~311-417): find the instance (`findInstance` ~474: by the provider ID, or by
  tags when there is none); none: remove the finalizer; else terminate it
  (`ec2Service.TerminateInstance`) and remove the finalizer once it is terminated (the fake
  cloud terminates at once, so both happen in one reconcile).
  `reconcileNormal` (~506): find the instance; add the finalizer
  `awsmachine.infrastructure.cluster.x-k8s.io` (~552, after the pause check: unlike CAPI's, a
  stripped CAPA finalizer does not come back while paused); no instance: launch one
  (`createInstance` ~775), then set `spec.providerID` (`aws:///<az>/<id>`), `spec.instanceID`
  (~610) and `status.ready`. A provider ID whose instance is not in the cloud is an error
  (`InstanceIfExists` -> ErrInstanceNotFoundByID): retried, never relaunched. Not modelled: the
  Cluster's InfrastructureReady precondition (~522), security groups, ELB attachment, bootstrap
  data in S3 (only the Machine's `bootstrap.dataSecretName` is required, ~529).
- AWSCluster (`controllers/awscluster_controller.go` Reconcile ~138): the owner Cluster by owner
  reference (`util.GetOwnerCluster`, by name); pause (~171); deletion (~197, `reconcileDelete`
  ~205: `elbsvc.DeleteLoadbalancers` ~253, then the finalizer ~281); else the finalizer
  `awscluster.infrastructure.cluster.x-k8s.io` (~334), the API load balancer
  (`ReconcileLoadbalancers` ~295) and `status.ready` (~397). An AWSCluster with the
  `cluster.x-k8s.io/managed-by` annotation is skipped entirely (the event filter
  `predicates.ResourceIsNotExternallyManaged` ~407): HyperShift creates its AWSClusters that way.
  VPC, subnets, security groups and bastions are not modelled.

In HyperShift CAPA runs per hosted cluster in the control-plane namespace as Deployment
`capi-provider` (hypershift `manifests.CAPIProviderDeployment`); the model acts in a namespace only
while that Deployment has pods. The source fixture still calls it
`capi-provider-controller-manager`: that name is accepted too.

Every cloud action goes to the shared ledger (cloud.py) with this cluster's name and `capa`.
Without --shared-dir there is no cloud: nothing is launched, lookups find nothing, and a deleted
AWSMachine loses its finalizer as CAPA does when its instance is gone.
"""

import hashlib
import os

from . import base, cloud
from .capi import (CLUSTER_NAME_LABEL, GROUP, INFRA_GROUP, deleting, group_of, is_paused, ref_group,
                   type_by_group_kind)

MACHINE_FINALIZER = "awsmachine.infrastructure.cluster.x-k8s.io"
CLUSTER_FINALIZER = "awscluster.infrastructure.cluster.x-k8s.io"
MANAGED_BY_ANNOTATION = "cluster.x-k8s.io/managed-by"
DEPLOYMENTS = ("capi-provider", "capi-provider-controller-manager")


def parse_provider_id(pid):
    """scope.NewProviderID: `aws:///<az>/<instance id>` -> (az, id), or (None, None)."""
    if not pid or not pid.startswith("aws://"):
        return None, None
    parts = pid[len("aws://"):].strip("/").split("/")
    return (parts[-2] if len(parts) >= 2 else None), parts[-1]


class CAPAController(base.Controller):
    name = "capa"
    watches = ((INFRA_GROUP, "awsmachines"), (INFRA_GROUP, "awsclusters"), (GROUP, "machines"), (GROUP, "clusters"),
               ("apps", "deployments"))
    default_latency = 0.5

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        c = self.c
        self.t_awsm = c.type_for(INFRA_GROUP, "awsmachines")
        self.t_awsc = c.type_for(INFRA_GROUP, "awsclusters")
        self.t_machine = c.type_for(GROUP, "machines")
        self.t_cluster = c.type_for(GROUP, "clusters")
        self.enabled = None not in (self.t_awsm, self.t_awsc, self.t_machine, self.t_cluster)
        self.cloud = cloud.Cloud(self.shared, self.c.name, self.name) if self.shared is not None else None
        if self.cloud is None:
            self.log("no --shared-dir: the fake cloud is off (no instance is launched or terminated)")
        self.warned = set()

    def keys_for(self, t, obj):
        if not self.enabled:
            return []
        md = obj["metadata"]
        ns = md.get("namespace", "")
        if t is self.t_awsm or t is self.t_awsc:
            return [(t, ns, md["name"])]
        if t is self.t_machine:
            ref = (obj.get("spec") or {}).get("infrastructureRef") or {}
            return [(self.t_awsm, ns, ref["name"])] if ref.get("kind") == "AWSMachine" and ref.get("name") else []
        if t is self.t_cluster:
            keys = [(self.t_awsm, ns, n) for (ons, n), o in self.c.objects[self.t_awsm.key].items()
                    if ons == ns and (o["metadata"].get("labels") or {}).get(CLUSTER_NAME_LABEL) == md["name"]]
            ref = (obj.get("spec") or {}).get("infrastructureRef") or {}
            if ref.get("kind") == "AWSCluster" and ref.get("name"):
                keys.append((self.t_awsc, ns, ref["name"]))
            return keys
        if t.plural == "deployments" and md["name"] in DEPLOYMENTS:
            return [(tt, ns, n) for tt in (self.t_awsm, self.t_awsc) for (ons, n) in list(self.c.objects[tt.key])
                    if ons == ns]
        return []

    def active(self, t, ns, name):
        return self.enabled and any(base.deployment_running(self.c, ns, d) for d in DEPLOYMENTS)

    def reconcile(self, t, ns, name):
        if t is self.t_awsm:
            self.reconcile_machine(ns, name)
        elif t is self.t_awsc:
            self.reconcile_cluster(ns, name)

    def warn_once(self, key, msg):
        if key not in self.warned:
            self.warned.add(key)
            self.log(msg)

    def set_finalizers(self, t, obj, fins, what):
        obj["metadata"]["finalizers"] = fins
        self.update(t, obj)
        self.log("%s %s/%s: %s" % (t.kind, obj["metadata"]["namespace"], obj["metadata"]["name"], what))

    # ---- AWSMachine: controllers/awsmachine_controller.go
    def owner_machine(self, am):
        for r in am["metadata"].get("ownerReferences") or []:   # util.GetOwnerMachine
            if r.get("kind") == "Machine" and group_of(r.get("apiVersion", "")) == GROUP:
                return self.get(self.t_machine, am["metadata"]["namespace"], r["name"])
        return None

    def find_instance(self, am):
        """findInstance ~474: by the provider ID; without one, by tags (here: the machine attribute)."""
        if self.cloud is None:
            return None, None
        spec = am.get("spec") or {}
        _, iid = parse_provider_id(spec.get("providerID"))
        iid = iid or spec.get("instanceID")
        if iid:
            inst = self.cloud.get("instance", iid)
            return iid, inst
        key = "%s/%s" % (am["metadata"]["namespace"], am["metadata"]["name"])
        for rid, inst in self.cloud.list("instance").items():
            if inst.get("machine") == key:
                return rid, inst
        return None, None

    def reconcile_machine(self, ns, name):
        am = self.get(self.t_awsm, ns, name)
        if am is None:
            return
        machine = self.owner_machine(am)
        if machine is None:
            return   # ~182: "Machine Controller has not yet set OwnerRef"
        cname = (machine["metadata"].get("labels") or {}).get(CLUSTER_NAME_LABEL)
        cluster = self.get(self.t_cluster, ns, cname) if cname else None
        if cluster is None:
            return   # ~192: "Machine is missing cluster label or cluster does not exist"
        iref = (cluster.get("spec") or {}).get("infrastructureRef") or {}
        it = type_by_group_kind(self.c, ref_group(iref), iref.get("kind"))
        if it is None or self.get(it, ns, iref.get("name", "")) is None:
            return   # ~201: "AWSCluster or AWSManagedControlPlane is not ready yet"
        if is_paused(cluster, am):   # ~209
            return
        fins = am["metadata"].get("finalizers") or []
        if deleting(am):
            # reconcileDelete ~311
            iid, inst = self.find_instance(am)
            if inst is not None:
                self.cloud.delete("instance", iid, reason="AWSMachine %s/%s deleted" % (ns, name))
                self.log("AWSMachine %s/%s: instance %s terminated" % (ns, name, iid))
            if MACHINE_FINALIZER in fins:
                self.set_finalizers(self.t_awsm, am, [f for f in fins if f != MACHINE_FINALIZER],
                                    "finalizer %s removed" % MACHINE_FINALIZER)
            return
        # reconcileNormal ~506
        if not ((machine.get("spec") or {}).get("bootstrap") or {}).get("dataSecretName"):
            return   # ~529: bootstrap data not yet available
        iid, inst = self.find_instance(am)
        spec = am.get("spec") or {}
        if inst is None and (spec.get("providerID") or spec.get("instanceID")):
            # InstanceIfExists -> ErrInstanceNotFoundByID: an error, retried; never relaunched
            self.warn_once(("gone", ns, name), "AWSMachine %s/%s: instance %s not found%s" % (
                ns, name, iid, "" if self.cloud else " (no cloud)"))
            return   # the real reconcile returns the error before it adds the finalizer
        if MACHINE_FINALIZER not in fins:   # ~552
            self.set_finalizers(self.t_awsm, am, fins + [MACHINE_FINALIZER], "finalizer %s added" % MACHINE_FINALIZER)
            return
        if self.cloud is None:
            self.warn_once(("nocloud", ns, name), "AWSMachine %s/%s: no cloud, no instance launched" % (ns, name))
            return
        if inst is None:
            # createInstance ~775
            az = (spec.get("failureDomain") or (machine.get("spec") or {}).get("failureDomain")
                  or self.region(ns, iref) + "a")
            iid = "i-0" + hashlib.sha256(os.urandom(16)).hexdigest()[:16]
            self.cloud.create("instance", iid, owner=cluster["metadata"]["name"], machine="%s/%s" % (ns, name),
                              cluster=self.c.name, az=az, instanceType=spec.get("instanceType"))
            self.log("AWSMachine %s/%s: instance %s launched in %s" % (ns, name, iid, az))
            inst = {"az": az}
        az = inst.get("az") or parse_provider_id(spec.get("providerID"))[0] or self.region(ns, iref) + "a"
        am = self.get(self.t_awsm, ns, name)
        if am is None:
            return
        changed = False
        pid = "aws:///%s/%s" % (az, iid)
        if am["spec"].get("providerID") != pid or am["spec"].get("instanceID") != iid:   # ~610
            am["spec"]["providerID"] = pid
            am["spec"]["instanceID"] = iid
            am = self.update(self.t_awsm, am)
            changed = True
        if am is not None and (am.get("status") or {}).get("ready") is not True:
            am.setdefault("status", {})["ready"] = True
            self.update(self.t_awsm, am, status=bool(self.t_awsm.status))
            changed = True
        if changed:
            self.log("AWSMachine %s/%s: providerID %s, ready" % (ns, name, pid))

    def region(self, ns, iref):
        awsc = self.get(self.t_awsc, ns, iref.get("name", "")) if iref.get("name") else None
        return ((awsc or {}).get("spec") or {}).get("region") or "us-east-1"

    # ---- AWSCluster: controllers/awscluster_controller.go
    def reconcile_cluster(self, ns, name):
        ac = self.get(self.t_awsc, ns, name)
        if ac is None:
            return
        if MANAGED_BY_ANNOTATION in (ac["metadata"].get("annotations") or {}):
            return   # ResourceIsNotExternallyManaged ~407
        cluster = None
        for r in ac["metadata"].get("ownerReferences") or []:   # util.GetOwnerCluster, by name
            if r.get("kind") == "Cluster" and group_of(r.get("apiVersion", "")) == GROUP:
                cluster = self.get(self.t_cluster, ns, r["name"])
                break
        if cluster is None:
            return   # ~163: "Cluster Controller has not yet set OwnerRef"
        if is_paused(cluster, ac):   # ~171
            return
        fins = ac["metadata"].get("finalizers") or []
        lb = "%s-apiserver" % cluster["metadata"]["name"]   # CAPA's classic ELB name for the API
        if deleting(ac):
            # reconcileDelete ~205: DeleteLoadbalancers ~253, then the finalizer ~281
            if self.cloud is not None and self.cloud.delete("load_balancer", lb,
                                                            reason="AWSCluster %s/%s deleted" % (ns, name)):
                self.log("AWSCluster %s/%s: load balancer %s deleted" % (ns, name, lb))
            if CLUSTER_FINALIZER in fins:
                self.set_finalizers(self.t_awsc, ac, [f for f in fins if f != CLUSTER_FINALIZER],
                                    "finalizer %s removed" % CLUSTER_FINALIZER)
            return
        if CLUSTER_FINALIZER not in fins:   # ~334
            self.set_finalizers(self.t_awsc, ac, fins + [CLUSTER_FINALIZER], "finalizer %s added" % CLUSTER_FINALIZER)
            return
        if self.cloud is not None and self.cloud.get("load_balancer", lb) is None:   # ReconcileLoadbalancers ~295
            self.cloud.create("load_balancer", lb, owner=cluster["metadata"]["name"], cluster=self.c.name,
                              awscluster="%s/%s" % (ns, name))
            self.log("AWSCluster %s/%s: load balancer %s created" % (ns, name, lb))
        if (ac.get("status") or {}).get("ready") is not True:   # ~397
            ac.setdefault("status", {})["ready"] = True
            self.update(self.t_awsc, ac, status=bool(self.t_awsc.status))


CONTROLLERS = [CAPAController]
