"""Graph frames -> the rows the loader and the bulk importer write (pure; no database).

Why a separate step: the transactional loader (loader.py) and the neo4j-admin CSV writer
(import_files.py) must write the same graph, down to the row hashes, so both take their rows
from here: validated, deduplicated (what is dropped is counted, never lost silently) and
hashed. The counts of a load (LoadCounts, LoadResult) live here too, because preparing rows is
where the first rows are set aside.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from regionomie.graph import frames as gf
from regionomie.graph.model import MODEL, GraphModel, NodeSpec, RelSpec

CLOSED = "closed"  # row_hash marker of a node/relationship closed by a full snapshot
INCOMPLETE = "incomplete"  # row_hash marker: some relationship of the row lacked an end node


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


def signed(values: np.ndarray) -> np.ndarray:
    """Neo4j integers are signed 64-bit."""
    return values.astype(np.uint64).view(np.int64)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame -> list of dicts with NaN/NA -> None and numpy scalars -> Python scalars."""
    if frame.empty:
        return [{} for _ in range(len(frame))]
    obj = frame.astype(object)
    obj = obj.where(frame.notna(), None)
    return obj.to_dict("records")


def isin(values: pd.Series, pool: Any) -> np.ndarray:
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


# --------------------------------------------------------------------------- preparing


def _prop_columns(spec: NodeSpec) -> list[str]:
    cols = list(spec.properties)
    if spec.point:
        cols += ["lat", "lon"]
    return cols


def ident_strings(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    """One string per row naming a relationship (its ends and identity properties)."""
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


def split_anchored(
    frames: gf.GraphFrames, model: GraphModel = MODEL
) -> tuple[dict[str, list[Attached]], dict[str, pd.DataFrame]]:
    """Relationship families anchored on a node label of these frames (written with its
    nodes) by label, and the free families (written after all nodes) by name."""
    anchored: dict[str, list[Attached]] = {}
    free: dict[str, pd.DataFrame] = {}
    for family, rels in frames.relationships.items():
        anchor = model.rel(family).anchor
        if anchor and anchor in frames.nodes:
            anchored.setdefault(anchor, []).append(Attached(family, rels))
        else:
            free[family] = rels
    return anchored, free


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
        orphan = ~isin(frame[anchor], nodes["key"])
        rcounts.add_reason(f"no {label} row for {anchor}", int(orphan.sum()))
        frame = frame[~orphan].reset_index(drop=True)
        frame["row_hash"] = signed(row_hashes(frame, ["start", "end", *rspec.properties]))
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
    nodes["row_hash"] = signed(hashes)
    return PreparedNodes(spec=spec, nodes=nodes, rels=rel_frames, result=result)


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
    frame["row_hash"] = signed(row_hashes(frame, [*ident_cols, *spec.properties]))
    frame["_ident"] = ident_strings(frame, ident_cols)
    return frame, counts


# --------------------------------------------------------------------------- Bolt parameters


def node_rows(batch: pd.DataFrame, prop_cols: list[str], spec: NodeSpec) -> list[dict]:
    """Parameter rows of cypher.node_write_query / node_create_query."""
    props = records(batch[prop_cols]) if prop_cols else [{} for _ in range(len(batch))]
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


def rel_rows(part: pd.DataFrame, spec: RelSpec) -> list[dict]:
    """Parameter rows of the relationship queries; "i" tells which rows found both ends."""
    props = (
        records(part[list(spec.properties)]) if spec.properties else [{} for _ in range(len(part))]
    )
    ident = (
        records(part[list(spec.identity)].fillna(""))
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
