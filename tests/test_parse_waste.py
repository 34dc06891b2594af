"""LMA waste extracts: real column names, integer EURAL codes, decimal commas, bad rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from regionomie.domain.parsers import parse_file
from regionomie.domain.results import ParseResult, SourceFileError
from regionomie.domain.schemas import WASTE_RECORDS

BASE = [
    "Afvalstroomnummer",
    "VerwerkingsmethodeCode",
    "VerwerkingsOmschrijving",
    "RouteInzameling",
    "Inzamelaarsregeling",
    "EuralCode",
    "EuralcodeOmschrijving",
    "BenamingAfval",
    "MeldPeriodeJAAR",
    "MeldPeriodeMAAND",
    "Gewicht_KG",
    "Aantal_vrachten",
]
PARTY = ["Naam", "Postcode", "Plaats", "Straat", "Huisnr", "Land"]
ASN_REASON = "not an afvalstroomnummer (12 characters: 5-digit verwerkersnummer + 7 digits/letters)"


def header(parties: tuple[str, ...] = ("Ontdoener", "Ontvanger")) -> list[str]:
    return BASE + [f"{p}_{s}" for p in parties for s in PARTY]


def row(**over: str) -> dict[str, str]:
    r = {
        "Afvalstroomnummer": "104220001234",
        "VerwerkingsmethodeCode": "b04",
        "VerwerkingsOmschrijving": "Composteren",
        "RouteInzameling": "N",
        "Inzamelaarsregeling": "N",
        "EuralCode": "20108",
        "EuralcodeOmschrijving": "afval van plantaardige weefsels",
        "BenamingAfval": "Champost",
        "MeldPeriodeJAAR": "2024",
        "MeldPeriodeMAAND": "3",
        "Gewicht_KG": "1.234,5",
        "Aantal_vrachten": "2",
        "Ontdoener_Naam": "Champignonkwekerij De Eem BV",
        "Ontdoener_Postcode": "3811 ab",
        "Ontdoener_Plaats": "AMERSFOORT",
        "Ontdoener_Straat": "Kerkstraat",
        "Ontdoener_Huisnr": "12",
        "Ontdoener_Land": "NEDERLAND",
        "Ontvanger_Naam": "Compost BV",
        "Ontvanger_Postcode": "3439ZZ",
        "Ontvanger_Plaats": "Nieuwegein",
        "Ontvanger_Straat": "Composteerweg",
        "Ontvanger_Huisnr": "5",
        "Ontvanger_Land": "NL",
    }
    r.update(over)
    return r


def write_csv(
    tmp_path: Path,
    rows: list[dict[str, str]],
    *,
    name: str = "ontvangstmeldingen_2024.csv",
    sep: str = ";",
    cols: list[str] | None = None,
    encoding: str = "utf-8",
) -> Path:
    cols = cols or header()
    frame = pd.DataFrame(rows, columns=cols).fillna("")
    path = tmp_path / name
    path.write_bytes(frame.to_csv(sep=sep, index=False).encode(encoding))
    return path


def waste(path: Path) -> ParseResult:
    res = parse_file(path, "waste", retrieved_at="2025-02-01T00:00:00Z")["waste_records"]
    assert res.rows_in == len(res.rows) + len(res.rejected)
    return res


def test_receipts_good_row(tmp_path: Path) -> None:
    res = waste(write_csv(tmp_path, [row(), row(MeldPeriodeMAAND="4", Gewicht_KG="1.000")]))
    assert list(res.rows.columns) == list(WASTE_RECORDS.all_columns)
    r = res.rows.iloc[0]
    assert r["extract_type"] == "ontvangst" and r["source"] == "lma-ontvangst"
    assert r["eural_code"] == "020108"  # integer EURAL padded to six digits
    assert r["weight_kg"] == pytest.approx(1234.5)
    assert res.rows["weight_kg"].iat[1] == pytest.approx(1000.0)  # Dutch thousands separator
    assert r["processing_code"] == "B04" and r["loads"] == 2
    assert (r["period_year"], r["period_month"]) == (2024, 3)
    assert r["ontdoener_postcode"] == "3811AB" and r["ontdoener_house_number"] == "12"
    assert r["ontdoener_name"] == "Champignonkwekerij De Eem BV"
    assert r["ontvanger_city"] == "Nieuwegein"
    assert r["herkomst_postcode"] is None and r["gn_code"] is None
    assert r["source_row"] == 2


def test_afgifte_comma_cp1252_with_eerstafnemer_and_gncode(tmp_path: Path) -> None:
    cols = header(("EerstAfnemer", "Verwerker")) + ["GNcode"]
    r = {k: v for k, v in row().items() if not k.startswith(("Ontdoener", "Ontvanger"))}
    r.update(
        {
            "EerstAfnemer_Naam": "Brouwerij Één",
            "EerstAfnemer_Postcode": "3771AA",
            "EerstAfnemer_Huisnr": "1",
            "GNcode": "23033000",
            "Gewicht_KG": "250,75",
        }
    )
    path = write_csv(tmp_path, [r], name="extract.csv", sep=",", cols=cols, encoding="cp1252")
    res = waste(path)
    out = res.rows.iloc[0]
    assert out["extract_type"] == "afgifte" and out["gn_code"] == "23033000"
    assert out["eerste_afnemer_name"] == "Brouwerij Één"
    assert out["weight_kg"] == pytest.approx(250.75)


def test_bare_party_name_column(tmp_path: Path) -> None:
    cols = [c for c in header() if c != "Ontdoener_Naam"] + ["Ontdoener"]
    r = row()
    r["Ontdoener"] = r.pop("Ontdoener_Naam")
    res = waste(write_csv(tmp_path, [r], cols=cols))
    assert res.rows["ontdoener_name"].iat[0] == "Champignonkwekerij De Eem BV"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("Gewicht_KG", "abc", "Gewicht_KG: not a number"),
        ("Gewicht_KG", "", "Gewicht_KG: missing"),
        ("Gewicht_KG", "-5", "Gewicht_KG: negative"),
        ("Gewicht_KG", "inf", "Gewicht_KG: not a finite number"),
        ("EuralCode", "999999", "EuralCode: not a EURAL code"),
        ("EuralCode", "", "EuralCode: missing"),
        ("MeldPeriodeMAAND", "13", "MeldPeriodeMAAND: not a month 1-12"),
        ("MeldPeriodeJAAR", "twintig", "MeldPeriodeJAAR: not a year"),
        ("Afvalstroomnummer", "AB12", f"Afvalstroomnummer: {ASN_REASON}"),
        ("Afvalstroomnummer", "10422ab-1234", f"Afvalstroomnummer: {ASN_REASON}"),
        ("Afvalstroomnummer", "A0422AB12345", f"Afvalstroomnummer: {ASN_REASON}"),
        ("Aantal_vrachten", "1,5", "Aantal_vrachten: not a whole number >= 0"),
        ("Ontdoener_Postcode", "38111", "Ontdoener_Postcode: not a Dutch postcode (1234AB)"),
    ],
)
def test_bad_values_set_aside(tmp_path: Path, field: str, value: str, reason: str) -> None:
    res = waste(write_csv(tmp_path, [row(**{field: value}), row(MeldPeriodeMAAND="4")]))
    assert res.rejected["reason"].tolist() == [reason]
    assert res.rejected["field"].tolist() == [field]
    assert res.rejected["source_row"].tolist() == [2]
    assert len(res.rows) == 1


def test_foreign_postcode_is_kept(tmp_path: Path) -> None:
    res = waste(write_csv(tmp_path, [row(Ontdoener_Postcode="52062", Ontdoener_Land="DUITSLAND")]))
    assert res.rejected.empty and res.rows["ontdoener_postcode"].iat[0] == "52062"


def test_missing_required_column(tmp_path: Path) -> None:
    cols = [c for c in header() if c != "Gewicht_KG"]
    path = write_csv(tmp_path, [row()], cols=cols)
    with pytest.raises(SourceFileError, match=r"line 1: required column 'Gewicht_KG' missing"):
        waste(path)


def test_header_only_and_empty(tmp_path: Path) -> None:
    res = waste(write_csv(tmp_path, []))
    assert res.rows_in == 0 and res.rows.empty
    empty = tmp_path / "e.csv"
    empty.write_text("   \n")
    with pytest.raises(SourceFileError, match="file is empty"):
        waste(empty)


def test_column_names_case_insensitive_and_extra_columns(tmp_path: Path) -> None:
    cols = [c.upper() for c in header()] + ["ToegestaanbijInzamelaarsregeling"]
    r = {k.upper(): v for k, v in row().items()} | {"ToegestaanbijInzamelaarsregeling": "J"}
    res = waste(write_csv(tmp_path, [r], cols=cols))
    assert res.rows["eural_code"].iat[0] == "020108"


def test_xlsx_extract(tmp_path: Path) -> None:
    path = tmp_path / "ontvangst.xlsx"
    pd.DataFrame([row(), row(Gewicht_KG="x")], columns=header()).to_excel(path, index=False)
    res = waste(path)
    assert len(res.rows) == 1 and res.rejected["reason"].tolist() == ["Gewicht_KG: not a number"]


def test_broken_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "kapot.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(SourceFileError, match=r"^kapot.xlsx: unreadable .xlsx"):
        waste(path)
