"""The main job: every asset for one region on a folder of source files (the shipped sample by
default). One function used by `regionomie run` and by the end-to-end tests alike."""

from pathlib import Path

import dagster as dg

SOURCES = ("kvk", "waste", "municipal")


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


def main_run_config(data_dir: Path, export_date: str = "") -> dict:
    """Land every file of data_dir (without removing it: it is not the landing zone)."""
    return {
        "ops": {
            **{
                f"{source}_landing": {"config": {"files": paths, "archive": False}}
                for source, paths in source_files(data_dir).items()
            },
            "opportunity_exports": {"config": {"date": export_date}},
        }
    }


def run_main_job(
    defs: dg.Definitions,
    data_dir: Path,
    region: str,
    instance: dg.DagsterInstance,
    export_date: str = "",
    trigger: str = "cli",
) -> dg.ExecuteInProcessResult:
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(
        run_config=main_run_config(data_dir, export_date),
        instance=instance,
        partition_key=region,
        tags={"regionomie/trigger": trigger, "regionomie/region": region},
        raise_on_error=False,
    )


def step_failures(result: dg.ExecuteInProcessResult) -> list[str]:
    return [
        f"{e.step_key}: {e.event_specific_data.error.message.strip().splitlines()[0]}"
        for e in result.all_events
        if e.is_step_failure and e.event_specific_data and e.event_specific_data.error
    ]
