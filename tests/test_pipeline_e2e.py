"""End to end through Dagster's real APIs against the session's real Neo4j: the main job on the
shipped sample region plus the hostile corpus (tests/bad_inputs/hostile: formula names, markup,
bidi controls, a 6,000-character name, a NUL byte, sole proprietors under every legal form),
its idempotency, personal data in exports and logs, formula cells read back, Neo4j killed in
the middle of the graph load, a file dropped in the landing zone flowing through sensor ->
ingest run -> automation -> exports, and a blocking check.

`pytest -s -k hostile tests/test_pipeline_e2e.py` prints the hostile-corpus measurement as one
JSON line (HOSTILE-CORPUS ...)."""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import logging
import os
import re
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from spreadsheet import formula_cells as spreadsheet_formula_cells

from regionomie.paths import SAMPLE_DIR

REGION = "regio-amersfoort"
EXPORT_DATE = "2026-01-05"
HOSTILE = Path(__file__).parent / "bad_inputs" / "hostile"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[-+]?\d+([.,]\d+)?([eE][-+]?\d+)?")  # decimal point or comma


@dataclass
class PipelineEnv:
    defs: dg.Definitions
    instance: dg.DagsterInstance
    root: Path
    driver: object
    first_result: dg.ExecuteInProcessResult
    data: Path  # the sample plus the hostile KvK file
    log_text: str  # everything the first run logged (Python logging and Dagster events)
    repo_files_before: dict[str, float] = field(default_factory=dict)  # see _repo_files


def _file_digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def _wipe(driver) -> None:
    with driver.session() as session:
        session.run(
            "MATCH (n) WHERE NOT n:SchemaMigration "
            "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()


def _repo_files() -> dict[str, float]:
    """Files under the repository's default data, exports and state folders (the project's
    own Neo4j excluded: a developer's server may be running beside the suite)."""
    from regionomie.paths import REPO_ROOT

    found = {}
    for folder in ("data", "exports", ".regionomie"):
        for path in (REPO_ROOT / folder).rglob("*"):
            if path.is_file() and ".regionomie/neo4j" not in path.as_posix():
                found[str(path.relative_to(REPO_ROOT))] = path.stat().st_mtime
    return found


@pytest.fixture(scope="module")
def pipeline(neo4j_server, neo4j_driver, tmp_path_factory) -> Iterator[PipelineEnv]:
    root = Path(tmp_path_factory.mktemp("pipeline"))
    data = root / "data"
    shutil.copytree(SAMPLE_DIR, data, ignore=shutil.ignore_patterns("README.md"))
    for path in (HOSTILE / "kvk").glob("*.csv"):
        shutil.copy(path, data / "kvk" / path.name)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NEO4J_URI", neo4j_server.uri)
        mp.setenv("NEO4J_USER", neo4j_server.user)
        mp.setenv("NEO4J_PASSWORD", neo4j_server.password)
        mp.setenv("REGIONOMIE_STATE_DIR", str(root / "state"))
        mp.setenv("REGIONOMIE_EXPORTS_DIR", str(root / "exports"))
        mp.setenv("REGIONOMIE_LANDING_DIR", str(root / "landing"))
        mp.delenv("REGIONOMIE_ARCHIVE_DIR", raising=False)  # the default: under the state root
        mp.delenv("REGIONOMIE_QUARANTINE_DIR", raising=False)
        mp.delenv("REGIONOMIE_DATA_DOCS_DIR", raising=False)
        from pipelines.definitions import build_definitions
        from pipelines.main import run_main_job

        repo_before = _repo_files()
        _wipe(neo4j_driver)
        defs = build_definitions()
        instance = dg.DagsterInstance.ephemeral()
        logging.getLogger().addHandler(handler)
        try:
            result = run_main_job(defs, data, REGION, instance, export_date=EXPORT_DATE)
        finally:
            logging.getLogger().removeHandler(handler)
        events = instance.all_logs(result.run_id)
        log_text = "\n".join(
            [stream.getvalue()]
            + [e.message or "" for e in events]
            + [str(e.dagster_event.event_specific_data) for e in events if e.dagster_event]
        )
        yield PipelineEnv(defs, instance, root, neo4j_driver, result, data, log_text, repo_before)


def _metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, object]:
    events = result.asset_materializations_for_node(asset)
    assert events, f"{asset} was not materialised"
    return {k: v.value for k, v in events[-1].metadata.items()}


