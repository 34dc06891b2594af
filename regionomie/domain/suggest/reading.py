"""Reading a suggestion query into materials: the description through the alias index
(text.py), the EURAL code through the materials reported under it and its official
description, the producer sector through the classes that produce each material. The result,
a Reading, is what the candidate classes are gathered for (candidates.py).

Hard rule: a hazardous input (EURAL '*', a hazardous code or material, hazard words) is marked
hazardous here, so that it never gets a food or feed use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from regionomie.domain.knowledge import KnowledgeBase
from regionomie.domain.reference import eural_description, hazardous_eural_codes
from regionomie.domain.suggest.eural_text import CodeHit, eural_text_index
from regionomie.domain.suggest.query import Query
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
MIN_MATERIAL_CONFIDENCE = 0.08

GENERIC_MATERIALS: frozenset[str] = frozenset(
    {"generic_organic", "generic_waste", "generic_hazardous"}
)
FAMILY_PREFIX = "family_"


@dataclass
class Reading:
    """What the engine read from a query: materials with confidence and how, categories."""

    query: Query
    confidence: dict[str, float]
    matches: dict[str, Match]
    categories: dict[str, float]
    hazardous: bool
    inferred_code: CodeHit | None = None
    # False when a description was given and nothing in it was understood: no material name,
    # no category word, no official EURAL text. Such a text is not guessed at.
    described: bool = True

    @property
    def code(self) -> str | None:
        """The given EURAL code, else one the official descriptions matched closely."""
        if self.query.code:
            return self.query.code
        return self.inferred_code.code if self.inferred_code else None

    @property
    def top_materials(self) -> list[str]:
        return sorted(self.confidence, key=lambda m: (-self.confidence[m], m))


class Reader:
    """Reads queries against one knowledge base. Built once (alias index, vocabulary, which
    classes produce which material, hazardous codes); keeps the evidence per EURAL code and
    per producer sector, which thousands of queries share."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.vocabulary = load_vocabulary(kb.source_dir)
        self.index: AliasIndex = build_alias_index(kb, self.vocabulary)
        words: dict[str, set[str]] = {}
        for material in kb.material_by_id.values():
            if material.material_id in GENERIC_MATERIALS:
                continue
            for alias in material.aliases:
                for token in alias.split():
                    words.setdefault(stem(token), set()).add(material.material_id)
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
        self._code_cache: dict[str, dict[str, float]] = {}
        self._producer_cache: dict[str | None, dict[str, float]] = {}

    def read(self, query: Query) -> Reading:
        """The query as materials (with confidence and how each was read), material
        categories and whether the stream is hazardous."""
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
        keywords = (
            keyword_categories(self.vocabulary, query.description) if query.description else {}
        )
        described = not query.description or bool(matches or keywords or inferred)
        prod_ev = self._producer_evidence(query.sector_key)
        has_code = query.code is not None or bool(code_ev)
        confidence = _combine(
            desc, code_ev, prod_ev if described else {}, has_code, bool(query.sectors)
        )
        categories = self._categories(confidence, query, keywords)
        hazardous = (
            query.hazardous
            or (query.code is not None and query.code in self.hazardous_codes)
            or (bool(query.description) and mentions_hazard(self.vocabulary, query.description))
        )
        if confidence:
            top = max(confidence, key=lambda m: (confidence[m], m))
            hazardous = hazardous or self.kb.material_by_id[top].hazardous
        return Reading(query, confidence, matches, categories, hazardous, inferred, described)

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
        """How well the sector fits the best-fitting producers of any of the material's pathways."""
        fits = [
            producer_fit(p.producer_nace, sector)
            for p in self.kb.pathways_by_material.get(material_id, ())
            if p.producer_nace
        ]
        return max(fits, default=0.0)

    def _code_evidence(self, code: str | None) -> dict[str, float]:
        """Materials a EURAL code names: by their own codes and by its official description."""
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
        """Materials a producer sector typically produces, with how well the sector fits."""
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

    def _categories(
        self, confidence: dict[str, float], query: Query, keywords: dict[str, float]
    ) -> dict[str, float]:
        """Weight per material category: matched materials, plain words, EURAL chapter, donor."""
        vocab = self.vocabulary
        cats: dict[str, float] = dict(keywords)
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
        if query.sector and (cats or not query.description):
            for rank, cat in enumerate(vocab.division_categories.get(query.sector[:2], ())):
                cats[cat] = max(cats.get(cat, 0.0), 0.5 - 0.1 * rank)
        return cats


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
