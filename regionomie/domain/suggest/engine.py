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

The parts: reading.py (query -> materials), candidates.py (candidate classes, evidence,
features), explain.py (basis, citation, reason); this module holds the engine: the prior of
documented exchanges, the ranking and the regional engine's receiver fit.

Pure domain code: no dagster, no neo4j.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from regionomie.domain.knowledge import KnowledgeBase
from regionomie.domain.suggest.candidates import CandidateBuilder, Candidates, prior_context
from regionomie.domain.suggest.context import DUTCH, context_country, dutch_supply
from regionomie.domain.suggest.eural_text import CodeHit
from regionomie.domain.suggest.exchanges import (
    FROZEN_DIR,
    Exchange,
    ReceiverPrior,
    load_exchanges,
)
from regionomie.domain.suggest.explain import BASIS_KNOWLEDGE, Suggestion, explain
from regionomie.domain.suggest.model import RankingModel, load_model
from regionomie.domain.suggest.names import with_names
from regionomie.domain.suggest.priors import RoutePrior, load_route_tables
from regionomie.domain.suggest.query import Query, read_query
from regionomie.domain.suggest.reading import Reader, Reading
from regionomie.paths import REFERENCE_DIR


@dataclass(frozen=True)
class Answer:
    """The ranked suggestions, notes on what could not be read, the materials recognised."""

    receivers: list[Suggestion]
    notes: tuple[str, ...] = ()
    recognised: tuple[str, ...] = ()  # materials read from the query, most confident first


class Engine:
    """Built once per knowledge base (cached on it); answers thousands of queries per second."""

    def __init__(
        self,
        kb: KnowledgeBase,
        exchanges: tuple[Exchange, ...],
        model: RankingModel,
    ) -> None:
        self.kb = kb
        self.reader = Reader(kb)
        self.model = model
        self.exchanges = exchanges
        self.exchange_by_id = {ex.exchange_id: ex for ex in exchanges}
        receivers = {p.receiver_nace for p in kb.pathway_records}
        receivers |= {ex.receiver_nace for ex in exchanges}
        tables = load_route_tables(kb.source_dir, kb)
        if tables is not None:
            receivers |= tables.classes()
        self.prior = ReceiverPrior(receivers)
        self._donor_divisions = Counter(ex.donor_nace[:2] for ex in exchanges)
        self.routes = RoutePrior(tables, kb, self.prior.receivers) if tables else None
        self.builder = CandidateBuilder(kb, self.routes)
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
            out.append((ex.exchange_id, ex.receiver_nace, prior_context(self.kb, reading)))
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
        self.prior.add(key, receiver, prior_context(self.kb, reading), weight)

    # ------------------------------------------------------------------ reading, candidates

    def read(self, query: Query) -> Reading:
        """What the query reads as (reading.py)."""
        return self.reader.read(query)

    def candidates(self, query: Query, exclude: str | None = None) -> Candidates:
        """Every class with evidence or a high prior, with its feature row."""
        return self._candidates(self.read(query), exclude)

    def _candidates(self, reading: Reading, exclude: str | None = None) -> Candidates:
        """Candidates of a reading against this engine's own prior (see with_observed)."""
        return self.builder.build(reading, self.prior, exclude)

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
                    reading = clone.read(read_query(donor, code, None))
                    ctx = prior_context(clone.kb, reading)
                    contexts_by_input[(donor, code)] = ctx
                clone.prior.add(f"observed:{key}", receiver, ctx)
                added += 1
        clone.observed_flows = added
        return clone

    # ------------------------------------------------------------------ ranking

    def unanswerable(self, reading: Reading) -> str | None:
        """Why a query gets no suggestions at all, or None. Nonsense or unknown input is answered
        with an empty list and this reason, never with a table of unrelated common receivers.
        A stream nobody recognised is still answered from its donor sector's documented
        practice when that sector has enough documented exchanges (and the notes say so)."""
        query = reading.query
        if query.is_empty:
            return (
                "empty query: give a producer sector, a EURAL code or a description of the stream"
            )
        if query.code or (reading.described and (reading.confidence or reading.categories)):
            return None
        if query.sectors and self.donor_support(query.sectors) >= MIN_DONOR_SUPPORT:
            return None
        if not reading.described:
            return (
                f"description {query.description!r} not recognised as a material or waste "
                "stream: no suggestions (name the material, or give its EURAL code)"
            )
        return (
            f"nothing known about the streams of producer sector {query.sector}: no suggestions "
            "(describe the stream or give its EURAL code)"
        )

    def _mark_abroad(self, query: Query, results: list[Suggestion]) -> tuple[list[Suggestion], int]:
        """In the Dutch context, mark suggestions whose material is not Dutch supply."""
        if context_country(query.country, query.sectors) != DUTCH:
            return results, 0
        occurs = self.kb.cache.get("dutch_supply", False)
        if occurs is False:
            occurs = dutch_supply(self.kb)
            self.kb.cache["dutch_supply"] = occurs
        if occurs is None:
            return results, 0
        out, marked = [], 0
        for s in results:
            if s.material and s.material in self.kb.material_by_id and not occurs(s.material):
                name = self.kb.material_by_id[s.material].name_en
                s = replace(
                    s,
                    seen_abroad_only=True,
                    explanation=f"{s.explanation}; seen only abroad: {name} does not arise "
                    "as Dutch supply",
                )
                marked += 1
            out.append(s)
        return out, marked

    def donor_support(self, sectors: tuple[str, ...]) -> int:
        """How many documented exchanges came from the query's donor division."""
        divisions = {s[:2] for s in sectors}
        return sum(n for d, n in self._donor_divisions.items() if d in divisions)

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
        reading = self.read(query)
        refusal = self.unanswerable(reading)
        if refusal:
            return Answer([], (*query.notes, refusal))
        cands = self._candidates(reading, exclude)
        weights = model or self.model
        scores = [round(float(p), 4) for p in weights.probabilities(cands.features)]
        order = sorted(range(len(cands.receivers)), key=lambda i: (-scores[i], cands.receivers[i]))
        results = [
            with_names(
                explain(
                    self.kb, self.prior, self.exchange_by_id, cands, cands.receivers[i], scores[i]
                )
            )
            for i in order[:top]
        ]
        notes = list(query.notes)
        results, abroad = self._mark_abroad(query, results)
        if abroad:
            notes.append(
                f"Dutch context{'' if query.country else ' (no country given)'}: {abroad} of "
                f"{len(results)} suggestions rest on pathways seen only abroad (their material "
                "does not arise as Dutch supply); they are marked seen_abroad_only"
            )
        if not reading.described:
            notes.append(
                f"description {query.description!r} not recognised: ranked by "
                + ("the EURAL code" if query.code else "documented exchanges of this donor sector")
            )
        elif not reading.confidence and not any(s.basis == BASIS_KNOWLEDGE for s in results):
            notes.append(
                "no material recognised: ranked by documented exchanges"
                + (" of this EURAL chapter" if query.code else "")
                + (" and donor sector" if query.sectors else "")
            )
        return Answer(results, tuple(notes), tuple(reading.top_materials[:5]))


