"""Which receiving sectors (NACE 4-digit) could take a residual stream, ranked and explained.

Two kinds of knowledge meet here:

1. the curated knowledge base: the query's description, EURAL code and producer sector are
   read into materials (text.py), and each material's cited pathways name receiving classes
   with a strength; materials of the same category and generic outlets fill the tail;
2. documented exchanges (exchanges.py): how often each class received streams of this EURAL
   chapter, from this donor sector, of this material, in real, cited cases.

A small log-linear model (model.py) weighs the two per candidate class. Its weights are fitted
on the development set, so the ranking is calibrated: with rich, specific evidence the
knowledge base leads; with thin evidence the engine falls back to what usually happens. Every
suggestion keeps its evidence (a citation) and a one-line explanation.

Hard rule: a hazardous input (EURAL '*', a hazardous code or material, hazard words) never gets
a food or feed use.

Pure domain code: no dagster, no neo4j.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from regionomie.domain.knowledge import KnowledgeBase, Pathway
from regionomie.domain.reference import eural_description, hazardous_eural_codes
from regionomie.domain.suggest.eural_text import CodeHit, eural_text_index
from regionomie.domain.suggest.exchanges import (
    CODE_LEVELS,
    DONOR_LEVELS,
    MATERIAL_LEVELS,
    Exchange,
    ReceiverPrior,
    contexts,
    load_exchanges,
)
from regionomie.domain.suggest.model import FEATURES, RankingModel, load_model
from regionomie.domain.suggest.query import Query, read_query
from regionomie.domain.suggest.text import (
    AliasIndex,
    Match,
    build_alias_index,
    description_matches,
    keyword_categories,
    load_vocabulary,
    mentions_hazard,
    stem,
)
from regionomie.paths import REFERENCE_DIR

# Weights of the three inputs in a material's confidence (only inputs present are counted).
W_DESCRIPTION = 0.55
W_CODE = 0.30
W_PRODUCER = 0.15

CODE_EXACT = 1.0
CODE_SUBCHAPTER = 0.45
CODE_CHAPTER = 0.2
CODE_IN_SUBCHAPTER = 0.8  # a 4-digit query code: every material reported under it fits
CODE_IN_CHAPTER = 0.5  # a 2-digit query code
CODE_TEXT_ENTRY = 0.6  # materials named in the official description of the given code
CODE_TEXT_SUBCHAPTER = 0.35
INFERRED_CODE_FACTOR = 0.6  # a code read from the official descriptions, times its similarity
KNOWN_MATERIAL_CONFIDENCE = 0.5
VERBATIM_SIMILARITY = 0.9
VERBATIM_DESCRIPTION_FACTOR = 0.5

FIT_NO_PRODUCER_QUERY = 1.0
FIT_CLASS = 1.0
FIT_GROUP = 0.9
FIT_DIVISION = 0.85
FIT_UNKNOWN_PRODUCERS = 0.8
FIT_MISMATCH = 0.65

FAMILY_FACTOR = 0.6  # family_* materials (ash, slag, sludge ...) are fallbacks
RELATED_FACTOR = 0.25
GENERIC_FACTOR = 0.5
MIN_MATERIAL_CONFIDENCE = 0.08
PRIOR_CANDIDATES = 30
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

GENERIC_MATERIALS: frozenset[str] = frozenset(
    {"generic_organic", "generic_waste", "generic_hazardous"}
)
FAMILY_PREFIX = "family_"

# How much sharing a context level makes a documented exchange a good example for a query.
_EXAMPLE_LEVEL_WEIGHTS: dict[str, int] = {
    "subchapter": 32,
    "material": 16,
    "chapter": 8,
    "donor_class": 4,
    "category": 2,
    "donor_division": 1,
}

BASIS_KNOWLEDGE = "knowledge base"
BASIS_RELATED = "related material"
BASIS_GENERIC = "generic outlet"
BASIS_DOCUMENTED = "documented exchanges"


@dataclass(frozen=True)
class Suggestion:
    """One receiving sector, its calibrated score and why."""

    sector: str
    score: float
    material: str
    use: str
    evidence: str
    basis: str = BASIS_KNOWLEDGE
    explanation: str = ""


@dataclass(frozen=True)
class Answer:
    receivers: list[Suggestion]
    notes: tuple[str, ...] = ()
    recognised: tuple[str, ...] = ()  # materials read from the query, most confident first


@dataclass
class _Slot:
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
class Reading:
    """What the engine read from a query: materials with confidence and how, categories."""

    query: Query
    confidence: dict[str, float]
    matches: dict[str, Match]
    categories: dict[str, float]
    hazardous: bool
    inferred_code: CodeHit | None = None

    @property
    def code(self) -> str | None:
        """The given EURAL code, else one the official descriptions matched closely."""
        if self.query.code:
            return self.query.code
        return self.inferred_code.code if self.inferred_code else None

    @property
    def top_materials(self) -> list[str]:
        return sorted(self.confidence, key=lambda m: (-self.confidence[m], m))


@dataclass
class Candidates:
    """Per candidate class its feature row (FEATURES order) and the evidence behind it."""

    receivers: list[str]
    features: np.ndarray
    slots: dict[str, _Slot]
    reading: Reading
    context: dict[str, tuple[str, ...]]


class Engine:
    """Built once per knowledge base (cached on it); answers thousands of queries per second."""

    def __init__(
        self,
        kb: KnowledgeBase,
        exchanges: tuple[Exchange, ...],
        model: RankingModel,
    ) -> None:
        self.kb = kb
        self.vocabulary = load_vocabulary(kb.source_dir)
        self.index: AliasIndex = build_alias_index(kb, self.vocabulary)
        self.model = model
        self.exchanges = exchanges
        self.exchange_by_id = {ex.exchange_id: ex for ex in exchanges}
        by_category: dict[str, list[str]] = {}
        words: dict[str, set[str]] = {}
        for material in kb.material_by_id.values():
            if material.material_id in GENERIC_MATERIALS:
                continue
            by_category.setdefault(material.category, []).append(material.material_id)
            for alias in material.aliases:
                for token in alias.split():
                    words.setdefault(stem(token), set()).add(material.material_id)
        self.materials_by_category = {k: tuple(v) for k, v in by_category.items()}
        self.producers_by_material = {
            mid: tuple(sorted({c for p in pathways for c in p.producer_nace}))
            for mid, pathways in kb.pathways_by_material.items()
            if mid not in GENERIC_MATERIALS
        }
        self.producer_codes = sorted({c for v in self.producers_by_material.values() for c in v})
        self.materials_by_word = {k: tuple(sorted(v)) for k, v in words.items()}
        hazardous = set(hazardous_eural_codes())
        for code, owners in kb.materials_by_eural.items():
            if owners and all(kb.material_by_id[m].hazardous for m in owners):
                hazardous.add(code)
        self.hazardous_codes = frozenset(hazardous)
        receivers = {p.receiver_nace for p in kb.pathway_records}
        receivers |= {ex.receiver_nace for ex in exchanges}
        self.prior = ReceiverPrior(receivers)
        self._related_cache: dict[tuple[str, str | None], list[tuple[str, float, Pathway]]] = {}
        self._code_cache: dict[str, dict[str, float]] = {}
        self._producer_cache: dict[str | None, dict[str, float]] = {}
        self._fit_cache: dict[tuple[str, str | None], dict[str, float]] = {}
        self.observed_flows = 0
        for key, receiver, ctx in self._exchange_contexts(exchanges):
            self.prior.add(key, receiver, ctx)

    # ------------------------------------------------------------------ documented practice

    def _exchange_contexts(
        self, exchanges: tuple[Exchange, ...]
    ) -> list[tuple[str, str, dict[str, tuple[str, ...]]]]:
        """How each documented exchange reads (its prior context). Reading 500 texts takes
        seconds, so the result is kept in a JSON cache keyed by everything it depends on."""
        cache = prior_cache_path(self.kb.source_dir)
        if cache is not None:
            try:
                raw = json.loads(cache.read_text(encoding="utf-8"))
                return [(k, r, {lv: tuple(v) for lv, v in c.items()}) for k, r, c in raw]
            except (OSError, ValueError, TypeError):
                pass  # absent or unreadable: read them again
        out = []
        for ex in exchanges:
            reading = self.read(read_query(ex.donor_nace, ex.eural_code, ex.waste_description))
            out.append((ex.exchange_id, ex.receiver_nace, self._context(reading)))
        if cache is not None:
            _write_atomically(cache, json.dumps(out))
        return out

    def add_exchange(
        self,
        key: str,
        donor: str | None,
        code: str | None,
        description: str | None,
        receiver: str,
        weight: float = 1.0,
    ) -> None:
        """Count one documented (or observed) exchange in the prior, under what it reads as."""
        reading = self.read(read_query(donor, code, description))
        self.prior.add(key, receiver, self._context(reading), weight)

    def _context(self, reading: Reading) -> dict[str, tuple[str, ...]]:
        top = [m for m in reading.top_materials if m not in GENERIC_MATERIALS][:1]
        categories = [self.kb.material_by_id[m].category for m in top]
        if not categories and reading.categories:
            best = max(reading.categories.values())
            categories = sorted(c for c, w in reading.categories.items() if w == best)[:1]
        return contexts(reading.code, reading.query.sectors, top, categories)

    # ------------------------------------------------------------------ reading a query

    def read(self, query: Query) -> Reading:
        matches = description_matches(self.index, query.description) if query.description else {}
        desc = {m: match.confidence for m, match in matches.items()}
        if query.sectors and matches:
            desc = self._narrow_by_donor(desc, matches, query)
        code_ev = self._code_evidence(query.code)
        inferred: CodeHit | None = None
        if query.code is None and query.description:
            # The official list may name the stream ('red mud from alumina production'); when
            # the text already named a specific material, only a near-verbatim entry counts.
            hits = eural_text_index().search(query.description, limit=40)
            needed = VERBATIM_SIMILARITY if self._knows(desc) else 0.0
            if hits and hits[0].similarity >= needed:
                inferred = hits[0]
                factor = inferred.similarity
                if factor < VERBATIM_SIMILARITY:
                    factor *= INFERRED_CODE_FACTOR
                # Headings that share one text (several subchapters are 'Sludges from on-site
                # effluent treatment') are all meant: each reading counts.
                for hit in hits:
                    if hit.similarity < inferred.similarity - 1e-6:
                        break
                    for m, v in self._code_evidence(hit.code).items():
                        code_ev[m] = max(code_ev.get(m, 0.0), factor * v)
                if inferred.similarity >= VERBATIM_SIMILARITY:
                    # The text is an official heading: it names the code more than its words
                    # name materials ('aluminium' in 'wastes from aluminium metallurgy').
                    desc = {m: VERBATIM_DESCRIPTION_FACTOR * v for m, v in desc.items()}
        prod_ev = self._producer_evidence(query.sector_key)
        has_code = query.code is not None or bool(code_ev)
        confidence = _combine(desc, code_ev, prod_ev, has_code, bool(query.sectors))
        categories = self._categories(confidence, query)
        hazardous = (
            query.hazardous
            or (query.code is not None and query.code in self.hazardous_codes)
            or (bool(query.description) and mentions_hazard(self.vocabulary, query.description))
        )
        if confidence:
            top = max(confidence, key=lambda m: (confidence[m], m))
            hazardous = hazardous or self.kb.material_by_id[top].hazardous
        return Reading(query, confidence, matches, categories, hazardous, inferred)

    def _knows(self, desc: dict[str, float]) -> bool:
        """True when the text named a specific material (not only a family or generic word)."""
        return any(
            conf >= KNOWN_MATERIAL_CONFIDENCE
            and mid not in GENERIC_MATERIALS
            and not mid.startswith(FAMILY_PREFIX)
            for mid, conf in desc.items()
        )

    def _narrow_by_donor(
        self, desc: dict[str, float], matches: dict[str, Match], query: Query
    ) -> dict[str, float]:
        """A one-word stream name plus a donor: the donor's own materials with that word
        ('slag' from a steelworks -> its slags); the generic family steps back."""
        out = dict(desc)
        narrowed = False
        for match in matches.values():
            if " " in match.phrase:
                continue
            for mid in self.materials_by_word.get(stem(match.phrase), ()):
                fit = self._material_fit(mid, query.sector_key)
                if fit >= FIT_GROUP and not mid.startswith(FAMILY_PREFIX):
                    conf = match.confidence * fit
                    if conf > out.get(mid, 0.0):
                        out[mid] = conf
                        narrowed = True
        if narrowed:
            for mid in out:
                if mid.startswith(FAMILY_PREFIX):
                    out[mid] *= FAMILY_FACTOR
        return out

    def _material_fit(self, material_id: str, sector: str | None) -> float:
        fits = [
            producer_fit(p.producer_nace, sector)
            for p in self.kb.pathways_by_material.get(material_id, ())
            if p.producer_nace
        ]
        return max(fits, default=0.0)

    def _code_evidence(self, code: str | None) -> dict[str, float]:
        if not code:
            return {}
        cached = self._code_cache.get(code)
        if cached is not None:
            return cached
        out: dict[str, float] = {}
        for material in self.kb.material_by_id.values():
            score = max((_code_match(code, mcode) for mcode in material.eural_codes), default=0.0)
            if material.material_id.startswith(FAMILY_PREFIX):
                score *= FAMILY_FACTOR  # a family only catches what no specific material names
            if score > 0.0:
                out[material.material_id] = score
        # The official description of the code names the stream too ('rode modder ...').
        levels = (
            ((code, CODE_TEXT_ENTRY), (code[:4], CODE_TEXT_SUBCHAPTER))
            if len(code) == 6
            else ((code[:4], CODE_TEXT_SUBCHAPTER),)
            if len(code) == 4
            else ()
        )
        for key, factor in levels:
            for lang in ("nl", "en"):
                text = eural_description(key, lang) or ""
                for mid, match in description_matches(self.index, text, fuzzy=False).items():
                    if mid not in GENERIC_MATERIALS:
                        out[mid] = max(out.get(mid, 0.0), factor * match.confidence)
        self._code_cache[code] = out
        return out

    def _producer_evidence(self, sector: str | None) -> dict[str, float]:
        if sector is None:
            return {}
        cached = self._producer_cache.get(sector)
        if cached is not None:
            return cached
        fit = {code: producer_fit((code,), sector) for code in self.producer_codes}
        out: dict[str, float] = {}
        for mid, codes in self.producers_by_material.items():
            best = max((fit[c] for c in codes), default=0.0)
            if best > FIT_MISMATCH:
                out[mid] = best
        self._producer_cache[sector] = out
        return out

    def _categories(self, confidence: dict[str, float], query: Query) -> dict[str, float]:
        """Weight per material category: matched materials, plain words, EURAL chapter, donor."""
        vocab = self.vocabulary
        cats: dict[str, float] = (
            dict(keyword_categories(vocab, query.description)) if query.description else {}
        )
        for mid, conf in confidence.items():
            if mid in GENERIC_MATERIALS:
                continue  # 'waste' says nothing about which kind of waste
            cat = self.kb.material_by_id[mid].category
            cats[cat] = max(cats.get(cat, 0.0), conf)
        if query.code:
            hinted = vocab.subchapter_categories.get(
                query.code[:4]
            ) or vocab.chapter_categories.get(query.code[:2], ())
            for rank, cat in enumerate(hinted):
                cats[cat] = max(cats.get(cat, 0.0), 0.6 - 0.1 * rank)
        if query.sector:
            for rank, cat in enumerate(vocab.division_categories.get(query.sector[:2], ())):
                cats[cat] = max(cats.get(cat, 0.0), 0.5 - 0.1 * rank)
        return cats

    # ------------------------------------------------------------------ candidates

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

    def _slots(self, reading: Reading) -> dict[str, _Slot]:
        sector = reading.query.sector_key
        slots: dict[str, _Slot] = {}

        def slot(receiver: str) -> _Slot:
            found = slots.get(receiver)
            if found is None:
                found = slots[receiver] = _Slot()
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

    def candidates(self, query: Query, exclude: str | None = None) -> Candidates:
        """Every class with evidence or a high prior, with its feature row."""
        return self._candidates(self.read(query), exclude)

    def _candidates(self, reading: Reading, exclude: str | None = None) -> Candidates:
        slots = self._slots(reading)
        ctx = self._context(reading)
        glob = self.prior.global_distribution(exclude)
        code_p = self.prior.distribution(CODE_LEVELS, ctx, exclude)
        donor_p = self.prior.distribution(DONOR_LEVELS, ctx, exclude)
        material_p = self.prior.distribution(MATERIAL_LEVELS, ctx, exclude)
        mixed = np.log(code_p) + np.log(donor_p) + np.log(material_p) - 2 * np.log(glob)
        order = np.argsort(-mixed, kind="stable")
        receivers = list(dict.fromkeys(list(slots) + self._prior_receivers(order, reading)))
        idx = np.fromiter((self.prior.position[r] for r in receivers), dtype=np.int64)
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
        return Candidates(receivers, rows, slots, reading, ctx)

    def _prior_receivers(self, order: np.ndarray, reading: Reading) -> list[str]:
        out: list[str] = []
        for j in order:
            receiver = self.prior.receivers[int(j)]
            if reading.hazardous and _food_or_feed_class(receiver):
                continue
            out.append(receiver)
            if len(out) >= PRIOR_CANDIDATES:
                break
        return out

    # ------------------------------------------------------------------ the regional engine

    def material_receiver_fit(
        self, material_id: str, producer_sector: str | None
    ) -> dict[str, float]:
        """For a known material from a producer class: each receiving class's fit in 0..1.

        The calibrated probabilities of the receiving classes, relative to the best one, times
        the material's strongest pathway: the regional engine ranks receivers of one stream
        exactly as `suggest-receivers` does, and keeps how established the stream's best use is.
        """
        material = self.kb.material_by_id.get(material_id)
        if material is None:
            return {}
        key = (material_id, producer_sector)
        cached = self._fit_cache.get(key)
        if cached is not None:
            return cached
        query = read_query(producer_sector, None, None)
        code = material.eural_codes[0] if material.eural_codes else None
        reading = Reading(
            query,
            {material_id: 1.0},
            {},
            {material.category: 1.0},
            material.hazardous,
            CodeHit(code, 1.0) if code else None,
        )
        cands = self._candidates(reading)
        probs = self.model.probabilities(cands.features)
        best = max(
            (p.strength for p in self.kb.pathways_by_material.get(material_id, ())), default=0.0
        )
        top = float(probs.max()) if len(probs) else 0.0
        out = {
            r: round(best * float(p) / top, 6) if top > 0 else 0.0
            for r, p in zip(cands.receivers, probs, strict=True)
        }
        self._fit_cache[key] = out
        return out

    def with_observed(self, flows: Iterable[tuple[str, str, str, str]]) -> Engine:
        """A copy whose prior also counts observed flows: (key, donor class, EURAL code,
        receiver class) per distinct producer -> receiver stream, e.g. from LMA receipts."""
        clone = copy.copy(self)
        clone.prior = self.prior.copy()
        clone._fit_cache = {}
        added = 0
        contexts_by_input: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {}
        for key, donor, code, receiver in flows:
            if receiver in clone.prior.position:
                ctx = contexts_by_input.get((donor, code))
                if ctx is None:  # one reading per donor class and code, not per flow
                    ctx = clone._context(clone.read(read_query(donor, code, None)))
                    contexts_by_input[(donor, code)] = ctx
                clone.prior.add(f"observed:{key}", receiver, ctx)
                added += 1
        clone.observed_flows = added
        return clone

    # ------------------------------------------------------------------ ranking

    def rank(
        self,
        query: Query,
        top: int = 10,
        exclude: str | None = None,
        model: RankingModel | None = None,
    ) -> Answer:
        """The `top` classes; `exclude` leaves one documented exchange out of the prior and
        `model` replaces the fitted weights (both for evaluation)."""
        if top <= 0:
            return Answer([], query.notes)
        cands = self.candidates(query, exclude)
        weights = model or self.model
        scores = [round(float(p), 4) for p in weights.probabilities(cands.features)]
        order = sorted(range(len(cands.receivers)), key=lambda i: (-scores[i], cands.receivers[i]))
        results = [self._suggestion(cands, cands.receivers[i], scores[i]) for i in order[:top]]
        notes = list(query.notes)
        reading = cands.reading
        if query.is_empty:
            notes.append("empty query: the most common receivers of documented exchanges")
        elif not reading.confidence and not any(s.basis == BASIS_KNOWLEDGE for s in results):
            notes.append(
                "no material recognised: ranked by documented exchanges"
                + (" of this EURAL chapter" if query.code else "")
                + (" and donor sector" if query.sectors else "")
            )
        return Answer(results, tuple(notes), tuple(reading.top_materials[:5]))

    def _suggestion(self, cands: Candidates, receiver: str, score: float) -> Suggestion:
        s = cands.slots.get(receiver) or _Slot()
        reading = cands.reading
        why = self._prior_reason(cands.context, receiver)
        if s.direct_pathway is not None and s.direct >= max(s.related, s.generic):
            p = s.direct_pathway
            match = reading.matches.get(p.material_id)
            name = self.kb.material_by_id[p.material_id].name_en
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
            name = self.kb.material_by_id[p.material_id].name_en
            return Suggestion(
                receiver,
                score,
                p.material_id,
                p.use_description,
                f"related ({name}): {p.evidence}",
                BASIS_RELATED,
                f"takes a related {self.kb.material_by_id[p.material_id].category} stream{why}",
            )
        example = self._example(cands.context, receiver)
        if example is not None:
            read_as = self.prior.context_of(example.exchange_id).get("material", ())
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
        p = s.generic_pathway or self._any_pathway(receiver, reading.hazardous)
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

    def _prior_reason(self, ctx: dict[str, tuple[str, ...]], receiver: str) -> str:
        for level, label in (
            ("subchapter", "EURAL subchapter"),
            ("material", "this material"),
            ("chapter", "EURAL chapter"),
            ("donor_class", "this donor class"),
            ("donor_division", "this donor division"),
        ):
            hit, total = self.prior.support(level, ctx, receiver)
            if hit >= 1.0 and total >= 2.0:
                value = ",".join(ctx[level])
                where = f"{label} {value}" if level not in ("material",) else label
                return f"; {hit:.0f} of {total:.0f} documented exchanges of {where} went here"
        return ""

    def _example(self, ctx: dict[str, tuple[str, ...]], receiver: str) -> Exchange | None:
        """The documented exchange to this class that shares the most specific context."""
        best: tuple[int, str] | None = None
        for key, obs in self.prior.observations_of(receiver):
            if key not in self.exchange_by_id:
                continue
            shared = sum(
                weight
                for level, weight in _EXAMPLE_LEVEL_WEIGHTS.items()
                if set(obs.ctx.get(level, ())) & set(ctx.get(level, ()))
            )
            if best is None or (-shared, key) < best:
                best = (-shared, key)
        return self.exchange_by_id[best[1]] if best is not None else None

    def _any_pathway(self, receiver: str, hazardous: bool) -> Pathway | None:
        return max(
            (
                p
                for p in self.kb.pathway_records
                if p.receiver_nace == receiver and not (hazardous and p.food_or_feed)
            ),
            key=lambda p: (p.strength, p.pathway_id),
            default=None,
        )


def _code_match(query_code: str, material_code: str) -> float:
    """How well a material's 6-digit code answers a query code of 2, 4 or 6 digits."""
    if len(query_code) == 6:
        if material_code == query_code:
            return CODE_EXACT
        if material_code[:4] == query_code[:4]:
            return CODE_SUBCHAPTER
    elif len(query_code) == 4 and material_code[:4] == query_code:
        return CODE_IN_SUBCHAPTER
    elif len(query_code) == 2 and material_code[:2] == query_code:
        return CODE_IN_CHAPTER
    return CODE_CHAPTER if material_code[:2] == query_code[:2] else 0.0


