"""The main job: every asset for one region on a folder of source files (the shipped sample by
default). One function used by `regionomie run` and by the end-to-end tests alike."""

from pathlib import Path

import dagster as dg

from regionomie.domain.sources import SOURCES


def source_files(data_dir: Path) -> dict[str, list[str]]:
    files: dict[str, list[str]] = {}
    for source in SOURCES:
        folder = data_dir / source
        files[source] = (
            sorted(str(p) for p in folder.rglob("*") if p.is_file() and p.name != "README.md")
            if folder.exists()
            else []
        )
    return files


def main_run_config(data_dir: Path, export_date: str = "", quiet: bool = False) -> dict:
    """Land every file of data_dir (without removing it: it is not the landing zone).
    `quiet`: Dagster's console logger only for critical events (the event log is complete)."""
    config: dict = {
        "ops": {
            **{
                f"{source}_landing": {"config": {"files": paths, "archive": False}}
                for source, paths in source_files(data_dir).items()
            },
            "opportunity_exports": {"config": {"date": export_date}},
        }
    }
    if quiet:
        config["loggers"] = {"console": {"config": {"log_level": "CRITICAL"}}}
    return config


def run_main_job(
    defs: dg.Definitions,
    data_dir: Path,
    region: str,
    instance: dg.DagsterInstance,
    export_date: str = "",
    trigger: str = "cli",
    tags: dict[str, str] | None = None,
    run_id: str | None = None,
    quiet: bool = False,
) -> dg.ExecuteInProcessResult:
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(
        run_config=main_run_config(data_dir, export_date, quiet=quiet),
        instance=instance,
        partition_key=region,
        tags={"regionomie/trigger": trigger, "regionomie/region": region, **(tags or {})},
        raise_on_error=False,
        run_id=run_id,
    )


def step_failures(result: dg.ExecuteInProcessResult) -> list[str]:
    """One readable line per failed step (the innermost cause; the trace stays in the log)."""
    from regionomie.console import failure_line

    return [
        f"{e.step_key}: {failure_line(e.event_specific_data.error)}"
        for e in result.all_events
        if e.is_step_failure and e.event_specific_data and e.event_specific_data.error
    ]
