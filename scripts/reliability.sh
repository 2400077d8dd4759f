#!/usr/bin/env bash
# The reliability suite in full, with its figures: hostile configs, SIGKILLs during apply,
# 200 reconciles under injected S3 and GitHub faults, 2 controllers on one bucket, a
# 2,000-loop soak, and the PR-facing attacks (forged markers, the largest hostile PR,
# a webhook flood). CI runs the same tests shortened (npm test).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
bash scripts/setup-python.sh tools
export RELIABILITY_RECONCILES="${RELIABILITY_RECONCILES:-200}"
export SOAK_RECONCILES="${SOAK_RECONCILES:-2000}"
export HOSTILE_PR_CONFIGS="${HOSTILE_PR_CONFIGS:-1000}"
npx vitest run --reporter verbose \
  test/reliability/hostile-configs.test.ts \
  test/s3/crash.test.ts \
  test/s3/deploy-truth.test.ts \
  test/reliability/reconcile-faults.test.ts \
  test/reliability/soak.test.ts \
  test/github/forged-markers.test.ts \
  test/github/hostile-pr.test.ts \
  test/github/webhook-flood.test.ts
