"""Municipality outlines for maps: a PDOK/CBS gebiedsindelingen geometry, generalised for a
report page (Douglas-Peucker, then rounded), kept as compact JSON text in the municipalities
table (`outline`).

Why generalised: PDOK's `gemeente_gegeneraliseerd` is already drawn for national maps, but a
region report needs even less; about 50 m of tolerance and 4 decimals (~10 m) keep the shape
at report scale and a region's ten outlines well under 100 KB.

Format: `[[[lon, lat], ...], ...]` - a list of rings (outer rings and holes alike, WGS84),
each ring closed; the map draws them with the even-odd rule, so holes stay holes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

DEFAULT_TOLERANCE_M = 50.0
DIGITS = 4
_M_PER_DEG_LAT = 111_320.0


def _simplify(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas-Peucker on an open polyline (iterative, so long rings cannot recurse deep)."""
    n = len(points)
    if n < 3:
        return points
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        start, end = stack.pop()
        if end <= start + 1:
            continue
        a, b = points[start], points[end]
        seg = b - a
        length = float(np.hypot(*seg))
        inner = points[start + 1 : end]
        if length == 0.0:
            dist = np.hypot(*(inner - a).T)
        else:
            dist = np.abs(seg[0] * (inner[:, 1] - a[1]) - seg[1] * (inner[:, 0] - a[0])) / length
        i = int(np.argmax(dist))
        if dist[i] > tolerance:
            index = start + 1 + i
            keep[index] = True
            stack += [(start, index), (index, end)]
    return points[keep]


def generalise_ring(
    ring: Iterable[Iterable[float]], tolerance_m: float = DEFAULT_TOLERANCE_M
) -> list[list[float]] | None:
    """A ring simplified within `tolerance_m` metres and rounded; None when it collapses."""
    pts = np.asarray([p[:2] for p in ring], dtype=float)
    if len(pts) < 4:
        return None
    if not np.array_equal(pts[0], pts[-1]):
        pts = np.vstack([pts, pts[:1]])
    lat0 = float(np.mean(pts[:, 1]))
    scale = np.array([_M_PER_DEG_LAT * math.cos(math.radians(lat0)), _M_PER_DEG_LAT])
    metres = pts * scale
    # Split the closed ring at its farthest point from the start so both halves simplify
    # as open lines (a closed ring has no baseline of its own).
    far = int(np.argmax(np.hypot(*(metres - metres[0]).T)))
    first = _simplify(metres[: far + 1], tolerance_m)
    second = _simplify(metres[far:], tolerance_m)
    kept = np.vstack([first, second[1:]]) / scale
    kept = np.round(kept, DIGITS)
    deduped = [kept[0]] + [
        p for prev, p in zip(kept, kept[1:], strict=False) if not np.array_equal(prev, p)
    ]
    if len(deduped) < 4:
        return None
    return [[float(x), float(y)] for x, y in deduped]


def generalise_geometry(
    geometry: dict[str, Any],
    to_lonlat: Callable[[float, float], tuple[float, float]] | None = None,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> str | None:
    """A (Multi)Polygon as compact JSON text of generalised WGS84 rings (see module doc);
    `to_lonlat` converts each vertex first (e.g. RD New -> WGS84). None when nothing is left."""
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    rings: list[list[list[float]]] = []
    for polygon in polygons:
        for ring in polygon or []:
            points = [p[:2] for p in ring if isinstance(p, list | tuple) and len(p) >= 2]
            if to_lonlat is not None:
                points = [list(to_lonlat(float(x), float(y))) for x, y in points]
            simple = generalise_ring(points, tolerance_m)
            if simple is not None:
                rings.append(simple)
    if not rings:
        return None
    return json.dumps(rings, separators=(",", ":"))


def outline_rings(text: Any) -> list[list[list[float]]]:
    """The rings of an `outline` cell ([] when missing or unreadable)."""
    if not isinstance(text, str) or not text.startswith("["):
        return []
    try:
        rings = json.loads(text)
    except ValueError:
        return []
    return [r for r in rings if isinstance(r, list) and len(r) >= 4]