# A donor division with at least this many documented exchanges answers for a stream whose
# description was not recognised.
MIN_DONOR_SUPPORT = 10

# The code the cached readings depend on: a change to any of these files invalidates them.
_ENGINE_SOURCES = (
    "engine.py",
    "reading.py",
    "candidates.py",
    "text.py",
    "query.py",
    "exchanges.py",
    "eural_text.py",
    "priors.py",
)
_REFERENCE_FILES = ("eural.csv", "sbi2008.csv", "sbi2025.csv")


def prior_cache_path(knowledge_dir: Path) -> Path | None:
    """Cache file of the documented exchanges' readings for this knowledge and engine code,
    under REGIONOMIE_CACHE_DIR (default ~/.cache/regionomie); None when caching is off."""
    root = os.environ.get("REGIONOMIE_CACHE_DIR", str(Path.home() / ".cache" / "regionomie"))
    if not root or root == "off":
        return None
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    inputs = sorted(  # the frozen set is never read into the prior: not a cache input
        p
        for p in knowledge_dir.rglob("*")
        if p.is_file()
        and p.suffix != ".json"
        and FROZEN_DIR not in p.relative_to(knowledge_dir).parts
    )
    inputs += [here / name for name in _ENGINE_SOURCES]
    inputs += [REFERENCE_DIR / name for name in _REFERENCE_FILES]
    for path in inputs:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return Path(root) / "suggest" / f"exchange-readings-{digest.hexdigest()[:24]}.json"


def _write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so parallel runs never read half a cache."""
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
