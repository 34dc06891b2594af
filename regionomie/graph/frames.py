"""Contract tables -> graph frames (pure pandas; no neo4j, no dagster).

Why a separate step: the loader only knows two generic shapes, so every table is turned into
them here, where it can be tested without a database.

* node frame: column ``key`` + the label's properties from model.yaml (+ ``lat``/``lon`` for
  labels with a point);
* relationship frame: ``start`` and ``end`` (keys of the two end nodes) + the family's
  identity and properties.

Rows that cannot become graph rows are returned as set-aside frames with a reason, never
dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from regionomie.domain.opportunities.common import add_display_columns, sole_proprietor_mask
from regionomie.domain.privacy import sole_proprietor_label
from regionomie.graph.model import MODEL, GraphModel

SET_ASIDE_COLUMNS: tuple[str, ...] = ("table", "key", "field", "reason")


def _empty_set_aside() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in SET_ASIDE_COLUMNS})


@dataclass
class GraphFrames:
    """Node frames by label, relationship frames by family name, rows set aside."""

    nodes: dict[str, pd.DataFrame] = field(default_factory=dict)
    relationships: dict[str, pd.DataFrame] = field(default_factory=dict)
    set_aside: pd.DataFrame = field(default_factory=_empty_set_aside)


def _blank_to_none(series: pd.Series) -> pd.Series:
    """'' and whitespace-only strings mean 'not given' in the source tables."""
    out = series.astype(object)
    mask = out.map(lambda v: isinstance(v, str) and not v.strip())
    return out.where(~mask & out.notna(), None)


def node_frame(label: str, data: dict[str, object], model: GraphModel = MODEL) -> pd.DataFrame:
    """A label's node frame: `key` + exactly the model's properties (absent ones None)."""
    spec = model.node(label)
    columns = ["key", *spec.properties]
    if spec.point:
        columns += ["lat", "lon"]
    length = len(data["key"])  # type: ignore[arg-type]
    frame = pd.DataFrame(
        {c: data[c] if c in data else pd.Series([None] * length, dtype=object) for c in columns}
    )
    return frame.reset_index(drop=True)


def rel_frame(name: str, data: dict[str, object], model: GraphModel = MODEL) -> pd.DataFrame:
    """A family's relationship frame: start, end + the model's identity and properties."""
    spec = model.rel(name)
    columns = ["start", "end", *spec.identity, *spec.properties]
    length = len(data["start"])  # type: ignore[arg-type]
    frame = pd.DataFrame(
        {c: data[c] if c in data else pd.Series([None] * length, dtype=object) for c in columns}
    )
    return frame.reset_index(drop=True)


def _set_aside(table: str, keys: pd.Series, field_name: str, reason: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": table,
            "key": keys.astype(str).to_numpy(),
            "field": field_name,
            "reason": reason,
        }
    )


def sector_key(version: object, code: object) -> str | None:
    """'2008', '5610' -> 'sbi2008:5610'; None when either part is missing."""
    if version is None or code is None or pd.isna(version) or pd.isna(code):
        return None
    code_s = str(code).strip().replace(".", "")
    version_s = str(version).strip()
    if not code_s or not version_s:
        return None
    return f"sbi{version_s}:{code_s}"


# --------------------------------------------------------------------------- places


def municipality_frames(municipalities: pd.DataFrame) -> GraphFrames:
    """MUNICIPALITIES -> Municipality, Province nodes and IN_PROVINCE."""
    m = municipalities
    munis = node_frame(
        "Municipality",
        {"key": m["municipality_code"], "name": m["name"], "lat": m["lat"], "lon": m["lon"]},
    )
    provinces = (
        m.loc[m["province_code"].notna(), ["province_code", "province_name"]]
        .drop_duplicates("province_code")
        .sort_values("province_code")
    )
    prov = node_frame(
        "Province", {"key": provinces["province_code"], "name": provinces["province_name"]}
    )
    with_prov = m[m["province_code"].notna()]
    rel = rel_frame(
        "IN_PROVINCE", {"start": with_prov["municipality_code"], "end": with_prov["province_code"]}
    )
    missing = m[m["province_code"].isna()]
    return GraphFrames(
        nodes={"Municipality": munis, "Province": prov},
        relationships={"IN_PROVINCE": rel},
        set_aside=_set_aside(
            "municipalities", missing["municipality_code"], "province_code", "no province"
        )
        if len(missing)
        else _empty_set_aside(),
    )


# --------------------------------------------------------------------------- companies


def organisation_display_names(organisations: pd.DataFrame) -> pd.Series:
    """What Neo4j Browser captions an Organisation with: its name, or for a sole proprietor
    (and, failing closed, an unknown legal form) a pseudonym naming only its SBI code."""
    o = organisations
    sole = sole_proprietor_mask(o)
    sbi = o["sbi_main"] if "sbi_main" in o.columns else pd.Series("", index=o.index)
    sbi = sbi.astype(object).where(sbi.notna(), "").astype(str)
    pseudonym = pd.Series(
        [sole_proprietor_label(f"SBI {c}" if c else "onbekende sector", None) for c in sbi],
        index=o.index,
        dtype=object,
    )
    name = o["name"] if "name" in o.columns else pd.Series(None, index=o.index, dtype=object)
    fallback = "KvK " + o["kvk_nummer"].astype(str)
    shown = name.astype(object).where(name.notna() & (name.astype(str) != ""), fallback)
    return shown.where(~sole.to_numpy(dtype=bool), pseudonym)


def organisation_frames(organisations: pd.DataFrame) -> GraphFrames:
    """ORGANISATIONS -> Organisation nodes."""
    o = organisations
    data = {c: o[c] for c in o.columns}
    data["key"] = o["kvk_nummer"]
    data["display_name"] = organisation_display_names(o)
    return GraphFrames(nodes={"Organisation": node_frame("Organisation", data)})


def establishment_frames(establishments: pd.DataFrame) -> GraphFrames:
    """ESTABLISHMENTS -> Establishment nodes + LOCATED_IN, ACTIVE_IN (main and other SBI codes)
    and HAS_ESTABLISHMENT. Rows without a municipality keep their node; the missing link is
    listed in set_aside."""
    e = establishments
    data = {c: e[c] for c in e.columns}
    data["key"] = e["vestigingsnummer"]
    data["name"] = e["trade_name"]
    data["display_name"] = add_display_columns(e)["display_name"]
    nodes = node_frame("Establishment", data)

    has_muni = e["municipality_code"].notna() & (e["municipality_code"].astype(str) != "")
    located = rel_frame(
        "LOCATED_IN",
        {"start": e.loc[has_muni, "vestigingsnummer"], "end": e.loc[has_muni, "municipality_code"]},
    )
    has_org = e["kvk_nummer"].notna() & (e["kvk_nummer"].astype(str) != "")
    owned = rel_frame(
        "HAS_ESTABLISHMENT",
        {"start": e.loc[has_org, "kvk_nummer"], "end": e.loc[has_org, "vestigingsnummer"]},
    )

    version = e["sbi_version"].astype(object).where(e["sbi_version"].notna(), None)
    main_code = e["sbi_main"].astype(object).where(e["sbi_main"].notna(), "")
    main_key = "sbi" + version.astype(str) + ":" + main_code.astype(str)
    has_main = version.notna() & (main_code.astype(str) != "")
    main = pd.DataFrame(
        {"start": e.loc[has_main, "vestigingsnummer"], "end": main_key[has_main], "main": True}
    )
    others = pd.DataFrame(
        {
            "start": e["vestigingsnummer"],
            "version": version,
            "code": e["sbi_other"].fillna("").astype(str).str.split(";"),
        }
    ).explode("code")
    others["code"] = others["code"].str.strip()
    others = others[(others["code"] != "") & others["code"].notna() & others["version"].notna()]
    other = pd.DataFrame(
        {
            "start": others["start"],
            "end": "sbi" + others["version"].astype(str) + ":" + others["code"].astype(str),
            "main": False,
        }
    )
    active_in = pd.concat([main, other], ignore_index=True).drop_duplicates(
        ["start", "end"], keep="first"
    )
    active_in = rel_frame("ACTIVE_IN", {c: active_in[c] for c in active_in.columns})

    set_aside = [
        _set_aside(
            "establishments", e.loc[~has_muni, "vestigingsnummer"], "municipality_code", "no link"
        ),
        _set_aside("establishments", e.loc[~has_main, "vestigingsnummer"], "sbi_main", "no link"),
    ]
    return GraphFrames(
        nodes={"Establishment": nodes},
        relationships={"LOCATED_IN": located, "ACTIVE_IN": active_in, "HAS_ESTABLISHMENT": owned},
        set_aside=pd.concat([s for s in set_aside if len(s)] or [_empty_set_aside()]),
    )


# --------------------------------------------------------------------------- reference


def sector_frames(sbi2008: pd.DataFrame, sbi2025: pd.DataFrame | None = None) -> GraphFrames:
    """SBI 2008 hierarchy (section..subclass, PART_OF), NACE classes ('nace:5610', which SBI
    2008 classes equal), SBI 2025 subclasses, and CORRESPONDS_TO from SBI classes/subclasses to
    NACE classes (the comparable key across both SBI versions)."""
    s8 = sbi2008.fillna("")
    level = s8["level"].astype(str)
    nace8 = s8["code"].where(level.isin(["class", "subclass"]), "").str[:4]
    nodes = [
        node_frame(
            "Sector",
            {
                "key": "sbi2008:" + s8["code"],
                "name": s8["label_nl"],
                "scheme": "sbi2008",
                "code": s8["code"],
                "level": level,
                "label_en": _blank_to_none(s8["label_en"]),
                "nace_class": _blank_to_none(nace8),
            },
        )
    ]
    has_parent = s8["parent"] != ""
    part_of = rel_frame(
        "SECTOR_PART_OF",
        {
            "start": "sbi2008:" + s8.loc[has_parent, "code"],
            "end": "sbi2008:" + s8.loc[has_parent, "parent"],
        },
    )
    classes = s8[level == "class"]
    nodes.append(
        node_frame(
            "Sector",
            {
                "key": "nace:" + classes["code"],
                "name": classes["label_nl"],
                "scheme": "nace",
                "code": classes["code"],
                "level": "class",
                "label_en": _blank_to_none(classes["label_en"]),
                "nace_class": classes["code"],
            },
        )
    )
    corr = [
        rel_frame(
            "CORRESPONDS_TO",
            {
                "start": "sbi2008:" + classes["code"],
                "end": "nace:" + classes["code"],
                "basis": "sbi2008-class",
            },
        )
    ]
    if sbi2025 is not None and len(sbi2025):
        s25 = sbi2025.fillna("")
        nodes.append(
            node_frame(
                "Sector",
                {
                    "key": "sbi2025:" + s25["code"],
                    "name": s25["label_nl"],
                    "scheme": "sbi2025",
                    "code": s25["code"],
                    "level": "subclass",
                    "label_en": _blank_to_none(s25["label_en"]),
                    "nace_class": _blank_to_none(s25["nace2_class"]),
                },
            )
        )
        known = set(classes["code"])
        mapped = s25[s25["nace2_class"].isin(known)]
        corr.append(
            rel_frame(
                "CORRESPONDS_TO",
                {
                    "start": "sbi2025:" + mapped["code"],
                    "end": "nace:" + mapped["nace2_class"],
                    "basis": mapped["nace2_basis"],
                },
            )
        )
    all_nodes = pd.concat(nodes, ignore_index=True).drop_duplicates("key")
    return GraphFrames(
        nodes={"Sector": all_nodes.reset_index(drop=True)},
        relationships={
            "SECTOR_PART_OF": part_of,
            "CORRESPONDS_TO": pd.concat(corr, ignore_index=True),
        },
    )


def _flag(value: object) -> bool | None:
    """True/False from a bool or text flag; None when unknown (NA, NaN, blank)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = str(value).strip().lower()
    if not text:
        return None
    return text in ("true", "1", "yes", "ja")


