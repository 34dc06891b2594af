"""Landing a file: parse it, stage the tables as Parquet, quarantine rejected rows, archive
the original bytes. Used by `regionomie ingest` and (later) by the Dagster ingest assets, so
both write the same files in the same places.

Layout (all keyed by the sha256 of the file, so landing the same bytes twice overwrites the
same files and never counts anything twice):
  <state>/staging/<table>/<content_hash>.parquet
  <quarantine>/<table>/<content_hash>.csv            (only when rows were set aside)
  <state>/archive/<source>/<content_hash[:16]>_<file name>   (REGIONOMIE_ARCHIVE_DIR moves it)
A wholly unusable file is copied to <quarantine>/_files/<source>/ (with a .reason.json next to
it) and SourceFileError raised - whatever went wrong with that one file (a broken or hostile
file, a parser error, a name too long to archive), so the next file is never blocked. A
symbolic link is refused and never followed: only its reason is recorded. A full disk is not
the file's fault: StorageFullError is raised, nothing is quarantined, the file stays put.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from regionomie.domain.parsers import Source, parse_file
from regionomie.domain.results import ParseResult, SourceFileError
from regionomie.fileio import StorageFullError, atomic_write, is_storage_full
from regionomie.paths import quarantine_dir, state_dir

MAX_STORED_NAME_BYTES = 180  # leaves room for the hash prefix within NAME_MAX (255 bytes)


def staging_dir() -> Path:
    return state_dir() / "staging"


def archive_dir() -> Path:
    """The originals as landed (whole files, personal data included): under the state root
    like everything else the pipeline keeps, so a separate-state run and `retention` find
    them; REGIONOMIE_ARCHIVE_DIR moves them on purpose."""
    return Path(os.environ.get("REGIONOMIE_ARCHIVE_DIR", state_dir() / "archive"))


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
    """Owner-only, all-or-nothing (regionomie.fileio.atomic_write)."""
    atomic_write(path, write)  # type: ignore[arg-type]


def stored_name(name: str) -> str:
    """A landing file's name as archive/quarantine can store it: control characters replaced,
    at most MAX_STORED_NAME_BYTES bytes with the suffix kept (a 300-character name made
    archiving fail with OSError and blocked the whole landing step)."""
    safe = re.sub(r"[\x00-\x1f\x7f/]", "_", name) or "_"
    if len(safe.encode("utf-8")) <= MAX_STORED_NAME_BYTES:
        return safe
    stem, dot, suffix = safe.rpartition(".")
    suffix = f".{suffix}" if dot and len(suffix) <= 10 else ""
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    budget = MAX_STORED_NAME_BYTES - len(suffix.encode()) - len(digest) - 1
    head = (stem if suffix else safe).encode("utf-8")[:budget].decode("utf-8", "ignore")
    return f"{head}~{digest}{suffix}"


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
    target = folder / f"{content_hash[:16]}_{stored_name(path.name)}"
    if not target.exists():
        _atomic_write(target, lambda p: _copy_no_follow(path, p))
    return target


def _copy_no_follow(src: Path, dst: Path) -> None:
    fd = os.open(src, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fin, dst.open("wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)


def _is_regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def quarantine_file(path: Path, source: str, reason: str) -> Path:
    """Set a wholly unusable file aside: a copy (never of a symlink's target) plus a
    .reason.json naming the file and why. Returns the reason file."""
    folder = quarantine_dir() / "_files" / source
    if _is_regular_file(path):
        digest = _file_hash(path)
        _archive(path, folder, digest)
    else:  # a symlink or anything else: record the name and reason, copy nothing
        digest = hashlib.sha256(f"{source}:{path.name}".encode("utf-8", "surrogateescape"))
        digest = digest.hexdigest()
    note = folder / f"{digest[:16]}_{stored_name(path.name)}.reason.json"
    text = json.dumps(
        {"file": path.name, "source": source, "reason": reason, "content_hash": digest},
        ensure_ascii=False,
        sort_keys=True,
    )
    _atomic_write(note, lambda p: p.write_text(text + "\n", encoding="utf-8"))
    return note


def _unexpected_reason(path: Path, exc: BaseException) -> str:
    """One line for an error no parser anticipated; the exception type and, for OS errors,
    the system's reason (messages of other errors may quote file content, so not those)."""
    detail = f": {exc.strerror}" if isinstance(exc, OSError) and exc.strerror else ""
    return f"{path.name}: could not be landed ({type(exc).__name__}{detail})"


def land_file(path: Path, source: Source, *, retrieved_at: str | None = None) -> LandingReport:
    """Parse, stage, quarantine and archive one landing file. Raises SourceFileError (one line)
    when the file is unusable for any reason, after setting it aside in the quarantine's
    _files folder; raises StorageFullError (and quarantines nothing) when the disk is full."""
    path = Path(path)
    try:
        return _land(path, source, retrieved_at)
    except SourceFileError as exc:
        _set_aside(path, source, str(exc))
        raise
    except StorageFullError as exc:
        raise StorageFullError(
            exc.errno or 28,
            f"{path.name}: {exc}; nothing was staged for it, the file stays in the landing folder",
        ) from exc
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        if is_storage_full(exc):
            raise StorageFullError(
                getattr(exc, "errno", None) or 28,
                f"{path.name}: disk full while landing "
                f"({getattr(exc, 'strerror', None) or 'no space left on device'}); "
                "nothing was staged for it, the file stays in the landing folder",
            ) from exc
        reason = _unexpected_reason(path, exc)
        _set_aside(path, source, reason)
        raise SourceFileError(reason) from exc


def _set_aside(path: Path, source: str, reason: str) -> None:
    try:
        quarantine_file(path, source, reason)
    except OSError as exc:
        if is_storage_full(exc):
            raise
        # the reason still reaches the caller through SourceFileError


def _land(path: Path, source: Source, retrieved_at: str | None) -> LandingReport:
    results = parse_file(path, source, retrieved_at=retrieved_at)
    content_hash = next(
        (str(r.rows["content_hash"].iat[0]) for r in results.values() if len(r.rows)), None
    ) or _file_hash(path)
    report = LandingReport(
        source=source,
        file=path,
        content_hash=content_hash,
        archived_to=_archive(path, archive_dir() / source, content_hash),
    )
    written: list[Path] = []
    try:
        for table, result in results.items():
            staged, quarantined = _stage(table, result, content_hash)
            written += [p for p in (staged, quarantined) if p is not None]
            report.tables[table] = TableReport(
                table=table,
                rows_in=result.rows_in,
                parsed=len(result.rows),
                set_aside=len(result.rejected),
                staged_path=staged,
                quarantine_path=quarantined,
                notes=tuple(result.notes),
            )
    except BaseException:
        for staged_path in written:  # a file lands with all its tables or not at all
            staged_path.unlink(missing_ok=True)
        raise
    return report
