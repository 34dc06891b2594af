"""Municipality outlines for the report map: PDOK geometries generalised into compact WGS84
rings, whatever axis order or reference system the file came in."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

from regionomie.domain.outlines import generalise_geometry, generalise_ring, outline_rings
from regionomie.domain.parsers import parse_file

FIXTURES = Path(__file__).parent / "fixtures" / "http" / "pdok"


def _circle(n: int, lon: float = 5.39, lat: float = 52.16, r: float = 0.05) -> list[list[float]]:
    ring = [
        [lon + r * math.cos(2 * math.pi * i / n), lat + r * math.sin(2 * math.pi * i / n)]
        for i in range(n)
    ]
    return ring + [ring[0]]


def test_a_dense_ring_is_generalised_closed_and_rounded() -> None:
    dense = _circle(2000)
    simple = generalise_ring(dense, tolerance_m=50)
    assert simple is not None
    assert 20 < len(simple) < 200  # a 3.4 km circle needs a few dozen vertices at 50 m
    assert simple[0] == simple[-1]
    assert all(round(v, 4) == v for point in simple for v in point)
    assert generalise_ring(_circle(3)) is None or len(generalise_ring(_circle(3))) >= 4


def test_multipolygons_keep_every_ring() -> None:
    geometry = {"type": "MultiPolygon", "coordinates": [[_circle(50)], [_circle(50, lon=5.6)]]}
    rings = outline_rings(generalise_geometry(geometry))
    assert len(rings) == 2
    assert outline_rings(None) == [] and outline_rings("not json") == []


def test_pdok_files_give_wgs84_outlines_in_every_axis_order(tmp_path: Path) -> None:
    outlines = {}
    for name in (
        "gemeenten_2025.geojson",
        "gemeenten_2025_latlon.geojson",
        "gemeenten_2025_rd_new.geojson",
    ):
        path = tmp_path / f"pdok_{name}"
        shutil.copy(FIXTURES / name, path)
        rows = parse_file(path, "municipal")["municipalities"].rows
        outlines[name] = rows.set_index("municipality_code")
    for name, rows in outlines.items():
        for code, row in rows.iterrows():
            rings = outline_rings(row["outline"])
            assert rings, (name, code)
            lons = [p[0] for ring in rings for p in ring]
            lats = [p[1] for ring in rings for p in ring]
            # the outline surrounds its own centroid, in lon/lat degrees
            assert min(lons) <= row["lon"] <= max(lons), (name, code)
            assert min(lats) <= row["lat"] <= max(lats), (name, code)
    doc = json.loads((FIXTURES / "gemeenten_2025.geojson").read_text())
    assert len(outlines["gemeenten_2025.geojson"]) == len(doc["features"])
