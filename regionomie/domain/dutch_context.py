"""What the Dutch context adds to the knowledge base, for the regional engine and for suggestions.

The pathways say what a stream *can* become anywhere in the world; a region's business cases need
to know more: whether a material occurs as supply in the Netherlands and which classes produce it
here (material_origins.csv), how a stream is treated today and how far up the waste hierarchy a
use takes it (waste_hierarchy.yaml), which receiving classes a start-up can be and how many
workers a sector needs per tonne (receiver_sectors.csv), how a generic stream of a producer class
splits over materials (stream_composition.csv), how much waste a worker of a class plausibly
produces (waste_intensity.csv) and the social mechanisms that connect issues across sectors
(social_mechanisms.yaml). All cited in the files; loaded and checked here, strictly: a bad row
stops the load with one line naming the file, line and field. Pure domain code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from regionomie.domain.knowledge import KnowledgeBaseError
from regionomie.paths import KNOWLEDGE_DIR

ORIGINS_FILE = "material_origins.csv"
HIERARCHY_FILE = "waste_hierarchy.yaml"
RECEIVERS_FILE = "receiver_sectors.csv"
COMPOSITION_FILE = "stream_composition.csv"
INTENSITY_FILE = "waste_intensity.csv"
MECHANISMS_FILE = "social_mechanisms.yaml"
CASCADE_FILE = "cascade_links.csv"
RECEIVER_FILTERS_FILE = "receiver_filters.csv"
BARRED_FILE = "barred_pathways.csv"

MECHANISM_KINDS = ("circular+social", "social")
KNOWN_CHALLENGES = (
    "unemployment",
    "social_assistance",
    "disability_benefits",
    "ageing",
    "loneliness",
    "household_waste",
    "low_income",
    "low_average_income",
    "vacancy",
)


@dataclass(frozen=True)
class MaterialOrigin:
    """Whether a material arises as supply in the Netherlands, and from which classes."""

    material_id: str
    occurs_in_nl: bool
    producers: tuple[str, ...]  # 2- or 4-digit NACE; empty = any class (fallback families)
    current_rung: int | None  # today's rung of the stream in NL, when known
    basis: str

    def produced_by(self, nace: str) -> int:
        """4 when a 4-digit producer class matches, 2 for a division, 0 for none; any class
        (-1) for a material without producer list."""
        if not self.producers:
            return -1
        code = (nace or "")[:4]
        if code and code in self.producers:
            return 4
        if code and code[:2] in self.producers:
            return 2
        return 0


@dataclass(frozen=True)
class ReceiverSector:
    """Labour ratio and whether a start-up can be a receiver of this class."""

    nace: str
    tonnes_per_worker: float | None
    startup_feasible: bool
    basis: str


@dataclass(frozen=True)
class Hierarchy:
    """One ladder (1 = best) with the LMA processing codes and uses placed on it."""

    rungs: dict[int, tuple[str, str]]  # rung -> (nl, en)
    lma: dict[str, int | None]  # processing code -> rung (None: says nothing)
    lma_names: dict[str, str]
    use_rungs: dict[str, int]
    digestion_receivers: frozenset[str]
    category_current: dict[str, int]
    pathway_rungs: dict[str, int] = field(default_factory=dict)

    def target_rung(
        self, use_category: str, receiver_nace: str, pathway_id: str = ""
    ) -> int | None:
        if pathway_id in self.pathway_rungs:
            return self.pathway_rungs[pathway_id]
        if use_category == "energy" and receiver_nace in self.digestion_receivers:
            return 4
        return self.use_rungs.get(use_category)

    def name(self, rung: int | None, lang: str = "nl") -> str:
        if rung is None or rung not in self.rungs:
            return "onbekend" if lang == "nl" else "unknown"
        return self.rungs[rung][0 if lang == "nl" else 1]


@dataclass(frozen=True)
class Reach:
    unit_nl: str
    unit_en: str
    per_tonne: float | None
    per_site: float | None
    basis: str


@dataclass(frozen=True)
class SocialMechanism:
    """How a case helps people: its actors, its flow (pathways) and the challenges it answers."""

    mechanism_id: str
    kind: str
    name_nl: str
    name_en: str
    mechanism_nl: str
    mechanism_en: str
    challenges: tuple[str, ...]
    pathways: tuple[str, ...]
    providers: tuple[str, ...]
    partners: tuple[str, ...]
    reach: Reach
    jobs_per_site: float | None
    jobs_basis: str
    eur_per_site: float | None
    economic_basis: str
    evidence: str
    strength: float
    risks_nl: tuple[str, ...] = ()  # what stops such a case in practice, for the card
    risks_en: tuple[str, ...] = ()


@dataclass
class DutchContext:
    origins: dict[str, MaterialOrigin]
    hierarchy: Hierarchy
    receivers: dict[str, ReceiverSector]
    compositions: dict[tuple[str, str], tuple[tuple[str, float, str], ...]]
    intensity: dict[str, tuple[float, str]]
    mechanisms: tuple[SocialMechanism, ...]
    source_dir: Path
    #: (material, receiving class) -> (residue material, tonnes of residue per tonne, basis)
    residues: dict[tuple[str, str], tuple[str, float, str]] = field(default_factory=dict)
    #: pathway -> (SBI code prefix, name pattern): which establishments of its 4-digit class
    #: really are such receivers (a mushroom grower, not any grower of class 0113)
    receiver_filters: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: pathway -> why Dutch (EU) law does not allow it: evidence elsewhere, never a case here
    barred_pathways: dict[str, str] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def origin(self, material_id: str) -> MaterialOrigin:
        """The material's origin; an unlisted material (a stand-in KB) occurs anywhere."""
        found = self.origins.get(material_id)
        if found is None:
            return MaterialOrigin(material_id, True, (), None, "not listed: no restriction")
        return found

    def receiver(self, nace: str) -> ReceiverSector:
        """The most specific row for a class (4, 3 then 2 digits); unknown: a start-up may
        be proposed, and no labour ratio."""
        for width in (4, 3, 2):
            row = self.receivers.get((nace or "")[:width])
            if row is not None:
                return row
        return ReceiverSector(nace, None, True, "no row: start-up allowed, jobs unknown")

    def mechanism_of_pathway(self) -> dict[str, SocialMechanism]:
        return {p: m for m in self.mechanisms for p in m.pathways}

    def composition(self, eural_code: str, nace: str) -> tuple[tuple[str, float, str], ...]:
        """Shares of a producer class's stream over materials (4-digit class, then division)."""
        code = (nace or "")[:4]
        return self.compositions.get((eural_code, code)) or self.compositions.get(
            (eural_code, code[:2]), ()
        )

    def max_tonnes_per_worker(self, nace: str) -> tuple[float, str] | None:
        code = (nace or "")[:4]
        return self.intensity.get(code) or self.intensity.get(code[:2])


