"""Export writers: every file present, byte-identical on a second run, no sole-proprietor
name anywhere, `latest` pointing at the newest date, readable xlsx/geojson/html; the CLI."""

from __future__ import annotations

import argparse
import hashlib
import json
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pandas as pd
import pytest
from test_opportunities import MUNICIPALITIES, SOLE_NAME, make_est

from regionomie.commands import opportunities as command
from regionomie.domain.opportunities.demo import demo_kb
from regionomie.exports.publish import update_latest
from regionomie.flow import FlowConfig, run_region
from regionomie.paths import SAMPLE_DIR

EXPECTED = {
    "opportunities.csv",
    "opportunities.parquet",
    "opportunities.xlsx",
    "opportunities_flows.geojson",
    "opportunities_points.geojson",
    "report.html",
    "business_cases.csv",
    "business_case_cards.json",
}


def tables() -> dict[str, pd.DataFrame]:
    rows = [
        {
            "nace_class": "5610",
            "lat": 52.155,
            "lon": 5.387,
            "trade_name": SOLE_NAME,
            "is_sole_proprietor": True,
            "street": "Privestraat",
            "postcode": "3811CD",
        }
    ]
    rows += [{"nace_class": "5610", "lat": 52.150 + i * 0.002, "lon": 5.39} for i in range(5)]
    rows += [
        {"nace_class": "0113", "lat": 52.165, "lon": 5.387, "trade_name": "Zwammerij Eem"},
        {"nace_class": "1105", "lat": 52.18, "lon": 5.29, "municipality_code": "GM0342"},
        {"nace_class": "1091", "lat": 52.19, "lon": 5.30, "municipality_code": "GM0342"},
        {"nace_class": "5610", "lat": 52.70, "lon": 6.19, "municipality_code": "GM0119"},
    ]
    indicators = pd.DataFrame(
        [
            (code, "2024", ind, val)
            for code, ww in (("GM0307", 900.0), ("GM0342", 300.0), ("GM0119", 500.0))
            for ind, val in (("inhabitants", 50_000.0), ("ww_benefits", ww))
        ],
        columns=["region_code", "period", "indicator", "value"],
    )
    return {
        "establishments": make_est(rows),
        "municipalities": MUNICIPALITIES,
        "municipal_indicators": indicators,
    }


def digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    root = tmp_path_factory.mktemp("exports")
    result = run_region(
        "regio-amersfoort", tables(), demo_kb(), "2026-11-28", FlowConfig(exports_root=root)
    )
    return root, result


def test_all_files_written_for_region_only(exported: tuple[Path, object]) -> None:
    root, result = exported
    folder = root / "regio-amersfoort" / "2026-11-28"
    assert EXPECTED <= {p.name for p in folder.iterdir()}
    cand = pd.read_parquet(folder / "opportunities.parquet")
    assert len(cand) == len(result.result.candidates) > 0
    assert "GM0119" not in set(cand["producer_municipality"])  # Meppel is not in the region
    raw = (folder / "opportunities.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Dutch Excel reads 'é' as é
    csv = pd.read_csv(folder / "opportunities.csv", dtype=str, sep=";", encoding="utf-8-sig")
    assert len(csv) == len(cand)  # the ranked top: every candidate of this small region
    # Dutch headers, municipality names beside codes, yes/no, decimal commas
    for header in (
        "Materiaal",
        "Leverancier",
        "Gemeente leverancier",
        "Afstand (km)",
        "Gekoppeld (t/jaar)",
        "Vermeden CO₂e (t/jaar)",
        "Banen (indicatie)",
    ):
        assert header in csv.columns
    shown = csv["Gemeente leverancier"]
    assert set(shown.dropna()) <= {"Amersfoort", "Soest"}
    # empty only where k-anonymity widened a sole proprietor's area to the whole region
    assert shown.isna().sum() == cand["producer_municipality"].isna().sum()
    assert set(csv["Gevaarlijk afval"]) <= {"ja", "nee"}
    assert csv["Afstand (km)"].str.fullmatch(r"\d+(,\d+)?").all()
    for column in ("material_fit", "volume_fit", "distance_km", "social", "novelty", "score"):
        assert column in cand.columns


def test_second_run_is_byte_identical(exported: tuple[Path, object], tmp_path: Path) -> None:
    root, _ = exported
    first = digest(root / "regio-amersfoort" / "2026-11-28")
    run_region(
        "regio-amersfoort", tables(), demo_kb(), "2026-11-28", FlowConfig(exports_root=tmp_path)
    )
    second = digest(tmp_path / "regio-amersfoort" / "2026-11-28")
    assert first == second


def test_sole_proprietor_name_in_no_export_file(exported: tuple[Path, object]) -> None:
    root, _ = exported
    folder = root / "regio-amersfoort" / "2026-11-28"
    needles = (SOLE_NAME, "Privestraat")
    for path in folder.iterdir():
        blobs = [path.read_bytes()]
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as zf:
                blobs += [zf.read(n) for n in zf.namelist()]
        for blob in blobs:
            for needle in needles:
                assert needle.encode("utf-8") not in blob, f"{needle} in {path.name}"
        if path.suffix == ".parquet":
            text = pd.read_parquet(path).to_csv()
            assert all(needle not in text for needle in needles)
    cand = pd.read_parquet(folder / "opportunities.parquet")
    assert "Eenmanszaak (NACE 5610, 3811)" in set(cand["producer_name"]) or any(
        n.startswith("Eenmanszaak (") for n in cand["producer_name"]
    )


def test_xlsx_sheets_and_fixed_dates(exported: tuple[Path, object]) -> None:
    root, _ = exported
    path = root / "regio-amersfoort" / "2026-11-28" / "opportunities.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:6] == [
        "Beste business cases",
        "Beste kandidaten",
        "Wat kan ik met mijn reststroom",
        "Wie in de buurt levert X",
        "Opgaven",
        "Partners",
    ]
    ws = wb["Beste kandidaten"]
    assert ws["A1"].value == "Rang"
    assert ws["A1"].font.b
    assert ws.freeze_panes == "A2"
    assert wb.properties.created.date().isoformat() == "2026-11-28"
    assert wb.properties.modified.date().isoformat() == "2026-11-28"
    with zipfile.ZipFile(path) as zf:
        assert {i.date_time[:3] for i in zf.infolist()} == {(2026, 11, 28)}


