"""Regions that opportunities and exports are cut by: sets of CBS municipality codes.

Two sources, one shape. The standard regions of CBS's area classifications ("Gebieden in
Nederland": COROP areas, provinces, landsdelen, and whatever else a refresh brings: RES
regions, labour-market regions, GGD regions ...) are reference data
(data/reference/standard_regions.csv, or the copy `regionomie regions refresh` wrote under
the state folder). Custom regions are data too (data/regions.yaml), so a municipality officer
can add one without code. Municipal reorganisations (data/reference/
municipal_reorganisations.csv) map old GM codes to current ones wherever a region is read.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from regionomie.paths import DATA_DIR, REFERENCE_DIR, state_dir

REGIONS_FILE = DATA_DIR / "regions.yaml"
STANDARD_REGIONS_FILE = REFERENCE_DIR / "standard_regions.csv"
REORGANISATIONS_FILE = REFERENCE_DIR / "municipal_reorganisations.csv"
STANDARD_REGION_COLUMNS = (
    "kind",
    "region_code",
    "region_name",
    "municipality_code",
    "municipality_name",
    "year",
    "source",
)
_GM_CODE = re.compile(r"^GM\d{4}$")
_REGION_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class RegionKind:
    """One CBS area classification: how it is called, its code prefix and its slug prefix."""

    key: str
    label_nl: str
    label_en: str
    code_prefix: str
    slug_prefix: str


# The classifications of CBS's "Gebieden in Nederland" the project knows by name. A refresh
# may bring more; those are kept under a key made from their CBS title.
KINDS: dict[str, RegionKind] = {
    k.key: k
    for k in (
        RegionKind("corop", "COROP-gebied", "COROP area", "CR", "corop"),
        RegionKind("province", "Provincie", "Province", "PV", "provincie"),
        RegionKind("landsdeel", "Landsdeel", "Part of the country", "LD", "landsdeel"),
        RegionKind("res", "RES-regio", "Regional energy strategy region", "ES", "res"),
        RegionKind(
            "labour_market", "Arbeidsmarktregio", "Labour-market region", "AM", "arbeidsmarktregio"
        ),
        RegionKind("ggd", "GGD-regio", "Public health (GGD) region", "GG", "ggd"),
        RegionKind("safety", "Veiligheidsregio", "Safety region", "VR", "veiligheidsregio"),
        RegionKind("youth", "Jeugdregio", "Youth-care region", "JZ", "jeugdregio"),
        RegionKind("care_office", "Zorgkantoorregio", "Care-office region", "ZK", "zorgkantoor"),
    )
}
CUSTOM = "custom"


@dataclass(frozen=True)
class Region:
    """A named set of municipalities; `name` is the slug used in the CLI, partitions and
    export paths. Standard regions carry their CBS kind, code, year and source."""

    name: str
    label: str
    municipality_codes: tuple[str, ...]
    municipality_names: tuple[str, ...] = ()
    kind: str = CUSTOM
    code: str = ""
    year: str = ""
    source: str = ""

    @property
    def kind_label(self) -> str:
        kind = KINDS.get(self.kind)
        return kind.label_nl if kind else ("eigen regio" if self.kind == CUSTOM else self.kind)


class RegionsFileError(ValueError):
    """A regions file is unusable, or a region cannot be found; the message is one line."""


def slug(text: str) -> str:
    """'Agglomeratie 's-Gravenhage' -> 'agglomeratie-s-gravenhage' (ASCII, lowercase)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def kind_key(value: str) -> str:
    """A kind given by key, Dutch or English label or slug prefix ('corop', 'COROP-gebied',
    'provincie', 'labour-market') -> its key; unknown values are returned slugged."""
    wanted = slug(value).replace("-", "_")
    for kind in KINDS.values():
        names = {kind.key, kind.slug_prefix, slug(kind.label_nl), slug(kind.label_en)}
        if wanted in {n.replace("-", "_") for n in names}:
            return kind.key
    return wanted


# --- municipal reorganisations -----------------------------------------------------------


@dataclass(frozen=True)
class Reorganisation:
    effective_date: dt.date
    old_code: str
    old_name: str
    new_code: str
    new_name: str
    change: str  # merged | absorbed | split (the first successor listed took the seat)


@lru_cache(maxsize=4)
def _reorganisations(path: Path) -> tuple[Reorganisation, ...]:
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            try:
                rows.append(
                    Reorganisation(
                        effective_date=dt.date.fromisoformat(row["effective_date"]),
                        old_code=row["old_code"],
                        old_name=row["old_name"],
                        new_code=row["new_code"],
                        new_name=row["new_name"],
                        change=row["change"],
                    )
                )
            except (KeyError, ValueError) as exc:
                raise RegionsFileError(f"{path}: row {number}: {exc}") from None
    return tuple(rows)


def load_reorganisations(path: Path | None = None) -> tuple[Reorganisation, ...]:
    return _reorganisations(path or REORGANISATIONS_FILE)


