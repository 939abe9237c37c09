#!/usr/bin/env bash
# `make demo`: what ferry does today, on the stock plans and the example env file.
# (The whole migration on the sandbox comes next: the stock plan needs the in-pod upload.)
set -euo pipefail
build=${1:-build}
ferry=$build/engine/ferry
cd "$(dirname "$0")/.."
export HOME=${HOME:-/home/demo}
vars=(--vars-file plans/example.env)

work=$(mktemp -d)
sandbox=$work/sandbox
cleanup() {
  [[ -d $sandbox ]] && tests/sandbox/sandbox.sh stop "$sandbox" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step "$ferry" check plans/controlplane.ferry "${vars[@]}"
step "$ferry" check plans/controlplane-nodepool.ferry "${vars[@]}" --var availability=HighlyAvailable
step "$ferry" check plans/controlplane.toml "${vars[@]}" --output json

printf '\n\033[1m$ %s\033[0m\n' "$ferry graph plans/controlplane.ferry --vars-file plans/example.env --format mermaid | head -20"
"$ferry" graph plans/controlplane.ferry "${vars[@]}" --format mermaid | head -20

printf '\n\033[1m# The dry run: what apply would do, in order, with the commands it would run.\033[0m\n'
printf '\033[1m$ %s\033[0m\n' "$ferry plan plans/controlplane.ferry --vars-file plans/example.env | head -40"
"$ferry" plan plans/controlplane.ferry "${vars[@]}" | head -40 || true

printf '\n\033[1m# A run: a step fails, the completed steps are rolled back in reverse order.\033[0m\n'
cat >"$work/saga.ferry" <<PLAN
plan "saga" {
  on_failure = "rollback"
  param token : secret string = "demo-token-not-shown"
  phase prepare {
    step marker = shell {
      argv = ["sh", "-c", "echo created > $work/marker; echo using \${token}"]
      rollback { step remove = shell { argv = ["rm", "$work/marker"] } }
    }
  }
  phase move {
    step copy = shell { argv = ["cp", "$work/marker", "$work/copy"]  retry { attempts = 2  backoff = constant("1s") } }
    step check = shell { argv = ["test", "-f", "$work/does-not-exist"]  after = [copy] }
  }
}
PLAN
set +e
step "$ferry" apply "$work/saga.ferry" --run-dir "$work/run"
echo "(exit status $?)"
step "$ferry" status "$work/run"
set -e

printf '\n\033[1m# On the sandbox: three simulated clusters that the real kubectl talks to.\033[0m\n'
tests/sandbox/sandbox.sh start "$sandbox" >/dev/null
# shellcheck disable=SC1091
. "$sandbox/env"
cat >"$work/stop.ferry" <<'PLAN'
plan "stop-control-plane" {
  on_failure = "rollback"
  cluster source { kubeconfig = env("MGMT_KUBECONFIG") }
  phase backup {
    step pause = patch {
      cluster = source  namespace = "clusters"  object = "hostedclusters/jdoe-hosted"
      merge = { spec = { pausedUntil = "true" } }
      rollback = auto
    }
    step stop = scale {
      cluster = source  namespace = "clusters-jdoe-hosted"
      names = ["kube-apiserver", "openshift-apiserver", "control-plane-operator"]
      replicas = 0  after = [pause]  rollback = auto
    }
    # Stands for a later step that fails: the run rolls back what it did.
    step gone = wait { cluster = source  namespace = "clusters-jdoe-hosted"  object = "deployments/kube-apiserver"  exists = false  interval = "1s"  timeout = "3s"  after = [stop] }
  }
}
PLAN
show_state() {
  kubectl --kubeconfig "$MGMT_KUBECONFIG" -n clusters get hc jdoe-hosted -o jsonpath='pausedUntil={.spec.pausedUntil}{"\n"}'
  kubectl --kubeconfig "$MGMT_KUBECONFIG" -n clusters-jdoe-hosted get deploy kube-apiserver openshift-apiserver control-plane-operator
}
step show_state
step "$ferry" plan "$work/stop.ferry"
set +e
step "$ferry" apply "$work/stop.ferry" --run-dir "$work/stop-run"
echo "(exit status $?)"
set -e
printf '\n\033[1m# Back as it was: pausedUntil unset, each deployment at its own count.\033[0m\n'
step show_state

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
