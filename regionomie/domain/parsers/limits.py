"""Input limits: no landing file can exhaust the machine's memory or time.

Why: a 1.2 MB .xlsx that inflates to 286 MB of XML took ~1 GB and 44 s before it was
rejected, and a 50 MB CSV without a line break raised peak memory by 190 MB. Each check here
is cheap and runs before the expensive parse:

- a size limit per source family, checked on the file's size before reading it;
- every file a zip reader can open (an .xlsx, a .zip, or anything with a zip at its end,
  whatever bytes stand in front) is judged on its central directory (declared sizes, total
  and compression ratio) before anything is inflated; .gz and .zip landing files are
  inflated in a stream that stops at the limit;
- the longest physical line of a CSV is measured in blocks before pandas sees it;
- big CSVs are parsed in chunks of REGIONOMIE_CSV_CHUNK_ROWS rows.

All limits come from the environment (README, "Input limits") and every refusal is one line
naming the file, the limit and the variable that raises it.
"""

from __future__ import annotations

import gzip
import io
import os
import zipfile
import zlib
from dataclasses import dataclass, field

import numpy as np

from regionomie.domain.results import SourceFileError

MB = 1024 * 1024
DEFAULT_MAX_FILE_MB: dict[str, int] = {"kvk": 1024, "waste": 1024, "municipal": 256}
DEFAULT_MAX_UNZIPPED_MB = 1024
DEFAULT_MAX_ZIP_RATIO = 100.0  # Apache POI's default for .xlsx (min inflate ratio 0.01)
DEFAULT_MAX_ZIP_MEMBERS = 10_000
DEFAULT_MAX_LINE_KB = 1024
DEFAULT_CSV_CHUNK_ROWS = 50_000  # 405k-row LMA: 1.5 GB peak, 1.8 GB at 200k, 2.1 GB whole
_SCAN_BLOCK = 16 * MB


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {raw!r}")
    return value


@dataclass(frozen=True)
class InputLimits:
    """The limits one landing file is held to (bytes unless named otherwise)."""

    max_file_bytes: dict[str, int] = field(
        default_factory=lambda: {k: v * MB for k, v in DEFAULT_MAX_FILE_MB.items()}
    )
    max_unzipped_bytes: int = DEFAULT_MAX_UNZIPPED_MB * MB
    max_zip_ratio: float = DEFAULT_MAX_ZIP_RATIO
    max_zip_members: int = DEFAULT_MAX_ZIP_MEMBERS
    max_line_bytes: int = DEFAULT_MAX_LINE_KB * 1024
    csv_chunk_rows: int = DEFAULT_CSV_CHUNK_ROWS

    @classmethod
    def from_env(cls) -> InputLimits:
        """REGIONOMIE_MAX_FILE_MB (every source) or REGIONOMIE_MAX_FILE_MB_<KVK|WASTE|MUNICIPAL>,
        REGIONOMIE_MAX_UNZIPPED_MB, REGIONOMIE_MAX_ZIP_RATIO, REGIONOMIE_MAX_LINE_KB,
        REGIONOMIE_CSV_CHUNK_ROWS."""
        common = os.environ.get("REGIONOMIE_MAX_FILE_MB", "").strip()
        per_source = {}
        for source, default in DEFAULT_MAX_FILE_MB.items():
            base = _env_number("REGIONOMIE_MAX_FILE_MB", default) if common else default
            mb = _env_number(f"REGIONOMIE_MAX_FILE_MB_{source.upper()}", base)
            per_source[source] = int(mb * MB)
        return cls(
            max_file_bytes=per_source,
            max_unzipped_bytes=int(_env_number("REGIONOMIE_MAX_UNZIPPED_MB", 1024) * MB),
            max_zip_ratio=_env_number("REGIONOMIE_MAX_ZIP_RATIO", DEFAULT_MAX_ZIP_RATIO),
            max_line_bytes=int(_env_number("REGIONOMIE_MAX_LINE_KB", DEFAULT_MAX_LINE_KB) * 1024),
            csv_chunk_rows=int(_env_number("REGIONOMIE_CSV_CHUNK_ROWS", DEFAULT_CSV_CHUNK_ROWS)),
        )


def _mb(n: int) -> str:
    return f"{n / MB:,.1f} MB"


def check_file_size(name: str, size: int, source: str, limits: InputLimits) -> None:
    """Refuse a file bigger than its source family's limit, before reading it."""
    limit = limits.max_file_bytes.get(source, max(limits.max_file_bytes.values()))
    if size > limit:
        raise SourceFileError(
            f"{name}: file is {_mb(size)}, over the {_mb(limit)} limit for {source} files "
            f"(raise REGIONOMIE_MAX_FILE_MB_{source.upper()} if it is genuine)"
        )