def test_main_job_succeeds_on_the_sample(pipeline):
    from pipelines.main import step_failures

    assert pipeline.first_result.success, step_failures(pipeline.first_result)


@pytest.mark.parametrize(
    "table",
    [
        "organisations",
        "establishments",
        "waste_records",
        "municipal_indicators",
        "municipalities",
        "waste_party_links",
    ],
)
def test_rows_in_equal_valid_plus_quarantined(pipeline, table):
    meta = _metadata(pipeline.first_result, table)
    assert meta["rows_in"] > 0
    assert meta["rows_in"] == meta["rows_valid"] + meta["rows_quarantined"]


def test_graph_holds_every_valid_establishment(pipeline):
    valid = _metadata(pipeline.first_result, "establishments")["rows_valid"]
    records, _, _ = pipeline.driver.execute_query(
        "MATCH (e:Establishment) RETURN count(e) AS n, count(e.location) AS located"
    )
    assert records[0]["n"] == valid
    assert records[0]["located"] > 0.9 * valid
    records, _, _ = pipeline.driver.execute_query(
        "MATCH (:Establishment)-[:LOCATED_IN]->(m:Municipality)-[:IN_PROVINCE]->(:Province) "
        "RETURN count(DISTINCT m) AS n"
    )
    assert records[0]["n"] == 10


def test_every_file_the_run_wrote_lives_under_its_roots(pipeline):
    """Only REGIONOMIE_STATE_DIR, _LANDING_DIR and _EXPORTS_DIR were set: the archive of
    originals, staging, quarantine, Data Docs and Dagster's files all live under them, and
    nothing was written into the repository's own data, exports or state folders."""
    roots = [pipeline.root / r for r in ("state", "exports", "landing")]
    written = [p for p in pipeline.root.rglob("*") if p.is_file()]
    outside = [p for p in written if not any(p.is_relative_to(r) for r in roots + [pipeline.data])]
    assert outside == []
    archived = list((pipeline.root / "state" / "archive").rglob("*.csv"))
    assert {p.parent.name for p in archived} >= {"kvk", "waste"}
    after = _repo_files()
    changed = sorted(k for k, v in after.items() if pipeline.repo_files_before.get(k) != v)
    assert changed == []


def test_sample_finds_the_coffee_to_mushroom_case(pipeline):
    records, _, _ = pipeline.driver.execute_query(
        "MATCH (o:Opportunity {region: $region})-[:USES_STREAM]->(s:ResidualStream) "
        "WHERE s.id CONTAINS 'coffee' AND o.receiver_nace = '0113' RETURN count(o) AS n",
        region=REGION,
    )
    assert records[0]["n"] > 0


def test_exports_are_written_with_latest(pipeline):
    latest = pipeline.root / "exports" / REGION / "latest"
    names = {p.name for p in latest.iterdir()}
    assert {
        "opportunities.csv",
        "opportunities.parquet",
        "opportunities.xlsx",
        "opportunities_flows.geojson",
        "opportunities_points.geojson",
        "report.html",
    } <= names
    assert latest.resolve().name == EXPORT_DATE


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


def _strings(obj: object, out: set[str]) -> None:
    if isinstance(obj, str):
        out.add(obj)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            out.add(str(key))
            _strings(value, out)
    elif isinstance(obj, list):
        for value in obj:
            _strings(value, out)


