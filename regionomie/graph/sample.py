"""A tiny region in the contract shapes, for graph tests, the query library and the Browser
guide: three municipalities, eight establishments, a handful of waste receipts.

Why in the package: the query tests, loader tests and the guide all need the same small,
hand-checkable graph; its expected answers are written next to the queries' tests.
Names are invented; the eenmanszaak's name is flagged is_sole_proprietor=True.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from neo4j import Driver

from regionomie.domain.challenges import CHALLENGE_COLUMNS
from regionomie.domain.reference import EURAL_COLUMNS
from regionomie.domain.schemas import (
    ESTABLISHMENTS,
    MUNICIPALITIES,
    ORGANISATIONS,
    WASTE_PARTY_LINKS,
    WASTE_RECORDS,
)
from regionomie.graph import frames as gf
from regionomie.graph.loader import BatchHook, load_frames

SOURCE = "sample"


def _provenance(n: int, source: str, file: str) -> dict[str, list[object]]:
    return {
        "source": [source] * n,
        "source_file": [file] * n,
        "source_row": list(range(1, n + 1)),
        "content_hash": ["0" * 64] * n,
        "retrieved_at": ["2025-01-02T00:00:00+00:00"] * n,
        "ingested_at": ["2025-01-02T00:00:00+00:00"] * n,
    }


def municipalities() -> pd.DataFrame:
    rows = [
        ("GM0307", "Amersfoort", "PV26", "Utrecht", 52.1561, 5.3878, None),
        ("GM0344", "Utrecht", "PV26", "Utrecht", 52.0907, 5.1214, None),
        ("GM0363", "Amsterdam", "PV27", "Noord-Holland", 52.3676, 4.9041, None),
    ]
    frame = pd.DataFrame(rows, columns=list(MUNICIPALITIES.columns))
    return frame


def sbi2008() -> pd.DataFrame:
    rows = [
        ("A", "section", "A", "", "Landbouw, bosbouw en visserij", "Agriculture"),
        ("01", "division", "A", "A", "Landbouw", "Crop and animal production"),
        ("011", "group", "A", "01", "Teelt van eenjarige gewassen", ""),
        ("0113", "class", "A", "011", "Teelt van groenten en paddenstoelen", ""),
        ("01133", "subclass", "A", "0113", "Teelt van paddenstoelen", ""),
        ("C", "section", "C", "", "Industrie", "Manufacturing"),
        ("10", "division", "C", "C", "Voedingsmiddelenindustrie", ""),
        ("107", "group", "C", "10", "Vervaardiging van brood en deegwaren", ""),
        ("1071", "class", "C", "107", "Vervaardiging van brood en vers banketbakkerswerk", ""),
        ("10711", "subclass", "C", "1071", "Broodbakkerijen", ""),
        ("11", "division", "C", "C", "Vervaardiging van dranken", ""),
        ("110", "group", "C", "11", "Vervaardiging van dranken", ""),
        ("1105", "class", "C", "110", "Bierbrouwerijen", ""),
        ("11050", "subclass", "C", "1105", "Bierbrouwerijen", ""),
        ("E", "section", "E", "", "Winning en distributie van water; afval", ""),
        ("38", "division", "E", "E", "Afvalbehandeling en recycling", ""),
        ("382", "group", "E", "38", "Afvalbehandeling", ""),
        ("3821", "class", "E", "382", "Behandeling van ongevaarlijk afval", ""),
        ("38211", "subclass", "E", "3821", "Afvalverwerking", ""),
        ("G", "section", "G", "", "Groot- en detailhandel; reparatie van auto's", ""),
        ("45", "division", "G", "G", "Handel in en reparatie van auto's", ""),
        ("452", "group", "G", "45", "Onderhoud en reparatie van auto's", ""),
        ("4520", "class", "G", "452", "Onderhoud en reparatie van auto's", ""),
        ("45200", "subclass", "G", "4520", "Onderhoud en reparatie van auto's", ""),
        ("I", "section", "I", "", "Logies-, maaltijd- en drankverstrekking", ""),
        ("56", "division", "I", "I", "Eet- en drinkgelegenheden", ""),
        ("561", "group", "I", "56", "Restaurants", ""),
        ("5610", "class", "I", "561", "Restaurants, cafetaria's e.d. en ijssalons", ""),
        ("56101", "subclass", "I", "5610", "Restaurants", "Restaurants"),
    ]
    return pd.DataFrame(
        rows, columns=["code", "level", "section", "parent", "label_nl", "label_en"]
    )


def sbi2025() -> pd.DataFrame:
    rows = [
        ("56111", "Restaurants", "5611", "5610", "Restaurant activities", "override-class"),
        ("01133", "Teelt van paddenstoelen", "0113", "0113", "Mushrooms", "same-code-same-label"),
    ]
    return pd.DataFrame(
        rows,
        columns=["code", "label_nl", "nace21_class", "nace2_class", "label_en", "nace2_basis"],
    )


def eural() -> pd.DataFrame:
    rows = [
        ("02", "chapter", "02", "", "", "Afval van landbouw en voedselbereiding", "Agri-food"),
        ("0207", "subchapter", "02", "0207", "", "Afval van de productie van dranken", ""),
        ("020702", "entry", "02", "0207", "false", "Afval van de destillatie", "Distilling"),
        ("13", "chapter", "13", "", "", "Afval van olie", "Oil wastes"),
        ("1302", "subchapter", "13", "1302", "", "Afgewerkte motor- en smeerolie", ""),
        ("130205", "entry", "13", "1302", "true", "Minerale motorolie", "Mineral engine oil"),
        ("20", "chapter", "20", "", "", "Stedelijk afval", "Municipal wastes"),
        ("2001", "subchapter", "20", "2001", "", "Gescheiden ingezamelde fracties", ""),
        ("200108", "entry", "20", "2001", "false", "Biologisch afbreekbaar keukenafval", "Kitchen"),
        ("200125", "entry", "20", "2001", "false", "Spijsolie en -vetten", "Edible oil and fat"),
    ]
    return pd.DataFrame(rows, columns=list(EURAL_COLUMNS))


# (vestigingsnummer, kvk, name, sole, sbi, municipality, lat, lon, employees)
_ESTABLISHMENTS = [
    (
        "000000000001",
        "10000001",
        "Eetcafe De Koffiepot",
        False,
        "56101",
        "GM0307",
        52.1570,
        5.3880,
        12,
    ),
    ("000000000002", "10000002", "J. Jansen", True, "56101", "GM0307", 52.1590, 5.3900, 3),
    (
        "000000000003",
        "10000003",
        "Paddenstoelenkwekerij Eemland",
        False,
        "01133",
        "GM0307",
        52.1700,
        5.4000,
        8,
    ),
    ("000000000004", "10000004", "Brouwerij De Dom", False, "11050", "GM0344", 52.0910, 5.1220, 25),
    ("000000000005", "10000005", "Bakkerij Mokum", False, "10711", "GM0363", 52.3700, 4.9000, 40),
    ("000000000006", "10000006", "Recycling Midden", False, "38211", "GM0344", 52.0800, 5.1000, 60),
    (
        "000000000007",
        "10000007",
        "Garage Eemkwartier",
        False,
        "45200",
        "GM0307",
        52.1600,
        5.3700,
        5,
    ),
    (
        "000000000008",
        "10000001",
        "Eetcafe De Koffiepot Zuid",
        False,
        "56101",
        "GM0307",
        52.1400,
        5.3800,
        7,
    ),
]


def organisations() -> pd.DataFrame:
    seen: dict[str, tuple] = {}
    for row in _ESTABLISHMENTS:
        seen.setdefault(row[1], row)
    data = {
        "kvk_nummer": list(seen),
        "name": [r[2] for r in seen.values()],
        "legal_form": ["Eenmanszaak" if r[3] else "Besloten Vennootschap" for r in seen.values()],
        "is_sole_proprietor": [r[3] for r in seen.values()],
        "registration_date": ["2010-01-01"] * len(seen),
        "end_date": [None] * len(seen),
        "employees": pd.array([r[8] for r in seen.values()], dtype="Int64"),
        "sbi_main": [r[4] for r in seen.values()],
        "sbi_version": ["2008"] * len(seen),
        "active": [True] * len(seen),
        **_provenance(len(seen), "kvk-api", "basisprofielen.json"),
    }
    return pd.DataFrame(data)[list(ORGANISATIONS.all_columns)]


def establishments() -> pd.DataFrame:
    rows = _ESTABLISHMENTS
    n = len(rows)
    data = {
        "vestigingsnummer": [r[0] for r in rows],
        "kvk_nummer": [r[1] for r in rows],
        "trade_name": [r[2] for r in rows],
        "is_sole_proprietor": [r[3] for r in rows],
        "is_main": [True] * n,
        "sbi_main": [r[4] for r in rows],
        "sbi_version": ["2008"] * n,
        "sbi_other": ["" if r[0] != "000000000001" else "10711" for r in rows],
        "nace_class": [r[4][:4] for r in rows],
        "sbi_mapped": [True] * n,
        "street": ["Hoofdstraat"] * n,
        "house_number": [str(i + 1) for i in range(n)],
        "house_number_addition": [""] * n,
        "postcode": ["3811AA"] * n,
        "city": ["Amersfoort"] * n,
        "municipality_code": [r[5] for r in rows],
        "lat": [r[6] for r in rows],
        "lon": [r[7] for r in rows],
        "employees": pd.array([r[8] for r in rows], dtype="Int64"),
        "start_date": ["2015-03-01"] * n,
        "end_date": [None] * n,
        "active": [True] * n,
        **_provenance(n, "kvk-api", "vestigingen.json"),
    }
    return pd.DataFrame(data)[list(ESTABLISHMENTS.all_columns)]


# (afvalstroomnummer, eural, year, month, kg, loads, ontdoener, verwerker)
_RECEIPTS = [
    ("100000000001", "200108", 2024, 1, 6000.0, 3, "000000000001", "000000000003"),
    ("100000000001", "200108", 2024, 2, 4000.0, 2, "000000000001", "000000000003"),
    ("100000000002", "200108", 2024, 1, 2500.0, 1, "000000000002", "000000000006"),
    ("100000000003", "020702", 2024, 3, 30000.0, 6, "000000000004", "000000000005"),
    ("100000000004", "130205", 2024, 5, 800.0, 1, "000000000007", "000000000006"),
    ("100000000005", "200125", 2024, 6, 1200.0, 1, "000000000001", "000000000006"),
]


def waste_records() -> pd.DataFrame:
    rows = _RECEIPTS
    n = len(rows)
    data: dict[str, object] = {c: [None] * n for c in WASTE_RECORDS.columns}
    data.update(
        {
            "extract_type": ["ontvangst"] * n,
            "afvalstroomnummer": [r[0] for r in rows],
            "eural_code": [r[1] for r in rows],
            "eural_description": [""] * n,
            "waste_name": ["afval"] * n,
            "processing_code": ["B04"] * n,
            "processing_description": [""] * n,
            "period_year": [r[2] for r in rows],
            "period_month": [r[3] for r in rows],
            "weight_kg": [r[4] for r in rows],
            "loads": pd.array([r[5] for r in rows], dtype="Int64"),
        }
    )
    data.update(_provenance(n, "lma-ontvangst", "ontvangst.csv"))
    return pd.DataFrame(data)[list(WASTE_RECORDS.all_columns)]


def waste_party_links() -> pd.DataFrame:
    streams = {r[0]: (r[6], r[7]) for r in _RECEIPTS}
    rows = []
    for stream, (ontdoener, verwerker) in sorted(streams.items()):
        rows.append((stream, "ontdoener", "3811AA", "1", ontdoener, "address", 1.0))
        rows.append((stream, "verwerker", "3811AA", "2", verwerker, "address", 1.0))
    return pd.DataFrame(rows, columns=list(WASTE_PARTY_LINKS.columns))


def challenges() -> pd.DataFrame:
    rows = [
        ("GM0307", "unemployment", "Werkloosheid", "ww_benefits", "2024", 0.031, 0.02, 0.9, 0.9),
        ("GM0344", "unemployment", "Werkloosheid", "ww_benefits", "2024", 0.018, 0.02, 0.1, 0.1),
        ("GM0307", "loneliness", "Eenzaamheid", "age_65_plus", "2024", 0.22, 0.2, 0.6, 0.6),
    ]
    given = ["municipality_code", "challenge_id", "label", "indicator", "period", "value"]
    given += ["national_median", "percentile", "severity"]
    frame = pd.DataFrame(rows, columns=given)
    frame["national_value"] = frame["national_median"]
    frame["reference_basis"] = "Nederland"
    frame["gap"] = (frame["value"] - frame["national_value"]) / frame["national_value"]
    frame["higher_is_worse"] = True
    frame["unit"] = "share"
    return frame[list(CHALLENGE_COLUMNS)]


def tables() -> dict[str, pd.DataFrame]:
    """All sample tables by contract name (plus reference tables)."""
    return {
        "municipalities": municipalities(),
        "sbi2008": sbi2008(),
        "sbi2025": sbi2025(),
        "eural": eural(),
        "organisations": organisations(),
        "establishments": establishments(),
        "waste_records": waste_records(),
        "waste_party_links": waste_party_links(),
        "challenges": challenges(),
    }


def sample_frames(data: dict[str, pd.DataFrame] | None = None) -> gf.GraphFrames:
    """Graph frames of every sample table (or of `data`, shaped like tables()), minimised as
    the pipeline's are: the eenmanszaak under its pseudonym (regionomie.graph.personal)."""
    t = data or tables()
    return minimised(_raw_frames(t), t)


