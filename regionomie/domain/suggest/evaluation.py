"""Measuring the ranking on documented exchanges, and fitting its weights, leave-one-out.

Every exchange is ranked with its own counts removed from the receiver prior (leave-one-out),
so it never votes for itself. Weights are judged by k-fold cross-validation: fitted on the
other folds, scored on the held-out fold. The two baselines the issue names are computed the
same way: the ten most common receiving classes of the other exchanges (a constant list), and
the most common receiving classes of the other exchanges of the same EURAL chapter (falling back
to the constant list when the query has no code or the chapter has fewer than ten).

Pure domain code: no dagster, no neo4j.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from regionomie.domain.suggest.engine import Engine
from regionomie.domain.suggest.exchanges import Exchange
from regionomie.domain.suggest.explain import BASIS_KNOWLEDGE
from regionomie.domain.suggest.model import RankingModel, TrainingQuery, fit_weights
from regionomie.domain.suggest.query import Query, read_query

KINDS: tuple[str, ...] = ("eural", "description", "utility")


def exchange_query(ex: Exchange, with_code: bool = True, with_donor: bool = True) -> Query:
    return read_query(
        ex.donor_nace if with_donor else None,
        ex.eural_code if with_code else None,
        ex.waste_description,
    )


@dataclass(frozen=True)
class Ranked:
    """One exchange's ranking: the classes in order and whether the top held KB evidence."""

    exchange: Exchange
    sectors: tuple[str, ...]
    evidence_backed: bool


def rank_of(sectors: Sequence[str], expected: str, digits: int) -> int | None:
    """1-based rank of the first class matching `expected` on its first `digits` digits."""
    for rank, sector in enumerate(sectors, start=1):
        if sector[:digits] == expected[:digits]:
            return rank
    return None


METRICS: tuple[str, ...] = ("hit10_4d", "mrr_4d", "hit10_3d", "hit3_2d", "coverage")


def metrics(ranked: Sequence[Ranked], k: int = 10) -> dict[str, float]:
    """Hit@10 and MRR@10 at 4 digits, Hit@10 at 3 digits (the NACE group), Hit@3 at 2 digits,
    coverage, and the count."""
    n = len(ranked)
    if n == 0:
        return {"n": 0, **{m: 0.0 for m in METRICS}}
    r4 = [rank_of(r.sectors[:k], r.exchange.receiver_nace, 4) for r in ranked]
    r3 = [rank_of(r.sectors[:k], r.exchange.receiver_nace, 3) for r in ranked]
    r2 = [rank_of(r.sectors[:3], r.exchange.receiver_nace, 2) for r in ranked]
    return {
        "n": n,
        "hit10_4d": round(sum(1 for r in r4 if r is not None) / n, 3),
        "mrr_4d": round(sum(1.0 / r for r in r4 if r is not None) / n, 3),
        "hit10_3d": round(sum(1 for r in r3 if r is not None) / n, 3),
        "hit3_2d": round(sum(1 for r in r2 if r is not None) / n, 3),
        "coverage": round(sum(1 for r in ranked if r.evidence_backed) / n, 3),
    }


def by_kind(ranked: Sequence[Ranked]) -> dict[str, dict[str, float]]:
    """Metrics overall and per query kind (EURAL code / description only / utility)."""
    out = {"all": metrics(ranked)}
    for kind in KINDS:
        out[kind] = metrics([r for r in ranked if r.exchange.kind == kind])
    return out


def by_group(ranked: Sequence[Ranked]) -> dict[str, dict[str, float]]:
    """Metrics per donor division group (the exchange's `sector_group`)."""
    groups = sorted({r.exchange.sector_group for r in ranked})
    return {g: metrics([r for r in ranked if r.exchange.sector_group == g]) for g in groups}


def by_source(ranked: Sequence[Ranked]) -> dict[str, dict[str, float]]:
    """Metrics per file the exchanges were read from (a frozen set's collections)."""
    sources = sorted({r.exchange.source for r in ranked})
    return {s: metrics([r for r in ranked if r.exchange.source == s]) for s in sources}


def evaluate_held_out(
    engine: Engine, exchanges: Sequence[Exchange], model: RankingModel | None = None, top: int = 10
) -> list[Ranked]:
    """Rank exchanges the engine has never seen (the frozen set): nothing to leave out, since
    they are in neither the prior nor the fitted weights."""
    known = set(engine.exchange_by_id)
    leaked = [ex.exchange_id for ex in exchanges if ex.exchange_id in known]
    if leaked:
        raise ValueError(f"held-out exchanges are in the engine's prior: {', '.join(leaked[:5])}")
    out = []
    for ex in exchanges:
        answer = engine.rank(exchange_query(ex), top, model=model)
        out.append(
            Ranked(
                ex,
                tuple(s.sector for s in answer.receivers),
                any(s.basis == BASIS_KNOWLEDGE for s in answer.receivers),
            )
        )
    return out


