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

This module may import neo4j; it never imports dagster.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
from neo4j import Driver, ManagedTransaction
from neo4j.exceptions import ConstraintError

from regionomie.graph import frames as gf
from regionomie.graph.model import MODEL, GraphModel, NodeSpec, RelSpec

DEFAULT_BATCH_SIZE = 10_000  # measured: see benchmarks/README.md (graph load section)
CLOSED = "closed"  # row_hash marker of a node/relationship closed by a full snapshot
INCOMPLETE = "incomplete"  # row_hash marker: some relationship of the row lacked an end node
VOLATILE_PROPERTIES: tuple[str, ...] = MODEL.volatile  # ("load_run",): differs per run only
VOLATILE_LABELS: tuple[str, ...] = MODEL.volatile_labels  # LoadRun, SchemaMigration nodes

BatchHook = Callable[[str, int], None]


# --------------------------------------------------------------------------- results


@dataclass
class LoadCounts:
    """What one family load did; as_metadata() is what a Dagster asset reports."""

    family: str
    rows_in: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0
    set_aside: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    seconds: float = 0.0

    @property
    def written(self) -> int:
        return self.created + self.updated

    def add_reason(self, reason: str, count: int) -> None:
        if count:
            self.reasons[reason] = self.reasons.get(reason, 0) + count
            self.set_aside += count

    def as_metadata(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


@dataclass
class LoadResult:
    """Counts per family (node label or relationship family) of one load_* call."""

    families: dict[str, LoadCounts] = field(default_factory=dict)

    def __getitem__(self, family: str) -> LoadCounts:
        return self.families[family]

    def total(self, what: str) -> int:
        return sum(int(getattr(c, what)) for c in self.families.values())

    def as_metadata(self) -> dict[str, Any]:
        return {name: c.as_metadata() for name, c in self.families.items()}

    def merge(self, other: LoadResult) -> LoadResult:
        self.families.update(other.families)
        return self


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


# --------------------------------------------------------------------------- hashing


def _canonical(series: pd.Series) -> pd.Series:
    """One representation per value whatever the dtype, so Int64 / float / object-int of the
    same numbers hash alike: numbers -> float64 (NaN for null), booleans -> 'T'/'F',
    text -> str; null -> '\\x00' (NaN for numbers). Vectorised except for mixed columns."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype(object).map({True: "T", False: "F"}).fillna("\x00").astype(str)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.astype("float64")
    kind = pd.api.types.infer_dtype(series, skipna=True)
    obj = series.astype(object)
    present = obj.notna()
    if kind in ("string", "empty"):
        return obj.where(present, "\x00").astype(str)
    if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
        return pd.to_numeric(obj, errors="coerce").astype("float64")
    if kind == "boolean":
        return obj.map({True: "T", False: "F"}).where(present, "\x00").astype(str)
    out = obj.map(
        lambda v: (
            "T"
            if v is True
            else "F"
            if v is False
            else repr(float(v))
            if isinstance(v, (int, float, np.integer, np.floating))
            else str(v)
        )
    )
    return out.where(present, "\x00").astype(str)


def row_hashes(frame: pd.DataFrame, columns: Iterable[str]) -> np.ndarray:
    """Unsigned 64-bit content hash per row over `columns` (vectorised, deterministic)."""
    cols = list(columns)
    if not len(frame):
        return np.zeros(0, dtype=np.uint64)
    canon = pd.DataFrame({c: _canonical(frame[c]).to_numpy() for c in cols})
    if not cols:
        canon = pd.DataFrame({"_": np.zeros(len(frame), dtype=np.uint8)})
    return pd.util.hash_pandas_object(canon, index=False).to_numpy(dtype=np.uint64)


def _signed(values: np.ndarray) -> np.ndarray:
    """Neo4j integers are signed 64-bit."""
    return values.astype(np.uint64).view(np.int64)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame -> list of dicts with NaN/NA -> None and numpy scalars -> Python scalars."""
    if frame.empty:
        return [{} for _ in range(len(frame))]
    obj = frame.astype(object)
    obj = obj.where(frame.notna(), None)
    return obj.to_dict("records")


# --------------------------------------------------------------------------- cypher text


def _q(name: str) -> str:
    return f"`{name}`"


def node_write_query(spec: NodeSpec) -> str:
    point = ""
    if spec.point:
        point = (
            f", n.{_q(spec.point.property)} = CASE WHEN row.lat IS NULL OR row.lon IS NULL "
            "THEN null ELSE point({latitude: row.lat, longitude: row.lon}) END"
        )
    return (
        "UNWIND $rows AS row\n"
        f"MERGE (n:{_q(spec.label)} {{{_q(spec.key)}: row.key}})\n"
        "WITH n, row, n.row_hash AS old\n"
        "FOREACH (_ IN CASE WHEN old IS NULL OR old <> row.row_hash THEN [1] ELSE [] END |\n"
        "  SET n += row.props, n.row_hash = row.row_hash, n.source = $source,\n"
        f"      n.load_run = $run_id{point})\n"
        "RETURN count(CASE WHEN old IS NULL THEN 1 END) AS created,\n"
        "       count(CASE WHEN old IS NOT NULL AND old <> row.row_hash THEN 1 END) AS updated"
    )


def node_create_query(spec: NodeSpec) -> str:
    """For keys the loader just read as absent: CREATE (no Eager, no merge lookup). The
    unique constraint turns a key created meanwhile into a ConstraintError; the caller then
    re-runs the batch with node_write_query (MERGE)."""
    point = ""
    if spec.point:
        point = (
            f", n.{_q(spec.point.property)} = CASE WHEN row.lat IS NULL OR row.lon IS NULL "
            "THEN null ELSE point({latitude: row.lat, longitude: row.lon}) END"
        )
    return (
        "UNWIND $rows AS row\n"
        f"CREATE (n:{_q(spec.label)} {{{_q(spec.key)}: row.key}})\n"
        "SET n += row.props, n.row_hash = row.row_hash, n.source = $source,\n"
        f"    n.load_run = $run_id{point}\n"
        "RETURN count(n) AS created"
    )


def rel_create_query(spec: RelSpec, model: GraphModel = MODEL) -> str:
    """Relationships of nodes created in the same transaction: they cannot exist yet."""
    start, end = model.node(spec.start), model.node(spec.end)
    ident = ", ".join(f"{_q(p)}: row.{_q(p)}" for p in spec.identity)
    ident = f" {{{ident}}}" if ident else ""
    return (
        "UNWIND $rows AS row\n"
        f"MATCH (a:{_q(start.label)} {{{_q(start.key)}: row.start}})\n"
        f"MATCH (b:{_q(end.label)} {{{_q(end.key)}: row.end}})\n"
        f"CREATE (a)-[r:{_q(spec.type)}{ident}]->(b)\n"
        "SET r += row.props, r.row_hash = row.row_hash, r.current = true,\n"
        "    r.valid_from = $as_of, r.source = $source, r.load_run = $run_id\n"
        "RETURN count(r) AS created, collect(row.i) AS matched"
    )


def rel_write_query(spec: RelSpec, model: GraphModel = MODEL) -> str:
    start, end = model.node(spec.start), model.node(spec.end)
    ident = ", ".join(f"{_q(p)}: row.{_q(p)}" for p in spec.identity)
    ident = f" {{{ident}}}" if ident else ""
    return (
        "UNWIND $rows AS row\n"
        f"MATCH (a:{_q(start.label)} {{{_q(start.key)}: row.start}})\n"
        f"MATCH (b:{_q(end.label)} {{{_q(end.key)}: row.end}})\n"
        f"MERGE (a)-[r:{_q(spec.type)}{ident}]->(b)\n"
        "WITH r, row, r.row_hash AS old, coalesce(r.current, false) AS cur\n"
        "FOREACH (_ IN CASE WHEN old IS NULL OR old <> row.row_hash OR NOT cur "
        "THEN [1] ELSE [] END |\n"
        "  SET r.valid_from = CASE WHEN old IS NULL OR NOT cur THEN $as_of "
        "ELSE r.valid_from END,\n"
        "      r += row.props, r.row_hash = row.row_hash, r.current = true, r.valid_to = null,\n"
        "      r.source = $source, r.load_run = $run_id)\n"
        "RETURN count(CASE WHEN old IS NULL THEN 1 END) AS created,\n"
        "       count(CASE WHEN old IS NOT NULL AND (old <> row.row_hash OR NOT cur) "
        "THEN 1 END) AS updated,\n"
        "       collect(row.i) AS matched"
    )


def _anchor_side(spec: RelSpec, anchor_label: str) -> tuple[str, str]:
    """('a', 'b') when the anchor is the start node, ('b', 'a') when it is the end node."""
    return ("a", "b") if spec.start == anchor_label else ("b", "a")


def rel_close_stale_query(spec: RelSpec, anchor_label: str, model: GraphModel = MODEL) -> str:
    """Close current relationships of the anchor nodes whose other end is not kept."""
    start, end = model.node(spec.start), model.node(spec.end)
    anchor, other = _anchor_side(spec, anchor_label)
    anchor_key = start.key if anchor == "a" else end.key
    other_key = end.key if other == "b" else start.key
    return (
        "UNWIND $rows AS row\n"
        f"MATCH (a:{_q(start.label)})-[r:{_q(spec.type)}]->(b:{_q(end.label)})\n"
        f"WHERE {anchor}.{_q(anchor_key)} = row.anchor AND r.current\n"
        f"  AND NOT {other}.{_q(other_key)} IN row.keep\n"
        "SET r.current = false, r.valid_to = $as_of, r.row_hash = $closed, r.load_run = $run_id\n"
        "RETURN count(r) AS closed"
    )


def rel_close_query(spec: RelSpec, model: GraphModel = MODEL) -> str:
    start, end = model.node(spec.start), model.node(spec.end)
    ident = " ".join(f"AND r.{_q(p)} = row.{_q(p)}" for p in spec.identity)
    return (
        "UNWIND $rows AS row\n"
        f"MATCH (a:{_q(start.label)} {{{_q(start.key)}: row.start}})"
        f"-[r:{_q(spec.type)}]->(b:{_q(end.label)} {{{_q(end.key)}: row.end}})\n"
        f"WHERE r.current {ident}\n"
        "SET r.current = false, r.valid_to = $as_of, r.row_hash = $closed, r.load_run = $run_id\n"
        "RETURN count(r) AS closed"
    )


# --------------------------------------------------------------------------- helpers


def _session_write(
    driver: Driver, work: Callable[..., Any], database: str | None, *args: Any
) -> Any:
    """One managed write transaction (retried on transient errors by the driver)."""
    with driver.session(database=database) as session:
        return session.execute_write(work, *args)


def _read_rows(driver: Driver, query: str, database: str | None, **params: Any) -> list[list[Any]]:
    with driver.session(database=database, fetch_size=50_000) as session:
        return [list(record.values()) for record in session.run(query, **params)]


def _isin(values: pd.Series, pool: Any) -> np.ndarray:
    """Vectorised string membership (pandas' Arrow-string isin converts the pool value by
    value in Python, which costs seconds for millions of keys)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    left = pa.array(np.asarray(values, dtype=object), type=pa.string(), from_pandas=True)
    right = pa.array(
        np.asarray(list(pool) if isinstance(pool, set) else pool, dtype=object),
        type=pa.string(),
        from_pandas=True,
    )
    return np.asarray(pc.is_in(left, value_set=right).fill_null(False), dtype=bool)


def _read_collected(
    driver: Driver, query: str, database: str | None, **params: Any
) -> list[list[Any]]:
    """Rows the server collected into ONE record (`RETURN collect([...]) AS rows`): far
    faster than one Bolt record per row when reading millions of keys and hashes."""
    with driver.session(database=database) as session:
        record = session.run(query, **params).single()
    return list(record["rows"]) if record else []


def _dedupe(
    frame: pd.DataFrame,
    key_cols: list[str],
    counts: LoadCounts,
    identity_cols: list[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop rows without key values and repeated identities (first kept); count them set
    aside. A relationship's identity is its ends plus its identity properties, so parallel
    relationships (e.g. SENDS of two EURAL codes between the same firms) are all kept."""
    null = frame[key_cols].isna().any(axis=1)
    for col in key_cols:
        null |= frame[col].astype(str).str.strip().eq("") & frame[col].notna()
    counts.add_reason(f"missing key ({'/'.join(key_cols)})", int(null.sum()))
    kept = frame[~null]
    identity = identity_cols or key_cols
    dup = kept.duplicated(identity, keep="first")
    counts.add_reason(f"duplicate key ({'/'.join(identity)})", int(dup.sum()))
    return kept[~dup].reset_index(drop=True), frame[null]


def _prop_columns(spec: NodeSpec) -> list[str]:
    cols = list(spec.properties)
    if spec.point:
        cols += ["lat", "lon"]
    return cols


def _ident_strings(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    out = frame[cols[0]].astype(str)
    for col in cols[1:]:
        out = out + "\x1f" + frame[col].astype(str)
    return out


@dataclass(frozen=True)
class Attached:
    """Relationships implied by a node row (e.g. an establishment's municipality, sectors and
    organisation). They are written in the node's batch transaction, count towards its hash,
    and those the row no longer implies are closed."""

    family: str
    frame: pd.DataFrame  # start, end, identity, properties (identity must be empty)


# --------------------------------------------------------------------------- generic loads


@dataclass
class PreparedNodes:
    """A node frame ready to write: deduplicated, keys as str, row_hash computed, with the
    anchored relationship frames (each with its own row_hash). Shared by the transactional
    loader and bulk_initial_load, so both produce the same graph."""

    spec: NodeSpec
    nodes: pd.DataFrame
    rels: list[tuple[RelSpec, pd.DataFrame, str, str]]  # spec, frame, anchor col, other col
    result: LoadResult


def prepare_nodes(
    label: str,
    nodes: pd.DataFrame,
    attached: Iterable[Attached] = (),
    model: GraphModel = MODEL,
) -> PreparedNodes:
    """Validate, deduplicate and hash one label's rows (pure; no database)."""
    spec = model.node(label)
    counts = LoadCounts(family=label, rows_in=len(nodes))
    result = LoadResult({label: counts})
    for col in _prop_columns(spec):
        if col not in nodes.columns:
            raise ValueError(f"{label} frame lacks column {col!r}")
    nodes, _ = _dedupe(nodes, ["key"], counts)
    nodes["key"] = nodes["key"].astype(str)
    hashes = row_hashes(nodes, _prop_columns(spec))

    rel_frames: list[tuple[RelSpec, pd.DataFrame, str, str]] = []
    for att in attached:
        rspec = model.rel(att.family)
        if rspec.identity:
            raise ValueError(f"attached family {att.family} must not have identity properties")
        rcounts = LoadCounts(family=att.family, rows_in=len(att.frame))
        result.families[att.family] = rcounts
        anchor, other = ("start", "end") if rspec.start == label else ("end", "start")
        frame, _ = _dedupe(att.frame, ["start", "end"], rcounts)
        frame["start"] = frame["start"].astype(str)
        frame["end"] = frame["end"].astype(str)
        orphan = ~_isin(frame[anchor], nodes["key"])
        rcounts.add_reason(f"no {label} row for {anchor}", int(orphan.sum()))
        frame = frame[~orphan].reset_index(drop=True)
        frame["row_hash"] = _signed(row_hashes(frame, ["start", "end", *rspec.properties]))
        # fold the relationship hashes into the anchor row's hash
        part = pd.DataFrame(
            {"key": frame[anchor], "h": frame["row_hash"].to_numpy().view(np.uint64) >> 8}
        )
        agg = part.groupby("key")["h"].sum()
        folded = pd.Series(nodes["key"]).map(agg).fillna(0).astype(np.uint64).to_numpy()
        salt = np.uint64(int(hashlib.sha1(att.family.encode()).hexdigest()[:12], 16))
        hashes = row_hashes(
            pd.DataFrame({"n": hashes, "r": folded + salt * (folded > 0).astype(np.uint64)}),
            ["n", "r"],
        )
        rel_frames.append((rspec, frame, anchor, other))
    nodes["row_hash"] = _signed(hashes)
    return PreparedNodes(spec=spec, nodes=nodes, rels=rel_frames, result=result)


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
            f"MATCH (n:{_q(label)}) "
            f"RETURN collect([n.{_q(spec.key)}, n.row_hash, n.source, n.active]) AS rows",
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
        result[rspec.name].unchanged = int(_isin(frame[anchor], unchanged_keys).sum())
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
        rows = _node_rows(batch, prop_cols, spec)
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
            node_query = node_create_query(spec) if fresh else node_write_query(spec)
            rec = tx.run(node_query, rows=rows, **params).single()
            out["node"] = (rec["created"], rec.get("updated", 0))
            incomplete: set[str] = set()
            for rspec, part, anchor, other in rel_batches:
                rrows = _rel_rows(part, rspec)
                rel_query = (
                    rel_create_query(rspec, model) if fresh else rel_write_query(rspec, model)
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
                        rel_close_stale_query(rspec, label, model), rows=crows, **params
                    ).single()
                    closed = crec["closed"]
                out[rspec.name] = (rrec["created"], rrec.get("updated", 0), len(missing), closed)
            if incomplete:
                tx.run(
                    f"UNWIND $keys AS k MATCH (n:{_q(label)} {{{_q(spec.key)}: k}}) "
                    "SET n.row_hash = $marker",
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
                & ~_isin(existing["key"].astype(str), nodes["key"])
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


def _node_rows(batch: pd.DataFrame, prop_cols: list[str], spec: NodeSpec) -> list[dict]:
    props = _records(batch[prop_cols]) if prop_cols else [{} for _ in range(len(batch))]
    keys = batch["key"].tolist()
    hashes = batch["row_hash"].tolist()
    if spec.point:
        lat = batch["lat"].astype("float64").tolist()
        lon = batch["lon"].astype("float64").tolist()
        return [
            {
                "key": k,
                "row_hash": h,
                "props": p,
                "lat": None if la != la else la,  # NaN -> None
                "lon": None if lo != lo else lo,
            }
            for k, h, p, la, lo in zip(keys, hashes, props, lat, lon, strict=True)
        ]
    return [
        {"key": k, "row_hash": h, "props": p} for k, h, p in zip(keys, hashes, props, strict=True)
    ]


def _rel_rows(part: pd.DataFrame, spec: RelSpec) -> list[dict]:
    props = (
        _records(part[list(spec.properties)]) if spec.properties else [{} for _ in range(len(part))]
    )
    ident = (
        _records(part[list(spec.identity)].fillna(""))
        if spec.identity
        else [{} for _ in range(len(part))]
    )
    return [
        {"i": i, "start": s, "end": e, "row_hash": h, "props": p, **idv}
        for i, (s, e, h, p, idv) in enumerate(
            zip(
                part["start"].tolist(),
                part["end"].tolist(),
                part["row_hash"].tolist(),
                props,
                ident,
                strict=True,
            )
        )
    ]


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
                f"UNWIND $keys AS k MATCH (n:{_q(spec.label)} {{{_q(spec.key)}: k}}) "
                "WHERE n.active = true "
                "SET n.active = false, n.end_date = coalesce(n.end_date, $as_of), "
                "n.row_hash = $closed, n.load_run = $run_id RETURN count(n) AS c",
                keys=part,
                as_of=run.as_of,
                closed=CLOSED,
                run_id=run.run_id,
            ).single()
            rels: dict[str, int] = {}
            for rspec, *_ in rel_frames:
                rrec = tx.run(
                    rel_close_stale_query(rspec, spec.label, model),
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


def prepare_relationships(
    family: str, rels: pd.DataFrame, model: GraphModel = MODEL
) -> tuple[pd.DataFrame, LoadCounts]:
    """Validate, deduplicate and hash one relationship family's rows (pure; no database)."""
    spec = model.rel(family)
    counts = LoadCounts(family=family, rows_in=len(rels))
    ident_cols = ["start", "end", *spec.identity]
    frame = rels.copy()
    for col in spec.identity:
        frame[col] = frame[col].astype(object).where(frame[col].notna(), "").astype(str)
    frame, _ = _dedupe(frame, ["start", "end"], counts, identity_cols=ident_cols)
    frame["start"] = frame["start"].astype(str)
    frame["end"] = frame["end"].astype(str)
    frame["row_hash"] = _signed(row_hashes(frame, [*ident_cols, *spec.properties]))
    frame["_ident"] = _ident_strings(frame, ident_cols)

    return frame, counts


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

    start, end = model.node(spec.start), model.node(spec.end)
    ident_ret = "".join(f", r.{_q(p)}" for p in spec.identity)
    existing_rows = _read_collected(
        driver,
        f"MATCH (a:{_q(start.label)})-[r:{_q(spec.type)}]->(b:{_q(end.label)}) "
        f"WHERE r.source = $source RETURN collect([a.{_q(start.key)}, b.{_q(end.key)}"
        f"{ident_ret}, r.row_hash, r.current]) AS rows",
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
        _ident_strings(existing, ident_cols) if len(existing) else pd.Series(dtype=str)
    )
    current_hash = pd.Series(existing["h"].to_numpy(), index=existing["_ident"].to_numpy())[
        existing["current"].astype(object).eq(True).to_numpy()
    ]
    old = frame["_ident"].map(current_hash)
    same = old.notna() & (old.astype(object) == frame["row_hash"].astype(object))
    counts.unchanged = int(same.sum())
    changed = frame[~same].reset_index(drop=True)

    query = rel_write_query(spec, model)
    params = {"source": run.source, "run_id": run.run_id, "as_of": run.as_of}
    for batch_no, lo in enumerate(range(0, len(changed), batch_size)):
        rows = _rel_rows(changed.iloc[lo : lo + batch_size], spec)

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
            existing["current"].astype(object).eq(True)
            & ~_isin(existing["_ident"], frame["_ident"])
        ]
        close_query = rel_close_query(spec, model)
        for lo in range(0, len(gone), batch_size):
            part = _records(gone.iloc[lo : lo + batch_size][ident_cols])

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
    anchored: dict[str, list[Attached]] = {}
    free: dict[str, pd.DataFrame] = {}
    for family, rels in frames.relationships.items():
        anchor = model.rel(family).anchor
        if anchor and anchor in frames.nodes:
            anchored.setdefault(anchor, []).append(Attached(family, rels))
        else:
            free[family] = rels
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
) -> dict[str, Any]:
    """One complete load of one source's frames (start run -> load -> finish run); returns
    flat counts per family for asset metadata. The LoadRun id is '<run_id>/<source>' so
    several sources loaded in one orchestrator run stay apart."""
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
        database=database,
    )
    finish_load_run(driver, run, [result], database=database)
    metadata: dict[str, Any] = {
        f"{family}": {k: v for k, v in c.as_metadata().items() if k != "family"}
        for family, c in result.families.items()
    }
    metadata["load_run"] = run.run_id
    metadata["written"] = result.total("written")
    metadata["closed"] = result.total("closed")
    return metadata


