#!/usr/bin/env bash
# Upload throughput and memory: ferry vs `aws s3 cp` vs one presigned `curl -T`, same run, same
# local S3 server (s3rver, started by tests/s3/with_s3rver.py), files of 1 GiB and 4 GiB.
# Prints MB/s (10^6 bytes per second of wall time), peak RSS and CPU time from /usr/bin/time -v,
# the server's CPU time over the same upload, and ferry's ratios against `aws s3 cp`.
#
# usage: scripts/bench-s3.sh [FERRY] [SIZES_IN_MIB...]    (default: build/engine/ferry 1024 4096)
# Needs ~3x the largest size free under $TMPDIR (the file, and the server's copy).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ferry=$(realpath "${1:-$root/build/engine/ferry}")
shift || true
sizes=("$@")
((${#sizes[@]})) || sizes=(1024 4096)

if [[ -z "${FERRY_S3_ENDPOINT:-}" ]]; then
  exec python3 "$root/tests/s3/with_s3rver.py" "$0" "$ferry" "${sizes[@]}"
fi
for tool in /usr/bin/time aws curl; do
  command -v "$tool" >/dev/null || { echo "bench-s3: needs $tool" >&2; exit 2; }
done
[[ -x "$ferry" ]] || { echo "bench-s3: no ferry at $ferry (build it first)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
b=$FERRY_S3_BUCKET
ep=$FERRY_S3_ENDPOINT
export AWS_DEFAULT_REGION=us-east-1

# The server's CPU time (user + sys, in clock ticks) so far: s3rver is one Node.js process, and
# the figures below show when it, not the client, sets the pace.
server_pid=$(pgrep -f "tests/s3/s3rver.js" | head -n1 || true)
server_ticks() { [[ -n "$server_pid" ]] && awk '{ print $14 + $15 }' "/proc/$server_pid/stat" || echo 0; }
ticks_per_s=$(getconf CLK_TCK)

# measure NAME SIZE COMMAND...: runs it under /usr/bin/time -v, prints one row and keeps
# "NAME MB/s client-CPU-s RSS-MiB" in $tmp/rows for the ratios.
measure() {
  local name=$1 size=$2
  shift 2
  local before
  before=$(server_ticks)
  if ! /usr/bin/time -v -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err"; then
    echo "bench-s3: $name failed:" >&2
    cat "$tmp/err" >&2
    return 1
  fi
  local server=$(( $(server_ticks) - before ))
  local wall rss user sys
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp/time")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/time")
  user=$(awk -F': ' '/User time/ {print $2}' "$tmp/time")
  sys=$(awk -F': ' '/System time/ {print $2}' "$tmp/time")
  # h:mm:ss or m:ss.ss -> seconds
  local secs
  secs=$(awk -v t="$wall" 'BEGIN { n = split(t, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }')
  awk -v n="$name" -v b="$size" -v s="$secs" -v r="$rss" -v c="$(awk -v u="$user" -v y="$sys" 'BEGIN { print u + y }')" \
      -v srv="$server" -v hz="$ticks_per_s" -v rows="$tmp/rows" \
    'BEGIN { printf "  %-28s %7.1f s %8.1f MB/s %8.1f MiB RSS %7.2f s CPU %7.2f s server CPU (%3.0f%% of wall)\n",
             n, s, b / s / 1e6, r / 1024, c, srv / hz, 100 * srv / hz / s;
             printf "%s\t%f\t%f\t%f\n", n, b / s / 1e6, c, r / 1024 >> rows }'
}

# ratio A B: ferry's figures against a peer's, from the rows just measured.
ratio() {
  awk -F'\t' -v a="$1" -v b="$2" '$1 == a { fm = $2; fc = $3; fr = $4 } $1 == b { pm = $2; pc = $3; pr = $4 }
    END { printf "  %s vs %s: %.2fx the throughput, %.2fx less client CPU, %.2fx less peak RSS\n",
          a, b, fm / pm, pc / fc, pr / fr }' "$tmp/rows"
}

echo "bench-s3: $(nproc) cores; server s3rver at $ep; ferry $ferry; $(aws --version 2>&1 | cut -d' ' -f1)"
for mib in "${sizes[@]}"; do
  f="$tmp/file-$mib"
  # Incompressible bytes, quickly: AES-CTR of zeros.
  # (openssl dies of SIGPIPE when head has enough: not a failure.)
  { openssl enc -aes-128-ctr -pass pass:ferry-bench -nosalt -pbkdf2 </dev/zero 2>/dev/null || true; } |
    head -c "$((mib * 1024 * 1024))" >"$f"
  bytes=$(stat -c %s "$f")
  : >"$tmp/rows"
  echo "$mib MiB ($bytes bytes):"
  measure "ferry s3 cp" "$bytes" "$ferry" s3 cp "$f" "s3://$b/bench/ferry-$mib" --endpoint-url "$ep" --no-progress
  # Delete as we go, so the server's disk holds one copy at a time.
  rm -rf "$FERRY_S3_DATA/$b/bench"
  measure "aws s3 cp" "$bytes" aws s3 cp "$f" "s3://$b/bench/aws-$mib" --endpoint-url "$ep" --only-show-errors
  rm -rf "$FERRY_S3_DATA/$b/bench"
  url=$("$ferry" s3 presign "s3://$b/bench/curl-$mib" --method PUT --endpoint-url "$ep")
  measure "curl -T (one presigned PUT)" "$bytes" curl -sS -f -o /dev/null -T "$f" "$url"
  rm -rf "$FERRY_S3_DATA/$b/bench"
  rm -f "$f"
  ratio "ferry s3 cp" "aws s3 cp"
done
cat <<'NOTE'
s3rver spends more CPU per byte on a multipart upload than on one PUT (it writes each part, then
reads them all back to join them, hashing both times): when its CPU is near or above 100% of
wall, both multipart clients run at the server's pace, and the client CPU and RSS columns are
where they differ.
NOTE