def _fail(path: Path, line: int | str, column: str, message: str) -> KnowledgeBaseError:
    return KnowledgeBaseError(f"{path.name} line {line} field {column}: {message}")


def _read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise KnowledgeBaseError(f"{path}: file not found")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KnowledgeBaseError(f"{path.name}: missing column(s) {', '.join(missing)}")
    frame = frame[list(columns)].apply(lambda s: s.str.strip())
    frame["line_no"] = range(2, len(frame) + 2)
    return frame


def _bool(path: Path, line: int, column: str, value: str) -> bool:
    key = value.strip().lower()
    if key not in ("true", "false"):
        raise _fail(path, line, column, f"{value!r} is not true/false")
    return key == "true"


def _number(path: Path, line: int | str, column: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _fail(path, line, column, f"{value!r} is not a number") from None
    if math.isnan(number) or math.isinf(number):
        raise _fail(path, line, column, f"{value!r} is not a finite number")
    return number


def _codes(path: Path, line: int, column: str, value: str) -> tuple[str, ...]:
    codes = tuple(c.strip() for c in value.split(";") if c.strip())
    for code in codes:
        if not code.isdigit() or len(code) not in (2, 4):
            raise _fail(path, line, column, f"{code!r} is not a 2/4-digit NACE code")
    return codes


def _load_origins(path: Path, rungs: Iterable[int]) -> dict[str, MaterialOrigin]:
    columns = ("material_id", "occurs_in_nl", "nl_producer_nace", "nl_current_rung", "basis")
    out: dict[str, MaterialOrigin] = {}
    allowed = set(rungs)
    for row in _read_csv(path, columns).itertuples(index=False):
        line = row.line_no
        if row.material_id in out:
            raise _fail(path, line, "material_id", f"duplicate id {row.material_id!r}")
        rung: int | None = None
        if row.nl_current_rung:
            rung = int(_number(path, line, "nl_current_rung", row.nl_current_rung))
            if rung not in allowed:
                raise _fail(path, line, "nl_current_rung", f"{rung} is not a rung of the ladder")
        if not row.basis:
            raise _fail(path, line, "basis", "empty")
        out[row.material_id] = MaterialOrigin(
            row.material_id,
            _bool(path, line, "occurs_in_nl", row.occurs_in_nl),
            _codes(path, line, "nl_producer_nace", row.nl_producer_nace),
            rung,
            row.basis,
        )
    return out


def _load_hierarchy(path: Path) -> Hierarchy:
    if not path.is_file():
        raise KnowledgeBaseError(f"{path}: file not found")
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rungs = {int(k): (str(v["nl"]), str(v["en"])) for k, v in (doc.get("rungs") or {}).items()}
    if not rungs:
        raise _fail(path, "-", "rungs", "no rungs")

    def rung_of(section: str, key: str, value: Any) -> int | None:
        if value is None:
            return None
        number = int(_number(path, section, key, value))
        if number not in rungs:
            raise _fail(path, section, key, f"{number} is not a rung of the ladder")
        return number

    lma = doc.get("lma_processing") or {}
    return Hierarchy(
        rungs=rungs,
        lma={str(k): rung_of("lma_processing", str(k), v.get("rung")) for k, v in lma.items()},
        lma_names={str(k): str(v.get("nl", "")) for k, v in lma.items()},
        use_rungs={
            str(k): int(rung_of("use_rungs", str(k), v) or 0)
            for k, v in (doc.get("use_rungs") or {}).items()
        },
        digestion_receivers=frozenset(str(c) for c in doc.get("digestion_receivers") or ()),
        pathway_rungs={
            str(k): int(rung_of("pathway_rungs", str(k), v) or 0)
            for k, v in (doc.get("pathway_rungs") or {}).items()
        },
        category_current={
            str(k): int(rung_of("category_current_rungs", str(k), v) or 0)
            for k, v in (doc.get("category_current_rungs") or {}).items()
        },
    )


def _load_receivers(path: Path) -> dict[str, ReceiverSector]:
    out: dict[str, ReceiverSector] = {}
    for row in _read_csv(
        path, ("nace", "tonnes_per_worker", "startup_feasible", "basis")
    ).itertuples(index=False):
        line = row.line_no
        if not row.nace.isdigit() or len(row.nace) not in (2, 3, 4):
            raise _fail(path, line, "nace", f"{row.nace!r} is not a 2-4 digit NACE code")
        if row.nace in out:
            raise _fail(path, line, "nace", f"duplicate class {row.nace!r}")
        ratio = None
        if row.tonnes_per_worker:
            ratio = _number(path, line, "tonnes_per_worker", row.tonnes_per_worker)
            if ratio <= 0:
                raise _fail(path, line, "tonnes_per_worker", f"{ratio} is not positive")
        if not row.basis:
            raise _fail(path, line, "basis", "empty")
        out[row.nace] = ReceiverSector(
            row.nace, ratio, _bool(path, line, "startup_feasible", row.startup_feasible), row.basis
        )
    return out


def _load_compositions(
    path: Path,
) -> dict[tuple[str, str], tuple[tuple[str, float, str], ...]]:
    """Shares per (EURAL code, producer class); a class whose shares add up to more than one is
    contradictory and stops the load, naming the row that tips it over."""
    out: dict[tuple[str, str], list[tuple[str, float, str]]] = {}
    columns = ("eural_code", "producer_nace", "material_id", "share", "basis")
    for row in _read_csv(path, columns).itertuples(index=False):
        line = row.line_no
        if len(row.eural_code) != 6 or not row.eural_code.isdigit():
            raise _fail(path, line, "eural_code", f"{row.eural_code!r} is not a 6-digit code")
        _codes(path, line, "producer_nace", row.producer_nace)
        share = _number(path, line, "share", row.share)
        if not 0.0 < share <= 1.0:
            raise _fail(path, line, "share", f"{share} is outside (0, 1]")
        key = (row.eural_code, row.producer_nace)
        rows = out.setdefault(key, [])
        if any(m == row.material_id for m, _, _ in rows):
            raise _fail(path, line, "material_id", f"{row.material_id!r} twice for {key}")
        rows.append((row.material_id, share, row.basis))
        total = sum(s for _, s, _ in rows)
        if total > 1.0 + 1e-9:
            raise _fail(
                path,
                line,
                "share",
                f"shares of EURAL {key[0]} from class {key[1]} add up to "
                f"{total:.3f} (> 1): contradictory",
            )
    return {k: tuple(v) for k, v in out.items()}


def _load_intensity(path: Path) -> dict[str, tuple[float, str]]:
    out: dict[str, tuple[float, str]] = {}
    for row in _read_csv(path, ("nace", "max_tonnes_per_worker", "basis")).itertuples(index=False):
        line = row.line_no
        _codes(path, line, "nace", row.nace)
        value = _number(path, line, "max_tonnes_per_worker", row.max_tonnes_per_worker)
        out[row.nace] = (value, row.basis)
    return out


def _load_residues(path: Path) -> dict[tuple[str, str], tuple[str, float, str]]:
    """What a use leaves behind: the only steps a cascade may chain (a mushroom farm on coffee
    grounds leaves spent substrate; a feed mill leaves nothing of the spent grain)."""
    out: dict[tuple[str, str], tuple[str, float, str]] = {}
    columns = ("material_id", "receiver_nace", "residue_material_id", "residue_share", "basis")
    for row in _read_csv(path, columns).itertuples(index=False):
        line = row.line_no
        if not (row.receiver_nace.isdigit() and len(row.receiver_nace) == 4):
            raise _fail(
                path, line, "receiver_nace", f"{row.receiver_nace!r} is not a 4-digit class"
            )
        share = _number(path, line, "residue_share", row.residue_share)
        if not 0.0 < share <= 1.0:
            raise _fail(path, line, "residue_share", f"{share} is outside (0, 1]")
        if not row.residue_material_id:
            raise _fail(path, line, "residue_material_id", "empty")
        key = (row.material_id, row.receiver_nace)
        if key in out:
            raise _fail(path, line, "receiver_nace", f"duplicate link {key}")
        out[key] = (row.residue_material_id, share, row.basis)
    return out


def _load_barred(path: Path) -> dict[str, str]:
    """Pathways the law of the Netherlands (and the EU) does not allow, each with its basis."""
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    for row in _read_csv(path, ("pathway_id", "basis")).itertuples(index=False):
        if row.pathway_id in out:
            raise _fail(path, row.line_no, "pathway_id", f"duplicate {row.pathway_id!r}")
        if not row.basis:
            raise _fail(path, row.line_no, "basis", "empty: say which rule bars the pathway")
        out[row.pathway_id] = row.basis
    return out


def _load_receiver_filters(path: Path) -> dict[str, tuple[str, str]]:
    """Per pathway: the SBI prefix and/or name pattern a receiver of its class must have."""
    import re

    out: dict[str, tuple[str, str]] = {}
    columns = ("pathway_id", "sbi_prefix", "name_pattern", "basis")
    for row in _read_csv(path, columns).itertuples(index=False):
        line = row.line_no
        if row.pathway_id in out:
            raise _fail(path, line, "pathway_id", f"duplicate {row.pathway_id!r}")
        if row.sbi_prefix and not row.sbi_prefix.isdigit():
            raise _fail(path, line, "sbi_prefix", f"{row.sbi_prefix!r} is not digits")
        if not (row.sbi_prefix or row.name_pattern):
            raise _fail(path, line, "name_pattern", "neither an SBI prefix nor a name pattern")
        try:
            re.compile(row.name_pattern)
        except re.error as exc:
            raise _fail(path, line, "name_pattern", f"not a pattern: {exc}") from None
        if not row.basis:
            raise _fail(path, line, "basis", "empty")
        out[row.pathway_id] = (row.sbi_prefix, row.name_pattern)
    return out


def _load_mechanisms(path: Path) -> tuple[SocialMechanism, ...]:
    if not path.is_file():
        raise KnowledgeBaseError(f"{path}: file not found")
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: list[SocialMechanism] = []
    seen: set[str] = set()
    for i, raw in enumerate(doc.get("mechanisms") or [], start=1):
        where = f"mechanism {i}"

        def text(key: str, entry: dict[str, Any] = raw, where: str = where) -> str:
            value = str(entry.get(key) or "").strip()
            if not value:
                raise _fail(path, where, key, "empty")
            return " ".join(value.split())

        mid = text("mechanism_id")
        if mid in seen:
            raise _fail(path, where, "mechanism_id", f"duplicate id {mid!r}")
        seen.add(mid)
        kind = text("kind")
        if kind not in MECHANISM_KINDS:
            raise _fail(path, where, "kind", f"{kind!r} is not one of {MECHANISM_KINDS}")
        challenges = tuple(str(c) for c in raw.get("challenges") or ())
        unknown = [c for c in challenges if c not in KNOWN_CHALLENGES]
        if not challenges or unknown:
            raise _fail(path, where, "challenges", f"unknown or none: {unknown or challenges}")
        pathways = tuple(str(p) for p in raw.get("pathways") or ())
        providers = tuple(str(p) for p in raw.get("providers") or ())
        partners = tuple(str(p) for p in raw.get("partners") or ())
        if kind == "circular+social" and not pathways:
            raise _fail(path, where, "pathways", "a circular+social mechanism needs pathways")
        if kind == "social" and not (providers and partners):
            raise _fail(path, where, "providers", "a social mechanism needs providers and partners")
        reach_doc = raw.get("reach") or {}
        per_tonne = reach_doc.get("per_tonne")
        per_site = reach_doc.get("per_site")
        reach = Reach(
            text("unit_nl", reach_doc),
            text("unit_en", reach_doc),
            _number(path, where, "reach.per_tonne", per_tonne) if per_tonne is not None else None,
            _number(path, where, "reach.per_site", per_site) if per_site is not None else None,
            text("basis", reach_doc),
        )
        jobs_doc = raw.get("jobs") or {}
        economic_doc = raw.get("economic") or {}
        strength = _number(path, where, "strength", raw.get("strength"))
        if not 0.0 <= strength <= 1.0:
            raise _fail(path, where, "strength", f"{strength} is outside 0..1")
        out.append(
            SocialMechanism(
                mechanism_id=mid,
                kind=kind,
                name_nl=text("name_nl"),
                name_en=text("name_en"),
                mechanism_nl=text("mechanism_nl"),
                mechanism_en=text("mechanism_en"),
                challenges=challenges,
                pathways=pathways,
                providers=providers,
                partners=partners,
                reach=reach,
                jobs_per_site=(
                    _number(path, where, "jobs.per_site", jobs_doc["per_site"])
                    if "per_site" in jobs_doc
                    else None
                ),
                jobs_basis=str(jobs_doc.get("basis", "")),
                eur_per_site=(
                    _number(path, where, "economic.eur_per_site", economic_doc["eur_per_site"])
                    if "eur_per_site" in economic_doc
                    else None
                ),
                economic_basis=str(economic_doc.get("basis", "")),
                evidence=text("evidence"),
                strength=strength,
                risks_nl=tuple(" ".join(str(r).split()) for r in raw.get("risks_nl") or ()),
                risks_en=tuple(" ".join(str(r).split()) for r in raw.get("risks_en") or ()),
            )
        )
    return tuple(out)


@lru_cache(maxsize=4)
def load_dutch_context(path: str | Path | None = None) -> DutchContext:
    """Load and check the context files of data/knowledge (or `path`)."""
    source_dir = Path(path) if path is not None else KNOWLEDGE_DIR
    hierarchy = _load_hierarchy(source_dir / HIERARCHY_FILE)
    return DutchContext(
        origins=_load_origins(source_dir / ORIGINS_FILE, hierarchy.rungs),
        hierarchy=hierarchy,
        receivers=_load_receivers(source_dir / RECEIVERS_FILE),
        compositions=_load_compositions(source_dir / COMPOSITION_FILE),
        intensity=_load_intensity(source_dir / INTENSITY_FILE),
        mechanisms=_load_mechanisms(source_dir / MECHANISMS_FILE),
        source_dir=source_dir,
        residues=_load_residues(source_dir / CASCADE_FILE),
        receiver_filters=_load_receiver_filters(source_dir / RECEIVER_FILTERS_FILE),
        barred_pathways=_load_barred(source_dir / BARRED_FILE),
    )


def context_for(kb: Any) -> DutchContext:
    """The context of a knowledge base: one it carries (`dutch_context`), else the files beside
    it, else the shipped ones (a stand-in KB of a test gets the project's hierarchy, receivers
    and mechanisms; its own materials are unrestricted because the shipped origins do not list
    them)."""
    own = getattr(kb, "dutch_context", None)
    if isinstance(own, DutchContext):
        return own
    source = getattr(kb, "source_dir", None)
    if source is not None and (Path(source) / HIERARCHY_FILE).is_file():
        return load_dutch_context(Path(source))
    return load_dutch_context(None)


def check_against(
    context: DutchContext, material_ids: Iterable[str], pathway_ids: Iterable[str]
) -> None:
    """Cross-file checks: every material has an origin row, every origin and composition names a
    known material, every mechanism's pathway exists."""
    materials, pathways = set(material_ids), set(pathway_ids)
    missing = sorted(materials - set(context.origins))
    if missing:
        raise KnowledgeBaseError(
            f"{ORIGINS_FILE}: no row for material {missing[0]!r} ({len(missing)} missing)"
        )
    extra = sorted(set(context.origins) - materials)
    if extra:
        raise KnowledgeBaseError(f"{ORIGINS_FILE}: unknown material {extra[0]!r}")
    for (code, nace), rows in context.compositions.items():
        for material_id, _, _ in rows:
            if material_id not in materials:
                raise KnowledgeBaseError(
                    f"{COMPOSITION_FILE}: EURAL {code} class {nace}: unknown material "
                    f"{material_id!r}"
                )
    for (material_id, _), (residue, _, _) in context.residues.items():
        for name in (material_id, residue):
            if name not in materials:
                raise KnowledgeBaseError(f"{CASCADE_FILE}: unknown material {name!r}")
    for pathway_id in context.barred_pathways:
        if pathway_id not in pathways:
            raise KnowledgeBaseError(f"{BARRED_FILE}: unknown pathway {pathway_id!r}")
    for pathway_id in context.hierarchy.pathway_rungs:
        if pathway_id not in pathways:
            raise KnowledgeBaseError(
                f"{HIERARCHY_FILE}: pathway_rungs: unknown pathway {pathway_id!r}"
            )
    for pathway_id in context.receiver_filters:
        if pathway_id not in pathways:
            raise KnowledgeBaseError(f"{RECEIVER_FILTERS_FILE}: unknown pathway {pathway_id!r}")
    for mechanism in context.mechanisms:
        for pathway_id in mechanism.pathways:
            if pathway_id not in pathways:
                raise KnowledgeBaseError(
                    f"{MECHANISMS_FILE}: {mechanism.mechanism_id}: unknown pathway {pathway_id!r}"
                )
