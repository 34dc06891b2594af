"""A checksum of the whole graph, and counts per label and type.

Why: "the same graph" must be checkable — two runs of the same data, a crashed load and its
re-run, a bulk import and a transactional load must all give the same checksum. Bookkeeping
that differs per run by design (model.yaml `volatile`: load_run; `volatile_labels`: LoadRun,
SchemaMigration) is left out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from neo4j import Driver

from regionomie.graph.model import MODEL, GraphModel

VOLATILE_PROPERTIES: tuple[str, ...] = MODEL.volatile  # ("load_run",): differs per run only
VOLATILE_LABELS: tuple[str, ...] = MODEL.volatile_labels  # LoadRun, SchemaMigration nodes


def _read_rows(driver: Driver, query: str, database: str | None, **params: Any) -> list[list[Any]]:
    with driver.session(database=database, fetch_size=50_000) as session:
        return [list(record.values()) for record in session.run(query, **params)]


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
