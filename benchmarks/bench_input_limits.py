"""Memory and time of hostile or big landing files, each parsed in a fresh subprocess.

Cases (generated into a temporary folder, nothing downloaded):
- xlsx_bomb: a 1.2 MB .xlsx whose sheet XML inflates to ~286 MB (the issue's file shape);
- one_line_csv: a 50 MB LMA CSV without a line break;
- gzip_bomb: a .csv.gz of 1 GB that travels as ~1 MB;
- oversize: a file over its source's size limit (REGIONOMIE_MAX_FILE_MB_WASTE=20, 40 MB file);
- big_lma: a valid 400,000-row LMA receipt extract (~150 MB), parsed whole vs in chunks.

For each case: peak RSS increase of the child over its state after imports (ru_maxrss), wall
time, and the outcome (rows or the one-line refusal). `--code-root DIR` runs the same cases
against another checkout (e.g. `git archive <commit> | tar -x -C DIR`) for a before/after.

    .venv/bin/python benchmarks/bench_input_limits.py --out /tmp/limits_after.json
    .venv/bin/python benchmarks/bench_input_limits.py --code-root /tmp/main --out /tmp/before.json
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MB = 1024 * 1024

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from regionomie.domain.parsers import parse_file
from regionomie.domain.results import SourceFileError
path, source = Path(sys.argv[1]), sys.argv[2]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.monotonic()
try:
    res = parse_file(path, source, retrieved_at="2025-01-01T00:00:00Z")
    outcome = "ok: " + ", ".join(f"{k} {len(v.rows)} rows" for k, v in res.items())
except SourceFileError as exc:
    outcome = "refused: " + str(exc)
except Exception as exc:  # the old code's failure modes
    outcome = f"error: {type(exc).__name__}: {str(exc)[:160]}"
seconds = time.monotonic() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": round(seconds, 2), "peak_increase_mb": round((peak - base) / 1024, 1),
                  "outcome": outcome}))
"""


def _sample_lma() -> tuple[str, list[str]]:
    sample = next((REPO / "data" / "sample" / "waste").glob("*.csv"))
    lines = sample.read_text("utf-8").splitlines()
    return lines[0], lines[1:]


def make_xlsx_bomb(path: Path) -> Path:
    """Header row of an LMA extract, then ~286 MB of identical inline-string rows."""
    header, _ = _sample_lma()
    cells = "".join(
        f"<c t='inlineStr'><is><t>{name}</t></is></c>" for name in header.split(";")[:5]
    )
    row = ("<row>" + "<c t='inlineStr'><is><t>0</t></is></c>" * 5 + "</row>").encode() * 2000
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/></Types>',
        )
        zf.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        zf.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="LMA" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>',
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
        )
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as handle:
            handle.write(
                b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                b'spreadsheetml/2006/main"><sheetData><row>' + cells.encode() + b"</row>"
            )
            for _ in range(286 * MB // len(row)):
                handle.write(row)
            handle.write(b"</sheetData></worksheet>")
    return path


def make_cases(folder: Path) -> dict[str, tuple[Path, str, dict[str, str]]]:
    header, rows = _sample_lma()
    cases: dict[str, tuple[Path, str, dict[str, str]]] = {}
    cases["xlsx_bomb"] = (make_xlsx_bomb(folder / "ontvangst_bomb.xlsx"), "waste", {})
    one_line = folder / "ontvangst_one_line.csv"
    with one_line.open("w", encoding="utf-8") as handle:
        handle.write(header + "\n")
        handle.write(rows[0].split(";")[0] + ";" + "x" * (50 * MB))
    cases["one_line_csv"] = (one_line, "waste", {})
    bomb = folder / "ontvangst_bomb.csv.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as handle:
        handle.write((header + "\n").encode())
        zeros = b"0" * MB
        for _ in range(1024):
            handle.write(zeros)
    cases["gzip_bomb"] = (bomb, "waste", {})
    oversize = folder / "ontvangst_oversize.csv"
    big_lma = folder / "ontvangst_big.csv"
    body = "\n".join(rows) + "\n"
    with big_lma.open("w", encoding="utf-8") as handle:
        handle.write(header + "\n")
        n = 0
        while n < 400_000:
            handle.write(body)
            n += len(rows)
    with oversize.open("w", encoding="utf-8") as handle:
        handle.write(header + "\n")
        while handle.tell() < 40 * MB:
            handle.write(body)
    cases["oversize"] = (oversize, "waste", {"REGIONOMIE_MAX_FILE_MB_WASTE": "20"})
    cases["big_lma_chunked"] = (big_lma, "waste", {})
    cases["big_lma_one_chunk"] = (big_lma, "waste", {"REGIONOMIE_CSV_CHUNK_ROWS": "100000000"})
    return cases


def run_case(path: Path, source: str, env: dict[str, str], code_root: Path) -> dict[str, object]:
    child_env = {**os.environ, **env, "PYTHONPATH": str(code_root)}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), source],
        capture_output=True,
        text=True,
        env=child_env,
        cwd=code_root,
        timeout=900,
        check=False,
    )
    if proc.returncode != 0:
        return {"outcome": f"crashed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code-root", type=Path, default=REPO)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--only", nargs="*", help="case names to run")
    args = parser.parse_args()
    results: dict[str, object] = {"code_root": str(args.code_root)}
    with tempfile.TemporaryDirectory(prefix="bench-limits-") as tmp:
        cases = make_cases(Path(tmp))
        for name, (path, source, env) in cases.items():
            if args.only and name not in args.only:
                continue
            result = run_case(path, source, env, args.code_root.resolve())
            result["file_mb"] = round(path.stat().st_size / MB, 1)
            results[name] = result
            print(f"{name:18} {json.dumps(result, ensure_ascii=False)}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
