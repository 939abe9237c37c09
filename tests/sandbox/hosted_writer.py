#!/usr/bin/env python3
"""A client of the hosted cluster that keeps writing, and a checker of what it was promised.

A migration must not lose what the hosted cluster acknowledged. `write` plays a workload: it
writes sequence-numbered keys (`/ferry-canary/000001`, ...) into the etcd of the one management
cluster that serves the hosted cluster's API now (the shared dir's hosted-api.json, see
controllers/hosted_api.py; written through etcd's v3 JSON gateway over TLS with the entry's
client certificate), records every acknowledged write and every refused attempt (no server, two
servers, or the server's etcd failing) to a JSON-lines file, and at the end (SIGTERM, SIGINT or
--duration) prints a summary:

    {"acked", "refused", "first_refused", "first_accepted_after_refusal", "outage_seconds",
     "outages", "last_acked"}

(times are unix seconds; outage_seconds sums each run of refusals from its first refusal to the
next acknowledged write, or to the end). `check` reads such a file and an etcd (TLS flags, or the
current server of a shared dir) and verifies every acknowledged key reads back with its value;
it prints the missing ones and exits 1 if there are any. Writes the source acknowledged after its
etcd snapshot are lost on the destination unless the plan stopped the source's kube-apiserver
before the snapshot: that is what `check` catches.

    hosted_writer.py write --shared DIR --out acked.jsonl [--duration S] [--interval S]
    hosted_writer.py check --acked acked.jsonl (--shared DIR | --endpoint URL --cacert CA --cert C --key K)
"""

import argparse
import json
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from controllers.hosted_api import DEFAULT_HOSTED_CLUSTER, ApiView, EtcdClient, EtcdError  # noqa: E402
from controllers.shared import Shared  # noqa: E402

PREFIX = "/ferry-canary/"


def summarize(records, end=None):
    acked = [r for r in records if r["event"] == "acked"]
    refused = [r for r in records if r["event"] == "refused"]
    first_refused = refused[0]["t"] if refused else None
    after = None
    if first_refused is not None:
        after = next((r["t"] for r in acked if r["t"] > first_refused), None)
    outage, outages, start = 0.0, 0, None
    for r in records:
        if r["event"] == "refused" and start is None:
            start, outages = r["t"], outages + 1
        elif r["event"] == "acked" and start is not None:
            outage += r["t"] - start
            start = None
    if start is not None:
        outage += (end if end is not None else records[-1]["t"]) - start
    return {"acked": len(acked), "refused": len(refused), "first_refused": first_refused,
            "first_accepted_after_refusal": after, "outage_seconds": round(outage, 3), "outages": outages,
            "last_acked": acked[-1]["key"] if acked else None}


class Writer:
    def __init__(self, shared, out, prefix=PREFIX, interval=0.1, start=1, hosted_cluster=None):
        self.view = ApiView(Shared(shared), record=False, hosted_cluster=hosted_cluster)
        self.out = out
        self.prefix = prefix
        self.interval = interval
        self.n = start
        self.records = []
        self.clients = {}
        self.stop = threading.Event()

    def client(self, server, entry):
        key = (server, json.dumps(entry.get("etcd"), sort_keys=True), entry.get("since"))
        if key not in self.clients:
            self.clients = {key: EtcdClient(entry["etcd"], timeout=2.0)}
        return self.clients[key]

    def attempt(self):
        servers = self.view.refresh()
        t = time.time()
        if len(servers) != 1:
            reason = "no server" if not servers else "split brain: " + ", ".join(sorted(servers))
            return {"event": "refused", "n": self.n, "t": round(t, 3), "reason": reason}
        server, entry = next(iter(servers.items()))
        key = "%s%06d" % (self.prefix, self.n)
        value = json.dumps({"n": self.n, "t": round(t, 3), "server": server}, sort_keys=True)
        try:
            rev = self.client(server, entry).put(key, value)
        except (EtcdError, KeyError, OSError) as e:
            return {"event": "refused", "n": self.n, "t": round(time.time(), 3), "server": server, "reason": str(e)}
        self.n += 1
        return {"event": "acked", "key": key, "value": value, "t": round(time.time(), 3), "server": server,
                "revision": rev}

    def run(self, duration=None):
        end = time.time() + duration if duration else None
        with open(self.out, "a") as f:
            while not self.stop.is_set() and (end is None or time.time() < end):
                rec = self.attempt()
                self.records.append(rec)
                f.write(json.dumps(rec, sort_keys=True) + "\n")
                f.flush()
                self.stop.wait(self.interval)
        return summarize(self.records, time.time()) if self.records else summarize([], None)


