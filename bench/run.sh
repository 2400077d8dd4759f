#!/usr/bin/env bash
# Runs every benchmark script in bench/ (each prints its own figures). Benchmarks are
# printed figures, not tests: they assert nothing about time.
#   bash bench/run.sh              # all, at N = 100 / 1,000 / 5,000 configs where a script scales
#   BENCH_QUICK=1 bash bench/run.sh   # N = 100 only (a few minutes)
#   bash bench/run.sh s3-sync      # only scripts whose name contains "s3-sync"
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup-python.sh >/dev/null
filter="${1:-}"
status=0
seen=""
# The scaling figures first: S3 deploy cost, serve memory, DAG parse vs dag-factory, then
# the parse cost by grid size; the rest after.
ordered="bench/s3-sync.ts bench/serve-resources.ts bench/dag-parse.ts bench/dag-grid-size.ts"
for script in $ordered bench/*.ts; do
  [ -e "$script" ] || continue
  case "$(basename "$script")" in *.test.ts | build-cli.ts) continue ;; esac
  case " $seen " in *" $script "*) continue ;; esac
  seen="$seen $script"
  if [ -n "$filter" ] && [[ "$script" != *"$filter"* ]]; then continue; fi
  echo "=== $script"
  started=$SECONDS
  if ! npx tsx "$script"; then
    echo "!!! $script failed" >&2
    status=1
  fi
  echo "    ($script took $((SECONDS - started)) s)"
done
exit $status
