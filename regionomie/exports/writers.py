"""Export writers: CSV, Parquet, Excel, GeoJSON and a self-contained HTML report per region
and date, plus a `latest` pointer.

Idempotence: the same inputs give byte-identical files. Rows are sorted, floats rounded, JSON
keys sorted, the xlsx zip entries and document properties carry the passed date (never the
wall clock), and nothing else time-dependent is written.

Privacy: writers only read display columns (`*_name` produced by the engine, pseudonymised for
sole proprietors) - never `trade_name`. Every writer passes its data through
`SoleProprietorShield` (regionomie.domain.privacy): a sole proprietor's establishment and KvK
numbers become keyed pseudonyms and its location the centre of a 500 m cell.

Spreadsheet safety: the CSV and XLSX writers pass every text cell through
regionomie.exports.excel_safety, so no cell can start a formula in Excel.

All or nothing: a region's files are written into a hidden build folder and published as
<date>/ only when complete, with a manifest.json listing every file; `latest` only ever points
at a folder with a manifest. A crash or a full disk never leaves a partial export in view.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import os
import re
import shutil
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from regionomie.domain.opportunities.common import add_display_columns
from regionomie.domain.privacy import SoleProprietorShield
from regionomie.exports.excel_safety import neutralise_frame, neutralise_header, neutralise_value
from regionomie.fileio import dir_mode, file_mode, fsync_dir, is_storage_full, make_dirs
from regionomie.paths import exports_dir

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TOP_PER_CASE = 50  # candidates per business case in the CSV/XLSX/GeoJSON
TOP_PER_MUNICIPALITY = 100  # best candidates per producer municipality in the same files
MANIFEST = "manifest.json"
STALE_BUILD_SECONDS = 6 * 3600


class ExportError(RuntimeError):
    """An export could not be completed; nothing partial was published."""


class SafetyCounts(dict[str, int]):
    """Per written file: the number of text cells neutralised against formula injection."""

    def add(self, name: str, n: int) -> None:
        self[name] = self.get(name, 0) + int(n)


def _clean(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.attrs = {}
    return out.reset_index(drop=True)


def write_csv(
    df: pd.DataFrame,
    path: Path,
    *,
    shield: SoleProprietorShield,
    counts: SafetyCounts | None = None,
) -> Path:
    """UTF-8 CSV, no index; sole proprietors shielded, formulas neutralised (header included).
    Rows end in CRLF as RFC 4180 says, so a field holding a bare CR or LF is always quoted
    and can never split a row in a spreadsheet (with '\\n' endings a bare CR went unquoted)."""
    frame = shield.protect_frame(_clean(df))
    frame, changed = neutralise_frame(frame)
    frame.columns = neutralise_header(list(frame.columns))
    frame.to_csv(path, index=False, lineterminator="\r\n", encoding="utf-8")
    if counts is not None:
        counts.add(path.name, changed)
    return path


def write_parquet(
    df: pd.DataFrame, path: Path, *, shield: SoleProprietorShield, rows_per_group: int = 100_000
) -> Path:
    """Parquet without the pandas index and without DataFrame.attrs; sole proprietors shielded.
    Written in row groups, so memory holds one group of shielded rows at a time. Values are
    kept as they are (Parquet is read by tools, not by spreadsheets)."""
    frame = _clean(df)
    writer: pq.ParquetWriter | None = None
    try:
        for start in range(0, max(len(frame), 1), rows_per_group):
            part = shield.protect_frame(frame.iloc[start : start + rows_per_group])
            table = pa.Table.from_pandas(part, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="snappy")
            writer.write_table(table.cast(writer.schema))
    finally:
        if writer is not None:
            writer.close()
    return path


def _cell_value(value: Any) -> tuple[Any, bool]:
    """A pandas value as an Excel cell value: numbers stay numbers, missing becomes empty,
    text is cleaned of characters XML cannot hold and neutralised against formulas.
    Returns (value, neutralised)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None, False
    if isinstance(value, (bool, np.bool_)):
        return bool(value), False
    if isinstance(value, (int, np.integer)):
        return int(value), False
    if isinstance(value, (float, np.floating)):
        return (None if math.isnan(float(value)) else float(value)), False
    if isinstance(value, (list, tuple, dict)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return neutralise_value(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _add_sheet(wb: Workbook, title: str, df: pd.DataFrame, widths: dict[str, int]) -> int:
    """A write-only sheet: styled, frozen, filterable header; amounts with thousands format.
    Returns the number of text cells neutralised."""
    ws = wb.create_sheet(title=title[:31])
    columns = list(df.columns)
    for i, column in enumerate(columns, start=1):
        sample = df[column].head(200).map(lambda v: len(str(v)))
        longest = int(sample.max()) if len(sample) else 0
        width = widths.get(column, int(min(60, max(len(column) + 2, longest + 2))))
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(df) + 1}"
    header = []
    changed = 0
    for column in columns:
        value, hit = _cell_value(column)
        changed += hit
        cell = WriteOnlyCell(ws, value=value)
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        header.append(cell)
    ws.append(header)
    # number formats need a styled cell per value: only on sheets a person reads row by row
    styled = len(df) <= 5_000
    amount = [styled and bool(re.search(r"(eur|kg|tonnes|km)", c)) for c in columns]
    for row in df.itertuples(index=False):
        values = []
        for value, is_amount in zip(row, amount, strict=True):
            value, hit = _cell_value(value)
            changed += hit
            if is_amount and isinstance(value, float):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "#,##0.00"
                value = cell
            values.append(value)
        ws.append(values)
    return changed


def _repack_deterministic(data: bytes, stamp: dt.datetime) -> bytes:
    """Rewrite an xlsx zip with fixed entry timestamps and document dates = `stamp`."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(src.namelist(), key=lambda n: (n != "[Content_Types].xml", n)):
            content = src.read(name)
            if name == "docProps/core.xml":
                text = content.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    lambda m: f"{m.group(1)}{iso}{m.group(3)}",
                    text,
                )
                content = text.encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, content)
    return out.getvalue()


def write_xlsx(
    sheets: list[tuple[str, pd.DataFrame]],
    path: Path,
    date: dt.date,
    *,
    shield: SoleProprietorShield,
    counts: SafetyCounts | None = None,
) -> Path:
    """One formatted sheet per view; byte-identical for identical inputs and date. Sole
    proprietors shielded; no text cell can be a formula."""
    wb = Workbook(write_only=True)
    changed = 0
    stamp = dt.datetime(date.year, date.month, date.day)
    wb.properties.creator = "regionomie"
    wb.properties.lastModifiedBy = "regionomie"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    for title, df in sheets:
        frame = shield.protect_frame(_clean(df))
        changed += _add_sheet(wb, title, frame, widths={"explanation": 90, "name": 50})
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_repack_deterministic(buffer.getvalue(), stamp))
    if counts is not None:
        counts.add(path.name, changed)
    return path


def _r(value: Any, digits: int = 6) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else round(number, digits)


def geojson_features(
    candidates: pd.DataFrame, partners: pd.DataFrame, *, shield: SoleProprietorShield
) -> dict[str, Any]:
    """FeatureCollection: a LineString per candidate (producer -> receiver) and a Point per
    actor (WGS84 lon/lat, RFC 7946); sole proprietors at their 500 m cell, pseudonymous."""
    candidates = shield.protect_frame(candidates)
    partners = shield.protect_frame(partners)
    features: list[dict[str, Any]] = []
    line_props = [
        "candidate_id",
        "material_name",
        "use_description",
        "producer_name",
        "receiver_name",
        "receiver_kind",
        "matched_tonnes",
        "distance_km",
        "score",
        "coalition_id",
    ]
    for row in candidates.itertuples(index=False):
        coords = [
            [_r(row.producer_lon), _r(row.producer_lat)],
            [_r(row.receiver_lon), _r(row.receiver_lat)],
        ]
        if any(c is None for pair in coords for c in pair):
            continue
        props = {k: _json_value(getattr(row, k, None)) for k in line_props}
        props["kind"] = "candidate"
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": props,
            }
        )
    for row in partners.itertuples(index=False):
        lon, lat = _r(row.lon), _r(row.lat)
        if lon is None or lat is None:
            continue
        props = {k: _json_value(v) for k, v in row._asdict().items() if k not in ("lat", "lon")}
        props["kind"] = "actor"
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _json_value(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(float(value)) else round(float(value), 6)
    return str(value)


def write_json(obj: Any, path: Path, *, shield: SoleProprietorShield) -> Path:
    """Sorted, indented UTF-8 JSON; sole proprietors' numbers and coordinates shielded."""
    safe = shield.protect_json(obj)
    text = json.dumps(safe, ensure_ascii=False, sort_keys=True, indent=1, default=_json_value)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def partners_table(candidates: pd.DataFrame, establishments: pd.DataFrame) -> pd.DataFrame:
    """Every actor in the candidates with role, pseudonymised name, address, sector, volumes."""
    actors = add_display_columns(establishments).drop_duplicates("establishment_id")
    actors = actors.set_index("establishment_id")
    prod = candidates.groupby("producer_id", sort=True).agg(
        materials=("material_name", lambda s: ";".join(sorted(set(map(str, s))))),
        n_candidates=("candidate_id", "count"),
        best_score=("score", "max"),
    )
    prod["role"] = "leverancier"
    rec_only = candidates[candidates["receiver_kind"] == "establishment"]
    rec = rec_only.groupby("receiver_id", sort=True).agg(
        materials=("material_name", lambda s: ";".join(sorted(set(map(str, s))))),
        n_candidates=("candidate_id", "count"),
        best_score=("score", "max"),
    )
    rec["role"] = "afnemer"
    both = pd.concat([prod, rec])
    both.index.name = "establishment_id"
    both = both.reset_index()
    both = both.groupby("establishment_id", sort=True).agg(
        role=("role", lambda s: ";".join(sorted(set(s)))),
        materials=("materials", lambda s: ";".join(sorted(set(";".join(s).split(";"))))),
        n_candidates=("n_candidates", "sum"),
        best_score=("best_score", "max"),
    )
    both = both.join(
        actors[
            [
                "display_name",
                "display_address",
                "nace_class",
                "sector_label",
                "municipality_code",
                "lat",
                "lon",
            ]
        ],
        how="left",
    )
    both = both.reset_index().rename(columns={"display_name": "name", "display_address": "address"})
    cols = [
        "establishment_id",
        "name",
        "address",
        "role",
        "nace_class",
        "sector_label",
        "municipality_code",
        "materials",
        "n_candidates",
        "best_score",
        "lat",
        "lon",
    ]
    return both[cols].sort_values("establishment_id").reset_index(drop=True)


def ranked_top(
    candidates: pd.DataFrame,
    top_per_case: int = TOP_PER_CASE,
    top_per_municipality: int = TOP_PER_MUNICIPALITY,
) -> pd.DataFrame:
    """The candidates a person reads: the best `top_per_case` of every business case and the
    best `top_per_municipality` per producer municipality, best first, every column kept.
    `candidates` must be sorted best first."""
    if candidates.empty:
        return candidates
    picked = np.zeros(len(candidates), dtype=bool)
    if "case_id" in candidates:
        in_case = candidates["case_id"].notna() & (candidates["case_id"].astype(str) != "")
        rank = candidates[in_case].groupby("case_id", sort=False).cumcount()
        picked[np.flatnonzero(in_case.to_numpy())[(rank < top_per_case).to_numpy()]] = True
    municipality = candidates["producer_municipality"].fillna("")
    picked |= (
        municipality.groupby(municipality, sort=False).cumcount() < top_per_municipality
    ).to_numpy()
    return candidates[picked].reset_index(drop=True)


def _readme(region: str, date: dt.date, n_candidates: int, n_in_sheet: int) -> pd.DataFrame:
    """The 'Toelichting' sheet: what each sheet holds and how the score is built."""
    lines = [
        ("Regio", region),
        ("Peildatum", date.isoformat()),
        (
            "Kandidaten",
            f"{n_candidates} in totaal; in dit bestand, opportunities.csv en "
            f".geojson: de {n_in_sheet} beste (per business case en per gemeente), hoogste "
            "score eerst",
        ),
        ("Volledige lijst", "opportunities.parquet (alle kandidaten, alle kolommen)"),
        ("Top business cases", "kandidaten gebundeld per materiaal x toepassing, gerangschikt"),
        ("Top candidates", "leverancier x materiaal x afnemer, met alle scorecomponenten"),
        ("Challenges", "CBS-opgaven per gemeente; percentiel t.o.v. alle gemeenten in de data"),
        ("Partners", "betrokken vestigingen; eenmanszaken alleen onder pseudoniem"),
        (
            "Score",
            "gewogen gemiddelde van material_fit, volume_fit, proximity, economic, climate, "
            "social en novelty (0..1); gewichten in ScoringConfig",
        ),
        (
            "Transport",
            "afstand = hemelsbreed x 1,3; kosten en CO2 per tonkilometer zijn aannames "
            "(configureerbaar)",
        ),
    ]
    return pd.DataFrame(lines, columns=["onderwerp", "toelichting"])


def is_complete(folder: Path) -> bool:
    """A published export folder: it has a manifest and every file the manifest lists, at the
    size it lists."""
    manifest = folder / MANIFEST
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    for name, info in listed.items():
        try:
            if (folder / name).stat().st_size != int(info["bytes"]):
                return False
        except (OSError, KeyError, TypeError, ValueError):
            return False
    return True


def update_latest(region_dir: Path) -> Path:
    """Point region_dir/latest at the newest complete YYYY-MM-DD folder: a relative symlink
    swapped in atomically, or (where symlinks fail) a copied folder swapped in by rename, plus
    latest.json naming the date. Folders without a manifest (partial, or older than manifests)
    are never pointed at."""
    dates = sorted(
        p.name
        for p in region_dir.iterdir()
        if p.is_dir() and not p.is_symlink() and _DATE_RE.match(p.name) and is_complete(p)
    )
    if not dates:
        raise FileNotFoundError(f"{region_dir}: no complete dated export folders")
    newest = dates[-1]
    latest = region_dir / "latest"
    tmp = region_dir / f".latest.{uuid.uuid4().hex[:8]}.tmp"
    try:
        os.symlink(newest, tmp, target_is_directory=True)
        if latest.exists() and not latest.is_symlink():
            shutil.rmtree(latest)
        os.replace(tmp, latest)
    except OSError:
        if tmp.is_symlink():
            tmp.unlink()
        shutil.copytree(region_dir / newest, tmp)
        old = region_dir / f".latest.{uuid.uuid4().hex[:8]}.old"
        if latest.is_symlink():
            latest.unlink()
        elif latest.exists():
            os.rename(latest, old)
        os.rename(tmp, latest)
        shutil.rmtree(old, ignore_errors=True)
        pointer = region_dir / "latest.json"
        pointer_tmp = region_dir / ".latest.json.tmp"
        pointer_tmp.write_text(json.dumps({"latest": newest}, sort_keys=True) + "\n", "utf-8")
        os.replace(pointer_tmp, pointer)
    fsync_dir(region_dir)
    return latest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_manifest(
    folder: Path, region: str, date: dt.date, counts: SafetyCounts, shield: SoleProprietorShield
) -> Path:
    """manifest.json, written last: every file with size and sha256, and what the safety rules
    did. Deterministic (no clock), so identical exports stay byte-identical."""
    files = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name != MANIFEST:
            os.chmod(path, file_mode())
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
            files[path.name] = {"bytes": path.stat().st_size, "sha256": _sha256(path)}
    manifest = {
        "region": region,
        "date": date.isoformat(),
        "files": files,
        "formula_cells_neutralised": dict(sorted(counts.items())),
        "sole_proprietors_shielded": len(shield.personal_ids),
    }
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    os.chmod(path, file_mode())
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
    fsync_dir(folder)
    return path


def _recover(region_dir: Path) -> None:
    """Undo what a crash between the two renames of a publish can leave: a dated folder moved
    aside (.<date>.old-*) with no new one in its place is moved back; stale build folders of
    dead runs are removed."""
    if not region_dir.exists():
        return
    now = time.time()
    for entry in sorted(region_dir.iterdir()):
        name = entry.name
        match = re.fullmatch(r"\.(\d{4}-\d{2}-\d{2})\.old-[0-9a-f]+", name)
        if match:
            final = region_dir / match.group(1)
            if not final.exists() and is_complete(entry):
                os.rename(entry, final)
            else:
                shutil.rmtree(entry, ignore_errors=True)
        elif build := re.fullmatch(r"\.\d{4}-\d{2}-\d{2}\.build-(\d+)-[0-9a-f]+", name):
            try:
                age = now - entry.stat().st_mtime
            except OSError:
                continue
            if not _pid_alive(int(build.group(1))) or age > STALE_BUILD_SECONDS:
                shutil.rmtree(entry, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _publish(build: Path, final: Path) -> None:
    """Swap a complete build folder in as `final`. On Linux both folders are exchanged in one
    atomic renameat2(RENAME_EXCHANGE), so `final` (and `latest`, a symlink to its name) is at
    every instant either the old complete export or the new one. Elsewhere the old folder is
    moved aside first; a crash between the two renames is undone by _recover on the next run."""
    if final.exists() and _exchange(build, final):
        fsync_dir(final.parent)
        shutil.rmtree(build, ignore_errors=True)  # now holds the previous export
        return
    old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
    if final.exists():
        os.rename(final, old)
    os.rename(build, final)
    fsync_dir(final.parent)
    shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with renameat2(RENAME_EXCHANGE); False where unsupported."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def write_exports(
    region: str,
    candidates: pd.DataFrame,
    business_cases: pd.DataFrame,
    cards: list[dict[str, Any]],
    challenges: pd.DataFrame,
    establishments: pd.DataFrame,
    out_root: Path | None = None,
    date: dt.date | str | None = None,
    cascades: pd.DataFrame | None = None,
    coalitions: pd.DataFrame | None = None,
    municipalities: pd.DataFrame | None = None,
    region_label: str | None = None,
    pseudonym_key: bytes | None = None,
    top_per_case: int = TOP_PER_CASE,
    top_per_municipality: int = TOP_PER_MUNICIPALITY,
) -> dict[str, Path]:
    """Write every export of one region into out_root/<region>/<YYYY-MM-DD>/ and update
    `latest`. Returns {kind: path}. `date` defaults to today (UTC) but is the only date
    written into files. pseudonym_key defaults to regionomie.settings.pseudonym_key().

    Raises ExportError (one line) when the files cannot be written, e.g. a full disk; the
    previous export and `latest` are then left exactly as they were."""
    out_root = Path(out_root) if out_root is not None else exports_dir()
    if date is None:
        date = dt.datetime.now(dt.UTC).date()
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    if pseudonym_key is None:
        from regionomie.settings import pseudonym_key as configured_key

        pseudonym_key = configured_key()
    shield = SoleProprietorShield.from_establishments(establishments, pseudonym_key)
    region_dir = out_root / region
    _make_dir(out_root)
    _make_dir(region_dir)
    _recover(region_dir)
    final = region_dir / date.isoformat()
    build = region_dir / f".{date.isoformat()}.build-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    build.mkdir(mode=dir_mode())
    os.chmod(build, dir_mode())
    try:
        names = _write_all(
            build,
            region=region,
            date=date,
            shield=shield,
            candidates=candidates,
            business_cases=business_cases,
            cards=cards,
            challenges=challenges,
            establishments=establishments,
            cascades=cascades,
            coalitions=coalitions,
            municipalities=municipalities,
            region_label=region_label,
            top_per_case=top_per_case,
            top_per_municipality=top_per_municipality,
            pruning=candidates.attrs.get("pruning"),
        )
        _publish(build, final)
    except BaseException as exc:
        shutil.rmtree(build, ignore_errors=True)
        if isinstance(exc, OSError):
            why = "disk full" if is_storage_full(exc) else "cannot write"
            reason = exc.strerror or str(exc).splitlines()[0][:160] or type(exc).__name__
            raise ExportError(
                f"exports of {region} for {date.isoformat()}: {why} under {region_dir} "
                f"({reason}); nothing was published, latest is unchanged"
            ) from exc
        raise
    paths = {kind: final / name for kind, name in names.items()}
    paths["latest"] = update_latest(region_dir)
    return paths


def _make_dir(path: Path) -> None:
    if not path.exists():
        make_dirs(path)


def _write_all(
    folder: Path,
    *,
    region: str,
    date: dt.date,
    shield: SoleProprietorShield,
    candidates: pd.DataFrame,
    business_cases: pd.DataFrame,
    cards: list[dict[str, Any]],
    challenges: pd.DataFrame,
    establishments: pd.DataFrame,
    cascades: pd.DataFrame | None,
    coalitions: pd.DataFrame | None,
    municipalities: pd.DataFrame | None,
    region_label: str | None,
    top_per_case: int,
    top_per_municipality: int,
    pruning: dict[str, int] | None,
) -> dict[str, str]:
    """Every export file into `folder`, manifest last. Returns {kind: file name}."""
    from regionomie.exports.report import render_report

    counts = SafetyCounts()
    cand = _clean(candidates).sort_values(["score", "candidate_id"], ascending=[False, True])
    cand = cand.reset_index(drop=True)
    top = ranked_top(cand, top_per_case, top_per_municipality)
    cases = _clean(business_cases)
    chall = _clean(challenges)
    if not chall.empty:
        chall = chall.sort_values(["municipality_code", "challenge_id"]).reset_index(drop=True)
    partners = partners_table(top, establishments) if not top.empty else pd.DataFrame()
    written: dict[str, str] = {}

    def put(kind: str, name: str, write: Callable[[Path], object]) -> None:
        write(folder / name)
        written[kind] = name

    # Every candidate, for tools; the ranked top, with every score component, for people.
    put("parquet", "opportunities.parquet", lambda p: write_parquet(cand, p, shield=shield))
    put("csv", "opportunities.csv", lambda p: write_csv(top, p, shield=shield, counts=counts))
    put(
        "business_cases_csv",
        "business_cases.csv",
        lambda p: write_csv(cases, p, shield=shield, counts=counts),
    )
    put("cards_json", "business_case_cards.json", lambda p: write_json(cards, p, shield=shield))
    coords = ["producer_lat", "producer_lon", "receiver_lat", "receiver_lon"]
    sheets: list[tuple[str, pd.DataFrame]] = [
        ("Top business cases", cases),
        ("Top candidates", top.drop(columns=coords, errors="ignore")),
        ("Challenges", chall),
        ("Partners", partners.drop(columns=["lat", "lon"], errors="ignore")),
    ]
    if cascades is not None and not cascades.empty:
        sheets.append(("Cascades", _clean(cascades)))
    if coalitions is not None and not coalitions.empty:
        sheets.append(("Coalitions", _clean(coalitions)))
    sheets.append(("Toelichting", _readme(region, date, len(cand), len(top))))
    put(
        "xlsx",
        "opportunities.xlsx",
        lambda p: write_xlsx(sheets, p, date, shield=shield, counts=counts),
    )
    geo = (
        geojson_features(top, partners, shield=shield)
        if not top.empty
        else {"type": "FeatureCollection", "features": []}
    )
    put("geojson", "opportunities.geojson", lambda p: write_json(geo, p, shield=shield))
    sizes = {name: (folder / name).stat().st_size for name in sorted(written.values())}
    report = render_report(
        region=region,
        region_label=region_label or region,
        date=date,
        candidates=shield.protect_frame(top),
        cases=shield.protect_frame(cases),
        cards=shield.protect_json(cards),
        challenges=chall,
        municipalities=municipalities,
        cascades=shield.protect_frame(cascades) if cascades is not None else None,
        n_candidates=len(cand),
        file_sizes=sizes,
        pruning=pruning,
    )
    put("html", "report.html", lambda p: p.write_text(report, encoding="utf-8"))
    _write_manifest(folder, region, date, counts, shield)
    written["manifest"] = MANIFEST
    return written
