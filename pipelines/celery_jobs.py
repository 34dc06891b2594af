"""Jobs whose steps run on Celery workers (dagster-celery) behind a broker, the way to spread
steps over machines without Kubernetes. Celery workers rebuild a job from its module, so the
jobs live here, importable from the project root on every worker.

Start a worker on each machine (same code, same environment, PYTHONPATH = the project root):
    dagster-celery worker start -A dagster_celery.app -y celery.yaml
with celery.yaml holding `execution: config: broker: redis://...` (or amqp://...).
"""

from __future__ import annotations

import dagster as dg

REFERENCE_STEPS = (
    "municipal_landing",
    "municipalities",
    "eural",
    "sbi2008",
    "sbi2025",
    "graph_schema",
    "graph_reference",
)


def reference_job() -> dg.JobDefinition:
    """Municipal files landed, the reference tables and their graph: every step a Celery
    task (run config: the municipal_landing files, and the executor's broker)."""
    from dagster_celery import celery_executor

    from pipelines.definitions import build_definitions

    job = dg.define_asset_job(
        "celery_reference_job",
        selection=dg.AssetSelection.assets(*REFERENCE_STEPS),
        executor_def=celery_executor,
    )
    merged = dg.Definitions.merge(build_definitions(), dg.Definitions(jobs=[job]))
    return merged.get_job_def("celery_reference_job")
