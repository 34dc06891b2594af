"""Tabular export files: CSV, Parquet and Excel.

Spreadsheet safety: the CSV and XLSX writers pass every text cell through
regionomie.exports.excel_safety, so no cell can start a formula in Excel. Every writer passes
its rows through the SoleProprietorShield first.

Idempotence: the xlsx zip entries and document properties carry the passed date (never the
wall clock), so the same inputs and date give a byte-identical file.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from regionomie.domain.privacy import SoleProprietorShield
from regionomie.exports.excel_safety import neutralise_frame, neutralise_header, neutralise_value

SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")  # characters Excel refuses in a sheet name
# Wide text columns (engine names and reader headers alike)
SHEET_WIDTHS = {
    "explanation": 90,
    "name": 50,
    "Toelichting": 90,
    "Explanation": 90,
    "Business case": 60,
}


class SafetyCounts(dict[str, int]):
    """Per written file: the number of text cells neutralised against formula injection."""

    def add(self, name: str, n: int) -> None:
        self[name] = self.get(name, 0) + int(n)


def clean_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy without DataFrame.attrs and with a 0..n-1 index: nothing but the rows is written.
    (A lazy copy: pandas copies on write, so a frame of a million rows is not duplicated.)"""
    out = df.reset_index(drop=True)
    out.attrs = {}
    return out


def write_csv(
    df: pd.DataFrame,
    path: Path,
    *,
    shield: SoleProprietorShield,
    counts: SafetyCounts | None = None,
    sep: str = ",",
    decimal: str = ".",
) -> Path:
    """UTF-8 CSV with a byte-order mark (so Excel reads 'maïskolven' and 'Eetcafé' as
    written), no index; sole proprietors shielded, formulas neutralised (header included).
    `sep`/`decimal`: ';' and ',' for Dutch readers, whose Excel expects them.
    Rows end in CRLF as RFC 4180 says, so a field holding a bare CR or LF is always quoted
    and can never split a row in a spreadsheet (with '\\n' endings a bare CR went unquoted)."""
    frame = shield.protect_frame(clean_frame(df))
    frame, changed = neutralise_frame(frame)
    frame.columns = neutralise_header(list(frame.columns))
    frame.to_csv(
        path, index=False, lineterminator="\r\n", encoding="utf-8-sig", sep=sep, decimal=decimal
    )
    if counts is not None:
        counts.add(path.name, changed)
    return path


def write_parquet(
    df: pd.DataFrame, path: Path, *, shield: SoleProprietorShield, rows_per_group: int = 100_000
) -> Path:
    """Parquet without the pandas index and without DataFrame.attrs; sole proprietors shielded.
    Written in row groups, so memory holds one group of shielded rows at a time. Values are
    kept as they are (Parquet is read by tools, not by spreadsheets)."""
    frame = clean_frame(df)
    writer: pq.ParquetWriter | None = None
    try:
        for start in range(0, max(len(frame), 1), rows_per_group):
            part = shield.protect_frame(frame.iloc[start : start + rows_per_group])
            table = pa.Table.from_pandas(part, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="snappy")
            writer.write_table(table.cast(writer.schema))
    finally:
        if writer is not None:
            writer.close()
    return path


