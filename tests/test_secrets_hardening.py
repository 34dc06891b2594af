"""Smaller hardening items: the initial Neo4j password never appears on a command line, .env is
created 0600 and a loose one tightened, APOC core works but server-side file import/export is
off unless configured, and quarantine files are owner-only."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

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


def test_pseudonym_key_is_generated_into_env_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from regionomie.settings import pseudonym_key

    env = tmp_path / ".env"
    env.write_text("NEO4J_PASSWORD=something-long")  # no final newline
    monkeypatch.setenv("REGIONOMIE_ENV_FILE", str(env))
    monkeypatch.delenv("REGIONOMIE_PSEUDONYM_KEY", raising=False)
    first = pseudonym_key()
    monkeypatch.delenv("REGIONOMIE_PSEUDONYM_KEY", raising=False)
    assert pseudonym_key() == first and len(first) >= 32
    values = settings.read_env_file(env)
    assert values["NEO4J_PASSWORD"] == "something-long"
    assert values["REGIONOMIE_PSEUDONYM_KEY"].encode() == first
    assert env.stat().st_mode & 0o777 == 0o600


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
