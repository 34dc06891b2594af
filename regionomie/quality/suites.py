"""One Great Expectations suite per dataset, built in code and versioned.

A suite is assembled here from the table's own rules (regionomie.quality.dataset_rules for
pipeline tables, regionomie.quality.reference_rules for the shipped code lists) plus the gates
every table shares: columns equal the contract (schema drift), not empty and within the volume
band of the previous load, and at most so many nulls per column. Each rule carries its level:

* ``row``     -> rows that fail are quarantined (set aside with the rule name as the reason);
* ``dataset`` -> the whole load is gated (schema drift, null rates, volume, coverage).

Where the pieces live: what a rule is (regionomie.quality.rules), the numbers the rules judge
by (regionomie.quality.thresholds), the vectorised checks behind derived ``_q_<rule>`` columns
(regionomie.quality.derivations), and running a suite, quarantine and gating
(regionomie.quality.validate). This module is pure domain logic plus GX: it imports neither
dagster nor neo4j.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402

from regionomie.domain.schemas import CONTRACTS  # noqa: E402
from regionomie.quality.dataset_rules import (  # noqa: E402
    establishment_rules,
    municipal_indicator_rules,
    municipality_rules,
    organisation_rules,
    sector_density_rules,
    waste_party_link_rules,
    waste_record_rules,
)
from regionomie.quality.reference_rules import (  # noqa: E402
    REFERENCE_COLUMNS,
    eural_rules,
    sbi2008_rules,
    sbi2025_rules,
)
from regionomie.quality.rules import DERIVED_PREFIX, E, Rule, ValidationContext  # noqa: E402
from regionomie.quality.thresholds import MAX_NULL_RATE, SUITE_VERSIONS  # noqa: E402

_RULE_BUILDERS: dict[str, Callable[[ValidationContext], list[Rule]]] = {
    "organisations": organisation_rules,
    "establishments": establishment_rules,
    "waste_records": waste_record_rules,
    "waste_party_links": waste_party_link_rules,
    "municipal_indicators": municipal_indicator_rules,
    "municipalities": municipality_rules,
    "sector_density": sector_density_rules,
    "eural": eural_rules,
    "sbi2008": sbi2008_rules,
    "sbi2025": sbi2025_rules,
}

TABLES: tuple[str, ...] = tuple(_RULE_BUILDERS)


def rules_for(table: str, context: ValidationContext | None = None) -> list[Rule]:
    """All rules of a table's suite for this context (schema and volume gates included).
    The single place where each rule's level (row -> quarantine, dataset -> gate) is set."""
    if table not in _RULE_BUILDERS:
        raise KeyError(f"no quality suite for table {table!r}; known: {', '.join(TABLES)}")
    ctx = context or ValidationContext()
    body = _RULE_BUILDERS[table](ctx) + _null_rate(table, ctx)
    derived = tuple(r.derived_column for r in body if r.derive is not None)
    volume = _volume_rules(ctx) if table not in REFERENCE_COLUMNS else []
    return [_schema_rule(table, derived), *volume, *body]


def expected_columns(table: str) -> tuple[str, ...]:
    """The columns a table must have: the contract (with provenance) or a reference list."""
    if table in REFERENCE_COLUMNS:
        return REFERENCE_COLUMNS[table]
    return CONTRACTS[table].all_columns


def _schema_rule(table: str, derived: tuple[str, ...]) -> Rule:
    cols = list(expected_columns(table)) + list(derived)
    return Rule(
        "schema_matches_contract",
        "dataset",
        E.ExpectTableColumnsToMatchSet(column_set=cols, exact_match=True),
        description="columns equal the table contract: a missing or extra column is schema drift",
    )


def _volume_rules(context: ValidationContext) -> list[Rule]:
    if context.source_absent:  # open-data mode: nothing landed for an optional table
        return []
    rules = [
        Rule(
            "not_empty",
            "dataset",
            E.ExpectTableRowCountToBeBetween(min_value=1),
            description="a load with no rows is not a load",
        )
    ]
    prev = context.previous_row_count
    if prev:
        lo, hi = context.volume_band
        rules.append(
            Rule(
                "row_count_within_band",
                "dataset",
                E.ExpectTableRowCountToBeBetween(
                    min_value=math.ceil(prev * lo), max_value=math.floor(prev * hi)
                ),
                description=f"row count within {lo:.0%}..{hi:.0%} of the previous load ({prev}); "
                "if the change is deliberate, re-run with "
                '`regionomie run --accept-volume-change "reason"` (run tag '
                "regionomie/accept_volume_change)",
            )
        )
    return rules


