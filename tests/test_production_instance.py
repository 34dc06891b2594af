"""A production-like Dagster instance: run, event-log and schedule storage in a real
PostgreSQL server the suite starts itself (Debian's package, dagster-postgres), the region
job backfilled over two partitions that run at the same time (queued by the instance,
launched by the real daemon, steps in processes), the Neo4j writers taking turns through the
`neo4j_write` pool. The same test on SQLite storage is the baseline for its wall time."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import dagster as dg
import pytest

from regionomie.paths import REPO_ROOT, SAMPLE_DIR

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

PARTITIONS = ("corop-utrecht", "corop-veluwe")  # both hold municipalities of the sample
EXPORT_DATE = "2026-12-01"


@pytest.fixture(scope="module")
def postgres():
    from regionomie import postgres_server as pg

    root = Path(tempfile.mkdtemp(prefix="regionomie-pg-"))  # outside pytest's 0700 tmp tree
    settings = pg.PostgresSettings(instance_dir=root / "postgres", port=_free_port())
    try:
        started = pg.start(settings)
    except pg.PostgresServerError as exc:
        pytest.fail(f"could not start PostgreSQL: {exc}")
    try:
        yield settings, started["password"]
    finally:
        pg.stop(settings)
        import shutil

        shutil.rmtree(root, ignore_errors=True)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _instance_env(tmp_path: Path, neo4j_server, storage: str, postgres) -> dict[str, str]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    if storage == "postgres":
        settings, password = postgres
        (home / "dagster.yaml").write_text(
            (REPO_ROOT / "deploy" / "dagster.yaml").read_text(encoding="utf-8"), encoding="utf-8"
        )
        pg_env = settings.environment(password)
    else:
        from regionomie.settings import DAGSTER_YAML

        (home / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
        pg_env = {}
    return {
        **os.environ,
        **pg_env,
        "DAGSTER_HOME": str(home),
        "NEO4J_URI": neo4j_server.uri,
        "NEO4J_PASSWORD": neo4j_server.password,
        "REGIONOMIE_STATE_DIR": str(tmp_path / "state"),
        "REGIONOMIE_EXPORTS_DIR": str(tmp_path / "exports"),
        "REGIONOMIE_LANDING_DIR": str(tmp_path / "landing"),  # the daemon's sensors look here
        "REGIONOMIE_ENV_FILE": str(tmp_path / "absent.env"),
        "REGIONOMIE_MAX_CONCURRENT": "2",
    }


@pytest.mark.parametrize("storage", ["postgres", "sqlite"])
def test_two_partitions_run_concurrently_on_the_instance(
    storage, request, neo4j_server, empty_graph, tmp_path, monkeypatch
):
    if storage == "sqlite" and not os.environ.get("REGIONOMIE_COMPARE_SQLITE"):
        pytest.skip("the SQLite baseline of this test runs for the benchmark only "
                    "(REGIONOMIE_COMPARE_SQLITE=1)")  # fmt: skip
    postgres = request.getfixturevalue("postgres") if storage == "postgres" else None
    env = _instance_env(tmp_path, neo4j_server, storage, postgres)
    for key in ("DAGSTER_HOME", "NEO4J_URI", "NEO4J_PASSWORD", "REGIONOMIE_STATE_DIR",
                "REGIONOMIE_EXPORTS_DIR", "REGIONOMIE_LANDING_DIR", "REGIONOMIE_ENV_FILE",
                "REGIONOMIE_MAX_CONCURRENT",
                "DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_DB", "DAGSTER_PG_USER",
                "DAGSTER_PG_PASSWORD"):  # fmt: skip
        if key in env:
            monkeypatch.setenv(key, env[key])
    from pipelines.definitions import build_definitions
    from pipelines.main import run_main_job
    from pipelines.national import run_backfill, step_windows

    started = time.perf_counter()
    with dg.DagsterInstance.get() as instance:
        storage_class = type(instance.run_storage).__name__
        assert ("Postgres" in storage_class) == (storage == "postgres"), storage_class
        # The ingest side once (landing, tables, graph): the main job for the sample region.
        ingest = run_main_job(
            build_definitions(), SAMPLE_DIR, "regio-amersfoort", instance, EXPORT_DATE
        )
        assert ingest.success
        outcome = run_backfill(
            instance,
            PARTITIONS,
            env={**env, "PYTHONPATH": str(REPO_ROOT)},
            tags={"regionomie/trigger": "test"},
            timeout=900,
            daemon_log=tmp_path / "daemon.log",
            # not the repository: Dagster would add a developer's .env (the quickstart's
            # Neo4j password) to the runs' environment, over this test server's
            cwd=tmp_path,
        )
        assert outcome.succeeded, [
            (r.run_id, r.status, _failures(instance, r.run_id)) for r in outcome.runs
        ]
        runs = {r.tags["dagster/partition"]: r for r in outcome.runs}
        assert set(runs) == set(PARTITIONS)

        # both runs' events are in the instance's event log: every step succeeded
        windows = {}
        for partition, run in runs.items():
            steps = step_windows(instance, run.run_id)
            assert set(steps) == {"regional_opportunities", "opportunity_nodes",
                                  "opportunity_exports"}, steps  # fmt: skip
            windows[partition] = steps
            records = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_SUCCESS)
            assert len(records) == 3
        # the two runs were under way at the same time ...
        spans = [
            (min(s for s, _ in w.values()), max(e for _, e in w.values())) for w in windows.values()
        ]
        (a0, a1), (b0, b1) = spans
        assert a0 < b1 and b0 < a1, "the two partitions did not overlap"
        # ... while their Neo4j writes took turns (pool neo4j_write, limit 1)
        (w0, w1), (v0, v1) = (w["opportunity_nodes"] for w in windows.values())
        assert w1 <= v0 or v1 <= w0, "two Neo4j writers at once despite the pool"

        # the graph holds both regions' opportunities, as many as each run says it wrote
        for partition, run in runs.items():
            records, _, _ = empty_graph.execute_query(
                "MATCH (o:Opportunity {region: $region}) RETURN count(o) AS n", region=partition
            )
            written = [
                r.asset_materialization.metadata["opportunity_nodes"].value
                for r in instance.all_logs(
                    run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
                )
                if r.asset_materialization.asset_key == dg.AssetKey("opportunity_nodes")
            ]
            assert written and records[0]["n"] == written[0] > 0, partition
            export = tmp_path / "exports" / partition / "latest" / "opportunities.parquet"
            assert export.is_file()  # a scheduled/backfilled run exports under today's date
    print(f"\n{storage}: ingest + two-partition backfill {time.perf_counter() - started:.1f} s "
          f"(backfill {outcome.seconds:.1f} s)")  # fmt: skip


@pytest.mark.parametrize("command", [["run"], ["ui", "--port", "0"]])
def test_production_with_something_missing_refuses_in_one_line(command, tmp_path):
    import subprocess
    import sys

    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "REGIONOMIE_ENV": "production",
        "REGIONOMIE_ENV_FILE": str(tmp_path / "absent.env"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "REGIONOMIE_STATE_DIR": str(tmp_path / "state"),
        "NEO4J_URI": "neo4j+s://graph.example.org:7687",
    }
    result = subprocess.run(
        [sys.executable, "-m", "regionomie.cli", *command],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: REGIONOMIE_ENV=production needs: NEO4J_PASSWORD;")
    assert "Postgres" in lines[0] and "Traceback" not in result.stderr


def _failures(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """Why a run failed, step by step, for the assertion message."""
    out = []
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is not None and event.event_type in (
            dg.DagsterEventType.STEP_FAILURE,
            dg.DagsterEventType.STEP_UP_FOR_RETRY,
            dg.DagsterEventType.RUN_FAILURE,
        ):
            error = getattr(event.event_specific_data, "error", None)
            while error is not None and error.cause is not None and "retries" in error.message:
                error = error.cause
            why = error.to_string()[-1500:] if error else event.message
            out.append(f"{event.step_key}: {why}")
    return out
