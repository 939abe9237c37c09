"""The controller models' common part: a watch-driven reconcile loop against the simulator's store.

A real controller (controller-runtime) watches some kinds through an informer, puts the keys of
changed objects on a rate-limited work queue, and reconciles one key at a time; every SyncPeriod
it reconciles everything again. `Controller` does the same against `apisim.Cluster`: it follows
the cluster's event logs for the kinds in `watches`, queues the keys `keys_for` maps an event to,
and calls `reconcile` `latency` seconds after the newest event for a key (a key already queued
keeps its turn, as client-go's workqueue dedups). The latency is what makes the races of
../shared/reference/controllers.md happen: a plan that scales a Deployment right after it
patched the pause sees the scale undone when the controller's reconcile comes first.

Writes go through `Cluster.prepare_write` / `commit_update` / `delete_obj`, so a model obeys the
API server's rules as a client does: validation, resourceVersion conflicts, finalizers that keep a
deleted object, no new finalizers on an object being deleted.
"""

import copy
import sys
import threading
import time

import apisim


class Conflict(Exception):
    """A write lost an optimistic-concurrency race (the object changed since it was read)."""


class Controller(threading.Thread):
    # The name the --controllers flag uses.
    name = None
    # Where it runs: "management" (HyperShift, CAPI, ...) or "hosted" (the hosted cluster's own).
    role = "management"
    # (group, plural) of the kinds whose events queue a reconcile.
    watches = ()
    # Seconds from an event to its reconcile; overridden per controller by --latency NAME=S.
    default_latency = 0.5
    # Every object of the watched kinds is reconciled again this often (SyncPeriod, shortened).
    resync = 5.0

    def __init__(self, cluster, stopping, latency=None, shared=None):
        super().__init__(daemon=True, name="controller-" + (self.name or "?"))
        self.c = cluster
        self.stopping = stopping
        self.latency = self.default_latency if latency is None else latency
        # `--latency NAME.resync=S` pins the resync period (a test that needs a quiet window)
        resync = (getattr(cluster, "sandbox", None) or {}).get("settings", {}).get((self.name or "") + ".resync")
        if resync is not None:
            self.resync = resync
        self.shared = shared          # controllers.shared.Shared, or None outside a sandbox
        self.queue = {}               # (type key, namespace, name) -> due time
        self.watched = []
        for group, plural in self.watches:
            t = cluster.type_for(group, plural)
            if t is not None:
                self.watched.append(t)
        self.manager = "sandbox-" + (self.name or "controller")

    # ---- what a model implements
    def reconcile(self, t, ns, name):
        """Brings the world in line with object (t, ns, name), which may no longer exist."""
        raise NotImplementedError

    def keys_for(self, t, obj):
        """The keys an event on `obj` queues: by default the object itself."""
        md = obj["metadata"]
        return [(t, md.get("namespace", ""), md["name"])]

    def active(self, t, ns, name):
        """False while the controller's own pods are gone (e.g. its Deployment scaled to 0)."""
        return True

    # ---- the loop
    def run(self):
        pos = {}
        with self.c.cond:
            for t in self.watched:
                for obj in self.c.objects[t.key].values():
                    for k in self.keys_for(t, obj):
                        self._enqueue(k, time.time() + self.latency)
                pos[t.key] = len(self.c.events[t.key])
        next_resync = time.time() + self.resync
        while not self.stopping.is_set():
            due = []
            with self.c.cond:
                for t in self.watched:
                    log = self.c.events[t.key]
                    for _, _, obj in log[pos[t.key]:]:
                        for k in self.keys_for(t, obj):
                            self._enqueue(k, time.time() + self.latency)
                    pos[t.key] = len(log)
                now = time.time()
                if now >= next_resync:
                    for t in self.watched:
                        for obj in self.c.objects[t.key].values():
                            for k in self.keys_for(t, obj):
                                self._enqueue(k, now)
                    next_resync = now + self.resync
                due = [k for k, at in self.queue.items() if at <= now]
                for k in due:
                    del self.queue[k]
                if not due:
                    wake = min([next_resync] + list(self.queue.values()))
                    self.c.cond.wait(max(0.01, min(0.2, wake - now)))
                    continue
            for k in due:
                self._reconcile_one(k)

    def _enqueue(self, key, at):
        if key not in self.queue:
            self.queue[key] = at

    def requeue(self, t, ns, name, after=None):
        with self.c.cond:
            self._enqueue((t, ns, name), time.time() + (self.latency if after is None else after))
            self.c.cond.notify_all()

    def _reconcile_one(self, key):
        t, ns, name = key
        try:
            if self.active(t, ns, name):
                self.reconcile(t, ns, name)
        except Conflict:
            self.requeue(t, ns, name)
        except apisim.ApiError as e:
            self.log("%s %s/%s: %s" % (t.kind, ns, name, e.message))
            self.requeue(t, ns, name, max(1.0, self.latency))
        except Exception as e:  # a model's bug must not kill the simulator: log it and go on
            import traceback
            traceback.print_exc()
            self.log("%s %s/%s: %s: %s" % (t.kind, ns, name, type(e).__name__, e))
            self.requeue(t, ns, name, max(1.0, self.latency))

    def log(self, msg):
        sys.stderr.write("apisim %s: %s: %s\n" % (self.c.name, self.name, msg))
        sys.stderr.flush()

    # ---- the store, as a client sees it (each call takes the lock; objects are copies)
    def type(self, group, plural):
        t = self.c.type_for(group, plural)
        if t is None:
            raise KeyError("no kind %s.%s in this cluster" % (plural, group))
        return t

    def get(self, t, ns, name):
        with self.c.cond:
            obj = self.c.objects[t.key].get((ns if t.namespaced else "", name))
            return copy.deepcopy(obj) if obj is not None else None

    def namespace_uid(self, ns):
        """The uid of namespace `ns` now (None if there is none): what a PersistentVolumeClaim in it
        lives as long as. Deleting a namespace deletes its PVCs (and a dynamically provisioned
        volume with them); one made again under the same name starts with none."""
        with self.c.cond:
            obj = self.c.objects[self.c.type_for("", "namespaces").key].get(("", ns))
            return obj["metadata"].get("uid") if obj is not None else None

    def list(self, t, ns=None, labels=None):
        """Objects of kind t (in ns, if given) whose labels include every pair of `labels`."""
        with self.c.cond:
            out = []
            for (ons, _), obj in sorted(self.c.objects[t.key].items()):
                if ns is not None and ons != ns:
                    continue
                have = obj["metadata"].get("labels") or {}
                if labels and any(have.get(k) != v for k, v in labels.items()):
                    continue
                out.append(copy.deepcopy(obj))
            return out

    def create(self, t, obj):
        """Creates obj; returns the stored copy. Raises apisim.ApiError (e.g. AlreadyExists)."""
        with self.c.cond:
            md = obj.setdefault("metadata", {})
            ns = md.get("namespace", "") if t.namespaced else ""
            self.c.check_namespace(t, ns)
            if (ns, md["name"]) in self.c.objects[t.key]:
                raise apisim.err_already_exists(t, md["name"])
            version = t.versions[0]
            new = self.c.prepare_write(t, version, ns, copy.deepcopy(obj), None, None)
            return copy.deepcopy(self.c._store_new(t, new, version, self.manager))

    def update(self, t, obj, status=False):
        """Writes obj back (its spec and metadata, or with status=True only its status), as a
        PUT with the resourceVersion it was read at: Conflict if the object changed meanwhile,
        None if it is gone. Returns the stored copy."""
        md = obj["metadata"]
        ns = md.get("namespace", "") if t.namespaced else ""
        with self.c.cond:
            old = self.c.objects[t.key].get((ns, md["name"]))
            if old is None:
                return None
            if md.get("resourceVersion") != old["metadata"]["resourceVersion"]:
                raise Conflict()
            version = apisim.obj_version(t, obj, t.versions[0])
            new = self.c.prepare_write(t, version, ns, copy.deepcopy(obj), old, "status" if status else None)
            stored, _ = self.c.commit_update(t, version, old, new, self.manager)
            return copy.deepcopy(stored)

    def delete(self, t, ns, name):
        """Deletes (or, with finalizers, marks for deletion). False if it was not there."""
        with self.c.cond:
            obj = self.c.objects[t.key].get((ns if t.namespaced else "", name))
            if obj is None:
                return False
            self.c.delete_obj(t, obj)
        if t.plural == "pods":
            # Its containers stop with it (the kubelet's part): what they served stops now, not
            # when a controller next looks (cpo.py pod_stopped: the hosted cluster's API).
            for hook in list(self.c.sandbox.get("pod_stopped", ())):
                hook(obj)
        return True

    def set_condition(self, t, obj, ctype, status, reason, message=""):
        """Sets a status condition on obj (a copy just read); writes only if it changed. Returns
        the stored object (or obj unchanged)."""
        conds = (obj.setdefault("status", {}).get("conditions") or [])
        cur = next((c for c in conds if c.get("type") == ctype), None)
        if cur and cur.get("status") == status and cur.get("reason") == reason and cur.get("message") == message:
            return obj
        cond = {"type": ctype, "status": status, "reason": reason, "message": message,
                "lastTransitionTime": cur["lastTransitionTime"] if cur and cur.get("status") == status
                else apisim.now_rfc3339()}
        if "observedGeneration" in (cur or {}) or t.kind in ("HostedCluster", "HostedControlPlane"):
            cond["observedGeneration"] = obj["metadata"].get("generation", 1)
        obj["status"]["conditions"] = [c for c in conds if c.get("type") != ctype] + [cond]
        return self.update(t, obj, status=bool(t.status)) or obj


def condition(obj, ctype):
    """The status of condition `ctype` on obj ("True", "False", "Unknown") or None."""
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c.get("status")
    return None


def deployment_running(cluster, ns, name):
    """True while Deployment ns/name has pods (status.replicas > 0): a controller that runs in
    it acts only then. Scaling to 0 stops it only once the pods are gone."""
    t = cluster.type_for("apps", "deployments")
    with cluster.cond:
        d = cluster.objects[t.key].get((ns, name))
        return bool(d) and ((d.get("status") or {}).get("replicas") or 0) > 0
