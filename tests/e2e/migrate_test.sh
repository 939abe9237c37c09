#!/usr/bin/env bash
# The whole migration with the stock plans, on the sandbox: three simulated clusters that the real
# kubectl talks to, a real etcd behind the source's etcd pods, the simulated HyperShift restore
# on the destination, and s3rver over HTTPS (run under tests/s3/with_s3rver.py --tls).
#
#   1. controlplane.ferry: a key written to the source's etcd comes back from the destination's
#      restored etcd; the HostedCluster is Available there, unpaused, with a presigned https
#      restoreSnapshotURL; the object in S3 is the snapshot (sha256); the source's HostedCluster
#      and control-plane namespace are gone, its NodePools untouched; no presigned signature
#      reaches the output, the journal or the log.
#   2. controlplane-nodepool.ferry with the HostedCluster's creation on the destination refused:
#      the saga rollback deletes what the restore created on the destination and gives the source
#      back its replicas and an unpaused HostedCluster.
#
# usage: migrate_test.sh FERRY SOURCE_DIR
set -u
ferry=$1
src=$2
[[ -n "${FERRY_S3_CA:-}" ]] || { echo "run under tests/s3/with_s3rver.py --tls" >&2; exit 2; }
work=$(mktemp -d)
sandbox=$work/sandbox
trap 'tests/sandbox/sandbox.sh stop "$sandbox" >/dev/null 2>&1; rm -rf "$work"' EXIT
cd "$src"
source tests/lib/assert.sh

HC=jdoe-hosted
CP=clusters-$HC
# The etcd TLS flags inside the etcd pods (the procedure's).
ETCD_TLS=(--cacert /etc/etcd/tls/etcd-ca/ca.crt --cert /etc/etcd/tls/client/etcd-client.crt
          --key /etc/etcd/tls/client/etcd-client.key --endpoints=localhost:2379)

start_sandbox() {
  tests/sandbox/sandbox.sh stop "$sandbox" >/dev/null 2>&1
  rm -rf "$sandbox"
  SANDBOX_CA_BUNDLE=$FERRY_S3_CA tests/sandbox/sandbox.sh start "$sandbox" >/dev/null || exit 1
  # shellcheck disable=SC1091
  . "$sandbox/env"
}
k() { local kc=$1; shift; kubectl --kubeconfig "$kc" "$@"; }

# The plans read the procedure's env file; these are the sandbox's values.
export AWS_ENDPOINT_URL=$FERRY_S3_ENDPOINT AWS_CA_BUNDLE=$FERRY_S3_CA AWS_DEFAULT_REGION=us-east-1
export HC_CLUSTER_NAME=$HC HC_CLUSTER_NS=clusters MGMT_CLUSTER_NAME=mgmt-a MGMT_REGION=us-east-1
export BUCKET_NAME=$FERRY_S3_BUCKET NODEPOOLS="jdoe-hosted-us-west-1a jdoe-hosted-us-west-1b" NODE_POOL_REPLICAS=2

# ---- 1. the ControlPlane migration ---------------------------------------------------------
start_sandbox
read -r -a etcd_host <<<"$SOURCE_ETCDCTL_ARGS"
ETCDCTL_API=3 etcdctl "${etcd_host[@]}" put /ferry/e2e-marker "written before the migration" >/dev/null ||
  { echo "cannot write to the source's etcd" >&2; exit 1; }

expect dry-run 0 "$ferry" plan plans/controlplane.ferry
contains dry-run-streams "exec etcd-0 -c etcd -- cat" "$out"

run=$work/run-cp
expect apply 0 "$ferry" apply plans/controlplane.ferry --run-dir "$run" --yes
apply_out=$out$err
contains apply-done "done: every step succeeded" "$apply_out"

hc=$(k "$MGMT2_KUBECONFIG" -n clusters get hostedcluster $HC -o json)
condition() { jq -r --arg t "$1" '.status.conditions[] | select(.type == $t) | .status' <<<"$hc"; }
check dest-available [ "$(condition Available)" = True ]
check dest-etcd-restored [ "$(condition EtcdSnapshotRestored)" = True ]
check dest-unpaused [ "$(jq -r '.spec.pausedUntil // "none"' <<<"$hc")" = none ]
url=$(jq -r '.spec.etcd.managed.storage.restoreSnapshotURL[0]' <<<"$hc")
contains dest-url-https "https://127.0.0.1:" "$url"
contains dest-url-presigned "X-Amz-Signature=" "$url"
check dest-url-fits [ "${#url}" -le 1024 ]
marker=$(k "$MGMT2_KUBECONFIG" -n $CP exec etcd-0 -c etcd -- env ETCDCTL_API=3 /usr/bin/etcdctl "${ETCD_TLS[@]}" \
  get /ferry/e2e-marker --print-value-only 2>&1)
contains dest-etcd-has-the-key "written before the migration" "$marker"

# The object in S3 is the snapshot the source's pod holds.
pod_snapshot=$sandbox/source/pods/$CP/etcd-0/var/lib/data/snapshot.db
uploaded_sha=$(jq -r 'select(.event == "step_succeeded" and .step == "etcd[etcd-0].upload") | .outputs.sha256' \
  "$run/journal.jsonl")
check upload-sha-is-the-pods [ "$uploaded_sha" = "$(sha256sum "$pod_snapshot" | cut -c1-64)" ]
expect s3-get 0 "$ferry" s3 cp "s3://$FERRY_S3_BUCKET/$HC-etcd-0-snapshot.db" "$work/downloaded.db"
check s3-object-is-the-snapshot [ "$(sha256sum "$work/downloaded.db" | cut -c1-64)" = "$uploaded_sha" ]

