"""`regionomie ingest FILE --source kvk|waste|municipal`: land one file by hand.

Parses the file, stages the tables as Parquet, writes set-aside rows to the quarantine and
archives the original (regionomie.domain.parsers.landing.land_file, which the Dagster ingest
uses too). Exit 0 when the file was usable (even with rows set aside); 1 with one line on
stderr when it was not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from regionomie.domain.results import SourceFileError
from regionomie.domain.sources import SOURCES

EXIT_OK = 0
EXIT_UNUSABLE = 1


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "ingest",
        help="parse a landing file into the staging area (rejects to quarantine)",
        description="Parse FILE, stage its tables as Parquet, quarantine bad rows, archive it.",
    )
    parser.add_argument("file", type=Path, metavar="FILE")
    parser.add_argument("--source", required=True, choices=SOURCES)
    parser.add_argument(
        "--retrieved-at",
        default=None,
        help="ISO-8601 UTC time the file was fetched (default: from the file name stamp, a "
        "CBS bundle's retrieved_at, or the file's modification time)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from regionomie.domain.parsers.landing import land_file

    path: Path = args.file
    if not path.is_file():
        print(f"{path}: no such file", file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        report = land_file(path, args.source, retrieved_at=args.retrieved_at)
    except SourceFileError as exc:
        print(f"unusable file: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    for line in report.lines():
        print(line)
    return EXIT_OK
