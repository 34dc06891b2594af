"""Inputs cannot exhaust the machine: size limits per source, zip/xlsx bombs judged before
anything inflates, .gz/.zip landing files inflated within limits, over-long lines refused
before pandas, and chunked CSV parsing that gives exactly the whole-file result."""

from __future__ import annotations

import gzip
import io
import shutil
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from regionomie.domain.parsers import parse_file
from regionomie.domain.parsers.common import iter_csv_chunks, read_csv_text, read_raw
from regionomie.domain.parsers.limits import InputLimits, longest_line
from regionomie.domain.results import SourceFileError
from regionomie.paths import SAMPLE_DIR

CORPUS = Path(__file__).parent / "bad_inputs" / "files"


def _sample_waste() -> Path:
    return next((SAMPLE_DIR / "waste").glob("*.csv"))


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGIONOMIE_MAX_FILE_MB", "10")
    monkeypatch.setenv("REGIONOMIE_MAX_FILE_MB_WASTE", "2")
    monkeypatch.setenv("REGIONOMIE_MAX_LINE_KB", "64")
    limits = InputLimits.from_env()
    assert limits.max_file_bytes == {"kvk": 10 << 20, "waste": 2 << 20, "municipal": 10 << 20}
    assert limits.max_line_bytes == 64 * 1024
    monkeypatch.setenv("REGIONOMIE_MAX_LINE_KB", "lots")
    with pytest.raises(ValueError, match="REGIONOMIE_MAX_LINE_KB"):
        InputLimits.from_env()


def test_file_over_its_source_limit_is_refused_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "lma.csv"
    shutil.copy(_sample_waste(), path)
    monkeypatch.setenv("REGIONOMIE_MAX_FILE_MB_WASTE", str(path.stat().st_size / 2 / 2**20))
    with pytest.raises(SourceFileError, match="REGIONOMIE_MAX_FILE_MB_WASTE"):
        parse_file(path, "waste")
    monkeypatch.setenv("REGIONOMIE_MAX_FILE_MB_WASTE", "1024")
    assert parse_file(path, "waste")["waste_records"].rows_in > 0


