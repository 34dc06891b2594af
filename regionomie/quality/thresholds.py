"""The numbers the quality rules judge by: suite versions, ceilings, null rates and bands.

Kept apart from the rules so that tuning a threshold is a one-file change, and so the version
bump it requires (SUITE_VERSIONS) sits next to the number that moved.
"""

from __future__ import annotations

import pandas as pd

# Bump the table's version whenever a rule, threshold or ceiling of that suite changes, so a
# stored validation result can be traced to the exact rules it was judged by.
SUITE_VERSIONS: dict[str, str] = {
    "organisations": "1.0.0",
    "establishments": "1.1.0",
    "waste_records": "1.1.0",
    "waste_party_links": "1.1.0",
    "municipal_indicators": "1.2.0",
    "municipalities": "1.0.0",
    "sector_density": "1.1.0",
    "eural": "1.0.0",
    "sbi2008": "1.0.0",
    "sbi2025": "1.0.0",
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
