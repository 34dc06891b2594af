"""Process-wide settings for CLI entry points: the git-ignored .env joins the environment
(existing variables win), and a persistent DAGSTER_HOME so CLI runs show up in `dagster dev`."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from regionomie.fileio import make_dirs
from regionomie.neo4j_server import append_env_file, read_env_file, setting
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
    make_dirs(state_dir())
    make_dirs(home)
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


PSEUDONYM_KEY_VARIABLE = "REGIONOMIE_PSEUDONYM_KEY"


def pseudonym_key() -> bytes:
    """The key of the sole proprietors' pseudonymous ids in exports (HMAC). From the
    environment or .env; on first use a random key is written to .env (created 0600). Keep it:
    a new key gives every sole proprietor a new pseudonym."""
    key = setting(PSEUDONYM_KEY_VARIABLE)
    if not key:
        key = secrets.token_urlsafe(32)
        append_env_file(
            "# Key of the sole proprietors' pseudonymous ids in exports. Keep it private.\n"
            f"{PSEUDONYM_KEY_VARIABLE}={key}\n"
        )
        os.environ.setdefault(PSEUDONYM_KEY_VARIABLE, key)
    if len(key) < 16:
        raise ValueError(f"{PSEUDONYM_KEY_VARIABLE} must be at least 16 characters")
    return key.encode("utf-8")
