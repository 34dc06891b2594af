"""Our documented establishments CSV -> ESTABLISHMENTS rows, and one ORGANISATIONS row per
KvK number derived from them (its main establishment describes it).

Checks are vectorised per column (RowChecks): a row with any bad field is set aside with the
field and the problem, never with the value of a name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regionomie.domain import reference
from regionomie.domain.parsers.common import (
    POSTCODE_RE,
    RawFile,
    RowChecks,
    add_provenance,
    blank,
    clean_str,
    ensure_columns,
    map_unique,
    none_where,
    norm_postcode,
    parse_bool,
    parse_date_column,
    parse_decimal,
    read_csv_text,
    rejects_frame,
)
from regionomie.domain.parsers.kvk_rules import NL_LAT, NL_LON, guess_version, nace_class
from regionomie.domain.privacy import names_are_personal
from regionomie.domain.results import ParseResult, SourceFileError
from regionomie.domain.schemas import ESTABLISHMENTS, ORGANISATIONS

# The documented establishments CSV (';' or ',' separated, UTF-8 with/without BOM or cp1252).
# Only vestigingsnummer and kvk_nummer are required; missing optional columns become empty.
ESTABLISHMENT_CSV_COLUMNS: tuple[str, ...] = (
    "vestigingsnummer",  # 12 digits (leading zeros restored when a spreadsheet dropped them)
    "kvk_nummer",  # 8 digits
    "trade_name",
    "legal_form",  # KvK rechtsvorm, e.g. "Eenmanszaak", "Besloten Vennootschap"
    "is_main",  # Ja/Nee, true/false, 1/0
    "sbi_main",  # SBI code, dots allowed
    "sbi_version",  # "2008" | "2025"; empty -> decided from retrieved_at
    "sbi_other",  # other SBI codes separated by '|', ';', ',' or spaces
    "street",
    "house_number",
    "house_number_addition",
    "postcode",
    "city",
    "municipality_code",  # "GM0307"
    "lat",
    "lon",
    "employees",
    "start_date",  # YYYYMMDD (zeroed parts allowed) or YYYY-MM-DD
    "end_date",
    "active",  # Ja/Nee; empty -> active when no end_date
)
REQUIRED_ESTABLISHMENT_COLUMNS: tuple[str, ...] = ("vestigingsnummer", "kvk_nummer")


def _pad_digits(values: pd.Series, width: int) -> tuple[pd.Series, np.ndarray]:
    """Digits only, left-padded to width; bad mask for non-digits or too long."""
    s = values.astype(str).str.strip()
    s = s.str.replace(r"\.0$", "", regex=True)  # 12345678.0 written by a spreadsheet
    ok = s.str.fullmatch(r"\d+") & (s.str.len() <= width)
    return s.str.zfill(width), (~ok).to_numpy()


def parse_establishments_csv(raw: RawFile) -> dict[str, ParseResult]:
    frame, rejects, lines = read_csv_text(raw)
    cols = set(frame.columns)
    missing = [c for c in REQUIRED_ESTABLISHMENT_COLUMNS if c not in cols]
    if missing:
        raise SourceFileError(
            f"{raw.name}: line 1: required column {missing[0]!r} missing "
            "(is line 1 a header? the line itself is not shown: it may hold personal data)"
        )
    for c in ESTABLISHMENT_CSV_COLUMNS:
        if c not in frame.columns:
            frame[c] = ""
    n = len(frame)
    chk = RowChecks(n)

    vest, bad = _pad_digits(frame["vestigingsnummer"], 12)
    chk.add(
        blank(frame["vestigingsnummer"]), "vestigingsnummer", "missing", frame["vestigingsnummer"]
    )
    chk.add(bad, "vestigingsnummer", "not a 12-digit number", frame["vestigingsnummer"])
    kvk, bad = _pad_digits(frame["kvk_nummer"], 8)
    chk.add(blank(frame["kvk_nummer"]), "kvk_nummer", "missing", frame["kvk_nummer"])
    chk.add(bad, "kvk_nummer", "not an 8-digit number", frame["kvk_nummer"])

    dup = vest.duplicated(keep="first").to_numpy() & ~chk.bad
    chk.add(dup, "vestigingsnummer", "duplicate in file", frame["vestigingsnummer"])

    sbi_raw = frame["sbi_main"].astype(str).str.strip()
    sbi = map_unique(sbi_raw, lambda v: reference.normalise_sbi(v) if v else None)
    chk.add((sbi_raw != "") & sbi.isna(), "sbi_main", "not an SBI code", frame["sbi_main"])

    ver_raw = frame["sbi_version"].astype(str).str.strip()
    guessed = map_unique(sbi.fillna(""), lambda c: guess_version(c, raw.retrieved_at))
    version = ver_raw.where(ver_raw != "", guessed)
    chk.add(
        ~version.isin(["2008", "2025"]), "sbi_version", "not 2008 or 2025", frame["sbi_version"]
    )

    postcode = norm_postcode(frame["postcode"])
    chk.add(
        (postcode != "") & ~postcode.str.fullmatch(POSTCODE_RE),
        "postcode",
        "not a Dutch postcode (1234AB)",
        frame["postcode"],
    )
    hn = frame["house_number"].astype(str).str.strip()
    chk.add((hn != "") & ~hn.str.fullmatch(r"\d{1,5}"), "house_number", "not a number", hn)

    muni = frame["municipality_code"].astype(str).str.strip().str.upper()
    muni = muni.where(~muni.str.fullmatch(r"\d{1,4}"), "GM" + muni.str.zfill(4))
    known = set(reference.municipality_codes())
    chk.add((muni != "") & ~muni.isin(known), "municipality_code", "unknown code", muni)

    lat = parse_decimal(frame["lat"])
    lon = parse_decimal(frame["lon"])
    chk.add(~blank(frame["lat"]) & lat.isna(), "lat", "not a number", frame["lat"])
    chk.add(~blank(frame["lon"]) & lon.isna(), "lon", "not a number", frame["lon"])
    chk.add(lat.notna() & ~lat.between(*NL_LAT), "lat", "outside the Netherlands", frame["lat"])
    chk.add(lon.notna() & ~lon.between(*NL_LON), "lon", "outside the Netherlands", frame["lon"])
    chk.add(lat.isna() != lon.isna(), "lat", "lat and lon must both be given", frame["lat"])

    emp = parse_decimal(frame["employees"])
    chk.add(
        ~blank(frame["employees"]) & emp.isna(), "employees", "not a number", frame["employees"]
    )
    chk.add(
        emp.notna() & ((emp < 0) | (emp != np.floor(emp))),
        "employees",
        "not a whole number >= 0",
        frame["employees"],
    )

    start, _start_prec, bad = parse_date_column(frame["start_date"])
    chk.add(bad, "start_date", "not a date (YYYYMMDD or YYYY-MM-DD)", frame["start_date"])
    end, _end_prec, bad = parse_date_column(frame["end_date"])
    chk.add(bad, "end_date", "not a date (YYYYMMDD or YYYY-MM-DD)", frame["end_date"])
    chk.add(
        start.notna() & end.notna() & (end.astype(str) < start.astype(str)),
        "end_date",
        "before start_date",
        frame["end_date"],
    )

    is_main, bad = parse_bool(frame["is_main"])
    chk.add(bad & ~blank(frame["is_main"]), "is_main", "not Ja/Nee", frame["is_main"])
    active, bad = parse_bool(frame["active"])
    chk.add(bad & ~blank(frame["active"]), "active", "not Ja/Nee", frame["active"])
    active = active.where(~blank(frame["active"]), end.isna())

    good = ~chk.bad
    legal_form = clean_str(frame["legal_form"])
    sole = names_are_personal(legal_form)
    sbi_other = (
        frame["sbi_other"]
        .astype(str)
        .str.replace(".", "", regex=False)
        .str.replace(r"[^0-9]+", ";", regex=True)
        .str.strip(";")
    )
    pairs = pd.DataFrame({"c": sbi, "v": version})
    nace = _map_pairs(pairs)
    out = pd.DataFrame(
        {
            "vestigingsnummer": vest,
            "kvk_nummer": kvk,
            "trade_name": clean_str(frame["trade_name"]),
            "is_sole_proprietor": sole.astype(bool),
            "is_main": is_main.astype(bool),
            "sbi_main": sbi,
            "sbi_version": version.astype(object),
            "sbi_other": sbi_other.astype(object),
            "nace_class": nace,
            "sbi_mapped": nace.notna().astype(bool),
            "street": clean_str(frame["street"]),
            "house_number": none_where(hn, hn == ""),
            "house_number_addition": frame["house_number_addition"].astype(str).str.strip(),
            "postcode": none_where(postcode, postcode == ""),
            "city": clean_str(frame["city"]),
            "municipality_code": none_where(muni, muni == ""),
            "lat": lat,
            "lon": lon,
            "employees": emp.round().astype("Int64"),
            "start_date": start,
            "end_date": end,
            "active": active.astype(bool),
        }
    )
    out["legal_form"] = legal_form
    kept = out[good].reset_index(drop=True)
    kept_lines = lines[good]
    est_rows = add_provenance(
        ensure_columns(kept, ESTABLISHMENTS.columns), raw, "kvk-file", kept_lines
    )
    rejected = pd.concat(
        [rejects_frame(rejects), chk.frame(raw.name, lines)], ignore_index=True
    ).sort_values("source_row", kind="stable", ignore_index=True)
    rows_in = n + len(rejects)
    establishments = ParseResult(rows=est_rows, rejected=rejected, rows_in=rows_in)
    orgs = _organisations_from_establishments(kept.assign(_line=kept_lines), raw)
    return {"establishments": establishments, "organisations": orgs}


def _map_pairs(pairs: pd.DataFrame) -> pd.Series:
    """sbi_to_nace once per distinct (code, version)."""
    uniq = pairs.drop_duplicates()
    table = {(c, v): nace_class(c, v) for c, v in zip(uniq["c"], uniq["v"], strict=True)}
    keys = list(zip(pairs["c"], pairs["v"], strict=True))
    return pd.Series([table[k] for k in keys], index=pairs.index, dtype=object)


def _iso(dates: pd.Series) -> pd.Series:
    text = dates.dt.strftime("%Y-%m-%d")
    return none_where(text, dates.isna().to_numpy())


def _organisations_from_establishments(est: pd.DataFrame, raw: RawFile) -> ParseResult:
    """One organisation per kvk_nummer, described by its main establishment (else its first)."""
    if est.empty:
        rows = add_provenance(
            ensure_columns(pd.DataFrame(), ORGANISATIONS.columns), raw, "kvk-file", []
        )
        return ParseResult(rows=rows, rows_in=0)
    ordered = est.sort_values(["kvk_nummer", "is_main"], ascending=[True, False], kind="stable")
    head = ordered.drop_duplicates("kvk_nummer", keep="first").set_index("kvk_nummer")
    g = est.groupby("kvk_nummer", sort=True)
    # dates aggregated as datetime64 (object-dtype min/max falls back to a Python loop)
    dates = est[["kvk_nummer"]].assign(
        s=pd.to_datetime(est["start_date"], format="%Y-%m-%d", errors="coerce"),
        e=pd.to_datetime(est["end_date"], format="%Y-%m-%d", errors="coerce"),
    )
    gd = dates.groupby("kvk_nummer", sort=True)
    reg = _iso(gd["s"].min())
    any_active = g["active"].any()
    last_end = _iso(gd["e"].max())
    emp = g["employees"].sum(min_count=1)
    orgs = pd.DataFrame(
        {
            "kvk_nummer": head.index,
            "name": head["trade_name"].to_numpy(),
            "legal_form": head["legal_form"].to_numpy(),
            "is_sole_proprietor": head["is_sole_proprietor"].to_numpy(),
            "registration_date": reg.reindex(head.index).to_numpy(),
            "end_date": last_end.reindex(head.index)
            .where(~any_active.reindex(head.index), None)
            .to_numpy(),
            "employees": emp.reindex(head.index).astype("Int64").to_numpy(),
            "sbi_main": head["sbi_main"].to_numpy(),
            "sbi_version": head["sbi_version"].to_numpy(),
            "active": any_active.reindex(head.index).to_numpy(),
        }
    )
    for c in ("registration_date", "end_date"):
        orgs[c] = orgs[c].astype(object).where(orgs[c].notna(), None)
    rows = add_provenance(orgs, raw, "kvk-file", head["_line"].to_numpy())
    return ParseResult(rows=rows.reset_index(drop=True), rows_in=len(rows))
