"""PDOK WFS municipal boundaries: count/startIndex paging merged into one FeatureCollection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from regionomie.connectors.http import BadResponse, make_session
from regionomie.connectors.pdok import MUNICIPALITY_LAYER, PdokClient

FIXTURE = Path(__file__).parent / "fixtures" / "http" / "pdok" / "gemeenten_2025.geojson"
WFS_PATH = "/cbs/gebiedsindelingen/2025/wfs/v1_0"


def collection() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def wfs_handler(full: dict[str, Any], seen: list[dict[str, str]], matched: bool) -> Any:
    def handle(request: Request) -> Response:
        seen.append(dict(request.args))
        count = int(request.args["count"])
        start = int(request.args.get("startIndex", "0"))
        page = {k: v for k, v in full.items() if k != "features"}
        page["features"] = full["features"][start : start + count]
        if matched:
            page["numberMatched"] = len(full["features"])
            page["numberReturned"] = len(page["features"])
        return Response(json.dumps(page), content_type="application/json; subtype=geojson")

    return handle


def client(httpserver: HTTPServer, page_size: int) -> PdokClient:
    session = make_session(retries=1, backoff_factor=0, min_interval=0, read_timeout=2)
    return PdokClient(httpserver.url_for("/"), session, page_size=page_size)


def test_paging_merges_all_features(httpserver: HTTPServer) -> None:
    full = collection()
    seen: list[dict[str, str]] = []
    httpserver.expect_request(WFS_PATH).respond_with_handler(wfs_handler(full, seen, False))
    c = client(httpserver, page_size=2)
    got = c.gemeenten(2025)
    assert got == full  # same members, all features, in order
    assert [q["startIndex"] for q in seen] == ["0", "2", "4"]
    q = seen[0]
    assert (q["service"], q["version"], q["request"]) == ("WFS", "2.0.0", "GetFeature")
    assert q["typeName"] == MUNICIPALITY_LAYER
    assert q["outputFormat"] == "application/json"
    assert q["srsName"] == "EPSG:4326"
    assert (c.last_fetch.pages, c.last_fetch.features) == (3, 5)
    assert {f["properties"]["statcode"] for f in got["features"]} >= {"GM0307", "GM0327"}


def test_number_matched_stops_without_extra_request(httpserver: HTTPServer) -> None:
    full = collection()
    seen: list[dict[str, str]] = []
    httpserver.expect_request(WFS_PATH).respond_with_handler(wfs_handler(full, seen, True))
    got = client(httpserver, page_size=5).gemeenten(2025)
    assert len(seen) == 1
    assert got["numberReturned"] == 5 and got["numberMatched"] == 5


def test_not_a_feature_collection_is_bad_response(httpserver: HTTPServer) -> None:
    httpserver.expect_request(WFS_PATH).respond_with_json({"type": "ExceptionReport"})
    with pytest.raises(BadResponse, match="not a GeoJSON FeatureCollection"):
        client(httpserver, page_size=2).gemeenten(2025)


def test_bad_year_refused() -> None:
    with pytest.raises(ValueError, match="year"):
        PdokClient(session=make_session()).wfs_url(25)


def test_years_before_the_yearly_wfs_are_refused_with_the_reason() -> None:
    client = PdokClient(session=make_session())
    with pytest.raises(ValueError) as err:
        client.wfs_url(2015)
    msg = str(err.value)
    assert "from 2016 on" in msg and "historical" in msg and "regionomie ingest" in msg
    assert client.wfs_url(2016).endswith("/cbs/gebiedsindelingen/2016/wfs/v1_0")


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("gemeenten_2025.geojson", "lonlat"),
        ("gemeenten_2025_rd_new.geojson", "rd_new"),  # the service ignored srsName
        ("gemeenten_2025_latlon.geojson", "latlon"),  # EPSG:4326 in lat/lon axis order
    ],
)
def test_coordinate_system_of_the_answer_is_detected(
    httpserver: HTTPServer, fixture: str, kind: str
) -> None:
    full = json.loads((FIXTURE.parent / fixture).read_text(encoding="utf-8"))
    seen: list[dict[str, str]] = []
    httpserver.expect_request(WFS_PATH).respond_with_handler(wfs_handler(full, seen, True))
    c = client(httpserver, page_size=10)
    assert c.gemeenten(2025)["features"] == full["features"]
    assert c.last_fetch.coordinates == kind
