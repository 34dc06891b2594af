"""How spreadsheets cut a written CSV into cells, for the tests that read exports back as an
attacker would: nl-NL Excel splits on `;`, en-US Excel on `,`, a paste on tabs; each honours
double quotes only at the start of a field (Python's csv module does the same), and a careless
reader honours none. A formula cell is one whose first visible character (after white space,
invisible format characters and double quotes) a spreadsheet reads as a formula trigger,
unless the cell is a plain number or a lone dash."""

from __future__ import annotations

import csv
import io
import re
import unicodedata

SPLITS = (";", ",", "\t")
_NUMBER = re.compile(r"[-+\u2212]?\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?%?")


def spreadsheet_cells(text: str, delimiter: str) -> list[str]:
    """Every cell of `text` split on `delimiter`, quote-aware (as Excel opens a .csv) and
    naively (every delimiter and line break cuts, quotes are ignored)."""
    quoted = [
        cell
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for cell in row
    ]
    naive = [cell for line in re.split(r"\r\n|\r|\n", text) for cell in line.split(delimiter)]
    return quoted + naive


def _visible(cell: str) -> str:
    """The first character a spreadsheet that strips white space (tabs and line breaks
    included), invisible characters and quotes would look at."""
    for ch in cell:
        if ch == '"' or ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc"):
            continue
        return ch
    return ""


def is_formula_cell(cell: str) -> bool:
    """Whether a spreadsheet could evaluate this cell: it starts with `=`, `+`, `-`, `@` or a
    character that folds to one (full-width `＝`, ...) or a minus sign, also after white
    space, invisible characters or quotes."""
    if not cell or cell.strip() in ("-", "") or _NUMBER.fullmatch(cell.strip()):
        return False
    first = _visible(cell)
    return bool(first) and (
        unicodedata.normalize("NFKC", first) in ("=", "+", "-", "@") or first == "\u2212"
    )


def formula_cells(text: str) -> dict[str, list[str]]:
    """{delimiter: formula cells} for every way a spreadsheet may split `text`."""
    return {d: [c for c in spreadsheet_cells(text, d) if is_formula_cell(c)] for d in SPLITS}
