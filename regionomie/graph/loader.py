"""Idempotent, incremental loader of the regional graph (Neo4j).

How it works (and why):

* Every family (one node label, or one relationship family from graph_schema/model.yaml) is
  written with ``UNWIND $rows AS row MERGE ...`` in batches, one managed write transaction per
  batch (``session.execute_write`` retries transient errors). Labels, keys and types come from
  model.yaml only; values travel as parameters only.
* Incremental: each row gets a 64-bit content hash (``row_hash``) over its model properties
  (and, for establishments, over the relationships the row implies). Existing hashes are read
  first, so only new or changed rows are sent; the write query re-checks
  ``old IS NULL OR old <> row.row_hash`` so a concurrent or repeated write changes nothing.
  Provenance timestamps (ingested_at, retrieved_at) are not hashed: re-parsing the same file
  is not a change.
* Relationships MATCH both end nodes before MERGE; a row whose end node is missing is counted
  as set aside (with the reason) and its anchor node keeps a marker hash, so a later run
  retries it instead of believing it is done.
* Full snapshots: establishments missing from a full snapshot of their source are marked
  ``active=false`` with ``end_date`` (never deleted) and their current relationships closed;
  a relationship that no longer holds gets ``current=false`` and ``valid_to`` (never kept
  silently, never deleted).
* Crash safety: everything is MERGE, each batch is atomic, the LoadRun turns "finished" only
  in finish_load_run(); re-running a load that died converges to the same graph.
* Every node and relationship carries ``source`` and ``load_run`` (the run that last changed
  it); untouched rows keep their old load_run, so two runs of the same data leave the graph
  byte-for-byte equal apart from LoadRun bookkeeping.

The graph package by job (this module may import neo4j; none imports dagster):

* frames.py, knowledge_frames.py, opportunity_frames.py: tables -> graph frames (pure);
* rows.py: frames -> deduplicated, hashed rows and the load counts (pure);
* cypher.py: the query text, from model.yaml;
* loader.py (here): the incremental writes; ``load_frames`` is the one loading API;
* load_runs.py: LoadRun bookkeeping; checksum.py: graph checksum and counts;
* import_files.py + bulk_load.py: neo4j-admin CSVs and the offline first load.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
from neo4j import Driver, ManagedTransaction
from neo4j.exceptions import ConstraintError

from regionomie.graph import cypher
from regionomie.graph import frames as gf
from regionomie.graph.load_runs import LoadRun, finish_load_run, start_load_run
from regionomie.graph.model import MODEL, GraphModel, NodeSpec, RelSpec
from regionomie.graph.rows import (
    CLOSED,
    INCOMPLETE,
    Attached,
    LoadResult,
    ident_strings,
    isin,
    node_rows,
    prepare_nodes,
    prepare_relationships,
    records,
    rel_rows,
    split_anchored,
)

DEFAULT_BATCH_SIZE = 10_000  # measured: see benchmarks/README.md (graph load section)

BatchHook = Callable[[str, int], None]


def _session_write(
    driver: Driver, work: Callable[..., Any], database: str | None, *args: Any
) -> Any:
    """One managed write transaction (retried on transient errors by the driver)."""
    with driver.session(database=database) as session:
        return session.execute_write(work, *args)


TRANSIENT_ATTEMPTS = 6


def retry_transient(
    work: Callable[[], Any], *, attempts: int = TRANSIENT_ATTEMPTS, first_wait: float = 0.5
) -> Any:
    """Run auto-commit work again on a Neo4j transient error (deadlock, lock timeout, a
    terminated transaction), with exponential backoff and jitter. Only for idempotent work:
    what a failed attempt did is rolled back or redone identically (a partition delete).
    Each retry is logged on the `neo4j` logger the way the driver logs its own, so
    `graph.retries` counts both."""
    import logging
    import random
    import time

    from neo4j.exceptions import TransientError

    for attempt in range(1, attempts + 1):
        try:
            return work()
        except TransientError as exc:
            if attempt == attempts:
                raise
            wait = first_wait * 2 ** (attempt - 1) * (0.5 + random.random())
            logging.getLogger("neo4j").warning(
                "Transaction failed and will be retried in %.1fs (%s)", wait, exc.code
            )
            time.sleep(wait)
    return None


def _read_collected(
    driver: Driver, query: str, database: str | None, **params: Any
) -> list[list[Any]]:
    """Rows the server collected into ONE record (`RETURN collect([...]) AS rows`): far
    faster than one Bolt record per row when reading millions of keys and hashes."""
    with driver.session(database=database) as session:
        record = session.run(query, **params).single()
    return list(record["rows"]) if record else []


def load_nodes(
    driver: Driver,
    run: LoadRun,
    label: str,
    nodes: pd.DataFrame,
    *,
    attached: Iterable[Attached] = (),
    full_snapshot: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: BatchHook | None = None,
    database: str | None = None,
    model: GraphModel = MODEL,
) -> LoadResult:
    """Merge one label's node frame (column `key` + model properties); see module doc."""
    started = time.monotonic()
    prepared = prepare_nodes(label, nodes, attached, model)
    spec, nodes, rel_frames, result = (
        prepared.spec,
        prepared.nodes,
        prepared.rels,
        prepared.result,
    )
    counts = result[label]

    existing = pd.DataFrame(
        _read_collected(
            driver,
            cypher.node_hashes_query(spec),
            database,
        ),
        columns=["key", "h", "source", "active"],
    )
    # object dtype: a float conversion (NaN for new keys) would corrupt 64-bit hashes
    known_hash = pd.Series(
        existing["h"].astype(object).to_numpy(), index=existing["key"].astype(str), dtype=object
    )
    old = nodes["key"].map(known_hash)
    same = old.notna() & (old.astype(object) == nodes["row_hash"].astype(object))
    counts.unchanged = int(same.sum())
    for rspec, frame, anchor, _ in rel_frames:
        unchanged_keys = nodes.loc[same, "key"].to_numpy()
        result[rspec.name].unchanged = int(isin(frame[anchor], unchanged_keys).sum())
    # new keys first (written with CREATE, see node_create_query), then changed existing ones
    is_new = old.isna().to_numpy()
    changed = pd.concat([nodes[~same & is_new], nodes[~same & ~is_new]], ignore_index=True)
    n_new = int((~same & is_new).sum())
    existed = set(changed["key"].iloc[n_new:])

    # relationship rows per changed node, in node order, for slicing by batch
    rel_slices: list[tuple[RelSpec, pd.DataFrame, np.ndarray, str, str]] = []
    key_index = pd.Index(changed["key"])
    for rspec, frame, anchor, other in rel_frames:
        pos = key_index.get_indexer(frame[anchor])
        sel = frame[pos >= 0].assign(_pos=pos[pos >= 0]).sort_values("_pos", kind="stable")
        rel_slices.append(
            (rspec, sel.reset_index(drop=True), sel["_pos"].to_numpy(), anchor, other)
        )

    prop_cols = list(spec.properties)
    params = {"source": run.source, "run_id": run.run_id, "as_of": run.as_of, "closed": CLOSED}
    ranges = [(lo, min(lo + batch_size, n_new)) for lo in range(0, n_new, batch_size)] + [
        (lo, min(lo + batch_size, len(changed))) for lo in range(n_new, len(changed), batch_size)
    ]
    for batch_no, (lo, hi) in enumerate(ranges):
        batch = changed.iloc[lo:hi]
        rows = node_rows(batch, prop_cols, spec)
        rel_batches = []
        for rspec, sel, pos, anchor, other in rel_slices:
            a, b = np.searchsorted(pos, [lo, hi])
            rel_batches.append((rspec, sel.iloc[a:b], anchor, other))
        batch_keys = batch["key"].tolist()
        existed_keys = [k for k in batch_keys if k in existed]

        def work(
            tx: ManagedTransaction,
            rows: list[dict],
            rel_batches: list,
            existed_keys: list[str],
            fresh: bool,
        ) -> dict[str, Any]:
            out: dict[str, Any] = {}
            node_query = cypher.node_create_query(spec) if fresh else cypher.node_write_query(spec)
            rec = tx.run(node_query, rows=rows, **params).single()
            out["node"] = (rec["created"], rec.get("updated", 0))
            incomplete: set[str] = set()
            for rspec, part, anchor, other in rel_batches:
                rrows = rel_rows(part, rspec)
                rel_query = (
                    cypher.rel_create_query(rspec, model)
                    if fresh
                    else cypher.rel_write_query(rspec, model)
                )
                rrec = tx.run(rel_query, rows=rrows, **params).single()
                matched = set(rrec["matched"])
                missing = [i for i in range(len(rrows)) if i not in matched]
                for i in missing:
                    incomplete.add(rrows[i][anchor])
                closed = 0
                if existed_keys:
                    keep = part.groupby(anchor)[other].agg(list).to_dict()
                    crows = [{"anchor": k, "keep": keep.get(k, [])} for k in existed_keys]
                    crec = tx.run(
                        cypher.rel_close_stale_query(rspec, label, model), rows=crows, **params
                    ).single()
                    closed = crec["closed"]
                out[rspec.name] = (rrec["created"], rrec.get("updated", 0), len(missing), closed)
            if incomplete:
                tx.run(
                    cypher.mark_incomplete_query(spec),
                    keys=sorted(incomplete),
                    marker=INCOMPLETE,
                ).consume()
            return out

        fresh = hi <= n_new
        try:
            out = _session_write(driver, work, database, rows, rel_batches, existed_keys, fresh)
        except ConstraintError:
            if not fresh:
                raise
            # another writer created some of these keys since we read them: MERGE instead
            out = _session_write(driver, work, database, rows, rel_batches, existed_keys, False)
        counts.created += out["node"][0]
        counts.updated += out["node"][1]
        counts.batches += 1
        for rspec, *_ in rel_slices:
            created, updated, missing, closed = out[rspec.name]
            rc = result[rspec.name]
            rc.created += created
            rc.updated += updated
            rc.closed += closed
            rc.batches += 1
            rc.add_reason(f"end node missing ({rspec.start}/{rspec.end})", missing)
            rc.unchanged += len(_slice_len(rel_slices, rspec, lo, hi)) - created - updated - missing
        if on_batch:
            on_batch(label, batch_no)
    counts.unchanged += len(changed) - counts.created - counts.updated

    if full_snapshot and "active" in spec.properties and len(existing):
        gone = (
            existing[
                (existing["source"] == run.source)
                & (existing["active"].astype(object) == True)  # noqa: E712 - null-safe
                & ~isin(existing["key"].astype(str), nodes["key"])
            ]["key"]
            .astype(str)
            .tolist()
        )
        counts.closed += _close_nodes(
            driver, run, spec, gone, rel_frames, batch_size, database, model, result
        )
    counts.seconds = time.monotonic() - started
    for rspec, *_ in rel_frames:
        result[rspec.name].seconds = counts.seconds
    return result


