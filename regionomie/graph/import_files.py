"""neo4j-admin import CSVs of graph frames: the same graph the transactional loader writes.

Why: for a first national load the offline importer is several times faster than any
transactional load (benchmarks/README.md). The files carry exactly what loader.py would write
into an empty database — same properties, row_hash, source, load_run, current, valid_from — so
the next incremental load only writes what changed. Pure file writing; starting and stopping
the server is bulk_load.py's job.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from regionomie.graph import frames as gf
from regionomie.graph.load_runs import LoadRun
from regionomie.graph.model import MODEL, GraphModel, RelSpec
from regionomie.graph.rows import (
    INCOMPLETE,
    LoadResult,
    PreparedNodes,
    isin,
    prepare_nodes,
    prepare_relationships,
    split_anchored,
)


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


def _write_csv(frame: pd.DataFrame, header: list[str], path: Path) -> None:
    out = frame.copy()
    out.columns = header
    out.to_csv(path, index=False, na_rep="", float_format=None, lineterminator="\n")


def _typed_columns(
    frame: pd.DataFrame, props: tuple[str, ...], cols: dict[str, pd.Series], header: list[str]
) -> None:
    """Add the data properties with their neo4j-admin types (string is the untyped default)."""
    for prop in props:
        kind = _csv_type(frame[prop])
        cols[prop] = _csv_values(frame[prop], kind)
        header.append(f"{prop}:{kind}" if kind != "string" else prop)


def _node_file(prep: PreparedNodes, incomplete: set[str], run: LoadRun, path: Path) -> int:
    """One label's nodes file; nodes with a relationship whose end node is missing get the
    INCOMPLETE marker as row_hash (as the transactional loader gives them). Returns rows."""
    spec, nodes = prep.spec, prep.nodes
    if incomplete:
        nodes = nodes.copy()
        nodes["row_hash"] = nodes["row_hash"].astype(object)
        nodes.loc[isin(nodes["key"], incomplete), "row_hash"] = INCOMPLETE
    cols: dict[str, pd.Series] = {"key": nodes["key"]}
    header = [f"{spec.key}:ID({spec.label})"]
    _typed_columns(nodes, spec.properties, cols, header)
    if spec.point:
        lat, lon = nodes["lat"].astype("float64"), nodes["lon"].astype("float64")
        point = "{latitude:" + lat.map(repr) + ",longitude:" + lon.map(repr) + "}"
        cols[spec.point.property] = point.where(lat.notna() & lon.notna(), None)
        header.append(f"{spec.point.property}:point{{crs:WGS-84}}")
    cols["row_hash"] = nodes["row_hash"]
    header.append("row_hash" if incomplete else "row_hash:long")
    cols["source"] = pd.Series(run.source, index=nodes.index)
    cols["load_run"] = pd.Series(run.run_id, index=nodes.index)
    header += ["source", "load_run"]
    _write_csv(pd.DataFrame(cols), header, path)
    return len(nodes)


def _relationship_file(
    rspec: RelSpec, frame: pd.DataFrame, run: LoadRun, path: Path, model: GraphModel
) -> None:
    start, end = model.node(rspec.start), model.node(rspec.end)
    cols = {"start": frame["start"], "end": frame["end"]}
    header = [f":START_ID({start.label})", f":END_ID({end.label})"]
    _typed_columns(frame, (*rspec.identity, *rspec.properties), cols, header)
    for name, value in (
        ("row_hash:long", frame["row_hash"]),
        ("current:boolean", pd.Series("true", index=frame.index)),
        ("valid_from", pd.Series(run.as_of, index=frame.index)),
        ("source", pd.Series(run.source, index=frame.index)),
        ("load_run", pd.Series(run.run_id, index=frame.index)),
    ):
        cols[name] = value
        header.append(name)
    _write_csv(pd.DataFrame(cols), header, path)


def write_import_files(
    frames: gf.GraphFrames,
    run: LoadRun,
    directory: Path | str,
    *,
    model: GraphModel = MODEL,
) -> tuple[list[str], LoadResult]:
    """Write neo4j-admin import CSVs (with headers) that produce exactly the graph the
    transactional loader would write into an empty database (same properties, row_hash,
    source, load_run, current, valid_from); return the import arguments and the counts."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    result = LoadResult()
    args: list[str] = []
    anchored, free = split_anchored(frames, model)
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
            ok = isin(frame[other], keys.get(other_label, set()))
            result[rspec.name].add_reason(
                f"end node missing ({rspec.start}/{rspec.end})", int((~ok).sum())
            )
            incomplete |= set(frame.loc[~ok, anchor])
            result[rspec.name].created = int(ok.sum())
            rel_parts.append((rspec, frame[ok]))
        path = directory / f"nodes_{prep.spec.label}.csv"
        result[prep.spec.label].created = _node_file(prep, incomplete, run, path)
        args.append(f"--nodes={prep.spec.label}={path}")
    for family, rels in free.items():
        frame, counts = prepare_relationships(family, rels, model)
        rspec = model.rel(family)
        ok = isin(frame["start"], keys.get(rspec.start, set())) & isin(
            frame["end"], keys.get(rspec.end, set())
        )
        counts.add_reason(f"end node missing ({rspec.start}/{rspec.end})", int((~ok).sum()))
        counts.created = int(ok.sum())
        result.families[family] = counts
        rel_parts.append((rspec, frame[ok]))
    for i, (rspec, frame) in enumerate(rel_parts):
        path = directory / f"rels_{i:02d}_{rspec.name}.csv"
        _relationship_file(rspec, frame, run, path, model)
        args.append(f"--relationships={rspec.type}={path}")
    return args, result
