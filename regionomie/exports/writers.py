"""Export writers: CSV, Parquet, Excel, GeoJSON and a self-contained HTML report per region
and date, plus a `latest` pointer.

Idempotence: the same inputs give byte-identical files. Rows are sorted, floats rounded, JSON
keys sorted, the xlsx zip entries and document properties carry the passed date (never the
wall clock), and nothing else time-dependent is written.

Privacy: writers only read display columns (`*_name` produced by the engine, pseudonymised for
sole proprietors) - never `trade_name`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import re
import shutil
import zipfile
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
from regionomie.paths import exports_dir

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
XLSX_MAX_CANDIDATE_ROWS = 25_000  # the sheet is for reading; the full list is in CSV/Parquet


def _clean(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.attrs = {}
    return out.reset_index(drop=True)


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    """UTF-8 CSV with '\\n' line ends, no index."""
    _clean(df).to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return path


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    """Parquet without the pandas index and without DataFrame.attrs."""
    table = pa.Table.from_pandas(_clean(df), preserve_index=False)
    pq.write_table(table, path, compression="snappy")
    return path


def _cell_value(value: Any) -> Any:
    """A pandas value as an Excel cell value: numbers stay numbers, missing becomes empty."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, (list, tuple, dict)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _add_sheet(wb: Workbook, title: str, df: pd.DataFrame, widths: dict[str, int]) -> None:
    """A write-only sheet: styled, frozen, filterable header; amounts with thousands format."""
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
    for column in columns:
        cell = WriteOnlyCell(ws, value=column)
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
            value = _cell_value(value)
            if is_amount and isinstance(value, float):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "#,##0.00"
                value = cell
            values.append(value)
        ws.append(values)


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


def write_xlsx(sheets: list[tuple[str, pd.DataFrame]], path: Path, date: dt.date) -> Path:
    """One formatted sheet per view; byte-identical for identical inputs and date."""
    wb = Workbook(write_only=True)
    stamp = dt.datetime(date.year, date.month, date.day)
    wb.properties.creator = "regionomie"
    wb.properties.lastModifiedBy = "regionomie"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    for title, df in sheets:
        _add_sheet(wb, title, _clean(df), widths={"explanation": 90, "name": 50})
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_repack_deterministic(buffer.getvalue(), stamp))
    return path


def _r(value: Any, digits: int = 6) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else round(number, digits)


def geojson_features(candidates: pd.DataFrame, partners: pd.DataFrame) -> dict[str, Any]:
    """FeatureCollection: a LineString per candidate (producer -> receiver) and a Point per
    actor (WGS84 lon/lat, RFC 7946)."""
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


def write_json(obj: Any, path: Path) -> Path:
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=1, default=_json_value)
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


def _readme(region: str, date: dt.date, n_candidates: int, n_in_sheet: int) -> pd.DataFrame:
    """The 'Toelichting' sheet: what each sheet holds and how the score is built."""
    lines = [
        ("Regio", region),
        ("Peildatum", date.isoformat()),
        ("Kandidaten", f"{n_candidates} (in dit werkblad: {n_in_sheet}, hoogste score eerst)"),
        ("Volledige lijst", "opportunities.csv / opportunities.parquet (alle kolommen)"),
        ("Top business cases", "kandidaten gebundeld per materiaal x toepassing, gerangschikt"),
        ("All candidates", "leverancier x materiaal x afnemer, met alle scorecomponenten"),
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


def update_latest(region_dir: Path) -> Path:
    """Point region_dir/latest at the newest YYYY-MM-DD folder: a relative symlink, or (where
    symlinks fail) a copied folder plus latest.json naming the date."""
    dates = sorted(p.name for p in region_dir.iterdir() if p.is_dir() and _DATE_RE.match(p.name))
    if not dates:
        raise FileNotFoundError(f"{region_dir}: no dated export folders")
    newest = dates[-1]
    latest = region_dir / "latest"
    tmp = region_dir / ".latest.tmp"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(newest, tmp, target_is_directory=True)
        if latest.exists() and not latest.is_symlink():
            shutil.rmtree(latest)
        os.replace(tmp, latest)
    except OSError:
        if latest.is_symlink():
            latest.unlink()
        elif latest.exists():
            shutil.rmtree(latest)
        shutil.copytree(region_dir / newest, latest)
        (region_dir / "latest.json").write_text(
            json.dumps({"latest": newest}, sort_keys=True) + "\n", encoding="utf-8"
        )
    return latest


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
) -> dict[str, Path]:
    """Write every export of one region into out_root/<region>/<YYYY-MM-DD>/ and update
    `latest`. Returns {kind: path}. `date` defaults to today (UTC) but is the only date
    written into files."""
    from regionomie.exports.report import render_report

    out_root = Path(out_root) if out_root is not None else exports_dir()
    if date is None:
        date = dt.datetime.now(dt.UTC).date()
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    folder = out_root / region / date.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    cand = _clean(candidates).sort_values(["score", "candidate_id"], ascending=[False, True])
    cand = cand.reset_index(drop=True)
    cases = _clean(business_cases)
    chall = _clean(challenges)
    if not chall.empty:
        chall = chall.sort_values(["municipality_code", "challenge_id"]).reset_index(drop=True)
    partners = partners_table(cand, establishments) if not cand.empty else pd.DataFrame()
    paths: dict[str, Path] = {}
    paths["csv"] = write_csv(cand, folder / "opportunities.csv")
    paths["parquet"] = write_parquet(cand, folder / "opportunities.parquet")
    paths["business_cases_csv"] = write_csv(cases, folder / "business_cases.csv")
    paths["cards_json"] = write_json(cards, folder / "business_case_cards.json")
    coords = ["producer_lat", "producer_lon", "receiver_lat", "receiver_lon"]
    sheet_cand = cand.drop(columns=coords, errors="ignore").head(XLSX_MAX_CANDIDATE_ROWS)
    sheets: list[tuple[str, pd.DataFrame]] = [
        ("Top business cases", cases),
        ("All candidates", sheet_cand),
        ("Challenges", chall),
        ("Partners", partners.drop(columns=["lat", "lon"], errors="ignore")),
    ]
    if cascades is not None and not cascades.empty:
        sheets.append(("Cascades", _clean(cascades)))
    if coalitions is not None and not coalitions.empty:
        sheets.append(("Coalitions", _clean(coalitions)))
    sheets.append(("Toelichting", _readme(region, date, len(cand), len(sheet_cand))))
    paths["xlsx"] = write_xlsx(sheets, folder / "opportunities.xlsx", date)
    geo = (
        geojson_features(cand, partners)
        if not cand.empty
        else {
            "type": "FeatureCollection",
            "features": [],
        }
    )
    paths["geojson"] = write_json(geo, folder / "opportunities.geojson")
    report = render_report(
        region=region,
        region_label=region_label or region,
        date=date,
        candidates=cand,
        cases=cases,
        cards=cards,
        challenges=chall,
        municipalities=municipalities,
        cascades=cascades,
    )
    paths["html"] = folder / "report.html"
    paths["html"].write_text(report, encoding="utf-8")
    paths["latest"] = update_latest(out_root / region)
    return paths