def material_frames(eural: pd.DataFrame) -> GraphFrames:
    """EURAL list (code, level, chapter, subchapter, hazardous, description_nl/_en) -> Material
    nodes and PART_OF entry -> subchapter -> chapter."""
    e = eural.copy()
    hazardous = e["hazardous"].astype(object).map(_flag)
    nodes = node_frame(
        "Material",
        {
            "key": e["code"].astype(str),
            "name": e["description_nl"],
            "level": e["level"],
            "chapter": _blank_to_none(e["chapter"]),
            "subchapter": _blank_to_none(e["subchapter"]),
            "hazardous": hazardous,
            "description_en": _blank_to_none(e["description_en"]),
        },
    )
    level = e["level"].astype(str)
    entry = e[level == "entry"]
    sub = e[level == "subchapter"]
    part_of = rel_frame(
        "MATERIAL_PART_OF",
        {
            "start": pd.concat([entry["code"], sub["code"]]).astype(str),
            "end": pd.concat([entry["subchapter"], sub["chapter"]]).astype(str),
        },
    )
    return GraphFrames(nodes={"Material": nodes}, relationships={"MATERIAL_PART_OF": part_of})


# --------------------------------------------------------------------------- waste


def _role_links(links: pd.DataFrame, role: str) -> pd.DataFrame:
    part = links[(links["role"] == role) & links["vestigingsnummer"].notna()]
    part = part.sort_values("confidence", ascending=False).drop_duplicates("afvalstroomnummer")
    return part[["afvalstroomnummer", "vestigingsnummer"]]


