#!/usr/bin/env bash
# Failure scopes end to end with real processes: a failing isolated instance is undone alone
# and the run ends partially_failed (exit 1); `status` lists the failed scope; `resume` leaves
# it alone unless --retry-scope names it; `rollback --scope` undoes one scope; the dry run and
# `graph` show the scopes; and ferry killed at a scope's boundaries (FERRY_TEST_CRASH) resumes to
# each compensation exactly once.
#
#   scope_cli_test.sh FERRY
set -uo pipefail
ferry=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
source "$here/../lib/assert.sh"

# A cell's `check` fails while the file break-NAME exists; `make` is undone by its rollback block.
cat >scopes.ferry <<PLAN
plan "scopes" {
  template pair(name : string) {
    step make = shell {
      argv = ["sh", "-c", "echo make-\${name} >> $work/log"]
      rollback {
        step undo = shell { argv = ["sh", "-c", "echo undo-\${name} >> $work/undo.log"] }
      }
    }
    step check = shell {
      argv = ["sh", "-c", "test ! -f $work/break-\${name} && echo check-\${name} >> $work/log"]
      after = [make]
    }
  }

  phase one {
    for n in ["a", "b"] {
      isolated step cell[n] = pair(name = n)
    }
  }

  phase two {
    step report_a = shell {
      argv = ["sh", "-c", "echo report_a >> $work/log"]
      after = [cell["a"]]
    }
    step free = shell { argv = ["sh", "-c", "echo free >> $work/log"] }
  }
}
PLAN

# --- the dry run and the graph show the scopes ---
expect plan-text 0 "$ferry" plan scopes.ferry
contains plan-text "[scope cell[a]]" "$out"
contains plan-text "2 failure scopes" "$out"
expect plan-json 0 "$ferry" plan scopes.ferry --output json
check plan-json python3 -c 'import json,sys; p=json.loads(sys.argv[1]); s={x["id"]: x.get("scope") for x in p["steps"]}; assert s["cell[b].check"] == "cell[b]" and s["free"] is None, s; assert p["totals"]["scopes"] == 2' "$out"
expect plan-markdown 0 "$ferry" plan scopes.ferry --output markdown
contains plan-markdown 'Failure scopes (a failure in one undoes it alone, the run goes on): `cell[a]` `cell[b]`' "$out"
expect graph-dot 0 "$ferry" graph scopes.ferry
contains graph-dot 'subgraph "cluster_0_cell[a]" {' "$out"
contains graph-dot 'label="scope cell[a]";' "$out"
expect graph-mermaid 0 "$ferry" graph scopes.ferry --format mermaid
contains graph-mermaid 'subgraph s_scope_20cell_5ba_5d ["scope cell[a]"]' "$out"

# --- cell[a] fails: undone alone, the rest finishes, the run is partially_failed ---
touch break-a
expect apply-partial 1 "$ferry" apply scopes.ferry --run-dir run --output json
echo "$out" >stream.jsonl
contains apply-partial '"event":"scope_failed"' "$out"
contains apply-partial '"event":"scope_compensated"' "$out"
contains apply-partial '"result":"partially_failed"' "$out"
contains apply-partial "partially failed: the rest of the run finished, but not the failed scopes (cell[a]), each rolled back alone" "$out"
check undone-alone test "$(cat undo.log)" = "undo-a"
check rest-ran test "$(sort log | tr '\n' ' ')" = "check-b free make-a make-b "
expect status-partial 0 "$ferry" status run
contains status-partial "failed scopes" "$out"
contains status-partial "  cell[a]                                 rolled back" "$out"
contains status-partial "at cell[a].check: failed: 'sh' exited with status 1" "$out"
contains status-partial "ferry resume run --retry-scope cell[a]" "$out"
# A scope is one line in its phase, at the step it reached; its steps are not listed one by one.
contains status-partial-scope-line "  cell[b]                                 succeeded, at cell[b].check, " "$out"
contains status-partial-failed-line "  cell[a]                                 rolled back, at cell[a].check, " "$out"
lacks status-partial-no-scoped-steps "cell[b].make" "$out"
contains status-partial-unscoped-steps "  report_a" "$out"
expect status-json 0 "$ferry" status run --output json
check status-json python3 -c '
import json, sys
s = json.loads(sys.argv[1])
assert s["result"] == "partially_failed", s["result"]
a, b = s["scopes"]["cell[a]"], s["scopes"]["cell[b]"]
assert a["state"] == "rolled_back" and a["failed_step"] == "cell[a].check", a
assert a["error"]["message"] == "'"'"'sh'"'"' exited with status 1", a
assert (b["state"], b["phase"], b["at"]) == ("succeeded", "one", "cell[b].check"), b
assert "error" not in b and "downtime" not in b, b
assert s["steps"]["report_a"]["state"] == "skipped" and s["steps"]["cell[a].make"]["scope"] == "cell[a]"
' "$out"
check stream-rebuilds-status python3 "$here/stream_state.py" stream.jsonl "$out"

