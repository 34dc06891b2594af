"""The Cypher text of the loader, built from graph_schema/model.yaml (no database here).

Why in one place: Cypher cannot take labels or relationship types as parameters, so they are
spliced into the text; every splice happens here, only from the model (whose names are checked
to be plain identifiers) and always back-quoted. Values travel as parameters only.
"""

from __future__ import annotations

from regionomie.graph.model import MODEL, GraphModel, NodeSpec, RelSpec


def _q(name: str) -> str:
    return f"`{name}`"


def _point(spec: NodeSpec) -> str:
    """The SET clause part that builds a label's point property from row.lat / row.lon."""
    if not spec.point:
        return ""
    return (
        f", n.{_q(spec.point.property)} = CASE WHEN row.lat IS NULL OR row.lon IS NULL "
        "THEN null ELSE point({latitude: row.lat, longitude: row.lon}) END"
    )


def _match_ends(spec: RelSpec, model: GraphModel) -> str:
    """UNWIND the rows and MATCH both end nodes by key (a relationship never creates one)."""
    start, end = model.node(spec.start), model.node(spec.end)
    return (
        "UNWIND $rows AS row\n"
        f"MATCH (a:{_q(start.label)} {{{_q(start.key)}: row.start}})\n"
        f"MATCH (b:{_q(end.label)} {{{_q(end.key)}: row.end}})\n"
    )


def _identity(spec: RelSpec) -> str:
    ident = ", ".join(f"{_q(p)}: row.{_q(p)}" for p in spec.identity)
    return f" {{{ident}}}" if ident else ""


def node_write_query(spec: NodeSpec) -> str:
    return (
        "UNWIND $rows AS row\n"
        f"MERGE (n:{_q(spec.label)} {{{_q(spec.key)}: row.key}})\n"
        "WITH n, row, n.row_hash AS old\n"
        "FOREACH (_ IN CASE WHEN old IS NULL OR old <> row.row_hash THEN [1] ELSE [] END |\n"
        "  SET n += row.props, n.row_hash = row.row_hash, n.source = $source,\n"
        f"      n.load_run = $run_id{_point(spec)})\n"
        "RETURN count(CASE WHEN old IS NULL THEN 1 END) AS created,\n"
        "       count(CASE WHEN old IS NOT NULL AND old <> row.row_hash THEN 1 END) AS updated"
    )


def node_create_query(spec: NodeSpec) -> str:
    """For keys the loader just read as absent: CREATE (no Eager, no merge lookup). The
    unique constraint turns a key created meanwhile into a ConstraintError; the caller then
    re-runs the batch with node_write_query (MERGE)."""
    return (
        "UNWIND $rows AS row\n"
        f"CREATE (n:{_q(spec.label)} {{{_q(spec.key)}: row.key}})\n"
        "SET n += row.props, n.row_hash = row.row_hash, n.source = $source,\n"
        f"    n.load_run = $run_id{_point(spec)}\n"
        "RETURN count(n) AS created"
    )


def node_hashes_query(spec: NodeSpec) -> str:
    """Every node of the label as [key, row_hash, source, active], in one record."""
    return (
        f"MATCH (n:{_q(spec.label)}) "
        f"RETURN collect([n.{_q(spec.key)}, n.row_hash, n.source, n.active]) AS rows"
    )


def mark_incomplete_query(spec: NodeSpec) -> str:
    """Give nodes a marker hash ($marker), so the next load rewrites them."""
    return (
        f"UNWIND $keys AS k MATCH (n:{_q(spec.label)} {{{_q(spec.key)}: k}}) "
        "SET n.row_hash = $marker"
    )


def close_nodes_query(spec: NodeSpec) -> str:
    """Nodes gone from a full snapshot: active=false, end_date kept or set, never deleted."""
    return (
        f"UNWIND $keys AS k MATCH (n:{_q(spec.label)} {{{_q(spec.key)}: k}}) "
        "WHERE n.active = true "
        "SET n.active = false, n.end_date = coalesce(n.end_date, $as_of), "
        "n.row_hash = $closed, n.load_run = $run_id RETURN count(n) AS c"
    )


def delete_partition_query(spec: NodeSpec, prop: str) -> str:
    """Detach-delete the label's nodes whose `prop` equals $value (in batches), for frames
    that are replaced as a whole per partition (the opportunities of a region)."""
    return (
        f"MATCH (n:{_q(spec.label)}) WHERE n.{_q(prop)} = $value\n"
        "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS"
    )


def rel_create_query(spec: RelSpec, model: GraphModel = MODEL) -> str:
    """Relationships of nodes created in the same transaction: they cannot exist yet."""
    return (
        _match_ends(spec, model) + f"CREATE (a)-[r:{_q(spec.type)}{_identity(spec)}]->(b)\n"
        "SET r += row.props, r.row_hash = row.row_hash, r.current = true,\n"
        "    r.valid_from = $as_of, r.source = $source, r.load_run = $run_id\n"
        "RETURN count(r) AS created, collect(row.i) AS matched"
    )


def rel_write_query(spec: RelSpec, model: GraphModel = MODEL) -> str:
    return (
        _match_ends(spec, model) + f"MERGE (a)-[r:{_q(spec.type)}{_identity(spec)}]->(b)\n"
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


def rel_hashes_query(spec: RelSpec, model: GraphModel = MODEL) -> str:
    """Every relationship of the family written by $source as [start key, end key,
    identity..., row_hash, current], in one record."""
    start, end = model.node(spec.start), model.node(spec.end)
    ident = "".join(f", r.{_q(p)}" for p in spec.identity)
    return (
        f"MATCH (a:{_q(start.label)})-[r:{_q(spec.type)}]->(b:{_q(end.label)}) "
        f"WHERE r.source = $source RETURN collect([a.{_q(start.key)}, b.{_q(end.key)}"
        f"{ident}, r.row_hash, r.current]) AS rows"
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
