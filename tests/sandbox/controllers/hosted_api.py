"""The hosted cluster's API as its clients see it (role "hosted": runs in the hosted instance).

A hosted cluster's API server is not in the hosted cluster: it is the kube-apiserver Deployment in
the control-plane namespace of whichever management cluster runs it, behind one load balancer or
Route hostname (controllers.md §5). The CPO model keeps, in the shared dir, `hosted-api.json`,
one entry per hosted cluster (its HostedCluster's NAMESPACE/NAME: each has its own API server):

    {"hosted_clusters": {"<namespace>/<name>": {"servers": {"<management cluster>": {
        "etcd": {"endpoint", "ca", "cert", "key"}, "since": unix_time, "restored_from": url or null,
        "hosted_cluster", "namespace", "hostname": optional, the name kubelets and clients dial}}}}}

a server's entry existing exactly while that cluster's kube-apiserver for it has pods and its etcd
runs. The hosted apisim instance is the API of one hosted cluster (apisim --hosted-cluster, default
DEFAULT_HOSTED_CLUSTER); the others of a sandbox with several have no instance of their own: only
their entries here. This module turns that into what a client of the hosted cluster meets:

- one server: requests are served (by this apisim instance, standing for that kube-apiserver);
- none: refused at the connection, as a load balancer (or the HCP router) with no backend does:
  the request gate raises ConnectionResetError and the handler closes the connection without an
  answer. client-go retries an EOF'd GET (10 times), so one kubectl call takes ~55 s (less with
  --request-timeout) and ends with `Unable to connect to the server: EOF` after klog lines
  `couldn't get current server API group list: Get "...": EOF` (ferry: transient).
  SANDBOX_HOSTED_API_REFUSAL=503 (apisim's environment) answers `503 ServiceUnavailable` at once
  instead;
- two at once (both management clusters run the hosted cluster's control plane: the split brain
  a migration must never cause, controllers.md §5): refused too, and one line per episode is
  appended to `split-brain.jsonl` in the shared dir ({"t", "hosted_cluster", "servers", "entries"}),
  for every hosted cluster of the file, not only the one this instance serves.

Limits: a watch opened while the API was served is not cut when it stops being served; the
hosted instance's objects other than Nodes and Leases (nodes.py) do not follow a switch of etcd.

`EtcdClient` talks to a server's etcd with etcdctl and the entry's TLS client certificate (where
kube-apiserver keeps the hosted cluster's objects); `hosted_writer.py` and nodes.py use it.
"""

import base64
import json
import os
import shutil
import subprocess
import threading

import apisim

from . import base

STATE = "hosted-api.json"
SPLIT_BRAIN = "split-brain.jsonl"
# The hosted cluster of the committed fixtures (fixtures/make_fixtures.py), the first of any sandbox
# that does not say otherwise.
DEFAULT_HOSTED_CLUSTER = "clusters/jdoe-hosted"


def servers_of(data, hosted_cluster):
    """The {management cluster: entry} of one hosted cluster in hosted-api.json's content (created
    in `data` when missing, so a writer under Shared.locked can fill it in)."""
    return data.setdefault("hosted_clusters", {}).setdefault(hosted_cluster, {}).setdefault("servers", {})


class ApiView:
    """What hosted-api.json says now; re-read only when the file changed (one stat a call)."""

    _views = {}
    _views_lock = threading.Lock()

    @classmethod
    def for_shared(cls, shared, record=True, hosted_cluster=None):
        """One view per shared dir and hosted cluster in a process (the gate and the node model
        agree on it)."""
        hosted_cluster = hosted_cluster or DEFAULT_HOSTED_CLUSTER
        with cls._views_lock:
            key = (shared.path, record, hosted_cluster)
            if key not in cls._views:
                cls._views[key] = cls(shared, record, hosted_cluster=hosted_cluster)
            return cls._views[key]

    def __init__(self, shared, record=True, cluster_name="hosted", hosted_cluster=None):
        self.shared = shared
        self.record = record
        self.cluster_name = cluster_name
        self.hosted_cluster = hosted_cluster or DEFAULT_HOSTED_CLUSTER
        self.lock = threading.Lock()
        self.sig = None
        self.servers = {}
        self.split = set()      # the hosted clusters in a split-brain episode now

    def refresh(self):
        """The current {management cluster: entry} of this view's hosted cluster. A split brain
        of any hosted cluster in the file is recorded (with `record`)."""
        path = self.shared.file(STATE)
        try:
            st = os.stat(path)
            sig = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            sig = None
        with self.lock:
            if sig != self.sig:
                self.sig = sig
                data = (self.shared.read(STATE) if sig else {}) or {}
                every = {k: dict((v or {}).get("servers") or {}) for k, v in (data.get("hosted_clusters") or {}).items()}
                self.servers = every.get(self.hosted_cluster, {})
                split = {k for k, servers in every.items() if len(servers) > 1}
                if self.record:
                    for k in sorted(split - self.split):
                        self.shared.append(SPLIT_BRAIN, {"hosted_cluster": k, "servers": sorted(every[k]),
                                                         "entries": every[k], "seen_by": self.cluster_name})
                self.split = split
            return dict(self.servers)

    def serving(self):
        """(management cluster, entry) of the one server, or None (no server, or two)."""
        servers = self.refresh()
        if len(servers) == 1:
            return next(iter(servers.items()))
        return None


