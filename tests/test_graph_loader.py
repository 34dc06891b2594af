"""The graph loader against the session's real Neo4j: idempotency, incremental writes,
full-snapshot closing, missing end nodes and crash convergence."""

from __future__ import annotations

import pandas as pd
import pytest

from regionomie.graph import cypher, loader, migrations, sample
from regionomie.graph import frames as gf
from regionomie.graph.checksum import graph_checksum, graph_counts
from regionomie.graph.model import MODEL
from regionomie.graph.rows import row_hashes

pytestmark = pytest.mark.neo4j


@pytest.fixture()
def graph(empty_graph):
    migrations.migrate(empty_graph)
    return empty_graph


def _one(driver, query: str, **params):
    records, _, _ = driver.execute_query(query, **params)
    return records


def _load(driver, frames: gf.GraphFrames, run_id: str, as_of: str, full_snapshot: bool = False):
    """The one loading API, as the sample source, in small batches."""
    return loader.load_frames(
        driver,
        frames,
        run_id=run_id,
        source=sample.SOURCE,
        as_of=as_of,
        full_snapshot=full_snapshot,
        batch_size=3,
    )


def test_sample_region_loads_with_expected_shape(graph):
    result = sample.load_sample_region(graph, "run-1")
    counts = graph_counts(graph)
    t = sample.tables()
    assert counts["Establishment"] == len(t["establishments"])
    assert counts["Organisation"] == t["establishments"]["kvk_nummer"].nunique()
    assert counts["LOCATED_IN"] == len(t["establishments"])
    # one main sector per establishment + one extra sector (bakery) for establishment 1
    assert counts["ACTIVE_IN"] == len(t["establishments"]) + 1
    assert result["Establishment"]["created"] == len(t["establishments"])
    assert result["Establishment"]["set_aside"] == 0
    rec = _one(
        graph,
        "MATCH (e:Establishment {vestigingsnummer: '000000000001'})-[p:PRODUCES]->"
        "(m:Material {code: '200108'}) RETURN p.tonnes_per_year AS t, p.loads AS l, "
        "e.location.latitude AS lat, p.source AS s, p.load_run AS run",
    )
    assert rec[0]["t"] == pytest.approx(10.0)  # 6000 + 4000 kg
    assert rec[0]["l"] == 5
    assert rec[0]["lat"] == pytest.approx(52.157)
    assert (rec[0]["s"], rec[0]["run"]) == ("sample", "run-1/sample")
    status = _one(graph, "MATCH (r:LoadRun {run_id: 'run-1/sample'}) RETURN r.status AS s")
    assert status[0]["s"] == "finished"


def test_every_node_and_relationship_carries_provenance(graph):
    sample.load_sample_region(graph, "run-1")
    missing = _one(
        graph,
        "MATCH (n) WHERE NOT n:SchemaMigration AND (n.source IS NULL OR n.load_run IS NULL) "
        "RETURN count(n) AS c",
    )
    assert missing[0]["c"] == 0
    missing = _one(
        graph,
        "MATCH ()-[r]->() WHERE r.source IS NULL OR r.load_run IS NULL RETURN count(r) AS c",
    )
    assert missing[0]["c"] == 0


def test_loading_twice_is_idempotent(graph):
    sample.load_sample_region(graph, "run-1")
    first_sum = graph_checksum(graph)
    first_counts = graph_counts(graph)
    result = sample.load_sample_region(graph, "run-2")
    assert graph_checksum(graph) == first_sum
    counts = graph_counts(graph)
    assert counts.pop("LoadRun") == 2
    first_counts.pop("LoadRun")
    assert {k: v for k, v in counts.items() if k != "LOADED_FROM"} == {
        k: v for k, v in first_counts.items() if k != "LOADED_FROM"
    }
    assert result["written"] == 0
    assert result["closed"] == 0
    # nothing was touched by the second run
    touched = _one(
        graph, "MATCH (n) WHERE n.load_run = 'run-2/sample' AND NOT n:LoadRun RETURN count(n)"
    )
    assert touched[0][0] == 0


