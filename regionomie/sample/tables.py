"""The sample generator's tables, loaded from regionomie/sample/data/ into typed structures.

Why: sector profiles, waste streams, receivers and name words are data a reader wants to see
and change without reading generator code; the files keep them in one readable place and this
module checks them at import, so a typo fails here, naming file and row, not as a puzzling
draw later. Order is significant throughout: the generator draws indexes into these tables
with a fixed seed, so every edit changes the generated files (see data/README.md).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
LEGAL_KINDS = ("bv", "stichting", "nv")


class TableError(ValueError):
    """A data file of the sample generator is malformed; the message names file and entry."""


@dataclass(frozen=True)
class Waste:
    eural: str
    description: str  # EURAL entry text (Dutch)
    name: str  # BenamingAfval as a producer would write it
    kg_per_emp_month: float
    receiver: str  # receiver kind, a key of RECEIVERS
    monthly_p: float  # chance a stream reports in a given month


@dataclass(frozen=True)
class Sector:
    key: str
    sbi2008: str
    sbi2025: str
    weight: float  # share of establishments
    emp_median: float
    names: tuple[str, ...]  # trade-name prefixes
    wastes: tuple[Waste, ...] = ()
    stream_p: float = 0.6  # chance an establishment has each of its waste streams
    legal: str = "bv"  # bv | stichting | nv


@dataclass(frozen=True)
class Party:
    """A party on an LMA receipt that is not an establishment of the generated region."""

    name: str
    street: str
    house_number: str
    postcode: str
    city: str


@dataclass(frozen=True)
class ReceiverKind:
    sectors: tuple[str, ...]  # sector keys whose establishments receive this kind of waste
    processing_code: str  # LMA-shaped processing code written on the receipt
    processing_description: str
    out_of_region: Party  # receiver when the region has no establishment of these sectors


@dataclass(frozen=True)
class CbsField:
    key: str
    title: str
    unit: str
    datatype: str  # Long | Double


@dataclass(frozen=True)
class HouseholdWasteKind:
    code: str  # Afvalsoort code
    title: str
    share_low: float  # share of the total per inhabitant, drawn uniformly in [low, high)
    share_high: float


def _read_csv(name: str, columns: Sequence[str]) -> list[dict[str, str]]:
    path = DATA_DIR / name
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != list(columns):
            raise TableError(f"{name}: columns {reader.fieldnames}, expected {list(columns)}")
        return list(reader)


def _read_yaml(name: str) -> dict[str, Any]:
    with (DATA_DIR / name).open(encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    if not isinstance(doc, dict):
        raise TableError(f"{name}: expected a mapping at the top")
    return doc


def _number(value: str, where: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise TableError(f"{where}: {value!r} is not a number") from None


def _text(value: Any, where: str) -> str:
    """Codes must be quoted in YAML: unquoted, 0111 would load as the integer 73 (octal)."""
    if not isinstance(value, str):
        raise TableError(f"{where}: {value!r} must be a quoted string")
    return value


def _party(doc: dict[str, Any], where: str) -> Party:
    return Party(**{f: _text(doc.get(f), f"{where}.{f}") for f in Party.__dataclass_fields__})


def load_receivers() -> dict[str, ReceiverKind]:
    doc = _read_yaml("receivers.yaml")
    out: dict[str, ReceiverKind] = {}
    for kind, entry in doc["kinds"].items():
        where = f"receivers.yaml kinds.{kind}"
        out[kind] = ReceiverKind(
            sectors=tuple(_text(s, f"{where}.sectors") for s in entry["sectors"]),
            processing_code=_text(entry["processing"]["code"], f"{where}.processing.code"),
            processing_description=_text(
                entry["processing"]["description"], f"{where}.processing.description"
            ),
            out_of_region=_party(entry["out_of_region"], f"{where}.out_of_region"),
        )
    return out


def load_collector_out_of_region() -> Party:
    doc = _read_yaml("receivers.yaml")
    return _party(doc["collector_out_of_region"], "receivers.yaml collector_out_of_region")


def load_sectors(receivers: dict[str, ReceiverKind]) -> tuple[Sector, ...]:
    """sectors.csv with each sector's streams from waste_streams.csv, both in file order."""
    streams: dict[str, list[Waste]] = {}
    stream_rows = _read_csv(
        "waste_streams.csv",
        (
            "sector",
            "eural",
            "description",
            "name",
            "kg_per_employee_month",
            "receiver",
            "monthly_p",
        ),
    )
    for n, row in enumerate(stream_rows, start=2):
        where = f"waste_streams.csv line {n}"
        if row["receiver"] not in receivers:
            raise TableError(f"{where}: unknown receiver kind {row['receiver']!r}")
        streams.setdefault(row["sector"], []).append(
            Waste(
                eural=row["eural"],
                description=row["description"],
                name=row["name"],
                kg_per_emp_month=_number(row["kg_per_employee_month"], where),
                receiver=row["receiver"],
                monthly_p=_number(row["monthly_p"], where),
            )
        )
    sectors: list[Sector] = []
    sector_columns = (
        "key",
        "sbi2008",
        "sbi2025",
        "weight",
        "employees_median",
        "stream_p",
        "legal",
        "name_prefixes",
    )
    for n, row in enumerate(_read_csv("sectors.csv", sector_columns), start=2):
        where = f"sectors.csv line {n}"
        if row["legal"] not in LEGAL_KINDS:
            raise TableError(f"{where}: legal {row['legal']!r} is not one of {LEGAL_KINDS}")
        if any(s.key == row["key"] for s in sectors):
            raise TableError(f"{where}: sector {row['key']!r} appears twice")
        sectors.append(
            Sector(
                key=row["key"],
                sbi2008=row["sbi2008"],
                sbi2025=row["sbi2025"],
                weight=_number(row["weight"], where),
                emp_median=_number(row["employees_median"], where),
                names=tuple(row["name_prefixes"].split("|")),
                wastes=tuple(streams.pop(row["key"], ())),
                stream_p=_number(row["stream_p"], where),
                legal=row["legal"],
            )
        )
    if streams:
        raise TableError(f"waste_streams.csv: unknown sectors {sorted(streams)}")
    keys = {s.key for s in sectors}
    for kind, receiver in receivers.items():
        unknown = set(receiver.sectors) - keys
        if unknown:
            raise TableError(f"receivers.yaml kinds.{kind}: unknown sectors {sorted(unknown)}")
    return tuple(sectors)


