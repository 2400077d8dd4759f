#!/usr/bin/env bash
# Walks a newcomer through the user's day, visibly: a PR with a grid config gets a bot
# comment with the plan, a typo gets pointed at by line and column, the merge deploys to
# (local moto) S3, real Airflow imports the DAG through the MWAA fake, and the deploy is
# reported on the merge commit. Everything runs on this machine; nothing reaches the cloud.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
bash scripts/setup-python.sh
BACKTEST_GITOPS_DEMO=1 npx vitest run test/e2e/users-day.test.ts --reporter verbose
