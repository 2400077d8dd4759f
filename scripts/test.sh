#!/usr/bin/env bash
# The whole test suite: lint and types, then unit tests, then integration tests against
# the real parts (git, moto S3, Airflow 2 and 3, local GitHub and MWAA servers, helm).
# Everything the tests need is installed by the project's own scripts and cached in .cache/.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
bash scripts/setup-python.sh
bash scripts/setup-tools.sh
npm run --silent lint
npx vitest run "$@"
