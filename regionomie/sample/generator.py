"""Deterministic synthetic sample region in the real landing formats.

Why: KvK profiles cost money and LMA extracts are not open data, so the pipeline, the tests
and the demo run on a synthetic region whose files have the exact shapes the connectors land
(KvK establishments CSV + API JSON, LMA ontvangstmeldingen CSV, CBS OData v3 bundles of
85984NED and 83452NED with their real keys and dimensions, PDOK GeoJSON). A fixed seed gives
byte-identical files. Everything about firms, waste and indicator values is invented;
SBI/EURAL codes and municipality codes/centroids are real reference data.

CLI: python -m regionomie.sample.generator --out DIR --establishments N --seed S [--national]

This module is the CLI and the order of work (one random generator, drawn from in a fixed
order: establishments and their waste per chunk, then API responses, CBS and PDOK). The pieces:
tables.py (the data files under data/: sectors, waste streams, names, region), kvk.py
(establishments, API responses), waste.py (LMA receipts), municipal.py (CBS, PDOK).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regionomie.domain.parsers.kvk_csv import ESTABLISHMENT_CSV_COLUMNS
from regionomie.domain.sources import SYNTHETIC_MARK
from regionomie.sample.kvk import establishment_chunk, kvk_api_files
from regionomie.sample.municipal import cbs_household_waste, cbs_kerncijfers, pdok_outlines
from regionomie.sample.tables import REGIO_AMERSFOORT, municipality_frame
from regionomie.sample.waste import LMA_COLUMNS, waste_rows

__all__ = ["REGIO_AMERSFOORT", "generate_region", "main"]

STAMP = "20250602T060000"  # same moment as municipal.RETRIEVED_AT, in landing file names
API_STAMP = "20250501T060000"  # the KvK API responses: before the SBI 2025 switch
MARK = SYNTHETIC_MARK  # in every file name: the exports then say the data are invented
CHUNK = 100_000


def _write_json(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        json.dump(doc, fh, ensure_ascii=False, indent=1)
        fh.write("\n")


def _csv_writer(fh: Any) -> Any:
    return csv.writer(fh, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)


def _chunks(n: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, CHUNK):
        yield start, min(CHUNK, n - start)


def generate_region(
    out_dir: Path,
    *,
    seed: int = 42,
    n_establishments: int = 3000,
    municipalities: Sequence[str] | None = REGIO_AMERSFOORT,
    waste: bool = True,
    waste_scale: float = 1.0,
    year: int = 2024,
) -> dict[str, Path]:
    """Write the sample files under out_dir/{kvk,waste,municipal}/; returns name -> path.

    municipalities=None spreads establishments over all municipalities (national benchmark
    files). Establishments are generated and written in chunks of 100k rows, so millions of
    rows stay within modest memory. Same seed and arguments -> byte-identical files."""
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    munis = municipality_frame(municipalities)
    # File names carry the connectors' UTC stamp, so retrieved_at is fixed (not the checkout's
    # mtime): the API responses are older than the CSV export, so the CSV wins per key.
    kvk, mun = out_dir / "kvk", out_dir / "municipal"
    paths = {
        "establishments": kvk / f"establishments_{MARK}_{STAMP}.csv",
        "vestigingsprofielen": kvk / f"kvk_vestigingsprofielen_{MARK}_{API_STAMP}.jsonl",
        "basisprofiel": kvk / f"kvk_basisprofiel_{MARK}_{API_STAMP}.json",
        "zoeken": kvk / f"kvk_zoeken_{MARK}_{API_STAMP}.json",
        "waste": out_dir / "waste" / f"ontvangstmeldingen_{year}_{MARK}_{STAMP}.csv",
        "kerncijfers": mun / f"cbs_85984NED_{MARK}_{STAMP}.json",
        "cbs_waste": mun / f"cbs_83452NED_{MARK}_{STAMP}.json",
        "pdok": mun / f"pdok_gemeenten_{MARK}_{STAMP}.geojson",
    }
    if not waste:
        del paths["waste"]
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    first_chunk: pd.DataFrame | None = None
    org_next = 0
    asn = 0
    est_fh = paths["establishments"].open("w", encoding="utf-8", newline="")
    waste_fh = paths["waste"].open("w", encoding="utf-8", newline="") if waste else None
    try:
        est_w = _csv_writer(est_fh)
        est_w.writerow(ESTABLISHMENT_CSV_COLUMNS)
        waste_w = _csv_writer(waste_fh) if waste_fh else None
        if waste_w:
            waste_w.writerow(LMA_COLUMNS)
        for start, n in _chunks(n_establishments):
            frame, org_next = establishment_chunk(rng, start, n, munis, org_next)
            est_w.writerows(frame[list(ESTABLISHMENT_CSV_COLUMNS)].itertuples(index=False))
            if waste_w is not None:
                rows, asn = waste_rows(rng, frame, asn, waste_scale, year)
                waste_w.writerows(rows)
            if first_chunk is None:
                first_chunk = frame
    finally:
        est_fh.close()
        if waste_fh:
            waste_fh.close()
    assert first_chunk is not None
    api = kvk_api_files(first_chunk)
    with paths["vestigingsprofielen"].open("w", encoding="utf-8", newline="\n") as fh:
        for prof in api["profiles"]:
            fh.write(json.dumps(prof, ensure_ascii=False, separators=(",", ":")) + "\n")
    _write_json(paths["basisprofiel"], api["basis"])
    _write_json(paths["zoeken"], api["zoeken"])
    _write_json(paths["kerncijfers"], cbs_kerncijfers(rng, munis))
    _write_json(paths["cbs_waste"], cbs_household_waste(rng, munis))
    _write_json(paths["pdok"], pdok_outlines(rng, munis))
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m regionomie.sample.generator",
        description="Write a deterministic synthetic region in the landing formats.",
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--establishments", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--national",
        action="store_true",
        help="spread establishments over all municipalities (benchmark files)",
    )
    parser.add_argument("--no-waste", action="store_true", help="skip the LMA receipts file")
    parser.add_argument(
        "--waste-scale", type=float, default=1.0, help="multiply the chance of waste streams"
    )
    args = parser.parse_args(argv)
    if args.establishments < 1:
        print("--establishments must be >= 1", file=sys.stderr)
        return 2
    paths = generate_region(
        args.out,
        seed=args.seed,
        n_establishments=args.establishments,
        municipalities=None if args.national else REGIO_AMERSFOORT,
        waste=not args.no_waste,
        waste_scale=args.waste_scale,
    )
    for name, path in paths.items():
        print(f"{name}: {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