def _receipts(records: pd.DataFrame) -> pd.DataFrame:
    """Receipts (ontvangstmeldingen) only: receivers report every load, so they are the
    complete record; afgifte rows would count the same tonnes twice."""
    return records[records["extract_type"] == "ontvangst"]


def production_frame(records: pd.DataFrame, links: pd.DataFrame) -> GraphFrames:
    """PRODUCES per (matched ontdoener establishment, EURAL code, year): tonnes and loads
    summed over the receipts. Records whose ontdoener is unmatched are listed in set_aside."""
    r = _receipts(records).merge(
        _role_links(links, "ontdoener"), on="afvalstroomnummer", how="left"
    )
    unmatched = r[r["vestigingsnummer"].isna()]
    r = r[r["vestigingsnummer"].notna()]
    grouped = (
        r.assign(period=r["period_year"].astype(int).astype(str))
        .groupby(["vestigingsnummer", "eural_code", "period"], as_index=False)
        .agg(weight_kg=("weight_kg", "sum"), loads=("loads", "sum"))
    )
    frame = rel_frame(
        "PRODUCES",
        {
            "start": grouped["vestigingsnummer"],
            "end": grouped["eural_code"],
            "period": grouped["period"],
            "tonnes_per_year": (grouped["weight_kg"] / 1000.0).round(6),
            "loads": grouped["loads"].astype("Int64"),
        },
    )
    return GraphFrames(
        relationships={"PRODUCES": frame},
        set_aside=_set_aside(
            "waste_records", unmatched["afvalstroomnummer"], "ontdoener", "ontdoener not matched"
        ),
    )


