"""An OpportunityResult on disk: one Parquet file per frame and a small pickle for the rest.

Why not one pickle (Dagster's default IO manager): at 60,000 establishments the result holds
~670,000 explained candidates; pickling pandas' Arrow-backed string columns copies them
(1.6 GB on top of the result) and takes seconds, and the file is ~860 MB. Parquet writes the
Arrow buffers as they are (~300 MB, uncompressed: this is a hand-over, not an archive).

The round trip is exact (`tests/test_opportunities_sample.py`): dtypes, index, `attrs` and the
cards come back as they went in. Object columns (Parquet reads them back as str) are
recorded and restored; a frame Arrow cannot hold (mixed types in one column) is pickled.
A folder is replaced as a whole (written beside it, then renamed), so a reader never sees
half a result and writing the same result twice leaves the same files.
"""

from __future__ import annotations

import os
import pickle
import shutil
import uuid
from dataclasses import fields
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from regionomie.domain.opportunities import OpportunityResult

META_FILE = "meta.pkl"
FORMAT_VERSION = 2
_PLAIN = ("cards", "notes")  # JSON-like fields, kept in meta.pkl as they are
_FRAMES = tuple(f.name for f in fields(OpportunityResult) if f.name not in _PLAIN)


def save_result(result: OpportunityResult, folder: Path) -> Path:
    """Write `result` into `folder` (replaced as a whole); returns the folder."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".{folder.name}.{uuid.uuid4().hex}.tmp"
    staging.mkdir()
    try:
        meta: dict[str, Any] = {"format": FORMAT_VERSION, "frames": {}}
        meta.update({name: getattr(result, name) for name in _PLAIN})
        for name in _FRAMES:
            meta["frames"][name] = _write_frame(getattr(result, name), staging, name)
        with open(staging / META_FILE, "wb") as handle:
            pickle.dump(meta, handle, protocol=pickle.HIGHEST_PROTOCOL)
        _replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def load_result(folder: Path) -> OpportunityResult:
    """The OpportunityResult `save_result` wrote into `folder`."""
    folder = Path(folder)
    if not (folder / META_FILE).is_file():
        raise FileNotFoundError(
            f"{folder}: no stored opportunity result; materialise regional_opportunities for "
            "this region first"
        )
    with open(folder / META_FILE, "rb") as handle:
        meta = pickle.load(handle)
    if meta.get("format") != FORMAT_VERSION:
        raise ValueError(f"{folder}: stored result format {meta.get('format')!r} unknown")
    frames = {name: _read_frame(folder, name, info) for name, info in meta["frames"].items()}
    return OpportunityResult(**{name: meta[name] for name in _PLAIN}, **frames)


def _write_frame(frame: pd.DataFrame, folder: Path, name: str) -> dict[str, Any]:
    info: dict[str, Any] = {"attrs": dict(frame.attrs)}
    plain = frame.copy(deep=False)
    plain.attrs = {}
    try:
        table = pa.Table.from_pandas(plain, preserve_index=None)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, ValueError):
        with open(folder / f"{name}.pkl", "wb") as handle:
            pickle.dump(plain, handle, protocol=pickle.HIGHEST_PROTOCOL)
        return {**info, "file": f"{name}.pkl"}
    pq.write_table(table, folder / f"{name}.parquet", compression="none")
    info["object_columns"] = [c for c in frame.columns if frame[c].dtype == object]
    return {**info, "file": f"{name}.parquet"}


def _read_frame(folder: Path, name: str, info: dict[str, Any]) -> pd.DataFrame:
    path = folder / info["file"]
    if path.suffix == ".pkl":
        with open(path, "rb") as handle:
            frame = pickle.load(handle)
    else:
        frame = pd.read_parquet(path)
        objects = [c for c in info.get("object_columns", []) if frame[c].dtype != object]
        if objects:
            frame = frame.astype(dict.fromkeys(objects, object))
    frame.attrs = info["attrs"]
    return frame


def _replace(staging: Path, folder: Path) -> None:
    """Swap `staging` in for `folder`: the old folder is moved aside first, then removed."""
    old = None
    if folder.exists():
        old = folder.parent / f".{folder.name}.{uuid.uuid4().hex}.old"
        os.replace(folder, old)
    os.replace(staging, folder)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
