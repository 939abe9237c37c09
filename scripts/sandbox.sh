#!/usr/bin/env bash
# `make sandbox` / `make sandbox-stop`: the sandbox of docs/tutorial-migrate.md, left running in
# the background for a person to migrate on by hand: management clusters A and B and the hosted
# cluster (tests/sandbox/sandbox.sh, every controller model on), and s3rver over HTTPS for the
# snapshots (tests/s3/with_s3rver.py --tls).
#
#   scripts/sandbox.sh up DIR      starts it; DIR/ferry.env then holds what the stock plans read
#   scripts/sandbox.sh down DIR    stops it (and whatever it left in DIR)
#
# BUILD (default build) is the build directory whose ferry ferry.env puts on PATH.
#
# `up` runs `hold` under with_s3rver.py, detached: hold starts the clusters, writes ferry.env and
# waits for `down` (the file DIR/stop), so s3rver lives exactly as long as the clusters.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "$root" && realpath -m "${BUILD:-build}")"  # its engine/ferry goes on PATH
(($# == 2)) || { echo "usage: $0 up|down DIR" >&2; exit 2; }
cmd=$1
umask 077  # the sandbox holds credentials: files 0600, directories 0700
mkdir -p "$2"
dir="$(cd "$2" && pwd)"

case "$cmd" in
  up)
    if [[ -f "$dir/holder.pid" ]] && kill -0 "$(cat "$dir/holder.pid")" 2>/dev/null; then
      echo "sandbox: already running in $dir (make sandbox-stop first)" >&2
      exit 2
    fi
    rm -f "$dir/stop" "$dir/ferry.env"
    setsid python3 "$root/tests/s3/with_s3rver.py" --tls "$0" hold "$dir" >"$dir/sandbox.log" 2>&1 </dev/null &
    echo $! >"$dir/holder.pid"
    for _ in $(seq 240); do
      [[ -f "$dir/ferry.env" ]] && break
      kill -0 "$(cat "$dir/holder.pid")" 2>/dev/null || { echo "sandbox: it did not start:" >&2; tail -n 20 "$dir/sandbox.log" >&2; exit 1; }
      sleep 0.5
    done
    if [[ ! -f "$dir/ferry.env" ]]; then
      echo "sandbox: not up after 120 s; see $dir/sandbox.log" >&2
      "$0" down "$dir" >/dev/null
      exit 1
    fi
    echo "The sandbox is up: management clusters A (source) and B (destination), the hosted cluster${SANDBOX_HOSTED_CLUSTERS:+s ($SANDBOX_HOSTED_CLUSTERS)},"
    echo "and S3 over HTTPS. In your shell:"
    echo "  . $dir/ferry.env"
    echo "Stop it with: make sandbox-stop"
    ;;
  hold)
    [[ -n "${FERRY_S3_CA:-}" ]] || { echo "sandbox: hold runs under tests/s3/with_s3rver.py --tls" >&2; exit 2; }
    clusters=$dir/clusters
    trap '"$root/tests/sandbox/sandbox.sh" stop "$clusters" >/dev/null 2>&1 || true' EXIT
    # CURL_CA_BUNDLE: a pod's commands are local processes of the clusters, and an etcd pod's curl
    # sends an in-pod snapshot upload (plans/evacuate.ferry's default) to s3rver over HTTPS.
    SANDBOX_CONTROLLERS=all SANDBOX_AVAILABILITY=SingleReplica SANDBOX_CA_BUNDLE=$FERRY_S3_CA \
      CURL_CA_BUNDLE=$FERRY_S3_CA "$root/tests/sandbox/sandbox.sh" start "$clusters" >/dev/null
    # The sandbox's kubeconfigs, then the procedure's variables (plans/example.env's names) with
    # the sandbox's values; s3rver's account is its public test one (S3RVER).
    {
      echo "# The sandbox of docs/tutorial-migrate.md: source this file. Written by scripts/sandbox.sh."
      grep '^export ' "$clusters/env"
      printf 'export %s=%q\n' \
        AWS_ENDPOINT_URL "$FERRY_S3_ENDPOINT" AWS_CA_BUNDLE "$FERRY_S3_CA" AWS_DEFAULT_REGION us-east-1 \
        AWS_ACCESS_KEY_ID "$AWS_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY "$AWS_SECRET_ACCESS_KEY" \
        HC_CLUSTER_NAME jdoe-hosted HC_CLUSTER_NS clusters MGMT_CLUSTER_NAME mgmt-a MGMT_REGION us-east-1 \
        BUCKET_NAME "$FERRY_S3_BUCKET" NODEPOOLS "jdoe-hosted-us-west-1a jdoe-hosted-us-west-1b" NODE_POOL_REPLICAS 3
      printf 'export PATH=%q:"$PATH"\n' "$build/engine"
    } >"$dir/ferry.env.tmp"
    mv "$dir/ferry.env.tmp" "$dir/ferry.env"
    until [[ -f "$dir/stop" ]]; do sleep 0.5; done
    ;;
  down)
    if [[ -f "$dir/holder.pid" ]]; then
      pid=$(cat "$dir/holder.pid")
      touch "$dir/stop"
      for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      if kill -0 "$pid" 2>/dev/null; then
        kill -TERM -- "-$pid" 2>/dev/null  # the holder's group: s3rver and the clusters with it
        for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      fi
    fi
    rm -rf "$dir"
    echo "The sandbox is stopped."
    ;;
  *)
    echo "usage: $0 up|down DIR" >&2
    exit 2
    ;;
esac
