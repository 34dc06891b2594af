"""The hostile corpus (tests/bad_inputs/hostile: formula names, script tags, bidi controls, a
6,000-character name, a NUL byte, sole proprietors under every legal form) run through the
main job next to the shipped sample, on the session's real Neo4j. Measured and asserted:
cells neutralised, 0 formulas in the XLSX read back, 0 sole-proprietor names or numbers in
any export file or in the run's logs.

`pytest -s tests/test_hostile_corpus.py` prints the measurement as one JSON line.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from openpyxl import load_workbook

from regionomie.paths import SAMPLE_DIR

REGION = "regio-amersfoort"
DATE = "2026-01-05"
HOSTILE = Path(__file__).parent / "bad_inputs" / "hostile"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[-+]?\d+(\.\d+)?([eE][-+]?\d+)?")

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]


@dataclass
class HostileRun:
    root: Path
    result: dg.ExecuteInProcessResult
    instance: dg.DagsterInstance
    log_text: str


@pytest.fixture(scope="module")
def hostile_run(neo4j_server, neo4j_driver, tmp_path_factory) -> HostileRun:
    root = Path(tmp_path_factory.mktemp("hostile"))
    data = root / "data"
    shutil.copytree(SAMPLE_DIR, data, ignore=shutil.ignore_patterns("README.md"))
    for path in (HOSTILE / "kvk").glob("*.csv"):
        shutil.copy(path, data / "kvk" / path.name)
    handler_stream = io.StringIO()
    handler = logging.StreamHandler(handler_stream)
    handler.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("NEO4J_URI", neo4j_server.uri)
            mp.setenv("NEO4J_USER", neo4j_server.user)
            mp.setenv("NEO4J_PASSWORD", neo4j_server.password)
            for key, sub in (
                ("REGIONOMIE_STATE_DIR", "state"),
                ("REGIONOMIE_EXPORTS_DIR", "exports"),
                ("REGIONOMIE_LANDING_DIR", "landing"),
                ("REGIONOMIE_ARCHIVE_DIR", "archive"),
            ):
                mp.setenv(key, str(root / sub))
            from pipelines.definitions import build_definitions
            from pipelines.main import run_main_job

            with neo4j_driver.session() as session:
                session.run(
                    "MATCH (n) WHERE NOT n:SchemaMigration "
                    "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
                ).consume()
            instance = dg.DagsterInstance.ephemeral()
            result = run_main_job(build_definitions(), data, REGION, instance, export_date=DATE)
    finally:
        logging.getLogger().removeHandler(handler)
    events = instance.all_logs(result.run_id)
    log_text = "\n".join(
        [handler_stream.getvalue()]
        + [e.message or "" for e in events]
        + [json.dumps(str(e.dagster_event.event_specific_data)) for e in events if e.dagster_event]
    )
    return HostileRun(root, result, instance, log_text)


def _personal(root: Path) -> tuple[list[str], list[str]]:
    """Trade names and numbers (vestigingsnummer, KvK) of every sole proprietor in the current
    establishments table (what the run exported from), minus what a legal entity shares."""
    from regionomie.domain.staging import read_staged

    est = read_staged("establishments", root / "state" / "staging")
    flag = est["is_sole_proprietor"].astype(bool)
    sole = est[flag]
    # a name that is (part of) a legal entity's name is that entity's (the sample reuses them)
    public = "\n".join(set(est.loc[~flag, "trade_name"].dropna()))
    names = sorted(
        {str(n) for n in sole["trade_name"].dropna() if len(str(n)) >= 8 and str(n) not in public}
    )
    public_numbers = set(est.loc[~flag, "kvk_nummer"].astype(str))  # the sample shares some
    numbers = sorted(
        set(sole["vestigingsnummer"].astype(str))
        | (set(sole["kvk_nummer"].astype(str)) - public_numbers)
    )
    return names, numbers


def _export_texts(folder: Path) -> dict[str, str]:
    texts: dict[str, str] = {}
    for path in sorted(folder.iterdir()):
        texts[path.name] = path.read_bytes().decode("utf-8", errors="replace")
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as zf:
                for member in zf.namelist():
                    texts[f"{path.name}:{member}"] = zf.read(member).decode("utf-8", "replace")
            workbook = load_workbook(path, read_only=True)
            texts[f"{path.name}:cells"] = "\n".join(
                str(v)
                for ws in workbook.worksheets
                for row in ws.iter_rows(values_only=True)
                for v in row
                if v is not None
            )
        if path.suffix == ".parquet":
            texts[f"{path.name}:rows"] = pd.read_parquet(path).to_csv()
    return texts


def _find_numbers(text: str, numbers: set[str]) -> set[str]:
    return {m for m in re.findall(r"(?<!\d)(\d{12}|\d{8})(?!\d)", text) if m in numbers}


def test_hostile_corpus_through_the_main_job(hostile_run: HostileRun) -> None:
    from pipelines.main import step_failures

    assert hostile_run.result.success, step_failures(hostile_run.result)
    folder = hostile_run.root / "exports" / REGION / DATE
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))

    # formulas: none in the XLSX read back, no CSV cell that starts one
    workbook = load_workbook(folder / "opportunities.xlsx")
    formula_cells = risky_xlsx = text_cells = 0
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                formula_cells += cell.data_type == "f"
                if isinstance(cell.value, str):
                    text_cells += 1
                    risky_xlsx += cell.value.startswith(TRIGGERS) and cell.value != "-"
    risky_csv = 0
    for name in ("opportunities.csv", "business_cases.csv"):
        rows = csv.reader(io.StringIO((folder / name).read_text(encoding="utf-8")))
        risky_csv += sum(
            c.startswith(TRIGGERS) and c != "-" and not NUMBER.fullmatch(c)  # numbers stay
            for row in rows
            for c in row
        )
    neutralised = manifest["formula_cells_neutralised"]
    hostile_in_csv = pd.read_csv(folder / "opportunities.csv", dtype=str)["producer_name"]
    assert hostile_in_csv.str.startswith("'=HYPERLINK").any(), "the hostile names did get out"

    # privacy: no sole proprietor's name or number in any export file or in the run's logs
    names, numbers = _personal(hostile_run.root)
    number_set = set(numbers)
    texts = _export_texts(folder)
    leaked_names = {f: [n for n in names if n in t] for f, t in texts.items()}
    leaked_names = {f: v for f, v in leaked_names.items() if v}
    leaked_numbers = {f: sorted(_find_numbers(t, number_set)) for f, t in texts.items()}
    leaked_numbers = {f: v for f, v in leaked_numbers.items() if v}
    log_names = [n for n in names if n in hostile_run.log_text]
    log_numbers = sorted(_find_numbers(hostile_run.log_text, number_set))

    measurement = {
        "sole_proprietor_numbers_checked": len(numbers),
        "sole_proprietor_names_checked": len(names),
        "formula_cells_neutralised": neutralised,
        "formula_cells_neutralised_total": sum(neutralised.values()),
        "xlsx_text_cells_read_back": text_cells,
        "xlsx_formula_cells_read_back": formula_cells,
        "xlsx_cells_starting_a_formula": risky_xlsx,
        "csv_cells_starting_a_formula": risky_csv,
        "sole_proprietor_names_in_exports": sum(len(v) for v in leaked_names.values()),
        "sole_proprietor_numbers_in_exports": sum(len(v) for v in leaked_numbers.values()),
        "sole_proprietor_names_in_logs": len(log_names),
        "sole_proprietor_numbers_in_logs": len(log_numbers),
        "log_characters_searched": len(hostile_run.log_text),
    }
    print("\nHOSTILE-CORPUS " + json.dumps(measurement, sort_keys=True))
    assert sum(neutralised.values()) > 0
    assert (formula_cells, risky_xlsx, risky_csv) == (0, 0, 0)
    assert leaked_names == {} and leaked_numbers == {}
    assert log_names == [] and log_numbers == []
    assert len(names) >= 20 and len(numbers) >= 40  # the check had something to find


def test_hostile_html_report_is_inert(hostile_run: HostileRun) -> None:
    report = (hostile_run.root / "exports" / REGION / DATE / "report.html").read_text("utf-8")
    assert "<script" not in report.lower() and "<img" not in report.lower()
