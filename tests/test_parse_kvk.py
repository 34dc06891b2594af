"""KvK parsers: API JSON shapes, our establishments CSV, the open-data bulk CSV; bad input."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from regionomie.domain.parsers import parse_file
from regionomie.domain.parsers.common import parse_kvk_date
from regionomie.domain.results import ParseResult, SourceFileError
from regionomie.domain.schemas import ESTABLISHMENTS, ORGANISATIONS, PROVENANCE_COLUMNS

FIX = Path(__file__).parent / "fixtures" / "files" / "kvk"
HEADER = (
    "vestigingsnummer;kvk_nummer;trade_name;legal_form;is_main;sbi_main;sbi_version;sbi_other;"
    "street;house_number;house_number_addition;postcode;city;municipality_code;lat;lon;"
    "employees;start_date;end_date;active"
)
GOOD_ROWS = [
    "000012345678;12345678;Restaurant De Eem;Besloten Vennootschap;Ja;56101;2008;5630;"
    "Kerkstraat;12;A;3811 ab;Amersfoort;GM0307;52,1561;5,3878;14;20150600;;Ja",
    "12345679;12345678;Restaurant De Eem Noord;Besloten Vennootschap;Nee;56.10.1;;;"
    "Stationsweg;3;;3812AA;Amersfoort;GM0307;52.16;5.39;;20150000;20200101;",
    "000012345680;87654321;Jan Jansen;Eenmanszaak;Ja;01133;2025;;Dorpsstraat;7;;3931AB;"
    "Woudenberg;GM0351;52.08;5.41;1;2019-03-04;;Ja",
]


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def balanced(res: ParseResult) -> None:
    assert res.rows_in == len(res.rows) + len(res.rejected)


def parse_csv(tmp_path: Path, rows: list[str], **kw: object) -> dict[str, ParseResult]:
    path = write(tmp_path, "est.csv", "\n".join([HEADER, *rows]) + "\n")
    return parse_file(path, "kvk", retrieved_at="2025-06-01T00:00:00Z", **kw)  # type: ignore[arg-type]


def reasons(res: ParseResult) -> list[str]:
    return list(res.rejected["reason"])


# ----------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("raw", "iso", "precision"),
    [
        ("20150612", "2015-06-12", "day"),
        ("20150600", "2015-06-01", "month"),
        ("20150000", "2015-01-01", "year"),
        ("2015-06-12", "2015-06-12", "day"),
        ("00000000", None, "unknown"),  # KvK's "date unknown": kept, not an error
        ("", None, None),
    ],
)
def test_kvk_dates_with_zeroed_parts(raw: str, iso: str | None, precision: str | None) -> None:
    assert parse_kvk_date(raw) == (iso, precision)


@pytest.mark.parametrize("raw", ["20151332", "2015061", "00001231", "abc"])
def test_kvk_date_garbage_raises(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_kvk_date(raw)


# ----------------------------------------------------------------------------- CSV


def test_establishments_csv_good_rows(tmp_path: Path) -> None:
    res = parse_csv(tmp_path, GOOD_ROWS)
    est = res["establishments"]
    balanced(est)
    assert est.rows_in == 3 and est.rejected.empty
    rows = est.rows.set_index("vestigingsnummer")
    assert list(est.rows.columns) == list(ESTABLISHMENTS.all_columns)
    first = rows.loc["000012345678"]
    assert first["postcode"] == "3811AB"
    assert first["lat"] == pytest.approx(52.1561) and first["lon"] == pytest.approx(5.3878)
    assert first["start_date"] == "2015-06-01"
    assert first["nace_class"] == "5610" and bool(first["sbi_mapped"])
    assert first["sbi_other"] == "5630"
    assert first["house_number_addition"] == "A"
    second = rows.loc["000012345679"]  # leading zeros restored, dotted SBI, zeroed month
    assert second["sbi_main"] == "56101" and second["sbi_version"] == "2008"
    assert second["start_date"] == "2015-01-01" and second["end_date"] == "2020-01-01"
    assert not bool(second["active"])  # empty 'active' with an end date
    assert pd.isna(second["employees"])
    third = rows.loc["000012345680"]
    assert bool(third["is_sole_proprietor"]) and third["sbi_version"] == "2025"
    assert third["nace_class"] == "0113"
    assert set(est.rows["source"]) == {"kvk-file"}
    assert list(est.rows["source_row"]) == [2, 3, 4]
    orgs = res["organisations"]
    balanced(orgs)
    assert list(orgs.rows.columns) == list(ORGANISATIONS.all_columns)
    org = orgs.rows.set_index("kvk_nummer").loc["12345678"]
    assert org["name"] == "Restaurant De Eem"  # the main establishment names the organisation
    assert org["employees"] == 14 and bool(org["active"])


def test_provenance_columns_filled(tmp_path: Path) -> None:
    est = parse_csv(tmp_path, GOOD_ROWS)["establishments"].rows
    for col in PROVENANCE_COLUMNS:
        assert est[col].notna().all(), col
    import hashlib

    digest = hashlib.sha256((tmp_path / "est.csv").read_bytes()).hexdigest()
    assert set(est["content_hash"]) == {digest}
    assert set(est["retrieved_at"]) == {"2025-06-01T00:00:00Z"}


def test_sbi_version_decided_per_code_when_column_empty(tmp_path: Path) -> None:
    row = GOOD_ROWS[2].replace(";2025;", ";;")
    old = parse_csv(tmp_path, [row])["establishments"].rows  # retrieved 2025-06-01
    assert old["sbi_version"].iat[0] == "2008"
    path = tmp_path / "est.csv"
    new = parse_file(path, "kvk", retrieved_at="2025-10-01T00:00:00Z")["establishments"].rows
    assert new["sbi_version"].iat[0] == "2025"  # 01133 exists in both: the date decides


def test_bom_comma_and_quoted_delimiters(tmp_path: Path) -> None:
    header = HEADER.replace(";", ",")
    row = (
        '000000000001,00000001,"Bakkerij ""De Eem"", Soest",Besloten Vennootschap,Ja,1071,2008,,'
        "Kerkstraat,1,,3761AA,Soest,GM0342,52.17,5.29,3,20000101,,Ja"
    )
    path = write(tmp_path, "bom.csv", "\ufeff" + header + "\r\n" + row + "\r\n")
    est = parse_file(path, "kvk")["establishments"]
    balanced(est)
    assert est.rows["trade_name"].iat[0] == 'Bakkerij "De Eem", Soest'
    assert est.rows["vestigingsnummer"].iat[0] == "000000000001"


def test_cp1252_file(tmp_path: Path) -> None:
    row = GOOD_ROWS[0].replace("Restaurant De Eem", "Café Één")
    path = write(tmp_path, "cp.csv", HEADER + "\n" + row + "\n", encoding="cp1252")
    est = parse_file(path, "kvk")["establishments"]
    assert est.rows["trade_name"].iat[0] == "Café Één"


def test_header_only_is_usable_and_empty(tmp_path: Path) -> None:
    res = parse_csv(tmp_path, [])
    assert res["establishments"].rows_in == 0 and res["establishments"].rows.empty
    assert res["organisations"].rows.empty


def test_empty_file_is_unusable(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.csv", "")
    with pytest.raises(SourceFileError, match=r"^empty.csv: file is empty$"):
        parse_file(path, "kvk")


def test_missing_required_column(tmp_path: Path) -> None:
    path = write(tmp_path, "nokvk.csv", "vestigingsnummer;trade_name\n000000000001;X\n")
    with pytest.raises(SourceFileError, match=r"nokvk.csv: line 1: required column 'kvk_nummer'"):
        parse_file(path, "kvk")


def test_missing_optional_and_extra_columns(tmp_path: Path) -> None:
    text = "kvk_nummer;vestigingsnummer;colour\n12345678;000000000009;blue\n"
    est = parse_file(write(tmp_path, "min.csv", text), "kvk")["establishments"]
    balanced(est)
    assert len(est.rows) == 1
    assert est.rows["postcode"].iat[0] is None and "colour" not in est.rows.columns


def test_truncated_csv_is_unusable(tmp_path: Path) -> None:
    text = HEADER + "\n" + GOOD_ROWS[0] + '\n000000000002;12345678;"Restaurant De Ee'
    with pytest.raises(SourceFileError, match=r"trunc.csv: .*quoted field \(truncated\?\)"):
        parse_file(write(tmp_path, "trunc.csv", text), "kvk")


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("vestigingsnummer", "ABC", "vestigingsnummer: not a 12-digit number"),
        ("vestigingsnummer", "", "vestigingsnummer: missing"),
        ("kvk_nummer", "123456789", "kvk_nummer: not an 8-digit number"),
        ("postcode", "12345", "postcode: not a Dutch postcode (1234AB)"),
        ("house_number", "twaalf", "house_number: not a number"),
        ("lat", "52,1x", "lat: not a number"),
        ("lat", "48.5", "lat: outside the Netherlands"),
        ("employees", "-3", "employees: not a whole number >= 0"),
        ("employees", "lots", "employees: not a number"),
        ("start_date", "20151332", "start_date: not a date (YYYYMMDD or YYYY-MM-DD)"),
        ("end_date", "20100101", "end_date: before start_date"),
        ("sbi_main", "ab.cd", "sbi_main: not an SBI code"),
        ("sbi_version", "2015", "sbi_version: not 2008 or 2025"),
        ("municipality_code", "GM9999", "municipality_code: unknown code"),
        ("is_main", "misschien", "is_main: not Ja/Nee"),
    ],
)
def test_bad_field_sets_row_aside_with_reason(
    tmp_path: Path, column: str, value: str, reason: str
) -> None:
    cols = HEADER.split(";")
    fields = GOOD_ROWS[0].split(";")
    fields[cols.index(column)] = value
    res = parse_csv(tmp_path, [";".join(fields), GOOD_ROWS[1]])
    est = res["establishments"]
    balanced(est)
    assert reasons(est) == [reason]
    assert est.rejected["source_row"].tolist() == [2]
    assert est.rejected["field"].tolist() == [column]
    assert est.rows["vestigingsnummer"].tolist() == ["000012345679"]


def test_row_with_extra_fields_set_aside(tmp_path: Path) -> None:
    res = parse_csv(tmp_path, [GOOD_ROWS[0] + ";surplus", GOOD_ROWS[1]])
    est = res["establishments"]
    balanced(est)
    assert reasons(est) == ["row: expected 20 fields, saw 21"]
    assert est.rejected["source_row"].tolist() == [2]
    assert est.rows["source_row"].tolist() == [3]


def test_duplicate_vestigingsnummer(tmp_path: Path) -> None:
    est = parse_csv(tmp_path, [GOOD_ROWS[0], GOOD_ROWS[0]])["establishments"]
    balanced(est)
    assert reasons(est) == ["vestigingsnummer: duplicate in file"]
    assert est.rejected["source_row"].tolist() == [3]


def test_sole_proprietor_name_never_in_rejects_or_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    row = GOOD_ROWS[2].replace("3931AB", "XXXX")
    with caplog.at_level(logging.DEBUG):
        est = parse_csv(tmp_path, [row])["establishments"]
    assert reasons(est) == ["postcode: not a Dutch postcode (1234AB)"]
    text = est.rejected.to_csv() + caplog.text
    assert "Jan Jansen" not in text


# ----------------------------------------------------------------------------- API JSON


def test_vestigingsprofiel_with_geodata() -> None:
    res = parse_file(FIX / "vestigingsprofiel_geo.json", "kvk", retrieved_at="2024-05-01T00:00Z")
    est = res["establishments"]
    balanced(est)
    row = est.rows.iloc[0]
    assert row["vestigingsnummer"] == "000037178598" and row["kvk_nummer"] == "68750110"
    assert row["postcode"] == "8823SJ" and row["house_number"] == "3"  # bezoekadres, not Postbus
    assert row["house_number_addition"] == "A"
    assert row["lat"] == pytest.approx(53.1657) and row["lon"] == pytest.approx(5.5243)
    assert row["sbi_main"] == "01241" and row["sbi_other"] == "4711"
    assert row["sbi_version"] == "2008" and row["nace_class"] == "0124"
    assert row["start_date"] == "2014-02-01"
    assert row["employees"] == 4 and bool(row["is_main"])
    assert not bool(row["is_sole_proprietor"])  # has an RSIN: a legal entity
    assert row["source"] == "kvk-api" and res["organisations"].rows_in == 0


def test_basisprofiel_eenmanszaak() -> None:
    res = parse_file(FIX / "basisprofiel_eenmanszaak.json", "kvk", retrieved_at="2024-05-01Z")
    org = res["organisations"].rows.iloc[0]
    assert org["kvk_nummer"] == "69599084" and org["legal_form"] == "Eenmanszaak"
    assert bool(org["is_sole_proprietor"])
    assert org["registration_date"] == "2017-01-01"  # 20170000
    assert org["sbi_main"] == "1011"
    est = res["establishments"].rows.iloc[0]
    assert est["vestigingsnummer"] == "000038509504" and bool(est["is_sole_proprietor"])
    assert est["sbi_main"] == "1011"  # from the organisation when the vestiging has none


def test_zoeken_results_and_bad_result() -> None:
    res = parse_file(FIX / "zoeken_v2.json", "kvk", retrieved_at="2024-05-01T00:00:00Z")
    est = res["establishments"]
    balanced(est)
    assert est.rows["vestigingsnummer"].tolist() == ["000037178598"]
    assert est.rows["house_number_addition"].iat[0] == "A"
    assert reasons(est) == ["kvkNummer: not an 8-digit number"]
    assert res["organisations"].rows["kvk_nummer"].tolist() == ["68750110"]


def test_jsonl_mixed_profiles_dedupe_and_truncated_last_line(tmp_path: Path) -> None:
    basis = (FIX / "basisprofiel_eenmanszaak.json").read_text().replace("\n", " ")
    vest = (
        '{"vestigingsnummer": "000038509504", "kvkNummer": "69599084", '
        '"eersteHandelsnaam": "Test EMZ Dagobert", "totaalWerkzamePersonen": 1, '
        '"adressen": [{"type": "bezoekadres", "straatnaam": "Abebe Bikilalaan", "huisnummer": 17,'
        ' "postcode": "1034WL", "plaats": "Amsterdam", "geoData": {"gpsLatitude": 52.35, '
        '"gpsLongitude": 4.86}}]}'
    )
    path = write(tmp_path, "kvk_amersfoort_20251001T120000.jsonl", f'{basis}\n{vest}\n{{"vestig')
    res = parse_file(path, "kvk")
    est = res["establishments"]
    balanced(est)
    assert est.rows_in == 3
    assert len(est.rows) == 1
    kept = est.rows.iloc[0]
    assert kept["lat"] == pytest.approx(52.35) and kept["source_row"] == 2
    assert bool(kept["is_sole_proprietor"])  # legal form from the Basisprofiel in the file
    assert sorted(reasons(est)) == sorted(
        [
            "vestigingsnummer: duplicate in file; record 2 kept",
            "record: invalid JSON (Unterminated string starting at)",
        ]
    )
    assert kept["retrieved_at"] == "2025-10-01T12:00:00Z"  # from the landing file name stamp


def test_html_error_page_as_json(tmp_path: Path) -> None:
    path = write(tmp_path, "resp.json", "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>")
    with pytest.raises(SourceFileError, match=r"^resp.json: file is an HTML/XML page"):
        parse_file(path, "kvk")


def test_truncated_json_document(tmp_path: Path) -> None:
    text = (FIX / "vestigingsprofiel_geo.json").read_text()[:300]
    with pytest.raises(SourceFileError, match=r"^cut.json: line \d+: invalid/truncated JSON"):
        parse_file(write(tmp_path, "cut.json", text), "kvk")


# ----------------------------------------------------------------------------- bulk


def test_open_data_bulk_to_sector_density(tmp_path: Path) -> None:
    header = (
        '"Datum aanvang";"Actief";"Insolventie";"Rechtsvorm";"Postcode regio";'
        '"SBI activiteiten";"Hoofdactiviteiten";"Lidstaat"'
    )
    rows = [
        '"20150601";"Ja";"Nee";"Besloten Vennootschap";"38";"5610, 5630";"5610";"NL"',
        '"20160101";"Ja";"Nee";"Besloten Vennootschap";"38";"5610";"5610";"NL"',
        '"20170101";"Nee";"Nee";"Naamloze Vennootschap";"39";"1105";"1105";"NL"',
        '"20170101";"Ja";"Nee";"Besloten Vennootschap";"3";"1105";"1105";"NL"',
        '"20170101";"Ja";"Nee";"Besloten Vennootschap";"38";"";"";"NL"',
    ]
    path = write(tmp_path, "kvk-open-data.csv", "\n".join([header, *rows]) + "\n")
    res = parse_file(path, "kvk", retrieved_at="2025-01-01T00:00:00Z")["sector_density"]
    balanced(res)
    dens = res.rows.set_index(["postcode_region", "sbi_code", "active"])
    assert dens.loc[("38", "5610", True), "count"] == 2
    assert dens.loc[("38", "5610", True), "nace_class"] == "5610"
    assert dens.loc[("39", "1105", False), "count"] == 1
    assert int(res.rows["count"].sum()) + len(res.rejected) == len(rows)
    assert sorted(reasons(res)) == [
        "Hoofdactiviteiten: no SBI code",
        "Postcode regio: not a 2-digit region",
    ]


# ----------------------------------------------------------------------------- odd files


def test_utf16_tab_separated_excel_export(tmp_path: Path) -> None:
    text = "vestigingsnummer\tkvk_nummer\tpostcode\n000000000001\t12345678\t3811 ab\n"
    path = write(tmp_path, "unicode.csv", text, encoding="utf-16")
    est = parse_file(path, "kvk")["establishments"]
    assert est.rows["postcode"].tolist() == ["3811AB"]


def test_zip_and_binary_files_are_unusable(tmp_path: Path) -> None:
    z = tmp_path / "kvk-open-data.csv"
    z.write_bytes(b"PK\x03\x04\x14\x00rest-of-zip")
    with pytest.raises(SourceFileError, match=r"zip archive; unzip it"):
        parse_file(z, "kvk")
    b = tmp_path / "blob.csv"
    b.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(SourceFileError, match=r"^blob.csv: binary file, not text data$"):
        parse_file(b, "kvk")


@pytest.mark.parametrize("text", ['{"format": "cbs-odata-v3", "rows": []}', "[1, 2]", "null"])
def test_json_that_is_not_kvk_is_unusable(tmp_path: Path, text: str) -> None:
    with pytest.raises(SourceFileError, match=r"no KvK profile or search result"):
        parse_file(write(tmp_path, "other.json", text), "kvk")


def test_empty_search_page_is_valid_and_empty(tmp_path: Path) -> None:
    path = write(tmp_path, "zoeken.json", '{"pagina": 1, "totaal": 0, "resultaten": []}')
    res = parse_file(path, "kvk")
    assert res["establishments"].rows_in == 0 and res["establishments"].rows.empty


@pytest.mark.parametrize(
    ("patch", "reason"),
    [
        ({"totaalWerkzamePersonen": "veel"}, "totaalWerkzamePersonen: not a number"),
        ({"totaalWerkzamePersonen": -2}, "totaalWerkzamePersonen: not a whole number >= 0"),
        ({"materieleRegistratie": "gisteren"}, "record: unexpected JSON structure"),
        (
            {"materieleRegistratie": {"datumAanvang": "2014"}},
            "materieleRegistratie.datumAanvang: not a KvK date",
        ),
        ({"vestigingsnummer": "37178598"}, "vestigingsnummer: not a 12-digit number"),
    ],
)
def test_bad_profile_fields_set_aside(tmp_path: Path, patch: dict, reason: str) -> None:
    import json

    good = json.loads((FIX / "vestigingsprofiel_geo.json").read_text())
    bad = {**good, **patch}
    good["vestigingsnummer"] = "000000000077"
    res = parse_file(write(tmp_path, "p.json", json.dumps([bad, good])), "kvk")["establishments"]
    balanced(res)
    assert reasons(res) == [reason]
    assert res.rejected["source_row"].tolist() == [1]
    assert res.rows["vestigingsnummer"].tolist() == ["000000000077"]


def test_bad_geodata_latitude(tmp_path: Path) -> None:
    import json

    doc = json.loads((FIX / "vestigingsprofiel_geo.json").read_text())
    doc["adressen"][1]["geoData"]["gpsLatitude"] = "noord"
    res = parse_file(write(tmp_path, "g.json", json.dumps(doc)), "kvk")["establishments"]
    assert reasons(res) == ["geoData.gpsLatitude: not a number"]


def test_blank_lines_keep_line_numbers(tmp_path: Path) -> None:
    bad = GOOD_ROWS[1].replace("3812AA", "X")
    res = parse_csv(tmp_path, [GOOD_ROWS[0], "", ";;;", bad, "", GOOD_ROWS[2], ""])
    est = res["establishments"]
    balanced(est)
    assert est.rows_in == 3
    assert est.rows["source_row"].tolist() == [2, 7]
    assert est.rejected["source_row"].tolist() == [5]


def test_headerless_file_error_does_not_echo_the_first_row(tmp_path: Path) -> None:
    path = write(tmp_path, "noheader.csv", GOOD_ROWS[2] + "\n" + GOOD_ROWS[0] + "\n")
    with pytest.raises(SourceFileError) as err:
        parse_file(path, "kvk")
    assert "required column 'vestigingsnummer' missing" in str(err.value)
    assert "Jan Jansen" not in str(err.value) and "\n" not in str(err.value)
