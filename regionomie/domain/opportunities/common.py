"""Shared helpers of the opportunity engine: geometry, code normalisation, KB access, privacy.

Privacy rule: an eenmanszaak's trade name is usually a person's name (GDPR personal data).
Every output of the engine carries `display_name`, never `trade_name`; for sole proprietors it
is a pseudonym "Eenmanszaak (<sector>, <postcode digits>)", the street address is reduced to
postcode digits + city and the location to the centre of its 500 m cell (rules in
regionomie.domain.privacy), so no distance or map the engine derives reveals a home address.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import pandas as pd

from regionomie.domain.privacy import coarsen_locations, names_are_personal, sole_proprietor_label

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON_NL = 111.320 * float(np.cos(np.radians(52.2)))  # equirectangular at NL latitude


class KnowledgeLike(Protocol):
    """What the engine needs from regionomie.domain.knowledge.KnowledgeBase: materials and
    pathways DataFrames and `yields` (tonnes per employee per producer class)."""

    materials: pd.DataFrame
    pathways: pd.DataFrame


def haversine_km(
    lat1: np.ndarray | pd.Series,
    lon1: np.ndarray | pd.Series,
    lat2: np.ndarray | pd.Series,
    lon2: np.ndarray | pd.Series,
) -> np.ndarray:
    """Great-circle distance in km, vectorised."""
    p1 = np.radians(np.asarray(lat1, dtype="float64"))
    p2 = np.radians(np.asarray(lat2, dtype="float64"))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype="float64") - np.asarray(lon1, dtype="float64"))
    a = np.sin(dp / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def digits(series: pd.Series) -> pd.Series:
    """Keep only digits ('56.10' -> '5610'); missing stays ''."""
    return series.fillna("").astype(str).str.replace(r"\D", "", regex=True)


def split_codes(series: pd.Series) -> pd.Series:
    """';'-separated code lists -> lists of digit strings (empty entries dropped)."""

    def _split(value: Any) -> list[str]:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return []
        parts = ["".join(ch for ch in str(p) if ch.isdigit()) for p in str(value).split(";")]
        return [p for p in parts if p]

    return series.map(_split)


def as_object_strings(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with its text columns as plain Python objects instead of Arrow strings.

    The engine joins, filters and sorts millions of rows keyed by ids; pandas' Arrow-backed
    `str` columns copy the string bytes on every take, object columns copy pointers
    (measured: 4x faster candidate generation at 60,000 establishments)."""
    text = [c for c in df.columns if isinstance(df[c].dtype, pd.StringDtype)]
    return df.astype(dict.fromkeys(text, object)) if text else df


def to_bool(series: pd.Series) -> pd.Series:
    """Booleans from bool/str/number columns ('true', 'ja', '1', 'yes' are True)."""
    if series.dtype == bool:
        return series
    text = series.fillna("").astype(str).str.strip().str.lower()
    return text.isin(["true", "1", "ja", "yes", "y", "j", "1.0"])


def nace_labeler() -> Callable[[str], str]:
    """The NACE class label from the reference lists; 'NACE xxxx' for a code they lack."""
    from regionomie.domain.reference import nace_class_label

    def label(nace: str) -> str:
        if not nace:
            return "onbekende sector"
        return nace_class_label(nace) or f"NACE {nace}"

    return label


def add_display_columns(
    establishments: pd.DataFrame, label: Callable[[str], str] | None = None
) -> pd.DataFrame:
    """establishment id, display_name, display_address, nace, municipality, lat/lon, employees:
    the only actor fields outputs may carry (trade names of sole proprietors pseudonymised)."""
    label = label or nace_labeler()
    est = establishments
    n = len(est)

    def col(name: str, default: Any = "") -> pd.Series:
        if name in est.columns:
            return est[name]
        return pd.Series([default] * n, index=est.index)

    sole = sole_proprietor_mask(est)
    nace = digits(col("nace_class")).str.slice(0, 4)
    postcode = col("postcode").fillna("").astype(str).str.replace(" ", "", regex=False)
    pc4 = postcode.str.slice(0, 4)
    city = col("city").fillna("").astype(str)
    unique_nace = sorted(set(nace))
    labels = {code: label(code) for code in unique_nace}
    sector = nace.map(labels)
    pseudonym = pd.Series(
        [sole_proprietor_label(a, b) for a, b in zip(sector, pc4, strict=True)],
        index=est.index,
        dtype=object,
    )
    trade = col("trade_name").fillna("").astype(str)
    trade = trade.where(trade != "", "Vestiging " + col("vestigingsnummer").astype(str))
    name = trade.where(~sole, pseudonym)
    street = (
        col("street").fillna("").astype(str)
        + " "
        + col("house_number").fillna("").astype(str)
        + col("house_number_addition").fillna("").astype(str)
    ).str.strip()
    full_address = (street + ", " + postcode + " " + city).str.strip(" ,")
    reduced_address = (pc4 + " " + city).str.strip()
    address = full_address.where(~sole, reduced_address)
    employees = pd.to_numeric(col("employees", np.nan), errors="coerce")
    lat = pd.to_numeric(col("lat", np.nan), errors="coerce").astype("float64")
    lon = pd.to_numeric(col("lon", np.nan), errors="coerce").astype("float64")
    if sole.any():  # the engine never sees a sole proprietor's exact location
        mask = sole.to_numpy(dtype=bool)
        lat, lon = lat.copy(), lon.copy()
        lat[mask], lon[mask] = coarsen_locations(lat[mask], lon[mask])
    out = pd.DataFrame(
        {
            "establishment_id": col("vestigingsnummer").astype(str),
            "display_name": name.astype(str),
            "display_address": address.astype(str),
            "is_sole_proprietor": sole.astype(bool),
            "nace_class": nace,
            "sector_label": sector.astype(str),
            "municipality_code": col("municipality_code", None).astype(object),
            "lat": lat,
            "lon": lon,
            "employees": employees,
            "active": to_bool(col("active", True)) if "active" in est.columns else True,
            "sbi_code": digits(col("sbi_main")),
        },
        index=est.index,
    )
    return out