def flow_frame(records: pd.DataFrame, links: pd.DataFrame) -> GraphFrames:
    """SENDS (observed flows) from the matched ontdoener to the matched verwerker (or, when the
    processor is unknown, the ontvanger), per EURAL code and year."""
    r = _receipts(records)
    src = _role_links(links, "ontdoener").rename(columns={"vestigingsnummer": "start"})
    proc = _role_links(links, "verwerker").rename(columns={"vestigingsnummer": "proc"})
    recv = _role_links(links, "ontvanger").rename(columns={"vestigingsnummer": "recv"})
    r = r.merge(src, on="afvalstroomnummer", how="left")
    r = r.merge(proc, on="afvalstroomnummer", how="left")
    r = r.merge(recv, on="afvalstroomnummer", how="left")
    r["end"] = r["proc"].where(r["proc"].notna(), r["recv"])
    unmatched = r[r["start"].isna() | r["end"].isna()]
    r = r[r["start"].notna() & r["end"].notna()]
    grouped = (
        r.assign(
            period=r["period_year"].astype(int).astype(str),
            processing_code=r["processing_code"].fillna(""),
        )
        .groupby(["start", "end", "eural_code", "period"], as_index=False)
        .agg(
            weight_kg=("weight_kg", "sum"),
            loads=("loads", "sum"),
            processing_code=("processing_code", lambda s: ";".join(sorted(set(s) - {""}))),
        )
    )
    frame = rel_frame(
        "SENDS",
        {
            "start": grouped["start"],
            "end": grouped["end"],
            "eural_code": grouped["eural_code"],
            "period": grouped["period"],
            "tonnes": (grouped["weight_kg"] / 1000.0).round(6),
            "loads": grouped["loads"].astype("Int64"),
            "processing_code": _blank_to_none(grouped["processing_code"]),
        },
    )
    return GraphFrames(
        relationships={"SENDS": frame},
        set_aside=_set_aside(
            "waste_records", unmatched["afvalstroomnummer"], "ontdoener/verwerker", "not matched"
        ),
    )


