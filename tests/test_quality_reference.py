"""The shipped reference lists pass their own suites; damaged copies do not."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from regionomie.domain.reference import load_list
from regionomie.quality.context import reference_context
from regionomie.quality.validate import validate_table


@pytest.fixture(autouse=True)
def _state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGIONOMIE_STATE_DIR", str(tmp_path / "state"))


@pytest.mark.parametrize("name", ["eural", "sbi2008", "sbi2025"])
def test_shipped_reference_lists_are_clean(name: str) -> None:
    out = validate_table(name, load_list(name), context=reference_context(), build_docs=False)
    assert out.passed, out.dataset_failures
    assert out.rule_counts == {}
    assert out.rows_valid > 500


def test_damaged_eural_is_caught() -> None:
    df = load_list("eural")
    entries = df.index[df["level"] == "entry"]
    df.loc[entries[0], "hazardous"] = pd.NA  # an entry without its '*' decision
    df.loc[entries[1], "code"] = "2101"  # entry code of the wrong length
    df = pd.concat([df, df.loc[[entries[2]]]], ignore_index=True)  # duplicated entry
    out = validate_table("eural", df, context=reference_context(), build_docs=False)
    assert out.rule_counts["hazard_flag_on_entries"] == 1
    assert out.rule_counts["code_matches_level"] == 1
    assert out.rule_counts["code_unique"] == 2
    assert out.rows_in == out.rows_valid + out.rows_quarantined


def test_sbi2008_orphan_is_caught() -> None:
    df = load_list("sbi2008")
    i = df.index[df["level"] == "subclass"][0]
    df.loc[i, "parent"] = "9999"
    out = validate_table("sbi2008", df, context=reference_context(), build_docs=False)
    assert out.rule_counts == {"parent_exists": 1}


def test_region_context_and_unknown_region() -> None:
    ctx = reference_context(region="regio-amersfoort")
    assert ctx.region_municipality_codes and "GM0307" in ctx.region_municipality_codes
    assert ctx.eural_codes and "200108" in ctx.eural_codes
    with pytest.raises(KeyError):
        reference_context(region="atlantis")
