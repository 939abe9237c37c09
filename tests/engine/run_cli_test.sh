#!/usr/bin/env bash
# ferry plan / apply / resume / rollback / status end to end with real processes: exit
# statuses, outputs, saved plans, run-directory permissions, Ctrl-C, approvals, and a canary
# secret that must appear nowhere ferry writes.
#
#   run_cli_test.sh FERRY
set -uo pipefail
ferry=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
source "$here/../lib/assert.sh"

cat >steps.ferry <<PLAN
plan "steps" {
  phase one {
    step a = shell { argv = ["sh", "-c", "echo a >> $work/log; echo hello"] }
    step b = shell { argv = ["sh", "-c", "echo b >> $work/log; echo got \${a.stdout}"] }
    step c = shell { argv = ["sh", "-c", "echo c >> $work/log"]  after = [a] }
  }
  phase two {
    step d = shell { argv = ["sh", "-c", "test -f $work/flag && echo d >> $work/log"] }
  }
}
PLAN

# --- plan: the dry run in three formats, and -out ---
expect plan-text 0 "$ferry" plan steps.ferry
contains plan-text "phase one" "$out"
contains plan-text "echo got <a.stdout>" "$out"
contains plan-text "4 steps, 0 destructive" "$out"
check plan-ran-nothing test ! -e log
expect plan-json 0 "$ferry" plan steps.ferry --output json
check plan-json python3 -c 'import json,sys; p=json.loads(sys.argv[1]); assert p["totals"]["steps"] == 4; assert p["steps"][0]["id"] == "a"; assert p["steps"][1]["wave"] != p["steps"][0]["wave"]' "$out"
expect plan-markdown 0 "$ferry" plan steps.ferry --output markdown
contains plan-markdown "## ferry plan \`steps\`" "$out"
contains plan-markdown "<details>" "$out"
expect plan-bad-output 2 "$ferry" plan steps.ferry --output yaml
expect plan-out 0 "$ferry" plan steps.ferry -out saved.json
contains plan-out "ferry apply saved.json" "$err"

