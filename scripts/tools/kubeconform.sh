#!/usr/bin/env bash
# Installs the pinned kubeconform into the bin dir given as $1 (default .cache/bin), built from
# the Go module. The chart tests feed it JSON schemas generated from the pinned
# `kubernetes-models` npm package (see test/helm/k8s-schemas.ts), so it runs fully offline.
set -euo pipefail
version="v0.6.7"
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-$root/.cache/bin}"
mkdir -p "$bin"
stamp="$bin/.kubeconform-version"
if [ -x "$bin/kubeconform" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ]; then
  exit 0
fi
command -v go >/dev/null || { echo "tools/kubeconform: go is required to build kubeconform $version" >&2; exit 1; }
echo "tools/kubeconform: building kubeconform $version"
GOBIN="$bin" CGO_ENABLED=0 go install -ldflags "-s -w" "github.com/yannh/kubeconform/cmd/kubeconform@$version"
echo "$version" > "$stamp"
