"""The source families and the tables each one lands: defined here once, read everywhere
(parsers, landing zone, CLI, jobs, sensors, assets)."""

from __future__ import annotations

from typing import Literal, get_args

Source = Literal["kvk", "waste", "municipal"]
SOURCES: tuple[Source, ...] = get_args(Source)

# Which contract tables a family's files land into (regionomie.domain.schemas.CONTRACTS).
SOURCE_TABLES: dict[Source, tuple[str, ...]] = {
    "kvk": ("organisations", "establishments"),
    "waste": ("waste_records",),
    "municipal": ("municipal_indicators", "municipalities"),
}
