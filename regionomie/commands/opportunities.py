"""`regionomie opportunities --region regio-amersfoort [--date YYYY-MM-DD]`: compute ranked
business cases for a region and write the exports.

Tables come from the staging area (what `regionomie ingest` landed), or from --tables-dir
(<table>.parquet or <table>.csv per table), validated as the pipeline validates them (failing
rows quarantined, a failing dataset rule stops); `--demo` runs on the built-in illustrative
knowledge base and synthetic establishments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from regionomie.domain.regions import Region, RegionsFileError, get_region, load_regions
from regionomie.domain.staging import empty_table
from regionomie.i18n import DEFAULT_LANGUAGE, check_language
from regionomie.paths import SCORING_FILE, state_dir

if TYPE_CHECKING:
    from regionomie.flow import CheckedTable


def read_table_file(folder: Path) -> Callable[[str], pd.DataFrame]:
    """<table>.parquet (preferred) or <table>.csv from a folder, in the contract of its table
    (as staging holds it); a missing table is empty."""

    def read(name: str) -> pd.DataFrame:
        parquet, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
        if parquet.exists():
            return pd.read_parquet(parquet)
        if not csv.exists():
            return empty_table(name)
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False).replace({"": None})
        for column in ("lat", "lon", "employees", "value", "weight_kg", "confidence"):
            if column in frame:
                frame[column] = pd.to_numeric(frame[column], errors="coerce")
        return frame

    return read


def _demo_inputs(region: Region) -> tuple[dict[str, pd.DataFrame], object]:
    """Synthetic establishments spread over the region's municipalities, and the built-in
    illustrative knowledge base: a look at the outputs without any data."""
    import numpy as np

    from regionomie.domain import reference
    from regionomie.domain.opportunities.demo import demo_kb, synthetic_establishments

    municipalities = reference.load_municipalities()
    est = synthetic_establishments(20_000, seed=7, bbox=(50.8, 53.5, 3.4, 7.2))
    mun = municipalities[municipalities["municipality_code"].isin(region.municipality_codes)]
    if not mun.empty:
        rng = np.random.default_rng(7)
        pick = rng.integers(0, len(mun), len(est))
        est["municipality_code"] = mun["municipality_code"].to_numpy()[pick]
        est["lat"] = mun["lat"].to_numpy(dtype=float)[pick] + rng.normal(0, 0.02, len(est))
        est["lon"] = mun["lon"].to_numpy(dtype=float)[pick] + rng.normal(0, 0.03, len(est))
    return {"establishments": est, "municipalities": municipalities}, demo_kb()


def report_table(table: str, checked: CheckedTable) -> None:
    print(f"  {checked.summary(table)}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from regionomie import flow
    from regionomie.domain.knowledge import KnowledgeBaseError, load_knowledge_base

    if args.list_regions:
        for name, region in sorted(load_regions().items()):
            print(f"{name}\t{region.label}\t{','.join(region.municipality_codes)}")
        return 0
    if not args.region:
        print("error: --region is required (see --list-regions)", file=sys.stderr)
        return 2
    try:
        region = get_region(args.region)
        date = flow.export_date(args.date)
        config = flow.FlowConfig.load(
            Path(args.scoring),
            exports_root=Path(args.out) if args.out else None,
            lang=check_language(args.lang),
        )
    except (RegionsFileError, ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.demo:
        tables, kb = _demo_inputs(region)
    else:
        folder = Path(args.tables_dir) if args.tables_dir else state_dir() / "staging"
        staged = read_table_file(folder) if args.tables_dir else None
        try:
            tables = flow.current_tables(staged, report=report_table)
        except flow.FlowError as exc:
            print(f"error: {folder}: {exc}", file=sys.stderr)
            return 2
        try:
            kb = load_knowledge_base()
        except KnowledgeBaseError as exc:
            print(f"error: knowledge base: {exc}", file=sys.stderr)
            return 2
        if tables["establishments"].empty:
            print(
                f"error: {folder}: no establishments (ingest KvK data first, or use --demo)",
                file=sys.stderr,
            )
            return 2
    done = flow.run_region(region, tables, kb, date, config)
    result = done.result
    print(
        f"{done.region} {done.date}: {len(result.candidates)} candidates, "
        f"{len(result.cases)} business cases, {len(result.cards)} cards, "
        f"{len(result.set_aside)} supply rows set aside -> {done.paths['csv'].parent}"
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "opportunities",
        help="rank circular business cases for a region and write exports",
        description=__doc__,
    )
    parser.add_argument("--region", help="region slug from data/regions.yaml")
    parser.add_argument(
        "--date", help="export date YYYY-MM-DD (default: today in Europe/Amsterdam)"
    )
    parser.add_argument(
        "--tables-dir", help="folder with <table>.parquet/.csv files (default: staging area)"
    )
    parser.add_argument("--out", help="exports root (default: exports/)")
    parser.add_argument(
        "--scoring",
        default=str(SCORING_FILE),
        help="scoring weights YAML (defaults in code when absent)",
    )
    parser.add_argument(
        "--lang",
        default=DEFAULT_LANGUAGE,
        help="language of the reader files: nl (default) or en",
    )
    parser.add_argument("--demo", action="store_true", help="run on synthetic demo data")
    parser.add_argument("--list-regions", action="store_true", help="list regions and exit")
    parser.set_defaults(func=run)