def _cell_value(value: Any) -> tuple[Any, bool]:
    """A pandas value as an Excel cell value: numbers stay numbers, missing becomes empty,
    text is cleaned of characters XML cannot hold and neutralised against formulas.
    Returns (value, neutralised)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None, False
    if isinstance(value, (bool, np.bool_)):
        return bool(value), False
    if isinstance(value, (int, np.integer)):
        return int(value), False
    if isinstance(value, (float, np.floating)):
        return (None if math.isnan(float(value)) else float(value)), False
    if isinstance(value, (list, tuple, dict)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return neutralise_value(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _prepared_text(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """(frame whose text cells hold no character XML cannot hold and are neutralised against
    formulas, number of cells neutralised): the same rules as _cell_value, applied per
    distinct value of each text column."""
    out = df.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype.kind != "O" and not isinstance(series.dtype, pd.StringDtype):
            continue
        texts = [u for u in pd.unique(series.dropna()) if isinstance(u, str)]
        dirty = {
            u: ILLEGAL_CHARACTERS_RE.sub("", u) for u in texts if ILLEGAL_CHARACTERS_RE.search(u)
        }
        if dirty:
            out[column] = series.map(lambda v, d=dirty: d.get(v, v) if isinstance(v, str) else v)
    return neutralise_frame(out)


def _add_sheet(
    wb: xlsxwriter.Workbook,
    title: str,
    df: pd.DataFrame,
    widths: dict[str, int],
    formats: dict[str, str] | None = None,
    styles: dict[str, Any] | None = None,
) -> int:
    """One sheet: styled, frozen, filterable header; each column in its number format
    (`formats`: header -> Excel number format; shares as '0%', euros as '€ #,##0'), set on
    the column so no cell needs a style of its own. Text is always written as text (never a
    formula), numbers as numbers. Returns the number of text cells neutralised."""
    styles = styles if styles is not None else {}
    ws = wb.add_worksheet(SHEET_NAME_FORBIDDEN.sub("", title).strip()[:31])
    columns = list(df.columns)
    if formats is None:  # engine-named frames: amounts by their column name
        formats = {c: "#,##0.00" for c in columns if re.search(r"(eur|kg|tonnes|km)", str(c))}
    header = styles.setdefault(
        "_header",
        wb.add_format(
            {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E78", "text_wrap": True,
             "valign": "top"}
        ),
    )  # fmt: skip
    for i, column in enumerate(columns):
        sample = df[column].head(200).map(lambda v: len(str(v)))
        longest = int(sample.max()) if len(sample) else 0
        width = widths.get(column, int(min(60, max(min(len(column), 24) + 2, longest + 2))))
        number_format = formats.get(column)
        style = None
        if number_format:
            style = styles.get(number_format)
            if style is None:
                style = styles[number_format] = wb.add_format({"num_format": number_format})
        ws.set_column(i, i, width, style)
    changed = 0
    for i, column in enumerate(columns):
        value, hit = _cell_value(column)
        changed += hit
        ws.write_string(0, i, str(value), header)
    ws.freeze_panes(1, 0)
    if columns:
        ws.autofilter(0, 0, max(len(df), 1), len(columns) - 1)
    # Text columns cleaned and neutralised once per distinct value (a region of 60,000
    # establishments writes ~800,000 cells); each cell then only needs its type.
    frame, hits = _prepared_text(df)
    changed += hits
    numeric = [frame[c].dtype.kind in "iufb" for c in columns]
    for r, row in enumerate(frame.itertuples(index=False), start=1):
        for c, value in enumerate(row):
            if numeric[c]:
                if value != value:  # NaN: an empty cell
                    continue
                if isinstance(value, bool | np.bool_):
                    ws.write_boolean(r, c, bool(value))
                else:
                    ws.write_number(r, c, value)
            elif type(value) is str:
                ws.write_string(r, c, value)
            else:
                value, hit = _cell_value(value)
                changed += hit
                if value is None:
                    continue
                if isinstance(value, bool):
                    ws.write_boolean(r, c, value)
                elif isinstance(value, int | float):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, value)
    return changed


def _repack_deterministic(data: bytes, stamp: dt.datetime) -> bytes:
    """Rewrite an xlsx zip with fixed entry timestamps and document dates = `stamp`."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(src.namelist(), key=lambda n: (n != "[Content_Types].xml", n)):
            content = src.read(name)
            if name == "docProps/core.xml":
                text = content.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    lambda m: f"{m.group(1)}{iso}{m.group(3)}",
                    text,
                )
                content = text.encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, content)
    return out.getvalue()


def write_xlsx(
    sheets: list[tuple[str, pd.DataFrame]] | list[tuple[str, pd.DataFrame, dict[str, str]]],
    path: Path,
    date: dt.date,
    *,
    shield: SoleProprietorShield,
    counts: SafetyCounts | None = None,
) -> Path:
    """One formatted sheet per view; byte-identical for identical inputs and date. Sole
    proprietors shielded; no text cell can be a formula."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "constant_memory": True,  # rows are streamed out as they are written
            "strings_to_numbers": False,
            "strings_to_formulas": False,  # a text cell is never a formula
            "strings_to_urls": False,
        },
    )
    changed = 0
    stamp = dt.datetime(date.year, date.month, date.day)
    wb.set_properties({"author": "regionomie", "created": stamp})
    styles: dict[str, Any] = {}
    for sheet in sheets:
        title, df = sheet[0], sheet[1]
        formats = sheet[2] if len(sheet) > 2 else None
        frame = shield.protect_frame(clean_frame(df))
        changed += _add_sheet(wb, title, frame, SHEET_WIDTHS, formats, styles)
    wb.close()
    path.write_bytes(_repack_deterministic(buffer.getvalue(), stamp))
    if counts is not None:
        counts.add(path.name, changed)
    return path
