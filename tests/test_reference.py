"""Checks of the shipped code lists (counts, keys, hierarchy, known facts) and the normalisers."""

from __future__ import annotations

import pandas as pd
import pytest

from regionomie.domain import reference as ref
from regionomie.domain.schemas import MUNICIPALITIES

# --------------------------------------------------------------------------- EURAL


def test_eural_has_20_chapters_and_full_entry_list() -> None:
    df = ref.load_eural()
    chapters = df[df["level"] == "chapter"]
    assert sorted(chapters["code"]) == [f"{i:02d}" for i in range(1, 21)]
    entries = df[df["level"] == "entry"]
    assert len(entries) >= 800
    assert len(ref.eural_codes()) == len(entries)
    assert df["code"].is_unique


def test_eural_entries_are_six_digits_with_existing_parents() -> None:
    df = ref.load_eural()
    codes = set(df["code"])
    entries = df[df["level"] == "entry"]
    assert entries["code"].str.fullmatch(r"\d{6}").all()
    assert (entries["subchapter"] == entries["code"].str[:4]).all()
    assert (entries["chapter"] == entries["code"].str[:2]).all()
    assert set(entries["subchapter"]) <= codes
    assert set(entries["chapter"]) <= codes
    subs = df[df["level"] == "subchapter"]
    assert set(subs["chapter"]) <= codes


def test_eural_every_entry_has_both_descriptions_and_a_hazard_flag() -> None:
    entries = ref.load_eural().query("level == 'entry'")
    assert (entries["description_en"].str.len() > 0).all()
    assert (entries["description_nl"].str.len() > 0).all()
    assert entries["hazardous"].notna().all()
    assert str(entries["hazardous"].dtype) == "boolean"
    assert ref.hazardous_eural_codes() == frozenset(entries.loc[entries["hazardous"], "code"])
    # the 2014 list has several hundred starred entries, and fewer starred than not
    n_haz = int(entries["hazardous"].sum())
    assert 300 < n_haz < len(entries) / 2 + 50


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("200108", False),  # biodegradable kitchen and canteen waste
        ("200125", False),  # edible oil and fat
        ("020304", False),
        ("170601", True),  # insulation materials containing asbestos
        ("200121", True),  # fluorescent tubes
        ("160307", True),  # metallic mercury, added in 2014
        ("999999", None),  # not a EURAL code
        ("hello", None),
    ],
)
def test_is_hazardous_known_facts(code: str, expected: bool | None) -> None:
    assert ref.is_hazardous(code) is expected


def test_eural_known_descriptions() -> None:
    assert ref.eural_description("20 01 08") == "biologisch afbreekbaar keuken- en kantineafval"
    assert "oil" in (ref.eural_description("200125", "en") or "").lower()
    assert (ref.eural_description("20", "en") or "").startswith("Municipal wastes")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("20 01 08", "200108"),
        ("200108", "200108"),
        (200108, "200108"),
        (20108, "020108"),
        ("20108", "020108"),
        ("20 01 08*", "200108"),
        (" 200108 ", "200108"),
        ("17 06 01 *", "170601"),
        ("20.01.08", "200108"),
        (200108.0, "200108"),
        ("", None),
        (None, None),
        (True, None),
        (float("nan"), None),
        (2001.5, None),
        ("2001", None),  # a subchapter, not an entry
        ("1234567", None),
        ("990101", None),  # no chapter 99
        ("000108", None),
        ("abc123", None),
        (-200108, None),
    ],
)
def test_normalise_eural(raw: object, expected: str | None) -> None:
    assert ref.normalise_eural(raw) == expected


def test_normalised_example_codes_exist() -> None:
    for raw in ("20 01 08", 20108, "02 03 04", "20 03 01", "02 07 99"):
        code = ref.normalise_eural(raw)
        assert code is not None
        assert code in ref.eural_codes()
    assert ref.normalise_eural("02 01 05") == "020105"
    assert "020105" not in ref.eural_codes()  # shape-valid but not on the list
    assert ref.is_hazardous("020105") is None


def test_loader_returns_a_copy() -> None:
    df = ref.load_eural()
    df.loc[:, "code"] = "x"
    assert "200108" in set(ref.load_eural()["code"])


# --------------------------------------------------------------------------- SBI 2008


def test_sbi2008_levels_and_counts() -> None:
    df = ref.load_sbi2008()
    counts = df["level"].value_counts()
    assert counts["section"] == 21
    assert sorted(df.loc[df["level"] == "section", "code"]) == list("ABCDEFGHIJKLMNOPQRSTU")
    assert counts["division"] >= 80
    assert counts["group"] >= 250
    assert counts["class"] >= 590
    assert counts["class"] + counts["subclass"] >= 600
    assert df["code"].is_unique


