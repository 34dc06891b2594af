"""Process-wide settings, owned here and nowhere else: the git-ignored .env (read, created
0600, joined to the environment with existing variables winning), which Neo4j the project uses
(NEO4J_URI or its own server's Bolt port), the persistent DAGSTER_HOME so CLI runs show up in
`dagster dev`, and the pseudonym key of the exports."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from regionomie.fileio import make_dirs
from regionomie.paths import REPO_ROOT, state_dir

DAGSTER_YAML = """# Written by regionomie: local SQLite storage (README 'Production': Postgres).
telemetry:
  enabled: false
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
concurrency:
  runs:
    max_concurrent_runs: 2
  pools:
    granularity: op
    default_limit: 1   # one Neo4j writer at a time (pool neo4j_write)
"""


def env_file() -> Path:
    return Path(os.environ.get("REGIONOMIE_ENV_FILE", REPO_ROOT / ".env"))


def read_env_file(path: Path | None = None) -> dict[str, str]:
    """KEY=VALUE lines of the git-ignored .env. It holds secrets: a file readable by group or
    others is tightened to 0600 first."""
    path = path or env_file()
    values: dict[str, str] = {}
    if not path.exists():
        return values
    tighten_env_file(path)
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def setting(name: str, default: str | None = None) -> str | None:
    """Environment first, then the git-ignored .env, then the default."""
    if name in os.environ:
        return os.environ[name]
    return read_env_file().get(name, default)


def tighten_env_file(path: Path) -> None:
    """chmod 0600 when group or others may read or write the file (and we own it)."""
    try:
        st = path.stat()
    except OSError:
        return
    if st.st_mode & 0o077 and st.st_uid == os.geteuid():
        os.chmod(path, 0o600)


def append_env_file(text: str, path: Path | None = None) -> Path:
    """Append secret lines to .env; a new file is created 0600 (never world-readable, not
    even for a moment), an existing one is tightened first."""
    path = path or env_file()
    if path.exists():
        tighten_env_file(path)
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            text = "\n" + text
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(text)
    return path


def external_uri() -> str | None:
    """NEO4J_URI pointing at another server (Aura, Docker, company) means: never start our own."""
    uri = setting("NEO4J_URI")
    return uri or None


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


def neo4j_uri() -> str:
    """The Bolt URI of the server the project uses: NEO4J_URI, else its own on 127.0.0.1."""
    return external_uri() or f"bolt://127.0.0.1:{setting('NEO4J_BOLT_PORT', '7687')}"


def neo4j_connection() -> tuple[str, str, str]:
    """(uri, user, password) of the server the project uses: NEO4J_URI or its own."""
    return (
        neo4j_uri(),
        setting("NEO4J_USER", "neo4j") or "neo4j",
        setting("NEO4J_PASSWORD", "") or "",
    )


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


ENVIRONMENTS = ("local", "production")


def environment() -> str:
    """REGIONOMIE_ENV: `local` (one machine, the project's own Neo4j) or `production`."""
    value = setting("REGIONOMIE_ENV", "local") or "local"
    if value not in ENVIRONMENTS:
        raise ValueError(f"REGIONOMIE_ENV={value!r}: use one of {', '.join(ENVIRONMENTS)}")
    return value


def production_problems(dagster_yaml: Path | None = None) -> list[str]:
    """What a production deployment lacks. Production differs from local where an operator
    needs it: an external Neo4j (never the project's own server), a shared landing folder,
    failed-run alerts that reach a person, and Dagster's run storage in Postgres (a
    webserver, a daemon and run workers on SQLite files lose runs and cursors)."""
    problems = []
    uri = external_uri()
    if not uri:
        problems.append("NEO4J_URI (the production Neo4j; the own server is for local use)")
    if not setting("NEO4J_PASSWORD"):
        problems.append("NEO4J_PASSWORD")
    if not setting("REGIONOMIE_LANDING_DIR"):
        problems.append("REGIONOMIE_LANDING_DIR (the shared drop folder)")
    webhook = setting("REGIONOMIE_ALERT_WEBHOOK_URL") or ""
    if not webhook.startswith("https://"):
        problems.append("REGIONOMIE_ALERT_WEBHOOK_URL (https) for failed-run alerts")
    config = dagster_yaml or dagster_home() / "dagster.yaml"
    text = config.read_text(encoding="utf-8") if config.is_file() else ""
    if "postgres" not in text:
        problems.append(f"{config}: Dagster storage in Postgres (see deploy/dagster.yaml)")
    return problems


def environment_refusal() -> str | None:
    """Why the configured environment cannot start, as one line (None when it can): an
    unknown REGIONOMIE_ENV, or production with something missing. The CLI prints it instead
    of the traceback of a code location that failed to load."""
    try:
        env = environment()
    except ValueError as exc:
        return str(exc)
    if env == "production":
        problems = production_problems()
        if problems:
            return "REGIONOMIE_ENV=production needs: " + "; ".join(problems)
    return None
