#!/usr/bin/env bash
# The whole test suite: setup, lint, then pytest. The suite starts its own Neo4j on free ports
# in a temporary folder and stops it at the end, so a user's database is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
exec .venv/bin/pytest "$@"
