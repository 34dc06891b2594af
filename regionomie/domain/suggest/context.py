"""The country a query is read for, and which suggestions rest on pathways seen only abroad.

A query without a country is read in the Dutch context (the product's users are Dutch regions),
unless its donor class is one the Dutch class list lacks (a NACE class such as 0126 oil palm,
which says the stream arises abroad). In the Dutch context a suggestion whose material does not
arise as Dutch supply (material_origins.csv, `occurs_in_nl`, loaded by
regionomie.domain.dutch_context: one source for that fact) is kept in its place but marked:
the pathway is evidence that the use exists, not a Dutch business case.

Pure domain code: no dagster, no neo4j.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from regionomie.domain.reference import NACE_CLASSES_NOT_IN_SBI2008

DUTCH = "NL"


def normalise_country(value: object) -> str | None:
    """An ISO 3166-1 alpha-2 code ('nl', ' DE ') -> 'NL', 'DE'; None for empty or unusable."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip().upper()
    return text if re.fullmatch(r"[A-Z]{2}", text) else None


def context_country(country: str | None, sectors: tuple[str, ...]) -> str | None:
    """The country the answer is for: the given one, else NL unless the donor class exists
    only outside the Dutch class list (then no country is assumed)."""
    if country:
        return country
    if sectors and all(s[:4] in NACE_CLASSES_NOT_IN_SBI2008 for s in sectors):
        return None
    return DUTCH


def dutch_supply(kb: Any) -> Callable[[str], bool] | None:
    """material id -> whether it arises as Dutch supply, from the Dutch context of this
    knowledge base (imported here: the context module reads the knowledge package too)."""
    from regionomie.domain.dutch_context import context_for

    context = context_for(kb)
    return lambda material_id: context.origin(material_id).occurs_in_nl
