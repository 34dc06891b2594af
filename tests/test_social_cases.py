"""Social business cases without a material flow (issue 20): where a municipality is worse off
than the Netherlands on a mechanism's challenges and the region has its actors, a case is
proposed on the same scale as the circular ones; otherwise the run says why there is none."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from regionomie.domain.challenges import derive_challenges
from regionomie.domain.opportunities import run_opportunities
from regionomie.domain.opportunities.demo import demo_kb
from regionomie.domain.schemas import ESTABLISHMENTS

MUNICIPALITIES = pd.DataFrame(
    {
        "municipality_code": ["GM0307", "GM0308"],
        "name": ["Amersfoort", "Baarn"],
        "province_code": ["PV26", "PV26"],
        "province_name": ["Utrecht", "Utrecht"],
        "lat": [52.1567, 52.2116],
        "lon": [5.3842, 5.2875],
    }
)


def establishments(rows: list[dict[str, Any]]) -> pd.DataFrame:
    out = []
    for i, row in enumerate(rows):
        full = {c: None for c in ESTABLISHMENTS.columns}
        full.update(
            vestigingsnummer=f"{i + 1:012d}",
            trade_name=f"Organisatie {i}",
            is_sole_proprietor=False,
            employees=20,
            active=True,
            **row,
        )
        full["sbi_main"] = full["nace_class"]
        out.append(full)
    return pd.DataFrame(out)[list(ESTABLISHMENTS.columns)]


def indicators(vacant_share_baarn: float) -> pd.DataFrame:
    """Baarn: many elderly, many living alone, much vacancy; Amersfoort at the national level."""
    rows = []
    for code, old, single, vacant in (
        ("NL00", 0.20, 0.40, 0.02),
        ("GM0307", 0.20, 0.40, 0.02),
        ("GM0308", 0.29, 0.52, vacant_share_baarn),
    ):
        rows += [
            (code, "inhabitants", 10_000.0),
            (code, "age_65_plus", 10_000.0 * old),
            (code, "households", 4_000.0),
            (code, "single_person_households", 4_000.0 * single),
            (code, "vacant_dwellings", 4_000.0 * vacant),
            (code, "dwellings", 4_000.0),
        ]
    frame = pd.DataFrame(rows, columns=["region_code", "indicator", "value"])
    frame["period"] = "2024"
    return frame


ACTORS = [
    {"nace_class": "6820", "municipality_code": "GM0308", "lat": 52.212, "lon": 5.288},
    {"nace_class": "8710", "municipality_code": "GM0308", "lat": 52.215, "lon": 5.290},
    {"nace_class": "5610", "municipality_code": "GM0307", "lat": 52.155, "lon": 5.387},
]


def run(rows: list[dict[str, Any]], frame: pd.DataFrame | None) -> Any:
    return run_opportunities(
        establishments(rows),
        demo_kb(),
        municipal_indicators=frame,
        municipalities=MUNICIPALITIES,
        region_codes=["GM0307", "GM0308"],
    )


def test_vacancy_ageing_and_loneliness_give_a_shared_housing_case() -> None:
    result = run(ACTORS, indicators(0.06))
    social = result.cases[result.cases["case_kind"] == "social"]
    housing = social[social["mechanism_id"] == "wonen_zorg_ontmoeting"]
    assert len(housing) == 1
    case = housing.iloc[0]
    assert case["hub_municipality"] == "GM0308"
    keys = set(case["challenges"].split(";"))
    assert keys <= {"GM0308:vacancy", "GM0308:loneliness", "GM0308:ageing"}
    assert "GM0308:vacancy" in keys
    assert case["people_reached"] > 0 and case["reach_unit"] == "bewoners"
    assert float(case["jobs"]).is_integer()
    # the site pairs the corporation with the care home, both named (no person data here)
    site = result.sites[result.sites["mechanism_id"] == "wonen_zorg_ontmoeting"].iloc[0]
    assert site["provider_nace"] == "6820" and site["partner_nace"] == "8710"
    card = next(c for c in result.cards if c["case_id"] == case["case_id"])
    assert {c["municipality"] for c in card["challenges_addressed"]} == {"Baarn"}
    assert all(c["national_value"] is not None for c in card["challenges_addressed"])
    # what stops such a case in practice comes first, in Dutch and in English
    assert "kostendelersnorm" in card["risks"][0]
    assert "kostendelersnorm" in card["mechanism_risks_en"][0]
    assert result.notes == []


def test_no_need_no_social_case() -> None:
    """Baarn at the national level on every challenge: nothing to answer."""
    frame = indicators(0.02)
    frame.loc[frame["region_code"] == "GM0308", "value"] = frame.loc[
        frame["region_code"] == "GM0307", "value"
    ].to_numpy()
    result = run(ACTORS, frame)
    assert not result.cases["case_kind"].eq("social").any()
    assert result.notes and "slechter dan Nederland" in result.notes[0]


def test_no_indicators_gives_circular_cases_and_says_why() -> None:
    result = run(ACTORS, None)
    assert not result.cases["case_kind"].isin(["social", "circular+social"]).any()
    assert result.notes and "geen CBS-indicatoren" in result.notes[0]


def test_without_the_mechanism_actors_there_is_no_housing_case() -> None:
    result = run([a for a in ACTORS if a["nace_class"] != "6820"], indicators(0.06))
    assert not (result.cases["mechanism_id"] == "wonen_zorg_ontmoeting").any()


@pytest.mark.parametrize("share", [0.06])
def test_social_and_circular_cases_share_one_scale(share: float) -> None:
    result = run(ACTORS, indicators(share))
    cases = result.cases
    assert cases["case_score"].is_monotonic_decreasing
    for column in ("evidence", "actionability", "scale", "environment", "social", "economic"):
        assert cases[column].between(0, 1).all(), column
    assert derive_challenges(indicators(share))["reference_basis"].eq("Nederland").all()
