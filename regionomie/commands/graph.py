"""`regionomie graph migrate|checksum`."""

from __future__ import annotations

import argparse
import sys

from regionomie.settings import external_uri, load_dotenv, neo4j_connection


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("graph", help="graph schema and inspection")
    actions = parser.add_subparsers(dest="graph_action", metavar="ACTION", required=True)
    actions.add_parser("migrate", help="apply pending graph_schema migrations").set_defaults(
        func=_migrate
    )
    actions.add_parser("checksum", help="a checksum of the whole graph").set_defaults(
        func=_checksum
    )
    bulk = actions.add_parser(
        "bulk-load",
        help="first national load into an EMPTY own server with neo4j-admin import (offline)",
    )
    bulk.add_argument(
        "--yes", action="store_true", help="confirm: the local 'neo4j' database is replaced"
    )
    bulk.set_defaults(func=_bulk_load)


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
    from regionomie.graph.checksum import graph_checksum

    with _driver() as driver:
        print(graph_checksum(driver))
    return 0


def _bulk_load(args: argparse.Namespace) -> int:
    import tempfile
    import uuid

    from regionomie import flow
    from regionomie import neo4j_server as server
    from regionomie.commands.opportunities import report_table
    from regionomie.fileio import make_dirs
    from regionomie.graph.bulk_load import bulk_initial_load
    from regionomie.graph.load_runs import LoadRun
    from regionomie.paths import state_dir

    load_dotenv()
    if external_uri():
        print(
            "error: bulk-load imports offline into the project's own server; with NEO4J_URI "
            "set, load through the pipeline instead",
            file=sys.stderr,
        )
        return 2
    if not args.yes:
        print(
            "error: this replaces the local 'neo4j' database; run again with --yes", file=sys.stderr
        )
        return 2
    settings = server.ServerSettings.from_env()
    password = server.ensure_password()
    try:
        frames = flow.all_graph_frames(flow.current_tables(report=report_table))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Neo4j: {server.stop(settings)}", file=sys.stderr)
    today = flow.today().isoformat()
    run = LoadRun(run_id=f"bulk-{uuid.uuid4()}", source="bulk", as_of=today, mode="bulk")
    try:
        # the import files hold every row: under the state root, owner-only, never in /tmp
        scratch = make_dirs(state_dir() / "tmp")
        with tempfile.TemporaryDirectory(prefix="bulk-import-", dir=scratch) as work:
            result, timings = bulk_initial_load(
                settings,
                password,
                frames,
                run,
                work_dir=work,
                log=lambda m: print(m, file=sys.stderr),
            )
    except server.Neo4jServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"bulk load finished: {result.total('written')} rows written; "
        + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items())
    )
    print("Next: `regionomie run` adds the opportunities incrementally.")
    return 0
