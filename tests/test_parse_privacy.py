"""Sole-proprietor detection fails closed in every KvK parser: only known legal entities keep
a visible name; natural-person forms in any spelling and empty or unknown forms are masked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regionomie.domain.parsers import parse_file

HEADER = "vestigingsnummer;kvk_nummer;trade_name;legal_form;sbi_main;sbi_version;postcode;city"
MASKED = [
    "Eenmanszaak",
    "EENMANSZAAK",
    "Eenmanszaak met meer dan één eigenaar",
    "Eenmanszaak met één eigenaar",
    "Vennootschap onder firma",
    "V.O.F.",
    "Maatschap",
    "Commanditaire Vennootschap",
    "",
    "Onbekend",
    "Rechtsvorm nog niet bekend",
]
SHOWN = [
    "Besloten Vennootschap",
    "Naamloze Vennootschap",
    "Stichting",
    "Vereniging",
    "Coöperatie",
    "Coöperatie U.A.",
    "Onderlinge Waarborgmaatschappij",
]


def _csv(tmp_path: Path, forms: list[str]) -> Path:
    rows = [
        f"{i + 1:012d};{i + 10000001:08d};Naam {i};{form};5610;2008;3811AB;Amersfoort"
        for i, form in enumerate(forms)
    ]
    path = tmp_path / "est.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_csv_masks_every_natural_person_and_unknown_form(tmp_path: Path) -> None:
    res = parse_file(_csv(tmp_path, MASKED + SHOWN), "kvk", retrieved_at="2025-06-01T00:00:00Z")
    est = res["establishments"].rows
    flags = dict(zip(est["trade_name"], est["is_sole_proprietor"], strict=True))
    assert [flags[f"Naam {i}"] for i in range(len(MASKED))] == [True] * len(MASKED)
    assert [flags[f"Naam {i + len(MASKED)}"] for i in range(len(SHOWN))] == [False] * len(SHOWN)
    orgs = res["organisations"].rows.set_index("name")["is_sole_proprietor"]
    assert bool(orgs["Naam 0"]) and bool(orgs["Naam 10"]) and not bool(orgs[f"Naam {len(MASKED)}"])


def _profile(**extra: object) -> dict[str, object]:
    return {
        "vestigingsnummer": "000037178598",
        "kvkNummer": "68750110",
        "eersteHandelsnaam": "J. de Vries en Zn.",
        "adressen": [{"type": "bezoekadres", "postcode": "3811AB", "plaats": "Amersfoort"}],
        **extra,
    }


@pytest.mark.parametrize(
    ("extra", "masked"),
    [
        ({}, True),  # no legal form at all
        ({"rsin": "857587973"}, True),  # a vof or maatschap has an RSIN too
        ({"statutaireNaam": "De Vries Holding B.V."}, False),  # articles: a legal entity
        (
            {"_embedded": {"eigenaar": {"rechtsvorm": "Eenmanszaak met meer dan één eigenaar"}}},
            True,
        ),
        ({"_embedded": {"eigenaar": {"rechtsvorm": "Besloten Vennootschap"}}}, False),
    ],
)
def test_api_json_fails_closed(tmp_path: Path, extra: dict[str, object], masked: bool) -> None:
    path = tmp_path / "vestigingsprofiel.json"
    path.write_text(json.dumps(_profile(**extra)), encoding="utf-8")
    est = parse_file(path, "kvk", retrieved_at="2025-06-01T00:00:00Z")["establishments"].rows
    assert bool(est["is_sole_proprietor"].iat[0]) is masked


def test_basisprofiel_without_legal_form_is_masked(tmp_path: Path) -> None:
    doc = {"kvkNummer": "69599084", "naam": "Jan Jansen", "handelsnamen": [{"naam": "Jan Jansen"}]}
    path = tmp_path / "basisprofiel.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    orgs = parse_file(path, "kvk", retrieved_at="2025-06-01T00:00:00Z")["organisations"].rows
    assert bool(orgs["is_sole_proprietor"].iat[0])
