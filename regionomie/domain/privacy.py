"""Sole proprietors' personal data: which legal forms may show a name, and how exports hide
the establishment numbers and exact locations of everyone else.

Why one module: an eenmanszaak's trade name is usually a person's name, its vestigingsnummer
gives that name in one public look-up, and its coordinates to 6 decimals are often a home
address. Every parser decides "may this name be shown?" with `name_is_personal`, and every
export writer passes its frames through `SoleProprietorShield.protect_frame` (JSON through
`protect_json`), so a rewritten writer keeps the rules by calling the same functions.

Fail closed: a name is shown only for legal forms that are known legal entities (BV, NV,
stichting, vereniging, cooperatie, ...). Natural-person forms (eenmanszaak in any variant;
vof, maatschap, commanditaire vennootschap and rederij, whose partners are usually people and
whose names are often theirs; any form "in oprichting", which natural persons act on until the
entity exists) and empty or unknown forms are masked.

Legal forms arrive spelled three ways: the spaced text of CSVs, the open dataset and
`uitgebreideRechtsvorm` ("Besloten Vennootschap met gewone structuur"), and the camel-case
enumeration of the KvK Basisprofiel's `_embedded.eigenaar.rechtsvorm` ("BeslotenVennootschap",
and "BesloteVennootschap" as KvK's own examples spell it). The enumeration is split into words
before matching, so every spelling of one form gets the same answer; `legal_forms_are_personal`
judges a record by all the fields it has.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# KvK legal forms with legal personality (Boek 2 BW, public-law bodies, EU forms). Matched as
# a prefix of the normalised text, so "Besloten Vennootschap met gewone structuur" and
# "Cooperatie U.A." are entities too.
LEGAL_ENTITY_FORMS: tuple[str, ...] = (
    "besloten vennootschap",
    "beslote vennootschap",  # the KvK enumeration's own spelling: "BesloteVennootschap"
    "bv",
    "naamloze vennootschap",
    "nv",
    "stichting",
    "vereniging",  # incl. "vereniging van eigenaars", "... met volledige rechtsbevoegdheid"
    "cooperatie",
    "cooperatieve vereniging",
    "onderlinge waarborgmaatschappij",
    "onderlinge waarborg maatschappij",  # "OnderlingeWaarborgMaatschappij"
    "owm",
    "kerkgenootschap",
    "kerkelijke organisatie",
    "publiekrechtelijke rechtspersoon",
    "overige privaatrechtelijke rechtspersoon",
    "europese naamloze vennootschap",
    "europese cooperatieve vennootschap",
    "europees economisch samenwerkingsverband",
    "se",
    "sce",
    "eesv",
    "kapitaalvennootschap",
    "buitenlandse kapitaalvennootschap",
)
# Forms whose name is usually (partly) a person's name; they win over an entity prefix
# ("BV / eenmanszaak" is masked).
NATURAL_PERSON_MARKERS: tuple[str, ...] = (
    "eenmanszaak",
    "eenmanzaak",
    "natuurlijk persoon",
    "vennootschap onder firma",
    "vof",
    "maatschap",
    "commanditaire vennootschap",
    "cv",
    "rederij",
    "zzp",
    # a legal entity "in oprichting" (BV i.o., Stichting i.o.) does not exist yet: natural
    # persons act for it and are liable, so its name is treated as theirs
    "in oprichting",
    "io",
    "i o",
)
_ENTITY_RE = re.compile(r"^(?:" + "|".join(re.escape(f) for f in LEGAL_ENTITY_FORMS) + r")\b")
_PERSON_RE = re.compile(r"\b(?:" + "|".join(re.escape(f) for f in NATURAL_PERSON_MARKERS) + r")\b")

# Exports coarsen a sole proprietor's location to the centre of a 500 m grid cell
# (equirectangular around 52.2 N, the same approximation the opportunity engine uses).
GRID_KM = 0.5
_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON_NL = 111.320 * math.cos(math.radians(52.2))
PSEUDONYM_PREFIX = "ez-"
MIN_KEY_LENGTH = 16

# Export columns holding an establishment id, with the coordinate columns of that actor.
COORDINATE_OWNERS: dict[str, tuple[str, str]] = {
    "establishment_id": ("lat", "lon"),
    "vestigingsnummer": ("lat", "lon"),
    "producer_id": ("producer_lat", "producer_lon"),
    "receiver_id": ("receiver_lat", "receiver_lon"),
}
_TOKEN_RE = re.compile(r"(?<!\d)(\d{12}|\d{8})(?!\d)")
_DIGIT_RUN = r"\p{Nd}{8}"  # (RE2) every token above holds one; texts without need no work
_NON_DIGITS = r"\P{Nd}+"  # (RE2) splits a text into its maximal digit runs, as \d sees them


def normalise_legal_form(legal_form: object) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed, camel case split into
    words: 'Coöperatie U.A.' -> 'cooperatie ua', 'B.V.' -> 'bv', 'BeslotenVennootschap' ->
    'besloten vennootschap', 'BV i.o.' -> 'bv io'."""
    if legal_form is None or (isinstance(legal_form, float) and math.isnan(legal_form)):
        return ""
    text = unicodedata.normalize("NFKD", str(legal_form))
    # KvK's enumeration: a lower-case letter followed by an upper-case one starts a word
    # ('VennootschapOnderFirma'); acronyms ('BV', 'NV', 'VOF') have no such boundary
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"(?<=\b[a-z])\.(?=[a-z]\b)", "", text)  # b.v. -> bv., n.v. -> nv.
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def name_is_personal(legal_form: object) -> bool:
    """True when a trade name under this legal form must be masked: natural-person forms and
    every empty or unrecognised form (fail closed); False only for known legal entities."""
    norm = normalise_legal_form(legal_form)
    if not norm or _PERSON_RE.search(norm):
        return True
    return _ENTITY_RE.match(norm) is None


