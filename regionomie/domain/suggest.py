"""Sector-level suggestion engine: which receiving sectors (NACE 4-digit) could use a waste stream.

A query is any mix of producer sector (NACE/SBI), EURAL waste code and free-text description.
Each input is turned into evidence for materials in the knowledge base:

- description: exact alias phrases (word-bounded, or inside Dutch compounds for long aliases) and
  rapidfuzz matches of token n-grams (spelling, hyphenation, language mix-ups);
- waste code: exact code > same subchapter (4 digits) > same chapter (2 digits);
- producer sector: materials whose pathways name that producer class/group/division.

Per material the evidence is a weighted mean over the inputs actually given; per pathway it is
multiplied by the pathway's strength and the producer-sector fit; per receiver sector we keep the
best pathway plus a small bonus for independent extra pathways. Related pathways of the same
material category and generic waste-treatment sectors fill the tail at lower scores so that a
query always returns `top` sectors. Hazardous inputs never get food/feed pathways.

Pure domain code: no dagster, no neo4j.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from regionomie.domain.knowledge import KnowledgeBase, Pathway, normalise_text
from regionomie.paths import REFERENCE_DIR

# Weights of the three inputs in the material confidence (only inputs present are counted).
W_DESCRIPTION = 0.55
W_CODE = 0.30
W_PRODUCER = 0.15

CODE_EXACT = 1.0
CODE_SUBCHAPTER = 0.45
CODE_CHAPTER = 0.2

FIT_NO_PRODUCER_QUERY = 1.0
FIT_CLASS = 1.0
FIT_GROUP = 0.9
FIT_DIVISION = 0.85
FIT_UNKNOWN_PRODUCERS = 0.8
FIT_MISMATCH = 0.65

RELATED_FACTOR = 0.25  # pathways of other materials of the same category
GENERIC_FACTOR = 0.5  # generic fallback materials (composting, collection, ...)
HAZARDOUS_GENERIC_FACTOR = 1.0
MIN_MATERIAL_CONFIDENCE = 0.08
FUZZY_CUTOFF = 85.0
FUZZY_MIN_ALIAS_LEN = 5
COMPOUND_MIN_ALIAS_LEN = 6
CONTAINED_PENALTY = 0.4
TOKEN_SET_FACTOR = 0.85
CATEGORY_KEYWORD_WEIGHT = 0.45

GENERIC_MATERIALS: frozenset[str] = frozenset(
    {"generic_organic", "generic_waste", "generic_hazardous"}
)

# EURAL chapter / subchapter -> the material categories such waste usually belongs to.
_CHAPTER_CATEGORIES: dict[str, tuple[str, ...]] = {
    "01": ("construction",),
    "02": ("food", "agri"),
    "03": ("wood", "paper"),
    "04": ("textile",),
    "05": ("chemical", "energy"),
    "06": ("chemical",),
    "07": ("chemical", "plastic"),
    "08": ("chemical",),
    "09": ("chemical",),
    "10": ("energy", "metal", "construction"),
    "11": ("metal", "chemical"),
    "12": ("metal", "plastic"),
    "13": ("chemical",),
    "14": ("chemical",),
    "15": ("paper", "plastic", "wood", "other"),
    "16": ("other", "chemical", "metal"),
    "17": ("construction", "metal", "wood"),
    "18": ("other",),
    "19": ("water", "energy", "other"),
    "20": ("food", "other", "paper", "plastic"),
}
_SUBCHAPTER_CATEGORIES: dict[str, tuple[str, ...]] = {
    "0201": ("agri",),
    "0301": ("wood",),
    "0303": ("paper",),
    "1001": ("energy",),
    "1002": ("metal",),
    "1003": ("metal",),
    "1009": ("metal",),
    "1010": ("metal",),
    "1011": ("construction",),
    "1012": ("construction",),
    "1013": ("construction",),
    "1501": ("paper", "plastic", "wood", "other"),
    "1601": ("plastic", "metal"),
    "1608": ("chemical",),
    "1701": ("construction",),
    "1702": ("wood", "construction", "plastic"),
    "1704": ("metal",),
    "1901": ("energy",),
    "1906": ("energy",),
    "1908": ("water",),
    "1912": ("other", "plastic", "metal", "paper"),
    "2001": ("food", "paper", "plastic", "textile", "metal", "other"),
    "2002": ("agri", "construction"),
    "2003": ("other", "food"),
}
# NACE division of the producer -> the categories of waste it typically produces.
_DIVISION_CATEGORIES: dict[str, tuple[str, ...]] = {
    **{d: ("agri",) for d in ("01", "02", "03")},
    **{d: ("food",) for d in ("10", "11", "12", "46", "47", "55", "56")},
    **{d: ("textile",) for d in ("13", "14", "15")},
    "16": ("wood",),
    "17": ("paper",),
    "18": ("paper",),
    "19": ("chemical", "energy"),
    "20": ("chemical",),
    "21": ("chemical",),
    "22": ("plastic",),
    "23": ("construction",),
    "24": ("metal",),
    "25": ("metal",),
    "26": ("metal",),
    "27": ("metal",),
    "28": ("metal",),
    "29": ("metal",),
    "30": ("metal",),
    "31": ("wood",),
    "33": ("metal",),
    "35": ("energy",),
    "36": ("water",),
    "37": ("water",),
    "38": ("other",),
    "41": ("construction",),
    "42": ("construction",),
    "43": ("construction",),
    "45": ("metal", "chemical"),
    "49": ("other",),
    "52": ("other", "wood", "paper"),
    "81": ("agri",),
    "86": ("other",),
}
# NACE 2.1 classes (first 4 digits of SBI 2025) that differ from their NACE 2 class.
_NACE21_TO_NACE2: dict[str, str] = {
    "5611": "5610",
    "5612": "5610",
    "5622": "5629",
    "5640": "5630",
}
# Words that say which kind of stream it is even when no material is recognised; also found at
# the end of Dutch compounds ('uienschillen' -> 'schillen').
_CATEGORY_KEYWORDS: dict[str, str] = {
    **dict.fromkeys(
        (
            "food",
            "voedsel",
            "voeding",
            "groente",
            "groenten",
            "vegetable",
            "fruit",
            "peel",
            "peels",
            "schil",
            "schillen",
            "pulp",
            "kitchen",
            "keuken",
            "bakery",
            "bakkerij",
            "dairy",
            "zuivel",
            "meat",
            "vlees",
            "fish",
            "vis",
            "brewery",
            "brouwerij",
            "sugar",
            "suiker",
            "starch",
            "zetmeel",
            "juice",
            "sap",
            "yeast",
            "gist",
            "oil",
            "olie",
            "vet",
            "fat",
            "husks",
            "hulls",
            "shells",
            "doppen",
            "kernels",
            "pits",
            "cheese",
            "kaas",
            "tea",
            "thee",
            "coffee",
            "koffie",
            "bread",
            "brood",
            "beer",
            "bier",
            "wine",
            "wijn",
        ),
        "food",
    ),
    **dict.fromkeys(
        (
            "plant",
            "plants",
            "crop",
            "crops",
            "gewas",
            "gewassen",
            "stengels",
            "stems",
            "loof",
            "leaves",
            "bladeren",
            "blad",
            "manure",
            "mest",
            "straw",
            "stro",
            "grass",
            "gras",
            "greenhouse",
            "kas",
            "glastuinbouw",
            "farm",
            "boerderij",
            "bulbs",
            "bollen",
            "hemp",
            "hennep",
            "flax",
            "vlas",
            "seaweed",
            "zeewier",
            "algae",
            "algen",
        ),
        "agri",
    ),
    **dict.fromkeys(("wood", "hout", "timber", "houten", "chips", "snippers"), "wood"),
    **dict.fromkeys(("paper", "papier", "karton", "cardboard", "pulp", "fibre", "vezel"), "paper"),
    **dict.fromkeys(
        (
            "concrete",
            "beton",
            "stone",
            "steen",
            "stenen",
            "puin",
            "rubble",
            "brick",
            "tiles",
            "demolition",
            "sloop",
            "construction",
            "bouw",
            "sand",
            "zand",
            "clay",
            "klei",
            "gravel",
            "grind",
        ),
        "construction",
    ),
    **dict.fromkeys(
        (
            "metal",
            "metaal",
            "metals",
            "metalen",
            "scrap",
            "schroot",
            "steel",
            "staal",
            "iron",
            "ijzer",
            "copper",
            "koper",
            "zinc",
            "zink",
            "lead",
            "lood",
            "slag",
            "slak",
            "slakken",
            "dross",
        ),
        "metal",
    ),
    **dict.fromkeys(
        (
            "chemical",
            "chemicals",
            "chemisch",
            "chemische",
            "solvent",
            "acid",
            "zuur",
            "caustic",
            "loog",
            "gas",
            "catalyst",
            "resin",
            "hars",
        ),
        "chemical",
    ),
    **dict.fromkeys(
        ("ash", "assen", "heat", "warmte", "steam", "stoom", "energy", "energie", "power"),
        "energy",
    ),
    **dict.fromkeys(("water", "sludge", "slib", "effluent"), "water"),
    **dict.fromkeys(
        ("textile", "textiel", "fabric", "stof", "clothes", "kleding", "yarn", "garen", "wool"),
        "textile",
    ),
    **dict.fromkeys(
        ("plastic", "plastics", "kunststof", "foil", "folie", "rubber", "polymer", "foam"),
        "plastic",
    ),
}

_HAZARD_WORDS: frozenset[str] = frozenset(
    {
        "gevaarlijk",
        "gevaarlijke",
        "hazardous",
        "toxic",
        "toxisch",
        "verontreinigd",
        "verontreinigde",
        "contaminated",
        "asbest",
        "asbestos",
        "kga",
    }
)
_NEGATIONS: frozenset[str] = frozenset({"niet", "not", "non", "geen", "no", "zonder", "without"})
_STOPWORDS: frozenset[str] = frozenset(
    {
        "de",
        "het",
        "een",
        "van",
        "en",
        "uit",
        "voor",
        "met",
        "the",
        "a",
        "an",
        "of",
        "and",
        "from",
        "for",
        "with",
        "in",
        "e",
        "g",
        "eg",
    }
)


@dataclass(frozen=True)
class Suggestion:
    """One receiving sector with its best supporting pathway."""

    sector: str
    score: float
    material: str
    use: str
    evidence: str


@dataclass(frozen=True)
class _AliasMatch:
    material_id: str
    confidence: float
    start: int
    end: int


@dataclass
class _Index:
    exact: dict[str, tuple[str, ...]]  # normalised alias -> material ids
    compound: dict[str, tuple[str, ...]]  # long compact aliases, found inside compounds
    max_alias_tokens: int
    # stemmed content token -> multi-word aliases containing it (alias, its stemmed token set)
    token_sets: dict[str, tuple[tuple[str, frozenset[str]], ...]]
    # query length -> (aliases whose length can reach FUZZY_CUTOFF with it, their owners)
    fuzzy_by_length: dict[int, tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]]
    materials_by_category: dict[str, tuple[str, ...]]
    hazardous_codes: frozenset[str]
    fill_sectors: tuple[str, ...]
    # SBI 2025 5-digit code -> NACE 2 class, and NACE 2.1 class -> NACE 2 classes
    sbi2025_to_nace2: dict[str, str]
    nace21_to_nace2: dict[str, frozenset[str]]


# ---------------------------------------------------------------------------------------------
# Input normalisation


def normalise_sector(value: str | None) -> str | None:
    """NACE/SBI code with or without dots (2-5 digits) -> digits, at most 4 (class level).

    SBI 2008 and SBI 2025 both start with the 4-digit NACE (2.0 or 2.1) class; NACE 2.1 classes
    that moved are mapped back to NACE 2 by `sector_alternatives`. Anything else -> None.
    """
    digits = _sector_digits(value)
    return digits[:4] if digits else None


def _sector_digits(value: str | None) -> str | None:
    """All digits of a sector code (2-5), without 'SBI'/'NACE' prefix or section letter."""
    if value is None:
        return None
    text = re.sub(r"^(?:sbi|nace)[\s:]*", "", str(value).strip(), flags=re.IGNORECASE)
    text = re.sub(r"^[A-Ua-u](?=\d)", "", text)  # Eurostat style with section letter: C10.71
    digits = re.sub(r"\D", "", text)
    if not 2 <= len(digits) <= 5 or re.sub(r"[\d.\s]", "", text):
        return None
    return digits


def normalise_waste_code(value: str | None) -> tuple[str | None, bool]:
    """EURAL code like '20 01 08', '200108', '16 06 01*' -> ('200108', hazardous_star).

    Also accepts a 2-digit chapter or 4-digit subchapter. Integers that lost a leading zero
    ('20103' for 02 01 03) are padded. Anything unparseable -> (None, star).
    """
    if value is None:
        return None, False
    text = str(value).strip()
    star = "*" in text
    digits = re.sub(r"[\s*.\-]", "", text)
    if not digits.isdigit():
        return None, star
    if len(digits) == 5:
        digits = "0" + digits
    if len(digits) not in (2, 4, 6) or not 1 <= int(digits[:2]) <= 20:
        return None, star
    return digits, star


# ---------------------------------------------------------------------------------------------
# Index (built once per knowledge base, cached on it)


def _reference_hazardous_codes(path: Path) -> set[str]:
    """Hazardous EURAL entries from the shared reference list, if that file is present."""
    codes: set[str] = set()
    if not path.is_file():
        return codes
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row.get("level") == "entry" and str(row.get("hazardous")).lower() == "true":
                    code = str(row.get("code", "")).strip()
                    if len(code) == 6 and code.isdigit():
                        codes.add(code)
    except (OSError, csv.Error, UnicodeDecodeError):
        return set()
    return codes


def _sbi2025_maps(path: Path) -> dict[str, Any]:
    """From the shared SBI 2025 reference (if present): where NACE 2.1 classes sit in NACE 2."""
    by_code: dict[str, str] = {}
    by_class: dict[str, set[str]] = {k: {v} for k, v in _NACE21_TO_NACE2.items()}
    if path.is_file():
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    code = str(row.get("code", "")).strip()
                    nace21 = str(row.get("nace21_class", "")).strip()
                    nace2 = str(row.get("nace2_class", "")).strip()
                    if len(nace2) == 4 and nace2.isdigit():
                        if len(code) == 5 and code.isdigit():
                            by_code[code] = nace2
                        if len(nace21) == 4 and nace21 != nace2:
                            by_class.setdefault(nace21, set()).add(nace2)
        except (OSError, csv.Error, UnicodeDecodeError):
            pass
    return {
        "sbi2025_to_nace2": by_code,
        "nace21_to_nace2": {k: frozenset(v) for k, v in by_class.items()},
    }


def _mentions_hazard(description: str) -> bool:
    """Hazard words ('verontreinigd', 'asbestos') not negated ('niet verontreinigd')."""
    tokens = normalise_text(description).split()
    for i, token in enumerate(tokens):
        if token in _HAZARD_WORDS and not (i > 0 and tokens[i - 1] in _NEGATIONS):
            return True
    return False


def _text(value: object) -> str:
    """Free text from any caller value: None/NaN (pandas) -> '', numbers -> their string."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def sector_key(kb: KnowledgeBase, value: str | None) -> str | None:
    """The query sector as '|'-joined candidate NACE 2 codes: '56111' -> '5611|5610'.

    SBI 2025 codes start with a NACE 2.1 class; where that class differs from NACE 2 the NACE 2
    class(es) are added, so both code versions match the knowledge base's NACE 2 producers.
    """
    digits = _sector_digits(value)
    if not digits:
        return None
    index = _index(kb)
    primary = digits[:4]
    alternatives: set[str] = set(index.nace21_to_nace2.get(primary, ()))
    if len(digits) == 5 and digits in index.sbi2025_to_nace2:
        alternatives.add(index.sbi2025_to_nace2[digits])
    alternatives.discard(primary)
    return "|".join([primary, *sorted(alternatives)])


