"""The console of `regionomie run`: one line per step with rows and seconds, progress bars,
failures in one line, read from the run's real event log."""

import io
import uuid

import dagster as dg

from regionomie.console import PROGRESS_MESSAGE, RunConsole, progress_message, rows_of


def test_rows_of_reads_what_each_kind_of_asset_reports() -> None:
    assert rows_of({"rows_valid": dg.MetadataValue.int(12), "rows_in": 15}) == 12
    assert rows_of({"candidates": 40}) == 40
    graph = {"Establishment": dg.MetadataValue.json({"rows_in": 3}), "LOCATED_IN": {"rows_in": 4}}
    assert rows_of(graph) == 7
    assert rows_of({"applied_now": dg.MetadataValue.json([])}) is None


def test_progress_message_round_trips() -> None:
    match = PROGRESS_MESSAGE.match(progress_message("candidates", 3, 12))
    assert match is not None
    assert (match["label"], match["done"], match["total"]) == ("candidates", "3", "12")


@dg.asset
def counted(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    for done in (1, 2):
        context.log.info(progress_message("chunks", done, 2))
    return dg.MaterializeResult(metadata={"rows": 1234})


@dg.asset(deps=[counted])
def broken() -> None:
    raise ValueError("the input file has no header row\nsecond line of the trace")


def test_one_line_per_step_and_one_line_per_failure() -> None:
    instance = dg.DagsterInstance.ephemeral()
    out = io.StringIO()
    run_id = str(uuid.uuid4())
    with RunConsole(instance, run_id, out=out, poll_seconds=0.05) as console:
        job = dg.Definitions(assets=[counted, broken]).resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(instance=instance, run_id=run_id, raise_on_error=False)
    assert not result.success
    text = out.getvalue()
    ok_line = next(line for line in text.splitlines() if "counted" in line)
    assert ok_line.split()[0] == "ok" and "1,234 rows" in ok_line
    failed = next(line for line in text.splitlines() if "broken" in line)
    assert failed.split()[0] == "FAILED" and "no header row" in failed
    assert "second line" not in text
    assert [line.step for line in console.lines] == ["counted", "broken"]
    assert console.summary(1.0) == "1 steps done in 1 s; 1 failed: broken"


@dg.asset(
    check_specs=[dg.AssetCheckSpec("suite", asset="gated", blocking=True)],
)
def gated():
    yield dg.Output(1)
    yield dg.AssetCheckResult(
        check_name="suite",
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description="row count within 50%..200% of the previous load (10); if the change is "
        'deliberate, re-run with `regionomie run --accept-volume-change "reason"`',
    )


@dg.asset(deps=[gated])
def after_gate() -> None:
    pass


def test_a_blocked_quality_check_ends_with_its_reason_and_way_out() -> None:
    from pipelines.main import step_failures

    instance = dg.DagsterInstance.ephemeral()
    out = io.StringIO()
    run_id = str(uuid.uuid4())
    with RunConsole(instance, run_id, out=out, poll_seconds=0.05):
        job = dg.Definitions(assets=[gated, after_gate]).resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(instance=instance, run_id=run_id, raise_on_error=False)
    assert not result.success
    lines = step_failures(result)
    assert lines == [
        "gated: quality check failed: row count within 50%..200% of the previous load (10); "
        'if the change is deliberate, re-run with `regionomie run --accept-volume-change "reason"`'
    ]
    text = out.getvalue()
    assert "DagsterAssetCheckFailedError" not in text + "\n".join(lines)
    assert "blocking asset check failed" not in text + "\n".join(lines)
    failed = next(line for line in text.splitlines() if line.split()[:2] == ["FAILED", "gated"])
    assert "stopped by its quality check" in failed
