"""land_file and `regionomie ingest`: staging Parquet, quarantine CSV, archive, exit codes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from regionomie.cli import main
from regionomie.domain.parsers.landing import land_file
from regionomie.domain.results import SourceFileError

HEADER = "Afvalstroomnummer;EuralCode;MeldPeriodeJAAR;MeldPeriodeMAAND;Gewicht_KG"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REGIONOMIE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("REGIONOMIE_QUARANTINE_DIR", str(tmp_path / "quarantine"))
    monkeypatch.setenv("REGIONOMIE_ARCHIVE_DIR", str(tmp_path / "archive"))
    return tmp_path


def waste_file(tmp_path: Path) -> Path:
    path = tmp_path / "ontvangst_20250101T000000.csv"
    path.write_text(
        f"{HEADER}\n104220001234;200108;2024;1;100\n104220001234;200108;2024;2;veel\n",
        encoding="utf-8",
    )
    return path


def test_land_file_stages_quarantines_and_archives(isolated: Path) -> None:
    report = land_file(waste_file(isolated), "waste")
    t = report.tables["waste_records"]
    assert (t.rows_in, t.parsed, t.set_aside) == (2, 1, 1)
    staged = pd.read_parquet(t.staged_path)
    assert t.staged_path == isolated / "state" / "staging" / "waste_records" / (
        f"{report.content_hash}.parquet"
    )
    assert staged["weight_kg"].tolist() == [100.0]
    assert t.quarantine_path is not None
    rejected = pd.read_csv(t.quarantine_path, dtype=str)
    assert rejected["reason"].tolist() == ["Gewicht_KG: not a number"]
    assert rejected["source_row"].tolist() == ["3"]
    assert report.archived_to.parent == isolated / "archive" / "waste"
    assert report.archived_to.read_bytes() == waste_file(isolated).read_bytes()
    again = land_file(waste_file(isolated), "waste")  # same bytes: same files, nothing doubled
    assert again.tables["waste_records"].staged_path == t.staged_path
    assert len(list((isolated / "archive" / "waste").iterdir())) == 1


def test_unusable_file_goes_to_quarantine_files(isolated: Path) -> None:
    path = isolated / "kvk.json"
    path.write_text("<html><body>Service Unavailable</body></html>")
    with pytest.raises(SourceFileError):
        land_file(path, "kvk")
    names = sorted(p.name for p in (isolated / "quarantine" / "_files" / "kvk").iterdir())
    assert len(names) == 2 and names[1] == names[0] + ".reason.json"  # the copy and why
    assert not (isolated / "state" / "staging").exists()


def test_cli_ingest_ok(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(waste_file(isolated)), "--source", "waste"]) == 0
    out = capsys.readouterr().out
    assert "waste_records: 2 rows in, 1 parsed, 1 set aside" in out
    assert "archived:" in out


def test_cli_ingest_unusable(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = isolated / "empty.csv"
    path.write_text("")
    assert main(["ingest", str(path), "--source", "waste"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["unusable file: empty.csv: file is empty"]
    assert main(["ingest", str(isolated / "missing.csv"), "--source", "kvk"]) == 1
