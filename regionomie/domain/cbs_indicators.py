"""CBS StatLine measures -> stable indicator names, resolved per table (= per year).

Why: CBS keys carry a numeric suffix that changes every year, and one table may hold the same
base name more than once: 85984NED has `Nederland_17` and `Nederland_20` (numbers and
percentages), 83558NED has "Totaal huishoudelijk afval" under Totaal, Haalmethode and
Brengmethode, in 1 000 ton and in kg per inhabitant. Mapping by base name alone puts two
values under one indicator (and trips the uniqueness rule) or silently takes the wrong one.
And a field can vanish: the 2024 Kerncijfers have no `PercentageOnbewoond`, only
`OnbewoondeWoningen_46`.

So every measure is resolved with its base name (v3) or title (v4) AND its unit kind and its
parent group, per table:

* a measure matching one IndicatorSpec (base/title + accepted unit kinds) gets the spec's
  stable name; when several match the same spec, the one directly under a "Totaal" group (or
  closest to the root) wins and the others are named by their own key;
* every other measure is named after its base name (or title) and, when that name repeats,
  qualified by unit kind, then by parent group titles, then by its key number, so two
  measures never share a name;
* DERIVED_SHARES fill indicators a year lacks from counts (vacancy share from vacant and total
  dwellings) and the ageing share, row by row.

CHALLENGE_SOURCES says which societal challenges a table family must deliver; the quality
suite fails the dataset when one of them resolves to nothing (unresolved_challenges).
Pure functions: no dagster, no neo4j, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

# Kerncijfers wijken en buurten: one table per year (no Perioden dimension inside).
KERNCIJFERS_YEAR: dict[str, str] = {
    "84583NED": "2019",
    "84799NED": "2020",
    "85039NED": "2021",
    "85318NED": "2022",
    "85618NED": "2023",
    "85984NED": "2024",
    "86165NED": "2025",
}
# StatLine tables with household waste per municipality (RegioS with GM codes).
HOUSEHOLD_WASTE_TABLES: frozenset[str] = frozenset({"83452NED"})
# Tables whose region dimension holds no municipalities (national, landsdelen, provinces,
# size classes): never a source of municipal indicators.
NON_MUNICIPAL_TABLES: dict[str, str] = {
    "83558NED": "Regiokenmerken (Nederland, landsdelen, provinces, size classes)",
}


def unit_kind(unit: str) -> str:
    """A CBS unit string -> a small vocabulary: count, pct, kg_per_inhabitant, kt, eur,
    density, area, other ('' when no unit)."""
    u = " ".join(str(unit or "").lower().split())
    if not u:
        return ""
    if u in ("%", "procent", "percentage") or u.endswith("%") or u.startswith("% "):
        return "pct"
    if "kg" in u and "per inwoner" in u:
        return "kg_per_inhabitant"
    if re.search(r"1\s?000\s?ton|kton", u):
        return "kt"
    if "euro" in u:
        return "eur"
    if "per km" in u:
        return "density"
    if u in ("ha", "hectare", "km2", "km²"):
        return "area"
    if u in ("aantal", "number", "personen", "absoluut"):
        return "count"
    return "other"


def snake(text: str) -> str:
    """'PersonenPerSoortUitkeringWW' -> 'personen_per_soort_uitkering_ww'; titles too."""
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(text))
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")


@dataclass(frozen=True)
class Measure:
    """One numeric measure of one table, as its metadata describes it."""

    key: str  # v3 key ('Nederland_17') or v4 measure identifier ('M000352')
    title: str = ""
    unit: str = ""
    datatype: str = ""
    parents: tuple[str, ...] = ()  # titles of the groups above it, nearest first
    by_title: bool = False  # v4: the identifier is opaque, the title names the measure

    @property
    def base(self) -> str:
        """The key without its yearly suffix ('Nederland_17' -> 'Nederland')."""
        return self.key if self.by_title else re.sub(r"_\d+$", "", self.key)

    @property
    def kind(self) -> str:
        return unit_kind(self.unit)


@dataclass(frozen=True)
class IndicatorSpec:
    """A stable indicator: which base names (v3) or titles (v4, lower case) it is, and in
    which unit kinds (empty = any unit; set where the same name exists in several units)."""

    name: str
    bases: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    units: tuple[str, ...] = ()

    def matches(self, m: Measure) -> bool:
        if self.units and m.kind not in self.units:
            return False
        if not m.by_title:
            return m.base in self.bases
        title = " ".join(m.title.lower().split())
        # whole words only: 'ao' is in "Personen per soort uitkering; AO", not in "...; AOW"
        return any(re.search(rf"(?<![\w-]){re.escape(t)}(?![\w-])", title) for t in self.titles)


# Municipal waste measures: base name / category title -> stem; the unit kind makes the name.
WASTE_STEMS: dict[str, str] = {
    "TotaalGemeentelijkAfval": "municipal_waste",
    "TotaalHuishoudelijkAfval": "household_waste",
    "HuishoudelijkRestafval": "household_residual_waste",
    "GrofHuishoudelijkRestafval": "bulky_residual_waste",
    "GFTAfval": "organic_waste",
    "GftAfval": "organic_waste",
    "OudPapierEnKarton": "paper_cardboard_waste",
    "Verpakkingsglas": "glass_packaging_waste",
    "Textiel": "textile_waste",
    "KunststofVerpakkingen": "plastic_packaging_waste",
}
WASTE_CATEGORY_STEMS: dict[str, str] = {  # 83452NED Afvalsoort titles, lower case
    "totaal huishoudelijk afval": "household_waste",
    "huishoudelijk restafval": "household_residual_waste",
    "grof huishoudelijk restafval": "bulky_residual_waste",
    "gft-afval": "organic_waste",
    "oud papier en karton": "paper_cardboard_waste",
    "verpakkingsglas": "glass_packaging_waste",
    "textiel": "textile_waste",
    "kunststof verpakkingen": "plastic_packaging_waste",
    "pmd-fractie": "pmd_waste",
    "frituurvet en -olie": "frying_oil_waste",
    "grof tuinafval": "bulky_garden_waste",
}
WASTE_UNIT_SUFFIX: dict[str, str] = {"kt": "_kt", "kg_per_inhabitant": "_kg_per_inhabitant"}


def _waste_specs() -> list[IndicatorSpec]:
    specs = []
    for base, stem in WASTE_STEMS.items():
        title = next((t for t, s in WASTE_CATEGORY_STEMS.items() if s == stem), "")
        for kind, suffix in WASTE_UNIT_SUFFIX.items():
            specs.append(IndicatorSpec(stem + suffix, (base,), (title,) if title else (), (kind,)))
    return specs


SPECS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec("inhabitants", ("AantalInwoners",), ("aantal inwoners",)),
    IndicatorSpec("men", ("Mannen",)),
    IndicatorSpec("women", ("Vrouwen",)),
    IndicatorSpec("age_0_15", ("k_0Tot15Jaar",)),
    IndicatorSpec("age_15_25", ("k_15Tot25Jaar",)),
    IndicatorSpec("age_25_45", ("k_25Tot45Jaar",)),
    IndicatorSpec("age_45_65", ("k_45Tot65Jaar",)),
    IndicatorSpec("age_65_plus", ("k_65JaarOfOuder",), ("65 jaar of ouder",)),
    IndicatorSpec("households", ("HuishoudensTotaal",), ("huishoudens totaal",)),
    IndicatorSpec(
        "single_person_households", ("Eenpersoonshuishoudens",), ("eenpersoonshuishoudens",)
    ),
    IndicatorSpec("avg_household_size", ("GemiddeldeHuishoudensgrootte",)),
    IndicatorSpec("population_density", ("Bevolkingsdichtheid",)),
    IndicatorSpec("dwellings", ("Woningvoorraad",), ("woningvoorraad",), ("count", "")),
    IndicatorSpec(
        "avg_woz_value",
        ("GemiddeldeWOZWaardeVanWoningen",),
        ("gemiddelde woz-waarde van woningen",),
    ),
    # vacancy: a percentage up to 2023 (PercentageOnbewoond), OnbewoondeWoningen from 2024;
    # the unit decides whether it is the share itself or a count to derive the share from
    IndicatorSpec(
        "vacancy_share",
        ("PercentageOnbewoond", "OnbewoondeWoningen"),
        ("percentage onbewoond", "onbewoonde woningen"),
        ("pct",),
    ),
    IndicatorSpec(
        "vacant_dwellings",
        ("OnbewoondeWoningen", "AantalOnbewoondeWoningen"),
        ("onbewoonde woningen",),
        ("count", ""),
    ),
    IndicatorSpec(
        "avg_income_per_inhabitant",
        ("GemiddeldInkomenPerInwoner",),
        ("gemiddeld inkomen per inwoner",),
    ),
    IndicatorSpec("avg_income_per_recipient", ("GemiddeldInkomenPerInkomensontvanger",)),
    IndicatorSpec("bijstand_benefits", ("PersonenPerSoortUitkeringBijstand",), ("bijstand",)),
    IndicatorSpec("ao_benefits", ("PersonenPerSoortUitkeringAO",), ("ao",)),
    IndicatorSpec("ww_benefits", ("PersonenPerSoortUitkeringWW",), ("ww",)),
    IndicatorSpec("aow_benefits", ("PersonenPerSoortUitkeringAOW",), ("aow",)),
    IndicatorSpec(
        "business_establishments",
        ("BedrijfsvestigingenTotaal",),
        ("bedrijfsvestigingen totaal",),
    ),
    IndicatorSpec("area_ha", ("OppervlakteTotaal",)),
    IndicatorSpec("land_area_ha", ("OppervlakteLand",)),
    IndicatorSpec("address_density", ("Omgevingsadressendichtheid",)),
    *_waste_specs(),
)
_SPEC_BY_NAME = {s.name: s for s in SPECS}


@dataclass(frozen=True)
class DerivedShare:
    """name = scale * numerator / denominator, per region and period, when the table does
    not give `name` itself for that region and period."""

    name: str
    numerator: str
    denominator: str
    unit: str = "%"
    scale: float = 100.0


DERIVED_SHARES: tuple[DerivedShare, ...] = (
    DerivedShare("age_65_plus_share", "age_65_plus", "inhabitants"),
    DerivedShare("vacancy_share", "vacant_dwellings", "dwellings"),
)


@dataclass
class Resolution:
    """key -> indicator name for every measure of a table, plus one-line notes (which keys
    fed which stable name when that was not obvious, and what had to be qualified)."""

    names: dict[str, str]
    notes: list[str] = field(default_factory=list)


def _rank(m: Measure) -> tuple[int, int]:
    """Among measures matching one spec: directly under a 'Totaal' group first, then the
    one closest to the root."""
    nearest = m.parents[0].strip().lower() if m.parents else ""
    return (0 if nearest in ("", "totaal") else 1, len(m.parents))


def _qualifiers(m: Measure) -> list[str]:
    """Name parts that tell measures of one base apart, in the order they are tried."""
    quals = [m.kind or "no_unit"]
    quals += [snake(p) for p in m.parents if snake(p)]
    number = None if m.by_title else re.search(r"_(\d+)$", m.key)
    quals.append(f"k{number.group(1)}" if number else snake(m.key))
    return quals


def resolve_measures(measures: Sequence[Measure], table: str = "") -> Resolution:
    """Stable, unique indicator names for the measures of one table (see module doc)."""
    notes: list[str] = []
    names: dict[str, str] = {}
    by_spec: dict[str, list[Measure]] = {}
    for m in measures:
        spec = next((s for s in SPECS if s.matches(m)), None)
        if spec is not None:
            by_spec.setdefault(spec.name, []).append(m)
    for spec_name, group in by_spec.items():
        ranked = sorted(group, key=_rank)
        if len(ranked) > 1 and _rank(ranked[0]) == _rank(ranked[1]):
            keys = ", ".join(m.key for m in ranked)
            notes.append(
                f"{table}: {spec_name} is ambiguous ({keys}, same unit and level); "
                "each kept under its own name"
            )
            continue
        names[ranked[0].key] = spec_name
        if len(ranked) > 1:
            others = ", ".join(m.key for m in ranked[1:])
            notes.append(
                f"{table}: {spec_name} = {ranked[0].key} (under "
                f"{ranked[0].parents[0] if ranked[0].parents else 'the table root'}); "
                f"{others} kept under their own names"
            )
    reserved = set(names.values())
    rest = [m for m in measures if m.key not in names]
    plain: dict[str, list[Measure]] = {}
    for m in rest:
        stem = (snake(m.title) if m.by_title else snake(m.base)) or snake(m.key)
        plain.setdefault(stem, []).append(m)
    for stem, group in plain.items():
        if len(group) == 1 and stem not in reserved:
            names[group[0].key] = stem
            reserved.add(stem)
            continue
        quals = {m.key: _qualifiers(m) for m in group}
        depth = 1
        while True:
            candidate = {m.key: "__".join([stem, *quals[m.key][:depth]]) for m in group}
            values = list(candidate.values())
            if len(set(values)) == len(values) and not (set(values) & reserved):
                break
            if depth >= max(len(q) for q in quals.values()):
                # the key number is last in every list and keys are unique
                candidate = {m.key: f"{stem}__{snake(m.key)}" for m in group}
                break
            depth += 1
        names.update(candidate)
        reserved |= set(candidate.values())
        notes.append(
            f"{table}: {len(group)} measures share the name {stem!r}: "
            + ", ".join(f"{k} -> {v}" for k, v in candidate.items())
        )
    return Resolution(names=names, notes=notes)


def category_indicator(measure_name: str, measure: Measure, categories: Sequence[str]) -> str:
    """Indicator name for a measure split by category dimensions (83452NED: Afvalsoort).
    Household-waste categories get the waste names ('household_waste_kg_per_inhabitant');
    others '<measure>__<category>'."""
    suffix = WASTE_UNIT_SUFFIX.get(measure.kind)
    if len(categories) == 1 and suffix:
        stem = WASTE_CATEGORY_STEMS.get(" ".join(categories[0].lower().split()))
        if stem:
            return stem + suffix
    return "__".join([measure_name, *(snake(c) for c in categories if snake(c))])


def add_derived_shares(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Rows of DERIVED_SHARES for every (region_code, period) that has numerator and a
    positive denominator but not the share itself. `frame` has the MUNICIPAL_INDICATORS
    columns plus `_line`; new rows copy the numerator row's region fields and line.
    Returns (new rows, notes)."""
    if frame.empty:
        return frame.iloc[0:0], []
    notes: list[str] = []
    new: list[pd.DataFrame] = []
    keys = ["region_code", "period"]
    present = frame[["region_code", "period", "indicator"]].drop_duplicates()
    for share in DERIVED_SHARES:
        num = frame[frame["indicator"] == share.numerator]
        den = frame[frame["indicator"] == share.denominator][[*keys, "value"]]
        if num.empty or den.empty:
            continue
        pair = num.merge(den, on=keys, suffixes=("", "_den"))
        pair = pair[pair["value"].notna() & (pair["value_den"] > 0)]
        have = present[present["indicator"] == share.name][keys]
        if not have.empty:
            pair = pair.merge(have, on=keys, how="left", indicator=True)
            pair = pair[pair["_merge"] == "left_only"].drop(columns="_merge")
        if pair.empty:
            continue
        rows = pair.drop(columns="value_den").assign(
            indicator=share.name,
            value=share.scale * pair["value"] / pair["value_den"],
            unit=share.unit,
        )
        new.append(rows[frame.columns])
        if share.name in _SPEC_BY_NAME:  # a table year lacking the indicator itself
            tables = ", ".join(sorted(set(rows["source_table"].astype(str))))
            notes.append(
                f"{share.name} derived from {share.numerator} / {share.denominator} "
                f"for {len(rows)} regions ({tables} has no {share.name} of its own)"
            )
    if not new:
        return frame.iloc[0:0], notes
    return pd.concat(new, ignore_index=True), notes