def _export_texts(folder: Path, xlsx_values: frozenset[str]) -> dict[str, str]:
    """Per export file, every distinct text it holds (cells, JSON strings, HTML), one per line:
    what a reader of the file can see, without the repetition of the raw files."""
    texts: dict[str, str] = {}
    for path in sorted(folder.iterdir()):
        values: set[str] = set()
        if path.suffix == ".csv":
            rows = csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";")
            values = {cell for row in rows for cell in row}
        elif path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            values = {str(c) for c in frame.columns}
            for column in frame.columns:
                values |= {str(v) for v in pd.unique(frame[column].dropna())}
        elif path.suffix in (".json", ".geojson"):
            _strings(json.loads(path.read_text(encoding="utf-8")), values)
        elif path.suffix == ".xlsx":
            values = set(xlsx_values)
            with zipfile.ZipFile(path) as zf:  # everything but the cells: properties, styles
                for member in zf.namelist():
                    if not member.startswith("xl/worksheets/"):
                        values.add(zf.read(member).decode("utf-8", "replace"))
        else:
            values = {path.read_text(encoding="utf-8", errors="replace")}
        texts[path.name] = "\n".join(sorted(values))
    return texts


@functools.cache
def _xlsx_cells(path: Path) -> tuple[int, int, int, frozenset[str]]:
    """Read back once (openpyxl, read-only): (formula cells, text cells that would start a
    formula, text cells, distinct texts incl. sheet titles). A lone '-' is a placeholder."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    formulas = risky = text = 0
    values: set[str] = set()
    for ws in workbook.worksheets:
        values.add(ws.title)
        for row in ws.iter_rows():
            for cell in row:
                formulas += cell.data_type == "f"
                if isinstance(cell.value, str):
                    text += 1
                    risky += cell.value.startswith(TRIGGERS) and cell.value != "-"
                    values.add(cell.value)
    workbook.close()
    return formulas, risky, text, frozenset(values)


def _graph_text(driver) -> str:
    """Every property value of every node and relationship of the default graph."""
    nodes, _, _ = driver.execute_query("MATCH (n) RETURN labels(n) AS l, properties(n) AS p")
    rels, _, _ = driver.execute_query("MATCH ()-[r]->() RETURN type(r) AS t, properties(r) AS p")
    return "\n".join(f"{r[0]} {r['p']}" for r in [*nodes, *rels])


def _find_numbers(text: str, numbers: set[str]) -> set[str]:
    return {m for m in re.findall(r"(?<!\d)(\d{12}|\d{8})(?!\d)", text) if m in numbers}


def test_hostile_corpus_is_neutralised_and_no_sole_proprietor_leaks(pipeline):
    """Measured on the first run: cells neutralised, no formula in the XLSX read back, no CSV
    cell starting one, no sole proprietor's name or number in any export file or in the logs
    of the run. A lone '-' is a placeholder, and numbers stay numbers."""
    folder = pipeline.root / "exports" / REGION / EXPORT_DATE
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    formula_cells, risky_xlsx, text_cells, xlsx_values = _xlsx_cells(folder / "opportunities.xlsx")
    risky_csv = 0
    split_formulas: dict[str, int] = {}
    for name in ("opportunities.csv", "business_cases.csv"):
        text = (folder / name).read_text(encoding="utf-8-sig")
        rows = csv.reader(io.StringIO(text), delimiter=";")
        risky_csv += sum(
            c.startswith(TRIGGERS) and c != "-" and not NUMBER.fullmatch(c)
            for row in rows
            for c in row
        )
        for delimiter, cells in spreadsheet_formula_cells(text).items():  # as nl-NL Excel, ...
            split_formulas[repr(delimiter)] = split_formulas.get(repr(delimiter), 0) + len(cells)
    neutralised = manifest["formula_cells_neutralised"]
    producers = pd.read_csv(folder / "opportunities.csv", dtype=str, sep=";", encoding="utf-8-sig")[
        "Leverancier"
    ]
    assert producers.str.startswith("'=HYPERLINK").any(), "the hostile names did get out"

    names, numbers = _personal(pipeline.root)
    number_set = set(numbers)
    texts = _export_texts(folder, xlsx_values)
    leaked_names = {f: [n for n in names if n in t] for f, t in texts.items()}
    leaked_names = {f: v for f, v in leaked_names.items() if v}
    leaked_numbers = {f: sorted(_find_numbers(t, number_set)) for f, t in texts.items()}
    leaked_numbers = {f: v for f, v in leaked_numbers.items() if v}
    log_names = [n for n in names if n in pipeline.log_text]
    log_numbers = sorted(_find_numbers(pipeline.log_text, number_set))
    docs = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in (pipeline.root / "state" / "data_docs").rglob("*.html")
    )
    docs_names = [n for n in names if n in docs]
    docs_numbers = sorted(_find_numbers(docs, number_set))
    docs_markup = len(re.findall(r"<script>alert|<img src=x", docs, flags=re.IGNORECASE))
    graph = _graph_text(pipeline.driver)
    graph_names = [n for n in names if n in graph]
    graph_numbers = sorted(_find_numbers(graph, number_set))
    measurement = {
        "sole_proprietor_numbers_checked": len(numbers),
        "sole_proprietor_names_checked": len(names),
        "formula_cells_neutralised": neutralised,
        "formula_cells_neutralised_total": sum(neutralised.values()),
        "xlsx_text_cells_read_back": text_cells,
        "xlsx_formula_cells_read_back": formula_cells,
        "xlsx_cells_starting_a_formula": risky_xlsx,
        "csv_cells_starting_a_formula": risky_csv,
        "csv_formula_cells_when_split_on": split_formulas,
        "sole_proprietor_names_in_exports": sum(len(v) for v in leaked_names.values()),
        "sole_proprietor_numbers_in_exports": sum(len(v) for v in leaked_numbers.values()),
        "sole_proprietor_names_in_logs": len(log_names),
        "sole_proprietor_numbers_in_logs": len(log_numbers),
        "log_characters_searched": len(pipeline.log_text),
        "data_docs_pages": len(list((pipeline.root / "state" / "data_docs").rglob("*.html"))),
        "sole_proprietor_names_in_data_docs": len(docs_names),
        "sole_proprietor_numbers_in_data_docs": len(docs_numbers),
        "live_markup_in_data_docs": docs_markup,
        "sole_proprietor_names_in_default_graph": len(graph_names),
        "sole_proprietor_numbers_in_default_graph": len(graph_numbers),
        "graph_characters_searched": len(graph),
    }
    print("\nHOSTILE-CORPUS " + json.dumps(measurement, sort_keys=True))
    assert sum(neutralised.values()) > 0
    assert (formula_cells, risky_xlsx, risky_csv) == (0, 0, 0)
    assert leaked_names == {} and leaked_numbers == {}
    assert log_names == [] and log_numbers == []
    assert split_formulas == {"';'": 0, "','": 0, "'\\t'": 0}
    assert (docs_names, docs_numbers, docs_markup) == ([], [], 0)
    assert (graph_names, graph_numbers) == ([], [])
    assert len(names) >= 20 and len(numbers) >= 40  # the check had something to find
    report = (folder / "report.html").read_text(encoding="utf-8").lower()
    # markup names stay text: the one script is the report's own map script
    assert report.count("<script") == 1 and "<img" not in report


def test_sole_proprietors_names_never_reach_exports(pipeline):
    from regionomie.domain.staging import read_staged

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REGIONOMIE_STATE_DIR", str(pipeline.root / "state"))
        establishments = read_staged("establishments")
    sole = establishments["is_sole_proprietor"].astype(bool)
    # a name that is (part of) a legal entity's name is that entity's (the sample reuses them)
    public = "\n".join(set(establishments.loc[~sole, "trade_name"].dropna()))
    names = establishments.loc[sole, "trade_name"].dropna()
    names = [n for n in names if len(n) > 6 and n not in public]  # "Café X" in "Grand Café X"
    assert names, "the sample must contain sole proprietors"
    folder = pipeline.root / "exports" / REGION / EXPORT_DATE
    texts = _export_texts(folder, _xlsx_cells(folder / "opportunities.xlsx")[3]).values()
    leaked = [n for n in names if any(n in t for t in texts)]
    assert leaked == []


def test_cli_and_dagster_write_byte_identical_exports(pipeline, tmp_path, capsys):
    """`regionomie opportunities` for the same region and date, on the same staged tables and
    the same scoring file, writes the very files the Dagster assets wrote: one flow, two
    doors."""
    from regionomie.cli import main

    dagster_folder = pipeline.root / "exports" / REGION / EXPORT_DATE
    scoring = tmp_path / "absent-scoring.yaml"  # the defaults in code, as the run used
    code = main(
        [
            "opportunities",
            "--region",
            REGION,
            "--date",
            EXPORT_DATE,
            "--out",
            str(tmp_path),
            "--scoring",
            str(scoring),
        ]
    )
    assert code == 0, capsys.readouterr().err
    cli_files = _file_digests(tmp_path / REGION / EXPORT_DATE)
    assert len(cli_files) >= 6
    assert cli_files == _file_digests(dagster_folder)
    console = capsys.readouterr().err
    assert "establishments:" in console and "quarantined" in console


def test_running_twice_gives_the_same_graph_and_exports(pipeline):
    from pipelines.main import run_main_job
    from regionomie.graph.checksum import graph_checksum

    folder = pipeline.root / "exports" / REGION / EXPORT_DATE
    before_graph = graph_checksum(pipeline.driver)
    before_files = _file_digests(folder)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REGIONOMIE_STATE_DIR", str(pipeline.root / "state"))
        mp.setenv("REGIONOMIE_EXPORTS_DIR", str(pipeline.root / "exports"))
        again = run_main_job(
            pipeline.defs, pipeline.data, REGION, pipeline.instance, export_date=EXPORT_DATE
        )
    assert again.success
    assert graph_checksum(pipeline.driver) == before_graph
    assert _file_digests(folder) == before_files


def _restart_env(server_info) -> dict[str, str]:
    """The environment `regionomie neo4j start` needs to start the session's server again."""
    from urllib.parse import urlsplit

    env = {k: v for k, v in os.environ.items() if k != "NEO4J_URI"}
    env.update(
        {
            "REGIONOMIE_STATE_DIR": str(server_info.instance_dir.parent),
            "NEO4J_BOLT_PORT": str(urlsplit(server_info.uri).port),
            "NEO4J_HTTP_PORT": str(urlsplit(server_info.http_url).port),
            "NEO4J_PASSWORD": server_info.password,
            "NEO4J_HEAP": os.environ.get("NEO4J_TEST_HEAP", "1g"),
            "NEO4J_PAGECACHE": os.environ.get("NEO4J_TEST_PAGECACHE", "512m"),
            "REGIONOMIE_ENV_FILE": str(server_info.instance_dir.parent / ".env"),
        }
    )
    return env


