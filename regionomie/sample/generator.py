"""Deterministic synthetic sample region in the real landing formats.

Why: KvK profiles cost money and LMA extracts are not open data, so the pipeline, the tests
and the demo run on a synthetic region whose files have the exact shapes the connectors land
(KvK establishments CSV + API JSON, LMA ontvangstmeldingen CSV, CBS OData v3 bundles of
85984NED and 83452NED with their real keys and dimensions, PDOK GeoJSON). A fixed seed gives
byte-identical files. Everything about firms, waste and indicator values is invented;
SBI/EURAL codes and municipality codes/centroids are real reference data.

CLI: python -m regionomie.sample.generator --out DIR --establishments N --seed S [--national]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regionomie.domain.parsers.kvk_csv import ESTABLISHMENT_CSV_COLUMNS

# Regio Amersfoort (the shipped sample).
REGIO_AMERSFOORT: tuple[str, ...] = (
    "GM0307",  # Amersfoort
    "GM0308",  # Baarn
    "GM0313",  # Bunschoten
    "GM0317",  # Eemnes
    "GM0327",  # Leusden
    "GM0342",  # Soest
    "GM0351",  # Woudenberg
    "GM0203",  # Barneveld
    "GM0267",  # Nijkerk
    "GM0279",  # Scherpenzeel
)
# Approximate inhabitants (order of magnitude, to weight where firms sit) and PC4 ranges.
POPULATION: dict[str, int] = {
    "GM0307": 160000,
    "GM0308": 25000,
    "GM0313": 22000,
    "GM0317": 10000,
    "GM0327": 31000,
    "GM0342": 47000,
    "GM0351": 14000,
    "GM0203": 62000,
    "GM0267": 45000,
    "GM0279": 10500,
}
PC4_RANGES: dict[str, tuple[int, int]] = {
    "GM0307": (3811, 3829),
    "GM0308": (3741, 3744),
    "GM0313": (3751, 3752),
    "GM0317": (3755, 3755),
    "GM0327": (3831, 3833),
    "GM0342": (3761, 3769),
    "GM0351": (3931, 3931),
    "GM0203": (3771, 3781),
    "GM0267": (3861, 3864),
    "GM0279": (3925, 3925),
}
RETRIEVED_AT = "2025-06-02T06:00:00Z"  # fixed stamp inside the bundles (determinism)
STAMP = "20250602T060000"  # same moment, in landing file names
API_STAMP = "20250501T060000"  # the KvK API responses: before the SBI 2025 switch
CHUNK = 100_000
RD_LETTERS = [a + b for a in "ABCDEFGHJKLMNPRTVWXZ" for b in "ABCDEFGHJKLMNPRTVWXZ"]
RD_LETTERS = [x for x in RD_LETTERS if x not in ("SA", "SD", "SS")]


@dataclass(frozen=True)
class Waste:
    eural: str
    description: str  # EURAL entry text (Dutch)
    name: str  # BenamingAfval as a producer would write it
    kg_per_emp_month: float
    receiver: str  # receiver kind, see RECEIVER_KINDS
    monthly_p: float  # chance a stream reports in a given month


@dataclass(frozen=True)
class Sector:
    key: str
    sbi2008: str
    sbi2025: str
    weight: float  # share of establishments
    emp_median: float
    names: tuple[str, ...]  # trade-name prefixes
    wastes: tuple[Waste, ...] = ()
    stream_p: float = 0.6  # chance an establishment has each of its waste streams
    legal: str = "bv"  # bv | stichting | nv


W = Waste
FOOD = W("200108", "biologisch afbreekbaar keuken- en kantineafval", "Swill", 9, "compost", 0.95)
COFFEE = W(
    "200108", "biologisch afbreekbaar keuken- en kantineafval", "Koffiedik", 2.5, "compost", 0.9
)
FRYING = W("200125", "spijsolie en -vetten", "Gebruikt frituurvet", 4, "digestion", 0.8)
MIXED = W("200301", "gemengd stedelijk afval", "Bedrijfsafval", 25, "power", 0.95)
PAPER = W("150101", "papieren en kartonnen verpakking", "Karton", 6, "recycler", 0.7)
GLASS = W("150107", "glazen verpakking", "Glas", 5, "recycler", 0.6)
SECTORS: tuple[Sector, ...] = (
    Sector(
        "restaurant",
        "56101",
        "56111",
        0.09,
        6,
        ("Restaurant", "Eetcafé", "Bistro", "Brasserie"),
        (COFFEE, FOOD, FRYING, GLASS),
    ),
    Sector(
        "cafe",
        "5630",
        "56300",
        0.05,
        4,
        ("Café", "Koffiehuis", "Lunchroom", "Grand Café"),
        (COFFEE, GLASS),
    ),
    Sector(
        "snackbar",
        "56102",
        "56112",
        0.05,
        3,
        ("Cafetaria", "Snackbar", "Friettent"),
        (FRYING, FOOD),
    ),
    Sector(
        "hotel",
        "55101",
        "55101",
        0.015,
        18,
        ("Hotel", "Hotel-Restaurant", "Landgoed"),
        (FOOD, COFFEE, W("200110", "kleding", "Textiel", 0.4, "recycler", 0.3), MIXED),
    ),
    Sector(
        "brewery",
        "1105",
        "11050",
        0.004,
        9,
        ("Brouwerij", "Bierbrouwerij"),
        (W("020799", "niet elders genoemd afval", "Bierbostel", 450, "feed", 0.95), GLASS),
        stream_p=0.95,
    ),
    Sector(
        "bakery",
        "1071",
        "10710",
        0.02,
        7,
        ("Bakkerij", "Warme Bakker", "Banketbakkerij"),
        (
            W(
                "020601",
                "voor consumptie of verwerking ongeschikt materiaal",
                "Brood- en banketresten",
                40,
                "feed",
                0.9,
            ),
            PAPER,
        ),
    ),
    Sector(
        "dairy",
        "1051",
        "10510",
        0.003,
        60,
        ("Zuivelfabriek", "Kaasmakerij"),
        (
            W(
                "020501",
                "voor consumptie of verwerking ongeschikt materiaal",
                "Wei",
                300,
                "feed",
                0.95,
            ),
        ),
        stream_p=0.95,
    ),
    Sector(
        "coffee_roaster",
        "1083",
        "10830",
        0.004,
        8,
        ("Koffiebranderij", "Koffiebrander"),
        (
            W(
                "020304",
                "voor consumptie of verwerking ongeschikt materiaal",
                "Koffiezilvervlies",
                30,
                "compost",
                0.85,
            ),
        ),
        stream_p=0.9,
    ),
    Sector(
        "mushroom",
        "01133",
        "01133",
        0.005,
        12,
        ("Champignonkwekerij", "Paddenstoelenkwekerij"),
        (W("020103", "afval van plantaardige weefsels", "Champost", 900, "compost", 0.9),),
        stream_p=0.95,
    ),
    Sector(
        "greenhouse",
        "01132",
        "01132",
        0.015,
        15,
        ("Kwekerij", "Tuinbouwbedrijf"),
        (W("020103", "afval van plantaardige weefsels", "Groenafval", 400, "compost", 0.6),),
    ),
    Sector(
        "arable",
        "0111",
        "01110",
        0.03,
        2,
        ("Akkerbouwbedrijf", "Maatschap", "Landbouwbedrijf"),
        (W("020103", "afval van plantaardige weefsels", "Gewasresten", 600, "digestion", 0.3),),
        stream_p=0.3,
    ),
    Sector(
        "dairy_farm",
        "01411",
        "01411",
        0.04,
        2,
        ("Melkveebedrijf", "Boerderij", "Hoeve"),
        (W("020106", "dierlijke feces, urine en mest", "Mest", 4000, "digestion", 0.5),),
        stream_p=0.4,
    ),
    Sector(
        "care_home",
        "8710",
        "87100",
        0.015,
        80,
        ("Zorgcentrum", "Woonzorgcentrum", "Verpleeghuis"),
        (
            FOOD,
            MIXED,
            W(
                "180104",
                "niet-specifiek ziekenhuisafval",
                "Incontinentiemateriaal",
                8,
                "power",
                0.95,
            ),
        ),
        legal="stichting",
    ),
    Sector(
        "hospital",
        "86102",
        "86102",
        0.002,
        900,
        ("Ziekenhuis", "Medisch Centrum"),
        (
            FOOD,
            MIXED,
            W("180104", "niet-specifiek ziekenhuisafval", "Ziekenhuisafval", 6, "power", 1.0),
        ),
        stream_p=1.0,
        legal="stichting",
    ),
    Sector(
        "builder",
        "4120",
        "41000",
        0.08,
        8,
        ("Bouwbedrijf", "Aannemersbedrijf", "Bouwgroep"),
        (
            W("170904", "gemengd bouw- en sloopafval", "Bouw- en sloopafval", 300, "recycler", 0.4),
            W("170201", "hout", "B-hout", 60, "power", 0.3),
            W("170802", "gipshoudend bouwmateriaal", "Gips", 25, "recycler", 0.2),
        ),
        stream_p=0.5,
    ),
    Sector(
        "demolition",
        "4311",
        "43110",
        0.008,
        14,
        ("Sloopbedrijf", "Sloop- en Grondwerken"),
        (
            W("170101", "beton", "Betonpuin", 6000, "recycler", 0.6),
            W(
                "170107",
                "mengsels van beton, stenen, tegels",
                "Menggranulaat",
                3000,
                "recycler",
                0.5,
            ),
            W("170201", "hout", "Sloophout", 400, "power", 0.5),
            W("170405", "ijzer en staal", "Schroot", 500, "recycler", 0.4),
            W("170802", "gipshoudend bouwmateriaal", "Gipsplaat", 200, "recycler", 0.3),
        ),
        stream_p=0.85,
    ),
    Sector(
        "sawmill",
        "16101",
        "16110",
        0.004,
        10,
        ("Houtzagerij", "Zagerij", "Houthandel"),
        (
            W("030105", "zaagsel, schaafsel, spaanders, hout", "Zaagsel", 900, "power", 0.85),
            W("030101", "schors- en kurkafval", "Schors", 300, "compost", 0.6),
        ),
        stream_p=0.9,
    ),
    Sector(
        "carpenter",
        "16231",
        "16250",
        0.04,
        4,
        ("Timmerfabriek", "Timmerbedrijf", "Meubelmakerij"),
        (
            W(
                "030105",
                "zaagsel, schaafsel, spaanders, hout",
                "Zaagsel en krullen",
                120,
                "power",
                0.6,
            ),
            W("170201", "hout", "Houtafval", 40, "power", 0.4),
        ),
        stream_p=0.5,
    ),
    Sector(
        "feed",
        "1091",
        "10910",
        0.004,
        25,
        ("Veevoederfabriek", "Mengvoeders", "Diervoeders"),
        (
            W(
                "020304",
                "voor consumptie of verwerking ongeschikt materiaal",
                "Afgekeurd voer",
                50,
                "digestion",
                0.5,
            ),
        ),
        stream_p=0.6,
    ),
    Sector(
        "composting",
        "3821",
        "38210",
        0.003,
        12,
        ("Composteerbedrijf", "Groencompostering"),
        (W("190503", "afgekeurde compost", "Afgekeurde compost", 100, "power", 0.3),),
        stream_p=0.5,
    ),
    Sector(
        "digestion",
        "3821",
        "38210",
        0.002,
        10,
        ("Vergistingsinstallatie", "Biogas"),
        (W("190606", "digestaat van anaerobe behandeling", "Digestaat", 2000, "compost", 0.7),),
        stream_p=0.7,
    ),
    Sector(
        "waste_collector",
        "3811",
        "38110",
        0.005,
        40,
        ("Afvalinzameling", "Containerdienst"),
        (
            W(
                "191212",
                "overig afval van mechanische afvalverwerking",
                "Sorteerresidu",
                200,
                "power",
                0.9,
            ),
        ),
        stream_p=0.6,
    ),
    Sector(
        "recycler",
        "3832",
        "38210",
        0.005,
        25,
        ("Recycling", "Grondstoffen", "Metaalrecycling"),
        (
            W("191202", "ferrometalen", "Ferrofractie", 300, "recycler", 0.7),
            W("191204", "kunststoffen en rubber", "Kunststoffractie", 100, "power", 0.6),
        ),
        stream_p=0.6,
    ),
    Sector(
        "metal",
        "2511",
        "25110",
        0.02,
        15,
        ("Metaalbewerking", "Staalbouw", "Constructiebedrijf"),
        (
            W("120101", "ferrometaalvijlsel en -krullen", "Ijzerkrullen", 60, "recycler", 0.7),
            W(
                "120121",
                "afgewerkt slijpgereedschap en slijpmateriaal",
                "Slijpafval",
                5,
                "power",
                0.3,
            ),
        ),
        stream_p=0.6,
    ),
    Sector(
        "chemical",
        "20149",
        "20149",
        0.003,
        70,
        ("Chemie", "Chemicals", "Coatings"),
        (
            W(
                "070112",
                "slib van afvalwaterbehandeling ter plaatse",
                "Zuiveringsslib",
                120,
                "digestion",
                0.8,
            ),
        ),
        stream_p=0.8,
        legal="nv",
    ),
    Sector(
        "power",
        "35111",
        "35110",
        0.001,
        45,
        ("Energiecentrale", "Warmtekrachtcentrale"),
        (
            W("100101", "bodemas, slakken en ketelstof", "Bodemas", 1500, "recycler", 0.9),
            W(
                "100105",
                "calciumhoudend reactie-afval van rookgasontzwaveling",
                "Rookgasgips",
                600,
                "recycler",
                0.8,
            ),
        ),
        stream_p=1.0,
        legal="nv",
    ),
    Sector(
        "retail",
        "4711",
        "47110",
        0.12,
        10,
        ("Supermarkt", "Buurtsuper", "Versmarkt"),
        (
            W(
                "020304",
                "voor consumptie of verwerking ongeschikt materiaal",
                "Derving groente en fruit",
                12,
                "digestion",
                0.9,
            ),
            PAPER,
            W("150102", "kunststofverpakking", "Folie", 2, "recycler", 0.6),
        ),
        stream_p=0.5,
    ),
    Sector(
        "office",
        "70221",
        "62100",
        0.236,
        6,
        ("Adviesbureau", "Consultancy", "Software", "Administratiekantoor"),
        (W("200101", "papier en karton", "Oud papier", 3, "recycler", 0.6), MIXED),
        stream_p=0.15,
    ),
)
RECEIVER_KINDS: dict[str, tuple[str, ...]] = {
    "compost": ("composting",),
    "digestion": ("digestion",),
    "recycler": ("recycler",),
    "power": ("power",),
    "feed": ("feed",),
}
PROCESSING: dict[str, tuple[str, str]] = {  # synthetic LMA-shaped processing codes
    "compost": ("B04", "Composteren"),
    "digestion": ("B05", "Vergisten"),
    "recycler": ("A02", "Sorteren en voorbereiden tot recycling"),
    "power": ("C02", "Verbranden met energieterugwinning"),
    "feed": ("B01", "Inzet als diervoeder"),
}
WORDS = (
    "De Eem",
    "Het Anker",
    "De Linde",
    "Zonnehoek",
    "De Kei",
    "Het Zand",
    "De Hoeve",
    "Eemland",
    "De Vallei",
    "Het Wapen",
    "De Molen",
    "Koppelpoort",
    "De Berg",
    "Heuvelrug",
    "Het Gooi",
    "De Brink",
    "Ter Eem",
    "De Horst",
    "Bosrand",
    "De Haven",
    "Stadsring",
    "Het Plein",
    "Rozenhof",
    "De Ploeg",
    "Veluwe",
    "De Beek",
    "De Wiek",
    "Het Veld",
    "De Korf",
    "Noorderlicht",
    "De Smidse",
    "Oranje",
    "Het Hof",
    "De Kroon",
    "Lindenhof",
    "De Vink",
    "Ekris",
    "Achterhoek",
    "De Brug",
    "Valleikanaal",
    "Het Baken",
    "De Toren",
    "Kamp",
    "De Klomp",
    "Eiland",
    "De Zwaan",
    "Het Spoor",
)
FIRST = (
    "Jan",
    "Piet",
    "Kees",
    "Anna",
    "Sanne",
    "Mohamed",
    "Fatima",
    "Eva",
    "Daan",
    "Lotte",
    "Bram",
    "Fleur",
    "Ahmet",
    "Iris",
    "Ruben",
    "Noor",
    "Thijs",
    "Maria",
    "Joost",
    "Esther",
)
LAST = (
    "de Vries",
    "Jansen",
    "van den Berg",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Yilmaz",
    "van Dam",
    "Kok",
    "Verhoeven",
    "Schouten",
)
STREETS = (
    "Stationsweg",
    "Kerkstraat",
    "Industrieweg",
    "Dorpsstraat",
    "Hoofdstraat",
    "Nijverheidsweg",
    "Handelsweg",
    "Langestraat",
    "Molenweg",
    "Ambachtsweg",
    "Schoolstraat",
    "Marktplein",
    "Beekweg",
    "Energieweg",
    "Havenweg",
    "Edisonweg",
    "Celsiusweg",
    "Amsterdamseweg",
    "Utrechtseweg",
    "Arnhemseweg",
    "Zandweg",
    "Nieuweweg",
    "Westsingel",
    "Oostsingel",
    "Kamp",
    "Lindeboomseweg",
    "Meerweg",
    "Eemweg",
    "Veenweg",
    "Bunschoterstraat",
)
EXTRA_POP = 30000  # default inhabitants for municipalities outside POPULATION


def _municipalities(codes: Sequence[str] | None) -> pd.DataFrame:
    from regionomie.domain.reference import load_municipalities

    ref = load_municipalities()
    if codes is None:
        out = ref.sort_values("municipality_code").reset_index(drop=True)
    else:
        out = ref.set_index("municipality_code").loc[list(codes)].reset_index()
    return out[["municipality_code", "name", "province_code", "province_name", "lat", "lon"]]


def _pc4_range(code: str) -> tuple[int, int]:
    if code in PC4_RANGES:
        return PC4_RANGES[code]
    base = 1000 + (int(code[2:]) * 37) % 8900  # stable pseudo range outside the sample
    return base, base + 5


def _fmt(x: float, nd: int = 6) -> str:
    return f"{x:.{nd}f}"


# --------------------------------------------------------------------------- establishments


def _establishment_chunk(
    rng: np.random.Generator, start: int, n: int, munis: pd.DataFrame, org_start: int
) -> tuple[pd.DataFrame, int]:
    """n establishments (CSV columns as strings plus helper columns prefixed '_')."""
    weights = np.array([s.weight for s in SECTORS])
    sector_idx = rng.choice(len(SECTORS), size=n, p=weights / weights.sum())
    if start == 0:  # every sector present at least once in any sample
        k = min(n, len(SECTORS))
        sector_idx[:k] = np.arange(k)
    pop = np.array([POPULATION.get(c, EXTRA_POP) for c in munis["municipality_code"]], float)
    muni_idx = rng.choice(len(munis), size=n, p=pop / pop.sum())
    new_org = rng.random(n) >= 0.08
    new_org[0] = True
    org_ids = org_start + np.cumsum(new_org) - 1
    # branches stay in their organisation's sector and municipality
    for i in np.flatnonzero(~new_org):
        sector_idx[i] = sector_idx[i - 1]
        muni_idx[i] = muni_idx[i - 1]
    sole = (rng.random(n) < 0.05) & new_org
    sole_next = np.zeros(n, dtype=bool)
    for i in range(n):  # branches inherit legal form of their organisation
        sole_next[i] = sole[i] if new_org[i] else sole_next[i - 1]
    sole = sole_next
    u_version = rng.random(n)
    word = rng.integers(0, len(WORDS), n)
    prefix_pick = rng.integers(0, 100, n)
    first = rng.integers(0, len(FIRST), n)
    last = rng.integers(0, len(LAST), n)
    street = rng.integers(0, len(STREETS), n)
    house = np.minimum(rng.geometric(0.03, n), 400)
    add_u = rng.random(n)
    pc_off = rng.random(n)
    letters = rng.integers(0, len(RD_LETTERS), n)
    emp_noise = rng.lognormal(0.0, 0.9, n)
    emp_blank = rng.random(n) < 0.03
    year = np.clip(2025 - np.floor(rng.exponential(11.0, n)).astype(int), 1950, 2024)
    month = rng.integers(1, 13, n)
    day = rng.integers(1, 29, n)
    date_u = rng.random(n)
    ended = rng.random(n) < 0.02
    end_year = np.minimum(year + 1 + rng.integers(0, 6, n), 2024)
    dlat = rng.normal(0.0, 0.012, n)
    dlon = rng.normal(0.0, 0.018, n)
    legal_u = rng.random(n)

    rows: dict[str, list[str]] = {c: [] for c in ESTABLISHMENT_CSV_COLUMNS}
    helper_sector: list[str] = []
    helper_emp: list[int] = []
    m_codes = [str(c) for c in munis["municipality_code"]]
    m_names = [str(c) for c in munis["name"]]
    m_lat = [float(x) for x in munis["lat"]]
    m_lon = [float(x) for x in munis["lon"]]
    for i in range(n):
        s = SECTORS[sector_idx[i]]
        mi = muni_idx[i]
        code, city, mlat, mlon = m_codes[mi], m_names[mi], m_lat[mi], m_lon[mi]
        vest = f"{100000000 + (start + i) * 13:012d}"
        kvk = f"{(10000000 + int(org_ids[i]) * 37) % 100000000:08d}"
        use_2025 = u_version[i] < 0.10
        prefix = s.names[prefix_pick[i] % len(s.names)]
        if sole[i]:
            person = f"{FIRST[first[i]]} {LAST[last[i]]}"
            name = person if prefix_pick[i] % 3 == 0 else f"{prefix} {LAST[last[i]].split()[-1]}"
            legal = "Eenmanszaak"
        else:
            name = f"{prefix} {WORDS[word[i]]}"
            if s.legal == "stichting":
                legal = "Stichting"
            elif s.legal == "nv" or legal_u[i] < 0.02:
                legal = "Naamloze Vennootschap"
            elif legal_u[i] < 0.15:
                legal = "Vennootschap onder firma"
            else:
                legal = "Besloten Vennootschap"
        if sole[i]:
            emp = 1 + int(emp_noise[i] > 1.5)
        else:
            emp = max(1, int(round(s.emp_median * emp_noise[i])))
        lo, hi = _pc4_range(code)
        pc4 = lo + int(pc_off[i] * (hi - lo + 1))
        y, mo, d = int(year[i]), int(month[i]), int(day[i])
        if date_u[i] < 0.01:
            start_date = f"{y:04d}0000"
        elif date_u[i] < 0.05:
            start_date = f"{y:04d}{mo:02d}00"
        else:
            start_date = f"{y:04d}{mo:02d}{d:02d}"
        end_date = f"{int(end_year[i]):04d}{mo:02d}{d:02d}" if ended[i] else ""
        other = ""
        rows["vestigingsnummer"].append(vest)
        rows["kvk_nummer"].append(kvk)
        rows["trade_name"].append(name)
        rows["legal_form"].append(legal)
        rows["is_main"].append("Ja" if new_org[i] else "Nee")
        rows["sbi_main"].append(s.sbi2025 if use_2025 else s.sbi2008)
        rows["sbi_version"].append("2025" if use_2025 else "2008")
        rows["sbi_other"].append(other)
        rows["street"].append(STREETS[street[i]])
        rows["house_number"].append(str(int(house[i])))
        rows["house_number_addition"].append(
            "A" if add_u[i] < 0.04 else ("B" if add_u[i] < 0.06 else "")
        )
        rows["postcode"].append(f"{pc4}{RD_LETTERS[letters[i]]}")
        rows["city"].append(city)
        rows["municipality_code"].append(code)
        rows["lat"].append(_fmt(mlat + dlat[i]))
        rows["lon"].append(_fmt(mlon + dlon[i]))
        rows["employees"].append("" if emp_blank[i] else str(emp))
        rows["start_date"].append(start_date)
        rows["end_date"].append(end_date)
        rows["active"].append("Nee" if ended[i] else "Ja")
        helper_sector.append(s.key)
        helper_emp.append(emp)
    frame = pd.DataFrame(rows, columns=list(ESTABLISHMENT_CSV_COLUMNS))
    # ~2% share a business-centre address with the establishment before them (same building).
    share = np.flatnonzero(rng.random(n) < 0.02)
    for i in share:
        if i == 0 or frame.at[i, "municipality_code"] != frame.at[i - 1, "municipality_code"]:
            continue
        for col in ("street", "house_number", "house_number_addition", "postcode", "lat", "lon"):
            frame.at[i, col] = frame.at[i - 1, col]
    frame["_sector"] = helper_sector
    frame["_emp"] = helper_emp
    return frame, int(org_ids[-1]) + 1


# --------------------------------------------------------------------------- waste

LMA_PARTIES = (
    "Ontdoener",
    "Herkomst",
    "Afzender",
    "Inzamelaar",
    "Bemiddelaar",
    "Handelaar",
    "Ontvanger",
    "Verwerker",
)
LMA_COLUMNS: tuple[str, ...] = (
    "Afvalstroomnummer",
    "VerwerkingsmethodeCode",
    "VerwerkingsOmschrijving",
    "RouteInzameling",
    "Inzamelaarsregeling",
    "EuralCode",
    "EuralcodeOmschrijving",
    "BenamingAfval",
    "MeldPeriodeJAAR",
    "MeldPeriodeMAAND",
    "Gewicht_KG",
    "Aantal_vrachten",
) + tuple(
    c
    for p in LMA_PARTIES
    for c in (
        ([p] if p != "Herkomst" else [])
        + [f"{p}_Postcode", f"{p}_Plaats", f"{p}_Straat", f"{p}_Huisnr", f"{p}_Land"]
    )
)
OUT_OF_REGION = {  # receiver used when the region has no establishment of that kind
    "compost": ("GROENCOMPOSTERING MIDDEN NEDERLAND", "Composteerweg", "5", "3439ZZ", "Nieuwegein"),
    "digestion": ("VERGISTING GELDERSE VALLEI", "Biogasweg", "2", "6716ZZ", "Ede"),
    "recycler": ("GRONDSTOFFEN CENTRUM MIDDEN", "Recyclingweg", "10", "3542ZZ", "Utrecht"),
    "power": ("AFVALENERGIECENTRALE MIDDEN", "Energieweg", "1", "6814ZZ", "Arnhem"),
    "feed": ("DIERVOEDERS HOLLAND", "Voerweg", "3", "5431ZZ", "Cuijk"),
}


def _party(est: pd.Series | None, fallback: tuple[str, str, str, str, str]) -> list[str]:
    if est is None:
        name, street, hn, pc, city = fallback
        return [name, pc, city, street, hn, "NEDERLAND"]
    hn = est["house_number"] + est["house_number_addition"]
    return [
        str(est["trade_name"]).upper(),
        est["postcode"],
        str(est["city"]).upper(),
        str(est["street"]).upper(),
        hn,
        "NEDERLAND",
    ]


def _waste_rows(
    rng: np.random.Generator,
    est: pd.DataFrame,
    asn_start: int,
    scale: float,
    year: int,
) -> tuple[list[list[str]], int]:
    """Monthly LMA receipts for the waste streams of these establishments."""
    by_kind: dict[str, list[int]] = {}
    for kind, sector_keys in RECEIVER_KINDS.items():
        by_kind[kind] = [int(i) for i in np.flatnonzero(est["_sector"].isin(sector_keys))]
    collectors = [int(i) for i in np.flatnonzero(est["_sector"] == "waste_collector")]
    active = est["active"].to_numpy() == "Ja"
    sector_of = {s.key: s for s in SECTORS}
    rows: list[list[str]] = []
    asn = asn_start
    for i in range(len(est)):
        if not active[i]:
            continue
        s = sector_of[est["_sector"].iat[i]]
        e = est.iloc[i]
        for waste in s.wastes:
            small = waste.kg_per_emp_month < 50
            if rng.random() >= s.stream_p * scale * (0.6 if small else 1.0):
                continue
            asn += 1
            number = f"{100000000000 + asn * 7919:012d}"
            cands = [j for j in by_kind[waste.receiver] if j != i]
            rec = est.iloc[cands[int(rng.integers(0, len(cands)))]] if cands else None
            receiver = _party(rec, OUT_OF_REGION[waste.receiver])
            route = rng.random() < 0.35 and waste.kg_per_emp_month < 50
            coll = (
                est.iloc[collectors[int(rng.integers(0, len(collectors)))]] if collectors else None
            )
            collector = _party(
                coll, ("INZAMELING MIDDEN", "Inzamelweg", "4", "3812ZZ", "AMERSFOORT")
            )
            mode = rng.random()
            ontdoener = _party(e, OUT_OF_REGION["power"])
            if mode >= 0.82 and mode < 0.90:
                # known firm, address without house number: only the name can link it
                ontdoener[4] = ""
                ontdoener[0] = (
                    ontdoener[0].replace(" ", "  ", 1)
                    if rng.random() < 0.5
                    else (ontdoener[0] + " B.V.")
                )
            elif mode >= 0.90:
                # a party that is not in the KvK file (e.g. a private person or an unknown site)
                ontdoener = [
                    f"{WORDS[int(rng.integers(0, len(WORDS)))].upper()} LOCATIE {asn % 97}",
                    e["postcode"][:4] + "ZZ",
                    ontdoener[2],
                    "ONBEKENDEWEG",
                    str(900 + asn % 99),
                    "NEDERLAND",
                ]
            herkomst = ontdoener[1:]
            base = waste.kg_per_emp_month * max(1, int(e["_emp"]))
            code, desc = PROCESSING[waste.receiver]
            parties: list[str] = []
            for p in LMA_PARTIES:
                if p in ("Ontdoener", "Afzender"):
                    parties += ontdoener
                elif p == "Herkomst":
                    parties += herkomst
                elif p == "Inzamelaar":
                    parties += collector if route else [""] * 6
                elif p in ("Ontvanger", "Verwerker"):
                    parties += receiver
                else:
                    parties += [""] * 6
            small_stream = base < 250
            for month in range(1, 13):
                if rng.random() >= waste.monthly_p:
                    continue
                if small_stream and month % 3:
                    continue  # small streams are collected and reported quarterly
                months = 3 if small_stream else 1
                kg = max(10, int(round(months * base * rng.lognormal(0.0, 0.35) / 10.0)) * 10)
                loads = max(1, int(math.ceil(kg / 4000.0)))
                rows.append(
                    [
                        number,
                        code,
                        desc,
                        "J" if route else "N",
                        "J" if route else "N",
                        str(int(waste.eural)),  # LMA exports EuralCode as an integer
                        waste.description,
                        waste.name,
                        str(year),
                        str(month),
                        str(kg),
                        str(loads),
                        *parties,
                    ]
                )
    return rows, asn


# --------------------------------------------------------------------------- CBS / PDOK

KERNCIJFERS_FIELDS: tuple[tuple[str, str, str, str], ...] = (
    # (key, title, unit, datatype) — the real keys of 85984NED (Kerncijfers wijken en buurten
    # 2024); values invented. 2024 has no PercentageOnbewoond: OnbewoondeWoningen_46 (its unit
    # here, aantal, is not verified: the parser decides by the unit it finds).
    ("AantalInwoners_5", "Aantal inwoners", "aantal", "Long"),
    ("Mannen_6", "Mannen", "aantal", "Long"),
    ("Vrouwen_7", "Vrouwen", "aantal", "Long"),
    ("k_0Tot15Jaar_8", "0 tot 15 jaar", "aantal", "Long"),
    ("k_15Tot25Jaar_9", "15 tot 25 jaar", "aantal", "Long"),
    ("k_25Tot45Jaar_10", "25 tot 45 jaar", "aantal", "Long"),
    ("k_45Tot65Jaar_11", "45 tot 65 jaar", "aantal", "Long"),
    ("k_65JaarOfOuder_12", "65 jaar of ouder", "aantal", "Long"),
    ("HuishoudensTotaal_29", "Huishoudens totaal", "aantal", "Long"),
    ("Eenpersoonshuishoudens_30", "Eenpersoonshuishoudens", "aantal", "Long"),
    ("GemiddeldeHuishoudensgrootte_33", "Gemiddelde huishoudensgrootte", "aantal", "Double"),
    ("Bevolkingsdichtheid_34", "Bevolkingsdichtheid", "aantal inwoners per km²", "Long"),
    ("Woningvoorraad_35", "Woningvoorraad", "aantal", "Long"),
    (
        "GemiddeldeWOZWaardeVanWoningen_39",
        "Gemiddelde WOZ-waarde van woningen",
        "x 1 000 euro",
        "Long",
    ),
    ("OnbewoondeWoningen_46", "Onbewoonde woningen", "aantal", "Long"),
    ("GemiddeldInkomenPerInwoner_78", "Gemiddeld inkomen per inwoner", "x 1 000 euro", "Double"),
    ("PersonenPerSoortUitkeringBijstand_87", "Bijstand", "aantal", "Long"),
    ("PersonenPerSoortUitkeringAO_88", "AO", "aantal", "Long"),
    ("PersonenPerSoortUitkeringWW_89", "WW", "aantal", "Long"),
    ("PersonenPerSoortUitkeringAOW_90", "AOW", "aantal", "Long"),
    ("BedrijfsvestigingenTotaal_95", "Bedrijfsvestigingen totaal", "aantal", "Long"),
    ("OppervlakteTotaal_115", "Oppervlakte totaal", "ha", "Long"),
)


def _pad(code: str) -> str:
    return code.ljust(10)


def _kerncijfers_values(
    rng: np.random.Generator, inhabitants: int, benefits_factor: float, elderly_share: float
) -> dict[str, Any]:
    inh = int(inhabitants)
    old = int(round(inh * elderly_share))
    young = int(round(inh * rng.uniform(0.15, 0.19)))
    y1525 = int(round(inh * rng.uniform(0.10, 0.13)))
    y2545 = int(round(inh * rng.uniform(0.22, 0.27)))
    y4565 = max(0, inh - old - young - y1525 - y2545)
    hh = int(round(inh / rng.uniform(2.1, 2.5)))
    return {
        "AantalInwoners_5": inh,
        "Mannen_6": inh // 2,
        "Vrouwen_7": inh - inh // 2,
        "k_0Tot15Jaar_8": young,
        "k_15Tot25Jaar_9": y1525,
        "k_25Tot45Jaar_10": y2545,
        "k_45Tot65Jaar_11": y4565,
        "k_65JaarOfOuder_12": old,
        "HuishoudensTotaal_29": hh,
        "Eenpersoonshuishoudens_30": int(round(hh * rng.uniform(0.3, 0.4))),
        "GemiddeldeHuishoudensgrootte_33": round(inh / max(hh, 1), 1),
        "Bevolkingsdichtheid_34": int(rng.uniform(400, 2500)),
        "Woningvoorraad_35": int(round(hh * 1.02)),
        "GemiddeldeWOZWaardeVanWoningen_39": int(rng.uniform(330, 520)),
        "OnbewoondeWoningen_46": int(round(hh * 1.02 * rng.uniform(0.02, 0.06))),
        "GemiddeldInkomenPerInwoner_78": round(
            float(rng.uniform(30, 40)) / benefits_factor**0.3, 1
        ),
        "PersonenPerSoortUitkeringBijstand_87": int(round(inh * 0.022 * benefits_factor)),
        "PersonenPerSoortUitkeringAO_88": int(round(inh * 0.045 * benefits_factor**0.5)),
        "PersonenPerSoortUitkeringWW_89": int(round(inh * 0.011 * benefits_factor)),
        "PersonenPerSoortUitkeringAOW_90": int(round(old * 0.97)),
        "BedrijfsvestigingenTotaal_95": int(round(inh * rng.uniform(0.09, 0.14))),
        "OppervlakteTotaal_115": int(rng.uniform(1500, 8000)),
    }


def _cbs_kerncijfers(rng: np.random.Generator, munis: pd.DataFrame) -> dict[str, Any]:
    props: list[dict[str, Any]] = [
        {
            "odata.type": "Cbs.OData.GeoDimension",
            "ID": 0,
            "Position": 0,
            "ParentID": None,
            "Type": "GeoDimension",
            "Key": "WijkenEnBuurten",
            "Title": "Wijken en buurten",
        },
        {
            "odata.type": "Cbs.OData.Topic",
            "ID": 1,
            "Position": 1,
            "ParentID": None,
            "Type": "Topic",
            "Key": "Gemeentenaam_1",
            "Title": "Gemeentenaam",
            "Unit": "",
            "Datatype": "String",
        },
        {
            "odata.type": "Cbs.OData.Topic",
            "ID": 2,
            "Position": 2,
            "ParentID": None,
            "Type": "Topic",
            "Key": "SoortRegio_2",
            "Title": "Soort regio",
            "Unit": "",
            "Datatype": "String",
        },
        {
            "odata.type": "Cbs.OData.Topic",
            "ID": 3,
            "Position": 3,
            "ParentID": None,
            "Type": "Topic",
            "Key": "Codering_3",
            "Title": "Codering",
            "Unit": "",
            "Datatype": "String",
        },
    ]
    for n, (key, title, unit, dtype) in enumerate(KERNCIJFERS_FIELDS, start=4):
        props.append(
            {
                "odata.type": "Cbs.OData.Topic",
                "ID": n,
                "Position": n,
                "ParentID": None,
                "Type": "Topic",
                "Key": key,
                "Title": title,
                "Unit": unit,
                "Datatype": dtype,
                "Decimals": 1 if dtype == "Double" else 0,
            }
        )
    rows: list[dict[str, Any]] = []
    titles: list[dict[str, str]] = []
    codes = list(munis["municipality_code"])
    for k, (code, name) in enumerate(zip(codes, munis["name"], strict=True)):
        inh = POPULATION.get(code, int(rng.integers(8000, 120000)))
        benefits = 2.3 if k == 0 else float(rng.uniform(0.7, 1.1))  # first: high benefits
        elderly = 0.29 if k == 1 else float(rng.uniform(0.16, 0.21))  # second: many elderly
        regions = [(code, "Gemeente", name, inh)]
        n_wijk = 3
        wijk_share = rng.dirichlet(np.ones(n_wijk))
        for w in range(n_wijk):
            wcode = f"WK{code[2:]}{w:02d}"
            winh = int(inh * wijk_share[w])
            regions.append((wcode, "Wijk", f"Wijk {w:02d} {name}", winh))
            split = float(rng.uniform(0.3, 0.7))
            for b, share in enumerate((split, 1 - split)):
                bcode = f"BU{code[2:]}{w:02d}{b:02d}"
                regions.append((bcode, "Buurt", f"Buurt {w:02d}{b:02d} {name}", int(winh * share)))
        for rcode, rtype, rname, rinh in regions:
            row: dict[str, Any] = {
                "ID": len(rows),
                "WijkenEnBuurten": _pad(rcode),
                "Gemeentenaam_1": name.ljust(40),
                "SoortRegio_2": rtype.ljust(10),
                "Codering_3": _pad(rcode),
            }
            row.update(_kerncijfers_values(rng, rinh, benefits, elderly))
            if rtype == "Buurt" and rng.random() < 0.2:
                row["GemiddeldInkomenPerInwoner_78"] = None  # CBS suppresses small areas
            rows.append(row)
            titles.append({"Key": _pad(rcode), "Title": rname})
    return {
        "format": "cbs-odata-v3",
        "table_id": "85984NED",
        "base_url": "https://opendata.cbs.nl",
        "retrieved_at": RETRIEVED_AT,
        "region": None,
        "data_properties": props,
        "dimensions": {"WijkenEnBuurten": titles},
        "rows": rows,
    }


# 83452NED "Huishoudelijk afval per gemeente per inwoner": dimensions Afvalsoort, RegioS (GM
# codes), Perioden; one measure, kg per inhabitant. Codes A025450/A025454/A025461 as CBS
# publishes them; the total's code (T001154) is not verified (the parser names by title).
WASTE_KINDS: tuple[tuple[str, str, float, float], ...] = (
    # (Afvalsoort code, title, share of the total: low, high)
    ("A025450", "Huishoudelijk restafval", 0.25, 0.45),
    ("A025454", "GFT-afval", 0.20, 0.35),
    ("A025461", "PMD-fractie", 0.04, 0.08),
)
WASTE_TOTAL = ("T001154", "Totaal huishoudelijk afval")


def _cbs_waste(rng: np.random.Generator, munis: pd.DataFrame) -> dict[str, Any]:
    props: list[dict[str, Any]] = [
        {
            "odata.type": "Cbs.OData.Dimension",
            "ID": 0,
            "Position": 0,
            "ParentID": None,
            "Type": "Dimension",
            "Key": "Afvalsoort",
            "Title": "Afvalsoort",
        },
        {
            "odata.type": "Cbs.OData.GeoDimension",
            "ID": 1,
            "Position": 1,
            "ParentID": None,
            "Type": "GeoDimension",
            "Key": "RegioS",
            "Title": "Regio's",
        },
        {
            "odata.type": "Cbs.OData.TimeDimension",
            "ID": 2,
            "Position": 2,
            "ParentID": None,
            "Type": "TimeDimension",
            "Key": "Perioden",
            "Title": "Perioden",
        },
        {
            "odata.type": "Cbs.OData.Topic",
            "ID": 3,
            "Position": 3,
            "ParentID": None,
            "Type": "Topic",
            "Key": "HoeveelheidHuishoudelijkAfval_1",
            "Title": "Hoeveelheid huishoudelijk afval",
            "Unit": "kg per inwoner",
            "Datatype": "Double",
            "Decimals": 1,
        },
    ]
    kinds = [WASTE_TOTAL, *((c, t) for c, t, _, _ in WASTE_KINDS)]
    rows: list[dict[str, Any]] = []
    for code in munis["municipality_code"]:
        for year in (2022, 2023):
            per_inh = float(rng.uniform(380, 520))
            values = {WASTE_TOTAL[0]: per_inh}
            for kind, _, lo, hi in WASTE_KINDS:
                values[kind] = per_inh * float(rng.uniform(lo, hi))
            for kind, _ in kinds:
                rows.append(
                    {
                        "ID": len(rows),
                        "Afvalsoort": kind,
                        "RegioS": code.ljust(6),
                        "Perioden": f"{year}JJ00",
                        "HoeveelheidHuishoudelijkAfval_1": round(values[kind], 1),
                    }
                )
    return {
        "format": "cbs-odata-v3",
        "table_id": "83452NED",
        "base_url": "https://opendata.cbs.nl",
        "retrieved_at": RETRIEVED_AT,
        "region": None,
        "data_properties": props,
        "dimensions": {
            "Afvalsoort": [
                {"Key": c, "Title": t, "Description": None, "CategoryGroupID": None}
                for c, t in kinds
            ],
            "RegioS": [
                {"Key": c.ljust(6), "Title": n, "Description": None}
                for c, n in zip(munis["municipality_code"], munis["name"], strict=True)
            ],
        },
        "rows": rows,
    }


def _pdok(rng: np.random.Generator, munis: pd.DataFrame) -> dict[str, Any]:
    features = []
    for code, name, lat, lon in zip(
        munis["municipality_code"], munis["name"], munis["lat"], munis["lon"], strict=True
    ):
        k = 12
        radius = math.sqrt(POPULATION.get(code, 30000) / 160000.0) * 0.06 + 0.02
        ring = []
        for j in range(k):
            a = 2 * math.pi * j / k
            r = radius * float(rng.uniform(0.85, 1.15))
            ring.append(
                [
                    round(float(lon) + r * 1.6 * math.cos(a), 6),
                    round(float(lat) + r * math.sin(a), 6),
                ]
            )
        ring.append(ring[0])
        features.append(
            {
                "type": "Feature",
                "id": f"gemeente_gegeneraliseerd.{code}",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"statcode": code, "statnaam": name, "jrstatcode": f"2024{code}"},
            }
        )
    return {"type": "FeatureCollection", "features": features}


# --------------------------------------------------------------------------- KvK API JSON


def _address(e: pd.Series, with_geo: bool) -> dict[str, Any]:
    a: dict[str, Any] = {
        "type": "bezoekadres",
        "indAfgeschermd": "Nee",
        "volledigAdres": f"{e['street']} {e['house_number']}{e['house_number_addition']} "
        f"{e['postcode']} {e['city']}",
        "straatnaam": e["street"],
        "huisnummer": int(e["house_number"]),
        "postcode": e["postcode"],
        "plaats": e["city"],
        "land": "Nederland",
    }
    if e["house_number_addition"]:
        a["huisnummerToevoeging"] = e["house_number_addition"]
    if with_geo:
        a["geoData"] = {"gpsLatitude": float(e["lat"]), "gpsLongitude": float(e["lon"])}
    return a


def _api_sbi(e: pd.Series) -> list[dict[str, str]]:
    s = next(x for x in SECTORS if x.key == e["_sector"])
    from regionomie.domain.reference import sbi_label

    label = sbi_label(s.sbi2008, "2008") or s.key
    return [{"sbiCode": s.sbi2008, "sbiOmschrijving": label, "indHoofdactiviteit": "Ja"}]


def _kvk_api_files(est: pd.DataFrame) -> dict[str, Any]:
    """A few API responses as a connector would land them (fetched before the SBI 2025
    switch, so SBI 2008 codes)."""
    pick_sectors = ("restaurant", "brewery", "mushroom", "bakery", "cafe")
    chosen = [
        est[est["_sector"] == s].index[0] for s in pick_sectors if (est["_sector"] == s).any()
    ]
    profiles = []
    for idx in chosen:
        e = est.loc[idx]
        emp = int(e["_emp"])
        profiles.append(
            {
                "vestigingsnummer": e["vestigingsnummer"],
                "kvkNummer": e["kvk_nummer"],
                "formeleRegistratiedatum": e["start_date"],
                "materieleRegistratie": {"datumAanvang": e["start_date"]},
                "eersteHandelsnaam": e["trade_name"],
                "indHoofdvestiging": e["is_main"],
                "indCommercieleVestiging": "Ja",
                "voltijdWerkzamePersonen": emp,
                "deeltijdWerkzamePersonen": 0,
                "totaalWerkzamePersonen": emp,
                "handelsnamen": [{"naam": e["trade_name"], "volgorde": 0}],
                "adressen": [_address(e, with_geo=True)],
                "sbiActiviteiten": _api_sbi(e),
            }
        )
    e = est.loc[chosen[0]]
    basis = {
        "kvkNummer": e["kvk_nummer"],
        "naam": e["trade_name"],
        "formeleRegistratiedatum": e["start_date"],
        "materieleRegistratie": {"datumAanvang": e["start_date"]},
        "totaalWerkzamePersonen": int(e["_emp"]),
        "handelsnamen": [{"naam": e["trade_name"], "volgorde": 0}],
        "sbiActiviteiten": _api_sbi(e),
        "_embedded": {
            "hoofdvestiging": profiles[0],
            "eigenaar": {"rechtsvorm": e["legal_form"], "uitgebreideRechtsvorm": e["legal_form"]},
        },
    }
    results = []
    for idx in chosen:
        e = est.loc[idx]
        results.append(
            {
                "kvkNummer": e["kvk_nummer"],
                "vestigingsnummer": e["vestigingsnummer"],
                "naam": e["trade_name"],
                "adres": {
                    "binnenlandsAdres": {
                        "type": "bezoekadres",
                        "straatnaam": e["street"],
                        "huisnummer": int(e["house_number"]),
                        "postcode": e["postcode"],
                        "plaats": e["city"],
                    }
                },
                "type": "hoofdvestiging" if e["is_main"] == "Ja" else "nevenvestiging",
                "actief": e["active"],
            }
        )
    zoeken = {"pagina": 1, "resultatenPerPagina": 10, "totaal": len(results), "resultaten": results}
    return {"profiles": profiles, "basis": basis, "zoeken": zoeken}


# --------------------------------------------------------------------------- writing


def _write_json(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        json.dump(doc, fh, ensure_ascii=False, indent=1)
        fh.write("\n")


def _csv_writer(fh: Any) -> Any:
    return csv.writer(fh, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)


def _chunks(n: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, CHUNK):
        yield start, min(CHUNK, n - start)


def generate_region(
    out_dir: Path,
    *,
    seed: int = 42,
    n_establishments: int = 3000,
    municipalities: Sequence[str] | None = REGIO_AMERSFOORT,
    waste: bool = True,
    waste_scale: float = 1.0,
    year: int = 2024,
) -> dict[str, Path]:
    """Write the sample files under out_dir/{kvk,waste,municipal}/; returns name -> path.

    municipalities=None spreads establishments over all municipalities (national benchmark
    files). Establishments are generated and written in chunks of 100k rows, so millions of
    rows stay within modest memory. Same seed and arguments -> byte-identical files."""
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    munis = _municipalities(municipalities)
    # File names carry the connectors' UTC stamp, so retrieved_at is fixed (not the checkout's
    # mtime): the API responses are older than the CSV export, so the CSV wins per key.
    kvk, mun = out_dir / "kvk", out_dir / "municipal"
    paths = {
        "establishments": kvk / f"establishments_{STAMP}.csv",
        "vestigingsprofielen": kvk / f"kvk_vestigingsprofielen_{API_STAMP}.jsonl",
        "basisprofiel": kvk / f"kvk_basisprofiel_{API_STAMP}.json",
        "zoeken": kvk / f"kvk_zoeken_{API_STAMP}.json",
        "waste": out_dir / "waste" / f"ontvangstmeldingen_{year}_{STAMP}.csv",
        "kerncijfers": mun / f"cbs_85984NED_{STAMP}.json",
        "cbs_waste": mun / f"cbs_83452NED_{STAMP}.json",
        "pdok": mun / f"pdok_gemeenten_{STAMP}.geojson",
    }
    if not waste:
        del paths["waste"]
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    first_chunk: pd.DataFrame | None = None
    org_next = 0
    asn = 0
    est_fh = paths["establishments"].open("w", encoding="utf-8", newline="")
    waste_fh = paths["waste"].open("w", encoding="utf-8", newline="") if waste else None
    try:
        est_w = _csv_writer(est_fh)
        est_w.writerow(ESTABLISHMENT_CSV_COLUMNS)
        waste_w = _csv_writer(waste_fh) if waste_fh else None
        if waste_w:
            waste_w.writerow(LMA_COLUMNS)
        for start, n in _chunks(n_establishments):
            frame, org_next = _establishment_chunk(rng, start, n, munis, org_next)
            est_w.writerows(frame[list(ESTABLISHMENT_CSV_COLUMNS)].itertuples(index=False))
            if waste_w is not None:
                rows, asn = _waste_rows(rng, frame, asn, waste_scale, year)
                waste_w.writerows(rows)
            if first_chunk is None:
                first_chunk = frame
    finally:
        est_fh.close()
        if waste_fh:
            waste_fh.close()
    assert first_chunk is not None
    api = _kvk_api_files(first_chunk)
    with paths["vestigingsprofielen"].open("w", encoding="utf-8", newline="\n") as fh:
        for prof in api["profiles"]:
            fh.write(json.dumps(prof, ensure_ascii=False, separators=(",", ":")) + "\n")
    _write_json(paths["basisprofiel"], api["basis"])
    _write_json(paths["zoeken"], api["zoeken"])
    _write_json(paths["kerncijfers"], _cbs_kerncijfers(rng, munis))
    _write_json(paths["cbs_waste"], _cbs_waste(rng, munis))
    _write_json(paths["pdok"], _pdok(rng, munis))
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m regionomie.sample.generator",
        description="Write a deterministic synthetic region in the landing formats.",
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--establishments", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--national",
        action="store_true",
        help="spread establishments over all municipalities (benchmark files)",
    )
    parser.add_argument("--no-waste", action="store_true", help="skip the LMA receipts file")
    parser.add_argument(
        "--waste-scale", type=float, default=1.0, help="multiply the chance of waste streams"
    )
    args = parser.parse_args(argv)
    if args.establishments < 1:
        print("--establishments must be >= 1", file=sys.stderr)
        return 2
    paths = generate_region(
        args.out,
        seed=args.seed,
        n_establishments=args.establishments,
        municipalities=None if args.national else REGIO_AMERSFOORT,
        waste=not args.no_waste,
        waste_scale=args.waste_scale,
    )
    for name, path in paths.items():
        print(f"{name}: {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
