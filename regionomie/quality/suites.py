"""One Great Expectations suite per dataset, built in code and versioned.

Every rule is declared exactly once, in `rules_for(table, context)`, with its level:

* ``row``     -> rows that fail are quarantined (set aside with the rule name as the reason);
* ``dataset`` -> the whole load is gated (schema drift, null rates, volume, coverage).

A rule is a GX expectation on either a contract column or on a derived boolean column
(``_q_<rule>``) that pandas computes vectorised beforehand, for checks GX cannot express
natively (point on land, per-EURAL-chapter ceilings, dates not in the future, cross-table
links). Derived rules keep GX as the single engine that reports, counts and renders Data Docs.

This module is pure domain logic plus GX: it imports neither dagster nor neo4j.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402
from great_expectations.expectations import Expectation  # noqa: E402

from regionomie.domain.schemas import CONTRACTS  # noqa: E402
from regionomie.quality.geo import NL_BBOX, on_dutch_land  # noqa: E402

Level = Literal["row", "dataset"]
DERIVED_PREFIX = "_q_"

# Bump the table's version whenever a rule, threshold or ceiling of that suite changes, so a
# stored validation result can be traced to the exact rules it was judged by.
SUITE_VERSIONS: dict[str, str] = {
    "organisations": "1.0.0",
    "establishments": "1.0.0",
    "waste_records": "1.1.0",
    "waste_party_links": "1.1.0",
    "municipal_indicators": "1.1.0",
    "municipalities": "1.0.0",
    "sector_density": "1.1.0",
    "eural": "1.0.0",
    "sbi2008": "1.0.0",
    "sbi2025": "1.0.0",
}

# Reference lists are not pipeline tables (no provenance columns): their own small contracts.
# (Shapes of the shipped CSVs read by regionomie.domain.reference, read as strings.)
REFERENCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "eural": (
        "code",
        "level",
        "chapter",
        "subchapter",
        "hazardous",
        "description_nl",
        "description_en",
    ),
    "sbi2008": ("code", "level", "section", "parent", "label_nl", "label_en"),
    "sbi2025": ("code", "label_nl", "nace21_class", "nace2_class", "label_en", "nace2_basis"),
}

# Monthly weight ceiling per EURAL chapter (first two digits), in kg, for ONE waste stream
# (afvalstroomnummer) in ONE reporting month. Set about an order of magnitude above the largest
# plausible Dutch monthly stream of that chapter (the biggest incinerators take ~100 kt/month
# across all their streams; soil/C&D streams of large works reach tens of kt/month). A value
# above it is almost surely a unit error (tonnes typed as kg x1000, grams), so the row is
# quarantined rather than allowed to dominate a ranking.
WEIGHT_CEILING_KG_BY_CHAPTER: dict[str, float] = {
    "01": 50_000_000,  # mining and quarrying
    "02": 20_000_000,  # agriculture, food preparation (spent grain, food waste)
    "03": 20_000_000,  # wood, pulp, paper production
    "04": 5_000_000,  # leather, fur, textiles
    "05": 20_000_000,  # petroleum refining, gas, coal pyrolysis
    "06": 10_000_000,  # inorganic chemical processes
    "07": 10_000_000,  # organic chemical processes
    "08": 2_000_000,  # coatings, adhesives, inks
    "09": 500_000,  # photographic industry
    "10": 50_000_000,  # thermal processes (ashes, slags)
    "11": 2_000_000,  # metal surface treatment
    "12": 10_000_000,  # shaping and treatment of metals and plastics
    "13": 10_000_000,  # oil wastes
    "14": 2_000_000,  # solvents, refrigerants
    "15": 10_000_000,  # packaging, absorbents
    "16": 10_000_000,  # not otherwise specified (vehicles, batteries, ...)
    "17": 100_000_000,  # construction and demolition, incl. excavated soil
    "18": 1_000_000,  # human or animal health care
    "19": 50_000_000,  # waste management facilities, water treatment
    "20": 30_000_000,  # municipal wastes incl. separately collected fractions
}

# Maximum share of nulls per column (dataset level), and whether exceeding it blocks the load.
# Key columns are not listed: they are row-level not-null rules. Blocking where a missing value
# makes the table useless for matching (weights, postcodes, region names); a warning where the
# source legitimately omits an enrichment (KvK Zoeken results carry no SBI code, coordinates or
# municipality; CBS suppresses small counts): the rate is then reported and rendered, not gated.
MAX_NULL_RATE: dict[str, dict[str, tuple[float, bool]]] = {
    "organisations": {
        "legal_form": (0.10, False),
        "sbi_main": (0.20, False),
        "registration_date": (0.20, False),
    },
    "establishments": {
        "postcode": (0.05, True),
        "city": (0.05, True),
        "sbi_main": (0.10, False),
        "municipality_code": (0.10, False),
        "lat": (0.20, False),
        "lon": (0.20, False),
    },
    "waste_records": {
        "weight_kg": (0.01, True),
        "processing_code": (0.05, True),
        "eural_description": (0.05, False),
    },
    "waste_party_links": {},
    "municipal_indicators": {"region_name": (0.01, True), "value": (0.50, False)},
    "municipalities": {"lat": (0.05, True), "lon": (0.05, True)},
    "eural": {},
    "sbi2008": {},
    "sbi2025": {},
}

MAX_EMPLOYEES = 100_000  # the largest Dutch employers are well under 100k people per KvK number
MIN_PERIOD_YEAR = 2000  # LMA extracts and CBS tables used here start after 2000
MIN_DATE = pd.Timestamp("1700-01-01")  # older registration dates are data-entry errors
PROVINCE_CODES: frozenset[str] = frozenset(f"PV{n}" for n in range(20, 32))  # PV20..PV31
VOLUME_BAND: tuple[float, float] = (0.5, 2.0)  # allowed row count vs previous successful load
EURAL_ROW_BAND: tuple[int, int] = (700, 1000)  # the 2014 list has 842 entries (+ headings)
SBI_ROW_BAND: tuple[int, int] = (500, 3000)  # SBI 2008 all levels ~1,450; SBI 2025 ~900

PERSONAL_COLUMNS: frozenset[str] = frozenset({"name", "trade_name"})


@dataclass
class ValidationContext:
    """Everything a suite needs besides the table: reference sets, the region, the previous
    load's size and related tables for cross-dataset checks. A rule whose input is None is
    skipped (reported in ValidationOutcome.skipped_rules), never silently passed."""

    eural_codes: frozenset[str] | None = None
    hazardous_codes: frozenset[str] | None = None
    sbi_codes: Mapping[str, frozenset[str]] | None = None  # {"2008": {...}, "2025": {...}}
    municipality_codes: frozenset[str] | None = None  # every valid GM code
    region_municipality_codes: frozenset[str] | None = None  # the region being loaded
    previous_row_count: int | None = None
    related: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    volume_band: tuple[float, float] = VOLUME_BAND


Deriver = Callable[[pd.DataFrame, ValidationContext], "pd.Series[bool] | np.ndarray"]


@dataclass(frozen=True)
class Rule:
    """One check. `columns` are the contract columns it reads (the rule is skipped when one is
    missing, and their values are reported as failed_values); `derive` builds the boolean
    column the expectation tests, for checks GX has no native expectation for."""

    name: str
    level: Level
    expectation: Expectation
    columns: tuple[str, ...] = ()
    derive: Deriver | None = None
    description: str = ""
    blocking: bool = True  # dataset level only: False = reported as a warning, load goes on
    detail: Callable[[pd.DataFrame], str] | None = None  # dataset level: what exactly failed

    @property
    def derived_column(self) -> str:
        return f"{DERIVED_PREFIX}{self.name}"


# ---------------------------------------------------------------- rule constructors
E = gx.expectations


def _regex(name: str, col: str, pattern: str, desc: str) -> Rule:
    return Rule(
        name,
        "row",
        E.ExpectColumnValuesToMatchRegex(column=col, regex=pattern),
        (col,),
        description=desc,
    )


def _not_null(col: str) -> Rule:
    return Rule(
        f"{col}_present",
        "row",
        E.ExpectColumnValuesToNotBeNull(column=col),
        (col,),
        description=f"{col} is required",
    )


def _unique(name: str, cols: tuple[str, ...], desc: str) -> Rule:
    exp: Expectation
    if len(cols) == 1:
        exp = E.ExpectColumnValuesToBeUnique(column=cols[0])
    else:
        exp = E.ExpectCompoundColumnsToBeUnique(column_list=list(cols))
    return Rule(name, "row", exp, cols, description=desc)


def _between(
    name: str, col: str, lo: float | None, hi: float | None, desc: str, strict_max: bool = False
) -> Rule:
    exp = E.ExpectColumnValuesToBeBetween(
        column=col, min_value=lo, max_value=hi, strict_max=strict_max
    )
    return Rule(name, "row", exp, (col,), description=desc)


def _in_set(name: str, col: str, values: frozenset[str] | set[Any] | list[Any], desc: str) -> Rule:
    exp = E.ExpectColumnValuesToBeInSet(column=col, value_set=sorted(values, key=str))
    return Rule(name, "row", exp, (col,), description=desc)


def _derived(name: str, cols: tuple[str, ...], fn: Deriver, desc: str) -> Rule:
    exp = E.ExpectColumnValuesToBeInSet(column=f"{DERIVED_PREFIX}{name}", value_set=[True])
    return Rule(name, "row", exp, cols, derive=fn, description=desc)


def _null_rate(table: str) -> list[Rule]:
    return [
        Rule(
            f"{col}_null_rate",
            "dataset",
            E.ExpectColumnProportionOfNonNullValuesToBeBetween(column=col, min_value=1 - rate),
            (col,),
            description=f"at most {rate:.0%} of {col} may be missing",
            blocking=blocking,
        )
        for col, (rate, blocking) in MAX_NULL_RATE.get(table, {}).items()
    ]


def _open_data_coverage() -> str:
    from regionomie.domain.parsers.kvk import OPEN_DATA_COVERAGE

    return OPEN_DATA_COVERAGE


def _sector_density_columns() -> tuple[str, ...]:
    # Not a schemas.py contract (yet): the KvK bulk parser declares its own output columns.
    from regionomie.domain.parsers.kvk import SECTOR_DENSITY_COLUMNS
    from regionomie.domain.schemas import PROVENANCE_COLUMNS

    return tuple(SECTOR_DENSITY_COLUMNS) + PROVENANCE_COLUMNS


def expected_columns(table: str) -> tuple[str, ...]:
    """The columns a table must have: the contract (with provenance) or a reference list."""
    if table in REFERENCE_COLUMNS:
        return REFERENCE_COLUMNS[table]
    if table == "sector_density":
        return _sector_density_columns()
    return CONTRACTS[table].all_columns


def _schema_rule(table: str, derived: tuple[str, ...]) -> Rule:
    cols = list(expected_columns(table)) + list(derived)
    return Rule(
        "schema_matches_contract",
        "dataset",
        E.ExpectTableColumnsToMatchSet(column_set=cols, exact_match=True),
        description="columns equal the table contract: a missing or extra column is schema drift",
    )


def _volume_rules(context: ValidationContext) -> list[Rule]:
    rules = [
        Rule(
            "not_empty",
            "dataset",
            E.ExpectTableRowCountToBeBetween(min_value=1),
            description="a load with no rows is not a load",
        )
    ]
    prev = context.previous_row_count
    if prev:
        lo, hi = context.volume_band
        rules.append(
            Rule(
                "row_count_within_band",
                "dataset",
                E.ExpectTableRowCountToBeBetween(
                    min_value=math.ceil(prev * lo), max_value=math.floor(prev * hi)
                ),
                description=f"row count within {lo:.0%}..{hi:.0%} of the previous load ({prev}); "
                "if the change is deliberate, re-run with "
                '`regionomie run --accept-volume-change "reason"` (run tag '
                "regionomie/accept_volume_change)",
            )
        )
    return rules


# ---------------------------------------------------------------- vectorised derivations
def _iso_dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, format="ISO8601", errors="coerce")


def _date_ok(col: str) -> Deriver:
    def fn(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
        raw = df[col]
        parsed = _iso_dates(raw)
        ok = parsed.notna() & (parsed >= MIN_DATE) & (parsed <= pd.Timestamp(ctx.today))
        return raw.isna() | ok

    return fn


def _end_not_before_start(start: str, end: str) -> Deriver:
    def fn(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
        s, e = _iso_dates(df[start]), _iso_dates(df[end])
        return s.isna() | e.isna() | (e >= s)

    return fn


def _on_land(df: pd.DataFrame, ctx: ValidationContext) -> np.ndarray:
    lat = pd.to_numeric(df["lat"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    lon = pd.to_numeric(df["lon"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    both_missing = np.isnan(lat) & np.isnan(lon)
    return both_missing | on_dutch_land(lat, lon)


def _sbi_known(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    assert ctx.sbi_codes is not None
    code, version = df["sbi_main"], df["sbi_version"].astype("string")
    ok = code.isna()
    for ver, codes in ctx.sbi_codes.items():
        ok = ok | ((version == ver).fillna(False) & code.isin(codes))
    return ok


def _weight_plausible(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    chapter = df["eural_code"].astype("string").str.slice(0, 2)
    ceiling = chapter.map(WEIGHT_CEILING_KG_BY_CHAPTER).astype("float64")
    weight = pd.to_numeric(df["weight_kg"], errors="coerce")
    # unknown chapter -> the eural rules catch it; missing weight -> null-rate gate catches it
    return (weight <= ceiling).fillna(True) | ceiling.isna() | weight.isna()


def _period_not_in_future(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    y = pd.to_numeric(df["period_year"], errors="coerce")
    m = pd.to_numeric(df["period_month"], errors="coerce")
    return (y * 12 + m <= ctx.today.year * 12 + ctx.today.month).fillna(True)


def _exists_in(col: str, table: str, other_col: str) -> Deriver:
    def fn(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
        known = ctx.related[table][other_col].dropna().unique()
        return df[col].isna() | df[col].isin(known)

    return fn


def _region_code_matches(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    rc = df["region_code"].astype("string")
    mc = df["municipality_code"].astype("string")
    return (rc.str.slice(2, 6) == mc.str.slice(2, 6)).fillna(False) | rc.isna() | mc.isna()


_REGION_TYPE_BY_PREFIX = {"GM": "Gemeente", "WK": "Wijk", "BU": "Buurt"}


def _region_type_matches(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    expected = df["region_code"].astype("string").str.slice(0, 2).map(_REGION_TYPE_BY_PREFIX)
    return (expected == df["region_type"]).fillna(False) | df["region_type"].isna()


def _period_year_plausible(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    year = pd.to_numeric(df["period"].astype("string").str.slice(0, 4), errors="coerce")
    return df["period"].isna() | ((year >= MIN_PERIOD_YEAR) & (year <= ctx.today.year)).fillna(
        False
    )


def _challenges_resolved(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    """Per row: its table and year deliver every challenge they must. Rows with an
    implausible period are judged (and quarantined) by period_year_plausible instead."""
    from regionomie.domain.cbs_indicators import challenges_resolved_mask

    plausible = _period_year_plausible(df, ctx).fillna(False).astype(bool)
    mask = pd.Series(True, index=df.index)
    mask[plausible] = challenges_resolved_mask(df[plausible])
    return mask


def _unresolved_detail(df: pd.DataFrame) -> str:
    from regionomie.domain.cbs_indicators import describe_unresolved

    plausible = _period_year_plausible(df, ValidationContext()).fillna(False).astype(bool)
    return "no value for " + (describe_unresolved(df[plausible]) or "?")


def _link_consistent(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    unmatched = df["match_method"] == "none"
    return (unmatched == df["vestigingsnummer"].isna()).fillna(False)


# ---------------------------------------------------------------- suites per table
_KVK = r"^\d{8}$"
# LMA: 12 characters, the receiver's 5-digit verwerkersnummer + 7 it chooses (letters allowed)
_AFVALSTROOMNUMMER = r"^\d{5}[0-9A-Z]{7}$"
_VESTIGING = r"^\d{12}$"
_GM = r"^GM\d{4}$"
_SBI = r"^\d{4,5}$"
_POSTCODE = r"^[1-9]\d{3}[A-Z]{2}$"


def _sbi_rules(ctx: ValidationContext) -> list[Rule]:
    rules = [
        _regex("sbi_main_format", "sbi_main", _SBI, "SBI code is 4 or 5 digits"),
        _in_set("sbi_version_known", "sbi_version", {"2008", "2025"}, "SBI 2008 or 2025"),
    ]
    if ctx.sbi_codes is not None:
        rules.append(
            _derived(
                "sbi_code_known",
                ("sbi_main", "sbi_version"),
                _sbi_known,
                "SBI code exists in the official list of its version",
            )
        )
    return rules


def _organisation_rules(ctx: ValidationContext) -> list[Rule]:
    return [
        _not_null("kvk_nummer"),
        _regex("kvk_nummer_format", "kvk_nummer", _KVK, "KvK number is 8 digits"),
        _unique("kvk_nummer_unique", ("kvk_nummer",), "one row per KvK number"),
        _not_null("name"),
        _not_null("is_sole_proprietor"),
        _in_set(
            "is_sole_proprietor_bool",
            "is_sole_proprietor",
            {True, False},
            "sole-proprietor flag decides personal-data handling: must be a boolean",
        ),
        *_sbi_rules(ctx),
        _between(
            "employees_range",
            "employees",
            0,
            MAX_EMPLOYEES,
            f"0 <= employees < {MAX_EMPLOYEES:,}",
            strict_max=True,
        ),
        _derived(
            "registration_date_valid",
            ("registration_date",),
            _date_ok("registration_date"),
            "registration date parses and is not in the future",
        ),
        _derived(
            "end_date_valid",
            ("end_date",),
            _date_ok("end_date"),
            "end date parses and is not in the future",
        ),
        _derived(
            "end_not_before_start",
            ("registration_date", "end_date"),
            _end_not_before_start("registration_date", "end_date"),
            "end date is not before the registration date",
        ),
    ]


def _establishment_rules(ctx: ValidationContext) -> list[Rule]:
    rules = [
        _not_null("vestigingsnummer"),
        _regex(
            "vestigingsnummer_format",
            "vestigingsnummer",
            _VESTIGING,
            "vestigingsnummer is 12 digits",
        ),
        _unique("vestigingsnummer_unique", ("vestigingsnummer",), "one row per establishment"),
        _not_null("kvk_nummer"),
        _regex("kvk_nummer_format", "kvk_nummer", _KVK, "KvK number is 8 digits"),
        _not_null("is_sole_proprietor"),
        _in_set(
            "is_sole_proprietor_bool",
            "is_sole_proprietor",
            {True, False},
            "sole-proprietor flag decides personal-data handling: must be a boolean",
        ),
        *_sbi_rules(ctx),
        _regex("postcode_format", "postcode", _POSTCODE, "Dutch postcode 1234AB"),
        _regex("municipality_code_format", "municipality_code", _GM, "GM + 4 digits"),
        _between(
            "lat_in_bbox",
            "lat",
            NL_BBOX["lat_min"],
            NL_BBOX["lat_max"],
            "latitude inside the Netherlands' bounding box",
        ),
        _between(
            "lon_in_bbox",
            "lon",
            NL_BBOX["lon_min"],
            NL_BBOX["lon_max"],
            "longitude inside the Netherlands' bounding box",
        ),
        _derived(
            "coordinates_on_land",
            ("lat", "lon"),
            _on_land,
            "point inside the coarse Dutch land polygon (not in the sea, not abroad)",
        ),
        _between(
            "employees_range",
            "employees",
            0,
            MAX_EMPLOYEES,
            f"0 <= employees < {MAX_EMPLOYEES:,}",
            strict_max=True,
        ),
        _derived(
            "start_date_valid",
            ("start_date",),
            _date_ok("start_date"),
            "start date parses and is not in the future",
        ),
        _derived(
            "end_date_valid",
            ("end_date",),
            _date_ok("end_date"),
            "end date parses and is not in the future",
        ),
        _derived(
            "end_not_before_start",
            ("start_date", "end_date"),
            _end_not_before_start("start_date", "end_date"),
            "end date is not before the start date",
        ),
    ]
    if ctx.municipality_codes is not None:
        rules.append(
            _in_set(
                "municipality_code_known",
                "municipality_code",
                ctx.municipality_codes,
                "GM code exists in the CBS list",
            )
        )
    if "organisations" in ctx.related:
        rules.append(
            _derived(
                "organisation_exists",
                ("kvk_nummer",),
                _exists_in("kvk_nummer", "organisations", "kvk_nummer"),
                "the establishment's KvK number is a loaded organisation",
            )
        )
    return rules


def _waste_record_rules(ctx: ValidationContext) -> list[Rule]:
    key = CONTRACTS["waste_records"].key
    rules = [
        _in_set(
            "extract_type_known",
            "extract_type",
            {"ontvangst", "afgifte"},
            "LMA receipt or delivery extract",
        ),
        _not_null("afvalstroomnummer"),
        _regex(
            "afvalstroomnummer_format",
            "afvalstroomnummer",
            _AFVALSTROOMNUMMER,
            "afvalstroomnummer: 5-digit verwerkersnummer + 7 digits/letters",
        ),
        _not_null("eural_code"),
        _regex("eural_code_format", "eural_code", r"^\d{6}$", "EURAL code is 6 digits"),
        _regex(
            "processing_code_format",
            "processing_code",
            r"^[A-G]\d{2}$",
            "LMA processing method code A01..G99",
        ),
        _not_null("period_year"),
        _not_null("period_month"),
        _between(
            "period_year_plausible",
            "period_year",
            MIN_PERIOD_YEAR,
            ctx.today.year,
            f"reporting year {MIN_PERIOD_YEAR}..this year",
        ),
        _between("period_month_range", "period_month", 1, 12, "reporting month 1..12"),
        _derived(
            "period_not_in_future",
            ("period_year", "period_month"),
            _period_not_in_future,
            "reporting period is not after the current month",
        ),
        _between("weight_non_negative", "weight_kg", 0, None, "weight_kg >= 0"),
        _derived(
            "weight_plausible",
            ("eural_code", "weight_kg"),
            _weight_plausible,
            "weight_kg below the monthly ceiling of its EURAL chapter",
        ),
        _between("loads_range", "loads", 0, 100_000, "0 <= loads <= 100,000 per month"),
        _unique("record_key_unique", key, "one row per " + ", ".join(key)),
    ]
    if ctx.eural_codes is not None:
        rules.append(
            _in_set(
                "eural_code_known",
                "eural_code",
                ctx.eural_codes,
                "EURAL code exists in the European List of Waste",
            )
        )
    return rules


def _waste_party_link_rules(ctx: ValidationContext) -> list[Rule]:
    from regionomie.domain.schemas import WASTE_PARTY_ROLES

    rules = [
        _regex(
            "afvalstroomnummer_format",
            "afvalstroomnummer",
            _AFVALSTROOMNUMMER,
            "afvalstroomnummer: 5-digit verwerkersnummer + 7 digits/letters",
        ),
        _in_set("role_known", "role", set(WASTE_PARTY_ROLES), "a known LMA party role"),
        _unique("link_key_unique", CONTRACTS["waste_party_links"].key, "one link per role"),
        _regex(
            "vestigingsnummer_format",
            "vestigingsnummer",
            _VESTIGING,
            "vestigingsnummer is 12 digits when present",
        ),
        _in_set(
            "match_method_known",
            "match_method",
            {"address", "name", "none"},
            "address, name or none",
        ),
        _between("confidence_range", "confidence", 0, 1, "confidence 0..1"),
        _derived(
            "link_consistent",
            ("match_method", "vestigingsnummer"),
            _link_consistent,
            "an establishment is given exactly when the match method is not 'none'",
        ),
    ]
    if "establishments" in ctx.related:
        rules.append(
            _derived(
                "linked_establishment_exists",
                ("vestigingsnummer",),
                _exists_in("vestigingsnummer", "establishments", "vestigingsnummer"),
                "a link that claims an establishment points at a loaded one",
            )
        )
    if "waste_records" in ctx.related:
        rules.append(
            _derived(
                "waste_record_exists",
                ("afvalstroomnummer",),
                _exists_in("afvalstroomnummer", "waste_records", "afvalstroomnummer"),
                "the link's afvalstroomnummer is a loaded waste stream",
            )
        )
    return rules


def _municipal_indicator_rules(ctx: ValidationContext) -> list[Rule]:
    rules = [
        _regex(
            "region_code_format",
            "region_code",
            r"^(?:GM\d{4}|WK\d{6}|BU\d{8})$",
            "GM+4, WK+6 or BU+8 digits, unpadded",
        ),
        _in_set(
            "region_type_known",
            "region_type",
            set(_REGION_TYPE_BY_PREFIX.values()),
            "Gemeente, Wijk or Buurt",
        ),
        _derived(
            "region_type_matches_code",
            ("region_code", "region_type"),
            _region_type_matches,
            "region_type agrees with the code prefix",
        ),
        _regex("municipality_code_format", "municipality_code", _GM, "GM + 4 digits"),
        _derived(
            "region_in_municipality",
            ("region_code", "municipality_code"),
            _region_code_matches,
            "the district/neighbourhood lies in its municipality",
        ),
        _regex("period_format", "period", r"^\d{4}", "period starts with a 4-digit year"),
        _derived(
            "period_year_plausible",
            ("period",),
            _period_year_plausible,
            f"period year {MIN_PERIOD_YEAR}..this year",
        ),
        _not_null("indicator"),
        _between(
            "value_non_negative", "value", 0, None, "counts, shares and amounts are not negative"
        ),
        _unique(
            "indicator_key_unique",
            CONTRACTS["municipal_indicators"].key,
            "one value per region, period and indicator",
        ),
        Rule(
            "challenge_indicators_resolved",
            "dataset",
            E.ExpectColumnValuesToBeInSet(
                column=f"{DERIVED_PREFIX}challenge_indicators_resolved", value_set=[True]
            ),
            ("source_table", "period", "indicator", "value"),
            derive=_challenges_resolved,
            description="every challenge a table must deliver resolves to a value in each "
            "of its years (Kerncijfers: unemployment ... vacancy; 83452NED: household waste)",
            detail=_unresolved_detail,
        ),
    ]
    if ctx.municipality_codes is not None:
        rules.append(
            _in_set(
                "municipality_code_known",
                "municipality_code",
                ctx.municipality_codes,
                "GM code exists in the CBS list",
            )
        )
    if ctx.region_municipality_codes:
        rules.append(
            Rule(
                "covers_region_municipalities",
                "dataset",
                E.ExpectColumnDistinctValuesToContainSet(
                    column="municipality_code", value_set=sorted(ctx.region_municipality_codes)
                ),
                ("municipality_code",),
                description="indicators exist for every municipality of the region",
            )
        )
    return rules


def _municipality_rules(ctx: ValidationContext) -> list[Rule]:
    rules = [
        _not_null("municipality_code"),
        _regex("municipality_code_format", "municipality_code", _GM, "GM + 4 digits"),
        _unique("municipality_code_unique", ("municipality_code",), "one row per municipality"),
        _not_null("name"),
        _in_set("province_code_known", "province_code", PROVINCE_CODES, "PV20..PV31"),
        _between(
            "lat_in_bbox",
            "lat",
            NL_BBOX["lat_min"],
            NL_BBOX["lat_max"],
            "latitude inside the Netherlands' bounding box",
        ),
        _between(
            "lon_in_bbox",
            "lon",
            NL_BBOX["lon_min"],
            NL_BBOX["lon_max"],
            "longitude inside the Netherlands' bounding box",
        ),
        _derived(
            "coordinates_on_land",
            ("lat", "lon"),
            _on_land,
            "point inside the coarse Dutch land polygon",
        ),
    ]
    if ctx.municipality_codes is not None:
        rules.append(
            _in_set(
                "municipality_code_known",
                "municipality_code",
                ctx.municipality_codes,
                "GM code exists in the CBS list",
            )
        )
    if ctx.region_municipality_codes:
        rules.append(
            Rule(
                "covers_region_municipalities",
                "dataset",
                E.ExpectColumnDistinctValuesToContainSet(
                    column="municipality_code", value_set=sorted(ctx.region_municipality_codes)
                ),
                ("municipality_code",),
                description="every municipality of the region is present",
            )
        )
    return rules


_EURAL_LEVEL_PATTERN = {"chapter": r"^\d{2}$", "subchapter": r"^\d{4}$", "entry": r"^\d{6}$"}
_SBI2008_LEVEL_LENGTH = {"section": 1, "division": 2, "group": 3, "class": 4, "subclass": 5}


def _eural_code_matches_level(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    code, level = df["code"].astype("string"), df["level"].astype("string")
    ok = pd.Series(False, index=df.index)
    for lvl, pattern in _EURAL_LEVEL_PATTERN.items():
        ok = ok | ((level == lvl) & code.str.fullmatch(pattern)).fillna(False)
    chapter_ok = (df["chapter"].astype("string") == code.str.slice(0, 2)).fillna(False)
    return ok & chapter_ok & code.str.slice(0, 2).isin(WEIGHT_CEILING_KG_BY_CHAPTER)


def _eural_hazard_on_entries(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    # entries carry True/False (the official '*'), headings carry no flag
    flag = df["hazardous"].astype("string").replace("", pd.NA)
    is_entry = df["level"] == "entry"
    valid_flag = flag.str.lower().isin(["true", "false"]).fillna(False)
    return (is_entry & valid_flag) | (~is_entry & flag.isna())


def _parent_exists(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    parent = df["parent"].astype("string").replace("", pd.NA)
    return parent.isna() | parent.isin(df["code"])


def _sbi2008_code_matches_level(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    code = df["code"].astype("string")
    expected_len = df["level"].map(_SBI2008_LEVEL_LENGTH)
    shape = code.str.fullmatch(r"[A-U]|\d{2,5}").fillna(False)
    return shape & (code.str.len() == expected_len).fillna(False)


def _eural_rules(ctx: ValidationContext) -> list[Rule]:
    return [
        _in_set("level_known", "level", set(_EURAL_LEVEL_PATTERN), "chapter/subchapter/entry"),
        _derived(
            "code_matches_level",
            ("code", "level", "chapter"),
            _eural_code_matches_level,
            "2/4/6 digits for chapter/subchapter/entry, chapter 01..20 and consistent",
        ),
        _unique("code_unique", ("code",), "one entry per code"),
        _derived(
            "hazard_flag_on_entries",
            ("level", "hazardous"),
            _eural_hazard_on_entries,
            "every entry says hazardous true/false (the official '*'); headings none",
        ),
        _not_null("description_nl"),
        Rule(
            "entry_count",
            "dataset",
            E.ExpectColumnValuesToBeInSet(column="level", value_set=["entry"], mostly=0.8),
            ("level",),
            description="most rows are 6-digit entries",
        ),
        Rule(
            "row_count_plausible",
            "dataset",
            E.ExpectTableRowCountToBeBetween(
                min_value=EURAL_ROW_BAND[0], max_value=EURAL_ROW_BAND[1] + 200
            ),
            description="the 2014 list: 842 entries plus 131 headings",
        ),
    ]


def _sbi2008_rules(ctx: ValidationContext) -> list[Rule]:
    return [
        _in_set("level_known", "level", set(_SBI2008_LEVEL_LENGTH), "section..subclass"),
        _derived(
            "code_matches_level",
            ("code", "level"),
            _sbi2008_code_matches_level,
            "section letter, 2..5 digits by level",
        ),
        _unique("code_unique", ("code",), "one row per code"),
        _derived(
            "parent_exists",
            ("parent", "code"),
            _parent_exists,
            "every code's parent is in the list",
        ),
        _not_null("label_nl"),
        Rule(
            "row_count_plausible",
            "dataset",
            E.ExpectTableRowCountToBeBetween(min_value=SBI_ROW_BAND[0], max_value=SBI_ROW_BAND[1]),
            description="SBI 2008 has ~1,450 codes over all levels",
        ),
    ]


def _sbi2025_rules(ctx: ValidationContext) -> list[Rule]:
    return [
        _regex("code_format", "code", r"^\d{5}$", "SBI 2025 codes are 5 digits"),
        _unique("code_unique", ("code",), "one row per code"),
        _regex("nace21_class_format", "nace21_class", r"^\d{4}$", "NACE Rev.2.1 class"),
        _regex(
            "nace2_class_format",
            "nace2_class",
            r"^(?:\d{4})?$",
            "comparable NACE Rev.2 class or empty",
        ),
        _derived(
            "code_in_nace21_class",
            ("code", "nace21_class"),
            lambda df, ctx: (
                df["code"].astype("string").str.slice(0, 4) == df["nace21_class"]
            ).fillna(False),
            "the first 4 digits are the NACE Rev.2.1 class",
        ),
        _not_null("label_nl"),
        Rule(
            "row_count_plausible",
            "dataset",
            E.ExpectTableRowCountToBeBetween(min_value=SBI_ROW_BAND[0], max_value=SBI_ROW_BAND[1]),
            description="SBI 2025 has ~900 subclasses",
        ),
    ]


def _sbi_any_version(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    # the bulk file carries no version tag: the code must exist in one of them
    assert ctx.sbi_codes is not None
    known = frozenset().union(*ctx.sbi_codes.values())
    return df["sbi_code"].isna() | df["sbi_code"].isin(known)


def _sector_density_rules(ctx: ValidationContext) -> list[Rule]:
    rules = [
        _regex("postcode_region_format", "postcode_region", r"^\d{2}$", "2-digit postcode region"),
        _regex("sbi_code_format", "sbi_code", r"^\d{2,5}$", "SBI code, digits only"),
        _regex("nace_class_format", "nace_class", r"^\d{4}$", "4-digit NACE class when mapped"),
        _between("count_positive", "count", 1, None, "a group holds at least one company"),
        _unique(
            "group_key_unique",
            ("postcode_region", "sbi_code", "legal_form", "active"),
            "one count per region, code, legal form and status",
        ),
        _in_set(
            "coverage_labelled",
            "coverage",
            {_open_data_coverage()},
            "counts say they cover BV and NV only (the open dataset), never the population",
        ),
    ]
    if ctx.sbi_codes is not None:
        rules.append(
            _derived(
                "sbi_code_known",
                ("sbi_code",),
                _sbi_any_version,
                "SBI code exists in SBI 2008 or SBI 2025",
            )
        )
    return rules


_RULE_BUILDERS: dict[str, Callable[[ValidationContext], list[Rule]]] = {
    "organisations": _organisation_rules,
    "establishments": _establishment_rules,
    "waste_records": _waste_record_rules,
    "waste_party_links": _waste_party_link_rules,
    "municipal_indicators": _municipal_indicator_rules,
    "municipalities": _municipality_rules,
    "sector_density": _sector_density_rules,
    "eural": _eural_rules,
    "sbi2008": _sbi2008_rules,
    "sbi2025": _sbi2025_rules,
}

TABLES: tuple[str, ...] = tuple(_RULE_BUILDERS)


def rules_for(table: str, context: ValidationContext | None = None) -> list[Rule]:
    """All rules of a table's suite for this context (schema and volume gates included).
    The single place where each rule's level (row -> quarantine, dataset -> gate) is set."""
    if table not in _RULE_BUILDERS:
        raise KeyError(f"no quality suite for table {table!r}; known: {', '.join(TABLES)}")
    ctx = context or ValidationContext()
    body = _RULE_BUILDERS[table](ctx)
    derived = tuple(r.derived_column for r in body if r.derive is not None)
    volume = _volume_rules(ctx) if table not in REFERENCE_COLUMNS else []
    return [_schema_rule(table, derived), *volume, *body, *_null_rate(table)]


def build_suite(
    table: str, rules: list[Rule], *, fresh_context: bool = True
) -> gx.ExpectationSuite:
    """A GX suite from rules; each expectation's meta carries rule name, level and version.
    GX needs an active data context to build suites: a fresh ephemeral one unless the caller
    just made one (fresh_context=False)."""
    if fresh_context:
        gx.get_context(mode="ephemeral")
    version = SUITE_VERSIONS[table]
    suite = gx.ExpectationSuite(
        name=f"{table}_v{version.replace('.', '_')}",  # dots would nest Data Docs folders
        meta={"table": table, "suite_version": version},
    )
    for rule in rules:
        exp = rule.expectation  # fresh per rules_for() call, so setting meta is safe
        exp.meta = {
            "rule": rule.name,
            "level": rule.level,
            "blocking": rule.blocking,
            "table": table,
            "suite_version": version,
            "description": rule.description,
        }
        suite.add_expectation(exp)
    return suite
