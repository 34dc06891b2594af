"""Fault tolerance, proved on real processes: an export killed half-way is never published and
the next run completes it; a full disk (a file-size limit, RLIMIT_FSIZE) while exporting or
staging gives a clear error and nothing half-written that looks complete. (Neo4j killed in the
middle of the graph load: tests/test_pipeline_e2e.py, which owns the uninterrupted run.)"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_exports import tables

from regionomie.domain.opportunities.demo import demo_kb
from regionomie.exports.publish import is_complete
from regionomie.flow import FlowConfig, run_region
from regionomie.paths import REPO_ROOT, SAMPLE_DIR

REGION = "regio-amersfoort"

EXPORT_CHILD = r"""
import os, resource, signal, sys
from pathlib import Path
import pandas as pd
from regionomie.domain.opportunities.demo import demo_kb
from regionomie.exports import writers
from regionomie.flow import FlowConfig, run_region
root, tables_dir, date, mode = sys.argv[1:5]
tables = {p.stem: pd.read_parquet(p) for p in Path(tables_dir).glob("*.parquet")}
if mode == "kill":  # SIGKILL ourselves once the CSV and Parquet files are written
    writers.write_xlsx = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
elif mode == "fsize":  # no file may grow past 4 KB: the 'disk' is full
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    run_region("regio-amersfoort", tables, demo_kb(), date, FlowConfig(exports_root=Path(root)))
except writers.ExportError as exc:
    print(f"ExportError: {exc}")
    sys.exit(3)
"""

STAGING_CHILD = r"""
import resource, signal, sys
from pathlib import Path
from regionomie.domain.parsers.landing import land_file
from regionomie.fileio import StorageFullError
path, limit = Path(sys.argv[1]), int(sys.argv[2])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    land_file(path, "waste")
except StorageFullError as exc:
    print(f"StorageFullError: {exc}")
    sys.exit(3)
"""


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def _child(script: str, *args: str, env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        timeout=600,
        check=False,
    )


@pytest.fixture()
def staged_tables(tmp_path: Path) -> Path:
    folder = tmp_path / "tables"
    folder.mkdir()
    for name, frame in tables().items():
        frame.to_parquet(folder / f"{name}.parquet")
    return folder


def test_export_killed_half_way_is_never_published(tmp_path: Path, staged_tables: Path) -> None:
    root = tmp_path / "exports"
    region_dir = root / REGION
    run_region(REGION, tables(), demo_kb(), "2026-11-28", FlowConfig(exports_root=root))
    first = _digests(region_dir / "2026-11-28")

    # a newer date, killed after two files: nothing published, latest unchanged
    killed = _child(EXPORT_CHILD, str(root), str(staged_tables), "2026-12-05", "kill")
    assert killed.returncode == -signal.SIGKILL
    assert not (region_dir / "2026-12-05").exists()
    partial = [p for p in region_dir.iterdir() if p.name.startswith(".2026-12-05.build-")]
    assert partial and (partial[0] / "opportunities.csv").exists()  # it was half-way
    assert (region_dir / "latest").resolve().name == "2026-11-28"

    # the same date again, killed: the published folder stays exactly as it was
    killed = _child(EXPORT_CHILD, str(root), str(staged_tables), "2026-11-28", "kill")
    assert killed.returncode == -signal.SIGKILL
    assert _digests(region_dir / "2026-11-28") == first
    assert is_complete(region_dir / "2026-11-28")

    # the next run completes it and cleans the dead builds away
    run_region(REGION, tables(), demo_kb(), "2026-12-05", FlowConfig(exports_root=root))
    assert is_complete(region_dir / "2026-12-05")
    assert (region_dir / "latest").resolve().name == "2026-12-05"
    assert [p.name for p in region_dir.iterdir() if p.name.startswith(".")] == []


def test_crash_between_the_fallback_renames_is_undone(tmp_path: Path) -> None:
    from regionomie.exports.publish import update_latest

    root = tmp_path / "exports"
    run_region(REGION, tables(), demo_kb(), "2026-11-28", FlowConfig(exports_root=root))
    region_dir = root / REGION
    before = _digests(region_dir / "2026-11-28")
    os.rename(region_dir / "2026-11-28", region_dir / ".2026-11-28.old-0123abcd")
    run_region(
        REGION, tables(), demo_kb(), "2026-10-01", FlowConfig(exports_root=root)
    )  # any later run
    assert _digests(region_dir / "2026-11-28") == before
    assert update_latest(region_dir).resolve().name == "2026-11-28"


def test_disk_full_while_exporting_is_a_clear_error(tmp_path: Path, staged_tables: Path) -> None:
    root = tmp_path / "exports"
    region_dir = root / REGION
    run_region(REGION, tables(), demo_kb(), "2026-11-28", FlowConfig(exports_root=root))
    first = _digests(region_dir / "2026-11-28")
    for date in ("2026-12-05", "2026-11-28"):
        full = _child(EXPORT_CHILD, str(root), str(staged_tables), date, "fsize")
        assert full.returncode == 3, full.stderr[-2000:]
        message = full.stdout.strip()
        assert "disk full" in message and "nothing was published" in message
        assert "\n" not in message
    assert not (region_dir / "2026-12-05").exists()
    assert _digests(region_dir / "2026-11-28") == first
    assert (region_dir / "latest").resolve().name == "2026-11-28"
    assert [p.name for p in region_dir.iterdir() if p.name.startswith(".")] == []


def test_disk_full_while_staging_stages_nothing(tmp_path: Path) -> None:
    lines = next((SAMPLE_DIR / "waste").glob("*.csv")).read_text("utf-8").splitlines()[:40]
    landing = tmp_path / "landing" / "waste"
    landing.mkdir(parents=True)
    path = landing / "ontvangst.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {
        "REGIONOMIE_STATE_DIR": str(tmp_path / "state"),
        "REGIONOMIE_ARCHIVE_DIR": str(tmp_path / "archive"),
    }
    # room for the archive copy, not for the staged Parquet file
    full = _child(STAGING_CHILD, str(path), str(path.stat().st_size + 512), env=env)
    assert full.returncode == 3, full.stderr[-2000:]
    assert "disk full" in full.stdout and "ontvangst.csv" in full.stdout
    state = tmp_path / "state"
    assert [p.name for p in state.rglob("*.parquet")] == []
    assert [p.name for p in state.rglob("*.tmp")] == []
    assert not (state / "quarantine" / "_files").exists(), "a full disk is not the file's fault"
    assert path.exists(), "the file waits in the landing folder for the next run"