def _xlsx_bomb(path: Path, megabytes: int) -> Path:
    """A workbook whose sheet XML inflates ~1000x (the issue's 1.2 MB -> 286 MB shape)."""
    row = b"<row><c t='inlineStr'><is><t>0</t></is></c></row>" * 1000
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as handle:
            handle.write(b"<worksheet><sheetData>")
            for _ in range(megabytes * 2**20 // len(row)):
                handle.write(row)
            handle.write(b"</sheetData></worksheet>")
    return path


def test_xlsx_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    bomb = _xlsx_bomb(tmp_path / "lma_bomb.xlsx", 60)
    assert bomb.stat().st_size < 2**20
    started = time.monotonic()
    with pytest.raises(SourceFileError, match="inflates .*x .*over the 100x limit"):
        parse_file(bomb, "waste")
    assert time.monotonic() - started < 2


PREFIX = b"LMA export\n" * 400  # bytes in front of the zip: zip readers still open it


@pytest.mark.parametrize("name", ["lma_bomb.xlsx", "lma_bomb.csv", "lma_bomb.xlsm"])
def test_xlsx_bomb_behind_a_prefix_is_refused_before_inflating(tmp_path: Path, name: str) -> None:
    """A zip reader finds the central directory from the end, so bytes in front of a zip do
    not stop openpyxl; they must not stop the check either (whatever the file is called)."""
    bomb = _xlsx_bomb(tmp_path / "bomb.xlsx", 60)
    prefixed = tmp_path / name
    prefixed.write_bytes(PREFIX + bomb.read_bytes())
    assert zipfile.is_zipfile(prefixed)  # what openpyxl would open
    started = time.monotonic()
    with pytest.raises(SourceFileError, match="inflates .*x .*over the 100x limit"):
        parse_file(prefixed, "waste")
    assert time.monotonic() - started < 2


def test_total_unzipped_cap_holds_behind_a_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Members that each stay under the ratio but together exceed REGIONOMIE_MAX_UNZIPPED_MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for i in range(3):
            zf.writestr(f"xl/worksheets/sheet{i}.xml", b"x" * (2 * 2**20))
    path = tmp_path / "lma.xlsx"
    path.write_bytes(PREFIX + buffer.getvalue())
    monkeypatch.setenv("REGIONOMIE_MAX_UNZIPPED_MB", "5")
    with pytest.raises(SourceFileError, match="unpacks to 6.0 MB, over the 5.0 MB limit"):
        read_raw(path, source="waste")


def test_zip_landing_file_behind_a_prefix_is_read_within_limits(tmp_path: Path) -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(_sample_waste(), "ontvangst.csv")
    path = tmp_path / "ontvangst.zip"
    path.write_bytes(PREFIX + packed.getvalue())
    assert read_raw(path, source="waste").data == _sample_waste().read_bytes()
    inner = tmp_path / "inner.zip"  # a zip inside a zip is judged again once unpacked
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.xlsx", PREFIX + _xlsx_bomb(tmp_path / "b.xlsx", 60).read_bytes())
    with pytest.raises(SourceFileError, match="inflates|over the"):
        read_raw(inner, source="waste")


def test_gz_landing_file_is_read_and_a_gzip_bomb_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = parse_file(_sample_waste(), "waste", retrieved_at="2025-01-01T00:00:00Z")
    packed = tmp_path / "ontvangst.csv.gz"
    packed.write_bytes(gzip.compress(_sample_waste().read_bytes()))
    got = parse_file(packed, "waste", retrieved_at="2025-01-01T00:00:00Z")
    cols = [c for c in plain["waste_records"].rows.columns if c not in ("source_file",)]
    cols = [c for c in cols if c not in ("content_hash", "ingested_at")]
    pd.testing.assert_frame_equal(
        got["waste_records"].rows[cols], plain["waste_records"].rows[cols]
    )
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress(b"a;b\n" + b"0" * (64 * 2**20), compresslevel=9))
    monkeypatch.setenv("REGIONOMIE_MAX_UNZIPPED_MB", "16")
    with pytest.raises(SourceFileError, match="inflates beyond"):
        parse_file(bomb, "waste")


