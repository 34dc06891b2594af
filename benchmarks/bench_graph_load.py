"""Graph load benchmark: national-scale synthetic KvK/LMA data into a private Neo4j.

Measures in ONE run (see benchmarks/README.md, section "Graph load"):
  1. the transactional loader's full initial load (rows/s, wall time);
  2. an incremental load where 1% of establishments and 1% of PRODUCES rows changed;
  3. a naive baseline on a 20,000-row slice (one MERGE per row, own transaction) -> ratio;
  4. `neo4j-admin database import full` of the same data (CSV with headers) -> ratio,
     including the constraint/index build after the import;
and the peak RSS of this Python process. It starts its own Neo4j (free ports, temp dir,
bigger heap/page cache) and always stops it.

    .venv/bin/python benchmarks/bench_graph_load.py --scale 1.0       # 2,000,000 establishments
    .venv/bin/python benchmarks/bench_graph_load.py --scale 0.05      # quick
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from regionomie import neo4j_server as server  # noqa: E402
from regionomie.graph import frames as gf  # noqa: E402
from regionomie.graph import loader, migrations  # noqa: E402

NATIONAL_ESTABLISHMENTS = 2_000_000
SEED = 20260101


class PeakRss:
    """Samples this process's RSS every 50 ms; peak() since the last reset()."""

    def __init__(self) -> None:
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def current() -> int:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, self.current())
            time.sleep(0.05)

    def reset(self) -> None:
        self._peak = self.current()

    def peak_mb(self) -> float:
        return round(max(self._peak, self.current()) / 2**20, 1)

    def stop(self) -> None:
        self._stop.set()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- synthetic data