def test_geojson_layers_and_html(exported: tuple[Path, object]) -> None:
    root, result = exported
    folder = root / "regio-amersfoort" / "2026-11-28"
    flows = json.loads((folder / "opportunities_flows.geojson").read_text(encoding="utf-8"))
    points = json.loads((folder / "opportunities_points.geojson").read_text(encoding="utf-8"))
    assert {f["geometry"]["type"] for f in flows["features"]} == {"LineString"}
    assert {f["geometry"]["type"] for f in points["features"]} == {"Point"}
    for feature in flows["features"] + points["features"]:
        lon, lat = (
            feature["geometry"]["coordinates"][0]
            if feature["geometry"]["type"] == "LineString"
            else feature["geometry"]["coordinates"]
        )
        assert 3 < lon < 8 and 50 < lat < 54  # lon/lat order (RFC 7946)
    flow = flows["features"][0]["properties"]
    for key in (
        "materiaal",
        "nace_afnemer",
        "sector_afnemer",
        "gemeente_leverancier",
        "ton_per_jaar",
        "gemeten_of_geschat",
        "opbrengst_eur_per_jaar",
        "co2e_ton_per_jaar",
        "banen",
        "score",
    ):
        assert key in flow, key
    assert flow["gemeten_of_geschat"] in {"gemeten (LMA)", "geschat"}
    point = points["features"][0]["properties"]
    for key in ("naam", "rol", "nace", "sector", "gemeente", "gemeentecode"):
        assert key in point, key
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert "<meta name='viewport'" in report and "<html lang='nl'>" in report
    svg = report[report.index("<svg") : report.index("</svg>") + len("</svg>")]
    root_el = ElementTree.fromstring(svg)  # well-formed, opens in any browser
    ns = "{http://www.w3.org/2000/svg}"
    width = float(root_el.get("viewBox").split()[2])
    xs = [float(el.get("x1")) for el in root_el.iter(f"{ns}line")]
    assert xs and all(0 <= x <= width for x in xs)
    assert "Koffiedik → oesterzwammen kweken (Amersfoort)" in report
    without_ns = report.replace("http://www.w3.org/2000/svg", "")
    assert "http://" not in without_ns and "https://" not in without_ns  # nothing from outside
    assert "<link rel='stylesheet'" not in report and "<script src" not in report
    cards = json.loads((folder / "business_case_cards.json").read_text(encoding="utf-8"))
    assert cards["language"] == "nl"
    assert len(result.result.cards) == len(cards["cards"])


