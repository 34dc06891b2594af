"""Process-wide settings, owned here and nowhere else: the git-ignored .env (read, created
0600, joined to the environment with existing variables winning), which Neo4j the project uses
(NEO4J_URI or its own server's Bolt port), the persistent DAGSTER_HOME so CLI runs show up in
`dagster dev`, and the pseudonym key of the exports."""

from __future__ import annotations

import hmac
import os
import secrets
import tempfile
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
    """.env into the environment (the environment wins), except an older installation's
    pseudonym key line: it stays the fallback pseudonym_key reads after the key file, as in a
    process that never loads .env (a Dagster daemon), so every process picks the same key."""
    for key, value in read_env_file().items():
        if key != PSEUDONYM_KEY_VARIABLE:
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
PSEUDONYM_KEY_FILE_VARIABLE = "REGIONOMIE_PSEUDONYM_KEY_FILE"
EXPORT_SALT_VARIABLE = "REGIONOMIE_EXPORT_SALT"
MIN_KEY_CHARACTERS = 16
MIN_DISTINCT_KEY_CHARACTERS = 8


def pseudonym_key_file() -> Path:
    """Where the pseudonym key lives: REGIONOMIE_PSEUDONYM_KEY_FILE (e.g. a mounted secret,
    /run/secrets/regionomie_pseudonym_key), else <state>/secrets/pseudonym.key."""
    configured = os.environ.get(PSEUDONYM_KEY_FILE_VARIABLE, "").strip()
    return Path(configured) if configured else state_dir() / "secrets" / "pseudonym.key"


def pseudonym_key(salt: str | None = None) -> bytes:
    """The key of the sole proprietors' pseudonymous ids (HMAC), in this order:
    REGIONOMIE_PSEUDONYM_KEY from the environment (a secret manager's variable); the key file
    (pseudonym_key_file()); a REGIONOMIE_PSEUDONYM_KEY line in .env (older installations);
    else a random key written once into a new 0600 key file. An empty value counts as
    missing, never as a key. Keep the key: a new one gives every sole proprietor a new
    pseudonym (README, "Rotating the pseudonym key").

    `salt` (see export_salt) derives a separate key for one export, so its pseudonyms cannot
    be linked to those of another export or of the graph."""
    key = _configured_pseudonym_key()
    if salt:
        return hmac.new(key, b"regionomie-export-salt\x00" + salt.encode(), "sha256").digest()
    return key


def _configured_pseudonym_key() -> bytes:
    from_env = os.environ.get(PSEUDONYM_KEY_VARIABLE, "").strip()
    if from_env:
        return _checked_key(from_env, f"{PSEUDONYM_KEY_VARIABLE} (environment)")
    path = pseudonym_key_file()
    if path.exists():
        return _checked_key(_read_key_file(path), str(path))
    legacy = read_env_file().get(PSEUDONYM_KEY_VARIABLE, "").strip()
    if legacy:
        return _checked_key(legacy, f"{PSEUDONYM_KEY_VARIABLE} in {env_file()}")
    return _checked_key(_create_key_file(path), str(path))


def _checked_key(key: str, where: str) -> bytes:
    """A key long and varied enough to be one (a typo'd '0000000000000000' is refused)."""
    if len(key) < MIN_KEY_CHARACTERS or len(set(key)) < MIN_DISTINCT_KEY_CHARACTERS:
        raise ValueError(
            f"{where}: the pseudonym key must be at least {MIN_KEY_CHARACTERS} characters with "
            f"at least {MIN_DISTINCT_KEY_CHARACTERS} different ones (a random key is created "
            "when none is configured)"
        )
    return key.encode("utf-8")


def _read_key_file(path: Path) -> str:
    """The key file's text; a file others may read is tightened to 0600 first (as .env)."""
    tighten_env_file(path)
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise ValueError(
            f"{path}: the pseudonym key file is empty; put the key in it, or delete the file "
            "to have a new random key created (every pseudonym changes then)"
        )
    return key


def _create_key_file(path: Path) -> str:
    """A random key into a new 0600 file, created whole and only once: written to a private
    temporary file, then hard-linked to its name, which fails when another process was
    first (its key is then used)."""
    make_dirs(path.parent)
    key = secrets.token_urlsafe(32)
    fd, tmp = tempfile.mkstemp(prefix=".pseudonym.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return _read_key_file(path)
    finally:
        os.unlink(tmp)
    return key


def export_salt(region: str, date: str) -> str | None:
    """REGIONOMIE_EXPORT_SALT: unset, empty or `per-export` (the default) -> a salt from region
    and date: an export's pseudonyms are not the graph's, so its k-anonymous actors cannot be
    looked up among the graph's less generalised nodes, and exports of different regions or
    dates cannot be linked (a re-run of the same export stays byte-identical); `shared` ->
    None (the graph's pseudonyms, for operators who must join exports to the graph); any
    other value -> that value as the salt."""
    value = (setting(EXPORT_SALT_VARIABLE, "") or "").strip()
    if value == "shared":
        return None
    return f"{region}/{date}" if value in ("", "per-export") else value


ANONYMITY_K_VARIABLE = "REGIONOMIE_ANONYMITY_K"


def anonymity_k() -> int:
    """REGIONOMIE_ANONYMITY_K (default 5): every pseudonymous actor in an export shares its
    shown sector and area with at least this many other personal establishments
    (regionomie.domain.anonymity); 0 switches the generalisation off."""
    raw = (setting(ANONYMITY_K_VARIABLE, "") or "").strip()
    if not raw:
        from regionomie.domain.anonymity import DEFAULT_K

        return DEFAULT_K
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{ANONYMITY_K_VARIABLE}={raw!r} is not a whole number") from None
    if value < 0:
        raise ValueError(f"{ANONYMITY_K_VARIABLE} must be 0 or more, got {raw!r}")
    return value


def restricted_store() -> tuple[str, str, str, str | None] | None:
    """(uri, user, password, database) of the restricted store for personal fields
    (REGIONOMIE_RESTRICTED_NEO4J_URI / _USER / _PASSWORD / _DATABASE), or None when it is not
    configured: then personal fields are kept in no graph (regionomie.graph.restricted)."""
    uri = (setting("REGIONOMIE_RESTRICTED_NEO4J_URI", "") or "").strip()
    if not uri:
        return None
    password = setting("REGIONOMIE_RESTRICTED_NEO4J_PASSWORD", "") or ""
    if not password:
        raise ValueError(
            "REGIONOMIE_RESTRICTED_NEO4J_URI is set without REGIONOMIE_RESTRICTED_NEO4J_PASSWORD"
        )
    return (
        uri,
        setting("REGIONOMIE_RESTRICTED_NEO4J_USER", "neo4j") or "neo4j",
        password,
        (setting("REGIONOMIE_RESTRICTED_NEO4J_DATABASE", "") or "").strip() or None,
    )


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
