"""The knowledge base in the graph: residual streams, what EURAL codes they are reported
under, who typically produces them and which sectors can use them (with the evidence), so an
analyst can walk from a producer's waste to its possible receivers in Neo4j Browser."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from neo4j import Driver

from regionomie.domain.knowledge import PATHWAY_COLUMNS, split_list

SOURCE = "regionomie-knowledge-base"
BATCH_SIZE = 2000

_STREAMS = """
UNWIND $rows AS row
MERGE (s:ResidualStream {id: row.material_id})
SET s.name = row.name_nl, s.name_en = row.name_en, s.synonyms = row.synonyms,
    s.category = row.category, s.hazardous = row.hazardous, s.source = $source,
    s.load_run = $run_id
WITH s, row
UNWIND row.eural_codes AS code
MATCH (m:Material {code: code})
MERGE (s)-[r:REPORTED_AS]->(m)
SET r.source = $source, r.load_run = $run_id
"""

_PATHWAYS = """
UNWIND $rows AS row
MATCH (s:ResidualStream {id: row.material_id})
MERGE (sector:Sector {key: 'nace:' + row.receiver_nace})
  ON CREATE SET sector.scheme = 'nace', sector.code = row.receiver_nace,
                sector.nace_class = row.receiver_nace, sector.name = row.props.receiver_label,
                sector.level = 'class', sector.source = $source
MERGE (s)-[p:CAN_FEED {pathway_id: row.pathway_id}]->(sector)
SET p += row.props, p.source = $source, p.load_run = $run_id
"""

_PRODUCERS = """
UNWIND $rows AS row
MATCH (s:ResidualStream {id: row.material_id})
MERGE (sector:Sector {key: 'nace:' + row.producer_nace})
  ON CREATE SET sector.scheme = 'nace', sector.code = row.producer_nace,
                sector.nace_class = row.producer_nace, sector.source = $source
MERGE (sector)-[r:TYPICALLY_YIELDS]->(s)
SET r.tonnes_per_employee_per_year = row.tonnes_per_employee_per_year, r.source = $source,
    r.load_run = $run_id
"""

# Pathway columns that become CAN_FEED properties (the ids and codes are its ends).
_PATHWAY_PROPS = tuple(
    c
    for c in PATHWAY_COLUMNS
    if c not in ("pathway_id", "material_id", "producer_nace", "receiver_nace")
)


def plain(value: Any) -> Any:
    """A pandas/numpy cell as a Bolt parameter: NaN -> None, numpy scalars -> Python."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _split(value: Any) -> list[str]:
    return split_list(value) if isinstance(value, str) else []


def _bool(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes", "ja")


def knowledge_rows(
    materials: pd.DataFrame, pathways: pd.DataFrame, yields: pd.DataFrame | None
) -> dict[str, list[dict[str, Any]]]:
    """Plain parameter rows for the three writes (pure; tested without a database)."""
    streams = [
        {
            "material_id": str(r["material_id"]),
            "name_nl": plain(r.get("name_nl")),
            "name_en": plain(r.get("name_en")),
            "synonyms": _split(r.get("synonyms")),
            "category": plain(r.get("category")),
            "hazardous": _bool(r.get("hazardous")),
            "eural_codes": _split(r.get("eural_codes")),
        }
        for r in materials.to_dict("records")
    ]
    pathway_rows = [
        {
            "pathway_id": str(r["pathway_id"]),
            "material_id": str(r["material_id"]),
            "receiver_nace": str(r["receiver_nace"]).zfill(4),
            "props": {
                k: (_bool(r.get(k)) if k == "food_or_feed" else plain(r.get(k)))
                for k in _PATHWAY_PROPS
            },
        }
        for r in pathways.to_dict("records")
    ]
    producer_rows = []
    if yields is not None and len(yields):
        producer_rows = [
            {
                "material_id": str(r["material_id"]),
                "producer_nace": str(r["producer_nace"]).zfill(4),
                "tonnes_per_employee_per_year": plain(r.get("tonnes_per_employee_per_year")),
            }
            for r in yields.to_dict("records")
        ]
    return {"streams": streams, "pathways": pathway_rows, "producers": producer_rows}


def load_knowledge_base_graph(
    driver: Driver,
    materials: pd.DataFrame,
    pathways: pd.DataFrame,
    yields: pd.DataFrame | None,
    run_id: str,
    database: str | None = None,
) -> dict[str, int]:
    rows = knowledge_rows(materials, pathways, yields)
    for query, key in ((_STREAMS, "streams"), (_PATHWAYS, "pathways"), (_PRODUCERS, "producers")):
        batch = rows[key]
        for start in range(0, len(batch), BATCH_SIZE):
            driver.execute_query(
                query,
                rows=batch[start : start + BATCH_SIZE],
                source=SOURCE,
                run_id=run_id,
                database_=database,
            )
    return {key: len(value) for key, value in rows.items()}
