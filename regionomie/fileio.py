"""Owner-only, all-or-nothing file writing for state (staging, quarantine, archive, Dagster home)
and exports.

Why: quarantine files hold full rows, names included, and exports name actors; on a shared
machine they must not be world-readable. Files are created 0600 and folders 0700 by default
(`REGIONOMIE_FILE_MODE`, e.g. 0640 to share with a group), and every file appears under its
final name only when complete (temporary file in the same folder, then os.replace), so a
crash or a full disk never leaves half a file that looks whole.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

DEFAULT_FILE_MODE = 0o600
STORAGE_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


class StorageFullError(OSError):
    """The disk (or a quota or file-size limit) is full: an environment problem, never the
    fault of the data being written. Nothing half-written is left under a final name."""

    def __str__(self) -> str:  # one line, without the "[Errno 28]" prefix
        return str(self.strerror)


def file_mode() -> int:
    """Mode of files written by the project: REGIONOMIE_FILE_MODE (octal), default 0600.
    Execute bits and anything beyond rw for owner/group/other are refused."""
    raw = os.environ.get("REGIONOMIE_FILE_MODE", "").strip()
    if not raw:
        return DEFAULT_FILE_MODE
    try:
        mode = int(raw, 8)
    except ValueError:
        raise ValueError(f"REGIONOMIE_FILE_MODE={raw!r} is not an octal mode like 0600") from None
    if mode & ~0o666 or (mode & 0o600) != 0o600:
        raise ValueError(f"REGIONOMIE_FILE_MODE={raw!r}: expected rw for the owner, no x bits")
    return mode


def dir_mode() -> int:
    """Folder mode matching file_mode(): each read bit brings its execute bit (0600 -> 0700)."""
    mode = file_mode()
    return mode | ((mode & 0o444) >> 2) | 0o700


def apply_umask() -> int:
    """Process umask so files nobody chmods (Dagster's own storage, logs) are owner-only too;
    returns the previous umask."""
    return os.umask(0o777 & ~dir_mode())


def make_dirs(path: Path) -> Path:
    """mkdir -p with dir_mode() for every folder created (existing folders are left alone)."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=dir_mode())
        except FileExistsError:
            continue
        os.chmod(folder, dir_mode())  # mkdir's mode is filtered by the umask
    return path


def append_line(path: Path, line: str) -> Path:
    """Append one line to a log-like file (alerts): created with file_mode() whatever the
    umask, an existing looser file tightened, a symbolic link refused (O_NOFOLLOW), the line
    written whole and flushed to disk."""
    path = Path(path)
    make_dirs(path.parent)
    data = (line.rstrip("\n") + "\n").encode("utf-8")
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, file_mode())
    try:
        os.fchmod(fd, file_mode())
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def is_storage_full(exc: BaseException) -> bool:
    """OSError meaning 'no room': ENOSPC, EFBIG (file-size limit), EDQUOT; pyarrow raises
    OSError without errno and says so in the message."""
    if not isinstance(exc, OSError):
        return False
    if exc.errno in STORAGE_FULL_ERRNOS:
        return True
    text = str(exc).lower()
    return "no space left" in text or "file too large" in text or "quota exceeded" in text


def atomic_write(path: Path, write: Callable[[Path], object], *, mode: int | None = None) -> Path:
    """Call write(tmp) on a temporary file next to `path` (created 0600), set its mode, flush it
    to disk and os.replace() it onto `path`. On any error the temporary file is removed and a
    full disk is raised as StorageFullError naming the file."""
    path = Path(path)
    make_dirs(path.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name[:80]}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, file_mode() if mode is None else mode)
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if is_storage_full(exc):
            raise StorageFullError(
                exc.errno if isinstance(exc, OSError) and exc.errno else errno.ENOSPC,
                f"disk full while writing {path} ({_reason(exc)}); nothing was written under "
                "that name",
            ) from exc
        raise
    return path


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename inside `path` durable."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
