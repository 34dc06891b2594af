"""The staging area: one Parquet file per (table, landed file content hash).

Why: a landed file is parsed once; the current state of a table is the union of everything
staged, newest version of each key first. Re-landing an identical file overwrites the same
Parquet file, so nothing is ever counted twice.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from regionomie.domain.schemas import CONTRACTS
from regionomie.paths import state_dir


def staging_root() -> Path:
    return state_dir() / "staging"


def staged_files(table: str, root: Path | None = None) -> list[Path]:
    folder = (root or staging_root()) / table
    return sorted(folder.glob("*.parquet")) if folder.exists() else []


def empty_table(table: str) -> pd.DataFrame:
    """A table nothing was landed for: no rows, the contract's columns."""
    contract = CONTRACTS.get(table)
    columns = list(contract.all_columns) if contract else []
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def read_staged(table: str, root: Path | None = None) -> pd.DataFrame:
    """Union of all staged files of `table`; for keyed contracts the newest row per key wins
    (by retrieved_at, then source file name, so the outcome never depends on file order)."""
    files = staged_files(table, root)
    if not files:
        return empty_table(table)
    frames = [pd.read_parquet(path) for path in files]
    frame = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else frames[0]
    )
    return newest_per_key(table, frame)


def newest_per_key(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """For keyed contracts the newest row per key (by retrieved_at, then source file name
    and row), sorted by key: the current state of a table from several landed versions."""
    contract = CONTRACTS.get(table)
    if contract is not None:
        # A column the contract gained later (municipalities.outline) is empty in files
        # staged before it, never a schema drift of the stored data.
        for column in contract.columns:
            if column not in frame.columns:
                frame[column] = None
    if contract is None or frame.empty:
        return frame.reset_index(drop=True)
    order = [c for c in ("retrieved_at", "source_file", "source_row") if c in frame.columns]
    frame = frame.sort_values(order, kind="stable") if order else frame
    frame = frame.drop_duplicates(subset=list(contract.key), keep="last")
    return frame.sort_values(list(contract.key), kind="stable").reset_index(drop=True)
