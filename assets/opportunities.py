"""Region-partitioned opportunity and export assets: thin wiring around the pure engine in
regionomie.domain.opportunities and the writers in regionomie.exports."""

import datetime as dt
from pathlib import Path

import dagster as dg
import pandas as pd
from pydantic import Field

from assets.graph import NEO4J_RETRY, NEO4J_WRITE_POOL
from assets.partitions import REGIONS, region_partitions
from assets.resources import Neo4jResource
from regionomie import flow
from regionomie.console import progress_message
from regionomie.domain.opportunities import OpportunityResult
from regionomie.i18n import DEFAULT_LANGUAGE, check_language

# The result is handed to the exports as Parquet frames, not as one big pickle (see
# assets.resources.OpportunityResultIOManager); pipelines/definitions.py binds the key.
OPPORTUNITY_IO_MANAGER = "opportunity_io_manager"

# Declarative automation: follow upstream updates, but never past a failed blocking check.
FOLLOW_UPSTREAM = (
    dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
)


class RegionConfig(dg.Config):
    scoring_file: str = Field(
        default=str(flow.SCORING_FILE),
        description="Scoring weights and bounds (YAML); the defaults in code when absent.",
    )


@dg.asset(
    group_name="opportunities",
    partitions_def=region_partitions,
    kinds={"pandas"},
    deps=["graph_establishments", "graph_waste", "graph_challenges", "graph_knowledge_base"],
    automation_condition=FOLLOW_UPSTREAM,
    retry_policy=dg.RetryPolicy(max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL),
    io_manager_key=OPPORTUNITY_IO_MANAGER,
    description="Ranked, explained candidate business cases for one region (Parquet frames "
    "for the exports and the graph). No Neo4j write here, so regions compute in parallel.",
)
def regional_opportunities(
    context: dg.AssetExecutionContext,
    config: RegionConfig,
    establishments: pd.DataFrame,
    waste_records: pd.DataFrame,
    waste_party_links: pd.DataFrame,
    municipal_indicators: pd.DataFrame,
    municipalities: pd.DataFrame,
    sector_density: pd.DataFrame,
) -> dg.Output[OpportunityResult]:
    from regionomie.domain.knowledge import load_knowledge_base

    region = REGIONS[context.partition_key]
    tables = {
        "establishments": establishments,
        "waste_records": waste_records,
        "waste_party_links": waste_party_links,
        "municipal_indicators": municipal_indicators,
        "municipalities": municipalities,
        "sector_density": sector_density,  # open-data mode: social cases at sector level
    }
    result = flow.compute_region(
        region,
        tables,
        load_knowledge_base(),
        flow.FlowConfig.load(Path(config.scoring_file)),
        progress=lambda label, done, total: context.log.info(progress_message(label, done, total)),
    )
    return dg.Output(result, metadata=result_metadata(result))


@dg.asset(
    group_name="opportunities",
    partitions_def=region_partitions,
    kinds={"neo4j"},
    automation_condition=FOLLOW_UPSTREAM,
    retry_policy=NEO4J_RETRY,
    pool=NEO4J_WRITE_POOL,
    description="The region's Opportunity/BusinessCase nodes, replaced as a whole (a re-run "
    "or a retry after a deadlock leaves the same graph). In the Neo4j writers' pool.",
)
def opportunity_nodes(
    context: dg.AssetExecutionContext,
    neo4j: Neo4jResource,
    regional_opportunities: OpportunityResult,
    establishments: pd.DataFrame,
) -> dg.MaterializeResult:
    from regionomie.graph.opportunity_nodes import write_region_opportunities

    before = neo4j.retries_seen()
    result = regional_opportunities
    written = write_region_opportunities(
        neo4j.driver,
        context.partition_key,
        result.candidates,
        result.cases,
        result.challenges,
        run_id=context.run_id,
        database=neo4j.database,
        shield=flow.graph_shield({"establishments": establishments}),
    )
    return dg.MaterializeResult(
        metadata={**written, "neo4j_retries": neo4j.retries_seen() - before}
    )


def result_metadata(result: OpportunityResult) -> dict[str, object]:
    top = result.cases.head(5)
    return {
        "candidates": len(result.candidates),
        "business_cases": len(result.cases),
        "cascades": len(result.cascades),
        "coalitions": len(result.coalitions),
        "set_aside": len(result.set_aside),
        **{f"candidates_{k}": v for k, v in result.candidates.attrs.get("pruning", {}).items()},
        "cascade_continuations_pruned": result.cascades.attrs.get("pruned_continuations", 0),
        "top_cases": dg.MetadataValue.md(
            "\n".join(f"{r.rank}. {r.name}" for r in top.itertuples()) or "(none)"
        ),
    }


class ExportConfig(dg.Config):
    date: str = Field(
        default="",
        description="Export date folder (YYYY-MM-DD); empty = today in Europe/Amsterdam.",
    )
    top_per_case: int = Field(
        default=flow.TOP_PER_CASE,
        description="Candidates per business case in the CSV, XLSX and GeoJSON.",
    )
    top_per_municipality: int = Field(
        default=flow.TOP_PER_MUNICIPALITY,
        description="Best candidates per municipality in the CSV, XLSX and GeoJSON.",
    )
    lang: str = Field(
        default=DEFAULT_LANGUAGE,
        description="Language of the reader files (report, XLSX, CSV, GeoJSON, cards): "
        "'nl' (Dutch) or 'en' (English).",
    )


@dg.asset(
    group_name="exports",
    partitions_def=region_partitions,
    kinds={"csv", "parquet", "excel", "html"},
    automation_condition=FOLLOW_UPSTREAM,
    freshness_policy=dg.FreshnessPolicy.time_window(
        fail_window=dt.timedelta(days=8), warn_window=dt.timedelta(days=7)
    ),
    description="exports/<region>/<date>/: opportunities CSV/Parquet/XLSX/GeoJSON and the "
    "HTML report; exports/<region>/latest points at the newest.",
)
def opportunity_exports(
    context: dg.AssetExecutionContext,
    config: ExportConfig,
    regional_opportunities: OpportunityResult,
    establishments: pd.DataFrame,
    municipalities: pd.DataFrame,
    sector_density: pd.DataFrame,
) -> dg.MaterializeResult:
    region = REGIONS[context.partition_key]
    date = flow.export_date(config.date)
    tables = {
        "establishments": establishments,
        "municipalities": municipalities,
        "sector_density": sector_density,
    }
    if flow.open_data_mode(tables):
        for note in flow.open_data_extras(region, tables)[1]:
            context.log.warning(note)
    paths = flow.write_region_exports(
        region,
        regional_opportunities,
        tables,
        date,
        flow.FlowConfig(
            top_per_case=config.top_per_case,
            top_per_municipality=config.top_per_municipality,
            lang=check_language(config.lang),
        ),
    )
    return dg.MaterializeResult(
        metadata={
            "export_date": date.isoformat(),
            "open_data_mode": flow.open_data_mode(tables),
            "folder": dg.MetadataValue.path(str(next(iter(paths.values())).parent)),
            **{name: dg.MetadataValue.path(str(path)) for name, path in sorted(paths.items())},
            "rows": len(regional_opportunities.candidates),
        }
    )


opportunity_assets = [regional_opportunities, opportunity_nodes, opportunity_exports]