def _build_index(kb: KnowledgeBase) -> _Index:
    exact: dict[str, list[str]] = {}
    for material in kb.material_by_id.values():
        for alias in material.aliases:
            owners = exact.setdefault(alias, [])
            if material.material_id not in owners:
                owners.append(material.material_id)
    compound: dict[str, list[str]] = {}
    for alias, owners in exact.items():
        compact = alias.replace(" ", "")
        if len(compact) >= COMPOUND_MIN_ALIAS_LEN:
            for owner in owners:
                if owner not in compound.setdefault(compact, []):
                    compound[compact].append(owner)
    fuzzy: dict[str, list[str]] = {}
    for alias, owners in exact.items():
        for form in {alias, alias.replace(" ", "")}:
            if len(form) >= FUZZY_MIN_ALIAS_LEN:
                for owner in owners:
                    if owner not in fuzzy.setdefault(form, []):
                        fuzzy[form].append(owner)
    by_category: dict[str, list[str]] = {}
    for material in kb.material_by_id.values():
        if material.material_id not in GENERIC_MATERIALS:
            by_category.setdefault(material.category, []).append(material.material_id)

    # A code is hazardous when the official list says so, or when every KB material reported
    # under it is hazardous.
    hazardous = _reference_hazardous_codes(REFERENCE_DIR / "eural.csv")
    for code, owners in kb.materials_by_eural.items():
        if owners and all(kb.material_by_id[m].hazardous for m in owners):
            hazardous.add(code)

    # Last-resort fill: the most widely used receiver sectors, then by code.
    counts: dict[str, float] = {}
    for pathway in kb.pathway_records:
        counts[pathway.receiver_nace] = counts.get(pathway.receiver_nace, 0.0) + pathway.strength
    fill = tuple(sorted(counts, key=lambda s: (-counts[s], s)))
    return _Index(
        exact={k: tuple(v) for k, v in exact.items()},
        compound={k: tuple(v) for k, v in compound.items()},
        max_alias_tokens=max((len(a.split()) for a in exact), default=1),
        token_sets=_token_set_index(exact),
        fuzzy_by_length=_fuzzy_buckets(fuzzy),
        materials_by_category={k: tuple(v) for k, v in by_category.items()},
        hazardous_codes=frozenset(hazardous),
        fill_sectors=fill,
        **_sbi2025_maps(REFERENCE_DIR / "sbi2025.csv"),
    )


