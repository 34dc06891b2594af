"""`regionomie fetch kvk|cbs|pdok` end to end against a local server: the landing files it
writes (names and exact formats) and its one-line errors / exit codes."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from standin import CbsStandIn, KvkStandIn
from werkzeug import Request, Response

from regionomie.commands import fetch

FIXTURES = Path(__file__).parent / "fixtures" / "http"
KEY = "l7xx-cli-test-key-0000000000000000"
STAMP = r"\d{8}T\d{6}"


def load(rel: str) -> Any:
    return json.loads((FIXTURES / rel).read_text(encoding="utf-8"))


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="regionomie")
    fetch.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["fetch", *argv])
    return int(args.func(args))


@pytest.fixture
def env(httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    landing = tmp_path / "landing"
    monkeypatch.setenv("REGIONOMIE_LANDING_DIR", str(landing))
    monkeypatch.setenv("KVK_API_BASE_URL", httpserver.url_for("/api"))
    monkeypatch.setenv("KVK_API_KEY", KEY)
    monkeypatch.setenv("CBS_ODATA_BASE_URL", httpserver.url_for("/"))
    monkeypatch.setenv("CBS_ODATA_V4_BASE_URL", httpserver.url_for("/odata/v1"))
    monkeypatch.setenv("PDOK_BASE_URL", httpserver.url_for("/"))
    return landing


FAST = ["--retries", "1", "--min-interval", "0", "--timeout", "2"]


def serve_zoeken(httpserver: HTTPServer, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Serve Zoeken v2 pages; return the list of page bodies exactly as sent."""
    sent: list[dict[str, Any]] = []

    def handle(request: Request) -> Response:
        page = int(request.args["pagina"])
        size = int(request.args["resultatenPerPagina"])
        body = {
            "pagina": page,
            "resultatenPerPagina": size,
            "totaal": len(results),
            "resultaten": results[(page - 1) * size : page * size],
            "_links": {"self": {"href": request.url}},
        }
        sent.append(body)
        return Response(json.dumps(body), content_type="application/hal+json")

    httpserver.expect_request("/api/v2/zoeken").respond_with_handler(handle)
    return sent


def only_file(folder: Path) -> Path:
    files = [p for p in folder.iterdir() if not p.name.startswith(".")]
    assert len(files) == 1, files
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    return files[0]


