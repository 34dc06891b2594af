"""Issue 14, "real sources, real shapes": every recorded shape (tests/fixtures, documents named
in the READMEs there) through the real parser and the quality gate. The CBS bundles are made
by the real connector from the local stand-in (tests/standin.py), as `regionomie fetch` would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pytest_httpserver import HTTPServer
from standin import CbsStandIn, load

from regionomie.connectors.cbs import CbsODataClient, EmptySelection
from regionomie.connectors.http import make_session
from regionomie.domain.cbs_indicators import measures_from_data_properties, resolve_measures
from regionomie.domain.matching import link_waste_parties
from regionomie.domain.parsers import parse_file
from regionomie.domain.results import ParseResult, SourceFileError
from regionomie.quality.context import reference_context
from regionomie.quality.validate import ValidationOutcome, validate_table

FIXTURES = Path(__file__).parent / "fixtures"
HTTP = FIXTURES / "http"
FILES = FIXTURES / "files"


@pytest.fixture(autouse=True)
def _state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGIONOMIE_STATE_DIR", str(tmp_path / "state"))


def parsed(path: Path, source: str, table: str) -> ParseResult:
    res = parse_file(path, source, retrieved_at="2025-06-02T06:00:00Z")[table]  # type: ignore[arg-type]
    assert res.rows_in == len(res.rows) + len(res.rejected)
    return res


def gate(table: str, rows: pd.DataFrame, **related: pd.DataFrame) -> ValidationOutcome:
    out = validate_table(table, rows, context=reference_context(related=related), build_docs=False)
    assert out.rows_in == out.rows_valid + out.rows_quarantined
    return out


def passes(out: ValidationOutcome) -> None:
    assert out.passed, out.dataset_failures
    assert out.rows_quarantined == 0, out.quarantined[["failed_rules", "failed_values"]]


# --------------------------------------------------------------------------- KvK


def test_zoeken_v3_page_is_read_like_v2(tmp_path: Path) -> None:
    res = parsed(HTTP / "kvk" / "zoeken_v3_page_amersfoort.json", "kvk", "establishments")
    results = load("kvk/zoeken_v3_page_amersfoort.json")["resultaten"]
    assert len(res.rows) == sum(1 for r in results if r.get("vestigingsnummer"))
    # a place search shows no postcode (issue 23): the rows keep street and place
    assert res.rows["postcode"].isna().all() and set(res.rows["city"]) == {"Amersfoort"}
    passes(gate("establishments", res.rows))


def test_organisatie_v3_gives_the_organisation_and_its_vestigingen() -> None:
    path = HTTP / "kvk" / "organisatie_68750110.json"
    orgs = parsed(path, "kvk", "organisations")
    est = parsed(path, "kvk", "establishments")
    assert orgs.rows[["kvk_nummer", "legal_form"]].values.tolist() == [
        ["68750110", "Besloten Vennootschap"]
    ]
    assert orgs.rows["registration_date"].tolist() == ["2015-06-01"]
    assert not orgs.rows["is_sole_proprietor"].any()
    rows = est.rows.set_index("vestigingsnummer")
    assert list(rows.index) == ["000037178598", "000037178601"]
    assert rows.loc["000037178598", "is_main"] and rows.loc["000037178598", "lat"] > 52
    # KvK's '00000000' (date unknown) keeps the record, without a date
    assert pd.isna(rows.loc["000037178601", "start_date"])
    passes(gate("organisations", orgs.rows))
    passes(gate("establishments", est.rows, organisations=orgs.rows))


def test_vestigingen_v3_response_is_an_establishment() -> None:
    est = parsed(HTTP / "kvk" / "vestigingen_000037178598.json", "kvk", "establishments")
    assert est.rows[["vestigingsnummer", "postcode", "house_number"]].values.tolist() == [
        ["000037178598", "3811NB", "10"]
    ]
    passes(gate("establishments", est.rows))


def test_zeroed_kvk_dates_keep_the_record_with_an_unknown_date() -> None:
    path = FILES / "kvk" / "basisprofiel_zeroed_dates.json"
    orgs = parsed(path, "kvk", "organisations")
    est = parsed(path, "kvk", "establishments")
    assert orgs.rejected.empty and est.rejected.empty
    assert orgs.rows["kvk_nummer"].tolist() == ["90004321"]
    assert orgs.rows["registration_date"].isna().all()
    assert est.rows["start_date"].isna().all() and len(est.rows) == 1
    passes(gate("organisations", orgs.rows))


def test_open_dataset_counts_are_labelled_bv_nv_only() -> None:
    res = parsed(FILES / "kvk" / "basis_bedrijfsgegevens.csv", "kvk", "sector_density")
    assert res.rows["count"].sum() == 4
    assert set(res.rows["coverage"]) == {"BV and NV only"}
    assert any("only the BV and NV legal forms" in n for n in res.notes)
    passes(gate("sector_density", res.rows))
    unlabelled = res.rows.assign(coverage="all legal forms")
    out = gate("sector_density", unlabelled)
    assert out.rule_counts == {"coverage_labelled": len(unlabelled)}


# --------------------------------------------------------------------------- CBS


def bundle(
    server: HTTPServer,
    tmp_path: Path,
    table: str,
    region: str | None = None,
    *,
    v4: bool = False,
    cbs: CbsStandIn | None = None,
) -> Path:
    """What `regionomie fetch cbs` writes, made by the real connector from the stand-in."""
    cbs = cbs or CbsStandIn(server)
    client = CbsODataClient(
        cbs.v3_base,
        cbs.v4_base,
        make_session(retries=0, backoff_factor=0, min_interval=0),
        page_size=7,
    )
    doc = client.v4_bundle(table, region=region) if v4 else client.v3_bundle(table, region=region)
    path = tmp_path / f"cbs_{table}_{region or 'all'}_20250602T060000.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def values(rows: pd.DataFrame, region: str, period: str) -> dict[str, Any]:
    sel = rows[(rows["region_code"] == region) & (rows["period"] == period)]
    assert not sel.duplicated(["indicator"]).any()
    return dict(zip(sel["indicator"], sel["value"], strict=True))


def test_83452NED_household_waste_per_municipality(httpserver: HTTPServer, tmp_path: Path) -> None:
    res = parsed(bundle(httpserver, tmp_path, "83452NED", "GM0307"), "municipal",
                 "municipal_indicators")  # fmt: skip
    got = values(res.rows, "GM0307", "2023")
    assert got == {
        "household_waste_kg_per_inhabitant": pytest.approx(510.1),
        "household_residual_waste_kg_per_inhabitant": pytest.approx(168.3),
        "organic_waste_kg_per_inhabitant": pytest.approx(122.4),
        "pmd_waste_kg_per_inhabitant": pytest.approx(30.6),
    }
    assert set(res.rows["period"]) == {"2022", "2023"}
    assert set(res.rows["unit"]) == {"kg per inwoner"}
    passes(gate("municipal_indicators", res.rows))


def test_83558NED_is_not_per_municipality(httpserver: HTTPServer, tmp_path: Path) -> None:
    cbs = CbsStandIn(httpserver)
    with pytest.raises(EmptySelection, match="Regiokenmerken"):
        bundle(httpserver, tmp_path, "83558NED", "GM0307", cbs=cbs)
    whole = bundle(httpserver, tmp_path, "83558NED", cbs=cbs)
    with pytest.raises(SourceFileError) as err:
        parse_file(whole, "municipal")
    msg = str(err.value)
    assert "Regiokenmerken holds no municipality" in msg and "83452NED" in msg


def test_83558NED_measures_are_told_apart_by_key_and_parent_group() -> None:
    """'Totaal huishoudelijk afval' under Totaal, Haalmethode and Brengmethode (1 000 ton)
    and under kg per inwoner: four measures, four names, the Totaal one is household_waste."""
    props = load("cbs/v3_83558NED_DataProperties.json")["value"]
    names = resolve_measures(measures_from_data_properties(props), "83558NED").names
    assert names["TotaalHuishoudelijkAfval_2"] == "household_waste_kt"
    assert names["TotaalHuishoudelijkAfval_39"] == "household_waste_kg_per_inhabitant"
    assert "haalmethode" in names["TotaalHuishoudelijkAfval_14"]
    assert "brengmethode" in names["TotaalHuishoudelijkAfval_26"]
    assert len(set(names.values())) == len(names)


def test_85984NED_repeated_base_names_stay_apart(httpserver: HTTPServer, tmp_path: Path) -> None:
    res = parsed(bundle(httpserver, tmp_path, "85984NED", "GM0307"), "municipal",
                 "municipal_indicators")  # fmt: skip
    got = values(res.rows, "GM0307", "2024")
    assert got["nederland__count"] == 126010  # Nederland_17, aantal
    assert got["nederland__pct"] == pytest.approx(78.0)  # Nederland_20, %
    assert got["ww_benefits"] == 1616 and got["bijstand_benefits"] == 3231  # _89, _87
    assert got["business_establishments"] == 17771  # _95
    assert any("Nederland_17 -> nederland__count" in n for n in res.notes)
    passes(gate("municipal_indicators", res.rows))


def test_85984NED_vacancy_share_is_derived_from_counts(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    """2024 has OnbewoondeWoningen_46 (a count here), no PercentageOnbewoond."""
    res = parsed(bundle(httpserver, tmp_path, "85984NED", "GM0307"), "municipal",
                 "municipal_indicators")  # fmt: skip
    got = values(res.rows, "GM0307", "2024")
    assert got["vacancy_share"] == pytest.approx(100 * got["vacant_dwellings"] / got["dwellings"])
    share = res.rows[res.rows["indicator"] == "vacancy_share"]
    assert set(share["unit"]) == {"%"} and len(share) == 13
    assert any(n.startswith("vacancy_share derived from vacant_dwellings") for n in res.notes)


def test_85618NED_vacancy_is_its_own_percentage(httpserver: HTTPServer, tmp_path: Path) -> None:
    res = parsed(bundle(httpserver, tmp_path, "85618NED", "GM0307"), "municipal",
                 "municipal_indicators")  # fmt: skip
    got = values(res.rows, "GM0307", "2023")
    assert got["vacancy_share"] == 4 and "vacant_dwellings" not in got
    assert got["ww_benefits"] == round(161551 * 0.009)  # PersonenPerSoortUitkeringWW_85
    assert not any("derived" in n for n in res.notes)
    passes(gate("municipal_indicators", res.rows))


def test_a_challenge_indicator_that_resolves_to_nothing_fails_the_gate(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    cbs = CbsStandIn(httpserver)
    props = load("cbs/v3_85984NED_DataProperties.json")["value"]
    cbs.overrides[("85984NED", "DataProperties")] = [
        p for p in props if not str(p.get("Key", "")).startswith("OnbewoondeWoningen")
    ]
    res = parsed(bundle(httpserver, tmp_path, "85984NED", "GM0307", cbs=cbs), "municipal",
                 "municipal_indicators")  # fmt: skip
    assert "vacancy_share" not in set(res.rows["indicator"])
    out = gate("municipal_indicators", res.rows)
    failures = dict(out.dataset_failures)
    assert "challenge_indicators_resolved" in failures
    assert "85984NED 2024: vacancy" in failures["challenge_indicators_resolved"]


def test_v4_bundle_through_the_catalogue(httpserver: HTTPServer, tmp_path: Path) -> None:
    res = parsed(bundle(httpserver, tmp_path, "85984NED", "GM0307", v4=True), "municipal",
                 "municipal_indicators")  # fmt: skip
    got = values(res.rows, "GM0307", "2024")
    assert got["inhabitants"] == 161551 and got["ww_benefits"] == 1616
    assert got["nederland__count"] == 126010 and got["nederland__pct"] == 78.0
    assert got["age_65_plus_share"] == pytest.approx(100 * 26979 / 161551)


# --------------------------------------------------------------------------- LMA


def test_lma_real_column_spellings_keep_house_numbers() -> None:
    res = parsed(FILES / "lma" / "ontvangstmeldingen_echte_kolommen.csv", "waste",
                 "waste_records")  # fmt: skip
    rows = res.rows.set_index(["afvalstroomnummer", "period_month"])
    first = rows.loc[("10422AB00001", 1)]
    assert first["ontdoener_house_number"] == "12 A"  # Huisnr + Huisnr.Toevoeging
    assert first["afzender_house_number"] == "12"  # Afzender_Huisnummer
    assert first["ontvanger_house_number"] == "5"  # Ontvanger_Huisnummer
    assert first["verwerker_house_number"] == "5 B"  # + Verwerker_HuisnummerToevoeging
    assert first["herkomst_house_number"] == "12 A"
    assert ("104220001234", 1) in rows.index  # all digits: still fine
    # letters in the free part are allowed; a hyphen is not an afvalstroomnummer
    assert res.rejected[["source_row", "field"]].values.tolist() == [[5, "Afvalstroomnummer"]]
    passes(gate("waste_records", res.rows))


def test_lma_house_number_addition_reaches_address_matching() -> None:
    res = parsed(FILES / "lma" / "ontvangstmeldingen_echte_kolommen.csv", "waste",
                 "waste_records")  # fmt: skip
    est = pd.DataFrame(
        {
            "vestigingsnummer": ["000012345678", "000012345679"],
            "trade_name": ["Koffiebar De Boon B.V.", "Compostering Eemland B.V."],
            "postcode": ["3811AB", "3439ZZ"],
            "house_number": ["12", "5"],
            "house_number_addition": ["A", "B"],
            "city": ["Amersfoort", "Nieuwegein"],
        }
    )
    links = link_waste_parties(res.rows, est).set_index(["afvalstroomnummer", "role"])
    assert links.loc[("10422AB00001", "ontdoener"), "vestigingsnummer"] == "000012345678"
    assert links.loc[("10422AB00001", "ontdoener"), "match_method"] == "address"
    assert links.loc[("10422AB00001", "verwerker"), "vestigingsnummer"] == "000012345679"


def test_lma_xlsx_data_on_a_named_sheet_below_title_rows() -> None:
    res = parsed(FILES / "lma" / "extract_mra.xlsx", "waste", "waste_records")
    assert len(res.rows) == 3 and res.rejected.empty
    assert res.rows["source_row"].tolist() == [4, 5, 6]  # header on row 3 of that sheet
    assert res.rows["eural_code"].tolist() == ["200108"] * 3
    assert res.rows["weight_kg"].tolist() == [1234.5, 980.0, 2500.0]
    assert res.notes == [
        "data read from sheet '1.OM Ontdoeners in MRA', header on row 3 (sheet 2 of 3)"
    ]
    passes(gate("waste_records", res.rows))


def _lma_without(tmp_path: Path, drop: str, rename: dict[str, str] | None = None) -> Path:
    src = (FILES / "lma" / "ontvangstmeldingen_echte_kolommen.csv").read_text("utf-8")
    frame = pd.read_csv(pd.io.common.StringIO(src), sep=";", dtype=str, keep_default_na=False)
    frame = frame.drop(columns=[c for c in frame.columns if c.startswith(drop)])
    frame = frame.rename(columns=rename or {})
    path = tmp_path / "ontvangst.csv"
    frame.to_csv(path, sep=";", index=False)
    return path


def test_lma_party_without_any_address_column_fails_loudly(tmp_path: Path) -> None:
    path = _lma_without(tmp_path, "Ontvanger_")  # the bare name column stays
    with pytest.raises(SourceFileError) as err:
        parse_file(path, "waste")
    msg = str(err.value)
    assert msg.startswith("ontvangst.csv: line 1: party Ontvanger: none of its address columns")


def test_lma_unknown_house_number_spelling_fails_loudly(tmp_path: Path) -> None:
    path = _lma_without(tmp_path, "#none", {"Afzender_Huisnummer": "Afzender_HuisNo"})
    with pytest.raises(SourceFileError, match="'Afzender_HuisNo': unknown spelling"):
        parse_file(path, "waste")


# --------------------------------------------------------------------------- PDOK


@pytest.mark.parametrize(
    ("fixture", "note"),
    [
        ("gemeenten_2025_rd_new.geojson", "RD New (EPSG:28992)"),
        ("gemeenten_2025_latlon.geojson", "lat/lon axis order"),
    ],
)
def test_pdok_rd_new_and_swapped_axes_land_where_lon_lat_does(fixture: str, note: str) -> None:
    truth = parsed(HTTP / "pdok" / "gemeenten_2025.geojson", "municipal", "municipalities")
    res = parsed(HTTP / "pdok" / fixture, "municipal", "municipalities")
    assert res.rejected.empty and len(res.rows) == len(truth.rows) == 5
    got = res.rows.set_index("municipality_code")[["lat", "lon"]]
    want = truth.rows.set_index("municipality_code")[["lat", "lon"]]
    assert (got - want).abs().max().max() < 0.001  # about 100 m; RD formula ~1 m
    assert any(note in n for n in res.notes)
    passes(gate("municipalities", res.rows))