# Rows a source does not promise a column for are outside that column's null rate: a KvK
# Zoeken result carries postcode and house number only when the search was on them (KvK,
# "Zoeken API": "Postcode en huisnummer worden niet standaard in het zoekresultaat getoond"),
# so a place search lands establishments without postcode until their profiles are fetched.
SEARCH_RESULT_SOURCE = "kvk-zoeken"
NULL_RATE_SCOPE: dict[str, dict[str, str]] = {
    "establishments": {"postcode": SEARCH_RESULT_SOURCE, "city": SEARCH_RESULT_SOURCE},
}


def _missing_share_detail(col: str, exempt_source: str | None) -> Callable[[Any], str]:
    """'12% missing (3 of 25 rows)': the share that is missing, not the share present."""

    def detail(data: Any) -> str:
        values = data[col]
        missing = values.isna() | (values.astype("string").str.strip() == "").fillna(False)
        note = ""
        if exempt_source is not None and "source" in data.columns:
            exempt = (data["source"] == exempt_source).fillna(False).to_numpy(dtype=bool)
            skipped = int((missing.to_numpy(dtype=bool) & exempt).sum())
            missing = missing & ~exempt
            if skipped:
                note = (
                    f"; {skipped} KvK search results without {col} not counted (fetch their "
                    "profiles to place them: regionomie fetch kvk ... --profiles)"
                )
        n = len(values)
        share = float(missing.sum()) / n if n else 0.0
        return f"{share:.0%} missing ({int(missing.sum())} of {n} rows){note}"

    return detail


def _present_or_exempt(col: str, source: str) -> Callable[[Any, ValidationContext], Any]:
    def derive(data: Any, ctx: ValidationContext) -> Any:
        values = data[col]
        present = values.notna() & (values.astype("string").str.strip() != "").fillna(False)
        if "source" not in data.columns:
            return present
        return present | (data["source"] == source).fillna(False)

    return derive


def _null_rate(table: str, ctx: ValidationContext) -> list[Rule]:
    if ctx.source_absent:  # no rows at all: nothing can be missing
        return []
    rules = []
    for col, (rate, blocking) in MAX_NULL_RATE.get(table, {}).items():
        exempt = NULL_RATE_SCOPE.get(table, {}).get(col)
        if exempt is None:
            rules.append(
                Rule(
                    f"{col}_null_rate",
                    "dataset",
                    E.ExpectColumnProportionOfNonNullValuesToBeBetween(
                        column=col, min_value=1 - rate
                    ),
                    (col,),
                    description=f"at most {rate:.0%} of {col} may be missing",
                    blocking=blocking,
                    detail=_missing_share_detail(col, None),
                )
            )
            continue
        name = f"{col}_null_rate"
        rules.append(
            Rule(
                name,
                "dataset",
                E.ExpectColumnValuesToBeInSet(
                    column=f"{DERIVED_PREFIX}{name}", value_set=[True], mostly=1 - rate
                ),
                (col,),
                derive=_present_or_exempt(col, exempt),
                description=f"at most {rate:.0%} of {col} may be missing (KvK search results, "
                f"which carry no {col} unless searched on, not counted)",
                blocking=blocking,
                detail=_missing_share_detail(col, exempt),
            )
        )
    return rules


def build_suite(
    table: str, rules: list[Rule], *, fresh_context: bool = True
) -> gx.ExpectationSuite:
    """A GX suite from rules; each expectation's meta carries rule name, level and version.
    GX needs an active data context to build suites: a fresh ephemeral one unless the caller
    just made one (fresh_context=False)."""
    if fresh_context:
        gx.get_context(mode="ephemeral")
    version = SUITE_VERSIONS[table]
    suite = gx.ExpectationSuite(
        name=f"{table}_v{version.replace('.', '_')}",  # dots would nest Data Docs folders
        meta={"table": table, "suite_version": version},
    )
    for rule in rules:
        exp = rule.expectation  # fresh per rules_for() call, so setting meta is safe
        exp.meta = {
            "rule": rule.name,
            "level": rule.level,
            "blocking": rule.blocking,
            "table": table,
            "suite_version": version,
            "description": rule.description,
        }
        suite.add_expectation(exp)
    return suite