def _stem(token: str) -> str:
    """Crude plural folding so 'peels'/'peel', 'shells'/'shell' meet; enough for aliases."""
    if len(token) > 4 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def _content_stems(text: str) -> list[str]:
    return [_stem(t) for t in text.split() if t not in _STOPWORDS]


def _token_set_index(
    exact: dict[str, list[str]],
) -> dict[str, tuple[tuple[str, frozenset[str]], ...]]:
    out: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for alias in exact:
        stems = frozenset(_content_stems(alias))
        if len(stems) < 2:
            continue
        for stem in stems:
            out.setdefault(stem, []).append((alias, stems))
    return {k: tuple(v) for k, v in out.items()}


def _fuzzy_buckets(
    fuzzy: dict[str, list[str]],
) -> dict[int, tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]]:
    """Pre-filter fuzzy candidates by length: fuzz.ratio >= c needs min/max len >= c/(200-c)."""
    ratio = FUZZY_CUTOFF / (200.0 - FUZZY_CUTOFF)
    longest = max((len(a) for a in fuzzy), default=0)
    buckets: dict[int, tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]] = {}
    for size in range(FUZZY_MIN_ALIAS_LEN, int(longest / ratio) + 2):
        keep = [a for a in fuzzy if min(size, len(a)) / max(size, len(a)) >= ratio - 1e-9]
        buckets[size] = (tuple(keep), tuple(tuple(fuzzy[a]) for a in keep))
    return buckets


