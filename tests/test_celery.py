"""Steps on Celery workers with a real broker: Redis from Debian's packages on a free port,
a `dagster-celery` worker started as an operator would, and a job whose executor is
`celery_executor`. The sample's municipal files are landed, the reference tables validated
and the reference graph written by the worker's processes, not by the process that launched
the run."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from pipelines.celery_jobs import REFERENCE_STEPS as STEPS
from pipelines.celery_jobs import reference_job
from pipelines.main import source_files
from regionomie.paths import REPO_ROOT, SAMPLE_DIR

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on {port}")


def _wait_until_ready(worker: subprocess.Popen, log: Path, timeout: float = 300.0) -> None:
    """Until the worker says it is ready; a worker that exits fails the test with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        if worker.poll() is not None:
            pytest.fail(f"the Celery worker exited ({worker.returncode}): {text[-2000:]}")
        if " ready." in text:
            return
        time.sleep(1.0)
    pytest.fail(f"the Celery worker was not ready after {timeout:.0f} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_steps_run_on_a_celery_worker_behind_redis(
    neo4j_server, empty_graph, tmp_path, monkeypatch
):
    redis = shutil.which("redis-server")
    if redis is None:
        pytest.fail("redis-server missing: scripts/setup.sh installs Debian's redis-server")
    port = _free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    backend = f"redis://127.0.0.1:{port}/1"
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {
        **os.environ,
        # `dagster-celery worker start` runs `celery` from PATH: the venv's own
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(REPO_ROOT),
        "DAGSTER_HOME": str(home),
        "NEO4J_URI": neo4j_server.uri,
        "NEO4J_PASSWORD": neo4j_server.password,
        "REGIONOMIE_STATE_DIR": str(tmp_path / "state"),
        "REGIONOMIE_ENV_FILE": str(tmp_path / "absent.env"),
    }
    for key in ("DAGSTER_HOME", "NEO4J_URI", "NEO4J_PASSWORD", "REGIONOMIE_STATE_DIR",
                "REGIONOMIE_ENV_FILE"):  # fmt: skip
        monkeypatch.setenv(key, env[key])
    config = tmp_path / "celery.yaml"
    config.write_text(
        f"execution:\n  config:\n    broker: {broker}\n    backend: {backend}\n", encoding="utf-8"
    )
    server = subprocess.Popen(
        [redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    worker = None
    try:
        _wait_for_port(port)
        worker = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster-celery")), "worker", "start",
             "-A", "dagster_celery.app", "-y", str(config), "--name", "regionomie-test",
             "-l", "INFO"],
            cwd=REPO_ROOT, env=env, stdout=(tmp_path / "worker.log").open("wb"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        _wait_until_ready(worker, tmp_path / "worker.log")
        with dg.DagsterInstance.get() as instance:
            result = dg.execute_job(
                dg.reconstructable(reference_job),
                instance=instance,
                run_config={
                    "execution": {"config": {"broker": broker, "backend": backend}},
                    "ops": {
                        "municipal_landing": {
                            "config": {
                                "files": source_files(SAMPLE_DIR)["municipal"],
                                "archive": False,
                            }  # fmt: skip
                        }
                    },
                },
            )
            assert result.success, (tmp_path / "worker.log").read_text()[-3000:]
            starts = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.STEP_START)
            assert {r.step_key for r in starts} == set(STEPS)
            # every step ran in a worker process, none in this one
            assert {r.dagster_event.pid for r in starts}.isdisjoint({os.getpid()})
            assert worker.poll() is None
    finally:
        if worker is not None:
            _stop(worker)
        _stop(server)
    records, _, _ = empty_graph.execute_query("MATCH (m:Municipality) RETURN count(m) AS n")
    assert records[0]["n"] == 10  # the sample's municipalities, landed by the worker
