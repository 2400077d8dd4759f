#!/usr/bin/env bash
# A walkthrough of the user's day, narrated: a PR with a grid config gets a bot comment with
# the plan, a typo gets pointed at by line and column, the merge deploys to (local moto) S3,
# real Airflow imports the DAG through the MWAA fake, the deploy is reported on the merge
# commit, and the sweep's results come back to the PR; then `backtestctl results` on the
# bundled sample results. Everything runs on this machine; nothing reaches the cloud. The
# story is the user's-day e2e test (test/e2e/users-day.test.ts), which also checks every
# step it tells; the sample's output is checked by test/results/researcher-guide.test.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
echo "Preparing: Python virtualenvs with Airflow and moto (cached in .cache/ after the first run)..."
bash scripts/setup-python.sh >/dev/null
cat <<'INTRO'

backtest-gitops, a researcher's day
===================================
Started on this machine: a git remote for the config repository, a local GitHub API,
moto S3 as the MWAA DAG bucket, an MWAA stand-in whose CLI runs real Airflow 2.11, and
`backtestctl serve` as the controller. The bucket already holds one of our DAGs and two
files someone else wrote.
INTRO
# The in-process S3 client of the test would repeat the AWS SDK's Node-version notice (see src/cli/main.ts).
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
BACKTEST_GITOPS_DEMO=1 npx vitest run test/e2e/users-day.test.ts --reporter=dot --silent
cat <<'OUTRO'

The same report with no cloud, on the sample results bundled with the repository
(examples/results: the 9 runs of examples/backtests/grid_search.yaml; run 7 crashed and
left no metrics.json, so the command exits 1):

$ backtestctl results --from examples/results
OUTRO
status=0
npx tsx src/cli/main.ts results --from examples/results || status=$?
[ "$status" -le 1 ]
