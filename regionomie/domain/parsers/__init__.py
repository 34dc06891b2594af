"""File parsers: one entry point, `parse_file`, turning a landing file into contract tables.

Each result is a ParseResult whose rows carry the provenance columns and whose rejected rows
name file, row, field and problem; rows_in == len(rows) + len(rejected) always. A
SourceFileError (one line) is raised only when the whole file is unusable.
"""

from __future__ import annotations

from pathlib import Path

from regionomie.domain.parsers.common import read_raw
from regionomie.domain.results import ParseResult, SourceFileError
from regionomie.domain.sources import SOURCES, Source


def parse_file(
    path: Path, source: Source, *, retrieved_at: str | None = None
) -> dict[str, ParseResult]:
    """Parse one landing file of the given source into {contract name: ParseResult}.

    Keys: "organisations", "establishments" (KvK API JSON / establishments CSV),
    "sector_density" (KvK open-data bulk CSV), "waste_records" (LMA extracts),
    "municipal_indicators" (CBS bundles), "municipalities" (PDOK GeoJSON).
    retrieved_at (ISO-8601 UTC) defaults to the file's modification time."""
    if source not in SOURCES:
        raise SourceFileError(f"{Path(path).name}: unknown source {source!r} (kvk|waste|municipal)")
    raw = read_raw(Path(path), retrieved_at, source=source)
    try:
        if source == "kvk":
            from regionomie.domain.parsers.kvk import parse_kvk

            results = parse_kvk(raw)
        elif source == "waste":
            from regionomie.domain.parsers.waste import parse_waste

            results = parse_waste(raw)
        else:
            from regionomie.domain.parsers.municipal import parse_municipal

            results = parse_municipal(raw)
    except RecursionError:
        raise SourceFileError(
            f"{raw.name}: nested too deeply to parse (a JSON document nested thousands of "
            "levels deep?)"
        ) from None
    except MemoryError:
        raise SourceFileError(
            f"{raw.name}: too large to parse in the memory available; lower the file size "
            "limit (REGIONOMIE_MAX_FILE_MB_*) or split the file"
        ) from None
    for name, result in results.items():
        if not result.balanced:  # a bug in a parser, never bad input
            raise AssertionError(
                f"{raw.name}: {name}: rows_in {result.rows_in} != "
                f"{len(result.rows)} kept + {len(result.rejected)} set aside"
            )
    return results


__all__ = ["ParseResult", "SourceFileError", "parse_file", "SOURCES"]
