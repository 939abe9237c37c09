#!/usr/bin/env bash
# docs/tutorial-migrate.md, run as a reader would: every `$ COMMAND` line of its ```sh blocks, in
# order, in one shell, from a directory laid out like the checkout's top (plans/ is there), with
# `make sandbox` / `make sandbox-stop` run as the Makefile runs them (scripts/sandbox.sh, with the
# ferry under test). Each command must succeed, and what the page says happened must have.
#
#   tutorial_test.sh FERRY SOURCE_DIR
set -u
ferry=$(realpath "$1")
src=$(realpath "$2")
work=$(mktemp -d)
trap '"$src/scripts/sandbox.sh" down "$work/.sandbox" >/dev/null 2>&1; rm -rf "$work"' EXIT
source "$src/tests/lib/assert.sh"
cd "$work"
ln -s "$src/plans" plans
build=$(dirname "$(dirname "$ferry")")

# The page's commands, one a line.
mapfile -t commands < <(awk '/^```sh$/ { on = 1; next } /^```/ { on = 0 } on && /^\$ / { print substr($0, 3) }' \
  "$src/docs/tutorial-migrate.md")
check tutorial-has-commands [ "${#commands[@]}" -ge 10 ]

# One shell for all of them (the page sources an env file), each command's output kept apart.
script=$work/tutorial.sh
{
  echo "set -u"
  for i in "${!commands[@]}"; do
    c=${commands[$i]}
    case "$c" in
      "make sandbox") c="BUILD='$build' '$src/scripts/sandbox.sh' up .sandbox" ;;
      "make sandbox-stop") c="'$src/scripts/sandbox.sh' down .sandbox" ;;
    esac
    printf '{ %s; } >%q 2>&1 || { echo "command %d failed: %s" >&2; cat %q >&2; exit 1; }\n' \
      "$c" "$work/out.$i" "$i" "${commands[$i]}" "$work/out.$i"
  done
} >"$script"
expect tutorial-runs 0 bash "$script"

output_of() {  # output_of COMMAND: what the page's command printed
  local i
  for i in "${!commands[@]}"; do
    [[ ${commands[$i]} == "$1" ]] && { cat "$work/out.$i"; return; }
  done
  echo "no command '$1' on the page"
}
contains tutorial-check "ok: plan 'controlplane'" "$(output_of "ferry check plans/controlplane.ferry")"
contains tutorial-explain "wait: Wait until a condition holds" "$(output_of "ferry explain wait")"
check tutorial-graph-written test -s "$work/migrate.mmd"
check tutorial-plan-saved test -s "$work/migrate.plan"
contains tutorial-apply-done "done: every step succeeded" \
  "$(output_of "ferry apply migrate.plan --run-dir .ferry/runs/tutorial --yes")"
contains tutorial-status "succeeded" "$(output_of "ferry status .ferry/runs/tutorial")"
# Before: A has it, B nothing; after: B has it, A nothing (the page's order of the four reads).
reads=()
for i in "${!commands[@]}"; do
  [[ ${commands[$i]} == kubectl* ]] && reads+=("$(cat "$work/out.$i")")
done
check tutorial-four-reads [ "${#reads[@]}" = 4 ]
contains tutorial-before-on-a "jdoe-hosted" "${reads[0]:-}"
lacks tutorial-before-not-on-b "jdoe-hosted" "${reads[1]:-}"
contains tutorial-after-on-b "jdoe-hosted" "${reads[2]:-}"
lacks tutorial-after-not-on-a "jdoe-hosted" "${reads[3]:-}"
check tutorial-sandbox-stopped test ! -e "$work/.sandbox"
finish
