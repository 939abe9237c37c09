"""The workload controllers and the kubelet, reduced to what a migration sees: Deployments and
StatefulSets get pods, and their status counts those pods (controllers.md §1: "scale to 0" takes
effect only when the pods are gone, and a controller that runs in a Deployment stops only then).

Real sources it follows (kubernetes/kubernetes):
- pkg/controller/deployment/sync.go `syncReplicaSetsAndStatus` / pkg/controller/replicaset/
  replica_set.go `manageReplicas`: pods named `<deployment>-<pod-template-hash>-<5 random>`, labels
  of the template plus `pod-template-hash`; a scale down deletes the surplus pods, which go away
  after their termination grace period (`terminationGracePeriodSeconds`, 30 s by default; here
  the model's latency, ~1 s).
- pkg/controller/statefulset/stateful_set_control.go `updateStatefulSet`: pods `<sts>-<ordinal>`,
  labels of the template plus `statefulset.kubernetes.io/pod-name` and `controller-revision-hash`;
  scale down removes the highest ordinals first.
- pkg/controller/deployment/sync.go `calculateStatus`, statefulset `computeReplicaStatus`:
  status.replicas / readyReplicas / availableReplicas count the existing pods, so they drop only
  once the pods are gone.
- pkg/controller/controller_ref_manager.go `ClaimPods`: an orphan pod that matches the selector is
  adopted (gets the controller's ownerReference); nothing else about it changes.

Simplifications (docs/kube.md, "The controllers"):
- No ReplicaSets: a Deployment's pods carry the Deployment itself as controller ownerReference.
- A pod is Running and Ready when created (no image pulls, no probes); a pod whose status another
  model wrote as not ready (an etcd pod whose init container failed, cpo.py) counts as not ready.
- OrderedReady is not modelled: a StatefulSet's missing pods are created in one step.
- A StatefulSet pod re-created under the same name gets back the apisim annotations it had
  (`apisim.ferry.dev/*`: its rooted paths, its etcd endpoint): the sandbox's stand-in for the pod's
  PersistentVolumeClaim, which outlives the pod. This is how the fixtures' etcd pods (backed by a
  real etcd through simetcd) come back with the same data after teardown's scale to 0 and a
  rollback's scale up.
- With `workloads` running, apisim's instant replica status (`Cluster._simulate_controllers`) is
  switched off (`cluster.sandbox["workloads"]`): this model owns Deployment/StatefulSet status.
"""

import copy
import hashlib
import json
import random

import apisim

from .base import Controller

ALNUM = "bcdfghjklmnpqrstvwxz2456789"   # k8s.io/apimachinery/pkg/util/rand.SafeEncodeString alphabet
KEEP_PREFIX = "apisim.ferry.dev/"


def template_hash(obj):
    """A stable pod-template-hash (the real one is an fnv32a of the template, safe-encoded)."""
    tmpl = (obj.get("spec") or {}).get("template") or {}
    h = hashlib.sha256(json.dumps(tmpl, sort_keys=True).encode()).digest()
    return "".join(ALNUM[b % len(ALNUM)] for b in h[:10])