def test_latest_points_to_newest_date(tmp_path: Path) -> None:
    run_region(
        "regio-amersfoort", tables(), demo_kb(), "2026-11-28", FlowConfig(exports_root=tmp_path)
    )
    run_region(
        "regio-amersfoort", tables(), demo_kb(), "2026-10-01", FlowConfig(exports_root=tmp_path)
    )
    latest = tmp_path / "regio-amersfoort" / "latest"
    assert latest.resolve().name == "2026-11-28"
    assert (latest / "report.html").exists()


def test_latest_falls_back_to_copy_when_symlinks_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    region_dir = tmp_path / "r"
    (region_dir / "2026-01-02").mkdir(parents=True)
    (region_dir / "2026-01-02" / "a.txt").write_text("x", encoding="utf-8")
    manifest = {"files": {"a.txt": {"bytes": 1, "sha256": ""}}}
    (region_dir / "2026-01-02" / "manifest.json").write_text(json.dumps(manifest), "utf-8")

    def no_symlink(*args: object, **kwargs: object) -> None:
        raise OSError("symlinks not permitted")

    monkeypatch.setattr("os.symlink", no_symlink)
    latest = update_latest(region_dir)
    assert not latest.is_symlink()
    assert (latest / "a.txt").read_text(encoding="utf-8") == "x"
    assert json.loads((region_dir / "latest.json").read_text())["latest"] == "2026-01-02"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    return parser.parse_args(argv)


