#!/usr/bin/env bash
# Fleet benchmark: N hosted clusters moved by one run of plans/evacuate.ferry, against the same N
# moved one after another by plans/controlplane.ferry, each half on a fresh sandbox with N hosted
# clusters (SANDBOX_HOSTED_CLUSTERS) and every controller model on at its default latencies (the
# e2e world: tests/e2e/world.sh). Prints the wall time of each half, their ratio, and the longest
# control-plane downtime of any one hosted cluster in each (the fleet run's from
# `ferry status RUN --output json`, `.scopes["hosted[NAME]"].downtime.ms`; a single run's from
# `ferry report RUN --output json`, `.downtime`).
#
#   scripts/bench-fleet.sh [N]      (default 20; FERRY=path/to/ferry, default build/engine/ferry;
#                                    BENCH_KEEP=DIR keeps the runs there)
#
# The names: jdoe-hosted (the one the hosted API instance stands for), then hc-02 .. hc-N.
# controlplane.ferry's `verify` reads the hosted cluster's own API (HC_KUBECONFIG): the sandbox
# models it for the first hosted cluster only, so for the others it checks jdoe-hosted's nodes
# (which heartbeat whichever management cluster serves it): the single runs' waits are the same,
# their meaning for hc-02 .. is not. evacuate.ferry reads no hosted cluster's API.
# EVACUATE_ARGS (default "--parallelism 6": docs/fleet.md, parallel + upload_parallel workers)
# and SINGLE_ARGS are added to the two kinds of `ferry apply`.
#
# Runs itself under tests/s3/with_s3rver.py --tls (the plans upload the etcd snapshots to S3).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n=${1:-20}
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [N]   (N >= 1 hosted clusters, default 20)" >&2; exit 2; }
ferry="${FERRY:-$root/build/engine/ferry}"
[[ -x "$ferry" ]] || { echo "bench-fleet.sh: no $ferry (run make build, or set FERRY)" >&2; exit 2; }
ferry="$(cd "$(dirname "$ferry")" && pwd)/$(basename "$ferry")"
export FERRY_CRDS="${FERRY_CRDS:-$root/../shared/testdata/crds}"
[[ -d "$FERRY_CRDS" ]] || { echo "bench-fleet.sh: the sandbox needs the CRDs in $FERRY_CRDS (../shared beside the checkout)" >&2; exit 2; }
if [[ -z "${FERRY_S3_CA:-}" ]]; then
  exec env FERRY="$ferry" python3 "$root/tests/s3/with_s3rver.py" --tls "$0" "$n"
fi

work=$(mktemp -d)
trap 'stop_sandbox; rm -rf "$work"' EXIT
cd "$root"
source tests/lib/assert.sh
source tests/e2e/world.sh

names=(jdoe-hosted)
for ((i = 2; i <= n; i++)); do names+=("$(printf 'hc-%02d' "$i")"); done
csv=$(IFS=,; echo "${names[*]}")
now_ms() { date +%s%3N; }
read -r -a evacuate_args <<<"${EVACUATE_ARGS:---parallelism 6}"
read -r -a single_args <<<"${SINGLE_ARGS:-}"

# The fleet: one run of plans/evacuate.ferry over all N.
echo "bench-fleet.sh: $n hosted clusters; sandbox for the fleet run..." >&2
start_sandbox SingleReplica "" "" "${names[*]}"
run=$work/run-fleet
t0=$(now_ms)
if ! "$ferry" apply plans/evacuate.ferry --run-dir "$run" --yes --var availability=SingleReplica \
    --var "hosted_clusters=$csv" "${evacuate_args[@]}" >"$work/fleet.out" 2>&1; then
  echo "bench-fleet.sh: plans/evacuate.ferry failed:" >&2
  tail -n 20 "$work/fleet.out" >&2
  exit 1
fi
fleet_ms=$(($(now_ms) - t0))
"$ferry" status "$run" --output json >"$work/fleet-status.json"
fleet_down=$(jq -r '[.scopes | to_entries[] | select(.key | startswith("hosted[")) | {k: .key, ms: .value.downtime.ms}]
                    | max_by(.ms) | "\(.ms) \(.k)"' "$work/fleet-status.json")
stop_sandbox
[[ -z "${BENCH_KEEP:-}" ]] || cp -r "$run" "$BENCH_KEEP/run-fleet"

# The same N, one plans/controlplane.ferry after another, on a fresh sandbox.
echo "bench-fleet.sh: fleet run done in $((fleet_ms / 1000)) s; sandbox for the $n single runs..." >&2
start_sandbox SingleReplica "" "" "${names[*]}"
single_ms=0
single_down_ms=0
single_down_name=""
for name in "${names[@]}"; do
  run=$work/run-$name
  t0=$(now_ms)
  if ! HC_CLUSTER_NAME=$name "$ferry" apply plans/controlplane.ferry --run-dir "$run" --yes \
      --var availability=SingleReplica "${single_args[@]}" >"$work/$name.out" 2>&1; then
    echo "bench-fleet.sh: plans/controlplane.ferry failed for $name:" >&2
    tail -n 20 "$work/$name.out" >&2
    exit 1
  fi
  single_ms=$((single_ms + $(now_ms) - t0))
  down=$("$ferry" report "$run" --output json | jq -r '.downtime.seconds * 1000 | floor')
  if ((down > single_down_ms)); then single_down_ms=$down single_down_name=$name; fi
  [[ -z "${BENCH_KEEP:-}" ]] || cp -r "$run" "$BENCH_KEEP/run-$name"
done
stop_sandbox

python3 - "$n" "$fleet_ms" "$single_ms" "$fleet_down" "$single_down_ms" "$single_down_name" <<'PY'
import sys
n, fleet_ms, single_ms = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
fleet_down_ms, fleet_down_scope = sys.argv[4].split(" ", 1)
single_down_ms, single_down_name = int(sys.argv[5]), sys.argv[6]
print(f"{n} hosted clusters (SingleReplica, controllers at their default latencies):")
rows = [("plans/evacuate.ferry, one run:", fleet_ms, int(fleet_down_ms), fleet_down_scope),
        ("plans/controlplane.ferry, %d in a row:" % n, single_ms, single_down_ms, single_down_name)]
for label, wall, down, who in rows:
    print(f"  {label:<36} {wall / 1000:8.1f} s wall; longest downtime {down / 1000:.1f} s ({who})")
print(f"  ratio (one after another / fleet): {single_ms / fleet_ms:.2f}x")
PY
