#!/usr/bin/env bash
# Executor benchmark: `ferry apply` of 10,000 noop steps in a wide-and-deep DAG (100 layers of
# 100 steps, each depending on two steps of the layer before), journal and all, on this disk.
# Prints the per-step overhead (apply time less the compile time of `ferry check`, per step;
# wall clock, and CPU time, which a busy shared machine disturbs less) and the peak RSS,
# against the goal of 20 µs per step. Median of 3 runs. Then the same DAG through the Executor
# in-process (tests/bench/executor_bench.cc), without the compile and the per-run writing of
# the plan: the engine's own cost per step.
#
#   scripts/bench-executor.sh [BUILD_DIR]
set -euo pipefail
build="${1:-build}"
ferry="$build/engine/ferry"
cmake --build "$build" --target ferry executor_bench -j"${JOBS:-2}" >/dev/null
[[ -x "$ferry" ]] || { echo "bench-executor.sh: $ferry not built (make build)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench-executor.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
layers=100 width=100
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

{
  echo 'plan "bench" {'
  echo '  phase all {'
  for ((l = 0; l < layers; ++l)); do
    for ((w = 0; w < width; ++w)); do
      if ((l == 0)); then
        echo "    step s${l}_$w = noop {}"
      else
        echo "    step s${l}_$w = noop { after = [s$((l - 1))_$w, s$((l - 1))_$(((w + 1) % width))] }"
      fi
    done
  done
  echo '  }'
  echo '}'
} >"$tmp/bench.ferry"
steps=$((layers * width))
"$ferry" check "$tmp/bench.ferry"

measure() {  # prints "wall_seconds cpu_seconds peak_kib" of one run of "$@"
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@" >/dev/null 2>&1
  awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$tmp/time"
}
median() { sort -n | sed -n 2p; }

check_runs=() apply_runs=() check_cpu=() apply_cpu=() rss_runs=()
for i in 1 2 3; do
  read -r wall cpu _ < <(measure "$ferry" check "$tmp/bench.ferry")
  check_runs+=("$wall")
  check_cpu+=("$cpu")
  rm -rf "$tmp/run"
  read -r wall cpu rss < <(measure "$ferry" apply "$tmp/bench.ferry" --run-dir "$tmp/run" --parallelism 4)
  apply_runs+=("$wall")
  apply_cpu+=("$cpu")
  rss_runs+=("$rss")
  grep -q '"result":"succeeded"' "$tmp/run/journal.jsonl" || { echo "bench-executor.sh: the run failed" >&2; exit 1; }
done
check=$(printf '%s\n' "${check_runs[@]}" | median)
apply=$(printf '%s\n' "${apply_runs[@]}" | median)
rss=$(printf '%s\n' "${rss_runs[@]}" | median)
check_c=$(printf '%s\n' "${check_cpu[@]}" | median)
apply_c=$(printf '%s\n' "${apply_cpu[@]}" | median)
events=$(wc -l <"$tmp/run/journal.jsonl")
awk -v a="$apply" -v c="$check" -v ac="$apply_c" -v cc="$check_c" -v n="$steps" -v r="$rss" -v e="$events" 'BEGIN {
  per = (a - c) / n * 1e6
  cpu = (ac - cc) / n * 1e6
  printf "steps:            %d noop (%d layers x %d), %d journal lines\n", n, '"$layers"', '"$width"', e
  printf "ferry check:      %.2f s (compile only)\n", c
  printf "ferry apply:      %.2f s (compile + run + journal)\n", a
  printf "per-step overhead: %.1f us wall, %.1f us CPU  (goal <= 20 us: %s)\n", per, cpu, per <= 20 ? "ok" : "MISSED"
  printf "peak RSS:         %.1f MiB\n", r / 1024
}'

"$build/tests/bench/executor_bench" --benchmark_format=json >"$tmp/exec.json" 2>/dev/null
python3 - "$tmp/exec.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))["benchmarks"][0]
per = 1e6 / b["items_per_second"]
print(f"executor only:    {per:.1f} us per step in-process, journal included (goal <= 20 us: {'ok' if per <= 20 else 'MISSED'})")
PY
