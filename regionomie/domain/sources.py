"""The source families and the tables each one lands: defined here once, read everywhere
(parsers, landing zone, CLI, jobs, sensors, assets)."""

from __future__ import annotations

from typing import Literal, get_args

Source = Literal["kvk", "waste", "municipal"]
SOURCES: tuple[Source, ...] = get_args(Source)

# Which contract tables a family's files land into (regionomie.domain.schemas.CONTRACTS).
SOURCE_TABLES: dict[Source, tuple[str, ...]] = {
    "kvk": ("organisations", "establishments", "sector_density"),
    "waste": ("waste_records",),
    "municipal": ("municipal_indicators", "municipalities"),
}

# Tables a run can do without: when nothing was ever landed for one (no KvK register, no LMA
# extract, only the open KvK dataset or none of it), its empty table is "absent", not broken,
# and the run goes on with what it has (open-data mode). Municipal indicators are never
# optional: without CBS there is nothing to say about a region.
OPTIONAL_TABLES: frozenset[str] = frozenset(
    {
        "organisations",
        "establishments",
        "sector_density",
        "waste_records",
        "waste_party_links",
        "municipalities",
    }
)
