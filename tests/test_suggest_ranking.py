"""The ranking behind suggest-receivers: documented exchanges, the prior, the fitted model,
leave-one-out evaluation, EURAL coverage and the regional engine's use of the same ranking."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from regionomie.domain.knowledge import KnowledgeBase, load_knowledge_base
from regionomie.domain.reference import eural_codes, nace2_classes
from regionomie.domain.suggest import (
    BASIS_DOCUMENTED,
    answer,
    engine_for,
    read_query,
)
from regionomie.domain.suggest.coverage import eural_coverage
from regionomie.domain.suggest.evaluation import (
    chapter_baseline,
    constant_baseline,
    exchange_query,
    metrics,
    training_queries,
)
from regionomie.domain.suggest.exchanges import (
    EXCHANGE_COLUMNS,
    SECTOR_GROUPS,
    ExchangeSetError,
    load_exchanges,
)
from regionomie.domain.suggest.model import FEATURES, MODEL_FILE, fit_weights, load_model
from regionomie.paths import KNOWLEDGE_DIR


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


# --- the development set ----------------------------------------------------------------------


def test_development_set_is_large_cited_and_broad(kb: KnowledgeBase) -> None:
    exchanges = engine_for(kb).exchanges
    assert len(exchanges) >= 250
    assert {ex.sector_group for ex in exchanges} == SECTOR_GROUPS
    assert {ex.kind for ex in exchanges} == {"eural", "description", "utility"}
    assert all(len(ex.citation) >= 10 for ex in exchanges)
    assert all(ex.receiver_nace in nace2_classes() for ex in exchanges)
    assert all(not ex.eural_code or ex.eural_code in eural_codes() for ex in exchanges)
    # Many sources, not one paper copied out: at least 150 distinct citations.
    assert len({ex.citation for ex in exchanges}) >= 150


def _write_exchanges(folder: Path, rows: list[dict[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "exchanges_test.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, EXCHANGE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def _row(**overrides: str) -> dict[str, str]:
    row = {
        "exchange_id": "T-1",
        "donor_nace": "3511",
        "donor_label": "coal-fired power station",
        "waste_description": "fly ash",
        "eural_code": "100102",
        "eural_code_origin": "assigned",
        "stream_type": "waste",
        "receiver_nace": "2351",
        "receiver_label": "cement works",
        "use": "cement additive",
        "place": "Kalundborg, Denmark",
        "sector_group": "energy_utilities",
        "citation": "Jacobsen 2006, J. Ind. Ecol. 10",
    }
    return row | overrides


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"receiver_nace": "9999"}, "line 2 field receiver_nace"),
        ({"eural_code": "100199x"}, "line 2 field eural_code"),
        ({"eural_code_origin": ""}, "line 2 field eural_code_origin"),
        ({"stream_type": "gas"}, "line 2 field stream_type"),
        ({"citation": ""}, "line 2 field citation"),
        ({"sector_group": "misc"}, "line 2 field sector_group"),
    ],
)
def test_bad_exchange_rows_fail_with_file_line_field(
    tmp_path: Path, overrides: dict[str, str], message: str
) -> None:
    _write_exchanges(tmp_path, [_row(**overrides)])
    with pytest.raises(ExchangeSetError, match=f"exchanges_test.csv {message}"):
        load_exchanges(tmp_path)


def test_dutch_sbi_class_stands_for_its_nace_class(tmp_path: Path) -> None:
    _write_exchanges(tmp_path, [_row(receiver_nace="3520")])
    (only,) = load_exchanges(tmp_path)
    assert only.receiver_nace == "3521"


# --- prior and leave-one-out --------------------------------------------------------------------


def test_leave_one_out_removes_exactly_the_exchange_itself(kb: KnowledgeBase) -> None:
    engine = engine_for(kb)
    ex = engine.exchanges[0]
    query = exchange_query(ex)
    ctx = engine.candidates(query).context
    hit_with, total_with = engine.prior.support("donor_division", ctx, ex.receiver_nace)
    p_with = engine.prior.distribution(("donor_division",), ctx)
    p_without = engine.prior.distribution(("donor_division",), ctx, exclude=ex.exchange_id)
    j = engine.prior.position[ex.receiver_nace]
    assert hit_with >= 1 and total_with >= 1
    assert p_without[j] < p_with[j]
    assert np.isclose(p_with.sum(), 1.0) and np.isclose(p_without.sum(), 1.0)


def test_baselines_never_see_the_query_itself() -> None:
    exchanges = [
        load_exchanges(KNOWLEDGE_DIR / "eval")[0].__class__(**_row(exchange_id=f"T-{i}"))
        for i in range(3)
    ]
    lonely = exchanges[0].__class__(**_row(exchange_id="T-9", receiver_nace="0113"))
    ranked = constant_baseline([*exchanges, lonely])
    # The only exchange to 0113 cannot find 0113 once it is left out.
    assert "0113" not in ranked[-1].sectors
    assert ranked[0].sectors[0] == "2351"
    by_chapter = chapter_baseline([*exchanges, lonely])
    assert metrics(by_chapter)["hit10_4d"] == pytest.approx(0.75)


def test_a_bare_chapter_falls_back_to_documented_practice(kb: KnowledgeBase) -> None:
    """A EURAL chapter alone names no material: the answer is what documented exchanges of
    that chapter went to, and says so."""
    result = answer(kb, None, "10", None)
    assert len(result.receivers) == 10
    counts: dict[str, int] = {}
    for ex in engine_for(kb).exchanges:
        if ex.eural_code.startswith("10"):
            counts[ex.receiver_nace] = counts.get(ex.receiver_nace, 0) + 1
    most_common = max(counts, key=lambda s: (counts[s], s))
    assert most_common in [s.sector for s in result.receivers[:3]]


def test_documented_suggestions_cite_a_real_exchange(kb: KnowledgeBase) -> None:
    engine = engine_for(kb)
    documented = [
        s
        for ex in engine.exchanges[:120]
        for s in engine.rank(exchange_query(ex), 10).receivers
        if s.basis == BASIS_DOCUMENTED
    ]
    assert documented
    ids = {ex.exchange_id for ex in engine_for(kb).exchanges}
    for s in documented:
        cited = s.evidence.split(":")[0].removeprefix("documented exchange ")
        assert cited in ids, s.evidence


@pytest.mark.parametrize(
    ("producer", "code", "text", "note"),
    [
        ("1234567", None, "vliegas", "producer sector '1234567'"),
        ("9999", None, "vliegas", "not in NACE"),
        (None, "12345678", "vliegas", "waste code '12345678'"),
        (None, "100199x", "vliegas", "waste code '100199x'"),
        (None, "999999", "vliegas", "waste code '999999'"),
        (None, "109999", "vliegas", "chapter 10 used"),
    ],
)
def test_bad_inputs_give_an_answer_and_a_note(
    kb: KnowledgeBase, producer: str | None, code: str | None, text: str | None, note: str
) -> None:
    result = answer(kb, producer, code, text)
    assert len(result.receivers) == 10
    assert any(note in n for n in result.notes), result.notes


@pytest.mark.parametrize(
    ("code", "note"), [("100199x", "'100199x'"), ("999999", "'999999'"), ("991234", "991234")]
)
def test_a_bad_code_alone_gives_no_suggestions(kb: KnowledgeBase, code: str, note: str) -> None:
    result = answer(kb, None, code, None)
    assert result.receivers == []
    assert any(note in n for n in result.notes) and any("empty query" in n for n in result.notes)


# --- understanding a query ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "material"),
    [
        ("rookgasontzwavelingsgips", "fgd_gypsum"),
        ("spent pot lining", None),
        ("vliegassen", "coal_fly_ash"),
        ("hoogovenslakken", "blast_furnace_slag"),
        ("bierbostels", "brewers_spent_grain"),
    ],
)
def test_compounds_plurals_and_variants_are_read(
    kb: KnowledgeBase, text: str, material: str | None
) -> None:
    reading = engine_for(kb).read(read_query(None, None, text))
    assert reading.confidence, text
    if material is not None:
        assert material in reading.top_materials[:2], reading.top_materials


def test_donor_sector_narrows_a_plain_word(kb: KnowledgeBase) -> None:
    engine = engine_for(kb)
    steel = engine.read(read_query("2410", None, "slag")).top_materials[:3]
    assert {"blast_furnace_slag", "steel_slag"} & set(steel), steel
    paper = engine.read(read_query("1712", None, "sludge")).top_materials[:3]
    assert "paper_sludge" in paper, paper


@pytest.mark.parametrize(
    "text",
    [
        "afval van de winning van metaalhoudende mineralen",
        "wastes from the pyrolytic treatment of coal",
    ],
)
def test_official_description_reaches_the_code(kb: KnowledgeBase, text: str) -> None:
    """A description that is (nearly) the official text of a heading reads as that code."""
    reading = engine_for(kb).read(read_query(None, None, text))
    assert reading.code is not None
    assert reading.code[:4] in ("0101", "0506")


# --- the fitted model ---------------------------------------------------------------------------


def test_shipped_model_names_every_feature_and_reproduces(kb: KnowledgeBase) -> None:
    raw = json.loads((KNOWLEDGE_DIR / MODEL_FILE).read_text(encoding="utf-8"))
    assert list(raw["weights"]) == list(FEATURES)
    assert raw["fitted_on"]["exchanges"] == len(engine_for(kb).exchanges)
    engine = engine_for(kb)
    train = [q for _, q, _ in training_queries(engine, list(engine.exchanges)) if q is not None]
    refit = fit_weights(train, start=engine.model.weights)
    shipped = np.array([raw["weights"][f] for f in FEATURES])
    assert np.allclose(refit, shipped, atol=0.05), (refit, shipped)


def test_model_without_fit_uses_documented_defaults(tmp_path: Path) -> None:
    model = load_model(tmp_path)
    assert model.fitted_on == {"source": "default weights"}
    probs = model.probabilities(np.eye(len(FEATURES)))
    assert np.isclose(probs.sum(), 1.0)


def test_scores_are_probabilities(kb: KnowledgeBase) -> None:
    found = answer(kb, "3511", "100102", "vliegas", top=40).receivers
    assert 0.0 < sum(s.score for s in found) <= 1.0001
    assert found[0].score > found[-1].score


# --- coverage of the European List of Waste -----------------------------------------------------


def test_every_eural_chapter_and_subchapter_is_cited_and_reachable(kb: KnowledgeBase) -> None:
    rows = eural_coverage(kb)
    assert len(rows) == 20 + 111
    gaps = [(r.code, r.from_code, r.from_nl, r.from_en) for r in rows if not r.complete]
    assert not gaps


# --- the regional engine uses the same ranking --------------------------------------------------


def test_material_receiver_fit_follows_the_ranking(kb: KnowledgeBase) -> None:
    engine = engine_for(kb)
    fit = engine.material_receiver_fit("spent_coffee_grounds", "5610")
    best = max(p.strength for p in kb.pathways_by_material["spent_coffee_grounds"])
    assert max(fit.values()) == pytest.approx(best)
    assert all(0.0 <= v <= 1.0 for v in fit.values())
    ranked = engine.rank(read_query("5610", None, "koffiedik"), 3).receivers
    assert max(fit, key=lambda r: fit[r]) == ranked[0].sector


def test_observed_flows_enter_the_prior(kb: KnowledgeBase) -> None:
    engine = engine_for(kb)
    before = engine.material_receiver_fit("steel_scrap", "2511")
    flows = [(f"p{i}>r{i}:170405", "2511", "170405", "2410") for i in range(30)]
    observed = engine.with_observed(flows)
    after = observed.material_receiver_fit("steel_scrap", "2511")
    assert observed.observed_flows == 30
    assert engine.observed_flows == 0  # the shared engine is untouched
    assert after["2410"] >= before.get("2410", 0.0)
    assert len(observed.prior) == len(engine.prior) + 30


def test_custom_knowledge_dir_without_exchanges_still_answers(tmp_path: Path) -> None:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target, ignore=shutil.ignore_patterns("eval", MODEL_FILE))
    kb = load_knowledge_base(target)
    found = answer(kb, "5610", "200108", "koffiedik").receivers
    assert found[0].sector == "0113"


def test_exchange_readings_are_cached_and_invalidated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from regionomie.domain.suggest.engine import prior_cache_path

    monkeypatch.setenv("REGIONOMIE_CACHE_DIR", str(tmp_path / "cache"))
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    first = engine_for(load_knowledge_base(target))
    path = prior_cache_path(target)
    assert path is not None and path.is_file()
    second = engine_for(load_knowledge_base(target))  # from the cache
    query = read_query("3511", "100102", "vliegas")
    assert first.rank(query).receivers == second.rank(query).receivers
    vocabulary = target / "vocabulary.yaml"
    vocabulary.write_text(vocabulary.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert prior_cache_path(target) != path
    monkeypatch.setenv("REGIONOMIE_CACHE_DIR", "off")
    assert prior_cache_path(target) is None
