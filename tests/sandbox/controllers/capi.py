"""Cluster API (CAPI) core controllers: Cluster, MachineDeployment, MachineSet, Machine.

Modelled on kubernetes-sigs/cluster-api v1.13 (the version HyperShift vendors), read at tag
v1.13.5, `internal/controllers/<kind>/<kind>_controller.go` (the same code lives under
`core/reconcilers/` at main @ ae7ff047). ../shared/reference/controllers.md §1-§4 says why a
migration cares. What each reconcile does, in the real order:

- Machine (`machine_controller.go` Reconcile ~190): EnsureFinalizer `machine.cluster.x-k8s.io`
  (~219) *before* the pause check (~229, `paused.EnsurePausedCondition`): a stripped finalizer
  comes back while CAPI runs, paused or not. Then deletion (~274, `reconcileDelete` ~465: delete
  the infrastructure machine and wait until it is gone, ~1051 `reconcileDeleteInfrastructure`,
  then remove the finalizer ~665), else `reconcileMachineOwnerAndLabels` (~447, `shouldAdopt`
  ~1069: a Machine with no controller and no MachineSet label is owned by its Cluster) and
  `reconcileInfrastructure` (`machine_controller_phases.go` ~88
  `ensureExternalOwnershipAndWatch`: the AWSMachine gets the Machine as controller owner, by
  name, which also refreshes a stale UID, and the cluster-name label; the provider ID is copied).
  Node drain, Node deletion and the pre-drain/pre-terminate hooks are out of scope.
- MachineSet (`machineset_controller.go` Reconcile ~162): the Cluster is read first (~183; no
  Cluster: error, nothing else), EnsureFinalizer `cluster.x-k8s.io/machineset` (~189), pause (~199),
  `getAndAdoptMachinesForMachineSet` (~595: Machines matching the selector, not controlled by
  someone else, orphans adopted with a controller reference), deletion (`reconcileDelete` ~567:
  delete the Machines, remove the finalizer when none is left), else owner/labels (~506) and
  `syncReplicas` (~759) / `createMachines` (~819: the AWSMachine from the AWSMachineTemplate with
  the MachineSet as (non-controller) owner, ~1907 `computeDesiredInfraMachine`, then the Machine
  with the MachineSet as controller owner, ~1145) / `deleteMachines`.
- MachineDeployment (`machinedeployment_controller.go` Reconcile ~130): Cluster first,
  EnsureFinalizer `cluster.x-k8s.io/machinedeployment` (~154, CAPI >= 1.9), pause (~164),
  deletion (~201, `reconcileDelete` ~464: delete the controlled MachineSets, remove the
  finalizer when none is left), else Cluster owner reference and label (~262-272),
  `getAndAdoptMachineSetsForDeployment` (~493) and one MachineSet for the template at the
  MachineDeployment's replicas. Rollouts (a second MachineSet on a template change) and
  MachineHealthChecks are not modelled.
- Cluster (`cluster_controller.go` Reconcile ~136): EnsureFinalizer `cluster.cluster.x-k8s.io`
  (~153), pause (~163), deletion (~202, `reconcileDelete` ~330: delete the descendants that have
  the Cluster as owner (~351 `filterOwnedDescendants`, by group/kind/name), wait until no
  MachineDeployment, MachineSet or worker Machine labelled with the cluster name is left, then
  delete the controlPlaneRef object (the HostedControlPlane) and wait, then the
  infrastructureRef (AWSCluster) and wait, then remove the finalizer ~490); else
  `cluster_controller_phases.go` ~99 `ensureOwnerRefAndLabel` on the infrastructure and control
  plane objects.

Paused = `util/annotations/helpers.go` IsPaused / `util/paused/paused.go` pausedCondition: the
Cluster's `spec.paused` is true, or the object has the `cluster.x-k8s.io/paused` annotation (any
value). The Paused condition itself is not written. Deletion is handled *after* the pause check
in every CAPI reconciler: a paused CAPI object being deleted stays (with its finalizer) until it
is unpaused (contrary to HyperShift's own objects, controllers.md §3).

In HyperShift CAPI runs per hosted cluster, in the control-plane namespace, as Deployment
`cluster-api`: the model acts in a namespace only while that Deployment has pods
(`base.deployment_running`).

Re-adoption after a restore (cluster-api issue #7529 and the notes in `shouldAdopt`): objects
are found by labels and selectors, not by owner UID. A restored MachineSet or Machine *without*
ownerReferences is adopted by the MachineDeployment/MachineSet whose selector matches; one that
kept a controller reference with the source's UID is neither adopted nor managed
(`metav1.IsControlledBy` compares UIDs) and is left to the garbage collector. References that CAPI
sets by group/kind/name (Cluster owner of a MachineDeployment, Machine controller of its
AWSMachine) are rewritten with the live UID on the next reconcile: a race with the GC.
"""

