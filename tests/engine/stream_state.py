"""Rebuilds a run's final state from its event stream alone (`ferry apply|resume --output json`,
every line of every command in order) and compares it with `ferry status --output json`.

    stream_state.py STREAM_FILE STATUS_JSON
"""
import json
import sys

STATES = {
    "step_started": "running",
    "step_succeeded": "succeeded",
    "step_assumed_done": "succeeded",
    "step_failed": "failed",
    "step_cancelled": "cancelled",
    "step_skipped": "skipped",
}

lines = [line for line in open(sys.argv[1]).read().splitlines() if line.strip()]
events = [json.loads(line) for line in lines]  # stdout holds nothing but JSON lines
status = json.loads(sys.argv[2])
assert all("event" in e for e in events), [e for e in events if "event" not in e][:3]

starts = [e for e in events if e["event"] == "stream_started"]
assert starts and all(e["ferry_stream"] == 1 for e in starts), starts
assert all(e["run_dir"] == status["dir"] for e in events), "every line names the run directory"
ended = [e for e in events if e["event"] == "command_ended"]
assert len(ended) == len(starts), "each command's stream ends with its exit status"

steps, attempts, result = {}, {}, None
for e in events:
    if e["event"] in STATES:
        steps[e["step"]] = STATES[e["event"]]
    if e["event"] == "step_started":
        attempts[e["step"]] = e["attempt"]
    if e["event"] == "scope_retried":  # resume --retry-scope: back to pending, attempts go on
        for sid in e["steps"]:
            steps[sid] = "pending"
    if e["event"] == "run_ended":
        result = e["result"]

assert result == status["result"], (result, status["result"])
for sid, s in status["steps"].items():
    assert steps.get(sid, "pending") == s["state"], (sid, steps.get(sid), s["state"])
    assert attempts.get(sid, 0) == s["attempts"], (sid, attempts.get(sid), s["attempts"])
print("the stream rebuilds the state of", len(status["steps"]), "steps:", result)
