"""Free text -> knowledge-base materials: names, plurals, Dutch compounds, word order, typos.

A description is compared with every name a material is known by (its aliases) in five ways,
from strongest to weakest: the exact phrase; the phrase after folding plurals ('slakken' ->
'slak', 'ashes' -> 'ash'); a long name inside a Dutch compound ('koffiedikresten'), or a name as
the head of one ('hoogovenslak' ends in 'slak'); all words of a multi-word name in any order
('peels of potatoes'); and a rapidfuzz ratio for misspellings ('koffiedick'). A match lying
inside a longer match of another material counts for less ('slag' inside 'steel slag').

Pure domain code: no dagster, no neo4j.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from regionomie.domain.knowledge import KnowledgeBase, normalise_text

FUZZY_CUTOFF = 85.0
FUZZY_MIN_ALIAS_LEN = 5
FUZZY_WORD = 75.0  # per word of a multi-word fuzzy match
FUZZY_SHORT_WORD = 85.0  # words of at most 6 letters: 'waste' vs 'water' (80) is a new word
COMPOUND_MIN_ALIAS_LEN = 6
HEAD_MIN_ALIAS_LEN = 4
CONTAINED_PENALTY = 0.4
STEMMED_FACTOR = 0.95
COMPOUND_FACTOR = 0.9
HEAD_FACTOR = 0.8
TOKEN_SET_FACTOR = 0.85
FUZZY_FACTOR = 0.92
CATEGORY_KEYWORD_WEIGHT = 0.45

VOCABULARY_FILE = "vocabulary.yaml"


@dataclass(frozen=True)
class Vocabulary:
    """Words the engine reads text with; data/knowledge/vocabulary.yaml."""

    category_keywords: dict[str, str]
    chapter_categories: dict[str, tuple[str, ...]]
    subchapter_categories: dict[str, tuple[str, ...]]
    division_categories: dict[str, tuple[str, ...]]
    hazard_words: frozenset[str]
    negations: frozenset[str]
    stopwords: frozenset[str]


def load_vocabulary(directory: Path) -> Vocabulary:
    with (directory / VOCABULARY_FILE).open(encoding="utf-8") as handle:
        raw: dict[str, Any] = yaml.safe_load(handle)
    keywords = {
        str(word): str(category)
        for category, words in raw["category_keywords"].items()
        for word in words
    }

    def table(key: str) -> dict[str, tuple[str, ...]]:
        return {str(k): tuple(str(c) for c in v) for k, v in raw[key].items()}

    return Vocabulary(
        category_keywords=keywords,
        chapter_categories=table("chapter_categories"),
        subchapter_categories=table("subchapter_categories"),
        division_categories=table("division_categories"),
        hazard_words=frozenset(map(str, raw["hazard_words"])),
        negations=frozenset(map(str, raw["negations"])),
        stopwords=frozenset(map(str, raw["stopwords"])),
    )


def stem(token: str) -> str:
    """Fold English and Dutch plurals so both sides of a comparison meet.

    'ashes' -> 'ash', 'batteries' -> 'battery', 'slags' -> 'slag', 'slakken' -> 'slak',
    'assen' -> 'as', 'bladeren' -> 'blader'. Crude on purpose: applied to names and queries
    alike, it only has to map a singular and its plural to the same key.
    """
    if len(token) <= 3 or not token.isalpha():
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("ches", "shes", "sses", "xes")):
        return token[:-2]
    if token.endswith("en") and len(token) > 4:
        base = token[:-2]
        if len(base) >= 2 and base[-1] == base[-2] and base[-1] not in "aeiou":
            base = base[:-1]  # slakken -> slak, assen -> as
        return base
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def stem_phrase(text: str) -> str:
    return " ".join(stem(t) for t in text.split())


@dataclass(frozen=True)
class Match:
    """Why a material was recognised: the words matched, how, and how sure (0..1)."""

    material_id: str
    confidence: float
    start: int
    end: int
    phrase: str
    how: str


@dataclass
class AliasIndex:
    exact: dict[str, tuple[str, ...]]  # normalised alias -> material ids
    stemmed: dict[str, tuple[str, ...]]  # plural-folded alias -> material ids
    compound: dict[str, tuple[str, ...]]  # long compact aliases, found inside compounds
    heads: dict[str, tuple[str, ...]]  # single-word aliases that may head a Dutch compound
    max_alias_tokens: int
    # content stem -> multi-word aliases containing it (alias, its stem set)
    token_sets: dict[str, tuple[tuple[str, frozenset[str]], ...]]
    # query length -> (aliases whose length can reach FUZZY_CUTOFF with it, their owners)
    fuzzy_by_length: dict[int, tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]]
    vocabulary: Vocabulary
    # n-gram -> its fuzzy hits (alias, ratio, owners): queries repeat their words
    fuzzy_cache: dict[str, list[tuple[str, float, tuple[str, ...]]]] = field(default_factory=dict)

    def fuzzy_hits(self, gram: str) -> list[tuple[str, float, tuple[str, ...]]]:
        hits = self.fuzzy_cache.get(gram)
        if hits is None:
            choices, owners = self.fuzzy_by_length.get(len(gram), ((), ()))
            found = (
                process.extract(
                    gram, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=4
                )
                if choices
                else []
            )
            hits = [(choice, ratio, owners[pos]) for choice, ratio, pos in found]
            if len(self.fuzzy_cache) < 100_000:
                self.fuzzy_cache[gram] = hits
        return hits


def _add(table: dict[str, list[str]], key: str, owner: str) -> None:
    owners = table.setdefault(key, [])
    if owner not in owners:
        owners.append(owner)


def build_alias_index(kb: KnowledgeBase, vocabulary: Vocabulary) -> AliasIndex:
    exact: dict[str, list[str]] = {}
    for material in kb.material_by_id.values():
        for alias in material.aliases:
            _add(exact, alias, material.material_id)
    stemmed: dict[str, list[str]] = {}
    compound: dict[str, list[str]] = {}
    heads: dict[str, list[str]] = {}
    fuzzy: dict[str, list[str]] = {}
    for alias, owners in exact.items():
        compact = alias.replace(" ", "")
        for owner in owners:
            _add(stemmed, stem_phrase(alias), owner)
            if len(compact) >= COMPOUND_MIN_ALIAS_LEN:
                _add(compound, compact, owner)
            if " " not in alias and len(alias) >= HEAD_MIN_ALIAS_LEN:
                _add(heads, alias, owner)
                _add(heads, stem(alias), owner)
            for form in {alias, compact}:
                if len(form) >= FUZZY_MIN_ALIAS_LEN:
                    _add(fuzzy, form, owner)
    return AliasIndex(
        exact={k: tuple(v) for k, v in exact.items()},
        stemmed={k: tuple(v) for k, v in stemmed.items()},
        compound={k: tuple(v) for k, v in compound.items()},
        heads={k: tuple(v) for k, v in heads.items() if len(k) >= HEAD_MIN_ALIAS_LEN},
        max_alias_tokens=max((len(a.split()) for a in exact), default=1),
        token_sets=_token_set_index(exact, vocabulary.stopwords),
        fuzzy_by_length=_fuzzy_buckets(fuzzy),
        vocabulary=vocabulary,
    )


def _content_stems(text: str, stopwords: frozenset[str]) -> list[str]:
    return [stem(t) for t in text.split() if t not in stopwords]


def _token_set_index(
    exact: dict[str, list[str]], stopwords: frozenset[str]
) -> dict[str, tuple[tuple[str, frozenset[str]], ...]]:
    out: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for alias in exact:
        stems = frozenset(_content_stems(alias, stopwords))
        if len(stems) < 2:
            continue
        for s in stems:
            out.setdefault(s, []).append((alias, stems))
    return {k: tuple(v) for k, v in out.items()}


def _fuzzy_buckets(
    fuzzy: dict[str, list[str]],
) -> dict[int, tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]]:
    """Pre-filter fuzzy candidates by length: fuzz.ratio >= c needs min/max len >= c/(200-c)."""
    ratio = FUZZY_CUTOFF / (200.0 - FUZZY_CUTOFF)
    by_length: dict[int, list[str]] = {}
    for alias in sorted(fuzzy):
        by_length.setdefault(len(alias), []).append(alias)
    longest = max(by_length, default=0)
    buckets: dict[int, tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]] = {}
    for size in range(FUZZY_MIN_ALIAS_LEN, int(longest / ratio) + 2):
        low, high = math.ceil(size * ratio - 1e-9), math.floor(size / ratio + 1e-9)
        keep = [a for n in range(low, high + 1) for a in by_length.get(n, ())]
        buckets[size] = (tuple(keep), tuple(tuple(fuzzy[a]) for a in keep))
    return buckets


def specificity(alias: str) -> float:
    """Longer names are more specific: 'heat' (0.71) < 'surplus heat' (0.92)."""
    return 0.6 + 0.4 * min(1.0, len(alias) / 15.0)


def _token_spans(text: str) -> list[tuple[str, int]]:
    spans: list[tuple[str, int]] = []
    cursor = 0
    for tok in text.split():
        cursor = text.find(tok, cursor)
        spans.append((tok, cursor))
        cursor += len(tok)
    return spans


def _phrase_matches(index: AliasIndex, text: str, spans: list[tuple[str, int]]) -> list[Match]:
    """Exact and plural-folded phrases: every token n-gram looked up in the alias tables."""
    out: list[Match] = []
    for i in range(len(spans)):
        for n in range(1, index.max_alias_tokens + 1):
            if i + n > len(spans):
                break
            start = spans[i][1]
            end = spans[i + n - 1][1] + len(spans[i + n - 1][0])
            phrase = text[start:end]
            owners = index.exact.get(phrase)
            if owners:
                conf = specificity(phrase)
                out.extend(Match(o, conf, start, end, phrase, "name") for o in owners)
                continue
            owners = index.stemmed.get(stem_phrase(phrase))
            if owners:
                conf = STEMMED_FACTOR * specificity(phrase)
                out.extend(Match(o, conf, start, end, phrase, "plural") for o in owners)
    return out


def _compound_matches(index: AliasIndex, spans: list[tuple[str, int]]) -> list[Match]:
    """Dutch compounds: a long name inside a word ('koffiedikresten'), or a name as its head."""
    out: list[Match] = []
    for tok, start in spans:
        if len(tok) >= COMPOUND_MIN_ALIAS_LEN + 2:
            for i in range(len(tok) - COMPOUND_MIN_ALIAS_LEN + 1):
                for j in range(i + COMPOUND_MIN_ALIAS_LEN, len(tok) + 1):
                    if j - i == len(tok):
                        continue
                    part = tok[i:j]
                    for owner in index.compound.get(part, ()):
                        conf = COMPOUND_FACTOR * specificity(part)
                        out.append(Match(owner, conf, start + i, start + j, part, "compound"))
        # Head-final compounds: 'hoogovenslak' is a kind of 'slak', 'zuiveringsslib' of 'slib'.
        for size in range(HEAD_MIN_ALIAS_LEN, len(tok) - 2):
            head = tok[-size:]
            for owner in index.heads.get(head, ()) or index.heads.get(stem(head), ()):
                conf = HEAD_FACTOR * specificity(head)
                end = start + len(tok)
                out.append(Match(owner, conf, end - size, end, head, "compound head"))
    return out


def _word_set_matches(
    index: AliasIndex, spans: list[tuple[str, int]], stopwords: frozenset[str]
) -> list[Match]:
    """Every word of a multi-word name present, in any order ('peels of potatoes')."""
    stem_spans: dict[str, list[tuple[int, int]]] = {}
    for tok, start in spans:
        if tok not in stopwords:
            stem_spans.setdefault(stem(tok), []).append((start, start + len(tok)))
    out: list[Match] = []
    seen: set[str] = set()
    for s in stem_spans:
        for alias, stems in index.token_sets.get(s, ()):
            if alias in seen or not stems <= stem_spans.keys():
                continue
            seen.add(alias)
            positions = [pos for st in stems for pos in stem_spans[st]]
            start = min(p[0] for p in positions)
            end = max(p[1] for p in positions)
            conf = TOKEN_SET_FACTOR * specificity(alias)
            out.extend(Match(o, conf, start, end, alias, "words") for o in index.exact[alias])
    return out


def _fuzzy_matches(
    index: AliasIndex,
    spans: list[tuple[str, int]],
    covered: list[tuple[int, int]],
    stopwords: frozenset[str],
) -> list[Match]:
    """rapidfuzz on 1-3 word n-grams (spaced and compact) that nothing exact explained."""
    content = [(t, s) for t, s in spans if t not in stopwords]
    grams: dict[str, tuple[int, int]] = {}
    for n in (1, 2, 3):
        for i in range(len(content) - n + 1):
            part = content[i : i + n]
            span = (part[0][1], part[-1][1] + len(part[-1][0]))
            if any(a <= span[0] and span[1] <= b for a, b in covered):
                continue
            words = [p[0] for p in part]
            for form in (" ".join(words), "".join(words)) if n > 1 else (words[0],):
                if len(form) >= FUZZY_MIN_ALIAS_LEN:
                    grams.setdefault(form, span)
    out: list[Match] = []
    for gram, (start, end) in grams.items():
        for choice, ratio, owners in index.fuzzy_hits(gram):
            if ratio >= 100.0:
                conf, how = specificity(choice), "name"
            elif fuzz.ratio(gram[:5], choice[:5]) < 60.0:
                continue  # same tail, different head: 'uienschillen' is not 'druivenschillen'
            elif not _words_agree(gram, choice):
                continue  # 'industrial waste' is not 'industrial water'
            else:
                conf, how = FUZZY_FACTOR * (ratio / 100.0) * specificity(choice), "spelling"
            out.extend(Match(o, conf, start, end, choice, how) for o in owners)
    return out


def _words_agree(gram: str, choice: str) -> bool:
    """Word by word, a misspelling stays close: short words must nearly match."""
    words, target = gram.split(), choice.split()
    if len(words) != len(target) or len(words) == 1:
        return True
    for a, b in zip(words, target, strict=True):
        need = FUZZY_SHORT_WORD if min(len(a), len(b)) <= 6 else FUZZY_WORD
        if fuzz.ratio(a, b) < need:
            return False
    return True


def description_matches(
    index: AliasIndex, description: str, fuzzy: bool = True
) -> dict[str, Match]:
    """material_id -> its best match in the text (confidence 0..1), weaker if contained.
    `fuzzy=False` for edited texts (the official EURAL descriptions): no typos to forgive."""
    text = normalise_text(description)
    if not text:
        return {}
    stopwords = index.vocabulary.stopwords
    spans = _token_spans(text)
    matches = _phrase_matches(index, text, spans)
    matches += _compound_matches(index, spans)
    matches += _word_set_matches(index, spans, stopwords)
    if fuzzy:
        covered = [(m.start, m.end) for m in matches if m.how in ("name", "plural", "words")]
        matches += _fuzzy_matches(index, spans, covered, stopwords)
    best: dict[str, Match] = {}
    for match in matches:
        conf = match.confidence
        for other in matches:
            if (
                other.material_id != match.material_id
                and other.start <= match.start
                and other.end >= match.end
                and (other.end - other.start) > (match.end - match.start)
                and other.confidence >= match.confidence
            ):
                conf *= CONTAINED_PENALTY
                break
        kept = best.get(match.material_id)
        if kept is None or conf > kept.confidence:
            best[match.material_id] = Match(
                match.material_id, conf, match.start, match.end, match.phrase, match.how
            )
    return best


def keyword_categories(vocabulary: Vocabulary, description: str) -> dict[str, float]:
    """Categories named by plain words of the description, also inside Dutch compounds."""
    cats: dict[str, float] = {}
    for token in normalise_text(description).split():
        category = vocabulary.category_keywords.get(token) or vocabulary.category_keywords.get(
            stem(token)
        )
        if category is None and len(token) > 6:
            # Dutch compounds: modifier first ('houtafval'), head last ('uienschillen').
            for size in range(4, len(token) - 2):
                category = vocabulary.category_keywords.get(
                    token[:size]
                ) or vocabulary.category_keywords.get(token[-size:])
                if category is not None:
                    break
        if category is not None:
            cats[category] = CATEGORY_KEYWORD_WEIGHT
    return cats


def mentions_hazard(vocabulary: Vocabulary, description: str) -> bool:
    """Hazard words ('verontreinigd', 'asbestos') not negated ('niet verontreinigd')."""
    tokens = normalise_text(description).split()
    for i, token in enumerate(tokens):
        if token in vocabulary.hazard_words and not (
            i > 0 and tokens[i - 1] in vocabulary.negations
        ):
            return True
    return False
