#!/usr/bin/env python3
"""Runs a command with a local S3 server that verifies SigV4, and the fault proxy in front of it.

Installs the server with `npm ci` from the committed lockfile (into tests/s3/node_modules) when
it is missing, starts @20minutes/s3rver on 127.0.0.1 on a free port with a fresh data directory
and the bucket `ferry-test`, starts fault_proxy.py on another free port, runs the command with

  FERRY_S3_ENDPOINT  http://127.0.0.1:PORT   (the server)
  FERRY_S3_PROXY     http://127.0.0.1:PORT   (the proxy; faults off until asked for)
  FERRY_S3_BUCKET    ferry-test
  FERRY_S3_DATA      the server's data directory
  AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY   the server's account (S3RVER / S3RVER)

and stops both afterwards, whatever happens. Exits with the command's status.

With --tls the server speaks HTTPS with a fresh self-signed certificate for 127.0.0.1 and
localhost (what a HostedCluster's restoreSnapshotURL needs: https or s3), FERRY_S3_ENDPOINT is
https://127.0.0.1:PORT, FERRY_S3_CA the certificate's file, and there is no proxy.

usage: with_s3rver.py [--tls] COMMAND [ARGS...]
"""
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUCKET = "ferry-test"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"with_s3rver: {what} exited with status {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"with_s3rver: {what} did not listen on port {port} within {timeout} s")


def ensure_server_installed():
    # Tests run in parallel (ctest -j) share node_modules: one installs, the others wait.
    with open(os.path.join(HERE, ".install.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        install_if_stale()


def install_if_stale():
    marker = os.path.join(HERE, "node_modules", ".package-lock.json")
    lock = os.path.join(HERE, "package-lock.json")
    if os.path.exists(marker) and os.path.getmtime(marker) >= os.path.getmtime(lock):
        return
    print("with_s3rver: npm ci (installing @20minutes/s3rver from the lockfile)", file=sys.stderr)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True)


def self_signed_cert(directory):
    """A certificate and key for 127.0.0.1 and localhost, valid for a day: (cert, key)."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def stop(proc):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    args = sys.argv[1:]
    tls = bool(args) and args[0] == "--tls"
    if tls:
        args = args[1:]
    if not args:
        raise SystemExit(__doc__)
    ensure_server_installed()
    data = tempfile.mkdtemp(prefix="ferry-s3rver-")
    certs = tempfile.mkdtemp(prefix="ferry-s3rver-tls-")
    server = proxy = None
    # A SIGTERM (ctest's timeout) must still stop the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        port = free_port()
        tls_args = []
        env = dict(os.environ)
        if tls:
            cert, key = self_signed_cert(certs)
            tls_args = ["--cert", cert, "--key", key]
            env["FERRY_S3_CA"] = cert
        server = subprocess.Popen(
            # s3rver's ListObjectsV2 continuation tokens use DES, which OpenSSL 3 keeps in its
            # legacy provider: without this flag every paginated listing is a 500.
            ["node", "--openssl-legacy-provider", os.path.join(HERE, "s3rver.js"),
             "-d", data, "-a", "127.0.0.1", "-p", str(port), "--silent", "--no-vhost-buckets",
             "--configure-bucket", BUCKET] + tls_args,
            stdin=subprocess.DEVNULL)
        wait_listening(port, server, "s3rver")
        if not tls:
            proxy_port = free_port()
            proxy = subprocess.Popen([sys.executable, os.path.join(HERE, "fault_proxy.py"), str(proxy_port), str(port)],
                                     stdin=subprocess.DEVNULL)
            wait_listening(proxy_port, proxy, "fault proxy")
            env["FERRY_S3_PROXY"] = f"http://127.0.0.1:{proxy_port}"
        env.update({
            "FERRY_S3_ENDPOINT": f"{'https' if tls else 'http'}://127.0.0.1:{port}",
            "FERRY_S3_BUCKET": BUCKET,
            "FERRY_S3_DATA": data,
            "AWS_ACCESS_KEY_ID": "S3RVER",
            "AWS_SECRET_ACCESS_KEY": "S3RVER",
        })
        for k in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
            env.pop(k, None)
        rc = subprocess.call(args, env=env)
        if server.poll() is not None:
            print(f"with_s3rver: s3rver died during the run (status {server.returncode})", file=sys.stderr)
            rc = rc or 1
        return rc
    finally:
        stop(proxy)
        stop(server)
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(certs, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