def _food_or_feed_class(receiver: str) -> bool:
    return receiver[:2] in FOOD_FEED_DIVISIONS or receiver in FOOD_FEED_CLASSES


def _combine(
    desc: dict[str, float],
    code: dict[str, float],
    producer: dict[str, float],
    has_code: bool,
    has_producer: bool,
) -> dict[str, float]:
    """Weighted mean of the inputs present. The producer sector names materials on its own
    only when nothing else was given: a class produces many streams, and with a description
    or a code it only re-weighs pathways (producer_fit) and narrows a word (slag from 2410)."""
    w_producer = W_PRODUCER if has_producer and not desc and not has_code else 0.0
    total = (W_DESCRIPTION if desc else 0.0) + (W_CODE if has_code else 0.0) + w_producer
    if total == 0.0:
        return {}
    out: dict[str, float] = {}
    for mid in set(desc) | set(code) | (set(producer) if w_producer else set()):
        value = W_DESCRIPTION * desc.get(mid, 0.0) + W_CODE * code.get(mid, 0.0)
        value += w_producer * producer.get(mid, 0.0)
        conf = value / total
        if conf >= MIN_MATERIAL_CONFIDENCE:
            out[mid] = min(1.0, conf)
    return out


@lru_cache(maxsize=65536)
def producer_fit(producers: tuple[str, ...], sector: str | None) -> float:
    """How well the query's producer sector ('|'-joined candidates) fits a pathway's producers."""
    if sector is None:
        return FIT_NO_PRODUCER_QUERY
    if not producers:
        return FIT_UNKNOWN_PRODUCERS
    candidates = sector.split("|")
    best = FIT_MISMATCH
    for code in producers:
        for cand in candidates:
            if len(cand) == 4 and len(code) == 4 and code == cand:
                return FIT_CLASS
            if len(cand) >= 3 and len(code) == 4 and code[:3] == cand[:3]:
                best = max(best, FIT_GROUP)
            elif code[:2] == cand[:2]:
                best = max(best, FIT_DIVISION if len(code) == 4 or len(cand) == 2 else FIT_CLASS)
    return best


