#!/usr/bin/env bash
# Brings up (or stops) the three simulated clusters of a migration: management cluster A
# (source), management cluster B (destination) and the hosted cluster, each an apisim.py
# instance on its own free loopback port with its own kubeconfig.
#
#   tests/sandbox/sandbox.sh start DIR     # prints the env file to source
#   tests/sandbox/sandbox.sh stop DIR
#
# SANDBOX_CONTROLLERS (all by default, or none, or a comma list) runs the controller models;
# DIR/shared is what the clusters share (the fake cloud's ledger, the hosted cluster's API).
# DIR/env then holds MGMT_KUBECONFIG, MGMT2_KUBECONFIG and HC_KUBECONFIG (the names the procedure
# and plans/example.env use), and SOURCE_ETCDCTL_ARGS when a real etcd backs the source's etcd pods. The CRDs are read from $FERRY_CRDS, default ../shared/testdata/crds
# beside the checkout, then from tests/sandbox/crds (those the shared testdata lacks).
#
# SANDBOX_HOSTED_CLUSTERS="jdoe-hosted ops-hosted ..." puts several HostedClusters on the source
# (fixtures/make_fixtures.py --hosted-clusters), each with its own control-plane namespace and its
# own real etcd; the hosted cluster's own API instance (`hosted`) stands for the first. DIR/env
# then also holds SANDBOX_HOSTED_CLUSTERS (the names; not HOSTED_CLUSTERS, which the plans read
# as the ones to move) and SOURCE_ETCDCTL_ARGS_<I> for the I-th of them, from 0
# (SOURCE_ETCDCTL_ARGS_0 = SOURCE_ETCDCTL_ARGS), and DIR/etcds.json maps each name to its etcd:
# {"NAME": {"namespace", "endpoint", "ca", "cert", "key", "etcdctl_args"}}.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
crds="${FERRY_CRDS:-$root/../shared/testdata/crds}"

