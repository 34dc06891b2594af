"""A one-page HTML report per validation run, next to GX's own Data Docs site.

GX Data Docs (built by a Checkpoint into data_docs_dir()/<table>/gx/) show expectations and
unexpected values; they do not know what we quarantined. This page adds that: rows in, valid,
quarantined, per rule its level, success, unexpected and quarantined counts and sample values,
and links to the GX page. Written to data_docs_dir()/<table>/runs/<run_id>.html and copied to
data_docs_dir()/<table>/index.html (stable link for "latest").
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


def _samples(res: dict[str, Any] | None, column: str | None) -> str:
    if not res or column in PERSONAL_COLUMNS:
        return ""
    values = (res.get("result") or {}).get("partial_unexpected_list") or []
    return ", ".join(_esc(v) for v in values[:5])


def _quarantine_samples(outcome: ValidationOutcome, rule: str, k: int = 5) -> str:
    """Source values of the first quarantined rows of a rule (names already masked), more
    telling than GX's sample of a derived boolean column."""
    q = outcome.quarantined
    if q.empty or rule not in outcome.rule_counts:
        return ""
    hit = q["failed_rules"].str.contains(rf"(?:^|;){re.escape(rule)}(?:;|$)", regex=True)
    values = q.loc[hit.fillna(False).astype(bool), "failed_values"].head(k)
    return "<br>".join(_esc(v) for v in values)


def render_report(
    outcome: ValidationOutcome, rules: list[Rule], unexpected_counts: dict[str, int], out_dir: Path
) -> Path:
    """Render the run's report; returns the per-run HTML path (for asset-check metadata)."""
    folder = out_dir / outcome.table
    runs = folder / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    by_rule = {
        (r.get("expectation_config") or {}).get("meta", {}).get("rule"): r
        for r in outcome.gx_result.get("results", [])
    }
    failures = dict(outcome.dataset_failures)
    warned = dict(outcome.warnings)
    skipped = set(outcome.skipped_rules)
    rows = []
    for rule in rules:
        res = by_rule.get(rule.name)
        if rule.name in skipped:
            status, cls = "skipped (column missing)", "skip"
        elif rule.name in failures or rule.name in outcome.rule_counts:
            status, cls = "failed", "fail"
        elif rule.name in warned:
            status, cls = "warning (not blocking)", "skip"
        else:
            status, cls = "passed", "ok"
        column = rule.columns[0] if rule.columns else None
        rows.append(
            f"<tr><td><code>{_esc(rule.name)}</code></td><td>{rule.level}</td>"
            f"<td>{_esc(rule.description)}</td><td class='{cls}'>{status}</td>"
            f"<td>{unexpected_counts.get(rule.name, '')}</td>"
            f"<td>{outcome.rule_counts.get(rule.name, '')}</td>"
            f"<td>{_esc(failures.get(rule.name, warned.get(rule.name, '')))} "
            f"{_quarantine_samples(outcome, rule.name) or _samples(res, column)}</td></tr>"
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
    path.write_text(page, encoding="utf-8")
    latest = page.replace("href='", "href='runs/").replace("href='runs/../", "href='")
    (folder / "index.html").write_text(latest, encoding="utf-8")
    return path
