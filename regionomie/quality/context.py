"""Build a ValidationContext from the shipped reference lists and a named region, so the CLI
and the pipeline judge data against the same code lists."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from regionomie.quality.rules import ValidationContext


def reference_context(
    *,
    region: str | None = None,
    previous_row_count: int | None = None,
    related: Mapping[str, pd.DataFrame] | None = None,
    source_absent: bool = False,
) -> ValidationContext:
    """EURAL, SBI 2008/2025 and GM code sets from regionomie.domain.reference; the region's
    municipality codes from data/regions.yaml when `region` is given (KeyError if unknown)."""
    from regionomie.domain import reference

    sbi = {
        "2008": frozenset(reference.load_sbi2008()["code"]),
        "2025": frozenset(reference.load_sbi2025()["code"]),
    }
    region_codes: frozenset[str] | None = None
    if region is not None:
        from regionomie.domain.regions import load_regions

        regions = load_regions()
        if region not in regions:
            raise KeyError(f"unknown region {region!r}; known: {', '.join(sorted(regions))}")
        region_codes = frozenset(regions[region].municipality_codes)
    return ValidationContext(
        eural_codes=reference.eural_codes(),
        hazardous_codes=reference.hazardous_eural_codes(),
        sbi_codes=sbi,
        municipality_codes=reference.municipality_codes(),
        region_municipality_codes=region_codes,
        previous_row_count=previous_row_count,
        related=dict(related or {}),
        source_absent=source_absent,
    )
