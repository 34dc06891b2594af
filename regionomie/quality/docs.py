"""A one-page HTML report per validation run, next to GX's own Data Docs site.

GX Data Docs (built by a Checkpoint into data_docs_dir()/<table>/gx/) show expectations and
unexpected values; they do not know what we quarantined. This page adds that: rows in, valid,
quarantined, per rule its level, success, unexpected and quarantined counts and sample values,
and links to the GX page. Written to data_docs_dir()/<table>/runs/<run_id>.html and copied to
data_docs_dir()/<table>/index.html (stable link for "latest").

Data Docs are read in a browser and passed around, so they show no personal data and run no
markup from data: every value is HTML-escaped, and a sample value of a column that can
identify a person (name, numbers, street, postcode, coordinates, a waste party's name and
address) is shown only for a known legal entity's row; a sole proprietor's, or a row whose
legal form is unknown (every waste party), shows `<masked>`. GX's own pages carry no sample
values at all (regionomie.quality.validate asks GX for none).
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from regionomie.domain.opportunities.common import sole_proprietor_mask
from regionomie.fileio import atomic_write, make_dirs
from regionomie.quality.rules import PERSONAL_COLUMNS, Rule

if TYPE_CHECKING:
    from regionomie.quality.validate import ValidationOutcome

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f3f3f3}.ok{color:#17702b}.fail{color:#b00020}
.skip{color:#888}code{font-size:90%}
"""


def _esc(value: Any) -> str:
    return html.escape(str(value))


MASK = "<masked>"
SAMPLE_CHARACTERS = 80
# Columns that identify a person on a sole proprietor's row; a waste party's <role>_<field>.
IDENTIFYING_COLUMNS: frozenset[str] = PERSONAL_COLUMNS | frozenset(
    {
        "vestigingsnummer",
        "kvk_nummer",
        "street",
        "house_number",
        "house_number_addition",
        "postcode",
        "lat",
        "lon",
    }
)
_PARTY_FIELDS = ("_name", "_street", "_house_number", "_postcode")


def is_identifying(column: str) -> bool:
    return column in IDENTIFYING_COLUMNS or column.endswith(_PARTY_FIELDS)


def personal_rows(rows: pd.DataFrame) -> np.ndarray:
    """Which rows may be a natural person's: sole proprietors and, failing closed, unknown
    legal forms; every row of a table that does not say (waste parties)."""
    if "is_sole_proprietor" in rows.columns or "legal_form" in rows.columns:
        return sole_proprietor_mask(rows).to_numpy(dtype=bool)
    return np.ones(len(rows), dtype=bool)


def _shown(value: Any, identifying: bool, personal: bool) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "<missing>"
    if identifying and personal:
        return MASK
    text = str(value)
    return text if len(text) <= SAMPLE_CHARACTERS else text[:SAMPLE_CHARACTERS] + "…"


def _quarantine_samples(outcome: ValidationOutcome, rule: Rule, k: int = 5) -> str:
    """The rule's columns in the first quarantined rows it failed, escaped, identifying
    values of a possible person masked; more telling than GX's derived boolean column."""
    q = outcome.quarantined
    if q.empty or rule.name not in outcome.rule_counts:
        return ""
    hit = q["failed_rules"].str.contains(rf"(?:^|;){re.escape(rule.name)}(?:;|$)", regex=True)
    rows = q.loc[hit.fillna(False).astype(bool).to_numpy()].head(k)
    personal = personal_rows(rows)
    columns = [c for c in rule.columns if c in rows.columns]
    lines = []
    for position in range(len(rows)):
        parts = [
            f"{c}=" + _shown(rows[c].iloc[position], is_identifying(c), bool(personal[position]))
            for c in columns
        ]
        lines.append("; ".join(parts))
    return "<br>".join(_esc(line) for line in lines)


def render_report(
    outcome: ValidationOutcome, rules: list[Rule], unexpected_counts: dict[str, int], out_dir: Path
) -> Path:
    """Render the run's report; returns the per-run HTML path (for asset-check metadata)."""
    folder = out_dir / outcome.table
    runs = folder / "runs"
    make_dirs(runs)
    failures = dict(outcome.dataset_failures)
    warned = dict(outcome.warnings)
    skipped = set(outcome.skipped_rules)
    rows = []
    for rule in rules:
        if rule.name in skipped:
            status, cls = "skipped (column missing)", "skip"
        elif rule.name in failures or rule.name in outcome.rule_counts:
            status, cls = "failed", "fail"
        elif rule.name in warned:
            status, cls = "warning (not blocking)", "skip"
        else:
            status, cls = "passed", "ok"
        rows.append(
            f"<tr><td><code>{_esc(rule.name)}</code></td><td>{rule.level}</td>"
            f"<td>{_esc(rule.description)}</td><td class='{cls}'>{status}</td>"
            f"<td>{unexpected_counts.get(rule.name, '')}</td>"
            f"<td>{outcome.rule_counts.get(rule.name, '')}</td>"
            f"<td>{_esc(failures.get(rule.name, warned.get(rule.name, '')))} "
            f"{_quarantine_samples(outcome, rule)}</td></tr>"
        )
    gx_link = ""
    if outcome.gx_docs_path is not None:
        rel = os.path.relpath(outcome.gx_docs_path, runs)
        gx_link = f"<p><a href='{_esc(rel)}'>Great Expectations Data Docs for this run</a></p>"
    verdict = "passed" if outcome.passed else "FAILED (blocking dataset-level rule)"
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>{_esc(outcome.table)} validation {_esc(outcome.run_id)}</title><style>{_STYLE}</style>
</head><body>
<h1>{_esc(outcome.table)} &mdash; suite v{_esc(outcome.suite_version)}</h1>
<p>Run <code>{_esc(outcome.run_id)}</code>: <b class="{"ok" if outcome.passed else "fail"}">
{verdict}</b></p>
<table><tr><th>rows in</th><th>valid</th><th>quarantined</th></tr>
<tr><td>{outcome.rows_in}</td><td>{outcome.rows_valid}</td><td>{outcome.rows_quarantined}</td>
</tr></table>
{gx_link}
<table><tr><th>rule</th><th>level</th><th>what it checks</th><th>result</th>
<th>unexpected</th><th>rows quarantined</th><th>details / sample values</th></tr>
{"".join(rows)}
</table></body></html>
"""
    path = runs / f"{outcome.run_id}.html"
    atomic_write(path, lambda p: p.write_text(page, encoding="utf-8"))  # owner-only, whole
    latest = page.replace("href='", "href='runs/").replace("href='runs/../", "href='")
    atomic_write(folder / "index.html", lambda p: p.write_text(latest, encoding="utf-8"))
    return path
