"""A tiny, illustrative knowledge base and synthetic-establishment generator for tests,
benchmarks and demos. The figures are plausible placeholders, NOT facts: the real knowledge
base (data/knowledge/, regionomie.domain.knowledge) carries the sourced values.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from regionomie.domain.dutch_context import DutchContext, load_dutch_context
from regionomie.domain.knowledge import MATERIAL_COLUMNS, PATHWAY_COLUMNS, YIELD_COLUMNS
from regionomie.domain.schemas import ESTABLISHMENTS


@dataclass
class DemoKnowledgeBase:
    materials: pd.DataFrame
    pathways: pd.DataFrame
    yields: pd.DataFrame
    dutch_context: DutchContext | None = None  # the shipped context plus the demo's residues


def demo_kb() -> DemoKnowledgeBase:
    """Six materials (one hazardous), seven pathways (one hazardous->feed, which the engine
    must refuse), yields per employee. Shapes follow regionomie.domain.knowledge."""
    materials = pd.DataFrame(
        [
            ("koffiedik", "Koffiedik", "Spent coffee grounds", "", "200108", "organic", False),
            ("bierbostel", "Bierbostel", "Brewers' spent grain", "", "020799", "organic", False),
            ("frituurvet", "Gebruikt frituurvet", "Used cooking oil", "", "200125", "oil", False),
            ("champost", "Champost", "Spent mushroom substrate", "", "020103", "organic", False),
            ("broodrest", "Broodoverschot", "Surplus bread", "", "020601", "organic", False),
            ("afgewerkte_olie", "Afgewerkte olie", "Waste oil", "", "130205", "oil", True),
        ],
        columns=list(MATERIAL_COLUMNS),
    )
    pathways = pd.DataFrame(
        [
            (
                "P-koffie-zwam",
                "koffiedik",
                "5610;5630",
                "0113",
                "Teelt van paddenstoelen",
                "substrate",
                "oesterzwammen kweken",
                30.0,
                300.0,
                4.0,
                True,
                "Koffiedik bederft binnen dagen: wekelijks ophalen.",
                "practice",
                "Rotterzwam; GRO Amsterdam",
                0.8,
            ),
            (
                "P-bostel-voer",
                "bierbostel",
                "1105",
                "1091",
                "Vervaardiging van diervoeder",
                "feed",
                "veevoer",
                60.0,
                200.0,
                0.5,
                True,
                "Vochtig product, snel afzetten.",
                "practice",
                "brewery by-product practice",
                0.9,
            ),
            (
                "P-bostel-bakker",
                "bierbostel",
                "1105",
                "1071",
                "Brood en banket",
                "food",
                "bostelbrood en -meel",
                150.0,
                400.0,
                3.0,
                True,
                "Drogen nodig voor meel; voedselveiligheid.",
                "start-ups",
                "brewery-bakery upcycling",
                0.6,
            ),
            (
                "P-vet-biodiesel",
                "frituurvet",
                "5610",
                "2059",
                "Chemische producten",
                "energy",
                "biodiesel (HVO/FAME)",
                400.0,
                2500.0,
                0.3,
                False,
                "Alleen via erkende inzamelaar.",
                "practice",
                "UCO schemes",
                0.9,
            ),
            (
                "P-champost-grond",
                "champost",
                "0113",
                "0150",
                "Gemengd bedrijf",
                "soil",
                "bodemverbeteraar",
                10.0,
                50.0,
                0.2,
                False,
                "Meststoffenwet.",
                "practice",
                "mushroom growers' practice",
                0.7,
            ),
            (
                "P-brood-buurt",
                "broodrest",
                "1071",
                "8899",
                "Maatschappelijke dienstverlening",
                "community",
                "buurtmaaltijden en voedselbank",
                200.0,
                800.0,
                6.0,
                True,
                "Houdbaarheid: dezelfde dag ophalen.",
                "practice",
                "voedselbanken",
                0.7,
            ),
            (
                "P-olie-voer",
                "afgewerkte_olie",
                "45",
                "1091",
                "Vervaardiging van diervoeder",
                "feed",
                "VERBODEN: olie in veevoer",
                500.0,
                100.0,
                1.0,
                True,
                "",
                "none",
                "negative test pathway",
                1.0,
            ),
        ],
        columns=list(PATHWAY_COLUMNS),
    )
    yields = pd.DataFrame(
        [
            ("koffiedik", "5610", 0.3, "demo"),
            ("koffiedik", "5630", 0.4, "demo"),
            ("frituurvet", "5610", 0.15, "demo"),
            ("bierbostel", "1105", 15.0, "demo"),
            ("champost", "0113", 20.0, "demo"),
            ("broodrest", "1071", 0.5, "demo"),
            ("afgewerkte_olie", "45", 0.2, "demo"),
        ],
        columns=list(YIELD_COLUMNS),
    )
    # what the demo's uses leave behind, so its cascades can chain (the grower's substrate)
    context = dataclasses.replace(
        load_dutch_context(), residues={("koffiedik", "0113"): ("champost", 0.5, "demo")}
    )
    return DemoKnowledgeBase(materials, pathways, yields, context)


#: sector mix of synthetic establishments: NACE class -> share (rest is "other" 7022)
SYNTHETIC_SECTOR_MIX: dict[str, float] = {
    "5610": 0.030,
    "5630": 0.015,
    "1105": 0.0008,
    "1071": 0.004,
    "1091": 0.0005,
    "0113": 0.0003,
    "2059": 0.0002,
    "0150": 0.004,
    "8899": 0.004,
    "4520": 0.010,
}


def synthetic_establishments(
    n: int, seed: int = 0, bbox: tuple[float, float, float, float] = (51.3, 53.4, 3.6, 7.1)
) -> pd.DataFrame:
    """n synthetic establishments in the ESTABLISHMENTS contract, vectorised: uniform over the
    bounding box (lat_min, lat_max, lon_min, lon_max), sectors drawn from the mix above."""
    rng = np.random.default_rng(seed)
    codes = list(SYNTHETIC_SECTOR_MIX) + ["7022"]
    probs = np.array(list(SYNTHETIC_SECTOR_MIX.values()))
    probs = np.append(probs, 1.0 - probs.sum())
    nace = np.array(codes)[rng.choice(len(codes), size=n, p=probs)]
    lat = rng.uniform(bbox[0], bbox[1], n)
    lon = rng.uniform(bbox[2], bbox[3], n)
    ids = np.char.zfill(np.arange(1, n + 1).astype(str), 12)
    employees = rng.integers(1, 40, n)
    muni = np.char.add("GM", np.char.zfill(rng.integers(1, 400, n).astype(str), 4))
    df = pd.DataFrame(
        {
            "vestigingsnummer": ids,
            "kvk_nummer": np.char.zfill((np.arange(1, n + 1) + 10_000_000).astype(str), 8),
            "trade_name": np.char.add("Bedrijf ", ids),
            "is_sole_proprietor": rng.random(n) < 0.3,
            "is_main": True,
            "sbi_main": nace,
            "sbi_version": "2008",
            "sbi_other": "",
            "nace_class": nace,
            "sbi_mapped": True,
            "street": "Straat",
            "house_number": "1",
            "house_number_addition": "",
            "postcode": "3811AA",
            "city": "Plaats",
            "municipality_code": muni,
            "lat": lat,
            "lon": lon,
            "employees": pd.array(employees, dtype="Int64"),
            "start_date": None,
            "end_date": None,
            "active": True,
        }
    )
    return df[list(ESTABLISHMENTS.columns)]
