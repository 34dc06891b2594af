"""Run a table's suite, split rows into valid and quarantined, gate the dataset.

`validate_table` is what the pipeline's asset checks and `regionomie validate` both call, so a
file judged on the command line is judged exactly as in a run. Row-level failures come from
GX's `unexpected_index_list` (result_format COMPLETE); nothing loops over rows in Python.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402
from great_expectations.core.run_identifier import RunIdentifier  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402

from regionomie import paths  # noqa: E402
from regionomie.fileio import atomic_write, make_dirs  # noqa: E402
from regionomie.quality.docs import render_report  # noqa: E402
from regionomie.quality.rules import PERSONAL_COLUMNS, Rule, ValidationContext  # noqa: E402
from regionomie.quality.suites import build_suite, expected_columns, rules_for  # noqa: E402
from regionomie.quality.thresholds import SUITE_VERSIONS  # noqa: E402

__all__ = [
    "ValidationContext",
    "ValidationOutcome",
    "new_run_id",
    "validate_table",
    "write_quarantine",
    "write_frame",
    "check_metadata",
]

# GX fingerprints every pandas batch (an md5 over pd.util.hash_pandas_object of the whole frame)
# for its batch markers, and gets the batch twice per validation: ~40% of the run time on 1M
# rows. We never look batches up by fingerprint (the source file's content_hash identifies the
# data), so the fingerprint is switched off by lowering GX's size threshold for it.
try:
    from great_expectations.execution_engine import pandas_execution_engine as _gx_pandas

    _gx_pandas.HASH_THRESHOLD = 0
except (ImportError, AttributeError):  # pragma: no cover - a future GX without the knob
    pass

MASK = "<masked>"
_BULKY_RESULT_KEYS = (
    "unexpected_list",
    "unexpected_index_list",
    "unexpected_index_query",
    "unexpected_rows",
)


@dataclass
class ValidationOutcome:
    """Result of one table validation. Invariant: rows_in == rows_valid + rows_quarantined."""

    table: str
    run_id: str
    suite_version: str
    valid: pd.DataFrame
    quarantined: pd.DataFrame
    rows_in: int
    rule_counts: dict[str, int]
    dataset_failures: list[tuple[str, str]]
    gx_result: dict[str, Any]
    docs_path: Path | None = None
    gx_docs_path: Path | None = None
    skipped_rules: list[str] = field(default_factory=list)
    rule_levels: dict[str, str] = field(default_factory=dict)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # non-blocking dataset rules

    @property
    def rows_valid(self) -> int:
        return len(self.valid)

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantined)

    @property
    def passed(self) -> bool:
        """True when no dataset-level gate failed (quarantined rows do not fail a load)."""
        return not self.dataset_failures

    @property
    def balanced(self) -> bool:
        return self.rows_in == self.rows_valid + self.rows_quarantined

    def summary(self) -> dict[str, Any]:
        """JSON-able figures for CLI output and Dagster metadata."""
        return {
            "table": self.table,
            "run_id": self.run_id,
            "suite_version": self.suite_version,
            "rows_in": self.rows_in,
            "rows_valid": self.rows_valid,
            "rows_quarantined": self.rows_quarantined,
            "rules_failed": dict(self.rule_counts),
            "dataset_failures": [{"rule": r, "message": m} for r, m in self.dataset_failures],
            "warnings": [{"rule": r, "message": m} for r, m in self.warnings],
            "passed": self.passed,
            "skipped_rules": list(self.skipped_rules),
            "docs_path": str(self.docs_path) if self.docs_path else None,
        }


def check_metadata(
    outcome: ValidationOutcome, quarantine_files: dict[str, Path] | None = None
) -> dict[str, Any]:
    """Plain values for a Dagster AssetCheckResult's metadata (wrap paths with
    dg.MetadataValue.path in the asset layer; this module stays free of dagster):
    row counts, rule counts, gate failures, warnings, suite version and the report path."""
    meta: dict[str, Any] = {
        "rows_in": outcome.rows_in,
        "rows_valid": outcome.rows_valid,
        "rows_quarantined": outcome.rows_quarantined,
        "suite_version": outcome.suite_version,
        "rules_failed": dict(outcome.rule_counts),
        "dataset_failures": [f"{r}: {m}" for r, m in outcome.dataset_failures],
        "warnings": [f"{r}: {m}" for r, m in outcome.warnings],
        "skipped_rules": list(outcome.skipped_rules),
    }
    if outcome.docs_path is not None:
        meta["data_docs"] = str(outcome.docs_path)
    if outcome.gx_docs_path is not None:
        meta["gx_data_docs"] = str(outcome.gx_docs_path)
    if quarantine_files:
        meta["quarantine_parquet"] = str(quarantine_files.get("parquet", ""))
    return meta


def new_run_id() -> str:
    """Sortable, unique, file-name safe: 20261128T090102Z-1a2b3c."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


