"""CBS OData v3/v4 bundles and PDOK GeoJSON -> municipal tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from regionomie.domain.parsers import parse_file
from regionomie.domain.parsers.municipal import indicator_for_key, polygon_centroid
from regionomie.domain.results import ParseResult, SourceFileError
from regionomie.domain.schemas import MUNICIPAL_INDICATORS, MUNICIPALITIES


def topic(key: str, unit: str = "aantal", dtype: str = "Long", parent: int | None = None) -> dict:
    return {
        "Type": "Topic",
        "Key": key,
        "Title": key,
        "Unit": unit,
        "Datatype": dtype,
        "ID": abs(hash(key)) % 10000,
        "ParentID": parent,
    }


def kerncijfers(ww_key: str, table: str = "85984NED") -> dict[str, Any]:
    props = [
        {"Type": "GeoDimension", "Key": "WijkenEnBuurten", "ID": 0},
        topic("Gemeentenaam_1", "", "String"),
        topic("AantalInwoners_5"),
        topic("k_65JaarOfOuder_12"),
        topic(ww_key),
        topic("PersonenPerSoortUitkeringAOW_90"),
        topic("GemiddeldInkomenPerInwoner_78", "x 1 000 euro", "Double"),
    ]
    rows = [
        {
            "ID": 0,
            "WijkenEnBuurten": "GM0307    ",
            "Gemeentenaam_1": "Amersfoort     ",
            "AantalInwoners_5": 160000,
            "k_65JaarOfOuder_12": 24000,
            ww_key: 1900,
            "PersonenPerSoortUitkeringAOW_90": 23000,
            "GemiddeldInkomenPerInwoner_78": 33.1,
        },
        {
            "ID": 1,
            "WijkenEnBuurten": "BU03070101",
            "Gemeentenaam_1": "Amersfoort     ",
            "AantalInwoners_5": 1200,
            "k_65JaarOfOuder_12": None,
            ww_key: "12a",
            "PersonenPerSoortUitkeringAOW_90": 200,
            "GemiddeldInkomenPerInwoner_78": None,
        },
        {"ID": 2, "WijkenEnBuurten": "          ", "AantalInwoners_5": 5},
    ]
    return {
        "format": "cbs-odata-v3",
        "table_id": table,
        "base_url": "https://x",
        "retrieved_at": "2025-03-01T10:00:00Z",
        "data_properties": props,
        "rows": rows,
    }


def dump(tmp_path: Path, name: str, doc: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def ind(path: Path) -> ParseResult:
    res = parse_file(path, "municipal")["municipal_indicators"]
    assert res.rows_in == len(res.rows) + len(res.rejected)
    return res


@pytest.mark.parametrize(
    ("key", "table"),
    [
        ("PersonenPerSoortUitkeringWW_89", "85984NED"),
        ("PersonenPerSoortUitkeringWW_85", "85618NED"),
    ],
)
def test_v3_kerncijfers_fields_resolved_by_prefix(tmp_path: Path, key: str, table: str) -> None:
    res = ind(dump(tmp_path, "k.json", kerncijfers(key, table)))
    rows = res.rows
    assert list(rows.columns) == list(MUNICIPAL_INDICATORS.all_columns)
    gm = rows[rows["region_code"] == "GM0307"].set_index("indicator")
    assert gm.loc["ww_benefits", "value"] == 1900
    assert gm.loc["aow_benefits", "value"] == 23000  # AOW is not AO: whole base names
    assert gm.loc["inhabitants", "region_type"] == "Gemeente"
    assert gm.loc["inhabitants", "region_name"] == "Amersfoort"
    assert gm.loc["avg_income_per_inhabitant", "unit"] == "x 1 000 euro"
    assert gm.loc["age_65_plus_share", "value"] == pytest.approx(100 * 24000 / 160000)
    assert set(rows["period"]) == {"2024" if table == "85984NED" else "2023"}
    bu = rows[rows["region_code"] == "BU03070101"].set_index("indicator")
    assert bu.loc["inhabitants", "municipality_code"] == "GM0307"
    assert bu.loc["inhabitants", "region_type"] == "Buurt"
    assert bu["value"].isna().sum() == 2  # CBS nulls kept as missing values
    assert set(rows["retrieved_at"]) == {"2025-03-01T10:00:00Z"}  # from the bundle
    assert sorted(res.rejected["reason"]) == [
        f"{key}: not a number",
        "WijkenEnBuurten: missing region code",
    ]


def test_v3_waste_table_categories_units_and_periods(tmp_path: Path) -> None:
    """83452NED: one measure (kg per inwoner) split by the Afvalsoort dimension."""
    props = [
        {"Type": "Dimension", "Key": "Afvalsoort", "ID": 0},
        {"Type": "GeoDimension", "Key": "RegioS", "ID": 1},
        {"Type": "TimeDimension", "Key": "Perioden", "ID": 2},
        topic("HoeveelheidHuishoudelijkAfval_1", "kg per inwoner", "Double"),
    ]
    rows = [
        {
            "Afvalsoort": kind,
            "RegioS": "GM0308",
            "Perioden": "2023JJ00",
            "HoeveelheidHuishoudelijkAfval_1": value,
        }
        for kind, value in (("T001154", 448.0), ("A025454", 120.5), ("X1", 3.0))
    ]
    rows.append({"Afvalsoort": "", "RegioS": "GM0308", "Perioden": "2023JJ00"})
    titles = [
        {"Key": "T001154", "Title": "Totaal huishoudelijk afval"},
        {"Key": "A025454", "Title": "GFT-afval"},
        {"Key": "X1", "Title": "Luiers"},
    ]
    doc = {
        "format": "cbs-odata-v3",
        "table_id": "83452NED",
        "data_properties": props,
        "dimensions": {"Afvalsoort": titles},
        "rows": rows,
    }
    res = ind(dump(tmp_path, "w.json", doc))
    got = res.rows.set_index("indicator")
    assert got.loc["household_waste_kg_per_inhabitant", "value"] == 448
    assert got.loc["organic_waste_kg_per_inhabitant", "value"] == pytest.approx(120.5)
    # a kind without a stable name keeps the measure and its own title
    assert got.loc["hoeveelheid_huishoudelijk_afval__luiers", "value"] == 3
    assert set(got["period"]) == {"2023"}
    assert res.rejected["reason"].tolist() == ["Afvalsoort: missing category code"]


def test_vacancy_percentage_or_count_is_decided_by_its_unit(tmp_path: Path) -> None:
    for unit, share in (("%", 4.0), ("aantal", 100 * 40 / 1000)):
        doc = kerncijfers("PersonenPerSoortUitkeringWW_89")
        doc["data_properties"] += [
            topic("Woningvoorraad_35"),
            topic("OnbewoondeWoningen_46", unit, "Double" if unit == "%" else "Long"),
        ]
        doc["rows"][0].update(
            {"Woningvoorraad_35": 1000, "OnbewoondeWoningen_46": 4 if unit == "%" else 40}
        )
        res = ind(dump(tmp_path, f"v_{unit == '%'}.json", doc))
        gm = res.rows[res.rows["region_code"] == "GM0307"].set_index("indicator")
        assert gm.loc["vacancy_share", "value"] == pytest.approx(share)
        assert gm.loc["vacancy_share", "unit"] == "%"


def test_table_without_municipal_regions_is_refused(tmp_path: Path) -> None:
    props = [
        {"Type": "Dimension", "Key": "Regiokenmerken", "ID": 0},
        {"Type": "TimeDimension", "Key": "Perioden", "ID": 1},
        topic("TotaalHuishoudelijkAfval_2", "1 000 ton", "Double"),
    ]
    rows = [
        {"Regiokenmerken": code, "Perioden": "2023JJ00", "TotaalHuishoudelijkAfval_2": 8118.0}
        for code in ("NL01    ", "PV26    ")
    ]
    doc = {"format": "cbs-odata-v3", "table_id": "83558NED", "data_properties": props, "rows": rows}
    with pytest.raises(SourceFileError, match=r"83558NED: its region dimension Regiokenmerken"):
        parse_file(dump(tmp_path, "r.json", doc), "municipal")


def test_indicator_names() -> None:
    assert indicator_for_key("PersonenPerSoortUitkeringBijstand_86") == "bijstand_benefits"
    assert indicator_for_key("PersonenPerSoortUitkeringAO_87") == "ao_benefits"
    assert indicator_for_key("SomeNewField_301") == "some_new_field"


def test_v4_bundle(tmp_path: Path) -> None:
    doc = {
        "format": "cbs-odata-v4",
        "table_id": "85984NED",
        "base_url": "https://x",
        "retrieved_at": "2025-03-01T00:00:00Z",
        "measure_codes": [
            {"Identifier": "M000352", "Title": "Aantal inwoners", "Unit": "aantal"},
            {"Identifier": "T001", "Title": "65 jaar of ouder", "Unit": "aantal"},
        ],
        "observations": [
            {"Id": 1, "Measure": "M000352", "Value": 25000.0, "WijkenEnBuurten": "GM0308"},
            {"Id": 2, "Measure": "T001", "Value": 7000.0, "WijkenEnBuurten": "GM0308"},
            {"Id": 3, "Measure": "X9", "Value": 1.0, "WijkenEnBuurten": "GM0308"},
            {"Id": 4, "Measure": "T001", "Value": "veel", "WijkenEnBuurten": "GM0308"},
        ],
        "dimensions": {"WijkenEnBuurten": [{"Identifier": "GM0308", "Title": "Baarn"}]},
    }
    res = ind(dump(tmp_path, "v4.json", doc))
    rows = res.rows.set_index("indicator")
    assert rows.loc["inhabitants", "value"] == 25000 and rows.loc["inhabitants", "period"] == "2024"
    assert rows.loc["age_65_plus_share", "value"] == pytest.approx(28.0)
    assert rows.loc["inhabitants", "region_name"] == "Baarn"
    assert sorted(res.rejected["reason"]) == [
        "Measure: not in measure_codes",
        "Value: not a number",
    ]


def test_unknown_bundle_and_truncated_json(tmp_path: Path) -> None:
    with pytest.raises(SourceFileError, match=r"field 'format'"):
        parse_file(dump(tmp_path, "x.json", {"format": "csv"}), "municipal")
    cut = tmp_path / "cut.json"
    cut.write_text(json.dumps(kerncijfers("PersonenPerSoortUitkeringWW_89"))[:200])
    with pytest.raises(SourceFileError, match=r"^cut.json: line 1: invalid/truncated JSON"):
        parse_file(cut, "municipal")


def square(x0: float, y0: float, size: float) -> list[list[float]]:
    return [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]


def test_centroids() -> None:
    assert polygon_centroid({"type": "Polygon", "coordinates": [square(5, 52, 0.2)]}) == (
        pytest.approx(5.1),
        pytest.approx(52.1),
    )
    # a hole in the right half moves the centroid left
    holed = {"type": "Polygon", "coordinates": [square(0, 0, 4), square(2.5, 1.5, 1)]}
    cx, cy = polygon_centroid(holed)
    assert cx == pytest.approx((16 * 2 - 1 * 3) / 15) and cy == pytest.approx(2.0)
    multi = {"type": "MultiPolygon", "coordinates": [[square(0, 0, 1)], [square(3, 0, 1)]]}
    assert polygon_centroid(multi) == (pytest.approx(2.0), pytest.approx(0.5))


def test_pdok_geojson(tmp_path: Path) -> None:
    features = [
        {
            "type": "Feature",
            "properties": {"statcode": "GM0307", "statnaam": "Amersfoort"},
            "geometry": {"type": "Polygon", "coordinates": [square(5.3, 52.1, 0.1)]},
        },
        {  # RD New metres (PDOK ignored srsName): converted, not lost
            "type": "Feature",
            "properties": {"statcode": "GM0308", "statnaam": "Baarn"},
            "geometry": {"type": "Polygon", "coordinates": [square(149500, 468500, 1000)]},
        },
        {"type": "Feature", "properties": {"statcode": "0313"}, "geometry": None},
        {
            "type": "Feature",
            "properties": {"statcode": "GM0313"},
            "geometry": {"type": "Point", "coordinates": [5.3, 52.2]},
        },
        {  # lat/lon axis order: passes a +-90/+-180 check, would sit off Somalia
            "type": "Feature",
            "properties": {"statcode": "GM0317", "statnaam": "Eemnes"},
            "geometry": {"type": "Polygon", "coordinates": [square(52.25, 5.24, 0.02)]},
        },
        {  # Paris: outside the Netherlands in every reading
            "type": "Feature",
            "properties": {"statcode": "GM0327", "statnaam": "Leusden"},
            "geometry": {"type": "Polygon", "coordinates": [square(2.3, 48.8, 0.1)]},
        },
    ]
    res = parse_file(
        dump(tmp_path, "g.geojson", {"type": "FeatureCollection", "features": features}),
        "municipal",
    )
    m = res["municipalities"]
    assert m.rows_in == 6 and len(m.rows) == 3
    assert list(m.rows.columns) == list(MUNICIPALITIES.all_columns)
    rows = m.rows.set_index("municipality_code")
    assert (rows.loc["GM0307", "lon"], rows.loc["GM0307", "lat"]) == (
        pytest.approx(5.35),
        pytest.approx(52.15),
    )
    assert rows.loc["GM0307", "province_code"] == "PV26"
    assert rows.loc["GM0307", "province_name"] == "Utrecht"
    # RD (150000, 469000) is Baarn's neighbourhood: about 5.31 E, 52.21 N
    assert rows.loc["GM0308", "lon"] == pytest.approx(5.31, abs=0.01)
    assert rows.loc["GM0308", "lat"] == pytest.approx(52.21, abs=0.01)
    assert (rows.loc["GM0317", "lon"], rows.loc["GM0317", "lat"]) == (
        pytest.approx(5.25),
        pytest.approx(52.26),
    )
    assert m.rejected["reason"].tolist() == [
        "statcode: not a GM code",
        "geometry: type 'Point' is not a (Multi)Polygon",
        "geometry: centroid outside the Netherlands as lon/lat, lat/lon and RD New",
    ]
    assert any("RD New" in n and "converted" in n for n in m.notes)
    assert any("lat/lon axis order" in n for n in m.notes)


def test_bundle_with_malformed_metadata_is_unusable(tmp_path: Path) -> None:
    doc = kerncijfers("PersonenPerSoortUitkeringWW_89")
    doc["dimensions"] = ["not", "a", "mapping"]
    with pytest.raises(SourceFileError, match=r"^m.json: unexpected cbs-odata-v3 structure"):
        parse_file(dump(tmp_path, "m.json", doc), "municipal")
