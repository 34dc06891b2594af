"""The pipeline, once, as plain functions: staged tables -> validated tables -> graph frames ->
region result -> exports.

Every door calls these and none chains the steps itself: the Dagster assets (which add
metadata, checks, partitions and scheduling), `regionomie opportunities` and
`regionomie graph bulk-load`. So the same staged tables and the same FlowConfig give the same
graph and byte-identical exports whichever door was used. No Dagster and no driver here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from regionomie.domain import reference
from regionomie.domain.opportunities import OpportunityResult, ScoringConfig, run_opportunities
from regionomie.domain.opportunities.config import load_scoring_config
from regionomie.domain.regions import Region, get_region, surrounding_municipalities
from regionomie.domain.sources import SOURCE_TABLES, SYNTHETIC_NOTICE, synthetic_files
from regionomie.exports.writers import TOP_PER_CASE, TOP_PER_MUNICIPALITY
from regionomie.graph.frames import GraphFrames
from regionomie.graph.knowledge_frames import SOURCE as KNOWLEDGE_SOURCE
from regionomie.i18n import DEFAULT_LANGUAGE
from regionomie.memory import give_back_free_memory
from regionomie.paths import SCORING_FILE, exports_dir

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PARTY_LINKS = "waste_party_links"
Tables = Mapping[str, pd.DataFrame]
Progress = Callable[[str, int, int], None]


class FlowError(ValueError):
    """A step cannot go on (e.g. a dataset-level rule failed); the message is one line."""


def today() -> dt.date:
    """The export date when none is given: the calendar day in the Netherlands."""
    return dt.datetime.now(AMSTERDAM).date()


def export_date(value: str | dt.date | None) -> dt.date:
    if value is None or value == "":
        return today()
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


@dataclass(frozen=True)
class FlowConfig:
    """Everything that changes the result besides the data: scoring weights and bounds, the
    exports root, how much of the ranking the reader files carry and their language."""

    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    exports_root: Path | None = None  # None: regionomie.paths.exports_dir() when writing
    top_per_case: int = TOP_PER_CASE
    top_per_municipality: int = TOP_PER_MUNICIPALITY
    lang: str = DEFAULT_LANGUAGE  # the readers' language: "nl" (Dutch regions) or "en"
    anonymity_k: int | None = None  # None: REGIONOMIE_ANONYMITY_K (default 5)

    @classmethod
    def load(cls, scoring_file: Path | None = SCORING_FILE, **overrides: Any) -> FlowConfig:
        """The project's configuration: data/scoring.yaml when present, defaults otherwise."""
        return cls(scoring=load_scoring_config(scoring_file), **overrides)


# --- tables ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedTable:
    """One table after its Great Expectations suite: valid rows, what was quarantined and why,
    and the dataset-level failures that block everything downstream."""

    outcome: Any  # regionomie.quality.validate.ValidationOutcome
    quarantine_paths: dict[str, Path]

    @property
    def valid(self) -> pd.DataFrame:
        return self.outcome.valid

    @property
    def failures(self) -> list[str]:
        """Dataset-level failures as "rule: message" lines."""
        return [
            ": ".join(map(str, failure)) if isinstance(failure, tuple) else str(failure)
            for failure in self.outcome.dataset_failures
        ]

    def summary(self, table: str) -> str:
        """The console line of this table: rows in, valid, quarantined."""
        rows_in, valid = self.outcome.rows_in, len(self.valid)
        return f"{table}: {rows_in} in, {valid} valid, {rows_in - valid} quarantined"