# --------------------------------------------------------------------------- public loads


def load_municipalities(
    driver: Driver,
    run: LoadRun,
    municipalities: pd.DataFrame,
    *,
    full_snapshot: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    database: str | None = None,
) -> LoadResult:
    """MUNICIPALITIES table -> Municipality, Province, IN_PROVINCE."""
    return load_graph_frames(
        driver,
        run,
        gf.municipality_frames(municipalities),
        full_snapshot=full_snapshot,
        batch_size=batch_size,
        database=database,
    )


def load_reference_materials(
    driver: Driver,
    run: LoadRun,
    eural: pd.DataFrame,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    database: str | None = None,
) -> LoadResult:
    """EURAL list -> Material nodes with the chapter -> subchapter -> entry hierarchy."""
    return load_graph_frames(
        driver,
        run,
        gf.material_frames(eural),
        full_snapshot=True,
        batch_size=batch_size,
        database=database,
    )


def load_sectors(
    driver: Driver,
    run: LoadRun,
    sbi2008: pd.DataFrame,
    sbi2025: pd.DataFrame | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    database: str | None = None,
) -> LoadResult:
    """SBI 2008 hierarchy, SBI 2025 subclasses, NACE classes and their correspondences."""
    return load_graph_frames(
        driver,
        run,
        gf.sector_frames(sbi2008, sbi2025),
        full_snapshot=True,
        batch_size=batch_size,
        database=database,
    )


