#!/usr/bin/env bash
# The whole migration with the stock plans, on the sandbox with every controller model on (the
# HyperShift operator, the control-plane operator, Cluster API, CAPA, the garbage collector, the
# workloads, the hosted cluster's nodes and API; tests/e2e/world.sh), a real etcd behind the etcd
# pods, through the real kubectl, with s3rver over HTTPS (run under tests/s3/with_s3rver.py --tls).
#
#   migrate_test.sh FERRY SOURCE_DIR SCENARIO[:K/N]
#
# SCENARIO:
#   controlplane   plans/controlplane.ferry, SingleReplica, a client writing to the hosted cluster
#                  all through: every write it was told succeeded reads back on the destination,
#                  the PKI is the source's, nothing destroyed in the cloud, the source is empty
#   nodepool-ha    plans/controlplane-nodepool.ferry, HighlyAvailable, a private cluster, a fast
#                  HyperShift operator: the same, the machines and NodePools moved with their
#                  instances untouched, every etcd member in one cluster, the AWSEndpointServices'
#                  finalizers no obstacle, the source's endpoint service deleted by its HO
#   preflight      the source marked for destruction (cleanup-cloud-resources): the preflight
#                  refuses, saying what to fix, and nothing changed on any cluster or in the cloud
#   refused        the NodePool plan with the destination refusing the HostedCluster: the saga
#                  rolls back both clusters; the source runs as before, the destination is empty
#   restore-faults[:K/N]
#                  a failure injected after each step of the restore phase (FERRY_TEST_FAIL; with
#                  K/N only every Nth step from the Kth), in turn on one sandbox: each rollback
#                  leaves the source running and the destination inert and empty, and the
#                  migration then run again without a fault succeeds
#   evacuate       plans/evacuate.ferry with the sandbox's one hosted cluster: a failure injected in
#                  its restore fails its scope alone, which is rolled back to the source (the run
#                  partially_failed, exit 1, status says so); the plan made again, finding the
#                  hosted cluster by its label (discover()), and its saved plan applied migrates it
#   evacuate-fleet plans/evacuate.ferry on a source with four hosted clusters (SANDBOX_HOSTED_CLUSTERS,
#                  two of them jdoe-hosted and jdoe-hosted-2: each backup takes its own Secrets),
#                  parallel = 2, a failure injected in the restore of the first: it alone is rolled
#                  back to the source (leaving the destination's shared namespace to the others when
#                  its restore created it), the other three run on the destination, each restored
#                  from its own snapshot (a marker of its own in each etcd), the run
#                  partially_failed (exit 1), status lists it rolled back, no Lease left, the
#                  cloud's ledger clean, no split brain
#   crash          plans/controlplane.ferry, HighlyAvailable: kill -9 of ferry at each phase
#                  boundary and in the middle of the restore phase (FERRY_TEST_CRASH), then
#                  `ferry resume`: the migration ends as an unbroken one
#   lease          two applies of plans/controlplane.ferry for the one hosted cluster started
#                  together: one takes the Leases and goes on, the other exits 2 before any step,
#                  naming the holder; the holder is killed (-9) after the pause, its Leases stay
#                  until they expire (a short --lease-duration), then `ferry resume` of it takes
#                  them back, finishes the migration and releases them
set -u
ferry=$1
src=$2
scenario=${3%%:*}
shard_spec=1/1
[[ $3 == *:* ]] && shard_spec=${3#*:}
[[ $shard_spec =~ ^([1-9][0-9]*)/([1-9][0-9]*)$ ]] && ((BASH_REMATCH[1] <= BASH_REMATCH[2])) ||
  { echo "migrate_test.sh: a shard is K/N with 1 <= K <= N, got '$shard_spec'" >&2; exit 2; }
[[ -n "${FERRY_S3_CA:-}" ]] || { echo "run under tests/s3/with_s3rver.py --tls" >&2; exit 2; }
work=$(mktemp -d)
trap 'stop_sandbox; rm -rf "$work"' EXIT
cd "$src"
source tests/lib/assert.sh
source tests/e2e/world.sh

# prepare [HOSTED_CLUSTER [MARKER]]: a marker in the source's etcd of the hosted cluster (default
# $HC; MARKER, default "written before the migration") before anything happens, and what its PKI
# and kube-apiserver replicas are on the source (pki_before, replicas_before; also pki_of[NAME],
# replicas_of[NAME]).
declare -A pki_of replicas_of
prepare() {
  local name=${1:-$HC} marker=${2:-written before the migration}
  read -r -a etcd_host <<<"$(etcd_args "$name")"
  ETCDCTL_API=3 etcdctl "${etcd_host[@]}" put /ferry/e2e-marker "$marker" >/dev/null ||
    { echo "cannot write to the source's etcd of $name" >&2; exit 1; }
  pki_before=$(root_ca "$MGMT_KUBECONFIG" "$name")
  replicas_before=$(k "$MGMT_KUBECONFIG" -n "clusters-$name" get deployment kube-apiserver -o jsonpath='{.spec.replicas}')
  pki_of[$name]=$pki_before
  replicas_of[$name]=$replicas_before
}

# No secret of the run anywhere it wrote or printed.
check_no_secrets() {
  local tag=$1 run=$2 printed=$3
  lacks "$tag-url-not-printed" "X-Amz-Signature" "$printed"
  check "$tag-run-files-exist" test -s "$run/journal.jsonl" -a -s "$run/ferry.log"
  check "$tag-url-not-in-run-dir" bash -c "! grep -rq 'X-Amz-Signature' '$run'"
}

# The plan's control-plane downtime, from its journal: from the scale to 0 to the destination's
# Available, in seconds (printed beside the client's own view of the outage).
plan_downtime() {
  jq -s -r '(map(select(.event == "step_started" and .step == "pause.control_plane")) | first | .t) as $down
            | (map(select(.event == "step_succeeded" and .step == "restored.available")) | last | .t) as $up
            | if $down and $up then (($up - $down) / 1000 | tostring) else "unknown" end' "$1/journal.jsonl"
}

# The client's writes: each acknowledged one reads back on the destination.
check_writes() {
  stop_writer
  expect writes-all-on-destination 0 python3 tests/sandbox/hosted_writer.py check --acked "$work/acked.jsonl" \
    --shared "$sandbox/shared"
  local acked
  acked=$(jq -r '.acked' "$work/writer.json")
  check writes-were-made [ "${acked:-0}" -gt 10 ]
  echo "client's view: $(cat "$work/writer.json")"
}

migrate() {  # migrate TAG PLAN AVAILABILITY [FIXTURE_ARGS [LATENCY]]
  local tag=$1 plan=$2 availability=$3
  start_sandbox "$availability" "${4:-}" "${5:-}"
  prepare
  start_writer
  local run=$work/run-$tag
  expect "$tag-apply" 0 "$ferry" apply "$plan" --run-dir "$run" --yes --var availability="$availability"
  local printed=$out$err
  contains "$tag-apply-done" "done: every step succeeded" "$printed"
  [[ $printed == *"every step succeeded"* ]] || tail -n 15 <<<"$err"
  check_writes
  echo "plan's downtime window (scale to 0 .. Available on the destination): $(plan_downtime "$run") s"
  check_migrated "$tag" "$pki_before"
  check_no_secrets "$tag" "$run" "$printed"
  expect "$tag-status" 0 "$ferry" status "$run"
  contains "$tag-status-succeeded" "succeeded" "$out"
  check_report "$tag" "$run"
}

# `ferry report` of the run: its downtime window is the journal's (scale to 0 .. Available), it
# has a bar for every step the journal started, it says who ran it, and every format renders.
check_report() {  # check_report TAG RUN
  local tag=$1 run=$2
  expect "$tag-report-json" 0 "$ferry" report "$run" --output json
  local report=$out
  check "$tag-report-downtime" jq -e --argjson want "$(plan_downtime "$run")" \
    '.downtime.found and .downtime.start_step == "pause.control_plane" and .downtime.end_step == "restored.available"
     and ((.downtime.seconds - $want) | fabs) < 0.01' <<<"$report"
  check "$tag-report-steps" [ "$(jq '.steps | length' <<<"$report")" = \
    "$(jq -s '[.[] | select(.event == "step_started") | .step] | unique | length' "$run/journal.jsonl")" ]
  check "$tag-report-who" jq -e --arg user "$(id -un)" '.result == "succeeded" and .user == $user' <<<"$report"
  expect "$tag-report-markdown" 0 "$ferry" report "$run" --output markdown
  contains "$tag-report-gantt" "gantt" "$out"
  expect "$tag-report-html" 0 "$ferry" report "$run" --output html
  contains "$tag-report-svg" "<svg" "$out"
}

case "$scenario" in
  controlplane)
    migrate cp plans/controlplane.ferry SingleReplica
    ;;
  nodepool-ha)
    # A private cluster: its AWSEndpointServices carry the CPO's and the HO's finalizers. The HO
    # reacts within 50 ms, as on a quiet management cluster: it puts a stripped finalizer back
    # before the next request, so only deleting first and leaving its finalizers to it works.
    migrate np plans/controlplane-nodepool.ferry HighlyAvailable "--endpoint-access Private" "hypershift=0.05"
    expect np-dest-machines 0 k "$MGMT2_KUBECONFIG" -n $CP get awsmachines.infrastructure.cluster.x-k8s.io \
      -o jsonpath='{range .items[*]}{.spec.providerID}{"\n"}{end}'
    contains np-dest-machines-same-instance "i-0abc123def4567890" "$out"
    expect np-dest-nodepools 0 k "$MGMT2_KUBECONFIG" -n clusters get nodepools -o name
    contains np-dest-nodepools-there "jdoe-hosted-us-west-1a" "$out"
    members=$(k "$MGMT2_KUBECONFIG" -n $CP exec etcd-0 -c etcd -- env ETCDCTL_API=3 /usr/bin/etcdctl \
      "${ETCD_TLS[@]}" member list 2>&1 | grep -c started)
    check np-dest-etcd-members [ "$members" = 3 ]
    # The HO's AWSEndpointService delete path ran on the source (its finalizer was left to it).
    check np-source-endpoint-service-deleted-by-its-ho jq -e -s \
      'any(.action == "delete" and .kind == "vpc_endpoint_service" and .cluster == "source")' \
      "$sandbox/shared/cloud-ledger.jsonl"
    oidc=$(jq -r '.oidc_document | keys | length' "$sandbox/shared/cloud.json")
    check np-oidc-documents-kept [ "$oidc" = 2 ]
    ;;
  preflight)
    start_sandbox SingleReplica
    prepare
    k "$MGMT_KUBECONFIG" -n clusters annotate hostedcluster $HC hypershift.openshift.io/cleanup-cloud-resources=true \
      >/dev/null || { echo "cannot annotate" >&2; exit 1; }
    before=$(k "$MGMT_KUBECONFIG" get hostedclusters,nodepools,deployments -A -o json | jq -S '[.items[] | {kind, name: .metadata.name, spec}]')
    run=$work/run-preflight
    expect preflight-refuses 1 "$ferry" apply plans/controlplane.ferry --run-dir "$run" --yes --var availability=SingleReplica
    contains preflight-says-what "cleanup-cloud-resources: its control-plane operator would delete" "$out$err"
    lacks preflight-nothing-rolled-back "rolling back" "$out$err"
    after=$(k "$MGMT_KUBECONFIG" get hostedclusters,nodepools,deployments -A -o json | jq -S '[.items[] | {kind, name: .metadata.name, spec}]')
    check preflight-source-unchanged [ "$before" = "$after" ]
    expect preflight-destination-empty 0 k "$MGMT2_KUBECONFIG" get hostedclusters,namespaces -A -o name
    lacks preflight-destination-empty-names "clusters" "$out"
    check preflight-ledger-empty [ ! -s "$sandbox/shared/cloud-ledger.jsonl" ]
    check preflight-nothing-started bash -c "! jq -e 'select(.event == \"step_started\" and (.step | startswith(\"checks.\") | not))' '$run/journal.jsonl' >/dev/null"
    ;;
  refused)
    start_sandbox HighlyAvailable
    prepare
    # The destination refuses to create the HostedCluster (403 is not retried).
    ready=$sandbox/destination/ready.json
    curl -sf --cacert "$(jq -r .ca "$ready")" -H "Authorization: Bearer $(jq -r .token "$ready")" \
      -X POST "$(jq -r .url "$ready")/apisim/faults" \
      -d '{"method": "POST", "path": "/hostedclusters$", "code": 403, "reason": "Forbidden",
           "message": "hostedclusters is forbidden: e2e", "count": 100}' >/dev/null ||
      { echo "cannot inject the fault" >&2; exit 1; }
    run=$work/run-refused
    # The S3 endpoint and CA as flags this time, instead of the environment.
    expect refused-apply-fails 1 env -u AWS_ENDPOINT_URL -u AWS_CA_BUNDLE "$ferry" apply \
      plans/controlplane-nodepool.ferry --run-dir "$run" --yes --var availability=HighlyAvailable \
      --aws-endpoint-url "$FERRY_S3_ENDPOINT" --aws-ca-bundle "$FERRY_S3_CA"
    contains refused-why "hostedclusters is forbidden: e2e" "$out$err"
    contains refused-rolled-back "failed, and rolled back" "$out$err"
    check_rolled_back refused "$replicas_before"
    check_no_secrets refused "$run" "$out$err"
    ;;
  restore-faults)
    # The steps of the restore phase, in the NodePool plan (the one with the most to undo), that
    # fall to this shard (every Nth, from the Kth): a fault after each, one after the other on one
    # sandbox, as an SRE retries after a rollback. Each rollback must leave a world the next
    # attempt's preflight accepts; the shard ends with the attempt that succeeds.
    IFS=/ read -r shard shards <<<"$shard_spec"
    steps=$("$ferry" check plans/controlplane-nodepool.ferry --vars-file plans/example.env --emit ir \
      --var availability=SingleReplica | jq -r '.phases[] | select(.name == "restore") | .steps[]')
    check fault-steps-found [ "$(wc -w <<<"$steps")" -ge 10 ]
    mine=$(awk -v k="$shard" -v n="$shards" '(NR - 1) % n == k - 1' <<<"${steps// /$'\n'}")
    check fault-shard-not-empty [ -n "$mine" ]
    start_sandbox SingleReplica
    for step in $mine; do
      prepare
      run=$work/run-fault-$step
      expect "fault[$step]-apply-fails" 1 env FERRY_TEST_FAIL="$step" "$ferry" apply \
        plans/controlplane-nodepool.ferry --run-dir "$run" --yes --var availability=SingleReplica
      contains "fault[$step]-injected" "injected failure" "$out$err"
      contains "fault[$step]-rolled-back" "failed, and rolled back" "$out$err"
      [[ $out$err == *"failed, and rolled back"* ]] || tail -n 25 <<<"$err"
      check_rolled_back "fault[$step]" "$replicas_before"
    done
    prepare
    run=$work/run-after-faults
    expect after-faults-apply 0 "$ferry" apply plans/controlplane-nodepool.ferry --run-dir "$run" --yes \
      --var availability=SingleReplica
    [[ $out$err == *"every step succeeded"* ]] || tail -n 15 <<<"$err"
    check_migrated after-faults "$pki_before"
    ;;
  crash)
    # Kill ferry at each phase boundary and in the middle of the restore phase; resume each time.
    points=(checks.bucket:done pause.stopped:done objects.hostedcluster:done restored.hostedcluster:during
            restored.available:done verified.nodes:done)
    start_sandbox HighlyAvailable
    prepare
    start_writer
    run=$work/run-crash
    status=137
    for point in "${points[@]}"; do
      if [[ ! -f "$run/journal.jsonl" ]]; then
        FERRY_TEST_CRASH=$point "$ferry" apply plans/controlplane.ferry --run-dir "$run" --yes \
          --var availability=HighlyAvailable >"$work/crash.out" 2>&1
      else
        FERRY_TEST_CRASH=$point "$ferry" resume "$run" --yes >"$work/crash.out" 2>&1
      fi
      status=$?
      check "crash[$point]-killed" [ "$status" = 137 ]
    done
    expect crash-resume-finishes 0 "$ferry" resume "$run" --yes
    [[ $out$err == *"every step succeeded"* ]] || tail -n 15 <<<"$err"
    contains crash-done "every step succeeded" "$out$err"
    check_writes
    echo "plan's downtime window (scale to 0 .. Available, with the kills): $(plan_downtime "$run") s"
    check_migrated crash "$pki_before"
    ;;
  lease)
    start_sandbox SingleReplica
    prepare
    # Both would kill themselves once the pause is done: only the one that holds the Leases gets
    # there.
    declare -A pid status
    for who in a b; do
      FERRY_TEST_CRASH=pause.stopped:done "$ferry" apply plans/controlplane.ferry --run-dir "$work/run-$who" --yes \
        --var availability=SingleReplica --lease-duration 5s >"$work/lease-$who.out" 2>&1 &
      pid[$who]=$!
    done
    for who in a b; do
      wait "${pid[$who]}"
      status[$who]=$?
    done
    echo "apply a exited ${status[a]}, apply b exited ${status[b]}"
    if [[ ${status[a]} == 2 ]]; then loser=a winner=b; else loser=b winner=a; fi
    status_loser=${status[$loser]} status_winner=${status[$winner]}
    check lease-loser-refused [ "$status_loser" = 2 ]
    check lease-winner-killed [ "$status_winner" = 137 ]
    refusal=$(cat "$work/lease-$loser.out")
    contains lease-loser-names-the-holder "hostedcluster/clusters/$HC is held by another ferry run" "$refusal"
    contains lease-loser-names-the-run "run $work/run-$winner, ferry " "$refusal"
    contains lease-loser-says-since "since " "$refusal"
    check lease-loser-ran-nothing bash -c "! jq -e 'select(.event == \"step_started\")' '$work/run-$loser/journal.jsonl' >/dev/null"
    check lease-loser-journaled-why jq -e -s 'last | .event == "run_ended" and .class == "lease_held"' \
      "$work/run-$loser/journal.jsonl"
    # The killed run released nothing: its Lease is there on both clusters until it expires.
    for kc in "$MGMT_KUBECONFIG" "$MGMT2_KUBECONFIG"; do
      expect lease-left-by-the-killed-run 0 k "$kc" -n default get leases -l app.kubernetes.io/managed-by=ferry \
        -o jsonpath='{.items[*].spec.holderIdentity}'
      contains lease-held-by-the-killed-run "\"runDir\":\"$work/run-$winner\"" "$out"
    done
    expired() {
      k "$1" -n default get leases -l app.kubernetes.io/managed-by=ferry -o json | jq -e '.items | length == 1 and
        ((.[0].spec.renewTime | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) + .[0].spec.leaseDurationSeconds < now)'
    }
    check lease-expires wait_for "the killed run's Lease to expire" 30 expired "$MGMT_KUBECONFIG"
    expect lease-resume-finishes 0 "$ferry" resume "$work/run-$winner" --yes --lease-duration 5s
    [[ $out$err == *"every step succeeded"* ]] || tail -n 15 <<<"$err"
    contains lease-resume-took-them-back "holds hostedcluster/clusters/$HC on cluster destination" "$out$err"
    check_migrated lease "$pki_before"
    for kc in "$MGMT_KUBECONFIG" "$MGMT2_KUBECONFIG"; do
      expect lease-released 0 k "$kc" -n default get leases -l app.kubernetes.io/managed-by=ferry -o name
      check lease-released-none [ -z "$out" ]
    done
    ;;
  evacuate)
    # The fleet plan, on the one hosted cluster the sandbox holds: its scope is the whole migration.
    start_sandbox SingleReplica
    prepare
    fleet=(--yes --var availability=SingleReplica --var "hosted_clusters=$HC")
    run=$work/run-evacuate-fault
    expect evacuate-fault-partial 1 env FERRY_TEST_FAIL="hosted[$HC].restored.available" "$ferry" apply \
      plans/evacuate.ferry --run-dir "$run" "${fleet[@]}"
    contains evacuate-fault-injected "injected failure" "$out$err"
    contains evacuate-fault-partially-failed "partially failed" "$out$err"
    [[ $out$err == *"partially failed"* ]] || tail -n 25 <<<"$err"
    check_rolled_back evacuate-fault "$replicas_before"
    check evacuate-fault-not-torn-down bash -c "! jq -e 'select(.event == \"step_started\" and (.step | startswith(\"removed[\")))' '$run/journal.jsonl' >/dev/null"
    expect evacuate-fault-status 0 "$ferry" status "$run"
    contains evacuate-fault-status-line "  hosted[$HC]                     rolled back, at hosted[$HC].restored.available, " "$out"
    contains evacuate-fault-status-teardown-skipped "  removed[$HC]                    skipped" "$out"
    expect evacuate-fault-status-json 0 "$ferry" status "$run" --output json
    check evacuate-fault-downtime-ended-by-rollback jq -e --arg s "hosted[$HC]" \
      '.scopes[$s].downtime.ended_by == "rollback" and .scopes[$s].state == "rolled_back"' <<<"$out"
    prepare
    # This time the plan finds the hosted cluster by its label on the source (discover()), and the
    # saved plan keeps the list it found: the label taken off after `ferry plan` changes nothing.
    k "$MGMT_KUBECONFIG" -n clusters label hostedcluster "$HC" ferry.dev/evacuate=true >/dev/null
    expect evacuate-plan-discovers 0 "$ferry" plan plans/evacuate.ferry --var availability=SingleReplica \
      -out "$work/evacuate.plan"
    contains evacuate-discovered "discover(source, hostedclusters, clusters, ferry.dev/evacuate=true): 1 found: $HC" "$err"
    k "$MGMT_KUBECONFIG" -n clusters label hostedcluster "$HC" ferry.dev/evacuate- >/dev/null
    expect evacuate-nothing-labelled 0 "$ferry" plan plans/evacuate.ferry --var availability=SingleReplica
    contains evacuate-nothing-labelled-says "0 found" "$err"
    run=$work/run-evacuate
    expect evacuate-apply 0 "$ferry" apply "$work/evacuate.plan" --run-dir "$run" --yes
    [[ $out$err == *"every step succeeded"* ]] || tail -n 15 <<<"$err"
    check_migrated evacuate "$pki_before"
    ;;
  evacuate-fleet)
    # FLEET_FAILING=NAME picks the one that fails (default the first). The destination's namespace
    # `clusters` is created by the restore of whichever hosted cluster gets there first (most runs,
    # the first): the failing one's rollback must leave it, with the others' HostedClusters in it.
    # jdoe-hosted-2's name starts with jdoe-hosted's: jdoe-hosted's Secrets by prefix must not take its.
    fleet=(jdoe-hosted ops-hosted qa-hosted jdoe-hosted-2)
    failing=${FLEET_FAILING:-${fleet[0]}}
    min_instances=$((3 * ${#fleet[@]}))   # check_cloud_and_api: every hosted cluster's instances
    start_sandbox SingleReplica "" "" "${fleet[*]}"
    for name in "${fleet[@]}"; do prepare "$name" "written before the migration of $name"; done
    run=$work/run-fleet
    expect fleet-partial 1 env FERRY_TEST_FAIL="hosted[$failing].restored.available" "$ferry" apply \
      plans/evacuate.ferry --run-dir "$run" --yes --var availability=SingleReplica --var parallel=2 \
      --var "hosted_clusters=$(IFS=,; echo "${fleet[*]}")"
    apply_out="$out$err"
    contains fleet-injected "injected failure" "$out$err"
    contains fleet-partially-failed "partially failed" "$out$err"
    [[ $out$err == *"partially failed"* ]] || tail -n 25 <<<"$err"
    for name in "${fleet[@]}"; do
      if [[ $name == "$failing" ]]; then
        check_rolled_back "fleet[$name]" "${replicas_of[$name]}" "$name"
        check "fleet[$name]-source-available" wait_for "$name Available on the source" 60 bash -c \
          "kubectl --kubeconfig '$MGMT_KUBECONFIG' -n clusters get hostedcluster $name -o json |
           jq -e '.status.conditions[] | select(.type == \"Available\") | .status == \"True\"'"
      else
        check_migrated "fleet[$name]" "${pki_of[$name]}" "$name" "written before the migration of $name"
        # what the HO checks before it reconciles (the namespace's shared CA ConfigMaps are there)
        expect "fleet[$name]-dest-config-valid" 0 k "$MGMT2_KUBECONFIG" -n clusters get hostedcluster "$name" \
          -o jsonpath='{.status.conditions[?(@.type=="ValidHostedClusterConfiguration")].status}'
        check "fleet[$name]-dest-config-valid-true" [ "$out" = True ]
      fi
    done
    # the source keeps exactly the one that failed
    expect fleet-source-keeps-the-failed-one 0 k "$MGMT_KUBECONFIG" -n clusters get hostedclusters -o name
    check fleet-source-keeps-the-failed-one-only [ "$out" = "hostedcluster.hypershift.openshift.io/$failing" ]
    check fleet-not-torn-down bash -c "! jq -e 'select(.event == \"step_started\" and .step == \"removed[$failing].still_paused\")' '$run/journal.jsonl' >/dev/null"
    # never more restore steps at once than the pool allows
    concurrent=$(jq -s -r '[.[] | select(.step? // "" | test("^hosted\\[[^]]+\\]\\.restored\\.[a-z_]+$"))
                            | select(.event == "step_started" or .event == "step_succeeded" or .event == "step_failed")
                            | {t, d: (if .event == "step_started" then 1 else -1 end)}]
                           | sort_by(.t, .d) | reduce .[] as $e ({n: 0, max: 0}; .n += $e.d | .max = ([.max, .n] | max)) | .max' \
      "$run/journal.jsonl")
    echo "restore steps at once, at most: $concurrent (pool restore = 2)"
    check fleet-restore-pool-bounded [ "${concurrent:-99}" -le 2 ]
    expect fleet-status 0 "$ferry" status "$run"
    check fleet-status-line grep -Eq "^  hosted\[$failing\] +rolled back, at hosted\[$failing\]\.restored\.available, " <<<"$out"
    [[ $out =~ "hosted[$failing]" ]] || echo "$out"
    for name in "${fleet[@]}"; do
      [[ $name == "$failing" ]] && continue
      check "fleet-status-$name-succeeded" grep -Eq "^  hosted\[$name\] +succeeded" <<<"$out"
    done
    expect fleet-status-json 0 "$ferry" status "$run" --output json
    check fleet-status-json-states jq -e --arg f "$failing" '.scopes | to_entries
      | map(select(.key | startswith("hosted["))) | length == 4 and all(
          if .key == "hosted[\($f)]" then .value.state == "rolled_back" and .value.downtime.ended_by == "rollback"
          else .value.state == "succeeded" end)' <<<"$out"
    check fleet-status-json-teardown jq -e --arg f "$failing" \
      '.scopes["removed[\($f)]"].state == "skipped" and ([.scopes | to_entries[] | select(.key | startswith("removed["))
        | select(.value.state == "succeeded")] | length == 3)' <<<"$out"
    echo "downtime per hosted cluster (ms): $(jq -c '[.scopes | to_entries[] | select(.key | startswith("hosted[")) | {(.key): .value.downtime.ms}] | add' <<<"$out")"
    # The failing one's undo leaves the shared namespace to the others when one of them had found
    # it by then (journaled and logged); when none had, it goes, and the next restore makes it
    # again. Either way the three others run on the destination (checked above).
    creators=$(jq -r 'select(.event == "undo" and (.step | test("^hosted\\[[^]]+\\]\\.restored\\.namespaces$"))
                      and any(.undo.created[]?; .kind == "Namespace" and .metadata.name == "clusters")) | .step' \
      "$run/journal.jsonl" | sort -u | tr '\n' ' ')
    echo "the destination's namespace clusters was created by: ${creators:-none}"
    if jq -e --arg s "hosted[$failing].restored.namespaces" 'select(.event == "compensation_started" and .step == $s)
         | any(.left[]?; .kind == "Namespace" and .name == "clusters")' "$run/journal.jsonl" >/dev/null; then
      echo "the failing one's undo left the namespace to the others"
      contains fleet-shared-namespace-left-said "hosted[$failing].restored.namespaces: leaves Namespace clusters in place: step hosted[" "$apply_out"
      check fleet-shared-namespace-still-there k "$MGMT2_KUBECONFIG" get namespace clusters
    fi
    # jdoe-hosted's backup of the Secrets named after it: its own, none of jdoe-hosted-2's.
    manifest=$run/backups/hosted_jdoe-hosted_.objects.secrets/manifest.json
    check fleet-backup-own-secrets jq -e '[.[].name] | index("jdoe-hosted-admin-kubeconfig") != null' "$manifest"
    check fleet-backup-not-the-longer-names jq -e '[.[].name | select(startswith("jdoe-hosted-2-"))] | length == 0' "$manifest"
    # Every Lease let go of: each hosted cluster's as its scopes ended, the rest at the end.
    for kc in "$MGMT_KUBECONFIG" "$MGMT2_KUBECONFIG"; do
      expect fleet-leases-released 0 k "$kc" -n default get leases -l app.kubernetes.io/managed-by=ferry -o name
      check fleet-leases-released-none [ -z "$out" ]
    done
    check_cloud_and_api fleet "$min_instances"
    ;;
  *)
    echo "unknown scenario $scenario" >&2
    exit 2
    ;;
esac

finish
