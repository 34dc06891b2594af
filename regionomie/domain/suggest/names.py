"""Sector names beside every code: the Dutch name (SBI 2008 class, else SBI 2025) and the
English name (NACE Rev.2), for the 4-digit classes the engine suggests.

Pure domain code: no dagster, no neo4j.
"""

from __future__ import annotations

from functools import lru_cache

from regionomie.domain.reference import (
    NACE_CLASSES_NOT_IN_SBI2008,
    load_sbi2008,
    load_sbi2025,
    nace_class_label,
)


@lru_cache(maxsize=1)
def _names() -> dict[str, tuple[str, str]]:
    """NACE class -> (Dutch name, English name) from the shipped reference lists."""
    out: dict[str, tuple[str, str]] = {}
    sbi2008 = load_sbi2008()
    classes = sbi2008[sbi2008["level"] == "class"]
    english = dict(zip(classes["code"], classes["label_en"], strict=True))
    sbi2025 = load_sbi2025()
    by_nace2: dict[str, tuple[str, str]] = {}
    for nace2, nl, en in zip(
        sbi2025["nace2_class"], sbi2025["label_nl"], sbi2025["label_en"], strict=True
    ):
        if len(nace2) == 4 and nace2 not in by_nace2:
            by_nace2[nace2] = (str(nl), str(en))
    for code in set(english) | set(by_nace2) | set(NACE_CLASSES_NOT_IN_SBI2008):
        later = by_nace2.get(code, ("", ""))
        nl = nace_class_label(code) or later[0]
        en = english.get(code) or NACE_CLASSES_NOT_IN_SBI2008.get(code) or later[1]
        out[code] = (nl or en, en or nl)
    return out


def sector_name(code: str, lang: str = "nl") -> str:
    """The name of a 4-digit NACE class in Dutch ('nl') or English ('en'); '' if unknown."""
    names = _names().get(code)
    if names is None:
        return ""
    return names[0] if lang == "nl" else names[1]
