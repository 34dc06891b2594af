#!/usr/bin/env bash
# Idempotent setup: .venv with the project and its dev tools, and the Neo4j jars (resolved
# once from Maven Central into ~/.cache/regionomie). Safe to run again at any time.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "error: $1 not found: $2" >&2; exit 1; }; }
need python3 "install Python 3.11+ (Debian: apt-get install python3 python3-venv)"
need java "install Java 17+ (Debian: apt-get install openjdk-17-jre-headless)"
need mvn "install Maven (Debian: apt-get install maven); it resolves the Neo4j jars"
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || { echo "error: Python 3.11+ is required (found $(python3 --version))" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv ..."
  python3 -m venv .venv
fi
stamp=.venv/.regionomie-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Installing Python dependencies into .venv ..."
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  echo "$want" > "$stamp"
fi
# The report's browser test renders report.html in a real headless Chromium (Debian's package).
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing chromium (headless browser for the report test) ..."
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: chromium not found; the report's browser test needs it (Debian: apt-get install chromium)" >&2
  fi
fi
.venv/bin/regionomie neo4j install
# Servers from Debian's packages, installed when missing and we may (root with apt-get):
# PostgreSQL for Dagster's production storage (tests, `regionomie postgres start`) and Redis
# as the Celery broker (tests/test_celery.py).
missing=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1 \
  || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} (Debian packages) ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "error: not installed: ${missing[*]} (Debian: apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
