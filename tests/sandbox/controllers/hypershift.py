"""The HyperShift operator (HO): the HostedCluster controller and the NodePool controller.

Follows openshift/hypershift @ 3ee96155 (../shared/reference/controllers.md):
`HC` = hypershift-operator/controllers/hostedcluster/hostedcluster_controller.go,
`NP` = hypershift-operator/controllers/nodepool/nodepool_controller.go, `NPC` = .../nodepool/capi.go.
It runs while Deployment `operator` in namespace `hypershift` has pods (plans never scale it).

`HostedClusterReconciler.reconcile`, in its order:
 1. deletion first (phase 2, `delete`): unpause and delete the CAPI Cluster, delete the NodePools,
    propagate `cleanup-cloud-resources` to the HCP, wait for the Cluster, drop the component
    finalizer from the CAPI Deployments (`reconcileCAPIFinalizers(remove)`), delete the
    AWSEndpointServices and the HostedControlPlane and wait, delete the OIDC documents
    (`cleanupOIDCBucketData`), delete the control-plane namespace and wait, drop the finalizer;
 2. status (phase 4): the fixed list of HCP conditions copied (`hcpConditions`: not
    EtcdSnapshotRestored), `Available` from the HCP's (`computeHostedClusterAvailability`),
    ValidHostedClusterConfiguration (`validateUserCAConfigMaps`), ReconciliationActive;
    persisted with one status update. The model returns after a status write that changed
    something and goes on at its next reconcile: the real reconcile continues in the same pass,
    after three more API round trips, so ReconciliationActive=False is visible before the HCP is
    paused either way; here the window is one latency wide;
 3. the finalizer and the component finalizer on the `cluster-api` and `capi-provider`
    Deployments (phase 5, `reconcileCAPIFinalizers`), *then* the pause check: copy the pause to
    the HCP (`pauseHostedControlPlane`) and the CAPI Cluster (`pauseCAPICluster`) and return;
 4. unpaused: the validation gate, the pull secret and namespace (`CPOImageAndNamespace`,
    critical), PullSecretSync and SecretEncryptionSync (critical), RestoredFromBackup and
    GlobalConfigSync (non-critical), the HCP chain (`reconcileCoreHCPChain`: HCP and CAPI
    Cluster create-or-update, a restored Cluster unpaused at once by `reconcileCAPICluster`),
    then, unless a critical step failed, the OIDC documents (`reconcileAWSOIDCDocuments`) and the
    operator Deployments (`reconcileOperatorDeployments`: CPO, cluster-api, capi-provider, their
    replicas reset to 1). Errors end as ReconciliationSucceeded=False with their message
    (`Reconcile`).
"""

import copy
import hashlib

import apisim

from .base import Controller, condition, deployment_running
from .cloud import Cloud
from .cpo import paused, put_condition, reconciliation_active, owner_ref, set_owner

HC_FINALIZER = "hypershift.openshift.io/finalizer"              # HC HostedClusterFinalizer
COMPONENT_FINALIZER = "hypershift.openshift.io/component-finalizer"  # HC ControlPlaneComponentFinalizer
OIDC_FINALIZER = "hypershift.io/aws-oidc-discovery"             # HC oidcDocumentsFinalizer
AES_FINALIZER = "hypershift.openshift.io/hypershift-operator-finalizer"  # platform/aws/controller.go `finalizer`
NP_FINALIZER = "hypershift.openshift.io/finalizer"              # NP finalizer
CAPI_COMPONENTS = ("cluster-api", "capi-provider")              # HC CAPIComponents
CLEANUP_ANNOTATION = "hypershift.openshift.io/cleanup-cloud-resources"
RESTORED_ANNOTATION = "hypershift.openshift.io/restored-from-backup"
HC_ANNOTATION = "hypershift.openshift.io/cluster"
PAUSED_ANNOTATION = "cluster.x-k8s.io/paused"                   # capiv1.PausedAnnotation
NP_ANNOTATION = "hypershift.openshift.io/nodePool"              # NP nodePoolAnnotation
IGNITION_REACHED = "hypershift.openshift.io/ignition-reached"   # token.go TokenSecretIgnitionReachedAnnotation
# HC reconcile, "Copy conditions from hostedcontrolplane": hcpConditions
HCP_CONDITIONS = ("EtcdAvailable", "KubeAPIServerAvailable", "InfrastructureReady", "ExternalDNSReachable",
                  "ValidHostedControlPlaneConfiguration", "ValidReleaseInfo", "ValidIDPConfiguration",
                  "HostedClusterRestoredFromBackup", "DataPlaneConnectionAvailable",
                  "ControlPlaneConnectionAvailable", "EtcdBackupSucceeded", "ConfigOperatorReconciliationSucceeded")
