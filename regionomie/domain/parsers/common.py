"""Shared plumbing for the file parsers: reading bytes once, detecting encoding/delimiter,
turning pandas tokenizer trouble into one-line errors, per-row rejects and provenance.

Row numbering: for CSV/XLSX files `source_row` is the physical line number in the file (the
header is line 1, the first data row line 2), so a user can open the file and find it; for
JSON it is the 1-based record number.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import stat
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from regionomie.domain.parsers.limits import (
    InputLimits,
    check_file_size,
    check_if_zip,
    check_line_lengths,
    inflate,
)
from regionomie.domain.results import REJECT_COLUMNS, SourceFileError, empty_rejects

_HTML_START = re.compile(rb"^\s*(<!doctype html|<html|<head|<body|<\?xml)", re.IGNORECASE)
_STAMP = re.compile(r"_(\d{8}T\d{6})(?:\.[A-Za-z0-9]+)+$")
_EXTRA = "__extra_field__"
_SKIP_LINE = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")


@dataclass(frozen=True)
class RawFile:
    """A landing file read once: bytes, hash and provenance stamps shared by all its rows."""

    path: Path
    data: bytes
    content_hash: str
    retrieved_at: str
    ingested_at: str
    retrieved_from: str = "argument"  # argument | file-name | mtime | bundle
    limits: InputLimits = field(default_factory=InputLimits)

    @property
    def name(self) -> str:
        return self.path.name


def utc_now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def read_raw(
    path: Path,
    retrieved_at: str | None = None,
    *,
    source: str | None = None,
    limits: InputLimits | None = None,
) -> RawFile:
    """Read a file's bytes once; refuse symlinks, oversized, empty, unreadable and HTML files
    and zip bombs with a one-line error. A .gz file, or a .zip holding one data file, is
    inflated within the limits (the content hash stays that of the file as landed)."""
    path = Path(path)
    limits = limits or InputLimits.from_env()
    data = _read_regular_file(path, source, limits)
    content_hash = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    # every file a zip reader can open is judged as one, whatever its first bytes or name
    is_zip = check_if_zip(path.name, data, limits)
    if suffix in (".gz", ".zip") and (is_zip or data.startswith(b"\x1f\x8b")):
        data = inflate(path.name, data, suffix, limits)
        is_zip = check_if_zip(path.name, data, limits)  # what came out may be a zip too
    if not data.strip():
        raise SourceFileError(f"{path.name}: file is empty")
    if (is_zip or data.startswith(b"PK\x03\x04")) and suffix not in (".xlsx", ".xlsm"):
        raise SourceFileError(
            f"{path.name}: file is a zip archive; unzip it and land the CSV (or name it .zip: "
            "one data file inside is read)"
        )
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff", b"PK")):
        raise SourceFileError(f"{path.name}: binary file, not text data")
    if _HTML_START.match(data[:512].lstrip(b"\xef\xbb\xbf")):
        raise SourceFileError(f"{path.name}: file is an HTML/XML page (an error page?), not data")
    stamp = _STAMP.search(path.name)
    origin = "argument"
    if retrieved_at is None and stamp:
        origin = "file-name"
        # connectors name landing files <prefix>_<yyyymmddThhmmss>.<ext> (UTC)
        retrieved_at = datetime.strptime(stamp.group(1), "%Y%m%dT%H%M%S").strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    if retrieved_at is None:
        origin = "mtime"
        mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
        retrieved_at = mtime.isoformat().replace("+00:00", "Z")
    return RawFile(
        path=path,
        data=data,
        content_hash=content_hash,
        retrieved_at=retrieved_at,
        ingested_at=utc_now_iso(),
        retrieved_from=origin,
        limits=limits,
    )


def _read_regular_file(path: Path, source: str | None, limits: InputLimits) -> bytes:
    """The bytes of a regular file that is no symlink (a link in the landing folder could point
    at any private file), within its source's size limit, read without following links."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise SourceFileError(f"{path.name}: cannot read file ({exc.strerror or exc})") from None
    if stat.S_ISLNK(st.st_mode):
        raise SourceFileError(
            f"{path.name}: is a symbolic link; refused (copy the file itself into the landing "
            "folder)"
        )
    if not stat.S_ISREG(st.st_mode):
        raise SourceFileError(f"{path.name}: not a regular file")
    if source is not None:
        check_file_size(path.name, st.st_size, source, limits)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise SourceFileError(f"{path.name}: cannot read file ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as handle:
        limit = limits.max_file_bytes.get(source or "", None)
        data = handle.read() if limit is None else handle.read(limit + 1)
    if source is not None:
        check_file_size(path.name, len(data), source, limits)  # grew while we read it
    return data


def detect_encoding(data: bytes) -> str:
    """UTF-8 with BOM, UTF-16 with BOM (Excel 'Unicode text'), UTF-8, else cp1252 (what
    Excel on Dutch Windows writes)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def decode_text(raw: RawFile) -> str:
    enc = detect_encoding(raw.data)
    try:
        return raw.data.decode(enc)
    except UnicodeDecodeError as exc:
        raise SourceFileError(f"{raw.name}: not decodable as {enc} ({exc.reason})") from None


def first_line(text: str) -> str:
    end = text.find("\n")
    return (text if end < 0 else text[:end]).rstrip("\r")


def detect_delimiter(header_line: str) -> str:
    """';' or ',' (or tab): whichever splits the header line outside quotes into most fields."""
    best, best_n = ",", 0
    for delim in (";", ",", "\t"):
        try:
            n = len(next(csv.reader([header_line], delimiter=delim)))
        except (csv.Error, StopIteration):
            continue
        if n > best_n:
            best, best_n = delim, n
    return best


def read_csv_text(raw: RawFile) -> tuple[pd.DataFrame, list[dict[str, object]], np.ndarray]:
    """Parse a CSV into all-string columns.

    Returns (frame, rejects for lines with too many fields, line number of each kept row).
    A file whose quoting never closes (truncated) is unusable as a whole."""
    return next(iter_csv_chunks(raw, chunk_rows=None))


def iter_csv_chunks(
    raw: RawFile, chunk_rows: int | None = -1
) -> Iterator[tuple[pd.DataFrame, list[dict[str, object]], np.ndarray]]:
    """read_csv_text in chunks of `chunk_rows` rows (-1: raw.limits.csv_chunk_rows; None: one
    chunk), so a big extract never sits in memory as one frame of Python strings. Line numbers
    and rejects are those of the whole file; at least one (possibly empty) chunk is yielded."""
    check_line_lengths(raw.name, raw.data, raw.limits)
    if chunk_rows == -1:
        chunk_rows = raw.limits.csv_chunk_rows
    enc = detect_encoding(raw.data)
    try:
        head = raw.data[:65536].decode(enc, errors="replace").lstrip("\ufeff")
    except LookupError:  # pragma: no cover - encodings above always exist
        head = raw.data[:65536].decode("latin-1")
    header = first_line(head.lstrip("\ufeff"))
    if not header.strip():
        raise SourceFileError(f"{raw.name}: line 1: no header")
    sep = detect_delimiter(header)
    try:
        names = [c.strip().lstrip("\ufeff") for c in next(csv.reader([header], delimiter=sep))]
    except csv.Error as exc:
        raise SourceFileError(f"{raw.name}: line 1: unreadable header ({exc})") from None
    seen: dict[str, int] = {}
    for k, c in enumerate(names):  # duplicate header names get a suffix, never overwrite
        if c in seen:
            seen[c] += 1
            names[k] = f"{c}.{seen[c]}"
        else:
            seen[c] = 0
    n_fields = len(names)
    next_line = 2  # physical line of the first row of the next chunk
    yielded = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            reader = pd.read_csv(
                io.BytesIO(raw.data),
                sep=sep,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                encoding=enc,
                on_bad_lines="warn",
                skip_blank_lines=False,  # keeps physical line numbers; blank rows dropped below
                header=None,
                skiprows=1,
                names=[*names, _EXTRA],
                index_col=False,
                chunksize=chunk_rows,
            )
            chunks = reader if chunk_rows is not None else iter([reader])
            for frame in chunks:
                bad = [w for w in caught]
                caught.clear()
                tidy = _tidy_chunk(raw, frame, bad, n_fields, next_line)
                next_line = tidy[3]
                yielded = True
                yield tidy[:3]
            if caught:  # bad lines after the last full chunk are reported when the reader ends
                empty = pd.DataFrame({c: pd.Series(dtype=str) for c in [*names, _EXTRA]})
                tidy = _tidy_chunk(raw, empty, list(caught), n_fields, next_line)
                caught.clear()
                yielded = True
                yield tidy[:3]
        except pd.errors.EmptyDataError:
            raise SourceFileError(f"{raw.name}: no header row") from None
        except pd.errors.ParserError as exc:
            msg = str(exc).replace("\n", " ").strip()
            m = re.search(r"row (\d+)", msg)
            where = f"line {int(m.group(1)) + 1}: " if m else ""
            if "EOF" in msg:
                raise SourceFileError(
                    f"{raw.name}: {where}file ends inside a quoted field (truncated?)"
                ) from None
            raise SourceFileError(f"{raw.name}: {where}unreadable CSV ({msg})") from None
        except UnicodeDecodeError as exc:
            raise SourceFileError(f"{raw.name}: not decodable as {enc} ({exc.reason})") from None
    if not yielded:
        empty = pd.DataFrame({c: pd.Series(dtype=str) for c in names})
        yield empty, [], np.zeros(0, dtype=np.int64)


def _tidy_chunk(
    raw: RawFile,
    frame: pd.DataFrame,
    caught: list[warnings.WarningMessage],
    n_fields: int,
    first_line: int,
) -> tuple[pd.DataFrame, list[dict[str, object]], np.ndarray, int]:
    """One chunk as read_csv_text returns it, plus the physical line after the chunk."""
    bad_lines: list[int] = []
    rejects: list[dict[str, object]] = []
    for w in caught:
        for m in _SKIP_LINE.finditer(str(w.message)):
            line, saw = int(m.group(1)), int(m.group(3))
            bad_lines.append(line)
            rejects.append(
                reject_row(raw.name, line, "", "", f"row: expected {n_fields} fields, saw {saw}")
            )
    n_total = len(frame) + len(bad_lines)
    lines = np.arange(first_line, first_line + n_total, dtype=np.int64)
    if bad_lines:
        lines = lines[~np.isin(lines, np.array(bad_lines, dtype=np.int64))]
    frame = frame.reset_index(drop=True)
    extra = (frame[_EXTRA].astype(str) != "").to_numpy()
    if extra.any():
        for line in lines[extra]:
            rejects.append(
                reject_row(
                    raw.name,
                    int(line),
                    "",
                    "",
                    f"row: expected {n_fields} fields, saw {n_fields + 1}",
                )
            )
        frame = frame[~extra].reset_index(drop=True)
        lines = lines[~extra]
    frame = frame.drop(columns=[_EXTRA])
    if len(frame.columns):
        blank_rows = (frame.iloc[:, 0].astype(str).str.strip() == "").to_numpy().copy()
        if blank_rows.any():  # only rows with an empty first field can be blank
            cand = np.flatnonzero(blank_rows)
            sub = frame.iloc[cand]
            all_empty = np.ones(len(cand), dtype=bool)
            for c in frame.columns[1:]:
                all_empty &= (sub[c].astype(str).str.strip() == "").to_numpy()
            blank_rows[:] = False
            blank_rows[cand[all_empty]] = True
        if blank_rows.any():  # empty lines (or only delimiters) carry no data: not rows
            frame = frame[~blank_rows].reset_index(drop=True)
            lines = lines[~blank_rows]
    rejects.sort(key=lambda r: int(r["source_row"]))  # type: ignore[call-overload]
    return frame, rejects, lines, first_line + n_total


def reject_row(
    source_file: str, source_row: int, field: str, value: object, reason: str
) -> dict[str, object]:
    return {
        "source_file": source_file,
        "source_row": int(source_row),
        "field": field,
        "value": "" if value is None else str(value),
        "reason": reason,
    }


def rejects_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    if not rows:
        return empty_rejects()
    return pd.DataFrame(rows, columns=list(REJECT_COLUMNS))


class RowChecks:
    """Collects the first problem of each row of a frame, vectorised: each check is a boolean
    mask; a row keeps the first reason that hit it."""

    def __init__(self, n: int) -> None:
        self.reason = np.full(n, None, dtype=object)
        self.field = np.full(n, None, dtype=object)
        self.value = np.full(n, None, dtype=object)

    def add(self, mask: np.ndarray | pd.Series, field: str, reason: str, values: pd.Series) -> None:
        m = np.asarray(mask, dtype=bool) & pd.isna(self.reason)
        if not m.any():
            return
        self.reason[m] = f"{field}: {reason}"
        self.field[m] = field
        self.value[m] = np.asarray(values.astype(object))[m]

    @property
    def bad(self) -> np.ndarray:
        return ~pd.isna(self.reason)

    def frame(self, source_file: str, lines: np.ndarray) -> pd.DataFrame:
        bad = self.bad
        if not bad.any():
            return empty_rejects()
        return pd.DataFrame(
            {
                "source_file": source_file,
                "source_row": lines[bad].astype(int),
                "field": self.field[bad],
                "value": pd.Series(self.value[bad]).fillna("").astype(str).to_numpy(),
                "reason": self.reason[bad],
            },
            columns=list(REJECT_COLUMNS),
        )


def add_provenance(
    frame: pd.DataFrame, raw: RawFile, source: str, rows: np.ndarray | list[int]
) -> pd.DataFrame:
    frame = frame.copy() if frame is not None else pd.DataFrame()
    frame["source"] = source
    frame["source_file"] = raw.name
    frame["source_row"] = np.asarray(rows, dtype=np.int64)
    frame["content_hash"] = raw.content_hash
    frame["retrieved_at"] = raw.retrieved_at
    frame["ingested_at"] = raw.ingested_at
    return frame


def parse_decimal(values: pd.Series) -> pd.Series:
    """Numbers as exported by Dutch tools as well as plain ones, decided per value:
    '1.234,5' / '1234,5' (decimal comma, '.' thousands) and '1234.5' (decimal point).
    A dot-only value shaped like thousands ('1.234') is read as thousands only when the column
    also holds decimal-comma values (a Dutch export); otherwise the dot is a decimal point.
    A value holding both separators is read by the last one, and only when the other one
    groups thousands: '1,234.5' (English) is 1234.5, '1.234,5' (Dutch) 1234.5. Several commas
    without a point ('1,234,567') can only be English thousands. Anything else with both
    ('1.23,4.5') is refused (NaN, so the row is set aside as not a number), never read with
    a silent factor of 1,000."""
    s = values.astype(str).str.strip().str.replace(" ", "", regex=False)
    comma = s.str.contains(",", regex=False)
    out = s.copy()
    if comma.any():
        point = s.str.contains(".", regex=False)
        english = s.str.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?").fillna(False) & (
            point | (s.str.count(",") > 1)
        )
        dutch = comma & ~english
        out[dutch] = s[dutch].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        malformed = dutch & point & ~s.str.fullmatch(r"[-+]?\d{1,3}(\.\d{3})+,\d*").fillna(False)
        out[malformed] = ""
        out[english] = s[english].str.replace(",", "", regex=False)
        thousands = ~comma & s.str.fullmatch(r"-?\d{1,3}(\.\d{3})+")
        if dutch.any():
            out[thousands] = s[thousands].str.replace(".", "", regex=False)
    return pd.to_numeric(out.where(out != ""), errors="coerce").astype("float64")


def none_where(values: pd.Series, mask: pd.Series | np.ndarray) -> pd.Series:
    """Object series with None (not NaN/NA) where mask is True or the value is missing."""
    arr = values.to_numpy(dtype=object, na_value=None).copy()
    arr[np.asarray(mask, dtype=bool)] = None
    return pd.Series(arr, index=values.index, dtype=object)


def blank(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip() == ""


def clean_str(values: pd.Series) -> pd.Series:
    """Strip; empty string -> None (object dtype so parquet/None round-trips)."""
    s = values.astype(str).str.strip()
    return none_where(s, (s == "").to_numpy())


def norm_postcode(values: pd.Series) -> pd.Series:
    """'1234 ab' -> '1234AB'; anything not a Dutch postcode kept as upper-case stripped text."""
    return values.astype(str).str.upper().str.replace(r"\s+", "", regex=True)


POSTCODE_RE = r"^[1-9][0-9]{3}[A-Z]{2}$"
# KvK writes a wholly unknown date as eight zeros (unknown parts of a known date are zeroed
# too: '20150600'); such a record is kept with an unknown date, never rejected.
KVK_UNKNOWN_DATE = "00000000"


def parse_kvk_date(raw_value: object) -> tuple[str | None, str | None]:
    """KvK 'YYYYMMDD' with zeroed unknown parts -> (ISO date, precision).

    '20150600' -> ('2015-06-01', 'month'); '20150000' -> ('2015-01-01', 'year');
    '00000000' (KvK's "date unknown") -> (None, 'unknown'): the record is kept, its date is
    not. ISO 'YYYY-MM-DD' is accepted as is. Returns (None, None) for empty and raises
    ValueError for text that is no date."""
    if raw_value is None or (isinstance(raw_value, float) and np.isnan(raw_value)):
        return None, None
    text = str(raw_value).strip()
    if not text:
        return None, None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        datetime.strptime(text, "%Y-%m-%d")
        return text, "day"
    if not re.fullmatch(r"\d{8}", text):
        raise ValueError(f"not a date {text!r}")
    if text == KVK_UNKNOWN_DATE:
        return None, "unknown"
    year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
    if year == 0:
        raise ValueError(f"not a date {text!r}")
    precision = "day"
    if month == 0:
        month, day, precision = 1, 1, "year"
    elif day == 0:
        day, precision = 1, "month"
    datetime(year, month, day)  # raises ValueError for 20151332
    return f"{year:04d}-{month:02d}-{day:02d}", precision


def parse_date_column(values: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Vectorised over the unique values: (iso dates, precision, bad-mask)."""
    s = values.astype(str).str.strip()
    uniques = pd.unique(s)
    iso: dict[str, str | None] = {}
    prec: dict[str, str | None] = {}
    bad_values: set[str] = set()
    for u in uniques:
        try:
            iso[u], prec[u] = parse_kvk_date(u)
        except ValueError:
            iso[u], prec[u] = None, None
            bad_values.add(u)
    out = s.map(iso).astype(object)
    precision = s.map(prec).astype(object)
    bad = s.isin(bad_values).to_numpy() if bad_values else np.zeros(len(s), dtype=bool)
    return none_where(out, out.isna()), none_where(precision, precision.isna()), bad


def map_unique(values: pd.Series, fn: object) -> pd.Series:
    """Apply a scalar function once per distinct value (reference look-ups on 1M rows)."""
    uniques = pd.unique(values.astype(object))
    table = {u: fn(u) for u in uniques}  # type: ignore[operator]
    mapped = values.astype(object).map(table)
    return none_where(mapped, mapped.isna())


def parse_bool(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Ja/Nee, true/false, 1/0, yes/no -> bool; returns (bools, bad mask); empty = bad."""
    s = values.astype(str).str.strip().str.lower()
    truthy = s.isin(["ja", "j", "true", "t", "1", "yes", "y", "waar"])
    falsy = s.isin(["nee", "n", "false", "f", "0", "no", "onwaar"])
    return truthy.astype(bool), (~(truthy | falsy)).to_numpy()


def ensure_columns(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    for c in columns:
        if c not in frame.columns:
            frame[c] = None
    return frame[list(columns)]
