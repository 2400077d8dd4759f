#!/usr/bin/env bash
# Installs pinned non-Python, non-npm test tools into .cache/bin (helm, kubeconform, ...).
# Each tool is skipped when the pinned version is already there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$root/.cache/bin"
for installer in "$root"/scripts/tools/*.sh; do
  [ -e "$installer" ] || continue
  bash "$installer" "$root/.cache/bin"
done