_ENGINE_SOURCES = ("engine.py", "text.py", "query.py", "exchanges.py", "eural_text.py")
_REFERENCE_FILES = ("eural.csv", "sbi2008.csv", "sbi2025.csv")


def prior_cache_path(knowledge_dir: Path) -> Path | None:
    """Cache file of the documented exchanges' readings for this knowledge and engine code,
    under REGIONOMIE_CACHE_DIR (default ~/.cache/regionomie); None when caching is off."""
    root = os.environ.get("REGIONOMIE_CACHE_DIR", str(Path.home() / ".cache" / "regionomie"))
    if not root or root == "off":
        return None
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    inputs = sorted(p for p in knowledge_dir.rglob("*") if p.is_file() and p.suffix != ".json")
    inputs += [here / name for name in _ENGINE_SOURCES]
    inputs += [REFERENCE_DIR / name for name in _REFERENCE_FILES]
    for path in inputs:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return Path(root) / "suggest" / f"exchange-readings-{digest.hexdigest()[:24]}.json"


def _write_atomically(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a cache that cannot be written costs time, never correctness


def engine_for(kb: KnowledgeBase) -> Engine:
    """The engine of this knowledge base, built on first use and cached on it."""
    engine = kb.cache.get("suggest_engine")
    if engine is None:
        exchanges = load_exchanges(kb.source_dir / "eval")
        engine = Engine(kb, exchanges, load_model(kb.source_dir))
        kb.cache["suggest_engine"] = engine
    return engine
