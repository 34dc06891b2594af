"""`regionomie` console script. Each command group lives in regionomie/commands/<name>.py and
exposes `register(subparsers)`; the parser sets `func(args) -> int` (the exit code)."""

from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES: tuple[str, ...] = (
    "neo4j",  # neo4j install|start|stop|status
    "graph",  # graph migrate|checksum|bulk-load
    "run",  # run the main job on the sample region
    "ingest",  # ingest FILE --source ...
    "fetch",  # fetch kvk|cbs|pdok
    "validate",  # validate FILE --source ...
    "suggest",  # suggest-receivers
    "knowledge",  # knowledge coverage|fit-ranking
    "opportunities",  # opportunities/export for a region
    "retention",  # prune staging, archive and quarantine
    "doctor",  # what a region's run has to work with
    "regions",  # regions list|show|refresh|map
    "postgres",  # postgres start|stop|status (Dagster storage)
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="regionomie",
        description="Regional data -> graph -> ranked circular business cases.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"regionomie.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from regionomie.fileio import apply_umask

    apply_umask()  # state and exports owner-only by default (REGIONOMIE_FILE_MODE)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
