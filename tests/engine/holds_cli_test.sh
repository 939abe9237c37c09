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

# The fake kubectl: its calls in calls.log; the Lease in lease.json (none when absent); `create`
# stores what it is given (AlreadyExists when there is one), `replace` takes the version read
# (Conflict otherwise), `delete --raw` removes it.
cat >kubectl <<'FAKE'
#!/usr/bin/env python3
import json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
args = sys.argv[1:]
with open(os.path.join(here, "calls.log"), "a") as log:
    log.write(" ".join(args) + "\n")
lease = os.path.join(here, "lease.json")
if "get" in args:
    if not os.path.exists(lease):
        sys.stderr.write('Error from server (NotFound): leases.coordination.k8s.io "x" not found\n')
        sys.exit(1)
    print(open(lease).read())
elif "create" in args:
    if os.path.exists(lease):
        sys.stderr.write('Error from server (AlreadyExists): leases.coordination.k8s.io "x" already exists\n')
        sys.exit(1)
    obj = json.load(sys.stdin)
    obj["metadata"].update(uid="u-1", resourceVersion="1")
    open(lease, "w").write(json.dumps(obj))
    open(os.path.join(here, "created.json"), "w").write(json.dumps(obj))
    print(json.dumps(obj))
elif "replace" in args:  # a takeover or a renewal: the version read must still be the one there
    obj = json.load(sys.stdin)
    current = json.load(open(lease))
    if obj["metadata"].get("resourceVersion") != current["metadata"]["resourceVersion"]:
        sys.stderr.write('Error from server (Conflict): the object has been modified\n')
        sys.exit(1)
    obj["metadata"]["resourceVersion"] = str(int(current["metadata"]["resourceVersion"]) + 1)
    open(lease, "w").write(json.dumps(obj))
    print(json.dumps(obj))
elif "delete" in args:
    os.remove(lease)
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
check free-create-before-delete bash -c "grep -n '' calls.log | grep -E ' create | delete ' | head -1 | grep -q create"
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
lacks held-no-delete "delete" "$(cat calls.log)"

# --wait-for-lease: a Lease its holder stopped renewing (2 s long, renewed a second ago) is taken
# over once it expires, and the run goes on.
rm -f calls.log
now=$(date -u -d '1 second ago' +%Y-%m-%dT%H:%M:%S.000000Z)
jq --arg now "$now" '.spec.leaseDurationSeconds = 2 | .spec.renewTime = $now' lease.json >lease.tmp && mv lease.tmp lease.json
expect waited-apply 0 "$ferry" apply held.ferry --run-dir runs/waited --kubectl "$work/kubectl" --wait-for-lease 1m
check waited-ran [ -f ran ]
contains waited-took-it-over "replace" "$(cat calls.log)"
contains waited-released "released hostedcluster/clusters/hc on cluster source" "$err"

# Bad values are refused before anything runs.
rm -f ran
expect bad-lease-duration 2 "$ferry" apply held.ferry --run-dir runs/bad1 --kubectl "$work/kubectl" --lease-duration 500ms
contains bad-lease-duration-says "--lease-duration needs a duration of at least 1s (30s, 5m, 1h), got '500ms'" "$err"
expect bad-wait-for-lease 2 "$ferry" apply held.ferry --run-dir runs/bad2 --kubectl "$work/kubectl" --wait-for-lease soon
contains bad-wait-for-lease-says "--wait-for-lease needs a duration (30s, 5m, 1h), got 'soon'" "$err"
check bad-ran-nothing [ ! -f ran ]

finish
