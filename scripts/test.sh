#!/usr/bin/env bash
# The whole test suite: lint and types, unit tests, integration tests against the real parts
# (git, moto S3, Airflow 2 and 3, PostgreSQL, local GitHub and MWAA servers, helm).
# Everything the tests need is installed by the project's own scripts and cached in .cache/.
# When the machine's Node is not 22, the unit tests run under the pinned Node 22 LTS
# (scripts/setup-node22.sh), the version the image and `engines` target, and the integration
# tests (which load the same sources) under the machine's Node: each project runs once.
#
# Lint and the Node 22 unit run go alongside vitest (each into its own log, printed after
# it): the integration files spend much of their time waiting on other processes, so the
# two cores have room for them. Each phase's time is printed, then the total (the target is
# 5 minutes on 2 cores with the caches in .cache/ present).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
declare -A took=()
phase_start() { eval "phase_$1=\$(date +%s)"; }
phase_end() { local v="phase_$1"; took[$1]=$(( $(date +%s) - ${!v} )); }
fmt() { echo "$(($1 / 60))m $(($1 % 60))s"; }
# How long each phase and the whole run took, printed last whatever happened.
report_duration() {
  local total=$(( $(date +%s) - started )) line="" p
  for p in setup lint vitest node22; do
    [ -n "${took[$p]:-}" ] && line+="$p $(fmt "${took[$p]}"), "
  done
  echo "phases: ${line%, }"
  echo "npm test took $(fmt "$total")"
}
trap report_duration EXIT

phase_start setup
[ -d node_modules ] || npm ci
# The setup scripts run at once: each writes only its own part (.cache/uv and .cache/venvs;
# the system's PostgreSQL package; .cache/bin and .cache/tool-venvs; .cache/node22) and is a
# no-op when that is in place, so on a clean clone the downloads and builds overlap. Each
# one's output goes to its own log, printed in a fixed order once all are done; the run stops
# if one failed. Node 22 is optional: without it the unit tests run under the machine's Node.
setups=(python postgres tools)
if [ "$#" -eq 0 ] && [ "$(node -p 'process.versions.node.split(".")[0]')" != 22 ]; then
  setups+=(node22)
fi
setup_logs=$(mktemp -d)
declare -A setup_pid=()
for s in "${setups[@]}"; do
  if [ "$s" = node22 ]; then # prints the binary's path on stdout
    bash scripts/setup-node22.sh >"$setup_logs/node22.path" 2>"$setup_logs/node22.log" &
  else
    bash "scripts/setup-$s.sh" >"$setup_logs/$s.log" 2>&1 &
  fi
  setup_pid[$s]=$!
done
node22="" setup_failed=""
for s in "${setups[@]}"; do
  rc=0
  wait "${setup_pid[$s]}" || rc=$?
  cat "$setup_logs/$s.log"
  if [ "$s" = node22 ]; then
    if [ "$rc" = 0 ]; then node22="$(cat "$setup_logs/node22.path")"
    else echo "setup-node22 failed (exit $rc): the unit tests run under Node $(node --version)"; fi
  elif [ "$rc" != 0 ]; then
    echo "setup-$s failed (exit $rc), its output above"
    setup_failed+=" $s"
  fi
done
rm -rf "$setup_logs"
phase_end setup
[ -z "$setup_failed" ] || { echo "setup failed:$setup_failed"; exit 1; }

mkdir -p .cache
logs=$(mktemp -d)
rm -f .cache/vitest-results.json .cache/vitest-results-node22.json
status=0

# Lint (biome, then tsc: `npm run lint`, with tsc incremental, its state kept in .cache/tsc so
# a run with the caches present re-checks only what changed) in the background.
( start=$(date +%s); rc=0
  { npx biome check . &&
    npx tsc -p tsconfig.json --noEmit --incremental --tsBuildInfoFile .cache/tsc/tsconfig.tsbuildinfo; } \
    >"$logs/lint.log" 2>&1 || rc=$?
  echo "$rc $(( $(date +%s) - start ))" >"$logs/lint.done" ) &
lint_pid=$!
# The unit tests under Node 22, in the background.
node22_pid=""
if [ -n "$node22" ]; then
  ( start=$(date +%s); rc=0
    "$node22" node_modules/vitest/vitest.mjs run --project unit --reporter=default --reporter=json \
      --outputFile.json=.cache/vitest-results-node22.json >"$logs/node22.log" 2>&1 || rc=$?
    echo "$rc $(( $(date +%s) - start ))" >"$logs/node22.done" ) &
  node22_pid=$!
fi

phase_start vitest
# With Node 22 at hand the unit project is its run; else vitest runs both projects here.
only=()
[ -n "$node22_pid" ] && only=(--project integration)
npx vitest run ${only[@]+"${only[@]}"} --reporter=default --reporter=json --outputFile.json=.cache/vitest-results.json "$@" ||
  status=$?
phase_end vitest

wait "$lint_pid" || true
echo "== lint (biome, tsc) =="
cat "$logs/lint.log"
read -r rc secs <"$logs/lint.done" || { rc=1; secs=0; }
took[lint]=$secs
[ "$rc" = 0 ] || { echo "lint failed"; status=1; }
if [ -n "$node22_pid" ]; then
  wait "$node22_pid" || true
  echo "== unit tests under Node $("$node22" --version) =="
  cat "$logs/node22.log"
  read -r rc secs <"$logs/node22.done" || { rc=1; secs=0; }
  took[node22]=$secs
  [ "$rc" = 0 ] || status=1
fi
rm -rf "$logs"

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