def legal_forms_are_personal(*legal_forms: object) -> bool:
    """One record's legal form given in several fields (the KvK enumeration `rechtsvorm` and
    the spaced `uitgebreideRechtsvorm`): masked when any field names a natural-person form
    (or "in oprichting"); shown when no field does and at least one names a known legal
    entity; masked when none is recognised (fail closed on what is truly unknown only)."""
    forms = [f for f in legal_forms if normalise_legal_form(f)]
    if not forms:
        return True
    if any(_PERSON_RE.search(normalise_legal_form(f)) for f in forms):
        return True
    return not any(not name_is_personal(f) for f in forms)


def names_are_personal(legal_forms: pd.Series) -> pd.Series:
    """Vectorised `name_is_personal`, once per distinct value (a million KvK rows carry a
    few dozen distinct forms)."""
    values = legal_forms.astype(object)
    table = {v: name_is_personal(v) for v in pd.unique(values)}
    return values.map(table).astype(bool)


def sole_proprietor_label(sector_label: str, postcode4: str | None) -> str:
    """The display name that replaces a sole proprietor's trade name (postcode4 None: the
    record has no address, e.g. an organisation)."""
    if postcode4 is None:
        return f"Eenmanszaak ({sector_label})"
    return f"Eenmanszaak ({sector_label}, {postcode4 or 'onbekend'})"


def pseudonymous_id(establishment_id: object, key: bytes) -> str:
    """A stable pseudonym for an establishment or KvK number: keyed (HMAC-SHA256), so nobody
    without the key can run the 10^12 possible numbers through it and find the original."""
    if len(key) < MIN_KEY_LENGTH:
        raise ValueError(f"pseudonym key must be at least {MIN_KEY_LENGTH} bytes")
    digest = hmac.new(key, str(establishment_id).encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:16]


def coarsen_location(lat: object, lon: object) -> tuple[float | None, float | None]:
    """The centre of the 500 m grid cell holding (lat, lon); None stays None."""
    arr_lat, arr_lon = coarsen_locations(np.array([lat], dtype=object), np.array([lon]))
    out_lat, out_lon = arr_lat[0], arr_lon[0]
    return (
        None if math.isnan(out_lat) else float(out_lat),
        None if math.isnan(out_lon) else float(out_lon),
    )