def load_organisations(
    driver: Driver,
    run: LoadRun,
    organisations: pd.DataFrame,
    *,
    full_snapshot: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: BatchHook | None = None,
    database: str | None = None,
) -> LoadResult:
    """ORGANISATIONS table -> Organisation nodes (gone from a full snapshot: active=false)."""
    frames = gf.organisation_frames(organisations)
    return load_nodes(
        driver,
        run,
        "Organisation",
        frames.nodes["Organisation"],
        full_snapshot=full_snapshot,
        batch_size=batch_size,
        on_batch=on_batch,
        database=database,
    )


def load_establishments(
    driver: Driver,
    run: LoadRun,
    establishments: pd.DataFrame,
    *,
    full_snapshot: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: BatchHook | None = None,
    database: str | None = None,
) -> LoadResult:
    """ESTABLISHMENTS table -> Establishment nodes + LOCATED_IN, ACTIVE_IN, HAS_ESTABLISHMENT
    (load municipalities, sectors and organisations first). With full_snapshot, the source's
    establishments missing from the table become active=false with end_date = run.as_of."""
    frames = gf.establishment_frames(establishments)
    result = load_graph_frames(
        driver,
        run,
        frames,
        full_snapshot=full_snapshot,
        batch_size=batch_size,
        on_batch=on_batch,
        database=database,
    )
    for reason_key, group in frames.set_aside.groupby("field") if len(frames.set_aside) else []:
        result["Establishment"].reasons[f"no {reason_key} link"] = len(group)
    return result


