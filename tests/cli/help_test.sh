#!/usr/bin/env bash
# The operator's help: `ferry help`, -h/--help everywhere, the exit statuses each help lists,
# `ferry explain` over the schema registry, and the man pages.
# usage: help_test.sh FERRY_BINARY SOURCE_DIR
set -u
ferry=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(cd "$(dirname "$0")" && pwd)/../lib/assert.sh"

commands=$("$ferry" help | sed -n '/^commands:/,/^$/p' | awk 'NF > 1 {print $1}')
check help-lists-commands test -n "$commands"

# `ferry help` = `ferry --help` = `ferry -h`; `ferry help CMD` = `ferry CMD --help` = `ferry CMD -h`.
expect help 0 "$ferry" help
top=$out
expect help-long 0 "$ferry" --help
check help-same-as--help test "$top" = "$out"
expect help-short 0 "$ferry" -h
check help-same-as-h test "$top" = "$out"
for status in "0 " "1 " "2 " "130 "; do contains "help-exit-$status" "  $status" "$top"; done
contains help-interrupted "interrupted (Ctrl-C)" "$top"
for cmd in $commands; do
  expect "help-$cmd" 0 "$ferry" help "$cmd"
  contains "help-$cmd" "usage: ferry $cmd" "$out"
  contains "help-$cmd-exit" "exit status:" "$out"
  contains "help-$cmd-exit" "  0 " "$out"
  contains "help-$cmd-exit" "  2 " "$out"
  contains "help-$cmd-exit" "  130 " "$out"
  one=$out
  expect "help-$cmd--help" 0 "$ferry" "$cmd" --help
  check "help-$cmd-same-as--help" test "$one" = "$out"
  expect "help-$cmd-h" 0 "$ferry" "$cmd" -h
  check "help-$cmd-same-as-h" test "$one" = "$out"
done
# -h wins over anything else on the line, as --help does; after `--` it is an argument.
expect help-h-with-args 0 "$ferry" check nope.ferry -h
contains help-h-with-args "usage: ferry check" "$out"
expect help-h-after-dashdash 2 "$ferry" check -- -h
expect help-unknown 2 "$ferry" help chek
contains help-unknown "unknown command 'chek'; did you mean 'check'?" "$err"
expect help-too-many 2 "$ferry" help check graph
# Each command's own status 1, where it has one.
"$ferry" help check >"$work/h"
check help-check-1 grep -q '^  1     the plan has errors' "$work/h"
"$ferry" help diff >"$work/h"
check help-diff-1 grep -q '^  1     the plans differ' "$work/h"
"$ferry" help apply >"$work/h"
check help-apply-1 grep -q '^  1     .*the run failed' "$work/h"
"$ferry" help status >"$work/h"
check help-status-no-1 bash -c "! grep -q '^  1 ' $work/h"
"$ferry" help report >"$work/h"
check help-report-no-1 bash -c "! grep -q '^  1 ' $work/h"

# explain: the list, a type, a field, a block's fields, JSON, and did-you-mean.
expect explain-list 0 "$ferry" explain
contains explain-list "scale" "$out"
contains explain-list "Set the replicas of deployments or statefulsets." "$out"
expect explain-scale 0 "$ferry" explain scale
for text in "replicas (int, required)" "kind (enum(\"deployment\", \"statefulset\"), default \"deployment\")" \
            "exactly one of: names, all" "previous (map(int))" "idempotent       yes" "rollback = auto  yes" \
            "destructive      at 0 replicas" "step my_scale = scale {" "and every step's: description, cluster"; do
  contains "explain-scale: $text" "$text" "$out"