import os

import apisim

from . import base

GROUP = "cluster.x-k8s.io"
INFRA_GROUP = "infrastructure.cluster.x-k8s.io"
CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"
SET_NAME_LABEL = "cluster.x-k8s.io/set-name"
DEPLOYMENT_NAME_LABEL = "cluster.x-k8s.io/deployment-name"
PAUSED_ANNOTATION = "cluster.x-k8s.io/paused"

CLUSTER_FINALIZER = "cluster.cluster.x-k8s.io"
MACHINE_FINALIZER = "machine.cluster.x-k8s.io"
MACHINESET_FINALIZER = "cluster.x-k8s.io/machineset"
MACHINEDEPLOYMENT_FINALIZER = "cluster.x-k8s.io/machinedeployment"

# The Deployment CAPI runs in, in the control-plane namespace (hypershift
# `hypershift-operator/controllers/manifests/controlplaneoperator` ClusterAPIManagerDeployment).
CAPI_DEPLOYMENT = "cluster-api"


# ---- helpers shared with capa.py and gc.py
def group_of(api_version):
    return api_version.rpartition("/")[0] if "/" in (api_version or "") else ""


def ref_group(ref):
    """The API group of a reference: v1beta1 ObjectReference (apiVersion) or v1beta2
    ContractVersionedObjectReference (apiGroup)."""
    if ref.get("apiGroup") is not None:
        return ref["apiGroup"]
    return group_of(ref.get("apiVersion", ""))


def type_by_group_kind(cluster, group, kind):
    for t in cluster.types:
        if t.group == group and t.kind == kind:
            return t
    return None


def owner_refs(obj):
    return list(obj["metadata"].get("ownerReferences") or [])


def controller_ref(obj):
    return next((r for r in owner_refs(obj) if r.get("controller")), None)


def refers_to(ref, group, kind, name):
    """util.refersTo / referSameObject: group, kind and name (no UID)."""
    return group_of(ref.get("apiVersion", "")) == group and ref.get("kind") == kind and ref.get("name") == name


def is_controlled_by(obj, owner):
    """metav1.IsControlledBy: the controller reference has the owner's UID."""
    c = controller_ref(obj)
    return bool(c) and c.get("uid") == owner["metadata"]["uid"]


def ensure_owner_ref(obj, ref):
    """util.EnsureOwnerRef: replaces a reference to the same group/kind/name (UID refreshed) or
    appends. Returns True if obj changed."""
    refs = owner_refs(obj)
    for i, r in enumerate(refs):
        if refers_to(r, group_of(ref["apiVersion"]), ref["kind"], ref["name"]):
            if r == ref:
                return False
            refs[i] = ref
            break
    else:
        refs.append(ref)
    obj["metadata"]["ownerReferences"] = refs
    return True


def owner_ref(owner, controller=False):
    ref = {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
           "uid": owner["metadata"]["uid"]}
    if controller:
        ref["controller"] = True
        ref["blockOwnerDeletion"] = True
    return ref


def is_paused(cluster_obj, obj):
    """util/annotations IsPaused: Cluster spec.paused, or the object's paused annotation."""
    if cluster_obj is not None and (cluster_obj.get("spec") or {}).get("paused") is True:
        return True
    return PAUSED_ANNOTATION in (obj["metadata"].get("annotations") or {})


def deleting(obj):
    return bool(obj["metadata"].get("deletionTimestamp"))


