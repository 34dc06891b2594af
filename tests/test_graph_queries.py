"""Every analyst query in graph_schema/queries runs against the loaded sample region and
returns the rows worked out by hand from regionomie/graph/sample.py."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from regionomie.domain.privacy import pseudonymous_id
from regionomie.graph import knowledge_frames, migrations, sample
from regionomie.graph.loader import load_frames
from regionomie.graph.queries import QueryFileError, load_queries, parse_query
from regionomie.settings import pseudonym_key

pytestmark = pytest.mark.neo4j

E1, E2, E3, E4, E5, E6, E7, E8 = (f"{i:012d}" for i in range(1, 9))
# E2 is the sample's eenmanszaak: the graph knows it only under its pseudonym
E2 = pseudonymous_id(E2, pseudonym_key())


def _biggest(rows: list[dict]) -> None:
    assert [(r["vestigingsnummer"], r["eural"], r["tonnes_per_year"]) for r in rows] == [
        (E1, "200108", pytest.approx(10.0)),
        (E2, "200108", pytest.approx(2.5)),
        (E1, "200125", pytest.approx(1.2)),
    ]
    assert rows[1]["name"] == "(eenmanszaak)"  # personal data masked


def _receivers(rows: list[dict]) -> None:
    kb = [r for r in rows if r["evidence"] == "knowledge base"]
    seen = [r for r in rows if r["evidence"] == "observed flow"]
    assert [(r["sector"], r["via"]) for r in kb] == [("nace:0113", "spent_coffee_grounds")]
    assert [(r["sector"], r["tonnes"], r["receivers"]) for r in seen] == [
        ("sbi2008:01133", pytest.approx(10.0), 1),
        ("sbi2008:38211", pytest.approx(2.5), 1),
    ]


def _flows(rows: list[dict]) -> None:
    got = [(r["from_code"], r["to_code"], r["eural"], r["tonnes"]) for r in rows]
    assert got == [
        ("GM0344", "GM0363", "020702", pytest.approx(30.0)),
        ("GM0307", "GM0307", "200108", pytest.approx(10.0)),
        ("GM0307", "GM0344", "200108", pytest.approx(2.5)),
        ("GM0307", "GM0344", "200125", pytest.approx(1.2)),
    ]  # 0.8 t of 130205 falls under $min_tonnes = 1
    assert [r["between_municipalities"] for r in rows] == [True, False, True, True]


def _challenges(rows: list[dict]) -> None:
    assert [(r["challenge"], r["severity"]) for r in rows] == [
        ("unemployment", pytest.approx(0.9)),
        ("loneliness", pytest.approx(0.6)),
    ]


def _radius(rows: list[dict]) -> None:
    assert [r["vestigingsnummer"] for r in rows] == [E1, E2]  # E8 is 1.9 km away
    assert rows[0]["distance_km"] < rows[1]["distance_km"] < 1.0


def _hazardous(rows: list[dict]) -> None:
    got = [(r["municipality"], r["eural"], r["producers"], r["tonnes_per_year"]) for r in rows]
    assert got == [("GM0307", "130205", 1, pytest.approx(0.8))]


def _provenance(rows: list[dict]) -> None:
    assert len(rows) == 1
    row = rows[0]
    assert (row["labels"], row["source"], row["load_run"], row["run_status"]) == (
        ["Establishment"],
        "sample",
        "q-run/sample",
        "finished",
    )
    assert row["data_source"] == "sample"


def _top(rows: list[dict]) -> None:
    assert rows == []  # no opportunity step has run on this graph


def _sectors(rows: list[dict]) -> None:
    assert [(r["division"], r["establishments"], r["employees"]) for r in rows] == [
        ("sbi2008:56", 3, 12 + 3 + 7),
        ("sbi2008:01", 1, 8),
        ("sbi2008:45", 1, 5),
    ]


def _organisation(rows: list[dict]) -> None:
    assert [(r["vestigingsnummer"], r["municipality"], r["sector"], r["active"]) for r in rows] == [
        (E1, "GM0307", "sbi2008:56101", True),
        (E8, "GM0307", "sbi2008:56101", True),
    ]


def _near(rows: list[dict]) -> None:
    # around E1 (excluded itself): J. Jansen, 0.26 km away (0.002 degrees north and east) at
    # his exact address; the graph knows him only at the centre of his 500 m cell
    import math

    from regionomie.domain.privacy import coarsen_locations

    (lat,), (lon,) = coarsen_locations([52.1590], [5.3900])
    north = (lat - 52.1570) * 111.2
    east = (lon - 5.3880) * 111.2 * math.cos(math.radians(52.158))
    assert [(r["vestigingsnummer"], r["name"], r["eural_codes"]) for r in rows] == [
        (E2, "(eenmanszaak)", ["200108"])
    ]
    assert rows[0]["tonnes_per_year"] == pytest.approx(2.5)
    assert rows[0]["distance_km"] == pytest.approx(math.hypot(north, east), abs=0.01)
    assert rows[0]["distance_km"] != pytest.approx(0.26, abs=0.01)  # not his exact address


def _worst(rows: list[dict]) -> None:
    # Amersfoort's challenges, worst first; no opportunities in this graph, so no cases
    assert [(r["challenge"], r["severity"], r["cases"]) for r in rows] == [
        ("unemployment", pytest.approx(0.9), []),
        ("loneliness", pytest.approx(0.6), []),
    ]
    assert rows[0]["value"] == pytest.approx(0.031)
    assert rows[0]["national_value"] == pytest.approx(0.02)


EXPECTED: dict[str, tuple[dict, Callable[[list[dict]], None]]] = {
    "biggest_producers": ({"municipality": "GM0307", "eural": "20", "limit": 10}, _biggest),
    "possible_receivers": ({"eural": "200108"}, _receivers),
    "flows_between_municipalities": ({"period": "2024", "min_tonnes": 1.0}, _flows),
    "challenges_per_municipality": ({"municipality": "GM0307"}, _challenges),
    "establishments_in_radius": (
        {"sector": "nace:5610", "lat": 52.1561, "lon": 5.3878, "radius_km": 1.0},
        _radius,
    ),
    "hazardous_materials_per_municipality": ({"municipality": None}, _hazardous),
    "provenance_of_node": ({"key": E1}, _provenance),
    "top_opportunities": ({"region": "amersfoort", "limit": 10}, _top),
    "sectors_in_municipality": ({"municipality": "GM0307"}, _sectors),
    "organisation_establishments": ({"kvk": "10000001"}, _organisation),
    "producers_near": (
        {"eural": "2001", "material": None, "vestigingsnummer": E1, "lat": None, "lon": None,
         "radius_km": 1.0},
        _near,
    ),
    "worst_challenges_and_cases": ({"municipality": "GM0307", "top": 3}, _worst),
}  # fmt: skip


@pytest.fixture(scope="module")
def loaded(neo4j_driver):
    neo4j_driver.execute_query("MATCH (n) WHERE NOT n:SchemaMigration DETACH DELETE n")
    migrations.migrate(neo4j_driver)
    sample.load_sample_region(neo4j_driver, "q-run")
    materials = pd.DataFrame(
        [
            {
                "material_id": "spent_coffee_grounds",
                "name_nl": "koffiedik",
                "name_en": "spent coffee grounds",
                "synonyms": "koffiedik",
                "eural_codes": "200108",
                "category": "food",
                "hazardous": "false",
            }
        ]
    )
    pathways = pd.DataFrame(
        [
            {
                "pathway_id": "spent_coffee_grounds-0113",
                "material_id": "spent_coffee_grounds",
                "producer_nace": "5610",
                "receiver_nace": "0113",
                "receiver_label": "mushroom growers",
                "strength": 0.95,
            }
        ]
    )
    load_frames(
        neo4j_driver,
        knowledge_frames.knowledge_frames(materials, pathways, None),
        run_id="kb-run",
        source=knowledge_frames.SOURCE,
        full_snapshot=True,
    )
    return neo4j_driver


def test_library_has_at_least_eight_documented_queries():
    queries = load_queries()
    assert len(queries) >= 8
    assert set(queries) == set(EXPECTED), "every query file needs expected rows in this test"
    for query in queries.values():
        assert query.question.endswith("?"), query.name
        assert set(query.parameters) == set(EXPECTED[query.name][0]), query.name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_query_returns_expected_rows(loaded, name):
    query = load_queries()[name]
    params, check = EXPECTED[name]
    records, _, _ = loaded.execute_query(query.text, parameters_=params)
    check([r.data() for r in records])


def test_top_opportunities_lists_written_opportunities(loaded):
    loaded.execute_query(
        "MERGE (o:Opportunity {id: 'amersfoort:c1'}) SET o.region = 'amersfoort', o.rank = 1, "
        "o.score = 0.8, o.title = 'Koffiedik naar paddenstoelen' WITH o "
        "MATCH (p:Establishment {vestigingsnummer: $p}), (r:Establishment {vestigingsnummer: $r}),"
        " (c:Challenge {id: 'unemployment'}) "
        "MERGE (o)-[:FROM_PRODUCER]->(p) MERGE (o)-[:TO_RECEIVER]->(r) MERGE (o)-[:ADDRESSES]->(c)",
        p=E1,
        r=E3,
    )
    try:
        query = load_queries()["top_opportunities"]
        records, _, _ = loaded.execute_query(
            query.text, parameters_={"region": "amersfoort", "limit": 5}
        )
        rows = [r.data() for r in records]
        assert [(r["id"], r["producer"], r["receiver"], r["challenges"]) for r in rows] == [
            ("amersfoort:c1", E1, E3, ["unemployment"])
        ]
    finally:
        loaded.execute_query("MATCH (o:Opportunity {id: 'amersfoort:c1'}) DETACH DELETE o")


def test_producers_near_a_point_by_knowledge_base_material(loaded):
    """The same question by material id (spent coffee grounds -> EURAL 200108) around a
    point: both coffee producers, nearest first; 200125 (frying oil) of E1 is not coffee."""
    query = load_queries()["producers_near"]
    params = {"eural": None, "material": "spent_coffee_grounds", "vestigingsnummer": None,
              "lat": 52.1561, "lon": 5.3878, "radius_km": 1.0}  # fmt: skip
    records, _, _ = loaded.execute_query(query.text, parameters_=params)
    rows = [r.data() for r in records]
    assert [(r["vestigingsnummer"], r["eural_codes"], r["tonnes_per_year"]) for r in rows] == [
        (E1, ["200108"], pytest.approx(10.0)),
        (E2, ["200108"], pytest.approx(2.5)),
    ]
    assert rows[0]["distance_km"] < rows[1]["distance_km"] < 1.0


def test_worst_challenges_name_the_cases_that_address_them(loaded):
    loaded.execute_query(
        "MERGE (o:Opportunity {id: 'r:c1'}) SET o.region = 'r', o.rank = 1 "
        "MERGE (o2:Opportunity {id: 'r:c2'}) SET o2.region = 'r', o2.rank = 2 "
        "MERGE (b:BusinessCase {id: 'r:case1'}) SET b.name = 'Koffiedik -> zwammen', b.rank = 1 "
        "MERGE (b)-[:INCLUDES]->(o) MERGE (b)-[:INCLUDES]->(o2) WITH o, o2 "
        "MATCH (c:Challenge {id: 'unemployment'}) "
        "MERGE (o)-[:ADDRESSES {municipality: 'GM0307', weight: 0.5}]->(c) "
        "MERGE (o2)-[:ADDRESSES {municipality: 'GM0307', weight: 0.25}]->(c) "
        "MERGE (o2)-[:ADDRESSES {municipality: 'GM0344', weight: 0.1}]->(c)"
    )
    try:
        query = load_queries()["worst_challenges_and_cases"]
        records, _, _ = loaded.execute_query(
            query.text, parameters_={"municipality": "GM0307", "top": 1}
        )
        rows = [r.data() for r in records]
        assert [(r["challenge"], r["cases"]) for r in rows] == [
            (
                "unemployment",
                [{"case": "Koffiedik -> zwammen", "rank": 1, "weight": 0.75, "opportunities": 2}],
            )
        ]  # the GM0344 link is another municipality's challenge
    finally:
        loaded.execute_query("MATCH (n) WHERE n.id IN ['r:c1', 'r:c2', 'r:case1'] DETACH DELETE n")


def test_model_diagram_shows_every_relationship_type():
    """graph_schema/README.md's mermaid diagram names every relationship type of model.yaml
    between the labels model.yaml gives it."""
    from regionomie.graph.model import MODEL
    from regionomie.paths import GRAPH_SCHEMA_DIR

    text = (GRAPH_SCHEMA_DIR / "README.md").read_text(encoding="utf-8")
    diagram = text.split("```mermaid", 1)[1].split("```", 1)[0]
    edges = set()
    for line in diagram.splitlines():
        parts = line.strip().split(" -- ")
        if len(parts) == 2 and " --> " in parts[1]:
            label, end = parts[1].split(" --> ")
            edges.add((parts[0], label.strip('"').split()[0], end.strip()))
    missing = [
        (r.start, r.type, r.end)
        for r in MODEL.relationships.values()
        if (r.start, r.type, r.end) not in edges
    ]
    assert missing == []


def test_header_is_required(tmp_path):
    bad = tmp_path / "bad.cypher"
    bad.write_text("// Question: what?\n// Parameters: none\nRETURN $x;\n", encoding="utf-8")
    with pytest.raises(QueryFileError, match=r"bad.cypher: parameters not documented.*'x'"):
        parse_query(bad)
    bad.write_text("MATCH (n) RETURN n;\n", encoding="utf-8")
    with pytest.raises(QueryFileError, match="must start with"):
        parse_query(bad)
