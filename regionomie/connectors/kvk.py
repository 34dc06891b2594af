"""KvK (Dutch chamber of commerce) API client: Zoeken v2, Basisprofiel, Vestigingsprofiel.

Why a client of our own: Zoeken pages (max 100 per page, max 1,000 results per query), an
empty search answers 404 IPD5200 (that is "no results", not an error), and the key must never
leak into logs. Responses are returned exactly as the API sent them: parsing is done later by
regionomie.domain.parsers from the landing files.

Personal data: search results and profiles of an eenmanszaak carry a person's name. This
module never logs `naam`/`handelsnaam` or any response body.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from regionomie.connectors.http import (
    BadResponse,
    NotFound,
    get_json,
    make_session,
    require_https_for_key,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.kvk.nl/api"
TEST_BASE_URL = "https://api.kvk.nl/test/api"
# Published by KvK for its test environment (developers.kvk.nl); not a secret.
TEST_API_KEY = "l7xx1f2691f2520d487b902f4e0b57a0b197"
EMPTY_SEARCH_CODE = "IPD5200"
MAX_PAGE_SIZE = 100
MAX_RESULTS_PER_QUERY = 1000
SEARCH_TYPES: tuple[str, ...] = ("hoofdvestiging", "nevenvestiging", "rechtspersoon")


class MissingApiKey(ValueError):
    """KVK_API_KEY is not set."""


MISSING_KEY_HELP = (
    "KVK_API_KEY is not set: export KVK_API_KEY=<your key> "
    f"(or use the public test environment: export KVK_API_BASE_URL={TEST_BASE_URL} "
    f"KVK_API_KEY={TEST_API_KEY}, or pass --test-env to regionomie fetch kvk)"
)


@dataclass
class SearchStats:
    """What the last search() did: pages fetched, total the API reported, results yielded,
    and whether the 1,000-results-per-query cap cut it short."""

    pages: int = 0
    total: int = 0
    returned: int = 0
    capped: bool = False


class KvkClient:
    """Thin client over the KvK REST APIs. `api_key` goes into the `apikey` header only."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        session: requests.Session | None = None,
        *,
        max_results: int = MAX_RESULTS_PER_QUERY,
    ) -> None:
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        if not api_key:
            raise MissingApiKey(MISSING_KEY_HELP)
        require_https_for_key(self.base_url, "KVK_API_BASE_URL")
        self._api_key = api_key
        self.session = session or make_session()
        self.max_results = max_results
        self.last_search = SearchStats()

    @classmethod
    def from_env(
        cls, session: requests.Session | None = None, env: Mapping[str, str] | None = None
    ) -> KvkClient:
        """Base URL from KVK_API_BASE_URL (default production), key from KVK_API_KEY."""
        env = os.environ if env is None else env
        return cls(env.get("KVK_API_BASE_URL") or None, env.get("KVK_API_KEY"), session)

    def __repr__(self) -> str:  # never show the key
        return f"KvkClient(base_url={self.base_url!r}, api_key=***)"

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return get_json(
            self.session,
            f"{self.base_url}{path}",
            params=params,
            headers={"apikey": self._api_key},
            secrets=(self._api_key,),
        )

    def search_pages(
        self,
        *,
        plaats: str | None = None,
        postcode: str | None = None,
        kvk_nummer: str | None = None,
        vestigingsnummer: str | None = None,
        naam: str | None = None,
        type: str | Sequence[str] | None = None,  # noqa: A002 - the API's own parameter name
        page_size: int = MAX_PAGE_SIZE,
        include_inactive: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Yield Zoeken v2 page responses as returned (`{pagina, resultatenPerPagina, totaal,
        resultaten, _links}`), stopping at the last page or at the 1,000-results cap (then
        last_search.capped is True and a warning is logged). IPD5200 = no pages."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, got {page_size}")
        params: dict[str, Any] = {
            k: v
            for k, v in {
                "plaats": plaats,
                "postcode": postcode.replace(" ", "").upper() if postcode else None,
                "kvkNummer": kvk_nummer,
                "vestigingsnummer": vestigingsnummer,
                "naam": naam,
            }.items()
            if v
        }
        if not params:
            raise ValueError("search needs at least one of plaats, postcode, kvk_nummer, ...")
        if type:
            types = [type] if isinstance(type, str) else list(type)
            bad = [t for t in types if t not in SEARCH_TYPES]
            if bad:
                raise ValueError(f"unknown type {bad}; expected {SEARCH_TYPES}")
            params["type"] = types
        if include_inactive:
            params["inclusiefInactieveRegistraties"] = "true"
        params["resultatenPerPagina"] = page_size

        stats = self.last_search = SearchStats()
        page = 1
        while True:
            params["pagina"] = page
            try:
                data = self._get("/v2/zoeken", params)
            except NotFound as exc:
                if exc.code == EMPTY_SEARCH_CODE:
                    return  # empty search: no results, not an error
                raise
            results = data.get("resultaten") if isinstance(data, dict) else None
            if not isinstance(results, list):
                raise BadResponse(
                    f"Zoeken response from {self.base_url}/v2/zoeken page {page} has no "
                    "'resultaten' list",
                    url=f"{self.base_url}/v2/zoeken",
                )
            stats.pages += 1
            stats.total = int(data.get("totaal") or 0)
            stats.returned += len(results)
            yield data
            reached = page * page_size
            if not results or reached >= stats.total:
                return
            if (page + 1) * page_size > self.max_results:
                stats.capped = True
                log.warning(
                    "KvK search capped at %d of %d results (API limit per query); "
                    "narrow the query (e.g. by postcode) to get the rest",
                    stats.returned,
                    stats.total,
                )
                return
            page += 1

    def search(
        self,
        plaats: str | None = None,
        postcode: str | None = None,
        kvk_nummer: str | None = None,
        type: str | Sequence[str] | None = None,  # noqa: A002
        page_size: int = MAX_PAGE_SIZE,
        include_inactive: bool = False,
        **more: str | None,
    ) -> Iterator[dict[str, Any]]:
        """Yield every Zoeken v2 result (one dict per vestiging/rechtspersoon) over all pages.
        `more` passes vestigingsnummer= or naam=. The Zoeken API has no SBI filter: select on
        SBI after fetching profiles. See last_search for pages/total/capped."""
        for data in self.search_pages(
            plaats=plaats,
            postcode=postcode,
            kvk_nummer=kvk_nummer,
            type=type,
            page_size=page_size,
            include_inactive=include_inactive,
            **more,
        ):
            yield from data["resultaten"]

    def basisprofiel(self, kvk_nummer: str) -> dict[str, Any]:
        """GET /v1/basisprofielen/{kvkNummer} (a paid call in production)."""
        return self._get(f"/v1/basisprofielen/{_digits(kvk_nummer, 8, 'kvkNummer')}")

    def vestigingsprofiel(self, vestigingsnummer: str, geo: bool = True) -> dict[str, Any]:
        """GET /v1/vestigingsprofielen/{n}?geoData=true (a paid call in production)."""
        n = _digits(vestigingsnummer, 12, "vestigingsnummer")
        return self._get(f"/v1/vestigingsprofielen/{n}", {"geoData": "true" if geo else "false"})