def _slice_len(
    rel_slices: list[tuple[RelSpec, pd.DataFrame, np.ndarray, str, str]],
    rspec: RelSpec,
    lo: int,
    hi: int,
) -> range:
    for spec, _sel, pos, _a, _o in rel_slices:
        if spec is rspec:
            a, b = np.searchsorted(pos, [lo, hi])
            return range(int(a), int(b))
    return range(0)


def _close_nodes(
    driver: Driver,
    run: LoadRun,
    spec: NodeSpec,
    keys: list[str],
    rel_frames: list[tuple[RelSpec, pd.DataFrame, str, str]],
    batch_size: int,
    database: str | None,
    model: GraphModel,
    result: LoadResult,
) -> int:
    """Nodes gone from a full snapshot: active=false, end_date=as_of (unless known), current
    relationships of the attached families closed. Never deleted."""
    closed = 0
    for lo in range(0, len(keys), batch_size):
        part = keys[lo : lo + batch_size]

        def work(tx: ManagedTransaction, part: list[str]) -> tuple[int, dict[str, int]]:
            rec = tx.run(
                cypher.close_nodes_query(spec),
                keys=part,
                as_of=run.as_of,
                closed=CLOSED,
                run_id=run.run_id,
            ).single()
            rels: dict[str, int] = {}
            for rspec, *_ in rel_frames:
                rrec = tx.run(
                    cypher.rel_close_stale_query(rspec, spec.label, model),
                    rows=[{"anchor": k, "keep": []} for k in part],
                    as_of=run.as_of,
                    closed=CLOSED,
                    run_id=run.run_id,
                ).single()
                rels[rspec.name] = rrec["closed"]
            return rec["c"], rels

        n, rels = _session_write(driver, work, database, part)
        closed += n
        for name, c in rels.items():
            result[name].closed += c
    return closed


