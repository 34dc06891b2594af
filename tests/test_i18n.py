"""Reader-facing text in Dutch and English: every message of the code is in both catalogues,
every pathway of the knowledge base has its texts in both languages, numbers and money come
out of Babel in each locale, and a Dutch report shows no English where a Dutch text exists."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from regionomie.i18n import LANGUAGES, NBSP, Texts, UnknownLanguageError, check_language
from regionomie.i18n.catalogue import extract, load, missing
from regionomie.i18n.knowledge import PATHWAY_TEXT_COLUMNS, pathway_texts
from regionomie.paths import KNOWLEDGE_DIR


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_of_the_code_is_in_the_catalogue(lang: str) -> None:
    template = extract()
    assert len(template) > 150  # the extractor found the report, sheets and cards
    assert missing(lang, template) == []


def test_a_new_message_without_translation_fails_the_check(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "module.py").write_text(
        "def f(t):\n    return f\"<p>{t._('A sentence nobody translated')}</p>\"\n",
        encoding="utf-8",
    )
    template = extract(package)
    assert [m.id for m in template if m.id] == ["A sentence nobody translated"]
    assert missing("nl", template) == ["A sentence nobody translated"]


def test_catalogues_hold_no_fuzzy_or_empty_entry() -> None:
    for lang in LANGUAGES:
        for message in load(lang):
            if message.id:
                assert not message.fuzzy, (lang, message.id)
                strings = message.string if isinstance(message.string, tuple) else (
                    message.string,)  # fmt: skip
                assert all(strings), (lang, message.id)


def test_every_pathway_has_dutch_and_english_texts() -> None:
    english = pathway_texts("en")
    dutch = pathway_texts("nl")
    assert set(dutch.index) == set(english.index), "pathway_texts.nl.csv and the pathways differ"
    for column in ("receiver_label", "use_description"):
        assert (english[column] != "").all(), column
        assert (dutch[column] != "").all(), column
    # a translation, not a copy: no Dutch use description equals the English one
    same = dutch["use_description"].reindex(english.index) == english["use_description"]
    assert not same.any(), list(english.index[same])[:5]
    # caveats: present in Dutch wherever English has one
    has_en = english["caveats"].str.strip().ne("")
    has_nl = dutch["caveats"].reindex(english.index).str.strip().ne("")
    assert (has_nl | ~has_en).all()
    assert set(PATHWAY_TEXT_COLUMNS) <= set(dutch.columns)


def test_a_pathway_without_dutch_text_is_caught(tmp_path: Path) -> None:
    for path in KNOWLEDGE_DIR.glob("pathways*.csv"):
        shutil.copy(path, tmp_path / path.name)
    shutil.copy(KNOWLEDGE_DIR / "materials.csv", tmp_path / "materials.csv")
    dutch = pd.read_csv(KNOWLEDGE_DIR / "pathway_texts.nl.csv", dtype=str)
    dutch.iloc[1:].to_csv(tmp_path / "pathway_texts.nl.csv", index=False)
    english = pathway_texts("en", tmp_path)
    assert set(pathway_texts("nl", tmp_path).index) != set(english.index)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "nl",
            {
                "tonnes": f"1.887{NBSP}t",
                "eur": f"€{NBSP}72.938",
                "co2e": f"470{NBSP}t{NBSP}CO₂e",
                "percent": f"2,5{NBSP}%",
                "km": f"2,3{NBSP}km",
                "small": f"4,6{NBSP}t",
            },
        ),
        (
            "en",
            {
                "tonnes": f"1,887{NBSP}t",
                "eur": "€72,938",
                "co2e": f"470{NBSP}t{NBSP}CO₂e",
                "percent": "2.5%",
                "km": f"2.3{NBSP}km",
                "small": f"4.6{NBSP}t",
            },
        ),
    ],
)
def test_numbers_money_and_units_per_locale(lang: str, expected: dict[str, str]) -> None:
    t = Texts(lang)
    got = {
        "tonnes": t.tonnes(1887.04),
        "eur": t.eur(72938.48),
        "co2e": t.co2e_kg(470234.1),
        "percent": t.percent(0.025),
        "km": t.km(2.34),
        "small": t.tonnes(4.62),
    }
    assert got == expected
    assert t.tonnes(None) == "" and t.eur(float("nan")) == ""


def test_jobs_are_whole_numbers_or_ranges() -> None:
    nl, en = Texts("nl"), Texts("en")
    assert [nl.jobs(v) for v in (0.2, 1.0, 3.77, 25.4, 192.0)] == [
        "minder dan 1", "1", "3–4", "25", "192"]  # fmt: skip
    assert en.jobs(0.2) == "less than 1"


def test_language_names_are_checked() -> None:
    assert check_language("NL_nl") == "nl" and check_language(None) == "nl"
    assert check_language("en-GB") == "en"
    with pytest.raises(UnknownLanguageError, match="choose one of nl, en"):
        check_language("de")


def test_plural_forms_follow_the_catalogue() -> None:
    assert Texts("nl").ngettext("{n} supplier", "{n} suppliers", 1) == "1 leverancier"
    assert Texts("nl").ngettext("{n} supplier", "{n} suppliers", 3) == "3 leveranciers"
    assert Texts("en").ngettext("{n} supplier", "{n} suppliers", 3) == "3 suppliers"


def test_dutch_cards_carry_the_dutch_caveats_of_the_engines_risks() -> None:
    """The engine's risk list opens with the pathways CSV's (English) caveats; a Dutch card
    shows the knowledge base's Dutch ones and keeps the engine's own Dutch risks after them,
    except the generic food-rules line when the pathway's own caveat already names the NVWA."""
    from regionomie.exports.reader import Localiser
    from regionomie.exports.report import localise_cards

    own = "Voedsel-/diervoederbestemming: NVWA-eisen en hygiëneprotocol gelden."
    english = ["same-day collection",
               "food safety rules of the Warenwet and NVWA apply to donated food"]  # fmt: skip
    card = {"case_id": "bread_waste-8899", "risks": [*english, own], "next_steps": []}
    nl = localise_cards([card], pd.DataFrame(), Localiser(Texts("nl")))[0]["risks"]
    assert nl == [
        "ophalen op dezelfde dag",
        "voor geschonken voedsel gelden de regels van de Warenwet en de NVWA",
    ]
    other = "De gemelde hoeveelheid is groter dan de leveranciers aannemelijk produceren."
    card = {"case_id": "bread_waste-8899", "risks": [*english, other], "next_steps": []}
    nl = localise_cards([card], pd.DataFrame(), Localiser(Texts("nl")))[0]["risks"]
    assert nl[-1] == other and not set(english) & set(nl)
