"""Graph assets: schema migrations first, then one asset per node/relationship family.

Each is thin wiring: contract tables -> graph frames (pure, regionomie.graph.frames) -> the
batched, idempotent loader (regionomie.graph.loader). Counts go into the asset metadata.
"""

import dagster as dg
import pandas as pd

from assets.resources import Neo4jResource, RestrictedNeo4jResource

GROUP = "graph"
NEO4J_RETRY = dg.RetryPolicy(
    max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
# Every step that writes to Neo4j claims a slot of this pool (limit in the instance's
# dagster.yaml, `concurrency: pools:`; 1 by default): region runs compute in parallel, their
# writes take turns, so concurrent writers never deadlock on shared nodes (municipalities,
# sectors, establishments). Retries stay for transient errors from writers outside Dagster.
NEO4J_WRITE_POOL = "neo4j_write"
FOLLOW_UPSTREAM = (
    dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
)


def _graph_asset(**kwargs):
    return dg.asset(
        group_name=GROUP,
        kinds={"neo4j"},
        retry_policy=NEO4J_RETRY,
        automation_condition=FOLLOW_UPSTREAM,
        pool=NEO4J_WRITE_POOL,
        **kwargs,
    )


def _counts_metadata(counts: dict[str, object]) -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in sorted(counts.items()):
        flat[key] = dg.MetadataValue.json(value) if isinstance(value, dict | list) else value
    return flat


@dg.asset(
    group_name=GROUP,
    kinds={"neo4j", "cypher"},
    retry_policy=NEO4J_RETRY,
    pool=NEO4J_WRITE_POOL,
    description="Applies the versioned Cypher migrations in graph_schema/migrations, each once.",
)
def graph_schema(neo4j: Neo4jResource) -> dg.MaterializeResult:
    from regionomie.graph import migrations

    newly = migrations.migrate(neo4j.driver, database=neo4j.database)
    return dg.MaterializeResult(
        metadata={
            "applied_now": dg.MetadataValue.json([f"V{m.version:03d}" for m in newly]),
            "applied_total": len(migrations.applied(neo4j.driver, neo4j.database)),
        }
    )


def _load(
    context: dg.AssetExecutionContext, neo4j: Neo4jResource, family: str, **tables: pd.DataFrame
) -> dg.MaterializeResult:
    """One graph family: frames from regionomie.flow, written by the loader."""
    from regionomie.flow import graph_family
    from regionomie.graph.loader import load_frames

    spec = graph_family(family)
    before = neo4j.retries_seen()
    frames = spec.frames(tables)
    counts = load_frames(
        neo4j.driver,
        frames,
        run_id=context.run_id,
        source=spec.source,
        database=neo4j.database,
        full_snapshot=spec.full_snapshot(tables),
    )
    if len(frames.set_aside):
        context.log.warning(f"{family}: {len(frames.set_aside)} rows set aside for the graph")
    if family == "establishments":  # a node loaded before its actor became personal goes
        from regionomie.flow import graph_shield
        from regionomie.graph.restricted import forget_raw_personal_nodes

        counts["raw_personal_nodes_deleted"] = forget_raw_personal_nodes(
            neo4j.driver, graph_shield(tables), neo4j.database
        )
    return dg.MaterializeResult(
        metadata={
            **_counts_metadata(counts),
            "rows_set_aside": len(frames.set_aside),
            "neo4j_retries": neo4j.retries_seen() - before,
        }
    )


@_graph_asset(
    deps=["graph_schema"],
    description="Municipalities, provinces, EURAL materials and SBI/NACE sectors.",
)
def graph_reference(
    context: dg.AssetExecutionContext,
    neo4j: Neo4jResource,
    municipalities: pd.DataFrame,
    eural: pd.DataFrame,
    sbi2008: pd.DataFrame,
    sbi2025: pd.DataFrame,
) -> dg.MaterializeResult:
    return _load(
        context,
        neo4j,
        "reference",
        municipalities=municipalities,
        eural=eural,
        sbi2008=sbi2008,
        sbi2025=sbi2025,
    )


@_graph_asset(
    deps=["graph_reference"],
    description="Residual streams of the knowledge base, the EURAL codes they are reported "
    "under, and the sectors that can use them (CAN_FEED, with evidence).",
)
def graph_knowledge_base(
    context: dg.AssetExecutionContext, neo4j: Neo4jResource
) -> dg.MaterializeResult:
    return _load(context, neo4j, "knowledge_base")


@_graph_asset(
    deps=["graph_reference"],
    description="Organisations and their establishments, located in municipalities, active in "
    "sectors; establishments gone from a full snapshot are marked inactive, never deleted.",
)
def graph_establishments(
    context: dg.AssetExecutionContext,
    neo4j: Neo4jResource,
    organisations: pd.DataFrame,
    establishments: pd.DataFrame,
) -> dg.MaterializeResult:
    return _load(
        context, neo4j, "establishments", organisations=organisations, establishments=establishments
    )


@_graph_asset(
    deps=["graph_establishments"],
    description="PRODUCES (establishment -> material) and observed SENDS flows from LMA.",
)
def graph_waste(
    context: dg.AssetExecutionContext,
    neo4j: Neo4jResource,
    waste_records: pd.DataFrame,
    waste_party_links: pd.DataFrame,
    establishments: pd.DataFrame,
) -> dg.MaterializeResult:
    # establishments: who is a sole proprietor, so their ends are pseudonyms in the graph
    return _load(
        context,
        neo4j,
        "waste",
        waste_records=waste_records,
        waste_party_links=waste_party_links,
        establishments=establishments,
    )


@_graph_asset(
    deps=["graph_reference"],
    description="Societal challenges per municipality (FACES, with value and percentile).",
)
def graph_challenges(
    context: dg.AssetExecutionContext, neo4j: Neo4jResource, municipal_indicators: pd.DataFrame
) -> dg.MaterializeResult:
    return _load(context, neo4j, "challenges", municipal_indicators=municipal_indicators)


@_graph_asset(
    deps=["graph_establishments"],
    description="Sole proprietors' personal fields (number, name, address, exact location) "
    "under their pseudonym in the restricted store (REGIONOMIE_RESTRICTED_NEO4J_URI: another "
    "database or server with its own credentials), never in the default graph; skipped "
    "when no restricted store is configured.",
)
def graph_personal_data(
    context: dg.AssetExecutionContext,
    restricted_neo4j: RestrictedNeo4jResource,
    organisations: pd.DataFrame,
    establishments: pd.DataFrame,
) -> dg.MaterializeResult:
    if not restricted_neo4j.enabled:
        return dg.MaterializeResult(
            metadata={"restricted_store": "not configured: personal fields are kept in no graph"}
        )
    from regionomie.flow import graph_shield
    from regionomie.graph.restricted import load_personal_fields

    tables = {"establishments": establishments, "organisations": organisations}
    counts = load_personal_fields(
        restricted_neo4j.driver,
        establishments,
        organisations,
        graph_shield(tables),
        run_id=context.run_id,
        database=restricted_neo4j.database,
    )
    return dg.MaterializeResult(
        metadata={"restricted_store": "written", **_counts_metadata(counts)}
    )


graph_assets = [
    graph_schema,
    graph_reference,
    graph_knowledge_base,
    graph_establishments,
    graph_waste,
    graph_challenges,
    graph_personal_data,
]
