"""Parse throughput of regionomie's parsers against a bare pandas.read_csv of the same file.

    .venv/bin/python benchmarks/bench_ingest.py [--rows 1000000] [--kind establishments|waste]
                                                [--json PATH] [--regenerate]

Generates (once, deterministic, with the sample generator's --national mode) a large file in
data/generated/ (git-ignored), then times, in the same run:
  baseline: pandas.read_csv(path, sep=';', dtype=str)  (no validation, no provenance)
  parser:   regionomie.domain.parsers.parse_file(path, kind)  (encoding/delimiter detection,
            per-field checks with reasons, reference look-ups, provenance, organisations)
and reports rows/s of both and the ratio parser time / baseline time, plus peak RSS.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from regionomie.domain.parsers import parse_file  # noqa: E402
from regionomie.sample.generator import generate_region  # noqa: E402

OUT = ROOT / "data" / "generated" / "bench_ingest"
WASTE_ROWS_PER_ESTABLISHMENT = 3.4  # what the sample's sector mix yields


def ensure_file(kind: str, rows: int, regenerate: bool) -> Path:
    folder = OUT / f"{kind}_{rows}"
    pattern = "kvk/establishments_*.csv" if kind == "establishments" else "waste/*.csv"
    found = sorted(folder.glob(pattern))
    if found and not regenerate:
        return found[0]
    n_est = rows if kind == "establishments" else int(rows / WASTE_ROWS_PER_ESTABLISHMENT) + 1
    t0 = time.perf_counter()
    paths = generate_region(
        folder, seed=7, n_establishments=n_est, municipalities=None, waste=kind == "waste"
    )
    print(f"generated {folder} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return paths["establishments" if kind == "establishments" else "waste"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--kind", choices=("establishments", "waste"), default="establishments")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--regenerate", action="store_true")
    args = ap.parse_args(argv)

    path = ensure_file(args.kind, args.rows, args.regenerate)
    source = "kvk" if args.kind == "establishments" else "waste"
    size_mb = path.stat().st_size / 1e6

    t0 = time.perf_counter()
    base = pd.read_csv(path, sep=";", dtype=str)
    t_base = time.perf_counter() - t0
    n = len(base)
    del base

    t0 = time.perf_counter()
    results = parse_file(path, source, retrieved_at="2025-06-02T06:00:00Z")  # type: ignore[arg-type]
    t_parse = time.perf_counter() - t0
    main_table = "establishments" if source == "kvk" else "waste_records"
    res = results[main_table]
    assert res.rows_in == len(res.rows) + len(res.rejected) == n

    out = {
        "file": str(path.relative_to(ROOT)),
        "file_mb": round(size_mb, 1),
        "rows": n,
        "baseline_read_csv_s": round(t_base, 2),
        "parser_s": round(t_parse, 2),
        "baseline_rows_per_s": round(n / t_base),
        "parser_rows_per_s": round(n / t_parse),
        "ratio_parser_over_baseline": round(t_parse / t_base, 2),
        "rows_kept": len(res.rows),
        "rows_set_aside": len(res.rejected),
        "peak_rss_mb": round(peak_rss_mb()),
    }
    for k, v in out.items():
        print(f"{k:28s} {v}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
