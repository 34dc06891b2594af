"""The candidate receiving classes of a reading and the evidence behind each: cited pathways of
the materials read (direct), of related materials of the same category, generic outlets, and
the receiver prior of documented exchanges; one feature row per class (model.FEATURES order)
for the ranking model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from regionomie.domain.knowledge import KnowledgeBase, Pathway
from regionomie.domain.suggest.exchanges import (
    CODE_LEVELS,
    DONOR_LEVELS,
    MATERIAL_LEVELS,
    ReceiverPrior,
    contexts,
)
from regionomie.domain.suggest.model import FEATURES
from regionomie.domain.suggest.priors import Route, RoutePrior
from regionomie.domain.suggest.reading import GENERIC_MATERIALS, Reading, producer_fit

RELATED_FACTOR = 0.25
GENERIC_FACTOR = 0.5
PRIOR_CANDIDATES = 30
ROUTE_CANDIDATES = 12
GROUP_EVIDENCE = 0.3  # a direct pathway this strong puts its whole NACE group on the list
GROUP_CANDIDATES = 6  # sibling classes per group, most cited first
ROUTE_MIX = 0.8  # structured prior vs overall frequency in the route feature
FOOD_FEED_DIVISIONS: tuple[str, ...] = ("10", "11", "12")
FOOD_FEED_CLASSES: tuple[str, ...] = (
    "0141",
    "0142",
    "0143",
    "0144",
    "0145",
    "0146",
    "0147",
    "0149",
)


@dataclass
class Slot:
    """Evidence for one receiving class: best pathway per kind, extra support."""

    direct: float = 0.0
    direct_pathway: Pathway | None = None
    others: dict[str, float] = field(default_factory=dict)
    related: float = 0.0
    related_pathway: Pathway | None = None
    generic: float = 0.0
    generic_pathway: Pathway | None = None

    def offer_direct(self, score: float, pathway: Pathway) -> None:
        if score > self.direct or (
            score == self.direct
            and self.direct_pathway is not None
            and pathway.pathway_id < self.direct_pathway.pathway_id
        ):
            self.direct, self.direct_pathway = score, pathway
        if score > self.others.get(pathway.material_id, 0.0):
            self.others[pathway.material_id] = score

    def bonus(self) -> float:
        """Independent direct support from other materials than the best one."""
        best = self.direct_pathway.material_id if self.direct_pathway else None
        extra = sorted((v for m, v in self.others.items() if m != best), reverse=True)
        return (0.1 * extra[0] if extra else 0.0) + (0.05 * extra[1] if len(extra) > 1 else 0.0)


@dataclass
class Candidates:
    """Per candidate class its feature row (FEATURES order) and the evidence behind it."""

    receivers: list[str]
    features: np.ndarray
    slots: dict[str, Slot]
    reading: Reading
    context: dict[str, tuple[str, ...]]
    routes: RoutePrior | None = None
    route_weights: dict[str, float] = field(default_factory=dict)

    def route_of(self, receiver: str) -> Route | None:
        """The recovery route that most supports a class for this query, if any."""
        if self.routes is None or not self.route_weights:
            return None
        position = self.routes.position.get(receiver)
        return None if position is None else self.routes.best_route(self.route_weights, position)


class CandidateBuilder:
    """Gathers candidate classes against one knowledge base; keeps, per material category and
    producer sector, the best pathway per receiving class (shared by many queries)."""

    def __init__(self, kb: KnowledgeBase, routes: RoutePrior | None = None) -> None:
        self.kb = kb
        self.routes = routes
        by_category: dict[str, list[str]] = {}
        for material in kb.material_by_id.values():
            if material.material_id in GENERIC_MATERIALS:
                continue
            by_category.setdefault(material.category, []).append(material.material_id)
        self.materials_by_category = {k: tuple(v) for k, v in by_category.items()}
        self._related_cache: dict[tuple[str, str | None], list[tuple[str, float, Pathway]]] = {}

    def build(
        self, reading: Reading, prior: ReceiverPrior, exclude: str | None = None
    ) -> Candidates:
        """Every class with evidence or a high prior, with its feature row; `exclude` leaves
        one documented exchange out of the prior (for evaluation)."""
        slots = self.slots(reading)
        ctx = prior_context(self.kb, reading)
        glob = prior.global_distribution(exclude)
        code_p = prior.distribution(CODE_LEVELS, ctx, exclude)
        donor_p = prior.distribution(DONOR_LEVELS, ctx, exclude)
        material_p = prior.distribution(MATERIAL_LEVELS, ctx, exclude)
        mixed = np.log(code_p) + np.log(donor_p) + np.log(material_p) - 2 * np.log(glob)
        order = np.argsort(-mixed, kind="stable")
        route_w: dict[str, float] = {}
        route_p = None
        if self.routes is not None:
            route_w = self.routes.route_weights(
                reading.code, reading.confidence, reading.categories, GENERIC_MATERIALS
            )
            route_p = self.routes.distribution(route_w)
        by_route: list[str] = []
        if route_p is not None:
            if reading.hazardous:
                route_p = route_p * self._open_to_hazardous(prior)
            by_route = _prior_receivers(
                prior, np.argsort(-route_p, kind="stable"), reading, ROUTE_CANDIDATES
            )
        siblings = self._siblings(slots, prior, reading)
        receivers = list(
            dict.fromkeys(
                list(slots) + _prior_receivers(prior, order, reading) + by_route + siblings
            )
        )
        idx = np.fromiter((prior.position[r] for r in receivers), dtype=np.int64)
        log_glob = np.log(glob)[idx]
        rows = np.zeros((len(receivers), len(FEATURES)))
        for i, receiver in enumerate(receivers):
            s = slots.get(receiver)
            if s is not None:
                rows[i, :4] = (s.direct, s.bonus(), s.related, s.generic)
        rows[:, 4] = np.log(code_p)[idx] - log_glob
        rows[:, 5] = np.log(donor_p)[idx] - log_glob
        rows[:, 6] = np.log(material_p)[idx] - log_glob
        rows[:, 7] = log_glob
        if route_p is not None:
            rows[:, 8] = np.log(ROUTE_MIX * route_p[idx] + (1 - ROUTE_MIX) * glob[idx]) - log_glob
        best_in_group: dict[str, list[tuple[float, str]]] = {}
        for receiver, s in slots.items():
            best_in_group.setdefault(receiver[:3], []).append((s.direct, receiver))
        for i, receiver in enumerate(receivers):
            others = [d for d, r in best_in_group.get(receiver[:3], ()) if r != receiver]
            rows[i, 9] = max(others, default=0.0)
        return Candidates(receivers, rows, slots, reading, ctx, self.routes, route_w)

    def _siblings(
        self, slots: dict[str, Slot], prior: ReceiverPrior, reading: Reading
    ) -> list[str]:
        """The other classes of each NACE group a strong direct pathway points into, most
        cited first: the stream may well go to the neighbouring class."""
        groups = sorted({r[:3] for r, s in slots.items() if s.direct >= GROUP_EVIDENCE})
        out: list[str] = []
        for group in groups:
            members = self._group_members(prior).get(group, ())
            out.extend(
                r
                for r in members[:GROUP_CANDIDATES]
                if not (reading.hazardous and _food_or_feed_class(r))
            )
        return out

    def _group_members(self, prior: ReceiverPrior) -> dict[str, tuple[str, ...]]:
        """Per NACE group its classes in the prior's universe, by cited pathways into them."""
        cached = self.__dict__.get("_groups")
        if cached is None or cached[0] is not prior.receivers:
            inflow: dict[str, int] = {}
            for p in self.kb.pathway_records:
                inflow[p.receiver_nace] = inflow.get(p.receiver_nace, 0) + 1
            groups: dict[str, list[str]] = {}
            for r in prior.receivers:
                groups.setdefault(r[:3], []).append(r)
            cached = (
                prior.receivers,
                {
                    g: tuple(sorted(m, key=lambda r: (-inflow.get(r, 0), r)))
                    for g, m in groups.items()
                },
            )
            self.__dict__["_groups"] = cached
        return cached[1]

    def _open_to_hazardous(self, prior: ReceiverPrior) -> np.ndarray:
        """1 for classes that may take a hazardous stream, 0 for food and feed."""
        mask = self.__dict__.get("_hazard_mask")
        if mask is None or len(mask) != len(prior.receivers):
            mask = np.array([0.0 if _food_or_feed_class(r) else 1.0 for r in prior.receivers])
            self.__dict__["_hazard_mask"] = mask
        return mask

    def _related(self, category: str, sector: str | None) -> list[tuple[str, float, Pathway]]:
        """Per receiver class, the category's best pathway by strength x producer fit."""
        key = (category, sector)
        if key not in self._related_cache:
            best: dict[str, tuple[float, Pathway]] = {}
            for mid in self.materials_by_category.get(category, ()):
                for pathway in self.kb.pathways_by_material[mid]:
                    unit = pathway.strength * producer_fit(pathway.producer_nace, sector)
                    kept = best.get(pathway.receiver_nace)
                    if kept is None or (-unit, pathway.pathway_id) < (-kept[0], kept[1].pathway_id):
                        best[pathway.receiver_nace] = (unit, pathway)
            self._related_cache[key] = [(r, u, p) for r, (u, p) in sorted(best.items())]
        return self._related_cache[key]

    def slots(self, reading: Reading) -> dict[str, Slot]:
        """Per receiving class the evidence for it: direct pathways of the materials read,
        related materials of the same category, generic outlets."""
        sector = reading.query.sector_key
        slots: dict[str, Slot] = {}

        def slot(receiver: str) -> Slot:
            found = slots.get(receiver)
            if found is None:
                found = slots[receiver] = Slot()
            return found

        for mid, conf in reading.confidence.items():
            for pathway in self.kb.pathways_by_material[mid]:
                if reading.hazardous and pathway.food_or_feed:
                    continue
                score = conf * pathway.strength * producer_fit(pathway.producer_nace, sector)
                if score > 0.0:
                    slot(pathway.receiver_nace).offer_direct(score, pathway)
        for cat, weight in sorted(reading.categories.items()):
            for receiver, unit, pathway in self._related(cat, sector):
                if pathway.material_id in reading.confidence or (
                    reading.hazardous and pathway.food_or_feed
                ):
                    continue
                score = RELATED_FACTOR * weight * unit
                target = slot(receiver)
                if score > target.related:
                    target.related, target.related_pathway = score, pathway
        organic = any(c in reading.categories for c in ("food", "agri")) or (
            (reading.query.code or "")[:2] in ("02", "20")
        )
        generic_weight = max(max(reading.categories.values(), default=0.4), 0.4)
        for mid in sorted(GENERIC_MATERIALS):
            factor = GENERIC_FACTOR
            if mid == "generic_hazardous":
                if not reading.hazardous:
                    continue
                factor = 1.0
            elif mid == "generic_organic" and not organic:
                factor = GENERIC_FACTOR * 0.3
            for pathway in self.kb.pathways_by_material.get(mid, ()):
                if reading.hazardous and pathway.food_or_feed:
                    continue
                score = factor * generic_weight * pathway.strength
                target = slot(pathway.receiver_nace)
                if score > target.generic:
                    target.generic, target.generic_pathway = score, pathway
        return slots


