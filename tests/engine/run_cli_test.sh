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
contains status-failed-next "continue: ferry resume run1" "$out"
contains status-failed-undo "or undo what it did: ferry rollback run1" "$out"
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

# --- the event stream: apply and resume with --output json. stdout is JSON lines only (the log
# goes to stderr), and the final state rebuilt from the stream alone is the one `ferry status`
# reads from the journal ---
rm -f flag
expect stream-apply 1 "$ferry" apply steps.ferry --run-dir run-stream --output json -v
printf '%s\n' "$out" >stream.jsonl
contains stream-apply-log "d: failed" "$err"
lacks stream-apply-stdout "d: failed in" "$out"
touch flag
expect stream-resume 0 "$ferry" resume run-stream --output json
printf '%s\n' "$out" >>stream.jsonl
expect stream-status 0 "$ferry" status run-stream --output json
check stream-rebuilds-the-state python3 "$here/stream_state.py" stream.jsonl "$out"
check stream-ends-with-exit-status python3 -c 'import json,sys; e=json.loads(open(sys.argv[1]).read().splitlines()[-1]); assert e["event"]=="command_ended" and e["exit_status"]==0, e' stream.jsonl
# With -v the steps' log lines are in the stream too, each an event like the others.
cat >probe.ferry <<PLAN
plan "probe" { phase one { step w = wait { probe = ["sh", "-c", "test -f $work/probed || { touch $work/probed; exit 1; }"]  interval = "100ms"  timeout = "20s" } } }
PLAN
expect stream-log 0 "$ferry" apply probe.ferry --run-dir run-probe --output json -v
check stream-log-lines python3 -c 'import json,sys; ev=[json.loads(l) for l in sys.argv[1].splitlines()]; logs=[e for e in ev if e.get("event")=="log"]; assert logs and all(e["step"]=="w" and "probe exited" in e["message"] for e in logs), ev' "$out"

# --- status: steps in the order they ran (not by name), nothing next for a run that succeeded ---
cat >order.ferry <<'PLAN'
plan "order" { phase one { step z = noop {}  step y = noop { after = [z] } } }
PLAN
expect order-apply 0 "$ferry" apply order.ferry --run-dir run-order
expect order-status 0 "$ferry" status run-order
check order-status-z-before-y python3 -c 'import sys; t=sys.argv[1]; assert t.index("  z ") < t.index("  y "), t' "$out"
lacks order-status-no-next "next:" "$out"
expect order-status-json 0 "$ferry" status run-order --output json
check order-status-json-order python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["order"]==["z","y"], s["order"]; assert s["next"]==[]' "$out"
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
expect approve-no-tty 2 "$ferry" apply gate.ferry --run-dir run4 </dev/null
contains approve-no-tty "run with --yes to approve" "$err"
expect approve-yes 0 "$ferry" apply gate.ferry --run-dir run5 --yes </dev/null

