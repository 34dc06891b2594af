"""The source families and the tables each one lands: defined here once, read everywhere
(parsers, landing zone, CLI, jobs, sensors, assets)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

Source = Literal["kvk", "waste", "municipal"]
SOURCES: tuple[Source, ...] = get_args(Source)

# Which contract tables a family's files land into (regionomie.domain.schemas.CONTRACTS).
SOURCE_TABLES: dict[Source, tuple[str, ...]] = {
    "kvk": ("organisations", "establishments"),
    "waste": ("waste_records",),
    "municipal": ("municipal_indicators", "municipalities"),
}

#: Files of invented data say so in their name (the sample generator writes
#: establishments_synthetisch_<stamp>.csv ...); every reader-facing export then says so too.
SYNTHETIC_MARK = "synthetisch"
SYNTHETIC_NOTICE = (
    "Let op: deze uitkomsten zijn berekend op een synthetisch voorbeeld (verzonnen bedrijven, "
    "afvalstromen en cijfers in de vorm van de echte bronnen). Ze zeggen niets over echte "
    "bedrijven of gemeenten."
)


def synthetic_files(tables: Mapping[str, Any]) -> list[str]:
    """The source files of the tables that are marked as invented data (sorted, distinct)."""
    found: set[str] = set()
    for frame in tables.values():
        files = getattr(frame, "get", lambda *_: None)("source_file")
        if files is None:
            continue
        found |= {str(f) for f in files.dropna().unique() if SYNTHETIC_MARK in str(f).lower()}
    return sorted(found)
