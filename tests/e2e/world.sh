# The sandbox world of the e2e tests, and what must hold of it after a migration or a rollback.
# Sourced by migrate_test.sh after tests/lib/assert.sh; needs $work, $ferry and the env that
# tests/s3/with_s3rver.py --tls sets.
#
# The sandbox runs every controller model (HyperShift operator, control-plane operator, Cluster
# API, CAPA, the garbage collector, the workload and node controllers, the hosted cluster's API):
# what the plans do is fought over as on a real management cluster. The fake cloud's ledger
# records every create and delete; the hosted API's split-brain file every moment two management
# clusters served the hosted cluster at once.

HC=jdoe-hosted
CP=clusters-$HC
INFRA=jdoe-hosted-7xk2p
sandbox=$work/sandbox
# The etcd TLS flags inside the etcd pods (the procedure's).
ETCD_TLS=(--cacert /etc/etcd/tls/etcd-ca/ca.crt --cert /etc/etcd/tls/client/etcd-client.crt
          --key /etc/etcd/tls/client/etcd-client.key --endpoints=localhost:2379)
writer_pid=""

# start_sandbox [AVAILABILITY [FIXTURE_ARGS [LATENCY [HOSTED_CLUSTERS]]]]: a fresh sandbox with
# every controller model on (FIXTURE_ARGS: tests/sandbox/fixtures/make_fixtures.py's variants;
# LATENCY: "NAME=S ...", the models' reconcile latencies, docs/kube.md; HOSTED_CLUSTERS: "NAME ...",
# the source's HostedClusters, default $HC alone).
start_sandbox() {
  stop_writer
  tests/sandbox/sandbox.sh stop "$sandbox" >/dev/null 2>&1
  rm -rf "$sandbox"
  SANDBOX_CONTROLLERS=all SANDBOX_AVAILABILITY=${1:-SingleReplica} SANDBOX_FIXTURE_ARGS=${2:-} \
    SANDBOX_LATENCY=${3:-} SANDBOX_HOSTED_CLUSTERS=${4:-} \
    SANDBOX_CA_BUNDLE=$FERRY_S3_CA tests/sandbox/sandbox.sh start "$sandbox" >/dev/null || exit 1
  # shellcheck disable=SC1091
  . "$sandbox/env"
  local name
  for name in ${4:-$HC}; do
    wait_for "the source serves hosted cluster $name" 60 served_by source "$name"
  done
}
stop_sandbox() { stop_writer; tests/sandbox/sandbox.sh stop "$sandbox" >/dev/null 2>&1; }
k() { local kc=$1; shift; kubectl --kubeconfig "$kc" "$@"; }