# --- what can be checked here is checked before the first step: exit 2, nothing run ---
cat >late-gate.ferry <<PLAN
plan "late-gate" {
  phase stop { step pause = shell { argv = ["sh", "-c", "echo paused >> $work/late"] } }
  phase finish {
    step never = approve { message = "Never asked"  when = false }
    step gate = approve { message = "Delete the source?" }
  }
}
PLAN
expect preflight-gate 2 "$ferry" apply late-gate.ferry --run-dir run11 </dev/null
contains preflight-gate "step gate: needs a human's approval" "$err"
lacks preflight-gate-when-false "Never asked" "$err"
check preflight-gate-ran-nothing test ! -e late
check preflight-gate-made-no-run-dir test ! -e run11
cat >kube.ferry <<PLAN
plan "kube" {
  cluster source { kubeconfig = "$work/no-such-kubeconfig" }
  cluster dest { kubeconfig = "$work/kubeconfig-without-context" }
  phase one {
    step first = shell { argv = ["sh", "-c", "echo ran >> $work/kube-ran"] }
    step p = patch { cluster = source  namespace = "n"  object = "hostedclusters/x"  merge = {a = 1}  after = [first] }
    step q = patch { cluster = dest  namespace = "n"  object = "hostedclusters/x"  merge = {a = 1}  after = [first] }
  }
}
PLAN
printf 'apiVersion: v1\nclusters:\n- cluster:\n    server: https://127.0.0.1:6443\n  name: c\n' >kubeconfig-without-context
expect preflight-kubeconfig 2 "$ferry" apply kube.ferry --run-dir run12
contains preflight-kubeconfig "cluster source: cannot read the kubeconfig $work/no-such-kubeconfig" "$err"
contains preflight-kubeconfig "cluster dest: the kubeconfig $work/kubeconfig-without-context has no current-context" "$err"
check preflight-kubeconfig-ran-nothing test ! -e kube-ran
cat >aws.ferry <<PLAN
plan "aws" {
  phase one {
    step first = shell { argv = ["sh", "-c", "echo ran >> $work/aws-ran"] }
    step url = presign { url = "s3://b/k"  method = "PUT"  endpoint = "http://127.0.0.1:9"  after = [first] }
  }
}
PLAN
mkdir -p nohome
expect preflight-aws 2 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_PROFILE HOME="$work/nohome" \
  AWS_SHARED_CREDENTIALS_FILE="$work/nohome/none" AWS_CONFIG_FILE="$work/nohome/none" \
  "$ferry" apply aws.ferry --run-dir run13 --aws-region us-east-1
contains preflight-aws "step url: " "$err"
check preflight-aws-ran-nothing test ! -e aws-ran
expect plan-not-preflighted 0 "$ferry" plan late-gate.ferry </dev/null

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

