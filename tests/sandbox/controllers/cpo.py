"""The control-plane operator (CPO): one per hosted cluster, in its control-plane namespace.

Follows openshift/hypershift @ 3ee96155 (../shared/reference/controllers.md), mainly
control-plane-operator/controllers/hostedcontrolplane/hostedcontrolplane_controller.go (`CPO`):
`HostedControlPlaneReconciler.Reconcile` handles deletion first (`reconcileDeletion`), ensures its
finalizer, writes the status conditions (etcd, kube-apiserver, Available, ReconciliationActive),
and only then checks `spec.pausedUntil`; while not paused it owns the control-plane Deployments,
the etcd StatefulSet and the PKI secrets (`reconcileCPOV2`, `reconcilePKI`), all carrying an
ownerReference to the HostedControlPlane
(support/controlplane-component/controlplane-component.go `reconcileWorkload` /
`SetControllerReference`).

The operator part acts only while Deployment `control-plane-operator` in the namespace has pods
(base.deployment_running): scaled to 0, nobody resets replicas or removes its finalizers. Two
things here are not the operator but the world around it, and run whatever the CPO's replicas:
- the etcd pods' init container and etcd itself (the kubelet's part): the init container of
  v2/etcd/statefulset.go `buildEtcdInitContainer` / etcd-init.sh (download restoreSnapshotURL
  with curl, refuse an S3 XML error body with exit 1, `snapshot restore`, only into an empty data
  dir), played with simetcd.EtcdManager (a real etcd; needs `--etcd` for the manager);
- the hosted cluster's API being served: `hosted-api.json` in the shared dir has, under the
  HostedCluster this control plane belongs to (its `hypershift.openshift.io/cluster` annotation),
  an entry for this management cluster exactly while its kube-apiserver pods run and its etcd
  answers. One CPO runs per control-plane namespace, so each hosted cluster's entry follows its
  own namespace alone (hosted_api.py).

HighlyAvailable etcd restored from one snapshot: by default (hypershift after #9048) the three
members are restored as one three-member cluster (`etcdctl snapshot restore --initial-cluster`
of all three, three etcd processes), so `etcdctl member list` in any etcd pod shows 3 members.
With `--latency control-plane-operator.etcd-pre-9048=1` the pre-#9048 failure is modelled
instead: each member is restored alone and forms its own one-member cluster (`member list` shows
1), while EtcdAvailable stays True.
"""

import base64
import copy
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import apisim
import simetcd

from .base import Controller, condition, deployment_running
from .cloud import Cloud
from .hosted_api import servers_of

HCP_FINALIZER = "hypershift.openshift.io/finalizer"                 # CPO `finalizer`
AES_FINALIZER = "hypershift.openshift.io/control-plane-operator-finalizer"   # awsprivatelink_controller.go `finalizer`
CLEANUP_ANNOTATION = "hypershift.openshift.io/cleanup-cloud-resources"
RESTORED_ANNOTATION = "hypershift.openshift.io/restored-from-backup"
HC_ANNOTATION = "hypershift.openshift.io/cluster"
ENDPOINT_ANNOTATION = "apisim.ferry.dev/etcd-endpoint"
HOSTED_API = "hosted-api.json"
# The Deployments the CPO owns and whose replicas it resets (v2/kas, v2/oapi, v2/oauth_apiserver,
# v2/controlplaneoperator component.go ComponentName); HA replicas per their deployment.yaml.
DEPLOYMENTS = {"kube-apiserver": 3, "openshift-apiserver": 3, "openshift-oauth-apiserver": 3,
               "control-plane-operator": 1}


def paused(paused_until, now=None):
    """support/util/pausereconcile.go ProcessPausedUntilField: "true"/"false" (strconv.ParseBool)
    or an RFC 3339 time in the future; anything else is not paused."""
    if paused_until is None:
        return False
    v = str(paused_until)
    if v in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if v in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    try:
        import datetime
        t = datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
        if t.tzinfo is None:
            return False
        return (now or time.time()) < t.timestamp()
    except ValueError:
        return False


def reconciliation_active(paused_until, generation):
    """support/util/pausereconcile.go GenerateReconciliationActiveCondition."""
    if paused(paused_until):
        msg = ("Reconciliation paused until field removed" if str(paused_until).lower() in ("true", "t", "1")
               else "Reconciliation paused until: %s" % paused_until)
        return ("False", "ReconciliationPaused", msg)
    return ("True", "AsExpected", "Reconciliation active on resource")


