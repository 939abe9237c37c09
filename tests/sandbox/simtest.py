"""Shared helpers for the sandbox tests: start an apisim instance, run the real kubectl against it."""

import http.server
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHARED = os.environ.get("FERRY_SHARED_TESTDATA") or os.path.join(os.path.dirname(ROOT), "shared", "testdata")
CRDS = os.environ.get("FERRY_CRDS") or os.path.join(SHARED, "crds")
# the CRDs the shared testdata lacks (AWSEndpointService), always loaded after CRDS
SANDBOX_CRDS = os.path.join(HERE, "crds")
CRD_TESTS = os.path.join(SHARED, "crd-tests")
FIXTURES = os.path.join(HERE, "fixtures")
KUBECTL = shutil.which("kubectl")


def poll(fn, timeout, interval=0.2):
    """Calls fn() until it returns something truthy or `timeout` seconds pass. Returns
    (that value, or None on a timeout; the last value fn returned), for the caller's message."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last, last
        time.sleep(interval)
    return None, last


class Sim:
    """One apisim.py process with its own state dir, port and kubeconfig."""

    def __init__(self, fixture="source", name=None, crds=True, extra=()):
        self.dir = tempfile.mkdtemp(prefix="apisim-test-")
        ready = os.path.join(self.dir, "ready.json")
        args = [sys.executable, os.path.join(HERE, "apisim.py"), "--state-dir", os.path.join(self.dir, "state"),
                "--port", "0", "--ready-file", ready, "--name", name or fixture or "sim"]
        if crds:
            args += ["--crds", CRDS, "--crds", SANDBOX_CRDS]
        if fixture:
            args += ["--fixture", os.path.join(FIXTURES, fixture + ".json")]
        args += list(extra)
        self.log = open(os.path.join(self.dir, "apisim.log"), "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError("apisim did not start: " + open(os.path.join(self.dir, "apisim.log")).read())
            time.sleep(0.05)
        with open(ready) as f:
            self.info = json.load(f)
        self.kubeconfig = self.info["kubeconfig"]
        self.state_dir = self.info["state_dir"]

    def admin(self, path, method="GET", body=None):
        import ssl
        import urllib.request
        req = urllib.request.Request(self.info["url"] + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Bearer " + self.info["token"],
                                              "Content-Type": "application/json"})
        ctx = ssl.create_default_context(cafile=self.info["ca"])
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return json.load(r)

    def fault(self, **fault):
        """Adds a fault (see apisim's /apisim/faults): the next `count` requests matching `method`
        and the `path` regex get `code` instead of an answer."""
        return self.admin("/apisim/faults", "POST", fault)

    def wait_for_watch(self, plural, count=1, timeout=30):
        """Blocks until `count` watches on `plural` are open (a kubectl wait/get -w has started)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.admin("/apisim/watches")["watches"].get(plural, 0) >= count:
                return
            time.sleep(0.05)
        raise AssertionError("no watch on %s after %ss" % (plural, timeout))

    def pod_dir(self, ns, name):
        return os.path.join(self.state_dir, "pods", ns, name)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def needs(condition, why):
    """Like unittest.skipUnless, but what is missing fails the tests instead of skipping them:
    the project's scripts install everything the tests need (kubectl comes with the machine),
    so a missing tool means a broken machine, and a skip would hide it."""
    def decorate(target):
        if condition:
            return target
        if isinstance(target, type):
            def fail(self):
                raise AssertionError(why)
            target.setUp = fail
            target.setUpClass = classmethod(lambda cls: None)
            target.tearDownClass = classmethod(lambda cls: None)
            return target

        def failing(*args, **kwargs):
            raise AssertionError(why)
        return failing
    return decorate


@needs(KUBECTL, "kubectl is not installed (the sandbox tests need the real kubectl)")
@needs(os.path.isdir(CRDS), "CRDs not found at " + CRDS)
class SimTestCase(unittest.TestCase):
    """A class shares one simulator instance; every test gets its own KUBECACHEDIR."""

    fixture = "source"
    per_test = False      # True: a fresh instance for every test
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.sim = None if cls.per_test else Sim(cls.fixture)

    @classmethod
    def tearDownClass(cls):
        if cls.sim:
            cls.sim.stop()

    def setUp(self):
        if self.per_test:
            self.sim = Sim(self.fixture)
            self.addCleanup(self.sim.stop)
        self.cache = tempfile.mkdtemp(prefix="kubecache-")
        self.addCleanup(shutil.rmtree, self.cache, True)

    def kubectl(self, *args, input=None, kubeconfig=None, timeout=60, binary=False):
        env = dict(os.environ, KUBECONFIG=kubeconfig or self.sim.kubeconfig, KUBECACHEDIR=self.cache)
        if isinstance(input, (dict, list)):
            input = json.dumps(input)
        if input is not None and not binary and isinstance(input, bytes):
            input = input.decode()
        return subprocess.run([KUBECTL] + list(args), input=input, capture_output=True, env=env,
                              timeout=timeout, text=not binary)

    def start(self, *args):
        """Starts kubectl in the background (e.g. a `wait`); `finish` collects it."""
        env = dict(os.environ, KUBECONFIG=self.sim.kubeconfig, KUBECACHEDIR=self.cache)
        p = subprocess.Popen([KUBECTL] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        return p

    def finish(self, p, timeout=60):
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err

    def ok(self, *args, **kw):
        r = self.kubectl(*args, **kw)
        self.assertEqual(r.returncode, 0, "kubectl %s failed: %s" % (" ".join(args), r.stderr))
        return r.stdout

    def fails(self, *args, code=1, **kw):
        r = self.kubectl(*args, **kw)
        self.assertEqual(r.returncode, code, "kubectl %s: want exit %d, got %d\nstdout: %s\nstderr: %s"
                         % (" ".join(args), code, r.returncode, r.stdout, r.stderr))
        return r.stderr

    def get(self, *args):
        return json.loads(self.ok("get", "-o", "json", *args))

    def assertLine(self, line, text):
        self.assertIn(line, text.splitlines(), "line %r not in:\n%s" % (line, text))


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


class SnapshotServer:
    """An https server for "presigned" snapshot URLs: the files of `www` (under `work`), with a
    self-signed certificate for localhost (`crt`, the CA bundle a restore is given)."""

    def __init__(self, work):
        self.www = os.path.join(work, "www")
        os.makedirs(self.www)
        key, self.crt = os.path.join(work, "s3.key"), os.path.join(work, "s3.crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "2", "-keyout", key, "-out", self.crt, "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
        handler = lambda *a, **kw: _Quiet(*a, directory=self.www, **kw)  # noqa: E731
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.crt, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base = "https://localhost:%d" % self.httpd.server_address[1]

    def stop(self):
        self.httpd.shutdown()


class RestoreTestCase(unittest.TestCase):
    """A source and a destination simulator, and the snapshot server between them. setUpClass of a
    subclass sets cls.work (a temp dir), cls.snapshots, cls.src and cls.dst; this ends them."""

    @classmethod
    def tearDownClass(cls):
        cls.src.stop()
        cls.dst.stop()
        cls.snapshots.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def k(self, sim, *args, input=None):
        env = dict(os.environ, KUBECONFIG=sim.kubeconfig, KUBECACHEDIR=os.path.join(self.work, "cache-" + sim.info["name"]))
        return subprocess.run([KUBECTL] + list(args), input=input, capture_output=True, text=True, env=env, timeout=120)

    def ok(self, sim, *args, **kw):
        r = self.k(sim, *args, **kw)
        self.assertEqual(r.returncode, 0, "kubectl %s: %s" % (" ".join(args), r.stderr))
        return r.stdout
