#!/usr/bin/env bash
# `holds` end to end with real processes and a fake kubectl that keeps one Lease in a file: the
# dry run lists the holds, convert keeps them and diff shows a change; a run takes the Lease before its first step, writes who holds it (the
# run's absolute directory) and releases it at the end; a Lease another run holds
# refuses the run (exit 2) before any step, naming the holder and since when, and journals why;
# --wait-for-lease takes over one its holder stopped renewing once it expires; bad
# --lease-duration and --wait-for-lease values are refused. The Lease protocol against a
# real API server: tests/kube (kube_lease_tests) and the e2e `lease` scenario.
#
#   holds_cli_test.sh FERRY
set -uo pipefail
ferry=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
source "$here/../lib/assert.sh"

cat >kubeconfig <<'KC'
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:1
contexts:
- name: c
  context:
    cluster: c
current-context: c
KC

# The fake kubectl: its calls in calls.log; the Lease in lease.json (none when absent). ferry
# writes Leases through `kubectl proxy --unix-socket`: the fake one serves the Lease's API paths
# over HTTP on that socket (anything else is 404, so reads fall back to the fake `get`), and logs
# each write as `proxy create|replace|delete PATH`. A POST stores what it is given
# (AlreadyExists when there is one), a PUT takes the version read (Conflict otherwise), a DELETE
# removes it if its preconditions still hold.
cat >kubectl <<'FAKE'
#!/usr/bin/env python3
import http.server, json, os, socketserver, sys
here = os.path.dirname(os.path.abspath(__file__))
args = sys.argv[1:]
def log(line):
    with open(os.path.join(here, "calls.log"), "a") as f:
        f.write(line + "\n")
log(" ".join(args))
lease = os.path.join(here, "lease.json")

class Api(http.server.BaseHTTPRequestHandler):
    def answer(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def refuse(self, code, reason, message):
        self.answer(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason,
                           "message": message, "code": code})
    def body(self):
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
    def leases(self):
        return "/apis/coordination.k8s.io/v1/namespaces/" in self.path and "/leases" in self.path
    def do_GET(self):
        if not self.leases():
            return self.refuse(404, "NotFound", "the server could not find the requested resource")
        if not os.path.exists(lease):
            return self.refuse(404, "NotFound", 'leases.coordination.k8s.io "x" not found')
        self.answer(200, json.load(open(lease)))
    def do_POST(self):
        log("proxy create " + self.path)
        obj = self.body()
        if os.path.exists(lease):
            return self.refuse(409, "AlreadyExists", 'leases.coordination.k8s.io "x" already exists')
        obj["metadata"].update(uid="u-1", resourceVersion="1")
        open(lease, "w").write(json.dumps(obj))
        open(os.path.join(here, "created.json"), "w").write(json.dumps(obj))
        self.answer(201, obj)
    def do_PUT(self):  # a takeover or a renewal: the version read must still be the one there
        log("proxy replace " + self.path)
        obj = self.body()
        if not os.path.exists(lease):
            return self.refuse(404, "NotFound", 'leases.coordination.k8s.io "x" not found')
        current = json.load(open(lease))
        if obj["metadata"].get("resourceVersion") != current["metadata"]["resourceVersion"]:
            return self.refuse(409, "Conflict", "the object has been modified")
        obj["metadata"]["resourceVersion"] = str(int(current["metadata"]["resourceVersion"]) + 1)
        open(lease, "w").write(json.dumps(obj))
        self.answer(200, obj)
    def do_DELETE(self):
        log("proxy delete " + self.path)
        pre = self.body().get("preconditions") or {}
        if not os.path.exists(lease):
            return self.refuse(404, "NotFound", 'leases.coordination.k8s.io "x" not found')
        md = json.load(open(lease))["metadata"]
        if any(pre.get(k) not in (None, md.get(k)) for k in ("uid", "resourceVersion")):
            return self.refuse(409, "Conflict", "Precondition failed")
        os.remove(lease)
        self.answer(200, {"kind": "Status", "apiVersion": "v1", "status": "Success"})
    def log_message(self, *a):
        pass

class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    def get_request(self):
        conn, _ = super().get_request()
        return conn, ("local", 0)

if "proxy" in args:
    sock = next(a.split("=", 1)[1] for a in args if a.startswith("--unix-socket="))
    server = UnixServer(sock, Api)
    print("Starting to serve on " + sock, flush=True)
    server.serve_forever()
elif "get" in args:
    if not os.path.exists(lease):
        sys.stderr.write('Error from server (NotFound): leases.coordination.k8s.io "x" not found\n')
        sys.exit(1)
    print(open(lease).read())
else:
    sys.stderr.write("fake kubectl: unexpected call\n")
    sys.exit(1)
FAKE
chmod +x kubectl

cat >held.ferry <<PLAN
plan "held" {
  cluster source { kubeconfig = "$work/kubeconfig" }

  phase one {
    step mark = shell {
      cluster = source
      holds = ["hostedcluster/clusters/hc"]
      argv = ["sh", "-c", "touch $work/ran"]
    }
  }
}
PLAN

expect plan-lists-the-holds 0 "$ferry" plan held.ferry
contains plan-lists-the-holds-text "holds (a Lease each, taken before the first step):
  hostedcluster/clusters/hc on source" "$out"
