"""Explaining a ranked receiving class: which evidence it rests on (basis), the citation and a
one-line reason a person can check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from regionomie.domain.knowledge import KnowledgeBase, Pathway
from regionomie.domain.suggest.candidates import Candidates, Slot
from regionomie.domain.suggest.exchanges import Exchange, ReceiverPrior

BASIS_KNOWLEDGE = "knowledge base"
BASIS_RELATED = "related material"
BASIS_GENERIC = "generic outlet"
BASIS_DOCUMENTED = "documented exchanges"
BASIS_ROUTE = "recovery route"
# A documented example must share at least the EURAL chapter or material with the query to
# explain a class better than the structured prior's recovery route does.
_CLOSE_EXAMPLE = 8

# How much sharing a context level makes a documented exchange a good example for a query.
_EXAMPLE_LEVEL_WEIGHTS: dict[str, int] = {
    "subchapter": 32,
    "material": 16,
    "chapter": 8,
    "donor_class": 4,
    "category": 2,
    "donor_division": 1,
}


@dataclass(frozen=True)
class Suggestion:
    """One receiving sector (its NACE class and names), its calibrated score and why."""

    sector: str
    score: float
    material: str
    use: str
    evidence: str
    basis: str = BASIS_KNOWLEDGE
    explanation: str = ""
    sector_name: str = ""  # Dutch (SBI)
    sector_name_en: str = ""  # English (NACE Rev.2)
    seen_abroad_only: bool = False  # Dutch context: the material does not arise in NL


def explain(
    kb: KnowledgeBase,
    prior: ReceiverPrior,
    exchange_by_id: Mapping[str, Exchange],
    cands: Candidates,
    receiver: str,
    score: float,
) -> Suggestion:
    """The suggestion of one ranked class: its strongest kind of evidence (a direct pathway, a
    related material, a documented exchange, a generic outlet) with a citation and a line on
    why, naming how the query was read and how often documented exchanges went there."""
    s = cands.slots.get(receiver) or Slot()
    reading = cands.reading
    why = _prior_reason(prior, cands.context, receiver)
    if s.direct_pathway is not None and s.direct >= max(s.related, s.generic):
        p = s.direct_pathway
        match = reading.matches.get(p.material_id)
        name = kb.material_by_id[p.material_id].name_en
        read_as = (
            f"'{match.phrase}' read as {name} ({match.how})"
            if match is not None
            else f"{name} (from the {'code' if reading.query.code else 'producer sector'})"
        )
        return Suggestion(
            receiver,
            score,
            p.material_id,
            p.use_description,
            p.evidence,
            BASIS_KNOWLEDGE,
            f"{read_as}; pathway strength {p.strength:.2f}{why}",
        )
    if s.related_pathway is not None and s.related >= s.generic:
        p = s.related_pathway
        name = kb.material_by_id[p.material_id].name_en
        return Suggestion(
            receiver,
            score,
            p.material_id,
            p.use_description,
            f"related ({name}): {p.evidence}",
            BASIS_RELATED,
            f"takes a related {kb.material_by_id[p.material_id].category} stream{why}",
        )
    found = _example(prior, exchange_by_id, cands.context, receiver)
    example, shared = found if found is not None else (None, 0)
    route = cands.route_of(receiver)
    if route is not None and (example is None or shared < _CLOSE_EXAMPLE):
        op = f"{route.operation}: " if route.operation != "-" else ""
        return Suggestion(
            receiver,
            score,
            next(iter(reading.top_materials), ""),
            route.label,
            f"recovery route {route.route_id} ({op}{route.label}): {route.source}",
            BASIS_ROUTE,
            f"firms of this sector perform the stream's recovery route ({op}{route.label}){why}",
        )
    if example is not None:
        read_as = prior.context_of(example.exchange_id).get("material", ())
        material = next(iter(reading.top_materials), "") or next(iter(read_as), "unknown")
        return Suggestion(
            receiver,
            score,
            material,
            example.use,
            f"documented exchange {example.exchange_id}: {example.donor_label} -> "
            f"{example.receiver_label}, {example.place} ({example.citation})",
            BASIS_DOCUMENTED,
            f"common receiver of such streams{why or ' in documented exchanges'}",
        )
    p = s.generic_pathway or _any_pathway(kb, receiver, reading.hazardous)
    if p is None:
        return Suggestion(receiver, score, "", "", "", BASIS_DOCUMENTED, why)
    return Suggestion(
        receiver,
        score,
        p.material_id,
        p.use_description,
        f"generic outlet: {p.evidence}",
        BASIS_GENERIC,
        f"a generic outlet for waste{why}",
    )


def _prior_reason(prior: ReceiverPrior, ctx: dict[str, tuple[str, ...]], receiver: str) -> str:
    """'; 4 of 25 documented exchanges of ... went here' at the most specific level with
    support, or nothing."""
    for level, label in (
        ("subchapter", "EURAL subchapter"),
        ("material", "this material"),
        ("chapter", "EURAL chapter"),
        ("donor_class", "this donor class"),
        ("donor_division", "this donor division"),
    ):
        hit, total = prior.support(level, ctx, receiver)
        if hit >= 1.0 and total >= 2.0:
            value = ",".join(ctx[level])
            where = f"{label} {value}" if level not in ("material",) else label
            return f"; {hit:.0f} of {total:.0f} documented exchanges of {where} went here"
    return ""


def _example(
    prior: ReceiverPrior,
    exchange_by_id: Mapping[str, Exchange],
    ctx: dict[str, tuple[str, ...]],
    receiver: str,
) -> tuple[Exchange, int] | None:
    """The documented exchange to this class that shares the most specific context, and how
    much it shares."""
    best: tuple[int, str] | None = None
    for key, obs in prior.observations_of(receiver):
        if key not in exchange_by_id:
            continue
        shared = sum(
            weight
            for level, weight in _EXAMPLE_LEVEL_WEIGHTS.items()
            if set(obs.ctx.get(level, ())) & set(ctx.get(level, ()))
        )
        if best is None or (-shared, key) < best:
            best = (-shared, key)
    return (exchange_by_id[best[1]], -best[0]) if best is not None else None


def _any_pathway(kb: KnowledgeBase, receiver: str, hazardous: bool) -> Pathway | None:
    """The strongest pathway into a class (none to food or feed for a hazardous stream)."""
    return max(
        (
            p
            for p in kb.pathway_records
            if p.receiver_nace == receiver and not (hazardous and p.food_or_feed)
        ),
        key=lambda p: (p.strength, p.pathway_id),
        default=None,
    )