def zip_members(data: bytes) -> list[zipfile.ZipInfo] | None:
    """The members of `data` as a zip reader sees them, or None when no zip reader can open
    it. Zip readers (zipfile, and openpyxl through it) find the central directory from the
    end of the data, so bytes in front of a zip do not stop them: neither may they stop the
    checks. Reads only the end of the data."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, IndexError):
        return None


def check_if_zip(name: str, data: bytes, limits: InputLimits) -> bool:
    """Judge `data` as a zip container (check_zip_container) whenever a zip reader can open
    it, whatever its first bytes or its name; returns whether it is one."""
    infos = zip_members(data)
    if infos is None:
        return False
    check_zip_container(name, data, limits, infos)
    return True


def check_zip_container(
    name: str, data: bytes, limits: InputLimits, infos: list[zipfile.ZipInfo] | None = None
) -> None:
    """Judge a zip (an .xlsx is one) by its central directory, inflating nothing: too many
    members, a declared total above the unzipped limit, or a member that claims to inflate
    more than max_zip_ratio times is a zip bomb. (zipfile never inflates a member beyond the
    size its directory declares, so the declared sizes bound what a reader gets.)"""
    if infos is None:
        infos = zip_members(data)
    if infos is None:
        kind = ".xlsx" if name.lower().endswith((".xlsx", ".xlsm")) else ".zip"
        raise SourceFileError(f"{name}: unreadable {kind} (not a valid zip container)")
    if len(infos) > limits.max_zip_members:
        raise SourceFileError(
            f"{name}: {len(infos):,} members in the archive, over the "
            f"{limits.max_zip_members:,} limit (a zip bomb?)"
        )
    total = sum(i.file_size for i in infos)
    if total > limits.max_unzipped_bytes:
        raise SourceFileError(
            f"{name}: unpacks to {_mb(total)}, over the {_mb(limits.max_unzipped_bytes)} limit "
            "(REGIONOMIE_MAX_UNZIPPED_MB)"
        )
    for info in infos:
        if info.file_size > 1 * MB and info.file_size > limits.max_zip_ratio * max(
            info.compress_size, 1
        ):
            ratio = info.file_size / max(info.compress_size, 1)
            raise SourceFileError(
                f"{name}: member {info.filename[:60]!r} inflates {ratio:,.0f}x "
                f"({_mb(info.compress_size)} -> {_mb(info.file_size)}), over the "
                f"{limits.max_zip_ratio:g}x limit (a zip bomb? REGIONOMIE_MAX_ZIP_RATIO)"
            )


def inflate(name: str, data: bytes, suffix: str, limits: InputLimits) -> bytes:
    """The data of a .gz file or of a .zip holding one data file, inflated in a stream that
    stops at max_unzipped_bytes (and at max_zip_ratio times the packed size)."""
    cap = int(min(limits.max_unzipped_bytes, max(len(data), 1) * limits.max_zip_ratio + MB))
    if suffix == ".gz":
        return _bounded(name, _gunzip_stream(data), cap, len(data), limits)
    check_zip_container(name, data, limits)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = [i for i in zf.infolist() if not i.is_dir() and not _is_junk(i.filename)]
        if len(members) != 1:
            raise SourceFileError(
                f"{name}: a zip must hold exactly one data file, found {len(members)}"
            )
        with zf.open(members[0]) as handle:
            chunks = iter(lambda: handle.read(MB), b"")
            return _bounded(name, chunks, cap, len(data), limits)


def _is_junk(member: str) -> bool:
    base = member.rsplit("/", 1)[-1]
    return member.startswith("__MACOSX/") or base.startswith(".") or base == ""


def _gunzip_stream(data: bytes):  # type: ignore[no-untyped-def]
    decoder = zlib.decompressobj(wbits=31)
    view = memoryview(data)
    pos = 0
    while pos < len(view):
        chunk = decoder.decompress(view[pos : pos + MB], MB)
        pos += MB
        yield chunk
        while decoder.unconsumed_tail:
            yield decoder.decompress(decoder.unconsumed_tail, MB)
        if decoder.eof:
            rest = decoder.unused_data
            if rest.strip(b"\x00"):  # another gzip member: concatenated .gz files
                yield from _gunzip_stream(rest)
            return
    if not decoder.eof:
        raise gzip.BadGzipFile("truncated gzip stream")


def _bounded(name: str, chunks, cap: int, packed: int, limits: InputLimits) -> bytes:  # type: ignore[no-untyped-def]
    out = bytearray()
    try:
        for chunk in chunks:
            out += chunk
            if len(out) > cap:
                raise SourceFileError(
                    f"{name}: inflates beyond {_mb(cap)} from {_mb(packed)} packed, over the "
                    f"limit (REGIONOMIE_MAX_UNZIPPED_MB / REGIONOMIE_MAX_ZIP_RATIO; a bomb?)"
                )
    except (zlib.error, gzip.BadGzipFile, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise SourceFileError(f"{name}: broken compressed data ({type(exc).__name__})") from None
    return bytes(out)


def longest_line(data: bytes, stop_above: int | None = None) -> tuple[int, int]:
    """(1-based line number, length in bytes) of the longest line, scanning in 16 MB blocks
    with numpy (no copy of the data); stops early once a line exceeds `stop_above`."""
    arr = np.frombuffer(data, dtype=np.uint8)
    best_len, best_line = 0, 1
    run = 0  # length of the line in progress at the start of the block
    line_no = 1
    for start in range(0, len(arr), _SCAN_BLOCK):
        block = arr[start : start + _SCAN_BLOCK]
        newlines = np.flatnonzero(block == 10)
        if len(newlines) == 0:
            run += len(block)
        else:
            lengths = np.diff(newlines, prepend=-1) - 1
            lengths[0] += run
            k = int(np.argmax(lengths))
            if lengths[k] > best_len:
                best_len, best_line = int(lengths[k]), line_no + k
            line_no += len(newlines)
            run = len(block) - int(newlines[-1]) - 1
        if run > best_len:
            best_len, best_line = run, line_no
        if stop_above is not None and best_len > stop_above:
            break
    return best_line, best_len


def check_line_lengths(name: str, data: bytes, limits: InputLimits) -> None:
    """Refuse a text file with a physical line over max_line_bytes (a broken export, or a
    file built to make the CSV tokenizer hold one giant field)."""
    line, length = longest_line(data, stop_above=limits.max_line_bytes)
    if length > limits.max_line_bytes:
        raise SourceFileError(
            f"{name}: line {line} is over {_mb(length) if length >= MB else f'{length:,} bytes'}"
            f" long, over the {limits.max_line_bytes // 1024:,} KB line limit "
            "(REGIONOMIE_MAX_LINE_KB; a file without line breaks?)"
        )
