"""Runs a real PostgreSQL server owned by the project: Dagster's run, event-log and schedule
storage for a production-like instance and for the tests that prove it.

Why: SQLite storage is one file per run plus a shared index, fine for `dagster dev` on one
machine but not for a webserver, a daemon and run workers writing at once; production keeps
them in Postgres (dagster-postgres). The server is Debian's `postgresql` package (installed by
scripts/setup.sh when missing); one cluster per instance folder, bound to 127.0.0.1 only,
password authentication, and a pid file so start/stop/status work like `regionomie neo4j`.
PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` system user
and every server command runs as that user (runuser).
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from regionomie.paths import state_dir

DEFAULT_USER = "regionomie"
DEFAULT_DATABASE = "dagster"
SERVICE_USER = "postgres"  # Debian's system user, owner of clusters when we are root


class PostgresServerError(RuntimeError):
    """A failure with one clear cause and fix; printed as one line."""


@dataclass
class PostgresSettings:
    instance_dir: Path = field(default_factory=lambda: state_dir() / "postgres")
    port: int = 55432
    user: str = DEFAULT_USER
    database: str = DEFAULT_DATABASE
    shared_buffers: str = "128MB"
    max_connections: int = 200  # a daemon, two runs and their step processes each hold a pool

    @property
    def data_dir(self) -> Path:
        return self.instance_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.instance_dir / "postgres.log"

    @property
    def socket_dir(self) -> Path:
        return self.instance_dir / "run"

    @property
    def password_file(self) -> Path:
        return self.instance_dir / "password"

    @classmethod
    def from_env(cls) -> PostgresSettings:
        from regionomie.settings import setting

        return cls(port=int(setting("REGIONOMIE_PG_PORT", "55432") or 55432))

    def environment(self, password: str) -> dict[str, str]:
        """The DAGSTER_PG_* variables deploy/dagster.yaml reads."""
        return {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_DB": self.database,
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": password,
        }


def bin_dir() -> Path:
    """The newest PostgreSQL server binaries: Debian keeps them out of PATH."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise PostgresServerError(
        "PostgreSQL server binaries not found: install Debian's package "
        "(apt-get install postgresql; scripts/setup.sh does it when run as root)"
    )


def _as_service_user() -> bool:
    return os.geteuid() == 0


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    command = [str(bin_dir() / args[0]), *args[1:]]
    if _as_service_user():
        command = ["runuser", "-u", SERVICE_USER, "--", *command]
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def _own(path: Path) -> None:
    """As root, hand a path to the service user; folders above it that we own get the
    search bit for others (x only: traversable, not listable), so that user can reach it."""
    if not _as_service_user():
        return
    entry = pwd.getpwnam(SERVICE_USER)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    for parent in path.parents:
        stat = parent.stat()
        if stat.st_mode & 0o001 or stat.st_uid == entry.pw_uid:
            continue
        if stat.st_uid != os.geteuid():
            raise PostgresServerError(
                f"{parent} is not traversable by the '{SERVICE_USER}' user, which runs "
                "PostgreSQL when we are root: put the instance folder elsewhere (e.g. /tmp)"
            )
        os.chmod(parent, stat.st_mode | 0o001)


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def read_password(settings: PostgresSettings) -> str | None:
    try:
        return settings.password_file.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def is_running(settings: PostgresSettings) -> bool:
    if not (settings.data_dir / "PG_VERSION").exists():
        return False
    return _run(["pg_ctl", "-D", str(settings.data_dir), "status"]).returncode == 0


def init_cluster(settings: PostgresSettings, password: str) -> None:
    """initdb with password (scram) authentication on 127.0.0.1 only."""
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.instance_dir, 0o700)
    settings.socket_dir.mkdir(exist_ok=True)
    fd = os.open(settings.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(password + "\n")
    for path in (settings.instance_dir, settings.socket_dir, settings.password_file):
        _own(path)
    result = _run(
        [
            "initdb",
            "-D",
            str(settings.data_dir),
            "-U",
            settings.user,
            "--auth=scram-sha-256",
            f"--pwfile={settings.password_file}",
            "-E",
            "UTF8",
            "--locale=C",
        ]
    )
    if result.returncode != 0:
        raise PostgresServerError(f"initdb failed: {_last_line(result)}")


def start(settings: PostgresSettings, *, timeout: float = 60.0) -> dict[str, object]:
    """Start the cluster (creating it and its database on first use); returns when it
    accepts connections. Harmless when already running."""
    started = time.perf_counter()
    password = read_password(settings)
    if not (settings.data_dir / "PG_VERSION").exists():
        password = "p" + secrets.token_urlsafe(18)
        init_cluster(settings, password)
    if password is None:
        raise PostgresServerError(
            f"{settings.password_file} is missing: remove {settings.instance_dir}"
        )
    if is_running(settings):
        return {"already_running": True, "seconds": 0.0, "password": password}
    if port_in_use(settings.port):
        raise PostgresServerError(
            f"port {settings.port} is taken by another process: set REGIONOMIE_PG_PORT"
        )
    options = (
        f"-p {settings.port} -c listen_addresses=127.0.0.1 "
        f"-c unix_socket_directories={settings.socket_dir} "
        f"-c shared_buffers={settings.shared_buffers} "
        f"-c max_connections={settings.max_connections} -c fsync=on"
    )
    log = settings.log_file
    log.touch(exist_ok=True)
    _own(log)
    result = _run(
        [
            "pg_ctl",
            "-D",
            str(settings.data_dir),
            "-l",
            str(log),
            "-o",
            options,
            "-w",
            "-t",
            str(int(timeout)),
            "start",
        ]
    )
    if result.returncode != 0:
        raise PostgresServerError(f"PostgreSQL did not start: {_log_tail(settings)}")
    create_database(settings, password)
    return {
        "already_running": False,
        "seconds": round(time.perf_counter() - started, 1),
        "password": password,
    }


def connect(settings: PostgresSettings, password: str, database: str | None = None):
    import psycopg2

    return psycopg2.connect(
        host="127.0.0.1",
        port=settings.port,
        user=settings.user,
        password=password,
        dbname=database or settings.database,
        connect_timeout=5,
    )


def create_database(settings: PostgresSettings, password: str) -> None:
    conn = connect(settings, password, "postgres")
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (settings.database,))
            if cur.fetchone() is None:
                from psycopg2 import sql

                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings.database)))
    finally:
        conn.close()


def stop(settings: PostgresSettings) -> str:
    if not is_running(settings):
        return "not running"
    result = _run(["pg_ctl", "-D", str(settings.data_dir), "-m", "fast", "-w", "stop"])
    if result.returncode != 0:
        raise PostgresServerError(f"PostgreSQL did not stop: {_last_line(result)}")
    return "stopped"


def status(settings: PostgresSettings) -> dict[str, object]:
    return {
        "running": is_running(settings),
        "port": settings.port,
        "data_dir": str(settings.data_dir),
        "database": settings.database,
        "user": settings.user,
        "binaries": str(bin_dir()),
    }


def _last_line(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in (result.stderr or result.stdout or "").splitlines() if line.strip()]
    return lines[-1] if lines else f"exit code {result.returncode}"


def _log_tail(settings: PostgresSettings, lines: int = 5) -> str:
    try:
        text = settings.log_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(line.strip() for line in text[-lines:] if line.strip()) or "(empty log)"
