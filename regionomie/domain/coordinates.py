"""Which coordinate system a Dutch point is in, and RD New -> WGS84 for centroids.

Why: PDOK answers in RD New (EPSG:28992, metres) when it ignores `srsName`, and a WFS 2.0
answer in EPSG:4326 may come in latitude/longitude axis order. Both pass a plain +-90/+-180
check or fail it for the wrong reason, and would misplace every municipality silently. The
Netherlands' bounding boxes in WGS84 and in RD New do not overlap and neither overlaps its
own axis swap, so one point says which case it is.

RD New -> WGS84 uses the published approximation by Schreutelaar and Strang van Hees
("Benaderingsformules voor de transformatie tussen RD- en WGS84-kaartcoordinaten", NCG),
accurate to about a metre over the Netherlands: plenty for a municipality's centroid.
"""

from __future__ import annotations

from typing import Literal

# European Netherlands with a margin (WGS84 degrees; same box as the quality suites).
WGS84_BOX: dict[str, float] = {"lat_min": 50.70, "lat_max": 53.70, "lon_min": 3.20, "lon_max": 7.30}
# RD New (EPSG:28992) validity area of the Netherlands, metres (x east, y north).
RD_BOX: dict[str, float] = {
    "x_min": 0.0,
    "x_max": 300_000.0,
    "y_min": 289_000.0,
    "y_max": 629_000.0,
}

CoordinateKind = Literal["lonlat", "latlon", "rd_new", "unknown"]

_X0, _Y0 = 155_000.0, 463_000.0  # RD origin (Amersfoort)
_PHI0, _LAM0 = 52.15517440, 5.38720621  # its WGS84 position, degrees
# (p, q, coefficient): phi = phi0 + sum(K * dx^p * dy^q) / 3600, dx, dy in 100 km
_K: tuple[tuple[int, int, float], ...] = (
    (0, 1, 3235.65389),
    (2, 0, -32.58297),
    (0, 2, -0.24750),
    (2, 1, -0.84978),
    (0, 3, -0.06550),
    (2, 2, -0.01709),
    (1, 0, -0.00738),
    (4, 0, 0.00530),
    (2, 3, -0.00039),
    (4, 1, 0.00033),
    (1, 1, -0.00012),
)
_L: tuple[tuple[int, int, float], ...] = (
    (1, 0, 5260.52916),
    (1, 1, 105.94684),
    (1, 2, 2.45656),
    (3, 0, -0.81885),
    (1, 3, 0.05594),
    (3, 1, -0.05607),
    (0, 1, 0.01199),
    (3, 2, -0.00256),
    (1, 4, 0.00128),
    (0, 2, 0.00022),
    (2, 0, -0.00022),
    (5, 0, 0.00026),
)


def in_wgs84_box(lon: float, lat: float) -> bool:
    b = WGS84_BOX
    return b["lon_min"] <= lon <= b["lon_max"] and b["lat_min"] <= lat <= b["lat_max"]


def in_rd_box(x: float, y: float) -> bool:
    b = RD_BOX
    return b["x_min"] <= x <= b["x_max"] and b["y_min"] <= y <= b["y_max"]


def classify(first: float, second: float) -> CoordinateKind:
    """The system of a point given as GeoJSON (first, second) inside the Netherlands:
    'lonlat' (as RFC 7946 says), 'latlon' (axes swapped), 'rd_new' (metres) or 'unknown'
    (none of them: outside the country in every reading)."""
    if in_wgs84_box(first, second):
        return "lonlat"
    if in_wgs84_box(second, first):
        return "latlon"
    if in_rd_box(first, second):
        return "rd_new"
    return "unknown"


def rd_to_wgs84(x: float, y: float) -> tuple[float, float]:
    """RD New (x, y) metres -> WGS84 (lon, lat) degrees, about 1 m accurate in NL."""
    dx, dy = (x - _X0) * 1e-5, (y - _Y0) * 1e-5
    phi = _PHI0 + sum(k * dx**p * dy**q for p, q, k in _K) / 3600.0
    lam = _LAM0 + sum(k * dx**p * dy**q for p, q, k in _L) / 3600.0
    return lam, phi


def to_lonlat(first: float, second: float) -> tuple[float, float, CoordinateKind]:
    """(lon, lat, kind) for a point in any of the three systems; (nan, nan, 'unknown')
    when it is in none of them."""
    kind = classify(first, second)
    if kind == "lonlat":
        return first, second, kind
    if kind == "latlon":
        return second, first, kind
    if kind == "rd_new":
        lon, lat = rd_to_wgs84(first, second)
        return lon, lat, kind
    return float("nan"), float("nan"), kind