def test_sbi2008_hierarchy_is_consistent() -> None:
    df = ref.load_sbi2008()
    codes = set(df["code"])
    non_sections = df[df["level"] != "section"]
    assert set(non_sections["parent"]) <= codes
    lengths = {"division": 2, "group": 3, "class": 4, "subclass": 5}
    for level, n in lengths.items():
        sub = df[df["level"] == level]
        assert (sub["code"].str.len() == n).all(), level
        assert sub["code"].str.isdigit().all(), level
    sub = df[df["level"].isin(["group", "class", "subclass"])]
    assert (sub.apply(lambda r: r["code"].startswith(r["parent"]), axis=1)).all()
    assert (df["label_nl"].str.len() > 0).all()


def test_sbi2008_known_labels() -> None:
    assert "restaurants" in (ref.sbi_label("5610", "2008") or "").lower()
    assert ref.sbi_label("56.10.1", "2008") == "Restaurants"
    assert ref.sbi_label("01133", "2008") == "Teelt van paddenstoelen"
    assert ref.sbi_label("1105", "2008") == "Vervaardiging van bier"
    assert ref.sbi_label("9999", "2008") is None
    assert "restaurants" in (ref.nace_class_label("5610") or "").lower()
    assert ref.nace_class_label("56") is None


# --------------------------------------------------------------------------- SBI 2025


def test_sbi2025_shape() -> None:
    df = ref.load_sbi2025()
    assert len(df) >= 800
    assert df["code"].is_unique
    assert df["code"].str.fullmatch(r"\d{5}").all()
    assert (df["nace21_class"] == df["code"].str[:4]).all()
    mapped = df[df["nace2_class"] != ""]
    assert mapped["nace2_class"].str.fullmatch(r"\d{4}").all()
    # a mapped class must be a NACE Rev.2 class: in SBI 2008, or one of the few NACE classes
    # CBS leaves out of SBI 2008 (rice, sugar cane, tobacco, ... not grown in NL)
    sbi08_classes = set(ref.load_sbi2008().query("level == 'class'")["code"])
    outside = set(mapped["nace2_class"]) - sbi08_classes
    not_in_sbi2008 = {"0112", "0114", "0115", "0122", "0123", "0126", "0144", "8510"}
    assert outside <= not_in_sbi2008 | set(ref.NACE_EXTRA_LABELS)
    for nace in outside & set(ref.NACE_EXTRA_LABELS):
        assert ref.nace_class_label(nace)
    assert len(mapped) / len(df) > 0.6


def test_sbi2025_covers_the_regions_main_divisions() -> None:
    df = ref.load_sbi2025()
    divisions = set(df["code"].str[:2])
    needed = {"01", "10", "11", "16", "20", "23", "35", "38", "41", "42", "43", "46", "47"}
    needed |= {"55", "56", "86", "87", "88"}
    assert needed <= divisions


@pytest.mark.parametrize(
    ("code", "nace2"),
    [
        ("01133", "0113"),  # mushroom growing, unchanged
        ("56111", "5610"),  # restaurants: NACE 2.1 56.11 <- NACE 2 56.10
        ("10710", "1071"),  # bakeries
        ("11050", "1105"),  # breweries
        ("41000", "4120"),  # building construction: 2.1 41.00 <- 2 41.20
        ("68120", "4110"),  # project development moved from 41.10 to 68.12
        ("62100", "6201"),  # computer programming renumbered
        ("47120", "4719"),
        ("38210", None),  # materials recovery mixes NACE 2 38.21 and 38.32: unmapped
        ("63910", "6312"),  # web portals; NACE 2 63.91 was news agencies
    ],
)
def test_sbi2025_to_nace(code: str, nace2: str | None) -> None:
    assert ref.sbi_to_nace(code, "2025") == nace2


