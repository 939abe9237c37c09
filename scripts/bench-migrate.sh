#!/usr/bin/env bash
# Migration benchmark: each stock plan migrates the hosted cluster on the sandbox, with every
# controller model on at its default latencies (the e2e world: tests/e2e/world.sh), and this
# prints, per plan:
#   - the control-plane downtime: from the scale to 0 (pause.control_plane starts) to Available
#     on the destination (restored.available succeeds), from the run's journal;
#   - where that window went: each step on it, longest first (waits are the controllers' time
#     plus ferry's reaction to them), ferry's own part (and in it, the snapshot and upload of
#     etcd's data, which grow with its size), and how long after each condition turned true
#     (its lastTransitionTime on the destination) ferry's wait for it ended;
#   - the kubectl processes ferry started (a counting wrapper as --kubectl), in all and by verb.
#
#   scripts/bench-migrate.sh [BUILD_DIR]     (default: build; BENCH_KEEP=DIR keeps the runs there)
#
# Runs itself under tests/s3/with_s3rver.py --tls (the plans upload the etcd snapshot to S3).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "${1:-build}" && pwd)"
ferry="$build/engine/ferry"
[[ -x "$ferry" ]] || { echo "bench-migrate.sh: no $ferry (run make build)" >&2; exit 2; }
export FERRY_CRDS="${FERRY_CRDS:-$root/../shared/testdata/crds}"
[[ -d "$FERRY_CRDS" ]] || { echo "bench-migrate.sh: the sandbox needs the CRDs in $FERRY_CRDS (../shared beside the checkout)" >&2; exit 2; }
if [[ -z "${FERRY_S3_CA:-}" ]]; then
  exec python3 "$root/tests/s3/with_s3rver.py" --tls "$0" "$build"
fi

work=$(mktemp -d)
trap 'stop_sandbox; rm -rf "$work"' EXIT
cd "$root"
source tests/lib/assert.sh
source tests/e2e/world.sh

# kubectl as ferry runs it, with one line per process in $work/calls.
real_kubectl=$(command -v kubectl)
cat >"$work/kubectl" <<EOF
#!/bin/sh
# The verb: the first word that is not a global flag or its value.
skip=0
for a in "\$@"; do
  if [ \$skip = 1 ]; then skip=0; continue; fi
  case "\$a" in
    --kubeconfig|--context|-n|--namespace) skip=1 ;;
    -*) ;;
    *) echo "\$a" >>"$work/calls"; break ;;
  esac
done
exec "$real_kubectl" "\$@"
EOF
chmod 700 "$work/kubectl"

bench() {  # bench TAG PLAN AVAILABILITY [FIXTURE_ARGS]
  local tag=$1 plan=$2 availability=$3
  start_sandbox "$availability" "${4:-}"
  : >"$work/calls"
  local run=$work/run-$tag
  if ! FERRY_KUBECTL="$work/kubectl" "$ferry" apply "$plan" --run-dir "$run" --yes \
      --var availability="$availability" >"$work/$tag.out" 2>&1; then
    echo "bench-migrate.sh: $plan failed:" >&2
    tail -n 20 "$work/$tag.out" >&2
    exit 1
  fi
  # The conditions the downtime ends on, as the destination's controllers set them: when each
  # became true, to compare with when ferry saw it.
  k "$MGMT2_KUBECONFIG" -n clusters get hostedcluster "$HC" -o json >"$work/$tag-hc.json"
  k "$MGMT2_KUBECONFIG" -n "$CP" get hostedcontrolplane "$HC" -o json >"$work/$tag-hcp.json"
  stop_sandbox
  [[ -z "${BENCH_KEEP:-}" ]] || cp -r "$run" "$BENCH_KEEP/run-$tag"
  python3 - "$tag" "$plan" "$run/journal.jsonl" "$work/calls" "$work/$tag-hcp.json" "$work/$tag-hc.json" <<'PY'
import collections, datetime, json, sys
tag, plan, journal, calls, hcp_file, hc_file = sys.argv[1:]
events = [json.loads(l) for l in open(journal) if l.strip()]
started, ended = {}, {}
for e in events:
    if e.get("event") == "step_started":
        started.setdefault(e["step"], e["t"])
    elif e.get("event") == "step_succeeded":
        ended[e["step"]] = e["t"]
down, up = started.get("pause.control_plane"), ended.get("restored.available")
verbs = collections.Counter(l.strip() for l in open(calls) if l.strip())
total = sum(verbs.values())
print(f"{plan}:")
if down is None or up is None:
    print("  downtime: unknown (no pause.control_plane or restored.available in the journal)")
else:
    print(f"  downtime: {(up - down) / 1000:.1f} s (scale to 0 .. Available on the destination)")
    inside = []
    for step, t0 in started.items():
        t1 = ended.get(step)
        if t1 is None or t1 <= down or t0 >= up:
            continue
        inside.append((min(t1, up) - max(t0, down), step))
    inside.sort(reverse=True)
    print("  longest steps in the window: " +
          ", ".join(f"{step} {ms / 1000:.1f} s" for ms, step in inside[:6]))
    # ferry's reaction to the controllers: from a condition's lastTransitionTime (whole seconds,
    # so the condition may have turned up to 1 s later) to the wait's success in the journal.
    def became_true(path, cond):
        for c in json.load(open(path)).get("status", {}).get("conditions", []):
            if c.get("type") == cond and c.get("status") == "True":
                t = datetime.datetime.strptime(c["lastTransitionTime"], "%Y-%m-%dT%H:%M:%SZ")
                return t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000
        return None
    reactions = []
    for step, path, cond in (("restored.etcd_restored", hcp_file, "EtcdSnapshotRestored"),
                             ("restored.available", hc_file, "Available")):
        t = became_true(path, cond)
        if t is not None and step in ended:
            reactions.append(f"{cond} {(ended[step] - t) / 1000:.1f} s")
    controllers = sum(ms for ms, step in inside if step in ("restored.etcd_restored", "restored.available", "pause.stopped"))
    # The etcd data's own time: while any snapshot or upload step runs (they run side by side,
    # one per member), the part of ferry's time that grows with the size of etcd.
    spans = sorted((max(t0, down), min(ended[s], up)) for s, t0 in started.items()
                   if s in ended and s.rsplit(".", 1)[-1] in ("snapshot", "upload") and ended[s] > down and t0 < up)
    data, reach = 0, None
    for a, b in spans:
        if reach is None or a > reach:
            data += b - a
            reach = b
        elif b > reach:
            data += b - reach
            reach = b
    print(f"  the controllers' waits in the window: {controllers / 1000:.1f} s; ferry's own part: "
          f"{(up - down - controllers) / 1000:.1f} s, of which moving etcd's data (snapshot, upload) "
          f"{data / 1000:.1f} s and the rest {(up - down - controllers - data) / 1000:.1f} s")
    print("  ferry saw each condition at most this long after it turned true (1 s resolution): " +
          (", ".join(reactions) or "unknown"))
print(f"  kubectl processes: {total} (" + ", ".join(f"{v} {n}" for v, n in verbs.most_common()) + ")")
PY
}

bench cp plans/controlplane.ferry SingleReplica
bench np plans/controlplane-nodepool.ferry HighlyAvailable "--endpoint-access Private"
