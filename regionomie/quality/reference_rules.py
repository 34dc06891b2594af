"""Columns and rules of the shipped reference lists (EURAL, SBI 2008, SBI 2025).

Why separate from the pipeline tables: reference lists carry no provenance columns and no
previous load to compare volumes with, and their checks (code shape per level, parents that
exist, plausible list sizes) say whether a shipped CSV was damaged, not whether a source
delivered good data.
"""

from __future__ import annotations

import pandas as pd

from regionomie.domain import reference
from regionomie.quality.rules import (
    E,
    Rule,
    ValidationContext,
    derived,
    in_set,
    not_null,
    regex,
    unique,
)
from regionomie.quality.thresholds import (
    EURAL_ROW_BAND,
    SBI_ROW_BAND,
    WEIGHT_CEILING_KG_BY_CHAPTER,
)

# Reference lists are not pipeline tables (no provenance columns): their own small contracts.
# (Shapes of the shipped CSVs read by regionomie.domain.reference, read as strings.)
REFERENCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "eural": reference.EURAL_COLUMNS,
    "sbi2008": reference.SBI2008_COLUMNS,
    "sbi2025": reference.SBI2025_COLUMNS,
}

_EURAL_LEVEL_PATTERN = {"chapter": r"^\d{2}$", "subchapter": r"^\d{4}$", "entry": r"^\d{6}$"}
_SBI2008_LEVEL_LENGTH = {"section": 1, "division": 2, "group": 3, "class": 4, "subclass": 5}


def _eural_code_matches_level(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    code, level = df["code"].astype("string"), df["level"].astype("string")
    ok = pd.Series(False, index=df.index)
    for lvl, pattern in _EURAL_LEVEL_PATTERN.items():
        ok = ok | ((level == lvl) & code.str.fullmatch(pattern)).fillna(False)
    chapter_ok = (df["chapter"].astype("string") == code.str.slice(0, 2)).fillna(False)
    return ok & chapter_ok & code.str.slice(0, 2).isin(WEIGHT_CEILING_KG_BY_CHAPTER)


def _eural_hazard_on_entries(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    # entries carry True/False (the official '*'), headings carry no flag
    flag = df["hazardous"].astype("string").replace("", pd.NA)
    is_entry = df["level"] == "entry"
    valid_flag = flag.str.lower().isin(["true", "false"]).fillna(False)
    return (is_entry & valid_flag) | (~is_entry & flag.isna())


def _parent_exists(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    parent = df["parent"].astype("string").replace("", pd.NA)
    return parent.isna() | parent.isin(df["code"])


def _sbi2008_code_matches_level(df: pd.DataFrame, ctx: ValidationContext) -> pd.Series:
    code = df["code"].astype("string")
    expected_len = df["level"].map(_SBI2008_LEVEL_LENGTH)
    shape = code.str.fullmatch(r"[A-U]|\d{2,5}").fillna(False)
    return shape & (code.str.len() == expected_len).fillna(False)


def eural_rules(ctx: ValidationContext) -> list[Rule]:
    return [
        in_set("level_known", "level", set(_EURAL_LEVEL_PATTERN), "chapter/subchapter/entry"),
        derived(
            "code_matches_level",
            ("code", "level", "chapter"),
            _eural_code_matches_level,
            "2/4/6 digits for chapter/subchapter/entry, chapter 01..20 and consistent",
        ),
        unique("code_unique", ("code",), "one entry per code"),
        derived(
            "hazard_flag_on_entries",
            ("level", "hazardous"),
            _eural_hazard_on_entries,
            "every entry says hazardous true/false (the official '*'); headings none",
        ),
        not_null("description_nl"),
        Rule(
            "entry_count",
            "dataset",
            E.ExpectColumnValuesToBeInSet(column="level", value_set=["entry"], mostly=0.8),
            ("level",),
            description="most rows are 6-digit entries",
        ),
        Rule(
            "row_count_plausible",
            "dataset",
            E.ExpectTableRowCountToBeBetween(
                min_value=EURAL_ROW_BAND[0], max_value=EURAL_ROW_BAND[1] + 200
            ),
            description="the 2014 list: 842 entries plus 131 headings",
        ),
    ]


def sbi2008_rules(ctx: ValidationContext) -> list[Rule]:
    return [
        in_set("level_known", "level", set(_SBI2008_LEVEL_LENGTH), "section..subclass"),
        derived(
            "code_matches_level",
            ("code", "level"),
            _sbi2008_code_matches_level,
            "section letter, 2..5 digits by level",
        ),
        unique("code_unique", ("code",), "one row per code"),
        derived(
            "parent_exists",
            ("parent", "code"),
            _parent_exists,
            "every code's parent is in the list",
        ),
        not_null("label_nl"),
        Rule(
            "row_count_plausible",
            "dataset",
            E.ExpectTableRowCountToBeBetween(min_value=SBI_ROW_BAND[0], max_value=SBI_ROW_BAND[1]),
            description="SBI 2008 has ~1,450 codes over all levels",
        ),
    ]


def sbi2025_rules(ctx: ValidationContext) -> list[Rule]:
    return [
        regex("code_format", "code", r"^\d{5}$", "SBI 2025 codes are 5 digits"),
        unique("code_unique", ("code",), "one row per code"),
        regex("nace21_class_format", "nace21_class", r"^\d{4}$", "NACE Rev.2.1 class"),
        regex(
            "nace2_class_format",
            "nace2_class",
            r"^(?:\d{4})?$",
            "comparable NACE Rev.2 class or empty",
        ),
        derived(
            "code_in_nace21_class",
            ("code", "nace21_class"),
            lambda df, ctx: (
                df["code"].astype("string").str.slice(0, 4) == df["nace21_class"]
            ).fillna(False),
            "the first 4 digits are the NACE Rev.2.1 class",
        ),
        not_null("label_nl"),
        Rule(
            "row_count_plausible",
            "dataset",
            E.ExpectTableRowCountToBeBetween(min_value=SBI_ROW_BAND[0], max_value=SBI_ROW_BAND[1]),
            description="SBI 2025 has ~900 subclasses",
        ),
    ]
