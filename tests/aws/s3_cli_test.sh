#!/usr/bin/env bash
# `ferry s3 cp|presign|head|ls` end to end against s3rver (run under tests/s3/with_s3rver.py,
# which sets FERRY_S3_ENDPOINT, FERRY_S3_BUCKET and the server's credentials).
# usage: s3_cli_test.sh FERRY
set -euo pipefail
ferry=$1
ep=(--endpoint-url "$FERRY_S3_ENDPOINT")
b=$FERRY_S3_BUCKET
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() {  # check NAME COMMAND...: the command must succeed
  if "${@:2}"; then pass=$((pass + 1)); else echo "FAIL: $1"; fail=$((fail + 1)); fi
}

head -c 23000000 /dev/urandom > "$tmp/big"
head -c 1000 /dev/urandom > "$tmp/small"
want_big=$(sha256sum < "$tmp/big" | cut -c1-64)

out=$("$ferry" s3 cp "$tmp/big" "s3://$b/cli/big file.db" "${ep[@]}" --part-size 5242880 --parallelism 3 --output json)
check "cp up: multipart" grep -q '"parts": 5' <<<"$out"
check "cp up: sha256 is the file's" grep -q "\"sha256\": \"$want_big\"" <<<"$out"
out=$("$ferry" s3 cp "$tmp/small" "s3://$b/cli/" "${ep[@]}")
check "cp up to a prefix keeps the file name" grep -q "to s3://$b/cli/small (1000 B, one PUT" <<<"$out"
out=$(head -c 7000000 /dev/zero | "$ferry" s3 cp - "s3://$b/cli/from-stdin" "${ep[@]}" --part-size 5242880)
check "cp from stdin" grep -q "2 parts" <<<"$out"

out=$("$ferry" s3 head "s3://$b/cli/big file.db" "${ep[@]}" --output json)
check "head: size" grep -q '"size": 23000000' <<<"$out"

out=$("$ferry" s3 ls "s3://$b/cli/" "${ep[@]}")
check "ls lists three objects" test "$(wc -l <<<"$out")" -eq 3
check "ls shows size and key" grep -qE ' 23000000 cli/big file.db$' <<<"$out"

"$ferry" s3 cp "s3://$b/cli/big file.db" "$tmp/back" "${ep[@]}" >/dev/null
check "cp down: same bytes" test "$(sha256sum < "$tmp/back" | cut -c1-64)" = "$want_big"

url=$("$ferry" s3 presign "s3://$b/cli/big file.db" "${ep[@]}" --expires-in 300)
curl -sS -f -o "$tmp/curl-get" "$url"
check "presigned GET with curl" test "$(sha256sum < "$tmp/curl-get" | cut -c1-64)" = "$want_big"
url=$("$ferry" s3 presign "s3://$b/cli/put by curl" "${ep[@]}" --method PUT)
curl -sS -f -o /dev/null -T "$tmp/small" "$url"
out=$("$ferry" s3 head "s3://$b/cli/put by curl" "${ep[@]}" --output json)
check "presigned PUT with curl" grep -q '"size": 1000' <<<"$out"

# Failures: exit 1 with AWS's code for a request, 2 for usage and credentials; never a secret.
set +e
err=$(AWS_SECRET_ACCESS_KEY=wrong-secret-91c3 "$ferry" s3 head "s3://$b/cli/small" "${ep[@]}" 2>&1 >/dev/null); rc=$?
set -e
check "wrong secret: exit 1" test $rc -eq 1
check "wrong secret: named" grep -q "Forbidden (HTTP 403)" <<<"$err"
check "wrong secret: not printed" test "$(grep -c wrong-secret-91c3 <<<"$err")" -eq 0
err=$(AWS_SECRET_ACCESS_KEY=wrong-secret-91c3 "$ferry" s3 ls "s3://$b/" "${ep[@]}" 2>&1 >/dev/null) || true
check "wrong secret with a body: SignatureDoesNotMatch" grep -q "SignatureDoesNotMatch (HTTP 403)" <<<"$err"
set +e
err=$("$ferry" s3 head "s3://$b/cli/nope" "${ep[@]}" 2>&1); rc=$?
set -e
check "missing object: exit 1" test $rc -eq 1
check "missing object: says so" grep -q "s3://$b/cli/nope does not exist" <<<"$err"
set +e
err=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME="$tmp" "$ferry" s3 ls "s3://$b" "${ep[@]}" 2>&1); rc=$?
set -e
check "no credentials: exit 2" test $rc -eq 2
check "no credentials: where it looked" grep -q "$tmp/.aws/credentials does not exist" <<<"$err"
set +e
err=$("$ferry" s3 cp "$tmp/small" "$tmp/other" "${ep[@]}" 2>&1); rc=$?
set -e
check "cp between local paths: usage" test $rc -eq 2
set +e
err=$("$ferry" s3 mv a b 2>&1); rc=$?
set -e
check "unknown verb: usage" test $rc -eq 2

echo "s3 cli: $pass passed, $fail failed"
test $fail -eq 0