# --- resume leaves the failed scope alone; --retry-scope runs it again ---
expect resume-nothing 1 "$ferry" resume run
contains resume-nothing "run one again with --retry-scope NAME" "$out"
expect retry-unknown 2 "$ferry" resume run --retry-scope 'cell[c]'
contains retry-unknown "the plan has no such scope; its scopes: cell[a], cell[b]" "$err"
rm break-a
expect retry 0 "$ferry" resume run --retry-scope 'cell[a]'
check retried-once test "$(sort log | tr '\n' ' ')" = "check-a check-b free make-a make-a make-b report_a "
expect status-retried 0 "$ferry" status run --output json
check status-retried python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["result"] == "succeeded"; a = s["scopes"]["cell[a]"]; assert (a["state"], a["phase"], a["at"]) == ("succeeded", "one", "cell[a].check"), a; assert "downtime" not in a and "error" not in a, a' "$out"

# --- rollback --scope undoes one scope of a finished run ---
expect rollback-unknown 2 "$ferry" rollback run --scope nope
expect rollback-empty-scope 2 "$ferry" rollback run --scope ''   # never the whole run by mistake
check rollback-empty-undid-nothing test "$(cat undo.log)" = "undo-a"
expect rollback-scope 0 "$ferry" rollback run --scope 'cell[b]'
check rollback-scope-alone test "$(tr '\n' ' ' <undo.log)" = "undo-a undo-b "
expect status-scope-undone 0 "$ferry" status run --output json
check status-scope-undone python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["scopes"]["cell[b]"]["state"] == "rolled_back"; assert s["scopes"]["cell[a]"]["state"] == "succeeded"' "$out"
expect rollback-scope-again 0 "$ferry" rollback run --scope 'cell[b]'
contains rollback-scope-again "nothing to undo: scope cell[b] was rolled back" "$out"
expect status-scope-next 0 "$ferry" status run
contains status-scope-next "run it again: ferry resume run --retry-scope cell[b]" "$out"
: >log
expect retry-after-rollback 0 "$ferry" resume run --retry-scope 'cell[b]'
check retry-after-rollback-ran test "$(sort log | tr '\n' ' ')" = "check-b make-b "

# --- killed at each boundary of a failing scope, then resumed: its undo runs exactly once ---
# One step at a time, and cell[b] fails: its check is the phase's last step, so nothing else runs
# when it fails (a failed scope is undone beside the steps still running: a kill then would leave
# them for the resume to decide about, which run-cli tests cover).
for point in failed compensated; do
  rm -rf run log undo.log break-a
  touch break-b
  status=$( (FERRY_TEST_CRASH="scope:cell[b]:$point" "$ferry" apply scopes.ferry --run-dir run --parallelism 1 >/dev/null 2>&1; echo $?) 2>/dev/null)
  check "crash-$point-killed" test "$status" = 137
  expect "crash-$point-status" 0 "$ferry" status run --output json
  want=$([[ $point == failed ]] && echo failed || echo rolled_back)
  check "crash-$point-scope-state" python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["scopes"]["cell[b]"]["state"] == sys.argv[2], s["scopes"]' "$out" "$want"
  expect "crash-$point-resume" 1 "$ferry" resume run
  check "crash-$point-undone-once" test "$(cat undo.log)" = "undo-b"
  check "crash-$point-rest-ran" test "$(sort log | tr '\n' ' ')" = "check-a free make-a make-b report_a "
  expect "crash-$point-status-after" 0 "$ferry" status run --output json
  check "crash-$point-partial" python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["result"] == "partially_failed"' "$out"
done
rm -f break-b

finish
