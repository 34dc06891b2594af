"""CBS StatLine bundles (OData v3 and v4) -> long MUNICIPAL_INDICATORS rows, and PDOK
municipality GeoJSON -> MUNICIPALITIES rows.

CBS field keys carry a numeric suffix that changes per table year (WW benefits are
PersonenPerSoortUitkeringWW_85 in 2022/23 and _89 in 2024), so fields are resolved by their
base name (the key without `_NN`) plus the unit from DataProperties, never by full key.
Region codes arrive space-padded ('GM0307    ') and are stripped.

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

from regionomie.domain.parsers.common import (
    RawFile,
    add_provenance,
    decode_text,
    reject_row,
    rejects_frame,
)
from regionomie.domain.results import ParseResult, SourceFileError
from regionomie.domain.schemas import MUNICIPAL_INDICATORS, MUNICIPALITIES

# Kerncijfers wijken en buurten: one table per year (no Perioden dimension inside).
KERNCIJFERS_YEAR: dict[str, str] = {
    "84583NED": "2019",
    "84799NED": "2020",
    "85039NED": "2021",
    "85318NED": "2022",
    "85618NED": "2023",
    "85984NED": "2024",
    "86165NED": "2025",
}

# CBS base key -> stable indicator name (units from DataProperties).
BASE_INDICATORS: dict[str, str] = {
    "AantalInwoners": "inhabitants",
    "Mannen": "men",
    "Vrouwen": "women",
    "k_0Tot15Jaar": "age_0_15",
    "k_15Tot25Jaar": "age_15_25",
    "k_25Tot45Jaar": "age_25_45",
    "k_45Tot65Jaar": "age_45_65",
    "k_65JaarOfOuder": "age_65_plus",
    "HuishoudensTotaal": "households",
    "Eenpersoonshuishoudens": "single_person_households",
    "GemiddeldeHuishoudensgrootte": "avg_household_size",
    "Bevolkingsdichtheid": "population_density",
    "Woningvoorraad": "dwellings",
    "GemiddeldeWOZWaardeVanWoningen": "avg_woz_value",
    "PercentageOnbewoond": "vacancy_share",
    "GemiddeldInkomenPerInwoner": "avg_income_per_inhabitant",
    "GemiddeldInkomenPerInkomensontvanger": "avg_income_per_recipient",
    "PersonenPerSoortUitkeringBijstand": "bijstand_benefits",
    "PersonenPerSoortUitkeringAO": "ao_benefits",
    "PersonenPerSoortUitkeringWW": "ww_benefits",
    "PersonenPerSoortUitkeringAOW": "aow_benefits",
    "BedrijfsvestigingenTotaal": "business_establishments",
    "OppervlakteTotaal": "area_ha",
    "OppervlakteLand": "land_area_ha",
    "Omgevingsadressendichtheid": "address_density",
    "TotaalGemeentelijkAfval": "municipal_waste",
    "TotaalHuishoudelijkAfval": "household_waste",
    "HuishoudelijkRestafval": "household_residual_waste",
    "GrofHuishoudelijkRestafval": "bulky_residual_waste",
    "GFTAfval": "organic_waste",
    "GftAfval": "organic_waste",
    "OudPapierEnKarton": "paper_cardboard_waste",
    "Verpakkingsglas": "glass_packaging_waste",
    "Textiel": "textile_waste",
    "KunststofVerpakkingen": "plastic_packaging_waste",
}
# For v4 (opaque measure codes) the measure's title decides; lower-case title -> name.
TITLE_INDICATORS: dict[str, str] = {
    "aantal inwoners": "inhabitants",
    "65 jaar of ouder": "age_65_plus",
    "huishoudens totaal": "households",
    "eenpersoonshuishoudens": "single_person_households",
    "gemiddeld inkomen per inwoner": "avg_income_per_inhabitant",
    "bijstand": "bijstand_benefits",
    "ao": "ao_benefits",
    "ww": "ww_benefits",
    "aow": "aow_benefits",
    "bedrijfsvestigingen totaal": "business_establishments",
    "gemiddelde woz-waarde van woningen": "avg_woz_value",
    "percentage onbewoond": "vacancy_share",
    "totaal huishoudelijk afval": "household_waste",
    "totaal gemeentelijk afval": "municipal_waste",
}
NUMERIC_TYPES = frozenset({"Long", "Double", "Integer", "Float", "Decimal", "Short", "Int"})
REGION_TYPES = {"GM": "Gemeente", "WK": "Wijk", "BU": "Buurt", "PV": "Provincie", "NL": "Land"}


def _unit_suffix(unit: str, title: str) -> str:
    """Several CBS fields share a base name and differ in unit (83558NED: 1 000 ton and kg per
    inhabitant); the unit becomes part of the stable indicator name for those."""
    u = f"{unit} {title}".lower()
    if "per inwoner" in u:
        return "_kg_per_inhabitant"
    if re.search(r"1\s?000\s?ton|kton", u):
        return "_kt"
    return ""


def _snake(text: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")


def indicator_for_key(key: str, unit: str = "", title: str = "") -> str:
    """'PersonenPerSoortUitkeringWW_89' -> 'ww_benefits'; unknown keys -> snake case of the
    base; waste fields get their unit appended ('household_waste_kg_per_inhabitant')."""
    base = re.sub(r"_\d+$", "", key)
    name = BASE_INDICATORS.get(base) or _snake(base)
    suffix = _unit_suffix(unit, title)
    if name.endswith("_waste") or "afval" in base.lower():
        return name + suffix
    return name


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


def _frame(records: list[dict[str, Any]], raw: RawFile, lines: list[int]) -> pd.DataFrame:
    out = pd.DataFrame(records, columns=list(MUNICIPAL_INDICATORS.columns))
    out["value"] = out["value"].astype("float64")
    return add_provenance(out, raw, "cbs-odata", lines)


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


def _add_share(records: list[dict[str, Any]], lines: list[int]) -> None:
    """Derived age_65_plus_share (%) where both inhabitants and age_65_plus are known."""
    by_key: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for r, line in zip(records, lines, strict=True):
        if r["indicator"] in ("inhabitants", "age_65_plus"):
            by_key.setdefault((r["region_code"], r["period"]), {})[r["indicator"]] = {
                **r,
                "_line": line,
            }
    for pair in by_key.values():
        inh, old = pair.get("inhabitants"), pair.get("age_65_plus")
        if not inh or not old or not inh["value"] or old["value"] is None:
            continue
        rec = {k: v for k, v in old.items() if k != "_line"}
        rec.update(indicator="age_65_plus_share", value=100.0 * old["value"] / inh["value"])
        rec["unit"] = "%"
        records.append(rec)
        lines.append(old["_line"])


def parse_cbs_v3(raw: RawFile, doc: dict[str, Any]) -> ParseResult:
    table = str(doc.get("table_id") or "").strip()
    props = doc.get("data_properties")
    rows = doc.get("rows")
    if not isinstance(props, list) or not isinstance(rows, list):
        raise SourceFileError(f"{raw.name}: field 'data_properties'/'rows': missing or not lists")
    geo_keys = [
        p.get("Key") for p in props if isinstance(p, dict) and p.get("Type") == "GeoDimension"
    ]
    time_keys = [
        p.get("Key") for p in props if isinstance(p, dict) and p.get("Type") == "TimeDimension"
    ]
    if not geo_keys:
        raise SourceFileError(f"{raw.name}: field 'data_properties': no GeoDimension (region)")
    geo_key, time_key = geo_keys[0], (time_keys[0] if time_keys else None)
    fixed_period = doc.get("period") or KERNCIJFERS_YEAR.get(table)
    if time_key is None and not fixed_period:
        raise SourceFileError(
            f"{raw.name}: table {table!r}: no Perioden dimension and no known year for the table"
        )
    topics = [
        p
        for p in props
        if isinstance(p, dict)
        and p.get("Type") == "Topic"
        and p.get("Datatype") in NUMERIC_TYPES
        and isinstance(p.get("Key"), str)
        and p["Key"]
    ]
    parents = {p.get("ID"): p for p in props if isinstance(p, dict)}
    names = {}
    for p in topics:
        parent = parents.get(p.get("ParentID")) or {}
        names[p["Key"]] = (
            indicator_for_key(p["Key"], str(p.get("Unit") or ""), str(parent.get("Title") or "")),
            str(p.get("Unit") or ""),
        )
    name_key = next(
        (
            p["Key"]
            for p in props
            if isinstance(p, dict) and str(p.get("Key", "")).startswith("Gemeentenaam")
        ),
        None,
    )
    titles = _dimension_titles(doc, geo_key)
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    rejects: list[dict[str, object]] = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            rejects.append(reject_row(raw.name, i, "row", "", "row: not a JSON object"))
            continue
        code = str(row.get(geo_key) or "").strip()
        if not code:
            rejects.append(reject_row(raw.name, i, geo_key, "", f"{geo_key}: missing region code"))
            continue
        rtype, muni = region_info(code)
        if rtype is None:
            rejects.append(
                reject_row(raw.name, i, geo_key, code, f"{geo_key}: unknown region code type")
            )
            continue
        period = _period(row.get(time_key)) if time_key else str(fixed_period)
        rname = titles.get(code)
        if rname is None and rtype == "Gemeente" and name_key:
            rname = str(row.get(name_key) or "").strip() or None
        for key, (indicator, unit) in names.items():
            if key not in row:
                continue
            value, ok = _number(row[key])
            if not ok:
                rejects.append(reject_row(raw.name, i, key, row[key], f"{key}: not a number"))
                continue
            records.append(
                {
                    "region_code": code,
                    "region_type": rtype,
                    "region_name": rname or code,
                    "municipality_code": muni,
                    "period": period,
                    "indicator": indicator,
                    "value": value,
                    "unit": unit,
                    "source_table": table,
                }
            )
            lines.append(i)
    _add_share(records, lines)
    out = _frame(records, raw, lines)
    return ParseResult(rows=out, rejected=rejects_frame(rejects))


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


def _title_indicator(title: str, unit: str) -> str:
    t = title.lower().strip()
    for needle, name in TITLE_INDICATORS.items():
        if t == needle or (len(needle) > 3 and needle in t):
            return name + (_unit_suffix(unit, title) if name.endswith("_waste") else "")
    return _snake(title) or "unknown"


def parse_cbs_v4(raw: RawFile, doc: dict[str, Any]) -> ParseResult:
    table = str(doc.get("table_id") or "").strip()
    measures = doc.get("measure_codes")
    obs = doc.get("observations")
    if not isinstance(measures, list) or not isinstance(obs, list):
        raise SourceFileError(
            f"{raw.name}: field 'measure_codes'/'observations': missing or not lists"
        )
    mnames = {
        str(m.get("Identifier")): (
            _title_indicator(str(m.get("Title") or m.get("Identifier")), str(m.get("Unit") or "")),
            str(m.get("Unit") or ""),
        )
        for m in measures
        if isinstance(m, dict)
    }
    dims = doc.get("dimensions") or {}
    geo_dim = next(
        (d for d in ("WijkenEnBuurten", "RegioS", "Regiokenmerken", "Gemeenten") if d in dims),
        None,
    )
    if geo_dim is None and obs and isinstance(obs[0], dict):
        geo_dim = next(
            (d for d in ("WijkenEnBuurten", "RegioS", "Regiokenmerken") if d in obs[0]), None
        )
    if geo_dim is None:
        raise SourceFileError(f"{raw.name}: field 'dimensions': no region dimension")
    titles = _dimension_titles(doc, geo_dim)
    fixed_period = doc.get("period") or KERNCIJFERS_YEAR.get(table)
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    rejects: list[dict[str, object]] = []
    for i, o in enumerate(obs, start=1):
        if not isinstance(o, dict):
            rejects.append(reject_row(raw.name, i, "observation", "", "observation: not an object"))
            continue
        code = str(o.get(geo_dim) or "").strip()
        rtype, muni = region_info(code) if code else (None, None)
        if rtype is None:
            rejects.append(
                reject_row(raw.name, i, geo_dim, code, f"{geo_dim}: missing or unknown region code")
            )
            continue
        measure = str(o.get("Measure") or "")
        if measure not in mnames:
            rejects.append(
                reject_row(raw.name, i, "Measure", measure, "Measure: not in measure_codes")
            )
            continue
        value, ok = _number(o.get("Value"))
        if not ok:
            rejects.append(reject_row(raw.name, i, "Value", o.get("Value"), "Value: not a number"))
            continue
        period = _period(o["Perioden"]) if o.get("Perioden") else fixed_period
        if not period:
            rejects.append(reject_row(raw.name, i, "Perioden", "", "Perioden: missing"))
            continue
        indicator, unit = mnames[measure]
        records.append(
            {
                "region_code": code,
                "region_type": rtype,
                "region_name": titles.get(code, code),
                "municipality_code": muni,
                "period": str(period),
                "indicator": indicator,
                "value": value,
                "unit": unit,
                "source_table": table,
            }
        )
        lines.append(i)
    _add_share(records, lines)
    return ParseResult(rows=_frame(records, raw, lines), rejected=rejects_frame(rejects))


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


def parse_pdok(raw: RawFile, doc: dict[str, Any]) -> ParseResult:
    """Municipal boundaries -> one centroid per municipality. Each centroid is checked against
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
        records.append(
            {
                "municipality_code": code,
                "name": str(props.get("statnaam") or "").strip()
                or (known["name"] if known is not None else None),
                "province_code": known["province_code"] if known is not None else None,
                "province_name": known["province_name"] if known is not None else None,
                "lat": lat,
                "lon": lon,
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