# ------------------------------------------------------------------ challenges per source
# Which challenges (regionomie.domain.challenges ids) a table family must deliver. Not
# listed: low_income (no Kerncijfers field since 2022 measures it; the share of households
# in the lowest 40% income is a different quantity).
CHALLENGE_SOURCES: dict[str, tuple[str, ...]] = {
    "kerncijfers": (
        "unemployment",
        "social_assistance",
        "disability_benefits",
        "ageing",
        "loneliness",
        "low_average_income",
        "vacancy",
    ),
    "household_waste": ("household_waste",),
}


def table_family(table: str) -> str | None:
    t = str(table or "").strip().upper()
    if t in KERNCIJFERS_YEAR:
        return "kerncijfers"
    if t in HOUSEHOLD_WASTE_TABLES:
        return "household_waste"
    return None


def resolved_challenges(indicators: Iterable[str]) -> set[str]:
    """Challenge ids that can be computed from these indicator names (some rule has its
    numerator and, if any, its denominator)."""
    from regionomie.domain.challenges import CHALLENGES

    have = set(indicators)
    out: set[str] = set()
    for definition in CHALLENGES:
        for rule in definition.rules:
            if not have & set(rule.numerator):
                continue
            if rule.denominator is not None and not have & set(rule.denominator):
                continue
            out.add(definition.challenge_id)
            break
    return out