def check_table(
    table: str,
    frame: pd.DataFrame,
    related: Mapping[str, pd.DataFrame] | None = None,
    previous_row_count: int | None = None,
    run_id: str | None = None,
    build_docs: bool = True,
    source_absent: bool = False,
) -> CheckedTable:
    """Validate one table and quarantine its failing rows; rows in = valid + quarantined, or
    this raises. source_absent: nothing was landed for this optional table (open-data mode),
    so an empty table passes as absent."""
    from regionomie.quality.context import reference_context
    from regionomie.quality.validate import validate_table, write_quarantine

    context = reference_context(
        related=dict(related or {}),
        previous_row_count=previous_row_count,
        source_absent=source_absent,
    )
    options: dict[str, Any] = {"context": context, "build_docs": build_docs}
    if run_id is not None:
        options["run_id"] = run_id
    outcome = validate_table(table, frame, **options)
    valid, quarantined = len(outcome.valid), len(outcome.quarantined)
    if outcome.rows_in != valid + quarantined:  # the product's core invariant
        raise FlowError(
            f"{table}: rows in {outcome.rows_in} != valid {valid} + quarantined {quarantined}"
        )
    return CheckedTable(outcome, write_quarantine(outcome))


def source_absent(table: str, frame: pd.DataFrame, staged_root: Path | None = None) -> bool:
    """An optional table (OPTIONAL_TABLES) that is empty because nothing was ever landed for
    it: open-data mode goes on without it. A landed file that parsed to no rows is not absent
    (that load fails `not_empty`). The waste-party links are absent with either input."""
    from regionomie.domain.sources import OPTIONAL_TABLES
    from regionomie.domain.staging import staged_files

    if table not in OPTIONAL_TABLES or len(frame):
        return False
    if table == PARTY_LINKS:
        return True  # derived: empty only when waste records or establishments are
    return not staged_files(table, staged_root)


def open_data_mode(tables: Tables) -> bool:
    """No establishment list (no KvK register landed): what the run can say comes from open
    sources only — challenges, sector density, sector-level estimates."""
    establishments = tables.get("establishments")
    return establishments is None or len(establishments) == 0


def party_links(waste_records: pd.DataFrame, establishments: pd.DataFrame) -> pd.DataFrame:
    """Every waste party linked to an establishment (address, then name) or kept unmatched,
    carrying the provenance of its inputs (deterministic: no wall clock)."""
    from regionomie.domain.matching import link_waste_parties

    links = link_waste_parties(waste_records, establishments)
    hashes = sorted(
        set(waste_records.get("content_hash", pd.Series(dtype=str)).dropna())
        | set(establishments.get("content_hash", pd.Series(dtype=str)).dropna())
    )
    digest = hashlib.sha256("\n".join(hashes).encode()).hexdigest()
    newest = waste_records.get("retrieved_at", pd.Series(dtype=str)).dropna()
    stamp = str(newest.max()) if len(newest) else None
    return links.assign(
        source="waste-party-matching",
        source_file="waste_records+establishments",
        source_row=range(1, len(links) + 1),
        content_hash=digest,
        retrieved_at=stamp,
        ingested_at=stamp,
    )


def current_tables(
    staged: Callable[[str], pd.DataFrame] | None = None,
    report: Callable[[str, CheckedTable], None] | None = None,
) -> dict[str, pd.DataFrame]:
    """Every table as the table assets produce it: the staged union of everything landed,
    validated by its suite, plus the validated waste-party links. A dataset-level failure
    stops here (FlowError), as the blocking checks stop the Dagster run."""
    if staged is None:
        from regionomie.domain.staging import read_staged as staged
    tables: dict[str, pd.DataFrame] = {}

    def keep(table: str, frame: pd.DataFrame, **related: pd.DataFrame) -> None:
        checked = check_table(
            table, frame, related=related, source_absent=source_absent(table, frame)
        )
        if report is not None:
            report(table, checked)
        if checked.failures:
            raise FlowError(f"{table}: blocking rule failed: {checked.failures[0]}")
        tables[table] = checked.valid

    for table in reference.REFERENCE_LISTS:
        keep(table, reference.load_list(table))
    for table in (t for family in SOURCE_TABLES.values() for t in family):
        keep(table, staged(table))
    keep(
        PARTY_LINKS,
        party_links(tables["waste_records"], tables["establishments"]),
        establishments=tables["establishments"],
        waste_records=tables["waste_records"],
    )
    return tables


