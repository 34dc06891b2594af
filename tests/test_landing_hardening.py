"""Landing zone robustness through the real landing asset: a symlink is refused and never
followed, a deeply nested JSON and a file name too long to archive quarantine that one file
with a reason while the next file lands, a full disk is an error (not a quarantine), and
`suggest-receivers --input` answers every line it can."""

from __future__ import annotations

import argparse
import errno
import json
import os
import time
from pathlib import Path

import dagster as dg
import pytest

from assets.resources import LocalLandingZone
from regionomie.paths import SAMPLE_DIR

SECRET = "PRIVATE-SALARY-LIST Jan Jansen 123456789"
OLD = time.time() - 3600


@pytest.fixture()
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REGIONOMIE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("REGIONOMIE_ARCHIVE_DIR", str(tmp_path / "archive"))
    return tmp_path


def _good_waste(folder: Path, name: str = "z_good.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = next((SAMPLE_DIR / "waste").glob("*.csv")).read_text("utf-8").splitlines()[:6]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _land(root: Path, source: str) -> dg.ExecuteInProcessResult:
    """The landing asset over whatever the landing zone lists (as a sensor run would)."""
    from assets.ingest import landing_assets

    asset = next(a for a in landing_assets if a.key.to_user_string() == f"{source}_landing")
    return dg.materialize(
        [asset],
        resources={"landing_zone": LocalLandingZone(root=str(root / "landing"))},
        instance=dg.DagsterInstance.ephemeral(),
    )


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_symlink_is_refused_never_followed_and_does_not_block(state: Path) -> None:
    private = state / "private.csv"
    private.write_text(f"Afvalstroomnummer;EuralCode\n{SECRET};200108\n", encoding="utf-8")
    landing = state / "landing" / "waste"
    landing.mkdir(parents=True)
    link = landing / "a_link.csv"
    link.symlink_to(private)
    good = _good_waste(landing)
    zone = LocalLandingZone(root=str(state / "landing"))
    assert [Path(f.path).name for f in zone.list_files("waste")] == ["a_link.csv", "z_good.csv"]

    result = _land(state, "waste")
    assert result.success
    meta = result.asset_materializations_for_node("waste_landing")[0].metadata
    assert (meta["files_landed"].value, meta["files_rejected"].value) == (1, 1)
    assert "symbolic link" in meta["rejected_files"].value[0]["reason"]
    assert not link.is_symlink() and not good.exists(), "both leave the landing zone"
    assert private.exists(), "the link's target is left alone"
    everything = _all_bytes(state / "state") + _all_bytes(state / "archive")
    assert SECRET.encode() not in everything, "the private file's text was copied"
    notes = list((state / "state" / "quarantine" / "_files" / "waste").glob("*.reason.json"))
    assert len(notes) == 1 and "symbolic link" in json.loads(notes[0].read_text())["reason"]


def test_sensor_does_not_read_a_symlinks_target(state: Path) -> None:
    from pipelines.sensors import _file_hash

    target = state / "big.bin"
    target.write_bytes(b"x" * 10)
    link = state / "link.csv"
    link.symlink_to(target)
    assert _file_hash(link) != _file_hash(target)
    target.write_bytes(b"y" * 10)  # the target changes, the link's identity does not
    before = _file_hash(link)
    assert _file_hash(link) == before


def test_deep_json_and_long_name_are_quarantined_and_the_next_file_lands(state: Path) -> None:
    landing = state / "landing" / "kvk"
    landing.mkdir(parents=True)
    deep = landing / "a_deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    long_name = "b_" + "x" * 240 + ".json"
    (landing / long_name).write_text("{not json", encoding="utf-8")
    good = landing / "z_good.csv"
    good.write_text(
        "vestigingsnummer;kvk_nummer;trade_name;legal_form\n"
        "000038509504;68750110;Koffiebar De Boon B.V.;Besloten Vennootschap\n",
        encoding="utf-8",
    )
    for p in landing.iterdir():
        os.utime(p, (OLD, OLD))
    result = _land(state, "kvk")
    assert result.success
    meta = result.asset_materializations_for_node("kvk_landing")[0].metadata
    assert meta["files_landed"].value == 1 and meta["files_rejected"].value == 2
    reasons = {r["file"]: r["reason"] for r in meta["rejected_files"].value}
    assert "nested too deeply" in reasons["a_deep.json"]
    assert long_name in reasons and "JSON" in reasons[long_name]
    quarantined = sorted(
        p.name for p in (state / "state" / "quarantine" / "_files" / "kvk").iterdir()
    )
    assert len(quarantined) == 4  # two copies, two reasons
    assert all(len(n.encode()) <= 255 for n in quarantined)
    assert list(landing.iterdir()) == []


def test_unexpected_parser_error_quarantines_that_file(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from regionomie.domain.parsers import landing as landing_mod
    from regionomie.domain.results import SourceFileError

    path = _good_waste(state / "in", "a.csv")

    def boom(*args: object, **kwargs: object) -> object:
        raise KeyError("a bug in a parser")

    monkeypatch.setattr(landing_mod, "parse_file", boom)
    with pytest.raises(SourceFileError, match=r"a.csv: could not be landed \(KeyError\)"):
        landing_mod.land_file(path, "waste")
    assert list((state / "state" / "quarantine" / "_files" / "waste").glob("*a.csv.reason.json"))


def test_full_disk_is_an_error_not_a_quarantine(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from regionomie.domain.parsers import landing as landing_mod
    from regionomie.fileio import StorageFullError

    path = _good_waste(state / "in", "a.csv")

    def full(*args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(landing_mod, "_stage", full)
    with pytest.raises(StorageFullError, match="disk full"):
        landing_mod.land_file(path, "waste")
    assert path.exists()
    assert not (state / "state" / "quarantine" / "_files").exists()


def test_suggest_batch_answers_around_bad_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from regionomie.commands import suggest

    lines = [
        json.dumps({"id": "ok1", "waste_description": "koffiedik"}).encode(),
        b'{"id": "deep", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"id": "latin1", "waste_description": "caf\xe9"}',
        b'{"id": "long", "waste_description": "' + b"a" * (2 * 1024 * 1024) + b'"}',
        json.dumps({"id": {"nested": [1, 2]}, "waste_description": "bierbostel"}).encode(),
        json.dumps({"id": "nul", "waste_description": "koffie\x00dik"}).encode(),
        json.dumps({"id": "ok2", "waste_code": "200108"}).encode(),
    ]
    path = tmp_path / "q.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    parser = argparse.ArgumentParser()
    suggest.register(parser.add_subparsers())
    args = parser.parse_args(["suggest-receivers", "--input", str(path), "--top", "3"])
    assert args.func(args) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == len(lines)
    by_line = {i + 1: r for i, r in enumerate(out)}
    assert "receivers" in by_line[1] and "receivers" in by_line[7]
    assert by_line[2]["id"] == "deep" and "nested too deeply" in by_line[2]["error"]
    assert "line 3" in by_line[3]["error"] and "UTF-8" in by_line[3]["error"]
    assert "line 4" in by_line[4]["error"] and "longer than" in by_line[4]["error"]
    assert by_line[5]["id"] == '{"nested": [1, 2]}' and "receivers" in by_line[5]
    assert by_line[6]["id"] == "nul" and ("receivers" in by_line[6] or "error" in by_line[6])
