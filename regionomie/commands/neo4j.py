"""`regionomie neo4j install|start|stop|status`."""

from __future__ import annotations

import argparse
import json
import sys

from regionomie import neo4j_server as server
from regionomie.settings import external_uri


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("neo4j", help="manage the project's own Neo4j server")
    actions = parser.add_subparsers(dest="neo4j_action", metavar="ACTION", required=True)
    actions.add_parser("install", help="resolve the Neo4j jars from Maven Central").set_defaults(
        func=_install
    )
    actions.add_parser(
        "start", help="start in the background; returns when Bolt answers"
    ).set_defaults(func=_start)
    actions.add_parser("stop", help="stop cleanly (SIGTERM, wait)").set_defaults(func=_stop)
    status = actions.add_parser("status", help="running or not, ports, version, data dir")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_status)


def _fail(exc: Exception) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return 1


def _external() -> bool:
    uri = external_uri()
    if uri:
        print(f"NEO4J_URI is set to {uri}: using that server; not managing a local one.")
        return True
    return False


def _install(_: argparse.Namespace) -> int:
    try:
        path = server.install(server.ServerSettings.from_env())
    except server.Neo4jServerError as exc:
        return _fail(exc)
    print(f"Neo4j jars ready in {path}")
    return 0


def _start(_: argparse.Namespace) -> int:
    if _external():
        return 0
    settings = server.ServerSettings.from_env()
    try:
        password = server.ensure_password()
        result = server.start(settings, password)
    except server.Neo4jServerError as exc:
        return _fail(exc)
    if result["already_running"]:
        print(f"Neo4j is already running (pid {result['pid']}) at {settings.bolt_uri}")
    else:
        print(f"Neo4j {settings.version} started in {result['seconds']}s (pid {result['pid']})")
    print(f"  Bolt:          {settings.bolt_uri}")
    print(
        f"  Neo4j Browser: {settings.browser_url}  (user neo4j, password: NEO4J_PASSWORD in .env)"
    )
    print(f"  Data and logs: {settings.instance_dir}")
    return 0


def _stop(_: argparse.Namespace) -> int:
    if _external():
        return 0
    print(f"Neo4j: {server.stop(server.ServerSettings.from_env())}")
    return 0


def _status(args: argparse.Namespace) -> int:
    if _external():
        return 0
    settings = server.ServerSettings.from_env()
    info = server.status(settings, server.setting("NEO4J_PASSWORD"))
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        for key, value in info.items():
            print(f"{key:>12}: {value}")
    return 0 if info["running"] else 3
