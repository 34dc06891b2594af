"""Data Docs under attack: the hostile corpus (tests/bad_inputs/hostile) through a validation
that fails - row rules quarantining sole proprietors' rows, a dataset rule blocking, a landed
column named like markup - and every HTML page of our report and of GX's own Data Docs read
back: no markup from the data is live, and no personal value of a sole proprietor is there."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from regionomie.domain.parsers import parse_file
from regionomie.quality.context import reference_context
from regionomie.quality.validate import validate_table

HOSTILE = Path(__file__).parent / "bad_inputs" / "hostile" / "kvk"
SCRIPT = "<script>alert('docs')</script>"
LIVE_MARKUP = re.compile(r"<script>alert|<img src=x", re.IGNORECASE)  # unescaped tags


def _hostile_establishments() -> pd.DataFrame:
    path = next(HOSTILE.glob("establishments_hostile_*.csv"))
    return parse_file(path, "kvk")["establishments"].rows.reset_index(drop=True)


def _attacked(est: pd.DataFrame) -> pd.DataFrame:
    """Every sole proprietor fails a row rule on an identifying column; legal entities carry
    markup in failing values; a third of the cities go missing (a blocking dataset rule)."""
    out = est.copy()
    sole = out.index[out["is_sole_proprietor"].astype(bool)]
    firms = out.index[~out["is_sole_proprietor"].astype(bool)]
    out["postcode"] = out["postcode"].astype(object)
    out.loc[sole[0::4], "postcode"] = out.loc[sole[0::4], "postcode"].astype(str) + SCRIPT
    out.loc[sole[1::4], "lat"] = 60.123456
    out.loc[sole[2::4], "vestigingsnummer"] = out.loc[sole[2::4], "vestigingsnummer"] + "X"
    out.loc[sole[3::4], "kvk_nummer"] = out.loc[sole[3::4], "kvk_nummer"] + "Y"
    out.loc[firms[::2], "postcode"] = SCRIPT
    out.loc[out.index[::3], "city"] = None
    out[f"{SCRIPT}<img src=x onerror=alert(1)>"] = "extra column"
    return out


def _personal_values(est: pd.DataFrame, attacked: pd.DataFrame) -> set[str]:
    """A sole proprietor's name, numbers, street, full postcode and exact coordinates, as
    they appear in the data (before and after the attack)."""
    values: set[str] = set()
    for frame in (est, attacked):
        sole = frame[frame["is_sole_proprietor"].astype(bool)]
        for column in ("vestigingsnummer", "kvk_nummer", "street", "lat", "lon"):
            values |= {str(v) for v in sole[column].dropna()}
        values |= {str(n).split(";")[0] for n in sole["trade_name"].dropna()}
        values |= {f"{s} {h}" for s, h in zip(sole["street"], sole["house_number"], strict=True)}
    return {v for v in values if len(v) >= 6}


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str], object]:
    est = _hostile_establishments()
    attacked = _attacked(est)
    folder = tmp_path_factory.mktemp("data_docs")
    outcome = validate_table(
        "establishments",
        attacked,
        context=reference_context(related={}, previous_row_count=None),
        docs_dir=folder,
        run_id="20260105T060000Z-attack",
    )
    return folder, _personal_values(est, attacked), outcome


def test_the_validation_failed_and_quarantined_the_attacked_rows(docs) -> None:
    folder, _, outcome = docs
    assert not outcome.passed
    assert {"schema_matches_contract", "city_null_rate"} <= {r for r, _ in outcome.dataset_failures}
    assert outcome.rule_counts.get("lat_in_bbox", 0) > 0
    assert outcome.rule_counts.get("vestigingsnummer_format", 0) > 0
    pages = list(folder.rglob("*.html"))
    assert (
        any("/gx/" in p.as_posix() for p in pages)
        and (folder / "establishments" / "index.html").exists()
    )


def test_no_markup_from_data_is_live_in_any_page(docs) -> None:
    folder, _, _ = docs
    live = {
        str(p.relative_to(folder)): LIVE_MARKUP.findall(
            p.read_text(encoding="utf-8", errors="replace")
        )
        for p in folder.rglob("*.html")
    }
    assert {k: v for k, v in live.items() if v} == {}
    ours = (folder / "establishments" / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#x27;docs&#x27;)&lt;/script&gt;" in ours  # shown, as text


def test_no_personal_value_of_a_sole_proprietor_in_any_page(docs) -> None:
    folder, personal, _ = docs
    assert len(personal) >= 60  # the check had something to find
    leaked = {}
    for page in folder.rglob("*.html"):
        text = page.read_text(encoding="utf-8", errors="replace")
        hits = sorted(v for v in personal if v in text)
        if hits:
            leaked[str(page.relative_to(folder))] = hits[:10]
    assert leaked == {}
    ours = (folder / "establishments" / "index.html").read_text(encoding="utf-8")
    assert "lat=&lt;masked&gt;" in ours and "vestigingsnummer=&lt;masked&gt;" in ours


def test_data_docs_are_owner_only(docs) -> None:
    folder, _, _ = docs
    for page in (folder / "establishments").glob("**/index.html"):
        if "/gx/" not in page.as_posix():
            assert page.stat().st_mode & 0o077 == 0, page
