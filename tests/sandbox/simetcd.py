"""Real etcd behind the simulated clusters (opt-in apisim flags).

--etcd                one etcd (Debian etcd-server, TLS with client certificates) per namespace
                      backs the pods labelled app=etcd of the fixtures (one per hosted cluster):
                      the CA and client certificate land in each pod's directory at both
                      OpenShift layouts (/etc/etcd/tls/etcd-ca/ca.crt and
                      /etc/etcd/tls/client/etcd-client-ca.crt, /etc/etcd/tls/client/etcd-client.{crt,key}),
                      and `localhost:2379` in an exec'd command is rewritten to its port, so the
                      procedure's `etcdctl ... --endpoints=localhost:2379 snapshot save` works as written.
--hypershift-restore  a simulated HyperShift controller: a HostedCluster that names a
                      restoreSnapshotURL gets its snapshot downloaded, restored (`etcdctl snapshot
                      restore`, which checks the snapshot's hash), served by a new etcd, and etcd pods
                      in its control-plane namespace (1, or 3 when HighlyAvailable) backed by it; the
                      outcome is the HostedCluster's condition `EtcdSnapshotRestored`.
"""

import copy
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.request

ETCD = "/usr/bin/etcd"
ETCDCTL = "/usr/bin/etcdctl"
POD_FILES = {"ca.crt": ["etc/etcd/tls/etcd-ca/ca.crt", "etc/etcd/tls/client/etcd-client-ca.crt"],
             "client.crt": ["etc/etcd/tls/client/etcd-client.crt"],
             "client.key": ["etc/etcd/tls/client/etcd-client.key"]}


