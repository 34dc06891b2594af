"""Which material a reported waste stream is (issue 20): one stream's tonnes are never counted
for more than one material, a material is supply only where its producer's class produces it in
the Netherlands, and a stream nothing fits is kept, not dropped. Against the shipped knowledge
base and Dutch context."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from regionomie.domain.dutch_context import load_dutch_context
from regionomie.domain.knowledge import KnowledgeBase, load_knowledge_base
from regionomie.domain.opportunities.attribution import (
    UNCLASSIFIED,
    ContradictoryShares,
    StreamAttributor,
    attributor_for,
    check_shares,
)
from regionomie.domain.opportunities.supply import attributed_streams, supply_from_streams
from regionomie.domain.schemas import ESTABLISHMENTS, WASTE_PARTY_LINKS, WASTE_RECORDS


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="module")
def attributor(kb: KnowledgeBase) -> StreamAttributor:
    return attributor_for(kb, load_dutch_context())


def shares(rows: tuple[tuple[str, float, str, str], ...]) -> dict[str, float]:
    return {material: share for material, share, _, _ in rows}


def test_the_description_decides_when_it_names_a_material(attributor: StreamAttributor) -> None:
    rows = attributor.attribute("200108", "Koffiedik", "8610")  # a hospital's canteen
    assert shares(rows) == {"spent_coffee_grounds": 1.0}
    assert rows[0][2] == "omschrijving"
    assert "Koffiedik" in rows[0][3]


def test_a_supermarket_stream_is_never_read_as_tropical_crop_residue(
    attributor: StreamAttributor,
) -> None:
    """020304 lists rice bran, cassava peel, cocoa shells, coconut shells ...; a Dutch
    supermarket produces none of them."""
    context = load_dutch_context()
    absent = {m for m, origin in context.origins.items() if not origin.occurs_in_nl}
    for description in ("", "Derving groente en fruit", "afval"):
        rows = attributor.attribute("020304", description, "4711")
        assert sum(shares(rows).values()) == pytest.approx(1.0)
        assert not set(shares(rows)) & absent, description


def test_a_material_that_does_not_occur_here_is_not_supply_even_when_named(
    attributor: StreamAttributor,
) -> None:
    """A description naming rice bran or coconut shells still cannot make them Dutch supply."""
    for description, absent in (("rijstzemelen", "rice_bran"), ("kokosdoppen", "coconut_shells")):
        rows = attributor.attribute("020304", description, "4711")
        assert absent not in shares(rows), description
        assert sum(shares(rows).values()) == pytest.approx(1.0)


def test_mushroom_plant_waste_is_champost_not_coconut_or_jute(attributor: StreamAttributor) -> None:
    rows = attributor.attribute("020103", "Champost", "0113")
    assert shares(rows) == {"spent_mushroom_substrate": 1.0}
    generic = attributor.attribute("020103", "", "0113")
    assert "coconut_shells" not in shares(generic) and "jute_sticks" not in shares(generic)


def test_a_cited_composition_splits_and_leaves_the_rest_unclassified(
    attributor: StreamAttributor,
) -> None:
    rows = attributor.attribute("020799", "", "1105")  # a brewery, no description
    got = shares(rows)
    assert got["brewers_spent_grain"] == pytest.approx(0.85)
    assert got["brewers_yeast"] == pytest.approx(0.10)
    assert got[UNCLASSIFIED] == pytest.approx(0.05)
    assert {how for _, _, how, _ in rows} == {"samenstelling"}


def test_a_stream_nothing_fits_stays_with_its_tonnes(attributor: StreamAttributor) -> None:
    rows = attributor.attribute("999999", "blauwe stoelen van de kantine", "7022")
    assert shares(rows) == {UNCLASSIFIED: 1.0}
    assert rows[0][2] == "ongeclassificeerd"


def test_contradictory_shares_name_the_stream() -> None:
    bad = pd.DataFrame(
        {
            "afvalstroomnummer": ["123456789012", "123456789012", "000000000001"],
            "material_id": ["a", "b", "c"],
            "share": [0.7, 0.6, 1.0],
            "how": ["x"] * 3,
            "basis": ["x"] * 3,
        }
    )
    with pytest.raises(ContradictoryShares, match=r"afvalstroom 123456789012: .* 1\.300"):
        check_shares(bad)


def _records(rows: list[dict[str, Any]]) -> pd.DataFrame:
    out = []
    for row in rows:
        full = {c: None for c in WASTE_RECORDS.columns}
        full.update(extract_type="ontvangst", period_year=2024, period_month=1, **row)
        out.append(full)
    return pd.DataFrame(out)


def test_supply_conserves_the_reported_tonnes(kb: KnowledgeBase) -> None:
    """Every stream's tonnes, attributed, add up to what LMA reports; supply of the producers
    never exceeds it; candidates' stream ids and shares say which part they carry."""
    context = load_dutch_context()
    est = pd.DataFrame(
        [
            {c: None for c in ESTABLISHMENTS.columns}
            | {"vestigingsnummer": f"00000000000{i}", "nace_class": nace, "employees": 5}
            for i, nace in enumerate(("4711", "1105", "5610"), start=1)
        ]
    )
    records = _records(
        [
            {"afvalstroomnummer": "A1", "eural_code": "20304", "waste_name": "", "weight_kg": 3240},
            {"afvalstroomnummer": "B1", "eural_code": "20799", "weight_kg": 120_000},
            {
                "afvalstroomnummer": "C1",
                "eural_code": "200108",
                "waste_name": "Koffiedik",
                "weight_kg": 900,
            },
            {
                "afvalstroomnummer": "D1",
                "eural_code": "200108",
                "waste_name": "etensresten",
                "weight_kg": 5000,
                "processing_code": "E01",
            },
        ]
    )
    links = pd.DataFrame(
        [
            (stream, "ontdoener", "3811AA", "1", f"00000000000{i}", "address", 1.0)
            for stream, i in (("A1", 1), ("B1", 2), ("C1", 3), ("D1", 3))
        ],
        columns=list(WASTE_PARTY_LINKS.columns),
    )
    streams = attributed_streams(records, links, est, attributor_for(kb, context))
    per_stream = streams.groupby("afvalstroomnummer")["attributed_tonnes"].sum()
    assert per_stream.to_dict() == pytest.approx({"A1": 3.24, "B1": 120.0, "C1": 0.9, "D1": 5.0})
    supply = supply_from_streams(est, kb, context, streams)
    lma = supply[supply["supply_source"] == "lma"]
    assert lma["tonnes_per_year"].sum() <= 3.24 + 120.0 + 0.9 + 5.0 + 1e-9
    grain = lma[lma["material_id"] == "brewers_spent_grain"].iloc[0]
    assert grain["supply_stream_id"] == "B1"
    assert grain["stream_tonnes"] == pytest.approx(120.0)
    assert grain["supply_share"] == pytest.approx(0.85)
    # today's rung from the LMA processing code (E01 digestion = 4); the restaurant's coffee
    # grounds are reported in LMA, so they are not estimated a second time
    food = lma[lma["supply_stream_id"] == "D1"]
    assert (food["current_rung"] == 4).all()
    restaurant = supply[supply["establishment_id"] == "000000000003"]
    coffee = restaurant[restaurant["material_id"] == "spent_coffee_grounds"]
    assert list(coffee["supply_source"]) == ["lma"]
