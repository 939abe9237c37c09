#!/usr/bin/env bash
# `make demo`: what ferry does today, on the stock plans and the example env file.
# (The executor and the sandbox clusters come next; then this runs a migration end to end.)
set -euo pipefail
build=${1:-build}
ferry=$build/engine/ferry
cd "$(dirname "$0")/.."
export HOME=${HOME:-/home/demo}
vars=(--vars-file plans/example.env)

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step "$ferry" check plans/controlplane.ferry "${vars[@]}"
step "$ferry" check plans/controlplane-nodepool.ferry "${vars[@]}" --var availability=HighlyAvailable
step "$ferry" check plans/controlplane.toml "${vars[@]}" --output json

printf '\n\033[1m$ %s\033[0m\n' "$ferry graph plans/controlplane.ferry --vars-file plans/example.env --format mermaid | head -20"
"$ferry" graph plans/controlplane.ferry "${vars[@]}" --format mermaid | head -20

printf '\n\033[1m# A plan with mistakes: every error at once, each with its place and a fix.\033[0m\n'
broken=$(mktemp --suffix=.ferry)
trap 'rm -f "$broken"' EXIT
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
