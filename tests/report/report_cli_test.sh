#!/usr/bin/env bash
# ferry report on real runs of a migration in miniature: a scale of kube-apiserver to 0 and a wait
# for a HostedCluster's Available (against a fake kubectl that answers every call), a step that
# times out once and is retried, an upload to a local S3 server and a presigned URL (a secret
# output), a delete. Three runs: one that succeeds, one that fails and is rolled back, one killed
# mid-step (then resumed). Each report is read as what it is: the HTML and its SVG parsed, the
# Mermaid chart read back by the real Mermaid parser (check_report.py), the JSON loaded. Then a
# missing or damaged run directory, and the canary secret, which must appear in no report.
#
#   with_s3rver.py report_cli_test.sh FERRY ROOT   (FERRY_S3_ENDPOINT, FERRY_S3_BUCKET, credentials)
set -uo pipefail
ferry=$(realpath "$1")
root=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
source "$root/tests/lib/assert.sh"

# A kubectl that answers every `get` with deployments to scale and a HostedCluster that is
# Available, and every other call with success.
cat >kubectl <<'SH'
#!/bin/sh
for a in "$@"; do
  if [ "$a" = get ]; then
    echo '{"items": [{"metadata": {"name": "kube-apiserver"}, "spec": {"replicas": 2}}, {"metadata": {"name": "openshift-apiserver"}, "spec": {"replicas": 2}}], "metadata": {"name": "hc"}, "status": {"conditions": [{"type": "Available", "status": "True"}]}}'
    exit 0
  fi
done
exit 0
SH
chmod +x kubectl
printf 'apiVersion: v1\nclusters:\n- cluster:\n    server: https://127.0.0.1:6443\n  name: c\ncontexts:\n- context:\n    cluster: c\n  name: c\ncurrent-context: c\n' >kubeconfig
head -c 6000000 /dev/zero >snap.db

canary="CANARY-$RANDOM-report"
cat >mig.ferry <<PLAN
plan "mig" {
  description = "a migration in miniature"
  param token : secret string
  param bucket : string
  cluster source { kubeconfig = "$work/kubeconfig" }
  cluster destination { kubeconfig = "$work/kubeconfig" }

  phase backup {
    step stop = scale {
      cluster = source
      namespace = "clusters-hc"
      names = ["kube-apiserver", "openshift-apiserver"]
      replicas = 0
      rollback = auto
    }
    # Its first attempt times out (the marker is not there yet), the second succeeds.
    step flaky = shell {
      argv = ["sh", "-c", "test -f $work/flaky && exit 0; touch $work/flaky; sleep 30"]
      timeout = "2s"
      retry { attempts = 4  backoff = constant("10ms") }
      after = [stop]
    }
    step up = upload { from = "$work/snap.db"  to = "s3://\${bucket}/hc/snap.db"  after = [flaky] }
    step url = presign { url = up.url  expires = "1h" }
  }

  phase restore {
    step available = wait {
      cluster = destination
      namespace = "clusters"
      object = "hostedclusters/hc"
      condition = "Available"
      interval = "100ms"
    }
    step use = shell { argv = ["sh", "-c", "echo token \$0 url \$1", token, url.url] }
    step gone = delete { cluster = source  namespace = "clusters-hc"  kind = "pods"  names = ["etcd-0"]  wait = false }
    # Named like a Mermaid statement: the chart must still show it as a task.
    step title = noop { after = [gone, use] }
  }
}
PLAN

run_opts=(--kubectl "$work/kubectl" --aws-endpoint-url "$FERRY_S3_ENDPOINT" --aws-region us-east-1
          --var token="$canary" --var bucket="$FERRY_S3_BUCKET")

# report NAME RUN_DIR: the three formats, kept as files; none holds the canary or a signature.
report() {
  local name=$1 dir=$2
  expect "$name-markdown" 0 "$ferry" report "$dir"
  printf '%s\n' "$out" >"$name.md"
  expect "$name-html" 0 "$ferry" report "$dir" --output html
  printf '%s\n' "$out" >"$name.html"
  expect "$name-json" 0 "$ferry" report "$dir" --output json
  printf '%s\n' "$out" >"$name.json"
  check "$name-no-canary" bash -c "! grep -l '$canary' $name.md $name.html $name.json"
  check "$name-no-signature" bash -c "! grep -E 'X-Amz-Signature=[0-9a-f]{8}' $name.md $name.html $name.json"
}

