"""The hosted cluster's nodes: kubelet heartbeats and the node lifecycle controller (role "hosted").

Real sources (kubernetes/kubernetes):
- kubelet Lease: `pkg/kubelet/kubelet.go` starts `k8s.io/component-helpers/apimachinery/lease`
  with renewInterval = 0.25 x nodeLeaseDurationSeconds (40 s): `spec.renewTime` every 10 s; the
  Lease in `kube-node-lease` is owned by the Node and recreated if missing (`ensureLease`).
- kubelet node status: `pkg/kubelet/kubelet_node_status.go` `syncNodeStatus`/`tryUpdateNodeStatus`
  every nodeStatusUpdateFrequency (10 s), posting when something changed or every
  nodeStatusReportFrequency (5 min); Ready comes from `pkg/kubelet/nodestatus/setters.go`
  `ReadyCondition` (reason KubeletReady, `lastHeartbeatTime` = now).
- node lifecycle controller (in kube-controller-manager): `pkg/controller/nodelifecycle/
  node_lifecycle_controller.go` `tryUpdateNodeHealth`: a node's probe time is *this controller's
  clock* when it sees the Ready condition's `lastHeartbeatTime` or the Lease's `renewTime` change
  (a node seen for the first time gets now); past probe + node-monitor-grace-period (40 s, 50 s
  since 1.32) every condition goes Unknown (reason NodeStatusUnknown, "Kubelet stopped posting
  node status."), and `node.kubernetes.io/unreachable` taints follow (NoSchedule, NoExecute);
  they go when the node is Ready again.

The model. Whether the hosted cluster's API is served comes from controllers/hosted_api.py
(exactly one server in hosted-api.json; without a shared dir it always is).
- Kubelets heartbeat only while the API is served and they are connected: the Lease every
  `lease_renew` s, the Ready condition's lastHeartbeatTime every `status_report` s (scaled down;
  a plan should judge freshness by the Lease, as the real report period is 5 min). Each
  heartbeat is also written to the serving server's etcd (`/registry/leases/kube-node-lease/N`,
  `/registry/minions/N`, as JSON: the real kube-apiserver stores protobuf there), so a snapshot of
  that etcd holds the nodes as they were at the snapshot.
- When a serving period starts (a server appears, or another replaces it), the Nodes and Leases
  become what that server's etcd holds, if it holds them: from a restored etcd, Ready=True with a
  lastHeartbeatTime and renewTime from before the snapshot. The kubelets reconnect `reconnect` s
  later (a fresh heartbeat then), except when both the old and the new entry name a `hostname`
  and they differ: kubelets keep dialling the old one (controllers.md §5) and never come back.
  At apisim start with a server already there the kubelets are connected at once.
- The node lifecycle controller runs only while the API is served (kube-controller-manager
  works through that API, and loses its leader lease and restarts when it is gone): each serving
  period starts it afresh, every node's probe time = the period's start, so Ready goes Unknown
  only after `grace` s of no fresh heartbeat within a period (e.g. kubelets that cannot reconnect).
  Nothing changes the Nodes while the API is not served.

Pins (seconds), from the environment of apisim (SANDBOX_NODE_LEASE_RENEW, _STATUS_REPORT, _GRACE,
_RECONNECT), overridden by `node-lifecycle.json` in the shared dir ({"lease_renew", "status_report",
"grace", "reconnect"}), re-read when it changes: defaults 1, 3, 8, 3.
"""

import copy
import datetime
import json
import os
import time

from . import base
from .hosted_api import ApiView, EtcdClient, EtcdError

CONFIG = "node-lifecycle.json"
DEFAULTS = {"lease_renew": 1.0, "status_report": 3.0, "grace": 8.0, "reconnect": 3.0}
ENV = {"lease_renew": "SANDBOX_NODE_LEASE_RENEW", "status_report": "SANDBOX_NODE_STATUS_REPORT",
       "grace": "SANDBOX_NODE_GRACE", "reconnect": "SANDBOX_NODE_RECONNECT"}
