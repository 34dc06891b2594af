"""The one shape every parser and validator returns, so rows in = kept + set aside is checked."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

REJECT_COLUMNS: tuple[str, ...] = ("source_file", "source_row", "field", "value", "reason")


def empty_rejects() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in REJECT_COLUMNS})


@dataclass
class ParseResult:
    """rows: parsed rows in the table contract; rejected: rows set aside, one line per row
    (reason names the field and the problem). rows_in counts every data row/record read.
    notes: one-line, file-level facts a user must see with the data (a dataset that covers
    only part of the population, coordinates converted from RD New, an indicator derived
    from counts); shown by `regionomie validate`, the landing report and run metadata."""

    rows: pd.DataFrame
    rejected: pd.DataFrame = field(default_factory=empty_rejects)
    rows_in: int = 0
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.rows_in == 0:
            self.rows_in = len(self.rows) + len(self.rejected)

    @property
    def balanced(self) -> bool:
        return self.rows_in == len(self.rows) + len(self.rejected)


class SourceFileError(ValueError):
    """A whole file is unusable; message is one line naming file (and row/field if known)."""