def test_zip_landing_file_needs_exactly_one_data_file(tmp_path: Path) -> None:
    one = tmp_path / "kvk_open_data.zip"
    with zipfile.ZipFile(one, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(CORPUS.parent / "files" / "kvk_bulk_bad_region.csv", "bulk.csv")
        zf.writestr("__MACOSX/._bulk.csv", "junk")
    assert "sector_density" in parse_file(one, "kvk")
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as zf:
        zf.writestr("a.csv", "x\n1\n")
        zf.writestr("b.csv", "x\n2\n")
    with pytest.raises(SourceFileError, match="exactly one data file"):
        parse_file(two, "kvk")


def test_line_longer_than_the_limit_is_refused_with_its_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGIONOMIE_MAX_LINE_KB", "64")
    lines = _sample_waste().read_text("utf-8").splitlines()[:4]
    lines.insert(3, "1;" + "x" * 100_000)
    path = tmp_path / "lma.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SourceFileError, match=r"line 4 is over .* 64 KB line limit"):
        parse_file(path, "waste")
    assert longest_line(b"ab\ncdef\ng") == (2, 4)
    assert longest_line(b"x" * 10) == (1, 10)
    assert longest_line(b"") == (1, 0)


def test_json_lines_are_not_held_to_the_csv_line_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGIONOMIE_MAX_LINE_KB", "1")
    fixture = Path(__file__).parent / "fixtures" / "files" / "kvk" / "zoeken_v2.json"
    text = fixture.read_text("utf-8").replace("\n", " ") + " " * 2048  # API answers: one line
    path = tmp_path / "zoeken.json"
    path.write_text(text, encoding="utf-8")
    assert len(text) > 1024
    assert parse_file(path, "kvk", retrieved_at="2025-01-01T00:00:00Z")["establishments"].rows_in


def _ragged_lma(tmp_path: Path) -> Path:
    """An LMA extract with every kind of ragged line: one extra field, several extra fields,
    blank lines, a bad value, and a bad line at the very end."""
    lines = _sample_waste().read_text("utf-8").splitlines()
    header, rows = lines[0], lines[1:9]
    out = [header, rows[0], rows[1] + ";extra", rows[2], "", rows[3] + ";a;b;c", rows[4]]
    out += [rows[5].replace(";", ";x", 1), "", rows[6], rows[7], rows[7] + ";a;b;c"]
    path = tmp_path / "ontvangst_ragged.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("chunk_rows", [1, 2, 3])
def test_chunked_csv_equals_the_whole_file(chunk_rows: int, tmp_path: Path) -> None:
    for path in (_ragged_lma(tmp_path), CORPUS / "kvk_too_many_fields.csv"):
        raw = read_raw(path)
        whole_frame, whole_rejects, whole_lines = read_csv_text(raw)
        assert whole_rejects, "the file has ragged lines"
        chunks = list(iter_csv_chunks(raw, chunk_rows=chunk_rows))
        assert len(chunks) > 1
        frame = pd.concat([c[0] for c in chunks], ignore_index=True)
        pd.testing.assert_frame_equal(frame, whole_frame)
        assert [r for c in chunks for r in c[1]] == whole_rejects
        assert [int(x) for c in chunks for x in c[2]] == [int(x) for x in whole_lines]


def test_chunked_parsers_give_the_same_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    waste = _ragged_lma(tmp_path)
    bulk = CORPUS / "kvk_bulk_bad_region.csv"
    at = "2025-01-01T00:00:00Z"
    whole = {
        "w": parse_file(waste, "waste", retrieved_at=at)["waste_records"],
        "b": parse_file(bulk, "kvk", retrieved_at=at)["sector_density"],
    }
    monkeypatch.setenv("REGIONOMIE_CSV_CHUNK_ROWS", "2")
    chunked = {
        "w": parse_file(waste, "waste", retrieved_at=at)["waste_records"],
        "b": parse_file(bulk, "kvk", retrieved_at=at)["sector_density"],
    }
    assert len(whole["w"].rejected) >= 3
    for key in whole:
        ignore = ["ingested_at"]
        pd.testing.assert_frame_equal(
            chunked[key].rows.drop(columns=ignore), whole[key].rows.drop(columns=ignore)
        )
        pd.testing.assert_frame_equal(
            chunked[key].rejected.reset_index(drop=True),
            whole[key].rejected.reset_index(drop=True),
        )
        assert chunked[key].rows_in == whole[key].rows_in


def test_nested_json_is_a_one_line_file_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"a": ' * 100_000 + "1" + "}" * 100_000, encoding="utf-8")
    with pytest.raises(SourceFileError, match="deep.json: nested too deeply"):
        parse_file(path, "kvk")
    bundle = tmp_path / "cbs.json"
    bundle.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(SourceFileError, match="nested too deeply"):
        parse_file(bundle, "municipal")


def test_raw_bytes_are_bounded_by_the_limit(tmp_path: Path) -> None:
    limits = InputLimits(max_file_bytes={"kvk": 10, "waste": 10, "municipal": 10})
    path = tmp_path / "x.csv"
    path.write_bytes(b"a\n" * 100)
    with pytest.raises(SourceFileError, match="over the 0.0 MB limit for kvk files"):
        read_raw(path, source="kvk", limits=limits)
    assert len(read_raw(path, limits=limits).data) == 200  # no source: no size limit
    assert io is not None
