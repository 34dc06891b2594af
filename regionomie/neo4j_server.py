"""Runs a real Neo4j Community server resolved from Maven Central, owned by the project.

Why: no Docker engine and no Neo4j download site here, but Maven Central has every jar the
server needs. The jars are cached outside the git tree; data, logs and the pid file of an
instance live under one git-ignored folder. Everything binds to 127.0.0.1 only.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from regionomie.paths import state_dir
from regionomie.settings import (
    append_env_file,
    env_file,
    setting,
)

NEO4J_VERSION = "5.26.19"
APOC_VERSION = "5.26.19"
BROWSER_VERSION = "5.24.0"  # newest neo4j-browser jar on Maven Central
MIN_JAVA = 17
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
DEFAULT_USER = "neo4j"


class Neo4jServerError(RuntimeError):
    """A failure with one clear cause and fix; the CLI prints it as is and exits non-zero."""


# --------------------------------------------------------------------------- settings


def ensure_password() -> str:
    """NEO4J_PASSWORD from the environment or .env; on first run write a random one to .env."""
    existing = setting("NEO4J_PASSWORD")
    if existing:
        if len(existing) < 8:
            raise Neo4jServerError(
                "NEO4J_PASSWORD must be at least 8 characters (Neo4j's rule); set a longer one in "
                f"the environment or in {env_file()}."
            )
        return existing
    password = generate_password()
    append_env_file(
        "# Created by regionomie on first run. Git-ignored; keep it private.\n"
        f"NEO4J_PASSWORD={password}\n"
    )
    return password


def generate_password() -> str:
    """Random, URL-safe, and never starting with '-' (it must survive command lines and .env)."""
    return "r" + secrets.token_urlsafe(18)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("REGIONOMIE_NEO4J_CACHE", Path(base) / "regionomie"))


@dataclass
class ServerSettings:
    instance_dir: Path = field(default_factory=lambda: state_dir() / "neo4j")
    bolt_port: int = 7687
    http_port: int = 7474
    heap: str = "4g"
    pagecache: str = "4g"
    version: str = NEO4J_VERSION
    java_home: str | None = None

    @classmethod
    def from_env(cls) -> ServerSettings:
        return cls(
            bolt_port=int(setting("NEO4J_BOLT_PORT", "7687") or 7687),
            http_port=int(setting("NEO4J_HTTP_PORT", "7474") or 7474),
            heap=setting("NEO4J_HEAP", "4g") or "4g",
            pagecache=setting("NEO4J_PAGECACHE", "4g") or "4g",
            java_home=setting("JAVA_HOME"),
        )

    @property
    def dist_dir(self) -> Path:
        return cache_dir() / f"neo4j-{self.version}"

    @property
    def lib_dir(self) -> Path:
        return self.dist_dir / "lib"

    @property
    def plugins_dir(self) -> Path:
        return self.dist_dir / "plugins"

    @property
    def conf_dir(self) -> Path:
        return self.instance_dir / "conf"

    @property
    def data_dir(self) -> Path:
        return self.instance_dir / "data"

    @property
    def logs_dir(self) -> Path:
        return self.instance_dir / "logs"

    @property
    def pid_file(self) -> Path:
        return self.instance_dir / "run" / "neo4j.pid"

    @property
    def bolt_uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def browser_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/browser/"


# --------------------------------------------------------------------------- resolution


def _java_bin(settings: ServerSettings, tool: str = "java") -> str:
    if settings.java_home:
        candidate = Path(settings.java_home) / "bin" / tool
        if candidate.exists():
            return str(candidate)
    found = shutil.which(tool)
    if not found:
        raise Neo4jServerError(
            f"{tool} not found: install a Java {MIN_JAVA}+ runtime (Debian: apt-get install "
            "openjdk-17-jre-headless) or set JAVA_HOME."
        )
    return found


def java_major_version(settings: ServerSettings) -> int:
    out = subprocess.run(
        [_java_bin(settings), "-version"], capture_output=True, text=True, check=False
    )
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        raise Neo4jServerError(f"could not read the Java version from: {out.stderr.strip()[:200]}")
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def check_java(settings: ServerSettings) -> None:
    major = java_major_version(settings)
    if major < MIN_JAVA:
        raise Neo4jServerError(
            f"Java {major} is too old: Neo4j {settings.version} needs Java 17 or 21. Install "
            "openjdk-17 or point JAVA_HOME at a newer JDK."
        )


def _resolver_pom(settings: ServerSettings) -> str:
    return f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>regionomie</groupId><artifactId>neo4j-runtime</artifactId>
  <version>{settings.version}</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.neo4j</groupId><artifactId>neo4j</artifactId>
      <version>{settings.version}</version></dependency>
    <dependency><groupId>org.neo4j.client</groupId><artifactId>neo4j-browser</artifactId>
      <version>{BROWSER_VERSION}</version></dependency>
    <dependency><groupId>org.neo4j.procedure</groupId><artifactId>apoc-core</artifactId>
      <version>{APOC_VERSION}</version></dependency>
    <dependency><groupId>org.neo4j.procedure</groupId><artifactId>apoc-common</artifactId>
      <version>{APOC_VERSION}</version></dependency>
  </dependencies>
</project>
"""


