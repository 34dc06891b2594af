"""CBS StatLine client: OData v3 (opendata.cbs.nl/ODataApi) and OData v4
(datasets.cbs.nl/odata/v1, the base CBS's own v4 clients use).

Why: v3 answers at most 10,000 rows per request, so large tables (all neighbourhoods of the
country) must be paged with $skip/$top; v4 pages itself with @odata.nextLink. Field keys carry a
numeric suffix that changes per yearly table (WW benefits are _85 in 2022/23, _89 in 2024), so
consumers resolve keys by prefix through DataProperties (resolve_fields) and never hard-code
suffixes. Region codes in v3 are space-padded ('GM0307    '), hence startswith() filters.

A region filter that matches nothing is an error (EmptySelection), not an empty file: 83558NED's
region dimension is Regiokenmerken (Nederland, landsdelen, provinces, size classes), so a GM
filter returns 0 rows and would otherwise look like a municipality without waste. The region's
codes are checked against the table's region dimension before any data is read.

v4 datasets are found through the catalogue (`{base}/Datasets`): its entry names the catalogue
the table lives in, and the dataset URL is `{base}/{Catalog}/{table}`. A base URL ending in
`/CBS` (the older odata4.cbs.nl layout) is used as the dataset root directly.
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

from regionomie.connectors.http import (
    BadResponse,
    ConnectorError,
    NotFound,
    get_json,
    make_session,
    same_origin,
)
from regionomie.connectors.landing import iso_z, utc_now

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://opendata.cbs.nl"
DEFAULT_V4_BASE_URL = "https://datasets.cbs.nl/odata/v1"
DEFAULT_V4_CATALOG = "CBS"
V3_MAX_PAGE = 10_000
_REGION_RE = re.compile(r"^[A-Z]{2}[0-9A-Z]{2,8}$")
_KNOWN_GEO_DIMENSIONS: tuple[str, ...] = ("WijkenEnBuurten", "RegioS", "Regiokenmerken")


@dataclass
class FetchStats:
    """Pages and rows of the last listing call."""

    pages: int = 0
    rows: int = 0

    def plus(self, other: FetchStats) -> FetchStats:
        """Two listings of one bundle counted together."""
        return FetchStats(self.pages + other.pages, self.rows + other.rows)


class EmptySelection(ConnectorError):
    """A region filter matched nothing in the table: the table does not hold that region
    (wrong table, wrong region dimension), which must never pass as "no data"."""


def region_prefixes(region: str, *, include_subregions: bool = True) -> list[str]:
    """The code prefixes a region selects: GM0307 with include_subregions also selects its
    districts WK0307xx and neighbourhoods BU0307xxxx (their codes do not start with 'GM')."""
    code = region.strip().upper()
    if not _REGION_RE.match(code):
        raise ValueError(f"region must look like GM0307, WK030701 or BU03070101, got {region!r}")
    prefixes = [code]
    if include_subregions and code.startswith("GM"):
        prefixes += ["WK" + code[2:], "BU" + code[2:]]
    elif include_subregions and code.startswith("WK"):
        prefixes += ["BU" + code[2:]]
    return prefixes


NATIONAL_PREFIX = "NL0"  # Nederland: NL00 in Kerncijfers wijken en buurten, NL01 in RegioS


def national_filter(dimension: str) -> str:
    """OData $filter selecting the Nederland row(s) of a table's region dimension: a region is
    judged against the country (regionomie.domain.challenges), so it is fetched with it."""
    return f"startswith({dimension},'{NATIONAL_PREFIX}')"


def region_filter(dimension: str, region: str, *, include_subregions: bool = True) -> str:
    """OData $filter selecting a region and (include_subregions) its districts and
    neighbourhoods. startswith() rather than eq because v3 codes are space-padded."""
    prefixes = region_prefixes(region, include_subregions=include_subregions)
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", dimension):
        raise ValueError(f"bad dimension name {dimension!r}")
    return " or ".join(f"startswith({dimension},'{p}')" for p in prefixes)


def resolve_fields(
    data_properties: Iterable[Mapping[str, Any] | str],
    prefixes: Iterable[str],
    *,
    strict: bool = False,
    units: Mapping[str, str] | None = None,
    parents: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Map each wanted key prefix to the table's actual key: 'AantalInwoners' ->
    'AantalInwoners_5'. A key matches when it equals the prefix or is prefix + '_' + digits.
    A base name can repeat in one table (85984NED: Nederland_17 in numbers, Nederland_20 in
    percentages): `units` (prefix -> unit kind: count, pct, kg_per_inhabitant, kt, ...) and
    `parents` (prefix -> title of the group directly above) pick one. Prefixes the table
    lacks are left out (strict=True raises KeyError naming them); two keys still matching
    raise ValueError (ambiguous)."""
    from regionomie.domain.cbs_indicators import unit_kind

    props = [{"Key": p} if isinstance(p, str) else dict(p) for p in data_properties]
    by_id = {p.get("ID"): p for p in props if p.get("ID") is not None}
    found: dict[str, str] = {}
    missing: list[str] = []
    for prefix in prefixes:
        pattern = re.compile(re.escape(prefix) + r"(_\d+)?$")
        hits = [p for p in props if pattern.match(str(p.get("Key", "")))]
        if units and prefix in units:
            hits = [p for p in hits if unit_kind(str(p.get("Unit") or "")) == units[prefix]]
        if parents and prefix in parents:
            want = parents[prefix].strip().lower()
            hits = [
                p
                for p in hits
                if str((by_id.get(p.get("ParentID")) or {}).get("Title", "")).strip().lower()
                == want
            ]
        if len(hits) > 1:
            exact = [p for p in hits if p.get("Key") == prefix]
            if len(exact) == 1:
                hits = exact
            else:
                raise ValueError(
                    f"field prefix {prefix!r} is ambiguous: {[p.get('Key') for p in hits]} "
                    "(give its unit or parent group)"
                )
        if hits:
            found[prefix] = str(hits[0]["Key"])
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
        self._v4_datasets: dict[str, str] = {}

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

    def dimension_codes_v3(
        self,
        table: str,
        dimension: str,
        *,
        filter: str | None = None,
        top: int | None = None,  # noqa: A002
    ) -> list[dict[str, Any]]:
        """A v3 dimension's code list (`/{table}/{dimension}`: Key, Title, Description, ...),
        optionally filtered on Key."""
        params: dict[str, Any] = {}
        if filter:
            params["$filter"] = filter
        if top:
            params["$top"] = top
        return self._v3_values(self.v3_url(table, dimension), params)

    def v3_bundle(self, table: str, *, region: str | None = None) -> dict[str, Any]:
        """The landing document {"format": "cbs-odata-v3", table_id, base_url, retrieved_at
        (start of the fetch), region, data_properties, dimensions: {Key: [codes]}, rows},
        optionally filtered to a region (EmptySelection when the region is not in the
        table)."""
        retrieved_at = iso_z(utc_now())
        props = self.data_properties(table)
        flt = None
        dimensions: dict[str, list[dict[str, Any]]] = {}
        geo = None
        if region:
            geo = geo_dimension_v3(props, table)
            codes = self.dimension_codes_v3(table, geo, filter=region_filter("Key", region))
            if not codes:
                sample = self.dimension_codes_v3(table, geo, top=5)
                raise EmptySelection(
                    _not_in_table(table, region, geo, [str(c.get("Key", "")) for c in sample]),
                    url=self.v3_url(table, geo),
                )
            dimensions[geo] = codes
            flt = region_filter(geo, region)
        for p in props:
            key = p.get("Key")
            if p.get("Type") in ("Dimension", "GeoDimension") and key and key not in dimensions:
                dimensions[str(key)] = self.dimension_codes_v3(table, str(key))
        rows = list(self.typed_dataset(table, filter=flt))
        if region and not rows:
            raise EmptySelection(
                f"CBS table {_table_id(table)}: region filter {region} on {geo} returned 0 rows",
                url=self.v3_url(table, "TypedDataSet"),
            )
        if region and geo:  # the Nederland row, for comparing the region with the country
            regional = self.last_fetch
            rows += list(self.typed_dataset(table, filter=national_filter(geo)))
            self.last_fetch = regional.plus(self.last_fetch)
        return {
            "format": "cbs-odata-v3",
            "table_id": _table_id(table),
            "base_url": self.base_url,
            "retrieved_at": retrieved_at,
            "region": region.strip().upper() if region else None,
            "data_properties": props,
            "dimensions": dimensions,
            "rows": rows,
        }

    # ---- OData v4 -------------------------------------------------------------------------
    @property
    def v4_legacy_layout(self) -> bool:
        """True for a base that is itself the catalogue root (https://odata4.cbs.nl/CBS)."""
        return bool(re.search(r"/CBS$", self.v4_base_url))

    def v4_catalog_entry(self, table: str) -> dict[str, Any]:
        """The table's entry in the v4 catalogue (`{base}/Datasets`); NotFound when absent."""
        url = f"{self.v4_base_url}/Datasets"
        tid = _table_id(table)
        data = get_json(self.session, url, params={"$filter": f"Identifier eq '{tid}'"})
        entries = [e for e in _values(data, url) if str(e.get("Identifier")) == tid]
        if not entries:
            raise NotFound(f"CBS table {tid} is not in the OData v4 catalogue {url}", url=url)
        return entries[0]

    def v4_dataset_url(self, table: str) -> str:
        """Where the table's v4 entities live: `{base}/{Catalog}/{table}`, the catalogue
        named by its catalogue entry (cached per table)."""
        tid = _table_id(table)
        if self.v4_legacy_layout:
            return f"{self.v4_base_url}/{tid}"
        if tid not in self._v4_datasets:
            entry = self.v4_catalog_entry(tid)
            catalog = str(entry.get("Catalog") or DEFAULT_V4_CATALOG).strip()
            if not re.match(r"^[A-Za-z0-9_-]+$", catalog):
                raise BadResponse(f"CBS catalogue entry of {tid}: bad Catalog {catalog!r}")
            self._v4_datasets[tid] = f"{self.v4_base_url}/{catalog}/{tid}"
        return self._v4_datasets[tid]

    def v4_url(self, table: str, entity: str) -> str:
        return f"{self.v4_dataset_url(table)}/{entity}"

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

    def measure_groups(self, table: str) -> list[dict[str, Any]]:
        """MeasureGroups (Id, Title, ParentId): the parents that tell same-named measures
        apart. A table without groups may not have the entity: then []."""
        try:
            return list(self._v4_all(self.v4_url(table, "MeasureGroups")))
        except NotFound:
            return []

    def dimension_list(self, table: str) -> list[dict[str, Any]]:
        return list(self._v4_all(self.v4_url(table, "Dimensions")))

    def dimension_codes(self, table: str, dimension: str) -> list[dict[str, Any]]:
        return list(self._v4_all(self.v4_url(table, f"{dimension}Codes")))

    def v4_bundle(self, table: str, *, region: str | None = None) -> dict[str, Any]:
        """The landing document {"format": "cbs-odata-v4", table_id, base_url, dataset_url,
        retrieved_at, region, measure_codes, measure_groups, observations, dimensions:
        {Identifier: [code objects as returned]}}. EmptySelection when the region is not
        among the region dimension's codes or the filter returns nothing."""
        retrieved_at = iso_z(utc_now())
        dataset_url = self.v4_dataset_url(table)
        dims = self.dimension_list(table)
        dimensions = {
            str(d["Identifier"]): self.dimension_codes(table, str(d["Identifier"]))
            for d in dims
            if d.get("Identifier")
        }
        measures = self.measure_codes(table)
        groups = self.measure_groups(table)
        flt = None
        if region:
            geo = geo_dimension_v4(dims, table)
            flt = region_filter(geo, region)
            codes = [str(c.get("Identifier", "")).strip() for c in dimensions.get(geo, [])]
            prefixes = tuple(region_prefixes(region))  # the codes the filter selects
            if codes and not any(c.startswith(prefixes) for c in codes):
                raise EmptySelection(
                    _not_in_table(table, region, geo, codes[:5]), url=self.v4_url(table, geo)
                )
        observations = list(self.observations(table, filter=flt))
        if region and not observations:
            raise EmptySelection(
                f"CBS table {_table_id(table)}: region filter {region} returned 0 observations",
                url=self.v4_url(table, "Observations"),
            )
        if region:  # the Nederland row, for comparing the region with the country
            regional = self.last_fetch
            observations += list(self.observations(table, filter=national_filter(geo)))
            self.last_fetch = regional.plus(self.last_fetch)
        return {
            "format": "cbs-odata-v4",
            "table_id": _table_id(table),
            "base_url": self.v4_base_url,
            "dataset_url": dataset_url,
            "retrieved_at": retrieved_at,
            "region": region.strip().upper() if region else None,
            "measure_codes": measures,
            "measure_groups": groups,
            "observations": observations,
            "dimensions": dimensions,
        }


def _not_in_table(table: str, region: str, dimension: str, sample: list[str]) -> str:
    """One line saying the region is not in the table, with what the dimension holds."""
    held = ", ".join(c.strip() for c in sample if c.strip()) or "no codes"
    return (
        f"CBS table {_table_id(table)}: region {region.strip().upper()} is not in its region "
        f"dimension {dimension} (it holds {held}, ...): this table has no such region"
        " (household waste per municipality is in 83452NED)"
    )


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
