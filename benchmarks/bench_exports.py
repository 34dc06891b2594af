"""The exports step alone (opportunity_exports: every reader file, the report and the Parquet),
on a region result stored by a previous `regionomie run` (the Parquet frames of the IO manager
under $DAGSTER_HOME/storage), so two code versions can be timed on the same data:

    .venv/bin/regionomie run                       # once: stores the sample's result
    .venv/bin/python benchmarks/bench_exports.py --home .regionomie/dagster_home --out /tmp/x

Prints the seconds of write_region_exports and the size of every file written. Run with another
checkout's interpreter to time that version on the same result (the script imports whichever
`regionomie` the interpreter has installed)."""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import time
from pathlib import Path


def _stored(home: Path, name: str, region: str) -> object:
    path = home / "storage" / name
    path = path / region if path.is_dir() else path
    with path.open("rb") as handle:
        return pickle.load(handle)


def main() -> None:
    from regionomie import flow
    from regionomie.domain.opportunities.store import load_result
    from regionomie.domain.regions import get_region

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="DAGSTER_HOME of the stored run")
    parser.add_argument("--out", type=Path, required=True, help="scratch exports root")
    parser.add_argument("--region", default="regio-amersfoort")
    parser.add_argument("--date", default="2026-12-07")
    args = parser.parse_args()
    folder = args.home / "storage" / "opportunity_results" / "regional_opportunities"
    result = load_result(folder / args.region)
    tables = {
        "establishments": _stored(args.home, "establishments", args.region),
        "municipalities": _stored(args.home, "municipalities", args.region),
    }
    shutil.rmtree(args.out, ignore_errors=True)
    config = flow.FlowConfig(exports_root=args.out)
    started = time.perf_counter()
    paths = flow.write_region_exports(
        get_region(args.region), result, tables, flow.export_date(args.date), config
    )
    seconds = time.perf_counter() - started
    sizes = {p.name: p.stat().st_size for p in sorted(paths["latest"].resolve().iterdir())}
    print(json.dumps({"exports_seconds": round(seconds, 2), "bytes": sizes}))


if __name__ == "__main__":
    main()
