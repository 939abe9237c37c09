#!/usr/bin/env bash
# `ferry apply` against the sandbox through the real kubectl: pause the HostedCluster, scale the
# control plane to 0, fail a later step, and check that the rollback put back exactly what was
# there (pausedUntil absent again, each deployment at its own prior count). Then the same with
# `on_failure = stop` and `ferry rollback DIR` later; then a backup of Secrets whose data must
# appear in the backup files only, even when a later step prints it.
#
#   apply_rollback_test.sh FERRY REPO_ROOT
set -uo pipefail
ferry=$(realpath "$1")
root=$(realpath "$2")
command -v kubectl >/dev/null || { echo "FAIL: kubectl is not installed (the kube tests need the real kubectl)"; exit 1; }
crds=${FERRY_CRDS:-$root/../shared/testdata/crds}
[[ -d $crds ]] || { echo "FAIL: no CRDs at $crds (set FERRY_CRDS)"; exit 1; }

work=$(mktemp -d)
sim_pid=""
cleanup() {
  [[ -n $sim_pid ]] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export KUBECACHEDIR=$work/kubecache

python3 "$root/tests/sandbox/apisim.py" --state-dir "$work/sim" --crds "$crds" --crds "$root/tests/sandbox/crds" \
  --fixture "$root/tests/sandbox/fixtures/source.json" --port 0 --ready-file "$work/ready.json" \
  --name source >"$work/apisim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 300); do [[ -s $work/ready.json ]] && break; sleep 0.1; done
[[ -s $work/ready.json ]] || { echo "FAIL: apisim did not start:"; cat "$work/apisim.log"; exit 1; }
kubeconfig=$work/sim/kubeconfig
export KUBECONFIG=$kubeconfig

passed=0 failed=0
check() {  # check NAME WANT GOT
  if [[ "$2" == "$3" ]]; then passed=$((passed + 1)); else
    echo "FAIL $1: wanted '$2', got '$3'"
    failed=$((failed + 1))
  fi
}
paused() { kubectl -n clusters get hc jdoe-hosted -o jsonpath='{.spec.pausedUntil}'; }
replicas() {
  kubectl -n clusters-jdoe-hosted get deploy kube-apiserver openshift-apiserver control-plane-operator \
    -o jsonpath='{range .items[*]}{.metadata.name}={.spec.replicas} {end}'
}

before_replicas=$(replicas)
check "fixture replicas" "kube-apiserver=3 openshift-apiserver=3 control-plane-operator=1 " "$before_replicas"
check "fixture not paused" "" "$(paused)"

write_plan() {  # write_plan ON_FAILURE
  cat >"$work/plan.ferry" <<PLAN
plan "pause-and-fail" {
  on_failure = $1
  cluster source { kubeconfig = "$kubeconfig" }
  phase backup {
    step pause = patch {
      cluster = source  namespace = "clusters"  object = "hostedclusters/jdoe-hosted"
      merge = { spec = { pausedUntil = "true" } }
      rollback = auto
    }
    step stop = scale {
      cluster = source  namespace = "clusters-jdoe-hosted"  kind = "deployment"  replicas = 0
      names = ["kube-apiserver", "openshift-apiserver", "control-plane-operator"]
      after = [pause]
      rollback = auto
    }
    step check = shell {
      argv = ["sh", "-c", "kubectl -n clusters-jdoe-hosted get deploy kube-apiserver -o jsonpath='{.spec.replicas}' | grep -qx 0 && exit 7"]
      after = [stop]
    }
  }
}
PLAN
}

# --- the dry run shows the exact kubectl commands, and changes nothing ---
write_plan rollback
"$ferry" plan "$work/plan.ferry" >"$work/plan.out" 2>&1
check "plan exit" 0 "$?"
for line in "kubectl --kubeconfig $kubeconfig -n clusters patch hostedclusters/jdoe-hosted --type merge -p '{\"spec\":{\"pausedUntil\":\"true\"}}'" \
            "kubectl --kubeconfig $kubeconfig -n clusters-jdoe-hosted scale deployment kube-apiserver openshift-apiserver control-plane-operator --replicas=0"; do
  grep -qF -- "$line" "$work/plan.out" || { echo "FAIL: the dry run does not show: $line"; cat "$work/plan.out"; failed=$((failed + 1)); }
done
check "plan changed nothing" "$before_replicas" "$(replicas)"

# --- on_failure = rollback: the failing step undoes the pause and the scale at once ---
"$ferry" apply "$work/plan.ferry" --run-dir "$work/run1" -v >"$work/out1" 2>&1
status=$?
check "apply fails" 1 "$status"
grep -q "exited with status 7" "$work/out1" "$work/run1/journal.jsonl" || { echo "FAIL: the shell step did not fail as planned:"; cat "$work/out1"; failed=$((failed + 1)); }
check "rolled back: replicas" "$before_replicas" "$(replicas)"
check "rolled back: pausedUntil absent" "" "$(paused)"
check "rolled back: spec has no pausedUntil key" "false" \
  "$(kubectl -n clusters get hc jdoe-hosted -o json | python3 -c 'import json,sys; print(str("pausedUntil" in json.load(sys.stdin)["spec"]).lower())')"
# The scale goes through the cluster's kubectl proxy: one PATCH of each Deployment's scale.
for d in kube-apiserver openshift-apiserver control-plane-operator; do
  grep -qF -- "PATCH /apis/apps/v1/namespaces/clusters-jdoe-hosted/deployments/$d/scale" "$work/run1/ferry.log" ||
    { echo "FAIL: the log does not show the scale of $d"; failed=$((failed + 1)); }
done
grep -q '"compensation_succeeded".*"stop"\|"stop".*compensation_succeeded' "$work/run1/journal.jsonl" || {
  echo "FAIL: no compensation of 'stop' in the journal"; failed=$((failed + 1)); }

# --- on_failure = stop, then `ferry rollback DIR`; a field someone else set meanwhile stays ---
write_plan stop
"$ferry" apply "$work/plan.ferry" --run-dir "$work/run2" >"$work/out2" 2>&1
check "apply stops" 1 "$?"
check "stopped: paused" "true" "$(paused)"
check "stopped: scaled to 0" "kube-apiserver=0 openshift-apiserver=0 control-plane-operator=0 " "$(replicas)"
kubectl -n clusters patch hc jdoe-hosted --type merge -p '{"metadata":{"labels":{"touched":"by-hand"}}}' >/dev/null
"$ferry" rollback "$work/run2" >"$work/out3" 2>&1
check "rollback succeeds" 0 "$?"
check "rollback: replicas" "$before_replicas" "$(replicas)"
check "rollback: pausedUntil absent" "" "$(paused)"
check "rollback: other fields kept" "by-hand" "$(kubectl -n clusters get hc jdoe-hosted -o jsonpath='{.metadata.labels.touched}')"

# --- backup: Secret data is written to the backup files (0600) and nowhere else, even when a
# later step prints it ---
secret_value=$(kubectl -n clusters get secret jdoe-hosted-ssh-key -o jsonpath='{.data.id_rsa\.pub}')
[[ -n $secret_value ]] || { echo "FAIL: the fixture's ssh key secret has no data.id_rsa.pub"; failed=$((failed + 1)); }
cat >"$work/backup.ferry" <<PLAN
plan "backup-secrets" {
  cluster source { kubeconfig = "$kubeconfig" }
  phase backup {
    step secrets = backup { cluster = source  namespace = "clusters"  kind = "secrets"  name_prefix = "jdoe-hosted" }
    step leak = shell { argv = ["sh", "-c", "cat $work/run3/backups/secrets/*.json"]  after = [secrets] }
  }
}
PLAN
"$ferry" apply "$work/backup.ferry" --run-dir "$work/run3" -v >"$work/out4" 2>&1
check "backup apply" 0 "$?"
grep -rlF -- "$secret_value" "$work/run3/backups" >/dev/null || { echo "FAIL: the secret is not in the backup files"; failed=$((failed + 1)); }
leaks=$(grep -rlF -- "$secret_value" "$work/out4" "$work/run3" | grep -v "^$work/run3/backups/")
check "secret data nowhere but the backups" "" "$leaks"
grep -qF "<redacted>" "$work/run3/journal.jsonl" || { echo "FAIL: the leak step's stdout was not redacted"; failed=$((failed + 1)); }
check "backup file mode" "600" "$(stat -c %a "$(ls "$work"/run3/backups/secrets/Secret-*.json | head -1)")"

if ((failed)); then
  echo "--- ferry apply (rollback) ---"; cat "$work/out1"
  echo "--- ferry apply (stop) ---"; cat "$work/out2"
  echo "--- ferry rollback ---"; cat "$work/out3"
fi
echo "apply_rollback_test: $passed passed, $failed failed"
((failed == 0))
