"""GeoJSON and JSON export files: sorted keys, rounded floats, sole proprietors shielded
(pseudonymous, at the centre of their 500 m cell), so identical inputs give identical bytes."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regionomie.domain.privacy import SoleProprietorShield


def _r(value: Any, digits: int = 6) -> float | None:
    """A coordinate rounded to `digits`, or None when missing or not a number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else round(number, digits)


def geojson_features(
    candidates: pd.DataFrame, partners: pd.DataFrame, *, shield: SoleProprietorShield
) -> dict[str, Any]:
    """FeatureCollection: a LineString per candidate (producer -> receiver) and a Point per
    actor (WGS84 lon/lat, RFC 7946); sole proprietors at their 500 m cell, pseudonymous."""
    candidates = shield.protect_frame(candidates)
    partners = shield.protect_frame(partners)
    features: list[dict[str, Any]] = []
    line_props = [
        "candidate_id",
        "material_name",
        "use_description",
        "producer_name",
        "receiver_name",
        "receiver_kind",
        "matched_tonnes",
        "distance_km",
        "score",
        "coalition_id",
    ]
    for row in candidates.itertuples(index=False):
        coords = [
            [_r(row.producer_lon), _r(row.producer_lat)],
            [_r(row.receiver_lon), _r(row.receiver_lat)],
        ]
        if any(c is None for pair in coords for c in pair):
            continue
        props = {k: _json_value(getattr(row, k, None)) for k in line_props}
        props["kind"] = "candidate"
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": props,
            }
        )
    for row in partners.itertuples(index=False):
        lon, lat = _r(row.lon), _r(row.lat)
        if lon is None or lat is None:
            continue
        props = {k: _json_value(v) for k, v in row._asdict().items() if k not in ("lat", "lon")}
        props["kind"] = "actor"
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _json_value(value: Any) -> Any:
    """A pandas/numpy value as plain JSON: None for missing, bool, int, rounded float, text."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(float(value)) else round(float(value), 6)
    return str(value)


def write_json(obj: Any, path: Path, *, shield: SoleProprietorShield) -> Path:
    """Sorted, indented UTF-8 JSON; sole proprietors' numbers and coordinates shielded."""
    safe = shield.protect_json(obj)
    text = json.dumps(safe, ensure_ascii=False, sort_keys=True, indent=1, default=_json_value)
    path.write_text(text + "\n", encoding="utf-8")
    return path
