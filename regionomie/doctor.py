"""`regionomie doctor --region R`: for one region, what data is present (from which source and
year), what is missing, and what a run will and will not be able to say.

Why: a region's data comes from five publishers on three access routes (open data, a paid KvK
route, an LMA agreement; docs/getting-real-data.md). Before a run, an operator needs one
screen that says which of them are in, whether the run will pass its quality gates, and what
the exports will hold — not a traceback half-way through a run.

The tables are read as the run reads them: the staged union of everything landed, or with
`data=` the files of a folder parsed without staging them. Each table goes through its
quality suite (no Data Docs, nothing quarantined), so a blocking rule shows up here first.
Findings carry a severity; the worst one is the exit code (0 ok, 1 warning, 2 error).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from regionomie.domain.regions import Region

OK, WARNING, ERROR = 0, 1, 2
SEVERITY_LABEL = {OK: "ok", WARNING: "warning", ERROR: "ERROR"}
GUIDE = "docs/getting-real-data.md"


@dataclass(frozen=True)
class Finding:
    severity: int
    area: str
    message: str


@dataclass
class Diagnosis:
    """What doctor found for a region: findings per source, what the run can say."""

    region: Region
    origin: str
    present: list[Finding] = field(default_factory=list)
    can: list[str] = field(default_factory=list)
    cannot: list[str] = field(default_factory=list)
    mode: str = "full"

    @property
    def severity(self) -> int:
        return max((f.severity for f in self.present), default=OK)

    def lines(self) -> list[str]:
        r = self.region
        out = [
            f"regionomie doctor: {r.name} ({r.label}, {len(r.municipality_codes)} "
            f"municipalities), tables {self.origin}",
            "",
            "Data",
        ]
        out += [f"  {SEVERITY_LABEL[f.severity]:<8}{f.area:<22}{f.message}" for f in self.present]
        out += ["", "The run will give"]
        out += [f"  yes     {c}" for c in self.can] or ["  (nothing)"]
        out += [f"  no      {c}" for c in self.cannot]
        verdict = {
            "full": "full run: actors, flows, challenges and ranked business cases",
            "open-data": "open-data mode: the run succeeds with CBS, PDOK and the KvK open "
            "dataset only (see 'no' above for what needs a KvK route or LMA data; " + GUIDE + ")",
            "partial": "partial run: establishments but no waste reports (estimated supply only)",
            "blocked": "the run will stop at a quality gate or has nothing to work on (ERROR "
            "lines above)",
        }[self.mode]
        out += ["", f"Verdict: {verdict}"]
        return out


def _staged(table: str) -> pd.DataFrame:
    from regionomie.domain.staging import read_staged

    return read_staged(table)


def tables_from_folder(folder: Path) -> Callable[[str], pd.DataFrame]:
    """The tables a run on `folder` (kvk/, waste/, municipal/) would land, parsed in memory
    (nothing staged, archived or quarantined)."""
    from regionomie.domain.parsers import parse_file
    from regionomie.domain.results import SourceFileError
    from regionomie.domain.sources import SOURCES
    from regionomie.domain.staging import empty_table, newest_per_key

    parts: dict[str, list[pd.DataFrame]] = {}
    for source in SOURCES:
        base = folder / source
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.exists() else []
        for path in files:
            if path.name == "README.md":
                continue
            try:
                results = parse_file(path, source)
            except SourceFileError:
                continue  # unusable as a whole: `regionomie validate FILE` says why
            for table, result in results.items():
                parts.setdefault(table, []).append(result.rows)

    def read(table: str) -> pd.DataFrame:
        frames = [f for f in parts.get(table, []) if len(f)]
        if not frames:
            return empty_table(table)
        return newest_per_key(table, pd.concat(frames, ignore_index=True))

    return read


def _gate(table: str, frame: pd.DataFrame, absent: bool) -> list[str]:
    """The blocking failures of a table's suite (nothing written)."""
    from regionomie.quality.context import reference_context
    from regionomie.quality.validate import validate_table

    ctx = reference_context(source_absent=absent)
    outcome = validate_table(table, frame, context=ctx, build_docs=False)
    return [f"{rule}: {message}" for rule, message in outcome.dataset_failures]