def free_ports(n):
    """n distinct free loopback ports: all bound at once (one at a time, the kernel may hand the
    same port out twice, and two etcd members then share a peer URL)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class EtcdManager:
    def __init__(self, state_dir):
        self.dir = os.path.join(state_dir, "etcd")
        self.tls = os.path.join(self.dir, "tls")
        self.procs = []
        self.lock = threading.Lock()
        os.makedirs(self.dir, exist_ok=True)
        self._make_tls()

    def _make_tls(self):
        d = self.tls
        if os.path.exists(os.path.join(d, "client.key")):
            return
        os.makedirs(d, exist_ok=True)

        def ossl(*a):
            subprocess.run(["openssl"] + list(a), check=True, capture_output=True)
        ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "3650",
             "-keyout", os.path.join(d, "ca.key"), "-out", os.path.join(d, "ca.crt"), "-subj", "/CN=etcd-signer")
        for name, ext in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"),
                          ("client", "extendedKeyUsage=clientAuth")):
            ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                 os.path.join(d, name + ".key"), "-out", os.path.join(d, name + ".csr"), "-subj", "/CN=etcd-" + name)
            with open(os.path.join(d, name + ".ext"), "w") as f:
                f.write(ext + "\n")
            ossl("x509", "-req", "-in", os.path.join(d, name + ".csr"), "-CA", os.path.join(d, "ca.crt"), "-CAkey",
                 os.path.join(d, "ca.key"), "-CAcreateserial", "-days", "3650", "-out", os.path.join(d, name + ".crt"),
                 "-extfile", os.path.join(d, name + ".ext"))

    def client_args(self, port):
        t = self.tls
        return ["--endpoints=https://localhost:%d" % port, "--cacert", os.path.join(t, "ca.crt"),
                "--cert", os.path.join(t, "client.crt"), "--key", os.path.join(t, "client.key")]

    def start(self, name, data_dir=None, restored_from=None):
        """Starts an etcd; with restored_from, from `etcdctl snapshot restore` of that file first.
        Returns (client port, error text or None)."""
        client, peer = free_ports(2)
        data_dir = data_dir or os.path.join(self.dir, name)
        peer_url = "http://127.0.0.1:%d" % peer
        env = dict(os.environ, ETCDCTL_API="3")
        if restored_from:
            shutil.rmtree(data_dir, ignore_errors=True)
            r = subprocess.run([ETCDCTL, "snapshot", "restore", restored_from, "--data-dir", data_dir, "--name", name,
                                "--initial-cluster", "%s=%s" % (name, peer_url), "--initial-advertise-peer-urls",
                                peer_url], env=env, capture_output=True, text=True)
            if r.returncode != 0:
                lines = [ln for ln in (r.stderr or r.stdout).splitlines() if ln.strip()]
                return None, "etcdctl snapshot restore: " + (lines[-1] if lines else "exit %d" % r.returncode)
        t = self.tls
        log = open(os.path.join(self.dir, name + ".log"), "ab")
        proc = subprocess.Popen([ETCD, "--name", name, "--data-dir", data_dir,
                                 "--listen-client-urls", "https://127.0.0.1:%d" % client,
                                 "--advertise-client-urls", "https://127.0.0.1:%d" % client,
                                 "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
                                 "--initial-cluster", "%s=%s" % (name, peer_url),
                                 "--cert-file", os.path.join(t, "server.crt"), "--key-file", os.path.join(t, "server.key"),
                                 "--trusted-ca-file", os.path.join(t, "ca.crt"), "--client-cert-auth"],
                                stdout=log, stderr=log, start_new_session=True)
        log.close()
        with self.lock:
            self.procs.append(proc)
        deadline = time.time() + 20
        while time.time() < deadline:
            if proc.poll() is not None:
                return None, "etcd exited with %d (see %s.log)" % (proc.returncode, name)
            r = subprocess.run([ETCDCTL] + self.client_args(client) + ["endpoint", "health"], env=env,
                               capture_output=True)
            if r.returncode == 0:
                return client, None
            time.sleep(0.1)
        return None, "etcd %s did not become healthy" % name

    def back_pod(self, pod, pod_dir, port):
        """Puts the TLS files into the pod's directory and points the pod at the etcd on `port`."""
        for src, dsts in POD_FILES.items():
            for dst in dsts:
                path = os.path.join(pod_dir, dst)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                shutil.copy(os.path.join(self.tls, src), path)
        os.makedirs(os.path.join(pod_dir, "var/lib/data"), exist_ok=True)
        md = pod.setdefault("metadata", {})
        ann = md.setdefault("annotations", {})
        rewrites = json.loads(ann.get("apisim.ferry.dev/arg-rewrites") or "{}")
        rewrites.update({"localhost:2379": "localhost:%d" % port, "127.0.0.1:2379": "127.0.0.1:%d" % port})
        ann["apisim.ferry.dev/arg-rewrites"] = json.dumps(rewrites, sort_keys=True)
        ann["apisim.ferry.dev/etcd-endpoint"] = "https://localhost:%d" % port

    def stop_under(self, root):
        """Stops every etcd whose data dir is under `root` and removes `root` (a volume deleted)."""
        with self.lock:
            mine = [p for p in self.procs if any(str(a).startswith(root + os.sep) for a in p.args)]
            self.procs = [p for p in self.procs if p not in mine]
        for p in mine:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except OSError:
                    pass
        for p in mine:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        shutil.rmtree(root, ignore_errors=True)

    def stop_all(self):
        with self.lock:
            for p in self.procs:
                if p.poll() is None:
                    try:
                        os.killpg(p.pid, signal.SIGTERM)
                    except OSError:
                        pass
            for p in self.procs:
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)


def back_fixture_pods(cluster, manager):
    """--etcd: a real etcd for the pods labelled app=etcd of each namespace (each hosted cluster's
    control plane has its own etcd, so a snapshot of one holds that cluster's data alone). Returns
    {namespace: port} in the order the fixture first names each namespace's pods (the first is the
    first hosted cluster's: its etcd keeps the name `<cluster>-etcd` and is ready.json's `etcd`)."""
    pods_t = cluster.type_for("", "pods")
    pods = [p for p in cluster.objects[pods_t.key].values()
            if (p["metadata"].get("labels") or {}).get("app") == "etcd"]
    by_ns = {}
    for p in pods:
        by_ns.setdefault(p["metadata"]["namespace"], []).append(p)
    ports = {}
    for i, (ns, mine) in enumerate(by_ns.items()):
        port, err = manager.start(cluster.name + "-etcd" if i == 0 else "%s-etcd-%s" % (cluster.name, ns))
        if err:
            raise SystemExit("apisim: --etcd: %s: %s" % (ns, err))
        for p in mine:
            md = p["metadata"]
            manager.back_pod(p, os.path.join(cluster.state_dir, "pods", md["namespace"], md["name"]), port)
        ports[ns] = port
    return ports