def load_relationships(
    driver: Driver,
    run: LoadRun,
    family: str,
    rels: pd.DataFrame,
    *,
    full_snapshot: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: BatchHook | None = None,
    database: str | None = None,
    model: GraphModel = MODEL,
) -> LoadResult:
    """Merge one relationship family (start, end, identity, properties). With full_snapshot,
    current relationships of this source that the frame no longer holds are closed."""
    started = time.monotonic()
    spec = model.rel(family)
    frame, counts = prepare_relationships(family, rels, model)
    ident_cols = ["start", "end", *spec.identity]

    existing_rows = _read_collected(
        driver,
        cypher.rel_hashes_query(spec, model),
        database,
        source=run.source,
    )
    existing = (
        pd.DataFrame(existing_rows, columns=[*ident_cols, "h", "current"])
        if existing_rows
        else pd.DataFrame(columns=[*ident_cols, "h", "current"])
    )
    for col in ident_cols:
        existing[col] = existing[col].astype(object).where(existing[col].notna(), "").astype(str)
    existing["_ident"] = (
        ident_strings(existing, ident_cols) if len(existing) else pd.Series(dtype=str)
    )
    current_hash = pd.Series(existing["h"].to_numpy(), index=existing["_ident"].to_numpy())[
        existing["current"].astype(object).eq(True).to_numpy()
    ]
    old = frame["_ident"].map(current_hash)
    same = old.notna() & (old.astype(object) == frame["row_hash"].astype(object))
    counts.unchanged = int(same.sum())
    changed = frame[~same].reset_index(drop=True)

    query = cypher.rel_write_query(spec, model)
    params = {"source": run.source, "run_id": run.run_id, "as_of": run.as_of}
    for batch_no, lo in enumerate(range(0, len(changed), batch_size)):
        rows = rel_rows(changed.iloc[lo : lo + batch_size], spec)

        def work(tx: ManagedTransaction, rows: list[dict]) -> tuple[int, int, int]:
            rec = tx.run(query, rows=rows, **params).single()
            return rec["created"], rec["updated"], len(rows) - len(rec["matched"])

        created, updated, missing = _session_write(driver, work, database, rows)
        counts.created += created
        counts.updated += updated
        counts.unchanged += len(rows) - created - updated - missing
        counts.add_reason(f"end node missing ({spec.start}/{spec.end})", missing)
        counts.batches += 1
        if on_batch:
            on_batch(family, batch_no)

    if full_snapshot and len(existing):
        gone = existing[
            existing["current"].astype(object).eq(True) & ~isin(existing["_ident"], frame["_ident"])
        ]
        close_query = cypher.rel_close_query(spec, model)
        for lo in range(0, len(gone), batch_size):
            part = records(gone.iloc[lo : lo + batch_size][ident_cols])

            def close(tx: ManagedTransaction, part: list[dict]) -> int:
                return tx.run(close_query, rows=part, closed=CLOSED, **params).single()["closed"]

            counts.closed += _session_write(driver, close, database, part)
    counts.seconds = time.monotonic() - started
    return LoadResult({family: counts})