# --- a run that succeeds ---
expect ok-apply 0 "$ferry" apply mig.ferry --run-dir run-ok "${run_opts[@]}"
check ok-journal-holds-a-presigned-url grep -q '"secret_outputs":\["url"\]' run-ok/journal.jsonl
report ok run-ok
check ok-html python3 "$here/check_report.py" html run-ok ok.html available
contains ok-title "# ferry report: plan \`mig\`, succeeded" "$(cat ok.md)"
contains ok-version "| ferry version | $("$ferry" --version | cut -d' ' -f2) |" "$(cat ok.md)"
hash=$(head -1 run-ok/journal.jsonl | python3 -c 'import json,sys; print(json.load(sys.stdin)["ir_hash"])')
contains ok-hash "| IR hash | \`$hash\` |" "$(cat ok.md)"
contains ok-upload "| \`up\` | \`s3://$FERRY_S3_BUCKET/hc/snap.db\` | 5.7 MiB (6000000 bytes) |" "$(cat ok.md)"
contains ok-retried "\`flaky\` attempt 1, retried" "$(cat ok.md)"
contains ok-destructive-scale "| \`stop\` | scale | source | \`kind=deployment names=[kube-apiserver, openshift-apiserver] namespace=clusters-hc replicas=0\` | succeeded" "$(cat ok.md)"
contains ok-destructive-delete "| \`gone\` | delete | source |" "$(cat ok.md)"
check ok-json python3 - run-ok ok.json <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1] + "/journal.jsonl").read().splitlines()[1:]]
r = json.load(open(sys.argv[2]))
assert r["result"] == "succeeded" and r["finished"], r["result"]
import os, pwd, socket
assert (r["user"], r["host"]) == (pwd.getpwuid(os.getuid()).pw_name, socket.gethostname()), (r["user"], r["host"])
assert r["invocations"][0]["user"] == r["user"] and r["invocations"][0]["mode"] == "apply", r["invocations"]
start = next(e["t"] for e in events if e["event"] == "step_started" and e["step"] == "stop")
end = next(e["t"] for e in events if e["event"] == "step_succeeded" and e["step"] == "available")
w = r["downtime"]
assert (w["start_step"], w["end_step"], w["ended_by"]) == ("stop", "available", "available"), w
assert w["start_ms"] == start and w["end_ms"] == end and abs(w["seconds"] - (end - start) / 1000) < 1e-9, w
[t] = r["transfers"]
ok = [e for e in events if e["event"] == "step_succeeded" and e["step"] == "up"][0]
started = [e["t"] for e in events if e["event"] == "step_started" and e["step"] == "up"][-1]
assert t["bytes"] == 6000000 and t["ms"] == ok["t"] - started, t
if t["ms"]:
    assert abs(t["bytes_per_second"] - 6000000 * 1000 / t["ms"]) < 1e-6, t
assert [a["end"] for a in next(s for s in r["steps"] if s["id"] == "flaky")["attempts"]] == ["retried", "succeeded"]
url = next(s for s in r["steps"] if s["id"] == "url")
assert "url" not in url["outputs"], url["outputs"]
assert [d["id"] for d in r["destructive"]] == ["stop", "gone"], r["destructive"]
PY

# --- a run that fails at its last step and is rolled back ---
rm -f flaky
FERRY_TEST_FAIL=title expect rb-apply 1 "$ferry" apply mig.ferry --run-dir run-rb --on-failure rollback "${run_opts[@]}"
contains rb-rolled-back "failed, and rolled back" "$err"
report rb run-rb
check rb-html python3 "$here/check_report.py" html run-rb rb.html available
contains rb-title "# ferry report: plan \`mig\`, rolled back" "$(cat rb.md)"
contains rb-rollback "| \`stop\` | succeeded |" "$(cat rb.md)"
contains rb-rollback-none "Not undone (rollback = none): " "$(cat rb.md)"
contains rb-failed "\`title\` attempt 1, failed" "$(cat rb.md)"
check rb-json python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["result"]=="rolled back"; assert r["rollbacks"][0]["reason"]=="step title failed", r["rollbacks"]; s={x["id"]: x for x in r["steps"]}; assert s["stop"]["compensations"][0]["result"]=="succeeded"; assert s["gone"]["compensations"][0]["result"]=="skipped"' rb.json

