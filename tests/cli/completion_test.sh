#!/usr/bin/env bash
# `ferry completion`: the bash script driven through its completion function as bash would call
# it; the zsh and fish scripts checked by their shells when installed, and for naming every command.
# usage: completion_test.sh FERRY_BINARY SOURCE_DIR
set -u
ferry=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(cd "$(dirname "$0")" && pwd)/../lib/assert.sh"

commands=$("$ferry" help | sed -n '/^commands:/,/^$/p' | awk 'NF > 1 {print $1}')
expect completion-bash 0 "$ferry" completion bash
printf '%s\n' "$out" >"$work/ferry.bash"
expect completion-bad-shell 2 "$ferry" completion tcsh
contains completion-bad-shell "no completion for shell 'tcsh' (bash, zsh or fish)" "$err"
expect completion-no-shell 2 "$ferry" completion

# complete WORDS...: what bash offers for the last word (the one being completed), one a line,
# in $work as the current directory (where .ferry/runs/ is).
complete_words() {
  (cd "$work" && bash -c 'source ./ferry.bash; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ferry; printf "%s\n" "${COMPREPLY[@]}"' _ "$@")
}

check bash-syntax bash -n "$work/ferry.bash"
contains bash-command "apply" "$(complete_words ferry ap)"
lacks bash-command-only-matching "check" "$(complete_words ferry ap)"
contains bash-all-commands "completion" "$(complete_words ferry '')"
contains bash-option "--parallelism" "$(complete_words ferry apply --par)"
contains bash-option-help "--help" "$(complete_words ferry check --he)"
got=$(complete_words ferry diff a.ferry --output '')
check bash-output-values test "$got" = $'text\nmarkdown\njson'
got=$(complete_words ferry check plan.ferry --output '')
check bash-output-values-check test "$got" = $'text\njson'
check bash-explain test "$(complete_words ferry explain sc)" = scale
check bash-explain-s test "$(complete_words ferry explain s)" = $'scale\nsnapshot\ns3_check\nshell'
contains bash-help-command "rollback" "$(complete_words ferry help ro)"
check bash-completion-shells test "$(complete_words ferry completion '')" = $'bash\nzsh\nfish'
mkdir -p "$work/.ferry/runs/20261126T120000Z-controlplane" "$work/plans"
contains bash-status-runs ".ferry/runs/20261126T120000Z-controlplane" "$(complete_words ferry status '')"
contains bash-resume-runs ".ferry/runs/20261126T120000Z-controlplane" "$(complete_words ferry resume .ferry/runs/)"
contains bash-rollback-runs ".ferry/runs/20261126T120000Z-controlplane" "$(complete_words ferry rollback --yes '')"
contains bash-report-runs ".ferry/runs/20261126T120000Z-controlplane" "$(complete_words ferry report '')"
got=$(complete_words ferry report .ferry/runs/x --output '')
check bash-report-output-values test "$got" = $'markdown\nhtml\njson'
# A plan file where a plan goes, and a file after an option that takes one.
touch "$work/plans/pause.ferry"
contains bash-plan-file "plans/pause.ferry" "$(complete_words ferry check plans/p)"
contains bash-vars-file "plans/pause.ferry" "$(complete_words ferry check x.ferry --vars-file plans/)"
# The second positional of resume is a plan file, not a run directory.
contains bash-resume-plan "plans/pause.ferry" "$(complete_words ferry resume .ferry/runs/x plans/p)"

# zsh and fish: every command named; their own syntax check where the shell is installed.
for shell in zsh fish; do
  expect "completion-$shell" 0 "$ferry" completion "$shell"
  printf '%s\n' "$out" >"$work/ferry.$shell"
  for cmd in $commands; do contains "$shell-names-$cmd" "$cmd" "$out"; done
  contains "$shell-run-dirs" ".ferry/runs/" "$out"
  contains "$shell-step-types" "scale" "$out"
  if command -v "$shell" >/dev/null; then
    check "$shell-syntax" "$shell" -n "$work/ferry.$shell"
  else
    echo "($shell is not installed: its script's syntax is not checked)"
  fi
done
# Every command in each script, as a case of its own (not only as a word somewhere).
for cmd in $commands; do
  check "bash-case-$cmd" grep -q "^    $cmd)$" "$work/ferry.bash"
  check "zsh-case-$cmd" grep -q "^    $cmd)$" "$work/ferry.zsh"
  check "fish-case-$cmd" grep -q "__fish_seen_subcommand_from $cmd'" "$work/ferry.fish"
done

finish
