"""`regionomie graph migrate|checksum`."""

from __future__ import annotations

import argparse
import sys

from regionomie.settings import load_dotenv, neo4j_connection


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("graph", help="graph schema and inspection")
    actions = parser.add_subparsers(dest="graph_action", metavar="ACTION", required=True)
    actions.add_parser("migrate", help="apply pending graph_schema migrations").set_defaults(
        func=_migrate
    )
    actions.add_parser("checksum", help="a checksum of the whole graph").set_defaults(
        func=_checksum
    )


def _driver():
    from neo4j import GraphDatabase

    load_dotenv()
    uri, user, password = neo4j_connection()
    return GraphDatabase.driver(uri, auth=(user, password))


def _migrate(_: argparse.Namespace) -> int:
    from neo4j.exceptions import AuthError, ServiceUnavailable

    from regionomie.graph import migrations

    try:
        with _driver() as driver:
            done = migrations.migrate(driver)
            total = len(migrations.applied(driver))
    except ServiceUnavailable:
        print(
            "error: Neo4j is not reachable: run `regionomie neo4j start` or set NEO4J_URI",
            file=sys.stderr,
        )
        return 1
    except AuthError:
        print(
            "error: Neo4j rejected the credentials: check NEO4J_USER/NEO4J_PASSWORD",
            file=sys.stderr,
        )
        return 1
    except migrations.MigrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for migration in done:
        print(f"applied V{migration.version:03d} {migration.name}")
    print(f"{len(done)} migration(s) applied now; {total} applied in all")
    return 0


def _checksum(_: argparse.Namespace) -> int:
    from regionomie.graph.loader import graph_checksum

    with _driver() as driver:
        print(graph_checksum(driver))
    return 0