# --- apply a saved plan: the step fails (no flag file), then resume after the fix ---
expect apply-fails 1 "$ferry" apply saved.json --run-dir run1
contains apply-fails "d: failed" "$err"
contains apply-fails "ferry resume run1" "$err"
check run-dir-mode test "$(stat -c %a run1)" = 700
for f in run1/*; do check "mode-of-$f" test "$(stat -c %a "$f")" = 600; done
expect status-failed 0 "$ferry" status run1
contains status-failed "failed: 'sh' exited with status 1" "$out"
expect status-json 0 "$ferry" status run1 --output json
check status-json python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["result"]=="failed"; assert s["steps"]["a"]["state"]=="succeeded"; assert s["steps"]["d"]["state"]=="failed"; assert s["steps"]["a"]["outputs"]["stdout"]=="hello\n"' "$out"
sed 's/echo c >>/echo C >>/' steps.ferry >changed.ferry
expect resume-changed-plan 2 "$ferry" resume run1 changed.ferry
contains resume-changed-plan "the plan changed since this run started" "$err"
touch flag
expect resume-same-plan 0 "$ferry" resume run1 steps.ferry
check resume-ran-each-once test "$(sort log | tr '\n' ' ')" = "a b c d "
expect resume-done 0 "$ferry" resume run1
contains resume-done "nothing to resume" "$out"
expect apply-existing-dir 2 "$ferry" apply steps.ferry --run-dir run1
contains apply-existing-dir "already holds a run" "$err"

# --- a saved plan edited after review is refused ---
sed 's/echo a >>/echo A >>/' saved.json >edited.json
expect apply-edited 2 "$ferry" apply edited.json --run-dir run2
contains apply-edited "was changed after it was saved" "$err"
check apply-edited-made-no-run-dir test ! -e run2

# --- the canary: a secret appears nowhere ferry writes, though the command gets it ---
canary="CANARY-$RANDOM-4f1c"
cat >secret.ferry <<PLAN
plan "secret" {
  param token : secret string
  phase one {
    step use = shell { argv = ["sh", "-c", "echo \$0 > $work/seen; echo out=\$0; echo err=\$0 >&2", token] }
    step joined = shell { argv = ["echo", "Bearer \${token}"] }
    step leak = shell { argv = ["sh", "-c", "echo failing with \$0 >&2; exit 3", "x\${token}y"] }
  }
}
PLAN
expect secret-missing 2 "$ferry" apply secret.ferry --run-dir run3
contains secret-missing "secret param 'token' has no value" "$err"
check secret-missing-made-no-run-dir test ! -e run3
expect secret-plan 0 "$ferry" plan secret.ferry --var token="$canary" --output json
lacks secret-plan "$canary" "$out$err"
contains secret-plan "<redacted>" "$out"
expect secret-apply 1 "$ferry" apply secret.ferry --var token="$canary" --run-dir run3 --log-file app.log -v
lacks secret-apply-stdout "$canary" "$out"
lacks secret-apply-stderr "$canary" "$err"
contains secret-apply "failing with <redacted>" "$err"
for f in run3/* app.log; do lacks "secret-in-$f" "$canary" "$(cat "$f")"; done
expect secret-status 0 "$ferry" status run3 --output json
lacks secret-status "$canary" "$out"
check secret-reached-the-command test "$(cat seen)" = "$canary"

# --- approve: no terminal means no approval, --yes gives it ---
cat >gate.ferry <<'PLAN'
plan "gate" {
  phase one { step ok = approve { message = "Delete the source?" } }
}
PLAN
expect approve-no-tty 1 "$ferry" apply gate.ferry --run-dir run4 </dev/null
contains approve-no-tty "run with --yes to approve" "$err"
expect approve-yes 0 "$ferry" apply gate.ferry --run-dir run5 --yes </dev/null

# --- on_failure = rollback: compensations run in reverse, the run says so ---
cat >saga.ferry <<PLAN
plan "saga" {
  on_failure = "rollback"
  phase one {
    step first = shell {
      argv = ["sh", "-c", "echo first >> $work/saga"]
      rollback { step undo = shell { argv = ["sh", "-c", "echo undo-first >> $work/saga"] } }
    }
    step second = shell {
      argv = ["sh", "-c", "echo second >> $work/saga"]
      after = [first]
      rollback { step undo = shell { argv = ["sh", "-c", "echo undo-second >> $work/saga"] } }
    }
    step boom = shell { argv = ["false"]  after = [second] }
  }
}
PLAN
expect saga 1 "$ferry" apply saga.ferry --run-dir run6
contains saga "failed, and rolled back" "$err"
check saga-order test "$(tr '\n' ' ' <saga)" = "first second undo-second undo-first "
expect saga-status 0 "$ferry" status run6
contains saga-status "rolled back" "$out"

# --- Ctrl-C: cancels the running command, journals it, says how to resume; exit 130 ---
cat >slow.ferry <<'PLAN'
plan "slow" {
  phase one { step wait = shell { argv = ["sleep", "30"] } }
}
PLAN
"$ferry" apply slow.ferry --run-dir run7 >"$work/.out" 2>"$work/.err" &
pid=$!
for _ in $(seq 50); do grep -q '"step_started"' run7/journal.jsonl 2>/dev/null && break; sleep 0.1; done
kill -INT $pid
wait $pid
status=$?
check sigint-exit-130 test "$status" = 130
contains sigint "ferry resume run7" "$(cat "$work/.err")"
contains sigint-journal '"step_cancelled"' "$(cat run7/journal.jsonl)"

# --- a step's timeout kills its command; a wait probe polls until it passes ---
cat >timing.ferry <<PLAN
plan "timing" {
  phase one {
    step ready = wait { probe = ["test", "-f", "$work/ready"]  interval = "1s" }
    step slow = shell { argv = ["sleep", "30"]  timeout = "1s"  after = [ready] }
  }
}
PLAN
(sleep 2; touch "$work/ready") &
expect timeout 1 "$ferry" apply timing.ferry --run-dir run8 -v
contains timeout "slow: failed" "$err"
contains timeout "timeout: timed out after 1s (the step's timeout)" "$err"
contains wait-probe "ready: succeeded" "$err"
contains wait-probe-polled "ready: probe exited 1; next poll in 1s" "$err"
wait

# --- the plan's own timeout bounds the whole run ---
cat >bounded.ferry <<'PLAN'
plan "bounded" {
  timeout = "1s"
  phase one { step long = shell { argv = ["sleep", "30"] } }
}
PLAN
expect run-timeout 1 "$ferry" apply bounded.ferry --run-dir run10
contains run-timeout "the run's timeout (1s) passed" "$err"

# --- on a terminal: a live status line under the log (tmux gives ferry a real TTY) ---
cat >live.ferry <<'PLAN'
plan "live" {
  phase one { step nap = shell { argv = ["sleep", "3"] } }
}
PLAN
session="ferry-live-$$"
tmux new-session -d -s "$session" -x 150 -y 20 "$ferry apply live.ferry --run-dir run9; sleep 10"
screen=""
for _ in $(seq 50); do
  screen=$(tmux capture-pane -p -t "$session")
  [[ $screen == *"running: nap"* ]] && break
  sleep 0.1
done
tmux kill-session -t "$session"
contains live-view "[one] 0/1 done, running: nap" "$screen"

# --- usage errors ---
expect bad-parallelism 2 "$ferry" apply steps.ferry --parallelism 0
expect bad-on-failure 2 "$ferry" apply steps.ferry --on-failure maybe
expect resume-unknown-step 2 "$ferry" resume run1 --assume-done nope
contains resume-unknown-step "--assume-done nope: the plan has no such step" "$err"
expect status-no-dir 2 "$ferry" status nowhere
expect rollback-no-dir 2 "$ferry" rollback nowhere

finish
