"""Suggestion quality on sensible cases, safety rules, input handling and the CLI contract."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from regionomie.commands import suggest as suggest_cmd
from regionomie.domain.knowledge import KnowledgeBase, load_knowledge_base
from regionomie.domain.suggest import (
    Suggestion,
    answer,
    normalise_sector,
    normalise_waste_code,
    sector_candidates,
    suggest_receivers,
)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def sectors(items: list[Suggestion]) -> list[str]:
    return [s.sector for s in items]


def food_or_feed_keys(kb: KnowledgeBase) -> set[tuple[str, str, str]]:
    return {
        (p.material_id, p.receiver_nace, p.use_description)
        for p in kb.pathway_records
        if p.food_or_feed
    }


# --- quality on well-known exchanges --------------------------------------------------------


@pytest.mark.parametrize("text", ["koffiedik", "spent coffee grounds", "Koffie-dik", "koffiedick"])
def test_coffee_grounds_go_to_mushroom_growers(kb: KnowledgeBase, text: str) -> None:
    found = suggest_receivers(kb, None, None, text)
    assert "0113" in sectors(found)[:3]
    assert found[sectors(found).index("0113")].material == "spent_coffee_grounds"


def test_dutch_compound_is_understood(kb: KnowledgeBase) -> None:
    assert sectors(suggest_receivers(kb, None, None, "koffiedikresten uit de kantine"))[0] == "0113"


@pytest.mark.parametrize("text", ["bierbostel", "brewers spent grain", "bierborstel", "BSG"])
def test_spent_grain_goes_to_feed_and_bakeries(kb: KnowledgeBase, text: str) -> None:
    top10 = sectors(suggest_receivers(kb, None, None, text))
    assert "1091" in top10
    assert "1071" in top10


@pytest.mark.parametrize("text", ["frituurvet", "gebruikte frituurolie", "used cooking oil"])
def test_used_cooking_oil_goes_to_biofuels(kb: KnowledgeBase, text: str) -> None:
    top2 = sectors(suggest_receivers(kb, "5610", None, text))[:2]
    assert set(top2) & {"2059", "1920"} == set(top2)


def test_fgd_gypsum_code_alone_goes_to_plasterboard(kb: KnowledgeBase) -> None:
    assert sectors(suggest_receivers(kb, None, "10 01 05", None))[0] == "2362"


def test_longer_phrase_beats_contained_word(kb: KnowledgeBase) -> None:
    assert suggest_receivers(kb, None, None, "steel slag")[0].material == "steel_slag"
    assert suggest_receivers(kb, None, None, "hoogovenslak")[0].sector == "2351"


def test_producer_sector_disambiguates_a_shared_code(kb: KnowledgeBase) -> None:
    # 20 01 08 covers coffee grounds, kitchen waste, bread, peels ...; a brewery is not a cafe.
    cafe = suggest_receivers(kb, "5630", "200108", None)
    bakery = suggest_receivers(kb, "1071", "200108", None)
    assert (cafe[0].sector, cafe[0].material) == ("0113", "spent_coffee_grounds")
    assert bakery[0].material == "bread_waste"
    # Bread to beer is a bakery's outlet, far less a cafe's: the calibrated score says so.
    score = {
        name: {s.sector: s.score for s in found}
        for name, found in (("cafe", cafe), ("bakery", bakery))
    }
    assert score["bakery"]["1105"] > 2 * score["cafe"].get("1105", 0.0)


def test_code_then_subchapter_then_chapter(kb: KnowledgeBase) -> None:
    exact = suggest_receivers(kb, None, "030105", None)
    assert exact[0].material in {"sawdust", "wood_offcuts"}
    same_sub = suggest_receivers(kb, None, "030199", None)  # not in KB, subchapter 0301
    assert {s.material for s in same_sub[:3]} & {"sawdust", "wood_offcuts", "bark"}
    assert same_sub[0].score < exact[0].score


def test_unknown_description_still_gets_sensible_tail(kb: KnowledgeBase) -> None:
    found = suggest_receivers(kb, "1039", "020304", "uienschillen met zand")
    assert len(found) == 10
    assert {"1091", "3521", "3821"} & set(sectors(found))


# --- safety ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("producer", "code", "text"),
    [
        (None, "20 01 08*", "koffiedik"),
        ("1105", "02 07 99*", "bierbostel"),
        (None, None, "verontreinigd frituurvet"),
        ("2030", "070104", "oplosmiddelen"),
        (None, "100308", None),
        ("5610", "200125*", "used cooking oil with solvents"),
    ],
)
def test_hazardous_input_never_gets_food_or_feed(
    kb: KnowledgeBase, producer: str | None, code: str | None, text: str | None
) -> None:
    banned = food_or_feed_keys(kb)
    found = suggest_receivers(kb, producer, code, text)
    assert len(found) == 10
    for s in found:
        assert (s.material, s.sector, s.use) not in banned, s


@pytest.mark.parametrize("text", ["koffiedik", "koffiedik, niet verontreinigd"])
def test_same_query_without_star_does_get_food_uses(kb: KnowledgeBase, text: str) -> None:
    banned = food_or_feed_keys(kb)
    found = suggest_receivers(kb, None, "20 01 08", text)
    assert any((s.material, s.sector, s.use) in banned for s in found)


# --- shape, determinism, inputs ----------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        ("5610", None, None),
        (None, "170101", None),
        ("not-a-code", "abc", "koffiedik"),
        ("01.13.3", "19 08 05", "rioolslib"),
    ],
)
def test_always_top_distinct_sectors_sorted(
    kb: KnowledgeBase, query: tuple[str | None, ...]
) -> None:
    found = suggest_receivers(kb, *query, top=10)
    assert len(found) == 10
    assert len(set(sectors(found))) == 10
    assert all(len(s.sector) == 4 and s.sector.isdigit() for s in found)
    assert all(0.0 <= s.score <= 1.0 for s in found)
    keys = [(-s.score, s.sector) for s in found]
    assert keys == sorted(keys)
    assert found == suggest_receivers(kb, *query, top=10)
    assert all(s.evidence and s.use and s.material for s in found)
    # Every code carries its sector name, in Dutch and in English.
    assert all(s.sector_name and s.sector_name_en for s in found)


def test_every_class_the_engine_can_suggest_has_a_dutch_and_an_english_name(
    kb: KnowledgeBase,
) -> None:
    from regionomie.domain.suggest import engine_for
    from regionomie.domain.suggest.names import sector_name

    for code in engine_for(kb).prior.receivers:
        nl, en = sector_name(code, "nl"), sector_name(code, "en")
        assert nl and en and nl != en, code


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ((None, None, None), "empty query"),
        (("", "", ""), "empty query"),
        ((None, None, "zzzz qqqq"), "not recognised"),
        ((None, None, "blauwe stoelen van de kantine"), "not recognised"),
        (("5610", None, "blauwe stoelen van de kantine"), "not recognised"),
        ((None, "999999", None), "waste code '999999'"),
        ((None, "991234", None), "'991234'"),
        ((None, "999999", "blauwe stoelen van de kantine"), "not recognised"),
    ],
)
def test_nonsense_or_unknown_input_gives_no_suggestions_and_a_reason(
    kb: KnowledgeBase, query: tuple[str | None, ...], reason: str
) -> None:
    """Never a fallback table of unrelated receivers (the old answer was fly ash -> cement)."""
    result = answer(kb, *query, top=10)
    assert result.receivers == []
    assert any(reason in note for note in result.notes), result.notes


def test_dataframe_style_missing_values(kb: KnowledgeBase) -> None:
    nan = float("nan")
    found = answer(kb, nan, nan, nan)  # type: ignore[arg-type]
    assert found.receivers == [] and "empty query" in found.notes[0]
    assert suggest_receivers(kb, 5610, 200125, None)[0].sector == "2059"  # type: ignore[arg-type]


def test_top_is_respected(kb: KnowledgeBase) -> None:
    assert len(suggest_receivers(kb, "5610", None, "koffiedik", top=3)) == 3
    assert suggest_receivers(kb, "5610", None, "koffiedik", top=0) == []
    assert len(suggest_receivers(kb, None, "20", None, top=25)) == 25


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("5610", "5610"),
        ("56.10", "5610"),
        ("56101", "5610"),
        ("01.13.3", "0113"),
        ("56", "56"),
        ("561", "561"),
        ("5", None),
        ("1234567", None),
        ("C10.71", "1071"),
        ("NACE 56.10", "5610"),
        ("SBI: 01133", "0113"),
        ("56x1", None),
        (None, None),
    ],
)
def test_normalise_sector(raw: str | None, expected: str | None) -> None:
    assert normalise_sector(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("20 01 08", ("200108", False)),
        ("200108", ("200108", False)),
        ("16 06 01*", ("160601", True)),
        ("20108", ("020108", False)),
        ("0201", ("0201", False)),
        ("99 01 01", (None, False)),
        ("abc", (None, False)),
        (None, (None, False)),
    ],
)
def test_normalise_waste_code(raw: str | None, expected: tuple[str | None, bool]) -> None:
    assert normalise_waste_code(raw) == expected


def test_sector_candidates_map_nace21_back_to_nace2() -> None:
    assert sector_candidates("56111") == ("5611", "5610")
    assert sector_candidates("5610") == ("5610",)
    assert sector_candidates("16.11.0") == ("1611", "1610")
    assert sector_candidates("NACE C10.71") == ("1071",)
    assert sector_candidates(None) == ()


def test_sbi_2025_restaurant_class_still_fits(kb: KnowledgeBase) -> None:
    # SBI 2025 / NACE 2.1 splits 56.10 into 56.11 (restaurants) and 56.12.
    assert (
        sectors(suggest_receivers(kb, "56111", "200125", None))[:2]
        == sectors(suggest_receivers(kb, "5610", "200125", None))[:2]
    )


# --- CLI -------------------------------------------------------------------------------------


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="regionomie")
    sub = parser.add_subparsers(dest="command")
    suggest_cmd.register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_cli_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(
        [
            "suggest-receivers",
            "--producer-sector",
            "5610",
            "--waste-code",
            "200108",
            "--waste-description",
            "koffiedik",
            "--json",
            "--top",
            "5",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    payload = json.loads(out)  # exactly one JSON document
    assert len(payload["receivers"]) == 5
    first = payload["receivers"][0]
    assert set(first) == {
        "sector",
        "sector_name",
        "sector_name_en",
        "score",
        "material",
        "use",
        "evidence",
        "basis",
        "explanation",
        "seen_abroad_only",
    }
    assert first["seen_abroad_only"] is False
    assert first["sector_name"] == "Teelt van groenten en wortel- en knolgewassen"
    assert first["sector_name_en"] == "Growing of vegetables and melons, roots and tubers"
    assert payload["notes"] == []
    assert first["sector"] == "0113"
    assert isinstance(first["score"], float)


def test_cli_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["suggest-receivers", "--waste-description", "bierbostel", "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "1091" in out
    assert len([ln for ln in out.splitlines() if ln.strip()]) == 1 + 2 * 3


def test_cli_batch_with_bad_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        {
            "id": 1,
            "producer_sector": "5610",
            "waste_code": "200108",
            "waste_description": "koffiedik",
        },
        '{"id": "broken", "waste_code": ',
        {"id": "b", "producer_sector": None, "waste_code": "", "waste_description": "bierbostel"},
        [1, 2],
        {"id": 4, "waste_code": {"nested": True}},
        "",
        {"id": 5},
    ]
    path = tmp_path / "queries.jsonl"
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    assert run_cli(["suggest-receivers", "--input", str(path), "--top", "4"]) == 0
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["id"] for r in records] == [1, "broken", "b", None, 4, 5]
    assert ["error" in r for r in records] == [False, True, False, True, True, False]
    assert records[0]["receivers"][0]["sector"] == "0113"
    assert "1091" in [r["sector"] for r in records[2]["receivers"]]
    assert "line 2" in records[1]["error"]
    assert "waste_code" in records[4]["error"]
    # {"id": 5} asks nothing: no suggestions, and a note saying why (not an error).
    assert records[5]["receivers"] == [] and "empty query" in records[5]["notes"][0]
    assert "3 lines with errors" in captured.err


def test_cli_unreadable_input_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["suggest-receivers", "--input", str(tmp_path / "missing.jsonl")]) != 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "missing.jsonl" in captured.err


def test_cli_bad_knowledge_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(
        ["suggest-receivers", "--waste-description", "x", "--knowledge-dir", str(tmp_path)]
    )
    assert code == 1
    assert "materials.csv" in capsys.readouterr().err


def test_cli_batch_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO('{"id": 9, "waste_code": 100105}\n'))
    assert run_cli(["suggest-receivers", "--input", "-", "--top", "2"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["id"] == 9
    assert record["receivers"][0]["sector"] == "2362"
