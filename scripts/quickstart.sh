#!/usr/bin/env bash
# Quickstart: set everything up, start the project's own Neo4j and run the main job on the
# shipped sample region (regio Amersfoort).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/regionomie neo4j start
.venv/bin/regionomie run --region regio-amersfoort
