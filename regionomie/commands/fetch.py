"""`regionomie fetch kvk|cbs|pdok`: call a public API and write one landing file.

Why a command: the same connectors feed the Dagster sensors later; from the shell they let a
user pull one region by hand and see pages/records, or a one-line reason why not.
Exit codes: 0 ok (also an empty KvK search), 2 usage/configuration (missing key, bad argument),
3 bad API key, 4 not found, 5 upstream down/timeout, 6 garbage response, 1 cannot write.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from regionomie.connectors.cbs import CbsODataClient, EmptySelection
from regionomie.connectors.http import (
    AuthError,
    BadResponse,
    ConnectorError,
    NotFound,
    UpstreamError,
    make_session,
)
from regionomie.connectors.kvk import (
    BULK_ADVICE,
    GENERATIONS,
    MAX_PAGE_SIZE,
    SEARCH_TYPES,
    TEST_API_KEY,
    TEST_BASE_URLS,
    KvkClient,
    MissingApiKey,
)
from regionomie.connectors.landing import (
    atomic_writer,
    landing_path,
    slug,
    utc_now,
    write_json,
    write_jsonl_line,
)
from regionomie.connectors.pdok import PdokClient

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_WRITE = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4
EXIT_UPSTREAM = 5
EXIT_BAD_RESPONSE = 6


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "fetch",
        help="fetch KvK / CBS / PDOK data into the landing folder",
        description="Call a public API and write one landing file (atomically).",
    )
    sources = parser.add_subparsers(dest="fetch_source", metavar="SOURCE")
    parser.set_defaults(func=lambda args: _no_source(parser))

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--landing-dir", type=Path, help="default: REGIONOMIE_LANDING_DIR")
    common.add_argument("--retries", type=int, default=5, help="retries on 429/5xx (default 5)")
    common.add_argument("--timeout", type=float, default=60.0, help="read timeout, seconds")
    common.add_argument(
        "--min-interval", type=float, default=0.2, help="seconds between requests (default 0.2)"
    )

    kvk = sources.add_parser(
        "kvk",
        parents=[common],
        help="KvK Zoeken (+ profiles), API generation v2 or v3",
        description="Key from KVK_API_KEY, base URL from KVK_API_BASE_URL, API generation "
        "from KVK_API_GENERATION (v2: Zoeken v2 + Basisprofiel + Vestigingsprofiel; v3: "
        "Zoeken v3 + Organisatie + Vestigingen). Zoeken is for look-ups, not bulk: "
        + BULK_ADVICE
        + ".",
    )
    which = kvk.add_mutually_exclusive_group(required=True)
    which.add_argument("--plaats", help="place name, e.g. Amersfoort")
    which.add_argument(
        "--postcode", help="postcode, e.g. 3811AB (only with --huisnummer or --postbusnummer)"
    )
    which.add_argument("--kvk-nummer", help="8-digit KvK number")
    kvk.add_argument("--huisnummer", help="house number, with --postcode")
    kvk.add_argument("--huisletter", help="house letter, with --postcode and --huisnummer")
    kvk.add_argument(
        "--huisnummertoevoeging",
        help="house number addition, with --postcode and --huisnummer (Zoeken v3 only)",
    )
    kvk.add_argument("--postbusnummer", help="PO box number, with --postcode")
    kvk.add_argument("--type", action="append", choices=SEARCH_TYPES, help="repeatable")
    kvk.add_argument("--include-inactive", action="store_true")
    kvk.add_argument("--page-size", type=int, default=MAX_PAGE_SIZE)
    kvk.add_argument(
        "--no-narrow",
        action="store_true",
        help="do not split a search over the result cap (v2 1,000, v3 100) by type and street",
    )
    kvk.add_argument(
        "--streets",
        type=Path,
        help="file with one street name per line: a place search still over the cap after "
        "splitting by type is split by these streets too (plus those seen in the results)",
    )
    kvk.add_argument(
        "--generation",
        choices=GENERATIONS,
        help="KvK API generation (default: KVK_API_GENERATION, else v2)",
    )
    kvk.add_argument(
        "--profiles",
        action="store_true",
        help="also write organisation + establishment responses with geoData (paid calls)",
    )
    kvk.add_argument(
        "--max-profiles", type=int, default=100, help="stop after this many profile calls"
    )
    kvk.add_argument(
        "--test-env",
        action="store_true",
        help="use KvK's public test environment and key (v2: "
        f"{TEST_BASE_URLS['v2']}; v3: the preprod host {TEST_BASE_URLS['v3']})",
    )
    kvk.set_defaults(func=run_kvk)

    cbs = sources.add_parser(
        "cbs",
        parents=[common],
        help="CBS StatLine table (OData v3, or v4 with --v4)",
        description="Base URLs from CBS_ODATA_BASE_URL / CBS_ODATA_V4_BASE_URL.",
    )
    cbs.add_argument("--table", required=True, help="table id, e.g. 85984NED")
    cbs.add_argument("--region", help="GM0307 (with its WK/BU codes), WK..., BU...")
    cbs.add_argument(
        "--v4", action="store_true", help="use OData v4 (datasets.cbs.nl, via its catalogue)"
    )
    cbs.add_argument("--page-size", type=int, default=10_000, help="v3 $top (max 10,000)")
    cbs.set_defaults(func=run_cbs)

    pdok = sources.add_parser(
        "pdok",
        parents=[common],
        help="PDOK municipal boundaries of a year",
        description="Base URL from PDOK_BASE_URL.",
    )
    pdok.add_argument("--year", type=int, required=True)
    pdok.add_argument("--page-size", type=int, default=1000, help="WFS count per request")
    pdok.set_defaults(func=run_pdok)


def _no_source(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _session(args: argparse.Namespace) -> Any:
    return make_session(
        retries=args.retries, read_timeout=args.timeout, min_interval=args.min_interval
    )


def _fail(source: str, message: str) -> None:
    print(f"regionomie fetch {source}: error: {message}", file=sys.stderr)


def _exit_code(exc: ConnectorError) -> int:
    if isinstance(exc, AuthError):
        return EXIT_AUTH
    if isinstance(exc, NotFound | EmptySelection):
        return EXIT_NOT_FOUND
    if isinstance(exc, UpstreamError):
        return EXIT_UPSTREAM
    if isinstance(exc, BadResponse):
        return EXIT_BAD_RESPONSE
    return EXIT_UPSTREAM


def _guarded(source: str, func: Any, args: argparse.Namespace) -> int:
    """Run func(args) turning every expected failure into one line on stderr + exit code."""
    try:
        return int(func(args))
    except MissingApiKey as exc:
        _fail(source, str(exc))
        return EXIT_USAGE
    except ConnectorError as exc:
        _fail(source, str(exc))
        return _exit_code(exc)
    except ValueError as exc:
        _fail(source, str(exc))
        return EXIT_USAGE
    except OSError as exc:
        _fail(source, f"cannot write landing file: {exc}")
        return EXIT_WRITE


# ---- kvk ------------------------------------------------------------------------------------
def run_kvk(args: argparse.Namespace) -> int:
    return _guarded("kvk", _run_kvk, args)


def _run_kvk(args: argparse.Namespace) -> int:
    generation = args.generation or os.environ.get("KVK_API_GENERATION") or None
    if args.test_env:
        wanted = (generation or "v2").strip().lower()
        base = TEST_BASE_URLS.get(wanted, TEST_BASE_URLS["v2"])
        client = KvkClient(base, TEST_API_KEY, _session(args), generation=generation)
    else:
        client = KvkClient(
            os.environ.get("KVK_API_BASE_URL") or None,
            os.environ.get("KVK_API_KEY"),
            _session(args),
            generation=generation,
        )
    query: dict[str, Any]
    if args.plaats:
        query, label = {"plaats": args.plaats}, f"plaats {args.plaats}"
    elif args.postcode:
        query = {
            "postcode": args.postcode,
            "huisnummer": args.huisnummer,
            "huisletter": args.huisletter,
            "huisnummertoevoeging": args.huisnummertoevoeging,
            "postbusnummer": args.postbusnummer,
        }
        label = " ".join(
            str(x)
            for x in (
                "postcode",
                args.postcode,
                args.huisnummer,
                args.huisletter,
                args.huisnummertoevoeging,
            )
            if x
        )
        if args.postbusnummer:
            label += f" postbus {args.postbusnummer}"
    else:
        query, label = {"kvk_nummer": args.kvk_nummer}, f"kvknummer {args.kvk_nummer}"
    extras = (args.huisnummer, args.huisletter, args.huisnummertoevoeging, args.postbusnummer)
    if not args.postcode and any(extras):
        raise ValueError(
            "--huisnummer, --huisletter, --huisnummertoevoeging and --postbusnummer go with "
            "--postcode"
        )
    options: dict[str, Any] = {
        "type": args.type,
        "page_size": args.page_size,
        "include_inactive": args.include_inactive,
        "narrow": not args.no_narrow,
        "streets": _streets(args.streets),
    }
    org_word, est_word = (
        ("basisprofielen", "vestigingsprofielen")
        if client.generation == "v2"
        else ("organisaties", "vestigingen")
    )
    started = utc_now()
    counts = {"organisation": 0, "establishment": 0, "results": 0}

    def lines() -> Iterator[dict[str, Any]]:
        if not args.profiles:
            for page in client.search_pages(**query, **options):
                counts["results"] += len(page["resultaten"])
                yield page
            return
        seen_kvk: set[str] = set()
        calls = 0
        for result in client.search(**query, **options):
            counts["results"] += 1
            wanted: list[tuple[str, str]] = []
            kvk_nummer = str(result.get("kvkNummer") or "")
            if kvk_nummer and kvk_nummer not in seen_kvk:
                seen_kvk.add(kvk_nummer)
                wanted.append(("organisation", kvk_nummer))
            if result.get("vestigingsnummer"):
                wanted.append(("establishment", str(result["vestigingsnummer"])))
            for kind, number in wanted:
                if calls >= args.max_profiles:
                    print(
                        f"kvk: stopped after {calls} profile calls (--max-profiles)",
                        file=sys.stderr,
                    )
                    return
                calls += 1
                counts[kind] += 1
                if kind == "organisation":
                    yield client.organisation(number)
                else:
                    yield client.establishment(number, geo=True)

    path = landing_path(
        "kvk", f"kvk_{slug(label)}", ".jsonl", moment=started, root=args.landing_dir
    )
    # Stream into a temp file; nothing is left behind when the search fails half-way, and an
    # empty search (IPD5200) writes no file at all.
    written = 0
    iterator = lines()
    first = next(iterator, None)
    stats = client.last_search
    if first is None:
        print(f"kvk: no results for {label} ({stats.pages} pages); nothing written")
        return EXIT_OK
    with atomic_writer(path) as fh:
        write_jsonl_line(fh, first)
        written = 1
        for obj in iterator:
            write_jsonl_line(fh, obj)
            written += 1
    stats = client.last_search
    what = (
        f"{counts['organisation']} {org_word} + {counts['establishment']} "
        f"{est_word} for {counts['results']} search results"
        if args.profiles
        else f"{counts['results']} search results"
    )
    print(
        f"kvk: {what} in {stats.pages} pages (totaal {stats.total}, API {client.generation}); "
        f"{written} lines -> {path}"
    )
    if stats.narrowed_by:
        print(
            f"kvk: more than {stats.cap:,} results (the Zoeken {client.generation} cap): "
            f"searched per {stats.narrowed_by} in {stats.queries} queries",
            file=sys.stderr,
        )
    if stats.capped:
        still = f" ({', '.join(stats.capped_parts)})" if stats.capped_parts else ""
        print(
            f"kvk: warning: result capped at {stats.cap:,} per query{still}: "
            f"{stats.returned} of {stats.total} written; {BULK_ADVICE}",
            file=sys.stderr,
        )
    if not args.profiles and stats.without_postcode:
        print(
            f"kvk: note: {stats.without_postcode} of {stats.returned} results carry no postcode "
            "(Zoeken shows postcode and huisnummer only when the search is on them): they land "
            "as search records, outside the postcode/city rules, and cannot be placed on a map "
            "or matched to waste reports until their profiles are fetched: re-run with "
            "--profiles (paid calls in production)",
            file=sys.stderr,
        )
    return EXIT_OK


def _streets(path: Path | None) -> list[str]:
    if path is None:
        return []
    text = path.read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


# ---- cbs ------------------------------------------------------------------------------------
def run_cbs(args: argparse.Namespace) -> int:
    return _guarded("cbs", _run_cbs, args)


def _run_cbs(args: argparse.Namespace) -> int:
    client = CbsODataClient.from_env(_session(args), page_size=args.page_size)
    started = utc_now()
    if args.v4:
        bundle = client.v4_bundle(args.table, region=args.region)
        n = len(bundle["observations"])
        kind = "observations"
    else:
        bundle = client.v3_bundle(args.table, region=args.region)
        n = len(bundle["rows"])
        kind = "rows"
    region = args.region.strip().upper() if args.region else "all"
    prefix = f"cbs_{bundle['table_id']}_{region}"
    path = landing_path("municipal", prefix, ".json", moment=started, root=args.landing_dir)
    write_json(path, bundle)
    stats = client.last_fetch
    where = f" from {bundle['dataset_url']}" if args.v4 else ""
    print(
        f"cbs: {n} {kind} of {bundle['table_id']} ({'v4' if args.v4 else 'v3'}{where}) "
        f"in {stats.pages} pages -> {path}"
    )
    return EXIT_OK


# ---- pdok -----------------------------------------------------------------------------------
def run_pdok(args: argparse.Namespace) -> int:
    return _guarded("pdok", _run_pdok, args)


def _run_pdok(args: argparse.Namespace) -> int:
    client = PdokClient.from_env(_session(args), page_size=args.page_size)
    started = utc_now()
    collection = client.gemeenten(args.year)
    path = landing_path(
        "municipal",
        f"pdok_gemeenten_{args.year}",
        ".geojson",
        moment=started,
        root=args.landing_dir,
    )
    write_json(path, collection)
    stats = client.last_fetch
    print(f"pdok: {stats.features} municipalities ({args.year}) in {stats.pages} pages -> {path}")
    if stats.coordinates and stats.coordinates != "lonlat":
        print(
            f"pdok: warning: the service answered {stats.coordinates} coordinates; the parser "
            "converts them to lon/lat",
            file=sys.stderr,
        )
    return EXIT_OK
