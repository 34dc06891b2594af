"""KvK (Dutch chamber of commerce) API client, both API generations:

* generation "v2" (default): Zoeken v2, Basisprofiel v1, Vestigingsprofiel v1;
* generation "v3": Zoeken v3, Organisatie v1 (`/v1/organisatie/kvknummer/{kvkNummer}`) and
  Vestigingen v1 (`/v1/vestigingen/vestigingsnummer/{vestigingsnummer}`), which KvK
  announced as their successors. Chosen with KVK_API_GENERATION or `generation=`.

Why a client of our own: Zoeken pages (max 100 per page) and shows at most so many results
per query — 1,000 for Zoeken v2 (api_zoeken.yaml 2.1.0: "Er wordt max. 1000 resultaten
getoond"), 100 for Zoeken v3 (api-zoeken-v3.yaml 3.0.0: "max. 100 resultaten") — an empty
search answers 404 IPD5200 (that is "no results", not an error), and the key must never leak
into logs. Zoeken accepts a postcode only together with a house number or a PO box number (a
postcode alone is refused with HTTP 400), so that combination is checked before calling.
KvK advises against Zoeken for bulk collection. A search over its generation's cap is
narrowed, each query staying under the cap where it can: first by `type` (hoofdvestiging,
nevenvestiging, rechtspersoon), then, for a place search whose type is still over the cap,
by `straatnaam` (the streets the caller gives plus those seen in the capped results); what
is still capped after that is reported, and bulk work belongs to the open dataset "basis
bedrijfsgegevens" or a KvK data product. A place search returns no postcode or house number
(only a search on them does), so its establishments need their profiles to be placed.
Responses are returned as the API sent them (a narrowed search leaves out results an earlier
query already returned): parsing is done later by regionomie.domain.parsers from the landing
files.

Personal data: search results and profiles of an eenmanszaak carry a person's name. This
module never logs `naam`/`handelsnaam` or any response body.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
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
# The v3 APIs (Zoeken v3, Organisatie, Vestigingen) are tested on the preprod host their docs
# name (developers.kvk.nl "Testomgeving": https://api.preprod.kvk.nl/api/v3/zoeken; the
# servers list of api-zoeken-v3.yaml), not under /test/api.
TEST_BASE_URLS: dict[str, str] = {
    "v2": TEST_BASE_URL,
    "v3": "https://api.preprod.kvk.nl/api",
}
# Published by KvK for its test environment (developers.kvk.nl); not a secret.
TEST_API_KEY = "l7xx1f2691f2520d487b902f4e0b57a0b197"
EMPTY_SEARCH_CODE = "IPD5200"
MAX_PAGE_SIZE = 100
MAX_RESULTS_PER_QUERY = 1000  # Zoeken v2
MAX_RESULTS: dict[str, int] = {"v2": 1000, "v3": 100}
SEARCH_TYPES: tuple[str, ...] = ("hoofdvestiging", "nevenvestiging", "rechtspersoon")
GENERATIONS: tuple[str, ...] = ("v2", "v3")
DEFAULT_GENERATION = "v2"
# Paths per generation: search, organisation by KvK number, establishment by number.
PATHS: dict[str, dict[str, str]] = {
    "v2": {
        "search": "/v2/zoeken",
        "organisation": "/v1/basisprofielen/{kvk}",
        "establishment": "/v1/vestigingsprofielen/{vest}",
    },
    "v3": {
        "search": "/v3/zoeken",
        "organisation": "/v1/organisatie/kvknummer/{kvk}",
        "establishment": "/v1/vestigingen/vestigingsnummer/{vest}",
    },
}
BULK_ADVICE = (
    "KvK advises against Zoeken for bulk collection: use the open dataset 'basis "
    "bedrijfsgegevens' (BV/NV only) or a KvK data product for a whole region"
)


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
    whether the results-per-query cap (1,000 for v2, 100 for v3) cut it short, and (when the
    search was narrowed, by type and then by street) how many queries that took and which
    parts were still capped."""

    pages: int = 0
    total: int = 0
    returned: int = 0
    capped: bool = False
    narrowed_by: str = ""
    capped_parts: list[str] = field(default_factory=list)
    queries: int = 0
    cap: int = MAX_RESULTS_PER_QUERY
    without_postcode: int = 0  # results carrying no postcode (a place or name search)


