"""The rule list of each pipeline table (KvK, LMA, CBS and PDOK data), declared once.

Each `<table>_rules(ctx)` returns that table's rules with their level: ``row`` rules quarantine
the rows that fail, ``dataset`` rules gate the whole load. Rules whose input the context lacks
(a reference set, a related table) are left out, and reported as skipped by the runner. The
schema, volume and null-rate gates every table shares are added in regionomie.quality.suites.
"""

from __future__ import annotations

import pandas as pd

from regionomie.domain.schemas import CONTRACTS
from regionomie.quality.derivations import (
    REGION_TYPE_BY_PREFIX,
    challenges_resolved,
    date_ok,
    end_not_before_start,
    exists_in,
    link_consistent,
    on_land,
    period_not_in_future,
    period_year_plausible,
    region_code_matches,
    region_type_matches,
    sbi_any_version,
    sbi_known,
    unresolved_detail,
    weight_plausible,
)
from regionomie.quality.geo import NL_BBOX
from regionomie.quality.rules import (
    DERIVED_PREFIX,
    E,
    Rule,
    ValidationContext,
    between,
    derived,
    in_set,
    not_null,
    regex,
    unique,
)
from regionomie.quality.thresholds import MAX_EMPLOYEES, MIN_PERIOD_YEAR, PROVINCE_CODES

_KVK = r"^\d{8}$"
# LMA: 12 characters, the receiver's 5-digit verwerkersnummer + 7 it chooses (letters allowed)
_AFVALSTROOMNUMMER = r"^\d{5}[0-9A-Z]{7}$"
_VESTIGING = r"^\d{12}$"
_GM = r"^GM\d{4}$"
_SBI = r"^\d{4,5}$"
_POSTCODE = r"^[1-9]\d{3}[A-Z]{2}$"


def _sbi_rules(ctx: ValidationContext) -> list[Rule]:
    rules = [
        regex("sbi_main_format", "sbi_main", _SBI, "SBI code is 4 or 5 digits"),
        in_set("sbi_version_known", "sbi_version", {"2008", "2025"}, "SBI 2008 or 2025"),
    ]
    if ctx.sbi_codes is not None:
        rules.append(
            derived(
                "sbi_code_known",
                ("sbi_main", "sbi_version"),
                sbi_known,
                "SBI code exists in the official list of its version",
            )
        )
    return rules


def _location_rules(on_land_description: str) -> list[Rule]:
    """Coordinates inside the Netherlands: its bounding box, then the coarse land polygon."""
    return [
        between(
            "lat_in_bbox",
            "lat",
            NL_BBOX["lat_min"],
            NL_BBOX["lat_max"],
            "latitude inside the Netherlands' bounding box",
        ),
        between(
            "lon_in_bbox",
            "lon",
            NL_BBOX["lon_min"],
            NL_BBOX["lon_max"],
            "longitude inside the Netherlands' bounding box",
        ),
        derived("coordinates_on_land", ("lat", "lon"), on_land, on_land_description),
    ]


def _known_municipality_rules(ctx: ValidationContext) -> list[Rule]:
    """The GM code is in the CBS list, when that list is known."""
    if ctx.municipality_codes is None:
        return []
    return [
        in_set(
            "municipality_code_known",
            "municipality_code",
            ctx.municipality_codes,
            "GM code exists in the CBS list",
        )
    ]


def _region_coverage_rules(ctx: ValidationContext, description: str) -> list[Rule]:
    """Every municipality of the region appears, when a region is being validated."""
    if not ctx.region_municipality_codes:
        return []
    wanted = sorted(ctx.region_municipality_codes)

    def missing(data: pd.DataFrame) -> str:  # GX is asked for no value lists (Data Docs)
        present = set(data["municipality_code"].dropna().astype(str))
        return "missing: " + ", ".join(c for c in wanted if c not in present)

    return [
        Rule(
            "covers_region_municipalities",
            "dataset",
            E.ExpectColumnDistinctValuesToContainSet(column="municipality_code", value_set=wanted),
            ("municipality_code",),
            description=description,
            detail=missing,
        )
    ]


def organisation_rules(ctx: ValidationContext) -> list[Rule]:
    return [
        not_null("kvk_nummer"),
        regex("kvk_nummer_format", "kvk_nummer", _KVK, "KvK number is 8 digits"),
        unique("kvk_nummer_unique", ("kvk_nummer",), "one row per KvK number"),
        not_null("name"),
        not_null("is_sole_proprietor"),
        in_set(
            "is_sole_proprietor_bool",
            "is_sole_proprietor",
            {True, False},
            "sole-proprietor flag decides personal-data handling: must be a boolean",
        ),
        *_sbi_rules(ctx),
        between(
            "employees_range",
            "employees",
            0,
            MAX_EMPLOYEES,
            f"0 <= employees < {MAX_EMPLOYEES:,}",
            strict_max=True,
        ),
        derived(
            "registration_date_valid",
            ("registration_date",),
            date_ok("registration_date"),
            "registration date parses and is not in the future",
        ),
        derived(
            "end_date_valid",
            ("end_date",),
            date_ok("end_date"),
            "end date parses and is not in the future",
        ),
        derived(
            "end_not_before_start",
            ("registration_date", "end_date"),
            end_not_before_start("registration_date", "end_date"),
            "end date is not before the registration date",
        ),
    ]


