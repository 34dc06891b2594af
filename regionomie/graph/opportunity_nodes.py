"""Opportunity and BusinessCase nodes for one region, replaced as a whole per region so a
re-run never leaves stale or duplicate opportunities (delete-then-insert per partition)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from neo4j import Driver

from regionomie.graph.knowledge_nodes import plain

SOURCE = "regionomie-opportunity-engine"
MAX_OPPORTUNITY_NODES = 1000  # per region; the full list lives in the exports
BATCH_SIZE = 1000

_NODE_FIELDS = (
    "candidate_id",
    "producer_id",
    "producer_name",
    "receiver_kind",
    "receiver_id",
    "receiver_name",
    "receiver_nace",
    "receiver_label",
    "material_id",
    "material_name",
    "use_category",
    "use_description",
    "matched_tonnes",
    "distance_km",
    "economic_value_eur",
    "co2_avoided_kg",
    "jobs",
    "material_fit",
    "volume_fit",
    "proximity",
    "economic",
    "climate",
    "social",
    "novelty",
    "score",
    "explanation",
    "evidence",
    "caveats",
    "producer_municipality",
    "receiver_municipality",
)


def _rows(frame: pd.DataFrame, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    present = [f for f in fields if f in frame.columns]
    return [
        {f: plain(v) for f, v in zip(present, values, strict=True)}
        for values in frame[present].itertuples(index=False, name=None)
    ]


_DELETE = """
MATCH (o) WHERE (o:Opportunity OR o:BusinessCase) AND o.region = $region
CALL (o) { DETACH DELETE o } IN TRANSACTIONS OF 5000 ROWS
"""

_WRITE_OPPORTUNITIES = """
UNWIND $rows AS row
MERGE (o:Opportunity {id: $region + ':' + row.candidate_id})
SET o += row, o.region = $region, o.rank = row.rank, o.load_run = $run_id,
    o.title = coalesce(row.material_name, row.material_id) + ' -> ' +
              coalesce(row.receiver_name, row.receiver_label, row.receiver_nace),
    o.source = $source
WITH o, row
OPTIONAL MATCH (p:Establishment {vestigingsnummer: row.producer_id})
FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | MERGE (o)-[x:FROM_PRODUCER]->(p)
    SET x.source = $source, x.load_run = $run_id)
WITH o, row
OPTIONAL MATCH (r:Establishment {vestigingsnummer: row.receiver_id})
FOREACH (_ IN CASE WHEN r IS NULL THEN [] ELSE [1] END | MERGE (o)-[x:TO_RECEIVER]->(r)
    SET x.source = $source, x.load_run = $run_id)
WITH o, row
OPTIONAL MATCH (s:Sector {key: 'nace:' + row.receiver_nace})
FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END | MERGE (o)-[x:FOR_SECTOR]->(s)
    SET x.source = $source, x.load_run = $run_id)
WITH o, row
OPTIONAL MATCH (m:ResidualStream {id: row.material_id})
FOREACH (_ IN CASE WHEN m IS NULL THEN [] ELSE [1] END | MERGE (o)-[x:USES_STREAM]->(m)
    SET x.source = $source, x.load_run = $run_id)
WITH o, row
UNWIND row.challenge_ids AS challenge_id
MATCH (c:Challenge {id: challenge_id})
MERGE (o)-[x:ADDRESSES]->(c)
SET x.source = $source, x.load_run = $run_id
"""

_WRITE_CASES = """
UNWIND $rows AS row
MERGE (b:BusinessCase {id: $region + ':' + row.case_id})
SET b += row, b.region = $region, b.load_run = $run_id,
    b.source = $source
WITH b, row
UNWIND row.candidate_ids AS candidate_id
MATCH (o:Opportunity {id: $region + ':' + candidate_id})
MERGE (b)-[x:INCLUDES]->(o)
SET x.source = $source, x.load_run = $run_id
"""


def write_region_opportunities(
    driver: Driver,
    region: str,
    candidates: pd.DataFrame,
    cases: pd.DataFrame,
    challenges: pd.DataFrame,
    run_id: str,
    database: str | None = None,
) -> dict[str, int]:
    ranked = candidates.sort_values(["score", "candidate_id"], ascending=[False, True]).head(
        MAX_OPPORTUNITY_NODES
    )
    ranked = ranked.assign(rank=range(1, len(ranked) + 1))
    severe = (
        challenges[challenges.get("severity", pd.Series(dtype=float)) >= 0.5]
        if len(challenges)
        else challenges
    )
    by_municipality: dict[str, list[str]] = {}
    for code, challenge_id in zip(
        severe.get("municipality_code", []), severe.get("challenge_id", []), strict=False
    ):
        by_municipality.setdefault(str(code), []).append(str(challenge_id))
    rows = _rows(ranked, _NODE_FIELDS + ("rank",))
    for row in rows:
        ids = set(by_municipality.get(str(row.get("producer_municipality")), []))
        ids |= set(by_municipality.get(str(row.get("receiver_municipality")), []))
        row["challenge_ids"] = sorted(ids)
    case_rows = _rows(
        cases,
        (
            "case_id",
            "rank",
            "name",
            "material_name",
            "use_description",
            "receiver_nace",
            "receiver_label",
            "is_startup",
            "matched_tonnes",
            "economic_value_eur",
            "co2_avoided_kg",
            "jobs",
            "case_score",
        ),
    )
    members: dict[str, list[str]] = {}
    if "case_id" in candidates.columns:
        for case_id, candidate_id in zip(
            candidates["case_id"], candidates["candidate_id"], strict=True
        ):
            if isinstance(case_id, str):
                members.setdefault(case_id, []).append(str(candidate_id))
    for row in case_rows:
        row["candidate_ids"] = sorted(members.get(str(row["case_id"]), []))
    with driver.session(database=database) as session:
        session.run(_DELETE, region=region).consume()
    for start in range(0, len(rows), BATCH_SIZE):
        driver.execute_query(
            _WRITE_OPPORTUNITIES,
            rows=rows[start : start + BATCH_SIZE],
            region=region,
            run_id=run_id,
            source=SOURCE,
            database_=database,
        )
    for start in range(0, len(case_rows), BATCH_SIZE):
        driver.execute_query(
            _WRITE_CASES,
            rows=case_rows[start : start + BATCH_SIZE],
            region=region,
            run_id=run_id,
            source=SOURCE,
            database_=database,
        )
    return {"opportunity_nodes": len(rows), "business_case_nodes": len(case_rows)}
