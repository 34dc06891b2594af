"""`regionomie postgres start|stop|status`: the project's own PostgreSQL for Dagster's storage.

For a production-like instance on one machine (or to try one): `start` creates a cluster
under <state>/postgres on 127.0.0.1 (REGIONOMIE_PG_PORT, default 55432) with a database
`dagster`, and prints the DAGSTER_PG_* lines that deploy/dagster.yaml reads. In production
the operator's own PostgreSQL takes its place.
"""

from __future__ import annotations

import argparse
import json
import sys

from regionomie import postgres_server as pg


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("postgres", help="manage the project's own PostgreSQL (Dagster)")
    actions = parser.add_subparsers(dest="postgres_action", metavar="ACTION", required=True)
    actions.add_parser("start", help="create on first use, start, print DAGSTER_PG_*").set_defaults(
        func=_start
    )
    actions.add_parser("stop", help="fast shutdown").set_defaults(func=_stop)
    status = actions.add_parser("status", help="running or not, port, data dir")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_status)


def _start(args: argparse.Namespace) -> int:
    settings = pg.PostgresSettings.from_env()
    try:
        result = pg.start(settings)
    except pg.PostgresServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    state = "already running" if result["already_running"] else f"started in {result['seconds']}s"
    print(f"PostgreSQL {state} on 127.0.0.1:{settings.port}", file=sys.stderr)
    print("# for $DAGSTER_HOME/dagster.yaml = deploy/dagster.yaml (keep the password private):")
    for key, value in settings.environment(str(result["password"])).items():
        print(f"{key}={value}")
    return 0


def _stop(args: argparse.Namespace) -> int:
    try:
        print(pg.stop(pg.PostgresSettings.from_env()))
    except pg.PostgresServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _status(args: argparse.Namespace) -> int:
    try:
        info = pg.status(pg.PostgresSettings.from_env())
    except pg.PostgresServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(info))
    else:
        print(" ".join(f"{k}={v}" for k, v in info.items()))
    return 0
