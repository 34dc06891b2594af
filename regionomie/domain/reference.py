"""Shipped official code lists (EURAL, SBI 2008/2025, municipalities) and their normalisers.

Why this module exists: every source writes codes its own way (LMA sends EURAL codes as integers
that lost their leading zero, KvK sends SBI codes of two versions, with or without dots). The
pipeline compares them on one key each: a 6-digit EURAL code and the 4-digit NACE Rev.2 class.
Pure functions only (no dagster, no neo4j); the CSVs live in data/reference (see SOURCES.md).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from regionomie.domain.results import SourceFileError
from regionomie.domain.schemas import MUNICIPALITIES
from regionomie.paths import REFERENCE_DIR

SBI_VERSIONS: tuple[str, ...] = ("2008", "2025")
# KvK converted the whole register to SBI 2025 over the weekend of 5-7 September 2025.
SBI2025_SWITCH: dt.date = dt.date(2025, 9, 5)

EURAL_COLUMNS: tuple[str, ...] = (
    "code",
    "level",
    "chapter",
    "subchapter",
    "hazardous",
    "description_nl",
    "description_en",
)
SBI2008_COLUMNS: tuple[str, ...] = ("code", "level", "section", "parent", "label_nl", "label_en")
SBI2025_COLUMNS: tuple[str, ...] = (
    "code",
    "label_nl",
    "nace21_class",
    "nace2_class",
    "label_en",
    "nace2_basis",
)

# The few SBI 2008 classes that are not NACE Rev.2 classes (CBS merged or split them):
# the NACE Rev.2 class they correspond to, or None where they straddle several (electricity
# and gas networks/trade are one SBI class but two NACE classes each).
SBI2008_NACE_EXCEPTIONS: dict[str, str | None] = {
    "3512": None,  # transport networks for electricity, gas and warm water (NACE 35.12 + 35.22)
    "3513": None,  # distribution of electricity and gas (NACE 35.13 + 35.22)
    "3514": None,  # trade in electricity and gas (NACE 35.14 + 35.23)
    "3520": "3521",  # production of biogas = manufacture of gas
    "8691": "8690",  # midwives and paramedics = other human health activities
    "8692": "8690",  # other outpatient health care = other human health activities
}
# Dutch labels of NACE Rev.2 classes that the SBI 2008 list itself does not carry.
NACE_EXTRA_LABELS: dict[str, str] = {
    "3512": "Transmissie van elektriciteit",
    "3513": "Distributie van elektriciteit",
    "3514": "Handel in elektriciteit",
    "3521": "Productie van gas",
    "3522": "Distributie van gasvormige brandstoffen via leidingen",
    "3523": "Handel in gas via leidingen",
    "8690": "Overige menselijke gezondheidszorg",
}

_SEPARATORS = re.compile(r"[\s.\-_/]")


def _read_reference(name: str, required: tuple[str, ...]) -> pd.DataFrame:
    """Read one shipped CSV as strings (leading zeros survive); one-line error if unusable."""
    path: Path = REFERENCE_DIR / name
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError as exc:
        raise SourceFileError(f"{path}: reference file missing") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SourceFileError(f"{path}: unreadable CSV ({type(exc).__name__})") from exc
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise SourceFileError(f"{path}: missing column(s) {', '.join(missing)}")
    return df


# --------------------------------------------------------------------------- EURAL


@lru_cache(maxsize=1)
def _eural() -> pd.DataFrame:
    df = _read_reference("eural.csv", EURAL_COLUMNS)
    df["hazardous"] = df["hazardous"].map({"true": True, "false": False}).astype("boolean")
    return df


def load_eural() -> pd.DataFrame:
    """The European List of Waste: chapters, subchapters and 6-digit entries (a copy).

    `hazardous` is a pandas nullable boolean (True/False on entries, <NA> on headings).
    """
    return _eural().copy()


@lru_cache(maxsize=1)
def eural_codes() -> frozenset[str]:
    """All 6-digit EURAL entry codes (no chapters/subchapters)."""
    df = _eural()
    return frozenset(df.loc[df["level"] == "entry", "code"])


@lru_cache(maxsize=1)
def _eural_hazard() -> dict[str, bool]:
    df = _eural()
    entries = df[df["level"] == "entry"]
    return {c: bool(h) for c, h in zip(entries["code"], entries["hazardous"], strict=True)}


@lru_cache(maxsize=1)
def hazardous_eural_codes() -> frozenset[str]:
    """The starred (hazardous) 6-digit EURAL entries."""
    return frozenset(c for c, h in _eural_hazard().items() if h)


def normalise_eural(raw: object) -> str | None:
    """Return a 6-digit zero-padded EURAL code, or None when `raw` cannot be one.

    Accepts "20 01 08", "200108", 200108, 20108 (an integer that lost its leading zero),
    "20 01 08*" (the hazard star is dropped; hazard comes from the reference) and padded text.
    Existence is not checked here (see eural_codes); only the shape and chapter 01-20.
    """
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, float):
        if raw != raw or not raw.is_integer():  # NaN or fractional
            return None
        raw = int(raw)
    if isinstance(raw, int):
        if raw <= 0 or raw > 999999:
            return None
        text = str(raw)
    elif isinstance(raw, str):
        text = _SEPARATORS.sub("", raw.strip()).rstrip("*")
    else:
        return None
    if not text.isdigit() or len(text) not in (5, 6):
        return None
    code = text.zfill(6)
    if not 1 <= int(code[:2]) <= 20:
        return None
    return code


def is_hazardous(code: str) -> bool | None:
    """True for the starred (hazardous) entries, False for the others, None when unknown."""
    norm = normalise_eural(code)
    if norm is None:
        return None
    return _eural_hazard().get(norm)


@lru_cache(maxsize=1)
def _eural_descriptions() -> dict[tuple[str, str], str]:
    df = _eural()
    out: dict[tuple[str, str], str] = {}
    for code, nl, en in zip(df["code"], df["description_nl"], df["description_en"], strict=True):
        out[(code, "nl")] = str(nl)
        out[(code, "en")] = str(en)
    return out


def eural_description(code: str, lang: str = "nl") -> str | None:
    """Official description of a EURAL entry/chapter/subchapter in 'nl' or 'en'."""
    key = normalise_eural(code) or (code.strip() if isinstance(code, str) else None)
    if key is None:
        return None
    return _eural_descriptions().get((key, "en" if lang == "en" else "nl"))


# --------------------------------------------------------------------------- SBI


@lru_cache(maxsize=1)
def _sbi2008() -> pd.DataFrame:
    return _read_reference("sbi2008.csv", SBI2008_COLUMNS)


@lru_cache(maxsize=1)
def _sbi2025() -> pd.DataFrame:
    return _read_reference("sbi2025.csv", SBI2025_COLUMNS)


def load_sbi2008() -> pd.DataFrame:
    """SBI 2008 (CBS): sections, divisions, groups, classes (= NACE Rev.2) and subclasses."""
    return _sbi2008().copy()


def load_sbi2025() -> pd.DataFrame:
    """SBI 2025 5-digit codes with their NACE Rev.2.1 class and comparable NACE Rev.2 class."""
    return _sbi2025().copy()


@lru_cache(maxsize=1)
def _sbi2008_labels() -> dict[str, str]:
    df = _sbi2008()
    return dict(zip(df["code"], df["label_nl"], strict=True))


@lru_cache(maxsize=1)
def _sbi2008_classes() -> frozenset[str]:
    df = _sbi2008()
    return frozenset(df.loc[df["level"] == "class", "code"])


@lru_cache(maxsize=1)
def _sbi2025_index() -> dict[str, tuple[str, str]]:
    """code -> (label_nl, nace2_class or '')."""
    df = _sbi2025()
    return {
        c: (label, nace2)
        for c, label, nace2 in zip(df["code"], df["label_nl"], df["nace2_class"], strict=True)
    }


@lru_cache(maxsize=1)
def _sbi2025_by_class() -> dict[str, frozenset[str]]:
    """NACE Rev.2.1 class -> the set of NACE Rev.2 classes its SBI 2025 subclasses map to."""
    out: dict[str, set[str]] = {}
    df = _sbi2025()
    for n21, n2 in zip(df["nace21_class"], df["nace2_class"], strict=True):
        out.setdefault(n21, set()).add(n2)
    return {k: frozenset(v) for k, v in out.items()}


def normalise_sbi(raw: object) -> str | None:
    """Digits-only SBI code keeping leading zeros ("01.13.3" -> "01133", "56.10" -> "5610").

    Integers that lost a leading zero are padded only when unambiguous (3 digits -> 4).
    KvK's zero-padded form ("000000000056102") is unpadded. None for anything else.
    """
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, float):
        if raw != raw or not raw.is_integer():
            return None
        raw = int(raw)
    if isinstance(raw, int):
        if raw <= 0:
            return None
        text = str(raw)
        if len(text) == 3:
            text = text.zfill(4)
    elif isinstance(raw, str):
        text = _SEPARATORS.sub("", raw.strip())
        if len(text) > 5 and text.isdigit():
            text = text.lstrip("0")
            if len(text) == 3:
                text = text.zfill(4)
    else:
        return None
    if not text.isdigit() or not 2 <= len(text) <= 5 or int(text) == 0:
        return None
    return text


def _check_version(version: str) -> str:
    v = str(version).strip()
    if v not in SBI_VERSIONS:
        raise ValueError(f"unknown SBI version {version!r}; expected one of {SBI_VERSIONS}")
    return v


def sbi_to_nace(code: str, version: str) -> str | None:
    """The comparable 4-digit NACE Rev.2 class of an SBI code, or None when unmapped.

    SBI 2008: the first four digits when that class exists in SBI 2008, except the few
    Dutch-specific classes in SBI2008_NACE_EXCEPTIONS. SBI 2025: through sbi2025.csv; a
    4-digit NACE Rev.2.1 class maps only when all its SBI 2025 subclasses agree.
    2/3-digit codes never map.
    """
    v = _check_version(version)
    norm = normalise_sbi(code)
    if norm is None or len(norm) < 4:
        return None
    if v == "2008":
        if norm[:4] in SBI2008_NACE_EXCEPTIONS:
            return SBI2008_NACE_EXCEPTIONS[norm[:4]]
        return norm[:4] if norm[:4] in _sbi2008_classes() else None
    if len(norm) == 5:
        hit = _sbi2025_index().get(norm)
        return (hit[1] or None) if hit else None
    targets = _sbi2025_by_class().get(norm)
    if targets and len(targets) == 1:
        (only,) = targets
        return only or None
    return None


def _parse_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def sbi_code_exists(code: str, version: str) -> bool:
    """True when the (normalised) code is listed in that SBI version."""
    v = _check_version(version)
    norm = normalise_sbi(code)
    if norm is None:
        return False
    if v == "2008":
        return norm in _sbi2008_labels()
    return norm in _sbi2025_index()


def guess_sbi_version(code: str, date: str | None) -> str:
    """Which SBI version a code most likely is, for sources that don't say.

    Rules, in order: a 4-digit (or shorter) code is "2008" (SBI 2025 codes are all five
    digits); a code listed in only one version is that version; otherwise (listed in both or
    in neither) the observation `date` (ISO, when the code was registered/retrieved) decides:
    on or after the KvK switch (2025-09-05) "2025", before it or unknown "2008".
    """
    norm = normalise_sbi(code)
    if norm is None or len(norm) < 5:
        return "2008"
    in08 = norm in _sbi2008_labels()
    in25 = norm in _sbi2025_index()
    if in08 != in25:
        return "2008" if in08 else "2025"
    seen = _parse_date(date)
    return "2025" if seen is not None and seen >= SBI2025_SWITCH else "2008"


def sbi_label(code: str, version: str) -> str | None:
    """Dutch label of an SBI code in the given version, None when not listed."""
    v = _check_version(version)
    norm = normalise_sbi(code)
    if norm is None:
        return None
    if v == "2008":
        return _sbi2008_labels().get(norm)
    hit = _sbi2025_index().get(norm)
    return hit[0] if hit else None


# NACE Rev.2 classes with no SBI 2008 class of their own: crops, mines and services that the
# Dutch list leaves out (Eurostat NACE Rev.2, Regulation (EC) No 1893/2006, Annex I). Documented
# exchanges abroad use them (sugar cane mills, oil palm estates, coal and ore mines).
NACE_CLASSES_NOT_IN_SBI2008: dict[str, str] = {
    "0112": "Growing of rice",
    "0114": "Growing of sugar cane",
    "0115": "Growing of tobacco",
    "0122": "Growing of tropical and subtropical fruits",
    "0123": "Growing of citrus fruits",
    "0126": "Growing of oleaginous fruits",
    "0144": "Raising of camels and camelids",
    "0230": "Gathering of wild growing non-wood products",
    "0510": "Mining of hard coal",
    "0520": "Mining of lignite",
    "0710": "Mining of iron ores",
    "0721": "Mining of uranium and thorium ores",
    "0729": "Mining of other non-ferrous metal ores",
    "0811": "Quarrying of ornamental and building stone, limestone, gypsum, chalk and slate",
    "0891": "Mining of chemical and fertiliser minerals",
    "3521": "Manufacture of gas",
    "3522": "Distribution of gaseous fuels through mains",
    "3523": "Trade of gas through mains",
    "8510": "Pre-primary education",
    "8690": "Other human health activities",
}


@lru_cache(maxsize=1)
def nace2_classes() -> frozenset[str]:
    """Every 4-digit NACE Rev.2 class: the SBI 2008 classes that are NACE classes, plus the
    NACE classes the Dutch list lacks."""
    sbi = {c for c in _sbi2008_classes() if c not in SBI2008_NACE_EXCEPTIONS}
    return frozenset(sbi | set(NACE_EXTRA_LABELS) | set(NACE_CLASSES_NOT_IN_SBI2008))


def nace_class_label(nace4: str) -> str | None:
    """Dutch label of a 4-digit NACE Rev.2 class (the SBI 2008 class label where they agree)."""
    norm = normalise_sbi(nace4)
    if norm is None or len(norm) != 4:
        return None
    if norm in NACE_EXTRA_LABELS:
        return NACE_EXTRA_LABELS[norm]
    if norm not in _sbi2008_classes() or norm in SBI2008_NACE_EXCEPTIONS:
        return None
    return _sbi2008_labels().get(norm)


# --------------------------------------------------------------------------- municipalities


@lru_cache(maxsize=1)
def _municipalities() -> pd.DataFrame:
    # The shipped list has centroids, no outlines (SOURCES.md says why): those come with a
    # PDOK file (`regionomie fetch pdok`).
    required = tuple(c for c in MUNICIPALITIES.columns if c != "outline")
    df = _read_reference("municipalities.csv", required)
    df = df.assign(outline=None)[list(MUNICIPALITIES.columns)].copy()
    for col in ("lat", "lon"):
        df[col] = pd.to_numeric(df[col], errors="raise").astype(float)
    return df


def load_municipalities() -> pd.DataFrame:
    """The 342 Dutch municipalities of 2025 in the MUNICIPALITIES contract (a copy)."""
    return _municipalities().copy()


@lru_cache(maxsize=1)
def municipality_codes() -> frozenset[str]:
    """All municipality codes ("GM0307", ...)."""
    return frozenset(_municipalities()["municipality_code"])


def load_provinces() -> pd.DataFrame:
    """The 12 provinces (province_code "PV26", name)."""
    return _read_reference("provinces.csv", ("province_code", "name"))


REFERENCE_LISTS: tuple[str, ...] = ("eural", "sbi2008", "sbi2025")


def load_list(name: str) -> pd.DataFrame:
    """A shipped reference list by its table name (one of REFERENCE_LISTS)."""
    loaders = {"eural": load_eural, "sbi2008": load_sbi2008, "sbi2025": load_sbi2025}
    return loaders[name]()
