"""`regionomie validate FILE --source kvk|waste|municipal [--json]`: parse and validate a
landing file exactly as the pipeline would, without loading it anywhere.

Prints rows in / valid / quarantined (parse-level rejects count as quarantined, so
rows in == valid + quarantined), counts per failed rule, the first offending rows (names
masked: a sole proprietor's trade name is personal data) and where the quarantine files went.
Exit 0 when the file is usable (even with quarantined rows); 1 when a blocking dataset-level
rule failed; 2 when the file is unusable as a whole; 3 on an internal error. Errors are one
line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from regionomie.domain.sources import SOURCES

EXIT_OK, EXIT_GATE, EXIT_UNUSABLE, EXIT_INTERNAL = 0, 1, 2, 3
SHOW_ROWS = 5
MASK = "<masked>"
PARSE_RULE_PREFIX = "parse:"


def register(subparsers: Any) -> None:
    """Add the `validate` command to the regionomie CLI."""
    p = subparsers.add_parser(
        "validate",
        help="parse and validate a landing file without loading it",
        description="Parse FILE as the pipeline would, run the quality suites, write the "
        "quarantine and Data Docs, and report. Exit 0 = usable.",
    )
    p.add_argument("file", type=Path, help="landing file (CSV, XLSX, JSON, GeoJSON)")
    p.add_argument("--source", required=True, choices=SOURCES)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--region", help="region name from data/regions.yaml (coverage checks)")
    p.add_argument(
        "--previous-rows",
        type=int,
        default=None,
        help="row count of the previous successful load (volume band check)",
    )
    p.add_argument("--run-id", default=None, help="run id for file names (default: new)")
    p.add_argument("--no-docs", action="store_true", help="skip Data Docs rendering")
    p.add_argument(
        "--quarantine-dir",
        type=Path,
        default=None,
        help="where quarantine files go (default: regionomie.paths.quarantine_dir())",
    )
    p.set_defaults(func=run)


def _personal(column: str) -> bool:
    low = column.lower()
    return "name" in low or "naam" in low


def _masked_rows(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """The first SHOW_ROWS rows with personal-name columns masked, JSON-safe."""
    head = frame.head(SHOW_ROWS)
    rows: list[dict[str, Any]] = []
    for rec in head[[c for c in columns if c in head.columns]].to_dict("records"):
        clean: dict[str, Any] = {}
        for k, v in rec.items():
            if _personal(str(k)):
                clean[k] = MASK
            elif pd.isna(v) if not isinstance(v, list | dict) else False:
                clean[k] = None
            else:
                clean[k] = v if isinstance(v, int | float | bool | str) else str(v)
        rows.append(clean)
    return rows


def _parse_reject_rows(rejected: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for rec in rejected.head(SHOW_ROWS).to_dict("records"):
        field = str(rec.get("field") or "")
        value = MASK if _personal(field) else rec.get("value")
        rows.append(
            {
                "source_row": int(rec["source_row"]),
                "field": field,
                "value": value,
                "reason": rec.get("reason"),
            }
        )
    return rows


def validate_file(
    path: Path,
    source: str,
    *,
    region: str | None = None,
    previous_rows: int | None = None,
    run_id: str | None = None,
    build_docs: bool = True,
    quarantine_dir: Path | None = None,
) -> dict[str, Any]:
    """Parse + validate one file; returns the report dict the CLI prints. Raises
    SourceFileError when the file is unusable as a whole."""
    from regionomie.domain.parsers import parse_file
    from regionomie.quality.context import reference_context
    from regionomie.quality.suites import TABLES
    from regionomie.quality.validate import (
        content_key,
        new_run_id,
        validate_table,
        write_frame,
        write_quarantine,
    )

    run_id = run_id or new_run_id()
    results = parse_file(path, source)  # type: ignore[arg-type]
    # cross-table checks only against tables this file actually holds records of
    related = {name: r.rows for name, r in results.items() if r.rows_in > 0}
    tables: dict[str, Any] = {}
    rules_failed: dict[str, int] = {}
    gate_failures: list[str] = []
    files: list[str] = []
    for name, parsed in results.items():
        if parsed.rows_in == 0:
            continue  # the file holds no records of this table: nothing claimed, nothing lost
        rejected = parsed.rejected
        entry: dict[str, Any] = {
            "rows_in": parsed.rows_in,
            "parse_rejected": len(rejected),
            "notes": list(parsed.notes),
        }
        fields = rejected["field"].fillna("").astype(str).replace("", "row")
        parse_counts = (PARSE_RULE_PREFIX + fields).value_counts()
        for rule, n in parse_counts.items():
            rules_failed[str(rule)] = rules_failed.get(str(rule), 0) + int(n)
        if len(rejected):
            stem = f"{name}__{content_key(parsed.rows if len(parsed.rows) else rejected)}__{run_id}"
            written = write_frame(rejected, name, stem + "__parse_rejects", quarantine_dir)
            files += [str(p) for p in written.values()]
        if name in TABLES:
            ctx = reference_context(
                region=region,
                previous_row_count=previous_rows,
                related={k: v for k, v in related.items() if k != name},
            )
            outcome = validate_table(
                name, parsed.rows, context=ctx, run_id=run_id, build_docs=build_docs
            )
            written = write_quarantine(outcome, quarantine_dir)
            files += [str(p) for p in written.values()]
            for rule, n in outcome.rule_counts.items():
                rules_failed[rule] = rules_failed.get(rule, 0) + n
            gate_failures += [f"{name}: {rule}: {msg}" for rule, msg in outcome.dataset_failures]
            q = outcome.quarantined
            entry.update(outcome.summary())
            entry.update(
                rows_in=parsed.rows_in,
                rows_quarantined=outcome.rows_quarantined + len(rejected),
                rows_quarantined_by_rules=outcome.rows_quarantined,
                quarantine_files=[str(p) for p in written.values()],
                offending_rows=_masked_rows(
                    q, ["source_row", *_key_columns(name), "failed_rules", "failed_values"]
                ),
            )
        else:
            entry.update(
                table=name,
                rows_valid=len(parsed.rows),
                rows_quarantined=len(rejected),
                rules_failed={},
                dataset_failures=[],
                passed=True,
                note="no quality suite for this table: parsed rows count as valid",
            )
        entry["parse_rejects"] = _parse_reject_rows(rejected)
        tables[name] = entry
    rows_in = sum(t["rows_in"] for t in tables.values())
    rows_valid = sum(t["rows_valid"] for t in tables.values())
    rows_q = sum(t["rows_quarantined"] for t in tables.values())
    qdir = quarantine_dir
    if qdir is None:
        from regionomie.paths import quarantine_dir as default_qdir

        qdir = default_qdir()
    return {
        "file": str(path),
        "source": source,
        "run_id": run_id,
        "usable": not gate_failures and bool(tables),
        "reason": gate_failures[0] if gate_failures else (None if tables else "no records"),
        "rows_in": rows_in,
        "rows_valid": rows_valid,
        "rows_quarantined": rows_q,
        "balanced": rows_in == rows_valid + rows_q,
        "rules_failed": dict(sorted(rules_failed.items(), key=lambda kv: (-kv[1], kv[0]))),
        "dataset_failures": gate_failures,
        "quarantine_path": str(qdir) if files else None,
        "quarantine_files": files,
        "tables": tables,
    }


def _key_columns(table: str) -> list[str]:
    from regionomie.domain.schemas import CONTRACTS

    return list(CONTRACTS[table].key) if table in CONTRACTS else []


def _print_text(report: dict[str, Any]) -> None:
    out = sys.stdout
    print(f"{report['file']} ({report['source']}), run {report['run_id']}", file=out)
    print(
        f"rows in: {report['rows_in']}  valid: {report['rows_valid']}  "
        f"quarantined: {report['rows_quarantined']}",
        file=out,
    )
    for name, t in report["tables"].items():
        print(
            f"  {name}: in {t['rows_in']}, valid {t['rows_valid']}, "
            f"quarantined {t['rows_quarantined']} (parse {t['parse_rejected']})",
            file=out,
        )
    if report["rules_failed"]:
        print("failed rules (rows):", file=out)
        for rule, n in report["rules_failed"].items():
            print(f"  {rule}: {n}", file=out)
    for name, t in report["tables"].items():
        for r in t.get("parse_rejects", []):
            print(f"  {name} row {r['source_row']}: {r['reason']}", file=out)
        for r in t.get("offending_rows", []):
            cells = ", ".join(f"{k}={v}" for k, v in r.items() if k not in ("failed_rules",))
            print(f"  {name}: [{r.get('failed_rules')}] {cells}", file=out)
        if t.get("docs_path"):
            print(f"  {name} report: {t['docs_path']}", file=out)
    if report["quarantine_files"]:
        print(f"quarantine written to {report['quarantine_path']}:", file=out)
        for f in report["quarantine_files"]:
            print(f"  {f}", file=out)
    for name, t in report["tables"].items():
        for note in t.get("notes", []):
            print(f"NOTE {name}: {note}", file=out)
        for w in t.get("warnings", []):
            print(f"WARNING {name}: {w['rule']}: {w['message']}", file=out)
    for failure in report["dataset_failures"]:
        print(f"BLOCKED {failure}", file=out)


def run(args: argparse.Namespace) -> int:
    """CLI entry: returns the exit code; one line on stderr when not usable."""
    from regionomie.domain.results import SourceFileError

    try:
        report = validate_file(
            args.file,
            args.source,
            region=args.region,
            previous_rows=args.previous_rows,
            run_id=args.run_id,
            build_docs=not args.no_docs,
            quarantine_dir=args.quarantine_dir,
        )
    except SourceFileError as exc:
        return _fail(args, EXIT_UNUSABLE, str(exc).splitlines()[0] if str(exc) else "unusable")
    except KeyError as exc:  # unknown region
        return _fail(args, EXIT_UNUSABLE, str(exc.args[0]) if exc.args else "unknown key")
    except Exception as exc:  # never a traceback for a user: one line, distinct exit code
        first = str(exc).splitlines()[0] if str(exc) else ""
        return _fail(args, EXIT_INTERNAL, f"internal error ({type(exc).__name__}): {first}")
    code = EXIT_OK if report["usable"] else EXIT_GATE
    report["exit_code"] = code
    if args.json:
        print(json.dumps(report, default=str))
    else:
        _print_text(report)
    if code != EXIT_OK:
        print(f"regionomie validate: not usable: {report['reason']}", file=sys.stderr)
    return code


def _fail(args: argparse.Namespace, code: int, reason: str) -> int:
    name = Path(args.file).name
    reason = reason if reason.startswith(name) else f"{name}: {reason}"
    if args.json:
        print(
            json.dumps(
                {
                    "file": str(args.file),
                    "source": args.source,
                    "usable": False,
                    "exit_code": code,
                    "reason": reason,
                    "rows_in": 0,
                    "rows_valid": 0,
                    "rows_quarantined": 0,
                    "rules_failed": {},
                    "quarantine_path": None,
                    "tables": {},
                }
            )
        )
    print(f"regionomie validate: error: {reason}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    """Run only this command (tests, and when other command modules are not importable)."""
    parser = argparse.ArgumentParser(prog="regionomie")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["validate", *(argv or [])])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