def test_checksum_sees_a_property_change(graph):
    sample.load_sample_region(graph, "run-1")
    before = graph_checksum(graph)
    graph.execute_query("MATCH (m:Material {code: '200108'}) SET m.hazardous = true")
    assert graph_checksum(graph) != before


def test_one_changed_row_is_the_only_row_written(graph):
    sample.load_sample_region(graph, "run-1")
    t = sample.tables()
    est = t["establishments"].copy()
    est.loc[est["vestigingsnummer"] == "000000000005", "employees"] = 41
    est["ingested_at"] = "2026-01-01T00:00:00+00:00"  # re-parsed later: not a change
    result = _load(
        graph, sample.minimised(gf.establishment_frames(est)), "run-2", "2025-02-28", True
    )
    counts = result["Establishment"]
    assert (counts["created"], counts["updated"], counts["closed"]) == (0, 1, 0)
    assert counts["unchanged"] == len(est) - 1
    assert result["ACTIVE_IN"]["created"] + result["ACTIVE_IN"]["updated"] == 0
    rec = _one(
        graph,
        "MATCH (e:Establishment) WHERE e.load_run = 'run-2/sample' "
        "RETURN e.vestigingsnummer AS v, e.employees AS n",
    )
    assert [(r["v"], r["n"]) for r in rec] == [("000000000005", 41)]


def test_missing_from_full_snapshot_is_closed_not_deleted(graph):
    sample.load_sample_region(graph, "run-1")
    est = sample.tables()["establishments"]
    est = est[est["vestigingsnummer"] != "000000000003"]
    result = _load(
        graph, sample.minimised(gf.establishment_frames(est)), "run-2", "2025-03-31", True
    )
    assert result["Establishment"]["closed"] == 1
    assert result["written"] == 0
    assert result["ACTIVE_IN"]["closed"] == 1
    assert result["LOCATED_IN"]["closed"] == 1
    assert result["HAS_ESTABLISHMENT"]["closed"] == 1
    rec = _one(
        graph,
        "MATCH (e:Establishment {vestigingsnummer: '000000000003'})-[r:ACTIVE_IN]->() "
        "RETURN e.active AS active, e.end_date AS end, r.current AS current, "
        "r.valid_to AS valid_to, e.load_run AS run",
    )
    assert len(rec) == 1  # kept
    assert (rec[0]["active"], rec[0]["end"], rec[0]["current"], rec[0]["valid_to"]) == (
        False,
        "2025-03-31",
        False,
        "2025-03-31",
    )
    assert rec[0]["run"] == "run-2/sample"
    # running the same snapshot again closes nothing more and writes nothing
    again = _load(
        graph, sample.minimised(gf.establishment_frames(est)), "run-3", "2025-04-30", True
    )
    assert again["written"] == 0 and again["closed"] == 0
    # coming back reopens it and its relationships
    everyone = sample.minimised(gf.establishment_frames(sample.tables()["establishments"]))
    back = _load(graph, everyone, "run-3", "2025-04-30", True)
    assert back["Establishment"]["updated"] == 1
    rec = _one(
        graph,
        "MATCH (e:Establishment {vestigingsnummer: '000000000003'})-[r:ACTIVE_IN]->() "
        "RETURN e.active AS active, r.current AS current, r.valid_from AS f",
    )
    assert (rec[0]["active"], rec[0]["current"], rec[0]["f"]) == (True, True, "2025-04-30")


def test_moved_establishment_closes_old_link(graph):
    sample.load_sample_region(graph, "run-1")
    est = sample.tables()["establishments"].copy()
    est.loc[est["vestigingsnummer"] == "000000000003", "municipality_code"] = "GM0344"
    result = _load(graph, sample.minimised(gf.establishment_frames(est)), "run-2", "2025-05-31")
    assert result["LOCATED_IN"]["created"] == 1
    assert result["LOCATED_IN"]["closed"] == 1
    rec = _one(
        graph,
        "MATCH (:Establishment {vestigingsnummer: '000000000003'})-[r:LOCATED_IN]->(m) "
        "RETURN m.code AS m, r.current AS c, r.valid_to AS t ORDER BY m",
    )
    assert [(r["m"], r["c"], r["t"]) for r in rec] == [
        ("GM0307", False, "2025-05-31"),
        ("GM0344", True, None),
    ]