def _index(kb: KnowledgeBase) -> _Index:
    cached = kb.cache.get("suggest_index")
    if cached is None:
        cached = _build_index(kb)
        kb.cache["suggest_index"] = cached
    return cached


# ---------------------------------------------------------------------------------------------
# Evidence per input


def _specificity(alias: str) -> float:
    """Longer aliases are more specific: 'heat' (0.71) < 'surplus heat' (0.92)."""
    return 0.6 + 0.4 * min(1.0, len(alias) / 15.0)


def _token_spans(text: str) -> list[tuple[str, int]]:
    """Tokens of a normalised text with their character offsets."""
    spans: list[tuple[str, int]] = []
    cursor = 0
    for tok in text.split():
        cursor = text.find(tok, cursor)
        spans.append((tok, cursor))
        cursor += len(tok)
    return spans


def _description_matches(index: _Index, text: str) -> list[_AliasMatch]:
    matches: list[_AliasMatch] = []
    spans = _token_spans(text)
    # Exact alias phrases: look every token n-gram up in the alias table.
    for i in range(len(spans)):
        for n in range(1, index.max_alias_tokens + 1):
            if i + n > len(spans):
                break
            start = spans[i][1]
            end = spans[i + n - 1][1] + len(spans[i + n - 1][0])
            owners = index.exact.get(text[start:end])
            if owners:
                conf = _specificity(text[start:end])
                matches.extend(_AliasMatch(o, conf, start, end) for o in owners)
    # Dutch compounds: 'koffiedikresten', 'bierbostelafval' contain a long alias.
    for tok, start in spans:
        if len(tok) < COMPOUND_MIN_ALIAS_LEN + 2:
            continue
        for i in range(len(tok) - COMPOUND_MIN_ALIAS_LEN + 1):
            for j in range(i + COMPOUND_MIN_ALIAS_LEN, len(tok) + 1):
                if j - i == len(tok):
                    continue
                owners = index.compound.get(tok[i:j])
                if owners:
                    conf = 0.9 * _specificity(tok[i:j])
                    matches.extend(_AliasMatch(o, conf, start, start + len(tok)) for o in owners)
    # Word sets: every word of a multi-word alias present, in any order ('potato steam peels',
    # 'peels of potatoes' -> 'potato peels').
    stem_spans: dict[str, list[tuple[int, int]]] = {}
    for tok, start in spans:
        if tok not in _STOPWORDS:
            stem_spans.setdefault(_stem(tok), []).append((start, start + len(tok)))
    seen_aliases: set[str] = set()
    for stem in stem_spans:
        for alias, stems in index.token_sets.get(stem, ()):
            if alias in seen_aliases or not stems <= stem_spans.keys():
                continue
            seen_aliases.add(alias)
            positions = [pos for st in stems for pos in stem_spans[st]]
            start = min(p[0] for p in positions)
            end = max(p[1] for p in positions)
            conf = TOKEN_SET_FACTOR * _specificity(alias)
            matches.extend(_AliasMatch(o, conf, start, end) for o in index.exact[alias])
    # Fuzzy n-grams (1-3 content tokens, spaced and compact forms) for the words that no exact
    # alias explained: misspellings ('koffiedick'), hyphenation, split compounds.
    covered = [(m.start, m.end) for m in matches]
    content = [(t, s) for t, s in spans if t not in _STOPWORDS]
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
    for gram, (start, end) in grams.items():
        choices, owners = index.fuzzy_by_length.get(len(gram), ((), ()))
        if not choices:
            continue
        hits = process.extract(gram, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=4)
        for choice, ratio, pos in hits:
            if ratio >= 100.0:
                conf = _specificity(choice)
            elif fuzz.ratio(gram[:5], choice[:5]) < 60.0:
                # Same tail, different head: 'uienschillen' is not 'druivenschillen'.
                continue
            else:
                conf = 0.92 * (ratio / 100.0) * _specificity(choice)
            matches.extend(_AliasMatch(o, conf, start, end) for o in owners[pos])
    return matches


