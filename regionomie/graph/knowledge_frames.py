"""The knowledge base as graph frames (pure; no database): residual streams, the EURAL codes
they are reported under (REPORTED_AS), the sectors that can use them (CAN_FEED, with the
evidence) and the sectors that typically yield them (TYPICALLY_YIELDS), so an analyst can walk
from a producer's waste to its possible receivers in Neo4j Browser.

Written by the loader like every other family (`loader.load_frames(..., source=SOURCE,
full_snapshot=True)`): the knowledge base is always complete, so a pathway dropped from
data/knowledge is closed in the graph, not left behind.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pandas as pd

from regionomie.domain.knowledge import split_list
from regionomie.graph.frames import GraphFrames, node_frame, rel_frame, sector_frames
from regionomie.graph.model import MODEL

SOURCE = "regionomie-knowledge-base"


def _split(value: Any) -> list[str]:
    return split_list(value) if isinstance(value, str) else []


def _bool(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes", "ja")


def _nace_key(codes: pd.Series) -> pd.Series:
    return "nace:" + codes.astype(str).str.zfill(4)


def reference_sector_keys() -> set[str]:
    """Keys of the Sector nodes the reference lists define (data/reference, SBI 2008/2025)."""
    from regionomie.domain import reference

    sectors = sector_frames(reference.load_sbi2008(), reference.load_sbi2025())
    return set(sectors.nodes["Sector"]["key"])


def _stream_frames(materials: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    m = materials.reset_index(drop=True)
    streams = node_frame(
        "ResidualStream",
        {
            "key": m["material_id"].astype(str).to_numpy(),
            "name": m["name_nl"].to_numpy(),
            "name_en": m["name_en"].to_numpy(),
            "synonyms": [_split(v) for v in m["synonyms"]],
            "category": m["category"].to_numpy(),
            "hazardous": [_bool(v) for v in m["hazardous"]],
        },
    )
    codes = pd.DataFrame(
        {"start": streams["key"], "end": [_split(v) for v in m["eural_codes"]]}
    ).explode("end")
    codes = codes[codes["end"].notna()].drop_duplicates()
    reported = rel_frame("REPORTED_AS", {"start": codes["start"].to_numpy(), "end": codes["end"]})
    return streams, reported


def _missing_sectors(
    pathways: pd.DataFrame, yields: pd.DataFrame | None, known: Collection[str]
) -> pd.DataFrame:
    """NACE classes the knowledge base names but the reference lists lack (NACE classes that
    are no SBI 2008 class, e.g. 3521 'manufacture of gas'): Sector nodes of their own, named
    by the first pathway's receiver label, so no pathway is lost."""
    named = pd.DataFrame(
        {"key": _nace_key(pathways["receiver_nace"]), "name": pathways["receiver_label"]}
    )
    if yields is not None and len(yields):
        unnamed = pd.DataFrame({"key": _nace_key(yields["producer_nace"]), "name": None})
        named = pd.concat([named, unnamed], ignore_index=True)
    missing = named[~named["key"].isin(set(known))].drop_duplicates("key")
    code = missing["key"].str.removeprefix("nace:").to_numpy()
    return node_frame(
        "Sector",
        {
            "key": missing["key"].to_numpy(),
            "name": missing["name"].to_numpy(),
            "scheme": "nace",
            "code": code,
            "level": "class",
            "nace_class": code,
        },
    )


def knowledge_frames(
    materials: pd.DataFrame,
    pathways: pd.DataFrame,
    yields: pd.DataFrame | None,
    sector_keys: Collection[str] | None = None,
) -> GraphFrames:
    """Knowledge-base tables (load_knowledge_base(): materials, pathways, producer yields) ->
    ResidualStream nodes, REPORTED_AS, CAN_FEED and TYPICALLY_YIELDS. `sector_keys` are the
    Sector keys the reference defines (default: reference_sector_keys())."""
    streams, reported = _stream_frames(materials)
    p = pathways.reset_index(drop=True)
    can_feed: dict[str, object] = {
        "start": p["material_id"].astype(str).to_numpy(),
        "end": _nace_key(p["receiver_nace"]).to_numpy(),
        "pathway_id": p["pathway_id"].astype(str).to_numpy(),
    }
    for prop in MODEL.rel("CAN_FEED").properties:
        if prop in p:
            values = p[prop]
            can_feed[prop] = [_bool(v) for v in values] if prop == "food_or_feed" else values
    relationships = {"REPORTED_AS": reported, "CAN_FEED": rel_frame("CAN_FEED", can_feed)}
    if yields is not None and len(yields):
        y = yields.reset_index(drop=True)
        relationships["TYPICALLY_YIELDS"] = rel_frame(
            "TYPICALLY_YIELDS",
            {
                "start": _nace_key(y["producer_nace"]).to_numpy(),
                "end": y["material_id"].astype(str).to_numpy(),
                "tonnes_per_employee_per_year": y["tonnes_per_employee_per_year"],
            },
        )
    known = reference_sector_keys() if sector_keys is None else sector_keys
    sectors = _missing_sectors(p, yields, known)
    nodes = {"ResidualStream": streams}
    if len(sectors):
        nodes["Sector"] = sectors
    return GraphFrames(nodes=nodes, relationships=relationships)
