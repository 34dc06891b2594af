"""Municipal challenges: shares, severity against the Netherlands, percentiles among the
municipalities present, the direction that is worse."""

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


def with_netherlands(df: pd.DataFrame, ww_share: float, income: float) -> pd.DataFrame:
    """The five municipalities plus CBS's Nederland row (NL00, as Kerncijfers codes it)."""
    rows = [
        ("NL00      ", "2024", "inhabitants", 1_000_000.0),
        ("NL00      ", "2024", "ww_benefits", 1_000_000.0 * ww_share),
        ("NL00      ", "2024", "age_65_plus", 200_000.0),
        ("NL00      ", "2024", "avg_income_per_inhabitant", income),
    ]
    return pd.concat([df, long(rows)], ignore_index=True)


def test_shares_percentiles_and_severity_against_the_netherlands() -> None:
    out = derive_challenges(with_netherlands(five_municipalities(), 0.02, 32.0))
    assert tuple(out.columns) == CHALLENGE_COLUMNS
    ww = out[out["challenge_id"] == "unemployment"].set_index("municipality_code")
    assert ww.loc["GM0001", "value"] == pytest.approx(0.05)
    assert ww.loc["GM0001", "national_value"] == pytest.approx(0.02)
    assert ww.loc["GM0001", "reference_basis"] == "Nederland"
    # 0.05 is 150 % above 0.02: beyond the 50 % that counts as fully severe
    assert ww.loc["GM0001", "gap"] == pytest.approx(1.5)
    assert ww.loc["GM0001", "severity"] == pytest.approx(1.0)
    # 0.02 equals the Netherlands and 0.01 is better: not a challenge however it ranks
    assert ww.loc["GM0004", "severity"] == pytest.approx(0.0)
    assert ww.loc["GM0005", "severity"] == pytest.approx(0.0)
    # 0.03 is 50 % above the country: severity 1 at scale 0.5; 0.025 would be 0.5
    assert ww.loc["GM0003", "severity"] == pytest.approx(1.0)
    assert ww.loc["GM0001", "percentile"] == pytest.approx(1.0)
    assert ww.loc["GM0005", "percentile"] == pytest.approx(0.0)
    assert ww.loc["GM0003", "percentile"] == pytest.approx(0.5)
    assert ww.loc["GM0001", "national_median"] == pytest.approx(0.03)
    age = out[out["challenge_id"] == "ageing"].set_index("municipality_code")
    assert age.loc["GM0005", "indicator"] == "age_65_plus/inhabitants"
    # the oldest has 10 % elderly against 20 % in the country: no ageing challenge
    assert age.loc["GM0005", "value"] == pytest.approx(0.1)
    assert age.loc["GM0005", "percentile"] == pytest.approx(1.0)
    assert age.loc["GM0005", "severity"] == pytest.approx(0.0)


def test_a_well_off_region_has_no_severe_challenge_just_by_ranking_last() -> None:
    """Every municipality better than the Netherlands: percentiles still spread 0..1, but
    severity (against the country) is 0 everywhere."""
    out = derive_challenges(with_netherlands(five_municipalities(), 0.10, 20.0))
    ww = out[out["challenge_id"] == "unemployment"]
    assert ww["percentile"].max() == pytest.approx(1.0)
    assert (ww["severity"] == 0.0).all()
    assert (ww["gap"] < 0).all()


def test_without_a_national_row_the_median_is_the_reference() -> None:
    out = derive_challenges(five_municipalities())
    ww = out[out["challenge_id"] == "unemployment"].set_index("municipality_code")
    assert (ww["reference_basis"] == "mediaan gemeenten").all()
    assert ww["national_value"].isna().all()
    assert ww.loc["GM0001", "gap"] == pytest.approx((0.05 - 0.03) / 0.03)
    assert ww.loc["GM0001", "severity"] == pytest.approx(1.0)
    assert ww.loc["GM0003", "severity"] == pytest.approx(0.0)


def test_lower_income_is_worse() -> None:
    out = derive_challenges(with_netherlands(five_municipalities(), 0.02, 35.0))
    inc = out[out["challenge_id"] == "low_average_income"].set_index("municipality_code")
    # GM0001 earns 30 against 35 nationally: 14 % below, scale 0.2 -> severity 0.71
    assert inc.loc["GM0001", "gap"] == pytest.approx(5.0 / 35.0)
    assert inc.loc["GM0001", "severity"] == pytest.approx((5.0 / 35.0) / 0.2)
    assert inc.loc["GM0005", "gap"] == pytest.approx(1.0 / 35.0)  # 34: 3 % below
    assert inc.loc["GM0005", "severity"] == pytest.approx((1.0 / 35.0) / 0.2)
    # the percentile is oriented: 1 = the worst-off (the poorest)
    assert inc.loc["GM0001", "percentile"] == pytest.approx(1.0)
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
    assert out.iloc[0]["gap"] == pytest.approx(1.5)


def test_empty_and_unknown_indicators() -> None:
    assert derive_challenges(pd.DataFrame()).empty
    out = derive_challenges(long([("GM0001", "2024", "something_else", 1.0)]))
    assert out.empty
    assert tuple(out.columns) == CHALLENGE_COLUMNS


def test_severity_table() -> None:
    table = severity_table(derive_challenges(with_netherlands(five_municipalities(), 0.02, 32.0)))
    assert table.loc["GM0001", "unemployment"] == pytest.approx(1.0)
    assert "ageing" in table.columns
