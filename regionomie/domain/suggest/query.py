"""Reading a suggestion query: producer sector, EURAL code and free text, as typed by people.

Everything here is forgiving about form ('56.10', 'C10.71', '20 01 08*', 20108) and strict about
meaning: a value that cannot be a sector or a code is dropped with a note saying so, never
guessed. Pure domain code: no dagster, no neo4j.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from regionomie.domain.reference import (
    hazardous_eural_codes,
    load_eural,
    load_sbi2008,
    load_sbi2025,
    nace2_classes,
    normalise_eural,
    normalise_sbi,
)
from regionomie.domain.suggest.context import normalise_country

# NACE 2.1 classes (first 4 digits of SBI 2025) that differ from their NACE 2 class and are not
# in the SBI 2025 reference as such (restaurants and bars were split).
_NACE21_TO_NACE2: dict[str, str] = {"5611": "5610", "5612": "5610", "5622": "5629", "5640": "5630"}


@dataclass(frozen=True)
class Query:
    """A normalised query. `sectors` holds the producer's NACE 2 candidates, most specific first
    ('56111' -> ('5611', '5610')); `code` is 2, 4 or 6 EURAL digits."""

    sectors: tuple[str, ...] = ()
    code: str | None = None
    hazardous: bool = False
    description: str = ""
    notes: tuple[str, ...] = field(default=())
    country: str | None = None  # ISO 3166-1 alpha-2 as given; None = not given (Dutch context)

    @property
    def sector(self) -> str | None:
        return self.sectors[0] if self.sectors else None

    @property
    def sector_key(self) -> str | None:
        """'|'-joined sector candidates; the cache key of producer-dependent lookups."""
        return "|".join(self.sectors) if self.sectors else None

    @property
    def is_empty(self) -> bool:
        return not (self.sectors or self.code or self.description)


def _text(value: object) -> str:
    """Free text from any caller value: None/NaN (pandas) -> '', numbers -> their string."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def sector_digits(value: object) -> str | None:
    """All digits of a sector code (2-5), without 'SBI'/'NACE' prefix or section letter."""
    text = _text(value)
    if not text:
        return None
    text = re.sub(r"^(?:sbi|nace)[\s:]*", "", text, flags=re.IGNORECASE)
    text = re.sub(r"^[A-Ua-u](?=\d)", "", text)  # Eurostat style with section letter: C10.71
    if re.sub(r"[\d.\s]", "", text) or len(re.sub(r"\D", "", text)) > 5:
        return None
    return normalise_sbi(text)


def normalise_sector(value: object) -> str | None:
    """NACE/SBI code with or without dots (2-5 digits) -> digits, at most 4 (class level)."""
    digits = sector_digits(value)
    return digits[:4] if digits else None


@lru_cache(maxsize=1)
def _sector_maps() -> tuple[dict[str, str], dict[str, frozenset[str]], frozenset[str]]:
    """SBI 2025 5-digit -> NACE 2 class; NACE 2.1 class -> NACE 2 classes; known NACE 2 codes."""
    by_code: dict[str, str] = {}
    by_class: dict[str, set[str]] = {k: {v} for k, v in _NACE21_TO_NACE2.items()}
    sbi2025 = load_sbi2025()
    for code, n21, n2 in zip(
        sbi2025["code"], sbi2025["nace21_class"], sbi2025["nace2_class"], strict=True
    ):
        if len(n2) == 4 and n2.isdigit():
            if len(code) == 5 and code.isdigit():
                by_code[code] = n2
            if len(n21) == 4 and n21 != n2:
                by_class.setdefault(n21, set()).add(n2)
    sbi2008 = load_sbi2008()
    known = frozenset(sbi2008.loc[sbi2008["level"].isin(["division", "group", "class"]), "code"])
    return by_code, {k: frozenset(v) for k, v in by_class.items()}, known


def sector_candidates(value: object) -> tuple[str, ...]:
    """The query sector as NACE 2 candidates: '56111' -> ('5611', '5610'); () if unusable."""
    digits = sector_digits(value)
    if not digits:
        return ()
    by_code, by_class, _ = _sector_maps()
    primary = digits[:4]
    alternatives: set[str] = set(by_class.get(primary, ()))
    if len(digits) == 5 and digits in by_code:
        alternatives.add(by_code[digits])
    alternatives.discard(primary)
    return (primary, *sorted(alternatives))


def normalise_waste_code(value: object) -> tuple[str | None, bool]:
    """EURAL code like '20 01 08', '200108', '16 06 01*' -> ('200108', hazardous_star).

    Also accepts a 2-digit chapter or 4-digit subchapter. Integers that lost a leading zero
    ('20103' for 02 01 03) are padded. Anything unparseable -> (None, star).
    """
    text = _text(value)
    if not text:
        return None, False
    star = "*" in text
    digits = re.sub(r"[\s*.\-]", "", text)
    if not digits.isdigit():
        return None, star
    if len(digits) in (5, 6):
        return normalise_eural(digits), star
    if len(digits) not in (2, 4) or not 1 <= int(digits[:2]) <= 20:
        return None, star
    return digits, star


def read_query(
    producer_sector: object,
    waste_code: object,
    waste_description: object,
    country: object = None,
) -> Query:
    """Normalise the inputs; every input that is dropped leaves a note saying why."""
    notes: list[str] = []
    country_code = normalise_country(country)
    if _text(country) and country_code is None:
        notes.append(f"country {_text(country)!r} is not an ISO 3166 code (Dutch context used)")
    raw_sector, raw_code = _text(producer_sector), _text(waste_code)
    sectors = sector_candidates(raw_sector) if raw_sector else ()
    if raw_sector and not sectors:
        notes.append(f"producer sector {raw_sector!r} is not a NACE/SBI code (ignored)")
    elif sectors and not _known_sector(sectors):
        notes.append(f"producer sector {raw_sector!r} is not in NACE Rev.2 (used as given)")
    code, star = normalise_waste_code(raw_code) if raw_code else (None, False)
    if raw_code and code is None:
        notes.append(f"waste code {raw_code!r} is not a EURAL code (ignored)")
    elif code is not None and code not in _listed_codes():
        known = next(
            (code[:n] for n in (4, 2) if n < len(code) and code[:n] in _listed_codes()), None
        )
        if known is None:
            notes.append(f"waste code {code} is not in the European List of Waste (ignored)")
            code = None
        else:
            level = "subchapter" if len(known) == 4 else "chapter"
            notes.append(
                f"waste code {code} is not in the European List of Waste ({level} {known} used)"
            )
            code = known
    return Query(
        sectors=sectors,
        code=code,
        hazardous=star or (code is not None and code in hazardous_eural_codes()),
        description=_text(waste_description),
        notes=tuple(notes),
        country=country_code,
    )


@lru_cache(maxsize=1)
def _listed_codes() -> frozenset[str]:
    """Every code of the European List of Waste: chapters, subchapters and entries."""
    return frozenset(str(c) for c in load_eural()["code"])


def _known_sector(sectors: tuple[str, ...]) -> bool:
    """In the SBI list, or a NACE Rev.2 class the Dutch list lacks (0126 oil palm ...)."""
    _, _, known = _sector_maps()
    return any(s in known or s in nace2_classes() for s in sectors)
