#!/usr/bin/env bash
# `ferry completion`: the bash script driven through its completion function as bash would call
# it, the fish script through fish's own `complete -C`; the zsh script loaded by zsh's compinit;
# all three for naming every command.
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

# zsh and fish (scripts/install-deps.sh installs both): every command named, each script checked
# by its own shell.
for shell in zsh fish; do
  expect "completion-$shell" 0 "$ferry" completion "$shell"
  printf '%s\n' "$out" >"$work/ferry.$shell"
  for cmd in $commands; do contains "$shell-names-$cmd" "$cmd" "$out"; done
  contains "$shell-run-dirs" ".ferry/runs/" "$out"
  contains "$shell-step-types" "scale" "$out"
  check "$shell-syntax" "$shell" -n "$work/ferry.$shell"
done
# zsh: the script loads under compinit and defines its completion function.
check zsh-loads zsh -c "autoload -Uz compinit && compinit -u -d '$work/zcompdump' && source '$work/ferry.zsh' && whence -w _ferry"
# fish: what fish offers for a command line (`complete -C`), in $work as the current directory.
fish_words() { (cd "$work" && fish -c "source ./ferry.fish; complete -C '$1'" | cut -f1); }
contains fish-command "apply" "$(fish_words 'ferry ap')"
lacks fish-command-only-matching "check" "$(fish_words 'ferry ap')"
check fish-completion-shells test "$(fish_words 'ferry completion ' | sort | tr '\n' ' ')" = "bash fish zsh "
check fish-explain test "$(fish_words 'ferry explain sc')" = scale
contains fish-option "--parallelism" "$(fish_words 'ferry apply --par')"
# (fish offers names that start with a dot only once the word does, as for files)
contains fish-report-runs ".ferry/runs/20261126T120000Z-controlplane" "$(fish_words 'ferry report .f')"
# Every command in each script, as a case of its own (not only as a word somewhere).
for cmd in $commands; do
  check "bash-case-$cmd" grep -q "^    $cmd)$" "$work/ferry.bash"
  check "zsh-case-$cmd" grep -q "^    $cmd)$" "$work/ferry.zsh"
  check "fish-case-$cmd" grep -q "__fish_seen_subcommand_from $cmd'" "$work/ferry.fish"
done

finish
