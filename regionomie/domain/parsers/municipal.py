"""CBS StatLine bundles (OData v3 and v4) -> long MUNICIPAL_INDICATORS rows, and PDOK
municipality GeoJSON -> MUNICIPALITIES rows.

CBS field keys carry a numeric suffix that changes per table year (WW benefits are
PersonenPerSoortUitkeringWW_85 in 2022/23 and _89 in 2024) and one table may hold a base name
several times (85984NED: Nederland_17 and Nederland_20), so measures are resolved per table by
base name (v3) or title (v4) together with their unit and parent group
(regionomie.domain.cbs_indicators), never by base name alone. Extra dimensions (83452NED:
Afvalsoort) become part of the indicator name. Indicators a year lacks are derived from counts
where possible (vacancy share from vacant and total dwellings). Region codes arrive
space-padded ('GM0307    ') and are stripped. A table whose region dimension holds no
municipality, district or neighbourhood (83558NED: Regiokenmerken) is refused as a whole.

Balance: rows_in counts indicator values read (one per region row x numeric field), plus
derived values; a region row without a usable region code is set aside as one rejected row.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from regionomie.domain.cbs_indicators import (
    KERNCIJFERS_YEAR,
    NON_MUNICIPAL_TABLES,
    Measure,
    add_derived_shares,
    category_indicator,
    measures_from_data_properties,
    measures_from_measure_codes,
    resolve_measures,
    text_measure_ids,
)
from regionomie.domain.outlines import generalise_geometry
from regionomie.domain.parsers.common import (
    RawFile,
    add_provenance,
    decode_text,
    reject_row,
    rejects_frame,
)
from regionomie.domain.results import ParseResult, SourceFileError
from regionomie.domain.schemas import MUNICIPAL_INDICATORS, MUNICIPALITIES

__all__ = ["KERNCIJFERS_YEAR", "indicator_for_key", "parse_municipal", "polygon_centroid"]

REGION_TYPES = {"GM": "Gemeente", "WK": "Wijk", "BU": "Buurt", "PV": "Provincie", "NL": "Land"}
MUNICIPAL_REGION_TYPES = frozenset({"Gemeente", "Wijk", "Buurt"})
GEO_DIMENSIONS: tuple[str, ...] = ("WijkenEnBuurten", "RegioS", "Regiokenmerken", "Gemeenten")
# Observation members that are not dimensions (OData v4).
V4_NON_DIMENSIONS = frozenset({"Id", "Measure", "Value", "ValueAttribute", "StringValue"})


def indicator_for_key(key: str, unit: str = "", title: str = "") -> str:
    """'PersonenPerSoortUitkeringWW_89' -> 'ww_benefits'; unknown keys -> snake case of the
    base; waste fields carry their unit ('household_waste_kg_per_inhabitant'). One key on
    its own: a table resolves all its keys together (resolve_measures)."""
    return resolve_measures([Measure(key=key, title=title, unit=unit)]).names[key]


def region_info(code: str) -> tuple[str | None, str | None]:
    """(region_type, municipality_code) from a stripped CBS region code."""
    kind = REGION_TYPES.get(code[:2])
    if kind in ("Gemeente", "Wijk", "Buurt") and len(code) >= 6:
        return kind, "GM" + code[2:6]
    return kind, None


def _period(raw_period: Any) -> str:
    """'2023JJ00' -> '2023'; other CBS period codes (2023KW01, 2023MM05) kept as is."""
    p = str(raw_period).strip()
    return p[:4] if re.fullmatch(r"\d{4}JJ00", p) else p


def _load_bundle(raw: RawFile) -> dict[str, Any]:
    text = decode_text(raw).lstrip("\ufeff")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise SourceFileError(
            f"{raw.name}: line {err.lineno}: invalid/truncated JSON ({err.msg})"
        ) from None
    if not isinstance(doc, dict):
        raise SourceFileError(f"{raw.name}: not a CBS bundle or GeoJSON object")
    return doc


def parse_municipal(raw: RawFile) -> dict[str, ParseResult]:
    doc = _load_bundle(raw)
    stamp = doc.get("retrieved_at")
    if raw.retrieved_from == "mtime" and isinstance(stamp, str) and stamp.strip():
        raw = replace(raw, retrieved_at=stamp.strip(), retrieved_from="bundle")
    fmt = doc.get("format")
    try:
        if doc.get("type") == "FeatureCollection":
            return {"municipalities": parse_pdok(raw, doc)}
        if fmt == "cbs-odata-v3":
            return {"municipal_indicators": parse_cbs_v3(raw, doc)}
        if fmt == "cbs-odata-v4":
            return {"municipal_indicators": parse_cbs_v4(raw, doc)}
    except (AttributeError, TypeError, KeyError) as exc:
        # a bundle whose metadata is not shaped as CBS/PDOK publish it: unusable as a whole
        raise SourceFileError(
            f"{raw.name}: unexpected {fmt or 'GeoJSON'} structure ({type(exc).__name__})"
        ) from None
    raise SourceFileError(
        f"{raw.name}: field 'format': expected cbs-odata-v3/cbs-odata-v4 or a GeoJSON "
        f"FeatureCollection, got {str(fmt)[:40]!r}"
    )


def _number(v: Any) -> tuple[float | None, bool]:
    """(value, ok). None = CBS secret/unknown and is kept as a missing value."""
    if v is None:
        return None, True
    if isinstance(v, bool):
        return None, False
    if isinstance(v, int | float):
        f = float(v)
        return (f, True) if math.isfinite(f) else (None, False)
    s = str(v).strip()
    if s in ("", ".", "x", "-"):
        return None, True
    try:
        f = float(s.replace(",", "."))
    except ValueError:
        return None, False
    return (f, True) if math.isfinite(f) else (None, False)


def _dimension_titles(doc: dict[str, Any], dim: str) -> dict[str, str]:
    """Optional {dimension: [{Key|Identifier, Title}]} in a bundle -> code -> title."""
    entries = (doc.get("dimensions") or {}).get(dim) or []
    out: dict[str, str] = {}
    for e in entries:
        if isinstance(e, dict):
            code = str(e.get("Key") or e.get("Identifier") or "").strip()
            if code and e.get("Title"):
                out[code] = str(e["Title"]).strip()
    return out


class _Collector:
    """Indicator records of one bundle with their source lines, rejects and notes; builds
    the ParseResult (derived shares added, non-municipal tables refused)."""

    def __init__(self, raw: RawFile, table: str, geo: str) -> None:
        self.raw, self.table, self.geo = raw, table, geo
        self.records: list[dict[str, Any]] = []
        self.rejects: list[dict[str, object]] = []
        self.notes: list[str] = []
        self.region_codes: list[str] = []

    def reject(self, line: int, field: str, value: Any, reason: str) -> None:
        self.rejects.append(reject_row(self.raw.name, line, field, value, reason))

    def region(self, line: int, value: Any) -> tuple[str, str, str | None] | None:
        code = str(value or "").strip()
        if not code:
            self.reject(line, self.geo, "", f"{self.geo}: missing region code")
            return None
        rtype, muni = region_info(code)
        if rtype is None:
            self.reject(line, self.geo, code, f"{self.geo}: unknown region code type")
            return None
        self.region_codes.append(code)
        return code, rtype, muni

    def add(self, line: int, **record: Any) -> None:
        self.records.append({**record, "source_table": self.table, "_line": line})

    def result(self) -> ParseResult:
        munis = [c for c in self.region_codes if region_info(c)[0] in MUNICIPAL_REGION_TYPES]
        if self.region_codes and not munis:
            hint = NON_MUNICIPAL_TABLES.get(self.table)
            sample = ", ".join(sorted(set(self.region_codes))[:3])
            raise SourceFileError(
                f"{self.raw.name}: table {self.table}: its region dimension {self.geo} holds "
                f"no municipality, district or neighbourhood (codes such as {sample})"
                + (f"; it has {hint}" if hint else "")
                + ": not usable as municipal indicators (household waste per municipality "
                "is in 83452NED)"
            )
        cols = [*MUNICIPAL_INDICATORS.columns, "_line"]
        frame = pd.DataFrame(self.records, columns=cols)
        frame["value"] = frame["value"].astype("float64")
        derived, derived_notes = add_derived_shares(frame)
        if len(derived):
            frame = pd.concat([frame, derived], ignore_index=True)
        lines = frame.pop("_line").astype("int64").to_numpy()
        out = add_provenance(frame, self.raw, "cbs-odata", lines)
        return ParseResult(
            rows=out, rejected=rejects_frame(self.rejects), notes=self.notes + derived_notes
        )


def parse_cbs_v3(raw: RawFile, doc: dict[str, Any]) -> ParseResult:
    table = str(doc.get("table_id") or "").strip()
    props = doc.get("data_properties")
    rows = doc.get("rows")
    if not isinstance(props, list) or not isinstance(rows, list):
        raise SourceFileError(f"{raw.name}: field 'data_properties'/'rows': missing or not lists")
    dims = [
        p for p in props if isinstance(p, dict) and str(p.get("Type", "")).endswith("Dimension")
    ]
    geo_key = next((p.get("Key") for p in dims if p.get("Type") == "GeoDimension"), None)
    if geo_key is None:  # 83558NED's Regiokenmerken is a plain Dimension
        geo_key = next((p["Key"] for p in dims if p.get("Key") in GEO_DIMENSIONS), None)
    time_key = next((p.get("Key") for p in dims if p.get("Type") == "TimeDimension"), None)
    if not geo_key:
        raise SourceFileError(f"{raw.name}: field 'data_properties': no GeoDimension (region)")
    categories = [
        str(p["Key"]) for p in dims if p.get("Type") == "Dimension" and p.get("Key") != geo_key
    ]
    fixed_period = doc.get("period") or KERNCIJFERS_YEAR.get(table)
    if time_key is None and not fixed_period:
        raise SourceFileError(
            f"{raw.name}: table {table!r}: no Perioden dimension and no known year for the table"
        )
    measures = measures_from_data_properties(props)
    resolution = resolve_measures(measures, table)
    name_key = next(
        (
            p["Key"]
            for p in props
            if isinstance(p, dict) and str(p.get("Key", "")).startswith("Gemeentenaam")
        ),
        None,
    )
    titles = _dimension_titles(doc, geo_key)
    category_titles = {k: _dimension_titles(doc, k) for k in categories}
    out = _Collector(raw, table, geo_key)
    out.notes += resolution.notes
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            out.reject(i, "row", "", "row: not a JSON object")
            continue
        region = out.region(i, row.get(geo_key))
        if region is None:
            continue
        code, rtype, muni = region
        cats = [str(row.get(k) or "").strip() for k in categories]
        missing = next((k for k, c in zip(categories, cats, strict=True) if not c), None)
        if missing:
            out.reject(i, missing, "", f"{missing}: missing category code")
            continue
        cat_names = [category_titles[k].get(c, c) for k, c in zip(categories, cats, strict=True)]
        period = _period(row.get(time_key)) if time_key else str(fixed_period)
        rname = titles.get(code)
        if rname is None and rtype == "Gemeente" and name_key:
            rname = str(row.get(name_key) or "").strip() or None
        for m in measures:
            if m.key not in row:
                continue
            value, ok = _number(row[m.key])
            if not ok:
                out.reject(i, m.key, row[m.key], f"{m.key}: not a number")
                continue
            name = resolution.names[m.key]
            if categories:
                name = category_indicator(name, m, cat_names)
            out.add(
                i,
                region_code=code,
                region_type=rtype,
                region_name=rname or code,
                municipality_code=muni,
                period=period,
                indicator=name,
                value=value,
                unit=m.unit,
            )
    return out.result()


def parse_cbs_v4(raw: RawFile, doc: dict[str, Any]) -> ParseResult:
    table = str(doc.get("table_id") or "").strip()
    codes = doc.get("measure_codes")
    obs = doc.get("observations")
    if not isinstance(codes, list) or not isinstance(obs, list):
        raise SourceFileError(
            f"{raw.name}: field 'measure_codes'/'observations': missing or not lists"
        )
    measures = {
        m.key: m for m in measures_from_measure_codes(codes, doc.get("measure_groups") or [])
    }
    resolution = resolve_measures(list(measures.values()), table)
    text_measures = text_measure_ids(codes)
    dims = doc.get("dimensions") or {}
    first = obs[0] if obs and isinstance(obs[0], dict) else {}
    geo_dim = next((d for d in GEO_DIMENSIONS if d in dims or d in first), None)
    if geo_dim is None:
        raise SourceFileError(f"{raw.name}: field 'dimensions': no region dimension")
    categories = [
        d
        for d in (list(dims) or [k for k in first if k not in V4_NON_DIMENSIONS])
        if d not in (geo_dim, "Perioden") and d not in V4_NON_DIMENSIONS
    ]
    titles = _dimension_titles(doc, geo_dim)
    category_titles = {k: _dimension_titles(doc, k) for k in categories}
    fixed_period = doc.get("period") or KERNCIJFERS_YEAR.get(table)
    out = _Collector(raw, table, geo_dim)
    out.notes += resolution.notes
    skipped_text = 0
    for i, o in enumerate(obs, start=1):
        if not isinstance(o, dict):
            out.reject(i, "observation", "", "observation: not an object")
            continue
        if str(o.get("Measure") or "") in text_measures:
            skipped_text += 1  # a label (Gemeentenaam), not an indicator value
            continue
        region = out.region(i, o.get(geo_dim))
        if region is None:
            continue
        code, rtype, muni = region
        measure = str(o.get("Measure") or "")
        if measure not in measures:
            out.reject(i, "Measure", measure, "Measure: not in measure_codes")
            continue
        value, ok = _number(o.get("Value"))
        if not ok:
            out.reject(i, "Value", o.get("Value"), "Value: not a number")
            continue
        period = _period(o["Perioden"]) if o.get("Perioden") else fixed_period
        if not period:
            out.reject(i, "Perioden", "", "Perioden: missing")
            continue
        cats = [str(o.get(k) or "").strip() for k in categories]
        missing = next((k for k, c in zip(categories, cats, strict=True) if not c), None)
        if missing:
            out.reject(i, missing, "", f"{missing}: missing category code")
            continue
        m = measures[measure]
        name = resolution.names[measure]
        if categories:
            cat_names = [
                category_titles[k].get(c, c) for k, c in zip(categories, cats, strict=True)
            ]
            name = category_indicator(name, m, cat_names)
        out.add(
            i,
            region_code=code,
            region_type=rtype,
            region_name=titles.get(code, code),
            municipality_code=muni,
            period=str(period),
            indicator=name,
            value=value,
            unit=m.unit,
        )
    if skipped_text:
        out.notes.append(
            f"{table}: {skipped_text} observations of text measures "
            f"({', '.join(sorted(text_measures))}) are labels, not indicators: not read"
        )
    return out.result()


# --------------------------------------------------------------------------- PDOK


def ring_centroid(ring: list[list[float]]) -> tuple[float, float, float]:
    """(signed area, cx, cy) of a closed or open ring by the shoelace formula."""
    pts = np.asarray(ring, dtype=float)[:, :2]
    if len(pts) < 3:
        return 0.0, float("nan"), float("nan")
    x, y = pts[:, 0], pts[:, 1]
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    a = cross.sum() / 2.0
    if a == 0:
        return 0.0, float(x.mean()), float(y.mean())
    return (
        float(a),
        float(((x + x1) * cross).sum() / (6 * a)),
        float(((y + y1) * cross).sum() / (6 * a)),
    )


def polygon_centroid(geometry: dict[str, Any]) -> tuple[float, float]:
    """Area-weighted centroid (lon, lat) of a Polygon/MultiPolygon; holes subtract."""
    gtype = geometry.get("type")
    coords = geometry.get("coordinates")
    if gtype == "Polygon":
        polygons = [coords]
    elif gtype == "MultiPolygon":
        polygons = coords
    else:
        raise ValueError(f"geometry: type {gtype!r} is not a (Multi)Polygon")
    total = sx = sy = 0.0
    for poly in polygons or []:
        for k, ring in enumerate(poly or []):
            a, cx, cy = ring_centroid(ring)
            a = abs(a) if k == 0 else -abs(a)
            if a == 0:
                continue
            total += a
            sx += a * cx
            sy += a * cy
    if total <= 0:
        raise ValueError("geometry: polygon has no area")
    return sx / total, sy / total


def _swap(first: float, second: float) -> tuple[float, float]:
    return second, first


def _rd_vertex(x: float, y: float) -> tuple[float, float]:
    from regionomie.domain.coordinates import rd_to_wgs84

    return rd_to_wgs84(x, y)


# How every vertex of an outline is read, by the kind its centroid was found to be.
_VERTEX_TO_LONLAT = {"lonlat": None, "latlon": _swap, "rd_new": _rd_vertex}


def parse_pdok(raw: RawFile, doc: dict[str, Any]) -> ParseResult:
    """Municipal boundaries -> one centroid and a generalised outline per municipality
    (regionomie.domain.outlines). Each centroid is checked against
    the Netherlands' bounding boxes in WGS84 and RD New: lon/lat is kept, lat/lon (axes
    swapped) is swapped back, RD New metres (PDOK ignored srsName) are converted to WGS84,
    and a point outside the country in every reading is set aside. Conversions are noted."""
    from regionomie.domain.coordinates import to_lonlat

    features = doc.get("features")
    if not isinstance(features, list):
        raise SourceFileError(f"{raw.name}: field 'features': missing or not a list")
    from regionomie.domain.reference import load_municipalities

    ref = load_municipalities().set_index("municipality_code")
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    rejects: list[dict[str, object]] = []
    converted = {"latlon": 0, "rd_new": 0}
    for i, f in enumerate(features, start=1):
        props = (f or {}).get("properties") or {} if isinstance(f, dict) else {}
        code = str(props.get("statcode") or "").strip()
        if not re.fullmatch(r"GM\d{4}", code):
            rejects.append(reject_row(raw.name, i, "statcode", code, "statcode: not a GM code"))
            continue
        try:
            first, second = polygon_centroid(f.get("geometry") or {})
        except (ValueError, TypeError, IndexError) as exc:
            msg = str(exc) if str(exc).startswith("geometry") else "geometry: unreadable"
            rejects.append(reject_row(raw.name, i, "geometry", "", msg))
            continue
        lon, lat, kind = to_lonlat(first, second)
        if kind == "unknown":
            rejects.append(
                reject_row(
                    raw.name,
                    i,
                    "geometry",
                    f"{first:.4g},{second:.4g}",
                    "geometry: centroid outside the Netherlands as lon/lat, lat/lon and RD New",
                )
            )
            continue
        if kind in converted:
            converted[kind] += 1
        known = ref.loc[code] if code in ref.index else None
        convert = _VERTEX_TO_LONLAT.get(kind)
        records.append(
            {
                "municipality_code": code,
                "name": str(props.get("statnaam") or "").strip()
                or (known["name"] if known is not None else None),
                "province_code": known["province_code"] if known is not None else None,
                "province_name": known["province_name"] if known is not None else None,
                "lat": lat,
                "lon": lon,
                "outline": generalise_geometry(f.get("geometry") or {}, convert),
            }
        )
        lines.append(i)
    notes = []
    if converted["rd_new"]:
        notes.append(
            f"{converted['rd_new']} municipalities had RD New (EPSG:28992) coordinates (the "
            "service ignored srsName?): centroids converted to WGS84"
        )
    if converted["latlon"]:
        notes.append(
            f"{converted['latlon']} municipalities had coordinates in lat/lon axis order: "
            "swapped to lon/lat"
        )
    out = pd.DataFrame(records, columns=list(MUNICIPALITIES.columns))
    out["lat"] = out["lat"].astype("float64")
    out["lon"] = out["lon"].astype("float64")
    return ParseResult(
        rows=add_provenance(out, raw, "pdok", lines), rejected=rejects_frame(rejects), notes=notes
    )