# ---------------------------------------------------------------- GX execution
def _run_gx(
    table: str, data: pd.DataFrame, rules: list[Rule], run_id: str, site_dir: Path | None
) -> tuple[Any, Path | None]:
    """Validate with a fresh ephemeral context (GX state is process-global; names collide).
    With site_dir, a Checkpoint updates a filesystem Data Docs site there."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_def = (
        context.data_sources.add_pandas(f"{table}_source")
        .add_dataframe_asset(table)
        .add_batch_definition_whole_dataframe("whole")
    )
    suite = context.suites.add(build_suite(table, rules, fresh_context=False))
    # COMPLETE for the row indices the quarantine needs; no sample values, because GX's Data
    # Docs print them unescaped (a '<script>' in a postcode ran in the page) and whatever the
    # column (a sole proprietor's number or coordinates). Our own page shows masked samples.
    result_format = {"result_format": "COMPLETE", "partial_unexpected_count": 0}
    if site_dir is None:
        batch = batch_def.get_batch(batch_parameters={"dataframe": data})
        return batch.validate(suite, result_format=result_format), None
    site_dir.mkdir(parents=True, exist_ok=True)
    context.add_data_docs_site(
        site_name="regionomie",
        site_config={
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(site_dir),
            },
        },
    )
    vd = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{table}_validation", data=batch_def, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=f"{table}_checkpoint",
            validation_definitions=[vd],
            result_format=result_format,
            actions=[gx.checkpoint.UpdateDataDocsAction(name="docs", site_names=["regionomie"])],
        )
    )
    cp_result = checkpoint.run(
        batch_parameters={"dataframe": data}, run_id=RunIdentifier(run_name=run_id)
    )
    result = next(iter(cp_result.run_results.values()))
    pages = sorted((site_dir / "validations").glob(f"{suite.name}/**/{run_id}/**/*.html"))
    return result, (pages[-1] if pages else site_dir / "index.html")


_UNSAFE_NAME = re.compile(r"[^\w .\-]")


def _safe_column_names(columns: list[str]) -> dict[str, str]:
    """{name: safe name} for column names GX would print into its Data Docs as they are
    (a landed header such as '<script>...' becomes '_script_...'); plain names are kept."""
    renamed: dict[str, str] = {}
    taken = {str(c) for c in columns}
    for column in columns:
        text = str(column)
        if _UNSAFE_NAME.search(text) or len(text) > 200:
            safe = _UNSAFE_NAME.sub("_", text)[:200]
            while safe in taken:
                safe += "_"
            taken.add(safe)
            renamed[column] = safe
    return renamed


def _gx_view(data: pd.DataFrame, derived: dict[str, Any]) -> pd.DataFrame:
    """The frame GX evaluates: contract columns plus derived booleans. Nullable Int64/Float64
    columns become float64 (NaN for NA) because GX's between-check falls back to a per-value
    Python function for extension dtypes; integers below 2**53 convert exactly."""
    cols: dict[str, Any] = {}
    for col in data.columns:
        s = data[col]
        if isinstance(s.dtype, pd.api.extensions.ExtensionDtype) and (
            pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_float_dtype(s.dtype)
        ):
            cols[col] = s.astype("float64")
    view = data.assign(**cols) if cols else data
    if derived:
        derived_frame = pd.DataFrame(
            {k: np.asarray(v, dtype=bool) for k, v in derived.items()}, index=data.index
        )
        view = pd.concat([view, derived_frame], axis=1)
    renamed = _safe_column_names(list(view.columns))
    return view.rename(columns=renamed) if renamed else view


def _exception_text(res: Any) -> str:
    info = res.exception_info or {}
    msgs: list[str] = []
    if isinstance(info, dict):
        values = [info] if "exception_message" in info else list(info.values())
        for v in values:
            msg = v.get("exception_message") if isinstance(v, dict) else None
            if msg:
                msgs.append(str(msg).splitlines()[0])
    return msgs[0] if msgs else "the rule could not be evaluated on this data"


def _dataset_message(rule: Rule, res: Any, data: pd.DataFrame, expected: tuple[str, ...]) -> str:
    if rule.name == "schema_matches_contract":
        derived = [c for c in res.expectation_config.kwargs["column_set"] if c not in expected]
        cols = [c for c in data.columns if c not in derived]
        missing = [c for c in expected if c not in cols]
        extra = [c for c in cols if c not in expected]
        parts = []
        if missing:
            parts.append("missing columns: " + ", ".join(missing))
        if extra:
            parts.append("unexpected columns: " + ", ".join(extra))
        return "; ".join(parts) or "columns differ from the contract"
    if rule.detail is not None:
        return f"{rule.description}: {rule.detail(data)}"
    r = res.result or {}
    if "partial_missing_list" in r:
        return f"{rule.description}; missing: {', '.join(map(str, r['partial_missing_list']))}"
    if "observed_value" in r:
        observed = r["observed_value"]
        if isinstance(observed, float):
            observed = round(observed, 4)
        return f"{rule.description} (observed {observed})"
    return rule.description or rule.name


def _json_result(result: Any) -> dict[str, Any]:
    """The GX result as a JSON-able dict, without the per-row lists (they are in quarantine)."""
    doc = result.to_json_dict()
    for res in doc.get("results", []):
        body = res.get("result") or {}
        for key in _BULKY_RESULT_KEYS:
            body.pop(key, None)
        meta = (res.get("expectation_config") or {}).get("kwargs", {})
        if meta.get("column") in PERSONAL_COLUMNS:
            for key in ("partial_unexpected_list", "partial_unexpected_counts"):
                body.pop(key, None)
    return json.loads(json.dumps(doc, default=str))


# ---------------------------------------------------------------- row split
def _reasons(
    data: pd.DataFrame, qpos: np.ndarray, masks: dict[str, np.ndarray], rules: dict[str, Rule]
) -> tuple[np.ndarray, np.ndarray]:
    """failed_rules ('a;b') and failed_values ('col=v; col2=w') for quarantined rows, built
    column-wise: one numpy pass per failed rule, never per row."""
    n = len(qpos)
    failed_rules = np.full(n, "", dtype=object)
    failed_values = np.full(n, "", dtype=object)
    seen_cols: dict[str, np.ndarray] = {}
    reported: dict[str, np.ndarray] = {}
    for name, mask in masks.items():
        sub = mask[qpos]
        failed_rules = np.where(sub, failed_rules + name + ";", failed_rules)
        for col in rules[name].columns:
            if col not in data.columns:
                continue
            if col not in seen_cols:
                if col in PERSONAL_COLUMNS:
                    vals = np.where(data[col].iloc[qpos].isna().to_numpy(), "<missing>", MASK)
                    seen_cols[col] = vals.astype(object)
                else:
                    raw = data[col].iloc[qpos]
                    txt = raw.astype("string").fillna("<missing>").to_numpy(dtype=object)
                    seen_cols[col] = txt
            already = reported.setdefault(col, np.zeros(n, dtype=bool))
            add = sub & ~already
            reported[col] = already | sub
            failed_values = np.where(
                add, failed_values + f"{col}=" + seen_cols[col] + "; ", failed_values
            )
    rules_out = pd.Series(failed_rules, dtype="string").str.rstrip(";").to_numpy(dtype=object)
    values_out = pd.Series(failed_values, dtype="string").str.rstrip("; ").to_numpy(dtype=object)
    return rules_out, values_out


def validate_table(
    table: str,
    df: pd.DataFrame,
    *,
    context: ValidationContext | None = None,
    run_id: str | None = None,
    build_docs: bool = True,
    docs_dir: Path | None = None,
) -> ValidationOutcome:
    """Validate one table against its suite: valid rows, quarantined rows with reasons,
    dataset-level gate failures, the GX result, and (build_docs) an HTML report path."""
    ctx = context or ValidationContext()
    run_id = run_id or new_run_id()
    data = df.reset_index(drop=True)
    n = len(data)
    expected = expected_columns(table)
    present = set(data.columns)
    all_rules = rules_for(table, ctx)
    active = [r for r in all_rules if set(r.columns) <= present]
    skipped = [r.name for r in all_rules if r not in active]
    rule_by_name = {r.name: r for r in all_rules}

    derived = {r.derived_column: r.derive(data, ctx) for r in active if r.derive is not None}
    gx_frame = _gx_view(data, derived)

    out_dir = docs_dir or paths.data_docs_dir()
    site_dir = out_dir / table / "gx" if build_docs else None
    result, gx_page = _run_gx(table, gx_frame, active, run_id, site_dir)

    masks: dict[str, np.ndarray] = {}
    dataset_failures: list[tuple[str, str]] = []
    warnings: list[tuple[str, str]] = []
    unexpected_counts: dict[str, int] = {}
    by_rule = {res.expectation_config.meta.get("rule"): res for res in result.results}
    for rule in active:  # suite order, not GX's result order
        res = by_rule.get(rule.name)
        if res is None or res.success:
            continue
        body = res.result or {}
        if rule.level == "row" and "unexpected_index_list" in body:
            idx = body["unexpected_index_list"]
            if idx and isinstance(idx[0], dict):  # only when index columns are configured
                idx = [d.get("index", d) for d in idx]
            pos = np.asarray(idx, dtype=np.int64)
            mask = np.zeros(n, dtype=bool)
            mask[pos] = True
            masks[rule.name] = mask
            unexpected_counts[rule.name] = int(body.get("unexpected_count", len(pos)))
        elif rule.level == "row" or not body:
            dataset_failures.append((rule.name, f"could not evaluate: {_exception_text(res)}"))
        elif rule.blocking:
            dataset_failures.append((rule.name, _dataset_message(rule, res, data, expected)))
        else:
            warnings.append((rule.name, _dataset_message(rule, res, data, expected)))

    fail_any = np.zeros(n, dtype=bool)
    for mask in masks.values():
        fail_any |= mask
    qpos = np.flatnonzero(fail_any)
    quarantined = data.iloc[qpos].copy()
    failed_rules, failed_values = _reasons(data, qpos, masks, rule_by_name)
    quarantined["failed_rules"] = pd.array(failed_rules, dtype="string")
    quarantined["failed_values"] = pd.array(failed_values, dtype="string")
    valid = data.iloc[np.flatnonzero(~fail_any)]

    outcome = ValidationOutcome(
        table=table,
        run_id=run_id,
        suite_version=SUITE_VERSIONS[table],
        valid=valid,
        quarantined=quarantined,
        rows_in=n,
        rule_counts={k: int(v.sum()) for k, v in masks.items()},
        dataset_failures=dataset_failures,
        gx_result=_json_result(result),
        gx_docs_path=gx_page,
        skipped_rules=skipped,
        rule_levels={r.name: r.level for r in all_rules},
        warnings=warnings,
    )
    if build_docs:
        outcome.docs_path = render_report(outcome, all_rules, unexpected_counts, out_dir)
    return outcome


# ---------------------------------------------------------------- quarantine writer
def _arrow_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns with mixed types become strings so Parquet never refuses a quarantine."""
    fixed = df.copy()
    for col in fixed.columns:
        if fixed[col].dtype == object:
            fixed[col] = fixed[col].astype("string")
    return fixed


