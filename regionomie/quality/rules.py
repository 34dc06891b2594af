"""What a quality rule is, and the constructors the per-table rule lists are written with.

A Rule pairs a GX expectation with its level (``row`` -> quarantine, ``dataset`` -> gate) and,
for checks GX cannot express natively, a vectorised `derive` function that computes the
boolean ``_q_<rule>`` column the expectation then tests. ValidationContext carries everything
a rule may need besides the table itself. Pure domain logic plus GX: no dagster, no neo4j.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402
from great_expectations.expectations import Expectation  # noqa: E402

from regionomie.quality.thresholds import VOLUME_BAND  # noqa: E402

Level = Literal["row", "dataset"]
DERIVED_PREFIX = "_q_"

# Values of these columns are personal data (a sole proprietor's name): never shown as failed
# values in reports or Data Docs.
PERSONAL_COLUMNS: frozenset[str] = frozenset({"name", "trade_name"})


@dataclass
class ValidationContext:
    """Everything a suite needs besides the table: reference sets, the region, the previous
    load's size and related tables for cross-dataset checks. A rule whose input is None is
    skipped (reported in ValidationOutcome.skipped_rules), never silently passed."""

    eural_codes: frozenset[str] | None = None
    hazardous_codes: frozenset[str] | None = None
    sbi_codes: Mapping[str, frozenset[str]] | None = None  # {"2008": {...}, "2025": {...}}
    municipality_codes: frozenset[str] | None = None  # every valid GM code
    region_municipality_codes: frozenset[str] | None = None  # the region being loaded
    previous_row_count: int | None = None
    related: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    volume_band: tuple[float, float] = VOLUME_BAND
    # nothing was ever landed for this (optional) table: empty is "absent", not a failed load
    source_absent: bool = False


Deriver = Callable[[pd.DataFrame, ValidationContext], "pd.Series[bool] | np.ndarray"]


@dataclass(frozen=True)
class Rule:
    """One check. `columns` are the contract columns it reads (the rule is skipped when one is
    missing, and their values are reported as failed_values); `derive` builds the boolean
    column the expectation tests, for checks GX has no native expectation for."""

    name: str
    level: Level
    expectation: Expectation
    columns: tuple[str, ...] = ()
    derive: Deriver | None = None
    description: str = ""
    blocking: bool = True  # dataset level only: False = reported as a warning, load goes on
    detail: Callable[[pd.DataFrame], str] | None = None  # dataset level: what exactly failed

    @property
    def derived_column(self) -> str:
        return f"{DERIVED_PREFIX}{self.name}"


# ---------------------------------------------------------------- rule constructors
E = gx.expectations  # the GX expectation classes, short for the rule tables


E = gx.expectations


def regex(name: str, col: str, pattern: str, desc: str) -> Rule:
    return Rule(
        name,
        "row",
        E.ExpectColumnValuesToMatchRegex(column=col, regex=pattern),
        (col,),
        description=desc,
    )


def not_null(col: str) -> Rule:
    return Rule(
        f"{col}_present",
        "row",
        E.ExpectColumnValuesToNotBeNull(column=col),
        (col,),
        description=f"{col} is required",
    )


def unique(name: str, cols: tuple[str, ...], desc: str) -> Rule:
    exp: Expectation
    if len(cols) == 1:
        exp = E.ExpectColumnValuesToBeUnique(column=cols[0])
    else:
        exp = E.ExpectCompoundColumnsToBeUnique(column_list=list(cols))
    return Rule(name, "row", exp, cols, description=desc)


def between(
    name: str, col: str, lo: float | None, hi: float | None, desc: str, strict_max: bool = False
) -> Rule:
    exp = E.ExpectColumnValuesToBeBetween(
        column=col, min_value=lo, max_value=hi, strict_max=strict_max
    )
    return Rule(name, "row", exp, (col,), description=desc)


def in_set(name: str, col: str, values: frozenset[str] | set[Any] | list[Any], desc: str) -> Rule:
    exp = E.ExpectColumnValuesToBeInSet(column=col, value_set=sorted(values, key=str))
    return Rule(name, "row", exp, (col,), description=desc)


def derived(name: str, cols: tuple[str, ...], fn: Deriver, desc: str) -> Rule:
    exp = E.ExpectColumnValuesToBeInSet(column=f"{DERIVED_PREFIX}{name}", value_set=[True])
    return Rule(name, "row", exp, cols, derive=fn, description=desc)