def coarsen_locations(
    lat: np.ndarray | pd.Series, lon: np.ndarray | pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised `coarsen_location` (NaN stays NaN). Idempotent: a cell centre maps to
    itself."""
    la = pd.to_numeric(pd.Series(np.asarray(lat, dtype=object)), errors="coerce").to_numpy(float)
    lo = pd.to_numeric(pd.Series(np.asarray(lon, dtype=object)), errors="coerce").to_numpy(float)
    step_lat = GRID_KM / _KM_PER_DEG_LAT
    step_lon = GRID_KM / _KM_PER_DEG_LON_NL
    with np.errstate(invalid="ignore"):
        c_lat = (np.floor(la / step_lat) + 0.5) * step_lat
        c_lon = (np.floor(lo / step_lon) + 0.5) * step_lon
    return np.round(c_lat, 5), np.round(c_lon, 5)


def _bool_values(values: pd.Series) -> pd.Series:
    if values.dtype == bool:
        return values
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip().str.lower()
    return text.isin(["true", "1", "ja", "yes", "y", "j", "1.0"])


@dataclass(frozen=True)
class SoleProprietorShield:
    """Knows which establishment (12 digits) and KvK (8 digits) numbers belong to sole
    proprietors, and rewrites export data so none of them, nor their exact location, leaves.

    Built once per export from the establishments table; `key` comes from the environment
    (regionomie.settings.pseudonym_key)."""

    key: bytes
    personal_ids: frozenset[str] = field(default_factory=frozenset)
    _cache: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.key) < MIN_KEY_LENGTH:
            raise ValueError(f"pseudonym key must be at least {MIN_KEY_LENGTH} bytes")

    @classmethod
    def from_establishments(cls, establishments: pd.DataFrame, key: bytes) -> SoleProprietorShield:
        """Sole proprietors are rows flagged is_sole_proprietor, or (fail closed) rows whose
        flag is missing and whose legal form is not a known legal entity."""
        est = establishments
        if est is None or est.empty:
            return cls(key=key)
        if "is_sole_proprietor" in est.columns:
            flag = est["is_sole_proprietor"]
            sole = _bool_values(flag)
            unknown = flag.isna()
            if unknown.any():
                forms = (
                    est["legal_form"] if "legal_form" in est.columns else pd.Series("", est.index)
                )
                sole = sole | (unknown & names_are_personal(forms))
        elif "legal_form" in est.columns:
            sole = names_are_personal(est["legal_form"])
        else:
            sole = pd.Series(True, index=est.index)
        ids: set[str] = set()
        for column in ("vestigingsnummer", "establishment_id", "kvk_nummer"):
            if column in est.columns:
                ids.update(str(v) for v in est.loc[sole.to_numpy(), column].dropna())
        return cls(key=key, personal_ids=frozenset(i for i in ids if i))

    def is_personal(self, value: object) -> bool:
        return str(value) in self.personal_ids

    def pseudonym(self, value: object) -> str:
        text = str(value)
        found = self._cache.get(text)
        if found is None:
            found = pseudonymous_id(text, self.key)
            self._cache[text] = found
        return found

    def protect_text(self, text: str) -> str:
        """Every 12-digit (establishment) or 8-digit (KvK) number of a sole proprietor inside
        a text (ids, composite candidate ids, ';'-lists) becomes its pseudonym."""
        if not self.personal_ids or not isinstance(text, str):
            return text
        return _TOKEN_RE.sub(
            lambda m: self.pseudonym(m.group(1)) if m.group(1) in self.personal_ids else m.group(1),
            text,
        )

    def protect_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A copy of `frame` where sole proprietors' locations are coarsened (the columns in
        COORDINATE_OWNERS) and their numbers pseudonymised in every text column. Numeric
        columns other than those coordinates are untouched."""
        if frame is None or frame.empty or not self.personal_ids:
            return frame
        out = frame.copy()
        for owner, (lat_col, lon_col) in COORDINATE_OWNERS.items():
            if owner not in out.columns or lat_col not in out.columns or lon_col not in out.columns:
                continue
            ids = self.personal_ids
            mask = np.fromiter(
                (str(v) in ids for v in out[owner].to_numpy(dtype=object)), bool, len(out)
            )
            if not mask.any():
                continue
            c_lat, c_lon = coarsen_locations(out.loc[mask, lat_col], out.loc[mask, lon_col])
            out[lat_col] = pd.to_numeric(out[lat_col], errors="coerce").astype("float64")
            out[lon_col] = pd.to_numeric(out[lon_col], errors="coerce").astype("float64")
            out.loc[mask, lat_col] = c_lat
            out.loc[mask, lon_col] = c_lon
        for column in out.columns:
            series = out[column]
            if series.dtype.kind not in "OSU" and not isinstance(series.dtype, pd.StringDtype):
                continue
            changed = self._changed_texts(series)
            if changed:
                values = series.to_numpy(dtype=object)
                out[column] = pd.Series(
                    [changed.get(v, v) if isinstance(v, str) else v for v in values],
                    index=series.index,
                    dtype=series.dtype,
                )
        return out

    def _changed_texts(self, series: pd.Series) -> dict[str, str]:
        """{text: protected text} for the distinct texts of `series` that hold a personal
        number. The scan for 8+ digit runs is vectorised (Arrow regex), so long texts without
        one (explanations, descriptions) cost nothing per row in Python."""
        distinct = pd.unique(series.dropna())
        if isinstance(series.dtype, pd.StringDtype):
            texts = pd.Series(distinct, dtype=series.dtype)
        else:  # object: only its str values are texts
            values = np.asarray(distinct, dtype=object)
            is_text = np.fromiter((isinstance(v, str) for v in values), bool, len(values))
            texts = pd.Series(values[is_text], dtype="str")
        if texts.empty:
            return {}
        with_run = texts[texts.str.contains(_DIGIT_RUN, regex=True).to_numpy(dtype=bool)]
        if with_run.empty:
            return {}
        # Which texts hold a personal number as one of their digit runs, in Arrow: only
        # those are rewritten in Python (a run that is no token is rewritten to itself).
        runs = pc.split_pattern_regex(
            pa.array(with_run.to_numpy(dtype=object), type=pa.large_string()), _NON_DIGITS
        )
        personal = pc.is_in(pc.list_flatten(runs), value_set=self._personal_array)
        owners = pc.list_parent_indices(runs).to_numpy()[personal.to_numpy(zero_copy_only=False)]
        hits = with_run.to_numpy(dtype=object)[np.unique(owners)]
        return {text: self.protect_text(text) for text in hits}

    @cached_property
    def _personal_array(self) -> pa.Array:
        return pa.array(sorted(self.personal_ids), type=pa.large_string())

    def protect_json(self, obj: Any) -> Any:
        """The same rules for JSON-like data (cards, GeoJSON properties): numbers inside
        strings pseudonymised; in a mapping with an id key from COORDINATE_OWNERS whose value
        is personal, that actor's coordinate keys are coarsened."""
        if isinstance(obj, str):
            return self.protect_text(obj)
        if isinstance(obj, Mapping):
            out = {k: self.protect_json(v) for k, v in obj.items()}
            for owner, (lat_key, lon_key) in COORDINATE_OWNERS.items():
                if owner in obj and self.is_personal(obj[owner]) and lat_key in obj:
                    out[lat_key], out[lon_key] = coarsen_location(
                        obj.get(lat_key), obj.get(lon_key)
                    )
            if "id" in obj and self.is_personal(obj["id"]):
                out["id"] = self.pseudonym(obj["id"])
            return out
        if isinstance(obj, list | tuple):
            return [self.protect_json(v) for v in obj]
        return obj