# ----------------------------------------------------------------------------- the project


def training_queries(
    engine: Engine, exchanges: Sequence[Exchange]
) -> list[tuple[Exchange, TrainingQuery | None, list[str]]]:
    """Each exchange's candidates and features with its own prior counts left out."""
    out: list[tuple[Exchange, TrainingQuery | None, list[str]]] = []
    for ex in exchanges:
        cands = engine.candidates(exchange_query(ex), exclude=ex.exchange_id)
        target = (
            cands.receivers.index(ex.receiver_nace) if ex.receiver_nace in cands.receivers else None
        )
        query = TrainingQuery(cands.features, target) if target is not None else None
        out.append((ex, query, cands.receivers))
    return out


def evaluate_project(
    engine: Engine, exchanges: Sequence[Exchange], folds: int = 5, top: int = 10
) -> tuple[list[Ranked], list[Ranked]]:
    """(shipped weights, k-fold refitted weights): each exchange ranked leave-one-out."""
    prepared = training_queries(engine, exchanges)
    shipped = [_ranked(engine, ex, None, top) for ex, _, _ in prepared]
    cross: list[Ranked] = []
    for fold in range(folds):
        train = [q for i, (_, q, _) in enumerate(prepared) if i % folds != fold and q is not None]
        weights = fit_weights(train, start=engine.model.weights)
        model = RankingModel(weights, {"fold": fold})
        cross.extend(
            _ranked(engine, ex, model, top)
            for i, (ex, _, _) in enumerate(prepared)
            if i % folds == fold
        )
    order = {ex.exchange_id: i for i, ex in enumerate(exchanges)}
    cross.sort(key=lambda r: order[r.exchange.exchange_id])
    return shipped, cross


def _ranked(engine: Engine, ex: Exchange, model: RankingModel | None, top: int) -> Ranked:
    answer = engine.rank(exchange_query(ex), top, exclude=ex.exchange_id, model=model)
    return Ranked(
        ex,
        tuple(s.sector for s in answer.receivers),
        any(s.basis == BASIS_KNOWLEDGE for s in answer.receivers),
    )


def rank_with(
    engine: Engine, exchanges: Iterable[Exchange], make_query: Callable[[Exchange], Query]
) -> list[Ranked]:
    """Rank with the shipped model and a custom query (e.g. description only), leave-one-out."""
    out = []
    for ex in exchanges:
        answer = engine.rank(make_query(ex), 10, exclude=ex.exchange_id)
        backed = any(s.basis == BASIS_KNOWLEDGE for s in answer.receivers)
        out.append(Ranked(ex, tuple(s.sector for s in answer.receivers), backed))
    return out


def fit_on(engine: Engine, exchanges: Sequence[Exchange]) -> np.ndarray:
    """Weights fitted on every exchange (each with leave-one-out prior features)."""
    train = [q for _, q, _ in training_queries(engine, exchanges) if q is not None]
    return fit_weights(train, start=engine.model.weights)


# ----------------------------------------------------------------------------- baselines


def constant_baseline(exchanges: Sequence[Exchange], top: int = 10) -> list[Ranked]:
    """The most common receiving classes of the OTHER exchanges, whatever the query says."""
    counts = Counter(ex.receiver_nace for ex in exchanges)
    out = []
    for ex in exchanges:
        counts[ex.receiver_nace] -= 1
        out.append(Ranked(ex, _most_common(counts, top), False))
        counts[ex.receiver_nace] += 1
    return out


def chapter_baseline(exchanges: Sequence[Exchange], top: int = 10) -> list[Ranked]:
    """The most common receivers of the other exchanges with the same EURAL chapter, topped up
    with the constant list; queries without a code get the constant list."""
    overall = Counter(ex.receiver_nace for ex in exchanges)
    chapters: dict[str, Counter[str]] = {}
    for ex in exchanges:
        if ex.eural_code:
            chapters.setdefault(ex.eural_code[:2], Counter())[ex.receiver_nace] += 1
    out = []
    for ex in exchanges:
        overall[ex.receiver_nace] -= 1
        chapter = chapters.get(ex.eural_code[:2]) if ex.eural_code else None
        if chapter is not None:
            chapter[ex.receiver_nace] -= 1
        ranked = list(_most_common(chapter, top)) if chapter is not None else []
        for sector in _most_common(overall, top + len(ranked)):
            if len(ranked) >= top:
                break
            if sector not in ranked:
                ranked.append(sector)
        out.append(Ranked(ex, tuple(ranked), False))
        overall[ex.receiver_nace] += 1
        if chapter is not None:
            chapter[ex.receiver_nace] += 1
    return out


def _most_common(counts: Counter[str] | None, top: int) -> tuple[str, ...]:
    if not counts:
        return ()
    ordered = sorted((-c, s) for s, c in counts.items() if c > 0)
    return tuple(s for _, s in ordered[:top])
