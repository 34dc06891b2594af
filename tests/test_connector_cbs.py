"""CBS OData v3 ($skip paging, region filter) and v4 (nextLink) against a local server, and
resolve_fields over two years' DataProperties."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from regionomie.connectors.cbs import (
    CbsODataClient,
    geo_dimension_v3,
    region_filter,
    resolve_fields,
)
from regionomie.connectors.http import BadResponse, make_session

FIXTURES = Path(__file__).parent / "fixtures" / "http" / "cbs"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def session() -> Any:
    return make_session(retries=1, backoff_factor=0, min_interval=0, read_timeout=2)


def v3_rows_handler(rows: list[dict[str, Any]], seen: list[dict[str, str]]) -> Any:
    """Serve TypedDataSet honouring $top/$skip (no server-side filtering: the fixture already
    holds only GM0307 and its districts/neighbourhoods)."""

    def handle(request: Request) -> Response:
        seen.append(dict(request.args))
        top = int(request.args["$top"])
        skip = int(request.args.get("$skip", "0"))
        body = {"odata.metadata": "x", "value": rows[skip : skip + top]}
        return Response(json.dumps(body), content_type="application/json; charset=utf-8")

    return handle


def test_resolve_fields_two_years() -> None:
    wanted = ["AantalInwoners", "k_65JaarOfOuder", "PersonenPerSoortUitkeringWW", "Gemeentenaam"]
    p2024 = load("v3_85984NED_DataProperties.json")["value"]
    p2023 = load("v3_85618NED_DataProperties.json")["value"]
    r2024 = resolve_fields(p2024, wanted)
    r2023 = resolve_fields(p2023, wanted)
    assert r2024["PersonenPerSoortUitkeringWW"] == "PersonenPerSoortUitkeringWW_89"
    assert r2023["PersonenPerSoortUitkeringWW"] == "PersonenPerSoortUitkeringWW_85"
    assert r2024["AantalInwoners"] == r2023["AantalInwoners"] == "AantalInwoners_5"
    assert r2024["Gemeentenaam"] == "Gemeentenaam_1"
    # every resolved key really is a key of that year's table
    keys_2023 = {p["Key"] for p in p2023}
    assert set(r2023.values()) <= keys_2023


def test_resolve_fields_exact_missing_and_ambiguous() -> None:
    props = [{"Key": "WijkenEnBuurten"}, {"Key": "Bijstand_3"}, {"Key": "Bijstand_7"}]
    assert resolve_fields(props, ["WijkenEnBuurten"]) == {"WijkenEnBuurten": "WijkenEnBuurten"}
    assert resolve_fields(props, ["Nope"]) == {}
    with pytest.raises(KeyError, match="Nope"):
        resolve_fields(props, ["Nope"], strict=True)
    with pytest.raises(ValueError, match="ambiguous"):
        resolve_fields(props, ["Bijstand"])
    # a prefix never matches a longer name: 'AantalInwoners' is not 'AantalInwonersX_4'
    assert resolve_fields([{"Key": "AantalInwonersX_4"}], ["AantalInwoners"]) == {}


def test_region_filter_includes_districts_and_neighbourhoods() -> None:
    f = region_filter("WijkenEnBuurten", "gm0307")
    assert f == (
        "startswith(WijkenEnBuurten,'GM0307') or startswith(WijkenEnBuurten,'WK0307') "
        "or startswith(WijkenEnBuurten,'BU0307')"
    )
    assert region_filter("RegioS", "GM0307", include_subregions=False) == (
        "startswith(RegioS,'GM0307')"
    )
    with pytest.raises(ValueError):
        region_filter("RegioS", "GM0307') or (1 eq 1")


def test_geo_dimension_from_data_properties() -> None:
    assert geo_dimension_v3(load("v3_85984NED_DataProperties.json")["value"]) == "WijkenEnBuurten"
    with pytest.raises(ValueError, match="no region dimension"):
        geo_dimension_v3([{"Key": "Perioden", "Type": "TimeDimension"}], "X")


def test_v3_skip_paging_past_page_size(httpserver: HTTPServer) -> None:
    rows = load("v3_85984NED_TypedDataSet_GM0307.json")["value"]
    assert len(rows) == 13
    seen: list[dict[str, str]] = []
    httpserver.expect_request("/ODataApi/odata/85984NED/TypedDataSet").respond_with_handler(
        v3_rows_handler(rows, seen)
    )
    client = CbsODataClient(httpserver.url_for("/"), session=session(), page_size=5)
    got = list(client.typed_dataset("85984NED", filter="startswith(WijkenEnBuurten,'GM0307')"))
    assert got == rows
    assert [(q["$top"], q["$skip"]) for q in seen] == [("5", "0"), ("5", "5"), ("5", "10")]
    assert all(q["$format"] == "json" for q in seen)
    assert seen[0]["$filter"] == "startswith(WijkenEnBuurten,'GM0307')"
    assert (client.last_fetch.pages, client.last_fetch.rows) == (3, 13)


def test_v3_exact_multiple_of_page_size_asks_one_empty_page(httpserver: HTTPServer) -> None:
    rows = load("v3_85984NED_TypedDataSet_GM0307.json")["value"][:10]
    seen: list[dict[str, str]] = []
    httpserver.expect_request("/ODataApi/odata/85984NED/TypedDataSet").respond_with_handler(
        v3_rows_handler(rows, seen)
    )
    client = CbsODataClient(httpserver.url_for("/"), session=session(), page_size=5)
    assert len(list(client.typed_dataset("85984NED"))) == 10
    assert len(seen) == 3


def test_v3_bundle_shape_and_region_filter(httpserver: HTTPServer) -> None:
    props = load("v3_85984NED_DataProperties.json")
    rows = load("v3_85984NED_TypedDataSet_GM0307.json")["value"]
    seen: list[dict[str, str]] = []
    httpserver.expect_request("/ODataApi/odata/85984NED/DataProperties").respond_with_json(props)
    httpserver.expect_request("/ODataApi/odata/85984NED/TypedDataSet").respond_with_handler(
        v3_rows_handler(rows, seen)
    )
    client = CbsODataClient(httpserver.url_for("/"), session=session(), page_size=5)
    bundle = client.v3_bundle("85984NED", region="GM0307")
    assert list(bundle) == [
        "format",
        "table_id",
        "base_url",
        "retrieved_at",
        "data_properties",
        "rows",
    ]
    assert bundle["format"] == "cbs-odata-v3" and bundle["table_id"] == "85984NED"
    assert bundle["data_properties"] == props["value"]
    assert bundle["rows"] == rows
    assert bundle["retrieved_at"].endswith("Z")
    assert "startswith(WijkenEnBuurten,'BU0307')" in seen[0]["$filter"]


def test_v3_response_without_value_is_bad_response(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/ODataApi/odata/85984NED/DataProperties").respond_with_json(
        {"odata.error": {"code": "", "message": {"lang": "nl", "value": "Fout"}}}
    )
    client = CbsODataClient(httpserver.url_for("/"), session=session())
    with pytest.raises(BadResponse, match="no 'value' list"):
        client.data_properties("85984NED")


def test_bad_table_id_refused() -> None:
    with pytest.raises(ValueError, match="85984NED"):
        CbsODataClient(session=session()).v3_url("../../etc", "TypedDataSet")


def serve_v4(httpserver: HTTPServer, page: int = 10) -> list[dict[str, str]]:
    """Serve the v4 fixture table; Observations come in pages of `page` with an absolute
    @odata.nextLink, like odata4.cbs.nl does."""
    seen: list[dict[str, str]] = []
    obs = load("v4_85984NED_Observations_GM0307.json")["value"]
    base = "/CBS/85984NED"

    def observations(request: Request) -> Response:
        seen.append(dict(request.args))
        skip = int(request.args.get("$skip", "0"))
        body: dict[str, Any] = {"@odata.context": "x", "value": obs[skip : skip + page]}
        if skip + page < len(obs):
            body["@odata.nextLink"] = httpserver.url_for(f"{base}/Observations") + (
                f"?$skip={skip + page}"
            )
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request(f"{base}/Observations").respond_with_handler(observations)
    for entity in ("Dimensions", "MeasureCodes", "WijkenEnBuurtenCodes"):
        httpserver.expect_request(f"{base}/{entity}").respond_with_json(
            load(f"v4_85984NED_{entity}.json")
        )
    return seen


def test_v4_follows_next_link(httpserver: HTTPServer) -> None:
    seen = serve_v4(httpserver, page=10)
    client = CbsODataClient(v4_base_url=httpserver.url_for("/CBS"), session=session())
    got = list(client.observations("85984NED", filter="startswith(WijkenEnBuurten,'GM0307')"))
    expected = load("v4_85984NED_Observations_GM0307.json")["value"]
    assert got == expected and len(expected) == 39
    assert [q.get("$skip") for q in seen] == [None, "10", "20", "30"]
    assert seen[0]["$filter"] == "startswith(WijkenEnBuurten,'GM0307')"
    assert "$filter" not in seen[1]  # the link carries the query itself
    assert client.last_fetch.pages == 4


def test_v4_bundle_shape(httpserver: HTTPServer) -> None:
    seen = serve_v4(httpserver, page=20)
    client = CbsODataClient(v4_base_url=httpserver.url_for("/CBS"), session=session())
    bundle = client.v4_bundle("85984NED", region="GM0307")
    assert set(bundle) == {
        "format",
        "table_id",
        "base_url",
        "retrieved_at",
        "measure_codes",
        "observations",
        "dimensions",
    }
    assert bundle["format"] == "cbs-odata-v4"
    assert bundle["measure_codes"] == load("v4_85984NED_MeasureCodes.json")["value"]
    assert bundle["dimensions"] == {
        "WijkenEnBuurten": load("v4_85984NED_WijkenEnBuurtenCodes.json")["value"]
    }
    assert len(bundle["observations"]) == 39
    assert "startswith(WijkenEnBuurten,'WK0307')" in seen[0]["$filter"]
