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


def main_run_config(
    data_dir: Path, export_date: str = "", quiet: bool = False, lang: str = "nl"
) -> dict:
    """Land every file of data_dir (without removing it: it is not the landing zone).
    `quiet`: Dagster's console logger only for critical events (the event log is complete)."""
    config: dict = {
        "ops": {
            **{
                f"{source}_landing": {"config": {"files": paths, "archive": False}}
                for source, paths in source_files(data_dir).items()
            },
            "opportunity_exports": {"config": {"date": export_date, "lang": lang}},
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
    lang: str = "nl",
) -> dg.ExecuteInProcessResult:
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(
        run_config=main_run_config(data_dir, export_date, quiet=quiet, lang=lang),
        instance=instance,
        partition_key=region,
        tags={"regionomie/trigger": trigger, "regionomie/region": region, **(tags or {})},
        raise_on_error=False,
        run_id=run_id,
    )


def blocked_checks(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    """Asset -> what its failed blocking quality check says (the rule and the way out)."""
    blocked: dict[str, str] = {}
    for event in result.all_events:
        if event.event_type_value != "ASSET_CHECK_EVALUATION":
            continue
        evaluation = event.event_specific_data
        if evaluation is None or evaluation.passed:
            continue
        text = (evaluation.description or "check failed").strip().splitlines()
        blocked[evaluation.asset_key.to_user_string()] = text[0] if text else "check failed"
    return blocked


def step_failures(result: dg.ExecuteInProcessResult) -> list[str]:
    """One readable line per failed step (the innermost cause; the trace stays in the log).
    A step stopped by its blocking quality check says what the check found and how to go on,
    not Dagster's DagsterAssetCheckFailedError."""
    from regionomie.console import failure_line, is_check_failure

    blocked = blocked_checks(result)
    lines: list[str] = []
    for event in result.all_events:
        if not (event.is_step_failure and event.event_specific_data):
            continue
        error = event.event_specific_data.error
        if error is None:
            continue
        if is_check_failure(error) and blocked:
            continue
        lines.append(f"{event.step_key}: {failure_line(error)}")
    lines += [f"{asset}: quality check failed: {text}" for asset, text in blocked.items()]
    return lines