# HC mirroredAnnotations (reconcileHostedControlPlaneAnnotations), the ones a migration meets
MIRRORED = (CLEANUP_ANNOTATION, RESTORED_ANNOTATION)
# oidcDocumentGenerators: the two documents under <infraID>
OIDC_PATHS = ("/.well-known/openid-configuration", "/openid/v1/jwks")


class Blocked(Exception):
    pass


class HyperShiftOperator(Controller):
    name = "hypershift"
    watches = (("hypershift.openshift.io", "hostedclusters"), ("hypershift.openshift.io", "nodepools"),
               ("hypershift.openshift.io", "hostedcontrolplanes"), ("cluster.x-k8s.io", "clusters"),
               ("apps", "deployments"), ("", "secrets"), ("", "configmaps"), ("", "namespaces"),
               ("cluster.x-k8s.io", "machinedeployments"), ("cluster.x-k8s.io", "machinesets"),
               ("hypershift.openshift.io", "awsendpointservices"))
    default_latency = 1.0
    resync = 3.0

    def __init__(self, cluster, stopping, latency=None, shared=None):
        super().__init__(cluster, stopping, latency, shared)
        T = cluster.type_for
        self.hc_t = T("hypershift.openshift.io", "hostedclusters")
        self.np_t = T("hypershift.openshift.io", "nodepools")
        self.hcp_t = T("hypershift.openshift.io", "hostedcontrolplanes")
        self.aes_t = T("hypershift.openshift.io", "awsendpointservices")
        self.cl_t = T("cluster.x-k8s.io", "clusters")
        self.md_t = T("cluster.x-k8s.io", "machinedeployments")
        self.ms_t = T("cluster.x-k8s.io", "machinesets")
        self.machine_t = T("cluster.x-k8s.io", "machines")
        self.awscl_t = T("infrastructure.cluster.x-k8s.io", "awsclusters")
        self.deploy_t = T("apps", "deployments")
        self.secret_t = T("", "secrets")
        self.cm_t = T("", "configmaps")
        self.ns_t = T("", "namespaces")

    def active(self, t, ns, name):
        return deployment_running(self.c, "hypershift", "operator")

    # ---- events: which HostedCluster / NodePool an object concerns
    def keys_for(self, t, obj):
        md = obj["metadata"]
        ns = md.get("namespace", "")
        if t is self.hc_t:
            keys = [(t, ns, md["name"])]
            # NP enqueueNodePoolsForHostedCluster
            keys += [(self.np_t, ons, n) for (ons, n), np in self.c.objects[self.np_t.key].items()
                     if ons == ns and (np.get("spec") or {}).get("clusterName") == md["name"]]
            return keys
        if t is self.np_t:
            return [(t, ns, md["name"])]
        if t is self.aes_t:
            return [(t, ns, md["name"])]
        if self.hc_t is None:
            return []
        if t is self.ns_t:
            ns = md["name"]
        hcs = []
        for (hns, hname) in self.c.objects[self.hc_t.key]:
            if ns == "%s-%s" % (hns, hname) or ns == hns:
                hcs.append((self.hc_t, hns, hname))
        if t in (self.md_t, self.ms_t):
            pool = (md.get("annotations") or {}).get(NP_ANNOTATION, "")
            if "/" in pool:
                hcs.append((self.np_t,) + tuple(pool.split("/", 1)))
        return hcs

    def reconcile(self, t, ns, name):
        if t is self.np_t:
            return self.reconcile_nodepool(ns, name)
        if t is self.aes_t:
            return self.reconcile_aes(ns, name)
        hc = self.get(self.hc_t, ns, name)
        if hc is None:
            return
        self.reconcile_hc(hc)

    # ---- HostedCluster
    def cp_ns(self, hc):
        return "%s-%s" % (hc["metadata"]["namespace"], hc["metadata"]["name"])

    def reconcile_hc(self, hc):
        md = hc["metadata"]
        cp = self.cp_ns(hc)
        hcp = self.get(self.hcp_t, cp, md["name"])
        # HC reconcile phase 2: deletion before everything, the pause check included (§3)
        if md.get("deletionTimestamp"):
            return self.delete_path(hc)
        # phase 4: status, whatever the pause
        new = copy.deepcopy(hc)
        for ctype in HCP_CONDITIONS:
            cur = next((c for c in ((hcp or {}).get("status") or {}).get("conditions") or [] if c.get("type") == ctype), None)
            if cur is not None:
                put_condition(new, ctype, cur["status"], cur.get("reason") or "AsExpected", cur.get("message", ""))
            else:
                put_condition(new, ctype, "Unknown", "StatusUnknown",
                              "Condition not found in the HCP" if hcp else "The hosted control plane is not found")
        # computeHostedClusterAvailability
        avail = next((c for c in ((hcp or {}).get("status") or {}).get("conditions") or [] if c.get("type") == "Available"), None)
        if avail is None:
            put_condition(new, "Available", "False", "WaitingForAvailable", "Waiting for hosted control plane to be healthy")
        elif avail["status"] == "True":
            put_condition(new, "Available", "True", "AsExpected", "The hosted control plane is available")
        else:
            put_condition(new, "Available", avail["status"], avail.get("reason") or "WaitingForAvailable", avail.get("message", ""))
        # ValidHostedClusterConfiguration: validateConfigAndClusterCapabilities -> validateUserCAConfigMaps
        errs = []
        spec = hc.get("spec") or {}
        bundles = [((spec.get("additionalTrustBundle") or {}).get("name"))]
        bundles.append(((((spec.get("configuration") or {}).get("proxy") or {}).get("trustedCA")) or {}).get("name"))
        for b in [b for b in bundles if b]:
            if self.get(self.cm_t, md["namespace"], b) is None:
                errs.append('failed to get configMap %s: configmaps "%s" not found' % (b, b))
        if errs:
            put_condition(new, "ValidHostedClusterConfiguration", "False", "InvalidConfiguration", ", ".join(errs))
        else:
            put_condition(new, "ValidHostedClusterConfiguration", "True", "AsExpected", "Configuration passes validation")
        put_condition(new, "ReconciliationActive", *reconciliation_active(spec.get("pausedUntil"), md.get("generation", 1)))
        if hcp is not None and (hcp.get("status") or {}).get("kubeConfig"):
            new["status"]["kubeconfig"] = {"name": md["name"] + "-admin-kubeconfig"}
        if new.get("status") != hc.get("status"):
            self.update(self.hc_t, new, status=True)
            return      # the next reconcile (this write's event) goes on: see the module docstring
        # phase 5: the finalizer, the CAPI Deployments' finalizer, then the pause
        if HC_FINALIZER not in (md.get("finalizers") or []):
            md.setdefault("finalizers", []).append(HC_FINALIZER)
            hc = self.update(self.hc_t, hc)
            if hc is None:
                return
            md = hc["metadata"]
        self.capi_finalizers(hc, remove=False)
        if paused(spec.get("pausedUntil")):
            # pauseHostedControlPlane: the HCP gets the same pausedUntil value
            if hcp is not None and (hcp.get("spec") or {}).get("pausedUntil") != spec.get("pausedUntil"):
                hcp["spec"]["pausedUntil"] = spec.get("pausedUntil")
                self.update(self.hcp_t, hcp)
            self.pause_capi_cluster(hc, True)
            return
        self.reconcile_unpaused(hc, hcp)

    def reconcile_unpaused(self, hc, hcp):
        md = hc["metadata"]
        spec = hc.get("spec") or {}
        cp = self.cp_ns(hc)
        # "Block here if the cluster configuration does not pass validation"
        if condition(hc, "ValidHostedClusterConfiguration") == "False":
            msg = next(c["message"] for c in hc["status"]["conditions"] if c["type"] == "ValidHostedClusterConfiguration")
            return self.succeeded(hc, ["configuration is invalid: %s" % msg])
        errs, critical = [], False
        # CPOImageAndNamespace (critical): the pull secret, then the control-plane namespace
        pull = (spec.get("pullSecret") or {}).get("name", "")
        pull_secret = self.get(self.secret_t, md["namespace"], pull)
        if pull_secret is None:
            errs.append('failed to get pull secret: failed to get pull secret %s: secrets "%s" not found' % (pull, pull))
            critical = True
        else:
            self.ensure_namespace(cp)
            # PullSecretSync (critical): copied to `pull-secret` in the control-plane namespace
            self.sync_secret(hc, pull_secret, cp, "pull-secret")
        # SecretEncryptionSync (critical)
        key = (((spec.get("secretEncryption") or {}).get("aescbc") or {}).get("activeKey") or {}).get("name")
        if key and self.get(self.secret_t, md["namespace"], key) is None:
            errs.append('failed to get active aescbc secret %s: secrets "%s" not found' % (key, key))
            critical = True
        # RestoredFromBackup (non-critical): reconcileRestoredFromBackupWithStatus
        hc = self.restored_from_backup(hc, hcp) or hc
        # GlobalConfigSync (non-critical): the Secrets/ConfigMaps spec.configuration names
        for kind, ref in self.config_refs(spec):
            t = self.secret_t if kind == "secret" else self.cm_t
            if self.get(t, md["namespace"], ref) is None:
                errs.append('failed to get referenced %s %s/%s: %ss "%s" not found'
                            % ("secret" if kind == "secret" else "configmap", md["namespace"], ref,
                               kind if kind == "secret" else "configmap", ref))
        # CoreHCPChain (critical, runs whatever failed before)
        try:
            hcp = self.reconcile_hcp(hc, hcp)
            self.reconcile_capi_cluster(hc, hcp)
        except apisim.ApiError as e:
            errs.append("failed to reconcile hostedcontrolplane: %s" % e.message)
            critical = True
        if not critical and hcp is not None:
            # PlatformOIDCAndCSI (executeOrBlock): the OIDC documents
            try:
                self.oidc_documents(hc, hcp)
            except Blocked as e:
                errs.append(str(e))
            # OperatorDeployments (executeOrBlock)
            for name in ("control-plane-operator",) + CAPI_COMPONENTS:
                self.operator_deployment(hcp, name)
        self.succeeded(self.get(self.hc_t, md["namespace"], md["name"]) or hc, errs)

    def succeeded(self, hc, errs):
        """Reconcile: ReconciliationSucceeded from the reconcile's error."""
        if errs:
            self.set_condition(self.hc_t, hc, "ReconciliationSucceeded", "False", "ReconciliationError", "; ".join(errs))
        else:
            self.set_condition(self.hc_t, hc, "ReconciliationSucceeded", "True", "ReconciliatonSucceeded",
                               "Reconciliation completed successfully")

    def config_refs(self, spec):
        """What reconcileGlobalConfigSync syncs: the IdP secrets and CA ConfigMaps of spec.configuration."""
        conf = spec.get("configuration") or {}
        out = []
        for idp in (conf.get("oauth") or {}).get("identityProviders") or []:
            for v in idp.values():
                if isinstance(v, dict):
                    if (v.get("clientSecret") or {}).get("name"):
                        out.append(("secret", v["clientSecret"]["name"]))
                    if (v.get("ca") or {}).get("name"):
                        out.append(("configmap", v["ca"]["name"]))
        return out

    def ensure_namespace(self, name):
        """reconcileControlPlaneNamespace (createOrUpdate)."""
        cur = self.get(self.ns_t, "", name)
        if cur is None:
            self.create(self.ns_t, {"apiVersion": "v1", "kind": "Namespace",
                                    "metadata": {"name": name, "labels": {"hypershift.openshift.io/hosted-control-plane": "true"}}})

    def sync_secret(self, hc, src, ns, name):
        if self.get(self.ns_t, "", ns) is None:
            return
        cur = self.get(self.secret_t, ns, name)
        if cur is None:
            try:
                self.create(self.secret_t, {"apiVersion": "v1", "kind": "Secret", "type": src.get("type", "Opaque"),
                                            "metadata": {"name": name, "namespace": ns}, "data": src.get("data") or {}})
            except apisim.ApiError as e:
                if e.code not in (403, 409):
                    raise
        elif cur.get("data") != src.get("data"):
            cur["data"] = src.get("data") or {}
            self.update(self.secret_t, cur)

    def restored_from_backup(self, hc, hcp):
        """reconcileRestoredFromBackupWithStatus: the HCP's condition (set by the HCCO, cpo.py) on
        the HC; once True the annotation goes."""
        if RESTORED_ANNOTATION not in (hc["metadata"].get("annotations") or {}):
            return None
        cur = next((c for c in ((hcp or {}).get("status") or {}).get("conditions") or []
                    if c.get("type") == "HostedClusterRestoredFromBackup"), None)
        status = cur["status"] if cur else "Unknown"
        old = condition(hc, "HostedClusterRestoredFromBackup")
        if old is not None and status == "Unknown":
            status = old
        if status == "True":
            del hc["metadata"]["annotations"][RESTORED_ANNOTATION]
            hc = self.update(self.hc_t, hc)
            if hc is None:
                return None
        return self.set_condition(self.hc_t, hc, "HostedClusterRestoredFromBackup", status, "RecoveryFinished",
                                  (cur or {}).get("message", ""))

    def hcp_spec(self, hc):
        """reconcileHostedControlPlane: the HCP spec from the HC (the fields the sandbox uses)."""
        spec = hc.get("spec") or {}
        out = {"infraID": spec.get("infraID"), "clusterID": spec.get("clusterID"),
               "releaseImage": (spec.get("release") or {}).get("image"),
               "pullSecret": {"name": "pull-secret"}, "sshKey": {"name": "ssh-key"},
               "issuerURL": spec.get("issuerURL"), "services": spec.get("services"),
               "networking": spec.get("networking"), "etcd": spec.get("etcd"), "platform": spec.get("platform"),
               "dns": spec.get("dns"),
               "controllerAvailabilityPolicy": spec.get("controllerAvailabilityPolicy", "SingleReplica"),
               "infrastructureAvailabilityPolicy": spec.get("infrastructureAvailabilityPolicy", "SingleReplica")}
        if spec.get("pausedUntil") is not None:
            out["pausedUntil"] = spec["pausedUntil"]
        return {k: copy.deepcopy(v) for k, v in out.items() if v is not None}

    def reconcile_hcp(self, hc, hcp):
        """createOrUpdate of the HostedControlPlane: spec and mirrored annotations overwritten."""
        md = hc["metadata"]
        cp = self.cp_ns(hc)
        if self.get(self.ns_t, "", cp) is None:
            raise apisim.ApiError(404, "NotFound", 'namespaces "%s" not found' % cp)
        ann = {HC_ANNOTATION: "%s/%s" % (md["namespace"], md["name"])}
        ann.update({k: v for k, v in (md.get("annotations") or {}).items() if k in MIRRORED})
        if hcp is None:
            obj = {"apiVersion": "hypershift.openshift.io/v1beta1", "kind": "HostedControlPlane",
                   "metadata": {"name": md["name"], "namespace": cp, "annotations": ann,
                                "labels": {"cluster.x-k8s.io/cluster-name": (hc.get("spec") or {}).get("infraID", "")}},
                   "spec": self.hcp_spec(hc)}
            return self.create(self.hcp_t, obj)
        new = copy.deepcopy(hcp)
        a = new["metadata"].setdefault("annotations", {})
        for k in MIRRORED:
            a.pop(k, None)
        a.update(ann)
        new["spec"].update(self.hcp_spec(hc))
        if "pausedUntil" not in self.hcp_spec(hc):
            new["spec"].pop("pausedUntil", None)
        if new != hcp:
            return self.update(self.hcp_t, new) or hcp
        return hcp

    def reconcile_capi_cluster(self, hc, hcp):
        """reconcileCoreHCPChain: the infra CR (AWSCluster) and the CAPI Cluster; an existing Cluster
        is only unpaused (reconcileCAPICluster: "make sure cluster is not paused")."""
        if self.cl_t is None or hcp is None:
            return
        spec = hc.get("spec") or {}
        infra = spec.get("infraID")
        cp = self.cp_ns(hc)
        if not infra:
            return
        if self.awscl_t is not None and self.get(self.awscl_t, cp, infra) is None:
            self.create(self.awscl_t, {"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2", "kind": "AWSCluster",
                                       "metadata": {"name": infra, "namespace": cp,
                                                    "annotations": {HC_ANNOTATION: "%s/%s" % (hc["metadata"]["namespace"],
                                                                                              hc["metadata"]["name"])}},
                                       "spec": {"region": ((spec.get("platform") or {}).get("aws") or {}).get("region", "")}})
        cl = self.get(self.cl_t, cp, infra)
        if cl is None:
            self.create(self.cl_t, {"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster",
                                    "metadata": {"name": infra, "namespace": cp,
                                                 "annotations": {HC_ANNOTATION: "%s/%s" % (hc["metadata"]["namespace"],
                                                                                           hc["metadata"]["name"])}},
                                    "spec": {"controlPlaneRef": {"apiVersion": "hypershift.openshift.io/v1beta1",
                                                                 "kind": "HostedControlPlane", "namespace": cp,
                                                                 "name": hcp["metadata"]["name"]},
                                             "infrastructureRef": {"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2",
                                                                   "kind": "AWSCluster", "namespace": cp, "name": infra}}})
        elif (cl.get("spec") or {}).get("paused"):
            cl["spec"]["paused"] = False
            self.update(self.cl_t, cl)

    def pause_capi_cluster(self, hc, value):
        """pauseCAPICluster."""
        if self.cl_t is None:
            return
        cl = self.get(self.cl_t, self.cp_ns(hc), (hc.get("spec") or {}).get("infraID", ""))
        if cl is not None and bool((cl.get("spec") or {}).get("paused")) != value:
            cl.setdefault("spec", {})["paused"] = value
            self.update(self.cl_t, cl)

    def capi_finalizers(self, hc, remove):
        """reconcileCAPIFinalizers: the component finalizer on the CAPI Deployments."""
        if "hypershift.openshift.io/disable-machine-management" in (hc["metadata"].get("annotations") or {}):
            return
        for name in CAPI_COMPONENTS:
            d = self.get(self.deploy_t, self.cp_ns(hc), name)
            if d is None:
                continue
            fins = d["metadata"].get("finalizers") or []
            if remove and COMPONENT_FINALIZER in fins:
                d["metadata"]["finalizers"] = [f for f in fins if f != COMPONENT_FINALIZER]
                self.update(self.deploy_t, d)
            elif not remove and COMPONENT_FINALIZER not in fins and not d["metadata"].get("deletionTimestamp"):
                d["metadata"]["finalizers"] = fins + [COMPONENT_FINALIZER]
                self.update(self.deploy_t, d)

    def operator_deployment(self, hcp, name):
        """reconcileControlPlaneOperator / reconcileCAPIManager / reconcileCAPIProvider: createOrUpdate,
        replicas 1 (so an unpaused HC's CPO comes back after a scale to 0)."""
        ns = hcp["metadata"]["namespace"]
        d = self.get(self.deploy_t, ns, name)
        if d is None:
            labels = {"app": name, "name": name}
            self.create(self.deploy_t, {
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "namespace": ns, "labels": {"app": name}, "ownerReferences": [owner_ref(hcp)]},
                "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                         "template": {"metadata": {"labels": labels},
                                      "spec": {"containers": [{"name": name, "image": "quay.io/hypershift/" + name}]}}}})
            return
        changed = set_owner(d, hcp)
        if (d.get("spec") or {}).get("replicas") != 1:
            d["spec"]["replicas"] = 1
            changed = True
        if changed:
            self.update(self.deploy_t, d)

    def oidc_documents(self, hc, hcp):
        """reconcileAWSOIDCDocuments: once the HCP has a kubeconfig, upload the discovery document
        and the JWKS under <infraID>/ and keep a finalizer for them; the finalizer's presence
        short-circuits the upload (a restored HC that kept it uploads nothing)."""
        if self.shared is None or not (hcp.get("status") or {}).get("kubeConfig"):
            return
        if OIDC_FINALIZER in (hc["metadata"].get("finalizers") or []):
            return
        sa = self.get(self.secret_t, hcp["metadata"]["namespace"], "sa-signing-key")
        if sa is None:
            raise Blocked('failed to get controlplane service account signing key "%s/sa-signing-key": secrets '
                          '"sa-signing-key" not found' % hcp["metadata"]["namespace"])
        infra = (hc.get("spec") or {}).get("infraID", "")
        cloud = Cloud(self.shared, self.c.name, self.name)
        for path in OIDC_PATHS:
            cloud.create("oidc_document", infra + path, infra, issuer=(hc.get("spec") or {}).get("issuerURL"),
                         sha256=hashlib.sha256(((sa.get("data") or {}).get("service-account.pub") or "").encode()).hexdigest())
        cur = self.get(self.hc_t, hc["metadata"]["namespace"], hc["metadata"]["name"])
        if cur is not None and not cur["metadata"].get("deletionTimestamp"):
            cur["metadata"]["finalizers"] = (cur["metadata"].get("finalizers") or []) + [OIDC_FINALIZER]
            self.update(self.hc_t, cur)

    # ---- HostedCluster deletion (HC `delete`)
    def delete_path(self, hc):
        md = hc["metadata"]
        cp = self.cp_ns(hc)
        infra = (hc.get("spec") or {}).get("infraID", "")
        # "Unpause CAPI cluster to allow deletion to proceed"
        self.pause_capi_cluster(hc, False)
        # the cleanup annotation propagated to the HCP
        hcp = self.get(self.hcp_t, cp, md["name"])
        if (md.get("annotations") or {}).get(CLEANUP_ANNOTATION) == "true" and hcp is not None and \
                (hcp["metadata"].get("annotations") or {}).get(CLEANUP_ANNOTATION) != "true":
            hcp["metadata"].setdefault("annotations", {})[CLEANUP_ANNOTATION] = "true"
            self.update(self.hcp_t, hcp)
        # deleteNodePools
        for np in self.list(self.np_t, md["namespace"]):
            if (np.get("spec") or {}).get("clusterName") == md["name"] and not np["metadata"].get("deletionTimestamp"):
                self.delete(self.np_t, md["namespace"], np["metadata"]["name"])
        # the CAPI Cluster: delete, wait until CAPI has removed it, then the CAPI finalizers go
        if infra and self.cl_t is not None:
            if self.delete(self.cl_t, cp, infra):
                return self.requeue(self.hc_t, md["namespace"], md["name"])
            self.capi_finalizers(hc, remove=True)
        # deleteAWSEndpointServices: delete, wait for the CPO to drop its finalizer
        if self.aes_t is not None:
            left = self.list(self.aes_t, cp)
            for a in left:
                if not a["metadata"].get("deletionTimestamp"):
                    self.delete(self.aes_t, cp, a["metadata"]["name"])
            if left:
                return self.requeue(self.hc_t, md["namespace"], md["name"])
        # the HostedControlPlane: delete and wait (the CPO removes its finalizer)
        if self.delete(self.hcp_t, cp, md["name"]):
            return self.requeue(self.hc_t, md["namespace"], md["name"])
        # cleanupOIDCBucketData
        if OIDC_FINALIZER in (md.get("finalizers") or []):
            if self.shared is not None:
                cloud = Cloud(self.shared, self.c.name, self.name)
                for path in OIDC_PATHS:
                    cloud.delete("oidc_document", infra + path,
                                 reason="HostedCluster %s/%s deleted" % (md["namespace"], md["name"]))
            hc["metadata"]["finalizers"] = [f for f in md["finalizers"] if f != OIDC_FINALIZER]
            hc = self.update(self.hc_t, hc)
            if hc is None:
                return
            md = hc["metadata"]
        # the control-plane namespace: delete and wait
        if (md.get("annotations") or {}).get("hypershift.openshift.io/skip-delete-hosted-controlplane-namespace") != "true":
            if self.delete(self.ns_t, "", cp):
                return self.requeue(self.hc_t, md["namespace"], md["name"])
        # "Now we can remove the finalizer."
        if HC_FINALIZER in (md.get("finalizers") or []):
            hc["metadata"]["finalizers"] = [f for f in md["finalizers"] if f != HC_FINALIZER]
            self.update(self.hc_t, hc)

    # ---- AWSEndpointService (hypershift-operator/controllers/platform/aws/controller.go Reconcile)
    def reconcile_aes(self, ns, name):
        """On deletion, if its finalizer is still there, `delete` the VPC endpoint service
        (DeleteVpcEndpointServiceConfigurations of the ID in status.endpointServiceName), then drop
        the finalizer; otherwise ensure the finalizer, before the HostedCluster's pause check.
        Creating the endpoint service and the subnet IDs are not modelled."""
        aes = self.get(self.aes_t, ns, name)
        if aes is None:
            return
        fins = aes["metadata"].get("finalizers") or []
        if aes["metadata"].get("deletionTimestamp"):
            if AES_FINALIZER not in fins:
                return
            svc = ((aes.get("status") or {}).get("endpointServiceName") or "").split(".")[-1]
            if svc and self.shared is not None:
                Cloud(self.shared, self.c.name, self.name).delete(
                    "vpc_endpoint_service", svc, reason="AWSEndpointService %s/%s deleted" % (ns, name))
            aes["metadata"]["finalizers"] = [f for f in fins if f != AES_FINALIZER]
            self.update(self.aes_t, aes)
            return
        if AES_FINALIZER not in fins:
            aes["metadata"]["finalizers"] = fins + [AES_FINALIZER]
            self.update(self.aes_t, aes)

    # ---- NodePool (NP Reconcile)
    def reconcile_nodepool(self, ns, name):
        np = self.get(self.np_t, ns, name)
        if np is None:
            return
        md = np["metadata"]
        spec = np.get("spec") or {}
        cp = "%s-%s" % (ns, (spec.get("clusterName") or "").replace(".", "-"))
        # NP Reconcile: "If deleted, clean up and return early" (before any pause check, §3)
        if md.get("deletionTimestamp"):
            # NP delete: MachineDeployment and MachineSet named after the pool (capi.go
            # machineDeployment/machineSet), MachineHealthCheck, then wait for the Machines
            # (ensureMachineDeletion: those annotated hypershift.openshift.io/nodePool=ns/name)
            for t in (self.md_t, self.ms_t):
                if t is not None:
                    self.delete(t, cp, name)
            mhc_t = self.c.type_for("cluster.x-k8s.io", "machinehealthchecks")
            if mhc_t is not None:
                self.delete(mhc_t, cp, name)
            if self.machine_t is not None:
                left = [m for m in self.list(self.machine_t, cp)
                        if (m["metadata"].get("annotations") or {}).get(NP_ANNOTATION) == "%s/%s" % (ns, name)]
                if left:
                    return self.requeue(self.np_t, ns, name)
            if NP_FINALIZER in (md.get("finalizers") or []):
                md["finalizers"] = [f for f in md["finalizers"] if f != NP_FINALIZER]
                self.update(self.np_t, np)
            return
        hc = self.get(self.hc_t, ns, spec.get("clusterName", ""))
        if hc is None:
            return      # GetHostedClusterByName fails: the reconcile errors and retries
        if NP_FINALIZER not in (md.get("finalizers") or []):
            md.setdefault("finalizers", []).append(NP_FINALIZER)
            np = self.update(self.np_t, np)
            if np is None:
                return
            md = np["metadata"]
        # NP reconcile: util.EnsureOwnerRef to the HostedCluster (by kind and name; the UID rewritten)
        ref = {"apiVersion": "hypershift.openshift.io/v1beta1", "kind": "HostedCluster",
               "name": hc["metadata"]["name"], "uid": hc["metadata"]["uid"]}
        refs = md.get("ownerReferences") or []
        mine = [r for r in refs if r.get("kind") == "HostedCluster" and r.get("name") == ref["name"]]
        if not mine or {k: mine[0].get(k) for k in ref} != ref:
            md["ownerReferences"] = [r for r in refs if r not in mine] + [ref]
            np = self.update(self.np_t, np)
            if np is None:
                return
        # conditions computed before the pause check: ReachedIgnitionEndpoint from the token
        # secret's ignition-reached annotation (conditions.go createReachedIgnitionEndpointCondition)
        tokens = [s for s in self.list(self.secret_t, cp) if s["metadata"]["name"].startswith("token-%s-" % name)]
        reached = any(IGNITION_REACHED in (s["metadata"].get("annotations") or {}) for s in tokens)
        if tokens:
            np = self.np_condition(np, "ReachedIgnitionEndpoint", "True" if reached else "False",
                                   "AsExpected" if reached else "ignitionNotReached")
        put = reconciliation_active(spec.get("pausedUntil"), md.get("generation", 1))
        np = self.np_condition(np, "ReconciliationActive", put[0], put[1], put[2])
        if np is None:
            return
        pause = paused(spec.get("pausedUntil"))
        # NPC Pause: the paused annotation on the MachineSet and the MachineDeployment named after the
        # pool (not the MachineHealthCheck); unpaused, the reconcile removes it again
        for t in (self.ms_t, self.md_t):
            if t is None:
                continue
            obj = self.get(t, cp, name)
            if obj is None:
                continue
            ann = obj["metadata"].get("annotations") or {}
            if pause and ann.get(PAUSED_ANNOTATION) != "true":
                obj["metadata"].setdefault("annotations", {})[PAUSED_ANNOTATION] = "true"
                self.update(t, obj)
            elif not pause and PAUSED_ANNOTATION in ann:
                del obj["metadata"]["annotations"][PAUSED_ANNOTATION]
                self.update(t, obj)
        if pause:
            return
        # Token.Reconcile: the token secret; with restored-from-backup on the HC it is marked as
        # having reached ignition (token.go), so ReachedIgnitionEndpoint stays True after a restore
        if not tokens and self.get(self.ns_t, "", cp) is not None:
            ann = {}
            if RESTORED_ANNOTATION in (hc["metadata"].get("annotations") or {}):
                ann[IGNITION_REACHED] = "True"
            h = hashlib.sha256(md["uid"].encode()).hexdigest()[:8]
            try:
                self.create(self.secret_t, {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                                            "metadata": {"name": "token-%s-%s" % (name, h), "namespace": cp,
                                                         "annotations": ann},
                                            "data": {"token": "c2FuZGJveA=="}})
            except apisim.ApiError as e:
                if e.code not in (403, 409):
                    raise
        elif RESTORED_ANNOTATION in (hc["metadata"].get("annotations") or {}):
            for s in tokens:
                if IGNITION_REACHED not in (s["metadata"].get("annotations") or {}):
                    s["metadata"].setdefault("annotations", {})[IGNITION_REACHED] = "True"
                    self.update(self.secret_t, s)

    def np_condition(self, np, ctype, status, reason, message=""):
        if np is None:
            return None
        conds = (np.get("status") or {}).get("conditions") or []
        cur = next((c for c in conds if c.get("type") == ctype), None)
        if cur and cur.get("status") == status and cur.get("reason") == reason and cur.get("message", "") == message:
            return np
        new = {"type": ctype, "status": status, "reason": reason, "message": message,
               "observedGeneration": np["metadata"].get("generation", 1),
               "lastTransitionTime": apisim.now_rfc3339()}
        np.setdefault("status", {})["conditions"] = [c for c in conds if c.get("type") != ctype] + [new]
        return self.update(self.np_t, np, status=True)


CONTROLLERS = [HyperShiftOperator]