def _words(doc: dict[str, Any], key: str) -> tuple[str, ...]:
    return tuple(_text(x, f"names.yaml {key}") for x in doc[key])


_NAMES = _read_yaml("names.yaml")
_REGION = _read_yaml("region.yaml")
_CBS = _read_yaml("cbs.yaml")

# Regio Amersfoort (the shipped sample), its inhabitants and 4-digit postcode ranges.
REGIO_AMERSFOORT: tuple[str, ...] = tuple(
    _text(m["code"], "region.yaml municipalities") for m in _REGION["municipalities"]
)
POPULATION: dict[str, int] = {m["code"]: int(m["population"]) for m in _REGION["municipalities"]}
PC4_RANGES: dict[str, tuple[int, int]] = {
    m["code"]: (int(m["pc4"][0]), int(m["pc4"][1])) for m in _REGION["municipalities"]
}
DEFAULT_POPULATION: int = int(_REGION["default_population"])  # municipalities not listed

RECEIVERS: dict[str, ReceiverKind] = load_receivers()
COLLECTOR_OUT_OF_REGION: Party = load_collector_out_of_region()
SECTORS: tuple[Sector, ...] = load_sectors(RECEIVERS)

WORDS: tuple[str, ...] = _words(_NAMES, "business_words")
FIRST: tuple[str, ...] = _words(_NAMES, "first_names")
LAST: tuple[str, ...] = _words(_NAMES, "last_names")
STREETS: tuple[str, ...] = _words(_NAMES, "streets")

KERNCIJFERS_FIELDS: tuple[CbsField, ...] = tuple(
    CbsField(
        **{f: _text(e[f], "cbs.yaml kerncijfers_fields") for f in CbsField.__dataclass_fields__}
    )
    for e in _CBS["kerncijfers_fields"]
)
HOUSEHOLD_WASTE_TOTAL: tuple[str, str] = (
    _text(_CBS["household_waste_total"]["code"], "cbs.yaml household_waste_total"),
    _text(_CBS["household_waste_total"]["title"], "cbs.yaml household_waste_total"),
)
HOUSEHOLD_WASTE_KINDS: tuple[HouseholdWasteKind, ...] = tuple(
    HouseholdWasteKind(
        code=_text(e["code"], "cbs.yaml household_waste_kinds"),
        title=_text(e["title"], "cbs.yaml household_waste_kinds"),
        share_low=float(e["share_low"]),
        share_high=float(e["share_high"]),
    )
    for e in _CBS["household_waste_kinds"]
)

#: The Nederland row: field key -> value (published, or approximate where cbs.yaml says so).
NETHERLANDS_KERNCIJFERS: dict[str, float] = {
    _text(k, "cbs.yaml netherlands.kerncijfers"): float(v["value"])
    for k, v in _CBS["netherlands"]["kerncijfers"].items()
}
NETHERLANDS_HOUSEHOLD_WASTE: dict[str, dict[str, float]] = {
    _text(k, "cbs.yaml netherlands.household_waste"): {
        year: float(v) for year, v in entry.items() if year.isdigit()
    }
    for k, entry in _CBS["netherlands"]["household_waste"].items()
}
#: Average income per inhabitant (x 1 000 euro) of municipalities a source gives it for.
INCOME_PER_INHABITANT: dict[str, float] = {
    _text(k, "cbs.yaml income_per_inhabitant"): float(v["value"])
    for k, v in _CBS["income_per_inhabitant"].items()
}


def municipality_frame(codes: Sequence[str] | None) -> pd.DataFrame:
    """The municipalities to generate, from the reference data (codes None: all, sorted)."""
    from regionomie.domain.reference import load_municipalities

    ref = load_municipalities()
    if codes is None:
        out = ref.sort_values("municipality_code").reset_index(drop=True)
    else:
        out = ref.set_index("municipality_code").loc[list(codes)].reset_index()
    return out[["municipality_code", "name", "province_code", "province_name", "lat", "lon"]]
