"""LMA waste extracts (ontvangstmeldingen = receipts, afgiftemeldingen = deliveries) ->
WASTE_RECORDS rows.

Column names are LMA's own (Afvalstroomnummer, EuralCode, Gewicht_KG, Ontdoener_Postcode, ...),
matched case-insensitively. Real extracts spell party address columns in more than one way
(`Afzender_Huisnummer` next to `Ontdoener_Huisnr`, additions in `<Party>_Huisnr.Toevoeging` or
`Verwerker_HuisnummerToevoeging`): every known variant is read, the addition is kept with the
house number ('12 A', which matching splits again), and a party whose address columns are all
missing, or whose house-number column has an unknown spelling, stops the file with a one-line
error instead of silently losing its addresses. EuralCode often arrives as an integer
(200108 -> '200108', 20108 -> '020108'); weights may use decimal commas ('1.234,5').
Afvalstroomnummers are 12 characters: the receiver's 5-digit verwerkersnummer and 7
characters it chooses freely (letters allowed). Spreadsheets may hold the data on any sheet,
below title rows: the sheet and row with the LMA header are found by their content.
Bemiddelaar and Handelaar columns are read but not kept: the contract has no roles for brokers
and traders.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

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
    reject_row,
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
# Parties read only to recognise their columns (no contract role).
OTHER_PARTY_PREFIXES: tuple[str, ...] = ("Bemiddelaar", "Handelaar")
# Canonical LMA suffix -> contract field.
PARTY_SUFFIXES: dict[str, str] = {
    "Naam": "name",
    "Straat": "street",
    "Huisnr": "house_number",
    "Postcode": "postcode",
    "Plaats": "city",
    "Land": "country",
}
# Every spelling seen in real extracts, per canonical suffix (case-insensitive, first wins).
SUFFIX_VARIANTS: dict[str, tuple[str, ...]] = {
    "Naam": ("Naam",),
    "Straat": ("Straat", "Straatnaam"),
    "Huisnr": ("Huisnr", "Huisnummer", "Huisnr."),
    "Toevoeging": (
        "Huisnr.Toevoeging",
        "HuisnrToevoeging",
        "Huisnr_Toevoeging",
        "HuisnummerToevoeging",
        "Huisnummer.Toevoeging",
        "Huisnummer_Toevoeging",
        "Toevoeging",
    ),
    "Postcode": ("Postcode",),
    "Plaats": ("Plaats", "Woonplaats"),
    "Land": ("Land",),
}
ADDRESS_SUFFIXES: tuple[str, ...] = ("Straat", "Huisnr", "Postcode", "Plaats")
# 12 characters: the receiver's verwerkersnummer (5 digits) + 7 it chooses (digits/letters).
AFVALSTROOMNUMMER_RE = r"^\d{5}[0-9A-Z]{7}$"
HEADER_SCAN_ROWS = 30  # how far down a sheet the header row may sit (title rows above it)
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


def _party_columns(frame: pd.DataFrame, raw: RawFile) -> pd.DataFrame:
    """Bring every party's columns to `<Party>_<canonical suffix>` (one column each, first
    non-empty variant per row; the addition folded into Huisnr). Raises SourceFileError when a
    party that is in the file has none of its address columns, or a house-number column whose
    spelling is unknown: both would silently empty the addresses that matching needs."""
    lower_cols = {str(c).lower(): c for c in frame.columns}
    out = frame
    for prefix in [*PARTY_PREFIXES, *OTHER_PARTY_PREFIXES]:
        p = prefix.lower() + "_"
        own = [c for c in frame.columns if str(c).lower().startswith(p)]
        bare = lower_cols.get(prefix.lower())
        if not own and bare is None:
            continue  # the party is not in this extract at all
        known: set[str] = set()
        found: dict[str, list[str]] = {}
        for canon, variants in SUFFIX_VARIANTS.items():
            for v in variants:
                col = lower_cols.get(f"{prefix}_{v}".lower())
                if col is not None and col not in known:
                    found.setdefault(canon, []).append(col)
                    known.add(col)
        unknown_hn = [c for c in own if c not in known and "huis" in str(c).lower()]
        if unknown_hn:
            spellings = SUFFIX_VARIANTS["Huisnr"] + SUFFIX_VARIANTS["Toevoeging"]
            raise SourceFileError(
                f"{raw.name}: line 1: column {unknown_hn[0]!r}: unknown spelling of a "
                f"house-number column (known: {', '.join(f'{prefix}_{v}' for v in spellings)})"
            )
        if prefix in PARTY_PREFIXES and not any(a in found for a in ADDRESS_SUFFIXES):
            raise SourceFileError(
                f"{raw.name}: line 1: party {prefix}: none of its address columns found "
                f"(looked for {prefix}_Postcode, {prefix}_Huisnr/_Huisnummer, "
                f"{prefix}_Straat, {prefix}_Plaats); its addresses would be lost"
            )
        merged: dict[str, pd.Series] = {}
        for canon, cols in found.items():
            values = out[cols[0]].astype(str).str.strip()
            for extra in cols[1:]:
                values = values.where(values != "", out[extra].astype(str).str.strip())
            merged[canon] = values
        if bare is not None and "Naam" not in merged:
            merged["Naam"] = out[bare].astype(str).str.strip()
        addition = merged.pop("Toevoeging", None)
        if addition is not None:
            hn = merged.get("Huisnr", pd.Series("", index=out.index))
            hn = hn.str.replace(r"\.0$", "", regex=True)
            merged["Huisnr"] = (
                (hn + " " + addition.str.replace(r"\.0$", "", regex=True))
                .where(addition != "", hn)
                .str.strip()
            )
        drop = [c for cols in found.values() for c in cols] + ([bare] if bare is not None else [])
        out = out.drop(columns=[c for c in dict.fromkeys(drop) if c in out.columns])
        for canon, values in merged.items():
            out[f"{prefix}_{canon}"] = values
    return out


def _canonical(frame: pd.DataFrame, raw: RawFile) -> pd.DataFrame:
    """Rename columns case-insensitively to LMA's spelling; refuse files without the
    required ones."""
    frame = _party_columns(frame, raw)
    wanted = list(REQUIRED_COLUMNS) + list(OPTIONAL_COLUMNS)
    wanted += [f"{p}_{s}" for p in PARTY_PREFIXES for s in PARTY_SUFFIXES]
    by_lower = {w.lower(): w for w in wanted}
    frame = frame.rename(columns={c: by_lower.get(c.lower().strip(), c) for c in frame.columns})
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


def _cell(value: Any) -> str:
    """A spreadsheet cell as the text a CSV export would hold (200108, not 200108.0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _read_xlsx(
    raw: RawFile,
) -> tuple[pd.DataFrame, list[dict[str, object]], np.ndarray, list[str]]:
    """The first sheet whose first HEADER_SCAN_ROWS rows hold an LMA header row (real
    extracts put the data on a named sheet such as '1.OM Ontdoeners in MRA', below title
    rows). Returns (frame, rejects, physical row numbers, notes)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw.data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken workbooks
        raise SourceFileError(f"{raw.name}: unreadable .xlsx ({type(exc).__name__})") from None
    required = {c.lower() for c in REQUIRED_COLUMNS}
    try:
        sheets = list(book.worksheets)
        for position, sheet in enumerate(sheets):
            rows = sheet.iter_rows(values_only=True)
            for number, row in enumerate(rows, start=1):
                if number > HEADER_SCAN_ROWS:
                    break
                cells = [_cell(v) for v in row or ()]
                if not required <= {c.lower() for c in cells}:
                    continue
                header = _unique_names(cells)
                width = len(header)
                data: list[list[str]] = []
                lines: list[int] = []
                rejects: list[dict[str, object]] = []
                for line, values in enumerate(rows, start=number + 1):
                    texts = [_cell(v) for v in values or ()]
                    if not any(texts):
                        continue  # empty rows carry no data
                    if any(texts[width:]):
                        rejects.append(
                            reject_row(
                                raw.name,
                                line,
                                "",
                                "",
                                f"row: more cells than the header ({width})",
                            )
                        )
                        continue
                    data.append(texts[:width] + [""] * (width - len(texts)))
                    lines.append(line)
                frame = pd.DataFrame(data, columns=header, dtype=object)
                notes = []
                if position > 0 or number > 1:
                    notes.append(
                        f"data read from sheet {sheet.title!r}, header on row {number} "
                        f"(sheet {position + 1} of {len(sheets)})"
                    )
                return frame, rejects, np.asarray(lines, dtype=np.int64), notes
        names = ", ".join(repr(s.title) for s in sheets)
        raise SourceFileError(
            f"{raw.name}: no sheet has an LMA header row ({', '.join(REQUIRED_COLUMNS)} in "
            f"its first {HEADER_SCAN_ROWS} rows); sheets: {names}"
        )
    except SourceFileError:
        raise
    except Exception as exc:  # a workbook that opens but cannot be read through
        raise SourceFileError(f"{raw.name}: unreadable .xlsx ({type(exc).__name__})") from None
    finally:
        book.close()


def _unique_names(cells: list[str]) -> list[str]:
    """Header cells as column names: empty ones named by position, duplicates suffixed."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for k, c in enumerate(cells):
        name = c or f"Unnamed: {k}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


def parse_waste(raw: RawFile) -> dict[str, ParseResult]:
    """An LMA extract -> waste_records. A CSV is parsed in chunks (national receipt extracts
    run to millions of rows): memory holds one chunk of raw strings, not the whole file."""
    notes: list[str] = []
    if raw.path.suffix.lower() in (".xlsx", ".xlsm"):
        frame, rejects, lines, notes = _read_xlsx(raw)
        parts = [_parse_frame(raw, frame, rejects, lines)]
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
    return {
        "waste_records": ParseResult(rows=rows, rejected=rejected, rows_in=rows_in, notes=notes)
    }


def _parse_frame(
    raw: RawFile, frame: pd.DataFrame, rejects: list[dict[str, object]], lines: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """One frame (or CSV chunk) of an extract -> (rows, rejected, rows_in)."""
    original_cols = set(frame.columns)
    frame = _canonical(frame, raw)
    kind = extract_type(raw, frame.loc[:, [c for c in frame.columns if c in original_cols]])
    n = len(frame)
    chk = RowChecks(n)

    asn_raw = frame["Afvalstroomnummer"].astype(str).str.strip()
    asn = asn_raw.str.replace(r"\.0$", "", regex=True).str.upper()
    # an all-digit number that lost its leading zeros in a spreadsheet gets them back
    asn = asn.where(~asn.str.fullmatch(r"\d{1,11}"), asn.str.zfill(12))
    chk.add(asn == "", "Afvalstroomnummer", "missing", asn_raw)
    chk.add(
        ~asn.str.fullmatch(AFVALSTROOMNUMMER_RE),
        "Afvalstroomnummer",
        "not an afvalstroomnummer (12 characters: 5-digit verwerkersnummer + 7 digits/letters)",
        asn_raw,
    )

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