def _description_evidence(index: _Index, description: str | None) -> dict[str, float]:
    """material_id -> confidence from the free text (0..1)."""
    if not description:
        return {}
    text = normalise_text(description)
    if not text:
        return {}
    matches = _description_matches(index, text)
    best: dict[str, float] = {}
    for match in matches:
        conf = match.confidence
        # A match lying inside a longer match of another material is weaker evidence:
        # 'slag' inside 'steel slag', 'gypsum' inside 'fgd gypsum'.
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
        if conf > best.get(match.material_id, 0.0):
            best[match.material_id] = conf
    return best


def _code_evidence(kb: KnowledgeBase, code: str | None) -> dict[str, float]:
    if not code:
        return {}
    cache: dict[str, dict[str, float]] = kb.cache.setdefault("suggest_code", {})
    if code in cache:
        return cache[code]
    out: dict[str, float] = {}
    for material in kb.material_by_id.values():
        score = 0.0
        for mcode in material.eural_codes:
            if len(code) == 6 and mcode == code:
                score = CODE_EXACT
                break
            if mcode[:4] == code[:4] and len(code) >= 4:
                score = max(score, CODE_SUBCHAPTER)
            elif mcode[:2] == code[:2]:
                score = max(score, CODE_CHAPTER)
        if score > 0.0:
            out[material.material_id] = score
    cache[code] = out
    return out