def _contract_tables(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped sample landed into a scratch state, its staged tables copied to a folder."""
    from regionomie.domain.parsers.landing import land_file
    from regionomie.domain.sources import SOURCE_TABLES
    from regionomie.domain.staging import read_staged

    monkeypatch.setenv("REGIONOMIE_STATE_DIR", str(folder.parent / "state"))
    monkeypatch.setenv("REGIONOMIE_ARCHIVE_DIR", str(folder.parent / "archive"))
    folder.mkdir()
    for source, tables in SOURCE_TABLES.items():
        for path in sorted((SAMPLE_DIR / source).iterdir()):
            if path.name != "README.md":
                land_file(path, source)
        for table in tables:
            read_staged(table).to_parquet(folder / f"{table}.parquet")
    return folder


def test_cli_from_a_tables_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    staged = _contract_tables(tmp_path / "staged", monkeypatch)
    establishments = pd.read_parquet(staged / "establishments.parquet")
    bad = establishments.iloc[[0]].assign(vestigingsnummer="not-a-number")
    pd.concat([establishments, bad], ignore_index=True).to_parquet(
        staged / "establishments.parquet"
    )
    args = parse(
        [
            "opportunities",
            "--region",
            "regio-amersfoort",
            "--date",
            "2026-11-28",
            "--tables-dir",
            str(staged),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert args.func(args) == 0  # uses the shipped knowledge base (data/knowledge)
    output = capsys.readouterr()
    assert "regio-amersfoort 2026-11-28" in output.out
    n = len(establishments)
    # validated as the pipeline validates: the bad row is quarantined, none is lost
    assert f"establishments: {n + 1} in, {n} valid, 1 quarantined" in output.err
    folder = tmp_path / "out" / "regio-amersfoort" / "latest"
    cand = pd.read_parquet(folder / "opportunities.parquet")
    coffee = cand[cand["producer_nace"].isin(["5610", "5630"]) & cand["receiver_nace"].eq("0113")]
    assert not coffee.empty  # restaurants' coffee grounds -> mushroom grower, real KB


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = parse(["opportunities", "--region", "regio-nergens"])
    assert args.func(args) == 2
    err = capsys.readouterr().err.strip()
    assert "regio-nergens" in err and "\n" not in err
    args = parse(["opportunities", "--region", "regio-meppel", "--tables-dir", str(tmp_path)])
    assert args.func(args) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]  # after one line per table checked
    assert last.startswith("error: ") and str(tmp_path) in last and "not_empty" in last
    args = parse(["opportunities", "--region", "regio-meppel", "--date", "28-11-2026"])
    assert args.func(args) == 2


def test_empty_region_still_writes_every_file(tmp_path: Path) -> None:
    from regionomie.domain.schemas import ESTABLISHMENTS

    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in ESTABLISHMENTS.columns})
    result = run_region(
        "regio-meppel",
        {"establishments": empty},
        demo_kb(),
        "2026-11-28",
        FlowConfig(exports_root=tmp_path),
    )
    assert len(result.result.candidates) == 0
    folder = tmp_path / "regio-meppel" / "2026-11-28"
    assert EXPECTED <= {p.name for p in folder.iterdir()}
    assert "Geen business cases" in (folder / "report.html").read_text(encoding="utf-8")


def test_xlsx_keeps_numbers_numeric(exported: tuple[Path, object]) -> None:
    root, _ = exported
    wb = openpyxl.load_workbook(root / "regio-amersfoort" / "2026-11-28" / "opportunities.xlsx")
    ws = wb["Beste business cases"]
    header = [c.value for c in ws[1]]
    row = [c for c in ws[2]]
    cells = dict(zip(header, row, strict=True))
    assert isinstance(cells["Rang"].value, int)
    assert isinstance(cells["Leveranciers"].value, int)
    assert isinstance(cells["Score"].value, float) and cells["Score"].number_format == "0%"
    assert cells["Opbrengst (€/jaar)"].number_format == "€ #,##0"
    assert cells["Start-up nodig"].value in {"ja", "nee"}


def test_report_lists_cascades(exported: tuple[Path, object]) -> None:
    root, result = exported
    report = (root / "regio-amersfoort" / "2026-11-28" / "report.html").read_text(encoding="utf-8")
    assert "Ketens (cascades)" in report
    chains = result.result.cascades  # type: ignore[attr-defined]
    assert len(chains) > 0  # coffee -> mushrooms -> spent substrate -> soil in the fixture
    assert str(chains.iloc[0]["chain"]).replace(" => ", " → ").replace(" -> ", " → ") in report


def test_readers_get_the_ranked_top_tools_get_everything(tmp_path: Path) -> None:
    """CSV/XLSX/GeoJSON carry the top per case and per municipality; Parquet every candidate;
    the report footer states the files' sizes."""
    from regionomie.exports.writers import ranked_top, write_exports

    n = 400
    candidates = pd.DataFrame(
        {
            "candidate_id": [f"p{i:04d}|P|r{i % 7}" for i in range(n)],
            "producer_id": [f"p{i:04d}" for i in range(n)],
            "producer_name": [f"Bedrijf {i}" for i in range(n)],
            "receiver_id": [f"r{i % 7}" for i in range(n)],
            "receiver_name": [f"Afnemer {i % 7}" for i in range(n)],
            "producer_municipality": ["GM0307" if i % 2 else "GM0308" for i in range(n)],
            "case_id": ["case-a" if i % 3 == 0 else None for i in range(n)],
            "score": [1.0 - i / n for i in range(n)],
            "material_fit": [0.5] * n,
            "producer_lat": [52.15] * n,
            "producer_lon": [5.38] * n,
            "receiver_lat": [52.16] * n,
            "receiver_lon": [5.39] * n,
        }
    )
    from regionomie.domain.opportunities.candidates import CANDIDATE_COLUMNS

    for column in CANDIDATE_COLUMNS:
        if column not in candidates:
            candidates[column] = 1.0 if column.endswith(("_tonnes", "_km", "_eur")) else "x"
    candidates["receiver_kind"] = "establishment"
    top = ranked_top(candidates, top_per_case=10, top_per_municipality=20)
    assert len(top) == len(set(top["candidate_id"]))
    assert (top["producer_municipality"].value_counts() >= 20).all()
    assert len(top) <= 10 + 2 * 20
    assert top["score"].is_monotonic_decreasing
    assert candidates.head(20)["candidate_id"].isin(top["candidate_id"]).all()
    est = make_est([{"nace_class": "5610", "lat": 52.15, "lon": 5.38}])
    paths = write_exports(
        "regio-amersfoort",
        candidates,
        pd.DataFrame(),
        [],
        pd.DataFrame(),
        est,
        out_root=tmp_path,
        date="2026-11-28",
        top_per_case=10,
        top_per_municipality=20,
    )
    folder = paths["csv"].parent
    assert len(pd.read_csv(folder / "opportunities.csv", sep=";")) == len(top)
    assert len(pd.read_parquet(folder / "opportunities.parquet")) == n
    report = (folder / "report.html").read_text(encoding="utf-8")
    for name in ("opportunities.csv", "opportunities.parquet", "opportunities.xlsx"):
        assert f"<li>{name}: " in report
    assert "400 mogelijke uitwisselingen" in report


def test_region_without_coordinates_sets_everything_aside_with_a_reason(tmp_path: Path) -> None:
    rows = [{"nace_class": "5610", "lat": None, "lon": None} for _ in range(30)]
    rows += [{"nace_class": "0113", "lat": None, "lon": None}]
    done = run_region(
        "regio-amersfoort",
        {"establishments": make_est(rows), "municipalities": MUNICIPALITIES},
        demo_kb(),
        "2026-11-28",
        FlowConfig(exports_root=tmp_path),
    )
    result = done.result
    assert len(result.candidates) == 0
    assert len(result.set_aside) == len(result.supply) > 0  # nothing placed, nothing lost
    assert result.set_aside["reason"].str.contains("coordinates").all()
    folder = tmp_path / "regio-amersfoort" / "2026-11-28"
    assert EXPECTED <= {p.name for p in folder.iterdir()}
    assert sum(p.stat().st_size for p in folder.iterdir()) < 200_000


def test_a_100000_tonne_producer_stays_bounded(tmp_path: Path) -> None:
    """One producer reporting 100,000 t of one stream: its candidates stay within the bounds
    and the reader files within their top-N, whatever the tonnage."""
    from test_opportunities import waste_tables

    records, links = waste_tables()
    records["weight_kg"] = 50_000_000.0  # two months: 100,000 t in 2024
    cafe = {"nace_class": "5610", "lat": 52.155, "lon": 5.387}
    growers = [{"nace_class": "0113", "lat": 52.16, "lon": 5.38 + i * 1e-3} for i in range(200)]
    config = FlowConfig(exports_root=tmp_path, top_per_case=5, top_per_municipality=10)
    done = run_region(
        "regio-amersfoort",
        {
            "establishments": make_est([cafe, *growers]),
            "waste_records": records,
            "waste_party_links": links,
            "municipalities": MUNICIPALITIES,
        },
        demo_kb(),
        "2026-11-28",
        config,
    )
    cand = done.result.candidates
    big = cand[cand["producer_id"].eq("000000000001") & cand["material_id"].eq("koffiedik")]
    assert done.result.supply["tonnes_per_year"].max() == pytest.approx(100_000.0)
    bound = config.scoring.receivers_per_producer_material
    assert 0 < (big["receiver_kind"] == "establishment").sum() <= bound
    assert (big["receiver_kind"] == "sector").sum() <= 1
    assert big["matched_tonnes"].sum() <= 100_000.0 + 1e-6
    csv_rows = pd.read_csv(done.paths["csv"], sep=";", encoding="utf-8-sig")
    assert len(csv_rows) <= len(done.result.cases) * 5 + 10 * len(MUNICIPALITIES)


def test_dutch_report_shows_no_english_catalogue_text(exported: tuple[Path, object]) -> None:
    """Every text the Dutch catalogue translates appears in Dutch: none of the English source
    sentences or headers of the catalogue is in the report's visible text."""
    from lxml import html

    from regionomie.i18n.catalogue import load

    root, _ = exported
    tree = html.fromstring((root / "regio-amersfoort" / "2026-11-28" / "report.html").read_bytes())
    for node in tree.xpath("//script|//style"):
        node.drop_tree()
    visible = " ".join(tree.text_content().split())
    english = [
        m.id
        for m in load("nl")
        if isinstance(m.id, str) and " " in m.id and "{" not in m.id and m.string != m.id
    ]
    assert len(english) > 50
    assert [text for text in english if text in visible] == []


def test_english_variant_of_every_reader_file(tmp_path: Path) -> None:
    """--lang en: English sheets, headers, CSV with commas, report and cards in English."""
    run_region(
        "regio-amersfoort",
        tables(),
        demo_kb(),
        "2026-11-28",
        FlowConfig(exports_root=tmp_path, lang="en"),
    )
    folder = tmp_path / "regio-amersfoort" / "2026-11-28"
    wb = openpyxl.load_workbook(folder / "opportunities.xlsx", read_only=True)
    assert wb.sheetnames[:4] == [
        "Top business cases",
        "Top candidates",
        "What can I do with my waste",
        "Who nearby supplies X",
    ]
    csv = pd.read_csv(folder / "opportunities.csv", encoding="utf-8-sig")
    assert {"Material", "Supplier", "Distance (km)", "Hazardous waste"} <= set(csv.columns)
    assert set(csv["Hazardous waste"]) <= {"yes", "no"}
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert "<html lang='en'>" in report and "Top business cases" in report
    assert "Beste business cases" not in report
    cards = json.loads((folder / "business_case_cards.json").read_text(encoding="utf-8"))
    assert cards["language"] == "en"