def test_neo4j_killed_mid_load_converges_after_restart_and_rerun(
    pipeline, neo4j_server, monkeypatch
):
    """SIGKILL the server in the middle of the KvK graph load; after `regionomie neo4j start`
    and a re-run of the main job, graph checksum and export files equal the uninterrupted
    run's (this module's first run, shown equal to a second run just above)."""
    import signal
    import subprocess
    import sys

    from neo4j import GraphDatabase

    from pipelines.main import main_run_config, run_main_job, step_failures
    from regionomie import neo4j_server as server
    from regionomie.graph import loader
    from regionomie.graph.checksum import graph_checksum, graph_counts

    if neo4j_server.instance_dir is None:
        pytest.skip("an external Neo4j (NEO4J_TEST_URI) cannot be killed and restarted here")
    settings = server.ServerSettings(instance_dir=neo4j_server.instance_dir)
    folder = pipeline.root / "exports" / REGION / EXPORT_DATE
    expected_graph = graph_checksum(pipeline.driver)
    expected_files = _file_digests(folder)
    _wipe(pipeline.driver)

    # The kill: right before the 5th write batch of the KvK load (organisations and
    # establishments, in batches of 500 here), after the reference data is in.
    state: dict[str, object] = {"source": None, "writes": 0, "counts": None}
    real_write, real_load = loader._session_write, loader.load_frames

    def load_noting_source(*args, **kwargs):
        state["source"] = kwargs.get("source")
        if state["source"] == "kvk":
            kwargs["batch_size"] = 500
        return real_load(*args, **kwargs)

    def write_then_kill(*args, **kwargs):
        if state["source"] == "kvk":
            state["writes"] += 1  # type: ignore[operator]
            if state["writes"] == 5:
                state["counts"] = graph_counts(pipeline.driver)
                pid = server.read_pid(settings)
                os.kill(pid, signal.SIGKILL)
                try:  # the suite started the server: reap it, or it lingers as a zombie
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
                try:
                    return real_write(*args, **kwargs)  # meets the dead server
                except Exception as exc:
                    # fail now rather than sit out the retry policy against a dead server
                    raise dg.Failure(
                        f"Neo4j gone: {type(exc).__name__}", allow_retries=False
                    ) from exc
        return real_write(*args, **kwargs)

    class QuickRetryDriver:
        """The resource's driver, retrying a failed transaction for 1 s instead of 30 s."""

        @staticmethod
        def driver(*args, **kwargs):
            return GraphDatabase.driver(*args, **{**kwargs, "max_transaction_retry_time": 1.0})

    config = main_run_config(pipeline.data, EXPORT_DATE)
    config["ops"] = {k: v for k, v in config["ops"].items() if k.endswith("_landing")}
    selection = [
        dg.AssetKey(k)
        for k in (
            "kvk_landing",
            "waste_landing",
            "municipal_landing",
            "organisations",
            "establishments",
            "municipalities",
            "eural",
            "sbi2008",
            "sbi2025",
            "graph_schema",
            "graph_reference",
            "graph_establishments",
        )
    ]
    with pytest.MonkeyPatch.context() as mp:
        for key, sub in (
            ("REGIONOMIE_STATE_DIR", "state"),
            ("REGIONOMIE_EXPORTS_DIR", "exports"),
        ):
            mp.setenv(key, str(pipeline.root / sub))
        mp.setattr(loader, "_session_write", write_then_kill)
        mp.setattr(loader, "load_frames", load_noting_source)
        mp.setattr("assets.resources.GraphDatabase", QuickRetryDriver)
        interrupted = pipeline.defs.resolve_implicit_global_asset_job_def().execute_in_process(
            run_config=config,
            instance=dg.DagsterInstance.ephemeral(),
            asset_selection=selection,
            partition_key=REGION,
            raise_on_error=False,
        )
    assert state["counts"] is not None, step_failures(interrupted)
    assert not interrupted.success
    partial = state["counts"]
    assert partial.get("Organisation", 0) > 0  # type: ignore[union-attr]
    assert partial.get("Establishment", 0) < 3000  # type: ignore[union-attr]  # of 3,047
    assert server.read_pid(settings) is None, "the server is really gone"

    started = subprocess.run(
        [sys.executable, "-m", "regionomie.cli", "neo4j", "start"],
        env=_restart_env(neo4j_server),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert started.returncode == 0, started.stdout + started.stderr
    with pytest.MonkeyPatch.context() as mp:
        for key, sub in (
            ("REGIONOMIE_STATE_DIR", "state"),
            ("REGIONOMIE_EXPORTS_DIR", "exports"),
        ):
            mp.setenv(key, str(pipeline.root / sub))
        rerun = run_main_job(
            pipeline.defs, pipeline.data, REGION, pipeline.instance, export_date=EXPORT_DATE
        )
    assert rerun.success, step_failures(rerun)
    assert graph_checksum(pipeline.driver) == expected_graph
    assert _file_digests(folder) == expected_files


def _extra_waste_file(landing: Path, matched_streams: set[str]) -> tuple[Path, str]:
    """A new LMA extract: a sample receipt whose producer is a known establishment, again for
    2025-01 and heavier."""
    sample = next((SAMPLE_DIR / "waste").glob("*.csv"))
    lines = sample.read_text(encoding="utf-8").splitlines()
    header = lines[0]
    columns = header.split(";")
    stream_col = columns.index("Afvalstroomnummer")
    first = next(
        row for row in (line.split(";") for line in lines[1:]) if row[stream_col] in matched_streams
    )
    first[columns.index("MeldPeriodeJAAR")] = "2025"
    first[columns.index("MeldPeriodeMAAND")] = "1"
    first[columns.index("Gewicht_KG")] = "123456"
    target = landing / "waste"
    target.mkdir(parents=True, exist_ok=True)
    path = target / "ontvangstmeldingen_2025_01.csv"
    path.write_text(header + "\n" + ";".join(first) + "\n", encoding="utf-8")
    old = path.stat().st_mtime - 3600
    os.utime(path, (old, old))
    return path, first[columns.index("Afvalstroomnummer")]


def test_dropped_file_flows_through_to_graph_and_exports(pipeline):
    from assets.resources import LocalLandingZone

    with pytest.MonkeyPatch.context() as mp:
        for key, sub in (
            ("REGIONOMIE_STATE_DIR", "state"),
            ("REGIONOMIE_EXPORTS_DIR", "exports"),
            ("REGIONOMIE_LANDING_DIR", "landing"),
        ):
            mp.setenv(key, str(pipeline.root / sub))
        # The automation daemon's cursor: its first evaluation only starts tracking.
        tracking = dg.evaluate_automation_conditions(defs=pipeline.defs, instance=pipeline.instance)
        links = pipeline.defs.load_asset_value(
            dg.AssetKey("waste_party_links"), instance=pipeline.instance
        )
        matched = set(
            links.loc[
                (links["role"] == "ontdoener") & links["vestigingsnummer"].notna(),
                "afvalstroomnummer",
            ]
        )
        path, stream = _extra_waste_file(pipeline.root / "landing", matched)
        sensor = pipeline.defs.get_sensor_def("waste_landing_sensor")
        context = dg.build_sensor_context(
            instance=pipeline.instance,
            resources={"landing_zone": LocalLandingZone(root=str(pipeline.root / "landing"))},
        )
        tick = sensor(context)
        assert len(tick.run_requests) == 1
        request = tick.run_requests[0]
        job = pipeline.defs.resolve_job_def("ingest_waste_job")
        run = job.execute_in_process(
            run_config=request.run_config, instance=pipeline.instance, tags=request.tags
        )
        assert run.success
        assert not path.exists(), "a landed file leaves the landing zone"
        records, _, _ = pipeline.driver.execute_query(
            "MATCH (:Establishment)-[p:PRODUCES {period: '2025'}]->(:Material) RETURN count(p) AS n"
        )
        assert records[0]["n"] >= 1

        # Declarative automation asks for the region's opportunities and exports again.
        evaluation = dg.evaluate_automation_conditions(
            defs=pipeline.defs, instance=pipeline.instance, cursor=tracking.cursor
        )
        requested = {
            key.to_user_string()
            for key in (
                dg.AssetKey("regional_opportunities"),
                dg.AssetKey("opportunity_exports"),
            )
            if evaluation.get_num_requested(key) > 0
        }
        assert "regional_opportunities" in requested

        folder = pipeline.root / "exports" / REGION / EXPORT_DATE
        before = pd.read_parquet(folder / "opportunities.parquet")
        opportunities = pipeline.defs.resolve_job_def("opportunities_job")
        result = opportunities.execute_in_process(
            instance=pipeline.instance,
            partition_key=REGION,
            run_config={"ops": {"opportunity_exports": {"config": {"date": EXPORT_DATE}}}},
        )
        assert result.success
        after = pd.read_parquet(folder / "opportunities.parquet")
        assert not before.equals(after), "the new receipt must change the region's export"
        assert stream in matched


def test_failed_blocking_check_stops_downstream(neo4j_server, neo4j_driver, tmp_path):
    """Schema drift in a dataset: its check fails and the graph load never runs."""
    from pipelines.definitions import build_definitions
    from regionomie.graph.checksum import graph_checksum

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NEO4J_URI", neo4j_server.uri)
        mp.setenv("NEO4J_PASSWORD", neo4j_server.password)
        mp.setenv("REGIONOMIE_STATE_DIR", str(tmp_path / "state"))
        staged = tmp_path / "state" / "staging" / "establishments"
        staged.mkdir(parents=True)
        source = next((SAMPLE_DIR / "kvk").glob("establishments_*.csv"))
        from regionomie.domain.parsers import parse_file

        frame = parse_file(source, "kvk")["establishments"].rows.drop(columns=["postcode"])
        frame.to_parquet(staged / "drifted.parquet")
        shutil.rmtree(tmp_path / "state" / "staging" / "organisations", ignore_errors=True)
        before = graph_checksum(neo4j_driver)
        defs = build_definitions()
        job = defs.resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(
            instance=dg.DagsterInstance.ephemeral(),
            asset_selection=[
                dg.AssetKey(k) for k in ("organisations", "establishments", "graph_establishments")
            ],
            raise_on_error=False,
        )
    assert not result.success
    checks = [
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    failed = {c.asset_key.to_user_string() for c in checks if not c.passed}
    assert "establishments" in failed
    executed = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert "graph_establishments" not in executed
    assert graph_checksum(neo4j_driver) == before


def test_readme_example_queries_answer_on_the_sample_graph(pipeline):
    from regionomie.paths import REPO_ROOT

    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("Three questions to start with:")[1].split("```cypher")[1]
    queries = [q.strip() for q in block.split("```")[0].split(";") if q.strip()]
    assert len(queries) == 3
    for query in queries:
        records, _, _ = pipeline.driver.execute_query(query)
        assert records, query.splitlines()[0]


def test_every_guide_example_returns_rows_on_the_sample(pipeline):
    """The Browser guide's examples (each query file's '// Example:' parameters) answer on the
    shipped sample: an analyst who clicks them sees rows, not an empty table."""
    from regionomie.graph.queries import load_queries

    empty = []
    for name, query in sorted(load_queries().items()):
        records, _, _ = pipeline.driver.execute_query(query.text, parameters_=query.example)
        if not records:
            empty.append(name)
    assert empty == []


def test_addresses_carry_municipality_value_and_weight(pipeline):
    records, _, _ = pipeline.driver.execute_query(
        "MATCH (o:Opportunity {region: $region})-[a:ADDRESSES]->(c:Challenge) "
        "RETURN count(a) AS n, count(DISTINCT o) AS opportunities, "
        "min(a.weight) AS low, max(a.weight) AS high, "
        "count(a.municipality) AS with_municipality, count(a.value) AS with_value",
        region=REGION,
    )
    row = records[0]
    assert row["n"] > 0 and row["with_municipality"] == row["n"] == row["with_value"]
    assert 0 < row["low"] <= row["high"] <= 1
    records, _, _ = pipeline.driver.execute_query(
        "MATCH (o:Opportunity {region: $region}) RETURN count(o) AS n, "
        "count(o.supply_source) AS sourced, count(o.supply_basis) AS based",
        region=REGION,
    )
    assert records[0]["n"] == records[0]["sourced"] == records[0]["based"] > 0