def check_search_params(params: Mapping[str, Any]) -> None:
    """Refuse, before any call, the combinations Zoeken answers with HTTP 400 (documented in
    KvK's api_zoeken.yaml v2.1.0): a postcode needs a huisnummer or a postbusnummer;
    huisnummer/huisletter/postbusnummer need a postcode."""
    has = {k for k, v in params.items() if v not in (None, "", [])}
    if "postcode" in has and not has & {"huisnummer", "postbusnummer"}:
        raise ValueError(
            "KvK Zoeken accepts postcode only together with huisnummer (or postbusnummer); "
            "a postcode alone is refused (HTTP 400). To cover an area use plaats (and type); "
            + BULK_ADVICE
        )
    for dependent in ("huisnummer", "huisletter", "huisnummerToevoeging", "postbusnummer"):
        if dependent in has and "postcode" not in has:
            raise ValueError(f"KvK Zoeken accepts {dependent} only together with postcode")
    for dependent in ("huisletter", "huisnummerToevoeging"):
        if dependent in has and "huisnummer" not in has:
            raise ValueError(f"KvK Zoeken accepts {dependent} only together with huisnummer")


class KvkClient:
    """Thin client over the KvK REST APIs. `api_key` goes into the `apikey` header only;
    `generation` ("v2" | "v3") picks the endpoints (PATHS)."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        session: requests.Session | None = None,
        *,
        max_results: int | None = None,
        generation: str | None = None,
    ) -> None:
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        if not api_key:
            raise MissingApiKey(MISSING_KEY_HELP)
        require_https_for_key(self.base_url, "KVK_API_BASE_URL")
        generation = (generation or DEFAULT_GENERATION).strip().lower()
        if generation not in GENERATIONS:
            raise ValueError(
                f"KVK_API_GENERATION must be one of {', '.join(GENERATIONS)}, got {generation!r}"
            )
        self.generation = generation
        self.paths = PATHS[generation]
        self._api_key = api_key
        self.session = session or make_session()
        self.max_results = max_results or MAX_RESULTS[generation]
        self.last_search = SearchStats(cap=self.max_results)

    @classmethod
    def from_env(
        cls,
        session: requests.Session | None = None,
        env: Mapping[str, str] | None = None,
        *,
        generation: str | None = None,
    ) -> KvkClient:
        """Base URL from KVK_API_BASE_URL (default production), key from KVK_API_KEY,
        API generation from KVK_API_GENERATION (v2 | v3, default v2) unless given."""
        env = os.environ if env is None else env
        return cls(
            env.get("KVK_API_BASE_URL") or None,
            env.get("KVK_API_KEY"),
            session,
            generation=generation or env.get("KVK_API_GENERATION") or None,
        )

    def __repr__(self) -> str:  # never show the key
        return f"KvkClient(base_url={self.base_url!r}, generation={self.generation!r}, api_key=***)"

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
        huisnummer: str | int | None = None,
        huisletter: str | None = None,
        huisnummertoevoeging: str | None = None,
        postbusnummer: str | int | None = None,
        straatnaam: str | None = None,
        kvk_nummer: str | None = None,
        rsin: str | None = None,
        vestigingsnummer: str | None = None,
        naam: str | None = None,
        type: str | Sequence[str] | None = None,  # noqa: A002 - the API's own parameter name
        page_size: int = MAX_PAGE_SIZE,
        include_inactive: bool = False,
        narrow: bool = False,
        streets: Sequence[str] = (),
    ) -> Iterator[dict[str, Any]]:
        """Yield Zoeken page responses as returned (`{pagina, resultatenPerPagina, totaal,
        resultaten, links}`), stopping at the last page or at the generation's cap (1,000
        results for v2, 100 for v3; then last_search.capped is True and a warning is logged).
        IPD5200 = no pages.

        narrow=True (and no type given): when the first page reports more results than the
        cap, the search runs once per type instead, each with its own cap; a place search
        whose type is still over the cap runs once per street (`streets` plus the streets of
        the results seen so far). Results an earlier query of the narrowing already returned
        are left out of later pages. Parts still over the cap are listed in
        last_search.capped_parts."""
        if huisnummertoevoeging and self.generation != "v3":
            raise ValueError(
                "KvK Zoeken v2 has no huisnummerToevoeging parameter (v3 has): use "
                "--generation v3, or search on postcode and huisnummer"
            )
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, got {page_size}")
        params: dict[str, Any] = {
            k: v
            for k, v in {
                "plaats": plaats,
                "postcode": postcode.replace(" ", "").upper() if postcode else None,
                "huisnummer": str(huisnummer).strip() if huisnummer not in (None, "") else None,
                "huisletter": huisletter,
                "huisnummerToevoeging": huisnummertoevoeging,
                "postbusnummer": (
                    str(postbusnummer).strip() if postbusnummer not in (None, "") else None
                ),
                "straatnaam": straatnaam,
                "kvkNummer": kvk_nummer,
                "rsin": rsin,
                "vestigingsnummer": vestigingsnummer,
                "naam": naam,
            }.items()
            if v
        }
        if not params:
            raise ValueError("search needs at least one of plaats, postcode, kvk_nummer, ...")
        check_search_params(params)
        types: list[str] = []
        if type:
            types = [type] if isinstance(type, str) else list(type)
            bad = [t for t in types if t not in SEARCH_TYPES]
            if bad:
                raise ValueError(f"unknown type {bad}; expected {SEARCH_TYPES}")
            params["type"] = types
        if include_inactive:
            params["inclusiefInactieveRegistraties"] = "true"
        params["resultatenPerPagina"] = page_size
        stats = self.last_search = SearchStats(cap=self.max_results)
        pages = self._pages(params, page_size, stats)
        first = next(pages, None)
        if first is None:
            return
        if narrow and not types and int(first.get("totaal") or 0) > self.max_results:
            pages.close()
            yield from self._narrowed(params, page_size, stats, first, streets)
            return
        stats.queries = 1
        yield first
        yield from pages

    def _narrowed(
        self,
        params: dict[str, Any],
        page_size: int,
        stats: SearchStats,
        first: dict[str, Any],
        streets: Sequence[str],
    ) -> Iterator[dict[str, Any]]:
        """The narrowing of search_pages: per type, then (place searches only) per street."""
        stats.narrowed_by = "type"
        stats.total = int(first.get("totaal") or 0)
        stats.pages = stats.returned = stats.without_postcode = 0
        log.info(
            "KvK search reports %s results (cap %d): narrowing by type",
            first.get("totaal"),
            self.max_results,
        )
        seen: set[str] = set()
        by_street = "plaats" in params and "straatnaam" not in params and "postcode" not in params
        for t in SEARCH_TYPES:
            part = SearchStats(cap=self.max_results)
            part_pages = list(self._pages({**params, "type": [t]}, page_size, part))
            stats.queries += 1
            stats.pages += part.pages
            yield from self._fresh(part_pages, seen, stats)
            if not part.capped:
                continue
            if not by_street:
                stats.capped_parts.append(t)
                continue
            names = sorted(
                {s.strip() for s in streets if s and s.strip()}
                | {_street(r) for page in part_pages for r in page["resultaten"] if _street(r)}
            )
            if not names:
                stats.capped_parts.append(t)
                continue
            stats.narrowed_by = "type, straatnaam"
            covered = 0
            for street in names:
                sub = SearchStats(cap=self.max_results)
                sub_pages = list(
                    self._pages({**params, "type": [t], "straatnaam": street}, page_size, sub)
                )
                stats.queries += 1
                stats.pages += sub.pages
                covered += sub.total
                yield from self._fresh(sub_pages, seen, stats)
                if sub.capped:
                    stats.capped_parts.append(f"{t} {street}")
            if covered < part.total:  # streets nobody named: not every result was reached
                stats.capped_parts.append(f"{t} ({covered} of {part.total} by street)")
        stats.capped = bool(stats.capped_parts)
        if stats.capped:
            log.warning(
                "KvK search still capped after narrowing (%s); %s",
                ", ".join(stats.capped_parts),
                BULK_ADVICE,
            )

    @staticmethod
    def _fresh(
        pages: list[dict[str, Any]], seen: set[str], stats: SearchStats
    ) -> Iterator[dict[str, Any]]:
        """The pages with results an earlier query already returned left out."""
        for page in pages:
            fresh = [r for r in page["resultaten"] if result_key(r) not in seen]
            seen.update(result_key(r) for r in fresh)
            stats.returned += len(fresh)
            stats.without_postcode += sum(1 for r in fresh if not _postcode(r))
            if fresh:
                yield {**page, "resultaten": fresh}

    def _pages(
        self, params: dict[str, Any], page_size: int, stats: SearchStats
    ) -> Iterator[dict[str, Any]]:
        """The page loop of one query (see search_pages); fills `stats`."""
        path = self.paths["search"]
        page = 1
        while True:
            query = {**params, "pagina": page}
            try:
                data = self._get(path, query)
            except NotFound as exc:
                if exc.code == EMPTY_SEARCH_CODE:
                    return  # empty search: no results, not an error
                raise
            results = data.get("resultaten") if isinstance(data, dict) else None
            if not isinstance(results, list):
                raise BadResponse(
                    f"Zoeken response from {self.base_url}{path} page {page} has no "
                    "'resultaten' list",
                    url=f"{self.base_url}{path}",
                )
            stats.pages += 1
            stats.total = int(data.get("totaal") or 0)
            stats.returned += len(results)
            stats.without_postcode += sum(1 for r in results if not _postcode(r))
            yield data
            reached = page * page_size
            if not results or reached >= stats.total:
                return
            if (page + 1) * page_size > self.max_results:
                stats.capped = True
                log.warning(
                    "KvK search capped at %d of %d results (API limit per query); narrow the "
                    "query by type or street, or for a whole region: %s",
                    stats.returned,
                    stats.total,
                    BULK_ADVICE,
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
        **more: Any,
    ) -> Iterator[dict[str, Any]]:
        """Yield every Zoeken result (one dict per vestiging/rechtspersoon) over all pages.
        `more` passes huisnummer=, huisletter=, postbusnummer=, straatnaam=, rsin=,
        vestigingsnummer=, naam= or narrow=. The Zoeken API has no SBI filter: select on SBI
        after fetching profiles (or count sectors from the open dataset). See last_search."""
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

    def organisation(self, kvk_nummer: str) -> dict[str, Any]:
        """The organisation behind a KvK number: Basisprofiel (v2) or Organisatie (v3),
        with geoData (a paid call in production)."""
        n = _digits(kvk_nummer, 8, "kvkNummer")
        path = self.paths["organisation"].format(kvk=n)
        return self._get(path, {"geoData": "true"} if self.generation == "v3" else None)

    def establishment(self, vestigingsnummer: str, geo: bool = True) -> dict[str, Any]:
        """One establishment: Vestigingsprofiel (v2) or Vestigingen (v3), with geoData."""
        n = _digits(vestigingsnummer, 12, "vestigingsnummer")
        path = self.paths["establishment"].format(vest=n)
        return self._get(path, {"geoData": "true" if geo else "false"})

    def basisprofiel(self, kvk_nummer: str) -> dict[str, Any]:
        """GET /v1/basisprofielen/{kvkNummer} (a paid call in production)."""
        return self._get(f"/v1/basisprofielen/{_digits(kvk_nummer, 8, 'kvkNummer')}")

    def vestigingsprofiel(self, vestigingsnummer: str, geo: bool = True) -> dict[str, Any]:
        """GET /v1/vestigingsprofielen/{n}?geoData=true (a paid call in production)."""
        n = _digits(vestigingsnummer, 12, "vestigingsnummer")
        return self._get(f"/v1/vestigingsprofielen/{n}", {"geoData": "true" if geo else "false"})


def _address(result: Mapping[str, Any]) -> Mapping[str, Any]:
    adres = result.get("adres")
    if not isinstance(adres, Mapping):
        return {}
    inner = adres.get("binnenlandsAdres") or {}
    return inner if isinstance(inner, Mapping) else {}


def _street(result: Mapping[str, Any]) -> str:
    return str(_address(result).get("straatnaam") or "").strip()


def _postcode(result: Mapping[str, Any]) -> str:
    return str(_address(result).get("postcode") or "").strip()


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