expect plan-json-holds 0 "$ferry" plan held.ferry --output json
check plan-json-holds-listed jq -e '.holds == [{"cluster": "source", "thing": "hostedcluster/clusters/hc"}]' <<<"$out"

# The printers keep it, and diff shows a changed hold.
expect convert-toml 0 "$ferry" convert held.ferry --to toml
contains convert-toml-holds 'holds = ["hostedcluster/clusters/hc"]' "$out"
echo "$out" >held.toml
check convert-same-hash [ "$("$ferry" check held.ferry --output json | jq -r .hash)" = \
  "$("$ferry" check held.toml --output json | jq -r .hash)" ]
sed 's|clusters/hc"|clusters/other"|' held.ferry >held2.ferry
expect diff-shows-holds 1 "$ferry" diff held.ferry held2.ferry
contains diff-shows-holds-change 'holds[0]: "hostedcluster/clusters/hc" → "hostedcluster/clusters/other"' "$out"

# Free: taken before the step, held by this run, released at the end.
expect free-apply 0 "$ferry" apply held.ferry --run-dir runs/free --kubectl "$work/kubectl"
check free-apply-ran [ -f ran ]
contains free-apply-says-it-holds "holds hostedcluster/clusters/hc on cluster source" "$err"
contains free-apply-says-released "released hostedcluster/clusters/hc on cluster source" "$err"
check free-lease-released [ ! -f lease.json ]
check free-create-before-delete bash -c "grep -n '' calls.log | grep -E '^[0-9]+:proxy (create|delete) ' | head -1 | grep -q create"
# Who holds it: the user, host, absolute run directory and ferry version, nothing else.
check free-holder-is-the-run jq -e --arg dir "$work/runs/free" \
  '.spec.holderIdentity | fromjson | (keys == ["host", "runDir", "user", "version"]) and .runDir == $dir' created.json
check free-lease-duration-default jq -e '.spec.leaseDurationSeconds == 60' created.json
expect free-apply-short-lease 0 "$ferry" apply held.ferry --run-dir runs/free2 --kubectl "$work/kubectl" \
  --lease-duration 5s
check free-lease-duration-given jq -e '.spec.leaseDurationSeconds == 5' created.json

# Held by another run: refused before any step, the holder named, the refusal journaled.
rm -f ran calls.log
cat >lease.json <<LEASE
{"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
 "metadata": {"name": "ferry-hostedcluster-clusters-hc-x", "namespace": "default", "uid": "u-9", "resourceVersion": "7",
              "annotations": {"ferry.dev/hold": "hostedcluster/clusters/hc"}},
 "spec": {"holderIdentity": "{\"host\":\"bastion-9\",\"runDir\":\"/srv/runs/other\",\"user\":\"ops\",\"version\":\"0.1.0\"}",
          "leaseDurationSeconds": 3600, "acquireTime": "2030-01-01T00:00:00.000000Z",
          "renewTime": "2030-01-01T00:00:00.000000Z", "leaseTransitions": 0}}
LEASE
expect held-apply-refused 2 "$ferry" apply held.ferry --run-dir runs/held --kubectl "$work/kubectl"
contains held-names-the-holder "cluster source: hostedcluster/clusters/hc is held by another ferry run: ops on bastion-9, run /srv/runs/other, ferry 0.1.0, since 2030-01-01T00:00:00Z" "$err"
check held-ran-nothing [ ! -f ran ]
check held-no-step-started bash -c "! jq -e 'select(.event == \"step_started\")' runs/held/journal.jsonl >/dev/null"
check held-journaled-why jq -e -s 'last | .event == "run_ended" and .result == "failed" and .class == "lease_held"
  and (.message | contains("ops on bastion-9"))' runs/held/journal.jsonl
check held-lease-left-alone grep -q '"uid": "u-9"' lease.json
lacks held-no-delete "proxy delete" "$(cat calls.log)"

# --wait-for-lease: a Lease its holder stopped renewing (2 s long, renewed a second ago) is taken
# over once it expires, and the run goes on.
rm -f calls.log
now=$(date -u -d '1 second ago' +%Y-%m-%dT%H:%M:%S.000000Z)
jq --arg now "$now" '.spec.leaseDurationSeconds = 2 | .spec.renewTime = $now' lease.json >lease.tmp && mv lease.tmp lease.json
expect waited-apply 0 "$ferry" apply held.ferry --run-dir runs/waited --kubectl "$work/kubectl" --wait-for-lease 1m
check waited-ran [ -f ran ]
contains waited-took-it-over "proxy replace" "$(cat calls.log)"
contains waited-released "released hostedcluster/clusters/hc on cluster source" "$err"

# Bad values are refused before anything runs.
rm -f ran
expect bad-lease-duration 2 "$ferry" apply held.ferry --run-dir runs/bad1 --kubectl "$work/kubectl" --lease-duration 500ms
contains bad-lease-duration-says "--lease-duration needs a duration of at least 1s (30s, 5m, 1h), got '500ms'" "$err"
expect bad-wait-for-lease 2 "$ferry" apply held.ferry --run-dir runs/bad2 --kubectl "$work/kubectl" --wait-for-lease soon
contains bad-wait-for-lease-says "--wait-for-lease needs a duration (30s, 5m, 1h), got 'soon'" "$err"
check bad-ran-nothing [ ! -f ran ]

finish
