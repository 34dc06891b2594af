"""Many regions at once, the way a deployment runs them: a backfill of the region job over
partitions (`dagster job backfill`), queued on the instance and launched by the Dagster
daemon, each run executing its steps with the multiprocess executor; the Neo4j writers take
turns through the `neo4j_write` pool. Used by the production-instance test and by
benchmarks/bench_national.py; an operator does the same from the UI or the CLI.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from regionomie.paths import REPO_ROOT

WORKSPACE = REPO_ROOT / "workspace.yaml"
REGION_JOB = "opportunities_job"
BACKFILL_TAG = "dagster/backfill"
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


class BackfillError(RuntimeError):
    """The backfill could not be launched or did not finish; one line."""


@dataclass
class BackfillOutcome:
    backfill_id: str
    runs: list[dg.DagsterRun]
    seconds: float

    @property
    def succeeded(self) -> bool:
        return bool(self.runs) and all(r.status == dg.DagsterRunStatus.SUCCESS for r in self.runs)


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def start_daemon(
    env: dict[str, str] | None = None, log_file: Path | None = None, cwd: Path = REPO_ROOT
):
    """`dagster-daemon run` on the workspace, in its own process group (stop_daemon ends the
    group: the daemon, its code server and any run it launched). Dagster adds the `.env` of
    `cwd` to the runs' environment, over `env`: the project's own by default."""
    out = log_file.open("ab") if log_file else subprocess.DEVNULL
    return subprocess.Popen(
        [_bin("dagster-daemon"), "run", "-w", str(WORKSPACE)],
        cwd=cwd,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_daemon(process: subprocess.Popen, grace: float = 30.0) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def launch_backfill(
    partitions: Sequence[str],
    *,
    job: str = REGION_JOB,
    tags: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """Submit one run per partition to the instance's run queue (`dagster job backfill`, the
    CLI's own path); returns the backfill id."""
    command = [
        _bin("dagster"),
        "job",
        "backfill",
        "-w",
        str(WORKSPACE),
        "-j",
        job,
        "--partitions",
        ",".join(partitions),
        "--noprompt",
    ]
    if tags:
        command += ["--tags", json.dumps(tags)]
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    found = re.search(r"Launched backfill job `([^`]+)`", result.stdout)
    if result.returncode != 0 or not found:
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        raise BackfillError(f"dagster job backfill failed: {lines[-1] if lines else result}")
    return found.group(1)


def wait_for_backfill(
    instance: dg.DagsterInstance,
    backfill_id: str,
    expected_runs: int,
    *,
    timeout: float = 3600.0,
    poll: float = 2.0,
    daemon: subprocess.Popen | None = None,
) -> list[dg.DagsterRun]:
    """Every run of the backfill, once all have finished."""
    deadline = time.monotonic() + timeout
    while True:
        runs = list(instance.get_runs(filters=dg.RunsFilter(tags={BACKFILL_TAG: backfill_id})))
        if len(runs) >= expected_runs and all(r.status in FINISHED for r in runs):
            return runs
        if daemon is not None and daemon.poll() is not None:
            raise BackfillError(f"the Dagster daemon stopped (exit {daemon.returncode})")
        if time.monotonic() > deadline:
            states = sorted(str(r.status.value) for r in runs)
            raise BackfillError(
                f"backfill {backfill_id} unfinished after {timeout:.0f} s: {states}"
            )
        time.sleep(poll)


def run_backfill(
    instance: dg.DagsterInstance,
    partitions: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
    timeout: float = 3600.0,
    daemon_log: Path | None = None,
    cwd: Path = REPO_ROOT,
) -> BackfillOutcome:
    """Start the daemon, launch the backfill, wait for every run, stop the daemon."""
    started = time.perf_counter()
    daemon = start_daemon(env, daemon_log, cwd)
    try:
        backfill_id = launch_backfill(partitions, tags=tags, env=env)
        runs = wait_for_backfill(
            instance, backfill_id, len(partitions), timeout=timeout, daemon=daemon
        )
    finally:
        stop_daemon(daemon)
    return BackfillOutcome(backfill_id, runs, time.perf_counter() - started)


def step_windows(instance: dg.DagsterInstance, run_id: str) -> dict[str, tuple[float, float]]:
    """(start, end) timestamps of each step of a run, from its event log."""
    windows: dict[str, list[float]] = {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or not event.step_key:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            windows.setdefault(event.step_key, [record.timestamp, record.timestamp])[0] = (
                record.timestamp
            )
        elif event.event_type in (
            dg.DagsterEventType.STEP_SUCCESS,
            dg.DagsterEventType.STEP_FAILURE,
        ):
            windows.setdefault(event.step_key, [record.timestamp, record.timestamp])[1] = (
                record.timestamp
            )
    return {step: (start, end) for step, (start, end) in windows.items()}
