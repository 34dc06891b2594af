"""`regionomie opportunities --region regio-amersfoort [--date YYYY-MM-DD]`: compute ranked
business cases for a region and write the exports.

Tables come from the staging area (what `regionomie ingest` landed), or from --tables-dir
(<table>.parquet or <table>.csv per TABLE_NAMES); `--demo` runs on the built-in illustrative
knowledge base and synthetic establishments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import pandas as pd

from regionomie.domain.opportunities.config import load_scoring_config
from regionomie.domain.regions import RegionsFileError, get_region, load_regions
from regionomie.paths import DATA_DIR, exports_dir, state_dir


def load_staged_tables() -> dict[str, pd.DataFrame]:
    """Current tables from the staging area (regionomie.domain.staging); waste party links are
    derived by address/name matching when none are staged."""
    from regionomie.domain.staging import read_staged
    from regionomie.exports.pipeline import TABLE_NAMES

    tables = {name: read_staged(name) for name in TABLE_NAMES}
    tables = {name: df for name, df in tables.items() if len(df)}
    if (
        "waste_records" in tables
        and "establishments" in tables
        and ("waste_party_links" not in tables)
    ):
        from regionomie.domain.matching import link_waste_parties

        tables["waste_party_links"] = link_waste_parties(
            tables["waste_records"], tables["establishments"]
        )
    return tables


def load_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """Each table from <name>.parquet (preferred) or <name>.csv; missing tables are skipped."""
    from regionomie.exports.pipeline import TABLE_NAMES

    tables: dict[str, pd.DataFrame] = {}
    for name in TABLE_NAMES:
        parquet, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
        if parquet.exists():
            tables[name] = pd.read_parquet(parquet)
        elif csv.exists():
            tables[name] = pd.read_csv(csv, dtype=str, keep_default_na=False).replace({"": None})
            for column in ("lat", "lon", "employees", "value", "weight_kg", "confidence"):
                if column in tables[name]:
                    tables[name][column] = pd.to_numeric(tables[name][column], errors="coerce")
    return tables


def _demo_inputs(region_codes: tuple[str, ...]) -> tuple[dict[str, pd.DataFrame], object]:
    import numpy as np

    from regionomie.domain.opportunities.demo import demo_kb, synthetic_establishments
    from regionomie.exports.pipeline import default_municipalities

    municipalities = default_municipalities()
    est = synthetic_establishments(20_000, seed=7, bbox=(50.8, 53.5, 3.4, 7.2))
    if municipalities is not None:
        mun = municipalities[municipalities["municipality_code"].isin(region_codes)]
        if not mun.empty:
            rng = np.random.default_rng(7)
            pick = rng.integers(0, len(mun), len(est))
            est["municipality_code"] = mun["municipality_code"].to_numpy()[pick]
            est["lat"] = mun["lat"].to_numpy(dtype=float)[pick] + rng.normal(0, 0.02, len(est))
            est["lon"] = mun["lon"].to_numpy(dtype=float)[pick] + rng.normal(0, 0.03, len(est))
    tables = {"establishments": est}
    if municipalities is not None:
        tables["municipalities"] = municipalities
    return tables, demo_kb()


def run(args: argparse.Namespace) -> int:
    from regionomie.exports.pipeline import run_region

    if args.list_regions:
        for name, region in sorted(load_regions().items()):
            print(f"{name}\t{region.label}\t{','.join(region.municipality_codes)}")
        return 0
    if not args.region:
        print("error: --region is required (see --list-regions)", file=sys.stderr)
        return 2
    try:
        region = get_region(args.region)
        date = dt.date.fromisoformat(args.date) if args.date else None
    except (RegionsFileError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        config = load_scoring_config(Path(args.scoring) if args.scoring else None)
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.demo:
        tables, kb = _demo_inputs(region.municipality_codes)
    else:
        if args.tables_dir:
            folder = Path(args.tables_dir)
            tables = load_tables(folder)
        else:
            folder = state_dir() / "staging"
            tables = load_staged_tables()
        if "establishments" not in tables:
            print(
                f"error: {folder}: no establishments table found (ingest KvK data first, "
                "or use --demo)",
                file=sys.stderr,
            )
            return 2
        try:
            from regionomie.domain.knowledge import load_knowledge_base  # type: ignore

            kb = load_knowledge_base()
        except Exception as exc:  # KB missing or invalid: one line, no traceback
            print(f"error: knowledge base: {exc}", file=sys.stderr)
            return 2
    result = run_region(
        region,
        tables,
        kb,  # type: ignore[arg-type]
        date=date,
        out_root=Path(args.out) if args.out else exports_dir(),
        config=config,
    )
    folder = result.paths["csv"].parent
    print(
        f"{result.region} {result.date}: {result.n_candidates} candidates, "
        f"{result.n_cases} business cases, {result.n_cards} cards, "
        f"{result.n_set_aside} supply rows set aside -> {folder}"
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "opportunities",
        help="rank circular business cases for a region and write exports",
        description=__doc__,
    )
    parser.add_argument("--region", help="region slug from data/regions.yaml")
    parser.add_argument("--date", help="export date YYYY-MM-DD (default: today, UTC)")
    parser.add_argument(
        "--tables-dir", help="folder with <table>.parquet/.csv files (default: staging area)"
    )
    parser.add_argument("--out", help="exports root (default: exports/)")
    parser.add_argument(
        "--scoring",
        default=str(DATA_DIR / "scoring.yaml"),
        help="scoring weights YAML (defaults in code when absent)",
    )
    parser.add_argument("--demo", action="store_true", help="run on synthetic demo data")
    parser.add_argument("--list-regions", action="store_true", help="list regions and exit")
    parser.set_defaults(func=run)
