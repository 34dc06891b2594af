"""Is a WGS84 point on Dutch land? A coarse, generous check that catches swapped lat/lon,
RD coordinates mistaken for degrees, zeros, and points in the North Sea or abroad.

The polygon below was drawn by hand (about 60 vertices, lon/lat degrees) along the
Dutch land border with Belgium and Germany and a few kilometres *outside* the North Sea
coast and the Wadden islands, so every real Dutch address falls inside. It deliberately
keeps the Wadden Sea, IJsselmeer and the Zeeland estuaries inside (no coastline detail):
the rule is meant to reject clearly impossible positions, not to geocode. Border towns
may land a few kilometres either side of the real border; that is accepted coarseness.
Sources for the vertices: the published extent of the Dutch municipalities (CBS/PDOK
gebiedsindelingen) read off a map; no geometry file was copied.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from regionomie.domain.coordinates import WGS84_BOX

# Bounding box of the European Netherlands with a margin (degrees WGS84).
NL_BBOX = WGS84_BOX  # the same generous box the parsers use

# (lon, lat) vertices, clockwise from the Zeeuws-Vlaanderen coast at Cadzand.
NL_LAND_POLYGON: tuple[tuple[float, float], ...] = (
    (3.33, 51.40),  # Cadzand, offshore
    (3.37, 51.27),  # Sluis / Belgian border
    (3.60, 51.28),
    (3.80, 51.20),  # Eede
    (4.00, 51.23),
    (4.25, 51.33),  # Kieldrecht / Port of Antwerp border
    (4.40, 51.34),  # Putte
    (4.55, 51.42),
    (4.80, 51.40),
    (4.95, 51.38),  # Baarle
    (5.10, 51.30),
    (5.25, 51.22),
    (5.50, 51.22),  # Achel
    (5.70, 51.14),
    (5.78, 51.02),
    (5.62, 50.92),
    (5.62, 50.74),  # Eijsden
    (5.90, 50.71),
    (6.05, 50.71),  # Vaals
    (6.10, 50.84),  # Kerkrade
    (6.02, 50.98),
    (6.12, 51.07),
    (6.25, 51.18),  # Roermond east
    (6.25, 51.40),  # Venlo
    (6.15, 51.60),
    (6.02, 51.73),  # Groesbeek
    (6.18, 51.86),  # Millingen
    (6.45, 51.86),
    (6.82, 51.96),  # Winterswijk
    (6.75, 52.05),
    (7.08, 52.24),  # Enschede / Gronau
    (7.10, 52.40),  # Denekamp
    (6.98, 52.46),
    (6.72, 52.52),
    (6.78, 52.65),  # Coevorden
    (7.06, 52.66),
    (7.10, 52.86),  # Ter Apel
    (7.23, 53.02),  # Bourtange
    (7.24, 53.20),  # Nieuweschans
    (7.21, 53.30),  # Dollard
    (6.98, 53.47),  # Eemshaven offshore
    (6.62, 53.57),  # Rottumeroog offshore
    (6.10, 53.56),  # Schiermonnikoog offshore
    (5.60, 53.52),  # Ameland / Terschelling offshore
    (5.00, 53.40),  # Vlieland offshore
    (4.70, 53.22),  # Texel north, offshore
    (4.60, 53.00),  # Texel west, offshore
    (4.55, 52.75),
    (4.45, 52.47),  # IJmuiden offshore
    (4.30, 52.25),  # Noordwijk offshore
    (4.12, 52.08),  # Scheveningen offshore
    (3.90, 51.98),  # Maasvlakte offshore
    (3.75, 51.83),  # Goeree offshore
    (3.55, 51.72),  # Schouwen offshore
    (3.35, 51.55),  # Walcheren offshore
)


def points_in_polygon(
    lon: npt.ArrayLike, lat: npt.ArrayLike, polygon: tuple[tuple[float, float], ...]
) -> npt.NDArray[np.bool_]:
    """Even-odd ray casting, vectorised over points (one numpy pass per edge)."""
    x = np.asarray(lon, dtype="float64")
    y = np.asarray(lat, dtype="float64")
    inside = np.zeros(x.shape, dtype=bool)
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        if y1 == y2:
            continue
        crosses = (y1 > y) != (y2 > y)
        x_at = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (x < x_at)
    return inside


def on_dutch_land(lat: npt.ArrayLike, lon: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """True where (lat, lon) lies in the bounding box AND the coarse land polygon.
    NaN coordinates give False: callers decide whether missing counts as a failure."""
    la = np.asarray(lat, dtype="float64")
    lo = np.asarray(lon, dtype="float64")
    in_box = (
        (la >= NL_BBOX["lat_min"])
        & (la <= NL_BBOX["lat_max"])
        & (lo >= NL_BBOX["lon_min"])
        & (lo <= NL_BBOX["lon_max"])
    )
    result = np.zeros(la.shape, dtype=bool)
    if in_box.any():
        result[in_box] = points_in_polygon(lo[in_box], la[in_box], NL_LAND_POLYGON)
    return result
