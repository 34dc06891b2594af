"""Municipal challenges: shares, percentiles against all municipalities, severity direction."""

from __future__ import annotations

import pandas as pd
import pytest

from regionomie.domain.challenges import CHALLENGE_COLUMNS, derive_challenges, severity_table


def long(rows: list[tuple[str, str, str, float | None]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["region_code", "period", "indicator", "value"])
    df["region_type"] = "Gemeente"
    df["municipality_code"] = df["region_code"]
    return df


def five_municipalities() -> pd.DataFrame:
    rows = []
    for i, code in enumerate(["GM0001", "GM0002", "GM0003", "GM0004", "GM0005"]):
        inhabitants = 10_000.0 * (i + 1)
        rows += [
            (code, "2024", "inhabitants", inhabitants),
            (code, "2024", "ww_benefits", inhabitants * 0.01 * (5 - i)),  # GM0001 worst
            (code, "2024", "age_65_plus", inhabitants * 0.1 * (i + 1) / 5),  # GM0005 oldest
            (code, "2024", "avg_income_per_inhabitant", 30.0 + i),  # GM0001 poorest
        ]
    return long(rows)


def test_shares_percentiles_and_severity() -> None:
    out = derive_challenges(five_municipalities())
    assert tuple(out.columns) == CHALLENGE_COLUMNS
    ww = out[out["challenge_id"] == "unemployment"].set_index("municipality_code")
    assert ww.loc["GM0001", "value"] == pytest.approx(0.05)
    assert ww.loc["GM0001", "percentile"] == pytest.approx(1.0)
    assert ww.loc["GM0005", "percentile"] == pytest.approx(0.0)
    assert ww.loc["GM0003", "percentile"] == pytest.approx(0.5)
    assert ww.loc["GM0001", "severity"] == pytest.approx(1.0)
    assert ww.loc["GM0001", "national_median"] == pytest.approx(0.03)
    age = out[out["challenge_id"] == "ageing"].set_index("municipality_code")
    assert age.loc["GM0005", "severity"] == pytest.approx(1.0)
    assert age.loc["GM0005", "indicator"] == "age_65_plus/inhabitants"


def test_lower_income_is_worse() -> None:
    out = derive_challenges(five_municipalities())
    inc = out[out["challenge_id"] == "low_average_income"].set_index("municipality_code")
    assert inc.loc["GM0001", "percentile"] == pytest.approx(0.0)
    assert inc.loc["GM0001", "severity"] == pytest.approx(1.0)
    assert not bool(inc.loc["GM0001", "higher_is_worse"])


def test_region_filter_keeps_national_ranking() -> None:
    full = derive_challenges(five_municipalities())
    part = derive_challenges(five_municipalities(), ["GM0002"])
    assert set(part["municipality_code"]) == {"GM0002"}
    merged = part.merge(full, on=["municipality_code", "challenge_id"], suffixes=("", "_full"))
    assert (merged["percentile"] == merged["percentile_full"]).all()


def test_latest_period_and_padding_and_missing_values() -> None:
    df = long(
        [
            ("GM0001    ", "2022", "inhabitants", 100.0),
            ("GM0001    ", "2024", "inhabitants", 200.0),
            ("GM0001", "2024", "ww_benefits", 10.0),
            ("GM0002", "2024", "inhabitants", 100.0),
            ("GM0002", "2024", "ww_benefits", None),
            ("GM0002", "2023", "ww_benefits", 20.0),
            ("WK000101", "2024", "ww_benefits", 99.0),  # a district: ignored
        ]
    )
    out = derive_challenges(df)
    ww = out[out["challenge_id"] == "unemployment"].set_index("municipality_code")
    assert ww.loc["GM0001", "value"] == pytest.approx(10.0 / 200.0)
    assert ww.loc["GM0002", "value"] == pytest.approx(0.2)
    assert ww.loc["GM0002", "period"] == "2023"
    assert len(ww) == 2


def test_national_row_and_single_municipality() -> None:
    df = long(
        [
            ("GM0001", "2024", "inhabitants", 100.0),
            ("GM0001", "2024", "ww_benefits", 5.0),
            ("NL01", "2024", "inhabitants", 1000.0),
            ("NL01", "2024", "ww_benefits", 20.0),
        ]
    )
    out = derive_challenges(df)
    assert list(out["municipality_code"]) == ["GM0001"]
    assert out.iloc[0]["national_value"] == pytest.approx(0.02)
    assert out.iloc[0]["percentile"] == pytest.approx(0.5)


def test_empty_and_unknown_indicators() -> None:
    assert derive_challenges(pd.DataFrame()).empty
    out = derive_challenges(long([("GM0001", "2024", "something_else", 1.0)]))
    assert out.empty
    assert tuple(out.columns) == CHALLENGE_COLUMNS


def test_severity_table() -> None:
    table = severity_table(derive_challenges(five_municipalities()))
    assert table.loc["GM0001", "unemployment"] == pytest.approx(1.0)
    assert "ageing" in table.columns
