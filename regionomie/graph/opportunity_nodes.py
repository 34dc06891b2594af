"""Opportunity and BusinessCase nodes for one region, replaced as a whole per region so a
re-run never leaves stale or duplicate opportunities (delete-then-insert per partition).
The frames come from opportunity_frames.py; the loader writes them like every family."""

from __future__ import annotations

import pandas as pd
from neo4j import Driver

from regionomie.domain.privacy import SoleProprietorShield
from regionomie.graph import loader
from regionomie.graph.opportunity_frames import SOURCE, opportunity_frames


def write_region_opportunities(
    driver: Driver,
    region: str,
    candidates: pd.DataFrame,
    cases: pd.DataFrame,
    challenges: pd.DataFrame,
    run_id: str,
    database: str | None = None,
    shield: SoleProprietorShield | None = None,
) -> dict[str, int]:
    """Replace the region's Opportunity/BusinessCase nodes; returns how many were written
    and how many graph rows the loader set aside (e.g. a link whose end node is missing).
    `shield` (regionomie.flow.graph_shield): a sole proprietor's number becomes its
    pseudonym (the key of its Establishment node) and its location its 500 m cell."""
    if shield is not None:
        candidates = shield.protect_frame(candidates)
    frames = opportunity_frames(region, candidates, cases, challenges)
    counts = loader.replace_partition(
        driver,
        frames,
        partition=("region", region),
        run_id=run_id,
        source=SOURCE,
        database=database,
    )
    return {
        "opportunity_nodes": len(frames.nodes["Opportunity"]),
        "business_case_nodes": len(frames.nodes["BusinessCase"]),
        "graph_rows_set_aside": counts["set_aside"],
    }
