"""What a region's run can say from open sources alone (open-data mode).

Why: establishments with address, SBI and legal form need a paid KvK route and waste flows an
LMA agreement (docs/getting-real-data.md). Without them a run still has CBS (challenges),
PDOK (boundaries) and the KvK open dataset "basis bedrijfsgegevens": establishments counted
per 2-digit postcode region and SBI code, BV and NV only. From those this module derives

* sector density per postcode region: active BV/NV establishments per sector;
* sector-level estimated supply: per postcode region and material, establishments x the
  knowledge base's tonnes per employee x one person per establishment — a lower bound (the
  open dataset has no employee counts, no eenmanszaak, vof or stichting);

each row marked as open data with its coverage, never mistaken for a register of actors.
Pure functions: no Dagster, no driver, no I/O but the shipped reference list.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import pandas as pd

from regionomie.domain import reference
from regionomie.paths import DATA_DIR

POSTCODE_AREAS_FILE = DATA_DIR / "reference" / "postcode_areas.csv"
OPEN_DATA_BASIS = "open data: KvK basis bedrijfsgegevens (alleen BV en NV)"
DENSITY_COLUMNS: tuple[str, ...] = (
    "postcode_region",
    "nace_class",
    "sector",
    "establishments",
    "coverage",
    "basis",
)
SUPPLY_COLUMNS: tuple[str, ...] = (
    "postcode_region",
    "material_id",
    "material",
    "nace_class",
    "sector",
    "establishments",
    "tonnes_per_year_at_least",
    "basis",
)
PERSONS_PER_ESTABLISHMENT = 1  # the open dataset has no employee counts: a lower bound


@lru_cache(maxsize=1)
def _postcode_areas() -> dict[str, tuple[str, ...]]:
    if not POSTCODE_AREAS_FILE.exists():
        return {}
    frame = pd.read_csv(POSTCODE_AREAS_FILE, dtype=str).fillna("")
    return {
        row.municipality_code: tuple(a.strip() for a in row.postcode_areas.split(";") if a.strip())
        for row in frame.itertuples(index=False)
    }


def region_postcode_areas(municipality_codes: Sequence[str]) -> tuple[str, ...]:
    """The 2-digit postcode regions of these municipalities (data/reference/
    postcode_areas.csv), sorted; empty when none of them is listed."""
    known = _postcode_areas()
    return tuple(sorted({a for code in municipality_codes for a in known.get(code, ())}))


def sector_density(
    density: pd.DataFrame | None, areas: Sequence[str]
) -> tuple[pd.DataFrame, list[str]]:
    """Active establishments per postcode region and NACE class in `areas` (every region of
    the table when `areas` is empty, with a note). Returns (DENSITY_COLUMNS frame, notes)."""
    notes: list[str] = []
    if density is None or density.empty:
        return pd.DataFrame(columns=list(DENSITY_COLUMNS)), notes
    frame = density.copy()
    frame["postcode_region"] = frame["postcode_region"].astype(str)
    if areas:
        frame = frame[frame["postcode_region"].isin(list(areas))]
    else:
        notes.append(
            "the region's postcode regions are not listed in data/reference/"
            "postcode_areas.csv: every postcode region of the open dataset is shown"
        )
    active = frame["active"].astype(str).str.lower().isin(["true", "1", "ja"])
    frame = frame[active & frame["nace_class"].notna()]
    frame["count"] = pd.to_numeric(frame["count"], errors="coerce").fillna(0).astype("int64")
    out = (
        frame.groupby(["postcode_region", "nace_class"], sort=True)["count"]
        .sum()
        .rename("establishments")
        .reset_index()
    )
    out["sector"] = out["nace_class"].map(lambda c: reference.nace_class_label(str(c)) or "")
    coverage = ", ".join(sorted(set(density["coverage"].dropna().astype(str)))) or "BV and NV only"
    out["coverage"] = coverage
    out["basis"] = OPEN_DATA_BASIS
    return out[list(DENSITY_COLUMNS)], notes


def estimated_supply(
    density: pd.DataFrame, yields: pd.DataFrame, material_names: dict[str, str]
) -> pd.DataFrame:
    """Per postcode region and material: the sectors' active BV/NV establishments x tonnes
    per employee (knowledge base producer_yields) x PERSONS_PER_ESTABLISHMENT — at least
    that much; more in reality (bigger firms, other legal forms)."""
    if density.empty or yields is None or yields.empty:
        return pd.DataFrame(columns=list(SUPPLY_COLUMNS))
    from regionomie.domain.opportunities.common import match_nace

    y = yields[["material_id", "producer_nace", "tonnes_per_employee_per_year"]].copy()
    y["tonnes_per_employee_per_year"] = pd.to_numeric(
        y["tonnes_per_employee_per_year"], errors="coerce"
    )
    joined = match_nace(density, "nace_class", y, "producer_nace")
    if joined.empty:
        return pd.DataFrame(columns=list(SUPPLY_COLUMNS))
    # a 4-digit yield wins over a 2-digit one for the same sector and material
    joined = joined.sort_values(
        ["postcode_region", "nace_class", "material_id", "nace_match_digits"],
        ascending=[True, True, True, False],
    ).drop_duplicates(["postcode_region", "nace_class", "material_id"])
    joined["tonnes_per_year_at_least"] = (
        joined["establishments"]
        * PERSONS_PER_ESTABLISHMENT
        * joined["tonnes_per_employee_per_year"]
    ).round(2)
    joined["material"] = joined["material_id"].map(lambda m: material_names.get(m, m))
    joined["basis"] = (
        OPEN_DATA_BASIS
        + f"; schatting: vestigingen x {PERSONS_PER_ESTABLISHMENT} persoon x "
        + joined["tonnes_per_employee_per_year"].map(lambda t: f"{t:g}")
        + " t per werkzame persoon per jaar (kennisbank producer_yields): ondergrens"
    )
    out = joined.sort_values(
        ["postcode_region", "tonnes_per_year_at_least", "material_id", "nace_class"],
        ascending=[True, False, True, True],
    )
    return out[list(SUPPLY_COLUMNS)].reset_index(drop=True)


def open_data_frames(
    density: pd.DataFrame | None,
    municipality_codes: Sequence[str],
    yields: pd.DataFrame,
    material_names: dict[str, str],
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """{'sector_density': ..., 'estimated_supply': ...} for a region, and notes."""
    areas = region_postcode_areas(municipality_codes)
    dens, notes = sector_density(density, areas)
    supply = estimated_supply(dens, yields, material_names)
    if len(dens):
        notes.append(
            f"open-data mode: sector density for postcode regions {', '.join(areas) or 'all'} "
            f"from the KvK open dataset (BV and NV only; a postcode region is wider than the "
            f"region's municipalities); {len(supply)} sector-level supply estimates (lower "
            "bounds: one person per establishment)"
        )
    return {"sector_density": dens, "estimated_supply": supply}, notes


# ---- social cases that need no establishment list ------------------------------------------

OPEN_DATA_SOCIAL_NOTE = (
    "Open-datamodus: er zijn geen KvK-vestigingen geladen, dus geen circulaire cases tussen "
    "bedrijven. De sociale cases hieronder gaan uit van de sectoren die volgens de open KvK-"
    "dataset (alleen BV en NV) in de postcoderegio's van de gemeente zitten; wie de aanbieder "
    "is, weet de run niet. Zie docs/getting-real-data.md voor de KvK- en LMA-route."
)


def sector_actors(
    density: pd.DataFrame,
    municipalities: pd.DataFrame | None,
    municipality_codes: Sequence[str],
    classes: Sequence[str],
) -> pd.DataFrame:
    """One stand-in actor per municipality and NACE class of `classes` that the open dataset
    counts in the municipality's postcode regions: at the municipality's centre, named by its
    count and sector and marked open data (the columns add_display_columns gives). Sole
    proprietors never appear: the open dataset holds BV and NV only, without names."""
    cols = [
        "establishment_id", "display_name", "display_address", "nace_class",
        "municipality_code", "lat", "lon", "employees",
    ]  # fmt: skip
    if density.empty or municipalities is None or municipalities.empty:
        return pd.DataFrame(columns=cols)
    centres = municipalities.drop_duplicates("municipality_code").set_index("municipality_code")
    wanted = {str(c)[:4] for c in classes}
    known = _postcode_areas()
    rows = []
    for code in municipality_codes:
        if code not in centres.index:
            continue
        areas = set(known.get(code, ()))
        here = density[density["postcode_region"].astype(str).isin(areas)]
        here = here[here["nace_class"].astype(str).str.slice(0, 4).isin(wanted)]
        for nace, group in here.groupby(here["nace_class"].astype(str).str.slice(0, 4)):
            n = int(group["establishments"].sum())
            if n <= 0:
                continue
            sector = str(group["sector"].iloc[0]) or nace
            rows.append(
                {
                    "establishment_id": f"open-data:{nace}:{code}",
                    "display_name": f"{n} BV/NV-vestigingen '{sector}' in postcoderegio "
                    f"{', '.join(sorted(areas))} (open data)",
                    "display_address": "",
                    "nace_class": nace,
                    "municipality_code": code,
                    "lat": float(centres.at[code, "lat"]),
                    "lon": float(centres.at[code, "lon"]),
                    "employees": None,
                }
            )
    return pd.DataFrame(rows, columns=cols)


def open_data_social(
    result: Any,
    density: pd.DataFrame | None,
    municipalities: pd.DataFrame | None,
    municipality_codes: Sequence[str],
    kb: Any,
    config: Any,
) -> Any:
    """The run's result (OpportunityResult) with the social cases open data can support: per
    social mechanism, a site where the region's challenges call for it and the open dataset
    counts providers of its classes in the municipality's postcode regions; the partner is a
    new initiative where the partner class can start small (no establishment list to find an
    existing one). Ranked with business_cases, worked out with business_case_cards, noted as
    open data."""
    from dataclasses import replace

    from regionomie.domain.dutch_context import context_for
    from regionomie.domain.opportunities.cases import business_case_cards, business_cases
    from regionomie.domain.opportunities.common import nace_labeler
    from regionomie.domain.opportunities.social import SITE_COLUMNS, social_cases, social_sites

    dens, _ = sector_density(density, region_postcode_areas(municipality_codes))
    context = context_for(kb)
    codes = list(municipality_codes)
    parts = []
    for mechanism in context.mechanisms:
        if mechanism.kind != "social":
            continue
        actors = sector_actors(dens, municipalities, codes, mechanism.providers)
        if actors.empty:
            continue
        one = replace(context, mechanisms=[mechanism])
        parts.append(social_sites(actors, result.challenges, municipalities, codes, one, config))
    parts = [p for p in parts if len(p)]
    sites = (
        pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(SITE_COLUMNS))
    )
    notes = [OPEN_DATA_SOCIAL_NOTE]
    if sites.empty:
        notes.append(
            "Geen sociale cases: de open KvK-dataset telt in de postcoderegio's van deze regio "
            "geen aanbieders van de sociale mechanismen, of de opgaven zijn niet groter dan in "
            "Nederland."
        )
        return replace(result, notes=notes)
    label = nace_labeler()
    social, partners = social_cases(
        sites, result.challenges, municipalities, context, config, label
    )
    cases = business_cases(
        result.candidates,
        municipalities,
        config,
        challenges=result.challenges,
        context=context,
        social_cases=social,
        sector_label=label,
    )
    cards = business_case_cards(
        cases,
        result.candidates,
        result.challenges,
        config,
        municipalities=municipalities,
        social_partners=partners,
        context=context,
    )
    return replace(result, cases=cases, cards=cards, sites=sites, notes=notes)
