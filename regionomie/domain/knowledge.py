"""Curated knowledge base of residual streams (materials) and their documented uses (pathways).

The knowledge lives in version-controlled CSV files under data/knowledge/ so that domain experts
can review and extend it without touching code. This module loads those files, checks them
strictly (a bad row must fail loudly with file, row and field, never be silently dropped) and
builds the small indexes the suggestion engine needs.

Pure domain code: no dagster, no neo4j.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from regionomie.paths import KNOWLEDGE_DIR

MATERIALS_FILE = "materials.csv"
PATHWAYS_FILE = "pathways.csv"
YIELDS_FILE = "producer_yields.csv"

MATERIAL_COLUMNS: tuple[str, ...] = (
    "material_id",
    "name_nl",
    "name_en",
    "synonyms",
    "eural_codes",
    "category",
    "hazardous",
)
PATHWAY_COLUMNS: tuple[str, ...] = (
    "pathway_id",
    "material_id",
    "producer_nace",
    "receiver_nace",
    "receiver_label",
    "use_category",
    "use_description",
    "value_eur_per_tonne",
    "co2_avoided_kg_per_tonne",
    "jobs_per_1000_tonnes",
    "food_or_feed",
    "caveats",
    "evidence_type",
    "evidence",
    "strength",
)
YIELD_COLUMNS: tuple[str, ...] = (
    "material_id",
    "producer_nace",
    "tonnes_per_employee_per_year",
    "source",
)

CATEGORIES: frozenset[str] = frozenset(
    {
        "food",
        "agri",
        "wood",
        "paper",
        "construction",
        "chemical",
        "metal",
        "energy",
        "water",
        "textile",
        "plastic",
        "other",
    }
)
USE_CATEGORIES: frozenset[str] = frozenset(
    {
        "substrate",
        "feed",
        "food",
        "fuel",
        "energy",
        "raw_material",
        "soil_improver",
        "compost",
        "water",
        "chemical",
        "material_recovery",
        "reuse",
    }
)
EVIDENCE_TYPES: frozenset[str] = frozenset(
    {"literature", "documented_exchange", "industry_practice"}
)

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_EURAL = re.compile(r"^\d{6}$")
_NACE_PRODUCER = re.compile(r"^\d{2}(\d{2})?$")
_NACE_CLASS = re.compile(r"^\d{4}$")
_BOOL = {"true": True, "false": False}


class KnowledgeBaseError(ValueError):
    """The knowledge base is unusable; message is one line naming file, row and field."""


def normalise_text(text: str) -> str:
    """Lower-case, strip accents and punctuation: 'Koffie-dik (é)' -> 'koffie dik e'.

    Shared by the loader (aliases) and the matcher (queries) so both sides compare alike.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    no_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = re.sub(r"[^0-9a-z]+", " ", no_accents.lower())
    return " ".join(cleaned.split())


def split_list(value: str) -> list[str]:
    """';'-separated cell -> stripped non-empty items."""
    return [item.strip() for item in str(value).split(";") if item.strip()]


@lru_cache(maxsize=8192)
def _aliases(
    name_nl: str, name_en: str, material_id: str, synonyms: tuple[str, ...]
) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for name in (name_nl, name_en, material_id.replace("_", " "), *synonyms):
        norm = normalise_text(name)
        if norm:
            seen.setdefault(norm, None)
    return tuple(seen)


@dataclass(frozen=True)
class Material:
    material_id: str
    name_nl: str
    name_en: str
    synonyms: tuple[str, ...]
    eural_codes: tuple[str, ...]
    category: str
    hazardous: bool

    @property
    def aliases(self) -> tuple[str, ...]:
        """Every name the material may be called by, normalised and de-duplicated."""
        return _aliases(self.name_nl, self.name_en, self.material_id, self.synonyms)


@dataclass(frozen=True)
class Pathway:
    pathway_id: str
    material_id: str
    producer_nace: tuple[str, ...]
    receiver_nace: str
    receiver_label: str
    use_category: str
    use_description: str
    value_eur_per_tonne: float
    co2_avoided_kg_per_tonne: float
    jobs_per_1000_tonnes: float
    food_or_feed: bool
    caveats: str
    evidence_type: str
    evidence: str
    strength: float


@dataclass(eq=False)
class KnowledgeBase:
    """Materials, pathways and producer yields as DataFrames, plus typed records and indexes.

    DataFrames are for pipeline consumers (graph loading, reports); the records and indexes are
    for fast in-process lookups (the suggestion engine answers thousands of queries per run).
    """

    materials: pd.DataFrame
    pathways: pd.DataFrame
    yields: pd.DataFrame
    source_dir: Path
    material_by_id: dict[str, Material]
    pathway_records: tuple[Pathway, ...]
    pathways_by_material: dict[str, tuple[Pathway, ...]]
    materials_by_eural: dict[str, tuple[str, ...]]
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def material(self, material_id: str) -> Material:
        return self.material_by_id[material_id]


