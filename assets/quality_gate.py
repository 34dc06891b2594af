"""Wiring of the Great Expectations suites into assets: row-level failures are quarantined,
dataset-level failures fail the blocking check so nothing downstream runs on the dataset."""

from collections.abc import Iterator, Mapping

import dagster as dg
import pandas as pd

from regionomie.flow import check_table
from regionomie.quality.validate import check_metadata

QUALITY_CHECK = "great_expectations_suite"
# A deliberate change in volume (a region that grew, the first real load after the sample, a
# new data folder): the run tag carries the reason; `regionomie run --accept-volume-change`.
ACCEPT_VOLUME_TAG = "regionomie/accept_volume_change"
ACCEPTED_BY_TAG = "regionomie/accepted_by"


def previous_row_count(context: dg.AssetExecutionContext) -> int | None:
    """Rows of the last successful load, for the volume rule (sudden drops = broken exports)."""
    event = context.instance.get_latest_materialization_event(context.asset_key)
    if event is None or event.asset_materialization is None:
        return None
    value = event.asset_materialization.metadata.get("rows_valid")
    return int(value.value) if value is not None else None


def gate_table(
    context: dg.AssetExecutionContext,
    table: str,
    frame: pd.DataFrame,
    related: Mapping[str, pd.DataFrame] | None = None,
    source_absent: bool = False,
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    previous = previous_row_count(context)
    tags = context.run.tags
    accepted = (tags.get(ACCEPT_VOLUME_TAG) or "").strip()
    checked = check_table(
        table,
        frame,
        related=related,
        previous_row_count=None if accepted or source_absent else previous,
        run_id=context.run_id,
        source_absent=source_absent,
    )
    outcome, paths = checked.outcome, checked.quarantine_paths
    rows_valid, rows_quarantined = len(outcome.valid), len(outcome.quarantined)
    plain = check_metadata(outcome, paths)
    if accepted and previous:
        # Who accepted which change, and why: kept with the check, never silently passed.
        plain["volume_change_accepted"] = {
            "reason": accepted,
            "by": tags.get(ACCEPTED_BY_TAG, ""),
            "previous_rows": previous,
            "rows": outcome.rows_in,
        }
        context.log.warning(
            f"{table}: volume check skipped on request ({previous} -> {outcome.rows_in} rows): "
            f"{accepted}"
        )
    metadata = {
        "rows_in": outcome.rows_in,
        "rows_valid": rows_valid,
        "rows_quarantined": rows_quarantined,
        "quarantine_by_rule": dg.MetadataValue.json(dict(sorted(outcome.rule_counts.items()))),
        "quarantine_path": dg.MetadataValue.path(str(paths.get("csv", ""))),
        "data_docs": dg.MetadataValue.path(plain.get("data_docs", "")),
        "suite_version": outcome.suite_version,
        "source_absent": source_absent,
    }
    if rows_quarantined:
        context.log.warning(
            f"{table}: {rows_quarantined} of {outcome.rows_in} rows quarantined "
            f"({', '.join(f'{k}={v}' for k, v in sorted(outcome.rule_counts.items()))})"
        )
    for warning in plain["warnings"]:
        context.log.warning(f"{table}: {warning}")
    yield dg.Output(outcome.valid, metadata=metadata)
    failures = plain["dataset_failures"]
    yield dg.AssetCheckResult(
        check_name=QUALITY_CHECK,
        asset_key=context.asset_key,
        passed=not failures,
        severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(failures)[:1000] if failures else "all dataset-level rules passed",
        metadata={
            key: dg.MetadataValue.path(value)
            if key in ("data_docs", "gx_data_docs", "quarantine_parquet")
            else dg.MetadataValue.json(value)
            if isinstance(value, dict | list)
            else value
            for key, value in plain.items()
        },
    )