class RestoreController(threading.Thread):
    """--hypershift-restore: follows HostedCluster events and restores etcd from restoreSnapshotURL."""

    def __init__(self, cluster, manager, stopping, ca_bundle=None):
        super().__init__(daemon=True)
        self.c = cluster
        self.m = manager
        self.stopping = stopping
        self.ca_bundle = ca_bundle
        self.done = set()
        self.hc_t = next(t for t in cluster.types if t.kind == "HostedCluster")

    def run(self):
        pos = 0
        while not self.stopping.is_set():
            with self.c.cond:
                log = self.c.events[self.hc_t.key]
                while pos >= len(log) and not self.stopping.is_set():
                    self.c.cond.wait(0.5)
                batch = [copy.deepcopy(o) for _, typ, o in log[pos:] if typ != "DELETED"]
                pos = len(log)
            for hc in batch:
                storage = (((hc.get("spec") or {}).get("etcd") or {}).get("managed") or {}).get("storage") or {}
                urls = storage.get("restoreSnapshotURL") or []
                uid = hc["metadata"]["uid"]
                if urls and uid not in self.done:
                    self.done.add(uid)
                    try:
                        self.restore(hc, urls[0])
                    except Exception as e:  # a controller reports, it does not die
                        msg = str(e) if isinstance(e, RuntimeError) else "%s: %s" % (type(e).__name__, e)
                        self.condition(hc, "False", "RestoreFailed", msg)

    def download(self, url, path):
        if url.startswith("s3://"):
            raise ValueError("s3:// URLs need credentials: the sandbox controller takes https (presigned) URLs")
        ctx = ssl.create_default_context(cafile=self.ca_bundle) if url.startswith("https:") else None
        with urllib.request.urlopen(url, context=ctx, timeout=60) as r, open(path, "wb") as f:
            shutil.copyfileobj(r, f, 1 << 20)

    def restore(self, hc, url):
        md = hc["metadata"]
        cp_ns = "%s-%s" % (md["namespace"], md["name"])
        work = os.path.join(self.m.dir, "restore-" + cp_ns)
        os.makedirs(work, exist_ok=True)
        snap = os.path.join(work, "snapshot.db")
        self.download(url, snap)
        port, err = self.m.start("restored-" + cp_ns, os.path.join(work, "data"), restored_from=snap)
        if err:
            raise RuntimeError(err)
        ha = (hc.get("spec") or {}).get("controllerAvailabilityPolicy") == "HighlyAvailable"
        pods_t = self.c.type_for("", "pods")
        ns_t = self.c.type_for("", "namespaces")
        with self.c.cond:
            if ("", cp_ns) not in self.c.objects[ns_t.key]:
                self.c._store_new(ns_t, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": cp_ns}}, "v1",
                                  "hypershift-operator")
            for i in range(3 if ha else 1):
                name = "etcd-%d" % i
                if (cp_ns, name) in self.c.objects[pods_t.key]:
                    continue
                pod = {"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": name, "namespace": cp_ns, "labels": {"app": "etcd"}},
                       "spec": {"containers": [{"name": "etcd", "image": "quay.io/openshift/etcd",
                                                "env": [{"name": "ETCDCTL_API", "value": "3"}]}]},
                       "status": {"phase": "Running"}}
                self.m.back_pod(pod, os.path.join(self.c.state_dir, "pods", cp_ns, name), port)
                self.c._store_new(pods_t, pod, "v1", "hypershift-operator")
        self.condition(hc, "True", "Restored", "etcd restored from the snapshot at restoreSnapshotURL")
        # What HyperShift reports once the restored control plane is up.
        self.condition(hc, "True", "AsExpected", "The hosted control plane is available", kind="Available")

    def condition(self, hc, status, reason, message, kind="EtcdSnapshotRestored"):
        md = hc["metadata"]
        key = (md["namespace"], md["name"])
        with self.c.cond:
            cur = self.c.objects[self.hc_t.key].get(key)
            if cur is None or cur["metadata"]["uid"] != md["uid"]:
                return
            new = copy.deepcopy(cur)
            conds = [c for c in (new.setdefault("status", {}).get("conditions") or []) if c.get("type") != kind]
            conds.append({"type": kind, "status": status, "reason": reason, "message": message,
                          "lastTransitionTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
            new["status"]["conditions"] = conds
            new["metadata"]["resourceVersion"] = str(self.c.next_rv())
            self.c.objects[self.hc_t.key][key] = new
            self.c._record(self.hc_t, "MODIFIED", new)
