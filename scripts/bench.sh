#!/usr/bin/env bash
# Compile benchmark: a generated 10,000-step plan (tests/bench/compile_bench.cc).
#
#   scripts/bench.sh [BUILD_DIR]      (default: build; configured with FERRY_BENCHMARKS=ON and
#                                      BUILD_TESTING=ON, as `make build` does)
#
# Builds compile_bench and ferry, checks that the generated plan compiles to 10,000 steps with
# `ferry check`, runs the benchmarks (parse only; full compile_plan), measures the peak RSS of
# one `ferry check` of the plan, and prints the figures against the goal: a compile in under
# 50 ms and 64 MiB. Set BENCH_ENFORCE=1 to exit 3 when the goal is missed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-build}"
jobs="${JOBS:-2}"
goal_ms=50
goal_mib=64
steps=10000

[[ -f "$build/CMakeCache.txt" ]] || { echo "bench.sh: $build is not a configured build directory (run make build)" >&2; exit 2; }
if ! cmake --build "$build" --target compile_bench ferry -j"$jobs"; then
  echo "bench.sh: could not build compile_bench; is $build configured with -DFERRY_BENCHMARKS=ON -DBUILD_TESTING=ON?" >&2
  exit 2
fi
bench="$(find "$build" -type f -name compile_bench -perm -u+x | head -n1)"
ferry="$build/engine/ferry"
[[ -x "$ferry" ]] || ferry="$(find "$build" -type f -name ferry -perm -u+x -path '*engine*' | head -n1)"
[[ -x "$bench" && -x "$ferry" ]] || { echo "bench.sh: compile_bench or ferry missing in $build" >&2; exit 2; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
plan="$tmp/bench.ferry"
"$bench" --emit-plan="$plan"

# 1. The plan is what it claims to be.
summary="$("$ferry" check "$plan")" || { echo "bench.sh: the generated plan does not compile:" >&2; "$ferry" check "$plan" >&2 || true; exit 1; }
echo "ferry check: $summary"
grep -q "': $steps steps in" <<<"$summary" || { echo "bench.sh: expected $steps steps" >&2; exit 1; }

# 2. Peak RSS of one `ferry check` (the whole process), with GNU time; else getrusage in-process.
if [[ -x /usr/bin/time ]]; then
  /usr/bin/time -f '%M %e' -o "$tmp/time" "$ferry" check "$plan" >/dev/null
  read -r rss_kib wall_s <"$tmp/time"
  rss_mib="$(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')"
  rss_how="ferry check, /usr/bin/time; wall ${wall_s}s"
else
  once="$("$bench" --once)"
  rss_mib="$(sed -E 's/.*peak RSS ([0-9.]+) MiB.*/\1/' <<<"$once")"
  rss_how="compile_bench --once, getrusage (install 'time' for the ferry check figure)"
fi

# 3. Timings: median of 3 repetitions.
"$bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_out="$tmp/bench.json" --benchmark_out_format=json >"$tmp/bench.txt" 2>&1 ||
  { cat "$tmp/bench.txt" >&2; exit 1; }
cp "$tmp/bench.json" "$build/compile_bench.json"

python3 - "$tmp/bench.json" "$rss_mib" "$rss_how" "$goal_ms" "$goal_mib" "${BENCH_ENFORCE:-0}" <<'PY'
import json, sys
path, rss, rss_how, goal_ms, goal_mib, enforce = sys.argv[1:]
rss, goal_ms, goal_mib = float(rss), float(goal_ms), float(goal_mib)
scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
report = json.load(open(path))
median = {}
for b in report["benchmarks"]:
    if b.get("aggregate_name") == "median" or b.get("run_type") == "iteration":
        median[b["run_name"] if "run_name" in b else b["name"]] = b
parse, comp = median["BM_Parse"], median["BM_Compile"]
parse_ms = parse["real_time"] * scale[parse["time_unit"]]
comp_ms = comp["real_time"] * scale[comp["time_unit"]]
comp_cpu_ms = comp["cpu_time"] * scale[comp["time_unit"]]
steps_per_s = comp.get("items_per_second", 0)
ok_ms, ok_rss = comp_ms < goal_ms, rss < goal_mib
print(f"plan:            {int(comp.get('steps', 0))} steps, {int(parse.get('bytes', 0))} bytes of .ferry")
print(f"allocator:       {report['context'].get('allocator', 'unknown')}")
print(f"parse only:      {parse_ms:.2f} ms")
print(f"full compile:    {comp_ms:.1f} ms per compile  (goal < {goal_ms:g} ms: {'ok' if ok_ms else 'MISSED'})")
# On a shared machine the wall time includes waiting for a core; the CPU time does not.
print(f"                 {comp_cpu_ms:.1f} ms of CPU per compile")
print(f"throughput:      {steps_per_s:,.0f} steps/s")
print(f"peak RSS:        {rss:.1f} MiB  (goal < {goal_mib:g} MiB: {'ok' if ok_rss else 'MISSED'}; {rss_how})")
sys.exit(3 if enforce == "1" and not (ok_ms and ok_rss) else 0)
PY
