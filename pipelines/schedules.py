"""Schedules in Europe/Amsterdam time: a daily graph refresh, weekly exports per region
(custom regions and COROP areas)."""

import dagster as dg

from assets.partitions import SCHEDULED_KINDS, partition_keys_of_kind
from pipelines.jobs import graph_refresh_job, opportunities_job

TIMEZONE = "Europe/Amsterdam"

daily_graph_refresh = dg.ScheduleDefinition(
    name="daily_graph_refresh",
    job=graph_refresh_job,
    cron_schedule="0 5 * * *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    tags={"regionomie/trigger": "schedule"},
    description="05:00 every day: re-validate datasets and refresh the graph.",
)


@dg.schedule(
    name="weekly_region_exports",
    job=opportunities_job,
    cron_schedule="0 6 * * 1",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Mondays 06:00: opportunities and exports for every custom region and every "
    "COROP area (the country once; provinces and other kinds on demand).",
)
def weekly_region_exports(context: dg.ScheduleEvaluationContext):
    stamp = context.scheduled_execution_time.strftime("%Y-%m-%d")
    for region in partition_keys_of_kind(*SCHEDULED_KINDS):
        yield dg.RunRequest(
            run_key=f"{region}:{stamp}",
            partition_key=region,
            tags={"regionomie/region": region, "regionomie/trigger": "schedule"},
        )


all_schedules = [daily_graph_refresh, weekly_region_exports]
