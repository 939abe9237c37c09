"""Kubernetes' garbage collector (kube-controller-manager), by owner references.

Modelled on kubernetes/kubernetes `pkg/controller/garbagecollector/garbagecollector.go`
(`attemptToDeleteItem`, `classifyReferences`, `isDangling`) and the documented behaviour
(https://kubernetes.io/docs/concepts/architecture/garbage-collection/, "Owners and dependents").
controllers.md §2 says why a migration cares: a restored object that kept
`metadata.ownerReferences` names its owners by the *source's* UIDs.

- An owner reference is *dangling* when no object of its apiVersion's group and kind, with its
  name (in the dependent's namespace, or cluster-wide for a cluster-scoped kind), has its UID
  (`isDangling`: a live GET, then a UID comparison). An owner that exists with that UID is
  *solid*, also while it is being deleted (held by a finalizer): with background propagation
  dependents go only once the owner is gone from storage.
- `attemptToDeleteItem`: all references dangling -> the dependent is deleted (background
  propagation: an ordinary delete, so its finalizers hold it and its controller's delete path
  runs); some solid and some dangling -> the dangling references are removed (a patch) and the
  object stays; all solid -> nothing. An object already being deleted is left alone.
- An owner deleted with (the default) background propagation: once it is gone, its dependents'
  references dangle, so they are deleted as above. This covers `kubectl delete` of an owner.
- A reference whose kind this cluster does not serve is not resolvable: the real GC logs and
  retries; here it counts as solid (nothing is deleted). A reference without a UID is invalid (a
  real API server refuses it) and counts as solid as well.

Not modelled: `blockOwnerDeletion` and foreground deletion (the `foregroundDeletion` finalizer),
orphan propagation (`kubectl delete --cascade=orphan` sends `propagationPolicy: Orphan`, which the
simulator ignores: with this model running such a delete cascades like a background one), the
absent-owner cache, and namespaced owners of cluster-scoped dependents (an event in the real GC).
The latency (default 2 s, `--latency garbage-collector=S`) stands for the graph builder's and the
workers' delay: a restore is collected a moment after it lands, not at once.
"""

from . import base


class GarbageCollector(base.Controller):
    name = "garbage-collector"
    role = "management"
    default_latency = 2.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # every kind: the real graph builder watches every deletable resource
        self.watched = [t for t in self.c.types]

    def keys_for(self, t, obj):
        md = obj["metadata"]
        ns = md.get("namespace", "") if t.namespaced else ""
        keys = []
        if md.get("ownerReferences"):
            keys.append((t, ns, md["name"]))
        cur = self.c.objects[t.key].get((ns, md["name"]))
        if cur is None or cur["metadata"].get("uid") != md.get("uid"):
            # the object is gone: its dependents' references may dangle now (the graph
            # builder's processGraphChanges enqueues the dependents of a deleted owner)
            uid = md.get("uid")
            for dt in self.c.types:
                for (dns, dname), dep in self.c.objects[dt.key].items():
                    if any(r.get("uid") == uid for r in dep["metadata"].get("ownerReferences") or []):
                        keys.append((dt, dns, dname))
        return keys

    def classify(self, t, obj):
        """classifyReferences: (solid, dangling) owner references of obj."""
        ns = obj["metadata"].get("namespace", "") if t.namespaced else ""
        solid, dangling = [], []
        for r in obj["metadata"].get("ownerReferences") or []:
            ot, _ = self.c.type_for_kind(r.get("apiVersion", ""), r.get("kind", ""))
            if ot is None or not r.get("uid"):
                solid.append(r)
                continue
            owner = self.get(ot, ns if ot.namespaced else "", r.get("name", ""))
            if owner is not None and owner["metadata"].get("uid") == r["uid"]:
                solid.append(r)
            else:
                dangling.append(r)
        return solid, dangling

    def reconcile(self, t, ns, name):
        obj = self.get(t, ns, name)
        if obj is None or obj["metadata"].get("deletionTimestamp") or not obj["metadata"].get("ownerReferences"):
            return
        solid, dangling = self.classify(t, obj)
        if not dangling:
            return
        what = "%s %s%s" % (t.kind, ns + "/" if ns else "", name)
        refs = ", ".join("%s %s (uid %s)" % (r.get("kind"), r.get("name"), r.get("uid")) for r in dangling)
        if solid:
            # the solid case of attemptToDeleteItem: remove the dangling references only
            obj["metadata"]["ownerReferences"] = solid
            if self.update(t, obj) is not None:
                self.log("%s: removed dangling owner references %s" % (what, refs))
            return
        with self.c.cond:
            cur = self.c.objects[t.key].get((ns, name))
            # the delete carries a UID precondition; owner references changed since they were
            # classified (a controller re-adopted it) mean another look
            if cur is None or cur["metadata"]["uid"] != obj["metadata"]["uid"]:
                return
            if cur["metadata"].get("ownerReferences") != obj["metadata"].get("ownerReferences"):
                raise base.Conflict()
            self.c.delete_obj(t, cur)
        self.log("%s deleted: every owner is gone (%s)" % (what, refs))


CONTROLLERS = [GarbageCollector]
