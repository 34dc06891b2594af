"""CBS StatLine client: OData v3 (opendata.cbs.nl/ODataApi) and OData v4 (odata4.cbs.nl).

Why: v3 answers at most 10,000 rows per request, so large tables (all neighbourhoods of the
country) must be paged with $skip/$top; v4 pages itself with @odata.nextLink. Field keys carry a
numeric suffix that changes per yearly table (WW benefits are _85 in 2022/23, _89 in 2024), so
consumers resolve keys by prefix through DataProperties (resolve_fields) and never hard-code
suffixes. Region codes in v3 are space-padded ('GM0307    '), hence startswith() filters.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests

from regionomie.connectors.http import BadResponse, get_json, make_session, same_origin
from regionomie.connectors.landing import iso_z, utc_now

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://opendata.cbs.nl"
DEFAULT_V4_BASE_URL = "https://odata4.cbs.nl/CBS"
V3_MAX_PAGE = 10_000
_REGION_RE = re.compile(r"^[A-Z]{2}[0-9A-Z]{2,8}$")
_KNOWN_GEO_DIMENSIONS: tuple[str, ...] = ("WijkenEnBuurten", "RegioS", "Regiokenmerken")


@dataclass
class FetchStats:
    """Pages and rows of the last listing call."""

    pages: int = 0
    rows: int = 0


def region_filter(dimension: str, region: str, *, include_subregions: bool = True) -> str:
    """OData $filter selecting a region. For a municipality GM0307 with include_subregions it
    also selects its districts WK0307xx and neighbourhoods BU0307xxxx (their codes do not start
    with 'GM', so a plain startswith(...,'GM0307') would miss them). startswith() rather than
    eq because v3 codes are space-padded."""
    code = region.strip().upper()
    if not _REGION_RE.match(code):
        raise ValueError(f"region must look like GM0307, WK030701 or BU03070101, got {region!r}")
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", dimension):
        raise ValueError(f"bad dimension name {dimension!r}")
    prefixes = [code]
    if include_subregions and code.startswith("GM"):
        prefixes += ["WK" + code[2:], "BU" + code[2:]]
    elif include_subregions and code.startswith("WK"):
        prefixes += ["BU" + code[2:]]
    return " or ".join(f"startswith({dimension},'{p}')" for p in prefixes)


def resolve_fields(
    data_properties: Iterable[Mapping[str, Any] | str],
    prefixes: Iterable[str],
    *,
    strict: bool = False,
) -> dict[str, str]:
    """Map each wanted key prefix to the table's actual key: 'AantalInwoners' ->
    'AantalInwoners_5'. A key matches when it equals the prefix or is prefix + '_' + digits.
    Prefixes the table lacks are left out (strict=True raises KeyError naming them);
    two matching keys raise ValueError (ambiguous)."""
    keys = [p if isinstance(p, str) else str(p.get("Key", "")) for p in data_properties]
    found: dict[str, str] = {}
    missing: list[str] = []
    for prefix in prefixes:
        if prefix in keys:
            found[prefix] = prefix
            continue
        pattern = re.compile(re.escape(prefix) + r"_\d+$")
        hits = [k for k in keys if pattern.match(k)]
        if len(hits) > 1:
            raise ValueError(f"field prefix {prefix!r} is ambiguous: {hits}")
        if hits:
            found[prefix] = hits[0]
        else:
            missing.append(prefix)
    if strict and missing:
        raise KeyError(f"fields not in this table: {', '.join(missing)}")
    return found


class CbsODataClient:
    """Reads CBS StatLine tables. page_size is the v3 $top (<= 10,000); tests use e.g. 5."""

    def __init__(
        self,
        base_url: str | None = None,
        v4_base_url: str | None = None,
        session: requests.Session | None = None,
        *,
        page_size: int = V3_MAX_PAGE,
        max_pages: int = 10_000,
    ) -> None:
        if not 1 <= page_size <= V3_MAX_PAGE:
            raise ValueError(f"page_size must be 1..{V3_MAX_PAGE}, got {page_size}")
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.v4_base_url = (v4_base_url or DEFAULT_V4_BASE_URL).rstrip("/")
        self.session = session or make_session()
        self.page_size = page_size
        self.max_pages = max_pages
        self.last_fetch = FetchStats()

    @classmethod
    def from_env(
        cls,
        session: requests.Session | None = None,
        env: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> CbsODataClient:
        """Base URLs from CBS_ODATA_BASE_URL and CBS_ODATA_V4_BASE_URL."""
        env = os.environ if env is None else env
        return cls(
            env.get("CBS_ODATA_BASE_URL") or None,
            env.get("CBS_ODATA_V4_BASE_URL") or None,
            session,
            **kwargs,
        )

    # ---- OData v3 -------------------------------------------------------------------------
    def v3_url(self, table: str, entity: str) -> str:
        return f"{self.base_url}/ODataApi/odata/{_table_id(table)}/{entity}"

    def _v3_values(self, url: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        data = get_json(self.session, url, params={**params, "$format": "json"})
        return _values(data, url)

    def data_properties(self, table: str) -> list[dict[str, Any]]:
        """DataProperties as returned: Key, Type (Dimension/GeoDimension/TimeDimension/Topic/
        TopicGroup), Title, Unit, ..."""
        return self._v3_values(self.v3_url(table, "DataProperties"), {})

    def typed_dataset(self, table: str, *, filter: str | None = None) -> Iterator[dict[str, Any]]:  # noqa: A002
        """Yield TypedDataSet rows, paging with $top=page_size/$skip past the 10,000-row cap.
        Stops at the first short page; last_fetch counts pages and rows."""
        url = self.v3_url(table, "TypedDataSet")
        stats = self.last_fetch = FetchStats()
        skip = 0
        while stats.pages < self.max_pages:
            params: dict[str, Any] = {"$top": self.page_size, "$skip": skip}
            if filter:
                params["$filter"] = filter
            rows = self._v3_values(url, params)
            stats.pages += 1
            stats.rows += len(rows)
            yield from rows
            if len(rows) < self.page_size:
                return
            skip += self.page_size
        raise BadResponse(f"{url}: more than {self.max_pages} pages; stopping", url=url)

    def v3_bundle(self, table: str, *, region: str | None = None) -> dict[str, Any]:
        """The landing document {"format": "cbs-odata-v3", table_id, base_url, retrieved_at
        (start of the fetch), data_properties, rows}, optionally filtered to a region."""
        retrieved_at = iso_z(utc_now())
        props = self.data_properties(table)
        flt = None
        if region:
            flt = region_filter(geo_dimension_v3(props, table), region)
        rows = list(self.typed_dataset(table, filter=flt))
        return {
            "format": "cbs-odata-v3",
            "table_id": _table_id(table),
            "base_url": self.base_url,
            "retrieved_at": retrieved_at,
            "data_properties": props,
            "rows": rows,
        }

    # ---- OData v4 -------------------------------------------------------------------------
    def v4_url(self, table: str, entity: str) -> str:
        return f"{self.v4_base_url}/{_table_id(table)}/{entity}"

    def _v4_all(
        self, url: str, params: Mapping[str, Any] | None = None, stats: FetchStats | None = None
    ) -> Iterator[dict[str, Any]]:
        """Yield `value` items of every page, following @odata.nextLink (params only on the
        first request: the link carries them)."""
        next_url: str | None = url
        first = True
        pages = 0
        while next_url:
            if pages >= self.max_pages:
                raise BadResponse(f"{url}: more than {self.max_pages} pages; stopping", url=url)
            data = get_json(self.session, next_url, params=params if first else None)
            items = _values(data, next_url)
            pages += 1
            if stats is not None:
                stats.pages += 1
                stats.rows += len(items)
            yield from items
            link = data.get("@odata.nextLink")
            next_url = urljoin(next_url, link) if link else None
            if next_url is not None and not same_origin(url, next_url):
                raise BadResponse(
                    f"{url}: @odata.nextLink points to another host or scheme; not followed",
                    url=url,
                )
            first = False

    def observations(self, table: str, *, filter: str | None = None) -> Iterator[dict[str, Any]]:  # noqa: A002
        """Yield Observations rows (Id, Measure, Value, ValueAttribute, dimension columns)."""
        stats = self.last_fetch = FetchStats()
        params = {"$filter": filter} if filter else None
        yield from self._v4_all(self.v4_url(table, "Observations"), params, stats)

    def measure_codes(self, table: str) -> list[dict[str, Any]]:
        return list(self._v4_all(self.v4_url(table, "MeasureCodes")))

    def dimension_list(self, table: str) -> list[dict[str, Any]]:
        return list(self._v4_all(self.v4_url(table, "Dimensions")))

    def dimension_codes(self, table: str, dimension: str) -> list[dict[str, Any]]:
        return list(self._v4_all(self.v4_url(table, f"{dimension}Codes")))

    def v4_bundle(self, table: str, *, region: str | None = None) -> dict[str, Any]:
        """The landing document {"format": "cbs-odata-v4", table_id, base_url, retrieved_at,
        measure_codes, observations, dimensions: {Identifier: [code objects as returned]}}."""
        retrieved_at = iso_z(utc_now())
        dims = self.dimension_list(table)
        dimensions = {
            str(d["Identifier"]): self.dimension_codes(table, str(d["Identifier"]))
            for d in dims
            if d.get("Identifier")
        }
        measures = self.measure_codes(table)
        flt = region_filter(geo_dimension_v4(dims, table), region) if region else None
        observations = list(self.observations(table, filter=flt))
        return {
            "format": "cbs-odata-v4",
            "table_id": _table_id(table),
            "base_url": self.v4_base_url,
            "retrieved_at": retrieved_at,
            "measure_codes": measures,
            "observations": observations,
            "dimensions": dimensions,
        }


def geo_dimension_v3(data_properties: Iterable[Mapping[str, Any]], table: str = "") -> str:
    """Key of the region dimension of a v3 table (Type GeoDimension)."""
    props = list(data_properties)
    for p in props:
        if p.get("Type") == "GeoDimension" and p.get("Key"):
            return str(p["Key"])
    for p in props:
        if p.get("Key") in _KNOWN_GEO_DIMENSIONS:
            return str(p["Key"])
    raise ValueError(f"table {table} has no region dimension; cannot filter on region")


def geo_dimension_v4(dimensions: Iterable[Mapping[str, Any]], table: str = "") -> str:
    """Identifier of the region dimension of a v4 table (Kind GeoDimension)."""
    dims = list(dimensions)
    for d in dims:
        if d.get("Kind") == "GeoDimension" and d.get("Identifier"):
            return str(d["Identifier"])
    for d in dims:
        if d.get("Identifier") in _KNOWN_GEO_DIMENSIONS:
            return str(d["Identifier"])
    raise ValueError(f"table {table} has no region dimension; cannot filter on region")


def _table_id(table: str) -> str:
    t = table.strip()
    if not re.match(r"^[0-9]{5}[A-Z]{3}$|^[0-9A-Za-z]{5,12}$", t):
        raise ValueError(f"CBS table id must look like 85984NED, got {table!r}")
    return t


def _values(data: Any, url: str) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or not isinstance(data.get("value"), list):
        raise BadResponse(f"{url}: OData response has no 'value' list", url=url)
    return data["value"]
