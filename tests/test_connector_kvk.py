"""KvK client against a local server serving Zoeken v2 / profile responses of the real shape."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from regionomie.connectors.http import AuthError, NotFound, make_session
from regionomie.connectors.kvk import (
    KvkClient,
    MissingApiKey,
    content_hash,
    diff_registrations,
    registration_hashes,
)

FIXTURES = Path(__file__).parent / "fixtures" / "http" / "kvk"
KEY = "l7xx-test-key-not-real-00000000000"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def zoeken_handler(
    results: list[dict[str, Any]], seen: list[dict[str, str]], total: int | None = None
) -> Any:
    """Serve `results` in pages like Zoeken v2 does; record each request's query."""

    def handle(request: Request) -> Response:
        seen.append(dict(request.args))
        if request.headers.get("apikey") != KEY:
            return Response(status=401)
        page = int(request.args.get("pagina", "1"))
        size = int(request.args.get("resultatenPerPagina", "10"))
        chunk = results[(page - 1) * size : page * size]
        body = {
            "pagina": page,
            "resultatenPerPagina": size,
            "totaal": len(results) if total is None else total,
            "resultaten": chunk,
            "_links": {"self": {"href": f"{request.base_url}?pagina={page}"}},
        }
        return Response(json.dumps(body), content_type="application/hal+json")

    return handle


@pytest.fixture
def client(httpserver: HTTPServer) -> KvkClient:
    session = make_session(retries=1, backoff_factor=0, min_interval=0, read_timeout=2)
    return KvkClient(httpserver.url_for("/api"), KEY, session)


def test_search_pages_three_pages(httpserver: HTTPServer, client: KvkClient) -> None:
    results = load("zoeken_results_amersfoort.json")
    seen: list[dict[str, str]] = []
    httpserver.expect_request("/api/v2/zoeken").respond_with_handler(zoeken_handler(results, seen))
    got = list(client.search(plaats="Amersfoort", page_size=3))
    assert got == results
    assert [q["pagina"] for q in seen] == ["1", "2", "3"]
    assert all(q["plaats"] == "Amersfoort" and q["resultatenPerPagina"] == "3" for q in seen)
    assert "inclusiefInactieveRegistraties" not in seen[0]
    assert client.last_search.pages == 3
    assert client.last_search.total == len(results)
    assert not client.last_search.capped


def test_search_params_postcode_type_inactive(httpserver: HTTPServer, client: KvkClient) -> None:
    seen: list[dict[str, str]] = []
    httpserver.expect_request("/api/v2/zoeken").respond_with_handler(zoeken_handler([], seen))
    list(client.search(postcode="3811 ab", type="hoofdvestiging", include_inactive=True))
    assert seen[0]["postcode"] == "3811AB"
    assert seen[0]["type"] == "hoofdvestiging"
    assert seen[0]["inclusiefInactieveRegistraties"] == "true"


def test_search_stops_at_1000_results_cap(
    httpserver: HTTPServer, client: KvkClient, caplog: pytest.LogCaptureFixture
) -> None:
    results = [
        {"kvkNummer": f"{90000000 + i}", "vestigingsnummer": f"{i:012d}", "naam": "Jan Jansen"}
        for i in range(1200)
    ]
    seen: list[dict[str, str]] = []
    httpserver.expect_request("/api/v2/zoeken").respond_with_handler(
        zoeken_handler(results, seen, total=2500)
    )
    caplog.set_level(logging.WARNING)
    got = list(client.search(plaats="Amersfoort", page_size=100))
    assert len(got) == 1000
    assert len(seen) == 10
    assert client.last_search.capped and client.last_search.total == 2500
    assert "capped at 1000 of 2500" in caplog.text
    assert "Jansen" not in caplog.text  # no names (personal data for an eenmanszaak) in logs


def test_empty_search_ipd5200_is_empty_not_error(httpserver: HTTPServer, client: KvkClient) -> None:
    httpserver.expect_request("/api/v2/zoeken").respond_with_json(
        load("ipd5200_not_found.json"), status=404
    )
    assert list(client.search(kvk_nummer="12345678")) == []
    assert client.last_search.pages == 0


def test_other_404_is_not_found(httpserver: HTTPServer, client: KvkClient) -> None:
    httpserver.expect_request("/api/v1/basisprofielen/12345678").respond_with_json(
        load("ipd0005_not_found.json"), status=404
    )
    with pytest.raises(NotFound) as err:
        client.basisprofiel("12345678")
    assert err.value.code == "IPD0005"


def test_profiles_paths_and_geo_param(httpserver: HTTPServer, client: KvkClient) -> None:
    basis = load("basisprofiel_90001234.json")
    vest = load("vestigingsprofiel_000050000000_geo.json")
    httpserver.expect_request(
        "/api/v1/basisprofielen/90001234", headers={"apikey": KEY}
    ).respond_with_json(basis)
    httpserver.expect_request(
        "/api/v1/vestigingsprofielen/000050000000", query_string={"geoData": "true"}
    ).respond_with_json(vest)
    assert client.basisprofiel("90001234") == basis
    # a number given without its leading zeros is padded to 12 digits
    assert client.vestigingsprofiel("50000000") == vest
    assert vest["adressen"][0]["geoData"]["gpsLatitude"] == 52.1521


def test_bad_identifiers_are_refused_before_any_call(client: KvkClient) -> None:
    with pytest.raises(ValueError, match="kvkNummer"):
        client.basisprofiel("1234abcd")
    with pytest.raises(ValueError, match="vestigingsnummer"):
        client.vestigingsprofiel("1" * 13)


def test_401_auth_error_hides_key(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v2/zoeken").respond_with_data("", status=401)
    session = make_session(retries=0, backoff_factor=0, min_interval=0)
    c = KvkClient(httpserver.url_for("/api"), KEY, session)
    with pytest.raises(AuthError) as err:
        list(c.search(plaats="Amersfoort"))
    assert KEY not in str(err.value)
    assert KEY not in repr(c)


def test_missing_key_tells_how_to_set_it() -> None:
    with pytest.raises(MissingApiKey) as err:
        KvkClient.from_env(env={})
    assert "KVK_API_KEY" in str(err.value) and "https://api.kvk.nl/test/api" in str(err.value)


def test_from_env_uses_base_url_and_default() -> None:
    c = KvkClient.from_env(env={"KVK_API_KEY": KEY, "KVK_API_BASE_URL": "https://x/api/"})
    assert c.base_url == "https://x/api"
    assert KvkClient.from_env(env={"KVK_API_KEY": KEY}).base_url == "https://api.kvk.nl/api"


def test_diff_registrations() -> None:
    results = load("zoeken_results_amersfoort.json")
    before = registration_hashes(results[:5])
    changed = dict(results[1])
    changed["naam"] = changed["naam"] + " Holding"
    after = registration_hashes([results[0], changed, results[2], results[3], results[6]])
    new, chg, ended = diff_registrations(before, after)
    assert new == [results[6]["vestigingsnummer"]]
    assert chg == [results[1]["vestigingsnummer"]]
    assert ended == [results[4]["vestigingsnummer"]]
    assert diff_registrations(before, before) == ([], [], [])
    # the rechtspersoon without vestigingsnummer gets its own key
    assert "kvk:90071234" in registration_hashes(results)


def test_content_hash_ignores_key_order() -> None:
    assert content_hash({"a": 1, "b": [1, 2]}) == content_hash({"b": [1, 2], "a": 1})
    assert content_hash({"a": 1}) != content_hash({"a": 2})