def test_sbi_to_nace_2008_and_edge_cases() -> None:
    assert ref.sbi_to_nace("56101", "2008") == "5610"
    assert ref.sbi_to_nace("5610", "2008") == "5610"
    assert ref.sbi_to_nace("01.13.3", "2008") == "0113"
    assert ref.sbi_to_nace("56", "2008") is None
    assert ref.sbi_to_nace("561", "2008") is None
    assert ref.sbi_to_nace("0001", "2008") is None  # KvK "code not yet assigned"
    assert ref.sbi_to_nace("9999", "2008") is None
    assert ref.sbi_to_nace("99999", "2025") is None
    assert ref.sbi_to_nace("garbage", "2025") is None
    assert ref.sbi_to_nace("5611", "2025") == "5610"  # all subclasses agree
    # Dutch-specific SBI 2008 classes that are not NACE Rev.2 classes
    assert ref.sbi_to_nace("86912", "2008") == "8690"
    assert ref.sbi_to_nace("3520", "2008") == "3521"
    assert ref.sbi_to_nace("3513", "2008") is None
    assert ref.nace_class_label("3513") == "Distributie van elektriciteit"
    with pytest.raises(ValueError, match="unknown SBI version"):
        ref.sbi_to_nace("5610", "1993")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("01.13.3", "01133"),
        ("56.10", "5610"),
        ("5610", "5610"),
        (" 01 13 3 ", "01133"),
        ("0111", "0111"),
        ("000000000056102", "56102"),
        (5610, "5610"),
        (56101, "56101"),
        (111, "0111"),
        ("", None),
        ("abc", None),
        ("5", None),
        ("123456", None),
        ("0000", None),
        (None, None),
        (True, None),
        (56.1, None),
    ],
)
def test_normalise_sbi(raw: object, expected: str | None) -> None:
    assert ref.normalise_sbi(raw) == expected


def test_guess_sbi_version() -> None:
    assert ref.guess_sbi_version("5610", None) == "2008"  # 4 digits: never SBI 2025
    assert ref.guess_sbi_version("56111", None) == "2025"  # only in SBI 2025
    assert ref.guess_sbi_version("56101", "2026-01-01") == "2008"  # only in SBI 2008
    # 01133 exists in both versions: the date decides
    assert ref.guess_sbi_version("01133", "2025-10-01") == "2025"
    assert ref.guess_sbi_version("01133", "2025-09-04") == "2008"
    assert ref.guess_sbi_version("01133", None) == "2008"
    assert ref.guess_sbi_version("01133", "not a date") == "2008"
    assert ref.sbi_code_exists("01133", "2008") and ref.sbi_code_exists("01133", "2025")


# --------------------------------------------------------------------------- municipalities


def test_municipalities_contract_and_counts() -> None:
    df = ref.load_municipalities()
    assert list(df.columns) == list(MUNICIPALITIES.columns)
    assert len(df) == 342
    assert df["municipality_code"].is_unique
    assert df["municipality_code"].str.fullmatch(r"GM\d{4}").all()
    assert df["name"].is_unique
    assert len(ref.municipality_codes()) == 342
    provinces = ref.load_provinces()
    assert len(provinces) == 12
    assert set(df["province_code"]) == set(provinces["province_code"])
    names = dict(zip(provinces["province_code"], provinces["name"], strict=True))
    assert (df["province_name"] == df["province_code"].map(names)).all()


def test_municipality_centroids_inside_the_netherlands() -> None:
    df = ref.load_municipalities()
    assert pd.api.types.is_float_dtype(df["lat"]) and pd.api.types.is_float_dtype(df["lon"])
    assert df["lat"].between(50.7, 53.6).all()
    assert df["lon"].between(3.3, 7.3).all()
    # Groningen lies north-east of Maastricht
    g = df.set_index("municipality_code")
    assert g.loc["GM0014", "lat"] > g.loc["GM0935", "lat"] + 2
    assert g.loc["GM0014", "lon"] > g.loc["GM0935", "lon"]


@pytest.mark.parametrize(
    ("code", "name", "province"),
    [
        ("GM0307", "Amersfoort", "PV26"),
        ("GM0308", "Baarn", "PV26"),
        ("GM0313", "Bunschoten", "PV26"),
        ("GM0317", "Eemnes", "PV26"),
        ("GM0327", "Leusden", "PV26"),
        ("GM0342", "Soest", "PV26"),
        ("GM0351", "Woudenberg", "PV26"),
        ("GM0203", "Barneveld", "PV25"),
        ("GM0267", "Nijkerk", "PV25"),
        ("GM0279", "Scherpenzeel", "PV25"),
        ("GM0119", "Meppel", "PV22"),
        ("GM0014", "Groningen", "PV20"),
        ("GM0518", "'s-Gravenhage", "PV28"),
        ("GM1992", "Voorne aan Zee", "PV28"),
    ],
)
def test_known_municipality_codes(code: str, name: str, province: str) -> None:
    row = ref.load_municipalities().set_index("municipality_code").loc[code]
    assert row["name"] == name
    assert row["province_code"] == province


def test_province_sizes() -> None:
    counts = ref.load_municipalities()["province_code"].value_counts().to_dict()
    assert counts == {
        "PV30": 56,
        "PV25": 51,
        "PV28": 50,
        "PV27": 44,
        "PV31": 31,
        "PV26": 26,
        "PV23": 25,
        "PV21": 18,
        "PV29": 13,
        "PV22": 12,
        "PV20": 10,
        "PV24": 6,
    }
