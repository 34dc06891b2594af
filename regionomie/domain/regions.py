"""Named regions (sets of CBS municipality codes) that opportunities and exports are cut by.

Regions are data (data/regions.yaml) so a municipality officer can add one without code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from regionomie.paths import DATA_DIR

REGIONS_FILE = DATA_DIR / "regions.yaml"
_GM_CODE = re.compile(r"^GM\d{4}$")
_REGION_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Region:
    """A named set of municipalities; `name` is the slug used in CLI and export paths."""

    name: str
    label: str
    municipality_codes: tuple[str, ...]
    municipality_names: tuple[str, ...] = ()


class RegionsFileError(ValueError):
    """regions.yaml is unusable; the message names file and region/field."""


def load_regions(path: Path | None = None) -> dict[str, Region]:
    """Read regions.yaml into Region objects, rejecting malformed codes with a one-line error."""
    path = path or REGIONS_FILE
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RegionsFileError(f"{path}: cannot read regions file: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("regions"), dict):
        raise RegionsFileError(f"{path}: top-level key 'regions' (a mapping) is missing")
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
            codes.append(code)
            names.append(str(mun_name))
        if not codes:
            raise RegionsFileError(f"{path}: region {name}: no municipalities")
        regions[name] = Region(
            name=name,
            label=str(spec.get("label") or name),
            municipality_codes=tuple(codes),
            municipality_names=tuple(names),
        )
    return regions


def get_region(name: str, path: Path | None = None) -> Region:
    """One region by slug; unknown names give an error listing the known ones."""
    regions = load_regions(path)
    if name not in regions:
        known = ", ".join(sorted(regions))
        raise RegionsFileError(f"unknown region {name!r}; known regions: {known}")
    return regions[name]


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
