#!/usr/bin/env bash
# `ferry diff` end to end: exit statuses like diff(1), the output formats, colors, REV:path
# from a temporary git repository, and git difftool.
# usage: diff_cli_test.sh FERRY_BINARY SOURCE_DIR
set -u
ferry=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")  # absolute: the test changes directory
src=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=/home/jdoe USER=jdoe
unset NO_COLOR
# Temporary copies of REV:path plans go here, so the test can check they are cleaned up.
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"
# shellcheck source=../lib/assert.sh
source "$src/tests/lib/assert.sh"

vars=(--vars-file "$src/plans/example.env")
cp=$src/plans/controlplane.ferry
np=$src/plans/controlplane-nodepool.ferry

# Usage.
expect help 0 "$ferry" diff --help
contains help "usage: ferry diff OLD NEW" "$out"
expect one-arg 2 "$ferry" diff "$cp"
expect three-args 2 "$ferry" diff "$cp" "$cp" "$cp"
expect bad-output 2 "$ferry" diff "$cp" "$np" --output yaml
contains bad-output "'text', 'markdown' or 'json'" "$err"
expect missing-file 2 "$ferry" diff "$cp" "$work/nope.ferry" "${vars[@]}"
contains missing-file "no such file" "$err"

# A plan and its TOML twin: no difference.
expect twin 0 "$ferry" diff "$cp" "$src/plans/controlplane.toml" "${vars[@]}"
contains twin "no semantic difference" "$out"

# The two stock plans: the NodePool variant adds steps, params and deletes.
expect stock 1 "$ferry" diff "$cp" "$np" "${vars[@]}"
contains stock "+ restored.restored_nodepools (restore, phase restore, from template hypershift.restore)" "$out"
contains stock "+ nodepools: list(string) = [\"jdoe-hosted-workers\"]" "$out"
contains stock "! new destructive step 'removed.apart.pools' (delete, from template hypershift.take_apart)" "$out"
lacks stock "$(printf '\033[')" "$out"  # not a terminal: no colors
expect stock-markdown 1 "$ferry" diff "$cp" "$np" "${vars[@]}" --output markdown
contains stock-markdown "<summary>Details</summary>" "$out"
contains stock-markdown "| + | \`restored.restored_nodepools\` | restore | restore |" "$out"
expect stock-json 1 "$ferry" diff "$cp" "$np" "${vars[@]}" --output json
contains stock-json '"ferry_diff": 2' "$out"
contains stock-json '"equal": false' "$out"
contains stock-json '"kind": "destructive_added"' "$out"
# A --var for a param only the new plan has is not an error for the old one.
expect var-one-side 1 "$ferry" diff "$cp" "$np" "${vars[@]}" --var nodepools=a,b
contains var-one-side "+ nodepools: list(string) (value [\"a\",\"b\"])" "$out"

# Colors on a terminal, and NO_COLOR turns them off.
if command -v script >/dev/null; then
  tty_out=$(script -qec "'$ferry' diff '$cp' '$np' --vars-file '$src/plans/example.env'" /dev/null)
  contains color "$(printf '\033[1;31m!')" "$tty_out"
  tty_out=$(NO_COLOR=1 script -qec "'$ferry' diff '$cp' '$np' --vars-file '$src/plans/example.env'" /dev/null)
  lacks no-color "$(printf '\033[')" "$tty_out"
fi

# A side that does not compile: its errors as `ferry check` prints them, exit 2.
printf 'plan "x" {\n  phase p {\n    step s = nope {}\n  }\n}\n' >"$work/broken.ferry"
expect broken 2 "$ferry" diff "$cp" "$work/broken.ferry" "${vars[@]}"
contains broken "broken.ferry:3:14: error: unknown step type 'nope'" "$err"

