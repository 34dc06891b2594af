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


def _feature(geometry: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def flows_geojson(top: pd.DataFrame, loc: Any) -> dict[str, Any]:
    """The flows layer: a LineString producer -> receiver per ranked candidate, with the
    properties a QGIS user filters on, named in the reader's language. `top` must already
    have passed the SoleProprietorShield (sole proprietors at their 500 m cell)."""
    from regionomie.exports.reader import _col

    t = loc.texts
    material = loc.materials(top["material_id"], _col(top, "material_name"))
    use = loc.uses(top["pathway_id"], _col(top, "use_description"))
    label = loc.receiver_labels(top["pathway_id"], _col(top, "receiver_label"))
    columns = {
        t.gettext("material"): material,
        t.gettext("use"): use,
        t.gettext("supplier"): top["producer_name"],
        t.gettext("supplier_municipality"): loc.municipality(top["producer_municipality"]),
        t.gettext("supplier_municipality_code"): top["producer_municipality"],
        t.gettext("supplier_nace"): top["producer_nace"],
        t.gettext("supplier_sector"): loc.sectors(top["producer_nace"]),
        t.gettext("receiver"): top["receiver_name"],
        t.gettext("receiver_kind"): loc.receiver_kinds(top["receiver_kind"]),
        t.gettext("receiver_municipality"): loc.municipality(top["receiver_municipality"]),
        t.gettext("receiver_municipality_code"): top["receiver_municipality"],
        t.gettext("receiver_nace"): top["receiver_nace"],
        t.gettext("receiver_sector"): label,
        t.gettext("tonnes_per_year"): pd.to_numeric(top["matched_tonnes"], errors="coerce").round(
            1
        ),
        t.gettext("measured_or_estimated"): loc.measured(top["supply_source"]),
        t.gettext("distance_km"): pd.to_numeric(top["distance_km"], errors="coerce").round(1),
        t.gettext("revenue_eur_per_year"): pd.to_numeric(
            top["economic_value_eur"], errors="coerce"
        ).round(0),
        t.gettext("co2e_tonnes_per_year"): (
            pd.to_numeric(top["co2_avoided_kg"], errors="coerce") / 1000
        ).round(1),
        t.gettext("jobs"): loc.jobs(top["jobs"]),
        t.gettext("score"): (pd.to_numeric(top["score"], errors="coerce") * 100).round(0),
        t.gettext("business_case"): _col(top, "case_id").fillna(""),
        t.gettext("candidate_id"): top["candidate_id"],
    }
    names = list(columns)
    values = [list(map(_json_value, s.tolist())) for s in columns.values()]
    coords = top[["producer_lon", "producer_lat", "receiver_lon", "receiver_lat"]]
    features = []
    for i, (plon, plat, rlon, rlat) in enumerate(coords.itertuples(index=False)):
        line = [[_r(plon), _r(plat)], [_r(rlon), _r(rlat)]]
        if any(c is None for pair in line for c in pair):
            continue
        props = {name: column[i] for name, column in zip(names, values, strict=True)}
        features.append(_feature({"type": "LineString", "coordinates": line}, props))
    return {"type": "FeatureCollection", "features": features}


def points_geojson(partners: pd.DataFrame, supply: pd.DataFrame, loc: Any) -> dict[str, Any]:
    """The points layer: one Point per establishment in the ranked top (suppliers and
    receivers), with its role, sector, municipality, supply and best score. `partners` must
    already have passed the SoleProprietorShield."""
    t = loc.texts
    roles = {"leverancier": t.gettext("supplier"), "afnemer": t.gettext("receiver")}
    features = []
    supply = supply.set_index("producer_id") if len(supply) else supply
    for row in partners.itertuples(index=False):
        lon, lat = _r(row.lon), _r(row.lat)
        if lon is None or lat is None:
            continue
        tonnes = measured = None
        if len(supply) and row.establishment_id in supply.index:
            tonnes = round(float(supply.at[row.establishment_id, "tonnes"]), 1)
            measured = (
                t.gettext("measured (LMA)")
                if supply.at[row.establishment_id, "measured"]
                else t.gettext("estimated")
            )
        props = {
            t.gettext("name"): _json_value(row.name),
            t.gettext("address"): _json_value(row.address),
            t.gettext("role"): "; ".join(roles.get(r, r) for r in str(row.role).split(";") if r),
            t.gettext("nace"): _json_value(row.nace_class),
            t.gettext("sector"): loc.kb.sector(str(row.nace_class)) if row.nace_class else "",
            t.gettext("municipality"): loc.municipality_names.get(str(row.municipality_code), ""),
            t.gettext("municipality_code"): _json_value(row.municipality_code),
            t.gettext("materials"): str(row.materials or "").replace(";", "; "),
            t.gettext("supply_tonnes_per_year"): tonnes,
            t.gettext("measured_or_estimated"): measured,
            t.gettext("candidates"): _json_value(row.n_candidates),
            t.gettext("best_score"): None
            if pd.isna(row.best_score)
            else round(float(row.best_score) * 100),
            t.gettext("establishment_id"): _json_value(row.establishment_id),
        }
        features.append(_feature({"type": "Point", "coordinates": [lon, lat]}, props))
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
