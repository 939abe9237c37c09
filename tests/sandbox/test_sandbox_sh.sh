#!/usr/bin/env bash
# sandbox.sh start/stop: three clusters come up, answer kubectl with their own kubeconfigs, and stop.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$(mktemp -d)"
trap '"$here/sandbox.sh" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v kubectl >/dev/null || { echo "SKIP: kubectl is not installed"; exit 77; }

"$here/sandbox.sh" start "$dir" >"$dir/start.out"
# shellcheck disable=SC1091
. "$dir/env"
[[ "$(kubectl --kubeconfig "$MGMT_KUBECONFIG" -n clusters get hc -o name)" == "hostedcluster.hypershift.openshift.io/jdoe-hosted" ]] \
  || fail "source has no HostedCluster jdoe-hosted"
[[ -z "$(kubectl --kubeconfig "$MGMT2_KUBECONFIG" get hc -A -o name)" ]] || fail "destination is not empty"
[[ "$(kubectl --kubeconfig "$HC_KUBECONFIG" get nodes -o name | wc -l)" == 3 ]] || fail "hosted cluster has no 3 nodes"
"$here/sandbox.sh" status "$dir" >/dev/null || fail "status says not running"
if [[ -n "${SOURCE_ETCDCTL_ARGS:-}" ]]; then
  # shellcheck disable=SC2086
  ETCDCTL_API=3 etcdctl $SOURCE_ETCDCTL_ARGS put /ferry/probe yes >/dev/null || fail "source etcd not reachable"
  got=$(kubectl --kubeconfig "$MGMT_KUBECONFIG" -n clusters-jdoe-hosted exec etcd-0 -c etcd -- env ETCDCTL_API=3 \
        etcdctl --cacert /etc/etcd/tls/etcd-ca/ca.crt --cert /etc/etcd/tls/client/etcd-client.crt \
        --key /etc/etcd/tls/client/etcd-client.key --endpoints=localhost:2379 get /ferry/probe --print-value-only)
  [[ "$got" == yes ]] || fail "etcdctl in pod etcd-0 did not read the key: $got"
fi
pids=$(cat "$dir"/*/pid)
etcd_pids=$(pgrep -f "$dir/source/etcd" || true)
"$here/sandbox.sh" stop "$dir"
for p in $pids $etcd_pids; do ! kill -0 "$p" 2>/dev/null || fail "pid $p still running after stop"; done
! "$here/sandbox.sh" status "$dir" >/dev/null || fail "status says running after stop"
echo "1 passed, 0 failed"
