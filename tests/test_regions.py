"""Regions: the shipped CBS classifications, custom regions, lookup by slug/code/name, mergers,
and the "Gebieden in Nederland" connector against the local CBS stand-in."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from regionomie.connectors.cbs import CbsODataClient
from regionomie.connectors.cbs_regions import (
    fetch_standard_regions,
    find_table,
    write_standard_regions,
)
from regionomie.connectors.http import NotFound, make_session
from regionomie.domain import reference
from regionomie.domain.regions import (
    REGIONS_FILE,
    STANDARD_REGIONS_FILE,
    RegionsFileError,
    current_municipality_code,
    get_region,
    load_custom_regions,
    load_regions,
    load_reorganisations,
    load_standard_regions,
    regions_of_kind,
)
from tests.standin import CbsStandIn

REPO = Path(__file__).resolve().parent.parent


def test_every_municipality_is_in_exactly_one_region_of_each_shipped_kind():
    municipalities = set(reference.load_municipalities()["municipality_code"])
    assert len(municipalities) == 342
    regions = load_standard_regions(STANDARD_REGIONS_FILE)
    for kind, expected in (("corop", 40), ("province", 12), ("landsdeel", 4)):
        of_kind = regions_of_kind(regions, kind)
        assert len(of_kind) == expected, kind
        covered = [c for r in of_kind for c in r.municipality_codes]
        assert sorted(covered) == sorted(municipalities), kind  # a partition of the country


def test_corop_areas_nest_in_provinces_and_carry_source_and_year():
    regions = load_standard_regions(STANDARD_REGIONS_FILE)
    province_of = {
        code: r.code for r in regions_of_kind(regions, "province") for code in r.municipality_codes
    }
    for area in regions_of_kind(regions, "corop"):
        assert len({province_of[c] for c in area.municipality_codes}) == 1, area.name
        assert area.year == "2024" and "Gebieden in Nederland" in area.source
    amsterdam = get_region("CR23")
    assert amsterdam.name == "corop-groot-amsterdam" and "GM0363" in amsterdam.municipality_codes


def test_region_by_slug_code_or_name_and_ambiguity_named():
    assert get_region("regio-amersfoort").kind == "custom"
    assert get_region("Groot-Amsterdam").code == "CR23"
    assert get_region("pv26").name == "provincie-utrecht"
    assert get_region("Utrecht", kind="corop").code == "CR17"
    with pytest.raises(RegionsFileError, match="ambiguous: corop-utrecht .*provincie-utrecht"):
        get_region("Utrecht")
    with pytest.raises(RegionsFileError, match="unknown region 'Atlantis'"):
        get_region("Atlantis")


def test_custom_regions_keep_working_and_old_codes_follow_mergers(tmp_path):
    regions = load_regions()
    assert {"regio-amersfoort", "regio-meppel", "regio-groningen"} <= set(regions)
    assert (
        regions["regio-amersfoort"].municipality_codes
        == load_custom_regions(REGIONS_FILE)["regio-amersfoort"].municipality_codes
    )
    old = tmp_path / "regions.yaml"
    old.write_text(
        "regions:\n  maasland:\n    label: Maasland\n    municipalities:\n"
        "      GM0756: Boxmeer\n      GM1684: Cuijk\n      GM0797: Heusden\n",
        encoding="utf-8",
    )
    maasland = load_custom_regions(old)["maasland"]
    assert maasland.municipality_codes == ("GM1982", "GM0797")  # Boxmeer + Cuijk -> one


def test_a_custom_region_may_not_take_a_standard_name(tmp_path):
    clash = tmp_path / "regions.yaml"
    clash.write_text(
        "regions:\n  corop-utrecht:\n    municipalities:\n      GM0307: Amersfoort\n",
        encoding="utf-8",
    )
    with pytest.raises(RegionsFileError, match="corop-utrecht: the name of a standard region"):
        load_regions(clash)


def test_mergers_by_year_map_old_codes_to_current_ones():
    changes = load_reorganisations()
    current = set(reference.load_municipalities()["municipality_code"])
    for change in changes:  # the file itself: successors exist today, old codes do not
        assert change.new_code in current and change.old_code not in current, change
    assert current_municipality_code("GM0457") == "GM0363"  # Weesp -> Amsterdam (2022)
    assert current_municipality_code("GM0457", on=dt.date(2022, 1, 1)) == "GM0457"
    assert current_municipality_code("GM0501", on=dt.date(2023, 1, 1)) == "GM1992"
    assert current_municipality_code("GM0788") == "GM0824"  # Haaren split: the seat
    assert current_municipality_code("GM0307") == "GM0307"


def _client(cbs: CbsStandIn) -> CbsODataClient:
    return CbsODataClient(
        cbs.v3_base, cbs.v4_base, make_session(retries=0, backoff_factor=0, min_interval=0)
    )


def test_connector_reads_gebieden_in_nederland_into_the_reference_shape(
    httpserver: HTTPServer, tmp_path: Path
):
    cbs = CbsStandIn(httpserver, v4_page=25)  # several pages of observations
    client = _client(cbs)
    assert find_table(client).title == "Gebieden in Nederland 2024"  # the newest
    assert find_table(client, 2023).identifier == "85385NED"
    with pytest.raises(NotFound, match="Gebieden in Nederland 2019"):
        find_table(client, 2019)
    result = fetch_standard_regions(client)
    assert result.municipalities == 6
    assert result.kinds == {
        "corop": 4,
        "ggd": 4,
        "labour_market": 5,
        "landsdeel": 3,
        "province": 4,
        "res": 5,
    }  # urbanity (code + description, no area) is not a region
    out = write_standard_regions(result.rows, tmp_path / "standard_regions.csv")
    regions = load_standard_regions(out)
    ams = regions["corop-groot-amsterdam"]
    assert (ams.code, ams.municipality_codes, ams.year) == ("CR23", ("GM0363",), "2024")
    assert ams.source == "CBS 85755NED Gebieden in Nederland 2024"
    assert regions["ggd-ggd-regio-utrecht"].municipality_codes == ("GM0307", "GM0308", "GM0344")
    assert regions["res-regio-amersfoort"].municipality_names == ("Amersfoort", "Baarn")
    with out.open(encoding="utf-8") as handle:
        first = next(csv.DictReader(handle))
    assert first["region_code"] == "CR03" and first["municipality_name"] == "Groningen"


def test_regions_cli_refresh_then_list_by_kind(httpserver: HTTPServer, tmp_path: Path):
    cbs = CbsStandIn(httpserver)
    env = {
        "PATH": "/usr/bin:/bin",
        "CBS_ODATA_V4_BASE_URL": cbs.v4_base,
        "REGIONOMIE_STATE_DIR": str(tmp_path / "state"),
        "REGIONOMIE_ENV_FILE": str(tmp_path / ".env"),
    }
    cli = [sys.executable, "-m", "regionomie.cli", "regions"]
    before = subprocess.run(
        [*cli, "list", "--kind", "ggd"], env=env, capture_output=True, text=True, cwd=REPO
    )
    assert before.returncode == 2 and "regions refresh" in before.stderr
    refreshed = subprocess.run([*cli, "refresh"], env=env, capture_output=True, text=True, cwd=REPO)
    assert refreshed.returncode == 0, refreshed.stderr
    assert "85755NED (Gebieden in Nederland 2024): 6 gemeenten" in refreshed.stdout
    after = subprocess.run(
        [*cli, "list", "--kind", "GGD-regio"], env=env, capture_output=True, text=True, cwd=REPO
    )
    assert after.returncode == 0, after.stderr
    lines = after.stdout.splitlines()
    assert [line.split("\t")[1] for line in lines] == ["GG0111", "GG2406", "GG3406", "GG5406"]
    corop = subprocess.run(
        [*cli, "list", "--kind", "corop"], env=env, capture_output=True, text=True, cwd=REPO
    )
    assert len(corop.stdout.splitlines()) == 4  # the refreshed file is now in force


def test_run_refuses_a_region_without_data_before_any_work(tmp_path: Path) -> None:
    """`regionomie run --region regio-meppel` on the shipped sample (regio Amersfoort only):
    one line naming the region, its municipalities and what to fetch; exit 2; no Neo4j started
    and no run in the Dagster home."""
    env = {
        "PATH": "/usr/bin:/bin",
        "REGIONOMIE_STATE_DIR": str(tmp_path / "state"),
        "DAGSTER_HOME": str(tmp_path / "dh"),
        "REGIONOMIE_ENV_FILE": str(tmp_path / ".env"),
        "NEO4J_BOLT_PORT": "1",  # a server started despite the refusal could not bind here
    }
    (tmp_path / "dh").mkdir()
    refused = subprocess.run(
        [sys.executable, "-m", "regionomie.cli", "run", "--region", "regio-meppel"],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert refused.returncode == 2, refused.stderr
    errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in refused.stderr
    line = errors[0]
    assert "regio-meppel" in line and "GM0119 Meppel" in line and "--data" in line
    assert "Neo4j" not in refused.stderr
    assert not (tmp_path / "state" / "neo4j").exists()
    assert not {"storage", "history", "schedules"} & {p.name for p in (tmp_path / "dh").iterdir()}