# --------------------------------------------------------------------------- challenges


def challenge_frames(challenges: pd.DataFrame) -> GraphFrames:
    """derive_challenges() output -> Challenge nodes and FACES {value, national value, gap to
    the Netherlands, severity, percentile among the municipalities present}."""
    c = challenges
    defs = c.drop_duplicates("challenge_id").sort_values("challenge_id")
    nodes = node_frame(
        "Challenge",
        {
            "key": defs["challenge_id"],
            "name": defs["label"],
            "indicator": defs["indicator"],
            "higher_is_worse": defs["higher_is_worse"] if "higher_is_worse" in defs else None,
        },
    )
    period = c["period"].astype(str) if "period" in c else pd.Series([""] * len(c), index=c.index)
    faces = rel_frame(
        "FACES",
        {
            "start": c["municipality_code"],
            "end": c["challenge_id"],
            "period": period,
            "value": c["value"],
            "percentile": c["percentile"],
            "severity": c["severity"] if "severity" in c else None,
            "national_median": c["national_median"] if "national_median" in c else None,
            "national_value": c["national_value"] if "national_value" in c else None,
            "gap": c["gap"] if "gap" in c else None,
            "reference_basis": c["reference_basis"] if "reference_basis" in c else None,
        },
    )
    return GraphFrames(nodes={"Challenge": nodes}, relationships={"FACES": faces})


def merge_frames(*parts: GraphFrames) -> GraphFrames:
    """Combine frames of several tables into one (same label/family frames concatenated)."""
    out = GraphFrames()
    asides = []
    for part in parts:
        for label, frame in part.nodes.items():
            out.nodes[label] = (
                pd.concat([out.nodes[label], frame], ignore_index=True)
                if label in out.nodes
                else frame
            )
        for family, frame in part.relationships.items():
            out.relationships[family] = (
                pd.concat([out.relationships[family], frame], ignore_index=True)
                if family in out.relationships
                else frame
            )
        if len(part.set_aside):
            asides.append(part.set_aside)
    out.set_aside = pd.concat(asides, ignore_index=True) if asides else _empty_set_aside()
    return out
