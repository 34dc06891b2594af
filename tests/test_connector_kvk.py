"""KvK client against a local server serving Zoeken v2 / profile responses of the real shape."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from standin import KvkStandIn
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
    list(
        client.search(
            postcode="3811 ab", huisnummer=12, type="hoofdvestiging", include_inactive=True
        )
    )
    assert seen[0]["postcode"] == "3811AB" and seen[0]["huisnummer"] == "12"
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


# ---------------------------------------------------------------- issue 14: real Zoeken rules


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"postcode": "3811NB"}, "postcode only together with huisnummer"),
        ({"huisnummer": 10, "plaats": "Amersfoort"}, "huisnummer only together with postcode"),
        ({"postbusnummer": 100, "plaats": "Amersfoort"}, "postbusnummer only together"),
        ({"postcode": "3811NB", "postbusnummer": 100, "huisletter": "A"}, "huisletter only"),
    ],
)
def test_combinations_zoeken_refuses_are_refused_before_calling(
    httpserver: HTTPServer, query: dict[str, Any], message: str
) -> None:
    kvk = KvkStandIn(httpserver, KEY)
    client = KvkClient(httpserver.url_for("/api"), KEY, make_session(retries=0, min_interval=0))
    with pytest.raises(ValueError, match=message):
        list(client.search(**query))
    assert kvk.requests == []


def test_standin_answers_a_bare_postcode_with_400_like_zoeken(httpserver: HTTPServer) -> None:
    """The stand-in follows api_zoeken.yaml: the check above mirrors a real refusal."""
    KvkStandIn(httpserver, KEY)
    session = make_session(retries=0, min_interval=0)
    resp = session.get(
        httpserver.url_for("/api/v2/zoeken"), params={"postcode": "3811NB"}, headers={"apikey": KEY}
    )
    assert resp.status_code == 400 and "huisnummer" in resp.json()["fout"][0]["omschrijving"]


def test_postcode_with_house_number_finds_the_establishment(httpserver: HTTPServer) -> None:
    kvk = KvkStandIn(httpserver, KEY)
    client = KvkClient(httpserver.url_for("/api"), KEY, make_session(retries=0, min_interval=0))
    got = list(client.search(postcode="3811 nb", huisnummer="10"))
    assert [r["vestigingsnummer"] for r in got] == ["000050000000"]
    assert kvk.requests[0][1]["postcode"] == ["3811NB"]


def test_narrowing_reports_types_still_over_the_cap(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    results = [
        {
            "kvkNummer": f"{90000000 + i}",
            "vestigingsnummer": f"{i:012d}",
            "naam": "Jan Jansen",
            "type": "hoofdvestiging" if i < 1100 else "nevenvestiging",
            "adres": {"binnenlandsAdres": {"plaats": "Amersfoort"}},
        }
        for i in range(1200)
    ]
    KvkStandIn(httpserver, KEY, results)
    client = KvkClient(httpserver.url_for("/api"), KEY, make_session(retries=0, min_interval=0))
    caplog.set_level(logging.INFO)
    got = list(client.search(plaats="Amersfoort", narrow=True))
    stats = client.last_search
    assert stats.narrowed_by == "type" and stats.capped_parts == ["hoofdvestiging"]
    assert len(got) == 1000 + 100  # 1,000 of the hoofdvestigingen, all nevenvestigingen
    assert stats.total == 1200 and stats.capped
    assert "open dataset" in caplog.text and "Jansen" not in caplog.text


def test_generation_v3_uses_zoeken_v3_organisatie_and_vestigingen(httpserver: HTTPServer) -> None:
    kvk = KvkStandIn(httpserver, KEY)
    session = make_session(retries=0, min_interval=0)
    client = KvkClient(httpserver.url_for("/api"), KEY, session, generation="v3")
    assert [r["kvkNummer"] for r in client.search(kvk_nummer="90001234")] == ["90001234"]
    org = client.organisation("68750110")
    vest = client.establishment("37178598")
    assert org["maatschappelijkeActiviteit"]["naam"] and len(org["vestigingen"]) == 2
    assert vest["vestigingsnummer"] == "000037178598"
    assert kvk.requests == [
        ("/api/v3/zoeken", {"kvkNummer": ["90001234"], "resultatenPerPagina": ["100"],
                            "pagina": ["1"]}),
        ("/api/v1/organisatie/kvknummer/68750110", {"geoData": ["true"]}),
        ("/api/v1/vestigingen/vestigingsnummer/000037178598", {"geoData": ["true"]}),
    ]  # fmt: skip


def test_generation_v2_uses_basisprofiel_and_vestigingsprofiel(httpserver: HTTPServer) -> None:
    kvk = KvkStandIn(httpserver, KEY)
    client = KvkClient(httpserver.url_for("/api"), KEY, make_session(retries=0, min_interval=0))
    assert client.organisation("90001234")["kvkNummer"] == "90001234"
    assert client.establishment("50000000")["vestigingsnummer"] == "000050000000"
    assert [p for p, _ in kvk.requests] == [
        "/api/v1/basisprofielen/90001234",
        "/api/v1/vestigingsprofielen/000050000000",
    ]


def test_generation_from_env_and_refused_when_unknown() -> None:
    env = {"KVK_API_KEY": KEY, "KVK_API_GENERATION": "v3"}
    assert KvkClient.from_env(env=env).generation == "v3"
    assert KvkClient.from_env(env={"KVK_API_KEY": KEY}).generation == "v2"
    with pytest.raises(ValueError, match="KVK_API_GENERATION must be one of v2, v3"):
        KvkClient.from_env(env={**env, "KVK_API_GENERATION": "v9"})