# Families whose yearly tables are read together: each indicator comes from the most recent
# table that has a value for it. A new year's first release (86165NED, 2025) lacks income,
# benefits, care and business fields until CBS fills them in; the older table still gives
# those, and the gate judges the family, not each table on its own.
PER_INDICATOR_FAMILIES: frozenset[str] = frozenset({"kerncijfers"})


def _valued(frame: pd.DataFrame) -> pd.DataFrame:
    valued = pd.to_numeric(frame["value"], errors="coerce").notna()
    return frame.loc[valued, ["source_table", "period", "indicator"]].astype(str)


def indicator_sources(frame: pd.DataFrame, family: str = "kerncijfers") -> pd.DataFrame:
    """Per indicator of a table family: the most recent (period, source_table) holding a
    value for it — where each indicator of the run comes from. Columns indicator, period,
    source_table."""
    cols = ["indicator", "period", "source_table"]
    if frame.empty or not {"source_table", "period", "indicator", "value"} <= set(frame):
        return pd.DataFrame(columns=cols)
    rows = _valued(frame)
    rows = rows[rows["source_table"].map(table_family) == family]
    if rows.empty:
        return pd.DataFrame(columns=cols)
    latest = (
        rows.drop_duplicates()
        .sort_values(["indicator", "period", "source_table"])
        .groupby("indicator", sort=True)
        .tail(1)
    )
    return latest[cols].reset_index(drop=True)


