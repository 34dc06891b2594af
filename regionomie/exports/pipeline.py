"""run_region: one region's tables -> engine -> export files. The seam the Dagster asset and
the CLI both call, so both produce the same files."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from regionomie.domain.opportunities import (
    KnowledgeLike,
    OpportunityResult,
    ScoringConfig,
    run_opportunities,
)
from regionomie.domain.regions import Region, get_region
from regionomie.exports.writers import write_exports
from regionomie.paths import REFERENCE_DIR

TABLE_NAMES: tuple[str, ...] = (
    "establishments",
    "waste_records",
    "waste_party_links",
    "municipal_indicators",
    "municipalities",
)


@dataclass
class ExportResult:
    region: str
    date: str
    paths: dict[str, Path]
    n_candidates: int
    n_cases: int
    n_cards: int
    n_set_aside: int
    result: OpportunityResult | None = field(default=None, repr=False)


def default_municipalities() -> pd.DataFrame | None:
    """Municipality centroids from the reference module, or its CSV, or None."""
    try:
        from regionomie.domain.reference import load_municipalities  # type: ignore[attr-defined]

        return load_municipalities()
    except Exception:
        path = REFERENCE_DIR / "municipalities.csv"
        if path.exists():
            return pd.read_csv(path, dtype={"municipality_code": str, "province_code": str})
    return None


def run_region(
    region: str | Region,
    tables: dict[str, pd.DataFrame],
    kb: KnowledgeLike,
    date: dt.date | str | None = None,
    out_root: Path | None = None,
    config: ScoringConfig | None = None,
) -> ExportResult:
    """Compute and export opportunities for one region from in-memory tables (keys as in
    TABLE_NAMES; only `establishments` is required)."""
    if isinstance(region, str):
        region = get_region(region)
    if "establishments" not in tables:
        raise ValueError("run_region: table 'establishments' is required")
    if date is None:
        date = dt.datetime.now(dt.UTC).date()
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    municipalities = tables.get("municipalities")
    if municipalities is None:
        municipalities = default_municipalities()
    result = run_opportunities(
        establishments=tables["establishments"],
        kb=kb,
        waste_records=tables.get("waste_records"),
        waste_party_links=tables.get("waste_party_links"),
        municipal_indicators=tables.get("municipal_indicators"),
        municipalities=municipalities,
        region_codes=region.municipality_codes,
        config=config,
    )
    region_mun = None
    if municipalities is not None:
        region_mun = municipalities[
            municipalities["municipality_code"].isin(region.municipality_codes)
        ]
    paths = write_exports(
        region=region.name,
        candidates=result.candidates,
        business_cases=result.cases,
        cards=result.cards,
        challenges=result.challenges,
        establishments=tables["establishments"],
        out_root=out_root,
        date=date,
        cascades=result.cascades,
        coalitions=result.coalitions,
        municipalities=region_mun,
        region_label=region.label,
    )
    return ExportResult(
        region=region.name,
        date=date.isoformat(),
        paths=paths,
        n_candidates=len(result.candidates),
        n_cases=len(result.cases),
        n_cards=len(result.cards),
        n_set_aside=len(result.set_aside),
        result=result,
    )