def _digits(value: str, width: int, name: str) -> str:
    """Zero-pad a numeric identifier to its official width, refusing anything else."""
    s = str(value).strip()
    if not s.isdigit() or len(s) > width:
        raise ValueError(f"{name} must be up to {width} digits, got {s!r}")
    return s.zfill(width)


def result_key(result: Mapping[str, Any]) -> str:
    """Stable key of a search result: its vestigingsnummer, or 'kvk:<kvkNummer>' for a
    rechtspersoon without establishment."""
    vest = result.get("vestigingsnummer")
    return str(vest) if vest else f"kvk:{result.get('kvkNummer')}"


def content_hash(obj: Any) -> str:
    """sha256 of canonical JSON (sorted keys), so equal content gives an equal hash."""
    canonical = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def registration_hashes(results: Iterator[Mapping[str, Any]] | list[Any]) -> dict[str, str]:
    """vestigingsnummer -> content hash of its search result (input for diff_registrations)."""
    return {result_key(r): content_hash(r) for r in results}


def diff_registrations(
    previous: dict[str, str], current: dict[str, str]
) -> tuple[list[str], list[str], list[str]]:
    """(new, changed, ended) keys between two polls; each list sorted. Used by the polling
    sensor to fetch profiles only for what changed."""
    new = sorted(k for k in current if k not in previous)
    changed = sorted(k for k in current if k in previous and previous[k] != current[k])
    ended = sorted(k for k in previous if k not in current)
    return new, changed, ended