done
expect explain-exec 0 "$ferry" explain exec
contains explain-exec "no automatic inverse" "$out"
contains explain-exec "idempotent       no" "$out"
contains explain-exec "stdout (string, the default: what \`from = STEP\` means)" "$out"
expect explain-field 0 "$ferry" explain scale.replicas
contains explain-field "scale.replicas (int, required)" "$out"
lacks explain-field "namespace" "$out"
expect explain-block 0 "$ferry" explain scale.retry
contains explain-block "attempts (int, default 1)" "$out"
expect explain-nested 0 "$ferry" explain scale.retry.backoff.kind
contains explain-nested 'scale.retry.backoff.kind (enum("exponential", "constant"), required)' "$out"
expect explain-json 0 "$ferry" explain scale --output json
check explain-json python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert j["name"] == "scale" and j["idempotent"] and j["has_inverse"]; f={x["name"]: x for x in j["fields"]}; assert f["replicas"]["required"] and f["kind"]["default"] == "deployment"; assert ["names", "all"] in j["exactly_one_of"]; assert "step my_scale = scale" in j["example"]' "$out"
expect explain-field-json 0 "$ferry" explain delete.wait_timeout --output json
check explain-field-json python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert j["path"] == "delete.wait_timeout" and j["default"] == "5m" and j["type"] == "duration", j' "$out"
expect explain-list-json 0 "$ferry" explain --output json
check explain-list-json python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert "scale" in [t["name"] for t in j["step_types"]]' "$out"
expect explain-unknown-type 2 "$ferry" explain scal
contains explain-unknown-type "unknown step type 'scal'; did you mean 'scale'?" "$err"
expect explain-unknown-field 2 "$ferry" explain scale.replica
contains explain-unknown-field "step type 'scale' has no field 'replica'; did you mean 'replicas'? (its own fields: namespace, kind, names, all, replicas)" "$err"
expect explain-unknown-subfield 2 "$ferry" explain scale.retry.atempts
contains explain-unknown-subfield "'scale.retry' has no field 'atempts'; did you mean 'attempts'?" "$err"
expect explain-not-a-block 2 "$ferry" explain scale.replicas.x
contains explain-not-a-block "'scale.replicas' is an int, which has no fields" "$err"
expect explain-empty-name 2 "$ferry" explain scale.
expect explain-bad-output 2 "$ferry" explain scale --output yaml
# Every type's example compiles as `ferry explain` prints it (the unit test StepSchemaExample
# compiles them through the compiler; this one goes through the binary).
for type in $("$ferry" explain --output json | python3 -c 'import json,sys; print(" ".join(t["name"] for t in json.load(sys.stdin)["step_types"]))'); do
  {
    printf 'plan "example" {\n  cluster source {\n    kubeconfig = "/dev/null"\n  }\n  phase main {\n'
    "$ferry" explain "$type" | sed -n '/^example:/,$p' | tail -n +2
    printf '  }\n}\n'
  } >"$work/$type.ferry"
  expect "explain-example-$type" 0 "$ferry" check "$work/$type.ferry"
done

# An unknown field lists the type's own fields when there are few (step fields and nested ones).
printf 'plan "t" {\n  cluster c { kubeconfig = "/dev/null" }\n  phase p {\n    step s = scale {\n      cluster = c\n      namespace = "n"\n      all = true\n      replica = 1\n      retry = { atempts = 2 }\n    }\n  }\n}\n' >"$work/typo.ferry"
expect unknown-field-lists 1 "$ferry" check "$work/typo.ferry"
contains unknown-field-lists "unknown field 'replica' for step type 'scale'; did you mean 'replicas'? (its own fields: namespace, kind, names, all, replicas)" "$err"
contains unknown-field-lists "unknown field 'retry.atempts'; did you mean 'attempts'? (the fields of 'retry': attempts, backoff, jitter, on)" "$err"

# The man pages: one per command, and each a page man can render.
check man-top test -f "$src/docs/man/ferry.1"
for cmd in $commands; do check "man-$cmd" test -f "$src/docs/man/ferry-$cmd.1"; done
if command -v man >/dev/null; then
  for page in "$src"/docs/man/*.1; do
    check "man-renders-$(basename "$page")" bash -c "man -l '$page' >/dev/null 2>'$work/man.err' && ! grep -q . '$work/man.err'"
  done
fi

finish
