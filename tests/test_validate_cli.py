"""`regionomie validate` on the corpus of broken files (tests/bad_inputs/cases.csv): each file
gives its expected rule or one-line error, never a traceback, never a lost row, and the good
rows of the same file still count as valid."""

from __future__ import annotations

import csv
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from regionomie.commands.validate import main

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CASES = list(csv.DictReader((CORPUS / "cases.csv").open(encoding="utf-8")))
SOLE_PROPRIETOR_NAME = "Jan Jansen"  # trade name of the eenmanszaak in the KvK corpus files


@pytest.fixture(autouse=True)
def _state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGIONOMIE_STATE_DIR", str(tmp_path / "state"))


def test_corpus_is_big_and_covers_all_sources() -> None:
    assert len(CASES) >= 25
    assert {c["source"] for c in CASES} == {"kvk", "waste", "municipal"}
    assert {c["expect"].split(":")[0] for c in CASES} == {"quarantine", "exit", "ok"}
    for c in CASES:
        assert (CORPUS / "files" / c["file"]).exists(), c["file"]


def _run(
    case: dict[str, str], capsys: pytest.CaptureFixture[str], docs: bool = False
) -> tuple[int, dict, str]:
    argv = [
        str(CORPUS / "files" / case["file"]),
        "--source",
        case["source"],
        "--json",
        *shlex.split(case["args"]),
        *([] if docs else ["--no-docs"]),  # Data Docs have their own test below
    ]
    code = main(argv)
    captured = capsys.readouterr()
    lines = [ln for ln in captured.out.splitlines() if ln.strip()]
    assert len(lines) == 1, "--json prints exactly one JSON object"
    return code, json.loads(lines[0]), captured.err


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_broken_file(case: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, report, err = _run(case, capsys)
    assert "Traceback" not in err
    kind, _, detail = case["expect"].partition(":")
    if kind == "exit":
        assert code in (1, 2), report
        assert len(err.strip().splitlines()) == 1, err
        assert detail in err and detail in report["reason"]
        return
    assert code == 0, err
    assert err == ""
    assert report["rows_in"] == report["rows_valid"] + report["rows_quarantined"]
    for name, t in report["tables"].items():  # per table too, parse rejects included
        assert t["rows_in"] == t["rows_valid"] + t["rows_quarantined"], name
    assert report["rows_valid"] >= int(case["min_valid"])
    main_table = {"kvk": "establishments", "waste": "waste_records"}.get(case["source"])
    path = CORPUS / "files" / case["file"]
    if path.suffix == ".csv" and main_table in report["tables"]:  # every data line accounted
        raw = path.read_bytes()
        text = (
            raw.decode("utf-16")
            if raw[:2] in (b"\xff\xfe", b"\xfe\xff")
            else raw.decode("cp1252", errors="replace")
        )
        lines = [ln for ln in text.splitlines() if ln.strip()]
        assert report["tables"][main_table]["rows_in"] == len(lines) - 1
    if kind == "ok":
        assert report["rows_quarantined"] == 0 and report["rules_failed"] == {}
        return
    assert detail in report["rules_failed"], report["rules_failed"]
    assert report["rows_quarantined"] >= 1
    assert report["quarantine_path"] and report["quarantine_files"]
    for f in report["quarantine_files"]:
        assert Path(f).exists()
    if SOLE_PROPRIETOR_NAME in (CORPUS / "files" / case["file"]).read_bytes().decode(
        "utf-8", "replace"
    ):
        assert SOLE_PROPRIETOR_NAME not in json.dumps(report)


def test_quarantine_files_hold_rows_with_reasons(capsys: pytest.CaptureFixture[str]) -> None:
    case = next(c for c in CASES if c["file"] == "lma_absurd_weight.csv")
    code, report, _ = _run(case, capsys)
    assert code == 0
    parquet = [
        Path(f)
        for f in report["quarantine_files"]
        if f.endswith(".parquet") and "parse_rejects" not in f
    ]
    q = pd.read_parquet(parquet[0])
    assert list(q["failed_rules"]) == ["weight_plausible"]
    assert q["failed_values"].iloc[0].startswith("eural_code=200108; weight_kg=5")
    assert int(q["source_row"].iloc[0]) == 5  # line 5 of the file: header + 3 good rows


def test_text_output_masks_sole_proprietor_and_names_rules(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = CORPUS / "files" / "kvk_bad_postcode.csv"
    text = src.read_text(encoding="utf-8").replace("Hoefseweg;3;3821AE", "Hoefseweg;3;XX")
    bad = tmp_path / "sole.csv"
    bad.write_text(text, encoding="utf-8")
    code = main([str(bad), "--source", "kvk"])
    out = capsys.readouterr().out
    assert code == 0
    assert "rows in:" in out and "parse:postcode" in out and "quarantine written to" in out
    assert "row 3: postcode" in out  # the sole proprietor's row is reported, by line only
    assert SOLE_PROPRIETOR_NAME not in out


def test_report_links_data_docs(capsys: pytest.CaptureFixture[str]) -> None:
    case = next(c for c in CASES if c["file"] == "kvk_coordinates_in_sea.csv")
    _, report, _ = _run(case, capsys, docs=True)
    docs = report["tables"]["establishments"]["docs_path"]
    assert docs and Path(docs).exists()
    assert "coordinates_on_land" in Path(docs).read_text(encoding="utf-8")


def test_console_script_entry_point(tmp_path: Path) -> None:
    """Through regionomie.cli as installed users run it, in a fresh process."""
    f = CORPUS / "files" / "lma_month_13.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "regionomie.cli",
            "validate",
            str(f),
            "--source",
            "waste",
            "--json",
            "--no-docs",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "REGIONOMIE_STATE_DIR": str(tmp_path),
        },
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert report["rules_failed"] == {"parse:MeldPeriodeMAAND": 1}
    assert report["rows_valid"] == 3
