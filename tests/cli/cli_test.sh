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
contains check-ok "ok: plan 'controlplane': 50 steps in 4 phases" "$out"
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
contains graph-dot '"pause.hostedcontrolplane_paused" -> "pause.control_plane";' "$out"
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

# Invalid UTF-8 in any input is an error at its file:line:col (or names the --var), never an
# abort when the IR is written as JSON; a command's output has bad bytes replaced instead.
printf 'plan "u" {\n  phase p { step s = shell { argv = ["echo", "\377"] } }\n}\n' >"$work/bad-utf8.ferry"
for cmd in "check" "check --emit ir" "check --output json" "plan" "apply --run-dir $work/utf8-run" "graph"; do
  expect "utf8-ferry-$cmd" 1 "$ferry" $cmd "$work/bad-utf8.ferry"
  contains "utf8-ferry-$cmd" "bad-utf8.ferry" "$out$err"
  contains "utf8-ferry-$cmd" "invalid UTF-8 (byte 0xff)" "$out$err"
done
contains utf8-ferry-check "bad-utf8.ferry:2:47: error: invalid UTF-8 (byte 0xff)" "$err"
check utf8-no-run-dir test ! -e "$work/utf8-run/journal.jsonl"
expect utf8-convert 1 "$ferry" convert "$work/bad-utf8.ferry" --to toml --out "$work/bad-utf8.toml"
contains utf8-convert "bad-utf8.ferry:2:47: error: invalid UTF-8" "$err"
check utf8-convert-wrote-nothing test ! -e "$work/bad-utf8.toml"
expect utf8-fmt 1 "$ferry" fmt "$work/bad-utf8.ferry"
printf '[plan]\nname = "u"\ndescription = "caf\351"\n' >"$work/bad-utf8.toml"
expect utf8-toml 1 "$ferry" check "$work/bad-utf8.toml"
contains utf8-toml "bad-utf8.toml:3:19: error: invalid UTF-8 (byte 0xe9)" "$err"
mkdir -p "$work/mod"
printf 'module "m" {\n  # caf\351\n  let x = 1\n}\n' >"$work/mod/m.ferry"
printf 'plan "u" {\n  use "./mod/m.ferry"\n  phase p { step s = noop {} }\n}\n' >"$work/uses-mod.ferry"
expect utf8-module 1 "$ferry" check "$work/uses-mod.ferry"
contains utf8-module "m.ferry:2:8: error: invalid UTF-8 (byte 0xe9)" "$err"
printf 'plan "u" {\n  param city : string\n  phase p { step s = shell { argv = ["echo", city] } }\n}\n' >"$work/city.ferry"
printf 'A=1\ncity=Montr\351al\n' >"$work/latin1.env"
for cmd in "check" "check --emit ir" "plan"; do
  expect "utf8-vars-file-$cmd" 2 "$ferry" $cmd "$work/city.ferry" --vars-file "$work/latin1.env"
  contains "utf8-vars-file-$cmd" "latin1.env:2:11: error: invalid UTF-8 (byte 0xe9)" "$err"
  expect "utf8-var-$cmd" 2 "$ferry" $cmd "$work/city.ferry" --var $'city=Montr\351al'
  contains "utf8-var-$cmd" "--var city: the value is not valid UTF-8 (byte 0xe9 at position 6)" "$err"
