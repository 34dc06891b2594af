"""Deterministic synthetic sample region in the real landing formats.

Why: KvK profiles cost money and LMA extracts are not open data, so the pipeline, the tests
and the demo run on a synthetic region whose files have the exact shapes the connectors land
(KvK establishments CSV + API JSON, LMA ontvangstmeldingen CSV, CBS OData v3 bundles of
85984NED and 83452NED with their real keys and dimensions, PDOK GeoJSON). A fixed seed gives
byte-identical files. Everything about firms, waste and indicator values is invented;
SBI/EURAL codes and municipality codes/centroids are real reference data.

CLI: python -m regionomie.sample.generator --out DIR --establishments N --seed S
     python -m regionomie.sample.generator --out DIR --national [--establishments 2000000]
         [--counts counts.csv] [--waste-scale 0.1]

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

__all__ = ["REGIO_AMERSFOORT", "generate_national", "generate_region", "main"]

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


def _output_paths(out_dir: Path, year: int, waste: bool) -> dict[str, Path]:
    """The files a generated region is written to, their folders created. File names carry
    the connectors' UTC stamps, so retrieved_at is fixed (not the checkout's mtime)."""
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
    return paths


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
    paths = _output_paths(out_dir, year, waste)
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


NATIONAL_ESTABLISHMENTS = 2_000_000


def national_counts(total: int, counts_file: Path | None = None) -> dict[str, int]:
    """Establishments per municipality summing to `total`: shares from a counts file
    (`municipality_code,establishments`, e.g. CBS StatLine's establishments per municipality)
    or, without one, an even split over the 342 municipalities. Largest remainders keep the
    sum exact; old codes in the file follow the mergers to today's municipality."""
    from regionomie.domain.regions import current_municipality_code

    codes = list(municipality_frame(None)["municipality_code"])
    weights = dict.fromkeys(codes, 1.0)
    if counts_file is not None:
        table = pd.read_csv(counts_file, dtype={"municipality_code": str})
        missing = {"municipality_code", "establishments"} - set(table.columns)
        if missing:
            raise ValueError(f"{counts_file}: column(s) missing: {', '.join(sorted(missing))}")
        weights = dict.fromkeys(codes, 0.0)
        for row in table.itertuples(index=False):
            code = current_municipality_code(str(row.municipality_code).strip())
            if code not in weights:
                raise ValueError(f"{counts_file}: unknown municipality {row.municipality_code}")
            weights[code] += float(row.establishments)
    shares = np.array([weights[c] for c in codes], dtype="float64")
    if shares.sum() <= 0:
        raise ValueError("national counts sum to zero")
    exact = shares / shares.sum() * total
    counts = np.floor(exact).astype("int64")
    short = total - int(counts.sum())
    counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return dict(zip(codes, (int(n) for n in counts), strict=True))


def generate_national(
    out_dir: Path,
    *,
    seed: int = 42,
    n_establishments: int = NATIONAL_ESTABLISHMENTS,
    counts_file: Path | None = None,
    waste: bool = True,
    waste_scale: float = 0.1,
    year: int = 2024,
) -> dict[str, Path]:
    """A national synthetic register in the landing formats: every municipality gets its
    count (national_counts), drawn municipality by municipality with the sample's sector mix,
    so a COROP area holds what its municipalities hold. Written in one pass, one municipality
    at a time (memory stays at one municipality's rows). The region generator
    (generate_region) is untouched: the shipped sample stays byte-identical."""
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    munis = municipality_frame(None)
    per_municipality = national_counts(n_establishments, counts_file)
    paths = _output_paths(out_dir, year, waste)
    first_chunk: pd.DataFrame | None = None
    org_next, asn, start = 0, 0, 0
    with paths["establishments"].open("w", encoding="utf-8", newline="") as est_fh:
        waste_fh = paths["waste"].open("w", encoding="utf-8", newline="") if waste else None
        try:
            est_w = _csv_writer(est_fh)
            est_w.writerow(ESTABLISHMENT_CSV_COLUMNS)
            waste_w = _csv_writer(waste_fh) if waste_fh else None
            if waste_w:
                waste_w.writerow(LMA_COLUMNS)
            for position in range(len(munis)):
                total = per_municipality[munis.iloc[position]["municipality_code"]]
                one = munis.iloc[[position]].reset_index(drop=True)
                for _, n in _chunks(total):
                    frame, org_next = establishment_chunk(rng, start, n, one, org_next)
                    start += n
                    est_w.writerows(frame[list(ESTABLISHMENT_CSV_COLUMNS)].itertuples(index=False))
                    if waste_w is not None:
                        rows, asn = waste_rows(rng, frame, asn, waste_scale, year)
                        waste_w.writerows(rows)
                    if first_chunk is None:
                        first_chunk = frame
        finally:
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
    parser.add_argument(
        "--establishments",
        type=int,
        default=None,
        help="how many (default 3,000; with --national 2,000,000)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--national",
        action="store_true",
        help="a national register: every municipality, sized by --counts (or evenly)",
    )
    parser.add_argument(
        "--counts",
        type=Path,
        help="with --national: CSV municipality_code,establishments (e.g. CBS's counts)",
    )
    parser.add_argument("--no-waste", action="store_true", help="skip the LMA receipts file")
    parser.add_argument(
        "--waste-scale",
        type=float,
        default=None,
        help="multiply the chance of waste streams (default 1; with --national 0.1)",
    )
    args = parser.parse_args(argv)
    if args.establishments is not None and args.establishments < 1:
        print("--establishments must be >= 1", file=sys.stderr)
        return 2
    if args.national:
        try:
            paths = generate_national(
                args.out,
                seed=args.seed,
                n_establishments=args.establishments or NATIONAL_ESTABLISHMENTS,
                counts_file=args.counts,
                waste=not args.no_waste,
                waste_scale=0.1 if args.waste_scale is None else args.waste_scale,
            )
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for name, path in paths.items():
            print(f"{name}: {path} ({path.stat().st_size:,} bytes)")
        return 0
    paths = generate_region(
        args.out,
        seed=args.seed,
        n_establishments=args.establishments or 3000,
        municipalities=REGIO_AMERSFOORT,
        waste=not args.no_waste,
        waste_scale=1.0 if args.waste_scale is None else args.waste_scale,
    )
    for name, path in paths.items():
        print(f"{name}: {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
