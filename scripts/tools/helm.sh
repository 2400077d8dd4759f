#!/usr/bin/env bash
# Installs the pinned helm into the bin dir given as $1 (default .cache/bin), built from the
# Go module (no GitHub release download needed). Skipped when the pinned version is there.
set -euo pipefail
version="v3.19.5"
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-$root/.cache/bin}"
mkdir -p "$bin"
if [ -x "$bin/helm" ] && "$bin/helm" version --template '{{.Version}}' 2>/dev/null | grep -qx "$version"; then
  exit 0
fi
command -v go >/dev/null || { echo "tools/helm: go is required to build helm $version" >&2; exit 1; }
echo "tools/helm: building helm $version (first run takes a few minutes)"
# The version ldflag makes `helm version` report the pin instead of "v3.x-dev".
GOBIN="$bin" GOFLAGS=-mod=mod CGO_ENABLED=0 go install \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version" \
  "helm.sh/helm/v3/cmd/helm@$version"
