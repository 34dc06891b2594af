"""Free text -> the EURAL codes whose official description says the same (Dutch or English).

A TF-IDF index over the 20 chapter, 111 subchapter and 842 entry descriptions of the European
List of Waste, in both languages. A description without a code ('rode modder van de
aluinaardeproductie', 'wastes from mineral excavation') then still reaches the codes, and so
the materials and the documented practice of that part of the list. Only a close match counts
(cosine >= MIN_SIMILARITY); boilerplate words of the list ('afval', 'wastes', 'other than
those mentioned in') carry no weight.

Pure domain code: no dagster, no neo4j.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from regionomie.domain.knowledge import normalise_text
from regionomie.domain.reference import load_eural
from regionomie.domain.suggest.text import stem

MIN_SIMILARITY = 0.55

_BOILERPLATE: frozenset[str] = frozenset(
    "afval afvalstoffen van en uit niet anders dan die onder vallend vallende elders genoemd "
    "overige andere bevat bevatten dat de het een in met voor exclusief inclusief gevaarlijke "
    "stoffen gevaarlijk bijvoorbeeld of waste wastes from and other than those mentioned in of "
    "containing hazardous substances not otherwise specified the a an or on for including "
    "except e g ie which".split()
)


@dataclass(frozen=True)
class CodeHit:
    code: str  # 2, 4 or 6 digits
    similarity: float


def _terms(text: str) -> Counter[str]:
    return Counter(
        stem(t) for t in normalise_text(text).split() if t not in _BOILERPLATE and len(t) > 1
    )


@dataclass
class EuralTextIndex:
    postings: dict[str, list[tuple[int, float]]]  # term -> (doc, weight)
    idf: dict[str, float]
    codes: list[str]

    def search(self, text: str, limit: int = 5) -> list[CodeHit]:
        """Codes whose description is closest to `text`, best first, above MIN_SIMILARITY."""
        terms = _terms(text)
        weights = {t: (1 + math.log(c)) * self.idf[t] for t, c in terms.items() if t in self.idf}
        if not weights:
            return []
        norm = math.sqrt(sum(w * w for w in weights.values()))
        scores: dict[int, float] = {}
        for term, w in weights.items():
            for doc, dw in self.postings[term]:
                scores[doc] = scores.get(doc, 0.0) + w * dw / norm
        # Unknown words of the query count against it: 'mill scale' is not 'scale removal'.
        unknown = sum(1 for t in terms if t not in self.idf)
        penalty = math.sqrt(len(weights) / (len(weights) + unknown))
        best: dict[str, float] = {}
        for doc, score in scores.items():
            code = self.codes[doc]
            best[code] = max(best.get(code, 0.0), score * penalty)
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        return [CodeHit(c, round(s, 4)) for c, s in ranked[:limit] if s >= MIN_SIMILARITY]


@lru_cache(maxsize=1)
def eural_text_index() -> EuralTextIndex:
    eural = load_eural()
    docs: list[tuple[str, Counter[str]]] = []
    for code, nl, en in zip(
        eural["code"], eural["description_nl"], eural["description_en"], strict=True
    ):
        for text in (nl, en):
            terms = _terms(str(text))
            if terms:
                docs.append((str(code), terms))
    df: Counter[str] = Counter()
    for _, terms in docs:
        df.update(terms.keys())
    idf = {t: math.log(len(docs) / n) + 1.0 for t, n in df.items()}
    postings: dict[str, list[tuple[int, float]]] = {}
    for i, (_, terms) in enumerate(docs):
        weights = {t: (1 + math.log(c)) * idf[t] for t, c in terms.items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        for term, w in weights.items():
            postings.setdefault(term, []).append((i, w / norm))
    return EuralTextIndex(postings, idf, [code for code, _ in docs])
