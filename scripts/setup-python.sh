#!/usr/bin/env bash
# Creates the pinned Python virtualenvs the tests and benchmarks need, cached under
# .cache/ so a second run is a no-op. Lock files live in python/*.lock; each venv records
# the sha256 of the lock it was built from and is rebuilt only when that lock changes.
#   airflow2: apache-airflow 2.11.x (as MWAA offers it) + amazon provider + dag-factory (bench peer)
#   airflow3: apache-airflow 3.0.x + amazon provider
#   tools:    moto[server] (local S3 / Batch) and awscli (the `aws s3 sync` bench peer)
# The Airflow venvs also get python/postgres.lock (psycopg2), installed on top with its own
# recorded sha256, so changing it never rebuilds Airflow.
# Usage: scripts/setup-python.sh [airflow2|airflow3|tools ...]   (default: all)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.cache"
uv_version="0.9.7"
python="${PYTHON:-python3}"
mkdir -p "$cache/venvs"

if [ ! -x "$cache/uv/bin/uv" ] || ! "$cache/uv/bin/uv" --version | grep -q "$uv_version"; then
  echo "setup-python: installing uv $uv_version"
  rm -rf "$cache/uv"
  "$python" -m venv "$cache/uv"
  "$cache/uv/bin/pip" install --quiet --disable-pip-version-check "uv==$uv_version"
fi
uv="$cache/uv/bin/uv"

build_venv() {
  local name="$1" lock="$root/python/$1.lock" dir="$cache/venvs/$1"
  local want; want="$(sha256sum "$lock" | cut -d' ' -f1)"
  if [ -f "$dir/.lock-sha256" ] && [ "$(cat "$dir/.lock-sha256")" = "$want" ]; then
    return 0
  fi
  echo "setup-python: building venv '$name' from python/$name.lock (first run takes a few minutes)"
  rm -rf "$dir"
  "$uv" venv --quiet --python "$python" "$dir"
  VIRTUAL_ENV="$dir" "$uv" pip install --quiet --no-deps --requirement "$lock"
  echo "$want" > "$dir/.lock-sha256"
}

# Installs an extra lock into a built venv, again only when that lock changes.
overlay_venv() {
  local name="$1" extra="$2" lock="$root/python/$2.lock" dir="$cache/venvs/$1"
  local want; want="$(sha256sum "$lock" | cut -d' ' -f1)"
  if [ -f "$dir/.$extra-lock-sha256" ] && [ "$(cat "$dir/.$extra-lock-sha256")" = "$want" ]; then
    return 0
  fi
  echo "setup-python: adding python/$extra.lock to venv '$name'"
  VIRTUAL_ENV="$dir" "$uv" pip install --quiet --no-deps --requirement "$lock"
  echo "$want" > "$dir/.$extra-lock-sha256"
}

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(tools airflow2 airflow3)
for t in "${targets[@]}"; do
  build_venv "$t"
  case "$t" in airflow2 | airflow3) overlay_venv "$t" postgres ;; esac
done
