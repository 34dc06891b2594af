"""Vectorised checks behind the derived rules: pandas computes a boolean column per rule.

Why: GX has no native expectation for "point on Dutch land", "below its EURAL chapter's
ceiling", "not in the future" or "exists in a related table". Each function here returns one
boolean per row (True = passes); the rule then expects that column to be True, so GX stays the
single engine that counts, reports and renders every failure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regionomie.quality.geo import on_dutch_land
from regionomie.quality.rules import Deriver, ValidationContext
from regionomie.quality.thresholds import MIN_DATE, MIN_PERIOD_YEAR, WEIGHT_CEILING_KG_BY_CHAPTER


def _iso_dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, format="ISO8601", errors="coerce")


def date_ok(col: str) -> Deriver:
    def fn(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
        raw = df[col]
        parsed = _iso_dates(raw)
        ok = parsed.notna() & (parsed >= MIN_DATE) & (parsed <= pd.Timestamp(ctx.today))
        return raw.isna() | ok

    return fn


def end_not_before_start(start: str, end: str) -> Deriver:
    def fn(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
        s, e = _iso_dates(df[start]), _iso_dates(df[end])
        return s.isna() | e.isna() | (e >= s)

    return fn


def on_land(df: pd.DataFrame, ctx: ValidationContext) -> np.ndarray:
    lat = pd.to_numeric(df["lat"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    lon = pd.to_numeric(df["lon"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    both_missing = np.isnan(lat) & np.isnan(lon)
    return both_missing | on_dutch_land(lat, lon)


def sbi_known(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    assert ctx.sbi_codes is not None
    code, version = df["sbi_main"], df["sbi_version"].astype("string")
    ok = code.isna()
    for ver, codes in ctx.sbi_codes.items():
        ok = ok | ((version == ver).fillna(False) & code.isin(codes))
    return ok


def weight_plausible(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    chapter = df["eural_code"].astype("string").str.slice(0, 2)
    ceiling = chapter.map(WEIGHT_CEILING_KG_BY_CHAPTER).astype("float64")
    weight = pd.to_numeric(df["weight_kg"], errors="coerce")
    # unknown chapter -> the eural rules catch it; missing weight -> null-rate gate catches it
    return (weight <= ceiling).fillna(True) | ceiling.isna() | weight.isna()


def period_not_in_future(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    y = pd.to_numeric(df["period_year"], errors="coerce")
    m = pd.to_numeric(df["period_month"], errors="coerce")
    return (y * 12 + m <= ctx.today.year * 12 + ctx.today.month).fillna(True)


def exists_in(col: str, table: str, other_col: str) -> Deriver:
    def fn(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
        known = ctx.related[table][other_col].dropna().unique()
        return df[col].isna() | df[col].isin(known)

    return fn


def region_code_matches(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    rc = df["region_code"].astype("string")
    mc = df["municipality_code"].astype("string")
    return (rc.str.slice(2, 6) == mc.str.slice(2, 6)).fillna(False) | rc.isna() | mc.isna()


#: the Nederland row (NL00/NL01) is kept: a region is compared with the country
REGION_TYPE_BY_PREFIX = {"GM": "Gemeente", "WK": "Wijk", "BU": "Buurt", "NL": "Land"}


def region_type_matches(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    expected = df["region_code"].astype("string").str.slice(0, 2).map(REGION_TYPE_BY_PREFIX)
    return (expected == df["region_type"]).fillna(False) | df["region_type"].isna()


def period_year_plausible(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    year = pd.to_numeric(df["period"].astype("string").str.slice(0, 4), errors="coerce")
    return df["period"].isna() | ((year >= MIN_PERIOD_YEAR) & (year <= ctx.today.year)).fillna(
        False
    )


def challenges_resolved(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    """Per row: its table and year deliver every challenge they must. Rows with an
    implausible period are judged (and quarantined) by period_year_plausible instead."""
    from regionomie.domain.cbs_indicators import challenges_resolved_mask

    plausible = period_year_plausible(df, ctx).fillna(False).astype(bool)
    mask = pd.Series(True, index=df.index)
    mask[plausible] = challenges_resolved_mask(df[plausible])
    return mask


def unresolved_detail(df: pd.DataFrame) -> str:
    from regionomie.domain.cbs_indicators import describe_unresolved

    plausible = period_year_plausible(df, ValidationContext()).fillna(False).astype(bool)
    return "no value for " + (describe_unresolved(df[plausible]) or "?")


def link_consistent(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    unmatched = df["match_method"] == "none"
    return (unmatched == df["vestigingsnummer"].isna()).fillna(False)


def sbi_any_version(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    # the bulk file carries no version tag: the code must exist in one of them
    assert ctx.sbi_codes is not None
    known = frozenset().union(*ctx.sbi_codes.values())
    return df["sbi_code"].isna() | df["sbi_code"].isin(known)