def current_municipality_code(
    code: str, on: dt.date | None = None, reorganisations: Iterable[Reorganisation] | None = None
) -> str:
    """The code a municipality has on `on` (default: today): old GM codes follow every merger
    since (GM0756 Boxmeer -> GM1982 Land van Cuijk). A split municipality goes to the successor
    that took its seat. Codes that never changed come back as they are."""
    on = on or dt.date.today()
    changes = tuple(reorganisations) if reorganisations is not None else load_reorganisations()
    successor: dict[str, Reorganisation] = {}
    for change in sorted(changes, key=lambda c: c.effective_date):
        if change.effective_date <= on and change.old_code not in successor:
            successor[change.old_code] = change
    seen = {code}
    while code in successor:
        code = successor[code].new_code
        if code in seen:  # a cycle in the file: stop rather than loop
            break
        seen.add(code)
    return code


# --- standard regions (CBS area classifications) ------------------------------------------


def standard_regions_file() -> Path:
    """The refreshed copy under the state folder when `regions refresh` wrote one, else the
    shipped reference file."""
    override = os.environ.get("REGIONOMIE_STANDARD_REGIONS_FILE")
    if override:
        return Path(override)
    refreshed = state_dir() / "reference" / "standard_regions.csv"
    return refreshed if refreshed.is_file() else STANDARD_REGIONS_FILE


def standard_region_name(kind: str, region_name: str) -> str:
    prefix = KINDS[kind].slug_prefix if kind in KINDS else slug(kind)
    return f"{prefix}-{slug(region_name)}"


@lru_cache(maxsize=8)
def _standard_regions(path: Path, mtime: float) -> dict[str, Region]:
    members: dict[tuple[str, str], list[tuple[str, str]]] = {}
    meta: dict[tuple[str, str], tuple[str, str, str]] = {}
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise RegionsFileError(f"{path}: cannot read standard regions: {exc}") from None
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in STANDARD_REGION_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise RegionsFileError(f"{path}: column(s) missing: {', '.join(missing)}")
        for number, row in enumerate(reader, start=2):
            code = row["municipality_code"]
            if not _GM_CODE.match(code):
                raise RegionsFileError(
                    f"{path}: row {number}: field municipality_code: bad code {code!r}"
                )
            key = (row["kind"], row["region_code"])
            members.setdefault(key, []).append((code, row["municipality_name"]))
            meta[key] = (row["region_name"], row["year"], row["source"])
    regions: dict[str, Region] = {}
    for (kind, code), rows in sorted(members.items()):
        region_name, year, source = meta[(kind, code)]
        name = standard_region_name(kind, region_name)
        if name in regions:  # two regions of one kind with the same name: keep both apart
            name = f"{name}-{slug(code)}"
        rows.sort()
        label_kind = KINDS[kind].label_nl if kind in KINDS else kind
        regions[name] = Region(
            name=name,
            label=f"{label_kind} {region_name}",
            municipality_codes=tuple(c for c, _ in rows),
            municipality_names=tuple(n for _, n in rows),
            kind=kind,
            code=code,
            year=year,
            source=source,
        )
    return regions


def load_standard_regions(path: Path | None = None) -> dict[str, Region]:
    path = path or standard_regions_file()
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise RegionsFileError(f"{path}: cannot read standard regions: {exc}") from None
    return dict(_standard_regions(path, mtime))


# --- custom regions (data/regions.yaml) ---------------------------------------------------