# --- a run killed mid-step (kill -9 300 ms into flaky's first attempt), then resumed ---
rm -f flaky
FERRY_TEST_CRASH=flaky:during expect crash-apply 137 "$ferry" apply mig.ferry --run-dir run-crash "${run_opts[@]}"
report crash run-crash
check crash-html python3 "$here/check_report.py" html run-crash crash.html open
contains crash-title "# ferry report: plan \`mig\`, unfinished" "$(cat crash.md)"
contains crash-unfinished "unfinished: still running, or stopped by a crash" "$(cat crash.md)"
contains crash-window-open "still down when the journal ends" "$(cat crash.md)"
contains crash-attempt "\`flaky\` attempt 1, unfinished" "$(cat crash.md)"
check crash-json python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert not r["finished"]; assert r["downtime"]["found"] and not r["downtime"]["ended"], r["downtime"]; assert "available" in r["not_reached"]' crash.json
cp -r run-crash run-crashed  # kept as it was, for the chart check below
expect crash-resume 0 "$ferry" resume run-crash --rerun flaky "${run_opts[@]}"
report resumed run-crash
check resumed-html python3 "$here/check_report.py" html run-crash resumed.html available
contains resumed-interrupted "\`flaky\` attempt 1, interrupted" "$(cat resumed.md)"
check resumed-json python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert [i["mode"] for i in r["invocations"]]==["apply","resume"], r["invocations"]; assert r["result"]=="succeeded"' resumed.json

# --- every chart, read back by the real Mermaid parser ---
check mermaid-charts python3 "$here/check_report.py" mermaid run-ok ok.md available run-rb rb.md available \
  run-crashed crash.md open run-crash resumed.md available

# --- a plan that stops no control plane: the report says so ---
cat >plain.ferry <<'PLAN'
plan "plain" { phase one { step a = shell { argv = ["true"] } } }
PLAN
expect plain-apply 0 "$ferry" apply plain.ferry --run-dir run-plain
expect plain-report 0 "$ferry" report run-plain
contains plain-no-window "No downtime window: the plan has no step that stops the control plane" "$out"
expect plain-html 0 "$ferry" report run-plain --output html
printf '%s\n' "$out" >plain.html
check plain-html-parses python3 -c '
import html.parser, re, sys, xml.etree.ElementTree as ET
page = open(sys.argv[1]).read(); html.parser.HTMLParser().feed(page)
svg = ET.fromstring(re.search(r"<svg .*?</svg>", page, re.S).group(0))
assert not [r for r in svg.iter("{http://www.w3.org/2000/svg}rect") if r.get("class") == "downtime"]' plain.html

# --- what is not a run: a one-line error naming it, exit 2 ---
one_line() { [[ $(printf '%s\n' "$err" | wc -l) == 1 ]]; }
expect missing 2 "$ferry" report "$work/no-such-run"
contains missing "ferry report: error: no run directory at $work/no-such-run" "$err"
check missing-one-line one_line
mkdir empty-dir
expect no-journal 2 "$ferry" report empty-dir
contains no-journal "cannot read the journal empty-dir/journal.jsonl" "$err"
check no-journal-one-line one_line
cp -r run-plain run-damaged
sed -i '2s/.*/{"t": not json/' run-damaged/journal.jsonl
expect damaged-journal 2 "$ferry" report run-damaged
contains damaged-journal "run-damaged/journal.jsonl:2:" "$err"
check damaged-journal-one-line one_line
cp -r run-plain run-no-plan
rm run-no-plan/plan.json
expect no-plan 2 "$ferry" report run-no-plan
contains no-plan "cannot read the saved plan run-no-plan/plan.json" "$err"
cp -r run-plain run-torn
printf '{"t":1,"event":"step_sta' >>run-torn/journal.jsonl
expect torn 0 "$ferry" report run-torn
contains torn-noted "was cut short by a crash and is ignored" "$err"
expect bad-output 2 "$ferry" report run-plain --output yaml
contains bad-output "--output must be 'markdown', 'html' or 'json'" "$err"
expect no-dir 2 "$ferry" report
expect help 0 "$ferry" help report
contains help "ferry report DIR [--output markdown|html|json]" "$out"

finish
