"""All-or-nothing publishing of one region's export folder.

A region's files are written into a hidden build folder and published as <date>/ only when
complete, with a manifest.json listing every file; `latest` only ever points at a folder with
a manifest. A crash or a full disk never leaves a partial export in view.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

from regionomie.domain.privacy import SoleProprietorShield
from regionomie.fileio import dir_mode, file_mode, fsync_dir

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MANIFEST = "manifest.json"
STALE_BUILD_SECONDS = 6 * 3600


def start_build(region_dir: Path, date: dt.date) -> Path:
    """A new hidden build folder for `date`, named so that recover() can tell whose it is
    (pid) and throw it away once that process is gone."""
    build = region_dir / f".{date.isoformat()}.build-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    build.mkdir(mode=dir_mode())
    os.chmod(build, dir_mode())
    return build


def is_complete(folder: Path) -> bool:
    """A published export folder: it has a manifest and every file the manifest lists, at the
    size it lists."""
    manifest = folder / MANIFEST
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    for name, info in listed.items():
        try:
            if (folder / name).stat().st_size != int(info["bytes"]):
                return False
        except (OSError, KeyError, TypeError, ValueError):
            return False
    return True


def update_latest(region_dir: Path) -> Path:
    """Point region_dir/latest at the newest complete YYYY-MM-DD folder: a relative symlink
    swapped in atomically, or (where symlinks fail) a copied folder swapped in by rename, plus
    latest.json naming the date. Folders without a manifest (partial, or older than manifests)
    are never pointed at."""
    dates = sorted(
        p.name
        for p in region_dir.iterdir()
        if p.is_dir() and not p.is_symlink() and _DATE_RE.match(p.name) and is_complete(p)
    )
    if not dates:
        raise FileNotFoundError(f"{region_dir}: no complete dated export folders")
    newest = dates[-1]
    latest = region_dir / "latest"
    tmp = region_dir / f".latest.{uuid.uuid4().hex[:8]}.tmp"
    try:
        os.symlink(newest, tmp, target_is_directory=True)
        if latest.exists() and not latest.is_symlink():
            shutil.rmtree(latest)
        os.replace(tmp, latest)
    except OSError:
        if tmp.is_symlink():
            tmp.unlink()
        shutil.copytree(region_dir / newest, tmp)
        old = region_dir / f".latest.{uuid.uuid4().hex[:8]}.old"
        if latest.is_symlink():
            latest.unlink()
        elif latest.exists():
            os.rename(latest, old)
        os.rename(tmp, latest)
        shutil.rmtree(old, ignore_errors=True)
        pointer = region_dir / "latest.json"
        pointer_tmp = region_dir / ".latest.json.tmp"
        pointer_tmp.write_text(json.dumps({"latest": newest}, sort_keys=True) + "\n", "utf-8")
        os.replace(pointer_tmp, pointer)
    fsync_dir(region_dir)
    return latest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(
    folder: Path,
    region: str,
    date: dt.date,
    counts: Mapping[str, int],
    shield: SoleProprietorShield,
    anonymity: Mapping[str, object] | None = None,
) -> Path:
    """manifest.json, written last: every file with size and sha256, and what the safety rules
    did (formula cells neutralised, sole proprietors shielded, and `anonymity`: what the
    k-anonymity step generalised). Deterministic (no clock), so identical exports stay
    byte-identical."""
    files = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name != MANIFEST:
            os.chmod(path, file_mode())
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
            files[path.name] = {"bytes": path.stat().st_size, "sha256": _sha256(path)}
    manifest = {
        "region": region,
        "date": date.isoformat(),
        "files": files,
        "formula_cells_neutralised": dict(sorted(counts.items())),
        "sole_proprietors_shielded": len(shield.personal_ids),
    }
    if anonymity is not None:
        manifest["anonymity"] = anonymity
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    os.chmod(path, file_mode())
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
    fsync_dir(folder)
    return path


def recover(region_dir: Path) -> None:
    """Undo what a crash between the two renames of a publish can leave: a dated folder moved
    aside (.<date>.old-*) with no new one in its place is moved back; stale build folders of
    dead runs are removed."""
    if not region_dir.exists():
        return
    now = time.time()
    for entry in sorted(region_dir.iterdir()):
        name = entry.name
        match = re.fullmatch(r"\.(\d{4}-\d{2}-\d{2})\.old-[0-9a-f]+", name)
        if match:
            final = region_dir / match.group(1)
            if not final.exists() and is_complete(entry):
                os.rename(entry, final)
            else:
                shutil.rmtree(entry, ignore_errors=True)
        elif build := re.fullmatch(r"\.\d{4}-\d{2}-\d{2}\.build-(\d+)-[0-9a-f]+", name):
            try:
                age = now - entry.stat().st_mtime
            except OSError:
                continue
            if not _pid_alive(int(build.group(1))) or age > STALE_BUILD_SECONDS:
                shutil.rmtree(entry, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    """True while a process with this id exists (also when it is not ours to signal)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def publish(build: Path, final: Path) -> None:
    """Swap a complete build folder in as `final`. On Linux both folders are exchanged in one
    atomic renameat2(RENAME_EXCHANGE), so `final` (and `latest`, a symlink to its name) is at
    every instant either the old complete export or the new one. Elsewhere the old folder is
    moved aside first; a crash between the two renames is undone by recover() on the next run."""
    if final.exists() and _exchange(build, final):
        fsync_dir(final.parent)
        shutil.rmtree(build, ignore_errors=True)  # now holds the previous export
        return
    old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
    if final.exists():
        os.rename(final, old)
    os.rename(build, final)
    fsync_dir(final.parent)
    shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with renameat2(RENAME_EXCHANGE); False where unsupported."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0
