"""Validation throughput vs parse time, on generated 1,000,000-row establishments and LMA waste
files (deterministic, vectorised generation; a few faults sprinkled in so the quarantine path
is exercised too).

    .venv/bin/python benchmarks/bench_validate.py [--rows 1000000] [--docs] [--json]

For each table it reports: time to parse the file through regionomie's parser (parse_file),
time for a bare pandas.read_csv of the same file, time for the full quality suite
(validate_table, GX with result_format COMPLETE), rows/s, and the ratio suite / parse.
Target: suite < 3x parse.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

SEED = 20260101
FAULT_RATE = 0.001  # share of rows given a deliberate defect

# City centres (lat, lon) to jitter around: all on land, well inside the border.
CENTRES = np.array(
    [
        (52.156, 5.387),
        (52.370, 4.895),
        (51.924, 4.478),
        (52.090, 5.121),
        (51.441, 5.478),
        (53.219, 6.566),
        (52.221, 6.893),
        (51.985, 5.899),
        (51.571, 4.768),
        (52.011, 4.357),
    ]
)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    return np.char.zfill(values.astype(str), width)


def _postcodes(rng: np.random.Generator, n: int) -> np.ndarray:
    num = rng.integers(1000, 10000, n).astype(str)
    letters = np.array(list("ABCDEFGHJKLMNPRSTVWXZ"))
    return np.char.add(
        np.char.add(num, letters[rng.integers(0, 21, n)]), letters[rng.integers(0, 21, n)]
    )


def make_establishments(n: int, path: Path) -> None:
    """Our documented establishments CSV (';'-separated, decimal commas, KvK dates)."""
    from regionomie.domain import reference

    rng = np.random.default_rng(SEED)
    sbi = np.array(sorted(reference.load_sbi2008().query("level == 'subclass'")["code"]))
    gm = np.array(sorted(reference.municipality_codes()))
    centre = CENTRES[rng.integers(0, len(CENTRES), n)]
    lat = centre[:, 0] + rng.normal(0, 0.02, n)
    lon = centre[:, 1] + rng.normal(0, 0.02, n)
    year = rng.integers(1950, 2025, n)
    month = rng.integers(1, 13, n)
    day = rng.integers(1, 29, n)
    start = np.char.add(np.char.add(year.astype(str), _digits(month, 2)), _digits(day, 2))
    df = pd.DataFrame(
        {
            "vestigingsnummer": _digits(np.arange(n, dtype=np.int64) + 10_000_000, 12),
            "kvk_nummer": _digits(rng.integers(10_000_000, 99_999_999, n), 8),
            "trade_name": np.char.add("Bedrijf ", np.arange(n).astype(str)),
            "legal_form": np.where(rng.random(n) < 0.3, "Eenmanszaak", "Besloten Vennootschap"),
            "is_main": np.where(rng.random(n) < 0.8, "Ja", "Nee"),
            "sbi_main": sbi[rng.integers(0, len(sbi), n)],
            "sbi_version": "2008",
            "street": "Stationsstraat",
            "house_number": rng.integers(1, 300, n).astype(str),
            "postcode": _postcodes(rng, n),
            "city": "Plaats",
            "municipality_code": gm[rng.integers(0, len(gm), n)],
            "lat": np.round(lat, 5),
            "lon": np.round(lon, 5),
            "employees": rng.integers(0, 500, n),
            "start_date": start,
            "end_date": "",
            "active": "Ja",
        }
    )
    faults = rng.random(n) < FAULT_RATE
    sea = faults & (rng.random(n) < 0.5)
    df.loc[sea, "lat"], df.loc[sea, "lon"] = 52.6, 3.6  # North Sea: quarantined by the suite
    df.loc[faults & ~sea, "start_date"] = "20990101"  # future: quarantined by the suite
    df.to_csv(path, sep=";", index=False, decimal=",")


def make_waste(n: int, path: Path) -> None:
    """An LMA ontvangst extract, ';'-separated."""
    from regionomie.domain import reference

    rng = np.random.default_rng(SEED + 1)
    eural = np.array(sorted(reference.eural_codes()))
    streams = _digits(np.arange(n, dtype=np.int64) + 100_000_000_000, 12)
    weight = np.round(rng.lognormal(8, 2, n), 1)
    df = pd.DataFrame(
        {
            "Afvalstroomnummer": streams,
            "VerwerkingsmethodeCode": np.array(["A02", "B04", "C01", "D01", "E01"])[
                rng.integers(0, 5, n)
            ],
            "VerwerkingsOmschrijving": "verwerking",
            "EuralCode": eural[rng.integers(0, len(eural), n)],
            "EuralcodeOmschrijving": "omschrijving",
            "BenamingAfval": "afval",
            "MeldPeriodeJAAR": rng.integers(2019, 2026, n),
            "MeldPeriodeMAAND": rng.integers(1, 13, n),
            "Gewicht_KG": np.minimum(weight, 1_000_000),
            "Aantal_vrachten": rng.integers(1, 50, n),
            "Ontdoener": "Ontdoener BV",
            "Ontdoener_Postcode": _postcodes(rng, n),
            "Ontdoener_Plaats": "Plaats",
            "Ontdoener_Land": "NL",
        }
    )
    faults = rng.random(n) < FAULT_RATE
    df.loc[faults, "Gewicht_KG"] = 9e10  # absurd: quarantined by weight_plausible
    df.to_csv(path, sep=";", index=False)


def _timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def bench(path: Path, source: str, table: str, docs: bool) -> dict[str, Any]:
    from regionomie.domain.parsers import parse_file
    from regionomie.quality.context import reference_context
    from regionomie.quality.validate import validate_table

    t_read, _ = _timed(lambda: pd.read_csv(path, sep=";", dtype=str, keep_default_na=False))
    t_parse, results = _timed(lambda: parse_file(path, source))  # type: ignore[arg-type]
    rows = results[table].rows
    ctx = reference_context()
    validate_table(table, rows.head(1000), context=ctx, build_docs=False)  # warm GX imports
    t_suite, outcome = _timed(lambda: validate_table(table, rows, context=ctx, build_docs=docs))
    n = len(rows)
    return {
        "table": table,
        "rows": n,
        "read_csv_s": round(t_read, 2),
        "parse_s": round(t_parse, 2),
        "suite_s": round(t_suite, 2),
        "suite_rows_per_s": round(n / t_suite),
        "parse_rows_per_s": round(n / t_parse),
        "ratio_suite_to_parse": round(t_suite / t_parse, 2),
        "ratio_suite_to_read_csv": round(t_suite / t_read, 2),
        "rows_quarantined": outcome.rows_quarantined,
        "rule_counts": outcome.rule_counts,
        "passed": outcome.passed,
        "balanced": outcome.balanced,
        "docs": docs,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--docs", action="store_true", help="also render Data Docs (slower)")
    ap.add_argument("--json", action="store_true", help="print results as JSON")
    args = ap.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("REGIONOMIE_STATE_DIR", str(Path(tmp) / "state"))
        est_path, waste_path = Path(tmp) / "establishments.csv", Path(tmp) / "lma_ontvangst.csv"
        t_gen, _ = _timed(lambda: make_establishments(args.rows, est_path))
        print(f"generated {est_path.name} ({args.rows:,} rows) in {t_gen:.1f}s", file=sys.stderr)
        t_gen, _ = _timed(lambda: make_waste(args.rows, waste_path))
        print(f"generated {waste_path.name} ({args.rows:,} rows) in {t_gen:.1f}s", file=sys.stderr)
        results.append(bench(est_path, "kvk", "establishments", args.docs))
        results.append(bench(waste_path, "waste", "waste_records", args.docs))
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        for r in results:
            print(
                f"{r['table']}: {r['rows']:,} rows | read_csv {r['read_csv_s']}s | parse "
                f"{r['parse_s']}s | suite {r['suite_s']}s ({r['suite_rows_per_s']:,} rows/s) "
                f"| suite/parse {r['ratio_suite_to_parse']}x "
                f"(target < 3x) | suite/read_csv {r['ratio_suite_to_read_csv']}x "
                f"| quarantined {r['rows_quarantined']:,} {r['rule_counts']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