done
printf 'plan "u" {\n  param token : secret string\n  phase p { step s = shell { argv = ["echo", token] } }\n}\n' >"$work/secret.ferry"
expect utf8-secret-env 2 env $'token=s\351cret' "$ferry" plan "$work/secret.ferry"
contains utf8-secret-env "secret param 'token': the environment variable token is not valid UTF-8 (byte 0xe9 at position 2)" "$err"
lacks utf8-secret-env $'s\351cret' "$err"
printf 'plan "u" {\n  let c = env("CITY")\n  phase p { step s = shell { argv = ["echo", c] } }\n}\n' >"$work/env.ferry"
expect utf8-env 1 env $'CITY=Montr\351al' "$ferry" check "$work/env.ferry"
contains utf8-env "env.ferry:2:11: error: environment variable 'CITY' is not valid UTF-8 (byte 0xe9 at position 6)" "$err"
# A file name that is not UTF-8 still gives JSON errors (with the bad bytes replaced).
printf 'plan "u" {\n' >"$work/"$'name\377.ferry'
expect utf8-path-json 1 "$ferry" check "$work/"$'name\377.ferry' --output json
check utf8-path-json python3 -c 'import json,sys; e=json.loads(sys.argv[1]); assert e["ok"] is False and "\ufffd" in e["errors"][0]["file"]' "$out"
# A saved plan edited to hold a bad byte.
expect utf8-saved-ok 0 "$ferry" plan "$work/city.ferry" --var city=ok -out "$work/city.json"
# A variable given with a saved plan is refused, not silently ignored: its values are fixed.
expect saved-var 2 "$ferry" apply "$work/city.json" --var city=other --run-dir "$work/saved-var-run"
contains saved-var "--var does not apply to a saved plan: $work/city.json runs exactly the values it was made with" "$err"
check saved-var-no-run [ ! -e "$work/saved-var-run" ]
printf 'CITY=x\n' >"$work/city.env"
expect saved-vars-file 2 "$ferry" apply "$work/city.json" --vars-file "$work/city.env" --run-dir "$work/saved-var-run"
contains saved-vars-file "--vars-file does not apply to a saved plan" "$err"
sed -i 's/"source": "/"source": "\xff/' "$work/city.json"
expect utf8-saved 2 "$ferry" apply "$work/city.json" --run-dir "$work/utf8-saved-run"
contains utf8-saved "city.json:" "$err"
contains utf8-saved "invalid UTF-8 (byte 0xff)" "$err"
contains utf8-saved "make it again with \`ferry plan PLAN -out $work/city.json\`" "$err"
# A command that prints bytes that are not UTF-8: the run goes on, with U+FFFD in their place.
printf 'plan "o" {\n  phase p {\n    step a = shell { argv = ["printf", "caf\\\\351"] }\n    step b = shell { argv = ["echo", "got ${a.stdout}"] }\n  }\n}\n' >"$work/out.ferry"
expect utf8-output-apply 0 "$ferry" apply "$work/out.ferry" --run-dir "$work/utf8-out-run"
expect utf8-output-status 0 "$ferry" status "$work/utf8-out-run" --output json
check utf8-output-status python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["steps"]["a"]["outputs"]["stdout"] == "caf\ufffd", s; assert s["steps"]["b"]["outputs"]["stdout"] == "got caf\ufffd\n", s' "$out"
# The same output in a kubectl step's JSON arguments (a fake kubectl that answers every call; a
# kubeconfig that passes preflight).
printf '#!/bin/sh\necho "{\\"metadata\\": {}}"\n' >"$work/kubectl"
chmod +x "$work/kubectl"
printf 'apiVersion: v1\nclusters:\n- cluster:\n    server: https://127.0.0.1:6443\n  name: c\ncontexts:\n- context:\n    cluster: c\n  name: c\ncurrent-context: c\n' >"$work/kubeconfig"
printf 'plan "k" {\n  cluster c { kubeconfig = "'"$work"'/kubeconfig" }\n  phase p {\n    step a = shell { argv = ["printf", "caf\\\\351"] }\n    step b = patch { cluster = c  object = "cm/x"  merge = { data = { v = a.stdout } } }\n  }\n}\n' >"$work/patch.ferry"
expect utf8-output-patch 0 "$ferry" apply "$work/patch.ferry" --run-dir "$work/utf8-patch-run" --kubectl "$work/kubectl"
lacks utf8-output-patch "terminate" "$err"
# A run directory whose plan.json was edited to hold a bad byte.
sed -i 's/"source": "/"source": "\xff/' "$work/utf8-out-run/plan.json"
expect utf8-run-plan 2 "$ferry" status "$work/utf8-out-run"
contains utf8-run-plan "utf8-out-run/plan.json:" "$err"
contains utf8-run-plan "invalid UTF-8 (byte 0xff)" "$err"
contains utf8-run-plan "put back its plan.json" "$err"

# Paths the file system refuses (a component over 255 bytes, a missing directory): a clear
# error naming the path, exit 2, never an uncaught std::filesystem exception.
long=$(printf 'a%.0s' {1..300})
printf 'plan "n" {\n  phase p { step s = noop {} }\n}\n' >"$work/noop.ferry"
for cmd in "apply $work/noop.ferry --run-dir $work/$long" "apply $work/noop.ferry --run-dir $work/$long/x" \
           "check $work/$long.ferry" "plan $work/$long.ferry" "fmt $work/$long.ferry" \
           "convert $work/$long.ferry --to toml" "status $work/$long" "resume $work/$long" "rollback $work/$long" \
           "check $work/noop.ferry --vars-file $work/$long.env" "apply $work/$long.json --run-dir $work/r-long"; do
  name="long-path-${cmd%% *}"
  expect "$name" 2 "$ferry" $cmd
  contains "$name" "$long" "$err"
  lacks "$name" "terminate" "$err"
  lacks "$name" "filesystem error" "$err"
done
contains "long-path-apply" "File name too long" "$err"
printf 'plan "n" {\n  use "%s/m.ferry"\n  phase p { step s = noop {} }\n}\n' "$long" >"$work/use-long.ferry"
expect long-path-use 1 "$ferry" check "$work/use-long.ferry"
contains long-path-use "use-long.ferry:2:3: error: module '$long/m.ferry' not found" "$err"
printf 'plan "n" {\n  use "tools"\n  phase p { step s = noop {} }\n}\n' >"$work/use-tools.ferry"
expect long-module-path 1 env FERRY_PATH="$work/$long" "$ferry" check "$work/use-tools.ferry"
contains long-module-path "module 'tools' not found" "$err"
expect plan-out-missing-dir 2 "$ferry" plan "$work/noop.ferry" -out "$work/no/such/dir/saved.json"
contains plan-out-missing-dir "$work/no/such/dir/saved.json" "$err"
expect plan-out-long 2 "$ferry" plan "$work/noop.ferry" -out "$work/$long.json"
contains plan-out-long "$long" "$err"
expect convert-out-missing-dir 2 "$ferry" convert "$work/noop.ferry" --to toml --out "$work/no/such/dir/x.toml"
contains convert-out-missing-dir "$work/no/such/dir/x.toml" "$err"

finish