def prior_context(kb: KnowledgeBase, reading: Reading) -> dict[str, tuple[str, ...]]:
    """Where a reading is filed in the receiver prior: its EURAL code, donor sector, best
    specific material and that material's (or the strongest word's) category."""
    top = [m for m in reading.top_materials if m not in GENERIC_MATERIALS][:1]
    categories = [kb.material_by_id[m].category for m in top]
    if not categories and reading.categories:
        best = max(reading.categories.values())
        categories = sorted(c for c, w in reading.categories.items() if w == best)[:1]
    return contexts(reading.code, reading.query.sectors, top, categories)


def _prior_receivers(
    prior: ReceiverPrior, order: np.ndarray, reading: Reading, limit: int = PRIOR_CANDIDATES
) -> list[str]:
    """The first `limit` classes in the given order, never food or feed for a hazardous
    stream."""
    out: list[str] = []
    for j in order:
        receiver = prior.receivers[int(j)]
        if reading.hazardous and _food_or_feed_class(receiver):
            continue
        out.append(receiver)
        if len(out) >= limit:
            break
    return out


def _food_or_feed_class(receiver: str) -> bool:
    """Food and drink manufacture or livestock: closed to hazardous streams."""
    return receiver[:2] in FOOD_FEED_DIVISIONS or receiver in FOOD_FEED_CLASSES