def describe_indicator_sources(frame: pd.DataFrame, family: str = "kerncijfers") -> list[str]:
    """'86165NED (2025): inhabitants, households; 85984NED (2024): ww_benefits, ...': which
    table and year each indicator of a family comes from, newest table first."""
    sources = indicator_sources(frame, family)
    if sources.empty:
        return []
    out = []
    for (period, table), group in sorted(
        sources.groupby(["period", "source_table"]), key=lambda kv: kv[0], reverse=True
    ):
        out.append(f"{table} ({period}): {', '.join(sorted(group['indicator']))}")
    return out


def unresolved_challenges(frame: pd.DataFrame) -> dict[tuple[str, str], list[str]]:
    """(source_table, period) -> challenge ids its table family should deliver but that
    resolve to nothing (no non-null value). Kerncijfers are judged as one family: a
    challenge resolves when, per indicator, some Kerncijfers table has a value (the most
    recent one is used); when one does not, every table and year of the family is listed.
    Other families are judged per table and period."""
    if frame.empty or not {"source_table", "period", "indicator", "value"} <= set(frame):
        return {}
    out: dict[tuple[str, str], list[str]] = {}
    valued = _valued(frame)
    keys = frame[["source_table", "period"]].astype(str).drop_duplicates()
    families = keys["source_table"].map(table_family)
    for family in sorted(PER_INDICATOR_FAMILIES):
        mine = keys[families == family]
        if mine.empty:
            continue
        have = valued.loc[valued["source_table"].map(table_family) == family, "indicator"]
        ok = resolved_challenges(have.unique())
        missing = [c for c in CHALLENGE_SOURCES[family] if c not in ok]
        if missing:
            for table, period in mine.itertuples(index=False):
                out[(table, period)] = missing
    for (table, period), group in valued.groupby(["source_table", "period"], sort=True):
        family = table_family(str(table))
        if family is None or family in PER_INDICATOR_FAMILIES:
            continue
        ok = resolved_challenges(group["indicator"].unique())
        missing = [c for c in CHALLENGE_SOURCES[family] if c not in ok]
        if missing:
            out[(str(table), str(period))] = missing
    return out


