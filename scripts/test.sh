#!/usr/bin/env bash
# The whole test suite: lint and types, then unit tests, then integration tests against
# the real parts (git, moto S3, Airflow 2 and 3, local GitHub and MWAA servers, helm).
# Everything the tests need is installed by the project's own scripts and cached in .cache/.
# When the machine's Node is not 22, the unit tests run a second time under the pinned
# Node 22 LTS (scripts/setup-node22.sh), the version the image and `engines` target.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
# How long the whole run took, printed last whatever happened (the target is 5 minutes on 2 cores).
report_duration() {
  local took=$(( $(date +%s) - started ))
  echo "npm test took $((took / 60))m $((took % 60))s"
}
trap report_duration EXIT
[ -d node_modules ] || npm ci
bash scripts/setup-python.sh
bash scripts/setup-postgres.sh
bash scripts/setup-tools.sh
npm run --silent lint
mkdir -p .cache
rm -f .cache/vitest-results.json .cache/vitest-results-node22.json
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.cache/vitest-results.json "$@" || status=$?
if [ "$#" -eq 0 ] && [ "$(node -p 'process.versions.node.split(".")[0]')" != 22 ]; then
  if node22="$(bash scripts/setup-node22.sh)"; then
    echo "== unit tests again under Node $("$node22" --version) =="
    "$node22" node_modules/vitest/vitest.mjs run --project unit --reporter=default --reporter=json \
      --outputFile.json=.cache/vitest-results-node22.json || status=$?
  fi
fi
# One plain closing line for every run above, whatever the runners printed.
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of [".cache/vitest-results.json", ".cache/vitest-results-node22.json"]) {
    if (!fs.existsSync(f)) continue;
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit $status
