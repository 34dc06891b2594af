"""`regionomie doctor --region R [--data FOLDER]`: one screen on what a region's run has
to work with (regionomie.doctor). Exit code by severity: 0 everything a full run needs is
present, 1 warnings (the run succeeds but some outputs are missing, e.g. open-data mode),
2 errors (the run would stop at a quality gate or has no CBS indicators), 64 usage (unknown
region, no such folder). Never a traceback: an unexpected failure is one line and exit 2."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_USAGE = 64


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "doctor",
        help="what data a region has, what is missing, what a run will say",
        description="For one region: data present (source and year), what is missing, and "
        "what the run will and will not be able to say. Exit 0 ok, 1 warnings, 2 errors.",
    )
    parser.add_argument("--region", required=True, help="region from data/regions.yaml")
    parser.add_argument(
        "--data",
        type=Path,
        help="judge the files of this folder (kvk/, waste/, municipal/) instead of what is "
        "staged; nothing is landed",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from regionomie.domain.regions import RegionsFileError, get_region

    try:
        region = get_region(args.region)
    except (KeyError, RegionsFileError) as exc:
        print(f"regionomie doctor: error: {str(exc).strip(chr(39))}", file=sys.stderr)
        return EXIT_USAGE
    if args.data is not None and not args.data.is_dir():
        print(f"regionomie doctor: error: no folder {args.data}", file=sys.stderr)
        return EXIT_USAGE
    try:
        from regionomie.doctor import diagnose, tables_from_folder

        if args.data is not None:
            diagnosis = diagnose(region, tables_from_folder(args.data), origin=f"in {args.data}")
        else:
            diagnosis = diagnose(region)
    except Exception as exc:  # noqa: BLE001 - doctor must answer in one line, never a traceback
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        print(f"regionomie doctor: error: {type(exc).__name__}: {reason}", file=sys.stderr)
        return 2
    print("\n".join(diagnosis.lines()))
    return diagnosis.severity


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="regionomie")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["doctor", *(argv or [])])
    return int(args.func(args))