def challenges_resolved_mask(frame: pd.DataFrame) -> pd.Series:
    """Per row: does the row's (source_table, period) deliver every challenge its table
    family must? (Rows of other tables: True.)"""
    bad = unresolved_challenges(frame)
    if not bad:
        return pd.Series(True, index=frame.index)
    pairs = list(zip(frame["source_table"].astype(str), frame["period"].astype(str), strict=True))
    return pd.Series([p not in bad for p in pairs], index=frame.index)


def describe_unresolved(frame: pd.DataFrame) -> str:
    """'Kerncijfers 85984NED 2024, 86165NED 2025: vacancy' / '83452NED 2023: household_waste'
    for the quality report; Kerncijfers name what no table of the family gives and advise
    landing an earlier year's table."""
    bad = unresolved_challenges(frame)
    kern = sorted((t, p) for (t, p) in bad if table_family(t) in PER_INDICATOR_FAMILIES)
    parts = []
    if kern:
        missing = bad[kern[0]]
        tables = ", ".join(f"{t} {p}" for t, p in kern)
        parts.append(
            f"Kerncijfers {tables}: {', '.join(missing)} (no Kerncijfers table has a value; a "
            "new year's first release lacks income, benefits and business fields: land an "
            "earlier year's table too, each indicator is taken from the newest table that "
            "has it)"
        )
    parts += [
        f"{t} {p}: {', '.join(c)}"
        for (t, p), c in sorted(bad.items())
        if table_family(t) not in PER_INDICATOR_FAMILIES
    ]
    return "; ".join(parts)


