"""HTTP sources cannot leak the key or exhaust the machine (local servers, recorded shapes from
tests/fixtures/http): the KvK `apikey` never follows a redirect to another host, a keyed API is
refused over plain http unless local, every response body has a byte cap (also after gzip) and
an OData v4 @odata.nextLink is followed only on the same host."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from regionomie.connectors.cbs import CbsODataClient
from regionomie.connectors.http import BadResponse, get_json, is_local_host, make_session
from regionomie.connectors.kvk import KvkClient

FIXTURES = Path(__file__).parent / "fixtures" / "http"
KEY = "l7xx-hardening-test-key-0123456789"
# KvK Basisprofiel shape (developers.kvk.nl, Basisprofiel API), our fictitious content
BASISPROFIEL = json.loads((FIXTURES / "kvk" / "basisprofiel_90001234.json").read_text("utf-8"))


def session() -> Any:
    return make_session(retries=0, backoff_factor=0, min_interval=0, read_timeout=5.0)


@pytest.fixture()
def other_host() -> Iterator[HTTPServer]:
    """A second server under another host name (127.0.0.1 vs the default localhost)."""
    server = HTTPServer(host="127.0.0.1")
    server.start()
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()


def _recording(seen: list[dict[str, str]], body: Any) -> Any:
    def handle(request: Request) -> Response:
        seen.append({k.lower(): v for k, v in request.headers.items()})
        return Response(json.dumps(body), content_type="application/json")

    return handle


def test_api_key_does_not_follow_a_redirect_to_another_host(
    httpserver: HTTPServer, other_host: HTTPServer
) -> None:
    first: list[dict[str, str]] = []
    elsewhere: list[dict[str, str]] = []

    def redirect(request: Request) -> Response:
        first.append({k.lower(): v for k, v in request.headers.items()})
        target = other_host.url_for("/api/v1/basisprofielen/90001234")
        return Response("", status=302, headers={"Location": target})

    httpserver.expect_request("/api/v1/basisprofielen/90001234").respond_with_handler(redirect)
    other_host.expect_request("/api/v1/basisprofielen/90001234").respond_with_handler(
        _recording(elsewhere, BASISPROFIEL)
    )
    client = KvkClient(httpserver.url_for("/api"), KEY, session=session())
    assert client.basisprofiel("90001234")["kvkNummer"] == BASISPROFIEL["kvkNummer"]
    assert first[0]["apikey"] == KEY  # sent to the configured host
    assert len(elsewhere) == 1 and "apikey" not in elsewhere[0]  # never to another host


def test_api_key_follows_a_redirect_on_the_same_host(httpserver: HTTPServer) -> None:
    seen: list[dict[str, str]] = []
    httpserver.expect_request("/api/v1/basisprofielen/90001234").respond_with_data(
        "", status=301, headers={"Location": "/api/v1/basisprofielen/90001234/"}
    )
    httpserver.expect_request("/api/v1/basisprofielen/90001234/").respond_with_handler(
        _recording(seen, BASISPROFIEL)
    )
    client = KvkClient(httpserver.url_for("/api"), KEY, session=session())
    client.basisprofiel("90001234")
    assert seen[0]["apikey"] == KEY


@pytest.mark.parametrize(
    "url", ["http://api.kvk.nl/api", "http://10.0.0.5/api", "ftp://api.kvk.nl/api", "api.kvk.nl"]
)
def test_plain_http_base_url_is_refused_for_a_keyed_api(url: str) -> None:
    with pytest.raises(ValueError, match="https://"):
        KvkClient(url, KEY)


@pytest.mark.parametrize(
    "url", ["http://localhost:8080/api", "http://127.0.0.1:9/api", "http://[::1]:9/api"]
)
def test_plain_http_is_accepted_for_local_test_servers(url: str) -> None:
    assert is_local_host(url)
    assert KvkClient(url, KEY).base_url == url


def test_response_bigger_than_the_cap_is_refused(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGIONOMIE_HTTP_MAX_MB", "1")
    big = {"value": ["x" * 1000] * 2000}  # ~2 MB of JSON
    httpserver.expect_request("/big").respond_with_json(big)
    with pytest.raises(BadResponse, match="1 MB cap"):
        get_json(session(), httpserver.url_for("/big"))
    httpserver.expect_request("/small").respond_with_json({"value": [1]})
    assert get_json(session(), httpserver.url_for("/small")) == {"value": [1]}


def test_gzip_body_inflating_past_the_cap_is_refused(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGIONOMIE_HTTP_MAX_MB", "1")
    bomb = gzip.compress(b'{"value": "' + b"0" * (50 * 1024 * 1024) + b'"}')
    assert len(bomb) < 100_000  # 50 MB that travel as ~50 KB
    httpserver.expect_request("/bomb").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip"}, content_type="application/json"
    )
    with pytest.raises(BadResponse, match="exceeds the 1 MB cap"):
        get_json(session(), httpserver.url_for("/bomb"))


def test_next_link_to_another_host_is_not_followed(
    httpserver: HTTPServer, other_host: HTTPServer
) -> None:
    # CBS OData v4 Observations page shape (odata4.cbs.nl; OData JSON format, @odata.nextLink)
    obs = json.loads((FIXTURES / "cbs" / "v4_85984NED_Observations_GM0307.json").read_text())
    page = {
        "@odata.context": "x",
        "value": obs["value"][:5],
        "@odata.nextLink": other_host.url_for("/CBS/85984NED/Observations") + "?$skip=5",
    }
    httpserver.expect_request("/CBS/85984NED/Observations").respond_with_json(page)
    stolen: list[dict[str, str]] = []
    other_host.expect_request("/CBS/85984NED/Observations").respond_with_handler(
        _recording(stolen, {"value": []})
    )
    client = CbsODataClient(v4_base_url=httpserver.url_for("/CBS"), session=session())
    with pytest.raises(BadResponse, match="another host"):
        list(client.observations("85984NED"))
    assert stolen == []
