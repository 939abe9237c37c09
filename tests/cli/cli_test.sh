#!/usr/bin/env bash
# The ferry CLI end to end: exit statuses, output formats and the file-writing commands.
# usage: cli_test.sh FERRY_BINARY SOURCE_DIR
set -u
ferry=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=/home/jdoe USER=jdoe
source "$(cd "$(dirname "$0")" && pwd)/../lib/assert.sh"

vars=(--vars-file "$src/plans/example.env")
plan=$src/plans/controlplane.ferry

expect version 0 "$ferry" --version
contains version "ferry 0." "$out"
expect no-args 2 "$ferry"
expect unknown-command 2 "$ferry" chek
contains unknown-command "did you mean 'check'?" "$err"
for cmd in check graph fmt convert; do
  expect "help-$cmd" 0 "$ferry" "$cmd" --help
  contains "help-$cmd" "usage: ferry $cmd" "$out"
done
expect unknown-option 2 "$ferry" check "$plan" --vars-fil x
contains unknown-option "did you mean '--vars-file'?" "$err"
expect missing-plan-arg 2 "$ferry" check
expect missing-plan-file 2 "$ferry" check "$work/nope.ferry"
contains missing-plan-file "no such file" "$err"
expect missing-vars-file 2 "$ferry" check "$plan" --vars-file "$work/nope.env"
expect bad-var 2 "$ferry" check "$plan" "${vars[@]}" --var novalue

expect check-ok 0 "$ferry" check "$plan" "${vars[@]}"
contains check-ok "ok: plan 'controlplane': 28 steps in 3 phases" "$out"
expect check-json 0 "$ferry" check "$plan" "${vars[@]}" --output json
contains check-json '"ok": true' "$out"
contains check-json '"hash": "' "$out"
expect check-ir 0 "$ferry" check "$plan" "${vars[@]}" --emit ir
contains check-ir '"ferry_ir": 1' "$out"
contains check-ir '"span": "' "$out"

# Without the env file the plan cannot find its inputs: errors, exit 1, all reported at once.
expect check-missing-env 1 env -u MGMT_KUBECONFIG "$ferry" check "$plan"
contains check-missing-env "error: environment variable 'HC_CLUSTER_NAME' is not set" "$err"
contains check-missing-env "errors" "$err"
expect check-missing-env-json 1 "$ferry" check "$plan" --output json
contains check-missing-env-json '"ok": false' "$out"
contains check-missing-env-json '"line": ' "$out"
expect check-typo-var 1 "$ferry" check "$plan" "${vars[@]}" --var availabilty=HighlyAvailable
contains check-typo-var "did you mean 'availability'?" "$err"
expect check-var-value 1 "$ferry" check "$plan" "${vars[@]}" --var availability=Huge
contains check-var-value "'Huge' is not one of \"SingleReplica\", \"HighlyAvailable\"" "$err"

expect graph-dot 0 "$ferry" graph "$plan" "${vars[@]}"
contains graph-dot 'subgraph "cluster_0"' "$out"
contains graph-dot '"pause.hostedcluster" -> "pause.control_plane";' "$out"
expect graph-mermaid 0 "$ferry" graph "$plan" "${vars[@]}" --format mermaid
contains graph-mermaid "flowchart LR" "$out"
expect graph-bad-format 2 "$ferry" graph "$plan" "${vars[@]}" --format png

# fmt: prints, --check reports, --write fixes, and a second --write changes nothing.
printf 'plan "x" {\nphase p {   step a = noop { description="d" }\n}\n}\n' >"$work/messy.ferry"
expect fmt-print 0 "$ferry" fmt "$work/messy.ferry"
contains fmt-print '    step a = noop {' "$out"
expect fmt-check-dirty 1 "$ferry" fmt --check "$work/messy.ferry"
contains fmt-check-dirty "messy.ferry" "$out"
chmod 640 "$work/messy.ferry"
expect fmt-write 0 "$ferry" fmt --write "$work/messy.ferry"
check fmt-write-keeps-mode test "$(stat -c %a "$work/messy.ferry")" = 640
expect fmt-check-clean 0 "$ferry" fmt --check "$work/messy.ferry"
expect fmt-shipped 0 "$ferry" fmt --check "$plan"
printf 'plan "x" {\n  phase p {\n' >"$work/broken.ferry"
expect fmt-syntax-error 1 "$ferry" fmt "$work/broken.ferry"
contains fmt-syntax-error "broken.ferry:2:11: error: unexpected end of file: this '{' is never closed" "$err"

# convert both ways through files: the IR hash is the same for all three.
expect convert-toml 0 "$ferry" convert "$plan" --to toml --out "$work/cp.toml"
expect convert-back 0 "$ferry" convert "$work/cp.toml" --to ferry --out "$work/cp.ferry"
check convert-new-file-0600 test "$(stat -c %a "$work/cp.toml")" = 600
check convert-no-temp-left test -z "$(find "$work" -name '*ferry-tmp*')"
expect convert-bad-to 2 "$ferry" convert "$plan" --to yaml
hashes=$(for f in "$plan" "$work/cp.toml" "$work/cp.ferry"; do
  "$ferry" check "$f" "${vars[@]}" --output json | grep '"hash"'; done | sort -u | wc -l)
check convert-same-ir test "$hashes" = 1

finish
