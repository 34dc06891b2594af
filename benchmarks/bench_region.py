"""The whole main job at real size, against the shipped sample, in one run.

For the shipped 3,000-establishment sample and generated regions (default 60,000 and 150,000
establishments, `python -m regionomie.sample.generator --seed 7`), each in a fresh state folder
and against its own fresh Neo4j (free ports, temporary folder, stopped afterwards), this runs
`regionomie run` as a user would and reports:

- wall time, CPU time (user + system) and peak RSS of the Python process (`/usr/bin/time`);
- peak RSS of the Neo4j server during the run (VmHWM of its JVM);
- candidates generated, kept and pruned at each bound (the regional_opportunities asset);
- the size of every export file (manifest.json);
- the ratios time(60k) / time(sample) and time(150k) / time(60k).

    .venv/bin/python benchmarks/bench_region.py [--sizes 60000,150000] [--repeat N] [--json F]

With --repeat N every size runs N times, in rounds (sample, 60k, 150k, sample, 60k, ...), so
a slow spell of a shared machine hits every size alike; the ratios use each size's fastest
run (the other runs' walls are printed beside it).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
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

from regionomie import neo4j_server as server  # noqa: E402
from regionomie.paths import SAMPLE_DIR  # noqa: E402

REGION = "regio-amersfoort"
DATE = "2026-12-01"
PYTHON = Path(sys.executable)
REGIONOMIE = PYTHON.with_name("regionomie")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _vm_hwm_mb(pid: int) -> float | None:
    """Peak resident memory of a process so far (its JVM for Neo4j), from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _java_pid(launcher_pid: int) -> int:
    """The JVM under the pid Neo4j's launcher recorded (itself, or its only java child)."""
    children = Path(f"/proc/{launcher_pid}/task/{launcher_pid}/children")
    try:
        kids = [int(p) for p in children.read_text().split()]
    except OSError:
        kids = []
    return kids[0] if len(kids) == 1 else launcher_pid


def generate(size: int, target: Path) -> Path:
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "regionomie.sample.generator",
            "--out",
            str(target),
            "--establishments",
            str(size),
            "--seed",
            "7",
        ],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    return target