def selector_labels(obj):
    return dict(((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})


def labels_match(obj, sel):
    have = obj["metadata"].get("labels") or {}
    return bool(sel) and all(have.get(k) == v for k, v in sel.items())


def random_suffix(n=5):
    alphabet = "bcdfghjklmnpqrstvwxz2456789"   # apimachinery's utilrand alphabet
    return "".join(alphabet[b % len(alphabet)] for b in os.urandom(n))


class CAPIController(base.Controller):
    """One process plays the four CAPI reconcilers (the real manager also runs them in one pod)."""

    name = "cluster-api"
    watches = ((GROUP, "clusters"), (GROUP, "machinedeployments"), (GROUP, "machinesets"), (GROUP, "machines"),
               (INFRA_GROUP, "awsmachines"), (INFRA_GROUP, "awsclusters"), ("apps", "deployments"))
    default_latency = 0.5

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        c = self.c
        self.t_cluster = c.type_for(GROUP, "clusters")
        self.t_md = c.type_for(GROUP, "machinedeployments")
        self.t_ms = c.type_for(GROUP, "machinesets")
        self.t_machine = c.type_for(GROUP, "machines")
        self.enabled = None not in (self.t_cluster, self.t_md, self.t_ms, self.t_machine)
        if not self.enabled:
            self.log("no Cluster API CRDs in this cluster: idle")

    # ---- what an event queues (the real watches: For + Owns + map funcs)
    def keys_for(self, t, obj):
        if not self.enabled:
            return []
        md = obj["metadata"]
        ns = md.get("namespace", "")
        if t.plural == "deployments":
            # cluster-api coming back (its pods started): everything in the namespace is
            # reconciled, as a starting manager lists everything
            if md["name"] != CAPI_DEPLOYMENT:
                return []
            return [(tt, ns, o) for tt in (self.t_cluster, self.t_md, self.t_ms, self.t_machine)
                    for (ons, o) in list(self.c.objects[tt.key]) if ons == ns]
        keys = []
        if t.group == GROUP:
            keys.append((t, ns, md["name"]))
        # Owns(...) and the external-object watches: an event on a dependent queues its owners
        for r in md.get("ownerReferences") or []:
            if group_of(r.get("apiVersion", "")) != GROUP:
                continue
            ot = {"Cluster": self.t_cluster, "MachineDeployment": self.t_md, "MachineSet": self.t_ms,
                  "Machine": self.t_machine}.get(r.get("kind"))
            if ot is not None:
                keys.append((ot, ns, r["name"]))
        # a Cluster event maps to its objects (ClusterToTypedObjectsMapper, ClusterPausedTransitions)
        if t is self.t_cluster:
            for tt in (self.t_md, self.t_ms, self.t_machine):
                for (ons, oname), o in self.c.objects[tt.key].items():
                    if ons == ns and (o.get("spec") or {}).get("clusterName") == md["name"]:
                        keys.append((tt, ns, oname))
        cname = (md.get("labels") or {}).get(CLUSTER_NAME_LABEL) or (obj.get("spec") or {}).get("clusterName")
        if cname and t is not self.t_cluster and t.group in (GROUP, INFRA_GROUP):
            keys.append((self.t_cluster, ns, cname))
        return keys

    def active(self, t, ns, name):
        return self.enabled and t.group == GROUP and base.deployment_running(self.c, ns, CAPI_DEPLOYMENT)

    def reconcile(self, t, ns, name):
        if t is self.t_cluster:
            self.reconcile_cluster(ns, name)
        elif t is self.t_md:
            self.reconcile_md(ns, name)
        elif t is self.t_ms:
            self.reconcile_ms(ns, name)
        elif t is self.t_machine:
            self.reconcile_machine(ns, name)

    # ---- small store helpers
    def ensure_finalizer(self, t, obj, finalizer):
        """util/finalizers EnsureFinalizer: added unless the object is being deleted. True if it
        wrote (the real reconcile then returns and runs again on the update event)."""
        if deleting(obj) or finalizer in (obj["metadata"].get("finalizers") or []):
            return False
        obj["metadata"]["finalizers"] = (obj["metadata"].get("finalizers") or []) + [finalizer]
        self.update(t, obj)
        self.log("%s %s/%s: finalizer %s added" % (t.kind, obj["metadata"]["namespace"], obj["metadata"]["name"],
                                                   finalizer))
        return True

    def remove_finalizer(self, t, obj, finalizer):
        fins = obj["metadata"].get("finalizers") or []
        if finalizer in fins:
            obj["metadata"]["finalizers"] = [f for f in fins if f != finalizer]
            self.update(t, obj)
            self.log("%s %s/%s: finalizer %s removed" % (t.kind, obj["metadata"]["namespace"],
                                                         obj["metadata"]["name"], finalizer))

    def get_cluster(self, ns, name):
        return self.get(self.t_cluster, ns, name) if name else None

    def ref_type(self, ref):
        return type_by_group_kind(self.c, ref_group(ref), ref.get("kind"))

    def get_ref(self, ns, ref):
        """external.Get: the object a spec reference names (in the referrer's namespace)."""
        if not ref or not ref.get("name"):
            return None, None
        t = self.ref_type(ref)
        if t is None:
            return None, None
        return t, self.get(t, ref.get("namespace") or ns, ref["name"])

    def delete_obj(self, t, obj, why):
        if deleting(obj):
            return
        md = obj["metadata"]
        if self.delete(t, md.get("namespace", ""), md["name"]):
            self.log("%s %s/%s deleted (%s)" % (t.kind, md.get("namespace", ""), md["name"], why))

    # ---- Machine: internal/controllers/machine/machine_controller.go Reconcile
    def reconcile_machine(self, ns, name):
        m = self.get(self.t_machine, ns, name)
        if m is None:
            return
        # ~219: finalizer first, before the Cluster is read and before the pause check
        if self.ensure_finalizer(self.t_machine, m, MACHINE_FINALIZER):
            return
        cluster = self.get_cluster(ns, (m.get("spec") or {}).get("clusterName"))
        if cluster is None:
            return   # GetClusterByName fails: the real reconcile returns the error and retries
        if is_paused(cluster, m):   # ~229
            return
        changed = False
        # reconcileMachineOwnerAndLabels ~447 / shouldAdopt ~1069
        labels = m["metadata"].setdefault("labels", {})
        if labels.get(CLUSTER_NAME_LABEL) != cluster["metadata"]["name"]:
            labels[CLUSTER_NAME_LABEL] = cluster["metadata"]["name"]
            changed = True
        if controller_ref(m) is None and not any(refers_to(r, GROUP, "Cluster", cluster["metadata"]["name"])
                                                 for r in owner_refs(m)) and SET_NAME_LABEL not in labels:
            changed |= ensure_owner_ref(m, owner_ref(cluster))
        # reconcileInfrastructure: phases ~88 ensureExternalOwnershipAndWatch
        it, infra = self.get_ref(ns, (m.get("spec") or {}).get("infrastructureRef"))
        if infra is not None:
            self.adopt_infra_machine(it, infra, m)
            pid = (infra.get("spec") or {}).get("providerID")
            if pid and (m.get("spec") or {}).get("providerID") != pid and not deleting(m):
                m["spec"]["providerID"] = pid
                changed = True
        if changed:
            m = self.update(self.t_machine, m)
            if m is None:
                return
        if deleting(m):
            # reconcileDelete ~465 -> reconcileDeleteInfrastructure ~1051: delete the infra
            # machine, wait for it to be gone (CAPA terminates the instance), then the finalizer
            # (~665). Node drain and Node deletion are not modelled.
            if infra is not None:
                self.delete_obj(it, infra, "its Machine is being deleted")
                self.requeue(self.t_machine, ns, name)
                return
            self.remove_finalizer(self.t_machine, m, MACHINE_FINALIZER)

    def adopt_infra_machine(self, it, infra, m):
        """The Machine as controller owner of its infrastructure machine (the MachineSet's
        on-create reference removed, removeOnCreateOwnerRefs ~426), plus the cluster-name label."""
        want = owner_ref(m, controller=True)
        want.pop("blockOwnerDeletion")
        refs = [r for r in owner_refs(infra)
                if not (group_of(r.get("apiVersion", "")) == GROUP and r.get("kind") == "MachineSet")]
        # controllerutil.SetControllerReference: the same group/kind/name is replaced (stale UID
        # refreshed); another controller would be an AlreadyOwnedError (left alone here)
        other = next((r for r in refs if r.get("controller") and not refers_to(r, GROUP, "Machine", m["metadata"]["name"])),
                     None)
        if other is not None:
            return
        refs = [r for r in refs if not refers_to(r, GROUP, "Machine", m["metadata"]["name"])] + [want]
        labels = dict(infra["metadata"].get("labels") or {})
        labels[CLUSTER_NAME_LABEL] = m["spec"]["clusterName"]
        if refs != owner_refs(infra) or labels != (infra["metadata"].get("labels") or {}):
            infra["metadata"]["ownerReferences"] = refs
            infra["metadata"]["labels"] = labels
            try:
                self.update(it, infra)
            except base.Conflict:
                self.requeue(self.t_machine, m["metadata"]["namespace"], m["metadata"]["name"])

    # ---- MachineSet: internal/controllers/machineset/machineset_controller.go Reconcile
    def machines_of(self, ms):
        """getAndAdoptMachinesForMachineSet ~595: Machines matching the selector that are not
        controlled by another object; orphans get the MachineSet as controller."""
        ns = ms["metadata"]["namespace"]
        sel = selector_labels(ms)
        if not sel:
            return []   # an empty selector matches nothing (the real code errors)
        out = []
        for m in self.list(self.t_machine, ns, labels=sel):
            c = controller_ref(m)
            if c is not None and not is_controlled_by(m, ms):
                continue   # shouldExcludeMachine: controlled by someone else (or a stale UID)
            if c is None:
                ensure_owner_ref(m, owner_ref(ms, controller=True))
                m = self.update(self.t_machine, m)
                if m is None:
                    continue
                self.log("MachineSet %s/%s adopted Machine %s" % (ns, ms["metadata"]["name"], m["metadata"]["name"]))
            out.append(m)
        return out

    def reconcile_ms(self, ns, name):
        ms = self.get(self.t_ms, ns, name)
        if ms is None:
            return
        cluster = self.get_cluster(ns, (ms.get("spec") or {}).get("clusterName"))
        if cluster is None:
            return   # ~183: no Cluster, no reconcile (not even the finalizer)
        if self.ensure_finalizer(self.t_ms, ms, MACHINESET_FINALIZER):   # ~189
            return
        if is_paused(cluster, ms):   # ~199
            return
        machines = self.machines_of(ms)
        if deleting(ms):
            # reconcileDelete ~567
            if not machines:
                self.remove_finalizer(self.t_ms, ms, MACHINESET_FINALIZER)
                return
            for m in machines:
                self.delete_obj(self.t_machine, m, "its MachineSet is being deleted")
            self.requeue(self.t_ms, ns, name)
            return
        # reconcileMachineSetOwnerAndLabels ~506
        changed = False
        labels = ms["metadata"].setdefault("labels", {})
        if labels.get(CLUSTER_NAME_LABEL) != cluster["metadata"]["name"]:
            labels[CLUSTER_NAME_LABEL] = cluster["metadata"]["name"]
            changed = True
        if not any(group_of(r.get("apiVersion", "")) == GROUP and r.get("kind") in ("MachineDeployment", "Cluster")
                   for r in owner_refs(ms)):   # shouldAdopt ~1359
            changed |= ensure_owner_ref(ms, owner_ref(cluster))
        if changed:
            ms = self.update(self.t_ms, ms)
            if ms is None:
                return
        # syncReplicas ~759
        want = (ms.get("spec") or {}).get("replicas", 1)
        live = [m for m in machines if not deleting(m)]
        if len(live) < want:
            for _ in range(want - len(live)):
                self.create_machine(cluster, ms)
        elif len(live) > want:
            # deleteMachines: the default order (Random) picks any; the newest go first here
            live.sort(key=lambda m: m["metadata"]["creationTimestamp"], reverse=True)
            for m in live[:len(live) - want]:
                self.delete_obj(self.t_machine, m, "MachineSet scaled down")

    def create_machine(self, cluster, ms):
        """createMachines ~819: the infrastructure machine from the template, then the Machine."""
        ns = ms["metadata"]["namespace"]
        tmpl_spec = ((ms.get("spec") or {}).get("template") or {})
        mspec = dict(tmpl_spec.get("spec") or {})
        labels = dict((tmpl_spec.get("metadata") or {}).get("labels") or {})
        labels[CLUSTER_NAME_LABEL] = cluster["metadata"]["name"]
        labels[SET_NAME_LABEL] = ms["metadata"]["name"]
        mdref = controller_ref(ms)
        if mdref and mdref.get("kind") == "MachineDeployment":
            labels[DEPLOYMENT_NAME_LABEL] = mdref["name"]
        name = "%s-%s" % (ms["metadata"]["name"], random_suffix())
        tref = mspec.get("infrastructureRef") or {}
        tt, tmpl = self.get_ref(ns, tref)
        if tmpl is None:
            self.log("MachineSet %s/%s: infrastructure template %s not found" % (ns, ms["metadata"]["name"],
                                                                                tref.get("name")))
            self.requeue(self.t_ms, ns, ms["metadata"]["name"], max(1.0, self.latency))
            return
        kind = tt.kind[:-len("Template")] if tt.kind.endswith("Template") else tt.kind
        it = type_by_group_kind(self.c, tt.group, kind)
        # external.GenerateTemplate via computeDesiredInfraMachine ~1907: spec from the template,
        # the MachineSet as (non-controller) owner, the Machine's labels
        infra = {"apiVersion": tmpl["apiVersion"], "kind": kind,
                 "metadata": {"name": name, "namespace": ns, "labels": dict(labels),
                              "annotations": {"cluster.x-k8s.io/cloned-from-name": tmpl["metadata"]["name"],
                                              "cluster.x-k8s.io/cloned-from-groupkind": "%s.%s" % (tt.kind, tt.group)},
                              "ownerReferences": [owner_ref(ms)]},
                 "spec": dict(((tmpl.get("spec") or {}).get("template") or {}).get("spec") or {})}
        self.create(it, infra)
        if "apiGroup" in tref or ms["apiVersion"].endswith("v1beta2"):
            mspec["infrastructureRef"] = {"apiGroup": it.group, "kind": kind, "name": name}
        else:
            mspec["infrastructureRef"] = {"apiVersion": infra["apiVersion"], "kind": kind, "name": name,
                                          "namespace": ns}
        mspec["clusterName"] = cluster["metadata"]["name"]
        machine = {"apiVersion": ms["apiVersion"], "kind": "Machine",
                   "metadata": {"name": name, "namespace": ns, "labels": labels,
                                "ownerReferences": [owner_ref(ms, controller=True)]},
                   "spec": mspec}
        try:
            self.create(self.t_machine, machine)
        except apisim.ApiError:
            self.delete(it, ns, name)   # ~875: clean up the infra machine when the Machine fails
            raise
        self.log("MachineSet %s/%s created Machine %s and %s %s" % (ns, ms["metadata"]["name"], name, kind, name))

    # ---- MachineDeployment: internal/controllers/machinedeployment/machinedeployment_controller.go
    def machinesets_of(self, md):
        """getAndAdoptMachineSetsForDeployment ~493."""
        ns = md["metadata"]["namespace"]
        sel = selector_labels(md)
        out = []
        for ms in self.list(self.t_ms, ns):
            if not labels_match(ms, sel) and not is_controlled_by(ms, md):
                continue
            if controller_ref(ms) is None:
                ensure_owner_ref(ms, owner_ref(md, controller=True))
                ms = self.update(self.t_ms, ms)
                if ms is None:
                    continue
                self.log("MachineDeployment %s/%s adopted MachineSet %s" % (ns, md["metadata"]["name"],
                                                                           ms["metadata"]["name"]))
            if is_controlled_by(ms, md):
                out.append(ms)
        return out

    def reconcile_md(self, ns, name):
        md = self.get(self.t_md, ns, name)
        if md is None:
            return
        cluster = self.get_cluster(ns, (md.get("spec") or {}).get("clusterName"))
        if cluster is None:
            return
        if self.ensure_finalizer(self.t_md, md, MACHINEDEPLOYMENT_FINALIZER):   # ~154
            return
        if is_paused(cluster, md):   # ~164
            return
        if deleting(md):
            # reconcileDelete ~464
            sets = self.machinesets_of(md)
            if not sets:
                self.remove_finalizer(self.t_md, md, MACHINEDEPLOYMENT_FINALIZER)
                return
            for ms in sets:
                self.delete_obj(self.t_ms, ms, "its MachineDeployment is being deleted")
            self.requeue(self.t_md, ns, name)
            return
        # reconcile ~250: cluster-name label, the Cluster as owner (by name: the UID is refreshed)
        labels = md["metadata"].setdefault("labels", {})
        changed = labels.get(CLUSTER_NAME_LABEL) != cluster["metadata"]["name"]
        labels[CLUSTER_NAME_LABEL] = cluster["metadata"]["name"]
        changed |= ensure_owner_ref(md, owner_ref(cluster))
        if changed:
            md = self.update(self.t_md, md)
            if md is None:
                return
        sets = [ms for ms in self.machinesets_of(md) if not deleting(ms)]
        want = (md.get("spec") or {}).get("replicas", 1)
        if not sets:
            self.create_machineset(cluster, md, want)
            return
        # one MachineSet keeps the replicas (rollouts between two MachineSets not modelled)
        sets.sort(key=lambda ms: ms["metadata"]["creationTimestamp"])
        newest = sets[-1]
        if (newest.get("spec") or {}).get("replicas") != want:
            newest["spec"]["replicas"] = want
            self.update(self.t_ms, newest)
        for old in sets[:-1]:
            if (old.get("spec") or {}).get("replicas"):
                old["spec"]["replicas"] = 0
                self.update(self.t_ms, old)

    def create_machineset(self, cluster, md, replicas):
        ns = md["metadata"]["namespace"]
        template = md["spec"].get("template") or {}
        # machinedeployment_sync.go computeNewMachineSetName ~102: "<md name>-" + 5 random characters
        name = "%s-%s" % (md["metadata"]["name"], random_suffix())
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        labels[CLUSTER_NAME_LABEL] = cluster["metadata"]["name"]
        labels[DEPLOYMENT_NAME_LABEL] = md["metadata"]["name"]
        sel = selector_labels(md)
        ms = {"apiVersion": md["apiVersion"], "kind": "MachineSet",
              "metadata": {"name": name, "namespace": ns, "labels": labels,
                           "ownerReferences": [owner_ref(md, controller=True)]},
              "spec": {"clusterName": cluster["metadata"]["name"], "replicas": replicas,
                       "selector": {"matchLabels": sel}, "template": template}}
        try:
            self.create(self.t_ms, ms)
        except apisim.ApiError as e:
            if e.code != 409:
                raise
            return
        self.log("MachineDeployment %s/%s created MachineSet %s" % (ns, md["metadata"]["name"], name))

    # ---- Cluster: internal/controllers/cluster/cluster_controller.go Reconcile
    def reconcile_cluster(self, ns, name):
        cl = self.get(self.t_cluster, ns, name)
        if cl is None:
            return
        if self.ensure_finalizer(self.t_cluster, cl, CLUSTER_FINALIZER):   # ~153
            return
        if is_paused(cl, cl):   # ~163
            return
        spec = cl.get("spec") or {}
        if deleting(cl):
            self.reconcile_cluster_delete(cl)
            return
        # reconcileInfrastructure / reconcileControlPlane: phases ~99 ensureOwnerRefAndLabel
        for ref in (spec.get("infrastructureRef"), spec.get("controlPlaneRef")):
            t, obj = self.get_ref(ns, ref)
            if obj is None or deleting(obj):
                continue
            changed = ensure_owner_ref(obj, owner_ref(cl))
            labels = obj["metadata"].setdefault("labels", {})
            if labels.get(CLUSTER_NAME_LABEL) != name:
                labels[CLUSTER_NAME_LABEL] = name
                changed = True
            if changed:
                try:
                    self.update(t, obj)
                except base.Conflict:
                    self.requeue(self.t_cluster, ns, name)

    def reconcile_cluster_delete(self, cl):
        """reconcileDelete ~330."""
        ns, name = cl["metadata"]["namespace"], cl["metadata"]["name"]
        sel = {CLUSTER_NAME_LABEL: name}
        mds = self.list(self.t_md, ns, labels=sel)
        mss = self.list(self.t_ms, ns, labels=sel)
        machines = self.list(self.t_machine, ns, labels=sel)
        # filterOwnedDescendants ~599: only what has the Cluster as an owner (group/kind/name)
        for t, objs in ((self.t_md, mds), (self.t_ms, mss), (self.t_machine, machines)):
            for o in objs:
                if any(refers_to(r, GROUP, "Cluster", name) for r in owner_refs(o)):
                    self.delete_obj(t, o, "its Cluster is being deleted")
        if mds or mss or machines:   # objectsPendingDeleteCount ~507
            self.requeue(self.t_cluster, ns, name, max(self.latency, 0.5))
            return
        # then the control plane object, then the infrastructure cluster, each waited for
        spec = cl.get("spec") or {}
        for ref in (spec.get("controlPlaneRef"), spec.get("infrastructureRef")):
            t, obj = self.get_ref(ns, ref)
            if obj is not None:
                self.delete_obj(t, obj, "its Cluster is being deleted")
                self.requeue(self.t_cluster, ns, name, max(self.latency, 0.5))
                return
        self.remove_finalizer(self.t_cluster, cl, CLUSTER_FINALIZER)


CONTROLLERS = [CAPIController]