def test_kvk_search_writes_page_responses_as_jsonl(
    httpserver: HTTPServer, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = load("kvk/zoeken_results_amersfoort.json")
    sent = serve_zoeken(httpserver, results)
    assert run(["kvk", "--plaats", "Amersfoort", "--page-size", "3", *FAST]) == 0
    path = only_file(env / "kvk")
    assert re.fullmatch(rf"kvk_plaats-amersfoort_{STAMP}\.jsonl", path.name)
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    assert lines == sent and len(lines) == 3  # exactly as returned, one page per line
    out = capsys.readouterr().out
    assert f"{len(results)} search results in 3 pages" in out and str(path) in out
    for r in results:  # never print names
        assert r["naam"] not in out


def test_kvk_profiles_write_profile_responses(
    httpserver: HTTPServer, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = load("kvk/zoeken_results_amersfoort.json")[:3]
    serve_zoeken(httpserver, results)
    sent: list[dict[str, Any]] = []
    basis = load("kvk/basisprofiel_90001234.json")
    vest = load("kvk/vestigingsprofiel_000050000000_geo.json")

    def profile(request: Request) -> Response:
        assert request.headers["apikey"] == KEY
        number = request.path.rsplit("/", 1)[1]
        if "/basisprofielen/" in request.path:
            body = {**basis, "kvkNummer": number}
        else:
            assert request.args["geoData"] == "true"
            body = {**vest, "vestigingsnummer": number}
        sent.append(body)
        return Response(json.dumps(body), content_type="application/hal+json")

    httpserver.expect_request(
        re.compile(r"/api/v1/(basisprofielen|vestigingsprofielen)/\d+")
    ).respond_with_handler(profile)
    assert run(["kvk", "--postcode", "3811 NB", "--huisnummer", "10", "--profiles", *FAST]) == 0
    path = only_file(env / "kvk")
    assert re.fullmatch(rf"kvk_postcode-3811-nb-10_{STAMP}\.jsonl", path.name)
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    assert lines == sent
    assert len(lines) == 6  # 3 distinct KvK numbers -> 3 basisprofielen + 3 vestigingsprofielen
    assert "3 basisprofielen + 3 vestigingsprofielen" in capsys.readouterr().out


def test_kvk_max_profiles_stops(httpserver: HTTPServer, env: Path) -> None:
    serve_zoeken(httpserver, load("kvk/zoeken_results_amersfoort.json"))
    httpserver.expect_request(re.compile(r"/api/v1/.*")).respond_with_json({"kvkNummer": "1"})
    assert run(["kvk", "--plaats", "Amersfoort", "--profiles", "--max-profiles", "4", *FAST]) == 0
    lines = only_file(env / "kvk").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4


def test_kvk_empty_search_writes_nothing(
    httpserver: HTTPServer, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    httpserver.expect_request("/api/v2/zoeken").respond_with_json(
        load("kvk/ipd5200_not_found.json"), status=404
    )
    assert run(["kvk", "--kvk-nummer", "12345678", *FAST]) == 0
    assert "no results" in capsys.readouterr().out
    assert not list((env / "kvk").glob("*.jsonl"))


@pytest.mark.parametrize(
    ("status", "body", "code", "text"),
    [
        (401, "", 3, "bad or missing API key"),
        (500, "boom", 5, "HTTP 500"),
        (200, "<html><body>Onderhoud</body></html>", 6, "expected JSON"),
        (200, '{"pagina": 1, "resul', 6, "malformed JSON"),
    ],
)
def test_kvk_errors_are_one_line_with_exit_code(
    httpserver: HTTPServer,
    env: Path,
    capsys: pytest.CaptureFixture[str],
    status: int,
    body: str,
    code: int,
    text: str,
) -> None:
    ctype = "text/html" if body.startswith("<") else "application/json"
    httpserver.expect_request("/api/v2/zoeken").respond_with_data(
        body, status=status, content_type=ctype
    )
    assert run(["kvk", "--plaats", "Amersfoort", "--retries", "0", "--min-interval", "0"]) == code
    err = capsys.readouterr().err.strip()
    assert err.startswith("regionomie fetch kvk: error:") and text in err
    assert "\n" not in err and KEY not in err
    assert not list((env / "kvk").glob("*"))  # nothing half-written


def test_kvk_missing_key(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("KVK_API_KEY")
    assert run(["kvk", "--plaats", "Amersfoort"]) == 2
    err = capsys.readouterr().err.strip()
    assert "KVK_API_KEY is not set" in err and "https://api.kvk.nl/test/api" in err
    assert "\n" not in err


def test_kvk_failure_on_second_page_leaves_no_file(httpserver: HTTPServer, env: Path) -> None:
    results = load("kvk/zoeken_results_amersfoort.json")
    page1 = {"pagina": 1, "resultatenPerPagina": 3, "totaal": 8, "resultaten": results[:3]}
    httpserver.expect_ordered_request("/api/v2/zoeken").respond_with_json(page1)
    httpserver.expect_ordered_request("/api/v2/zoeken").respond_with_data("x", status=503)
    assert run(["kvk", "--plaats", "Amersfoort", "--page-size", "3", "--retries", "0"]) == 5
    assert [p for p in (env / "kvk").iterdir()] == []


def test_cbs_v3_writes_bundle(
    httpserver: HTTPServer, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    CbsStandIn(httpserver)
    props = load("cbs/v3_85984NED_DataProperties.json")
    rows = load("cbs/v3_85984NED_TypedDataSet_GM0307.json")["value"]
    argv = ["cbs", "--table", "85984NED", "--region", "GM0307", "--page-size", "5", *FAST]
    assert run(argv) == 0
    path = only_file(env / "municipal")
    assert re.fullmatch(rf"cbs_85984NED_GM0307_{STAMP}\.json", path.name)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert list(doc) == [
        "format",
        "table_id",
        "base_url",
        "retrieved_at",
        "region",
        "data_properties",
        "dimensions",
        "rows",
    ]
    assert doc["format"] == "cbs-odata-v3" and doc["table_id"] == "85984NED"
    assert doc["base_url"] == httpserver.url_for("/").rstrip("/")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc["retrieved_at"])
    assert doc["data_properties"] == props["value"] and doc["rows"] == rows
    assert list(doc["dimensions"]) == ["WijkenEnBuurten"]
    # 3 pages of the region, 1 (empty here) of the Nederland row
    assert "13 rows of 85984NED (v3) in 4 pages" in capsys.readouterr().out


def test_cbs_v4_writes_bundle(
    httpserver: HTTPServer, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    CbsStandIn(httpserver, v4_page=20)
    assert run(["cbs", "--table", "85984NED", "--v4", *FAST]) == 0
    path = only_file(env / "municipal")
    assert re.fullmatch(rf"cbs_85984NED_all_{STAMP}\.json", path.name)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format"] == "cbs-odata-v4"
    assert doc["observations"] == load("cbs/v4_85984NED_Observations_GM0307.json")["value"]
    assert doc["measure_codes"] == load("cbs/v4_85984NED_MeasureCodes.json")["value"]
    assert doc["dataset_url"] == httpserver.url_for("/odata/v1/CBS/85984NED")
    assert list(doc["dimensions"]) == ["WijkenEnBuurten"]
    assert "/odata/v1/CBS/85984NED" in capsys.readouterr().out


def test_cbs_region_the_table_does_not_hold_exits_not_found(
    httpserver: HTTPServer, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    CbsStandIn(httpserver)
    assert run(["cbs", "--table", "83558NED", "--region", "GM0307", *FAST]) == 4
    err = capsys.readouterr().err.strip()
    assert err.startswith("regionomie fetch cbs: error: CBS table 83558NED: region GM0307")
    assert "Regiokenmerken" in err and "\n" not in err
    assert not (env / "municipal").exists() or not list((env / "municipal").iterdir())


def test_kvk_postcode_without_house_number_is_refused_before_any_call(
    httpserver: HTTPServer, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kvk = KvkStandIn(httpserver, KEY)
    assert run(["kvk", "--postcode", "3811NB", *FAST]) == 2
    err = capsys.readouterr().err.strip()
    assert "postcode only together with huisnummer" in err and "\n" not in err
    assert "open dataset" in err  # the bulk path is named
    assert kvk.requests == []


def test_kvk_generation_v3_writes_organisatie_and_vestigingen(
    httpserver: HTTPServer, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kvk = KvkStandIn(httpserver, KEY)
    argv = ["kvk", "--postcode", "3811NB", "--huisnummer", "10", "--generation", "v3"]
    assert run([*argv, "--profiles", *FAST]) == 0
    paths = [p for p, _ in kvk.requests]
    assert paths == [
        "/api/v3/zoeken",
        "/api/v1/organisatie/kvknummer/90001234",
        "/api/v1/vestigingen/vestigingsnummer/000050000000",
    ]
    lines = [json.loads(x) for x in only_file(env / "kvk").read_text("utf-8").splitlines()]
    assert "maatschappelijkeActiviteit" in lines[0] and lines[1]["vestigingsnummer"]
    out = capsys.readouterr().out
    assert "1 organisaties + 1 vestigingen" in out and "API v3" in out


def test_kvk_search_over_the_cap_is_narrowed_by_type(
    httpserver: HTTPServer, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = load("kvk/zoeken_results_amersfoort.json")
    # the unnarrowed query reports 2,400 hits; per type the counts fit under the cap
    kvk = KvkStandIn(
        httpserver, KEY, results, reported_total=lambda a: None if a.getlist("type") else 2400
    )
    assert run(["kvk", "--plaats", "Amersfoort", *FAST]) == 0
    types = [q.get("type") for p, q in kvk.requests[1:]]
    assert types == [["hoofdvestiging"], ["nevenvestiging"], ["rechtspersoon"]]
    lines = only_file(env / "kvk").read_text("utf-8").splitlines()
    assert sum(len(json.loads(x)["resultaten"]) for x in lines) == len(results)
    captured = capsys.readouterr()
    assert "searched per type" in captured.err and "capped" not in captured.err


def test_pdok_year_before_the_yearly_wfs_is_refused(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["pdok", "--year", "2015", *FAST]) == 2
    err = capsys.readouterr().err.strip()
    assert "from 2016 on" in err and "historical" in err and "\n" not in err


def test_cbs_404_table(
    httpserver: HTTPServer, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    httpserver.expect_request("/ODataApi/odata/99999NED/DataProperties").respond_with_data(
        "", status=404
    )
    assert run(["cbs", "--table", "99999NED", *FAST]) == 4
    assert "HTTP 404" in capsys.readouterr().err


def test_cbs_bad_region_is_usage_error(
    httpserver: HTTPServer, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    httpserver.expect_request("/ODataApi/odata/85984NED/DataProperties").respond_with_json(
        load("cbs/v3_85984NED_DataProperties.json")
    )
    assert run(["cbs", "--table", "85984NED", "--region", "Amersfoort!", *FAST]) == 2
    assert "region must look like GM0307" in capsys.readouterr().err


def test_pdok_writes_geojson(
    httpserver: HTTPServer, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full = load("pdok/gemeenten_2025.geojson")

    def wfs(request: Request) -> Response:
        count, start = int(request.args["count"]), int(request.args["startIndex"])
        page = {**full, "features": full["features"][start : start + count]}
        return Response(json.dumps(page), content_type="application/json")

    httpserver.expect_request("/cbs/gebiedsindelingen/2025/wfs/v1_0").respond_with_handler(wfs)
    assert run(["pdok", "--year", "2025", "--page-size", "2", *FAST]) == 0
    path = only_file(env / "municipal")
    assert re.fullmatch(rf"pdok_gemeenten_2025_{STAMP}\.geojson", path.name)
    assert json.loads(path.read_text(encoding="utf-8")) == full
    assert "5 municipalities (2025) in 3 pages" in capsys.readouterr().out


def test_no_source_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert run([]) == 2