usage() { echo "usage: $0 start|stop|status DIR" >&2; exit 2; }
(($# == 2)) || usage
cmd="$1"
dir="$2"

instances=(source destination hosted)

# stop_all DIR...: SIGTERM to every instance at once, then up to 5 s for them all to exit before
# SIGKILL (one at a time, the three shutdowns added up to seconds per sandbox).
stop_all() {
  local d pids=()
  for d in "$@"; do
    [[ -f "$d/pid" ]] && pids+=("$(cat "$d/pid")")
  done
  if ((${#pids[@]})); then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    local alive
    for _ in $(seq 50); do
      alive=()
      for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
      ((${#alive[@]})) || break
      sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null; done
  fi
  for d in "$@"; do rm -f "$d/pid" "$d/ready.json"; done
}

case "$cmd" in
  start)
    [[ -d "$crds" ]] || { echo "sandbox: CRD directory $crds not found (set FERRY_CRDS)" >&2; exit 2; }
    command -v kubectl >/dev/null || echo "sandbox: warning: kubectl is not on PATH" >&2
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    # Fixture variants (fixtures/make_fixtures.py --help), written into DIR/fixtures:
    # SANDBOX_AVAILABILITY=SingleReplica, SANDBOX_FIXTURE_ARGS="--no-api-hostname --controller-finalizers",
    # SANDBOX_HOSTED_CLUSTERS="jdoe-hosted ops-hosted".
    fixtures="$here/fixtures"
    hc_names=${SANDBOX_HOSTED_CLUSTERS:-jdoe-hosted}
    # shellcheck disable=SC2206
    hosted_clusters=(${hc_names//,/ })
    if [[ -n "${SANDBOX_AVAILABILITY:-}${SANDBOX_FIXTURE_ARGS:-}${SANDBOX_HOSTED_CLUSTERS:-}" ]]; then
      # shellcheck disable=SC2086
      python3 "$here/fixtures/make_fixtures.py" --out "$dir/fixtures" \
        ${SANDBOX_AVAILABILITY:+--availability "$SANDBOX_AVAILABILITY"} ${SANDBOX_FIXTURE_ARGS:-} \
        ${SANDBOX_HOSTED_CLUSTERS:+--hosted-clusters "$SANDBOX_HOSTED_CLUSTERS"} || exit 2
      fixtures="$dir/fixtures"
    fi
    stop_all "${instances[@]/#/$dir/}"
    # What the clusters share starts afresh: the fake cloud holds what the source's fixture names
    # (its instances, load balancer and OIDC documents), and its ledger is empty.
    rm -rf "$dir/shared" "$dir/etcds.json"
    python3 "$here/controllers/cloud.py" seed "$dir/shared" "$fixtures/source.json" source || exit 2
    for name in "${instances[@]}"; do
      d="$dir/$name"
      mkdir -p "$d"
      extra=(--crds "$crds" --crds "$here/crds" --shared-dir "$dir/shared")
      # The controller models (docs/kube.md, "The controllers"): SANDBOX_CONTROLLERS=all runs every
      # model of each cluster's role, a comma list only those; SANDBOX_LATENCY="[NAME=]S ..." pins
      # their reconcile latencies.
      role=management
      # the hosted instance stands for the first hosted cluster (its entry in hosted-api.json)
      [[ "$name" == hosted ]] && role=hosted && extra+=(--hosted-cluster "clusters/${hosted_clusters[0]}")
      extra+=(--controllers "${SANDBOX_CONTROLLERS:-all}" --cluster-role "$role")
      for l in ${SANDBOX_LATENCY:-}; do extra+=(--latency "$l"); done
      # with etcd installed: a real etcd behind the source's etcd pods, and a simulated HyperShift
      # restore (from restoreSnapshotURL) on the destination. SANDBOX_ETCD=0 turns that off;
      # SANDBOX_CA_BUNDLE is the CA of the https server the snapshot URLs point at.
      if [[ "${SANDBOX_ETCD:-1}" != 0 && -x /usr/bin/etcd && -x /usr/bin/etcdctl ]]; then
        [[ "$name" == source ]] && extra+=(--etcd)
        [[ "$name" == destination ]] && extra+=(--hypershift-restore ${SANDBOX_CA_BUNDLE:+--ca-bundle "$SANDBOX_CA_BUNDLE"})
      fi
      python3 "$here/apisim.py" --name "$name" --state-dir "$d" --fixture "$fixtures/$name.json" \
        "${extra[@]}" --port 0 --ready-file "$d/ready.json" >"$d/apisim.log" 2>&1 &
      echo $! >"$d/pid"
    done
    # 10 s, and 3 s more per hosted cluster beyond the first (the source starts an etcd for each)
    for name in "${instances[@]}"; do
      d="$dir/$name"
      for _ in $(seq $((100 + 30 * (${#hosted_clusters[@]} - 1)))); do
        [[ -f "$d/ready.json" ]] && break
        kill -0 "$(cat "$d/pid")" 2>/dev/null || break
        sleep 0.1
      done
      if [[ ! -f "$d/ready.json" ]]; then
        echo "sandbox: $name did not come up; its log:" >&2
        cat "$d/apisim.log" >&2
        stop_all "${instances[@]/#/$dir/}"
        exit 1
      fi
    done
    {
      echo "# written by tests/sandbox/sandbox.sh start $dir"
      echo "export MGMT_KUBECONFIG=$dir/source/kubeconfig"
      echo "export MGMT2_KUBECONFIG=$dir/destination/kubeconfig"
      echo "export HC_KUBECONFIG=$dir/hosted/kubeconfig"
      echo "export KUBECACHEDIR=$dir/kube-cache"
      python3 - "$dir/source/ready.json" "$dir/etcds.json" "${hosted_clusters[@]}" <<'PY'
import json, sys
ready = json.load(open(sys.argv[1]))
names = sys.argv[3:]
e = ready.get("etcd")
def args(e):
    return "--endpoints=%s --cacert %s --cert %s --key %s" % (e["endpoint"], e["ca"], e["cert"], e["key"])
if e:
    print("# the source's etcd (behind pods etcd-0..2), for etcdctl from the host")
    print("export SOURCE_ETCDCTL_ARGS='%s'" % args(e))
if len(names) > 1:
    print("# the source's hosted clusters (SANDBOX_HOSTED_CLUSTERS); the etcd of the I-th, from 0")
    print("export SANDBOX_HOSTED_CLUSTERS='%s'" % " ".join(names))
    etcds = ready.get("etcds") or {}
    out = {}
    for i, name in enumerate(names):
        e = etcds.get("clusters-" + name)
        if e:
            print("export SOURCE_ETCDCTL_ARGS_%d='%s'" % (i, args(e)))
            out[name] = dict(e, namespace="clusters-" + name, etcdctl_args=args(e))
    with open(sys.argv[2], "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
PY
    } >"$dir/env"
    for name in "${instances[@]}"; do
      printf '%-12s %s\n' "$name" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["url"], d["kubeconfig"])' "$dir/$name/ready.json")"
    done
    echo "env file: $dir/env   (source it, then e.g. kubectl --kubeconfig \$MGMT_KUBECONFIG get hc -A)"
    ;;
  stop)
    stop_all "${instances[@]/#/$dir/}"
    ;;
  status)
    rc=0
    for name in "${instances[@]}"; do
      if [[ -f "$dir/$name/pid" ]] && kill -0 "$(cat "$dir/$name/pid")" 2>/dev/null; then
        echo "$name: running (pid $(cat "$dir/$name/pid"))"
      else
        echo "$name: stopped"; rc=1
      fi
    done
    exit $rc
    ;;
  *) usage ;;
esac
