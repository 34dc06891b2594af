"""Small valid tables in the contract shape, for quality tests (each test breaks one thing).
No tests here: a helper module named test_quality_* to stay within the quality test files."""

from __future__ import annotations

from datetime import date

import pandas as pd

from regionomie.domain.schemas import CONTRACTS, PROVENANCE_COLUMNS
from regionomie.quality.rules import ValidationContext

TODAY = date(2026, 6, 15)
EURAL = frozenset({"200108", "200125", "020799", "020304", "170504", "160104", "200301"})
HAZARDOUS = frozenset({"160104"})
SBI = {
    "2008": frozenset({"5610", "56101", "1105", "1071", "0113"}),
    "2025": frozenset({"56111", "01133", "11050"}),
}
GM = frozenset({"GM0307", "GM0308", "GM0313", "GM0327"})
REGION = frozenset({"GM0307", "GM0308"})


def context(**overrides: object) -> ValidationContext:
    base: dict[str, object] = dict(
        eural_codes=EURAL,
        hazardous_codes=HAZARDOUS,
        sbi_codes=SBI,
        municipality_codes=GM,
        region_municipality_codes=REGION,
        today=TODAY,
    )
    base.update(overrides)
    return ValidationContext(**base)  # type: ignore[arg-type]


def _provenance(n: int, source: str) -> dict[str, list[object]]:
    return {
        "source": [source] * n,
        "source_file": ["test.csv"] * n,
        "source_row": list(range(1, n + 1)),
        "content_hash": ["ab" * 32] * n,
        "retrieved_at": ["2026-06-01T00:00:00Z"] * n,
        "ingested_at": ["2026-06-01T00:00:00Z"] * n,
    }


def organisations(n: int = 4) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "kvk_nummer": [f"{68750110 + i:08d}" for i in range(n)],
            "name": [f"Bedrijf {i} BV" for i in range(n)],
            "legal_form": ["Besloten Vennootschap"] * n,
            "is_sole_proprietor": [False] * n,
            "registration_date": ["2015-06-01"] * n,
            "end_date": [None] * n,
            "employees": pd.array([10] * n, dtype="Int64"),
            "sbi_main": ["5610"] * n,
            "sbi_version": ["2008"] * n,
            "active": [True] * n,
            **_provenance(n, "kvk-file"),
        }
    )
    return df[list(CONTRACTS["organisations"].all_columns)]


def establishments(n: int = 4) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "vestigingsnummer": [f"{38509504 + i:012d}" for i in range(n)],
            "kvk_nummer": [f"{68750110 + i:08d}" for i in range(n)],
            "trade_name": [f"Zaak {i}" for i in range(n)],
            "is_sole_proprietor": [False] * n,
            "is_main": [True] * n,
            "sbi_main": ["5610"] * n,
            "sbi_version": ["2008"] * n,
            "sbi_other": [""] * n,
            "nace_class": ["5610"] * n,
            "sbi_mapped": [True] * n,
            "street": ["Stadsring"] * n,
            "house_number": [str(i + 1) for i in range(n)],
            "house_number_addition": [""] * n,
            "postcode": ["3811HN"] * n,
            "city": ["Amersfoort"] * n,
            "municipality_code": ["GM0307"] * n,
            "lat": [52.156 + i * 0.001 for i in range(n)],
            "lon": [5.387] * n,
            "employees": pd.array([5] * n, dtype="Int64"),
            "start_date": ["2015-06-01"] * n,
            "end_date": [None] * n,
            "active": [True] * n,
            **_provenance(n, "kvk-file"),
        }
    )
    return df[list(CONTRACTS["establishments"].all_columns)]


def waste_records(n: int = 4) -> pd.DataFrame:
    cols = CONTRACTS["waste_records"].columns
    data: dict[str, list[object]] = {c: [None] * n for c in cols}
    data.update(
        {
            "extract_type": ["ontvangst"] * n,
            "afvalstroomnummer": [f"{123456789000 + i:012d}" for i in range(n)],
            "eural_code": ["200108"] * n,
            "eural_description": ["biologisch afbreekbaar keukenafval"] * n,
            "waste_name": ["koffiedik"] * n,
            "processing_code": ["B04"] * n,
            "processing_description": ["vergisten"] * n,
            "period_year": [2025] * n,
            "period_month": [3] * n,
            "weight_kg": [1200.0] * n,
            "loads": [2] * n,
        }
    )
    df = pd.DataFrame({**data, **_provenance(n, "lma-ontvangst")})
    df["loads"] = df["loads"].astype("Int64")
    return df[list(CONTRACTS["waste_records"].all_columns)]


# Every challenge a Kerncijfers table must deliver (cbs_indicators.CHALLENGE_SOURCES), so the
# dataset gate challenge_indicators_resolved passes; appended after the rows tests mutate.
KERNCIJFERS_CHALLENGE_VALUES: dict[str, float] = {
    "ww_benefits": 1900.0,
    "bijstand_benefits": 3200.0,
    "ao_benefits": 7000.0,
    "age_65_plus": 24000.0,
    "households": 70000.0,
    "single_person_households": 26000.0,
    "avg_income_per_inhabitant": 33.1,
    "vacancy_share": 3.0,
}


def municipal_indicators() -> pd.DataFrame:
    rows = [
        ("GM0307", "Gemeente", "Amersfoort", "GM0307", "inhabitants", 160000.0),
        ("GM0308", "Gemeente", "Baarn", "GM0308", "inhabitants", 25000.0),
        ("WK030701", "Wijk", "Binnenstad", "GM0307", "inhabitants", 9000.0),
        ("BU03070101", "Buurt", "Centrum", "GM0307", "inhabitants", 3000.0),
    ]
    for code, name in (("GM0307", "Amersfoort"), ("GM0308", "Baarn")):
        for indicator, value in KERNCIJFERS_CHALLENGE_VALUES.items():
            rows.append((code, "Gemeente", name, code, indicator, value))
    n = len(rows)
    df = pd.DataFrame(
        {
            "region_code": [r[0] for r in rows],
            "region_type": [r[1] for r in rows],
            "region_name": [r[2] for r in rows],
            "municipality_code": [r[3] for r in rows],
            "period": ["2024"] * n,
            "indicator": [r[4] for r in rows],
            "value": [r[5] for r in rows],
            "unit": ["aantal"] * n,
            "source_table": ["85984NED"] * n,
            **_provenance(n, "cbs-odata"),
        }
    )
    return df[list(CONTRACTS["municipal_indicators"].all_columns)]


def municipalities() -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "municipality_code": ["GM0307", "GM0308"],
            "name": ["Amersfoort", "Baarn"],
            "province_code": ["PV26", "PV26"],
            "province_name": ["Utrecht", "Utrecht"],
            "lat": [52.156, 52.21],
            "lon": [5.387, 5.29],
            "outline": [None, None],
            **_provenance(2, "pdok"),
        }
    )
    return df[list(CONTRACTS["municipalities"].all_columns)]


def provenance_columns() -> tuple[str, ...]:
    return PROVENANCE_COLUMNS