expect source-hc-gone 0 k "$MGMT_KUBECONFIG" -n clusters get hostedclusters -o name
lacks source-hc-gone-name "$HC" "$out"
expect source-cp-namespace-gone 0 k "$MGMT_KUBECONFIG" get namespaces -o name
lacks source-cp-namespace-gone-name "namespace/$CP" "$out"
# The ControlPlane variant leaves NodePools alone (it neither backs them up nor restores them).
expect source-nodepools 0 k "$MGMT_KUBECONFIG" -n clusters get nodepools -o name
contains source-own-nodepools-kept "jdoe-hosted-us-west-1a" "$out"
contains source-other-nodepool-kept "other-cluster-pool" "$out"

# Presigned URLs are secrets: never in what ferry printed or wrote.
lacks url-not-printed "X-Amz-Signature" "$apply_out"
check run-files-exist test -s "$run/journal.jsonl" -a -s "$run/ferry.log"
check url-not-journaled bash -c "! grep -q 'X-Amz-Signature' '$run/journal.jsonl' '$run/ferry.log'"
expect status 0 "$ferry" status "$run"
contains status-succeeded "succeeded" "$out"

# ---- 2. a failed restore rolls back on both clusters -----------------------------------------
start_sandbox
source_replicas=$(k "$MGMT_KUBECONFIG" -n $CP get deployment kube-apiserver -o jsonpath='{.spec.replicas}')
# What the destination held before must survive the rollback: the hosted-cluster namespace and,
# in it, a Secret identical to one the restore brings (so the restore counts it as restored).
k "$MGMT2_KUBECONFIG" create namespace clusters >/dev/null
k "$MGMT_KUBECONFIG" -n clusters get secret jdoe-hosted-ssh-key -o json |
  jq 'del(.metadata.uid, .metadata.resourceVersion, .metadata.creationTimestamp, .metadata.managedFields)' |
  k "$MGMT2_KUBECONFIG" create -f - >/dev/null || { echo "cannot seed the destination" >&2; exit 1; }
# The destination refuses to create the HostedCluster (403 is not retried).
dest=$(jq -r '.url' "$sandbox/destination/ready.json")
curl -sf --cacert "$(jq -r '.ca' "$sandbox/destination/ready.json")" \
  -H "Authorization: Bearer $(jq -r '.token' "$sandbox/destination/ready.json")" -X POST "$dest/apisim/faults" \
  -d '{"method": "POST", "path": "/hostedclusters$", "code": 403, "reason": "Forbidden",
       "message": "hostedclusters is forbidden: e2e", "count": 100}' >/dev/null ||
  { echo "cannot inject the fault" >&2; exit 1; }

run=$work/run-np
# The S3 endpoint and CA as flags this time, instead of the environment.
expect apply-fails 1 env -u AWS_ENDPOINT_URL -u AWS_CA_BUNDLE "$ferry" apply plans/controlplane-nodepool.ferry \
  --run-dir "$run" --yes --aws-endpoint-url "$FERRY_S3_ENDPOINT" --aws-ca-bundle "$FERRY_S3_CA"
contains apply-fails-why "hostedclusters is forbidden: e2e" "$out$err"
contains rolled-back "rolled back" "$out$err"
lacks rollback-url-not-printed "X-Amz-Signature" "$out$err"
check rollback-url-not-journaled bash -c "test -s '$run/journal.jsonl' && ! grep -q 'X-Amz-Signature' '$run/journal.jsonl' '$run/ferry.log'"
contains uploaded-before-the-failure '"step":"etcd[etcd-0].upload"' "$(grep step_succeeded "$run/journal.jsonl")"

expect dest-kept-what-it-had 0 k "$MGMT2_KUBECONFIG" -n clusters get secret jdoe-hosted-ssh-key -o name
expect dest-restored-secrets-gone 0 k "$MGMT2_KUBECONFIG" -n clusters get secrets -o name
lacks dest-restored-secrets-gone-name "jdoe-hosted-pull-secret" "$out"
expect dest-hc-none 0 k "$MGMT2_KUBECONFIG" -n clusters get hostedclusters -o name
lacks dest-hc-none-name "$HC" "$out"
expect dest-hcp-deleted 0 k "$MGMT2_KUBECONFIG" get hostedcontrolplanes -A -o name
lacks dest-hcp-deleted-name "$HC" "$out"
expect dest-machines-deleted 0 k "$MGMT2_KUBECONFIG" get awsmachines.infrastructure.cluster.x-k8s.io -A -o name
check dest-machines-deleted-none [ -z "$out" ]
expect source-unpaused 0 k "$MGMT_KUBECONFIG" -n clusters get hostedcluster $HC -o jsonpath='{.spec.pausedUntil}'
check source-unpaused-empty [ -z "$out" ]
expect source-nodepool-unpaused 0 k "$MGMT_KUBECONFIG" -n clusters get nodepool jdoe-hosted-us-west-1a \
  -o jsonpath='{.spec.pausedUntil}'
check source-nodepool-unpaused-empty [ -z "$out" ]
expect source-scaled-back 0 k "$MGMT_KUBECONFIG" -n $CP get deployment kube-apiserver -o jsonpath='{.spec.replicas}'
check source-scaled-back-count [ "$out" = "$source_replicas" ]
check compensations-journaled bash -c "grep -q '\"compensation_succeeded\",\"step\":\"restored.control_plane\"' '$run/journal.jsonl'"

finish
