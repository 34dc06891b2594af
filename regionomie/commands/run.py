"""`regionomie run`: every asset through Dagster on the shipped sample region (or a given
landing folder), in a persistent DAGSTER_HOME so the run shows up in `dagster dev`.
`regionomie ui`: the Dagster UI + daemon on the same instance."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
import uuid
from pathlib import Path

from regionomie.foreground import DEFAULT_GRACE_SECONDS, run_in_foreground
from regionomie.paths import REPO_ROOT, SAMPLE_DIR, exports_dir
from regionomie.settings import dagster_home, environment_refusal, external_uri, load_dotenv


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("run", help="run the main job (all assets) on a region's data")
    parser.add_argument(
        "--region",
        default="regio-amersfoort",
        help="region partition: slug, CBS code (CR17) or name ('Groot-Amsterdam'); "
        "see `regionomie regions list`",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=SAMPLE_DIR,
        help="folder with kvk/, waste/, municipal/ subfolders (default: the shipped sample)",
    )
    parser.add_argument("--date", default="", help="export date folder (default: today)")
    parser.add_argument(
        "--accept-volume-change",
        metavar="REASON",
        default="",
        help="accept a deliberate change in row counts (a grown region, the first real load "
        "after the sample); the reason and your user name are kept with the quality checks",
    )
    parser.add_argument(
        "--lang",
        default="nl",
        help="language of the reader files (report, XLSX, CSV, GeoJSON, cards): nl or en",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="print Dagster's full event log as well"
    )
    parser.add_argument(
        "--no-start", action="store_true", help="don't start the local Neo4j if it is down"
    )
    parser.set_defaults(func=_run)
    ui = sub.add_parser("ui", help="start the Dagster UI and daemon (dagster dev)")
    ui.add_argument("--port", default="3000")
    ui.add_argument(
        "--stop-timeout",
        type=float,
        default=DEFAULT_GRACE_SECONDS,
        metavar="SECONDS",
        help="on SIGTERM/SIGINT: how long dagster dev and its processes may take to shut down "
        f"before they are killed (default {DEFAULT_GRACE_SECONDS:.0f})",
    )
    ui.set_defaults(func=_ui)


def code_location_on_path() -> None:
    """The Dagster code location (`pipelines/`, `assets/`) is loaded from the repository root,
    as workspace.yaml does; it is not installed as top-level packages."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))


def _ensure_neo4j(start_if_needed: bool) -> int:
    from regionomie import neo4j_server as server

    if external_uri():
        return 0
    settings = server.ServerSettings.from_env()
    try:
        password = server.ensure_password()
        os.environ.setdefault("NEO4J_PASSWORD", password)
        if start_if_needed:
            result = server.start(settings, password, log=lambda m: print(m, file=sys.stderr))
            if not result["already_running"]:
                print(f"Neo4j started in {result['seconds']}s", file=sys.stderr)
    except server.Neo4jServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _refused() -> bool:
    """REGIONOMIE_ENV unknown, or production with something missing: one line, exit 2."""
    refusal = environment_refusal()
    if refusal:
        print(f"error: {refusal}", file=sys.stderr)
    return refusal is not None


