"""First load of an EMPTY database with `neo4j-admin database import full` (offline): stop
check, import, start the server, migrations, LoadRun.

Why its own module: this is server control (it starts the project's own Neo4j), not loading;
the CSVs come from import_files.py and the rows from rows.py, shared with the transactional
loader, so the graph is the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from neo4j import GraphDatabase

from regionomie import neo4j_server as server
from regionomie.graph import frames as gf
from regionomie.graph import migrations
from regionomie.graph.import_files import write_import_files
from regionomie.graph.load_runs import LoadRun, finish_load_run, start_load_run
from regionomie.graph.model import MODEL, GraphModel
from regionomie.graph.rows import LoadResult


def bulk_initial_load(
    settings: server.ServerSettings,
    password: str,
    frames: gf.GraphFrames,
    run: LoadRun,
    *,
    work_dir: Path | str,
    model: GraphModel = MODEL,
    log: Callable[[str], None] = lambda _msg: None,
) -> tuple[LoadResult, dict[str, float]]:
    """Initial load of an EMPTY database with `neo4j-admin database import full` (offline),
    then start the server, apply the migrations (constraints/indexes) and record the LoadRun.

    Why: for a first national load the offline importer is several times faster than any
    transactional load (measured in benchmarks/README.md). The graph it writes is the same as
    load_graph_frames() would write (same row_hash, so the next incremental load only writes
    what changed). Refuses to run while the server of `settings` is up: the import replaces
    the 'neo4j' database.
    """
    if server.read_pid(settings):
        raise server.Neo4jServerError(
            f"Neo4j at {settings.instance_dir} is running: stop it first "
            "(`regionomie neo4j stop`); bulk_initial_load replaces the whole database."
        )
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    args, result = write_import_files(frames, run, work_dir, model=model)
    timings["write_csv_s"] = time.monotonic() - t0
    server.install(settings, log=log)
    server.write_config(settings)
    t0 = time.monotonic()
    proc = server.admin_command(
        settings,
        "database",
        "import",
        "full",
        "neo4j",
        "--overwrite-destination=true",
        "--skip-bad-relationships=false",
        *args,
    )
    timings["import_s"] = time.monotonic() - t0
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-12:])
        raise server.Neo4jServerError(f"neo4j-admin database import failed:\n{tail}")
    t0 = time.monotonic()
    server.start(settings, password, log=log)
    timings["start_s"] = time.monotonic() - t0
    t0 = time.monotonic()
    with GraphDatabase.driver(settings.bolt_uri, auth=(server.DEFAULT_USER, password)) as driver:
        migrations.migrate(driver)
        driver.execute_query("CALL db.awaitIndexes(3600)")
        timings["migrate_s"] = time.monotonic() - t0
        start_load_run(driver, run.run_id, run.source, as_of=run.as_of, mode="bulk")
        finish_load_run(driver, run, [result])
    return result, timings