def establishment_rules(ctx: ValidationContext) -> list[Rule]:
    rules = [
        not_null("vestigingsnummer"),
        regex(
            "vestigingsnummer_format",
            "vestigingsnummer",
            _VESTIGING,
            "vestigingsnummer is 12 digits",
        ),
        unique("vestigingsnummer_unique", ("vestigingsnummer",), "one row per establishment"),
        not_null("kvk_nummer"),
        regex("kvk_nummer_format", "kvk_nummer", _KVK, "KvK number is 8 digits"),
        not_null("is_sole_proprietor"),
        in_set(
            "is_sole_proprietor_bool",
            "is_sole_proprietor",
            {True, False},
            "sole-proprietor flag decides personal-data handling: must be a boolean",
        ),
        *_sbi_rules(ctx),
        regex("postcode_format", "postcode", _POSTCODE, "Dutch postcode 1234AB"),
        regex("municipality_code_format", "municipality_code", _GM, "GM + 4 digits"),
        *_location_rules("point inside the coarse Dutch land polygon (not in the sea, not abroad)"),
        between(
            "employees_range",
            "employees",
            0,
            MAX_EMPLOYEES,
            f"0 <= employees < {MAX_EMPLOYEES:,}",
            strict_max=True,
        ),
        derived(
            "start_date_valid",
            ("start_date",),
            date_ok("start_date"),
            "start date parses and is not in the future",
        ),
        derived(
            "end_date_valid",
            ("end_date",),
            date_ok("end_date"),
            "end date parses and is not in the future",
        ),
        derived(
            "end_not_before_start",
            ("start_date", "end_date"),
            end_not_before_start("start_date", "end_date"),
            "end date is not before the start date",
        ),
    ]
    rules += _known_municipality_rules(ctx)
    if "organisations" in ctx.related:
        rules.append(
            derived(
                "organisation_exists",
                ("kvk_nummer",),
                exists_in("kvk_nummer", "organisations", "kvk_nummer"),
                "the establishment's KvK number is a loaded organisation",
            )
        )
    return rules


def waste_record_rules(ctx: ValidationContext) -> list[Rule]:
    key = CONTRACTS["waste_records"].key
    rules = [
        in_set(
            "extract_type_known",
            "extract_type",
            {"ontvangst", "afgifte"},
            "LMA receipt or delivery extract",
        ),
        not_null("afvalstroomnummer"),
        regex(
            "afvalstroomnummer_format",
            "afvalstroomnummer",
            _AFVALSTROOMNUMMER,
            "afvalstroomnummer: 5-digit verwerkersnummer + 7 digits/letters",
        ),
        not_null("eural_code"),
        regex("eural_code_format", "eural_code", r"^\d{6}$", "EURAL code is 6 digits"),
        regex(
            "processing_code_format",
            "processing_code",
            r"^[A-G]\d{2}$",
            "LMA processing method code A01..G99",
        ),
        not_null("period_year"),
        not_null("period_month"),
        between(
            "period_year_plausible",
            "period_year",
            MIN_PERIOD_YEAR,
            ctx.today.year,
            f"reporting year {MIN_PERIOD_YEAR}..this year",
        ),
        between("period_month_range", "period_month", 1, 12, "reporting month 1..12"),
        derived(
            "period_not_in_future",
            ("period_year", "period_month"),
            period_not_in_future,
            "reporting period is not after the current month",
        ),
        between("weight_non_negative", "weight_kg", 0, None, "weight_kg >= 0"),
        derived(
            "weight_plausible",
            ("eural_code", "weight_kg"),
            weight_plausible,
            "weight_kg below the monthly ceiling of its EURAL chapter",
        ),
        between("loads_range", "loads", 0, 100_000, "0 <= loads <= 100,000 per month"),
        unique("record_key_unique", key, "one row per " + ", ".join(key)),
    ]
    if ctx.eural_codes is not None:
        rules.append(
            in_set(
                "eural_code_known",
                "eural_code",
                ctx.eural_codes,
                "EURAL code exists in the European List of Waste",
            )
        )
    return rules