def _read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """One knowledge file as strings, plus `src_file`/`src_line` columns for error messages."""
    if not path.is_file():
        raise KnowledgeBaseError(f"{path}: file not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise KnowledgeBaseError(f"{path.name}: cannot be parsed as CSV: {first_line}") from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KnowledgeBaseError(f"{path.name}: missing column(s) {', '.join(missing)}")
    frame = frame.loc[:, list(columns)].copy()
    for col in columns:
        frame[col] = frame[col].astype(str).str.strip()
    frame["src_file"] = path.name
    frame["src_line"] = range(2, len(frame) + 2)
    return frame


def _read_family(source_dir: Path, main_file: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """The main file plus its themed extensions: materials.csv, materials.<theme>.csv, ...

    Themes let domain experts own a file each (utilities, chemicals, one EURAL chapter range)
    while the engine sees one table. Extensions are read in name order, so ids stay stable.
    """
    stem = main_file.removesuffix(".csv")
    paths = [source_dir / main_file, *sorted(source_dir.glob(f"{stem}.*.csv"))]
    frames = [_read_csv(path, columns) for path in paths]
    return pd.concat(frames, ignore_index=True)


def _fail(row: Any, column: str, message: str) -> KnowledgeBaseError:
    return KnowledgeBaseError(f"{row.src_file} line {row.src_line} field {column}: {message}")


def _parse_bool(row: Any, column: str, value: str) -> bool:
    key = value.lower()
    if key not in _BOOL:
        raise _fail(row, column, f"{value!r} is not true/false")
    return _BOOL[key]


def _parse_float(row: Any, column: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise _fail(row, column, f"{value!r} is not a number") from None
    if number != number:  # NaN
        raise _fail(row, column, "NaN is not allowed")
    return number


def _validate_materials(frame: pd.DataFrame) -> dict[str, Material]:
    out: dict[str, Material] = {}
    for row in frame.itertuples(index=False):
        mid = row.material_id
        if not _SLUG.match(mid):
            raise _fail(row, "material_id", f"{mid!r} is not a lower-case slug")
        if mid in out:
            raise _fail(row, "material_id", f"duplicate id {mid!r}")
        for col in ("name_nl", "name_en"):
            if not getattr(row, col):
                raise _fail(row, col, "empty")
        codes = split_list(row.eural_codes)
        for code in codes:
            if not _EURAL.match(code) or not 1 <= int(code[:2]) <= 20:
                raise _fail(row, "eural_codes", f"{code!r} is not a 6-digit EURAL code")
        if row.category not in CATEGORIES:
            raise _fail(row, "category", f"{row.category!r} is not one of the categories")
        out[mid] = Material(
            material_id=mid,
            name_nl=row.name_nl,
            name_en=row.name_en,
            synonyms=tuple(split_list(row.synonyms)),
            eural_codes=tuple(codes),
            category=row.category,
            hazardous=_parse_bool(row, "hazardous", row.hazardous),
        )
    return out


def _validate_pathways(frame: pd.DataFrame, materials: dict[str, Material]) -> tuple[Pathway, ...]:
    seen: set[str] = set()
    out: list[Pathway] = []
    for row in frame.itertuples(index=False):
        pid = row.pathway_id
        if not pid:
            raise _fail(row, "pathway_id", "empty")
        if pid in seen:
            raise _fail(row, "pathway_id", f"duplicate id {pid!r}")
        seen.add(pid)
        if row.material_id not in materials:
            raise _fail(row, "material_id", f"unknown material {row.material_id!r}")
        producers = split_list(row.producer_nace)
        for code in producers:
            if not _NACE_PRODUCER.match(code):
                raise _fail(row, "producer_nace", f"{code!r} is not a 2/4-digit NACE code")
        if not _NACE_CLASS.match(row.receiver_nace):
            raise _fail(row, "receiver_nace", f"{row.receiver_nace!r} is not a 4-digit NACE class")
        if row.use_category not in USE_CATEGORIES:
            raise _fail(row, "use_category", f"{row.use_category!r} is not allowed")
        if row.evidence_type not in EVIDENCE_TYPES:
            raise _fail(row, "evidence_type", f"{row.evidence_type!r} is not allowed")
        for col in ("receiver_label", "use_description", "evidence"):
            if not getattr(row, col):
                raise _fail(row, col, "empty")
        strength = _parse_float(row, "strength", row.strength)
        if not 0.0 <= strength <= 1.0:
            raise _fail(row, "strength", f"{strength} is outside 0..1")
        food_or_feed = _parse_bool(row, "food_or_feed", row.food_or_feed)
        if food_or_feed and materials[row.material_id].hazardous:
            raise _fail(row, "food_or_feed", "a hazardous material may never go to food or feed")
        out.append(
            Pathway(
                pathway_id=pid,
                material_id=row.material_id,
                producer_nace=tuple(producers),
                receiver_nace=row.receiver_nace,
                receiver_label=row.receiver_label,
                use_category=row.use_category,
                use_description=row.use_description,
                value_eur_per_tonne=_parse_float(
                    row, "value_eur_per_tonne", row.value_eur_per_tonne
                ),
                co2_avoided_kg_per_tonne=_parse_float(
                    row, "co2_avoided_kg_per_tonne", row.co2_avoided_kg_per_tonne
                ),
                jobs_per_1000_tonnes=_parse_float(
                    row, "jobs_per_1000_tonnes", row.jobs_per_1000_tonnes
                ),
                food_or_feed=food_or_feed,
                caveats=row.caveats,
                evidence_type=row.evidence_type,
                evidence=row.evidence,
                strength=strength,
            )
        )
    return tuple(out)


def _validate_yields(frame: pd.DataFrame, materials: dict[str, Material]) -> None:
    seen: set[tuple[str, str]] = set()
    for row in frame.itertuples(index=False):
        if row.material_id not in materials:
            raise _fail(row, "material_id", f"unknown material {row.material_id!r}")
        if not _NACE_CLASS.match(row.producer_nace):
            raise _fail(row, "producer_nace", f"{row.producer_nace!r} is not a 4-digit NACE class")
        key = (row.material_id, row.producer_nace)
        if key in seen:
            raise _fail(row, "producer_nace", f"duplicate yield for {key}")
        seen.add(key)
        value = _parse_float(row, "tonnes_per_employee_per_year", row.tonnes_per_employee_per_year)
        if value <= 0:
            raise _fail(row, "tonnes_per_employee_per_year", f"{value} is not positive")
        if not row.source:
            raise _fail(row, "source", "empty")


def load_knowledge_base(path: str | Path | None = None) -> KnowledgeBase:
    """Load and validate data/knowledge (or `path`); raises KnowledgeBaseError on any bad row."""
    source_dir = Path(path) if path is not None else KNOWLEDGE_DIR
    if not source_dir.is_dir():
        raise KnowledgeBaseError(f"{source_dir}: knowledge directory not found")
    materials_df = _read_family(source_dir, MATERIALS_FILE, MATERIAL_COLUMNS)
    pathways_df = _read_family(source_dir, PATHWAYS_FILE, PATHWAY_COLUMNS)
    yields_df = _read_family(source_dir, YIELDS_FILE, YIELD_COLUMNS)

    materials = _validate_materials(materials_df)
    pathways = _validate_pathways(pathways_df, materials)
    _validate_yields(yields_df, materials)
    provenance = ["src_file", "src_line"]
    materials_df, pathways_df, yields_df = (
        frame.drop(columns=provenance) for frame in (materials_df, pathways_df, yields_df)
    )

    by_material: dict[str, list[Pathway]] = {mid: [] for mid in materials}
    for pathway in pathways:
        by_material[pathway.material_id].append(pathway)
    by_eural: dict[str, list[str]] = {}
    for material in materials.values():
        for code in material.eural_codes:
            by_eural.setdefault(code, []).append(material.material_id)

    for col in ("strength", "value_eur_per_tonne", "co2_avoided_kg_per_tonne"):
        pathways_df[col] = pathways_df[col].astype(float)
    pathways_df["jobs_per_1000_tonnes"] = pathways_df["jobs_per_1000_tonnes"].astype(float)
    pathways_df["food_or_feed"] = pathways_df["food_or_feed"].str.lower().map(_BOOL)
    materials_df["hazardous"] = materials_df["hazardous"].str.lower().map(_BOOL)
    yields_df["tonnes_per_employee_per_year"] = yields_df["tonnes_per_employee_per_year"].astype(
        float
    )

    return KnowledgeBase(
        materials=materials_df,
        pathways=pathways_df,
        yields=yields_df,
        source_dir=source_dir,
        material_by_id=materials,
        pathway_records=pathways,
        pathways_by_material={k: tuple(v) for k, v in by_material.items()},
        materials_by_eural={k: tuple(v) for k, v in by_eural.items()},
    )
