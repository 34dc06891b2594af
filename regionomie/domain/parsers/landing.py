"""Landing a file: parse it, stage the tables as Parquet, quarantine rejected rows, archive
the original bytes. Used by `regionomie ingest` and (later) by the Dagster ingest assets, so
both write the same files in the same places.

Layout (all keyed by the sha256 of the file, so landing the same bytes twice overwrites the
same files and never counts anything twice):
  <state>/staging/<table>/<content_hash>.parquet
  <quarantine>/<table>/<content_hash>.csv            (only when rows were set aside)
  data/archive/<source>/<content_hash[:16]>_<file name>
A wholly unusable file is copied to <quarantine>/_files/<source>/ and SourceFileError raised.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from regionomie.domain.parsers import Source, parse_file
from regionomie.domain.results import ParseResult, SourceFileError
from regionomie.paths import DATA_DIR, quarantine_dir, state_dir


def staging_dir() -> Path:
    return state_dir() / "staging"


def archive_dir() -> Path:
    return Path(os.environ.get("REGIONOMIE_ARCHIVE_DIR", DATA_DIR / "archive"))


@dataclass(frozen=True)
class TableReport:
    table: str
    rows_in: int
    parsed: int
    set_aside: int
    staged_path: Path
    quarantine_path: Path | None
    notes: tuple[str, ...] = ()


@dataclass
class LandingReport:
    source: str
    file: Path
    content_hash: str
    archived_to: Path
    tables: dict[str, TableReport] = field(default_factory=dict)

    @property
    def notes(self) -> list[str]:
        """Every table's file-level notes, 'table: note'."""
        return [f"{t.table}: {n}" for t in self.tables.values() for n in t.notes]

    def lines(self) -> list[str]:
        """Human summary: one line per table (and its notes) plus where the file went (no row
        contents)."""
        out = [f"{self.file.name} ({self.source}, sha256 {self.content_hash[:12]})"]
        for t in self.tables.values():
            line = (
                f"  {t.table}: {t.rows_in} rows in, {t.parsed} parsed, {t.set_aside} set aside"
                f" -> {t.staged_path}"
            )
            if t.quarantine_path is not None:
                line += f"; set aside rows: {t.quarantine_path}"
            out.append(line)
            out += [f"  {t.table}: note: {note}" for note in t.notes]
        out.append(f"  archived: {self.archived_to}")
        return out


def _atomic_write(path: Path, write: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))  # type: ignore[operator]
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _stage(table: str, result: ParseResult, content_hash: str) -> tuple[Path, Path | None]:
    staged = staging_dir() / table / f"{content_hash}.parquet"
    rows = result.rows.reset_index(drop=True)
    _atomic_write(staged, lambda p: rows.to_parquet(p, index=False))
    quarantined: Path | None = None
    if len(result.rejected):
        quarantined = quarantine_dir() / table / f"{content_hash}.csv"
        rejected = result.rejected.assign(content_hash=content_hash)
        _atomic_write(quarantined, lambda p: rejected.to_csv(p, index=False))
    return staged, quarantined


def _archive(path: Path, folder: Path, content_hash: str) -> Path:
    target = folder / f"{content_hash[:16]}_{path.name}"
    if not target.exists():
        _atomic_write(target, lambda p: shutil.copyfile(path, p))
    return target


def land_file(path: Path, source: Source, *, retrieved_at: str | None = None) -> LandingReport:
    """Parse, stage, quarantine and archive one landing file; raises SourceFileError (one
    line) when the file is unusable, after copying it to the quarantine's _files folder."""
    path = Path(path)
    try:
        results = parse_file(path, source, retrieved_at=retrieved_at)
    except SourceFileError:
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            _archive(path, quarantine_dir() / "_files" / source, digest)
        raise
    content_hash = (
        next((str(r.rows["content_hash"].iat[0]) for r in results.values() if len(r.rows)), None)
        or hashlib.sha256(path.read_bytes()).hexdigest()
    )
    report = LandingReport(
        source=source,
        file=path,
        content_hash=content_hash,
        archived_to=_archive(path, archive_dir() / source, content_hash),
    )
    for table, result in results.items():
        staged, quarantined = _stage(table, result, content_hash)
        report.tables[table] = TableReport(
            table=table,
            rows_in=result.rows_in,
            parsed=len(result.rows),
            set_aside=len(result.rejected),
            staged_path=staged,
            quarantine_path=quarantined,
            notes=tuple(result.notes),
        )
    return report


def read_quarantine(table: str, content_hash: str) -> pd.DataFrame:
    """The rows set aside for one landed file (empty frame when none)."""
    path = quarantine_dir() / table / f"{content_hash}.csv"
    return pd.read_csv(path, dtype=str) if path.exists() else pd.DataFrame()
