"""Receiver suggestions: which sectors could take a residual stream, ranked and explained.

    answer(kb, producer_sector, waste_code, waste_description, top=10) -> Answer
    suggest_receivers(...) -> list[Suggestion]      (the receivers of `answer`)

Modules: query (reading the inputs), text (description -> materials), reading (a query ->
materials with confidence), exchanges (documented exchanges and the receiver prior), candidates
(candidate classes, their evidence and features), model (the fitted ranking weights), explain
(basis, citation and reason of a suggestion), engine (the engine: prior, ranking, the regional
engine's receiver fit). Pure domain code: no dagster, no neo4j.
"""

from __future__ import annotations

from regionomie.domain.knowledge import KnowledgeBase
from regionomie.domain.suggest.engine import Answer, Engine, engine_for
from regionomie.domain.suggest.explain import (
    BASIS_DOCUMENTED,
    BASIS_GENERIC,
    BASIS_KNOWLEDGE,
    BASIS_RELATED,
    BASIS_ROUTE,
    Suggestion,
)
from regionomie.domain.suggest.query import (
    normalise_sector,
    normalise_waste_code,
    read_query,
    sector_candidates,
)

__all__ = [
    "BASIS_DOCUMENTED",
    "BASIS_GENERIC",
    "BASIS_KNOWLEDGE",
    "BASIS_RELATED",
    "BASIS_ROUTE",
    "Answer",
    "Engine",
    "Suggestion",
    "answer",
    "engine_for",
    "normalise_sector",
    "normalise_waste_code",
    "sector_candidates",
    "suggest_receivers",
]


def answer(
    kb: KnowledgeBase,
    producer_sector: object,
    waste_code: object,
    waste_description: object,
    top: int = 10,
    country: object = None,
) -> Answer:
    """Ranked receiving classes with notes on what could not be read from the query; without
    a country the answer is for the Dutch context (pathways seen only abroad are marked)."""
    query = read_query(producer_sector, waste_code, waste_description, country)
    return engine_for(kb).rank(query, top)


def suggest_receivers(
    kb: KnowledgeBase,
    producer_sector: object,
    waste_code: object,
    waste_description: object,
    top: int = 10,
) -> list[Suggestion]:
    """Rank receiving NACE 4-digit classes for a residual stream; up to `top`, deterministic."""
    return answer(kb, producer_sector, waste_code, waste_description, top).receivers
