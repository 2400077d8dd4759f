#!/usr/bin/env bash
# Makes sure Debian's PostgreSQL server programs are installed, for the tests that run
# Airflow on a real PostgreSQL metadata database (test/support/postgres.ts starts a
# throwaway server from them). A no-op when they are already there.
#   scripts/setup-postgres.sh
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  exit 0
fi
echo "setup-postgres: installing Debian's postgresql package"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq postgresql >/dev/null