def waste_party_link_rules(ctx: ValidationContext) -> list[Rule]:
    from regionomie.domain.schemas import WASTE_PARTY_ROLES

    rules = [
        regex(
            "afvalstroomnummer_format",
            "afvalstroomnummer",
            _AFVALSTROOMNUMMER,
            "afvalstroomnummer: 5-digit verwerkersnummer + 7 digits/letters",
        ),
        in_set("role_known", "role", set(WASTE_PARTY_ROLES), "a known LMA party role"),
        unique("link_key_unique", CONTRACTS["waste_party_links"].key, "one link per role"),
        regex(
            "vestigingsnummer_format",
            "vestigingsnummer",
            _VESTIGING,
            "vestigingsnummer is 12 digits when present",
        ),
        in_set(
            "match_method_known",
            "match_method",
            {"address", "name", "none"},
            "address, name or none",
        ),
        between("confidence_range", "confidence", 0, 1, "confidence 0..1"),
        derived(
            "link_consistent",
            ("match_method", "vestigingsnummer"),
            link_consistent,
            "an establishment is given exactly when the match method is not 'none'",
        ),
    ]
    if "establishments" in ctx.related:
        rules.append(
            derived(
                "linked_establishment_exists",
                ("vestigingsnummer",),
                exists_in("vestigingsnummer", "establishments", "vestigingsnummer"),
                "a link that claims an establishment points at a loaded one",
            )
        )
    if "waste_records" in ctx.related:
        rules.append(
            derived(
                "waste_record_exists",
                ("afvalstroomnummer",),
                exists_in("afvalstroomnummer", "waste_records", "afvalstroomnummer"),
                "the link's afvalstroomnummer is a loaded waste stream",
            )
        )
    return rules


def municipal_indicator_rules(ctx: ValidationContext) -> list[Rule]:
    rules = [
        regex(
            "region_code_format",
            "region_code",
            r"^(?:GM\d{4}|WK\d{6}|BU\d{8}|NL0[01])$",
            "GM+4, WK+6 or BU+8 digits, unpadded, or the Nederland row NL00/NL01",
        ),
        in_set(
            "region_type_known",
            "region_type",
            set(REGION_TYPE_BY_PREFIX.values()),
            "Gemeente, Wijk, Buurt or Land",
        ),
        derived(
            "region_type_matches_code",
            ("region_code", "region_type"),
            region_type_matches,
            "region_type agrees with the code prefix",
        ),
        regex("municipality_code_format", "municipality_code", _GM, "GM + 4 digits"),
        derived(
            "region_in_municipality",
            ("region_code", "municipality_code"),
            region_code_matches,
            "the district/neighbourhood lies in its municipality",
        ),
        regex("period_format", "period", r"^\d{4}", "period starts with a 4-digit year"),
        derived(
            "period_year_plausible",
            ("period",),
            period_year_plausible,
            f"period year {MIN_PERIOD_YEAR}..this year",
        ),
        not_null("indicator"),
        between(
            "value_non_negative", "value", 0, None, "counts, shares and amounts are not negative"
        ),
        unique(
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
            derive=challenges_resolved,
            description="every challenge a table must deliver resolves to a value in each "
            "of its years (Kerncijfers: unemployment ... vacancy; 83452NED: household waste)",
            detail=unresolved_detail,
        ),
    ]
    rules += _known_municipality_rules(ctx)
    rules += _region_coverage_rules(ctx, "indicators exist for every municipality of the region")
    return rules


def municipality_rules(ctx: ValidationContext) -> list[Rule]:
    rules = [
        not_null("municipality_code"),
        regex("municipality_code_format", "municipality_code", _GM, "GM + 4 digits"),
        unique("municipality_code_unique", ("municipality_code",), "one row per municipality"),
        not_null("name"),
        in_set("province_code_known", "province_code", PROVINCE_CODES, "PV20..PV31"),
        *_location_rules("point inside the coarse Dutch land polygon"),
    ]
    rules += _known_municipality_rules(ctx)
    rules += _region_coverage_rules(ctx, "every municipality of the region is present")
    return rules


def _open_data_coverage() -> str:
    from regionomie.domain.parsers.kvk_open_data import OPEN_DATA_COVERAGE

    return OPEN_DATA_COVERAGE


def sector_density_rules(ctx: ValidationContext) -> list[Rule]:
    rules = [
        regex("postcode_region_format", "postcode_region", r"^\d{2}$", "2-digit postcode region"),
        regex("sbi_code_format", "sbi_code", r"^\d{2,5}$", "SBI code, digits only"),
        regex("nace_class_format", "nace_class", r"^\d{4}$", "4-digit NACE class when mapped"),
        between("count_positive", "count", 1, None, "a group holds at least one company"),
        unique(
            "group_key_unique",
            ("postcode_region", "sbi_code", "legal_form", "active"),
            "one count per region, code, legal form and status",
        ),
        in_set(
            "coverage_labelled",
            "coverage",
            {_open_data_coverage()},
            "counts say they cover BV and NV only (the open dataset), never the population",
        ),
    ]
    if ctx.sbi_codes is not None:
        rules.append(
            derived(
                "sbi_code_known",
                ("sbi_code",),
                sbi_any_version,
                "SBI code exists in SBI 2008 or SBI 2025",
            )
        )
    return rules
