"""PDOK WFS client for CBS municipal boundaries (gebiedsindelingen) of one year.

Why: the municipality layer is the geographic frame of a region (342 municipalities in 2025;
boundaries change every year through mergers), so it is fetched per year and paged with
count/startIndex so a server-side feature limit never silently truncates it.

The yearly WFS services (service.pdok.nl/cbs/gebiedsindelingen/{year}) start in 2016; older
boundaries are only in PDOK's historical gebiedsindelingen OGC API, which this client does not
speak: an earlier year is refused with that message instead of a 404 later. The coordinate
system of the answer is checked on its first vertex (PDOK falls back to RD New when it ignores
srsName; EPSG:4326 may come in lat/lon order) and reported in last_fetch.coordinates; the
parser converts either case (regionomie.domain.coordinates).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from regionomie.connectors.http import BadResponse, get_json, make_session
from regionomie.domain.coordinates import classify

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://service.pdok.nl"
MUNICIPALITY_LAYER = "gebiedsindelingen:gemeente_gegeneraliseerd"
# Without srsName PDOK answers in RD New (EPSG:28992, metres); the parsers compute lon/lat
# centroids, so WGS84 is asked for. None = the server's default.
DEFAULT_SRS = "EPSG:4326"
FIRST_WFS_YEAR = 2016  # the first year with a yearly gebiedsindelingen WFS on PDOK


@dataclass
class FetchStats:
    pages: int = 0
    features: int = 0
    coordinates: str = ""  # lonlat | latlon | rd_new | unknown, from the first vertex


def first_vertex(geometry: Any) -> tuple[float, float] | None:
    """The first (x, y) of a GeoJSON geometry, however deeply nested."""
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    while isinstance(coords, list) and coords and isinstance(coords[0], list):
        coords = coords[0]
    if isinstance(coords, list) and len(coords) >= 2:
        try:
            return float(coords[0]), float(coords[1])
        except (TypeError, ValueError):
            return None
    return None


class PdokClient:
    """Reads a WFS 2.0 layer as GeoJSON, merging all pages into one FeatureCollection."""

    def __init__(
        self,
        base_url: str | None = None,
        session: requests.Session | None = None,
        *,
        page_size: int = 1000,
        max_pages: int = 1000,
        srs_name: str | None = DEFAULT_SRS,
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be >= 1, got {page_size}")
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.session = session or make_session()
        self.page_size = page_size
        self.max_pages = max_pages
        self.srs_name = srs_name
        self.last_fetch = FetchStats()

    @classmethod
    def from_env(
        cls,
        session: requests.Session | None = None,
        env: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> PdokClient:
        """Base URL from PDOK_BASE_URL (default https://service.pdok.nl)."""
        env = os.environ if env is None else env
        return cls(env.get("PDOK_BASE_URL") or None, session, **kwargs)

    def wfs_url(self, year: int) -> str:
        if not 1000 <= int(year) <= 2100:
            raise ValueError(f"year must be a four-digit year, got {year!r}")
        if int(year) < FIRST_WFS_YEAR:
            raise ValueError(
                f"PDOK has yearly gebiedsindelingen WFS services from {FIRST_WFS_YEAR} on; "
                f"boundaries of {int(year)} are only in PDOK's historical gebiedsindelingen OGC "
                "API, which this connector does not support: download them there as GeoJSON "
                "(lon/lat or RD New) and land the file with `regionomie ingest FILE --source "
                "municipal`"
            )
        return f"{self.base_url}/cbs/gebiedsindelingen/{int(year)}/wfs/v1_0"

    def feature_collection(self, year: int, type_name: str = MUNICIPALITY_LAYER) -> dict[str, Any]:
        """All features of `type_name` for `year` as one GeoJSON FeatureCollection: the first
        page's members as returned, `features` = all pages, numberReturned updated."""
        url = self.wfs_url(year)
        stats = self.last_fetch = FetchStats()
        merged: dict[str, Any] | None = None
        features: list[Any] = []
        start = 0
        while True:
            if stats.pages >= self.max_pages:
                raise BadResponse(f"{url}: more than {self.max_pages} pages; stopping", url=url)
            params: dict[str, Any] = {
                "service": "WFS",
                "version": "2.0.0",
                "request": "GetFeature",
                "typeName": type_name,
                "outputFormat": "application/json",
                "count": self.page_size,
                "startIndex": start,
            }
            if self.srs_name:
                params["srsName"] = self.srs_name
            page = get_json(self.session, url, params=params)
            if not isinstance(page, dict) or not isinstance(page.get("features"), list):
                raise BadResponse(
                    f"{url} page {stats.pages + 1}: not a GeoJSON FeatureCollection", url=url
                )
            stats.pages += 1
            batch = page["features"]
            features.extend(batch)
            stats.features += len(batch)
            if merged is None:
                merged = {k: v for k, v in page.items() if k != "features"}
            matched = page.get("numberMatched")
            if len(batch) < self.page_size or (
                isinstance(matched, int) and len(features) >= matched
            ):
                break
            start += self.page_size
        assert merged is not None
        vertex = next(
            (v for f in features if isinstance(f, dict) and (v := first_vertex(f.get("geometry")))),
            None,
        )
        stats.coordinates = classify(*vertex) if vertex else ""
        if stats.coordinates not in ("", "lonlat"):
            log.warning(
                "PDOK answered %s coordinates for %s (asked %s); the parser converts them",
                stats.coordinates,
                url,
                self.srs_name,
            )
        merged["features"] = features
        if "numberReturned" in merged:
            merged["numberReturned"] = len(features)
        return merged

    def gemeenten(self, year: int) -> dict[str, Any]:
        """Municipal boundaries (properties statcode, statnaam) for `year`."""
        return self.feature_collection(year, MUNICIPALITY_LAYER)