# REV:path from git, relative to the current directory's repository.
repo=$work/repo
mkdir -p "$repo/plans"
git -C "$repo" init -q
git -C "$repo" config user.email test@example.invalid
git -C "$repo" config user.name test
printf 'plan "g" {\n  phase p {\n    step s = shell { argv = ["true"] }\n  }\n}\n' >"$repo/plans/g.ferry"
printf 'plan "g" {\n  phase p {\n    step s = nope {}\n  }\n}\n' >"$repo/plans/broken.ferry"
git -C "$repo" add plans
git -C "$repo" commit -qm one
# Same plan, reformatted: no difference against the committed one.
printf 'plan "g" { phase p { step s = shell { argv = ["true"] } } }\n' >"$repo/plans/g.ferry"
cd "$repo" || exit 2
expect git-same 0 "$ferry" diff HEAD:plans/g.ferry plans/g.ferry
contains git-same "HEAD:plans/g.ferry" "$out"
printf 'plan "g" {\n  phase p {\n    step s = shell { argv = ["false"] }\n  }\n}\n' >"$repo/plans/g.ferry"
expect git-changed 1 "$ferry" diff HEAD:plans/g.ferry plans/g.ferry --output markdown
contains git-changed "| \`args.argv[0]\` | \`\"true\"\` | \`\"false\"\` |" "$out"
expect git-both-sides 0 "$ferry" diff HEAD:plans/g.ferry HEAD:./plans/g.ferry
expect git-bad-rev 2 "$ferry" diff nosuchrev:plans/g.ferry plans/g.ferry
contains git-bad-rev "cannot read 'nosuchrev:plans/g.ferry' from git" "$err"
expect git-bad-path 2 "$ferry" diff HEAD:plans/missing.ferry plans/g.ferry
contains git-bad-path "cannot read 'HEAD:plans/missing.ferry' from git" "$err"
# A $TMPDIR that is not there: an error naming it, not an uncaught std::filesystem exception.
expect git-bad-tmpdir 2 env TMPDIR="$work/no-such-tmp" "$ferry" diff HEAD:plans/g.ferry plans/g.ferry
contains git-bad-tmpdir "cannot create a temporary directory for 'HEAD:plans/g.ferry' in \$TMPDIR" "$err"
expect git-not-a-plan 2 "$ferry" diff HEAD:plans plans/g.ferry
contains git-not-a-plan "neither a file nor REV:path of a .ferry or .toml plan" "$err"
expect git-broken 2 "$ferry" diff HEAD:plans/broken.ferry plans/g.ferry
contains git-broken "HEAD:plans/broken.ferry:3:14: error: unknown step type 'nope'" "$err"
lacks git-broken "$TMPDIR" "$err"
expect git-broken-json 2 "$ferry" diff HEAD:plans/broken.ferry plans/g.ferry --output json
contains git-broken-json '"file": "HEAD:plans/broken.ferry"' "$out"
# A module used by relative path is read from the same revision: its change shows, attributed.
mkdir -p "$repo/lib"
printf 'module "moves" {\n  template hello(word : string) {\n    step say = shell { argv = ["echo", word] }\n  }\n}\n' >"$repo/lib/moves.ferry"
printf 'plan "m" {\n  use "../lib/moves.ferry"\n  phase p {\n    step greet = moves.hello(word = "hi")\n  }\n}\n' >"$repo/plans/m.ferry"
git -C "$repo" add lib plans/m.ferry
git -C "$repo" commit -qm module
sed -i 's/"echo", word/"printf", word/' "$repo/lib/moves.ferry"
expect git-module 1 "$ferry" diff HEAD:plans/m.ferry plans/m.ferry
contains git-module '~ greet.say (shell, from template moves.hello)' "$out"
contains git-module 'args.argv[0]: "echo" → "printf"' "$out"
cd "$repo/plans" || exit 2
expect git-module-from-subdir 1 "$ferry" diff HEAD:./m.ferry m.ferry
contains git-module-from-subdir 'args.argv[0]: "echo" → "printf"' "$out"
cd "$repo" || exit 2
# git difftool hands ferry two temporary files named like the plan (so the surface is kept).
expect difftool 0 git difftool --no-prompt -x "'$ferry' diff" HEAD -- plans/g.ferry
contains difftool '~ s (shell)' "$out"
cd "$work" || exit 2
check temp-copies-removed test -z "$(find "$TMPDIR" -mindepth 1)"

finish
