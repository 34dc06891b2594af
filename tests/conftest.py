"""Shared fixtures. The suite starts its own real Neo4j (free ports, temporary data dir) once
per session and always stops it, so it never touches a user's database."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# Exports pseudonymise sole proprietors with a keyed hash; the suite brings its own key so it
# never writes one into the repository's .env.
os.environ.setdefault("REGIONOMIE_PSEUDONYM_KEY", "test-suite-pseudonym-key-0123456789")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Neo4jTestServer:
    uri: str
    user: str
    password: str
    http_url: str | None
    instance_dir: Path | None = None


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jTestServer]:
    """A real Neo4j for the session: NEO4J_TEST_URI if given, else the project's own server."""
    external = os.environ.get("NEO4J_TEST_URI")
    if external:
        yield Neo4jTestServer(
            uri=external,
            user=os.environ.get("NEO4J_TEST_USER", "neo4j"),
            password=os.environ["NEO4J_TEST_PASSWORD"],
            http_url=None,
        )
        return
    from regionomie import neo4j_server as server

    # <state>/neo4j: the layout `regionomie neo4j start` uses with REGIONOMIE_STATE_DIR=<state>
    instance = Path(tmp_path_factory.mktemp("neo4j-test")) / "neo4j"
    settings = server.ServerSettings(
        instance_dir=instance,
        bolt_port=_free_port(),
        http_port=_free_port(),
        heap=os.environ.get("NEO4J_TEST_HEAP", "1g"),
        pagecache=os.environ.get("NEO4J_TEST_PAGECACHE", "512m"),
    )
    password = server.generate_password()
    try:
        server.start(settings, password, log=lambda *_: None)
    except server.Neo4jServerError as exc:
        pytest.exit(f"could not start the test Neo4j: {exc}", returncode=3)
    try:
        yield Neo4jTestServer(
            uri=settings.bolt_uri,
            user=server.DEFAULT_USER,
            password=password,
            http_url=f"http://127.0.0.1:{settings.http_port}",
            instance_dir=instance,
        )
    finally:
        server.stop(settings)


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_server: Neo4jTestServer):
    from neo4j import GraphDatabase

    driver = GraphDatabase.driver(neo4j_server.uri, auth=(neo4j_server.user, neo4j_server.password))
    try:
        yield driver
    finally:
        driver.close()


@pytest.fixture()
def empty_graph(neo4j_driver):
    """The session graph with every node removed (schema kept); for tests that own the graph."""
    with neo4j_driver.session() as session:
        session.run(
            "MATCH (n) WHERE NOT n:SchemaMigration "
            "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()
    return neo4j_driver
