"""The graph minimises too: the default graph the pipeline loads (regionomie.flow's families,
the opportunity nodes) holds a sole proprietor only under its pseudonym, with postcode digits
and the centre of its 500 m cell, on the session's real Neo4j; raw-keyed nodes of a graph
loaded before are removed (migration V003, and after every load); the personal fields live
only in a restricted store - here a second real Neo4j server with its own credentials."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from regionomie import flow
from regionomie.domain.parsers import parse_file
from regionomie.domain.privacy import coarsen_location, pseudonymous_id
from regionomie.graph import frames as gf
from regionomie.graph.loader import load_frames
from regionomie.graph.migrations import discover
from regionomie.graph.personal import restricted_frames
from regionomie.graph.restricted import (
    RestrictedStoreError,
    StoreAddress,
    check_separate,
    forget_raw_personal_nodes,
    load_personal_fields,
)
from regionomie.paths import SAMPLE_DIR
from regionomie.settings import pseudonym_key

NUMBER = re.compile(r"(?<!\d)(\d{12}|\d{8})(?!\d)")


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    kvk = parse_file(next((SAMPLE_DIR / "kvk").glob("establishments_*.csv")), "kvk")
    waste = parse_file(next((SAMPLE_DIR / "waste").glob("*.csv")), "waste")
    est = kvk["establishments"].rows
    records = waste["waste_records"].rows
    from regionomie.domain.matching import link_waste_parties

    return {
        "establishments": est,
        "organisations": kvk["organisations"].rows,
        "waste_records": records,
        flow.PARTY_LINKS: link_waste_parties(records, est),
    }


def _personal_values(tables: dict[str, pd.DataFrame]) -> tuple[set[str], set[str]]:
    """(texts, numbers) that identify a sole proprietor: trade name, street + house number,
    full postcode + house number, exact coordinates; its vestigingsnummer and KvK number
    (minus what a legal entity shares: the synthetic sample reuses some)."""
    est = tables["establishments"]
    sole = est[est["is_sole_proprietor"].astype(bool)]
    firms = est[~est["is_sole_proprietor"].astype(bool)]
    public = "\n".join(firms["trade_name"].dropna())
    texts = {n for n in sole["trade_name"].dropna() if len(n) > 6 and n not in public}
    texts |= {f"{s} {h}" for s, h in zip(sole["street"], sole["house_number"], strict=True)}
    numbers = set(sole["vestigingsnummer"]) | (set(sole["kvk_nummer"]) - set(firms["kvk_nummer"]))
    return texts, numbers


def _exact_coordinates(tables: dict[str, pd.DataFrame]) -> set[float]:
    """Sole proprietors' exact latitudes (minus those a legal entity shares: the sample puts
    several establishments at one address)."""
    est = tables["establishments"]
    sole = est["is_sole_proprietor"].astype(bool)
    lats = pd.to_numeric(est["lat"], errors="coerce")
    return set(lats[sole].dropna()) - set(lats[~sole].dropna())


def _floats(blob: str) -> set[float]:
    return {float(x) for x in re.findall(r"-?\d+\.\d+", blob)}


def _frame_texts(frames: gf.GraphFrames) -> str:
    parts = [f.astype(str).to_csv() for f in frames.nodes.values()]
    parts += [f.astype(str).to_csv() for f in frames.relationships.values()]
    return "\n".join(parts)


def test_family_frames_hold_no_personal_value(tables: dict[str, pd.DataFrame]) -> None:
    texts, numbers = _personal_values(tables)
    assert len(texts) > 400 and len(numbers) > 400
    frames = gf.merge_frames(flow.establishment_frames(tables), flow.waste_frames(tables))
    blob = _frame_texts(frames)
    assert [t for t in texts if t in blob] == []
    assert {n for n in NUMBER.findall(blob) if n in numbers} == set()
    assert _floats(blob) & _exact_coordinates(tables) == set()
    est = frames.nodes["Establishment"]
    mine = est[est["is_sole_proprietor"].astype(bool)]
    assert mine["key"].str.startswith("ez-").all() and mine["name"].isna().all()
    assert mine["postcode"].dropna().str.fullmatch(r"\d{4}").all()
    raw = tables["establishments"].set_index("vestigingsnummer")
    one = raw[raw["is_sole_proprietor"].astype(bool)].iloc[0]
    row = mine[mine["key"] == pseudonymous_id(one.name, pseudonym_key())].iloc[0]
    assert (row["lat"], row["lon"]) == coarsen_location(float(one["lat"]), float(one["lon"]))


def test_graph_needs_the_establishments_to_know_who_is_personal(tables) -> None:
    without = {k: v for k, v in tables.items() if k != "establishments"}
    with pytest.raises(flow.FlowError, match="establishments table"):
        flow.waste_frames(without)


def test_restricted_labels_never_reach_the_default_graph(tables) -> None:
    frames = restricted_frames(
        tables["establishments"], tables["organisations"], flow.graph_shield(tables)
    )
    with pytest.raises(ValueError, match="may not be loaded into the default graph"):
        load_frames(None, frames, run_id="r", source="restricted")  # refused before any I/O
    default = flow.establishment_frames(tables)
    with pytest.raises(ValueError, match="may not be loaded into the restricted store"):
        load_frames(None, default, run_id="r", source="x", restricted=True)


def test_restricted_store_must_be_apart_with_its_own_credentials() -> None:
    default = StoreAddress("bolt://db:7687", "neo4j", None)
    with pytest.raises(RestrictedStoreError, match="default graph's database"):
        check_separate(StoreAddress("bolt://db:7687", "privacy", "neo4j"), default)
    with pytest.raises(RestrictedStoreError, match="own credentials"):
        check_separate(StoreAddress("bolt://db:7687", "neo4j", "personal"), default)
    check_separate(StoreAddress("bolt://db:7687", "privacy", "personal"), default)
    check_separate(StoreAddress("bolt://vault:7687", "neo4j", None), default)


def _everything(driver) -> str:
    """Every property value of every node and relationship of the graph, as text."""
    nodes, _, _ = driver.execute_query("MATCH (n) RETURN labels(n) AS l, properties(n) AS p")
    rels, _, _ = driver.execute_query("MATCH ()-[r]->() RETURN type(r) AS t, properties(r) AS p")
    return "\n".join(f"{r[0]} {r['p']}" for r in [*nodes, *rels])


@pytest.mark.neo4j
def test_default_graph_holds_pseudonyms_and_cells_only(tables, empty_graph) -> None:
    from regionomie.graph import migrations

    migrations.migrate(empty_graph)
    for family in ("establishments", "waste"):
        spec = flow.graph_family(family)
        load_frames(empty_graph, spec.frames(tables), run_id="personal", source=spec.source)
    texts, numbers = _personal_values(tables)
    blob = _everything(empty_graph)
    assert [t for t in texts if t in blob] == []
    assert {n for n in NUMBER.findall(blob) if n in numbers} == set()
    assert _floats(blob) & _exact_coordinates(tables) == set()
    records, _, _ = empty_graph.execute_query(
        "MATCH (e:Establishment {is_sole_proprietor: true}) "
        "RETURN count(e) AS n, count(e.name) AS named, "
        "sum(CASE WHEN e.vestigingsnummer STARTS WITH 'ez-' THEN 1 ELSE 0 END) AS pseudonymous, "
        "count { (e)-[:LOCATED_IN]->(:Municipality) } AS located"
    )
    row = records[0]
    assert row["n"] == row["pseudonymous"] > 400 and row["named"] == 0


@pytest.mark.neo4j
def test_raw_keyed_personal_nodes_of_an_older_graph_are_removed(tables, empty_graph) -> None:
    """A graph loaded before minimisation (raw frames) with opportunities: migration V003
    removes the raw sole proprietors and the opportunities, the minimised load and the
    clean-up after it leave no raw key."""
    est = tables["establishments"]
    old = gf.merge_frames(
        gf.organisation_frames(tables["organisations"]), gf.establishment_frames(est)
    )
    load_frames(empty_graph, old, run_id="before", source="kvk")
    empty_graph.execute_query(
        "CREATE (:Opportunity {id: 'r:x', region: 'r', producer_id: $p})",
        p=est.loc[est["is_sole_proprietor"].astype(bool), "vestigingsnummer"].iloc[0],
    )
    v003 = next(m for m in discover() if m.version == 3)
    for statement in v003.statements:
        with empty_graph.session() as session:
            session.run(statement).consume()
    records, _, _ = empty_graph.execute_query(
        "MATCH (e:Establishment) WHERE e.is_sole_proprietor "
        "RETURN count(e) AS n UNION ALL MATCH (o:Opportunity) RETURN count(o) AS n"
    )
    assert [r["n"] for r in records] == [0, 0]
    # a legal entity that later turns out personal (a new rule): its raw node goes as well
    firm = est.loc[~est["is_sole_proprietor"].astype(bool)].iloc[[0]]
    now_personal = {
        **tables,
        "establishments": pd.concat(
            [est, firm.assign(is_sole_proprietor=True, vestigingsnummer=firm["vestigingsnummer"])]
        ).drop_duplicates("vestigingsnummer", keep="last"),
    }
    spec = flow.graph_family("establishments")
    load_frames(empty_graph, spec.frames(now_personal), run_id="after", source=spec.source)
    gone = forget_raw_personal_nodes(empty_graph, flow.graph_shield(now_personal))
    assert gone >= 1
    _, numbers = _personal_values(now_personal)
    blob = _everything(empty_graph)
    assert {n for n in NUMBER.findall(blob) if n in numbers} == set()


@pytest.mark.neo4j
def test_opportunity_nodes_carry_no_raw_number(tables, empty_graph) -> None:
    from regionomie.graph.opportunity_nodes import write_region_opportunities

    est = tables["establishments"]
    sole = est.loc[est["is_sole_proprietor"].astype(bool), "vestigingsnummer"].iloc[0]
    firm = est.loc[~est["is_sole_proprietor"].astype(bool), "vestigingsnummer"].iloc[0]
    candidates = pd.DataFrame(
        {
            "candidate_id": [f"{sole}|coffee-0113|{firm}"],
            "producer_id": [sole],
            "producer_name": ["Eenmanszaak (Restaurants, 3811)"],
            "receiver_kind": ["establishment"],
            "receiver_id": [firm],
            "material_id": ["spent_coffee_grounds"],
            "score": [0.9],
            "case_id": ["coffee-0113"],
        }
    )
    cases = pd.DataFrame({"case_id": ["coffee-0113"], "name": ["Koffiedik"], "rank": [1]})
    write_region_opportunities(
        empty_graph,
        "regio-x",
        candidates,
        cases,
        pd.DataFrame(columns=["municipality_code", "challenge_id", "severity"]),
        run_id="r",
        shield=flow.graph_shield(tables),
    )
    blob = _everything(empty_graph)
    assert sole not in blob and pseudonymous_id(sole, pseudonym_key()) in blob


# ----------------------------------------------------------------------------- restricted


@pytest.fixture(scope="module")
def restricted_server(tmp_path_factory: pytest.TempPathFactory):
    """A second real Neo4j: the restricted store, with its own password."""
    from conftest import _free_port as free_port
    from neo4j import GraphDatabase

    from regionomie import neo4j_server as server

    settings = server.ServerSettings(
        instance_dir=Path(tmp_path_factory.mktemp("restricted")) / "neo4j",
        bolt_port=free_port(),
        http_port=free_port(),
        heap="512m",
        pagecache="128m",
    )
    password = server.generate_password()
    server.start(settings, password, log=lambda *_: None)
    driver = GraphDatabase.driver(settings.bolt_uri, auth=("neo4j", password))
    try:
        yield driver
    finally:
        driver.close()
        server.stop(settings)


@pytest.mark.neo4j
@pytest.mark.slow
def test_restricted_store_keeps_the_personal_fields_apart(
    tables, empty_graph, restricted_server
) -> None:
    shield = flow.graph_shield(tables)
    counts = load_personal_fields(
        restricted_server, tables["establishments"], tables["organisations"], shield, run_id="r"
    )
    assert counts["written"] > 0
    est = tables["establishments"]
    one = est[est["is_sole_proprietor"].astype(bool)].iloc[0]
    records, _, _ = restricted_server.execute_query(
        "MATCH (p:PersonalEstablishment {pseudonym: $p}) "
        "RETURN p.vestigingsnummer AS v, p.name AS name, p.street AS street",
        p=pseudonymous_id(one["vestigingsnummer"], pseudonym_key()),
    )
    assert [tuple(r.values()) for r in records] == [
        (one["vestigingsnummer"], one["trade_name"], one["street"])
    ]
    records, _, _ = empty_graph.execute_query(
        "MATCH (n) WHERE n:PersonalEstablishment OR n:PersonalOrganisation RETURN count(n) AS n"
    )
    assert records[0]["n"] == 0  # never in the default graph
    # an actor gone from the register is gone from the restricted store too
    fewer = est[est["vestigingsnummer"] != one["vestigingsnummer"]]
    counts = load_personal_fields(restricted_server, fewer, None, shield, run_id="r2")
    assert counts["deleted"] >= 1
    records, _, _ = restricted_server.execute_query(
        "MATCH (p:PersonalEstablishment {vestigingsnummer: $v}) RETURN count(p) AS n",
        v=one["vestigingsnummer"],
    )
    assert records[0]["n"] == 0
