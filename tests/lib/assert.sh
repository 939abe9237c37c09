# Assertions for the shell tests of the ferry CLI. Source it after setting $work (a scratch
# directory); it counts into $passed and $failed, and `finish` prints the closing line
# ("N passed, N failed") and returns the status.

passed=0
failed=0
out=""
err=""

# expect NAME STATUS COMMAND...: runs COMMAND, keeps its stdout/stderr in $out/$err, and
# checks its exit status.
expect() {
  local name=$1 want=$2
  shift 2
  "$@" >"$work/.out" 2>"$work/.err"
  local got=$?
  out=$(cat "$work/.out")
  err=$(cat "$work/.err")
  if [[ $got == "$want" ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name: exit $got, wanted $want"
    echo "  stdout: ${out:0:1500}"
    echo "  stderr: ${err:0:1500}"
  fi
}

# contains NAME TEXT HAYSTACK
contains() {
  if [[ $3 == *"$2"* ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $1: output does not contain '$2'"
    echo "  got: ${3:0:${ASSERT_GOT_CHARS:-1500}}"
  fi
}

# lacks NAME TEXT HAYSTACK
lacks() {
  if [[ $3 != *"$2"* ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $1: output contains '$2'"
  fi
}

# check NAME COMMAND...: passes if COMMAND exits 0 (a test of files, a python check, ...).
check() {
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name: $*"
  fi
}

finish() {
  echo "$passed passed, $failed failed"
  ((failed == 0))
}
