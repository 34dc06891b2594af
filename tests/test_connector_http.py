"""HTTP session behaviour against a local server: retries, Retry-After, timeouts, typed errors,
rate limit, no secret in messages or logs."""

from __future__ import annotations

import json
import logging
import socket
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from regionomie.connectors.http import (
    AuthError,
    BadResponse,
    ConnectorTimeout,
    NotFound,
    UpstreamError,
    get_json,
    make_session,
)

FIXTURES = Path(__file__).parent / "fixtures" / "http"
SECRET = "l7xx-this-is-a-secret-key-0123456789"


def fast_session(**kw: float | int) -> object:
    opts: dict[str, float | int] = {
        "retries": 3,
        "backoff_factor": 0,
        "min_interval": 0,
        "read_timeout": 2.0,
    }
    opts.update(kw)
    return make_session(**opts)  # type: ignore[arg-type]


def test_429_then_200_is_retried_with_retry_after_zero(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/data").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "0"}
    )
    httpserver.expect_ordered_request("/data").respond_with_json({"ok": 1})
    assert get_json(fast_session(), httpserver.url_for("/data")) == {"ok": 1}
    assert len(httpserver.log) == 2


def test_retry_after_one_second_is_honoured(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/data").respond_with_data(
        "", status=429, headers={"Retry-After": "1"}
    )
    httpserver.expect_ordered_request("/data").respond_with_json({"ok": 2})
    start = time.monotonic()
    assert get_json(fast_session(), httpserver.url_for("/data")) == {"ok": 2}
    assert time.monotonic() - start >= 0.9


def test_retry_after_is_capped_by_backoff_max(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/data").respond_with_data(
        "", status=503, headers={"Retry-After": "120"}
    )
    httpserver.expect_ordered_request("/data").respond_with_json({"ok": 3})
    start = time.monotonic()
    assert get_json(fast_session(backoff_max=0.2), httpserver.url_for("/data")) == {"ok": 3}
    assert time.monotonic() - start < 5


def test_500_every_time_gives_upstream_error_after_retries(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/down").respond_with_data("boom", status=500)
    with pytest.raises(UpstreamError) as err:
        get_json(fast_session(retries=2), httpserver.url_for("/down"))
    assert "HTTP 500" in str(err.value) and "/down" in str(err.value)
    assert len(httpserver.log) == 3  # first try + 2 retries
    assert "\n" not in str(err.value)


def test_429_forever_gives_upstream_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/busy").respond_with_data(
        "", status=429, headers={"Retry-After": "0"}
    )
    with pytest.raises(UpstreamError, match="429"):
        get_json(fast_session(retries=1), httpserver.url_for("/busy"))


def test_read_timeout_gives_connector_timeout(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    start = time.monotonic()
    with pytest.raises(ConnectorTimeout) as err:
        get_json(fast_session(retries=0, read_timeout=0.2), httpserver.url_for("/slow"))
    assert "read timeout" in str(err.value)
    assert time.monotonic() - start < 0.9
    assert isinstance(err.value, UpstreamError)


def test_connection_refused_is_upstream_error() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(UpstreamError, match="cannot reach"):
        get_json(fast_session(retries=0, connect_timeout=0.5), f"http://127.0.0.1:{port}/x")


def test_html_error_page_with_status_200_is_bad_response(httpserver: HTTPServer) -> None:
    html = (FIXTURES / "html_error_page.html").read_text(encoding="utf-8")
    httpserver.expect_request("/page").respond_with_data(html, content_type="text/html")
    with pytest.raises(BadResponse) as err:
        get_json(fast_session(), httpserver.url_for("/page"))
    msg = str(err.value)
    assert "expected JSON" in msg and "/page" in msg and "<!DOCTYPE html>" in msg
    assert "\n" not in msg


def test_html_served_as_json_content_type_is_still_bad_response(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/page").respond_with_data(
        "<html><body>Gateway</body></html>", content_type="application/json"
    )
    with pytest.raises(BadResponse, match="<html>"):
        get_json(fast_session(), httpserver.url_for("/page"))


def test_malformed_json_names_url_position_and_first_bytes(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/trunc").respond_with_data(
        '{"value": [{"ID": 0, "AantalInwoners_5": 16', content_type="application/json"
    )
    with pytest.raises(BadResponse) as err:
        get_json(fast_session(), httpserver.url_for("/trunc"))
    msg = str(err.value)
    assert "malformed JSON" in msg and "/trunc" in msg and "at char" in msg
    assert '{"value": [{"ID": 0' in msg


def test_empty_body_is_bad_response(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/empty").respond_with_data("", content_type="application/json")
    with pytest.raises(BadResponse, match="empty body"):
        get_json(fast_session(), httpserver.url_for("/empty"))


@pytest.mark.parametrize("status", [401, 403])
def test_auth_error_never_leaks_the_key(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    body = {"fout": [{"code": "IPD1002", "omschrijving": f"apikey {SECRET} is ongeldig"}]}
    httpserver.expect_request("/secure").respond_with_json(body, status=status)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError) as err:
        get_json(
            fast_session(),
            httpserver.url_for("/secure"),
            headers={"apikey": SECRET},
            secrets=(SECRET,),
        )
    assert "bad or missing API key" in str(err.value)
    assert SECRET not in str(err.value) and SECRET not in repr(err.value)
    assert SECRET not in caplog.text
    assert httpserver.log[0][0].headers.get("apikey") == SECRET  # it was sent, just not shown


def test_404_carries_provider_code(httpserver: HTTPServer) -> None:
    body = json.loads((FIXTURES / "kvk" / "ipd0005_not_found.json").read_text(encoding="utf-8"))
    httpserver.expect_request("/x").respond_with_json(body, status=404)
    with pytest.raises(NotFound) as err:
        get_json(fast_session(), httpserver.url_for("/x"))
    assert err.value.code == "IPD0005"
    assert "IPD0005" in str(err.value)


def test_400_is_bad_response_with_provider_text(httpserver: HTTPServer) -> None:
    body = {"fout": [{"code": "IPD1999", "omschrijving": "Parameter postcode is ongeldig"}]}
    httpserver.expect_request("/bad").respond_with_json(body, status=400)
    with pytest.raises(BadResponse, match="postcode is ongeldig"):
        get_json(fast_session(), httpserver.url_for("/bad"))


def test_user_agent_and_rate_limit(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/r").respond_with_json({})
    session = fast_session(min_interval=0.2)
    start = time.monotonic()
    for _ in range(3):
        get_json(session, httpserver.url_for("/r"))
    assert time.monotonic() - start >= 0.38
    assert httpserver.log[0][0].headers["User-Agent"].startswith("regionomie/")


def test_odata_v3_error_text_is_shown(httpserver: HTTPServer) -> None:
    body = {"odata.error": {"code": "", "message": {"lang": "nl", "value": "Tabel bestaat niet"}}}
    httpserver.expect_request("/odata").respond_with_json(body, status=404)
    with pytest.raises(NotFound, match="Tabel bestaat niet"):
        get_json(fast_session(), httpserver.url_for("/odata"))