def test_removed_flow_is_closed(graph):
    sample.load_sample_region(graph, "run-1")
    t = sample.tables()
    records = t["waste_records"]
    records = records[records["afvalstroomnummer"] != "100000000003"]
    flows = sample.minimised(gf.flow_frame(records, t["waste_party_links"]))
    result = _load(graph, flows, "run-2", "2025-06-30", full_snapshot=True)
    assert result["SENDS"]["closed"] == 1
    assert result["written"] == 0
    rec = _one(
        graph,
        "MATCH (:Establishment {vestigingsnummer: '000000000004'})-[s:SENDS]->() "
        "RETURN s.current AS c, s.valid_to AS t",
    )
    assert [(r["c"], r["t"]) for r in rec] == [(False, "2025-06-30")]


def test_missing_end_node_is_set_aside_and_retried(graph):
    t = sample.tables()
    as_of = "2025-01-31"
    _load(graph, gf.sector_frames(t["sbi2008"], t["sbi2025"]), "run-1", as_of, True)
    _load(graph, gf.organisation_frames(t["organisations"]), "run-1", as_of)
    # municipalities not loaded yet: every LOCATED_IN lacks its end node
    establishments = gf.establishment_frames(t["establishments"])
    first = _load(graph, establishments, "run-1", as_of)
    n = len(t["establishments"])
    assert first["LOCATED_IN"]["set_aside"] == n
    assert "end node missing (Establishment/Municipality)" in first["LOCATED_IN"]["reasons"]
    assert first["LOCATED_IN"]["rows_in"] == n
    _load(graph, gf.municipality_frames(t["municipalities"]), "run-1", as_of, True)
    second = _load(graph, establishments, "run-1", as_of)
    assert second["LOCATED_IN"]["created"] == n
    assert second["LOCATED_IN"]["set_aside"] == 0
    third = _load(graph, establishments, "run-1", as_of)
    assert third["written"] == 0


def test_bad_rows_are_counted_not_lost(graph):
    t = sample.tables()
    _load(graph, gf.municipality_frames(t["municipalities"]), "run-1", "2025-01-31", True)
    est = t["establishments"]
    est = pd.concat([est, est.iloc[[0]]], ignore_index=True)  # repeated key
    est.loc[1, "vestigingsnummer"] = None  # missing key
    result = _load(graph, gf.establishment_frames(est), "run-1", "2025-01-31")
    counts = result["Establishment"]
    assert counts["rows_in"] == len(est)
    assert counts["set_aside"] == 2
    assert sum(counts[k] for k in ("created", "updated", "unchanged", "set_aside")) == len(est)


def _clean_sample_checksum(driver) -> str:
    sample.load_sample_region(driver, "clean")
    return graph_checksum(driver)


def test_crash_halfway_then_rerun_converges(graph):
    clean = _clean_sample_checksum(graph)
    graph.execute_query("MATCH (n) WHERE NOT n:SchemaMigration DETACH DELETE n")

    class Crash(RuntimeError):
        pass

    def die_after_two(family: str, batch_no: int) -> None:
        if family == "Establishment" and batch_no == 1:
            raise Crash("simulated crash")

    with pytest.raises(Crash):
        sample.load_sample_region(graph, "crashed", on_batch=die_after_two)
    status = _one(graph, "MATCH (r:LoadRun {run_id: 'crashed/sample'}) RETURN r.status AS s")
    assert status[0]["s"] == "running"
    half = _one(graph, "MATCH (e:Establishment) RETURN count(e) AS c")[0]["c"]
    assert 0 < half < len(sample.tables()["establishments"])
    assert graph_checksum(graph) != clean
    result = sample.load_sample_region(graph, "rerun")
    assert graph_checksum(graph) == clean
    assert result["Establishment"]["created"] == len(sample.tables()["establishments"]) - half


