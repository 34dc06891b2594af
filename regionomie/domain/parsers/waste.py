"""LMA waste extracts (ontvangstmeldingen = receipts, afgiftemeldingen = deliveries) ->
WASTE_RECORDS rows.

Column names are LMA's own (Afvalstroomnummer, EuralCode, Gewicht_KG, Ontdoener_Postcode, ...),
matched case-insensitively. EuralCode often arrives as an integer (200108 -> '200108',
20108 -> '020108'); weights may use decimal commas ('1.234,5'). Bemiddelaar and Handelaar
columns are read but not kept: the contract has no roles for brokers and traders.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from regionomie.domain.parsers.common import (
    POSTCODE_RE,
    RawFile,
    RowChecks,
    add_provenance,
    blank,
    clean_str,
    iter_csv_chunks,
    map_unique,
    none_where,
    norm_postcode,
    parse_decimal,
    rejects_frame,
)
from regionomie.domain.results import ParseResult, SourceFileError
from regionomie.domain.schemas import WASTE_PARTY_ROLES, WASTE_RECORDS

# LMA party prefix -> contract role.
PARTY_PREFIXES: dict[str, str] = {
    "Ontdoener": "ontdoener",
    "Herkomst": "herkomst",
    "Afzender": "afzender",
    "Inzamelaar": "inzamelaar",
    "Ontvanger": "ontvanger",
    "Verwerker": "verwerker",
    "EerstAfnemer": "eerste_afnemer",
}
# LMA suffix -> contract field.
PARTY_SUFFIXES: dict[str, str] = {
    "Naam": "name",
    "Straat": "street",
    "Huisnr": "house_number",
    "Postcode": "postcode",
    "Plaats": "city",
    "Land": "country",
}
REQUIRED_COLUMNS: tuple[str, ...] = (
    "Afvalstroomnummer",
    "EuralCode",
    "MeldPeriodeJAAR",
    "MeldPeriodeMAAND",
    "Gewicht_KG",
)
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "VerwerkingsmethodeCode",
    "VerwerkingsOmschrijving",
    "RouteInzameling",
    "Inzamelaarsregeling",
    "EuralcodeOmschrijving",
    "BenamingAfval",
    "Aantal_vrachten",
    "GNcode",
)


def _canonical(frame: pd.DataFrame, raw: RawFile) -> pd.DataFrame:
    """Rename columns case-insensitively to LMA's spelling; refuse files without the
    required ones."""
    wanted = list(REQUIRED_COLUMNS) + list(OPTIONAL_COLUMNS)
    wanted += [f"{p}_{s}" for p in PARTY_PREFIXES for s in PARTY_SUFFIXES]
    by_lower = {w.lower(): w for w in wanted}
    frame = frame.rename(columns={c: by_lower.get(c.lower().strip(), c) for c in frame.columns})
    # Real extracts often carry the party name in a bare column ("Ontdoener", "Verwerker").
    lower_cols = {c.lower(): c for c in frame.columns}
    for prefix in PARTY_PREFIXES:
        bare = lower_cols.get(prefix.lower())
        if bare is not None and f"{prefix}_Naam" not in frame.columns:
            frame = frame.rename(columns={bare: f"{prefix}_Naam"})
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise SourceFileError(
            f"{raw.name}: line 1: required column {missing[0]!r} missing (not an LMA extract?)"
        )
    for c in wanted:
        if c not in frame.columns:
            frame[c] = ""
    return frame


def extract_type(raw: RawFile, frame: pd.DataFrame) -> str:
    """Afgifte extracts carry EerstAfnemer_*/GNcode columns or say so in the file name."""
    name = raw.name.lower()
    if "afgifte" in name:
        return "afgifte"
    if "ontvangst" in name:
        return "ontvangst"
    has_afgifte_cols = any(c.startswith("EerstAfnemer_") for c in frame.columns) or (
        "GNcode" in frame.columns
    )
    return "afgifte" if has_afgifte_cols else "ontvangst"


def _read_xlsx(raw: RawFile) -> tuple[pd.DataFrame, list[dict[str, object]], np.ndarray]:
    try:
        frame = pd.read_excel(io.BytesIO(raw.data), dtype=str, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for broken workbooks
        raise SourceFileError(f"{raw.name}: unreadable .xlsx ({type(exc).__name__})") from None
    frame = frame.fillna("")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, [], np.arange(2, len(frame) + 2, dtype=np.int64)


def parse_waste(raw: RawFile) -> dict[str, ParseResult]:
    """An LMA extract -> waste_records. A CSV is parsed in chunks (national receipt extracts
    run to millions of rows): memory holds one chunk of raw strings, not the whole file."""
    if raw.path.suffix.lower() in (".xlsx", ".xlsm"):
        parts = [_parse_frame(raw, *_read_xlsx(raw))]
    else:
        parts = [_parse_frame(raw, *chunk) for chunk in iter_csv_chunks(raw)]
    rows = pd.concat([p[0] for p in parts], ignore_index=True) if len(parts) > 1 else parts[0][0]
    rejected = (
        pd.concat([p[1] for p in parts], ignore_index=True).sort_values(
            "source_row", kind="stable", ignore_index=True
        )
        if len(parts) > 1
        else parts[0][1]
    )
    rows_in = sum(p[2] for p in parts)
    return {"waste_records": ParseResult(rows=rows, rejected=rejected, rows_in=rows_in)}


def _parse_frame(
    raw: RawFile, frame: pd.DataFrame, rejects: list[dict[str, object]], lines: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """One frame (or CSV chunk) of an extract -> (rows, rejected, rows_in)."""
    original_cols = set(frame.columns)
    frame = _canonical(frame, raw)
    kind = extract_type(raw, frame.loc[:, [c for c in frame.columns if c in original_cols]])
    n = len(frame)
    chk = RowChecks(n)

    asn = frame["Afvalstroomnummer"].astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    chk.add(asn == "", "Afvalstroomnummer", "missing", asn)
    chk.add(~asn.str.fullmatch(r"\d{1,12}"), "Afvalstroomnummer", "not a 12-digit number", asn)
    asn = asn.str.zfill(12)

    from regionomie.domain.reference import normalise_eural

    eural_raw = frame["EuralCode"].astype(str).str.strip()
    eural = map_unique(eural_raw, lambda v: normalise_eural(v) if v else None)
    chk.add(eural_raw == "", "EuralCode", "missing", eural_raw)
    chk.add(eural.isna(), "EuralCode", "not a EURAL code", eural_raw)

    year = pd.to_numeric(frame["MeldPeriodeJAAR"].astype(str).str.strip(), errors="coerce")
    chk.add(
        year.isna() | (year != np.floor(year)) | ~year.between(1990, 2100),
        "MeldPeriodeJAAR",
        "not a year",
        frame["MeldPeriodeJAAR"],
    )
    month = pd.to_numeric(frame["MeldPeriodeMAAND"].astype(str).str.strip(), errors="coerce")
    chk.add(
        month.isna() | (month != np.floor(month)) | ~month.between(1, 12),
        "MeldPeriodeMAAND",
        "not a month 1-12",
        frame["MeldPeriodeMAAND"],
    )
    weight = parse_decimal(frame["Gewicht_KG"])
    chk.add(blank(frame["Gewicht_KG"]), "Gewicht_KG", "missing", frame["Gewicht_KG"])
    chk.add(weight.isna(), "Gewicht_KG", "not a number", frame["Gewicht_KG"])
    chk.add(
        ~np.isfinite(weight.fillna(0)), "Gewicht_KG", "not a finite number", frame["Gewicht_KG"]
    )
    chk.add(weight < 0, "Gewicht_KG", "negative", frame["Gewicht_KG"])
    loads = parse_decimal(frame["Aantal_vrachten"])
    chk.add(
        ~blank(frame["Aantal_vrachten"])
        & (loads.isna() | (loads < 0) | (loads != np.floor(loads))),
        "Aantal_vrachten",
        "not a whole number >= 0",
        frame["Aantal_vrachten"],
    )
    out = pd.DataFrame(
        {
            "extract_type": kind,
            "afvalstroomnummer": asn,
            "eural_code": eural,
            "eural_description": clean_str(frame["EuralcodeOmschrijving"]),
            "waste_name": clean_str(frame["BenamingAfval"]),
            "processing_code": clean_str(frame["VerwerkingsmethodeCode"].str.upper()),
            "processing_description": clean_str(frame["VerwerkingsOmschrijving"]),
            "period_year": year.fillna(0).astype("int64"),
            "period_month": month.fillna(0).astype("int64"),
            "weight_kg": weight,
            "loads": loads.round().astype("Int64"),
            "gn_code": clean_str(frame["GNcode"]),
        }
    )
    for prefix, role in PARTY_PREFIXES.items():
        for suffix, fld in PARTY_SUFFIXES.items():
            col = frame[f"{prefix}_{suffix}"]
            if fld == "postcode":
                pc = norm_postcode(col)
                nl = pc.str.fullmatch(POSTCODE_RE)
                country = frame[f"{prefix}_Land"].astype(str).str.strip().str.upper()
                is_nl = country.isin(["", "NL", "NEDERLAND", "NLD"])
                chk.add(
                    (pc != "") & is_nl & ~nl,
                    f"{prefix}_Postcode",
                    "not a Dutch postcode (1234AB)",
                    col,
                )
                out[f"{role}_{fld}"] = none_where(pc, pc == "")
            elif fld == "house_number":
                hn = col.astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
                out[f"{role}_{fld}"] = none_where(hn, hn == "")
            else:
                out[f"{role}_{fld}"] = clean_str(col)
    for role in WASTE_PARTY_ROLES:
        for fld in ("name", "street", "house_number", "postcode", "city", "country"):
            if f"{role}_{fld}" not in out.columns:
                out[f"{role}_{fld}"] = None
    good = ~chk.bad
    kept = out.loc[good, list(WASTE_RECORDS.columns)].reset_index(drop=True)
    source = "lma-afgifte" if kind == "afgifte" else "lma-ontvangst"
    rows = add_provenance(kept, raw, source, lines[good])
    rejected = pd.concat(
        [rejects_frame(rejects), chk.frame(raw.name, lines)], ignore_index=True
    ).sort_values("source_row", kind="stable", ignore_index=True)
    return rows, rejected, n + len(rejects)
