"""Benchmark: opportunity engine (supply estimate + blocked candidate generation + scoring) on
synthetic national-scale establishments (uniform over the Dutch bounding box, sector mix from
regionomie.domain.opportunities.demo), 0.5M / 1M / 2M by default.

Each size runs in a fresh subprocess so peak memory is not inherited from a previous size;
"peak MB" is the growth of the process high-water mark (ru_maxrss) during the engine call, i.e.
the extra memory the engine needed on top of the input table. Results are reported as ratios
against the smallest size measured in the same run (the baseline), so they do not depend on
the machine: a time ratio close to the size ratio means cost grows ~linearly. CPU seconds
(process time) are reported beside wall time because they are less disturbed by other load;
"pairs" counts producer-receiver pairs whose distance was computed (the blocking's output).

    .venv/bin/python benchmarks/bench_opportunities.py [--sizes 500000 1000000 2000000]
        [--kb demo|shipped] [--layout national|constant-density] [--json results.json]

In the national layout density grows with n: more producers find k real receivers instead of
a start-up, so the candidates (the output) grow faster than n until every producer has its k;
pairs examined track the candidates. The constant-density layout (the box grows with n, like
adding regions) isolates the blocking's own cost, which should be ~linear.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


NL_BBOX = (51.3, 53.4, 3.6, 7.1)
DENSITY_BASE = 500_000  # establishments per NL-sized box in the constant-density layout


def measure(
    n: int, kb_name: str = "demo", layout: str = "national", seed: int = 0
) -> dict[str, float]:
    """Time and memory of one engine run on n synthetic establishments."""
    sys.path.insert(0, str(REPO))
    from regionomie.domain.opportunities import estimate_supply, generate_candidates
    from regionomie.domain.opportunities.demo import demo_kb, synthetic_establishments

    if kb_name == "shipped":
        from regionomie.domain.knowledge import load_knowledge_base

        kb = load_knowledge_base()
    else:
        kb = demo_kb()
    bbox = NL_BBOX
    if layout == "constant-density":  # the box widens with n, so density stays fixed
        width = (NL_BBOX[3] - NL_BBOX[2]) * n / DENSITY_BASE
        bbox = (NL_BBOX[0], NL_BBOX[1], NL_BBOX[2], NL_BBOX[2] + width)
    est = synthetic_establishments(n, seed=seed, bbox=bbox)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    c0, t0 = time.process_time(), time.perf_counter()
    supply = estimate_supply(est, kb)
    t1 = time.perf_counter()
    cand = generate_candidates(est, supply, kb)
    c2, t2 = time.process_time(), time.perf_counter()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {
        "establishments": n,
        "supply_rows": len(supply),
        "candidates": len(cand),
        "startup_candidates": int((cand["receiver_kind"] == "sector").sum()),
        "supply_seconds": round(t1 - t0, 3),
        "candidates_seconds": round(t2 - t1, 3),
        "total_seconds": round(t2 - t0, 3),
        "cpu_seconds": round(c2 - c0, 3),
        "pairs_compared": int(cand.attrs.get("pairs_compared", 0)),
        "max_rss_mb": round(rss_after, 1),
        "rss_before_engine_mb": round(rss_before, 1),
        "engine_peak_mb": round(rss_after - rss_before, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500_000, 1_000_000, 2_000_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--kb",
        choices=["demo", "shipped"],
        default="demo",
        help="demo: 7 illustrative pathways; shipped: data/knowledge (hundreds of pathways)",
    )
    parser.add_argument(
        "--layout",
        choices=["national", "constant-density"],
        default="national",
        help="national: all sizes in the NL box (density grows with n); constant-density: "
        "the box grows with n (like adding regions)",
    )
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.kb, args.layout)))
        return 0
    rows = []
    for n in sorted(args.sizes):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                str(n),
                "--kb",
                args.kb,
                "--layout",
                args.layout,
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    base = rows[0]
    print(
        f"{'establishments':>14} {'pairs':>11} {'candidates':>11} {'wall s':>7} {'cpu s':>7} "
        f"{'peak MB':>8} {'size x':>7} {'pairs x':>7} {'cpu x':>6} {'cand x':>7} {'mem x':>6}"
    )
    for row in rows:
        row["size_ratio"] = round(row["establishments"] / base["establishments"], 2)
        row["time_ratio"] = round(row["total_seconds"] / base["total_seconds"], 2)
        row["cpu_ratio"] = round(row["cpu_seconds"] / base["cpu_seconds"], 2)
        row["pairs_ratio"] = round(row["pairs_compared"] / max(base["pairs_compared"], 1), 2)
        row["candidate_ratio"] = round(row["candidates"] / max(base["candidates"], 1), 2)
        row["memory_ratio"] = round(row["engine_peak_mb"] / max(base["engine_peak_mb"], 1.0), 2)
        print(
            f"{row['establishments']:>14,} {row['pairs_compared']:>11,} {row['candidates']:>11,} "
            f"{row['total_seconds']:>7.1f} {row['cpu_seconds']:>7.1f} "
            f"{row['engine_peak_mb']:>8.0f} {row['size_ratio']:>7.2f} {row['pairs_ratio']:>7.2f} "
            f"{row['cpu_ratio']:>6.2f} {row['candidate_ratio']:>7.2f} {row['memory_ratio']:>6.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