@lru_cache(maxsize=65536)
def _producer_fit(producers: tuple[str, ...], sector: str | None) -> float:
    """How well the query's producer sector matches a pathway's typical producers."""
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


def _producer_evidence(kb: KnowledgeBase, sector: str | None) -> dict[str, float]:
    if sector is None:
        return {}
    cache: dict[str, dict[str, float]] = kb.cache.setdefault("suggest_producer", {})
    if sector in cache:
        return cache[sector]
    out: dict[str, float] = {}
    for mid, pathways in kb.pathways_by_material.items():
        if mid in GENERIC_MATERIALS:
            continue
        best = 0.0
        for pathway in pathways:
            if pathway.producer_nace:
                fit = _producer_fit(pathway.producer_nace, sector)
                if fit > FIT_MISMATCH:
                    best = max(best, fit)
        if best > 0.0:
            out[mid] = best
    cache[sector] = out
    return out


# ---------------------------------------------------------------------------------------------
# Main entry point


def _combine(
    desc: dict[str, float],
    code: dict[str, float],
    producer: dict[str, float],
    has_code: bool,
    has_producer: bool,
) -> dict[str, float]:
    total = (W_DESCRIPTION if desc else 0.0) + (W_CODE if has_code else 0.0)
    total += W_PRODUCER if has_producer else 0.0
    if total == 0.0:
        return {}
    out: dict[str, float] = {}
    for mid in set(desc) | set(code) | set(producer):
        value = W_DESCRIPTION * desc.get(mid, 0.0) + W_CODE * code.get(mid, 0.0)
        value += W_PRODUCER * producer.get(mid, 0.0)
        conf = value / total
        if conf >= MIN_MATERIAL_CONFIDENCE:
            out[mid] = min(1.0, conf)
    return out


