"""The knowledge base and the region's opportunities as graph nodes, written through the same
frames -> loader path as every family (declared in model.yaml, with its bookkeeping), on the
real Neo4j."""

from __future__ import annotations

import pandas as pd
import pytest

from regionomie.domain import reference
from regionomie.domain.knowledge import load_knowledge_base
from regionomie.graph import frames as gf
from regionomie.graph.knowledge_frames import SOURCE, knowledge_frames, reference_sector_keys
from regionomie.graph.loader import load_frames
from regionomie.graph.migrations import migrate
from regionomie.graph.model import MODEL
from regionomie.graph.opportunity_frames import opportunity_frames
from regionomie.graph.opportunity_nodes import write_region_opportunities


def _undeclared(driver, label: str) -> set[str]:
    """Properties some node of the label carries that model.yaml does not declare."""
    spec = MODEL.node(label)
    declared = {spec.key, *spec.properties, *MODEL.bookkeeping}
    if spec.point:
        declared.add(spec.point.property)
    records, _, _ = driver.execute_query(
        f"MATCH (n:`{label}`) UNWIND keys(n) AS k RETURN collect(DISTINCT k) AS keys"
    )
    return set(records[0]["keys"]) - declared


def _without_bookkeeping(driver, rel_type: str) -> int:
    records, _, _ = driver.execute_query(
        f"MATCH ()-[r:`{rel_type}`]->() WHERE r.row_hash IS NULL OR r.current IS NULL "
        "OR r.valid_from IS NULL OR r.source IS NULL OR r.load_run IS NULL RETURN count(r) AS n"
    )
    return records[0]["n"]


def test_knowledge_frames_keep_every_material_and_pathway():
    kb = load_knowledge_base()
    frames = knowledge_frames(kb.materials, kb.pathways, kb.yields)
    assert len(frames.nodes["ResidualStream"]) == len(kb.materials)
    can_feed = frames.relationships["CAN_FEED"]
    assert len(can_feed) == len(kb.pathways)
    assert can_feed["end"].str.fullmatch(r"nace:\d{4}").all()
    reported = frames.relationships["REPORTED_AS"]
    coffee = reported[reported["start"] == "spent_coffee_grounds"]
    assert "200108" in set(coffee["end"])
    # only NACE classes the reference lists lack get Sector nodes of the knowledge base
    known = reference_sector_keys()
    named = set(can_feed["end"]) | set(frames.relationships["TYPICALLY_YIELDS"]["start"])
    sectors = frames.nodes["Sector"].set_index("key")
    assert set(sectors.index) == named - known
    # named by the first pathway that feeds them
    receivers = kb.pathways.assign(key="nace:" + kb.pathways["receiver_nace"].str.zfill(4))
    first_label = receivers.drop_duplicates("key").set_index("key")["receiver_label"]
    assert (sectors["name"] == first_label.reindex(sectors.index)).all()


def test_knowledge_base_in_graph_links_streams_codes_and_sectors(empty_graph):
    driver = empty_graph
    migrate(driver)
    sectors = gf.sector_frames(reference.load_sbi2008(), reference.load_sbi2025())
    materials = gf.material_frames(reference.load_eural())
    load_frames(driver, gf.merge_frames(sectors, materials), run_id="ref", source="reference")
    kb = load_knowledge_base()
    frames = knowledge_frames(kb.materials, kb.pathways, kb.yields)
    first = load_frames(driver, frames, run_id="t1", source=SOURCE, full_snapshot=True)
    again = load_frames(driver, frames, run_id="t2", source=SOURCE, full_snapshot=True)
    assert first["set_aside"] == 0, "every pathway, EURAL code and yield finds its end nodes"
    assert first["CAN_FEED"]["created"] == len(kb.pathways)
    assert again["written"] == 0 and again["closed"] == 0
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
    assert _undeclared(driver, "ResidualStream") == set()
    assert _undeclared(driver, "Sector") == set()
    for rel_type in ("REPORTED_AS", "CAN_FEED", "TYPICALLY_YIELDS"):
        assert _without_bookkeeping(driver, rel_type) == 0, rel_type
    # a pathway dropped from the knowledge base is closed, not left behind
    fewer = knowledge_frames(kb.materials, kb.pathways.iloc[1:], kb.yields)
    closed = load_frames(driver, fewer, run_id="t3", source=SOURCE, full_snapshot=True)
    assert closed["CAN_FEED"]["closed"] == 1


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


