"""Jobs: one ingest job per source family (what the landing sensors start), the daily graph
refresh and the per-region opportunity job (what the schedules start)."""

import dagster as dg

from assets.partitions import region_partitions
from regionomie.domain.sources import SOURCES

REGION_GROUPS = ("opportunities", "exports")

_region_assets = dg.AssetSelection.groups(*REGION_GROUPS)

ingest_jobs = {
    source: dg.define_asset_job(
        name=f"ingest_{source}_job",
        selection=dg.AssetSelection.assets(f"{source}_landing").downstream() - _region_assets,
        description=f"Land {source} file(s), validate, update the graph. Region opportunities "
        "and exports follow through declarative automation.",
        tags={"regionomie/trigger": "ingest"},
    )
    for source in SOURCES
}

graph_refresh_job = dg.define_asset_job(
    name="graph_refresh_job",
    selection=dg.AssetSelection.all() - _region_assets,
    description="Re-validate every dataset and refresh the whole graph (daily).",
)

opportunities_job = dg.define_asset_job(
    name="opportunities_job",
    selection=_region_assets,
    partitions_def=region_partitions,
    description="Opportunities and exports for one region (weekly, or on demand / backfill).",
)

all_jobs = [*ingest_jobs.values(), graph_refresh_job, opportunities_job]