def owner_ref(obj):
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"],
            "uid": obj["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def set_owner(obj, owner):
    """controllerutil.SetControllerReference: replaces a controller reference of the same kind
    and name (a restored object's stale UID is rewritten), adds it otherwise. True if changed."""
    ref = owner_ref(owner)
    refs = obj["metadata"].setdefault("ownerReferences", [])
    for i, r in enumerate(refs):
        if r.get("kind") == ref["kind"] and r.get("name") == ref["name"]:
            if r == ref:
                return False
            refs[i] = ref
            return True
    refs.append(ref)
    return True


def port_open(endpoint):
    """True if the etcd at https://host:port accepts connections."""
    try:
        hostport = endpoint.split("://", 1)[-1].rstrip("/")
        host, port = hostport.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=0.5):
            return True
    except (OSError, ValueError):
        return False


def put_condition(obj, ctype, status, reason, message=""):
    """meta.SetStatusCondition on a copy: lastTransitionTime kept unless the status changes."""
    conds = obj.setdefault("status", {}).setdefault("conditions", [])
    cur = next((c for c in conds if c.get("type") == ctype), None)
    new = {"type": ctype, "status": status, "reason": reason, "message": message,
           "observedGeneration": obj["metadata"].get("generation", 1),
           "lastTransitionTime": cur["lastTransitionTime"] if cur and cur.get("status") == status
           and cur.get("lastTransitionTime") else apisim.now_rfc3339()}
    obj["status"]["conditions"] = [c for c in conds if c.get("type") != ctype] + [new]