def _related_table(
    kb: KnowledgeBase, index: _Index, category: str, sector: str | None
) -> tuple[tuple[tuple[float, Pathway], ...], ...]:
    """Per receiver sector, the category's pathways ranked by strength x producer fit (cached)."""
    cache: dict[tuple[str, str | None], tuple[tuple[tuple[float, Pathway], ...], ...]]
    cache = kb.cache.setdefault("suggest_related", {})
    key = (category, sector)
    if key not in cache:
        by_sector: dict[str, list[tuple[float, Pathway]]] = {}
        for mid in index.materials_by_category.get(category, ()):
            for pathway in kb.pathways_by_material[mid]:
                unit = pathway.strength * _producer_fit(pathway.producer_nace, sector)
                by_sector.setdefault(pathway.receiver_nace, []).append((unit, pathway))
        cache[key] = tuple(
            tuple(sorted(items, key=lambda item: (-item[0], item[1].pathway_id)))
            for _, items in sorted(by_sector.items())
        )
    return cache[key]


def _keyword_categories(description: str) -> dict[str, float]:
    """Categories named by plain words of the description, also at the end of compounds."""
    cats: dict[str, float] = {}
    for token in normalise_text(description).split():
        category = _CATEGORY_KEYWORDS.get(token)
        if category is None and len(token) > 6:
            # Dutch compounds: modifier first ('houtafval'), head last ('uienschillen').
            for size in range(4, len(token) - 2):
                category = _CATEGORY_KEYWORDS.get(token[:size]) or _CATEGORY_KEYWORDS.get(
                    token[-size:]
                )
                if category is not None:
                    break
        if category is not None:
            cats[category] = CATEGORY_KEYWORD_WEIGHT
    return cats


def _query_categories(
    kb: KnowledgeBase,
    confidence: dict[str, float],
    code: str | None,
    sector: str | None,
    description: str = "",
) -> dict[str, float]:
    """Weight per material category: matched materials, plain words, EURAL chapter, producer."""
    cats: dict[str, float] = dict(_keyword_categories(description)) if description else {}
    for mid, conf in confidence.items():
        if mid in GENERIC_MATERIALS:
            continue  # 'waste' says nothing about which kind of waste
        cat = kb.material_by_id[mid].category
        cats[cat] = max(cats.get(cat, 0.0), conf)
    if code:
        hinted = _SUBCHAPTER_CATEGORIES.get(code[:4]) or _CHAPTER_CATEGORIES.get(code[:2], ())
        for rank, cat in enumerate(hinted):
            cats[cat] = max(cats.get(cat, 0.0), 0.6 - 0.1 * rank)
    if sector:
        for rank, cat in enumerate(_DIVISION_CATEGORIES.get(sector[:2], ())):
            cats[cat] = max(cats.get(cat, 0.0), 0.5 - 0.1 * rank)
    return cats


