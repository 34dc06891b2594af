"""Structured priors (data/knowledge/priors/): recovery routes per EURAL code, material and
utility, the class hierarchy, and the flowsa crosswalk checked against the routes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from regionomie.domain.knowledge import KnowledgeBase, load_knowledge_base
from regionomie.domain.reference import load_eural
from regionomie.domain.suggest import answer, engine_for
from regionomie.domain.suggest.model import FEATURES
from regionomie.domain.suggest.priors import (
    PRIORS_DIR,
    PriorTableError,
    RoutePrior,
    load_route_tables,
)
from regionomie.domain.suggest.query import read_query
from regionomie.paths import KNOWLEDGE_DIR


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def test_every_route_is_cited_and_sums_to_one(kb: KnowledgeBase) -> None:
    tables = load_route_tables(KNOWLEDGE_DIR, kb)
    assert tables is not None
    assert len(tables.routes) >= 30
    for route in tables.routes.values():
        assert route.source and route.label
        assert sum(w for _, w in route.targets) == pytest.approx(1.0)
    # Waste Framework Directive operations anchor the waste routes.
    assert {"R1", "R3", "R4", "R5", "R9", "R10"} <= {r.operation for r in tables.routes.values()}


def test_every_eural_entry_and_every_material_has_a_route(kb: KnowledgeBase) -> None:
    tables = load_route_tables(KNOWLEDGE_DIR, kb)
    assert tables is not None
    eural = load_eural()
    entries = eural.loc[eural["level"] == "entry", "code"]
    assert all(tables.routes_of_code(str(code)) for code in entries)
    subchapters = eural.loc[eural["level"] == "subchapter", "code"]
    assert all(str(code) in tables.by_code for code in subchapters)  # each one written down
    assert all(tables.routes_of_material(kb, mid) for mid in kb.material_by_id)


def test_flowsa_crosswalk_rows_are_covered_by_their_route(kb: KnowledgeBase) -> None:
    tables = load_route_tables(KNOWLEDGE_DIR, kb)
    assert tables is not None
    assert len(tables.crosswalk) >= 15
    files = {row[0].split("@")[0] for row in tables.crosswalk}
    assert files == {"NAICS_Crosswalk_EPA_WFR.csv", "NAICS_Crosswalk_EPA_CDDPath.csv"}
    assert (
        "NAICS_Crosswalk_EPA_WFR.csv@11ee016",
        "Food Donation",
        "8899",
        "food_redistribution",
    ) in (tables.crosswalk)


@pytest.mark.parametrize(
    ("file", "line", "replace", "message"),
    [
        ("routes.csv", 2, ("3821,0.30", "38211,0.30"), "routes.csv line 2 field receiver_nace"),
        ("routes.csv", 2, ("3821,0.30", "3821,1.70"), "routes.csv line 2 field weight"),
        ("eural_routes.csv", 2, ("01,", "99,"), "eural_routes.csv line 2 field eural"),
        ("eural_routes.csv", 2, ("aggregate_construction", "nope"), "field route_id"),
        ("material_routes.csv", 2, ("steam,", "unobtainium,"), "field material"),
        ("flowsa_crosswalk.csv", 2, (",0161,", ",2351,"), "is not a receiver of route"),
    ],
)
def test_a_bad_row_names_file_line_and_field(
    tmp_path: Path, kb: KnowledgeBase, file: str, line: int, replace: tuple[str, str], message: str
) -> None:
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR / PRIORS_DIR, copy / PRIORS_DIR)
    path = copy / PRIORS_DIR / file
    lines = path.read_text(encoding="utf-8").splitlines()
    assert replace[0] in lines[line - 1], lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(replace[0], replace[1], 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(PriorTableError, match=message):
        load_route_tables(copy, kb)


def test_a_group_is_ranked_by_its_classes_prior(kb: KnowledgeBase) -> None:
    """A route that names a NACE group (basic non-ferrous metals, 244) spreads over its classes
    in proportion to the cited pathways into each: never one class guessed, never uniform."""
    tables = load_route_tables(KNOWLEDGE_DIR, kb)
    assert tables is not None
    engine = engine_for(kb)
    prior = RoutePrior(tables, kb, engine.prior.receivers)
    vec = prior.vectors["nonferrous_metal"]
    members = [(r, vec[i]) for i, r in enumerate(engine.prior.receivers) if r.startswith("244")]
    assert len(members) >= 5 and all(w > 0 for _, w in members)
    inflow = {r: sum(1 for p in kb.pathway_records if p.receiver_nace == r) for r, _ in members}
    ordered = sorted(members, key=lambda m: -m[1])
    assert [inflow[r] for r, _ in ordered] == sorted(inflow.values(), reverse=True)


def test_the_route_feature_reaches_streams_without_a_pathway(kb: KnowledgeBase) -> None:
    engine = engine_for(kb)
    column = FEATURES.index("route_prior")
    cands = engine.candidates(read_query("2014", None, "stoom"))
    assert np.abs(cands.features[:, column]).max() > 0.0
    # Steam from a chemical plant: chemical plants are among its receivers.
    found = [s.sector for s in answer(kb, "2014", None, "stoom").receivers]
    assert any(s.startswith("20") for s in found), found


def test_a_hazardous_route_never_opens_food_or_feed(kb: KnowledgeBase) -> None:
    found = answer(kb, None, "020108", None).receivers  # agrochemical waste, hazardous
    assert found
    assert not [s for s in found if s.sector[:2] in ("10", "11") or s.sector.startswith("014")]


def test_a_route_explains_what_no_pathway_covers(kb: KnowledgeBase) -> None:
    """Where only the structured prior supports a class, the suggestion says which route and
    cites its source, like a pathway cites its paper."""
    engine = engine_for(kb)
    from regionomie.domain.suggest import BASIS_ROUTE

    found = [
        s
        for query in (("2410", None, "cokesovengas"), (None, "1308", None))
        for s in engine.rank(read_query(*query), 10).receivers
        if s.basis == BASIS_ROUTE
    ]
    assert found
    assert all(s.evidence.startswith("recovery route ") and s.use for s in found)
    assert all(
        ("Directive" in s.evidence or "LAP3" in s.evidence or "Eurostat" in s.evidence)
        for s in found
    )