# --- a secret an earlier process made, read back by a resumed one that did not remake it ---
# Process 1 presigns a URL and "restores" it (writes it where a HostedCluster would hold it),
# then is stopped during a wait; process 2 (resume) reads the object back. The URL's signature
# must appear nowhere process 2 writes, and the URL is known whole (not just by its pattern).
export AWS_ACCESS_KEY_ID=AKIDFERRYTEST AWS_SECRET_ACCESS_KEY=ferry-test-secret-key
cat >presigned.ferry <<PLAN
plan "presigned" {
  phase restore {
    step url = presign { url = "s3://bucket/snap.db"  method = "PUT"  endpoint = "http://127.0.0.1:9" }
    step restore = shell { argv = ["sh", "-c", "printf %s \"\$0\" > $work/hc-url", "\${url.url}"] }
    step available = wait { probe = ["test", "-f", "$work/available"]  interval = "1s"  after = [restore] }
  }
  phase after {
    step label = shell { argv = ["cat", "$work/hc-url"] }
  }
}
PLAN
"$ferry" apply presigned.ferry --run-dir run14 --aws-region us-east-1 >"$work/.out" 2>"$work/.err" &
pid=$!
for _ in $(seq 100); do grep -q '"step_started","step":"available"' run14/journal.jsonl 2>/dev/null && break; sleep 0.1; done
kill -INT $pid
wait $pid
check presigned-stopped test $? = 130
url=$(cat hc-url)
signature=${url##*X-Amz-Signature=}
check presigned-url-made test -n "$signature" -a "$signature" != "$url"
touch available
expect presigned-resume 0 "$ferry" resume run14 --yes --aws-region us-east-1 -v
expect presigned-status 0 "$ferry" status run14 --output json
status_json=$out
for f in run14/*; do lacks "presigned-signature-in-$f" "$signature" "$(cat "$f")"; done
lacks presigned-signature-in-output "$signature" "$out$err$status_json"
check presigned-known-whole python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["steps"]["label"]["outputs"]["stdout"] == "<redacted>", s["steps"]["label"]' "$status_json"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY

# --- one command at a time appends to a run: a second resume is refused, naming the first ---
cat >locked.ferry <<PLAN
plan "locked" {
  phase one {
    step hold = shell { argv = ["sh", "-c", "test -f $work/go && touch $work/holding && while [ ! -f $work/release ]; do sleep 0.1; done"] }
  }
}
PLAN
expect locked-first-fails 1 "$ferry" apply locked.ferry --run-dir run15
touch go
"$ferry" resume run15 >"$work/.out" 2>"$work/.err" &
pid=$!
for _ in $(seq 100); do test -e holding && break; sleep 0.1; done
expect locked-second 2 "$ferry" resume run15
contains locked-second "in use by another ferry (pid $pid on " "$err"
expect locked-rollback 2 "$ferry" rollback run15
touch release
wait $pid
check locked-first-finished test $? = 0
check locked-one-run-per-process test "$(grep -c '"run_started"' run15/journal.jsonl)" = 2
check locked-one-end-per-process test "$(grep -c '"run_ended"' run15/journal.jsonl)" = 2
check lock-file-mode test "$(stat -c %a run15/lock)" = 600

# --- the journal: a torn last line is a crash, a bad line before it is corruption ---
cp -r run1 run16
printf '{"t":1,"event":"step_sta' >>run16/journal.jsonl
expect journal-torn 0 "$ferry" status run16
contains journal-torn "last line (" "$err"
cp -r run1 run17
sed -i '3s/.*/{"t":1,"event":"garbage/' run17/journal.jsonl
expect journal-corrupt 2 "$ferry" resume run17
contains journal-corrupt "journal.jsonl:3: the journal is damaged" "$err"
lacks journal-corrupt-no-crash-note "cut short by a crash and is ignored" "$err"

# --- saved plans: damaged ones are called that; a run's edited plan.json gets its own advice ---
head -c 200 saved.json >truncated.json
expect saved-truncated 2 "$ferry" apply truncated.json --run-dir run18
contains saved-truncated "truncated.json is a damaged saved plan" "$err"
lacks saved-truncated-no-syntax-error "syntax" "$err"
echo '[]' >list.json
expect saved-list 2 "$ferry" apply list.json --run-dir run18
contains saved-list "list.json is a damaged saved plan" "$err"
python3 - saved.json near.json <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
h = j["ir_hash"]
j["ir_hash"] = h[:20] + ("0" if h[20] != "0" else "1") + h[21:]  # differs only after 12 characters
json.dump(j, open(sys.argv[2], "w"), indent=2)
PY
expect saved-near-hash 2 "$ferry" apply near.json --run-dir run18
check saved-near-hash-prefixes-differ python3 -c 'import re,sys; m=re.search(r"its IR hash is (\w+), the file says (\w+)", sys.argv[1]); assert m and m.group(1) != m.group(2), sys.argv[1]' "$err"
contains saved-near-hash "ferry plan PLAN -out near.json" "$err"
cp -r run1 run19
sed -i 's/echo a >>/echo A >>/' run19/plan.json
expect run-plan-edited 2 "$ferry" resume run19
contains run-plan-edited "put back its plan.json" "$err"
lacks run-plan-edited-no-saved-plan-advice "ferry plan" "$err"

# --- every file ferry makes is private: 0600 files, 0700 directories; a replaced file keeps its mode ---
expect mode-plan-out 0 "$ferry" plan steps.ferry -out fresh.json
check mode-plan-out-new test "$(stat -c %a fresh.json)" = 600
chmod 640 fresh.json
expect mode-plan-out-again 0 "$ferry" plan steps.ferry -out fresh.json
check mode-plan-out-kept test "$(stat -c %a fresh.json)" = 640
for d in run*/; do check "mode-of-$d" test "$(stat -c %a "$d")" = 700; done
for f in run*/* app.log; do [[ -d $f ]] || check "mode-of-$f" test "$(stat -c %a "$f")" = 600; done
check no-temp-files-left test -z "$(find . -name '*ferry-tmp*')"

# --- usage errors ---
expect bad-parallelism 2 "$ferry" apply steps.ferry --parallelism 0
expect bad-on-failure 2 "$ferry" apply steps.ferry --on-failure maybe
expect resume-unknown-step 2 "$ferry" resume run1 --assume-done nope
contains resume-unknown-step "--assume-done nope: the plan has no such step" "$err"
expect status-no-dir 2 "$ferry" status nowhere
expect rollback-no-dir 2 "$ferry" rollback nowhere

finish