# wait_for WHAT SECONDS COMMAND...: polls COMMAND until it succeeds.
wait_for() {
  local what=$1 seconds=$2
  shift 2
  for _ in $(seq $((seconds * 2))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "e2e: gave up waiting ${seconds}s for: $what" >&2
  return 1
}
# served_by NAME [HOSTED_CLUSTER]: exactly that management cluster serves the hosted cluster's API
# now (default $HC; "" for none).
served_by() {
  [[ "$(jq -r --arg hc "clusters/${2:-$HC}" '.hosted_clusters[$hc].servers // {} | keys | join(",")' \
    "$sandbox/shared/hosted-api.json" 2>/dev/null)" == "$1" ]]
}

# The plans read the procedure's env file; these are the sandbox's values.
export AWS_ENDPOINT_URL=$FERRY_S3_ENDPOINT AWS_CA_BUNDLE=$FERRY_S3_CA AWS_DEFAULT_REGION=us-east-1
# A sandbox pod's commands are local processes (apisim passes this on to them): with
# snapshot_upload = "in-pod" their curl sends the snapshot to the local S3 server and trusts its CA.
export CURL_CA_BUNDLE=$FERRY_S3_CA
export HC_CLUSTER_NAME=$HC HC_CLUSTER_NS=clusters MGMT_CLUSTER_NAME=mgmt-a MGMT_REGION=us-east-1
export BUCKET_NAME=$FERRY_S3_BUCKET NODEPOOLS="jdoe-hosted-us-west-1a jdoe-hosted-us-west-1b" NODE_POOL_REPLICAS=3

# A client of the hosted cluster that writes all through the migration (tests/sandbox/hosted_writer.py).
start_writer() {
  python3 tests/sandbox/hosted_writer.py write --shared "$sandbox/shared" --out "$work/acked.jsonl" \
    --interval 0.1 >"$work/writer.json" 2>"$work/writer.err" &
  writer_pid=$!
}
stop_writer() {
  [[ -n "$writer_pid" ]] || return 0
  kill -TERM "$writer_pid" 2>/dev/null
  wait "$writer_pid" 2>/dev/null
  writer_pid=""
}

# root_ca KUBECONFIG [HOSTED_CLUSTER]: the PKI the hosted cluster's kubelets trust: the root CA's data.
root_ca() { k "$1" -n "clusters-${2:-$HC}" get secret root-ca -o jsonpath='{.data}' 2>/dev/null; }

# etcd_args [HOSTED_CLUSTER]: etcdctl's flags for the source's etcd of that hosted cluster (the
# sandbox's etcds.json; SOURCE_ETCDCTL_ARGS for the first or only one).
etcd_args() {
  local name=${1:-$HC}
  if [[ -f "$sandbox/etcds.json" ]]; then
    jq -er --arg n "$name" '.[$n].etcdctl_args' "$sandbox/etcds.json"
  else
    [[ "$name" == "$HC" ]] && echo "$SOURCE_ETCDCTL_ARGS"
  fi
}

# check_cloud_and_api TAG [MIN_INSTANCES]: nothing of the migrated cluster was destroyed in the
# cloud (MIN_INSTANCES of the fixture's instances, default 3, or $min_instances, are all there),
# and no two management clusters ever served any hosted cluster at once. The one delete allowed: the source's HO deleting the source's own VPC
# endpoint service as its AWSEndpointService goes (the destination's HO makes its own).
check_cloud_and_api() {
  local tag=$1 min_instances=${2:-3}
  local destroyed
  destroyed=$(jq -c 'select(.action == "delete")
                     | select((.kind == "vpc_endpoint_service" and .cluster == "source" and .controller == "hypershift") | not)' \
    "$sandbox/shared/cloud-ledger.jsonl" 2>/dev/null)
  check "$tag-ledger-nothing-destroyed" [ -z "$destroyed" ]
  [[ -z "$destroyed" ]] || echo "  destroyed: ${destroyed:0:1500}"
  local instances
  instances=$(jq -r '.instance | keys | length' "$sandbox/shared/cloud.json")
  check "$tag-instances-all-there" [ "$instances" -ge "$min_instances" ]
  check "$tag-no-split-brain" [ ! -s "$sandbox/shared/split-brain.jsonl" ]
}

# check_migrated TAG PKI_BEFORE [HOSTED_CLUSTER [MARKER]]: after a migration, the destination runs
# the hosted cluster (default $HC), restored from the source's etcd (its etcd holds MARKER at
# /ferry/e2e-marker, default "written before the migration") and PKI, nothing of it paused; the
# source holds nothing of it.
check_migrated() {
  local tag=$1 pki_before=$2 HC=${3:-$HC} marker_value=${4:-written before the migration}
  local CP=clusters-$HC
  local hc
  hc=$(k "$MGMT2_KUBECONFIG" -n clusters get hostedcluster "$HC" -o json)
  cond() { jq -r --arg t "$2" '.status.conditions[] | select(.type == $t) | .status' <<<"$1"; }
  check "$tag-dest-available" [ "$(cond "$hc" Available)" = True ]
  check "$tag-dest-recovered" [ "$(cond "$hc" HostedClusterRestoredFromBackup)" = True ]
  check "$tag-dest-annotation-done" [ "$(jq -r '.metadata.annotations["hypershift.openshift.io/restored-from-backup"] // "gone"' <<<"$hc")" = gone ]
  check "$tag-dest-unpaused" [ "$(jq -r '.spec.pausedUntil // "none"' <<<"$hc")" = none ]
  local urls
  urls=$(jq -r '.spec.etcd.managed.storage.restoreSnapshotURL | length' <<<"$hc")
  check "$tag-dest-one-url" [ "$urls" = 1 ]
  local url
  url=$(jq -r '.spec.etcd.managed.storage.restoreSnapshotURL[0]' <<<"$hc")
  contains "$tag-dest-url-presigned" "X-Amz-Signature=" "$url"
  check "$tag-dest-url-fits" [ "${#url}" -le 1024 ]
  local hcp
  hcp=$(k "$MGMT2_KUBECONFIG" -n "$CP" get hostedcontrolplane "$HC" -o json)
  check "$tag-dest-hcp-etcd-restored" [ "$(cond "$hcp" EtcdSnapshotRestored)" = True ]
  check "$tag-dest-same-root-ca" [ -n "$pki_before" -a "$(root_ca "$MGMT2_KUBECONFIG" "$HC")" = "$pki_before" ]
  local marker
  marker=$(k "$MGMT2_KUBECONFIG" -n "$CP" exec etcd-0 -c etcd -- env ETCDCTL_API=3 /usr/bin/etcdctl "${ETCD_TLS[@]}" \
    get /ferry/e2e-marker --print-value-only 2>&1)
  contains "$tag-dest-etcd-has-the-key" "$marker_value" "$marker"
  expect "$tag-dest-nothing-paused" 0 k "$MGMT2_KUBECONFIG" -n clusters get hostedclusters,nodepools \
    -o jsonpath='{range .items[*]}{.spec.pausedUntil}{end}'
  check "$tag-dest-nothing-paused-empty" [ -z "$out" ]
  check "$tag-dest-serves" served_by destination "$HC"

  expect "$tag-source-hc-gone" 0 k "$MGMT_KUBECONFIG" -n clusters get hostedclusters -o name
  # whole lines: another hosted cluster's name may start with this one's
  check "$tag-source-hc-gone-name" bash -c '! grep -qxF "$1" <<<"$2"' _ "hostedcluster.hypershift.openshift.io/$HC" "$out"
  expect "$tag-source-cp-namespace-gone" 0 k "$MGMT_KUBECONFIG" get namespaces -o name
  check "$tag-source-cp-namespace-gone-name" bash -c '! grep -qxF "$1" <<<"$2"' _ "namespace/$CP" "$out"
  check_cloud_and_api "$tag" "${min_instances:-3}"
}

# check_rolled_back TAG REPLICAS_BEFORE [HOSTED_CLUSTER]: after a rollback, the source runs the
# hosted cluster (default $HC) as before, and the destination holds nothing of it and runs nothing
# of it.
check_rolled_back() {
  local tag=$1 replicas_before=$2 HC=${3:-$HC}
  local CP=clusters-$HC
  expect "$tag-source-unpaused" 0 k "$MGMT_KUBECONFIG" -n clusters get hostedcluster "$HC" -o jsonpath='{.spec.pausedUntil}'
  check "$tag-source-unpaused-empty" [ -z "$out" ]
  expect "$tag-source-nodepools-unpaused" 0 k "$MGMT_KUBECONFIG" -n clusters get nodepools \
    -o jsonpath='{range .items[*]}{.spec.pausedUntil}{end}'
  check "$tag-source-nodepools-unpaused-empty" [ -z "$out" ]
  expect "$tag-source-scaled-back" 0 k "$MGMT_KUBECONFIG" -n "$CP" get deployment kube-apiserver -o jsonpath='{.spec.replicas}'
  check "$tag-source-scaled-back-count" [ "$out" = "$replicas_before" ]
  check "$tag-source-hcp-unpaused" wait_for "the source's HostedControlPlane unpaused" 30 \
    bash -c "[ -z \"\$(kubectl --kubeconfig '$MGMT_KUBECONFIG' -n $CP get hostedcontrolplane $HC -o jsonpath='{.spec.pausedUntil}')\" ]"
  check "$tag-source-serves" wait_for "the source serves again" 60 served_by source "$HC"

  # by what each object belongs to, not its name: another hosted cluster's may start with this one's
  expect "$tag-dest-no-hc" 0 k "$MGMT2_KUBECONFIG" get hostedclusters,hostedcontrolplanes,nodepools -A -o json
  check "$tag-dest-no-hc-name" jq -e --arg hc "$HC" --arg cp "$CP" '[.items[] | select(
      (.kind == "HostedCluster" and .metadata.name == $hc) or (.kind == "HostedControlPlane" and .metadata.namespace == $cp)
      or (.kind == "NodePool" and .spec.clusterName == $hc))] | length == 0' <<<"$out"
  expect "$tag-dest-no-machines" 0 k "$MGMT2_KUBECONFIG" get machines.cluster.x-k8s.io,awsmachines.infrastructure.cluster.x-k8s.io -A -o name
  check "$tag-dest-no-machines-none" [ -z "$out" ]
  expect "$tag-dest-no-pods" 0 k "$MGMT2_KUBECONFIG" get pods -n "$CP" -o name
  check "$tag-dest-no-pods-none" [ -z "$out" ]
  check_cloud_and_api "$tag" "${min_instances:-3}"
}
