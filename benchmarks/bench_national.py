"""The whole country in one run: the national synthetic register through the main job, every
COROP area a partition of one backfill, on a production-like instance.

In one run of this script, each part against a fresh Neo4j (free ports, temporary folder,
stopped at the end) and fresh state, generation excluded from every figure:

1. baseline: one 60,000-establishment region through `regionomie run` (the main job in one
   process), as benchmarks/bench_region.py does: wall time, time per establishment;
2. national: the ingest side of the main job (landing, tables, quality, graph) as one run of
   `graph_refresh_job` (`dagster job execute`, multiprocess executor), then the region job
   backfilled over every COROP area (`dagster job backfill`, launched by the real daemon,
   two runs at a time, steps in processes, the Neo4j writers through the neo4j_write pool),
   with Dagster's storage in PostgreSQL (`--storage postgres`, the default) or SQLite;
3. comparison: the same few partitions once more, in one process one after another
   (`execute_in_process`) and as a backfill with the multiprocess executor.

Reported: wall and CPU time, peak memory of every process (VmHWM sampled from /proc) and of
Neo4j, time per partition (min/median/max, with establishments per partition), graph size,
rows loaded per second, export sizes, Neo4j writes retried after transient errors, and the
ratio time per establishment national / baseline.

    .venv/bin/python benchmarks/bench_national.py [--data DIR] [--establishments 2000000]
        [--waste-scale 0.1] [--baseline 60000] [--compare 4] [--storage postgres|sqlite]
        [--heap 3g --pagecache 3g] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_region import _free_port, _vm_hwm_mb  # noqa: E402

from regionomie import neo4j_server as server  # noqa: E402
from regionomie import postgres_server as pg  # noqa: E402

PYTHON = Path(sys.executable)
VENV = str(PYTHON.parent.parent)
DATE = "2026-12-01"


class Sampler:
    """Samples VmHWM (peak RSS so far) of every process of this project's venv and of one
    JVM every second; a process's figure is its last sample before it exits."""

    def __init__(self, java_pid: int | None) -> None:
        self.java_pid = java_pid
        self.peaks: dict[int, tuple[float, str]] = {}
        self.neo4j_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.sample()

    def sample(self) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                if pid == self.java_pid:
                    self.neo4j_mb = max(self.neo4j_mb, _vm_hwm_mb(pid) or 0.0)
                    continue
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if VENV not in cmd and "multiprocessing" not in cmd:
                continue
            if "multiprocessing" in cmd and VENV not in cmd:
                continue
            peak = _vm_hwm_mb(pid)
            if peak is not None and peak > self.peaks.get(pid, (0.0, ""))[0]:
                self.peaks[pid] = (peak, _label(cmd))

    def top(self, n: int = 5) -> list[dict[str, Any]]:
        ranked = sorted(self.peaks.items(), key=lambda kv: -kv[1][0])[:n]
        return [{"pid": pid, "peak_mb": mb, "process": label} for pid, (mb, label) in ranked]


def _label(cmd: str) -> str:
    for mark in ("dagster-daemon", "api execute_run", "api grpc", "job execute", "spawn_main"):
        if mark in cmd:
            return {"spawn_main": "step process"}.get(mark, mark)
    return cmd.split(" ")[1][-60:] if " " in cmd else cmd[-60:]


def _java_pid(settings: server.ServerSettings) -> int | None:
    launcher = server.read_pid(settings)
    if not launcher:
        return None
    try:
        kids = [
            int(p) for p in Path(f"/proc/{launcher}/task/{launcher}/children").read_text().split()
        ]
    except OSError:
        kids = []
    return kids[0] if len(kids) == 1 else launcher


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def generate(out: Path, *, national: bool, establishments: int, waste_scale: float) -> Path:
    if (out / "kvk").is_dir():
        return out
    command = [str(PYTHON), "-m", "regionomie.sample.generator", "--out", str(out)]
    command += ["--establishments", str(establishments), "--seed", "7"]
    if national:
        command += ["--national", "--waste-scale", str(waste_scale)]
    subprocess.run(command, cwd=REPO_ROOT, check=True, capture_output=True)
    return out


