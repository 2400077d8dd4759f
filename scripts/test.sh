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
mkdir -p .cache
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.cache/vitest-results.json "$@" || status=$?
# One plain closing line, whatever the runner printed above.
node -e '
  const r = JSON.parse(require("fs").readFileSync(".cache/vitest-results.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit $status
