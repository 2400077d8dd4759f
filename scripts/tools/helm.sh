#!/usr/bin/env bash
# Installs the pinned helm into the bin dir given as $1 (default .cache/bin), built from the
# Go module (no GitHub release download needed). Skipped when the pinned version is there.
set -euo pipefail
version="v3.19.5"
# The Kubernetes version helm assumes offline (`helm template`, lint deprecation rules); the
# release build sets it from its k8s.io modules (0.34 for helm 3.19), go install does not.
k8s_minor="34"
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-$root/.cache/bin}"
mkdir -p "$bin"
stamp="$bin/.helm-version"
if [ -x "$bin/helm" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version k8s-1.$k8s_minor" ]; then
  exit 0
fi
command -v go >/dev/null || { echo "tools/helm: go is required to build helm $version" >&2; exit 1; }
echo "tools/helm: building helm $version (first run takes a few minutes)"
# The version ldflag makes `helm version` report the pin instead of "v3.x-dev".
GOBIN="$bin" GOFLAGS=-mod=mod CGO_ENABLED=0 go install \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$k8s_minor \
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$k8s_minor" \
  "helm.sh/helm/v3/cmd/helm@$version"
echo "$version k8s-1.$k8s_minor" > "$stamp"