def minimised(
    frames: gf.GraphFrames, data: dict[str, pd.DataFrame] | None = None
) -> gf.GraphFrames:
    """`frames` as the pipeline loads them: the sample's sole proprietors (of `data`, or of
    the sample tables) under their pseudonym (regionomie.graph.personal)."""
    from regionomie.graph.personal import graph_shield, minimise_frames
    from regionomie.settings import pseudonym_key

    t = data or tables()
    return minimise_frames(
        frames, graph_shield(t["establishments"], t["organisations"], pseudonym_key())
    )


def _raw_frames(t: dict[str, pd.DataFrame]) -> gf.GraphFrames:
    return gf.merge_frames(
        gf.municipality_frames(t["municipalities"]),
        gf.material_frames(t["eural"]),
        gf.sector_frames(t["sbi2008"], t["sbi2025"]),
        gf.organisation_frames(t["organisations"]),
        gf.establishment_frames(t["establishments"]),
        gf.production_frame(t["waste_records"], t["waste_party_links"]),
        gf.flow_frame(t["waste_records"], t["waste_party_links"]),
        gf.challenge_frames(t["challenges"]),
    )


def load_sample_region(
    driver: Driver,
    run_id: str,
    *,
    as_of: str = "2025-01-31",
    data: dict[str, pd.DataFrame] | None = None,
    batch_size: int = 3,
    on_batch: BatchHook | None = None,
    full_snapshot: bool = True,
) -> dict[str, Any]:
    """Load every sample table as source "sample" with load_frames (LoadRun
    '<run_id>/sample'; small batches on purpose, so tests exercise batching)."""
    return load_frames(
        driver,
        sample_frames(data),
        run_id=run_id,
        source=SOURCE,
        as_of=as_of,
        full_snapshot=full_snapshot,
        batch_size=batch_size,
        on_batch=on_batch,
    )