def spec(name: str) -> IndicatorSpec | None:
    return _SPEC_BY_NAME.get(name)


def measures_from_data_properties(props: Sequence[Mapping[str, object]]) -> list[Measure]:
    """v3 DataProperties -> numeric Topic measures with their parent group titles."""
    by_id = {p.get("ID"): p for p in props if isinstance(p, Mapping)}
    out = []
    for p in props:
        if not isinstance(p, Mapping) or p.get("Type") != "Topic":
            continue
        key = p.get("Key")
        if not isinstance(key, str) or not key or str(p.get("Datatype")) not in NUMERIC_TYPES:
            continue
        parents: list[str] = []
        parent = by_id.get(p.get("ParentID"))
        while isinstance(parent, Mapping) and len(parents) < 10:
            parents.append(str(parent.get("Title") or ""))
            parent = by_id.get(parent.get("ParentID"))
        out.append(
            Measure(
                key=key,
                title=str(p.get("Title") or ""),
                unit=str(p.get("Unit") or ""),
                datatype=str(p.get("Datatype") or ""),
                parents=tuple(parents),
            )
        )
    return out


def measures_from_measure_codes(
    codes: Sequence[Mapping[str, object]], groups: Sequence[Mapping[str, object]] = ()
) -> list[Measure]:
    """v4 MeasureCodes (+ MeasureGroups) -> numeric measures with their parent group titles.
    Text measures (DataType "String": Gemeentenaam, ...) are labels, not indicators: left out
    as the v3 path leaves out non-numeric DataProperties (text_measure_ids lists them)."""
    by_id = {g.get("Id"): g for g in groups if isinstance(g, Mapping)}
    out = []
    for c in codes:
        if not isinstance(c, Mapping) or not c.get("Identifier"):
            continue
        if _is_text(c):
            continue
        parents: list[str] = []
        group = by_id.get(c.get("MeasureGroupId"))
        while isinstance(group, Mapping) and len(parents) < 10:
            parents.append(str(group.get("Title") or ""))
            group = by_id.get(group.get("ParentId"))
        out.append(
            Measure(
                key=str(c["Identifier"]),
                title=str(c.get("Title") or c["Identifier"]),
                unit=str(c.get("Unit") or ""),
                datatype=str(c.get("DataType") or ""),
                parents=tuple(parents),
                by_title=True,
            )
        )
    return out


NUMERIC_TYPES = frozenset({"Long", "Double", "Integer", "Float", "Decimal", "Short", "Int"})


def _is_text(code: Mapping[str, object]) -> bool:
    """A v4 measure whose DataType is given and not numeric ("String")."""
    datatype = str(code.get("DataType") or "").strip()
    return bool(datatype) and datatype not in NUMERIC_TYPES


def text_measure_ids(codes: Sequence[Mapping[str, object]]) -> set[str]:
    """Identifiers of the v4 text measures (their observations are skipped, not rejected)."""
    return {
        str(c["Identifier"])
        for c in codes
        if isinstance(c, Mapping) and c.get("Identifier") and _is_text(c)
    }
