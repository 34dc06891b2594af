"""KvK open dataset "basis bedrijfsgegevens" bulk CSV -> a sector_density table.

That set covers only the BV and NV legal forms: every row carries `coverage` saying so and the
parse result a note, so sector density is never read as the whole business population. It
holds no names nor addresses; ~2 million rows are read one chunk at a time and counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regionomie.domain import reference
from regionomie.domain.parsers.common import (
    RawFile,
    RowChecks,
    add_provenance,
    iter_csv_chunks,
    map_unique,
    parse_bool,
    rejects_frame,
)
from regionomie.domain.parsers.kvk_rules import guess_version, nace_class
from regionomie.domain.results import ParseResult, SourceFileError
from regionomie.domain.schemas import SECTOR_DENSITY

BULK_COLUMNS: tuple[str, ...] = (
    "Datum aanvang",
    "Actief",
    "Insolventie",
    "Rechtsvorm",
    "Postcode regio",
    "SBI activiteiten",
    "Hoofdactiviteiten",
    "Lidstaat",
)
SECTOR_DENSITY_COLUMNS: tuple[str, ...] = SECTOR_DENSITY.columns  # coverage: OPEN_DATA_COVERAGE
# The open dataset holds BV and NV only (KvK, "Open Dataset Basis Bedrijfsgegevens").
OPEN_DATA_COVERAGE = "BV and NV only"
OPEN_DATA_NOTE = (
    "KvK open dataset 'basis bedrijfsgegevens' covers only the BV and NV legal forms: these "
    "sector counts undercount every other legal form (eenmanszaak, vof, stichting, ...) and "
    "are not the whole business population"
)


def is_bulk_header(columns: list[str]) -> bool:
    return {"Postcode regio", "Rechtsvorm", "Hoofdactiviteiten"} <= set(columns)


def parse_bulk_csv(raw: RawFile) -> dict[str, ParseResult]:
    """KvK open dataset 'basis bedrijfsgegevens' -> counts per (postcode region, SBI, legal
    form, active). It holds no names nor addresses, so it feeds sector density only.

    Aggregated: rows_in = groups + rejected rows (so the ParseResult balances) while
    sum(count) + len(rejected) equals the data rows read."""
    counts: list[pd.DataFrame] = []
    rejected_parts: list[pd.DataFrame] = []
    for frame, rejects, lines in iter_csv_chunks(raw):  # ~2 million rows: one chunk at a time
        chunk_counts, chunk_rejected = _bulk_chunk(raw, frame, rejects, lines)
        counts.append(chunk_counts)
        rejected_parts.append(chunk_rejected)
    agg = (
        pd.concat(counts, ignore_index=True)
        .groupby(["postcode_region", "sbi_code", "legal_form", "active"], sort=True)["count"]
        .sum()
        .reset_index()
    )
    agg["count"] = agg["count"].astype("int64")
    agg["nace_class"] = map_unique(
        agg["sbi_code"], lambda c: nace_class(c, guess_version(c, raw.retrieved_at))
    )
    agg["coverage"] = OPEN_DATA_COVERAGE
    agg = agg[list(SECTOR_DENSITY_COLUMNS)]
    rows = add_provenance(agg, raw, "kvk-open-data", np.zeros(len(agg), dtype=np.int64))
    rejected = pd.concat(rejected_parts, ignore_index=True)
    return {"sector_density": ParseResult(rows=rows, rejected=rejected, notes=[OPEN_DATA_NOTE])}


def _bulk_chunk(
    raw: RawFile, frame: pd.DataFrame, rejects: list[dict[str, object]], lines: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One chunk of the bulk file -> (counts per group, rejected rows)."""
    missing = [c for c in ("Postcode regio", "Rechtsvorm", "Hoofdactiviteiten") if c not in frame]
    if missing:
        raise SourceFileError(f"{raw.name}: line 1: required column {missing[0]!r} missing")
    for c in BULK_COLUMNS:
        if c not in frame.columns:
            frame[c] = ""
    chk = RowChecks(len(frame))
    region = frame["Postcode regio"].astype(str).str.strip()
    chk.add(~region.str.fullmatch(r"\d{2}"), "Postcode regio", "not a 2-digit region", region)
    main_raw = frame["Hoofdactiviteiten"].astype(str).str.strip()
    all_raw = frame["SBI activiteiten"].astype(str).str.strip()
    first = main_raw.str.extract(r"(\d[\d.]*)", expand=False)
    first = first.fillna(all_raw.str.extract(r"(\d[\d.]*)", expand=False))
    sbi = map_unique(first.fillna(""), lambda v: reference.normalise_sbi(v) if v else None)
    chk.add(sbi.isna(), "Hoofdactiviteiten", "no SBI code", main_raw)
    active, bad = parse_bool(frame["Actief"])
    chk.add(bad, "Actief", "not Ja/Nee", frame["Actief"])
    good = ~chk.bad
    kept = pd.DataFrame(
        {
            "postcode_region": region,
            "sbi_code": sbi,
            "legal_form": frame["Rechtsvorm"].astype(str).str.strip(),
            "active": active.astype(bool),
        }
    )[good]
    agg = (
        kept.groupby(["postcode_region", "sbi_code", "legal_form", "active"], sort=True)
        .size()
        .rename("count")
        .reset_index()
    )
    rejected = pd.concat([rejects_frame(rejects), chk.frame(raw.name, lines)], ignore_index=True)
    return agg, rejected