def load_graph_frames(
    driver: Driver,
    run: LoadRun,
    frames: gf.GraphFrames,
    *,
    full_snapshot: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: BatchHook | None = None,
    database: str | None = None,
    model: GraphModel = MODEL,
) -> LoadResult:
    """Load node frames first (with the relationship families anchored on them, see
    model.yaml), then the other relationship families, whose end nodes now exist."""
    result = LoadResult()
    anchored, free = split_anchored(frames, model)
    for label, nodes in frames.nodes.items():
        result.merge(
            load_nodes(
                driver,
                run,
                label,
                nodes,
                attached=anchored.get(label, ()),
                full_snapshot=full_snapshot,
                batch_size=batch_size,
                on_batch=on_batch,
                database=database,
                model=model,
            )
        )
    for family, rels in free.items():
        result.merge(
            load_relationships(
                driver,
                run,
                family,
                rels,
                full_snapshot=full_snapshot,
                batch_size=batch_size,
                on_batch=on_batch,
                database=database,
                model=model,
            )
        )
    return result


def load_frames(
    driver: Driver,
    frames: gf.GraphFrames,
    *,
    run_id: str,
    source: str,
    database: str | None = None,
    full_snapshot: bool = False,
    as_of: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: BatchHook | None = None,
    model: GraphModel = MODEL,
    restricted: bool = False,
) -> dict[str, Any]:
    """The one loading API: one complete load of one source's frames (start run -> load ->
    finish run); returns flat counts per family for asset metadata. The LoadRun id is
    '<run_id>/<source>' so several sources loaded in one orchestrator run stay apart. Rows
    the frames already set aside (frames.set_aside) are the caller's to report.

    Labels model.yaml marks `restricted` (personal data) are refused unless `restricted` is
    set, which only regionomie.graph.restricted does, on the restricted store's driver; and
    that load takes nothing else."""
    wrong = sorted(label for label in frames.nodes if model.node(label).restricted != restricted)
    if wrong:
        where = "the restricted store" if restricted else "the default graph"
        raise ValueError(f"{', '.join(wrong)}: may not be loaded into {where} (model.yaml)")
    run = start_load_run(
        driver,
        f"{run_id}/{source}",
        source,
        as_of=as_of,
        mode="full" if full_snapshot else "incremental",
        database=database,
    )
    result = load_graph_frames(
        driver,
        run,
        frames,
        full_snapshot=full_snapshot,
        batch_size=batch_size,
        on_batch=on_batch,
        database=database,
        model=model,
    )
    finish_load_run(driver, run, [result], database=database)
    metadata: dict[str, Any] = {
        f"{family}": {k: v for k, v in c.as_metadata().items() if k != "family"}
        for family, c in result.families.items()
    }
    metadata["load_run"] = run.run_id
    metadata["written"] = result.total("written")
    metadata["closed"] = result.total("closed")
    metadata["set_aside"] = result.total("set_aside")
    return metadata


def replace_partition(
    driver: Driver,
    frames: gf.GraphFrames,
    *,
    partition: tuple[str, str],
    run_id: str,
    source: str,
    database: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    model: GraphModel = MODEL,
) -> dict[str, Any]:
    """load_frames for frames that are replaced as a whole per partition, e.g. the
    opportunities of one region (partition=("region", "regio-amersfoort")): first the nodes of
    the frames' labels in that partition are detach-deleted, so a re-run never leaves stale
    or duplicate nodes; other partitions are not touched."""
    prop, value = partition
    for label in frames.nodes:
        spec = model.node(label)
        if prop not in spec.properties:
            raise ValueError(f"{label} has no property {prop!r} in model.yaml to partition by")
        query = cypher.delete_partition_query(spec, prop)

        def delete(query: str = query) -> None:
            with driver.session(database=database) as session:
                session.run(query, value=value).consume()

        retry_transient(delete)  # CALL {} IN TRANSACTIONS runs auto-commit: no managed retry
    return load_frames(
        driver,
        frames,
        run_id=run_id,
        source=source,
        database=database,
        batch_size=batch_size,
        model=model,
    )
