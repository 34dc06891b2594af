"""`regionomie retention [--apply]`: prune staging, archive and quarantine by the retention
policy (regionomie.domain.retention). Without --apply it only lists what would go."""

from __future__ import annotations

import argparse
import json
import sys

from regionomie.settings import load_dotenv


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "retention",
        help="prune superseded staging, old archive and old quarantine files",
        description="Apply the retention policy (README 'Retention'). Dry run unless --apply.",
    )
    parser.add_argument("--apply", action="store_true", help="delete (default: only list)")
    parser.add_argument("--archive-days", type=float, help="keep archived originals this many days")
    parser.add_argument(
        "--quarantine-days", type=float, help="keep quarantined rows/files this many days"
    )
    parser.add_argument("--json", action="store_true", help="the plan as JSON on stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from regionomie.domain.parsers.landing import archive_dir, staging_dir
    from regionomie.domain.retention import RetentionPolicy, apply_plan, plan_retention
    from regionomie.paths import quarantine_dir

    load_dotenv()
    try:
        policy = RetentionPolicy.from_env()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.archive_days is not None:
        policy = replace(policy, archive_days=args.archive_days)
    if args.quarantine_days is not None:
        policy = replace(policy, quarantine_days=args.quarantine_days)
    plan = plan_retention(policy, staging_dir(), archive_dir(), quarantine_dir())
    if args.json:
        print(
            json.dumps(
                [
                    {"path": str(r.path), "area": r.area, "reason": r.reason, "bytes": r.bytes}
                    for r in plan
                ],
                ensure_ascii=False,
            )
        )
    else:
        for r in plan:
            print(f"{r.area:10} {r.bytes:>12,}  {r.path}  ({r.reason})")
    total = sum(r.bytes for r in plan)
    by_area = {a: sum(1 for r in plan if r.area == a) for a in ("staging", "archive", "quarantine")}
    summary = ", ".join(f"{n} {a}" for a, n in by_area.items())
    if args.apply:
        freed = apply_plan(plan)
        print(f"retention: removed {len(plan)} files ({summary}), {freed:,} bytes", file=sys.stderr)
    else:
        print(
            f"retention: would remove {len(plan)} files ({summary}), {total:,} bytes; "
            "run with --apply to delete",
            file=sys.stderr,
        )
    return 0