def selector_of(obj):
    sel = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels")
    if sel:
        return dict(sel)
    return dict((((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {})


def matches(labels, sel):
    return bool(sel) and all((labels or {}).get(k) == v for k, v in sel.items())


def pod_ready(pod):
    """Running, not terminating, no container reported not ready, Ready condition not False."""
    if pod["metadata"].get("deletionTimestamp"):
        return False
    st = pod.get("status") or {}
    if st.get("phase", "Running") != "Running":
        return False
    if any(cs.get("ready") is False for cs in st.get("containerStatuses") or []):
        return False
    return all(c.get("status") != "False" for c in st.get("conditions") or [] if c.get("type") == "Ready")


class Workloads(Controller):
    name = "workloads"
    watches = (("apps", "deployments"), ("apps", "statefulsets"), ("", "pods"))
    # the termination grace (and the start-up time) of a pod
    default_latency = 1.0
    resync = 3.0

    def __init__(self, cluster, stopping, latency=None, shared=None):
        super().__init__(cluster, stopping, latency, shared)
        # Off goes apisim's instant replica status: this model counts pods instead.
        cluster.sandbox["workloads"] = True
        self.deploy_t = cluster.type_for("apps", "deployments")
        self.sts_t = cluster.type_for("apps", "statefulsets")
        self.pod_t = cluster.type_for("", "pods")
        # (namespace, pod name) -> (the namespace's uid, the apisim.ferry.dev/* annotations a
        # StatefulSet pod had): its PVC, gone with the namespace
        self.volumes = {}
        self.rand = random.Random()

    def keys_for(self, t, obj):
        md = obj["metadata"]
        ns = md.get("namespace", "")
        if t is not self.pod_t:
            return [(t, ns, md["name"])]
        # a pod event queues its controller: by ownerReference, or by selector for an orphan
        keys = []
        for ref in md.get("ownerReferences") or []:
            if ref.get("kind") == "Deployment":
                keys.append((self.deploy_t, ns, ref["name"]))
            elif ref.get("kind") == "StatefulSet":
                keys.append((self.sts_t, ns, ref["name"]))
        if keys:
            return keys
        labels = md.get("labels") or {}
        for wt in (self.deploy_t, self.sts_t):
            for (ons, oname), w in self.c.objects[wt.key].items():
                if ons == ns and matches(labels, selector_of(w)):
                    keys.append((wt, ns, oname))
        return keys

    def pods_of(self, w, t):
        """The pods this workload controls or would adopt."""
        md = w["metadata"]
        sel = selector_of(w)
        out = []
        for p in self.list(self.pod_t, md["namespace"]):
            refs = [r for r in p["metadata"].get("ownerReferences") or [] if r.get("controller")]
            if refs:
                if refs[0].get("uid") == md["uid"]:
                    out.append(p)
            elif matches(p["metadata"].get("labels"), sel):
                out.append(p)
        return out

    def reconcile(self, t, ns, name):
        w = self.get(t, ns, name)
        if w is None or w["metadata"].get("deletionTimestamp"):
            # Its pods are the garbage collector's (their ownerReference now dangles): gc.py
            # models pkg/controller/garbagecollector's background cascade.
            return
        pods = self.pods_of(w, t)
        want = (w.get("spec") or {}).get("replicas", 1)
        if t is self.sts_t:
            self.reconcile_sts(w, pods, want)
        else:
            self.reconcile_deployment(w, pods, want)
        self.write_status(t, ns, name)

    def owner_ref(self, w):
        return {"apiVersion": "apps/v1", "kind": w["kind"], "name": w["metadata"]["name"],
                "uid": w["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}

    def adopt(self, w, pod):
        # controller_ref_manager.go ClaimPods / AdoptPod: only the ownerReference is added
        if any(r.get("controller") for r in pod["metadata"].get("ownerReferences") or []):
            return
        pod["metadata"].setdefault("ownerReferences", []).append(self.owner_ref(w))
        self.update(self.pod_t, pod)

    def new_pod(self, w, name, extra_labels):
        tmpl = (w.get("spec") or {}).get("template") or {}
        tmd = tmpl.get("metadata") or {}
        labels = dict(tmd.get("labels") or {})
        labels.update(extra_labels)
        md = {"name": name, "namespace": w["metadata"]["namespace"], "labels": labels,
              "ownerReferences": [self.owner_ref(w)]}
        ann = dict(tmd.get("annotations") or {})
        uid, kept = self.volumes.get((md["namespace"], name), (None, {}))
        if uid is not None and uid == self.namespace_uid(md["namespace"]):
            ann.update(kept)
        if ann:
            md["annotations"] = ann
        spec = copy.deepcopy(tmpl.get("spec") or {"containers": [{"name": "main", "image": "sandbox"}]})
        now = apisim.now_rfc3339()
        # An init container another model plays (cpo.py registers etcd-init, the restore) keeps the
        # pod in Init until that model finishes it; any other init container completes at once.
        waiting = [c.get("name") for c in spec.get("initContainers") or []
                   if c.get("name") in self.c.sandbox.get("init_containers", ())]
        if waiting:
            status = {"phase": "Pending", "startTime": now,
                      "conditions": [{"type": "Initialized", "status": "False", "lastTransitionTime": now},
                                     {"type": "Ready", "status": "False", "lastTransitionTime": now}],
                      "initContainerStatuses": [{"name": n, "ready": False, "restartCount": 0, "image": "", "imageID": "",
                                                 "state": {"running": {"startedAt": now}}} for n in waiting]}
            try:
                return self.create(self.pod_t, {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec,
                                                "status": status})
            except apisim.ApiError as e:
                if e.code == 409:
                    return None
                raise
        status = {"phase": "Running", "podIP": "10.128.%d.%d" % (self.rand.randint(0, 255), self.rand.randint(2, 254)),
                  "startTime": now,
                  "conditions": [{"type": t, "status": "True", "lastTransitionTime": now}
                                 for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
                  "containerStatuses": [{"name": c.get("name", "main"), "ready": True, "started": True,
                                         "restartCount": 0, "image": c.get("image", ""), "imageID": "",
                                         "state": {"running": {"startedAt": now}}}
                                        for c in spec.get("containers") or []]}
        try:
            return self.create(self.pod_t, {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec,
                                            "status": status})
        except apisim.ApiError as e:
            if e.code == 409:    # AlreadyExists: a pod of that name is still there
                return None
            raise

    def remember(self, pod):
        ann = {k: v for k, v in (pod["metadata"].get("annotations") or {}).items() if k.startswith(KEEP_PREFIX)}
        if ann:
            ns = pod["metadata"]["namespace"]
            self.volumes[(ns, pod["metadata"]["name"])] = (self.namespace_uid(ns), ann)

    def reconcile_sts(self, w, pods, want):
        name = w["metadata"]["name"]
        by_name = {p["metadata"]["name"]: p for p in pods}
        rev = "%s-%s" % (name, template_hash(w))
        for p in pods:
            self.remember(p)
            self.adopt(w, p)
        for i in range(want):
            pname = "%s-%d" % (name, i)
            if pname not in by_name:
                self.new_pod(w, pname, {"statefulset.kubernetes.io/pod-name": pname,
                                        "controller-revision-hash": rev})
        # scale down: highest ordinal first (stateful_set_control.go), all after the grace
        def ordinal(p):
            tail = p["metadata"]["name"].rsplit("-", 1)[-1]
            return int(tail) if tail.isdigit() else 1 << 30
        for p in sorted(pods, key=ordinal, reverse=True):
            if ordinal(p) >= want:
                self.delete(self.pod_t, p["metadata"]["namespace"], p["metadata"]["name"])

    def reconcile_deployment(self, w, pods, want):
        name = w["metadata"]["name"]
        h = template_hash(w)
        for p in pods:
            self.adopt(w, p)
        live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
        for _ in range(want - len(live)):
            suffix = "".join(self.rand.choice(ALNUM) for _ in range(5))
            self.new_pod(w, "%s-%s-%s" % (name, h, suffix), {"pod-template-hash": h})
        if len(live) > want:
            # replica_set.go getPodsToDelete: not-ready first, then the newest
            doomed = sorted(live, key=lambda p: (not pod_ready(p), p["metadata"].get("creationTimestamp", "")),
                            reverse=True)[:len(live) - want]
            for p in doomed:
                self.delete(self.pod_t, p["metadata"]["namespace"], p["metadata"]["name"])

    def write_status(self, t, ns, name):
        w = self.get(t, ns, name)
        if w is None:
            return
        pods = [p for p in self.pods_of(w, t) if not p["metadata"].get("deletionTimestamp")]
        spec_r = (w.get("spec") or {}).get("replicas", 1)
        ready = sum(1 for p in pods if pod_ready(p))
        st = dict(w.get("status") or {})
        for k in ("replicas", "readyReplicas", "availableReplicas", "updatedReplicas", "currentReplicas",
                  "unavailableReplicas"):
            st.pop(k, None)
        st["replicas"] = len(pods)
        st["observedGeneration"] = w["metadata"].get("generation", 1)
        if ready:
            st["readyReplicas"] = ready
            st["availableReplicas"] = ready
        if pods:
            st["updatedReplicas"] = len(pods)
        sel = selector_of(w)
        if sel:
            st["selector"] = ",".join("%s=%s" % kv for kv in sorted(sel.items()))
        if t is self.sts_t:
            rev = "%s-%s" % (name, template_hash(w))
            st["availableReplicas"] = ready
            st["currentReplicas"] = len(pods)
            st["currentRevision"] = rev
            st["updateRevision"] = rev
            if not pods:
                st.pop("currentReplicas")
                st.pop("updatedReplicas", None)
        else:
            if spec_r > ready:
                st["unavailableReplicas"] = spec_r - ready
            # deployment/sync.go: Available once availableReplicas >= replicas - maxUnavailable
            # (maxUnavailable 25% rounded down: with 1 or 3 replicas that is 0)
            max_unavail = spec_r * 25 // 100
            avail = ready >= spec_r - max_unavail
            old = {c.get("type"): c for c in st.get("conditions") or []}
            cur = old.get("Available")
            status = "True" if avail else "False"
            cond = {"type": "Available", "status": status,
                    "reason": "MinimumReplicasAvailable" if avail else "MinimumReplicasUnavailable",
                    "message": "Deployment has minimum availability." if avail
                    else "Deployment does not have minimum availability.",
                    "lastUpdateTime": cur.get("lastUpdateTime") if cur and cur.get("status") == status
                    else apisim.now_rfc3339(),
                    "lastTransitionTime": cur.get("lastTransitionTime") if cur and cur.get("status") == status
                    else apisim.now_rfc3339()}
            st["conditions"] = [c for c in st.get("conditions") or [] if c.get("type") != "Available"] + [cond]
        if st != (w.get("status") or {}):
            w["status"] = st
            self.update(t, w, status=True)


CONTROLLERS = [Workloads]