def load_production(
    driver: Driver,
    run: LoadRun,
    waste_records: pd.DataFrame,
    party_links: pd.DataFrame,
    *,
    full_snapshot: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: BatchHook | None = None,
    database: str | None = None,
) -> LoadResult:
    """WASTE_RECORDS + WASTE_PARTY_LINKS -> Establishment -[:PRODUCES]-> Material."""
    frames = gf.production_frame(waste_records, party_links)
    result = load_relationships(
        driver,
        run,
        "PRODUCES",
        frames.relationships["PRODUCES"],
        full_snapshot=full_snapshot,
        batch_size=batch_size,
        on_batch=on_batch,
        database=database,
    )
    result["PRODUCES"].add_reason("ontdoener not matched (records)", len(frames.set_aside))
    return result


def load_flows(
    driver: Driver,
    run: LoadRun,
    waste_records: pd.DataFrame,
    party_links: pd.DataFrame,
    *,
    full_snapshot: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: BatchHook | None = None,
    database: str | None = None,
) -> LoadResult:
    """Observed flows Establishment -[:SENDS {tonnes, loads, period}]-> Establishment."""
    frames = gf.flow_frame(waste_records, party_links)
    result = load_relationships(
        driver,
        run,
        "SENDS",
        frames.relationships["SENDS"],
        full_snapshot=full_snapshot,
        batch_size=batch_size,
        on_batch=on_batch,
        database=database,
    )
    result["SENDS"].add_reason("party not matched (records)", len(frames.set_aside))
    return result