def test_opportunity_frames_rank_title_and_link():
    challenges = pd.DataFrame(
        {
            "municipality_code": ["GM0307", "GM0307"],
            "challenge_id": ["unemployment", "household_waste"],
            "value": [0.031, 410.0],
            "severity": [0.9, 1.0],
        }
    )
    cases = pd.DataFrame({"case_id": ["case1"], "rank": [1], "name": ["Koffiedik -> zwammen"]})
    candidates = _candidates().assign(
        material_name=["koffiedik", None, "koffiedik"], jobs=[0.5, 2.0, 0.1]
    )
    frames = opportunity_frames("r", candidates, cases, challenges, max_nodes=2)
    nodes = frames.nodes["Opportunity"]
    assert list(nodes["key"]) == ["r:a", "r:b"]  # best two by score
    assert list(nodes["rank"]) == [1, 2]
    assert list(nodes["title"]) == ["koffiedik -> 0113", "spent_coffee_grounds -> 0113"]
    assert list(frames.relationships["TO_RECEIVER"]["start"]) == ["r:a"]  # b is a start-up
    assert list(frames.relationships["FOR_SECTOR"]["end"]) == ["nace:0113", "nace:0113"]
    # jobs work on unemployment where they land; a company's residual stream does not change
    # household waste per inhabitant, so no opportunity "addresses" it
    addresses = frames.relationships["ADDRESSES"]
    assert list(addresses["end"]) == ["unemployment", "unemployment"]
    assert list(addresses["municipality"]) == ["GM0307", "GM0307"]
    assert list(addresses["value"]) == [0.031, 0.031]
    assert list(addresses["weight"]) == [pytest.approx(0.45), pytest.approx(0.9)]  # 0.9 x jobs
    assert set(addresses["basis"]) == {"jobs"}
    assert list(frames.nodes["BusinessCase"]["candidate_ids"]) == [["a", "b"]]
    assert list(frames.relationships["INCLUDES"]["end"]) == ["r:a", "r:b"]
    assert set(nodes.columns) == {"key", *MODEL.node("Opportunity").properties}


def test_region_opportunities_are_replaced_not_duplicated(empty_graph):
    driver = empty_graph
    migrate(driver)
    driver.execute_query(
        "UNWIND ['000000000001', '000000000002', '000000000009'] AS v "
        "MERGE (:Establishment {vestigingsnummer: v}) "
        "MERGE (:Challenge {id: 'unemployment'})"
    )
    challenges = pd.DataFrame(
        {
            "municipality_code": ["GM0307"],
            "challenge_id": ["unemployment"],
            "value": [0.031],
            "severity": [0.9],
        }
    )
    cases = pd.DataFrame({"case_id": ["case1"], "rank": [1], "name": ["Koffiedik -> zwammen"]})
    candidates = _candidates().assign(jobs=[1.0, 1.0, 1.0])
    write_region_opportunities(driver, "regio-other", candidates, cases, challenges, "r0")
    for run in ("r1", "r2"):
        written = write_region_opportunities(
            driver, "regio-test", candidates, cases, challenges, run_id=run
        )
    # no Sector or ResidualStream in this graph: FOR_SECTOR and USES_STREAM are counted
    assert written == {
        "opportunity_nodes": 3,
        "business_case_nodes": 1,
        "graph_rows_set_aside": 6,
    }
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
        "MATCH (:Opportunity {id: 'regio-test:a'})-[a:ADDRESSES]->(:Challenge) "
        "RETURN a.municipality AS m, a.value AS v, a.weight AS w, a.basis AS b"
    )
    assert [r.data() for r in records] == [
        {"m": "GM0307", "v": 0.031, "w": pytest.approx(0.9), "b": "jobs"}
    ]
    records, _, _ = driver.execute_query(
        "MATCH (b:BusinessCase {region: 'regio-test'})-[:INCLUDES]->(o:Opportunity) "
        "RETURN count(o) AS n"
    )
    assert records[0]["n"] == 2
    records, _, _ = driver.execute_query(
        "MATCH (o:Opportunity {id: 'regio-test:a'})-[:TO_RECEIVER]->(e:Establishment) "
        "RETURN e.vestigingsnummer AS v"
    )
    assert records[0]["v"] == "000000000009"
    assert _undeclared(driver, "Opportunity") == set()
    assert _undeclared(driver, "BusinessCase") == set()
    for rel_type in ("FROM_PRODUCER", "TO_RECEIVER", "ADDRESSES", "INCLUDES"):
        assert _without_bookkeeping(driver, rel_type) == 0, rel_type
    # a candidate gone from the next run is gone from the graph; the other region stays
    write_region_opportunities(driver, "regio-test", _candidates().head(2), cases, challenges, "r3")
    records, _, _ = driver.execute_query(
        "MATCH (o:Opportunity) RETURN o.region AS region, count(o) AS n ORDER BY region"
    )
    assert [(r["region"], r["n"]) for r in records] == [("regio-other", 3), ("regio-test", 2)]


def test_opportunities_address_what_their_case_mechanism_addresses():
    """A case names the challenges its mechanism works on ("GMxxxx:challenge"): its
    opportunities address exactly those (here household waste, which jobs never address),
    and a case whose mechanism addresses none gives its opportunities none."""
    challenges = pd.DataFrame(
        {
            "municipality_code": ["GM0307", "GM0307"],
            "challenge_id": ["unemployment", "household_waste"],
            "value": [0.031, 410.0],
            "severity": [0.9, 1.0],
        }
    )
    cases = pd.DataFrame(
        {
            "case_id": ["case1", "case2"],
            "rank": [1, 2],
            "name": ["Koffiedik -> zwammen", "Iets anders"],
            "challenges": ["GM0307:household_waste", ""],
        }
    )
    candidates = _candidates().assign(
        material_name=["koffiedik", None, "koffiedik"],
        jobs=[0.5, 2.0, 0.1],
        case_id=["case1", "case1", "case2"],
    )
    addresses = opportunity_frames("r", candidates, cases, challenges).relationships["ADDRESSES"]
    assert list(addresses["start"]) == ["r:a", "r:b"]
    assert set(addresses["end"]) == {"household_waste"}
    assert set(addresses["basis"]) == {"case mechanism"}
    assert list(addresses["weight"]) == [1.0, 1.0]
