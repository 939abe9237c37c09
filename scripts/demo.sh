#!/usr/bin/env bash
# `make demo`: the stock plans checked and dry-run with the example env file, then the whole
# migration on the sandbox (three simulated clusters the real kubectl talks to, every controller
# model running on them as on a real management cluster, a real etcd behind the etcd pods, a fake
# cloud with a ledger, s3rver over HTTPS for the snapshots) while a client keeps writing to the
# hosted cluster, then a migration whose restore is refused and rolled back on both clusters.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
ferry=$(realpath "$build/engine/ferry")
# The snapshots go to a local S3 server over HTTPS: run under it.
if [[ -z "${FERRY_S3_CA:-}" ]]; then
  exec python3 tests/s3/with_s3rver.py --tls "$0" "$build"
fi
export HOME=${HOME:-/home/demo}
vars=(--vars-file plans/example.env)

work=$(mktemp -d)
sandbox=$work/sandbox
cleanup() {
  [[ -d $sandbox ]] && tests/sandbox/sandbox.sh stop "$sandbox" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m# %s\033[0m\n' "$*"; }
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step "$ferry" check plans/controlplane.ferry "${vars[@]}"
step "$ferry" check plans/controlplane-nodepool.ferry "${vars[@]}" --var availability=HighlyAvailable
step "$ferry" check plans/controlplane.toml "${vars[@]}" --output json

printf '\n\033[1m$ %s\033[0m\n' "$ferry graph plans/controlplane.ferry --vars-file plans/example.env --format mermaid | head -20"
"$ferry" graph plans/controlplane.ferry "${vars[@]}" --format mermaid | head -20 || true

say "The sandbox: management clusters A (source) and B (destination), and the hosted cluster,"
say "with the HyperShift operator, the control-plane operator, Cluster API and CAPA running."
SANDBOX_AVAILABILITY=SingleReplica SANDBOX_CA_BUNDLE=$FERRY_S3_CA tests/sandbox/sandbox.sh start "$sandbox" >/dev/null
# shellcheck disable=SC1091
. "$sandbox/env"
# What the procedure's env file holds, for the sandbox.
export AWS_ENDPOINT_URL=$FERRY_S3_ENDPOINT AWS_CA_BUNDLE=$FERRY_S3_CA AWS_DEFAULT_REGION=us-east-1
export HC_CLUSTER_NAME=jdoe-hosted HC_CLUSTER_NS=clusters MGMT_CLUSTER_NAME=mgmt-a MGMT_REGION=us-east-1
export BUCKET_NAME=$FERRY_S3_BUCKET NODEPOOLS="jdoe-hosted-us-west-1a jdoe-hosted-us-west-1b" NODE_POOL_REPLICAS=3
read -r -a etcd_host <<<"$SOURCE_ETCDCTL_ARGS"
ETCDCTL_API=3 etcdctl "${etcd_host[@]}" put /demo/written-on-A "before the migration" >/dev/null
show_state() {
  echo "A:"; kubectl --kubeconfig "$MGMT_KUBECONFIG" get hostedclusters -A
  echo "B:"; kubectl --kubeconfig "$MGMT2_KUBECONFIG" get hostedclusters -A
}
step show_state

say "The dry run: what apply would do, in order, with the commands it would run."
printf '\033[1m$ %s\033[0m\n' "$ferry plan plans/controlplane.ferry | head -60"
"$ferry" plan plans/controlplane.ferry | head -60 || true

say "The migration: check, pause, stop, snapshot etcd to S3, back up, restore on B, verify, tear down A."
say "Meanwhile a client writes to the hosted cluster through its fixed hostname."
python3 tests/sandbox/hosted_writer.py write --shared "$sandbox/shared" --out "$work/acked.jsonl" \
  --interval 0.1 >"$work/writer.json" 2>/dev/null &
writer=$!
step "$ferry" apply plans/controlplane.ferry --run-dir "$work/run" --yes
kill -TERM "$writer"; wait "$writer" 2>/dev/null
step show_state
say "The client's view of the outage, and its acknowledged writes read back on B:"
cat "$work/writer.json"
step python3 tests/sandbox/hosted_writer.py check --acked "$work/acked.jsonl" --shared "$sandbox/shared"
say "What the migration did to the cloud (the ledger; nothing of the cluster destroyed):"
cat "$sandbox/shared/cloud-ledger.jsonl" 2>/dev/null || echo "(nothing)"
say "The key written to A's etcd, read from B's restored etcd:"
step kubectl --kubeconfig "$MGMT2_KUBECONFIG" -n clusters-jdoe-hosted exec etcd-0 -c etcd -- env ETCDCTL_API=3 \
  /usr/bin/etcdctl --cacert /etc/etcd/tls/etcd-ca/ca.crt --cert /etc/etcd/tls/client/etcd-client.crt \
  --key /etc/etcd/tls/client/etcd-client.key --endpoints=localhost:2379 get /demo/written-on-A
step "$ferry" status "$work/run"

say "Again on a fresh sandbox, with B refusing the HostedCluster: the saga rolls back both clusters."
tests/sandbox/sandbox.sh stop "$sandbox" >/dev/null
SANDBOX_AVAILABILITY=SingleReplica SANDBOX_CA_BUNDLE=$FERRY_S3_CA tests/sandbox/sandbox.sh start "$sandbox" >/dev/null
ready=$sandbox/destination/ready.json
curl -sf --cacert "$(jq -r .ca "$ready")" -H "Authorization: Bearer $(jq -r .token "$ready")" \
  -X POST "$(jq -r .url "$ready")/apisim/faults" \
  -d '{"method": "POST", "path": "/hostedclusters$", "code": 403, "reason": "Forbidden", "message": "hostedclusters is forbidden (demo)", "count": 100}' >/dev/null
set +e
step "$ferry" apply plans/controlplane-nodepool.ferry --run-dir "$work/run-np" --yes
echo "(exit status $?)"
set -e
say "A is as it was (unpaused, its control plane scaled back up); B holds nothing of the cluster."
say "B was paused and stopped before anything there was deleted, and A unpaused only after."
step kubectl --kubeconfig "$MGMT_KUBECONFIG" -n clusters get hostedcluster jdoe-hosted -o jsonpath='pausedUntil={.spec.pausedUntil}{"\n"}'
step kubectl --kubeconfig "$MGMT_KUBECONFIG" -n clusters-jdoe-hosted get deploy kube-apiserver openshift-apiserver control-plane-operator
step kubectl --kubeconfig "$MGMT2_KUBECONFIG" get hostedclusters,hostedcontrolplanes -A

printf '\n\033[1m# A plan with mistakes: every error at once, each with its place and a fix.\033[0m\n'
broken=$work/typos.ferry
cat >"$broken" <<'PLAN'
plan "typos" {
  param hc_name : string = "jdoe-hosted"
  cluster source { kubeconfig = "/tmp/kubeconfig" }
  phase backup {
    step pause = patch {
      cluster = sorce
      namespace = "clusters"
      object = "hostedclusters/${hc_nme}"
      merge = { spec = { pausedUntil = "true" } }
    }
    step stop = scale { cluster = source  namespace = "clusters-${hc_name}"  names = ["kube-apiserver"]  replica = 0 }
  }
}
PLAN
set +e
step "$ferry" check "$broken"
echo "(exit status $?)"