def load_challenges(
    driver: Driver,
    run: LoadRun,
    challenges: pd.DataFrame,
    *,
    full_snapshot: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    database: str | None = None,
) -> LoadResult:
    """derive_challenges() output -> Challenge nodes and Municipality -[:FACES]-> Challenge."""
    return load_graph_frames(
        driver,
        run,
        gf.challenge_frames(challenges),
        full_snapshot=full_snapshot,
        batch_size=batch_size,
        database=database,
    )


# --------------------------------------------------------------------------- checksum


def _value(value: Any) -> Any:
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return [_value(v) for v in value]
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    return f"{type(value).__name__}:{value}"


def _node_identity(labels: list[str], props: dict[str, Any], model: GraphModel) -> str:
    for label in sorted(labels):
        spec = model.nodes.get(label)
        if spec and spec.key in props:
            return f"{label}:{props[spec.key]}"
    return json.dumps({"labels": sorted(labels), "props": props}, sort_keys=True, default=str)


def graph_checksum(
    driver: Driver,
    *,
    database: str | None = None,
    volatile: Iterable[str] = VOLATILE_PROPERTIES,
    volatile_labels: Iterable[str] = VOLATILE_LABELS,
    model: GraphModel = MODEL,
) -> str:
    """sha256 over every node (labels + properties) and relationship (type, end identities,
    properties), sorted, ignoring `volatile` properties (load_run) and nodes with
    `volatile_labels` (LoadRun, SchemaMigration) and their relationships."""
    skip = set(volatile)
    skip_labels = list(volatile_labels)
    lines: list[str] = []
    node_rows = _read_rows(
        driver,
        "MATCH (n) WHERE none(l IN labels(n) WHERE l IN $skip) RETURN labels(n), properties(n)",
        database,
        skip=skip_labels,
    )
    for labels, props in node_rows:
        clean = {k: _value(v) for k, v in props.items() if k not in skip}
        lines.append("N " + json.dumps([sorted(labels), clean], sort_keys=True))
    rel_rows = _read_rows(
        driver,
        "MATCH (a)-[r]->(b) WHERE none(l IN labels(a) + labels(b) WHERE l IN $skip) "
        "RETURN type(r), labels(a), properties(a), labels(b), properties(b), properties(r)",
        database,
        skip=skip_labels,
    )
    for rtype, la, pa, lb, pb, pr in rel_rows:
        clean = {k: _value(v) for k, v in pr.items() if k not in skip}
        lines.append(
            "R "
            + json.dumps(
                [
                    rtype,
                    _node_identity(la, {k: _value(v) for k, v in pa.items()}, model),
                    _node_identity(lb, {k: _value(v) for k, v in pb.items()}, model),
                    clean,
                ],
                sort_keys=True,
            )
        )
    digest = hashlib.sha256()
    for line in sorted(lines):
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def graph_counts(driver: Driver, *, database: str | None = None) -> dict[str, int]:
    """Node count per label and relationship count per type (for tests and metadata)."""
    out: dict[str, int] = {}
    for label, n in _read_rows(
        driver, "MATCH (n) UNWIND labels(n) AS l RETURN l, count(*)", database
    ):
        out[label] = n
    for rtype, n in _read_rows(driver, "MATCH ()-[r]->() RETURN type(r), count(*)", database):
        out[rtype] = n
    return out