def municipalities_or_reference(tables: Tables) -> pd.DataFrame:
    """The municipalities table when one was landed, else the shipped reference list."""
    frame = tables.get("municipalities")
    return frame if frame is not None and len(frame) else reference.load_municipalities()


# --- graph frames, one function per family ------------------------------------------------


def reference_frames(tables: Tables) -> GraphFrames:
    from regionomie.graph import frames as gf

    return gf.merge_frames(
        gf.municipality_frames(municipalities_or_reference(tables)),
        gf.material_frames(tables["eural"]),
        gf.sector_frames(tables["sbi2008"], tables["sbi2025"]),
    )


def knowledge_base_frames(_: Tables) -> GraphFrames:
    from regionomie.domain.knowledge import load_knowledge_base
    from regionomie.graph.knowledge_frames import knowledge_frames

    kb = load_knowledge_base()
    return knowledge_frames(kb.materials, kb.pathways, kb.yields)


def graph_shield(tables: Tables) -> Any:
    """Who is personal in the graph (SoleProprietorShield over the establishments and
    organisations tables, with the pseudonym key and never an export salt)."""
    from regionomie.graph.personal import graph_shield as build
    from regionomie.settings import pseudonym_key

    if "establishments" not in tables:  # fail closed: without it nobody could be shielded
        raise FlowError("the graph needs the establishments table to know who is personal")
    return build(tables["establishments"], tables.get("organisations"), pseudonym_key())


def establishment_frames(tables: Tables) -> GraphFrames:
    """Organisations and establishments, sole proprietors minimised (graph/personal.py)."""
    from regionomie.graph import frames as gf
    from regionomie.graph.personal import minimise_frames

    frames = gf.merge_frames(
        gf.organisation_frames(tables["organisations"]),
        gf.establishment_frames(tables["establishments"]),
    )
    return minimise_frames(frames, graph_shield(tables))


def waste_frames(tables: Tables) -> GraphFrames:
    """PRODUCES and SENDS; a sole proprietor's end is its pseudonym."""
    from regionomie.graph import frames as gf
    from regionomie.graph.personal import minimise_frames

    records, links = tables["waste_records"], tables[PARTY_LINKS]
    frames = gf.merge_frames(gf.production_frame(records, links), gf.flow_frame(records, links))
    return minimise_frames(frames, graph_shield(tables))


def challenge_frames(tables: Tables) -> GraphFrames:
    from regionomie.domain.challenges import derive_challenges
    from regionomie.graph import frames as gf

    return gf.challenge_frames(derive_challenges(tables["municipal_indicators"], None))


@dataclass(frozen=True)
class GraphFamily:
    """One family of graph nodes and relationships, loaded as one unit (one LoadRun)."""

    name: str
    source: str  # the LoadRun's source
    frames: Callable[[Tables], GraphFrames]
    register: str | None = None  # the table that is the whole register of this family
    always_whole: bool = False  # the family is rebuilt from a file that is always complete

    def full_snapshot(self, tables: Tables) -> bool:
        """Whether what this load lacks is closed: only for a whole register, never on an
        empty table (an empty landing must not close every establishment)."""
        if self.always_whole:
            return True
        return self.register is not None and len(tables.get(self.register, ())) > 0


GRAPH_FAMILIES: tuple[GraphFamily, ...] = (
    GraphFamily("reference", "reference", reference_frames),
    GraphFamily("knowledge_base", KNOWLEDGE_SOURCE, knowledge_base_frames, always_whole=True),
    GraphFamily("establishments", "kvk", establishment_frames, register="establishments"),
    GraphFamily("waste", "lma", waste_frames, register="waste_records"),
    GraphFamily("challenges", "cbs", challenge_frames),
)


