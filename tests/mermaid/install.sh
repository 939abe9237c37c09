#!/usr/bin/env bash
# Installs the Mermaid parser (mermaid and jsdom, from the committed lockfile) into
# tests/mermaid/node_modules when it is missing or older than the lockfile. Tests run in
# parallel (ctest -j) share it: one installs, the others wait.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec 9>"$here/.install.lock"
flock 9
marker=$here/node_modules/.package-lock.json
if [[ ! -f $marker || $marker -ot $here/package-lock.json ]]; then
  echo "mermaid: npm ci (installing mermaid and jsdom from the lockfile)" >&2
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
