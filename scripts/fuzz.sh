#!/usr/bin/env bash
# Fuzzes the .ferry parser and printer with libFuzzer (tests/fuzz/ferry_parser_fuzz.cc).
#
#   scripts/fuzz.sh [BUILD_DIR] [SECONDS]      (defaults: build-fuzz 60)
#
# Configures BUILD_DIR with clang and -DFERRY_FUZZ=ON, builds only the fuzz target, replays every
# input in tests/fuzz/regressions/ (inputs that once crashed), then fuzzes for SECONDS seeded
# with every .ferry file of the tree. Exits non-zero on any crash, sanitizer report, timeout or
# out-of-memory; the input is then in BUILD_DIR/fuzz-artifacts/. Corpus and logs stay in
# BUILD_DIR, never in the source tree.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-build-fuzz}"
seconds="${2:-60}"
jobs="${JOBS:-2}"
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
cmake --build "$build" --target ferry_parser_fuzz -j"$jobs"

fuzzer="$(find "$build" -type f -name ferry_parser_fuzz -perm -u+x | head -n1)"
[[ -n "$fuzzer" ]] || { echo "fuzz.sh: ferry_parser_fuzz was not built" >&2; exit 1; }
fuzzer="$(cd "$(dirname "$fuzzer")" && pwd)/ferry_parser_fuzz"
build="$(cd "$build" && pwd)"

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# 1. Regressions: inputs that crashed once must not crash again.
regressions=()
if [[ -d "$root/tests/fuzz/regressions" ]]; then
  while IFS= read -r -d '' f; do regressions+=("$f"); done \
    < <(find "$root/tests/fuzz/regressions" -type f ! -name '*.md' ! -name '.*' -print0 | sort -z)
fi
if ((${#regressions[@]} > 0)); then
  echo "fuzz.sh: replaying ${#regressions[@]} regression input(s) from tests/fuzz/regressions"
  if ! "$fuzzer" "${regressions[@]}" >"$build/fuzz-regressions.log" 2>&1; then
    tail -n 60 "$build/fuzz-regressions.log" >&2
    echo "fuzz.sh: FAILED: a regression input crashes again (log: $build/fuzz-regressions.log)" >&2
    exit 1
  fi
  echo "fuzz.sh: regressions pass"
fi

# 2. Seeds: every .ferry file of the tree, plus a small plan that uses most of the language.
seeds="$build/fuzz-seeds"
corpus="$build/fuzz-corpus"
artifacts="$build/fuzz-artifacts"
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus" "$artifacts"
n=0
while IFS= read -r -d '' f; do
  rel="${f#"$root"/}"
  cp "$f" "$seeds/${rel//\//__}"
  n=$((n + 1))
done < <(find "$root/plans" "$root/stdlib" "$root/tests" -type f -name '*.ferry' -print0 2>/dev/null)
cat >"$seeds/builtin__sample.ferry" <<'FERRY'
# A sample plan.
plan "sample" {
  description = "fuzz seed"
  on_failure = "rollback"
  retry { attempts = 3, backoff = { kind = "constant", interval = "5s" } }
  use "hypershift"
  param bucket : string = "b"  # trailing
  param token : secret string
  param mode : enum("fast", "safe") = "safe"
  param pods : list(string) = ["etcd-0", "etcd-1"]
  cluster source { kubeconfig = "/k" }
  let keys = ["a", "b"]
  let n = length(keys) > 1 && !false || null == 1 ? -3 : 4
  template backup(key : string, ns = "ns") {
    step snap = snapshot { cluster = source  namespace = ns  pod = key }
    step put = upload { from = snap  to = "s3://${bucket}/${key}/$${literal}\$\n\t\"" }
    step url = presign { url = put.url }
  }
  phase one {
    description = "first"
    for k in keys {
      step b[k] = backup(key = k)
      when k != "a" {
        let m = { x = 1, "y z" = [1, 2] }
        step s[k] = shell {
          argv = ["echo", "${m.x}", pods[0]]
          rollback {
            step undo = noop {}
          }
        }
      }
    }
    step done = noop { after = [b] }
  }
}
FERRY
echo "fuzz.sh: seeded $((n + 1)) input(s) ($n .ferry file(s) from plans/, stdlib/, tests/)"

# 3. Fuzz.
log="$build/fuzz.log"
echo "fuzz.sh: fuzzing for ${seconds}s (log: $log)"
status=0
"$fuzzer" "$corpus" "$seeds" \
  -dict="$root/tests/fuzz/ferry.dict" \
  -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1 || status=$?

grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)' "$log" | tail -n 2 || true
grep -E '^(stat::|Done )' "$log" || true
if ((status != 0)); then
  echo "----- end of $log -----" >&2
  tail -n 80 "$log" >&2
  echo "fuzz.sh: FAILED (exit $status); the input is in $artifacts/:" >&2
  ls -t "$artifacts" | head -n 5 | sed "s|^|  $artifacts/|" >&2
  echo "fuzz.sh: reproduce with: $fuzzer <input>; keep it in tests/fuzz/regressions/ once fixed" >&2
  exit "$status"
fi
echo "fuzz.sh: ok: no crash in ${seconds}s; corpus: $(find "$corpus" -type f | wc -l) input(s) in $corpus"
