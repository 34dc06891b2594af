"""validate_table: row-level rules quarantine exactly the offending rows, dataset-level rules
gate the load, and rows in == valid + quarantined always."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import test_quality_fixtures as fx

from regionomie.quality.thresholds import MAX_EMPLOYEES, WEIGHT_CEILING_KG_BY_CHAPTER
from regionomie.quality.validate import check_metadata, validate_table, write_quarantine


@pytest.fixture(autouse=True)
def _state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGIONOMIE_STATE_DIR", str(tmp_path / "state"))


TABLES: dict[str, Callable[[], pd.DataFrame]] = {
    "organisations": fx.organisations,
    "establishments": fx.establishments,
    "waste_records": fx.waste_records,
    "municipal_indicators": fx.municipal_indicators,
    "municipalities": fx.municipalities,
}


@pytest.mark.parametrize("table", list(TABLES))
def test_clean_tables_pass_every_rule(table: str) -> None:
    df = TABLES[table]()
    out = validate_table(table, df, context=fx.context(), build_docs=False)
    assert out.rule_counts == {}
    assert out.dataset_failures == []
    assert out.passed and out.rows_valid == len(df) and out.rows_quarantined == 0
    assert out.skipped_rules == []


def _set(col: str, value: object, row: int = 1) -> Callable[[pd.DataFrame], None]:
    def mutate(df: pd.DataFrame) -> None:
        if (
            isinstance(value, str)
            and df[col].dtype != object
            and not pd.api.types.is_string_dtype(df[col])
        ):
            df[col] = df[col].astype(object)
        df.loc[row, col] = value

    return mutate


def _dup_key(col: str) -> Callable[[pd.DataFrame], None]:
    def mutate(df: pd.DataFrame) -> None:
        df.loc[1, col] = df.loc[0, col]

    return mutate


def _sea(df: pd.DataFrame) -> None:
    df.loc[1, "lat"], df.loc[1, "lon"] = 52.60, 3.60  # North Sea, inside the bounding box


ROW_CASES: list[tuple[str, Callable[[pd.DataFrame], None], str]] = [
    ("organisations", _set("kvk_nummer", "1234567"), "kvk_nummer_format"),
    ("organisations", _dup_key("kvk_nummer"), "kvk_nummer_unique"),
    ("organisations", _set("sbi_main", "9999"), "sbi_code_known"),
    ("organisations", _set("sbi_version", "2011"), "sbi_version_known"),
    ("organisations", _set("employees", MAX_EMPLOYEES), "employees_range"),
    ("organisations", _set("employees", -1), "employees_range"),
    ("organisations", _set("registration_date", "2031-01-01"), "registration_date_valid"),
    ("organisations", _set("registration_date", "2015-02-30"), "registration_date_valid"),
    ("organisations", _set("end_date", "2010-01-01"), "end_not_before_start"),
    ("organisations", _set("name", None), "name_present"),
    ("establishments", _set("vestigingsnummer", "00003850950"), "vestigingsnummer_format"),
    ("establishments", _dup_key("vestigingsnummer"), "vestigingsnummer_unique"),
    ("establishments", _set("municipality_code", "GM9999"), "municipality_code_known"),
    ("establishments", _set("municipality_code", "0307"), "municipality_code_format"),
    ("establishments", _set("postcode", "3811 HN"), "postcode_format"),
    ("establishments", _sea, "coordinates_on_land"),
    ("establishments", _set("lat", 5.387), "lat_in_bbox"),
    ("establishments", _set("sbi_version", "2025"), "sbi_code_known"),  # 5610 is not SBI 2025
    ("establishments", _set("start_date", "2099-01-01"), "start_date_valid"),
    ("waste_records", _set("afvalstroomnummer", "1234X678901A"), "afvalstroomnummer_format"),
    ("waste_records", _set("eural_code", "999999"), "eural_code_known"),
    ("waste_records", _set("eural_code", "20 01 08"), "eural_code_format"),
    ("waste_records", _set("weight_kg", -5.0), "weight_non_negative"),
    (
        "waste_records",
        _set("weight_kg", WEIGHT_CEILING_KG_BY_CHAPTER["20"] * 2),
        "weight_plausible",
    ),
    ("waste_records", _set("period_month", 13), "period_month_range"),
    ("waste_records", _set("period_year", 1995), "period_year_plausible"),
    ("waste_records", _set("period_month", 12, row=1), "period_not_in_future"),
    ("waste_records", _dup_key("afvalstroomnummer"), "record_key_unique"),
    ("waste_records", _set("processing_code", "R1"), "processing_code_format"),
    ("municipal_indicators", _set("region_code", "GM307"), "region_code_format"),
    ("municipal_indicators", _set("region_type", "Wijk", row=0), "region_type_matches_code"),
    ("municipal_indicators", _set("municipality_code", "GM0308", row=3), "region_in_municipality"),
    ("municipal_indicators", _set("value", -3.0), "value_non_negative"),
    ("municipal_indicators", _set("period", "1850"), "period_year_plausible"),
    ("municipalities", _set("province_code", "PV99"), "province_code_known"),
    ("municipalities", _set("municipality_code", "GM9998"), "municipality_code_known"),
]


@pytest.mark.parametrize(
    ("table", "mutate", "rule"), ROW_CASES, ids=[f"{t}-{r}" for t, _, r in ROW_CASES]
)
def test_row_rule_quarantines_only_the_bad_row(
    table: str, mutate: Callable[[pd.DataFrame], None], rule: str
) -> None:
    df = TABLES[table]()
    if rule == "period_not_in_future":
        df["period_year"] = fx.TODAY.year  # month 12 of this year is after TODAY (June)
        df["period_month"] = [1, 12, 2, 3]
    mutate(df)
    ctx = fx.context(region_municipality_codes=frozenset({"GM0307"}))
    out = validate_table(table, df, context=ctx, build_docs=False)
    assert rule in out.rule_counts, out.rule_counts
    assert out.rows_in == len(df) == out.rows_valid + out.rows_quarantined
    assert out.rows_quarantined >= 1
    assert out.rows_valid >= len(df) - 2  # good rows of the same table stay valid
    reasons = out.quarantined["failed_rules"].str.split(";")
    assert reasons.map(lambda rs: rule in rs).sum() == out.rule_counts[rule]
    assert (out.quarantined["failed_values"].str.len() > 0).all()
    assert out.passed  # a row-level failure never gates the dataset


def test_failed_values_name_the_column_and_value() -> None:
    df = fx.waste_records()
    df.loc[2, "weight_kg"] = -7.5
    out = validate_table("waste_records", df, context=fx.context(), build_docs=False)
    row = out.quarantined.iloc[0]
    assert row["afvalstroomnummer"] == df.loc[2, "afvalstroomnummer"]
    assert row["failed_rules"] == "weight_non_negative"
    assert row["failed_values"] == "weight_kg=-7.5"


def test_several_rules_on_one_row_are_all_listed() -> None:
    df = fx.establishments()
    df.loc[0, "postcode"] = "ABCD12"
    df.loc[0, "start_date"] = "2099-12-31"
    out = validate_table("establishments", df, context=fx.context(), build_docs=False)
    assert out.rows_quarantined == 1
    assert set(out.quarantined.iloc[0]["failed_rules"].split(";")) == {
        "postcode_format",
        "start_date_valid",
    }
    assert "postcode=ABCD12" in out.quarantined.iloc[0]["failed_values"]


def test_personal_names_never_appear_in_failed_values() -> None:
    df = fx.organisations()
    df.loc[1, "is_sole_proprietor"] = True
    df.loc[1, "name"] = "Jan Jansen"
    df.loc[1, "kvk_nummer"] = "123"
    df.loc[2, "name"] = None
    out = validate_table("organisations", df, context=fx.context(), build_docs=False)
    text = " ".join(out.quarantined["failed_values"].tolist())
    assert "Jan Jansen" not in text
    assert "name=<missing>" in text
    assert "Jan Jansen" not in str(out.gx_result)


def test_missing_column_is_schema_drift_and_blocks() -> None:
    df = fx.establishments().drop(columns=["lat"])
    out = validate_table("establishments", df, context=fx.context(), build_docs=False)
    assert not out.passed
    failures = dict(out.dataset_failures)
    assert "missing columns: lat" in failures["schema_matches_contract"]
    assert "coordinates_on_land" in out.skipped_rules and "lat_in_bbox" in out.skipped_rules
    assert out.rows_in == out.rows_valid + out.rows_quarantined


def test_extra_column_is_schema_drift() -> None:
    df = fx.waste_records().assign(Gewicht_TON=1.0)
    out = validate_table("waste_records", df, context=fx.context(), build_docs=False)
    assert (
        "unexpected columns: Gewicht_TON" in dict(out.dataset_failures)["schema_matches_contract"]
    )


def test_wrong_dtype_is_a_dataset_failure_not_a_traceback() -> None:
    df = fx.waste_records()
    df["weight_kg"] = ["1.200,5", "x", "3", "4"]
    out = validate_table("waste_records", df, context=fx.context(), build_docs=False)
    assert not out.passed
    assert any(r == "weight_non_negative" for r, _ in out.dataset_failures)


@pytest.mark.parametrize(
    ("previous", "ok"), [(4, True), (8, True), (9, False), (2, True), (1, False)]
)
def test_volume_band_against_previous_load(previous: int, ok: bool) -> None:
    out = validate_table(
        "establishments",
        fx.establishments(4),
        context=fx.context(previous_row_count=previous),
        build_docs=False,
    )
    assert out.passed is ok
    if not ok:
        assert dict(out.dataset_failures).keys() == {"row_count_within_band"}


def test_null_rate_gate_blocks_and_optional_enrichments_warn() -> None:
    df = fx.establishments(10)
    df.loc[0:2, ["lat", "lon"]] = None  # 30% > 20%: coordinates are an enrichment -> warning
    df.loc[0, "postcode"] = None  # 10% > 5%: postcodes are needed for matching -> blocks
    out = validate_table("establishments", df, context=fx.context(), build_docs=False)
    assert dict(out.dataset_failures).keys() == {"postcode_null_rate"}
    assert {"lat_null_rate", "lon_null_rate"} == dict(out.warnings).keys()
    assert "30% missing (3 of 10 rows)" in dict(out.warnings)["lat_null_rate"]
    df.loc[0, "postcode"] = "3811HN"
    df.loc[2, ["lat", "lon"]] = [52.1, 5.4]  # 20% is allowed
    out = validate_table("establishments", df, context=fx.context(), build_docs=False)
    assert out.passed and out.warnings == []


def test_empty_table_is_gated() -> None:
    df = fx.establishments().iloc[0:0]
    out = validate_table("establishments", df, context=fx.context(), build_docs=False)
    assert "not_empty" in dict(out.dataset_failures)
    assert out.rows_in == 0


def test_indicators_must_cover_every_region_municipality() -> None:
    ctx = fx.context(region_municipality_codes=frozenset({"GM0307", "GM0308", "GM0313"}))
    out = validate_table(
        "municipal_indicators", fx.municipal_indicators(), context=ctx, build_docs=False
    )
    assert not out.passed
    assert "GM0313" in dict(out.dataset_failures)["covers_region_municipalities"]


def test_waste_party_links_point_at_existing_establishments() -> None:
    est = fx.establishments()
    prov = {c: ["x"] * 3 for c in fx.provenance_columns()}
    links = pd.DataFrame(
        {
            "afvalstroomnummer": ["123456789000"] * 3,
            "role": ["ontdoener", "ontvanger", "verwerker"],
            "postcode": ["3811HN"] * 3,
            "house_number": ["1", "2", "3"],
            "vestigingsnummer": [est.loc[0, "vestigingsnummer"], "000099999999", None],
            "match_method": ["address", "address", "none"],
            "confidence": [0.9, 0.8, 0.0],
            **prov,
        }
    )
    ctx = fx.context(related={"establishments": est})
    out = validate_table("waste_party_links", links, context=ctx, build_docs=False)
    assert out.rule_counts == {"linked_establishment_exists": 1}
    assert out.quarantined.iloc[0]["vestigingsnummer"] == "000099999999"


def test_rules_without_reference_data_are_skipped_and_reported() -> None:
    out = validate_table(
        "waste_records", fx.waste_records(), context=fx.context(eural_codes=None), build_docs=False
    )
    assert out.passed
    assert "eural_code_known" not in out.rule_levels  # not built, so not silently passed


def test_write_quarantine_parquet_and_csv(tmp_path: Path) -> None:
    df = fx.waste_records()
    df.loc[1, "weight_kg"] = -1.0
    df.loc[3, "eural_code"] = "999999"
    out = validate_table("waste_records", df, context=fx.context(), run_id="run1", build_docs=False)
    written = write_quarantine(out, tmp_path)
    assert written["parquet"].parent == tmp_path / "waste_records"
    back = pd.read_parquet(written["parquet"])
    assert len(back) == 2 and set(back["failed_rules"]) == {
        "weight_non_negative",
        "eural_code_known",
    }
    assert len(pd.read_csv(written["csv"], dtype=str)) == 2
    again = write_quarantine(out, tmp_path)  # same run -> same name, overwritten
    assert again == written
    assert len(list((tmp_path / "waste_records").iterdir())) == 2
    clean = validate_table(
        "waste_records", fx.waste_records(), context=fx.context(), build_docs=False
    )
    assert write_quarantine(clean, tmp_path) == {}


def test_docs_report_lists_rules_and_counts(tmp_path: Path) -> None:
    df = fx.establishments()
    df.loc[1, "lat"], df.loc[1, "lon"] = 52.6, 3.6
    out = validate_table(
        "establishments", df, context=fx.context(), run_id="r42", docs_dir=tmp_path
    )
    assert out.docs_path == tmp_path / "establishments" / "runs" / "r42.html"
    page = out.docs_path.read_text()
    assert "coordinates_on_land" in page and "vestigingsnummer_format" in page
    assert out.gx_docs_path is not None and out.gx_docs_path.exists()
    assert "r42" in str(out.gx_docs_path)
    assert (tmp_path / "establishments" / "index.html").exists()


def test_gx_result_is_json_and_carries_suite_version() -> None:
    import json

    out = validate_table(
        "municipalities", fx.municipalities(), context=fx.context(), build_docs=False
    )
    doc = json.loads(json.dumps(out.gx_result))
    assert doc["suite_name"].startswith("municipalities_v")
    metas = [r["expectation_config"]["meta"] for r in doc["results"]]
    assert {m["level"] for m in metas} == {"row", "dataset"}
    assert all(m["suite_version"] == out.suite_version for m in metas)


def test_check_metadata_is_plain_and_links_docs(tmp_path: Path) -> None:
    import json

    df = fx.waste_records()
    df.loc[0, "weight_kg"] = -1.0
    out = validate_table("waste_records", df, context=fx.context(), docs_dir=tmp_path)
    meta = check_metadata(out, write_quarantine(out, tmp_path))
    json.dumps(meta)  # plain values only
    assert meta["rows_quarantined"] == 1 and meta["rules_failed"] == {"weight_non_negative": 1}
    assert Path(meta["data_docs"]).exists() and meta["quarantine_parquet"].endswith(".parquet")