def write_frame(
    df: pd.DataFrame, table: str, stem: str, directory: Path | None = None
) -> dict[str, Path]:
    """Write df as <dir>/<table>/<stem>.parquet and .csv; returns both paths."""
    folder = (directory or paths.quarantine_dir()) / table
    make_dirs(folder)
    parquet, csv = folder / f"{stem}.parquet", folder / f"{stem}.csv"

    def write_parquet(path: Path) -> None:
        try:
            df.to_parquet(path, index=False)
        except (TypeError, ValueError, ImportError, ArithmeticError):
            _arrow_safe(df).to_parquet(path, index=False)
        except Exception as exc:  # pyarrow's own error types
            if type(exc).__module__.startswith("pyarrow"):
                _arrow_safe(df).to_parquet(path, index=False)
            else:
                raise

    # owner-only and all-or-nothing: quarantined rows hold whole records, names included
    atomic_write(parquet, write_parquet)
    atomic_write(csv, lambda p: df.to_csv(p, index=False))
    return {"parquet": parquet, "csv": csv}


def content_key(df: pd.DataFrame) -> str:
    """12 hex chars identifying what was quarantined: the source files' content hashes when
    the provenance column is there (same file -> same name), else a hash of the rows."""
    if "content_hash" in df.columns and df["content_hash"].notna().any():
        basis = "|".join(sorted(df["content_hash"].dropna().astype(str).unique()))
    else:
        basis = str(pd.util.hash_pandas_object(df.astype("string"), index=False).sum())
    return hashlib.sha256(basis.encode()).hexdigest()[:12]


def write_quarantine(outcome: ValidationOutcome, directory: Path | None = None) -> dict[str, Path]:
    """Write the quarantined rows (with failed_rules/failed_values) as Parquet AND CSV under
    quarantine_dir()/<table>/<table>__<content-key>__<run_id>.*; {} when nothing was set aside.
    Re-running the same file with the same run id overwrites, never duplicates."""
    if outcome.quarantined.empty:
        return {}
    stem = f"{outcome.table}__{content_key(outcome.quarantined)}__{outcome.run_id}"
    return write_frame(outcome.quarantined, outcome.table, stem, directory)