# --------------------------------------------------------------------------- bulk import


def _csv_type(series: pd.Series) -> str:
    """neo4j-admin import header type of a column (string unless clearly typed)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "long"
    if pd.api.types.is_float_dtype(dtype):
        return "double"
    kind = pd.api.types.infer_dtype(series, skipna=True)
    return {"boolean": "boolean", "integer": "long", "floating": "double"}.get(kind, "string")


def _csv_values(series: pd.Series, kind: str) -> pd.Series:
    if kind == "boolean":
        obj = series.astype(object)
        return obj.map({True: "true", False: "false"}).where(obj.notna(), None)
    return series


def _write_csv(frame: pd.DataFrame, header: list[str], path: Any) -> None:
    out = frame.copy()
    out.columns = header
    out.to_csv(path, index=False, na_rep="", float_format=None, lineterminator="\n")


def write_import_files(
    frames: gf.GraphFrames,
    run: LoadRun,
    directory: Any,
    *,
    model: GraphModel = MODEL,
) -> tuple[list[str], LoadResult]:
    """Write neo4j-admin import CSVs (with headers) that produce exactly the graph the
    transactional loader would write into an empty database (same properties, row_hash,
    source, load_run, current, valid_from); return the import arguments and the counts."""
    from pathlib import Path

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    result = LoadResult()
    args: list[str] = []
    anchored: dict[str, list[Attached]] = {}
    free: dict[str, pd.DataFrame] = {}
    for family, rels in frames.relationships.items():
        anchor = model.rel(family).anchor
        if anchor and anchor in frames.nodes:
            anchored.setdefault(anchor, []).append(Attached(family, rels))
        else:
            free[family] = rels
    keys: dict[str, set[str]] = {}
    prepared: list[PreparedNodes] = []
    for label, nodes in frames.nodes.items():
        prep = prepare_nodes(label, nodes, anchored.get(label, ()), model)
        prepared.append(prep)
        keys[label] = set(prep.nodes["key"])
        result.merge(prep.result)
    rel_parts: list[tuple[RelSpec, pd.DataFrame]] = []
    for prep in prepared:
        incomplete: set[str] = set()
        for rspec, frame, anchor, other in prep.rels:
            other_label = rspec.end if anchor == "start" else rspec.start
            ok = _isin(frame[other], keys.get(other_label, set()))
            result[rspec.name].add_reason(
                f"end node missing ({rspec.start}/{rspec.end})", int((~ok).sum())
            )
            incomplete |= set(frame.loc[~ok, anchor])
            result[rspec.name].created = int(ok.sum())
            rel_parts.append((rspec, frame[ok]))
        nodes = prep.nodes
        if incomplete:
            nodes = nodes.copy()
            nodes["row_hash"] = nodes["row_hash"].astype(object)
            nodes.loc[_isin(nodes["key"], incomplete), "row_hash"] = INCOMPLETE
        spec = prep.spec
        result[spec.label].created = len(nodes)
        cols: dict[str, pd.Series] = {"key": nodes["key"]}
        header = [f"{spec.key}:ID({spec.label})"]
        for prop in spec.properties:
            kind = _csv_type(nodes[prop])
            cols[prop] = _csv_values(nodes[prop], kind)
            header.append(f"{prop}:{kind}" if kind != "string" else prop)
        if spec.point:
            lat, lon = nodes["lat"].astype("float64"), nodes["lon"].astype("float64")
            point = "{latitude:" + lat.map(repr) + ",longitude:" + lon.map(repr) + "}"
            cols[spec.point.property] = point.where(lat.notna() & lon.notna(), None)
            header.append(f"{spec.point.property}:point{{crs:WGS-84}}")
        kind = "string" if incomplete else "long"
        cols["row_hash"] = nodes["row_hash"]
        header.append("row_hash" if kind == "string" else "row_hash:long")
        cols["source"] = pd.Series(run.source, index=nodes.index)
        cols["load_run"] = pd.Series(run.run_id, index=nodes.index)
        header += ["source", "load_run"]
        path = directory / f"nodes_{spec.label}.csv"
        _write_csv(pd.DataFrame(cols), header, path)
        args.append(f"--nodes={spec.label}={path}")
    for family, rels in free.items():
        frame, counts = prepare_relationships(family, rels, model)
        rspec = model.rel(family)
        ok = _isin(frame["start"], keys.get(rspec.start, set())) & _isin(
            frame["end"], keys.get(rspec.end, set())
        )
        counts.add_reason(f"end node missing ({rspec.start}/{rspec.end})", int((~ok).sum()))
        counts.created = int(ok.sum())
        result.families[family] = counts
        rel_parts.append((rspec, frame[ok]))
    for i, (rspec, frame) in enumerate(rel_parts):
        start, end = model.node(rspec.start), model.node(rspec.end)
        cols = {"start": frame["start"], "end": frame["end"]}
        header = [f":START_ID({start.label})", f":END_ID({end.label})"]
        for prop in (*rspec.identity, *rspec.properties):
            kind = _csv_type(frame[prop])
            cols[prop] = _csv_values(frame[prop], kind)
            header.append(f"{prop}:{kind}" if kind != "string" else prop)
        for name, value in (
            ("row_hash:long", frame["row_hash"]),
            ("current:boolean", pd.Series("true", index=frame.index)),
            ("valid_from", pd.Series(run.as_of, index=frame.index)),
            ("source", pd.Series(run.source, index=frame.index)),
            ("load_run", pd.Series(run.run_id, index=frame.index)),
        ):
            cols[name] = value
            header.append(name)
        path = directory / f"rels_{i:02d}_{rspec.name}.csv"
        _write_csv(pd.DataFrame(cols), header, path)
        args.append(f"--relationships={rspec.type}={path}")
    return args, result


def bulk_initial_load(
    settings: Any,
    password: str,
    frames: gf.GraphFrames,
    run: LoadRun,
    *,
    work_dir: Any,
    model: GraphModel = MODEL,
    log: Callable[[str], None] = lambda _msg: None,
) -> tuple[LoadResult, dict[str, float]]:
    """Initial load of an EMPTY database with `neo4j-admin database import full` (offline),
    then start the server, apply the migrations (constraints/indexes) and record the LoadRun.

    Why: for a first national load the offline importer is several times faster than any
    transactional load (measured in benchmarks/README.md). The graph it writes is the same as
    load_graph_frames() would write (same row_hash, so the next incremental load only writes
    what changed). Refuses to run while the server of `settings` is up: the import replaces
    the 'neo4j' database.
    """
    from regionomie import neo4j_server as server
    from regionomie.graph import migrations

    if server.read_pid(settings):
        raise server.Neo4jServerError(
            f"Neo4j at {settings.instance_dir} is running: stop it first "
            "(`regionomie neo4j stop`); bulk_initial_load replaces the whole database."
        )
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    args, result = write_import_files(frames, run, work_dir, model=model)
    timings["write_csv_s"] = time.monotonic() - t0
    server.install(settings, log=log)
    server.write_config(settings)
    t0 = time.monotonic()
    proc = server.admin_command(
        settings,
        "database",
        "import",
        "full",
        "neo4j",
        "--overwrite-destination=true",
        "--skip-bad-relationships=false",
        *args,
    )
    timings["import_s"] = time.monotonic() - t0
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-12:])
        raise server.Neo4jServerError(f"neo4j-admin database import failed:\n{tail}")
    t0 = time.monotonic()
    server.start(settings, password, log=log)
    timings["start_s"] = time.monotonic() - t0
    from neo4j import GraphDatabase

    t0 = time.monotonic()
    with GraphDatabase.driver(settings.bolt_uri, auth=(server.DEFAULT_USER, password)) as driver:
        migrations.migrate(driver)
        driver.execute_query("CALL db.awaitIndexes(3600)")
        timings["migrate_s"] = time.monotonic() - t0
        start_load_run(driver, run.run_id, run.source, as_of=run.as_of, mode="bulk")
        finish_load_run(driver, run, [result])
    return result, timings
