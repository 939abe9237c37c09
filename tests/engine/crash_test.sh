#!/usr/bin/env bash
# The crash matrix, with real processes: a plan of shell steps that each append their name to a
# log; ferry is killed with SIGKILL (the FERRY_TEST_CRASH hook) at every step boundary and in
# the middle of every step, then `ferry resume` finishes the run. Every step must have run
# exactly once. The same for `ferry rollback` killed around each compensation.
#
#   crash_test.sh FERRY
set -uo pipefail
ferry=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
passed=0 failed=0
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
ok() { passed=$((passed + 1)); }

steps=4
{
  echo 'plan "crash" {'
  echo '  phase work {'
  for i in $(seq 1 $steps); do
    after=""; ((i > 1)) && after="after = [s$((i - 1))]"
    echo "    step s$i = shell {"
    echo "      argv = [\"sh\", \"-c\", \"sleep \$\${FERRY_TEST_SLEEP:-0}; echo s$i >> $work/log\"]"
    echo "      $after"
    echo "      rollback {"
    echo "        step undo = shell { argv = [\"sh\", \"-c\", \"echo undo-s$i >> $work/undo.log\"] }"
    echo "      }"
    echo "    }"
  done
  echo '  }'
  echo '}'
} >plan.ferry
"$ferry" check plan.ferry >/dev/null || { echo "FAIL: the test plan does not compile"; exit 1; }

expected_log=$(for i in $(seq 1 $steps); do echo "s$i"; done)

for i in $(seq 1 $steps); do
  for point in before during after done; do
    name="s$i:$point"
    rm -rf run log
    sleep_for=0
    [[ $point == during ]] && sleep_for=1
    # (In a subshell, so bash's "Killed" notice goes nowhere.)
    status=$( (FERRY_TEST_SLEEP=$sleep_for FERRY_TEST_CRASH="$name" "$ferry" apply plan.ferry --run-dir run >out 2>&1; echo $?) 2>/dev/null)
    [[ $status == 137 ]] || { fail "$name: apply was not killed (exit $status)"; cat out; continue; }
    # A non-idempotent step caught mid-way is the user's call; resume must not guess.
    flags=()
    case $point in
      before | during) flags=(--rerun "s$i") ;;
      after) flags=(--assume-done "s$i") ;;
    esac
    if [[ $point != done ]]; then
      "$ferry" resume run >out 2>&1
      status=$?
      [[ $status == 2 ]] && grep -q "s$i" out && grep -q -- "--rerun" out ||
        { fail "$name: resume without a decision should refuse naming s$i (exit $status)"; cat out; continue; }
    fi
    "$ferry" resume run "${flags[@]}" >out 2>&1
    status=$?
    [[ $status == 0 ]] || { fail "$name: resume failed (exit $status)"; cat out; continue; }
    [[ "$(cat log)" == "$expected_log" ]] || { fail "$name: steps did not run exactly once:"; cat log; continue; }
    "$ferry" status run --output json | grep -q '"result": "succeeded"' || { fail "$name: status is not succeeded"; continue; }
    ok
  done
done

# Rollback killed around each compensation, then run again: each undo exactly once, in reverse.
expected_undo=$(for i in $(seq $steps -1 1); do echo "undo-s$i"; done)
for i in $(seq 1 $steps); do
  for point in before after; do
    name="undo:s$i:$point"
    rm -rf run log undo.log
    "$ferry" apply plan.ferry --run-dir run >out 2>&1 || { fail "$name: apply failed"; cat out; continue; }
    status=$( (FERRY_TEST_CRASH="$name" "$ferry" rollback run >out 2>&1; echo $?) 2>/dev/null)
    [[ $status == 137 ]] || { fail "$name: rollback was not killed (exit $status)"; cat out; continue; }
    "$ferry" rollback run >out 2>&1
    status=$?
    [[ $status == 0 ]] || { fail "$name: the second rollback failed (exit $status)"; cat out; continue; }
    [[ "$(cat undo.log)" == "$expected_undo" ]] || { fail "$name: compensations did not run exactly once:"; cat undo.log; continue; }
    ok
  done
done

echo "$passed passed, $failed failed"
((failed == 0))
