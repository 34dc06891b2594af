"""The knowledge base and the region's opportunities as graph nodes, on the real Neo4j."""

from __future__ import annotations

import pandas as pd

from regionomie.domain.knowledge import load_knowledge_base
from regionomie.graph.knowledge_nodes import knowledge_rows, load_knowledge_base_graph
from regionomie.graph.migrations import migrate
from regionomie.graph.opportunity_nodes import write_region_opportunities


def test_knowledge_rows_keep_every_material_and_pathway():
    kb = load_knowledge_base()
    rows = knowledge_rows(kb.materials, kb.pathways, kb.yields)
    assert len(rows["streams"]) == len(kb.materials)
    assert len(rows["pathways"]) == len(kb.pathways)
    assert all(len(p["receiver_nace"]) == 4 for p in rows["pathways"])
    coffee = next(s for s in rows["streams"] if s["material_id"] == "spent_coffee_grounds")
    assert "200108" in coffee["eural_codes"]


def test_knowledge_base_in_graph_links_streams_codes_and_sectors(empty_graph):
    driver = empty_graph
    migrate(driver)
    driver.execute_query(
        "UNWIND ['200108', '020304'] AS code MERGE (:Material {code: code, level: 'entry'})"
    )
    kb = load_knowledge_base()
    counts = load_knowledge_base_graph(driver, kb.materials, kb.pathways, kb.yields, run_id="t1")
    again = load_knowledge_base_graph(driver, kb.materials, kb.pathways, kb.yields, run_id="t2")
    assert counts == again
    records, _, _ = driver.execute_query(
        "MATCH (s:ResidualStream) WITH count(s) AS streams "
        "MATCH ()-[f:CAN_FEED]->() RETURN streams, count(f) AS feeds"
    )
    assert records[0]["streams"] == len(kb.materials)
    assert records[0]["feeds"] == len(kb.pathways.drop_duplicates(["pathway_id"]))
    records, _, _ = driver.execute_query(
        "MATCH (:Material {code: '200108'})<-[:REPORTED_AS]-(s:ResidualStream)"
        "-[f:CAN_FEED]->(sector:Sector) WHERE s.id = 'spent_coffee_grounds' "
        "RETURN collect(sector.code) AS receivers, collect(f.evidence)[0] AS evidence"
    )
    assert "0113" in records[0]["receivers"]
    assert records[0]["evidence"]


def _candidates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "candidate_id": ["a", "b", "c"],
            "producer_id": ["000000000001", "000000000001", "000000000002"],
            "receiver_kind": ["establishment", "sector", "establishment"],
            "receiver_id": ["000000000009", None, "000000000009"],
            "receiver_nace": ["0113", "0113", "1091"],
            "material_id": ["spent_coffee_grounds"] * 3,
            "producer_municipality": ["GM0307", "GM0307", "GM0308"],
            "receiver_municipality": ["GM0307", None, "GM0308"],
            "score": [0.9, 0.8, 0.7],
            "case_id": ["case1", "case1", None],
        }
    )


def test_region_opportunities_are_replaced_not_duplicated(empty_graph):
    driver = empty_graph
    migrate(driver)
    driver.execute_query(
        "UNWIND ['000000000001', '000000000002', '000000000009'] AS v "
        "MERGE (:Establishment {vestigingsnummer: v}) "
        "MERGE (:Challenge {id: 'unemployment'})"
    )
    challenges = pd.DataFrame(
        {"municipality_code": ["GM0307"], "challenge_id": ["unemployment"], "severity": [0.9]}
    )
    cases = pd.DataFrame({"case_id": ["case1"], "rank": [1], "name": ["Koffiedik -> zwammen"]})
    for run in ("r1", "r2"):
        written = write_region_opportunities(
            driver, "regio-test", _candidates(), cases, challenges, run_id=run
        )
    assert written == {"opportunity_nodes": 3, "business_case_nodes": 1}
    records, _, _ = driver.execute_query(
        "MATCH (o:Opportunity {region: 'regio-test'}) "
        "OPTIONAL MATCH (o)-[:ADDRESSES]->(c:Challenge) "
        "RETURN o.id AS id, o.rank AS rank, count(c) AS challenges ORDER BY rank"
    )
    assert [(r["id"], r["rank"], r["challenges"]) for r in records] == [
        ("regio-test:a", 1, 1),
        ("regio-test:b", 2, 1),
        ("regio-test:c", 3, 0),
    ]
    records, _, _ = driver.execute_query(
        "MATCH (b:BusinessCase)-[:INCLUDES]->(o:Opportunity) RETURN count(o) AS n"
    )
    assert records[0]["n"] == 2
    records, _, _ = driver.execute_query(
        "MATCH (o:Opportunity {id: 'regio-test:a'})-[:TO_RECEIVER]->(e:Establishment) "
        "RETURN e.vestigingsnummer AS v"
    )
    assert records[0]["v"] == "000000000009"
    records, _, _ = driver.execute_query(
        "MATCH (n)-[x]->() WHERE (n:Opportunity OR n:BusinessCase) "
        "RETURN count(x) AS all, count(x.source) AS sourced, count(x.load_run) AS stamped"
    )
    assert records[0]["all"] == records[0]["sourced"] == records[0]["stamped"] > 0