def test_labels_and_types_come_from_the_model():
    for spec in MODEL.nodes.values():
        query = cypher.node_write_query(spec)
        assert f"`{spec.label}`" in query and "$rows" in query
    for spec in MODEL.relationships.values():
        query = cypher.rel_write_query(spec)
        assert f"`{spec.type}`" in query
        assert query.index("MATCH (a") < query.index("MERGE (a)")


def test_row_hash_ignores_dtype_but_sees_values():
    a = pd.DataFrame({"x": pd.array([1, None], dtype="Int64"), "y": ["a", None]})
    b = pd.DataFrame({"x": [1.0, float("nan")], "y": ["a", None]})
    c = pd.DataFrame({"x": [2.0, float("nan")], "y": ["a", None]})
    ha, hb, hc = (row_hashes(f, ["x", "y"]) for f in (a, b, c))
    assert list(ha) == list(hb)
    assert ha[0] != hc[0] and ha[1] == hc[1]


def test_merge_frames_concatenates_families():
    t = sample.tables()
    merged = gf.merge_frames(
        gf.organisation_frames(t["organisations"]), gf.establishment_frames(t["establishments"])
    )
    assert set(merged.nodes) == {"Organisation", "Establishment"}
    assert len(merged.relationships["ACTIVE_IN"]) == len(t["establishments"]) + 1


def test_load_frames_reports_flat_counts(graph):
    t = sample.tables()
    reference = gf.merge_frames(
        gf.municipality_frames(t["municipalities"]), gf.sector_frames(t["sbi2008"], t["sbi2025"])
    )
    loader.load_frames(graph, reference, run_id="ref", source="reference", full_snapshot=True)
    frames = gf.merge_frames(
        gf.organisation_frames(t["organisations"]), gf.establishment_frames(t["establishments"])
    )
    meta = loader.load_frames(graph, frames, run_id="dagster-run", source="kvk")
    assert meta["Establishment"]["created"] == len(t["establishments"])
    assert meta["HAS_ESTABLISHMENT"]["created"] == len(t["establishments"])
    assert meta["load_run"] == "dagster-run/kvk"
    again = loader.load_frames(graph, frames, run_id="dagster-run-2", source="kvk")
    assert again["written"] == 0


def test_shipped_reference_lists_load(graph):
    from regionomie.domain import reference

    eural = reference.load_eural()
    frames = gf.merge_frames(
        gf.municipality_frames(reference.load_municipalities()),
        gf.material_frames(eural),
        gf.sector_frames(reference.load_sbi2008(), reference.load_sbi2025()),
    )
    result = loader.load_frames(graph, frames, run_id="ref", source="reference")
    assert result["set_aside"] == 0
    counts = graph_counts(graph)
    assert counts["Material"] == len(eural)
    assert counts["Municipality"] == len(reference.load_municipalities())
    rec = _one(
        graph,
        "MATCH (m:Material) RETURN m.level AS level, "
        "count(CASE WHEN m.hazardous IS NULL THEN 1 END) AS unknown, count(*) AS n",
    )
    by_level = {r["level"]: (r["unknown"], r["n"]) for r in rec}
    assert by_level["chapter"][0] == by_level["chapter"][1]  # chapters carry no hazard flag
    assert by_level["entry"][0] == 0
    chain = _one(
        graph,
        "MATCH p = (:Sector {key: 'sbi2008:56101'})-[:PART_OF*]->(s:Sector {level: 'section'}) "
        "RETURN s.key AS k, length(p) AS hops",
    )
    assert [(r["k"], r["hops"]) for r in chain] == [("sbi2008:I", 4)]
    again = loader.load_frames(graph, frames, run_id="ref-2", source="reference")
    assert again["written"] == 0
