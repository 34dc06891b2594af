"""Retention: what may be deleted from staging, the archive and the quarantine.

Why: every landed version was kept forever and nothing pruned staging, archive or quarantine,
so disk use (and the personal data held) only grew. The policy:

- staging: a staged file none of whose rows is the current version of its key (every key it
  holds was landed again later) is superseded; deleting it leaves every table exactly as
  `read_staged` returns it now. Tables without a key are never pruned.
- archive: originals older than REGIONOMIE_RETAIN_ARCHIVE_DAYS (default 365) go, unless a
  staged file still comes from them (they are the provenance of current rows).
- quarantine: set-aside rows and unusable files older than REGIONOMIE_RETAIN_QUARANTINE_DAYS
  (default 90) go; they hold whole rows, names included.

`plan_retention` only decides (and is what the tests check); `apply_plan` deletes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from regionomie.domain.schemas import CONTRACTS

DAY = 86_400


@dataclass(frozen=True)
class RetentionPolicy:
    archive_days: float = 365
    quarantine_days: float = 90
    prune_superseded_staging: bool = True

    @classmethod
    def from_env(cls) -> RetentionPolicy:
        def days(name: str, default: float) -> float:
            raw = os.environ.get(name, "").strip()
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError:
                raise ValueError(f"{name}={raw!r} is not a number of days") from None
            if value < 0:
                raise ValueError(f"{name} must be >= 0")
            return value

        return cls(
            archive_days=days("REGIONOMIE_RETAIN_ARCHIVE_DAYS", 365),
            quarantine_days=days("REGIONOMIE_RETAIN_QUARANTINE_DAYS", 90),
        )


@dataclass(frozen=True)
class Removal:
    path: Path
    area: str  # staging | archive | quarantine
    reason: str
    bytes: int


def _files(folder: Path) -> list[Path]:
    if not folder.exists():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def superseded_staged_files(table: str, folder: Path) -> list[Path]:
    """Staged files of a keyed table that hold no current row (read_staged's rule: newest
    retrieved_at, then source file name, then row, per key)."""
    contract = CONTRACTS.get(table)
    files = sorted(folder.glob("*.parquet")) if folder.exists() else []
    if contract is None or not contract.key or len(files) < 2:
        return []
    order_cols = ["retrieved_at", "source_file", "source_row"]
    parts = []
    for i, path in enumerate(files):
        schema_names = set(pq.read_schema(path).names)
        cols = [c for c in [*contract.key, *order_cols] if c in schema_names]
        if not set(contract.key) <= set(cols):
            return []  # an odd file: prune nothing rather than guess
        frame = pd.read_parquet(path, columns=cols)
        parts.append(frame.assign(_file=i))
    frame = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    order = [c for c in order_cols if c in frame.columns]
    if order:
        frame = frame.sort_values(order, kind="stable")
    winners = frame.drop_duplicates(subset=list(contract.key), keep="last")
    alive = set(winners["_file"])
    return [path for i, path in enumerate(files) if i not in alive]


def plan_retention(
    policy: RetentionPolicy,
    staging: Path,
    archive: Path,
    quarantine: Path,
    now: float | None = None,
) -> list[Removal]:
    """Everything the policy would delete, with the reason; deletes nothing."""
    now = time.time() if now is None else now
    removals: list[Removal] = []
    staged_hashes: set[str] = set()
    for table_dir in sorted(p for p in staging.iterdir() if p.is_dir()) if staging.exists() else []:
        gone = (
            set(superseded_staged_files(table_dir.name, table_dir))
            if policy.prune_superseded_staging
            else set()
        )
        for path in sorted(table_dir.glob("*.parquet")):
            if path in gone:
                reason = "superseded: every key landed again later"
                removals.append(Removal(path, "staging", reason, _size(path)))
            else:
                staged_hashes.add(path.stem[:16])
    for path in _files(archive):
        age_days = (now - path.stat().st_mtime) / DAY
        if age_days <= policy.archive_days:
            continue
        if path.name[:16] in staged_hashes:
            continue  # the source of rows still staged
        removals.append(Removal(path, "archive", f"archived {age_days:.0f} days ago", _size(path)))
    for path in _files(quarantine):
        age_days = (now - path.stat().st_mtime) / DAY
        if age_days > policy.quarantine_days:
            removals.append(
                Removal(path, "quarantine", f"set aside {age_days:.0f} days ago", _size(path))
            )
    return removals


def apply_plan(removals: Iterable[Removal]) -> int:
    """Delete the planned files; returns the bytes freed. Empty folders left behind go too."""
    freed = 0
    folders: set[Path] = set()
    for removal in removals:
        try:
            removal.path.unlink()
        except FileNotFoundError:
            continue
        freed += removal.bytes
        folders.add(removal.path.parent)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:
            pass  # not empty
    return freed


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