def _in_region(frame: pd.DataFrame, codes: tuple[str, ...], column: str) -> pd.DataFrame:
    if column not in frame.columns or frame.empty:
        return frame.iloc[0:0]
    return frame[frame[column].astype(str).isin(codes)]


def _years(values: pd.Series) -> str:
    years = sorted({str(v)[:4] for v in values.dropna() if str(v)[:4].isdigit()})
    if not years:
        return "year unknown"
    return years[0] if len(years) == 1 else f"{years[0]}-{years[-1]}"


def diagnose(
    region: Region,
    read: Callable[[str], pd.DataFrame] | None = None,
    origin: str = "staged",
    staged_root: Path | None = None,
) -> Diagnosis:
    """Findings for `region` from the tables `read` gives (default: the staging area)."""
    from regionomie.domain.cbs_indicators import (
        KERNCIJFERS_YEAR,
        describe_indicator_sources,
        table_family,
    )
    from regionomie.flow import source_absent

    read = read or _staged
    codes = region.municipality_codes
    d = Diagnosis(region=region, origin=origin)
    tables = {
        t: read(t)
        for t in (
            "municipal_indicators",
            "municipalities",
            "establishments",
            "organisations",
            "sector_density",
            "waste_records",
        )
    }

    def absent(table: str) -> bool:
        if origin == "staged":
            return source_absent(table, tables[table], staged_root)
        return len(tables[table]) == 0 and table != "municipal_indicators"

    blocked = False
    for table, frame in tables.items():
        if len(frame) == 0 and absent(table):
            continue
        failures = _gate(table, frame, absent(table))
        if failures:
            blocked = True
            d.present.append(Finding(ERROR, table, f"quality gate blocks the run: {failures[0]}"))

    # CBS -------------------------------------------------------------------------------
    ind = tables["municipal_indicators"]
    mine = _in_region(ind, codes, "municipality_code")
    if ind.empty:
        blocked = True
        d.present.append(
            Finding(
                ERROR,
                "CBS indicators",
                "none landed: `regionomie fetch cbs --table 85984NED --region GM....` per "
                "municipality (open data)",
            )
        )
    else:
        fams = mine["source_table"].astype(str).map(table_family) if len(mine) else pd.Series()
        kern = mine[fams == "kerncijfers"] if len(mine) else mine
        covered = sorted(set(mine["municipality_code"].dropna().astype(str)))
        missing_munis = [c for c in codes if c not in covered]
        tables_seen = sorted(
            {f"{t} ({KERNCIJFERS_YEAR.get(t, p)})" for t, p in
             zip(kern["source_table"].astype(str), kern["period"].astype(str), strict=True)}
        )  # fmt: skip
        sev = WARNING if missing_munis else OK
        what = f"Kerncijfers {', '.join(tables_seen) or 'none'}"
        what += f"; {len(covered)} of {len(codes)} municipalities"
        if missing_munis:
            more = " ..." if len(missing_munis) > 4 else ""
            what += f" (missing {', '.join(missing_munis[:4])}{more})"
        d.present.append(Finding(sev if tables_seen else ERROR, "CBS Kerncijfers", what))
        if not tables_seen:
            blocked = True
        for line in describe_indicator_sources(kern)[:3]:
            d.present.append(Finding(OK, "", f"  {line[:100]}{'...' if len(line) > 100 else ''}"))
        waste = mine[fams == "household_waste"] if len(mine) else mine
        if len(waste):
            d.present.append(
                Finding(
                    OK,
                    "CBS household waste",
                    f"83452NED, {_years(waste['period'])}, "
                    f"{waste['municipality_code'].nunique()} municipalities",
                )
            )
        else:
            d.present.append(
                Finding(
                    WARNING,
                    "CBS household waste",
                    "not landed: no household-waste challenge "
                    "(`regionomie fetch cbs --table 83452NED --region GM....`)",
                )
            )

    # PDOK ------------------------------------------------------------------------------
    mun = _in_region(tables["municipalities"], codes, "municipality_code")
    if len(mun):
        d.present.append(
            Finding(
                OK if len(mun) == len(codes) else WARNING,
                "PDOK boundaries",
                f"{len(mun)} of {len(codes)} municipalities "
                f"(retrieved {_years(mun.get('retrieved_at', pd.Series(dtype=str)))})",
            )
        )
    else:
        d.present.append(
            Finding(
                WARNING,
                "PDOK boundaries",
                "not landed: the shipped reference centroids are used "
                "(`regionomie fetch pdok --year 2025`)",
            )
        )

    # KvK -------------------------------------------------------------------------------
    est = tables["establishments"]
    in_region = _in_region(est, codes, "municipality_code")
    if len(est) == 0:
        d.present.append(
            Finding(
                WARNING,
                "KvK register",
                "no establishments: actors need a KvK API key (profiles are paid per call) "
                f"or a KvK data product ({GUIDE})",
            )
        )
    else:
        search_only = int((est.get("source") == "kvk-zoeken").sum()) if "source" in est else 0
        no_postcode = int(est["postcode"].isna().sum())
        msg = (
            f"{len(est):,} establishments ({len(in_region):,} placed in the region), "
            f"retrieved {_years(est.get('retrieved_at', pd.Series(dtype=str)))}"
        )
        d.present.append(Finding(OK, "KvK register", msg))
        if search_only:
            d.present.append(
                Finding(
                    WARNING,
                    "",
                    f"  {search_only:,} from a KvK search only ({no_postcode:,} without "
                    "postcode): fetch their profiles (`regionomie fetch kvk ... --profiles`)",
                )
            )
    density = tables["sector_density"]
    if len(density):
        from regionomie.domain.open_data import region_postcode_areas

        areas = region_postcode_areas(codes)
        have = sorted(set(density["postcode_region"].astype(str)) & set(areas))
        d.present.append(
            Finding(
                OK if have else WARNING,
                "KvK open dataset",
                f"{int(pd.to_numeric(density['count'], errors='coerce').sum()):,} BV/NV "
                f"establishments; postcode regions of the region: {', '.join(have) or 'none'}"
                f" of {', '.join(areas) or '?'} (BV and NV only)",
            )
        )
    else:
        d.present.append(
            Finding(
                OK if len(est) else WARNING,
                "KvK open dataset",
                "not landed (open data: 'basis bedrijfsgegevens' bulk CSV; sector density "
                "per postcode region)",
            )
        )

    # LMA -------------------------------------------------------------------------------
    waste = tables["waste_records"]
    if len(waste):
        d.present.append(
            Finding(
                OK,
                "LMA waste reports",
                f"{len(waste):,} records, {waste['afvalstroomnummer'].nunique():,} streams, "
                f"{_years(waste['period_year'])}",
            )
        )
    else:
        d.present.append(
            Finding(
                WARNING,
                "LMA waste reports",
                "none: observed flows need an LMA extract (omgevingsdienst, province or "
                f"municipality; or a maatwerkrapportage under an agreement; {GUIDE})",
            )
        )

    # what the run will say ----------------------------------------------------------------
    if len(ind):
        d.can.append("societal challenges per municipality (CBS), against the Netherlands")
    if len(est):
        d.can.append("named actors (sole proprietors under a pseudonym) and ranked business "
                      "cases between establishments")  # fmt: skip
        d.can.append("estimated supply per establishment (sector yields x employees)")
    elif len(density):
        d.can.append("sector density per postcode region (open data, BV and NV only)")
        d.can.append("sector-level estimated supply per postcode region (open data, lower "
                     "bounds)")  # fmt: skip
        d.can.append("social cases at sector level where the open dataset counts their "
                     "providers (care farm, shared housing)")  # fmt: skip
    if len(waste) and len(est):
        d.can.append("observed waste flows linked to establishments (LMA)")
    if not len(est):
        d.cannot.append("named actors and business cases between establishments (needs a KvK "
                        "register: API profiles or a data product)")  # fmt: skip
    if not len(waste):
        d.cannot.append("observed waste flows and who receives them (needs an LMA extract)")
    if blocked:
        d.mode = "blocked"
    elif not len(est):
        d.mode = "open-data"
    elif not len(waste):
        d.mode = "partial"
    return d