def start_neo4j(folder: Path, heap: str, pagecache: str) -> tuple[server.ServerSettings, str]:
    settings = server.ServerSettings(
        instance_dir=folder / "neo4j",
        bolt_port=_free_port(),
        http_port=_free_port(),
        heap=heap,
        pagecache=pagecache,
    )
    password = server.generate_password()
    server.start(settings, password, log=lambda *_: None)
    return settings, password


def base_env(state: Path, settings: server.ServerSettings, password: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "NEO4J_URI": settings.bolt_uri,
        "NEO4J_USER": server.DEFAULT_USER,
        "NEO4J_PASSWORD": password,
        "REGIONOMIE_STATE_DIR": str(state),
        "DAGSTER_HOME": str(state / "dagster_home"),
        "REGIONOMIE_EXPORTS_DIR": str(state / "exports"),
        "REGIONOMIE_LANDING_DIR": str(state / "landing"),
        "REGIONOMIE_ENV_FILE": str(state / "absent.env"),
        "REGIONOMIE_PSEUDONYM_KEY": "bench-national-pseudonym-key-0123456789",
        "REGIONOMIE_MAX_CONCURRENT": "2",
    }


def baseline(data: Path, work: Path, heap: str, pagecache: str) -> dict[str, Any]:
    """One region through `regionomie run` (what bench_region.py measures)."""
    state = work / "baseline"
    settings, password = start_neo4j(state, heap, pagecache)
    env = base_env(state, settings, password)
    (state / "dagster_home").mkdir(parents=True, exist_ok=True)
    try:
        with Sampler(_java_pid(settings)) as sampler:
            started, cpu = time.perf_counter(), _cpu_children()
            proc = subprocess.run(
                [
                    str(PYTHON.with_name("regionomie")),
                    "run",
                    "--region",
                    "regio-amersfoort",
                    "--date",
                    DATE,
                    "--data",
                    str(data),
                    "--no-start",
                ],  # fmt: skip
                cwd=REPO_ROOT,
                env=env,
                capture_output=True,
                text=True,  # fmt: skip
            )
            wall = time.perf_counter() - started
            cpu = _cpu_children() - cpu
    finally:
        server.stop(settings)
    if proc.returncode != 0:
        raise RuntimeError(f"baseline run failed:\n{proc.stderr[-3000:]}")
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "peak_process_mb": sampler.top(1)[0]["peak_mb"] if sampler.peaks else None,
        "neo4j_peak_mb": sampler.neo4j_mb,
    }