def suggest_receivers(
    kb: KnowledgeBase,
    producer_sector: str | None,
    waste_code: str | None,
    waste_description: str | None,
    top: int = 10,
) -> list[Suggestion]:
    """Rank receiving NACE 4-digit sectors for a residual stream; always up to `top` sectors.

    Deterministic: equal scores are ordered by sector code. Never returns a food/feed pathway
    when the input is hazardous (EURAL '*', a hazardous code or material, or hazard words).
    """
    if top <= 0:
        return []
    index = _index(kb)
    sector = sector_key(kb, producer_sector)
    code, star = normalise_waste_code(waste_code)
    description = _text(waste_description)

    desc_ev = _description_evidence(index, description)
    code_ev = _code_evidence(kb, code)
    prod_ev = _producer_evidence(kb, sector)
    confidence = _combine(desc_ev, code_ev, prod_ev, code is not None, sector is not None)

    hazardous = (
        star
        or (code is not None and code in index.hazardous_codes)
        or _mentions_hazard(description)
    )
    if confidence:
        top_material = max(confidence, key=lambda m: (confidence[m], m))
        hazardous = hazardous or kb.material_by_id[top_material].hazardous

    acc: dict[str, _SectorAccumulator] = {}

    def add(pathway: Pathway, score: float, kind: str) -> None:
        if score <= 0.0 or (hazardous and pathway.food_or_feed):
            return
        slot = acc.get(pathway.receiver_nace)
        if slot is None:
            slot = acc[pathway.receiver_nace] = _SectorAccumulator()
        slot.offer(score, pathway, kind)

    # 1. Direct pathways of the matched materials (generic ones too: 'restafval' -> 3821).
    for mid, conf in confidence.items():
        for pathway in kb.pathways_by_material[mid]:
            add(pathway, conf * pathway.strength * _producer_fit(pathway.producer_nace, sector), "")

    # 2. Related pathways: other materials of the same category (lower weight).
    categories = _query_categories(kb, confidence, code, sector, description)
    for cat, weight in sorted(categories.items()):
        for ranked in _related_table(kb, index, cat, sector):
            # The best pathway to this receiver from a material not already matched directly.
            for unit, pathway in ranked:
                if pathway.material_id in confidence or (hazardous and pathway.food_or_feed):
                    continue
                add(pathway, RELATED_FACTOR * weight * unit, "related")
                break

    # 3. Generic fallbacks (composting, digestion, collection, recycling, hazardous treatment).
    organic = any(c in categories for c in ("food", "agri")) or (code or "")[:2] in ("02", "20")
    generic_weight = max(max(categories.values(), default=0.4), 0.4)
    for mid in sorted(GENERIC_MATERIALS):
        factor = GENERIC_FACTOR
        if mid == "generic_hazardous":
            if not hazardous:
                continue
            factor = HAZARDOUS_GENERIC_FACTOR
        elif mid == "generic_organic" and not organic:
            factor = GENERIC_FACTOR * 0.3
        for pathway in kb.pathways_by_material.get(mid, ()):
            add(pathway, factor * generic_weight * pathway.strength, "generic")

    scored = sorted((-slot.final_score(), code_) for code_, slot in acc.items())
    results = [acc[code_].to_suggestion(kb, code_, -neg) for neg, code_ in scored[:top]]
    if len(results) < top:
        results.extend(_fill(kb, index, {s.sector for s in results}, top - len(results), hazardous))
    return results


class _SectorAccumulator:
    """Best pathway for one receiver sector, plus the best direct score of each other material."""

    __slots__ = ("best_score", "best_pathway", "best_kind", "direct")

    def __init__(self) -> None:
        self.best_score = -1.0
        self.best_pathway: Pathway | None = None
        self.best_kind = ""
        self.direct: dict[str, float] = {}

    def offer(self, score: float, pathway: Pathway, kind: str) -> None:
        if score > self.best_score or (
            score == self.best_score
            and self.best_pathway is not None
            and pathway.pathway_id < self.best_pathway.pathway_id
        ):
            self.best_score, self.best_pathway, self.best_kind = score, pathway, kind
        if kind == "" and score > self.direct.get(pathway.material_id, 0.0):
            self.direct[pathway.material_id] = score

    def final_score(self) -> float:
        """Best score plus a small bonus for independent direct support from other materials."""
        pathway = self.best_pathway
        assert pathway is not None
        if len(self.direct) <= 1 and pathway.material_id in self.direct:
            return round(min(1.0, self.best_score), 4)
        others = sorted(
            (v for m, v in self.direct.items() if m != pathway.material_id), reverse=True
        )
        bonus = (0.1 * others[0] if others else 0.0) + (
            0.05 * others[1] if len(others) > 1 else 0.0
        )
        return round(min(1.0, self.best_score + bonus), 4)

    def to_suggestion(self, kb: KnowledgeBase, sector: str, score: float) -> Suggestion:
        pathway = self.best_pathway
        assert pathway is not None
        if self.best_kind == "related":
            name = kb.material_by_id[pathway.material_id].name_en
            evidence = f"related ({name}): {pathway.evidence}"
        elif self.best_kind == "generic":
            evidence = f"generic fallback: {pathway.evidence}"
        else:
            evidence = pathway.evidence
        return Suggestion(
            sector=sector,
            score=score,
            material=pathway.material_id,
            use=pathway.use_description,
            evidence=evidence,
        )


def _fill(
    kb: KnowledgeBase, index: _Index, taken: set[str], needed: int, hazardous: bool
) -> list[Suggestion]:
    """Last resort: widely used receiver sectors, at a token score, so the list is never short."""
    out: list[Suggestion] = []
    for sector in index.fill_sectors:
        if len(out) >= needed:
            break
        if sector in taken:
            continue
        pathway = max(
            (
                p
                for p in kb.pathway_records
                if p.receiver_nace == sector and not (hazardous and p.food_or_feed)
            ),
            key=lambda p: (p.strength, p.pathway_id),
            default=None,
        )
        if pathway is None:
            continue
        out.append(
            Suggestion(
                sector=sector,
                score=0.001,
                material=pathway.material_id,
                use=pathway.use_description,
                evidence=f"common receiver sector: {pathway.evidence}",
            )
        )
    return out