def refusal(servers):
    """The ApiError or ConnectionError a client gets while `servers` (not exactly one) serve."""
    mode = os.environ.get("SANDBOX_HOSTED_API_REFUSAL", "reset")
    if len(servers) > 1:
        msg = "the hosted cluster's API is served by %s at once (split brain)" % " and ".join(sorted(servers))
    else:
        msg = "no kube-apiserver serves the hosted cluster"
    if mode == "503":
        return apisim.ApiError(503, "ServiceUnavailable", msg)
    return ConnectionResetError(msg)


class HostedApi(base.Controller):
    """Installs the request gate and watches hosted-api.json so a split brain is recorded even
    when no client asks during it."""

    name = "hosted-api"
    role = "hosted"
    watches = ()
    poll = 0.02

    def __init__(self, cluster, stopping, latency=None, shared=None):
        super().__init__(cluster, stopping, latency, shared)
        self.view = ApiView.for_shared(shared, hosted_cluster=cluster.sandbox.get("hosted_cluster")) \
            if shared is not None else None
        if self.view is not None:
            self.view.cluster_name = cluster.name
            cluster.request_gate = self.gate

    def gate(self, method, path):
        servers = self.view.refresh()
        if len(servers) != 1:
            raise refusal(servers)

    def run(self):
        if self.view is None:
            self.log("no --shared-dir: the hosted API is always served")
            return
        while not self.stopping.wait(self.poll):
            try:
                self.view.refresh()
            except (OSError, ValueError) as e:
                self.log("%s: %s" % (STATE, e))


CONTROLLERS = [HostedApi]


def prefix_end(prefix):
    """etcd's range_end for every key that starts with `prefix`."""
    b = bytearray(prefix.encode())
    b[-1] += 1
    return bytes(b)


class EtcdError(Exception):
    pass


ETCDCTL = shutil.which("etcdctl") or "/usr/bin/etcdctl"


class EtcdClient:
    """etcdctl (v3 API) against an entry's etcd: {"endpoint", "ca", "cert", "key"}. (Not etcd's
    JSON gateway: etcd 3.4's gateway dials its own gRPC port with the *server* certificate, which a
    --client-cert-auth etcd whose server certificate lacks clientAuth refuses.)"""

    def __init__(self, etcd, timeout=3.0):
        endpoint = etcd["endpoint"]
        if "://" not in endpoint:
            endpoint = "https://" + endpoint
        self.args = [ETCDCTL, "--endpoints=" + endpoint, "--dial-timeout=%ds" % max(1, int(timeout)),
                     "--command-timeout=%ds" % max(1, int(timeout))]
        for flag, k in (("--cacert", "ca"), ("--cert", "cert"), ("--key", "key")):
            if etcd.get(k):
                self.args += [flag, etcd[k]]
        self.timeout = timeout
        self.env = dict(os.environ, ETCDCTL_API="3")

    def run(self, *args, stdin=None):
        try:
            r = subprocess.run(self.args + ["-w", "json"] + list(args), input=stdin, capture_output=True, text=True,
                               env=self.env, timeout=self.timeout + 5)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise EtcdError("etcdctl %s: %s" % (args[0], e))
        if r.returncode != 0:
            lines = [ln for ln in (r.stderr or r.stdout).splitlines() if ln.strip()]
            raise EtcdError("etcdctl %s: %s" % (args[0], lines[-1] if lines else "exit %d" % r.returncode))
        try:
            return json.loads(r.stdout or "{}")
        except ValueError:
            return {}

    def put(self, key, value):
        """Returns the revision the write was committed at (etcd acknowledged it)."""
        r = self.run("put", key, stdin=value)
        return int((r.get("header") or {}).get("revision") or 0)

    def put_many(self, items):
        """One transaction of puts: {key: value}."""
        if not items:
            return 0
        ops = "".join("put %s %s\n" % (json.dumps(k), json.dumps(v)) for k, v in items.items())
        r = self.run("txn", stdin="\n" + ops + "\n\n")
        if r.get("succeeded") is False:
            raise EtcdError("etcdctl txn: not applied")
        return int((r.get("header") or {}).get("revision") or 0)

    def get_prefix(self, prefix):
        """{key: value} of every key under `prefix`."""
        r = self.run("get", "--prefix", prefix)
        return {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv.get("value", "")).decode()
                for kv in r.get("kvs") or []}

    def get(self, key):
        kvs = self.run("get", key).get("kvs") or []
        return base64.b64decode(kvs[0].get("value", "")).decode() if kvs else None