class ControlPlaneOperator(Controller):
    name = "control-plane-operator"
    watches = (("hypershift.openshift.io", "hostedcontrolplanes"), ("apps", "deployments"),
               ("apps", "statefulsets"), ("", "pods"), ("", "secrets"),
               ("hypershift.openshift.io", "awsendpointservices"))
    default_latency = 0.5
    resync = 3.0

    def __init__(self, cluster, stopping, latency=None, shared=None):
        super().__init__(cluster, stopping, latency, shared)
        self.hcp_t = cluster.type_for("hypershift.openshift.io", "hostedcontrolplanes")
        self.aes_t = cluster.type_for("hypershift.openshift.io", "awsendpointservices")
        self.pod_t = cluster.type_for("", "pods")
        self.secret_t = cluster.type_for("", "secrets")
        self.deploy_t = cluster.type_for("apps", "deployments")
        self.sts_t = cluster.type_for("apps", "statefulsets")
        self.known = {}       # control-plane namespace -> HCP name (kept after the HCP is gone)
        self.hc_keys = {}     # control-plane namespace -> its hosted cluster's key in hosted-api.json
        self.etcd = {}        # control-plane namespace -> {"endpoints": [...], "restored_from", "error", "log"}
        # the etcd pods' init container is played here (run_etcd_pods), not by workloads.py
        cluster.sandbox["init_containers"] = set(cluster.sandbox.get("init_containers", ())) | {"etcd-init"}
        settings = cluster.sandbox.get("settings") or {}
        self.pre_9048 = bool(settings.get(self.name + ".etcd-pre-9048"))
        cluster.sandbox.setdefault("pod_stopped", []).append(self.pod_stopped)

    # ---- events
    def keys_for(self, t, obj):
        md = obj["metadata"]
        ns = md.get("namespace", "")
        if t is self.hcp_t:
            self.known[ns] = md["name"]
            return [(t, ns, md["name"])]
        if t is self.aes_t:
            return [(t, ns, md["name"])]
        names = {n for (ons, n) in self.c.objects[self.hcp_t.key] if ons == ns} if self.hcp_t else set()
        if ns in self.known:
            names.add(self.known[ns])
        return [(self.hcp_t, ns, n) for n in names]

    def reconcile(self, t, ns, name):
        if t is self.aes_t:
            return self.reconcile_aes(ns, name)
        hcp = self.get(t, ns, name)
        if hcp is not None:
            self.known[ns] = name
        self.run_etcd_pods(ns, hcp)
        self.sync_hosted_api(ns, name, hcp)
        if hcp is None or not deployment_running(self.c, ns, "control-plane-operator"):
            return
        self.reconcile_hcp(hcp)

    # ---- the operator (CPO Reconcile)
    def reconcile_hcp(self, hcp):
        md = hcp["metadata"]
        ns = md["namespace"]
        # CPO Reconcile: deletion before anything else, the pause check included (§3)
        if md.get("deletionTimestamp"):
            return self.reconcile_deletion(hcp)
        # CPO Reconcile: ensure the finalizer
        if HCP_FINALIZER not in (md.get("finalizers") or []):
            md.setdefault("finalizers", []).append(HCP_FINALIZER)
            hcp = self.update(self.hcp_t, hcp)
            if hcp is None:
                return
        # CPO Reconcile: status first ("Always update status based on the current state of the
        # world"), whether paused or not
        hcp = self.write_status(hcp)
        if hcp is None:
            return
        # CPO Reconcile: `if isPaused ... return`
        if paused((hcp.get("spec") or {}).get("pausedUntil")):
            return
        self.reconcile_pki(hcp)
        self.reconcile_workloads(hcp)

    def reconcile_deletion(self, hcp):
        """CPO reconcileDeletion: with the cleanup annotation, destroy what the hosted cluster
        created in the cloud (removeCloudResources), then drop the finalizer."""
        md = hcp["metadata"]
        if md.get("annotations", {}).get(CLEANUP_ANNOTATION) == "true" and self.shared is not None:
            infra = (hcp.get("spec") or {}).get("infraID", "")
            cloud = Cloud(self.shared, self.c.name, self.name)
            for kind in ("load_balancer", "dns_record"):
                for rid, res in sorted(cloud.list(kind).items()):
                    owner = str(res.get("owner") or "")
                    if infra and (owner == infra or owner.startswith(infra + "/")):
                        cloud.delete(kind, rid, reason="cleanup-cloud-resources annotation on HostedControlPlane %s/%s"
                                     % (md["namespace"], md["name"]))
            put_condition(hcp, "CloudResourcesDestroyed", "True", "AsExpected", "All is well")
            hcp = self.update(self.hcp_t, hcp, status=True)
            if hcp is None:
                return
        if HCP_FINALIZER in (md.get("finalizers") or []):
            hcp["metadata"]["finalizers"] = [f for f in hcp["metadata"]["finalizers"] if f != HCP_FINALIZER]
            self.update(self.hcp_t, hcp)

    def etcd_url(self, hcp):
        storage = ((((hcp or {}).get("spec") or {}).get("etcd") or {}).get("managed") or {}).get("storage") or {}
        urls = storage.get("restoreSnapshotURL") or []
        return urls[0] if urls else None    # statefulset.go: "RestoreSnapshotURL can only have 1 entry"

    def ha(self, hcp):
        return ((hcp or {}).get("spec") or {}).get("controllerAvailabilityPolicy") == "HighlyAvailable"

    def etcd_pods(self, ns):
        return [p for p in self.list(self.pod_t, ns, {"app": "etcd"}) if not p["metadata"].get("deletionTimestamp")]

    def write_status(self, hcp):
        ns = hcp["metadata"]["namespace"]
        new = copy.deepcopy(hcp)
        put_condition(new, "ValidHostedControlPlaneConfiguration", "True", "AsExpected", "Configuration passes validation")
        # CPO reconcileEtcdStatus / etcdStatefulSetCondition: quorum of ready replicas
        sts = self.get(self.sts_t, ns, "etcd")
        if sts is None:
            put_condition(new, "EtcdAvailable", "False", "EtcdStatefulSetNotFound", "")
        else:
            want = (sts.get("spec") or {}).get("replicas", 1)
            ready = (sts.get("status") or {}).get("readyReplicas") or 0
            if want and ready >= want // 2 + 1:
                put_condition(new, "EtcdAvailable", "True", "QuorumAvailable", "")
            else:
                put_condition(new, "EtcdAvailable", "False", "EtcdWaitingForQuorum", "Waiting for etcd to reach quorum")
            # reconcileEtcdStatus: EtcdSnapshotRestored, set once, on the HostedControlPlane only
            # (the HO does not copy it: hostedcluster_controller.go hcpConditions). It is
            # computed by etcdRestoredCondition only when every replica is ready, so a failed
            # init container (expired URL) never yields False: the pods stay not ready and the
            # condition stays absent.
            if self.etcd_url(new) and condition(new, "EtcdSnapshotRestored") is None and want and ready == want:
                inits = [s for p in self.etcd_pods(ns) for s in (p.get("status") or {}).get("initContainerStatuses") or []
                         if s.get("name") == "etcd-init"]
                failed = [s for s in inits if not s.get("ready") and
                          ((s.get("lastState") or {}).get("terminated") or {}).get("exitCode", 0) != 0]
                if failed:
                    put_condition(new, "EtcdSnapshotRestored", "False",
                                  failed[0]["lastState"]["terminated"].get("reason") or "Error", "")
                elif len([s for s in inits if s.get("ready")]) == want:
                    put_condition(new, "EtcdSnapshotRestored", "True", "AsExpected", "")
        # CPO reconcileKASStatus: the Deployment's Available condition
        kas = self.get(self.deploy_t, ns, "kube-apiserver")
        kas_pods = 0
        if kas is None:
            put_condition(new, "KubeAPIServerAvailable", "False", "NotFound", "Kube APIServer deployment not found")
        else:
            kas_pods = (kas.get("status") or {}).get("readyReplicas") or 0
            avail = next((c for c in (kas.get("status") or {}).get("conditions") or [] if c.get("type") == "Available"), None)
            if avail is None:
                put_condition(new, "KubeAPIServerAvailable", "False", "StatusUnknown", "")
            elif avail.get("status") == "True":
                put_condition(new, "KubeAPIServerAvailable", "True", "AsExpected", "Kube APIServer deployment is available")
            else:
                put_condition(new, "KubeAPIServerAvailable", "False", "WaitingForAvailable",
                              "Waiting for Kube APIServer deployment to become available")
        # CPO Reconcile: status.kubeConfig once the admin kubeconfig secret exists
        if self.get(self.secret_t, ns, "admin-kubeconfig") is not None:
            new["status"]["kubeConfig"] = {"name": "admin-kubeconfig", "key": "kubeconfig"}
        # CPO reconcileAvailabilityStatus, in its order; controlPlaneComponentsAvailable reduced
        # to "kube-apiserver pods run"
        etcd_c = next(c for c in new["status"]["conditions"] if c["type"] == "EtcdAvailable")
        kas_c = next(c for c in new["status"]["conditions"] if c["type"] == "KubeAPIServerAvailable")
        if not new["status"].get("kubeConfig"):
            put_condition(new, "Available", "False", "KubeconfigWaitingForCreate",
                          "Waiting for hosted control plane kubeconfig to be created")
        elif etcd_c["status"] == "False":
            put_condition(new, "Available", "False", etcd_c["reason"], etcd_c["message"])
        elif kas_c["status"] == "False":
            put_condition(new, "Available", "False", kas_c["reason"], kas_c["message"])
        elif kas_pods == 0:
            put_condition(new, "Available", "False", "ControlPlaneComponentsNotAvailable", "kube-apiserver has no pods")
        else:
            put_condition(new, "Available", "True", "AsExpected", "")
        new["status"]["ready"] = condition(new, "Available") == "True"
        new["status"]["initialized"] = True
        # hostedclusterconfigoperator/controllers/resources/resources.go reconcileClusterRecovery
        # (the HCCO, a CPO-deployed operator: modelled here): with the restored-from-backup
        # annotation, HostedClusterRestoredFromBackup is False until the recovery checks pass
        # (here: the control plane is Available), then True.
        if RESTORED_ANNOTATION in (new["metadata"].get("annotations") or {}):
            if condition(new, "Available") == "True":
                put_condition(new, "HostedClusterRestoredFromBackup", "True", "RecoveryFinished",
                              "Hosted cluster recovery finished")
            else:
                put_condition(new, "HostedClusterRestoredFromBackup", "False", "RecoveryFinished",
                              "Hosted cluster recovery not finished yet")
        put_condition(new, "ReconciliationActive", *reconciliation_active((new.get("spec") or {}).get("pausedUntil"),
                                                                           new["metadata"].get("generation", 1)))
        if new.get("status") != hcp.get("status"):
            return self.update(self.hcp_t, new, status=True)
        return hcp

    def ensure_secret(self, hcp, name, data):
        """A PKI secret owned by the HCP (reconcilePKI): created when missing, with new key
        material, so a missing root CA comes back as a different CA (§2); an existing one only
        gets its ownerReference."""
        ns = hcp["metadata"]["namespace"]
        cur = self.get(self.secret_t, ns, name)
        if cur is None:
            obj = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                   "metadata": {"name": name, "namespace": ns, "ownerReferences": [owner_ref(hcp)]},
                   "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}
            try:
                self.create(self.secret_t, obj)
            except apisim.ApiError as e:
                if e.code != 409:
                    raise
            return
        if set_owner(cur, hcp):
            self.update(self.secret_t, cur)

    def reconcile_pki(self, hcp):
        serial = secrets.token_hex(16)
        self.ensure_secret(hcp, "root-ca", {
            "ca.crt": "-----BEGIN CERTIFICATE-----\nsandbox root-ca %s\n-----END CERTIFICATE-----\n" % serial,
            "ca.key": "-----BEGIN PRIVATE KEY-----\nsandbox %s\n-----END PRIVATE KEY-----\n" % serial})
        self.ensure_secret(hcp, "sa-signing-key", {
            "service-account.key": "sandbox-sa-key-" + serial, "service-account.pub": "sandbox-sa-pub-" + serial})
        self.ensure_secret(hcp, "admin-kubeconfig", {"kubeconfig": "sandbox kubeconfig for %s" % hcp["metadata"]["name"]})

    def reconcile_workloads(self, hcp):
        """reconcileCPOV2: create-or-update each component; replicas come from the HCP's
        availability policy, so a `scale --replicas=0` done while the HCP is not paused is undone."""
        ha = self.ha(hcp)
        for name, ha_replicas in DEPLOYMENTS.items():
            self.ensure_workload(hcp, self.deploy_t, name, ha_replicas if ha else 1)
        self.ensure_workload(hcp, self.sts_t, "etcd", 3 if ha else 1)

    def ensure_workload(self, hcp, t, name, replicas):
        ns = hcp["metadata"]["namespace"]
        cur = self.get(t, ns, name)
        if cur is None:
            labels = {"app": name, "hypershift.openshift.io/control-plane-component": name}
            spec = {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                    "template": {"metadata": {"labels": labels},
                                 "spec": {"containers": [{"name": name, "image": "quay.io/openshift/" + name}]}}}
            if t is self.sts_t:
                spec["serviceName"] = "etcd-discovery"
                spec["template"]["spec"]["containers"][0]["env"] = [{"name": "ETCDCTL_API", "value": "3"}]
                url = self.etcd_url(hcp)
                # v2/etcd/statefulset.go: the etcd-init container while not yet restored
                if url and condition(hcp, "EtcdSnapshotRestored") != "True":
                    spec["template"]["spec"]["initContainers"] = [
                        {"name": "etcd-init", "image": "etcd", "command": ["/bin/sh", "-ce", "etcd-init.sh"],
                         "env": [{"name": "RESTORE_URL_ETCD", "value": url}]}]
                spec["template"]["metadata"]["annotations"] = {"apisim.ferry.dev/rooted-paths": "/var/lib/data,/etc/etcd/tls"}
            obj = {"apiVersion": "apps/v1", "kind": "StatefulSet" if t is self.sts_t else "Deployment",
                   "metadata": {"name": name, "namespace": ns, "labels": {"app": name},
                                "ownerReferences": [owner_ref(hcp)]}, "spec": spec}
            try:
                self.create(t, obj)
            except apisim.ApiError as e:
                if e.code != 409:
                    raise
            return
        changed = set_owner(cur, hcp)
        if (cur.get("spec") or {}).get("replicas") != replicas:
            cur["spec"]["replicas"] = replicas
            changed = True
        if changed:
            self.update(t, cur)

    # ---- AWSEndpointService (awsprivatelink_controller.go AWSEndpointServiceReconciler.Reconcile)
    def reconcile_aes(self, ns, name):
        """Reconcile, in its order: on deletion, if the finalizer is still there, `delete` (the VPC
        endpoint status.endpointID, its security group status.securityGroupID, the CNAME records
        status.dnsNames in the private zone status.dnsZoneID), then drop the finalizer; otherwise
        ensure the finalizer (put back if removed), before the HCP's pause check. Creating the
        endpoint, the security group and the records is not modelled (the fixture holds them)."""
        if not deployment_running(self.c, ns, "control-plane-operator"):
            return      # §3: with the CPO scaled to 0 nobody removes its finalizer
        aes = self.get(self.aes_t, ns, name)
        if aes is None:
            return
        fins = aes["metadata"].get("finalizers") or []
        if aes["metadata"].get("deletionTimestamp"):
            if AES_FINALIZER not in fins:
                return  # "If we previously removed our finalizer, don't delete again"
            if self.shared is not None:
                st = aes.get("status") or {}
                cloud = Cloud(self.shared, self.c.name, self.name)
                why = "AWSEndpointService %s/%s deleted" % (ns, name)
                if st.get("endpointID"):
                    cloud.delete("vpc_endpoint", st["endpointID"], reason=why)         # DeleteVpcEndpoints
                if st.get("securityGroupID"):
                    cloud.delete("security_group", st["securityGroupID"], reason=why)  # deleteSecurityGroup
                for fqdn in st.get("dnsNames") or []:
                    if fqdn and st.get("dnsZoneID"):
                        cloud.delete("dns_record", "%s/%s" % (st["dnsZoneID"], fqdn), reason=why)  # DeleteRecord
            aes["metadata"]["finalizers"] = [f for f in fins if f != AES_FINALIZER]
            self.update(self.aes_t, aes)
            return
        if AES_FINALIZER not in fins:
            aes["metadata"]["finalizers"] = fins + [AES_FINALIZER]
            self.update(self.aes_t, aes)

    # ---- the etcd pods: init container (restore) and etcd, the kubelet's part
    def run_etcd_pods(self, ns, hcp):
        def failed(p):
            return any(((s.get("lastState") or {}).get("terminated") or {}).get("exitCode", 0) != 0
                       for s in (p.get("status") or {}).get("initContainerStatuses") or [])
        pods = [p for p in self.etcd_pods(ns)
                if ENDPOINT_ANNOTATION not in (p["metadata"].get("annotations") or {}) and not failed(p)]
        if not pods:
            return
        mgr = self.c.sandbox.get("etcd")
        if mgr is None:
            if ns not in self.etcd:
                self.etcd[ns] = {"endpoints": [], "error": "no etcd manager (start apisim with --etcd)"}
                self.log("%s: etcd pods without an etcd: start apisim with --etcd" % ns)
            return
        state = self.etcd.get(ns)
        ns_uid = self.namespace_uid(ns)
        if state is not None and state.get("ns_uid") != ns_uid:
            # the namespace was deleted and made again: the etcd PVCs and their data went with it
            mgr.stop_under(os.path.join(mgr.dir, "cpo-" + ns))
            state = None
        if state is None or (not state.get("endpoints") and not state.get("error")):
            state = dict(self.start_etcd(mgr, ns, hcp), ns_uid=ns_uid)
            self.etcd[ns] = state
        url = state.get("restored_from")
        for p in pods:
            tail = p["metadata"]["name"].rsplit("-", 1)[-1]
            i = int(tail) if tail.isdigit() else 0
            if state.get("error"):
                # etcd-init.sh exits 1: the pod stays in Init:Error (then CrashLoopBackOff)
                p.setdefault("status", {}).update({
                    "phase": "Pending",
                    "initContainerStatuses": [{"name": "etcd-init", "ready": False, "restartCount": 1,
                                               "image": "etcd", "imageID": "",
                                               "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                               "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                                                                            "message": state["error"]}}}],
                    "containerStatuses": [{"name": c.get("name", "etcd"), "ready": False, "restartCount": 0,
                                           "image": c.get("image", ""), "imageID": "",
                                           "state": {"waiting": {"reason": "PodInitializing"}}}
                                          for c in (p.get("spec") or {}).get("containers") or []],
                    "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady",
                                    "lastTransitionTime": apisim.now_rfc3339()}]})
                self.update(self.pod_t, p, status=True)
                continue
            port = state["ports"][i % len(state["ports"])]
            mgr.back_pod(p, os.path.join(self.c.state_dir, "pods", ns, p["metadata"]["name"]), port)
            if url:
                p["metadata"]["annotations"]["apisim.ferry.dev/etcd-restored-from"] = url
            stored = self.update(self.pod_t, p)
            if stored is None:
                continue
            st = stored.setdefault("status", {})
            if st.get("initContainerStatuses") or url:
                now = apisim.now_rfc3339()
                st["initContainerStatuses"] = [
                    {"name": "etcd-init", "ready": True, "restartCount": 0, "image": "etcd", "imageID": "",
                     "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]
                st["phase"] = "Running"
                st["conditions"] = [{"type": t, "status": "True", "lastTransitionTime": now}
                                    for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")]
                st["containerStatuses"] = [{"name": c.get("name", "etcd"), "ready": True, "started": True,
                                            "restartCount": 0, "image": c.get("image", ""), "imageID": "",
                                            "state": {"running": {"startedAt": now}}}
                                           for c in (stored.get("spec") or {}).get("containers") or []]
                self.update(self.pod_t, stored, status=True)

    def download(self, url, path):
        """etcd-init.sh: `curl -o /tmp/snapshot "$RESTORE_URL"`, then exit 1 on an XML body (what S3
        answers for an expired or missing object, with curl succeeding)."""
        if not url.startswith("https://") and not url.startswith("http://"):
            raise RuntimeError("curl: (1) Protocol \"%s\" not supported" % url.split(":", 1)[0])
        ctx = ssl.create_default_context(cafile=self.c.sandbox.get("ca_bundle")) if url.startswith("https:") else None
        try:
            with urllib.request.urlopen(url, context=ctx, timeout=60) as r, open(path, "wb") as f:
                shutil.copyfileobj(r, f, 1 << 20)
        except urllib.error.HTTPError as e:
            body = e.read()
            with open(path, "wb") as f:
                f.write(body)
        except (urllib.error.URLError, OSError) as e:
            raise RuntimeError("curl: %s" % getattr(e, "reason", e))
        with open(path, "rb") as f:
            head = f.read(5)
        if head == b"<?xml":
            with open(path, "rb") as f:
                raise RuntimeError(f.read(2000).decode("utf-8", "replace").strip())

    def start_etcd(self, mgr, ns, hcp):
        """Starts this namespace's etcd members: from restoreSnapshotURL when the data dir is empty
        (etcd-init.sh), else from what is there (or empty)."""
        url = self.etcd_url(hcp)
        n = 3 if self.ha(hcp) else 1
        root = os.path.join(mgr.dir, "cpo-" + ns)
        os.makedirs(root, exist_ok=True)
        datas = [os.path.join(root, "data-%d" % i) for i in range(n)]
        empty = not any(os.path.isdir(d) and os.listdir(d) for d in datas)
        snap = None
        if url and empty:
            snap = os.path.join(root, "snapshot.db")
            try:
                self.download(url, snap)
            except RuntimeError as e:
                self.log("%s: etcd-init: %s" % (ns, e))
                return {"endpoints": [], "ports": [], "error": str(e), "restored_from": url}
        names = ["etcd-%d" % i for i in range(n)]
        if self.pre_9048 or n == 1:
            ports = []
            for i in range(n):
                port, err = mgr.start("%s-%s" % (ns, names[i]), datas[i], restored_from=snap)
                if err:
                    return {"endpoints": [], "ports": [], "error": err, "restored_from": url}
                ports.append(port)
        else:
            ports, err = start_cluster(mgr, ns, names, datas, snap)
            if err:
                return {"endpoints": [], "ports": [], "error": err, "restored_from": url}
        return {"endpoints": ["https://localhost:%d" % p for p in ports], "ports": ports, "error": None,
                "restored_from": url if snap else None}

    # ---- hosted-api.json
    def live_kas(self, ns):
        return [p for p in self.list(self.pod_t, ns, {"app": "kube-apiserver"})
                if not p["metadata"].get("deletionTimestamp")]

    def pod_stopped(self, pod):
        """A kube-apiserver pod deleted by a controller model (base.delete, the workloads' scale
        down): its process is gone before its object is (the kubelet deletes a pod's object, with
        grace 0, only once its containers have stopped: kubernetes pkg/kubelet/status/
        status_manager.go syncPod, canBeDeleted), so with no other left the hosted cluster's
        API is no longer served from here at once, not this operator's latency later (a client's
        write accepted after `get pods` shows none would be missing from a snapshot taken then)."""
        md = pod["metadata"]
        ns = md.get("namespace", "")
        if self.shared is None or (md.get("labels") or {}).get("app") != "kube-apiserver" or ns not in self.hc_keys:
            return
        with self.shared.locked(HOSTED_API) as data:
            if self.live_kas(ns):
                return
            servers = servers_of(data, self.hc_keys[ns])
            cur = servers.get(self.c.name)
            if cur is not None and cur.get("namespace", ns) == ns:
                del servers[self.c.name]

    def sync_hosted_api(self, ns, name, hcp):
        if self.shared is None:
            return
        mgr = self.c.sandbox.get("etcd")
        endpoint, restored = None, None
        for p in sorted(self.etcd_pods(ns), key=lambda p: p["metadata"]["name"]):
            ann = p["metadata"].get("annotations") or {}
            if ann.get(ENDPOINT_ANNOTATION) and port_open(ann[ENDPOINT_ANNOTATION]):
                endpoint = ann[ENDPOINT_ANNOTATION]
                restored = ann.get("apisim.ferry.dev/etcd-restored-from")
                break
        # the hosted cluster's key: the HCP's annotation (kept for when the HCP is gone), else
        # what the namespace's name says (NAMESPACE-NAME)
        hc = ((hcp or {}).get("metadata", {}).get("annotations") or {}).get(HC_ANNOTATION) or self.hc_keys.get(ns)
        if not hc:
            hc = "%s/%s" % (ns[:-len(name) - 1], name) if ns.endswith("-" + name) else name
        self.hc_keys[ns] = hc
        with self.shared.locked(HOSTED_API) as data:
            # read under the file's lock, so that pod_stopped (another thread) cannot remove the
            # entry between this read and a write of the entry back
            kas = self.live_kas(ns)
            servers = servers_of(data, hc)
            cur = servers.get(self.c.name)
            if kas and endpoint and mgr is not None:
                want = {"etcd": {"endpoint": endpoint, "ca": os.path.join(mgr.tls, "ca.crt"),
                                 "cert": os.path.join(mgr.tls, "client.crt"), "key": os.path.join(mgr.tls, "client.key")},
                        "restored_from": restored, "hosted_cluster": hc, "namespace": ns}
                # the name kubelets dial: the APIServer Route's fixed hostname, if published so
                for svc in ((hcp or {}).get("spec") or {}).get("services") or []:
                    host = (((svc.get("servicePublishingStrategy") or {}).get("route") or {}).get("hostname"))
                    if svc.get("service") == "APIServer" and host:
                        want["hostname"] = host
                if cur is None or {k: v for k, v in cur.items() if k != "since"} != want:
                    want["since"] = cur["since"] if cur and cur.get("etcd") == want["etcd"] else round(time.time(), 3)
                    servers[self.c.name] = want
            elif cur is not None and cur.get("namespace", ns) == ns:
                del servers[self.c.name]


def start_cluster(mgr, ns, names, datas, snapshot):
    """A real multi-member etcd on this machine: every member restored from the same snapshot with
    the full --initial-cluster (what a correct restore does), or started empty. Returns (client
    ports, error)."""
    ports = simetcd.free_ports(2 * len(names))
    peers, clients = ports[:len(names)], ports[len(names):]
    member = ["%s-%s" % (ns, n) for n in names]
    initial = ",".join("%s=http://127.0.0.1:%d" % (m, p) for m, p in zip(member, peers))
    env = dict(os.environ, ETCDCTL_API="3")
    t = mgr.tls
    procs = []
    for m, d, peer, client in zip(member, datas, peers, clients):
        peer_url = "http://127.0.0.1:%d" % peer
        if snapshot:
            shutil.rmtree(d, ignore_errors=True)
            r = subprocess.run([simetcd.ETCDCTL, "snapshot", "restore", snapshot, "--data-dir", d, "--name", m,
                                "--initial-cluster", initial, "--initial-advertise-peer-urls", peer_url],
                               env=env, capture_output=True, text=True)
            if r.returncode != 0:
                lines = [ln for ln in (r.stderr or r.stdout).splitlines() if ln.strip()]
                return None, "etcdctl snapshot restore: " + (lines[-1] if lines else "exit %d" % r.returncode)
        log = open(os.path.join(mgr.dir, m + ".log"), "ab")
        procs.append(subprocess.Popen(
            [simetcd.ETCD, "--name", m, "--data-dir", d,
             "--listen-client-urls", "https://127.0.0.1:%d" % client,
             "--advertise-client-urls", "https://127.0.0.1:%d" % client,
             "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
             "--initial-cluster", initial, "--initial-cluster-state", "new",
             "--cert-file", os.path.join(t, "server.crt"), "--key-file", os.path.join(t, "server.key"),
             "--trusted-ca-file", os.path.join(t, "ca.crt"), "--client-cert-auth"],
            stdout=log, stderr=log, start_new_session=True))
        log.close()
    with mgr.lock:
        mgr.procs.extend(procs)
    deadline = time.time() + 30
    while time.time() < deadline:
        dead = [p for p in procs if p.poll() is not None]
        if dead:
            return None, "etcd exited with %d" % dead[0].returncode
        if all(subprocess.run([simetcd.ETCDCTL] + mgr.client_args(c) + ["endpoint", "health"], env=env,
                              capture_output=True).returncode == 0 for c in clients):
            return clients, None
        time.sleep(0.2)
    return None, "etcd cluster %s did not become healthy" % ns


CONTROLLERS = [ControlPlaneOperator]
