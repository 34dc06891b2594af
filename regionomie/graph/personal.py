"""Personal data in the graph: the default graph (what analysts query in Neo4j Browser) holds a
sole proprietor only under its pseudonym, with a generalised location; the personal fields go,
if anywhere, to a restricted store with its own credentials.

Why: any `MATCH (e:Establishment) RETURN e` in the Browser showed a sole proprietor's real
name, full postcode and exact location, and Opportunity nodes carried the raw
vestigingsnummer. So every graph frame passes through `minimise_frames` before it is loaded
(the families in regionomie.flow, the opportunity nodes, the bulk load):

* a personal Establishment (sole proprietor, or an unknown legal form: the privacy rules'
  `SoleProprietorShield`) is keyed by its pseudonym (`ez-…`, the same keyed hash as the
  exports without an export salt) instead of its vestigingsnummer; `name` and `start_date`
  are empty, `postcode` is the four digits, the location is the centre of its 500 m cell
  (the opportunity engine's own resolution); `display_name` is the pseudonym label;
* a personal Organisation is keyed by the pseudonym of its KvK number, without name and
  registration date;
* every relationship end and Opportunity field that held one of those numbers holds the
  pseudonym.

`restricted_frames` builds what an operator with a lawful basis may keep next to that: the
labels model.yaml marks `restricted` (PersonalEstablishment, PersonalOrganisation: the
pseudonym with the number, name, address and exact location), which the loader writes only
through `regionomie.graph.restricted` to a separate database or server with its own
credentials, never to the default graph.

Pure: pandas only, no driver.
"""

from __future__ import annotations

import pandas as pd

from regionomie.domain.privacy import SoleProprietorShield, coarsen_locations
from regionomie.graph.frames import GraphFrames, node_frame
from regionomie.graph.model import MODEL, GraphModel

PERSONAL_LABELS = ("Establishment", "Organisation")
# Per label: properties emptied on a personal node, and what is coarsened.
EMPTIED: dict[str, tuple[str, ...]] = {
    "Establishment": ("name", "start_date"),
    "Organisation": ("name", "registration_date"),
}


def graph_shield(
    establishments: pd.DataFrame | None,
    organisations: pd.DataFrame | None,
    key: bytes,
) -> SoleProprietorShield:
    """Which vestigingsnummers and KvK numbers are personal (sole proprietors and, failing
    closed, unknown legal forms) in the establishments and organisations tables."""
    columns = ["vestigingsnummer", "kvk_nummer", "is_sole_proprietor", "legal_form"]
    parts = [
        frame[[c for c in columns if c in frame.columns]]
        for frame in (establishments, organisations)
        if frame is not None and len(frame)
    ]
    if not parts:
        return SoleProprietorShield(key=key)
    return SoleProprietorShield.from_establishments(pd.concat(parts, ignore_index=True), key)


def _pseudonymise(values: pd.Series, shield: SoleProprietorShield) -> pd.Series:
    """Each value that is a personal number becomes its pseudonym; others stay."""
    if not shield.personal_ids:
        return values
    text = values.astype(object)
    mask = text.map(lambda v: v is not None and str(v) in shield.personal_ids).to_numpy(bool)
    if not mask.any():
        return values
    out = text.copy()
    out[mask] = [shield.pseudonym(v) for v in text[mask]]
    return out


def minimise_frames(
    frames: GraphFrames, shield: SoleProprietorShield, model: GraphModel = MODEL
) -> GraphFrames:
    """The frames as the default graph may hold them (see the module docstring)."""
    if not shield.personal_ids:
        return frames
    nodes: dict[str, pd.DataFrame] = {}
    for label, frame in frames.nodes.items():
        if label not in PERSONAL_LABELS or frame.empty:
            nodes[label] = frame
            continue
        personal = frame["key"].astype(str).isin(shield.personal_ids).to_numpy(bool)
        if not personal.any():
            nodes[label] = frame
            continue
        out = frame.copy()
        out["key"] = _pseudonymise(frame["key"], shield)
        for column in EMPTIED[label]:
            if column in out.columns:
                out[column] = out[column].astype(object).where(~personal, None)
        if "postcode" in out.columns:
            digits = (
                out["postcode"]
                .astype(object)
                .map(lambda p: str(p).replace(" ", "")[:4] if isinstance(p, str) and p else p)
            )
            out["postcode"] = out["postcode"].astype(object).where(~personal, digits)
        if "lat" in out.columns and "lon" in out.columns:
            lat = pd.to_numeric(out["lat"], errors="coerce").to_numpy("float64").copy()
            lon = pd.to_numeric(out["lon"], errors="coerce").to_numpy("float64").copy()
            lat[personal], lon[personal] = coarsen_locations(lat[personal], lon[personal])
            out["lat"], out["lon"] = lat, lon
        nodes[label] = out
    relationships: dict[str, pd.DataFrame] = {}
    for family, frame in frames.relationships.items():
        spec = model.rel(family)
        out = frame
        for end, label in (("start", spec.start), ("end", spec.end)):
            if label in PERSONAL_LABELS and end in out.columns and len(out):
                if out is frame:
                    out = frame.copy()
                out[end] = _pseudonymise(out[end], shield)
        relationships[family] = out
    aside = frames.set_aside
    if len(aside) and "key" in aside.columns:
        aside = aside.assign(key=aside["key"].map(shield.protect_text))
    return GraphFrames(nodes=nodes, relationships=relationships, set_aside=aside)


# ---------------------------------------------------------------------- restricted store


def restricted_frames(
    establishments: pd.DataFrame,
    organisations: pd.DataFrame | None,
    shield: SoleProprietorShield,
    model: GraphModel = MODEL,
) -> GraphFrames:
    """PersonalEstablishment and PersonalOrganisation nodes for the personal rows: keyed by
    the pseudonym the default graph uses, holding what the default graph leaves out."""
    nodes: dict[str, pd.DataFrame] = {}
    est = establishments
    if est is not None:  # an empty frame too: the store then holds none of this label
        mine = est[est["vestigingsnummer"].astype(str).isin(shield.personal_ids).to_numpy(bool)]
        data: dict[str, object] = {c: mine[c] for c in mine.columns}
        data["key"] = mine["vestigingsnummer"].map(shield.pseudonym)
        data["name"] = mine["trade_name"] if "trade_name" in mine.columns else None
        nodes["PersonalEstablishment"] = node_frame("PersonalEstablishment", data, model)
    org = organisations
    if org is not None:
        mine = org[org["kvk_nummer"].astype(str).isin(shield.personal_ids).to_numpy(bool)]
        data = {c: mine[c] for c in mine.columns}
        data["key"] = mine["kvk_nummer"].map(shield.pseudonym)
        nodes["PersonalOrganisation"] = node_frame("PersonalOrganisation", data, model)
    return GraphFrames(nodes=nodes)


def restricted_labels(model: GraphModel = MODEL) -> frozenset[str]:
    return frozenset(label for label, spec in model.nodes.items() if spec.restricted)
