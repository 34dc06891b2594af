"""Landing files written by the connectors: names, timestamps and atomic writes.

Why atomic: a Dagster sensor polls the landing folder; it must never see a half-written file.
Everything is written under a temporary name in the same folder and then os.replace()d.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from regionomie.domain.sources import SOURCES
from regionomie.paths import landing_dir

STAMP_FORMAT = "%Y%m%dT%H%M%S"


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso_z(moment: datetime) -> str:
    """ISO-8601 UTC with a trailing Z, the retrieved_at format of every landing file."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def slug(text: str) -> str:
    """File-name-safe lower-case slug: 'Plaats Amersfoort' -> 'plaats-amersfoort'."""
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s or "all"


def family_dir(family: str, root: Path | None = None) -> Path:
    if family not in SOURCES:
        raise ValueError(f"unknown landing family {family!r}; expected one of {SOURCES}")
    folder = (root or landing_dir()) / family
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def landing_path(
    family: str, prefix: str, suffix: str, *, moment: datetime, root: Path | None = None
) -> Path:
    """`<landing>/<family>/<prefix>_<UTC yyyymmddThhmmss><suffix>`. If that name is taken
    (two fetches in one second) the stamp moves on by a second, so names stay unique and
    keep the documented format."""
    folder = family_dir(family, root)
    for offset in range(3600):
        stamp = (moment + timedelta(seconds=offset)).strftime(STAMP_FORMAT)
        path = folder / f"{prefix}_{stamp}{suffix}"
        if not path.exists():
            return path
    raise FileExistsError(f"no free landing file name for {prefix} in {folder}")


@contextmanager
def atomic_writer(path: Path) -> Any:
    """Open a temp file next to `path` for text writing; on success os.replace() it onto
    `path`, on any error remove it (no partial file is ever visible under the final name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> Path:
    """Write one JSON document atomically (UTF-8, non-ASCII kept as is)."""
    with atomic_writer(path) as fh:
        json.dump(data, fh, ensure_ascii=False)
        fh.write("\n")
    return path


def write_jsonl_line(fh: IO[str], obj: Any) -> None:
    fh.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
    fh.write("\n")


def write_jsonl(path: Path, objects: Iterable[Any]) -> int:
    """Write objects as JSON lines atomically; returns the number of lines. If the iterable
    raises half-way, nothing is left behind."""
    n = 0
    with atomic_writer(path) as fh:
        for obj in objects:
            write_jsonl_line(fh, obj)
            n += 1
    return n