def graph_family(name: str) -> GraphFamily:
    return next(f for f in GRAPH_FAMILIES if f.name == name)


def all_graph_frames(tables: Tables, families: tuple[str, ...] | None = None) -> GraphFrames:
    """The frames of every family (or the named ones), merged: what a bulk load imports."""
    from regionomie.graph.frames import merge_frames

    wanted = families or tuple(f.name for f in GRAPH_FAMILIES)
    return merge_frames(*(f.frames(tables) for f in GRAPH_FAMILIES if f.name in wanted))


# --- one region ---------------------------------------------------------------------------


def region_municipalities(tables: Tables, region: Region) -> pd.DataFrame:
    municipalities = municipalities_or_reference(tables)
    return municipalities[municipalities["municipality_code"].isin(region.municipality_codes)]


def compute_region(
    region: Region,
    tables: Tables,
    kb: Any,
    config: FlowConfig,
    progress: Progress | None = None,
) -> OpportunityResult:
    """Ranked, explained candidates, cases, cascades and coalitions for one region (a region
    without establishments gets empty files that say so: the weekly schedule runs every
    region; `regionomie run` refuses such a region before any work). Residual streams cross
    the border: receivers and social providers are sought in the region and in the
    municipalities within transport reach of it (the same rows a region step's IO manager
    reads), producers only in the region; receivers outside it are flagged with their region."""
    municipalities = municipalities_or_reference(tables)
    around = surrounding_municipalities(region, municipalities)
    establishments = tables["establishments"]
    if "municipality_code" in establishments:
        establishments = establishments[establishments["municipality_code"].isin(around)]
    result = run_opportunities(
        establishments=establishments,
        kb=kb,
        waste_records=tables.get("waste_records"),
        waste_party_links=tables.get(PARTY_LINKS),
        municipal_indicators=tables.get("municipal_indicators"),
        municipalities=municipalities,
        region_codes=region.municipality_codes,
        config=config.scoring,
        progress=progress,
    )
    if open_data_mode(tables):  # no establishment list: the social cases open data supports
        from regionomie.domain.open_data import open_data_social

        result = open_data_social(
            result,
            tables.get("sector_density"),
            municipalities,
            region.municipality_codes,
            kb,
            config.scoring,
        )
    result = across_the_border(result, region)
    give_back_free_memory()  # the engine's intermediates, before the result is stored
    return result


def across_the_border(result: OpportunityResult, region: Region) -> OpportunityResult:
    """Flag candidates whose receiver lies outside the region (`receiver_outside_region`,
    and `receiver_region`: the COROP area it lies in), and say in the report how much of
    the region's supply goes to receivers outside it (by each stream's best candidate)."""
    from regionomie.domain.regions import load_standard_regions, regions_of_kind

    cand = result.candidates
    inside = set(region.municipality_codes)
    area_of = {
        code: r.label
        for r in regions_of_kind(load_standard_regions(), "corop")
        for code in r.municipality_codes
    }
    receiver_municipality = cand["receiver_municipality"].astype(object)
    outside = receiver_municipality.notna() & ~receiver_municipality.isin(inside)
    cand["receiver_outside_region"] = outside.to_numpy(dtype=bool)
    cand["receiver_region"] = [
        area_of.get(str(code), "") if out else region.label
        for code, out in zip(receiver_municipality, outside, strict=True)
    ]
    share = supply_leaving(cand)
    if share is not None:
        tonnes_out, tonnes_all = share
        result.notes.append(
            f"Over de grens: {round(100 * tonnes_out / tonnes_all)}% van het aanbod van de "
            f"regio ({_thousands(tonnes_out)} van {_thousands(tonnes_all)} ton per jaar, naar "
            "de beste kandidaat per stroom) gaat naar ontvangers buiten de regio."
        )
    return result


