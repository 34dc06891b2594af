"""Latency from a file landing to updated exports, for the sample region.

Measured in one run on the project's own Neo4j (it must be running: `regionomie neo4j start`),
with its own temporary state, landing and export folders:
  baseline  the full main job on the sample region (what a from-scratch refresh costs);
  latency   drop one new LMA file -> landing sensor tick -> ingest_waste_job ->
            declarative-automation evaluation -> opportunities_job for the region.
The sensor interval (30 s minimum) and the automation daemon's tick (30 s by default) add at
most one interval each in production; they are reported, not slept.

    .venv/bin/python benchmarks/bench_latency.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

REGION = "regio-amersfoort"
SENSOR_INTERVAL_S = 30
AUTOMATION_TICK_S = 30


def main() -> int:
    from regionomie.settings import load_dotenv

    load_dotenv()
    root = Path(tempfile.mkdtemp(prefix="regionomie-latency-"))
    for key, sub in (
        ("REGIONOMIE_STATE_DIR", "state"),
        ("REGIONOMIE_EXPORTS_DIR", "exports"),
        ("REGIONOMIE_LANDING_DIR", "landing"),
        ("REGIONOMIE_ARCHIVE_DIR", "archive"),
    ):
        os.environ[key] = str(root / sub)

    import dagster as dg

    from assets.resources import LocalLandingZone
    from pipelines.definitions import build_definitions
    from pipelines.main import run_main_job
    from regionomie.paths import SAMPLE_DIR

    defs = build_definitions()
    instance = dg.DagsterInstance.ephemeral()
    started = time.perf_counter()
    full = run_main_job(defs, SAMPLE_DIR, REGION, instance, export_date="2026-01-05")
    baseline = time.perf_counter() - started
    assert full.success, "main job failed"
    # The automation daemon keeps a cursor; its first evaluation only starts tracking.
    tracking = dg.evaluate_automation_conditions(defs=defs, instance=instance)

    sample = next((SAMPLE_DIR / "waste").glob("*.csv")).read_text(encoding="utf-8").splitlines()
    columns = sample[0].split(";")
    rows = [line.split(";") for line in sample[1:201]]
    for row in rows:
        row[columns.index("MeldPeriodeJAAR")] = "2025"
    landing = root / "landing" / "waste"
    landing.mkdir(parents=True)
    path = landing / "ontvangstmeldingen_2025.csv"
    path.write_text("\n".join([sample[0], *(";".join(r) for r in rows)]) + "\n", "utf-8")
    old = time.time() - 60
    os.utime(path, (old, old))

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    tick = defs.get_sensor_def("waste_landing_sensor")(
        dg.build_sensor_context(
            instance=instance,
            resources={"landing_zone": LocalLandingZone(root=str(root / "landing"))},
        )
    )
    timings["sensor_tick"] = time.perf_counter() - t0
    request = tick.run_requests[0]
    t0 = time.perf_counter()
    ingest = defs.resolve_job_def("ingest_waste_job").execute_in_process(
        run_config=request.run_config, instance=instance, tags=request.tags
    )
    timings["ingest_waste_job"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    evaluation = dg.evaluate_automation_conditions(
        defs=defs, instance=instance, cursor=tracking.cursor
    )
    timings["automation_evaluation"] = time.perf_counter() - t0
    requested = evaluation.get_num_requested(dg.AssetKey("regional_opportunities"))
    t0 = time.perf_counter()
    region_run = defs.resolve_job_def("opportunities_job").execute_in_process(
        instance=instance,
        partition_key=REGION,
        run_config={"ops": {"opportunity_exports": {"config": {"date": "2026-01-05"}}}},
    )
    timings["opportunities_job"] = time.perf_counter() - t0
    assert ingest.success and region_run.success and requested > 0
    compute = sum(timings.values())
    print(f"baseline full main job on the sample: {baseline:.1f} s")
    for name, seconds in timings.items():
        print(f"  {name:24} {seconds:7.1f} s")
    print(
        f"file landed -> exports updated (compute): {compute:.1f} s "
        f"= {compute / baseline:.2f} x the full run"
    )
    print(
        f"worst case with sensor interval {SENSOR_INTERVAL_S} s and automation tick "
        f"{AUTOMATION_TICK_S} s: {compute + SENSOR_INTERVAL_S + AUTOMATION_TICK_S:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
