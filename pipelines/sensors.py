"""Event-driven entry points: one landing-zone sensor per source family, the KvK polling
sensor and a run-failure alert sensor. Decisions (what is new, what is settled) are pure
functions in regionomie.domain.landing_cursor; this module is wiring."""

import hashlib
import json
import os
from pathlib import Path

import dagster as dg

from assets.resources import LandingZone, LocalLandingZone
from regionomie.domain.landing_cursor import decide_new_files
from regionomie.paths import state_dir


def _file_hash(path: Path) -> str:
    """sha256 of a local landed file; a symlink is identified by where it points (never
    followed). The landing zone resource does this for the sensors (also for buckets)."""
    return LocalLandingZone().content_hash(str(path))


def make_landing_sensor(source: str, job) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"{source}_landing_sensor",
        job=job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Starts one ingest run per new or changed file in the {source} landing "
        "folder (content hash in the cursor; files still being written are left for later).",
    )
    def landing_sensor(context: dg.SensorEvaluationContext, landing_zone: LandingZone):
        cursor = json.loads(context.cursor) if context.cursor else {}
        files = landing_zone.list_files(source)
        decision = decide_new_files(
            files=[(f.path, f.size, f.mtime) for f in files],
            cursor=cursor,
            hash_file=landing_zone.content_hash,
            settle_seconds=landing_zone.settle_seconds,
        )
        run_requests = [
            dg.RunRequest(
                run_key=f"{source}:{item.content_hash}",
                run_config={
                    "ops": {f"{source}_landing": {"config": {"files": [item.path]}}},
                },
                tags={
                    "regionomie/source": source,
                    "regionomie/source_file": Path(item.path).name,
                    "regionomie/content_hash": item.content_hash[:16],
                    "regionomie/trigger": "landing_sensor",
                },
            )
            for item in decision.new
        ]
        if not run_requests and decision.waiting:
            return dg.SensorResult(
                skip_reason=f"{len(decision.waiting)} file(s) still being written",
                cursor=json.dumps(decision.cursor, sort_keys=True),
            )
        return dg.SensorResult(
            run_requests=run_requests, cursor=json.dumps(decision.cursor, sort_keys=True)
        )

    return landing_sensor


def _innermost(error):  # type: ignore[no-untyped-def]
    """The user's own error under Dagster's wrappers (its type, not its message)."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    return error


@dg.run_failure_sensor(
    name="run_failure_alert",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Writes an alert for every failed run (log file + optional webhook).",
)
def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
    """The alert names the run, job, failed steps and error types; never an error message
    (it may quote data), which stays in the Dagster UI."""
    from regionomie.alerts import RunAlert, send_alert

    run = context.dagster_run
    failures = context.get_step_failure_events()
    errors = [getattr(e.event_specific_data, "error", None) for e in failures]
    if not errors:  # the run failed outside a step
        errors = [getattr(context.failure_event.event_specific_data, "error", None)]
    alert = RunAlert.of(
        run_id=run.run_id,
        job=run.job_name,
        failed_steps=[e.step_key for e in failures if e.step_key],
        error_types=[_innermost(e).cls_name for e in errors if e is not None],
        tags=run.tags,
    )
    send_alert(
        alert,
        alerts_file=state_dir() / "alerts.log",
        webhook_url=os.environ.get("REGIONOMIE_ALERT_WEBHOOK_URL"),
    )
    context.log.error(f"alert written for failed run {run.run_id}")


def _kvk_poll_places() -> list[str]:
    from regionomie.domain.regions import load_regions

    region = load_regions()[os.environ.get("REGIONOMIE_KVK_POLL_REGION", "regio-amersfoort")]
    return list(region.municipality_names or region.municipality_codes)


@dg.sensor(
    name="kvk_polling_sensor",
    job_name="ingest_kvk_job",
    minimum_interval_seconds=6 * 3600,
    default_status=(
        dg.DefaultSensorStatus.RUNNING
        if os.environ.get("KVK_API_KEY")
        else dg.DefaultSensorStatus.STOPPED
    ),
    description="With KVK_API_KEY set: searches the configured region in the KvK API and "
    "starts an incremental load of just the new, changed and ended registrations.",
)
def kvk_polling_sensor(context: dg.SensorEvaluationContext):
    from regionomie.connectors.kvk import KvkClient, diff_registrations, registration_hashes
    from regionomie.connectors.landing import write_jsonl

    if not os.environ.get("KVK_API_KEY"):
        return dg.SkipReason("KVK_API_KEY is not set: KvK polling is off")
    client = KvkClient.from_env()
    results: dict[str, dict] = {}
    for place in _kvk_poll_places():
        # Zoeken stops at 1,000 per query: split by type; what stays capped is only a partial
        # view (KvK advises the open dataset or a data product for bulk), so say so
        for result in client.search(plaats=place, include_inactive=True, narrow=True):
            results[str(result.get("vestigingsnummer") or f"kvk:{result.get('kvkNummer')}")] = (
                result
            )
        if client.last_search.capped:
            context.log.warning(
                f"KvK search for {place} still capped at 1,000 per type "
                f"({', '.join(client.last_search.capped_parts)}): polling sees part of it"
            )
    previous = json.loads(context.cursor) if context.cursor else {}
    current = registration_hashes(list(results.values()))
    new, changed, ended = diff_registrations(previous, current)
    cursor = json.dumps(current, sort_keys=True)
    if not (new or changed):
        return dg.SensorResult(
            skip_reason=f"no new or changed registrations ({len(ended)} gone from search)",
            cursor=cursor,
        )
    digest = hashlib.sha256(cursor.encode()).hexdigest()
    target = state_dir() / "kvk_polls" / f"kvk_poll_{digest[:16]}.jsonl"
    write_jsonl(target, [{"resultaten": [results[k] for k in new + changed]}])
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"kvk-poll:{digest}",
                run_config={"ops": {"kvk_landing": {"config": {"files": [str(target)]}}}},
                tags={
                    "regionomie/source": "kvk",
                    "regionomie/trigger": "kvk_polling_sensor",
                    "regionomie/new": str(len(new)),
                    "regionomie/changed": str(len(changed)),
                    "regionomie/ended": str(len(ended)),
                },
            )
        ],
        cursor=cursor,
    )