def read_records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def check(records, client):
    """(present, missing): acked records whose key reads back with its value, and the others."""
    acked = [r for r in records if r["event"] == "acked"]
    prefixes = sorted({r["key"][:r["key"].rindex("/") + 1] for r in acked})
    held = {}
    for p in prefixes:
        held.update(client.get_prefix(p))
    present = [r for r in acked if held.get(r["key"]) == r["value"]]
    missing = [r for r in acked if held.get(r["key"]) != r["value"]]
    return present, missing


def main(argv=None):
    ap = argparse.ArgumentParser(description="writes to the hosted cluster's etcd, or checks what was acknowledged")
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    w.add_argument("--shared", required=True, help="the sandbox's shared dir (hosted-api.json)")
    w.add_argument("--hosted-cluster", metavar="NAMESPACE/NAME",
                   help="whose API (default %s, the sandbox's first hosted cluster)" % DEFAULT_HOSTED_CLUSTER)
    w.add_argument("--out", required=True, help="JSON-lines file of acked and refused attempts (appended)")
    w.add_argument("--duration", type=float, help="seconds (default: until SIGTERM/SIGINT)")
    w.add_argument("--interval", type=float, default=0.1, help="seconds between attempts")
    w.add_argument("--prefix", default=PREFIX)
    w.add_argument("--start", type=int, default=1, help="first sequence number")
    w.add_argument("--summary", help="also write the summary JSON to this file")
    c = sub.add_parser("check")
    c.add_argument("--acked", required=True)
    c.add_argument("--shared", help="check the etcd of the shared dir's current server")
    c.add_argument("--hosted-cluster", metavar="NAMESPACE/NAME",
                   help="whose server (default %s)" % DEFAULT_HOSTED_CLUSTER)
    c.add_argument("--endpoint")
    c.add_argument("--cacert")
    c.add_argument("--cert")
    c.add_argument("--key")
    args = ap.parse_args(argv)

    if args.cmd == "write":
        wr = Writer(args.shared, args.out, args.prefix, args.interval, args.start, args.hosted_cluster)

        def stop(signum, frame):
            wr.stop.set()
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        summary = wr.run(args.duration)
        text = json.dumps(summary, sort_keys=True)
        if args.summary:
            with open(args.summary, "w") as f:
                f.write(text + "\n")
        print(text, flush=True)
        return 0

    if args.endpoint:
        etcd = {"endpoint": args.endpoint, "ca": args.cacert, "cert": args.cert, "key": args.key}
    elif args.shared:
        srv = ApiView(Shared(args.shared), record=False, hosted_cluster=args.hosted_cluster).serving()
        if srv is None:
            print("hosted_writer: no single server in %s/hosted-api.json" % args.shared, file=sys.stderr)
            return 2
        etcd = srv[1]["etcd"]
    else:
        ap.error("check needs --endpoint ... or --shared")
    try:
        present, missing = check(read_records(args.acked), EtcdClient(etcd))
    except EtcdError as e:
        print("hosted_writer: %s" % e, file=sys.stderr)
        return 2
    for r in missing:
        print("missing %s (acknowledged by %s at %s)" % (r["key"], r.get("server"), r["t"]))
    print(json.dumps({"acked": len(present) + len(missing), "present": len(present), "missing": len(missing)}))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
