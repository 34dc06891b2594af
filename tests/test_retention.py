"""Retention: superseded staged versions, old archive and old quarantine files are pruned by
`regionomie retention --apply`, and the current tables read from staging are unchanged."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
import pytest

from regionomie.cli import main
from regionomie.domain.parsers.landing import land_file
from regionomie.domain.retention import RetentionPolicy, plan_retention
from regionomie.domain.staging import read_staged

HEADER = "vestigingsnummer;kvk_nummer;trade_name;legal_form;sbi_main;sbi_version;postcode;city"


def _kvk(folder: Path, name: str, rows: list[tuple[str, str]], stamp: str) -> Path:
    lines = [
        f"{v};{k};Bedrijf {stamp[:6]};Besloten Vennootschap;5610;2008;3811AB;X" for v, k in rows
    ]
    path = folder / f"{name}_{stamp}.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REGIONOMIE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("REGIONOMIE_ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.setenv("REGIONOMIE_ENV_FILE", str(tmp_path / ".env"))
    (tmp_path / "in").mkdir()
    return tmp_path


def _age(path: Path, days: float) -> None:
    old = time.time() - days * 86_400
    os.utime(path, (old, old))


def test_retention_prunes_and_keeps_current_tables(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = ("000000000001", "10000001"), ("000000000002", "10000002")
    first = _kvk(env / "in", "est", [a, b], "20250101T000000")
    second = _kvk(env / "in", "est", [a, b], "20250201T000000")  # every key again, newer
    third = _kvk(env / "in", "est_partial", [a], "20250301T000000")  # one key again
    for path in (first, second, third):
        land_file(path, "kvk")
    broken = env / "in" / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(Exception, match="JSON"):
        land_file(broken, "kvk")
    before = {t: read_staged(t) for t in ("establishments", "organisations")}
    staged = sorted((env / "state" / "staging" / "establishments").glob("*.parquet"))
    assert len(staged) == 3
    for path in (env / "archive").rglob("*"):
        if path.is_file():
            _age(path, 400)
    for path in (env / "state" / "quarantine").rglob("*"):
        if path.is_file():
            _age(path, 100)

    plan = plan_retention(
        RetentionPolicy(),
        env / "state" / "staging",
        env / "archive",
        env / "state" / "quarantine",
    )
    areas = sorted({(r.area, r.path.parent.name) for r in plan})
    assert ("staging", "establishments") in areas and ("quarantine", "kvk") in areas
    gone_staged = {r.path for r in plan if r.area == "staging"}
    first_hash = next(p for p in staged if p in gone_staged)  # only the first file is obsolete
    assert len([p for p in gone_staged if p.parent.name == "establishments"]) == 1
    archived = {r.path.name[:16] for r in plan if r.area == "archive"}
    assert archived == {first_hash.stem[:16]}, "originals of current rows are kept"

    assert main(["retention"]) == 0  # a dry run deletes nothing
    assert "would remove" in capsys.readouterr().err
    assert len(list((env / "state" / "staging" / "establishments").glob("*.parquet"))) == 3

    assert main(["retention", "--apply"]) == 0
    assert "removed" in capsys.readouterr().err
    assert len(list((env / "state" / "staging" / "establishments").glob("*.parquet"))) == 2
    assert not (env / "state" / "quarantine" / "_files").exists() or not any(
        (env / "state" / "quarantine" / "_files").rglob("*")
    )
    for table, frame in before.items():
        after = read_staged(table)
        pd.testing.assert_frame_equal(after, frame)


def test_retention_policy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGIONOMIE_RETAIN_ARCHIVE_DAYS", "30")
    monkeypatch.setenv("REGIONOMIE_RETAIN_QUARANTINE_DAYS", "7")
    assert RetentionPolicy.from_env() == RetentionPolicy(archive_days=30, quarantine_days=7)
    monkeypatch.setenv("REGIONOMIE_RETAIN_ARCHIVE_DAYS", "a year")
    with pytest.raises(ValueError, match="REGIONOMIE_RETAIN_ARCHIVE_DAYS"):
        RetentionPolicy.from_env()


def test_archive_lives_under_the_state_root_where_retention_finds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With only REGIONOMIE_STATE_DIR set, the originals (whole files, personal data
    included) go under it, not into <repo>/data/archive where a separate-state run and
    `retention` missed them."""
    from regionomie.paths import DATA_DIR

    monkeypatch.setenv("REGIONOMIE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("REGIONOMIE_ARCHIVE_DIR", raising=False)
    monkeypatch.setenv("REGIONOMIE_ENV_FILE", str(tmp_path / ".env"))
    (tmp_path / "in").mkdir()
    repo_archive = (
        sorted((DATA_DIR / "archive").rglob("*")) if (DATA_DIR / "archive").exists() else []
    )
    report = land_file(
        _kvk(tmp_path / "in", "est", [("000000000001", "10000001")], "20250101T000000"), "kvk"
    )
    assert report.archived_to.is_relative_to(tmp_path / "state" / "archive")
    after = sorted((DATA_DIR / "archive").rglob("*")) if (DATA_DIR / "archive").exists() else []
    assert after == repo_archive, "nothing was written into the repository's data/archive"
    assert report.archived_to.stat().st_mode & 0o077 == 0
    newer = _kvk(tmp_path / "in", "est", [("000000000001", "10000001")], "20250201T000000")
    land_file(newer, "kvk")
    _age(report.archived_to, 400)
    assert main(["retention"]) == 0
    assert str(report.archived_to) in capsys.readouterr().out