def run_once(name: str, data: Path, work: Path) -> dict[str, Any]:
    """`regionomie run` on `data` against a fresh Neo4j and fresh state; measured."""
    state = work / name
    instance = state / "neo4j"
    settings = server.ServerSettings(
        instance_dir=instance,
        bolt_port=_free_port(),
        http_port=_free_port(),
        heap=os.environ.get("NEO4J_HEAP", "4g"),
        pagecache=os.environ.get("NEO4J_PAGECACHE", "4g"),
    )
    password = server.generate_password()
    server.start(settings, password, log=lambda *_: None)
    launcher = server.read_pid(settings)
    java = _java_pid(launcher) if launcher else None
    peak_neo4j: list[float] = [0.0]
    stop = threading.Event()

    def watch() -> None:  # VmHWM survives only while the JVM runs: sample it
        while not stop.wait(1.0):
            if java:
                peak_neo4j[0] = max(peak_neo4j[0], _vm_hwm_mb(java) or 0.0)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    env = {
        **os.environ,
        "NEO4J_URI": settings.bolt_uri,
        "NEO4J_USER": server.DEFAULT_USER,
        "NEO4J_PASSWORD": password,
        "REGIONOMIE_STATE_DIR": str(state),
        "DAGSTER_HOME": str(state / "dagster_home"),
        "REGIONOMIE_EXPORTS_DIR": str(state / "exports"),
        "REGIONOMIE_CACHE_DIR": os.environ.get("REGIONOMIE_CACHE_DIR", str(work / "cache")),
    }
    (state / "dagster_home").mkdir(parents=True, exist_ok=True)
    timing = state / "time.txt"
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [
                "/usr/bin/time",
                "-f",
                "%e %U %S %M",
                "-o",
                str(timing),
                str(REGIONOMIE),
                "run",
                "--region",
                REGION,
                "--date",
                DATE,
                "--data",
                str(data),
                "--no-start",
            ],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        checksum = subprocess.run(
            [str(REGIONOMIE), "graph", "checksum"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
        ).stdout.strip()
    finally:
        stop.set()
        watcher.join()
        if java:
            peak_neo4j[0] = max(peak_neo4j[0], _vm_hwm_mb(java) or 0.0)
        server.stop(settings)
    if proc.returncode != 0:
        raise RuntimeError(f"{name}: run failed:\n{proc.stderr[-3000:]}")
    elapsed, user, system, rss_kb = timing.read_text().split()[-4:]
    manifest = json.loads(
        (state / "exports" / REGION / DATE / "manifest.json").read_text(encoding="utf-8")
    )
    return {
        "name": name,
        "wall_s": round(wall, 1),
        "cpu_s": round(float(user) + float(system), 1),
        "python_peak_rss_mb": round(int(rss_kb) / 1024, 1),
        "neo4j_peak_rss_mb": peak_neo4j[0],
        "candidates": _pruning(state),
        "export_mb": {
            f: round(v["bytes"] / 1_048_576, 2) for f, v in sorted(manifest["files"].items())
        },
        "fingerprint": {
            "graph_checksum": checksum,
            **{f: v["sha256"] for f, v in sorted(manifest["files"].items())},
        },
        "console": [line for line in proc.stderr.splitlines() if line.startswith("  ")],
    }


def _pruning(state: Path) -> dict[str, int]:
    """candidates_* metadata of the last regional_opportunities materialisation."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(state / "dagster_home")
    with dg.DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey("regional_opportunities"))
    assert event is not None and event.asset_materialization is not None
    return {
        key.removeprefix("candidates_"): int(value.value)
        for key, value in event.asset_materialization.metadata.items()
        if key.startswith("candidates_")
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="60000,150000")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (best counts)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    rounds: list[list[dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="bench-region-") as tmp:
        work = Path(tmp)
        runs = [("sample", SAMPLE_DIR)] + [
            (f"n={size}", generate(size, work / f"data-{size}")) for size in sizes
        ]
        for round_no in range(max(1, args.repeat)):
            rounds.append([])
            for name, data in runs:
                result = run_once(name, data, work / f"round-{round_no}")
                rounds[-1].append(result)
                _print(result)
    results = [
        {**min(tries, key=lambda r: r["wall_s"]), "walls_s": [r["wall_s"] for r in tries]}
        for tries in zip(*rounds, strict=True)
    ]
    if len(rounds) > 1:
        print("fastest of each size:", {r["name"]: (r["wall_s"], r["walls_s"]) for r in results})
    base = results[0]["wall_s"]
    ratios = {r["name"]: round(r["wall_s"] / base, 2) for r in results[1:]}
    if len(results) > 2:
        ratios[f"{results[2]['name']} / {results[1]['name']}"] = round(
            results[2]["wall_s"] / results[1]["wall_s"], 2
        )
    print(f"wall-time ratios against the sample (and between sizes): {ratios}")
    if args.json:
        args.json.write_text(json.dumps({"runs": results, "ratios": ratios}, indent=1))
    return 0


def _print(r: dict[str, Any]) -> None:
    non_parquet = sum(v for f, v in r["export_mb"].items() if not f.endswith(".parquet"))
    print(
        f"{r['name']:<9} wall {r['wall_s']:7.1f} s  cpu {r['cpu_s']:7.1f} s  "
        f"python peak {r['python_peak_rss_mb']:8.1f} MB  "
        f"neo4j peak {r['neo4j_peak_rss_mb']:8.1f} MB"
    )
    print(f"          candidates {r['candidates']}")
    print(f"          exports (MB) {r['export_mb']}  non-Parquet total {non_parquet:.1f} MB")
    print(f"          graph checksum {r['fingerprint']['graph_checksum']}")
    for line in r["console"]:
        print(f"          {line.strip()}")


if __name__ == "__main__":
    sys.exit(main())