def synthetic_tables(n_est: int, seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Vectorised synthetic region of n_est establishments in the contract shapes."""
    rng = np.random.default_rng(seed)
    sbi = pd.read_csv(
        Path(__file__).resolve().parent.parent / "data/reference/sbi2008.csv", dtype=str
    ).fillna("")
    eural = pd.read_csv(
        Path(__file__).resolve().parent.parent / "data/reference/eural.csv", dtype=str
    ).fillna("")
    n_muni = 342
    muni_codes = np.array([f"GM{i:04d}" for i in range(1, n_muni + 1)])
    prov_codes = np.array([f"PV{20 + i % 12:02d}" for i in range(n_muni)])
    municipalities = pd.DataFrame(
        {
            "municipality_code": muni_codes,
            "name": [f"Gemeente {i}" for i in range(1, n_muni + 1)],
            "province_code": prov_codes,
            "province_name": [f"Provincie {p}" for p in prov_codes],
            "lat": rng.uniform(50.8, 53.4, n_muni),
            "lon": rng.uniform(3.4, 7.2, n_muni),
        }
    )
    n_org = int(n_est * 0.8)
    org_ids = np.char.zfill(np.arange(10_000_000, 10_000_000 + n_org).astype(str), 8)
    sole = rng.random(n_org) < 0.3
    organisations = pd.DataFrame(
        {
            "kvk_nummer": org_ids,
            "name": np.char.add("Organisatie ", np.arange(n_org).astype(str)),
            "legal_form": np.where(sole, "Eenmanszaak", "Besloten Vennootschap"),
            "is_sole_proprietor": sole,
            "registration_date": "2010-01-01",
            "end_date": None,
            "employees": pd.array(rng.integers(1, 200, n_org), dtype="Int64"),
            "sbi_main": "56101",
            "sbi_version": "2008",
            "active": True,
        }
    )
    subclasses = sbi.loc[sbi["level"] == "subclass", "code"].to_numpy()
    est_ids = np.char.zfill(np.arange(1, n_est + 1).astype(str), 12)
    owner = np.concatenate([np.arange(n_org), rng.integers(0, n_org, n_est - n_org)])
    has_other = rng.random(n_est) < 0.25
    other = np.where(has_other, subclasses[rng.integers(0, len(subclasses), n_est)], "")
    muni_idx = rng.integers(0, n_muni, n_est)
    establishments = pd.DataFrame(
        {
            "vestigingsnummer": est_ids,
            "kvk_nummer": org_ids[owner],
            "trade_name": np.char.add("Vestiging ", np.arange(n_est).astype(str)),
            "is_sole_proprietor": sole[owner],
            "is_main": np.arange(n_est) < n_org,
            "sbi_main": subclasses[rng.integers(0, len(subclasses), n_est)],
            "sbi_version": "2008",
            "sbi_other": other,
            "nace_class": None,
            "sbi_mapped": True,
            "street": "Straat",
            "house_number": "1",
            "house_number_addition": "",
            "postcode": "1234AB",
            "city": "Plaats",
            "municipality_code": muni_codes[muni_idx],
            "lat": municipalities["lat"].to_numpy()[muni_idx] + rng.normal(0, 0.02, n_est),
            "lon": municipalities["lon"].to_numpy()[muni_idx] + rng.normal(0, 0.02, n_est),
            "employees": pd.array(rng.integers(1, 500, n_est), dtype="Int64"),
            "start_date": "2015-01-01",
            "end_date": None,
            "active": True,
        }
    )
    establishments["nace_class"] = establishments["sbi_main"].str[:4]
    entries = eural.loc[eural["level"] == "entry", "code"].to_numpy()
    n_prod = n_est // 2
    producers = rng.choice(n_est, n_prod, replace=False)
    produces = pd.DataFrame(
        {
            "start": est_ids[producers],
            "end": entries[rng.integers(0, len(entries), n_prod)],
            "period": "2024",
            "tonnes_per_year": np.round(rng.gamma(2.0, 5.0, n_prod), 3),
            "loads": pd.array(rng.integers(1, 50, n_prod), dtype="Int64"),
        }
    )
    return {
        "municipalities": municipalities,
        "sbi2008": sbi,
        "eural": eural,
        "organisations": organisations,
        "establishments": establishments,
        "produces": produces,
    }


def all_frames(tables: dict[str, pd.DataFrame]) -> gf.GraphFrames:
    return gf.merge_frames(
        gf.municipality_frames(tables["municipalities"]),
        gf.sector_frames(tables["sbi2008"]),
        gf.material_frames(tables["eural"]),
        gf.organisation_frames(tables["organisations"]),
        gf.establishment_frames(tables["establishments"]),
        gf.GraphFrames(relationships={"PRODUCES": tables["produces"]}),
    )


def frame_rows(frames: gf.GraphFrames) -> int:
    return sum(len(f) for f in frames.nodes.values()) + sum(
        len(f) for f in frames.relationships.values()
    )


# --------------------------------------------------------------------------- phases


def naive_load(driver, tables: dict[str, pd.DataFrame], n: int, prefix: str) -> float:
    """One MERGE per row in its own (auto-commit) transaction: node + its relationships."""
    est = tables["establishments"].iloc[:n]
    rows = loader._records(est)
    query = (
        "MERGE (e:Establishment {vestigingsnummer: $v}) "
        "SET e.name = $name, e.employees = $employees, e.active = $active, "
        "e.location = point({latitude: $lat, longitude: $lon}), e.source = 'naive' "
        "WITH e MATCH (m:Municipality {code: $m}) MERGE (e)-[:LOCATED_IN]->(m) "
        "WITH e MATCH (s:Sector {key: $s}) MERGE (e)-[:ACTIVE_IN {main: true}]->(s) "
        "WITH e MATCH (o:Organisation {kvkNummer: $k}) MERGE (o)-[:HAS_ESTABLISHMENT]->(e)"
    )
    t0 = time.monotonic()
    with driver.session() as session:
        for row in rows:
            session.run(
                query,
                v=prefix + row["vestigingsnummer"][len(prefix) :],
                name=row["trade_name"],
                employees=row["employees"],
                active=row["active"],
                lat=row["lat"],
                lon=row["lon"],
                m=row["municipality_code"],
                s="sbi2008:" + row["sbi_main"],
                k=row["kvk_nummer"],
            ).consume()
    return time.monotonic() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 2,000,000 establishments")
    parser.add_argument("--batch-size", type=int, default=loader.DEFAULT_BATCH_SIZE)
    parser.add_argument("--heap", default="6g")
    parser.add_argument("--pagecache", default="6g")
    parser.add_argument("--naive-rows", type=int, default=20_000)
    parser.add_argument(
        "--batch-sizes",
        default="",
        help="comma list, e.g. 2000,5000,10000,20000: also time a 30,000-establishment slice "
        "(fresh keys) at each batch size",
    )
    parser.add_argument("--skip-bulk", action="store_true")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)

    rss = PeakRss()
    report: dict[str, object] = {"scale": args.scale, "batch_size": args.batch_size}
    n_est = int(NATIONAL_ESTABLISHMENTS * args.scale)
    t0 = time.monotonic()
    tables = synthetic_tables(n_est)
    frames = all_frames(tables)
    report["generate_s"] = round(time.monotonic() - t0, 1)
    total_rows = frame_rows(frames)
    report["establishments"] = n_est
    report["nodes"] = sum(len(f) for f in frames.nodes.values())
    report["relationships"] = sum(len(f) for f in frames.relationships.values())
    print(
        f"generated {report['nodes']:,} nodes, {report['relationships']:,} relationships "
        f"in {report['generate_s']} s",
        flush=True,
    )

    tmp = Path(tempfile.mkdtemp(prefix="bench-graph-"))
    password = "p" + secrets.token_urlsafe(16)  # a leading "-" would be read as an option
    settings = server.ServerSettings(
        instance_dir=tmp / "tx",
        bolt_port=free_port(),
        http_port=free_port(),
        heap=args.heap,
        pagecache=args.pagecache,
    )
    from neo4j import GraphDatabase

    try:
        server.start(settings, password, log=lambda *_: None)
        with GraphDatabase.driver(
            settings.bolt_uri, auth=("neo4j", password), notifications_min_severity="OFF"
        ) as driver:
            migrations.migrate(driver)
            # 1. initial load
            rss.reset()
            run = loader.start_load_run(driver, "bench-initial", "bench", as_of="2025-01-31")
            t0 = time.monotonic()
            result = loader.load_graph_frames(driver, run, frames, batch_size=args.batch_size)
            wall = time.monotonic() - t0
            loader.finish_load_run(driver, run, [result])
            written = result.total("written")
            report["initial"] = {
                "wall_s": round(wall, 1),
                "rows": total_rows,
                "written": written,
                "rows_per_s": round(total_rows / wall),
                "peak_rss_mb": rss.peak_mb(),
                "per_family_s": {k: round(c.seconds, 1) for k, c in result.families.items()},
            }
            print("initial", json.dumps(report["initial"]), flush=True)

            # 2. incremental: 1% of establishments and 1% of PRODUCES rows changed
            rng = np.random.default_rng(SEED + 1)
            est = tables["establishments"]
            pick = rng.choice(len(est), max(1, len(est) // 100), replace=False)
            est.loc[est.index[pick], "employees"] = est["employees"].iloc[pick] + 1
            prod = tables["produces"]
            ppick = rng.choice(len(prod), max(1, len(prod) // 100), replace=False)
            prod.loc[prod.index[ppick], "tonnes_per_year"] = prod["tonnes_per_year"].iloc[ppick] + 1
            frames2 = all_frames(tables)
            rss.reset()
            run2 = loader.start_load_run(driver, "bench-incr", "bench", as_of="2025-02-28")
            t0 = time.monotonic()
            result2 = loader.load_graph_frames(
                driver, run2, frames2, batch_size=args.batch_size, full_snapshot=True
            )
            wall2 = time.monotonic() - t0
            loader.finish_load_run(driver, run2, [result2])
            report["incremental_1pct"] = {
                "wall_s": round(wall2, 1),
                "rows_compared": total_rows,
                "written": result2.total("written"),
                "expected_written": len(pick) + len(ppick),
                "closed": result2.total("closed"),
                "rows_per_s": round(total_rows / wall2),
                "peak_rss_mb": rss.peak_mb(),
            }
            print("incremental", json.dumps(report["incremental_1pct"]), flush=True)

            # 3. naive vs loader on the same-size fresh slice
            if not args.skip_naive:
                n = min(args.naive_rows, n_est)
                naive_s = naive_load(driver, tables, n, "9")
                slice_ = tables["establishments"].iloc[:n].copy()
                slice_["vestigingsnummer"] = "8" + slice_["vestigingsnummer"].str[1:]
                sf = gf.establishment_frames(slice_)
                run3 = loader.start_load_run(
                    driver, "bench-slice", "bench-slice", as_of="2025-03-31"
                )
                t0 = time.monotonic()
                loader.load_graph_frames(driver, run3, sf, batch_size=args.batch_size)
                slice_s = time.monotonic() - t0
                rows_slice = frame_rows(sf)
                report["naive_20k"] = {
                    "rows": n,
                    "graph_rows": rows_slice,
                    "naive_s": round(naive_s, 1),
                    "loader_s": round(slice_s, 2),
                    "naive_rows_per_s": round(rows_slice / naive_s),
                    "loader_rows_per_s": round(rows_slice / slice_s),
                    "speedup": round(naive_s / slice_s, 1),
                }
                print("naive", json.dumps(report["naive_20k"]), flush=True)
            # 3b. batch size tuning on fresh 30k-establishment slices
            sizes = [int(x) for x in args.batch_sizes.split(",") if x.strip()]
            if sizes:
                report["batch_size_tuning"] = {}
                for i, size in enumerate(sizes):
                    part = tables["establishments"].iloc[: min(30_000, n_est)].copy()
                    part["vestigingsnummer"] = f"{7 - i}" + part["vestigingsnummer"].str[1:]
                    pf = gf.establishment_frames(part)
                    run_t = loader.start_load_run(
                        driver, f"bench-batch-{size}", f"bench-batch-{size}", as_of="2025-04-30"
                    )
                    t0 = time.monotonic()
                    loader.load_graph_frames(driver, run_t, pf, batch_size=size)
                    took = time.monotonic() - t0
                    report["batch_size_tuning"][str(size)] = {
                        "wall_s": round(took, 1),
                        "rows_per_s": round(frame_rows(pf) / took),
                    }
                print("batch sizes", json.dumps(report["batch_size_tuning"]), flush=True)
        server.stop(settings)

        # 4. bulk import of the initial data into a second, stopped instance
        if not args.skip_bulk:
            bulk_settings = server.ServerSettings(
                instance_dir=tmp / "bulk",
                bolt_port=free_port(),
                http_port=free_port(),
                heap=args.heap,
                pagecache=args.pagecache,
            )
            del tables, frames, frames2, est, prod  # the bulk phase rebuilds the initial data
            tables_initial = synthetic_tables(n_est)
            frames_initial = all_frames(tables_initial)
            rss.reset()
            run_b = loader.LoadRun("bench-bulk", "bench", "2025-01-31", mode="bulk")
            t0 = time.monotonic()
            try:
                _, timings = loader.bulk_initial_load(
                    bulk_settings, password, frames_initial, run_b, work_dir=tmp / "csv"
                )
                wall_b = time.monotonic() - t0
                with GraphDatabase.driver(
                    bulk_settings.bolt_uri, auth=("neo4j", password)
                ) as driver:
                    counts = loader.graph_counts(driver)
            finally:
                server.stop(bulk_settings)
            initial = report["initial"]
            report["bulk_import"] = {
                "wall_s": round(wall_b, 1),
                **{k: round(v, 1) for k, v in timings.items()},
                "rows_per_s": round(total_rows / wall_b),
                "establishments_in_db": counts.get("Establishment"),
                "peak_rss_mb": rss.peak_mb(),
                "speedup_vs_loader": round(initial["wall_s"] / wall_b, 2),  # type: ignore[index]
            }
            print("bulk", json.dumps(report["bulk_import"]), flush=True)
    finally:
        server.stop(settings)
        rss.stop()
        report["python_peak_rss_mb_lifetime"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        )
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    raise SystemExit(main())
