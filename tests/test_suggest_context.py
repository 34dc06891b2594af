"""The Dutch context of suggest-receivers (issue 20 point 7): a query without a country is read
for the Netherlands, and suggestions resting on materials that do not arise as Dutch supply are
marked, from the same material_origins.csv the regional engine reads."""

from __future__ import annotations

import json

import pytest

from regionomie.cli import main as run_cli
from regionomie.domain import dutch_context
from regionomie.domain.knowledge import KnowledgeBase, load_knowledge_base
from regionomie.domain.suggest import answer
from regionomie.domain.suggest.context import context_country, normalise_country


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def _not_dutch(kb: KnowledgeBase) -> str:
    origins = dutch_context.context_for(kb).origins
    found = sorted(m for m, o in origins.items() if not o.occurs_in_nl and m in kb.material_by_id)
    assert found, "material_origins.csv lists no material that is absent from Dutch supply"
    return "coconut_shells" if "coconut_shells" in found else found[0]


def test_without_a_country_pathways_seen_only_abroad_are_marked(kb: KnowledgeBase) -> None:
    material = _not_dutch(kb)
    name = kb.material_by_id[material].name_nl
    result = answer(kb, None, None, name)
    marked = [s for s in result.receivers if s.seen_abroad_only]
    origins = dutch_context.context_for(kb).origins
    assert any(s.material == material for s in marked)
    assert all(not origins[s.material].occurs_in_nl for s in marked)
    assert all("seen only abroad" in s.explanation for s in marked)
    assert any("Dutch context" in note for note in result.notes)
    # Marked, not dropped or reordered: the ranking is the one the regional engine uses.
    assert [s.sector for s in result.receivers] == [
        s.sector for s in answer(kb, None, None, name, country="ID").receivers
    ]


def test_a_country_or_a_non_dutch_donor_class_lifts_the_marking(kb: KnowledgeBase) -> None:
    name = kb.material_by_id[_not_dutch(kb)].name_nl
    assert not any(s.seen_abroad_only for s in answer(kb, None, None, name, country="id").receivers)
    assert not any(s.seen_abroad_only for s in answer(kb, "0126", None, name).receivers)
    dutch = answer(kb, "5610", "200108", "koffiedik")
    assert dutch.receivers and not any(s.seen_abroad_only for s in dutch.receivers)


def test_country_codes_are_read_strictly() -> None:
    assert normalise_country(" nl ") == "NL"
    assert normalise_country("Nederland") is None
    assert context_country(None, ("5610",)) == "NL"
    assert context_country(None, ("0126",)) is None
    assert context_country("DE", ("5610",)) == "DE"


def test_cli_carries_the_country_and_the_mark(
    kb: KnowledgeBase, capsys: pytest.CaptureFixture[str]
) -> None:
    name = kb.material_by_id[_not_dutch(kb)].name_nl
    assert run_cli(["suggest-receivers", "--waste-description", name, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["query"]["country"] is None
    assert any(r["seen_abroad_only"] for r in payload["receivers"])
    assert (
        run_cli(["suggest-receivers", "--waste-description", name, "--country", "ID", "--json"])
        == 0
    )
    payload = json.loads(capsys.readouterr().out)
    assert not any(r["seen_abroad_only"] for r in payload["receivers"])
