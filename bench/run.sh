#!/usr/bin/env bash
# Runs every benchmark script in bench/ (each prints its own figures). Benchmarks are
# printed figures, not tests: they assert nothing about time.
#   bash bench/run.sh            # all
#   bash bench/run.sh s3-sync    # only scripts whose name contains "s3-sync"
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup-python.sh >/dev/null
filter="${1:-}"
status=0
for script in bench/*.ts; do
  [ -e "$script" ] || continue
  case "$(basename "$script")" in *.test.ts) continue ;; esac
  if [ -n "$filter" ] && [[ "$script" != *"$filter"* ]]; then continue; fi
  echo "=== $script"
  if ! npx tsx "$script"; then
    echo "!!! $script failed" >&2
    status=1
  fi
done
exit $status