def _thousands(value: float) -> str:
    """12.345 (Dutch thousands separator)."""
    return f"{value:,.0f}".replace(",", ".")


def supply_leaving(cand: pd.DataFrame) -> tuple[float, float] | None:
    """(tonnes whose best candidate's receiver is outside the region, all tonnes placed),
    over producer x material; None when nothing is placed."""
    if cand.empty or "receiver_outside_region" not in cand:
        return None
    best = cand.sort_values(["score", "candidate_id"], ascending=[False, True], kind="stable")
    best = best.drop_duplicates(["producer_id", "material_id"])
    tonnes = pd.to_numeric(best["supply_tonnes"], errors="coerce").fillna(0.0)
    total = float(tonnes.sum())
    if total <= 0:
        return None
    return float(tonnes[best["receiver_outside_region"].to_numpy(dtype=bool)].sum()), total


def write_region_exports(
    region: Region,
    result: OpportunityResult,
    tables: Tables,
    date: dt.date,
    config: FlowConfig,
) -> dict[str, Path]:
    """exports/<region>/<date>/ published atomically; returns {kind: path}."""
    from regionomie.exports.writers import write_exports

    give_back_free_memory()
    extras = open_data_extras(region, tables)[0] if open_data_mode(tables) else ()
    return write_exports(
        region=region.name,
        candidates=result.candidates,
        business_cases=result.cases,
        cards=result.cards,
        challenges=result.challenges,
        establishments=tables["establishments"],
        out_root=config.exports_root or exports_dir(),
        date=date,
        cascades=result.cascades,
        coalitions=result.coalitions,
        municipalities=region_municipalities(tables, region),
        region_label=region.label,
        top_per_case=config.top_per_case,
        top_per_municipality=config.top_per_municipality,
        lang=config.lang,
        extras=extras,
        anonymity_k=config.anonymity_k,
        notices=[SYNTHETIC_NOTICE] if synthetic_files(tables) else [],
        notes=list(result.notes),
    )


OPEN_DATA_SHEETS: dict[str, str] = {  # export kind -> workbook sheet (max 31 characters)
    "open_data_sector_density": "Open data - sectoren",
    "open_data_estimated_supply": "Open data - geschat aanbod",
}


def open_data_extras(
    region: Region, tables: Tables
) -> tuple[list[tuple[str, str, pd.DataFrame]], list[str]]:
    """Open-data mode's own exports for a region: sector density per postcode region and
    sector-level estimated supply (regionomie.domain.open_data), as (kind, sheet, frame),
    and the notes that say what they are."""
    from regionomie.domain.knowledge import load_knowledge_base
    from regionomie.domain.open_data import open_data_frames

    kb = load_knowledge_base()
    names = dict(zip(kb.materials["material_id"], kb.materials["name_nl"], strict=False))
    frames, notes = open_data_frames(
        tables.get("sector_density"), region.municipality_codes, kb.yields, names
    )
    extras = [
        ("open_data_sector_density", OPEN_DATA_SHEETS["open_data_sector_density"],
         frames["sector_density"]),
        ("open_data_estimated_supply", OPEN_DATA_SHEETS["open_data_estimated_supply"],
         frames["estimated_supply"]),
    ]  # fmt: skip
    return extras, notes


@dataclass
class RegionRun:
    region: str
    date: dt.date
    paths: dict[str, Path]
    result: OpportunityResult = field(repr=False)


def run_region(
    region: Region | str,
    tables: Tables,
    kb: Any,
    date: str | dt.date | None = None,
    config: FlowConfig | None = None,
    progress: Progress | None = None,
) -> RegionRun:
    """compute_region then write_region_exports: the whole region step of the pipeline."""
    if isinstance(region, str):
        region = get_region(region)
    config = config or FlowConfig.load()
    day = export_date(date)
    result = compute_region(region, tables, kb, config, progress)
    return RegionRun(
        region.name, day, write_region_exports(region, result, tables, day, config), result
    )
