"""Process-wide settings for CLI entry points: the git-ignored .env joins the environment
(existing variables win), and a persistent DAGSTER_HOME so CLI runs show up in `dagster dev`."""

from __future__ import annotations

import os
from pathlib import Path

from regionomie.neo4j_server import read_env_file
from regionomie.paths import state_dir

DAGSTER_YAML = """# Written by regionomie: local SQLite storage (README 'Production': Postgres).
telemetry:
  enabled: false
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 2
"""


def load_dotenv() -> None:
    for key, value in read_env_file().items():
        os.environ.setdefault(key, value)


def dagster_home() -> Path:
    home = Path(os.environ.get("DAGSTER_HOME") or state_dir() / "dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def neo4j_connection() -> tuple[str, str, str]:
    """(uri, user, password) of the server the project uses: NEO4J_URI or its own."""
    uri = os.environ.get("NEO4J_URI") or (
        f"bolt://127.0.0.1:{os.environ.get('NEO4J_BOLT_PORT', '7687')}"
    )
    return uri, os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", "")