def _run(args: argparse.Namespace) -> int:
    load_dotenv()
    if _refused():
        return 2
    home = dagster_home()
    import dagster as dg

    code_location_on_path()
    from assets.partitions import REGIONS
    from assets.quality_gate import ACCEPT_VOLUME_TAG, ACCEPTED_BY_TAG
    from pipelines.definitions import defs
    from pipelines.main import run_main_job, source_files, step_failures
    from regionomie.console import RunConsole
    from regionomie.domain.regions import RegionsFileError, get_region

    try:
        args.region = get_region(args.region).name
    except RegionsFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from regionomie.i18n import UnknownLanguageError, check_language

    try:
        lang = check_language(args.lang)
    except UnknownLanguageError as exc:
        print(f"error: --lang: {exc}", file=sys.stderr)
        return 2
    if args.region not in REGIONS:  # the code location was loaded before a refresh
        print(f"error: region {args.region} is not a partition; restart", file=sys.stderr)
        return 2
    files = source_files(args.data)
    if not any(files.values()):
        print(f"error: no source files under {args.data}/{{kvk,waste,municipal}}", file=sys.stderr)
        return 2
    gap = _region_data_gap(args.region, [Path(f) for f in files["kvk"]], args.data)
    if gap:
        print(f"error: {gap}", file=sys.stderr)
        return 2
    if _ensure_neo4j(not args.no_start):  # only now: a refused run starts nothing
        return 1
    print(f"Running every asset for {args.region} (DAGSTER_HOME={home})", file=sys.stderr)
    tags: dict[str, str] = {}
    reason = args.accept_volume_change.strip()
    if reason:
        tags = {ACCEPT_VOLUME_TAG: reason, ACCEPTED_BY_TAG: getpass.getuser()}
    instance = dg.DagsterInstance.get()
    run_id = str(uuid.uuid4())
    started = time.perf_counter()
    with RunConsole(instance, run_id) as console:
        result = run_main_job(
            defs,
            args.data,
            args.region,
            instance,
            export_date=args.date,
            tags=tags,
            run_id=run_id,
            quiet=not args.verbose,
            lang=lang,
        )
    print(console.summary(time.perf_counter() - started), file=sys.stderr)
    if not result.success:
        for failure in step_failures(result):
            print(f"error: {failure}", file=sys.stderr)
        print(
            f"The run {result.run_id} failed; its full log is in the Dagster UI "
            "(`regionomie ui`) or re-run with --verbose.",
            file=sys.stderr,
        )
        return 1
    latest = exports_dir() / args.region / "latest"
    print(f"Run {result.run_id} succeeded.")
    if _open_data_mode(result):
        print(
            "Open-data mode: no KvK register was landed, so there are no named actors; the "
            "exports hold the challenges, sector density per postcode region and sector-level "
            "estimated supply (open_data_*.csv, BV and NV only, lower bounds) and the social "
            "cases whose providers the open dataset counts. "
            f"`regionomie doctor --region {args.region}` says what is missing."
        )
    print(f"Exports:       {latest}")
    print(
        f"Neo4j Browser: http://127.0.0.1:{os.environ.get('NEO4J_HTTP_PORT', '7474')}/browser/"
        "  (user neo4j, password NEO4J_PASSWORD in .env)"
    )
    print("Dagster UI:    http://127.0.0.1:3000  (start it with `regionomie ui`)")
    return 0


def _open_data_mode(result: object) -> bool:
    """Whether the exports step ran in open-data mode (its materialization says so)."""
    for event in getattr(result, "all_events", []):
        if not event.is_step_materialization:
            continue
        materialization = event.event_specific_data.materialization
        value = materialization.metadata.get("open_data_mode")
        if value is not None and getattr(value, "value", value) is True:
            return True
    return False


def _region_data_gap(region_name: str, kvk_files: list[Path], data: Path) -> str | None:
    """Before any work: does the data (the KvK files given, else what was staged before) hold
    an establishment in one of the region's municipalities? No establishment anywhere is not
    a gap: that run is open-data mode (CBS, PDOK, the KvK open dataset; issue 23)."""
    from regionomie.domain.parsers import parse_file
    from regionomie.domain.regions import get_region, region_data_gap
    from regionomie.domain.results import SourceFileError
    from regionomie.domain.staging import read_staged

    present: set[str] = set()
    for path in kvk_files:
        try:
            parsed = parse_file(path, "kvk")
        except SourceFileError:
            continue  # the run itself quarantines it and says why
        if "establishments" in parsed:
            codes = parsed["establishments"].rows.get("municipality_code")
            if codes is not None:
                present |= set(codes.dropna().astype(str))
    staged = read_staged("establishments")
    if len(staged):
        present |= set(staged["municipality_code"].dropna().astype(str))
    if not present:
        return None  # no KvK register at all: open-data mode, not another region's data
    return region_data_gap(get_region(region_name), present, f"{data} (and earlier loads)")


def _ui(args: argparse.Namespace) -> int:
    """`dagster dev` in the foreground; stopping us (SIGTERM, SIGINT, Ctrl-C) stops it and the
    webserver, daemon and code server it started (regionomie.foreground)."""
    load_dotenv()
    if _refused():
        return 2
    dagster_home()
    command = [
        str(Path(sys.executable).with_name("dagster")),
        "dev",
        "-w",
        str(REPO_ROOT / "workspace.yaml"),
        "-p",
        args.port,
        "-h",
        "127.0.0.1",
    ]
    return run_in_foreground(command, cwd=REPO_ROOT, grace_seconds=args.stop_timeout)
