#!/usr/bin/env bash
# Runs every libFuzzer target of tests/fuzz/ (its CMakeLists.txt says what each one reads).
#
#   scripts/fuzz.sh [BUILD_DIR] [SECONDS]      (defaults: build-fuzz 60)
#   FUZZ_TARGETS="journal_fuzz vars_file_fuzz" scripts/fuzz.sh   (only these)
#
# Configures BUILD_DIR with clang and -DFERRY_FUZZ=ON and builds only the fuzz targets. Then for
# each target in turn: replays every input in tests/fuzz/regressions/TARGET/ (inputs that once
# failed), and fuzzes for SECONDS seeded with the inputs of its kind in the tree (.ferry, .toml,
# vars files) and tests/fuzz/seeds/TARGET/. Exits non-zero if any target finds a crash, sanitizer
# report, timeout or out-of-memory; the input is then in BUILD_DIR/fuzz/TARGET/artifacts/. Each
# target's runs and time are printed at the end. Corpus and logs stay in BUILD_DIR/fuzz/, never
# in the source tree.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-build-fuzz}"
seconds="${2:-60}"
jobs="${JOBS:-2}"
read -r -a targets <<<"${FUZZ_TARGETS:-ferry_parser_fuzz toml_loader_fuzz vars_file_fuzz journal_fuzz saved_plan_fuzz pipeline_fuzz report_fuzz jsonpath_fuzz}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 2; }

cxx="${FUZZ_CXX:-clang++}"
command -v "$cxx" >/dev/null || { echo "fuzz.sh: $cxx not found (scripts/install-deps.sh installs clang)" >&2; exit 2; }

# A build dir configured with another compiler cannot be switched to clang in place.
if [[ -f "$build/CMakeCache.txt" ]] && ! grep -q '^FERRY_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  echo "fuzz.sh: $build is a non-fuzz build directory; use a separate one (e.g. build-fuzz)" >&2
  exit 2
fi

echo "fuzz.sh: configuring $build"
cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 \
  -DFERRY_FUZZ=ON -DFERRY_BENCHMARKS=OFF -DFERRY_SANITIZE=OFF -DBUILD_TESTING=ON >/dev/null
cmake --build "$build" --target "${targets[@]}" -j"$jobs"
build="$(cd "$build" && pwd)"

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Copies each file found under the tree's `dirs` with a name matching one of `patterns` into
# directory $1, named after its path.
copy_seeds() {
  local into=$1 dirs=$2
  shift 2
  local args=() f rel
  for p in "$@"; do args+=(${args[@]:+-o} -name "$p"); done
  while IFS= read -r -d '' f; do
    rel="${f#"$root"/}"
    cp "$f" "$into/${rel//\//__}"
  done < <(cd "$root" && find $dirs -type f \( "${args[@]}" \) -print0 2>/dev/null | sed -z "s|^|$root/|")
}

# The seeds of each target: inputs of its kind from the tree, and tests/fuzz/seeds/TARGET/.
seed() {
  local target=$1 into=$2
  case "$target" in
    ferry_parser_fuzz | pipeline_fuzz) copy_seeds "$into" "plans stdlib tests" '*.ferry' ;;
    toml_loader_fuzz) copy_seeds "$into" "plans stdlib tests" '*.toml' ;;
    vars_file_fuzz) copy_seeds "$into" "plans tests" '*.env' '*.vars' 'vars' ;;
    report_fuzz) cp "$root/tests/fuzz/seeds/journal_fuzz"/* "$into"/ ;;  # journals, as `report` reads them
  esac
  if [[ -d "$root/tests/fuzz/seeds/$target" ]]; then
    cp "$root/tests/fuzz/seeds/$target"/* "$into"/ 2>/dev/null || true
  fi
}

failed=()
summary=()
for target in "${targets[@]}"; do
  fuzzer="$build/tests/fuzz/$target"
  [[ -x "$fuzzer" ]] || { echo "fuzz.sh: $target was not built" >&2; exit 1; }
  work="$build/fuzz/$target"
  seeds="$work/seeds" corpus="$work/corpus" artifacts="$work/artifacts"
  rm -rf "$seeds"
  mkdir -p "$seeds" "$corpus" "$artifacts"

  # 1. Regressions: inputs that crashed once must not crash again.
  regressions=()
  if [[ -d "$root/tests/fuzz/regressions/$target" ]]; then
    while IFS= read -r -d '' f; do regressions+=("$f"); done \
      < <(find "$root/tests/fuzz/regressions/$target" -type f ! -name '*.md' ! -name '.*' -print0 | sort -z)
  fi
  if ((${#regressions[@]} > 0)); then
    if ! "$fuzzer" "${regressions[@]}" </dev/null >"$work/regressions.log" 2>&1; then
      tail -n 60 "$work/regressions.log" >&2
      echo "fuzz.sh: $target: FAILED: a regression input fails again (log: $work/regressions.log)" >&2
      failed+=("$target")
      continue
    fi
  fi

  # 2. Seeds, then 3. fuzz.
  seed "$target" "$seeds"
  max_len=4096
  extra=()
  case "$target" in
    ferry_parser_fuzz | pipeline_fuzz) extra=(-dict="$root/tests/fuzz/ferry.dict") ;;
  esac
  case "$target" in
    pipeline_fuzz | journal_fuzz | saved_plan_fuzz | report_fuzz) max_len=8192 ;;
  esac
  log="$work/fuzz.log"
  echo "fuzz.sh: $target: ${#regressions[@]} regression(s) pass; $(find "$seeds" -type f | wc -l) seed(s); fuzzing for ${seconds}s"
  status=0
  start=$SECONDS
  "$fuzzer" "$corpus" "$seeds" "${extra[@]}" \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 </dev/null >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  summary+=("$(printf '%-18s %10s runs in %3ss, corpus %s' "$target" "${runs:-?}" "$((SECONDS - start))" \
    "$(find "$corpus" -type f | wc -l)")")
  if ((status != 0)); then
    echo "----- end of $log -----" >&2
    tail -n 80 "$log" >&2
    echo "fuzz.sh: $target: FAILED (exit $status); the input is in $artifacts/:" >&2
    ls -t "$artifacts" | head -n 5 | sed "s|^|  $artifacts/|" >&2
    echo "fuzz.sh: reproduce with: $fuzzer <input>; keep it in tests/fuzz/regressions/$target/ once fixed" >&2
    failed+=("$target")
  fi
done

printf 'fuzz.sh: %s\n' "${summary[@]}"
if ((${#failed[@]} > 0)); then
  echo "fuzz.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: ok: no failure in ${#targets[@]} target(s), ${seconds}s each"
