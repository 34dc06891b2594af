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
    """A table as the run stored it: the table IO manager's Parquet (storage/tables/<name>/
    <partition or _>.parquet, establishments read for the region and its surroundings as a
    region step reads them), else a pickle (.pkl there, or storage/<name>[/<region>] of runs
    before the table IO manager)."""
    tables = home / "storage" / "tables" / name
    for leaf in (region, "_"):
        if (tables / f"{leaf}.parquet").exists():
            return _parquet(tables / f"{leaf}.parquet", name, region)
        if (tables / f"{leaf}.pkl").exists():
            with (tables / f"{leaf}.pkl").open("rb") as handle:
                return pickle.load(handle)
    path = home / "storage" / name
    path = path / region if path.is_dir() else path
    with path.open("rb") as handle:
        return pickle.load(handle)


def _parquet(path: Path, name: str, region: str) -> object:
    import pyarrow.parquet as pq

    filters = None
    if name == "establishments":  # assets/resources.py REGION_SCOPED_COLUMNS, _region_scope
        from regionomie.domain import reference
        from regionomie.domain.regions import get_region, surrounding_municipalities

        codes = surrounding_municipalities(get_region(region), reference.load_municipalities())
        filters = [("municipality_code", "in", sorted(codes))]
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the code location
    from assets.resources import _as_written  # the frame exactly as a step receives it

    return _as_written(pq.read_table(path, filters=filters))


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
    try:  # the opportunity_exports asset's third table (open-data mode), since issue 23
        tables["sector_density"] = _stored(args.home, "sector_density", args.region)
    except FileNotFoundError:
        pass
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
