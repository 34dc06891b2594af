"""Smaller hardening items: the initial Neo4j password never appears on a command line, .env is
created 0600 and a loose one tightened, APOC core works but server-side file import/export is
off unless configured, and quarantine files are owner-only."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest

from regionomie import neo4j_server as server
from regionomie import settings

TRICKY = 'r-"pass word"#\\ with $(quotes)'


def _cmdlines() -> list[bytes]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                out.append((entry / "cmdline").read_bytes())
            except OSError:
                continue
    return out


@pytest.mark.slow
def test_initial_password_never_shows_on_a_command_line(tmp_path: Path) -> None:
    settings = server.ServerSettings(instance_dir=tmp_path / "neo4j")
    server.install(settings, log=lambda *_: None)
    server.write_config(settings)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            server.set_initial_password(settings, TRICKY)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    seen_password = seen_tool = 0
    while worker.is_alive():
        for cmdline in _cmdlines():
            if TRICKY.encode() in cmdline:
                seen_password += 1
            if b"AdminTool" in cmdline or b"regionomie-admin-" in cmdline:
                seen_tool += 1  # we did look while the admin tool ran
        time.sleep(0.005)
    worker.join()
    assert errors == []
    assert seen_tool > 0, "the admin tool finished before /proc was read"
    assert seen_password == 0
    # the stored credential is exactly this password: Shiro's iterated, salted SHA-256
    user, _, credential = (settings.data_dir / "dbms" / "auth.ini").read_text().partition(":")
    scheme, digest, salt, iterations = credential.rstrip(":\n").split(",")
    hashed = hashlib.sha256(bytes.fromhex(salt) + TRICKY.encode()).digest()
    for _ in range(int(iterations) - 1):
        hashed = hashlib.sha256(hashed).digest()
    assert (user, scheme, hashed.hex()) == ("neo4j", "SHA-256", digest)
    assert not list(Path("/tmp").glob("regionomie-admin-*/args"))


def test_env_file_is_created_0600_without_a_chmod(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = tmp_path / ".env"
    monkeypatch.setenv("REGIONOMIE_ENV_FILE", str(env))
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)

    def no_chmod(*args: object, **kwargs: object) -> None:
        raise AssertionError("created loose, then chmod-ed")

    old = os.umask(0)
    try:
        monkeypatch.setattr(os, "chmod", no_chmod)
        password = server.ensure_password()
    finally:
        os.umask(old)
        monkeypatch.undo()
    assert env.stat().st_mode & 0o777 == 0o600
    assert f"NEO4J_PASSWORD={password}" in env.read_text()


def test_loose_env_file_is_tightened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text("NEO4J_PASSWORD=something-long\n")
    env.chmod(0o644)
    assert settings.read_env_file(env) == {"NEO4J_PASSWORD": "something-long"}
    assert env.stat().st_mode & 0o777 == 0o600


@pytest.fixture()
def key_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No key anywhere: an own .env and state folder, the suite's key variable removed."""
    env = tmp_path / ".env"
    env.write_text("NEO4J_PASSWORD=something-long")  # no final newline
    monkeypatch.setenv("REGIONOMIE_ENV_FILE", str(env))
    monkeypatch.setenv("REGIONOMIE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("REGIONOMIE_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("REGIONOMIE_PSEUDONYM_KEY_FILE", raising=False)
    return tmp_path


def test_pseudonym_key_is_created_once_in_its_own_0600_file(key_home: Path) -> None:
    first = settings.pseudonym_key()
    assert settings.pseudonym_key() == first and len(first) >= 32
    key_file = key_home / "state" / "secrets" / "pseudonym.key"
    assert key_file.read_text().strip().encode() == first
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.parent.stat().st_mode & 0o077 == 0
    env = key_home / ".env"
    assert env.read_text() == "NEO4J_PASSWORD=something-long"  # not beside the password


def test_an_empty_key_variable_is_missing_not_a_new_key_each_time(
    key_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """REGIONOMIE_PSEUDONYM_KEY= (empty) used to make a new key on every call and append a
    line to .env each time, so pseudonyms changed on every run."""
    monkeypatch.setenv("REGIONOMIE_PSEUDONYM_KEY", "")
    keys = {settings.pseudonym_key() for _ in range(3)}
    assert len(keys) == 1
    assert "REGIONOMIE_PSEUDONYM_KEY" not in (key_home / ".env").read_text()
    (key_home / ".env").write_text("REGIONOMIE_PSEUDONYM_KEY=\n")
    assert settings.pseudonym_key() in keys


def test_concurrent_first_use_agrees_on_one_key(key_home: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: settings.pseudonym_key(), range(16)))
    assert len(keys) == 1
    assert [p.name for p in (key_home / "state" / "secrets").iterdir()] == ["pseudonym.key"]


def test_key_sources_in_order_and_weak_keys_refused(
    key_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (key_home / ".env").write_text("REGIONOMIE_PSEUDONYM_KEY=legacy-key-from-dotenv-0123\n")
    assert settings.pseudonym_key() == b"legacy-key-from-dotenv-0123"  # older installations
    secret = key_home / "run" / "secret"
    secret.parent.mkdir()
    secret.write_text("mounted-secret-key-abcdefgh\n")
    secret.chmod(0o644)
    monkeypatch.setenv("REGIONOMIE_PSEUDONYM_KEY_FILE", str(secret))
    assert settings.pseudonym_key() == b"mounted-secret-key-abcdefgh"
    assert secret.stat().st_mode & 0o777 == 0o600  # tightened, as .env
    monkeypatch.setenv("REGIONOMIE_PSEUDONYM_KEY", "from-the-environment-wins")
    assert settings.pseudonym_key() == b"from-the-environment-wins"
    for weak in ("short", "0000000000000000000000", "abababababababababab"):
        monkeypatch.setenv("REGIONOMIE_PSEUDONYM_KEY", weak)
        with pytest.raises(ValueError, match="at least 16 characters"):
            settings.pseudonym_key()
    monkeypatch.delenv("REGIONOMIE_PSEUDONYM_KEY")
    secret.write_text("\n")
    with pytest.raises(ValueError, match="key file is empty"):
        settings.pseudonym_key()


def test_cli_door_keeps_the_key_file_before_an_older_env_line(key_home: Path) -> None:
    """`regionomie run` and `ui` first load .env into the environment (load_dotenv); an older
    installation's key line must not become "the environment" there and win over the key
    file, which a Dagster process that never loads .env reads first: both doors, one key
    (else one sole proprietor gets two pseudonyms, e.g. after a rotation into the file)."""
    (key_home / ".env").write_text("REGIONOMIE_PSEUDONYM_KEY=legacy-key-from-dotenv-0123\n")
    key_file = key_home / "state" / "secrets" / "pseudonym.key"
    key_file.parent.mkdir(parents=True)
    key_file.write_text("rotated-key-in-its-own-file-4567\n")
    key_file.chmod(0o600)
    dagster_process = settings.pseudonym_key()
    with mock.patch.dict(os.environ):
        settings.load_dotenv()
        cli_process = settings.pseudonym_key()
    assert cli_process == dagster_process == b"rotated-key-in-its-own-file-4567"


def test_per_export_salt_unlinks_exports_but_repeats_itself(
    key_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from regionomie.domain.privacy import pseudonymous_id

    monkeypatch.setenv("REGIONOMIE_PSEUDONYM_KEY", "the-operators-own-key-0123")
    # by default an export is salted: its pseudonyms are not the graph's
    assert settings.export_salt("regio-amersfoort", "2026-01-05") == "regio-amersfoort/2026-01-05"
    monkeypatch.setenv("REGIONOMIE_EXPORT_SALT", "shared")
    assert settings.export_salt("regio-amersfoort", "2026-01-05") is None
    stable = settings.pseudonym_key(None)
    monkeypatch.setenv("REGIONOMIE_EXPORT_SALT", "per-export")
    salt = settings.export_salt("regio-amersfoort", "2026-01-05")
    keys = {
        settings.pseudonym_key(salt),
        settings.pseudonym_key(settings.export_salt("regio-amersfoort", "2026-01-12")),
        settings.pseudonym_key(settings.export_salt("regio-groningen", "2026-01-05")),
        stable,
    }
    assert len(keys) == 4
    assert settings.pseudonym_key(salt) == settings.pseudonym_key(salt)  # idempotent exports
    ids = {pseudonymous_id("000012345678", k) for k in keys}
    assert len(ids) == 4
    monkeypatch.setenv("REGIONOMIE_EXPORT_SALT", "rapport-2026")
    assert settings.export_salt("x", "y") == "rapport-2026"


def test_apoc_file_io_is_off_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGIONOMIE_APOC_FILE_IO", raising=False)
    assert "apoc.import.file.enabled=false" in server.apoc_conf()
    assert "apoc.export.file.enabled=false" in server.apoc_conf()
    monkeypatch.setenv("REGIONOMIE_APOC_FILE_IO", "true")
    assert "apoc.import.file.enabled=true" in server.apoc_conf()


@pytest.mark.neo4j
def test_apoc_core_works_but_reads_no_server_file(neo4j_driver) -> None:
    records, _, _ = neo4j_driver.execute_query("RETURN apoc.text.clean('Koffie-Dik!') AS c")
    assert records[0]["c"] == "koffiedik"
    with pytest.raises(Exception, match="(?i)import from files|not enabled|apoc.import.file"):
        neo4j_driver.execute_query("CALL apoc.load.json('file:///etc/hostname')")
    with pytest.raises(Exception, match="(?i)export to files|not enabled|apoc.export.file"):
        neo4j_driver.execute_query("CALL apoc.export.csv.query('RETURN 1', 'x.csv', {})")


@pytest.mark.neo4j
@pytest.mark.parametrize(
    "query",
    [
        "LOAD CSV FROM $url AS row RETURN row",
        "CALL apoc.load.json($url) YIELD value RETURN value",
        "CALL apoc.load.xml($url) YIELD value RETURN value",
    ],
)
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_cypher_cannot_fetch_from_loopback(neo4j_driver, httpserver, query: str, host: str) -> None:
    """The real server refuses LOAD CSV and APOC's loaders towards loopback (where the
    unauthenticated Dagster UI listens): refused before connecting, the local server sees
    no request."""
    httpserver.expect_request("/secret").respond_with_data('{"a": 1}')
    url = httpserver.url_for("/secret").replace("localhost", host)
    with pytest.raises(Exception, match="(?i)blocked via the configuration"):
        neo4j_driver.execute_query(query, url=url)
    assert httpserver.log == []


@pytest.mark.neo4j
def test_private_and_metadata_addresses_are_blocked_too(neo4j_driver) -> None:
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/x.csv",
        "http://192.168.1.1/x.csv",
        "http://172.16.0.1/x.csv",
        "http://[::1]:7474/",
        "http://[::ffff:127.0.0.1]:7474/",
    ):
        with pytest.raises(Exception, match="(?i)blocked via the configuration"):
            neo4j_driver.execute_query("LOAD CSV FROM $url AS row RETURN row", url=url)


def test_no_procedure_is_unrestricted_and_compose_blocks_the_same_networks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    from regionomie.paths import REPO_ROOT

    monkeypatch.delenv("REGIONOMIE_APOC_UNRESTRICTED", raising=False)
    config = server.ServerSettings(instance_dir=tmp_path / "neo4j")
    server.write_config(config)
    conf = (config.conf_dir / "neo4j.conf").read_text()
    assert "procedures.unrestricted" not in conf
    blocked = dict(line.split("=", 1) for line in conf.splitlines() if "=" in line)
    assert blocked["internal.dbms.cypher_ip_blocklist"].split(",") == list(server.BLOCKED_NETWORKS)
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    environment = compose["services"]["neo4j"]["environment"]
    assert not any("unrestricted" in key for key in environment)
    networks = environment["NEO4J_internal_dbms_cypher__ip__blocklist"].split(",")
    assert networks == list(server.BLOCKED_NETWORKS)
    monkeypatch.setenv("REGIONOMIE_APOC_UNRESTRICTED", "apoc.meta.schema")
    server.write_config(config)
    assert "unrestricted=apoc.meta.schema\n" in (config.conf_dir / "neo4j.conf").read_text()
    monkeypatch.setenv("REGIONOMIE_APOC_UNRESTRICTED", "apoc.*")
    with pytest.raises(server.Neo4jServerError, match="wildcards are refused"):
        server.write_config(config)


def test_quarantine_files_are_owner_only(tmp_path: Path) -> None:
    from regionomie.quality.validate import write_frame

    old = os.umask(0o022)
    try:
        paths = write_frame(pd.DataFrame({"name": ["Jan Jansen"]}), "establishments", "x", tmp_path)
    finally:
        os.umask(old)
    for path in paths.values():
        assert path.stat().st_mode & 0o077 == 0, path.name


def test_umask_follows_the_configured_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    from regionomie.fileio import apply_umask, dir_mode, file_mode

    monkeypatch.delenv("REGIONOMIE_FILE_MODE", raising=False)
    previous = apply_umask()
    try:
        assert os.umask(0o077) == 0o077
        monkeypatch.setenv("REGIONOMIE_FILE_MODE", "0640")
        assert (file_mode(), dir_mode()) == (0o640, 0o750)
        apply_umask()
        assert os.umask(0o077) == 0o027
        monkeypatch.setenv("REGIONOMIE_FILE_MODE", "0755")
        with pytest.raises(ValueError):
            file_mode()
    finally:
        os.umask(previous)
