"""LoadRun bookkeeping: every load (transactional or bulk) is recorded as a LoadRun node,
'running' until its last step, then 'finished' with its counts, linked to its DataSource.

Why: a load that died shows up as 'running', and every node and relationship names the run
that last changed it (`load_run`), so an analyst can trace where a value came from.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from neo4j import Driver

from regionomie.graph.rows import LoadResult


@dataclass(frozen=True)
class LoadRun:
    """One load of one source. as_of (ISO date) is the snapshot date used for end_date,
    valid_from and valid_to, so re-running the same load gives the same values."""

    run_id: str
    source: str
    as_of: str
    mode: str = "incremental"


# --------------------------------------------------------------------------- load runs


def start_load_run(
    driver: Driver,
    run_id: str,
    source: str,
    *,
    as_of: str | None = None,
    mode: str = "incremental",
    database: str | None = None,
) -> LoadRun:
    """Record the run as 'running' (it turns 'finished' only in finish_load_run)."""
    run = LoadRun(run_id=run_id, source=source, as_of=as_of or date.today().isoformat(), mode=mode)
    driver.execute_query(
        "MERGE (d:DataSource {name: $source}) "
        "ON CREATE SET d.source = $source, d.load_run = $run_id "
        "MERGE (r:LoadRun {run_id: $run_id}) "
        "SET r.status = 'running', r.mode = $mode, r.as_of = $as_of, r.source = $source, "
        "    r.load_run = $run_id, r.started_at = $now, r.finished_at = null "
        "MERGE (r)-[l:LOADED_FROM]->(d) "
        "SET l.source = $source, l.load_run = $run_id, l.current = true",
        source=source,
        run_id=run_id,
        mode=mode,
        as_of=run.as_of,
        now=datetime.now(UTC).isoformat(timespec="seconds"),
        database_=database,
    )
    return run


def finish_load_run(
    driver: Driver,
    run: LoadRun,
    results: Iterable[LoadResult] = (),
    *,
    database: str | None = None,
) -> dict[str, Any]:
    """Mark the run finished (last step of a load) and store its counts as JSON."""
    counts: dict[str, Any] = {}
    for result in results:
        counts.update(result.as_metadata())
    driver.execute_query(
        "MATCH (r:LoadRun {run_id: $run_id}) "
        "SET r.status = 'finished', r.finished_at = $now, r.counts = $counts",
        run_id=run.run_id,
        now=datetime.now(UTC).isoformat(timespec="seconds"),
        counts=json.dumps(counts, sort_keys=True),
        database_=database,
    )
    return counts
