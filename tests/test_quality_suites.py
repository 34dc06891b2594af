"""Suite construction and the coarse Dutch land check."""

from __future__ import annotations

import pytest
import test_quality_fixtures as fx

from regionomie.domain.schemas import CONTRACTS
from regionomie.quality.geo import on_dutch_land
from regionomie.quality.suites import TABLES, build_suite, rules_for
from regionomie.quality.thresholds import SUITE_VERSIONS, WEIGHT_CEILING_KG_BY_CHAPTER

ON_LAND = {  # (lat, lon) of real places
    "Amersfoort": (52.156, 5.387),
    "Maastricht": (50.851, 5.690),
    "Vaals": (50.770, 6.010),
    "Groningen": (53.219, 6.566),
    "Den Burg (Texel)": (53.050, 4.800),
    "Middelburg": (51.500, 3.610),
    "Sluis": (51.310, 3.390),
    "Enschede": (52.220, 6.890),
    "Delfzijl": (53.330, 6.920),
    "Zandvoort": (52.370, 4.530),
    "Schiermonnikoog": (53.480, 6.160),
    "Baarle-Nassau": (51.440, 4.930),
    "Venlo": (51.370, 6.170),
}
OFF_LAND = {
    "North Sea off IJmuiden": (52.500, 3.500),
    "North Sea off Den Helder": (52.900, 4.200),
    "Antwerp": (51.220, 4.400),
    "Aachen": (50.776, 6.080),
    "Emden": (53.370, 7.200),
    "Borkum": (53.590, 6.680),
    "Kleve": (51.790, 6.140),
    "Hasselt": (50.930, 5.340),
    "Null Island": (0.0, 0.0),
    "lat/lon swapped": (5.387, 52.156),
}


@pytest.mark.parametrize("place", list(ON_LAND))
def test_dutch_places_are_on_land(place: str) -> None:
    lat, lon = ON_LAND[place]
    assert on_dutch_land([lat], [lon])[0]


@pytest.mark.parametrize("place", list(OFF_LAND))
def test_sea_and_abroad_are_not(place: str) -> None:
    lat, lon = OFF_LAND[place]
    assert not on_dutch_land([lat], [lon])[0]


def test_nan_coordinates_are_not_on_land() -> None:
    assert not on_dutch_land([float("nan")], [5.0])[0]


@pytest.mark.parametrize("table", TABLES)
def test_each_rule_has_one_level_and_a_unique_name(table: str) -> None:
    rules = rules_for(
        table,
        fx.context(
            previous_row_count=10,
            related={"establishments": fx.establishments(), "organisations": fx.organisations()},
        ),
    )
    names = [r.name for r in rules]
    assert len(names) == len(set(names))
    assert {r.level for r in rules} <= {"row", "dataset"}
    assert "schema_matches_contract" in names


@pytest.mark.parametrize("table", TABLES)
def test_suite_meta_carries_version_and_level(table: str) -> None:
    rules = rules_for(table, fx.context())
    suite = build_suite(table, rules)
    assert suite.meta["suite_version"] == SUITE_VERSIONS[table]
    assert len(suite.expectations) == len(rules)
    for exp in suite.expectations:
        assert exp.meta["level"] in ("row", "dataset")
        assert exp.meta["rule"]


def test_contract_keys_are_unique_rules() -> None:
    rules = {r.name: r for r in rules_for("waste_records", fx.context())}
    assert rules["record_key_unique"].columns == CONTRACTS["waste_records"].key
    assert rules["record_key_unique"].level == "row"


def test_every_eural_chapter_has_a_ceiling() -> None:
    assert sorted(WEIGHT_CEILING_KG_BY_CHAPTER) == [f"{c:02d}" for c in range(1, 21)]
    assert all(v > 0 for v in WEIGHT_CEILING_KG_BY_CHAPTER.values())
