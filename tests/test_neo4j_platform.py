"""The project's own Neo4j server and the migration runner, against the real server."""

from __future__ import annotations

import shutil
import socket
import stat
import urllib.request
from pathlib import Path

import pytest

from regionomie import neo4j_server as server
from regionomie.graph import migrations
from regionomie.paths import MIGRATIONS_DIR


def test_browser_is_served(neo4j_server):
    if not neo4j_server.http_url:
        pytest.skip("external server under test")
    with urllib.request.urlopen(f"{neo4j_server.http_url}/browser/", timeout=10) as response:
        html = response.read().decode("utf-8", "replace")
    assert "<title>Neo4j Browser</title>" in html


def test_apoc_core_is_installed(neo4j_driver):
    records, _, _ = neo4j_driver.execute_query("CALL apoc.help('text') YIELD name RETURN name")
    assert len(records) > 10
    records, _, _ = neo4j_driver.execute_query("RETURN apoc.text.clean('Koffie-Dik!') AS c")
    assert records[0]["c"] == "koffiedik"


def test_auth_is_on(neo4j_server):
    ok, why = server.bolt_ready(neo4j_server.uri, "neo4j", "definitely-not-the-password")
    assert (ok, why) == (False, "auth")


def test_migrations_apply_once_in_order(neo4j_driver):
    migrations.migrate(neo4j_driver)
    again = migrations.migrate(neo4j_driver)
    assert again == []
    recorded = migrations.applied(neo4j_driver)
    assert sorted(recorded) == [m.version for m in migrations.discover()]
    records, _, _ = neo4j_driver.execute_query("SHOW CONSTRAINTS YIELD name RETURN name")
    names = {r["name"] for r in records}
    assert {"organisation_kvk", "establishment_vestiging", "material_code"} <= names


def test_edited_applied_migration_is_refused(neo4j_driver, tmp_path: Path):
    migrations.migrate(neo4j_driver)
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, copy)
    first = sorted(copy.glob("V*.cypher"))[0]
    first.write_text(first.read_text() + "\n// edited\n", encoding="utf-8")
    with pytest.raises(migrations.MigrationError, match="changed after it was applied"):
        migrations.migrate(neo4j_driver, copy)


def test_split_statements_ignores_comments():
    text = "// c\nCREATE (a);\n\n// d\nMATCH (n)\nRETURN n;\n"
    assert migrations.split_statements(text) == ["CREATE (a)", "MATCH (n)\nRETURN n"]


def test_start_twice_reports_already_running(neo4j_server):
    if not neo4j_server.instance_dir:
        pytest.skip("external server under test")
    bolt_port = int(neo4j_server.uri.rsplit(":", 1)[1])
    http_port = int(neo4j_server.http_url.rsplit(":", 1)[1])
    settings = server.ServerSettings(
        instance_dir=neo4j_server.instance_dir, bolt_port=bolt_port, http_port=http_port
    )
    result = server.start(settings, neo4j_server.password, log=lambda *_: None)
    assert result["already_running"] is True


def test_port_taken_gives_clear_error(tmp_path):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        settings = server.ServerSettings(
            instance_dir=tmp_path / "inst", bolt_port=port, http_port=port
        )
        with pytest.raises(server.Neo4jServerError, match=f"port {port} .* already taken"):
            server.start(settings, "long-enough-pw", log=lambda *_: None)
    assert not (tmp_path / "inst" / "run" / "neo4j.pid").exists()


def test_old_java_is_refused(tmp_path):
    fake_home = tmp_path / "jdk8"
    (fake_home / "bin").mkdir(parents=True)
    java = fake_home / "bin" / "java"
    java.write_text("#!/bin/sh\necho 'openjdk version \"1.8.0_392\"' >&2\n")
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    settings = server.ServerSettings(instance_dir=tmp_path / "inst", java_home=str(fake_home))
    with pytest.raises(server.Neo4jServerError, match="Java 8 is too old"):
        server.check_java(settings)


def test_short_password_is_refused(monkeypatch):
    monkeypatch.setenv("NEO4J_PASSWORD", "short")
    with pytest.raises(server.Neo4jServerError, match="at least 8 characters"):
        server.ensure_password()


def test_password_is_created_in_env_file(monkeypatch, tmp_path):
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    env = tmp_path / ".env"
    monkeypatch.setenv("REGIONOMIE_ENV_FILE", str(env))
    first = server.ensure_password()
    assert len(first) >= 16 and first != "neo4j"
    assert server.ensure_password() == first
    assert oct(env.stat().st_mode & 0o777) == "0o600"


def test_initial_password_may_start_with_a_dash(tmp_path):
    settings = server.ServerSettings(instance_dir=tmp_path / "inst")
    server.write_config(settings)
    server.set_initial_password(settings, "-starts-with-a-dash")
    assert (settings.data_dir / "dbms" / "auth.ini").exists()
    assert all(not server.generate_password().startswith("-") for _ in range(500))


def test_bulk_load_refuses_without_confirmation_or_on_an_external_server(monkeypatch, capsys):
    from regionomie.cli import main

    monkeypatch.delenv("NEO4J_URI", raising=False)
    assert main(["graph", "bulk-load"]) == 2
    assert "--yes" in capsys.readouterr().err
    monkeypatch.setenv("NEO4J_URI", "bolt://db.example.invalid:7687")
    assert main(["graph", "bulk-load", "--yes"]) == 2
    assert "NEO4J_URI" in capsys.readouterr().err
