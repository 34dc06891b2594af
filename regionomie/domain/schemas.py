"""Canonical column contracts of the tables that flow between ingest, quality, graph and
opportunities.

Every parser produces exactly these columns (plus PROVENANCE_COLUMNS); every validation
suite and loader reads them. Changing a column here is a schema change for the whole
pipeline, so it is declared once.
"""

from __future__ import annotations

from dataclasses import dataclass

PROVENANCE_COLUMNS: tuple[str, ...] = (
    "source",  # e.g. "kvk-api", "kvk-file", "lma-ontvangst", "cbs-odata", "pdok"
    "source_file",  # file name (or URL) the row came from
    "source_row",  # 1-based row/record number inside source_file
    "content_hash",  # sha256 of the source file's bytes
    "retrieved_at",  # ISO-8601 UTC, when the bytes were fetched/dropped
    "ingested_at",  # ISO-8601 UTC, when the row was parsed
)


@dataclass(frozen=True)
class TableContract:
    name: str
    key: tuple[str, ...]
    columns: tuple[str, ...]

    @property
    def all_columns(self) -> tuple[str, ...]:
        return self.columns + PROVENANCE_COLUMNS


ORGANISATIONS = TableContract(
    name="organisations",
    key=("kvk_nummer",),
    columns=(
        "kvk_nummer",  # str, 8 digits
        "name",  # str; personal data when is_sole_proprietor
        "legal_form",  # str, e.g. "Besloten Vennootschap", "Eenmanszaak"
        "is_sole_proprietor",  # bool; True for natural-person and unknown legal forms
        "registration_date",  # str ISO date or None (zeroed KvK parts -> first of period)
        "end_date",  # str ISO date or None
        "employees",  # Int64 or None (totaalWerkzamePersonen)
        "sbi_main",  # str SBI code as given (digits only)
        "sbi_version",  # "2008" | "2025"
        "active",  # bool
    ),
)

ESTABLISHMENTS = TableContract(
    name="establishments",
    key=("vestigingsnummer",),
    columns=(
        "vestigingsnummer",  # str, 12 digits
        "kvk_nummer",  # str, 8 digits
        "trade_name",  # str; personal data when is_sole_proprietor
        "is_sole_proprietor",  # bool; True for natural-person and unknown legal forms
        "is_main",  # bool, hoofdvestiging
        "sbi_main",  # str SBI code, digits only (4 or 5)
        "sbi_version",  # "2008" | "2025"
        "sbi_other",  # str, ';'-joined other SBI codes (same version), may be ""
        "nace_class",  # str 4-digit NACE Rev.2 class or None when unmapped
        "sbi_mapped",  # bool, False when the code has no known correspondence
        "street",
        "house_number",  # str (digits)
        "house_number_addition",  # str or ""
        "postcode",  # str "1234AB" (no space)
        "city",
        "municipality_code",  # str "GM0307" or None
        "lat",  # float WGS84
        "lon",  # float WGS84
        "employees",  # Int64 or None
        "start_date",  # ISO date str or None
        "end_date",  # ISO date str or None
        "active",  # bool
    ),
)

WASTE_PARTY_ROLES: tuple[str, ...] = (
    "ontdoener",
    "herkomst",
    "afzender",
    "inzamelaar",
    "ontvanger",
    "verwerker",
    "eerste_afnemer",
)
WASTE_PARTY_FIELDS: tuple[str, ...] = (
    "name",
    "street",
    "house_number",
    "postcode",
    "city",
    "country",
)

WASTE_RECORDS = TableContract(
    name="waste_records",
    key=("extract_type", "afvalstroomnummer", "period_year", "period_month"),
    columns=(
        "extract_type",  # "ontvangst" | "afgifte"
        "afvalstroomnummer",  # str, 12 digits
        "eural_code",  # str, 6 digits zero-padded, no '*' (hazard in reference)
        "eural_description",
        "waste_name",  # BenamingAfval
        "processing_code",  # LMA VerwerkingsmethodeCode, e.g. "B04"
        "processing_description",
        "period_year",  # int
        "period_month",  # int 1..12
        "weight_kg",  # float
        "loads",  # Int64
        "gn_code",  # str or None (afgifte only)
    )
    + tuple(f"{role}_{field}" for role in WASTE_PARTY_ROLES for field in WASTE_PARTY_FIELDS),
)

WASTE_PARTY_LINKS = TableContract(
    name="waste_party_links",
    key=("afvalstroomnummer", "role"),
    columns=(
        "afvalstroomnummer",
        "role",  # one of WASTE_PARTY_ROLES
        "postcode",
        "house_number",
        "vestigingsnummer",  # str or None when unmatched (kept, never dropped)
        "match_method",  # "address" | "name" | "none"
        "confidence",  # float 0..1
    ),
)

MUNICIPAL_INDICATORS = TableContract(
    name="municipal_indicators",
    key=("region_code", "period", "indicator"),
    columns=(
        "region_code",  # "GM0307", "WK030701", "BU03070101" (stripped of padding)
        "region_type",  # "Gemeente" | "Wijk" | "Buurt"
        "region_name",
        "municipality_code",  # "GM0307"
        "period",  # str, e.g. "2024"
        "indicator",  # stable name, e.g. "inhabitants", "age_65_plus", "ww_benefits"
        "value",  # float or None
        "unit",  # str
        "source_table",  # CBS table id, e.g. "85984NED"
    ),
)

MUNICIPALITIES = TableContract(
    name="municipalities",
    key=("municipality_code",),
    columns=(
        "municipality_code",  # "GM0307"
        "name",
        "province_code",  # "PV26"
        "province_name",
        "lat",
        "lon",
        "outline",  # generalised PDOK outline as JSON rings (domain/outlines.py), or None
    ),
)

# KvK open dataset "basis bedrijfsgegevens": establishments counted per postcode region
# (2 digits), SBI code, legal form and activity; BV and NV only (see `coverage`).
SECTOR_DENSITY = TableContract(
    name="sector_density",
    key=("postcode_region", "sbi_code", "legal_form", "active"),
    columns=(
        "postcode_region",  # str, 2 digits
        "sbi_code",  # str SBI code, digits only
        "nace_class",  # str 4-digit NACE Rev.2 class or None
        "legal_form",  # str, "Besloten Vennootschap" | "Naamloze Vennootschap"
        "active",  # bool
        "count",  # int, establishments
        "coverage",  # str, "BV and NV only"
    ),
)

CONTRACTS: dict[str, TableContract] = {
    c.name: c
    for c in (
        ORGANISATIONS,
        ESTABLISHMENTS,
        WASTE_RECORDS,
        WASTE_PARTY_LINKS,
        MUNICIPAL_INDICATORS,
        MUNICIPALITIES,
        SECTOR_DENSITY,
    )
}