def sole_proprietor_mask(est: pd.DataFrame) -> pd.Series:
    """is_sole_proprietor, failing closed: a missing flag is decided by the legal form, and a
    row with neither counts as a sole proprietor (its name is masked)."""
    if "is_sole_proprietor" in est.columns:
        flag = est["is_sole_proprietor"]
        sole = to_bool(flag)
        unknown = flag.isna()
        if unknown.any():
            forms = est["legal_form"] if "legal_form" in est.columns else pd.Series("", est.index)
            sole = sole | (unknown & names_are_personal(forms))
        return sole.astype(bool)
    if "legal_form" in est.columns:
        return names_are_personal(est["legal_form"])
    return pd.Series(True, index=est.index)


def kb_frames(kb: KnowledgeLike) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """materials, pathways, yields with normalised code columns."""
    materials = kb.materials.copy()
    materials["material_id"] = materials["material_id"].astype(str)
    materials["hazardous"] = to_bool(materials["hazardous"]) if "hazardous" in materials else False
    pathways = kb.pathways.copy()
    pathways["material_id"] = pathways["material_id"].astype(str)
    pathways["pathway_id"] = pathways["pathway_id"].astype(str)
    pathways["receiver_nace"] = digits(pathways["receiver_nace"]).str.slice(0, 4)
    pathways["food_or_feed"] = to_bool(pathways["food_or_feed"])
    for column, default in (
        ("value_eur_per_tonne", 0.0),
        ("co2_avoided_kg_per_tonne", 0.0),
        ("jobs_per_1000_tonnes", 0.0),
        ("strength", 0.5),
    ):
        values = pathways[column] if column in pathways else default
        pathways[column] = pd.to_numeric(values, errors="coerce").fillna(default)
    for column in (
        "receiver_label",
        "use_category",
        "use_description",
        "caveats",
        "evidence_type",
        "evidence",
    ):
        if column not in pathways:
            pathways[column] = ""
        pathways[column] = pathways[column].fillna("").astype(str)
    yields_df = getattr(kb, "yields", None)
    if yields_df is None:
        yields_df = pd.DataFrame(
            columns=["material_id", "producer_nace", "tonnes_per_employee_per_year", "source"]
        )
    yields = yields_df.copy()
    yields["material_id"] = yields["material_id"].astype(str)
    yields["tonnes_per_employee_per_year"] = pd.to_numeric(
        yields["tonnes_per_employee_per_year"], errors="coerce"
    )
    if "source" not in yields:
        yields["source"] = ""
    return materials, pathways, yields


def match_nace(
    left: pd.DataFrame,
    nace_col: str,
    codes: pd.DataFrame,
    code_col: str,
    also_on: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Join rows of `left` to `codes` whose 2- or 4-digit code matches left[nace_col] (and
    whose `also_on` columns are equal); adds `nace_match_digits` (4 or 2)."""
    codes = codes.copy()
    codes[code_col] = digits(codes[code_col])
    left = left.copy()
    left["_n4"] = left[nace_col].fillna("").astype(str).str.slice(0, 4)
    left["_n2"] = left["_n4"].str.slice(0, 2)
    four = codes[codes[code_col].str.len() == 4]
    two = codes[codes[code_col].str.len() == 2]
    keys = list(also_on)
    m4 = left.merge(four, left_on=["_n4", *keys], right_on=[code_col, *keys], how="inner")
    m4["nace_match_digits"] = 4
    m2 = left.merge(two, left_on=["_n2", *keys], right_on=[code_col, *keys], how="inner")
    m2["nace_match_digits"] = 2
    both = pd.concat([m4, m2], ignore_index=True)
    return both.drop(columns=["_n4", "_n2"])
