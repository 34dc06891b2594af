"""k-anonymity of the pseudonymous actors in exports: a sole proprietor is shown only with a
sector and an area that at least k other personal establishments of the register share.

Why: a pseudonym hides the name, not the rest of the row. "Eenmanszaak (Restaurants, 3811)"
with NACE 5610 is one person when that restaurant is the only eenmanszaak of its class in
postcode area 3811, and a KvK look-up on (NACE, postcode) names it; its 500 m cell can do the
same. So before the export files are written, every personal actor's quasi-identifiers -
sector (NACE class) and area (postcode digits, municipality, and the map position that goes
with them) - are generalised step by step until its (sector, area) is shared with at least k
*other* personal establishments (sole proprietors and unknown legal forms, as the privacy
rules count them) of the register the export was made from. The steps, finest first:

    (class, postcode4) -> (class, municipality) -> (class, region)
    -> (division, region) -> (section, region) -> (no sector, region)

The area is coarsened before the sector because the sector also shows through the pathway
(a receiver's NACE is part of the pathway it was matched on), so a coarser sector would
protect less than it seems. The map position becomes the centre of the shown area (the mean
position of the register's establishments there), never the actor's own cell. An actor that
cannot reach k even at the last step (a register with at most k personal establishments) is
shown at the last step and counted as below k.

Pure: pandas and the reference lists only; `generalise_actors` is called once, by the export
writer, and `Generalisation.apply_frame` / `apply_json` rewrite its frames and cards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from regionomie.domain.opportunities.common import add_display_columns, sole_proprietor_mask
from regionomie.domain.privacy import coarsen_locations, sole_proprietor_label

DEFAULT_K = 5
SECTOR_LEVELS = ("class", "division", "section", "none")
AREA_LEVELS = ("postcode4", "municipality", "region")
# The generalisation steps, finest first (see the module docstring for the order).
STEPS: tuple[tuple[str, str], ...] = (
    ("class", "postcode4"),
    ("class", "municipality"),
    ("class", "region"),
    ("division", "region"),
    ("section", "region"),
    ("none", "region"),
)
# Per id column of an export frame: the columns that describe that actor.
ACTOR_COLUMNS: dict[str, dict[str, str]] = {
    "producer_id": {
        "name": "producer_name",
        "address": "producer_address",
        "sector": "producer_nace",
        "municipality": "producer_municipality",
        "lat": "producer_lat",
        "lon": "producer_lon",
    },
    "receiver_id": {
        "name": "receiver_name",
        "address": "receiver_address",
        "sector": "receiver_nace",
        "municipality": "receiver_municipality",
        "lat": "receiver_lat",
        "lon": "receiver_lon",
    },
    "establishment_id": {
        "name": "name",
        "address": "address",
        "sector": "nace_class",
        "sector_label": "sector_label",
        "municipality": "municipality_code",
        "lat": "lat",
        "lon": "lon",
    },
}
# The same for the actor entries of business-case cards (JSON).
CARD_KEYS = {"name": "name", "address": "address", "sector": "nace", "municipality": "municipality"}
# an old pseudonym label: "Eenmanszaak (<sector>, <postcode4 or onbekend>)", never across
# the start of another label
_LABEL_RE = re.compile(r"Eenmanszaak \((?:(?!Eenmanszaak \().)*?, (?:\d{4}|onbekend)\)")
_MARKER = "Eenmanszaak ("


@dataclass(frozen=True)
class ShownActor:
    """What the exports show of one personal actor after generalisation."""

    sector_level: str
    area_level: str
    sector: str  # NACE class, division, section letter, or "" (no sector)
    sector_label: str
    area_label: str
    municipality: str | None  # None once the area is the region
    name: str
    address: str
    lat: float
    lon: float
    others: int  # personal establishments of the register sharing (sector, area), minus one


@dataclass
class Generalisation:
    """The shown values of every personal actor of the register (by establishment id), the
    old pseudonym labels mapped to the new ones (texts quote them), and the report."""

    k: int
    actors: dict[str, ShownActor] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    old_labels: dict[str, str] = field(default_factory=dict)  # per id: the label it replaces
    before: dict[str, int] = field(default_factory=dict)  # per id: others on (class, pc4)
    alone_in_cell: frozenset[str] = frozenset()

    # ------------------------------------------------------------------ rewriting
    def apply_frame(self, frame: pd.DataFrame | None) -> pd.DataFrame | None:
        """A copy of `frame` with every personal actor's columns (ACTOR_COLUMNS) replaced by
        the shown values and every old pseudonym label in its texts replaced by the new.

        A row's texts quote its own actors (an explanation names its producer and receiver),
        so their labels are replaced directly; any other text holding a label is found by
        one vectorised pass per column (Arrow) and rewritten by the label table."""
        if frame is None or frame.empty or not self.actors:
            return frame
        out = frame.copy(deep=False)  # columns are replaced, never changed in place
        positions = {
            id_column: self._positions(out[id_column])
            for id_column in ACTOR_COLUMNS
            if id_column in out.columns
        }
        positions = {c: p for c, p in positions.items() if (p >= 0).any()}
        owned = {c for id_column in positions for c in ACTOR_COLUMNS[id_column].values()}
        for column in out.columns:
            if column in owned or column in positions:
                continue
            series = out[column]
            if series.dtype.kind == "O" or isinstance(series.dtype, pd.StringDtype):
                out[column] = self._rewrite_texts(series, positions)
        for id_column, rows in positions.items():
            mask = rows >= 0
            for part, column in ACTOR_COLUMNS[id_column].items():
                if column not in out.columns:
                    continue
                values = self._parts[part][rows[mask]]
                if part in ("lat", "lon"):
                    numbers = pd.to_numeric(out[column], errors="coerce").to_numpy("float64")
                    numbers = numbers.copy()
                    numbers[mask] = values.astype("float64")
                    out[column] = numbers
                else:
                    texts = out[column].to_numpy(dtype=object).copy()
                    texts[mask] = values
                    out[column] = pd.Series(texts, index=out.index, dtype=object)
        return out

    @cached_property
    def _ids(self) -> pa.Array:
        return pa.array(list(self.actors), type=pa.large_string())

    def _positions(self, ids: pd.Series) -> np.ndarray:
        """Per row, the position of its id among the personal actors, -1 for anyone else."""
        try:
            array = pa.array(ids, from_pandas=True).cast(pa.large_string())
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            array = pa.array(ids.astype(str).where(ids.notna(), None), type=pa.large_string())
        found = pc.index_in(array, value_set=self._ids)
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)

    @cached_property
    def _parts(self) -> dict[str, np.ndarray]:
        """Per shown part, its values in the order of _index (vectorised look-ups)."""
        parts = ("name", "address", "sector", "sector_label", "municipality", "lat", "lon")
        out = {
            p: np.array([_value(a, p) for a in self.actors.values()], dtype=object) for p in parts
        }
        out["old_label"] = np.array([self.old_labels.get(i, "") for i in self.actors], dtype=object)
        return out

    def apply_json(self, obj: Any) -> Any:
        """The same for JSON-like data (business-case cards): actor entries with a personal
        `id` get the shown name, address, sector and municipality; texts get new labels."""
        if isinstance(obj, str):
            return self.rewrite_text(obj)
        if isinstance(obj, Mapping):
            out = {k: self.apply_json(v) for k, v in obj.items()}
            actor = self.actors.get(str(obj.get("id"))) if "id" in obj else None
            if actor is not None:
                for part, key in CARD_KEYS.items():
                    if key in out:
                        out[key] = _value(actor, part)
            return out
        if isinstance(obj, list | tuple):
            return [self.apply_json(v) for v in obj]
        return obj

    def rewrite_text(self, text: str) -> str:
        if _MARKER not in text:
            return text
        return _LABEL_RE.sub(lambda m: self.labels.get(m.group(0), m.group(0)), text)

    def _rewrite_texts(
        self, series: pd.Series, positions: Mapping[str, np.ndarray] | None = None
    ) -> pd.Series:
        """Texts holding the label marker (one Arrow pass): in a row of a personal actor its
        own labels are replaced; elsewhere every label is looked up in the label table."""
        hits = _holding_marker(series)
        if not hits.any():
            return series
        values = series.to_numpy(dtype=object).copy()
        old, new = self._parts["old_label"], self._parts["name"]
        own = [rows for rows in (positions or {}).values()]
        for i in np.flatnonzero(hits):
            text = values[i]
            mine = [int(rows[i]) for rows in own if rows[i] >= 0]
            if mine:
                for r in mine:
                    text = text.replace(old[r], new[r])
            else:
                text = self.rewrite_text(text)
            values[i] = text
        out = pd.Series(values, index=series.index, dtype=object)
        return out if series.dtype.kind == "O" else out.astype(series.dtype)

    # ------------------------------------------------------------------ report
    def report(self, exported_ids: set[str]) -> dict[str, Any]:
        """What the manifest says: k, the rule, how many pseudonymous actors the export
        holds, how many of them were unique (and below k) before and after, and what was
        generalised."""
        shown = {i: self.actors[i] for i in sorted(exported_ids) if i in self.actors}
        sectors = dict.fromkeys(SECTOR_LEVELS, 0)
        areas = dict.fromkeys(AREA_LEVELS, 0)
        steps: dict[str, int] = {}
        for actor in shown.values():
            sectors[actor.sector_level] += 1
            areas[actor.area_level] += 1
            step = f"{actor.sector_level}+{actor.area_level}"
            steps[step] = steps.get(step, 0) + 1
        before = [self.before.get(i, 0) for i in shown]
        after = [a.others for a in shown.values()]
        return {
            "k": self.k,
            "rule": (
                f"each pseudonymous actor shares the sector and area it is shown with with at "
                f"least {self.k} other personal establishments of the register"
            ),
            "pseudonymous_actors": len(shown),
            "before": {
                "unique_on_nace_class_and_postcode4": sum(n == 0 for n in before),
                "below_k_on_nace_class_and_postcode4": sum(n < self.k for n in before),
                "alone_in_their_500m_cell": sum(i in self.alone_in_cell for i in shown),
            },
            "after": {
                "unique_on_shown_sector_and_area": sum(n == 0 for n in after),
                "below_k_on_shown_sector_and_area": sum(n < self.k for n in after),
            },
            "generalised": {
                "sector": sectors,
                "area": areas,
                "steps": dict(sorted(steps.items())),
                "location": "centre of the shown area (postcode4, municipality or region)",
            },
        }


def _holding_marker(series: pd.Series) -> np.ndarray:
    """Which values are texts holding 'Eenmanszaak (' (one Arrow pass; a column that is no
    text column holds none)."""
    try:
        array = pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed values: texts checked one by one
        values = series.to_numpy(dtype=object)
        return np.fromiter((isinstance(v, str) and _MARKER in v for v in values), bool, len(values))
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return np.zeros(len(series), dtype=bool)
    found = pc.match_substring(array, _MARKER)
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def _value(actor: ShownActor, part: str) -> Any:
    return {
        "name": actor.name,
        "address": actor.address,
        "sector": actor.sector,
        "sector_label": actor.sector_label,
        "municipality": actor.municipality,
        "lat": actor.lat,
        "lon": actor.lon,
    }[part]


# ---------------------------------------------------------------------- sectors


@dataclass(frozen=True)
class SectorTree:
    """NACE class -> division -> section, with labels (from the SBI 2008 list)."""

    section_of_division: Mapping[str, str]
    labels: Mapping[str, str]
    class_label: Callable[[str], str]

    @classmethod
    def from_reference(cls) -> SectorTree:
        from regionomie.domain.opportunities.common import nace_labeler
        from regionomie.domain.reference import load_sbi2008

        sbi = load_sbi2008()
        level = sbi["level"].astype(str)
        divisions = sbi[level == "division"]
        upper = sbi[level.isin(["division", "section"])]
        return cls(
            section_of_division=dict(
                zip(divisions["code"].astype(str), divisions["section"].astype(str), strict=True)
            ),
            labels=dict(zip(upper["code"].astype(str), upper["label_nl"].astype(str), strict=True)),
            class_label=nace_labeler(),
        )

    def code(self, nace4: str, level: str) -> str:
        if not nace4 or level == "none":
            return ""
        if level == "class":
            return nace4
        division = nace4[:2]
        if level == "division":
            return division
        return self.section_of_division.get(division, "")

    def label(self, code: str, level: str) -> str:
        if level == "class":
            return self.class_label(code)
        if not code:
            return "onbekende sector"
        name = self.labels.get(code)
        kind = "sectie" if level == "section" else "afdeling"
        return f"{name} ({kind} {code})" if name else f"NACE {kind} {code}"


# ---------------------------------------------------------------------- generalisation


def generalise_actors(
    establishments: pd.DataFrame,
    k: int = DEFAULT_K,
    *,
    region_municipalities: Mapping[str, str] | None = None,
    region_label: str = "de regio",
    sectors: SectorTree | None = None,
) -> Generalisation:
    """Shown sector and area of every personal establishment of `establishments` (the
    register the export comes from): the first step of STEPS at which at least k other
    personal establishments share it. `region_municipalities` ({GM code: name}) names the
    municipalities and bounds the region (all municipalities of the register when None).
    k <= 0 switches generalisation off (postcode4 label and 500 m cell, as before)."""
    if establishments is None or establishments.empty or k <= 0:
        return Generalisation(k=k)
    est = establishments.reset_index(drop=True)
    display = add_display_columns(est)
    personal = sole_proprietor_mask(est).to_numpy(dtype=bool)
    if not personal.any():
        return Generalisation(k=k)
    sectors = sectors or SectorTree.from_reference()
    municipality = (
        display["municipality_code"]
        .astype(object)
        .where(display["municipality_code"].notna(), "")
        .astype(str)
    )
    postcode = est["postcode"] if "postcode" in est.columns else pd.Series("", index=est.index)
    pc4 = postcode.fillna("").astype(str).str.replace(" ", "", regex=False).str.slice(0, 4)
    pc4 = pc4.where(pc4.str.fullmatch(r"\d{4}"), "")
    names = dict(region_municipalities or {})
    in_region = municipality.isin(names) if names else pd.Series(True, index=est.index)
    region = np.where(in_region.to_numpy(), "region", "outside")
    lat = pd.to_numeric(est["lat"] if "lat" in est else np.nan, errors="coerce")
    lon = pd.to_numeric(est["lon"] if "lon" in est else np.nan, errors="coerce")
    nace = display["nace_class"].astype(str)

    areas = {
        "postcode4": np.where(pc4 != "", municipality + "/" + pc4, "?" + municipality),
        "municipality": np.where(municipality != "", municipality, "?"),
        "region": region,
    }
    distinct_nace = pd.unique(nace)
    codes = {
        level: nace.map({c: sectors.code(c, level) for c in distinct_nace}).astype(str)
        for level in SECTOR_LEVELS
    }
    centres = {
        level: _centres(pd.Series(keys, index=est.index), lat, lon) for level, keys in areas.items()
    }

    personal_idx = np.flatnonzero(personal)
    chosen = np.full(len(est), len(STEPS) - 1)
    others = np.zeros(len(est), dtype=np.int64)
    undecided = np.ones(len(personal_idx), dtype=bool)
    group_sizes: list[np.ndarray] = []
    for step, (sector_level, area_level) in enumerate(STEPS):
        key = (
            pd.Series(codes[sector_level].to_numpy()[personal_idx]).astype(str)
            + "|"
            + (pd.Series(areas[area_level][personal_idx]).astype(str))
        )
        size = key.map(key.value_counts()).to_numpy(dtype=np.int64)
        group_sizes.append(size)
        take = undecided & ((size - 1 >= k) | (step == len(STEPS) - 1))
        chosen[personal_idx[take]] = step
        others[personal_idx[take]] = size[take] - 1
        undecided &= ~take
    before = group_sizes[0] - 1

    cells = pd.Series(
        list(zip(*coarsen_locations(lat[personal], lon[personal]), strict=True)), dtype=object
    )
    alone = cells.map(cells.value_counts()).to_numpy() == 1

    result = Generalisation(k=k)
    ids = display["establishment_id"].astype(str).to_numpy()
    old_labels = display["display_name"].astype(str).to_numpy()
    city = (est["city"] if "city" in est.columns else pd.Series("", index=est.index)).fillna("")
    label_levels: dict[str, tuple[int, str]] = {}
    for position, row in enumerate(personal_idx):
        sector_level, area_level = STEPS[chosen[row]]
        sector = codes[sector_level].iat[row]
        sector_label = sectors.label(sector, sector_level)
        code = municipality.iat[row]
        if area_level == "postcode4":
            area_label = pc4.iat[row] or "onbekend"
            address = f"{pc4.iat[row]} {city.iat[row]}".strip()
        elif area_level == "municipality":
            area_label = f"gemeente {names.get(code, code or 'onbekend')}"
            address = names.get(code, code)
        else:
            area_label = region_label if region[row] == "region" else "buiten de regio"
            address = area_label
        centre = centres[area_level][areas[area_level][row]]
        actor = ShownActor(
            sector_level=sector_level,
            area_level=area_level,
            sector=sector,
            sector_label=sector_label,
            area_label=area_label,
            municipality=(code or None) if area_level != "region" else None,
            name=sole_proprietor_label(sector_label, area_label),
            address=address,
            lat=centre[0],
            lon=centre[1],
            others=int(others[row]),
        )
        result.actors[ids[row]] = actor
        result.before[ids[row]] = int(before[position])
        # texts quote the old label; actors that shared it may differ: the coarsest wins
        old = old_labels[row]
        result.old_labels[ids[row]] = old
        if old not in label_levels or chosen[row] > label_levels[old][0]:
            label_levels[old] = (int(chosen[row]), actor.name)
    result.labels = {old: new for old, (_, new) in label_levels.items() if old != new}
    result.alone_in_cell = frozenset(ids[personal_idx[alone]])
    return result


def _centres(keys: pd.Series, lat: pd.Series, lon: pd.Series) -> dict[str, tuple[float, float]]:
    """{area key: (lat, lon)}: the mean position of the register's establishments in the
    area (every legal form), rounded to 3 decimals (about 100 m); NaN when none has one."""
    frame = pd.DataFrame({"key": keys.to_numpy(), "lat": lat.to_numpy(), "lon": lon.to_numpy()})
    means = frame.groupby("key", sort=True)[["lat", "lon"]].mean().round(3)
    centres = {str(key): (float(row.lat), float(row.lon)) for key, row in means.iterrows()}
    for key in pd.unique(keys):
        centres.setdefault(str(key), (float("nan"), float("nan")))
    return centres