LEASE_NS = "kube-node-lease"
LEASE_KEY = "/registry/leases/kube-node-lease/"
NODE_KEY = "/registry/minions/"
UNREACHABLE = "node.kubernetes.io/unreachable"
NEVER = float("inf")


def rfc3339(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_time(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(s):
    """RFC 3339 (with or without fractional seconds) -> unix time, or None."""
    if not s:
        return None
    s = s.replace("Z", "+00:00")
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.datetime.strptime(s, fmt).timestamp()
        except ValueError:
            pass
    return None


def ready_condition(node):
    for c in ((node or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c
    return None


KUBELET_CONDITIONS = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)


class NodeLifecycle(base.Controller):
    name = "node-lifecycle"
    role = "hosted"
    watches = ()
    tick = 0.1

    def __init__(self, cluster, stopping, latency=None, shared=None):
        super().__init__(cluster, stopping, latency, shared)
        # the nodes of the hosted cluster this instance is the API of (apisim --hosted-cluster)
        self.view = ApiView.for_shared(shared, hosted_cluster=cluster.sandbox.get("hosted_cluster")) \
            if shared is not None else None
        self.node_t = self.type("", "nodes")
        self.lease_t = self.type("coordination.k8s.io", "leases")
        self.cfg = {k: float(os.environ.get(ENV[k], v)) for k, v in DEFAULTS.items()}
        self.cfg_base = dict(self.cfg)
        self.cfg_sig = None
        self.period = None          # (management cluster, since) of the serving period
        self.entry = None
        self.prev_entry = None
        self.period_start = 0.0
        self.reconnect = "never"    # "now", "latency" (after cfg["reconnect"] s) or "never"
        self.last_lease = {}        # node -> when its kubelet last renewed
        self.last_status = {}       # node -> when its kubelet last posted status
        self.probe = {}             # node -> (observed heartbeat, probe time): the NLC's memory
        self.etcd = None

    # ---- configuration
    def config(self):
        if self.shared is None:
            return self.cfg
        path = self.shared.file(CONFIG)
        try:
            st = os.stat(path)
            sig = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            sig = None
        if sig != self.cfg_sig:
            self.cfg_sig = sig
            cfg = dict(self.cfg_base)
            if sig:
                try:
                    cfg.update({k: float(v) for k, v in self.shared.read(CONFIG).items() if k in DEFAULTS})
                except (ValueError, TypeError, AttributeError) as e:
                    self.log("%s: %s" % (CONFIG, e))
            self.cfg = cfg
        return self.cfg

    # ---- the loop
    def run(self):
        first = True
        while not self.stopping.wait(self.tick):
            try:
                self.step(first)
            except Exception as e:  # a model's bug must not kill the simulator
                import traceback
                traceback.print_exc()
                self.log("%s: %s" % (type(e).__name__, e))
            first = False

    def serving(self):
        if self.view is None:
            return ("local", {"since": 0})
        return self.view.serving()

    def step(self, first):
        cfg = self.config()
        now = time.time()
        srv = self.serving()
        if srv is None:
            if self.period is not None:
                self.log("hosted API not served: kubelets and the node lifecycle controller stop")
                self.prev_entry = self.entry
            self.period = None
            self.entry = None
            return
        name, entry = srv
        period = (name, entry.get("since"))
        if period != self.period:
            self.start_period(name, entry, now, cfg, connected=first)
        if self.kubelets_connected(now, cfg):
            self.heartbeat(now, cfg)
        self.monitor(now, cfg)

    def start_period(self, name, entry, now, cfg, connected):
        prev = self.prev_entry if self.entry is None else self.entry
        self.period = (name, entry.get("since"))
        self.entry = entry
        self.etcd = None
        if entry.get("etcd"):
            try:
                self.etcd = EtcdClient(entry["etcd"])
            except (OSError, KeyError, ValueError) as e:
                self.log("etcd of %s: %s" % (name, e))
        loaded = self.load_from_etcd()
        old_host, new_host = (prev or {}).get("hostname"), entry.get("hostname")
        self.period_start = now
        if connected:
            self.reconnect = "now"
        elif old_host and new_host and old_host != new_host:
            self.reconnect = "never"
            self.log("kubelets dial %s; the API is now at %s: they do not reconnect" % (old_host, new_host))
        else:
            self.reconnect = "latency"
        # kube-controller-manager starts afresh: every node first seen now.
        self.probe = {}
        self.last_lease, self.last_status = {}, {}
        self.log("hosted API served by %s%s; %d node(s) from its etcd; kubelets reconnect %s" % (
            name, " (restored from a snapshot)" if entry.get("restored_from") else "", loaded,
            "in %.1fs" % cfg["reconnect"] if self.reconnect == "latency" else self.reconnect))

    def kubelets_connected(self, now, cfg):
        """The reconnect latency is read each time, so a test can hold the kubelets off and let go."""
        return self.reconnect == "now" or (self.reconnect == "latency" and now >= self.period_start + cfg["reconnect"])

    # ---- etcd: where the serving kube-apiserver keeps the nodes
    def load_from_etcd(self):
        """Sets the Nodes' status and taints and the Leases' spec to what the serving etcd holds.
        Returns how many objects it held."""
        if self.etcd is None:
            return 0
        try:
            nodes = self.etcd.get_prefix(NODE_KEY)
            leases = self.etcd.get_prefix(LEASE_KEY)
        except EtcdError as e:
            self.log(str(e))
            return 0
        n = 0
        for key, value in nodes.items():
            stored = json.loads(value)
            cur = self.get(self.node_t, "", key[len(NODE_KEY):])
            if cur is None:
                continue
            n += 1
            if (cur.get("spec") or {}).get("taints") != (stored.get("spec") or {}).get("taints"):
                spec = cur.setdefault("spec", {})
                if (stored.get("spec") or {}).get("taints"):
                    spec["taints"] = stored["spec"]["taints"]
                else:
                    spec.pop("taints", None)
                cur = self.update(self.node_t, cur) or cur
            if cur.get("status", {}).get("conditions") != (stored.get("status") or {}).get("conditions"):
                cur.setdefault("status", {})["conditions"] = (stored.get("status") or {}).get("conditions") or []
                self.update(self.node_t, cur, status=True)
        for key, value in leases.items():
            stored = json.loads(value)
            cur = self.get(self.lease_t, LEASE_NS, key[len(LEASE_KEY):])
            if cur is None or cur.get("spec") == stored.get("spec"):
                continue
            cur["spec"] = stored.get("spec") or {}
            self.update(self.lease_t, cur)
        return n

    def persist(self, nodes=(), leases=()):
        """Writes the objects to the serving etcd; False if it did not take them (then the API
        server would have failed the write too)."""
        if self.etcd is None:
            return True
        items = {}
        for o in nodes:
            items[NODE_KEY + o["metadata"]["name"]] = json.dumps(o, sort_keys=True)
        for o in leases:
            items[LEASE_KEY + o["metadata"]["name"]] = json.dumps(o, sort_keys=True)
        try:
            self.etcd.put_many(items)
            return True
        except EtcdError as e:
            self.log(str(e))
            return False

    # ---- kubelets
    def heartbeat(self, now, cfg):
        nodes, leases = [], []
        for node in self.list(self.node_t):
            name = node["metadata"]["name"]
            if now - self.last_lease.get(name, -NEVER) >= cfg["lease_renew"]:
                lease = self.renewed_lease(node, now)
                if lease is not None:
                    leases.append(lease)
            rc = ready_condition(node)
            if now - self.last_status.get(name, -NEVER) >= cfg["status_report"] or not rc or rc.get("status") != "True":
                nodes.append(self.posted_status(node, now))
        if not nodes and not leases:
            return
        if not self.persist(nodes, leases):
            return
        for lease in leases:
            try:
                stored = self.update(self.lease_t, lease) if lease["metadata"].get("resourceVersion") \
                    else self.create(self.lease_t, lease)
            except base.Conflict:
                continue
            if stored is not None:
                self.last_lease[lease["metadata"]["name"]] = now
        for node in nodes:
            try:
                if self.update(self.node_t, node, status=True) is not None:
                    self.last_status[node["metadata"]["name"]] = now
            except base.Conflict:
                pass

    def renewed_lease(self, node, now):
        name = node["metadata"]["name"]
        lease = self.get(self.lease_t, LEASE_NS, name)
        if lease is None:
            with self.c.cond:
                if ("", LEASE_NS) not in self.c.objects[self.c.type_for("", "namespaces").key]:
                    return None
            lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                     "metadata": {"name": name, "namespace": LEASE_NS, "ownerReferences": [
                         {"apiVersion": "v1", "kind": "Node", "name": name, "uid": node["metadata"]["uid"]}]},
                     "spec": {"holderIdentity": name, "leaseDurationSeconds": 40}}
        lease["spec"]["renewTime"] = micro_time(now)
        return lease

    def posted_status(self, node, now):
        node = copy.deepcopy(node)
        conds = {c.get("type"): c for c in (node.setdefault("status", {}).get("conditions") or [])}
        out = []
        for typ, status, reason, message in KUBELET_CONDITIONS:
            cur = conds.pop(typ, None) or {}
            out.append({"type": typ, "status": status, "reason": reason, "message": message,
                        "lastHeartbeatTime": rfc3339(now),
                        "lastTransitionTime": cur.get("lastTransitionTime") if cur.get("status") == status
                        else rfc3339(now)})
        node["status"]["conditions"] = list(conds.values()) + out
        return node

    # ---- the node lifecycle controller (kube-controller-manager)
    def monitor(self, now, cfg):
        for node in self.list(self.node_t):
            name = node["metadata"]["name"]
            rc = ready_condition(node) or {}
            lease = self.get(self.lease_t, LEASE_NS, name)
            seen = (rc.get("lastHeartbeatTime"), ((lease or {}).get("spec") or {}).get("renewTime"))
            prev = self.probe.get(name)
            if prev is None or prev[0] != seen:
                self.probe[name] = (seen, now)
            elif now > prev[1] + cfg["grace"] and rc.get("status") != "Unknown":
                self.mark_unknown(node, now)
                continue
            if rc.get("status") == "True" and any(t.get("key") == UNREACHABLE
                                                  for t in (node.get("spec") or {}).get("taints") or []):
                node["spec"]["taints"] = [t for t in node["spec"]["taints"] if t.get("key") != UNREACHABLE]
                if not node["spec"]["taints"]:
                    del node["spec"]["taints"]
                if self.persist([node]):
                    try:
                        self.update(self.node_t, node)
                    except base.Conflict:
                        pass

    def mark_unknown(self, node, now):
        node = copy.deepcopy(node)
        for c in node["status"].get("conditions") or []:
            if c.get("status") != "Unknown":
                c.update(status="Unknown", reason="NodeStatusUnknown", message="Kubelet stopped posting node status.",
                         lastTransitionTime=rfc3339(now))
        taints = [t for t in (node.setdefault("spec", {}).get("taints") or []) if t.get("key") != UNREACHABLE]
        taints += [{"key": UNREACHABLE, "effect": "NoSchedule", "timeAdded": rfc3339(now)},
                   {"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": rfc3339(now)}]
        node["spec"]["taints"] = taints
        if not self.persist([node]):
            return
        try:
            stored = self.update(self.node_t, node, status=True)
            if stored is not None:
                stored["spec"]["taints"] = taints
                self.update(self.node_t, stored)
        except base.Conflict:
            return
        self.log("node %s: Ready Unknown (no heartbeat for %.1fs)" % (node["metadata"]["name"],
                                                                      now - self.probe[node["metadata"]["name"]][1]))


CONTROLLERS = [NodeLifecycle]