def is_installed(settings: ServerSettings) -> bool:
    return (settings.dist_dir / "INSTALLED").exists()


def install(settings: ServerSettings, *, log=print) -> Path:
    """Resolve the server, Browser and APOC jars from Maven Central once into the cache."""
    if is_installed(settings):
        return settings.dist_dir
    mvn = shutil.which("mvn")
    if not mvn:
        raise Neo4jServerError(
            "Maven (mvn) not found: install it (apt-get install maven); it resolves the Neo4j "
            "jars from Maven Central."
        )
    check_java(settings)
    work = settings.dist_dir
    staging = work.with_name(work.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "lib").mkdir(parents=True)
    (staging / "plugins").mkdir()
    (staging / "pom.xml").write_text(_resolver_pom(settings), encoding="utf-8")
    log(f"Resolving Neo4j {settings.version} + Browser + APOC from Maven Central (once)...")
    started = time.monotonic()
    proc = subprocess.run(
        [
            mvn,
            "-q",
            "-B",
            "-f",
            str(staging / "pom.xml"),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={staging / 'lib'}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise Neo4jServerError(
            "Maven could not resolve the Neo4j jars (offline, or Maven Central unreachable?). "
            f"Check network/proxy settings in ~/.m2/settings.xml and retry.\n{tail}"
        )
    for jar in (staging / "lib").glob("apoc-*.jar"):
        jar.rename(staging / "plugins" / jar.name)
    (staging / "INSTALLED").write_text(
        f"neo4j={settings.version}\napoc={APOC_VERSION}\nbrowser={BROWSER_VERSION}\n"
        f"resolve_seconds={time.monotonic() - started:.1f}\n",
        encoding="utf-8",
    )
    shutil.rmtree(work, ignore_errors=True)
    staging.rename(work)
    return work


# --------------------------------------------------------------------------- process


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def read_pid(settings: ServerSettings) -> int | None:
    try:
        pid = int(settings.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


# Networks LOAD CSV and APOC's load procedures may not reach: loopback (the unauthenticated
# Dagster UI, the Neo4j HTTP API itself, anything bound to 127.0.0.1), the private and
# link-local ranges (cloud metadata at 169.254.169.254), carrier-grade NAT, "this network",
# and their IPv6 counterparts (IPv4-mapped addresses included). Public URLs stay reachable.
BLOCKED_NETWORKS: tuple[str, ...] = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "::/128",
    "::1/128",
    "::ffff:0:0/96",
    "fc00::/7",
    "fe80::/10",
)


def write_config(settings: ServerSettings) -> None:
    """neo4j.conf and apoc.conf. No procedure runs unrestricted (APOC core needs no
    sandbox exception: `dbms.security.procedures.unrestricted` is not set), and Cypher may
    not fetch from the networks in BLOCKED_NETWORKS."""
    settings.conf_dir.mkdir(parents=True, exist_ok=True)
    for sub in (settings.data_dir, settings.logs_dir, settings.pid_file.parent):
        sub.mkdir(parents=True, exist_ok=True)
    import_dir = settings.instance_dir / "import"
    import_dir.mkdir(exist_ok=True)
    conf = f"""# Written by regionomie on every start; edit regionomie/neo4j_server.py instead.
server.default_listen_address=127.0.0.1
server.default_advertised_address=127.0.0.1
server.bolt.enabled=true
server.bolt.listen_address=127.0.0.1:{settings.bolt_port}
server.http.enabled=true
server.http.listen_address=127.0.0.1:{settings.http_port}
server.https.enabled=false
dbms.security.auth_enabled=true
server.directories.data={settings.data_dir}
server.directories.logs={settings.logs_dir}
server.directories.plugins={settings.plugins_dir}
server.directories.import={import_dir}
server.directories.run={settings.pid_file.parent}
server.memory.pagecache.size={settings.pagecache}
server.memory.heap.initial_size={settings.heap}
server.memory.heap.max_size={settings.heap}
db.tx_log.rotation.retention_policy=1 files
dbms.usage_report.enabled=false
dbms.security.procedures.allowlist=apoc.*
internal.dbms.cypher_ip_blocklist={",".join(BLOCKED_NETWORKS)}
"""
    unrestricted = unrestricted_procedures()
    if unrestricted:
        conf += f"dbms.security.procedures.unrestricted={','.join(unrestricted)}\n"
    (settings.conf_dir / "neo4j.conf").write_text(conf, encoding="utf-8")
    (settings.conf_dir / "apoc.conf").write_text(apoc_conf(), encoding="utf-8")


def unrestricted_procedures() -> list[str]:
    """REGIONOMIE_APOC_UNRESTRICTED: procedures an operator names one by one (e.g.
    `apoc.meta.schema`) to run outside Neo4j's sandbox; none by default, and never a
    wildcard (nothing in the project needs one; a sandboxed procedure such as apoc.meta.*
    is simply unavailable)."""
    raw = setting("REGIONOMIE_APOC_UNRESTRICTED", "") or ""
    names = [n.strip() for n in raw.split(",") if n.strip()]
    for name in names:
        if not re.fullmatch(r"apoc(\.[A-Za-z][A-Za-z0-9]*)+", name):
            raise Neo4jServerError(
                f"REGIONOMIE_APOC_UNRESTRICTED: {name!r} is not one named APOC procedure "
                "(wildcards are refused)"
            )
    return names


def apoc_conf() -> str:
    """APOC core stays (the analyst queries use apoc.text etc.), but reading and writing
    server-side files is off: nothing here needs it, and with it a Cypher injection or a
    curious analyst could read files the server can read. REGIONOMIE_APOC_FILE_IO=true
    switches both on (only the import folder is reachable then)."""
    on = (setting("REGIONOMIE_APOC_FILE_IO", "false") or "").strip().lower() in ("1", "true", "yes")
    value = "true" if on else "false"
    return (
        "# Written by regionomie on every start (REGIONOMIE_APOC_FILE_IO switches file I/O).\n"
        f"apoc.export.file.enabled={value}\n"
        f"apoc.import.file.enabled={value}\n"
        "apoc.import.file.use_neo4j_config=true\n"
    )


def _classpath(settings: ServerSettings) -> str:
    return f"{settings.plugins_dir}/*:{settings.conf_dir}/*:{settings.lib_dir}/*"


def _java_env(settings: ServerSettings) -> dict[str, str]:
    env = dict(os.environ)
    env["NEO4J_HOME"] = str(settings.instance_dir)
    env["NEO4J_CONF"] = str(settings.conf_dir)
    return env


def admin_command(
    settings: ServerSettings, *args: str, secret: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run neo4j-admin (AdminTool) from the same jars; used for passwords and bulk import.

    secret=True: the arguments go to the JVM in an @argfile (created 0600 in a 0700 temporary
    folder, removed afterwards) instead of the command line, so they never show in
    /proc/<pid>/cmdline or `ps` while the tool runs."""
    java_args = ["-cp", _classpath(settings), "-Xmx2g", "org.neo4j.cli.AdminTool", *args]
    if not secret:
        return subprocess.run(
            [_java_bin(settings), *java_args],
            capture_output=True,
            text=True,
            env=_java_env(settings),
            check=False,
        )
    with tempfile.TemporaryDirectory(prefix="regionomie-admin-") as folder:
        argfile = Path(folder) / "args"
        fd = os.open(argfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(_argfile_quote(a) for a in java_args) + "\n")
        try:
            return subprocess.run(
                [_java_bin(settings), f"@{argfile}"],
                capture_output=True,
                text=True,
                env=_java_env(settings),
                check=False,
            )
        finally:
            argfile.unlink(missing_ok=True)


def _argfile_quote(arg: str) -> str:
    """One argument for a java @argfile: double-quoted, backslash and quote escaped (the
    launcher's own rules), so spaces, '#', quotes and a leading '-' survive."""
    escaped = (
        arg.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def _system_db_exists(settings: ServerSettings) -> bool:
    return (settings.data_dir / "databases" / "system").exists()


def set_initial_password(settings: ServerSettings, password: str) -> None:
    if _system_db_exists(settings):
        return
    # '--' ends the options: a password may start with '-' (token_urlsafe makes such ones)
    proc = admin_command(settings, "dbms", "set-initial-password", "--", password, secret=True)
    if proc.returncode != 0:
        raise Neo4jServerError(
            "neo4j-admin could not set the initial password: "
            + (proc.stderr or proc.stdout).strip().splitlines()[-1][:300]
        )


def log_tail(settings: ServerSettings, lines: int = 25) -> str:
    chunks = []
    for name in ("neo4j.log", "console.log", "debug.log"):
        path = settings.logs_dir / name
        if path.exists():
            text = path.read_text(encoding="utf-8", errors="replace").splitlines()
            chunks.append(f"--- {path} (last {lines} lines)\n" + "\n".join(text[-lines:]))
    return "\n".join(chunks) or "(no Neo4j log written yet)"


def bolt_ready(uri: str, user: str, password: str, timeout: float = 2.0) -> tuple[bool, str]:
    from neo4j import GraphDatabase
    from neo4j.exceptions import AuthError, ServiceUnavailable

    try:
        with GraphDatabase.driver(uri, auth=(user, password), connection_timeout=timeout) as driver:
            driver.verify_connectivity()
        return True, "ok"
    except AuthError:
        return False, "auth"
    except (ServiceUnavailable, OSError) as exc:
        return False, type(exc).__name__
    except Exception as exc:  # noqa: BLE001 - any other driver error means "not ready yet"
        return False, type(exc).__name__


def start(
    settings: ServerSettings,
    password: str,
    *,
    timeout: float = 180.0,
    log=print,
) -> dict[str, object]:
    """Start in the background and return once Bolt answers; idempotent when already running."""
    install(settings, log=log)
    running_pid = read_pid(settings)
    if running_pid:
        ok, why = bolt_ready(settings.bolt_uri, DEFAULT_USER, password)
        if ok:
            return {"already_running": True, "pid": running_pid, "seconds": 0.0}
        if why == "auth":
            raise Neo4jServerError(_wrong_password_message(settings))
    check_java(settings)
    for port, what in ((settings.bolt_port, "Bolt"), (settings.http_port, "HTTP")):
        if port_in_use(port):
            raise Neo4jServerError(
                f"port {port} ({what}) on 127.0.0.1 is already taken by another process: stop it "
                f"(e.g. `ss -ltnp | grep {port}`) or choose other ports with NEO4J_BOLT_PORT / "
                "NEO4J_HTTP_PORT."
            )
    try:
        write_config(settings)
    except OSError as exc:
        raise Neo4jServerError(
            f"data dir {settings.instance_dir} is not writable ({exc.strerror}): fix its "
            "permissions or set REGIONOMIE_STATE_DIR to a writable folder."
        ) from exc
    set_initial_password(settings, password)
    console = (settings.logs_dir / "console.log").open("ab")
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            _java_bin(settings),
            "-cp",
            _classpath(settings),
            f"-Xms{settings.heap}",
            f"-Xmx{settings.heap}",
            "-XX:+UseG1GC",
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:-OmitStackTraceInFastThrow",
            "-Dfile.encoding=UTF-8",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "-Dio.netty.tryReflectionSetAccessible=true",
            ENTRY_POINT,
            f"--home-dir={settings.instance_dir}",
            f"--config-dir={settings.conf_dir}",
        ],
        stdout=console,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=_java_env(settings),
        start_new_session=True,
    )
    console.close()
    settings.pid_file.write_text(str(proc.pid))
    deadline = started + timeout
    why = "not started"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            settings.pid_file.unlink(missing_ok=True)
            raise Neo4jServerError(
                f"Neo4j exited during start-up (exit code {proc.returncode}).\n"
                f"{log_tail(settings)}\nFix the cause above and run `regionomie neo4j start` again."
            )
        ok, why = bolt_ready(settings.bolt_uri, DEFAULT_USER, password)
        if ok:
            return {
                "already_running": False,
                "pid": proc.pid,
                "seconds": round(time.monotonic() - started, 1),
            }
        if why == "auth":
            _terminate(proc.pid, 60)
            raise Neo4jServerError(_wrong_password_message(settings))
        time.sleep(0.5)
    _terminate(proc.pid, 30)
    settings.pid_file.unlink(missing_ok=True)
    raise Neo4jServerError(
        f"Neo4j did not answer on {settings.bolt_uri} within {timeout:.0f}s (last: {why}); "
        f"it was stopped again.\n{log_tail(settings)}"
    )


def _wrong_password_message(settings: ServerSettings) -> str:
    return (
        f"Neo4j rejected the password: the database in {settings.data_dir} was created with "
        "another NEO4J_PASSWORD. Put the original password in .env/the environment, or remove "
        f"{settings.instance_dir} to start afresh (this deletes the local graph)."
    )


def _terminate(pid: int, wait_seconds: float) -> bool:
    """SIGTERM (Neo4j shuts down cleanly on it), wait, SIGKILL as last resort."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    except PermissionError:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            reaped, _ = os.waitpid(pid, os.WNOHANG)
            if reaped == pid:
                return True
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.3)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return False


def stop(settings: ServerSettings, *, wait_seconds: float = 90.0) -> str:
    pid = read_pid(settings)
    if not pid:
        settings.pid_file.unlink(missing_ok=True)
        return "not running"
    clean = _terminate(pid, wait_seconds)
    settings.pid_file.unlink(missing_ok=True)
    return "stopped" if clean else "killed after timeout"


def status(settings: ServerSettings, password: str | None) -> dict[str, object]:
    pid = read_pid(settings)
    info: dict[str, object] = {
        "running": bool(pid),
        "pid": pid,
        "bolt": settings.bolt_uri,
        "browser": settings.browser_url,
        "version": settings.version,
        "installed": is_installed(settings),
        "jars": str(settings.dist_dir),
        "data_dir": str(settings.data_dir),
        "logs_dir": str(settings.logs_dir),
    }
    if pid and password:
        ok, why = bolt_ready(settings.bolt_uri, DEFAULT_USER, password)
        info["bolt_answers"] = ok if ok else why
        if pid:
            info["rss_mb"] = _rss_mb(pid)
    return info


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None
