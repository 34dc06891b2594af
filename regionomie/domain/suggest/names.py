"""Sector names beside every code: the Dutch name (SBI 2008 class, else SBI 2025) and the
English name (NACE Rev.2), for the 4-digit classes the engine suggests.

Pure domain code: no dagster, no neo4j.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from regionomie.domain.reference import (
    NACE_CLASSES_NOT_IN_SBI2008,
    load_sbi2008,
    load_sbi2025,
    nace_class_label,
)
from regionomie.domain.suggest.explain import Suggestion

# NACE Rev.2 English class titles (Regulation (EC) No 1893/2006, Annex I) for classes whose
# English label the shipped SBI lists lack or renumbered in NACE 2.1.
NACE2_TITLES_EN: dict[str, str] = {
    "0113": "Growing of vegetables and melons, roots and tubers",
    "0130": "Plant propagation",
    "0142": "Raising of other cattle and buffaloes",
    "0149": "Raising of other animals",
    "1082": "Manufacture of cocoa, chocolate and sugar confectionery",
    "1413": "Manufacture of other outerwear",
    "1629": "Manufacture of other products of wood; articles of cork, straw and plaiting materials",
    "1721": "Manufacture of corrugated paper and paperboard and of containers of paper",
    "1729": "Manufacture of other articles of paper and paperboard",
    "2051": "Manufacture of explosives",
    "2052": "Manufacture of glues",
    "2053": "Manufacture of essential oils",
    "2219": "Manufacture of other rubber products",
    "2229": "Manufacture of other plastic products",
    "2319": "Manufacture and processing of other glass, including technical glassware",
    "2361": "Manufacture of concrete products for construction purposes",
    "2540": "Manufacture of weapons and ammunition",
    "3101": "Manufacture of office and shop furniture",
    "3103": "Manufacture of mattresses",
    "3514": "Trade of electricity",
    "3821": "Treatment and disposal of non-hazardous waste",
    "3822": "Treatment and disposal of hazardous waste",
    "3831": "Dismantling of wrecks",
    "3832": "Recovery of sorted materials",
    "4120": "Construction of residential and non-residential buildings",
    "4391": "Roofing activities",
    "4531": "Wholesale trade of motor vehicle parts and accessories",
    "4671": "Wholesale of solid, liquid and gaseous fuels and related products",
    "4673": "Wholesale of wood, construction materials and sanitary equipment",
    "4677": "Wholesale of waste and scrap",
    "4779": "Retail sale of second-hand goods in stores",
    "5224": "Cargo handling",
    "5510": "Hotels and similar accommodation",
    "5610": "Restaurants and mobile food service activities",
    "5629": "Other food service activities",
    "6311": "Data processing, hosting and related activities",
    "6820": "Renting and operating of own or leased real estate",
    "8129": "Other cleaning activities",
    "8899": "Other social work activities without accommodation n.e.c.",
    "9104": "Botanical and zoological gardens and nature reserves activities",
    "9311": "Operation of sports facilities",
    "9511": "Repair of computers and peripheral equipment",
    "9601": "Washing and (dry-)cleaning of textile and fur products",
}


@lru_cache(maxsize=1)
def _names() -> dict[str, tuple[str, str]]:
    """NACE class -> (Dutch name, English name) from the shipped reference lists."""
    out: dict[str, tuple[str, str]] = {}
    sbi2008 = load_sbi2008()
    english = {c: e for c, e in zip(sbi2008["code"], sbi2008["label_en"], strict=True) if e}
    classes = set(sbi2008.loc[sbi2008["level"] == "class", "code"])
    sbi2025 = load_sbi2025()
    dutch_2025: dict[str, str] = {}
    english_2025: dict[str, str] = {}
    for code, n21, nace2, nl, en in zip(
        sbi2025["code"],
        sbi2025["nace21_class"],
        sbi2025["nace2_class"],
        sbi2025["label_nl"],
        sbi2025["label_en"],
        strict=True,
    ):
        if len(nace2) == 4 and code[:4] == nace2:
            dutch_2025.setdefault(nace2, str(nl))
            # One subclass and an unchanged class: its label is the class's label.
            if n21 == nace2 and code.endswith("0"):
                english_2025[nace2] = str(en)
    for code in classes | set(dutch_2025) | set(NACE_CLASSES_NOT_IN_SBI2008):
        nl = nace_class_label(code) or dutch_2025.get(code, "")
        en = (
            english.get(code)
            or NACE2_TITLES_EN.get(code)
            or NACE_CLASSES_NOT_IN_SBI2008.get(code)
            or english_2025.get(code)
            or _broader(english, code)
        )
        out[code] = (nl or en, en or nl)
    return out


def _broader(english: dict[str, str], code: str) -> str:
    """The English label of the class's group, else division, saying which it is."""
    if code[:3] in english:
        return f"{english[code[:3]]} (group {code[:2]}.{code[2]})"
    if code[:2] in english:
        return f"{english[code[:2]]} (division {code[:2]})"
    return ""


def sector_name(code: str, lang: str = "nl") -> str:
    """The name of a 4-digit NACE class in Dutch ('nl') or English ('en'); '' if unknown."""
    names = _names().get(code)
    if names is None:
        return ""
    return names[0] if lang == "nl" else names[1]


def with_names(suggestion: Suggestion) -> Suggestion:
    """The suggestion with its class's Dutch and English names beside the code."""
    code = suggestion.sector
    return replace(
        suggestion, sector_name=sector_name(code, "nl"), sector_name_en=sector_name(code, "en")
    )