def load_custom_regions(path: Path | None = None, on: dt.date | None = None) -> dict[str, Region]:
    """Read regions.yaml into Region objects, rejecting malformed codes with a one-line error.
    Old municipality codes are mapped to today's (a region written before a merger keeps
    working); two old codes that merged into one count once."""
    path = path or REGIONS_FILE
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RegionsFileError(f"{path}: cannot read regions file: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("regions"), dict):
        raise RegionsFileError(f"{path}: top-level key 'regions' (a mapping) is missing")
    reorganisations = load_reorganisations()
    regions: dict[str, Region] = {}
    for name, spec in doc["regions"].items():
        if not isinstance(name, str) or not _REGION_NAME.match(name):
            raise RegionsFileError(f"{path}: region {name!r}: name must be a lowercase slug")
        if not isinstance(spec, dict) or not isinstance(spec.get("municipalities"), dict):
            raise RegionsFileError(f"{path}: region {name}: field 'municipalities' missing")
        codes: list[str] = []
        names: list[str] = []
        for code, mun_name in spec["municipalities"].items():
            if not isinstance(code, str) or not _GM_CODE.match(code):
                raise RegionsFileError(
                    f"{path}: region {name}: field municipalities: bad code {code!r} "
                    "(expected GM + 4 digits)"
                )
            current = current_municipality_code(code, on, reorganisations)
            if current in codes:
                continue
            codes.append(current)
            names.append(str(mun_name))
        if not codes:
            raise RegionsFileError(f"{path}: region {name}: no municipalities")
        regions[name] = Region(
            name=name,
            label=str(spec.get("label") or name),
            municipality_codes=tuple(codes),
            municipality_names=tuple(names),
            source=str(path.name),
        )
    return regions


# --- all regions, and finding one ---------------------------------------------------------


def load_regions(path: Path | None = None, standard_path: Path | None = None) -> dict[str, Region]:
    """Every region: the custom ones of regions.yaml and every standard CBS region. A custom
    region may not take a standard region's name (the message names both)."""
    custom = load_custom_regions(path)
    standard = load_standard_regions(standard_path)
    clash = sorted(set(custom) & set(standard))
    if clash:
        raise RegionsFileError(
            f"{path or REGIONS_FILE}: region {clash[0]}: the name of a standard region "
            f"({standard[clash[0]].label}); choose another name"
        )
    return {**custom, **standard}


def find_regions(query: str, regions: dict[str, Region], kind: str | None = None) -> list[Region]:
    """Regions matching a slug, a CBS code (CR17, PV26) or a name ('Groot-Amsterdam',
    'utrecht'), optionally of one kind. Exact slug or code first, then names."""
    pool = [r for r in regions.values() if kind is None or r.kind == kind_key(kind)]
    wanted = query.strip()
    for match in (
        lambda r: r.name == wanted,
        lambda r: bool(r.code) and r.code.upper() == wanted.upper(),
    ):
        found = [r for r in pool if match(r)]
        if found:
            return found
    key = slug(wanted)
    by_name = [
        r
        for r in pool
        if key
        in {
            slug(r.label),
            slug(r.label.split(" ", 1)[-1]) if r.kind != CUSTOM else r.name,
            r.name.split("-", 1)[-1] if r.kind != CUSTOM else r.name,
        }
    ]
    return sorted(by_name, key=lambda r: (r.kind != CUSTOM, r.kind, r.name))


def get_region(
    query: str, path: Path | None = None, kind: str | None = None, standard_path: Path | None = None
) -> Region:
    """One region by slug, code or name; unknown or ambiguous queries give a one-line error
    naming what would match."""
    regions = load_regions(path, standard_path)
    found = find_regions(query, regions, kind)
    if len(found) == 1:
        return found[0]
    if not found:
        custom = ", ".join(sorted(r.name for r in regions.values() if r.kind == CUSTOM))
        raise RegionsFileError(
            f"unknown region {query!r}: give a region name, a CBS code (e.g. CR17) or a slug "
            f"(`regionomie regions list`); custom regions: {custom}"
        )
    options = ", ".join(f"{r.name} ({r.kind_label} {r.code})".rstrip() for r in found)
    raise RegionsFileError(f"region {query!r} is ambiguous: {options}; use the code or the slug")


# Centroid to centroid: the transport reach (25 road km / 1.3 road factor, about 19 km in a
# straight line) plus a margin for the size of a municipality (an establishment at its edge).
SURROUNDINGS_KM = 35.0


def surrounding_municipalities(
    region: Region, municipalities: Any, reach_km: float = SURROUNDINGS_KM
) -> set[str]:
    """The region's municipalities and every municipality whose centroid lies within
    `reach_km` of one of theirs: where a receiver within transport reach of the region can
    be. `municipalities` has municipality_code, lat, lon (the reference list)."""
    import numpy as np

    codes = set(region.municipality_codes)
    table = municipalities[["municipality_code", "lat", "lon"]].dropna()
    lat = np.radians(table["lat"].astype(float).to_numpy())
    lon = np.radians(table["lon"].astype(float).to_numpy())
    inside = table["municipality_code"].isin(codes).to_numpy()
    if not inside.any():
        return codes
    dlat = lat[:, None] - lat[inside][None, :]
    dlon = lon[:, None] - lon[inside][None, :]
    a = (
        np.sin(dlat / 2) ** 2
        + np.cos(lat[:, None]) * np.cos(lat[inside][None, :]) * np.sin(dlon / 2) ** 2
    )
    km = 2 * 6371.0 * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    near = (km <= reach_km).any(axis=1)
    return codes | set(table["municipality_code"].to_numpy()[near])


def regions_of_kind(regions: dict[str, Region], kind: str) -> list[Region]:
    key = kind_key(kind)
    return sorted((r for r in regions.values() if r.kind == key), key=lambda r: (r.code, r.name))


def region_data_gap(region: Region, municipalities_with_data: set[str], where: str) -> str | None:
    """One line when none of the region's municipalities has an establishment in the data
    (`where` names the data), saying which municipalities and what to fetch; None otherwise."""
    if set(region.municipality_codes) & municipalities_with_data:
        return None
    named = ", ".join(
        f"{code} {name}".strip()
        for code, name in zip(
            region.municipality_codes,
            region.municipality_names or ("",) * len(region.municipality_codes),
            strict=True,
        )
    )
    return (
        f"region {region.name}: no establishment in any of its municipalities ({named}) in "
        f"{where}; fetch them first (regionomie fetch kvk --plaats <place> --profiles, "
        "regionomie fetch cbs --region <GM code>) or pass a folder with kvk/, waste/ and "
        "municipal/ files for this region with --data"
    )
