"""CBS "Gebieden in Nederland" (OData v4) -> the standard regions reference file.

Why: CBS publishes every year one table that places each municipality of 1 January in every
supra-municipal classification (COROP area, province, landsdeel, RES region, labour-market
region, GGD region, safety region, ...). The table is found by title in the v4 catalogue
(its identifier changes every year); its text measures come in pairs, "Code" and "Naam",
under one MeasureGroup per classification ("COROP-gebieden", "Arbeidsmarktregio's", ...),
observed per municipality (dimension RegioS, value in StringValue). Measure identifiers are
never hard-coded: the pairs are found through MeasureGroups and MeasureCodes.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regionomie.connectors.cbs import CbsODataClient
from regionomie.connectors.http import BadResponse, NotFound, get_json
from regionomie.connectors.landing import atomic_writer
from regionomie.domain.regions import KINDS, STANDARD_REGION_COLUMNS, kind_key, slug

TITLE = "Gebieden in Nederland"
_YEAR = re.compile(r"(19|20)\d{2}")
_GM = re.compile(r"^GM\d{4}$")

# MeasureGroup titles of the table -> our kind keys (other groups are kept under their slug)
GROUP_KINDS = {
    "corop-gebieden": "corop",
    "provincies": "province",
    "landsdelen": "landsdeel",
    "regionale-energiestrategie-regio-s": "res",
    "res-regio-s": "res",
    "arbeidsmarktregio-s": "labour_market",
    "ggd-regio-s": "ggd",
    "veiligheidsregio-s": "safety",
    "jeugdregio-s": "youth",
    "zorgkantoorregio-s": "care_office",
}


@dataclass(frozen=True)
class GebiedenTable:
    identifier: str
    title: str
    year: str


@dataclass(frozen=True)
class RefreshResult:
    table: GebiedenTable
    rows: list[dict[str, str]]
    kinds: dict[str, int]  # kind -> number of regions
    municipalities: int


def find_table(client: CbsODataClient, year: int | None = None) -> GebiedenTable:
    """The catalogue's "Gebieden in Nederland <year>" (the newest when no year is given)."""
    url = f"{client.v4_base_url}/Datasets"
    data = get_json(client.session, url, params={"$filter": f"startswith(Title,'{TITLE}')"})
    entries = data.get("value") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise BadResponse(f"{url}: no 'value' list in the catalogue answer", url=url)
    tables = []
    for entry in entries:
        title = str(entry.get("Title", ""))
        found = _YEAR.search(title)
        if title.startswith(TITLE) and found and entry.get("Identifier"):
            tables.append(GebiedenTable(str(entry["Identifier"]), title, found.group(0)))
    if year is not None:
        tables = [t for t in tables if t.year == str(year)]
    if not tables:
        wanted = f"{TITLE} {year}" if year else TITLE
        raise NotFound(f"no table titled {wanted!r} in the CBS OData v4 catalogue {url}", url=url)
    return max(tables, key=lambda t: (t.year, t.identifier))


def classification_measures(
    groups: Iterable[Mapping[str, Any]], measures: Iterable[Mapping[str, Any]]
) -> tuple[dict[str, tuple[str, str]], str | None]:
    """({kind: (code measure, name measure)}, the municipality-name measure or None)."""
    group_title = {g.get("Id"): str(g.get("Title", "")) for g in groups}
    by_group: dict[Any, dict[str, str]] = {}
    for m in measures:
        title = slug(str(m.get("Title", "")))
        by_group.setdefault(m.get("MeasureGroupId"), {})[title] = str(m["Identifier"])
    pairs: dict[str, tuple[str, str]] = {}
    municipality_name = None
    for group_id, titles in by_group.items():
        title = slug(group_title.get(group_id, ""))
        if title.startswith("codes-en-namen-van-gemeenten") and "naam" in titles:
            municipality_name = titles["naam"]
            continue
        if "code" not in titles or "naam" not in titles:
            continue  # e.g. urbanity: a code and a description, not an area
        kind = GROUP_KINDS.get(title) or kind_key(title)
        pairs[kind] = (titles["code"], titles["naam"])
    return pairs, municipality_name


def _text(observation: Mapping[str, Any]) -> str:
    value = observation.get("StringValue")
    if value is None:
        value = observation.get("Value")
    return "" if value is None else str(value).strip()


def standard_region_rows(
    table: GebiedenTable,
    groups: Iterable[Mapping[str, Any]],
    measures: Iterable[Mapping[str, Any]],
    observations: Iterable[Mapping[str, Any]],
    region_codes: Iterable[Mapping[str, Any]] = (),
) -> RefreshResult:
    """Observations per municipality -> one row per (kind, region, municipality)."""
    pairs, name_measure = classification_measures(groups, measures)
    if "corop" not in pairs:
        raise BadResponse(f"CBS table {table.identifier}: no COROP code/name measures found")
    wanted = {m for pair in pairs.values() for m in pair} | ({name_measure} - {None})
    values: dict[str, dict[str, str]] = {}
    for obs in observations:
        measure = str(obs.get("Measure", ""))
        region = str(obs.get("RegioS", "")).strip()
        if measure in wanted and _GM.match(region):
            values.setdefault(region, {})[measure] = _text(obs)
    titles = {
        str(c.get("Identifier", "")).strip(): str(c.get("Title", "")).strip() for c in region_codes
    }
    rows: list[dict[str, str]] = []
    source = f"CBS {table.identifier} {table.title}"
    regions_per_kind: dict[str, set[str]] = {}
    for municipality, measured in sorted(values.items()):
        name = measured.get(name_measure or "", "") or titles.get(municipality, "")
        for kind, (code_measure, name_measure_of_kind) in sorted(pairs.items()):
            code = measured.get(code_measure, "")
            if not code:
                continue  # not every classification covers every municipality
            rows.append(
                {
                    "kind": kind,
                    "region_code": code,
                    "region_name": measured.get(name_measure_of_kind, "") or code,
                    "municipality_code": municipality,
                    "municipality_name": name,
                    "year": table.year,
                    "source": source,
                }
            )
            regions_per_kind.setdefault(kind, set()).add(code)
    if not rows:
        raise BadResponse(f"CBS table {table.identifier}: no municipality observations")
    return RefreshResult(
        table=table,
        rows=sorted(rows, key=lambda r: (r["kind"], r["region_code"], r["municipality_code"])),
        kinds={k: len(v) for k, v in sorted(regions_per_kind.items())},
        municipalities=len(values),
    )


def fetch_standard_regions(client: CbsODataClient, year: int | None = None) -> RefreshResult:
    table = find_table(client, year)
    groups = client.measure_groups(table.identifier)
    measures = client.measure_codes(table.identifier)
    try:
        region_codes = client.dimension_codes(table.identifier, "RegioS")
    except NotFound:
        region_codes = []
    observations = client.observations(table.identifier)
    return standard_region_rows(table, groups, measures, observations, region_codes)


def write_standard_regions(rows: list[dict[str, str]], path: Path) -> Path:
    """The reference CSV, written atomically (a reader never sees half a file)."""
    with atomic_writer(path) as handle:
        writer = csv.DictWriter(
            handle, fieldnames=list(STANDARD_REGION_COLUMNS), lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
    return path


def known_kind_label(kind: str) -> str:
    return KINDS[kind].label_nl if kind in KINDS else kind
