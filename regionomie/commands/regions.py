"""`regionomie regions list|show|refresh|map`: the regions opportunities can be computed for.

list    every region, or one kind (`--kind corop`), with code, municipalities, year and source
show    one region by slug, CBS code or name, with its municipalities
refresh read CBS "Gebieden in Nederland" (OData v4) into the state folder's standard regions
map     an old municipality code to today's (mergers by year)
Exit codes: 0 ok, 2 unknown/ambiguous region or bad argument, 4 table not found, 5 upstream
down, 6 garbage response, 1 cannot write.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from regionomie.domain.regions import (
    CUSTOM,
    KINDS,
    Region,
    RegionsFileError,
    current_municipality_code,
    find_regions,
    kind_key,
    load_regions,
    load_reorganisations,
    standard_regions_file,
)
from regionomie.paths import state_dir


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("regions", help="list, show or refresh the regions (CBS + custom)")
    actions = parser.add_subparsers(dest="regions_action", metavar="ACTION")
    listing = actions.add_parser("list", help="list regions (all, or one kind)")
    kinds = ", ".join([*KINDS, CUSTOM])
    listing.add_argument("--kind", help=f"only this kind ({kinds})")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(func=_list)
    show = actions.add_parser("show", help="one region by slug, CBS code or name")
    show.add_argument("region")
    show.add_argument("--kind", help="when a name is shared (e.g. Utrecht): the kind")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=_show)
    refresh = actions.add_parser("refresh", help="read CBS 'Gebieden in Nederland' (OData v4)")
    refresh.add_argument("--year", type=int, help="the table's year (default: the newest)")
    refresh.add_argument(
        "--out",
        type=Path,
        help="where to write (default: <state>/reference/standard_regions.csv, which then "
        "takes over from the shipped data/reference/standard_regions.csv)",
    )
    refresh.set_defaults(func=_refresh)
    mapping = actions.add_parser("map", help="old municipality code -> today's (mergers)")
    mapping.add_argument("code", nargs="+")
    mapping.add_argument("--on", help="the date to map to (YYYY-MM-DD, default today)")
    mapping.set_defaults(func=_map)
    parser.set_defaults(func=lambda args: (parser.print_help(sys.stderr), 2)[1])


def _as_json(region: Region) -> str:
    return json.dumps(
        {
            "name": region.name,
            "kind": region.kind,
            "code": region.code,
            "label": region.label,
            "year": region.year,
            "source": region.source,
            "municipalities": dict(
                zip(region.municipality_codes, region.municipality_names, strict=False)
            ),
        },
        ensure_ascii=False,
    )


def _regions() -> dict[str, Region] | None:
    """Every region, or None after printing why the regions files are unusable."""
    try:
        return load_regions()
    except RegionsFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def _list(args: argparse.Namespace) -> int:
    regions = _regions()
    if regions is None:
        return 2
    chosen = sorted(regions.values(), key=lambda r: (r.kind != CUSTOM, r.kind, r.code, r.name))
    if args.kind:
        key = kind_key(args.kind)
        chosen = [r for r in chosen if r.kind == key]
        if not chosen:
            known = sorted({r.kind for r in regions.values()})
            print(
                f"error: no regions of kind {args.kind!r}; kinds present: {', '.join(known)} "
                "(other CBS classifications come with `regionomie regions refresh`)",
                file=sys.stderr,
            )
            return 2
    for region in chosen:
        if args.json:
            print(_as_json(region))
        else:
            print(
                f"{region.name}\t{region.code or '-'}\t{region.label}\t"
                f"{len(region.municipality_codes)} gemeenten\t{region.year or '-'}\t"
                f"{region.source}"
            )
    if not args.json:
        print(
            f"{len(chosen)} regions; standard regions from {standard_regions_file()}",
            file=sys.stderr,
        )
    return 0


def _show(args: argparse.Namespace) -> int:
    regions = _regions()
    if regions is None:
        return 2
    found = find_regions(args.region, regions, args.kind)
    if len(found) != 1:
        if not found:
            print(
                f"error: unknown region {args.region!r} (`regionomie regions list`)",
                file=sys.stderr,
            )
        else:
            options = ", ".join(f"{r.name} ({r.kind_label} {r.code})" for r in found)
            print(f"error: region {args.region!r} is ambiguous: {options}", file=sys.stderr)
        return 2
    region = found[0]
    if args.json:
        print(_as_json(region))
        return 0
    print(f"{region.name}: {region.label} ({region.kind_label} {region.code})".rstrip())
    print(f"source: {region.source or '-'}, year {region.year or '-'}")
    for code, name in zip(region.municipality_codes, region.municipality_names, strict=False):
        print(f"  {code}  {name}")
    return 0


def _refresh(args: argparse.Namespace) -> int:
    from regionomie.commands.fetch import EXIT_BAD_RESPONSE, EXIT_NOT_FOUND, EXIT_UPSTREAM
    from regionomie.connectors.cbs import CbsODataClient
    from regionomie.connectors.cbs_regions import (
        fetch_standard_regions,
        known_kind_label,
        write_standard_regions,
    )
    from regionomie.connectors.http import BadResponse, ConnectorError, NotFound
    from regionomie.settings import load_dotenv

    load_dotenv()
    client = CbsODataClient.from_env()
    try:
        result = fetch_standard_regions(client, args.year)
    except NotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except BadResponse as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_RESPONSE
    except ConnectorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UPSTREAM
    out = args.out or state_dir() / "reference" / "standard_regions.csv"
    try:
        write_standard_regions(result.rows, out)
    except OSError as exc:
        print(f"error: cannot write {out}: {exc}", file=sys.stderr)
        return 1
    kinds = ", ".join(f"{known_kind_label(k)} {n}" for k, n in result.kinds.items())
    print(
        f"{result.table.identifier} ({result.table.title}): {result.municipalities} gemeenten, "
        f"{kinds} -> {out}"
    )
    return 0


def _map(args: argparse.Namespace) -> int:
    on = dt.date.fromisoformat(args.on) if args.on else None
    changes = load_reorganisations()
    for code in args.code:
        current = current_municipality_code(code.strip().upper(), on, changes)
        steps = [c for c in changes if c.old_code == code.strip().upper()]
        note = f" ({steps[0].change} {steps[0].effective_date})" if steps else ""
        print(f"{code}\t{current}{note}")
    return 0
