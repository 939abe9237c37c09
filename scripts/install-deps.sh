#!/usr/bin/env bash
# Installs every Debian package ferry needs to build and test. Idempotent: it only calls apt-get
# when a package is missing, so `make test` can run it every time at no cost.
set -euo pipefail

packages=(
  cmake ninja-build g++ clang libclang-rt-14-dev make python3
  tao-pegtl-dev libtomlplusplus-dev nlohmann-json3-dev libspdlog-dev
  libcurl4-openssl-dev libssl-dev libmimalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  etcd-server etcd-client openssl jq time tmux procps
  zsh fish  # tests/cli/completion_test.sh runs each shell on its own completion script
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The AWS tests run a Node.js S3 server (tests/s3, via npm ci) and compare with botocore; the
# report test reads its Gantt charts with the real Mermaid parser (tests/mermaid, via npm ci). A
# nodejs from elsewhere that brings its own npm, or a botocore from pip, will do as well.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
python3 -c 'import botocore' 2>/dev/null || missing+=(python3-botocore)
# The sandbox (tests/sandbox) drives the real kubectl: the machine image ships it (package kubectl,
# a dispatcher over kubectl 1.27-1.33, from a repository apt cannot reach here); Debian's own
# kubernetes-client is 1.20, too old for exec over WebSocket, so it is no substitute.
command -v kubectl >/dev/null 2>&1 || echo "install-deps: warning: kubectl not found; the sandbox tests will skip" >&2
((${#missing[@]} == 0)) && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
((EUID == 0)) || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