def _landing_config(data: Path, path: Path) -> Path:
    from pipelines.main import source_files

    config = {
        "ops": {
            f"{source}_landing": {"config": {"files": files, "archive": False}}
            for source, files in source_files(data).items()
        },
        "loggers": {"console": {"config": {"log_level": "WARNING"}}},
    }
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def national(
    data: Path,
    work: Path,
    heap: str,
    pagecache: str,
    storage: str,
    compare: int,
    limit: int = 0,
) -> dict[str, Any]:
    import dagster as dg

    state = work / "national"
    home = state / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    settings, password = start_neo4j(state, heap, pagecache)
    env = base_env(state, settings, password)
    pg_settings = None
    if storage == "postgres":
        pg_settings = pg.PostgresSettings(
            instance_dir=Path(tempfile.mkdtemp(prefix="regionomie-pg-")) / "postgres",
            port=_free_port(),
        )
        started = pg.start(pg_settings)
        env.update(pg_settings.environment(started["password"]))
        (home / "dagster.yaml").write_text(
            (REPO_ROOT / "deploy" / "dagster.yaml").read_text(encoding="utf-8"), encoding="utf-8"
        )
    else:
        from regionomie.settings import DAGSTER_YAML

        (home / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ.update({k: v for k, v in env.items() if k.startswith(("DAGSTER", "REGIONOMIE"))})
    out: dict[str, Any] = {"storage": storage}
    try:
        with Sampler(_java_pid(settings)) as sampler:
            cpu0 = _cpu_children()
            # 1. ingest: landing, tables, quality, graph: one run, steps in processes
            config = _landing_config(data, state / "ingest.json")
            t0 = time.perf_counter()
            ingest = subprocess.run(
                [
                    str(PYTHON.with_name("dagster")),
                    "job",
                    "execute",
                    "-w",
                    str(REPO_ROOT / "workspace.yaml"),
                    "-j",
                    "graph_refresh_job",
                    "-c",
                    str(config),
                ],  # fmt: skip
                cwd=REPO_ROOT,
                env=env,
                capture_output=True,
                text=True,  # fmt: skip
            )
            out["ingest_s"] = round(time.perf_counter() - t0, 1)
            if ingest.returncode != 0:
                raise RuntimeError(
                    f"ingest failed:\n{ingest.stdout[-2000:]}{ingest.stderr[-2000:]}"
                )
            # 2. every COROP area as a partition of one backfill
            from assets.partitions import NATIONAL_KIND, REGIONS, partition_keys_of_kind
            from pipelines.national import run_backfill

            partitions = partition_keys_of_kind(NATIONAL_KIND)
            if limit:  # a smoke test of the bench itself, not a national figure
                partitions = partitions[:limit]
            with dg.DagsterInstance.get() as instance:
                outcome = run_backfill(
                    instance,
                    partitions,
                    env=env,
                    tags={"regionomie/trigger": "bench"},
                    timeout=4 * 3600,
                    daemon_log=state / "daemon.log",  # fmt: skip
                )
                out["backfill_s"] = round(outcome.seconds, 1)
                out["wall_s"] = round(out["ingest_s"] + outcome.seconds, 1)
                out["cpu_s"] = round(_cpu_children() - cpu0, 1)
                out["runs_succeeded"] = sum(
                    r.status == dg.DagsterRunStatus.SUCCESS for r in outcome.runs
                )
                out["runs"] = len(outcome.runs)
                out["partitions"] = _partition_times(instance, outcome.runs, REGIONS, data)
                out["neo4j_retries"] = _retries(instance)
                out["compare"] = _compare(instance, partitions, compare, env, state)
        out["peak_processes"] = sampler.top(6)
        out["peak_process_mb"] = out["peak_processes"][0]["peak_mb"] if sampler.peaks else None
        out["neo4j_peak_mb"] = sampler.neo4j_mb
        out["graph"] = _graph_size(settings, password)
        out["rows_loaded_per_s"] = round(
            (out["graph"]["nodes"] + out["graph"]["relationships"]) / out["ingest_s"]
        )
        out["exports_mb"] = _export_sizes(state / "exports")
    finally:
        server.stop(settings)
        if pg_settings is not None:
            pg.stop(pg_settings)
    return out


def _partition_times(instance, runs, regions, data: Path) -> dict[str, Any]:
    import pandas as pd

    est = pd.read_csv(
        next((data / "kvk").glob("establishments_*.csv")), sep=";", usecols=["municipality_code"]
    )["municipality_code"].value_counts()
    rows = []
    for run in runs:
        record = instance.get_run_record_by_id(run.run_id)
        if record is None or record.start_time is None or record.end_time is None:
            continue
        key = run.tags.get("dagster/partition", "")
        size = int(est.reindex(list(regions[key].municipality_codes)).fillna(0).sum())
        rows.append((record.end_time - record.start_time, key, size))
    seconds = sorted(r[0] for r in rows)
    slowest = max(rows)
    return {
        "min_s": round(seconds[0], 1),
        "median_s": round(statistics.median(seconds), 1),
        "max_s": round(seconds[-1], 1),
        "slowest": {"partition": slowest[1], "establishments": slowest[2]},
        "largest_establishments": max(r[2] for r in rows),
        "smallest_establishments": min(r[2] for r in rows),
    }


def _retries(instance) -> dict[str, int]:
    import dagster as dg

    total: dict[str, int] = {}
    writers = ("graph_schema", "graph_reference", "graph_knowledge_base", "graph_establishments",
               "graph_waste", "graph_challenges", "opportunity_nodes")  # fmt: skip
    for key in writers:
        records = instance.fetch_materializations(dg.AssetKey(key), limit=1000).records
        for record in records:
            value = record.asset_materialization.metadata.get("neo4j_retries")
            total[key] = total.get(key, 0) + int(value.value if value is not None else 0)
    return total


def _compare(instance, partitions, k: int, env: dict[str, str], state: Path) -> dict[str, Any]:
    """k partitions again: one process, one after another, vs a backfill of them."""
    if k <= 0:
        return {}
    step = max(1, len(partitions) // k)
    chosen = partitions[::step][:k]
    script = (
        "import sys, time\n"
        "from pipelines.definitions import defs\n"
        "import dagster as dg\n"
        "job = defs.get_job_def('opportunities_job')\n"
        "with dg.DagsterInstance.get() as instance:\n"
        "    for key in sys.argv[1:]:\n"
        "        r = job.execute_in_process(instance=instance, partition_key=key,\n"
        "                                   raise_on_error=False)\n"
        "        assert r.success, key\n"
    )
    t0 = time.perf_counter()
    single = subprocess.run(
        [str(PYTHON), "-c", script, *chosen],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,  # fmt: skip
    )
    one_process = time.perf_counter() - t0
    if single.returncode != 0:
        raise RuntimeError(f"in-process comparison failed:\n{single.stderr[-2000:]}")
    from pipelines.national import run_backfill

    outcome = run_backfill(instance, chosen, env=env, tags={"regionomie/trigger": "bench-compare"},
                           timeout=3600, daemon_log=state / "daemon-compare.log")  # fmt: skip
    return {
        "partitions": chosen,
        "one_process_s": round(one_process, 1),
        "multiprocess_backfill_s": round(outcome.seconds, 1),
        "speedup": round(one_process / outcome.seconds, 2),
    }


def _graph_size(settings: server.ServerSettings, password: str) -> dict[str, int]:
    from neo4j import GraphDatabase

    with GraphDatabase.driver(settings.bolt_uri, auth=(server.DEFAULT_USER, password)) as driver:
        nodes = driver.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"]
        rels = driver.execute_query("MATCH ()-[r]->() RETURN count(r) AS n").records[0]["n"]
    return {"nodes": nodes, "relationships": rels}


def _export_sizes(root: Path) -> dict[str, float]:
    total, parquet, regions = 0, 0, 0
    for folder in root.glob(f"*/{DATE}"):
        regions += 1
        for path in folder.iterdir():
            if path.is_file():
                total += path.stat().st_size
                parquet += path.stat().st_size if path.suffix == ".parquet" else 0
    return {
        "regions": regions,
        "all_mb": round(total / 1_048_576, 1),
        "parquet_mb": round(parquet / 1_048_576, 1),
        "reader_files_mb": round((total - parquet) / 1_048_576, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, help="national data folder (generated if empty)")
    parser.add_argument("--establishments", type=int, default=2_000_000)
    parser.add_argument("--waste-scale", type=float, default=0.1)
    parser.add_argument("--baseline", type=int, default=60_000, help="0: no baseline")
    parser.add_argument("--compare", type=int, default=4, help="partitions compared, 0: none")
    parser.add_argument("--storage", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--heap", default=os.environ.get("NEO4J_HEAP", "3g"))
    parser.add_argument("--pagecache", default=os.environ.get("NEO4J_PAGECACHE", "3g"))
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--partitions", type=int, default=0, help="only the first N (smoke test)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-national-"))
    work.mkdir(parents=True, exist_ok=True)
    data = generate(args.data or work / "data", national=True,
                    establishments=args.establishments, waste_scale=args.waste_scale)  # fmt: skip
    results: dict[str, Any] = {
        "establishments": args.establishments,
        "waste_scale": args.waste_scale,
        "neo4j": {"heap": args.heap, "pagecache": args.pagecache},
        "load_average_before": os.getloadavg(),
    }
    if args.baseline:
        region = generate(work / f"region-{args.baseline}", national=False,
                          establishments=args.baseline, waste_scale=1.0)  # fmt: skip
        results["baseline"] = baseline(region, work, args.heap, args.pagecache)
        results["baseline"]["establishments"] = args.baseline
        print(f"baseline: {json.dumps(results['baseline'])}", file=sys.stderr)
    results["national"] = national(
        data, work, args.heap, args.pagecache, args.storage, args.compare, args.partitions
    )
    if args.baseline:
        per_national = results["national"]["wall_s"] / args.establishments
        per_region = results["baseline"]["wall_s"] / args.baseline
        results["time_per_establishment_ratio"] = round(per_national / per_region, 3)
    results["load_average_after"] = os.getloadavg()
    text = json.dumps(results, indent=2, default=str)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
