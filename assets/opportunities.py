"""Region-partitioned opportunity and export assets: thin wiring around the pure engine in
regionomie.domain.opportunities and the writers in regionomie.exports."""

import datetime as dt
from pathlib import Path

import dagster as dg
import pandas as pd
from pydantic import Field

from assets.partitions import REGIONS, region_partitions
from assets.resources import Neo4jResource
from regionomie import flow
from regionomie.console import progress_message
from regionomie.domain.opportunities import OpportunityResult

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
    kinds={"pandas", "neo4j"},
    deps=["graph_establishments", "graph_waste", "graph_challenges", "graph_knowledge_base"],
    automation_condition=FOLLOW_UPSTREAM,
    retry_policy=dg.RetryPolicy(max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL),
    io_manager_key=OPPORTUNITY_IO_MANAGER,
    description="Ranked, explained candidate business cases for one region, stored as "
    "Opportunity/BusinessCase nodes (and as Parquet frames for the exports).",
)
def regional_opportunities(
    context: dg.AssetExecutionContext,
    config: RegionConfig,
    neo4j: Neo4jResource,
    establishments: pd.DataFrame,
    waste_records: pd.DataFrame,
    waste_party_links: pd.DataFrame,
    municipal_indicators: pd.DataFrame,
    municipalities: pd.DataFrame,
) -> dg.Output[OpportunityResult]:
    from regionomie.domain.knowledge import load_knowledge_base
    from regionomie.graph.opportunity_nodes import write_region_opportunities

    region = REGIONS[context.partition_key]
    tables = {
        "establishments": establishments,
        "waste_records": waste_records,
        "waste_party_links": waste_party_links,
        "municipal_indicators": municipal_indicators,
        "municipalities": municipalities,
    }
    result = flow.compute_region(
        region,
        tables,
        load_knowledge_base(),
        flow.FlowConfig.load(Path(config.scoring_file)),
        progress=lambda label, done, total: context.log.info(progress_message(label, done, total)),
    )
    written = write_region_opportunities(
        neo4j.driver,
        region.name,
        result.candidates,
        result.cases,
        result.challenges,
        run_id=context.run_id,
        database=neo4j.database,
        shield=flow.graph_shield(tables),
    )
    return dg.Output(result, metadata={**result_metadata(result), **written})


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
) -> dg.MaterializeResult:
    region = REGIONS[context.partition_key]
    date = flow.export_date(config.date)
    paths = flow.write_region_exports(
        region,
        regional_opportunities,
        {"establishments": establishments, "municipalities": municipalities},
        date,
        flow.FlowConfig(
            top_per_case=config.top_per_case, top_per_municipality=config.top_per_municipality
        ),
    )
    return dg.MaterializeResult(
        metadata={
            "export_date": date.isoformat(),
            "folder": dg.MetadataValue.path(str(next(iter(paths.values())).parent)),
            **{name: dg.MetadataValue.path(str(path)) for name, path in sorted(paths.items())},
            "rows": len(regional_opportunities.candidates),
        }
    )


opportunity_assets = [regional_opportunities, opportunity_exports]
