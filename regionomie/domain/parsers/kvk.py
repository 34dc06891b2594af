"""KvK (chamber of commerce) landing files -> ORGANISATIONS and ESTABLISHMENTS rows.

Three shapes:
- API JSON of both KvK API generations as one object, an array, or JSON lines (.jsonl):
  Vestigingsprofiel, Basisprofiel, Zoeken v2 results (v2) and Organisatie, Vestigingen,
  Zoeken v3 results (v3; an Organisatie response is read as the Basisprofiel it succeeds);
- our documented establishments CSV (see ESTABLISHMENT_CSV_COLUMNS);
- the KvK open dataset "basis bedrijfsgegevens" bulk CSV -> a sector_density table. That set
  covers only the BV and NV legal forms: every row carries `coverage` saying so and the
  parse result a note, so sector density is never read as the whole population.

SBI version: the KvK register switched to SBI 2025 in September 2025; API data retrieved after
that carries SBI 2025 codes, older data SBI 2008. A `sbi_version` column in a CSV wins.
A sole proprietor (eenmanszaak) name is personal data: it is never logged nor put in reasons.
`is_sole_proprietor` fails closed: it is True for every natural-person or unknown legal form
(regionomie.domain.privacy.name_is_personal), so only known legal entities show their name.
"""

from __future__ import annotations

import json
import math
import re
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
    decode_text,
    ensure_columns,
    iter_csv_chunks,
    map_unique,
    none_where,
    norm_postcode,
    parse_bool,
    parse_date_column,
    parse_decimal,
    parse_kvk_date,
    read_csv_text,
    reject_row,
    rejects_frame,
)
from regionomie.domain.privacy import name_is_personal, names_are_personal
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

BULK_COLUMNS: tuple[str, ...] = (
    "Datum aanvang",
    "Actief",
    "Insolventie",
    "Rechtsvorm",
    "Postcode regio",
    "SBI activiteiten",
    "Hoofdactiviteiten",
    "Lidstaat",
)
SECTOR_DENSITY_COLUMNS: tuple[str, ...] = (
    "postcode_region",
    "sbi_code",
    "nace_class",
    "legal_form",
    "active",
    "count",
    "coverage",  # OPEN_DATA_COVERAGE: which part of the population the counts describe
)
# The open dataset holds BV and NV only (KvK, "Open Dataset Basis Bedrijfsgegevens").
OPEN_DATA_COVERAGE = "BV and NV only"
OPEN_DATA_NOTE = (
    "KvK open dataset 'basis bedrijfsgegevens' covers only the BV and NV legal forms: these "
    "sector counts undercount every other legal form (eenmanszaak, vof, stichting, ...) and "
    "are not the whole business population"
)

# Bounding box of the Netherlands (WGS84), generous: coordinates outside are data errors.
NL_LAT = (50.70, 53.70)
NL_LON = (3.20, 7.30)


def guess_version(code: str | None, retrieved_at: str | None) -> str:
    """Per code: a code listed in only one SBI version is that version; otherwise data
    retrieved on/after the KvK switch to SBI 2025 is SBI 2025 (reference.guess_sbi_version)."""
    date = (retrieved_at or "")[:10] or None
    if not code:
        return _ref().guess_sbi_version("", date) if date else "2008"
    return _ref().guess_sbi_version(code, date)


def _ref() -> Any:
    from regionomie.domain import reference

    return reference


def _nace(code: str | None, version: str | None) -> str | None:
    if not code or version not in ("2008", "2025"):
        return None
    return _ref().sbi_to_nace(code, version)


def is_sole_proprietor(legal_form: object) -> bool:
    """Fail closed (regionomie.domain.privacy): True, i.e. the name is masked, for every
    natural-person form (eenmanszaak in any variant, vof, maatschap, ...) and for empty or
    unknown forms; False only for known legal entities (BV, NV, stichting, ...)."""
    return name_is_personal(legal_form)


# --------------------------------------------------------------------------- CSV


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

    ref = _ref()
    sbi_raw = frame["sbi_main"].astype(str).str.strip()
    sbi = map_unique(sbi_raw, lambda v: ref.normalise_sbi(v) if v else None)
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
    known = set(ref.municipality_codes())
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
    table = {(c, v): _nace(c, v) for c, v in zip(uniq["c"], uniq["v"], strict=True)}
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


# --------------------------------------------------------------------------- bulk open data


def is_bulk_header(columns: list[str]) -> bool:
    return {"Postcode regio", "Rechtsvorm", "Hoofdactiviteiten"} <= set(columns)


def parse_bulk_csv(raw: RawFile) -> dict[str, ParseResult]:
    """KvK open dataset 'basis bedrijfsgegevens' -> counts per (postcode region, SBI, legal
    form, active). It holds no names nor addresses, so it feeds sector density only.

    Aggregated: rows_in = groups + rejected rows (so the ParseResult balances) while
    sum(count) + len(rejected) equals the data rows read."""
    counts: list[pd.DataFrame] = []
    rejected_parts: list[pd.DataFrame] = []
    for frame, rejects, lines in iter_csv_chunks(raw):  # ~2 million rows: one chunk at a time
        chunk_counts, chunk_rejected = _bulk_chunk(raw, frame, rejects, lines)
        counts.append(chunk_counts)
        rejected_parts.append(chunk_rejected)
    agg = (
        pd.concat(counts, ignore_index=True)
        .groupby(["postcode_region", "sbi_code", "legal_form", "active"], sort=True)["count"]
        .sum()
        .reset_index()
    )
    agg["count"] = agg["count"].astype("int64")
    agg["nace_class"] = map_unique(
        agg["sbi_code"], lambda c: _nace(c, guess_version(c, raw.retrieved_at))
    )
    agg["coverage"] = OPEN_DATA_COVERAGE
    agg = agg[list(SECTOR_DENSITY_COLUMNS)]
    rows = add_provenance(agg, raw, "kvk-open-data", np.zeros(len(agg), dtype=np.int64))
    rejected = pd.concat(rejected_parts, ignore_index=True)
    return {"sector_density": ParseResult(rows=rows, rejected=rejected, notes=[OPEN_DATA_NOTE])}


def _bulk_chunk(
    raw: RawFile, frame: pd.DataFrame, rejects: list[dict[str, object]], lines: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One chunk of the bulk file -> (counts per group, rejected rows)."""
    missing = [c for c in ("Postcode regio", "Rechtsvorm", "Hoofdactiviteiten") if c not in frame]
    if missing:
        raise SourceFileError(f"{raw.name}: line 1: required column {missing[0]!r} missing")
    for c in BULK_COLUMNS:
        if c not in frame.columns:
            frame[c] = ""
    chk = RowChecks(len(frame))
    region = frame["Postcode regio"].astype(str).str.strip()
    chk.add(~region.str.fullmatch(r"\d{2}"), "Postcode regio", "not a 2-digit region", region)
    main_raw = frame["Hoofdactiviteiten"].astype(str).str.strip()
    all_raw = frame["SBI activiteiten"].astype(str).str.strip()
    first = main_raw.str.extract(r"(\d[\d.]*)", expand=False)
    first = first.fillna(all_raw.str.extract(r"(\d[\d.]*)", expand=False))
    ref = _ref()
    sbi = map_unique(first.fillna(""), lambda v: ref.normalise_sbi(v) if v else None)
    chk.add(sbi.isna(), "Hoofdactiviteiten", "no SBI code", main_raw)
    active, bad = parse_bool(frame["Actief"])
    chk.add(bad, "Actief", "not Ja/Nee", frame["Actief"])
    good = ~chk.bad
    kept = pd.DataFrame(
        {
            "postcode_region": region,
            "sbi_code": sbi,
            "legal_form": frame["Rechtsvorm"].astype(str).str.strip(),
            "active": active.astype(bool),
        }
    )[good]
    agg = (
        kept.groupby(["postcode_region", "sbi_code", "legal_form", "active"], sort=True)
        .size()
        .rename("count")
        .reset_index()
    )
    rejected = pd.concat([rejects_frame(rejects), chk.frame(raw.name, lines)], ignore_index=True)
    return agg, rejected


# --------------------------------------------------------------------------- API JSON


def _load_json_records(raw: RawFile) -> list[tuple[int, Any]]:
    """One object, an array, or JSON lines -> [(record number, object)]."""
    text = decode_text(raw).lstrip("\ufeff").strip()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as whole_err:
        records: list[tuple[int, Any]] = []
        lines = [ln for ln in text.splitlines()]
        if len(lines) < 2:
            raise SourceFileError(
                f"{raw.name}: line {whole_err.lineno}: invalid/truncated JSON ({whole_err.msg})"
            ) from None
        for i, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                records.append((i, json.loads(line)))
            except json.JSONDecodeError as err:
                if not records:  # not JSON lines: report the whole document's error
                    raise SourceFileError(
                        f"{raw.name}: line {whole_err.lineno}: invalid/truncated JSON "
                        f"({whole_err.msg})"
                    ) from None
                records.append((i, _BadRecord(f"record: invalid JSON ({err.msg})")))
        return _flatten(records)
    if isinstance(doc, list):
        return _flatten(list(enumerate(doc, start=1)))
    return _flatten([(1, doc)])


def _flatten(records: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    """Zoeken pages ({"resultaten": [...]}) become their results, numbered by the record
    (line) they came in; an empty page yields nothing (an empty search is not an error)."""
    out: list[tuple[int, Any]] = []
    for n, rec in records:
        if isinstance(rec, dict) and isinstance(rec.get("resultaten"), list):
            out.extend((n, r) for r in rec["resultaten"])
        else:
            out.append((n, rec))
    return out


class _BadRecord:
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _addr(obj: dict[str, Any]) -> dict[str, Any]:
    """The visiting address (bezoekadres) of a profile; else the first address."""
    adressen = obj.get("adressen") or []
    if isinstance(adressen, list) and adressen:
        for a in adressen:
            if isinstance(a, dict) and a.get("type") == "bezoekadres":
                return a
        return adressen[0] if isinstance(adressen[0], dict) else {}
    adres = obj.get("adres")
    if isinstance(adres, dict):
        return adres.get("binnenlandsAdres") or adres.get("buitenlandsAdres") or {}
    return {}


def _sbi(obj: dict[str, Any]) -> tuple[str | None, list[str]]:
    main, other = None, []
    for act in obj.get("sbiActiviteiten") or []:
        if not isinstance(act, dict):
            continue
        code = _ref().normalise_sbi(act.get("sbiCode"))
        if code is None:
            continue
        if str(act.get("indHoofdactiviteit", "")).lower() == "ja" and main is None:
            main = code
        else:
            other.append(code)
    if main is None and other:
        main = other.pop(0)
    return main, other


def _whole(value: Any, name: str) -> int:
    """A JSON count (int or numeric string) -> int >= 0, or ValueError naming the field."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: not a number") from None
    if not math.isfinite(f) or f < 0 or f != int(f):
        raise ValueError(f"{name}: not a whole number >= 0")
    return int(f)


def _employees(obj: dict[str, Any]) -> int | None:
    v = obj.get("totaalWerkzamePersonen")
    if v is not None:
        return _whole(v, "totaalWerkzamePersonen")
    full, part = obj.get("voltijdWerkzamePersonen"), obj.get("deeltijdWerkzamePersonen")
    if full is None and part is None:
        return None
    return _whole(full or 0, "voltijdWerkzamePersonen") + _whole(
        part or 0, "deeltijdWerkzamePersonen"
    )


def _coordinate(value: Any, name: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"geoData.{name}: not a number") from None
    if not math.isfinite(f):
        raise ValueError(f"geoData.{name}: not a number")
    return f


def _establishment(
    obj: dict[str, Any], org: dict[str, Any] | None, retrieved_at: str
) -> dict[str, Any]:
    vest = str(obj.get("vestigingsnummer") or "").strip()
    if not re.fullmatch(r"\d{12}", vest):
        raise ValueError("vestigingsnummer: not a 12-digit number")
    kvk = str(obj.get("kvkNummer") or (org or {}).get("kvkNummer") or "").strip()
    if not re.fullmatch(r"\d{8}", kvk):
        raise ValueError("kvkNummer: not an 8-digit number")
    a = _addr(obj)
    geo = a.get("geoData") or {}
    lat = _coordinate(geo.get("gpsLatitude"), "gpsLatitude")
    lon = _coordinate(geo.get("gpsLongitude"), "gpsLongitude")
    if lat is not None and not (NL_LAT[0] <= lat <= NL_LAT[1]):
        raise ValueError("geoData.gpsLatitude: outside the Netherlands")
    if lon is not None and not (NL_LON[0] <= lon <= NL_LON[1]):
        raise ValueError("geoData.gpsLongitude: outside the Netherlands")
    sbi_main, sbi_other = _sbi(obj)
    if sbi_main is None and org is not None:
        sbi_main, sbi_other = _sbi(org)
    version = guess_version(sbi_main, retrieved_at)
    legal_form = _legal_form(org) if org is not None else _legal_form(obj)
    sole = _is_personal(legal_form, obj)
    start = (obj.get("materieleRegistratie") or {}).get("datumAanvang")
    end = (obj.get("materieleRegistratie") or {}).get("datumEinde")
    try:
        start_iso, _ = parse_kvk_date(start)
    except ValueError:
        raise ValueError("materieleRegistratie.datumAanvang: not a KvK date") from None
    try:
        end_iso, _ = parse_kvk_date(end)
    except ValueError:
        raise ValueError("materieleRegistratie.datumEinde: not a KvK date") from None
    postcode = str(a.get("postcode") or "").replace(" ", "").upper() or None
    hn = a.get("huisnummer")
    name = obj.get("eersteHandelsnaam") or obj.get("naam")
    if not name:
        names = obj.get("handelsnamen") or []
        name = names[0].get("naam") if names and isinstance(names[0], dict) else None
    actief = obj.get("actief")
    active = (str(actief).lower() in ("ja", "true")) if actief is not None else end_iso is None
    ind_main = obj.get("indHoofdvestiging")
    is_main = (
        str(ind_main).lower() == "ja"
        if ind_main is not None
        else obj.get("type") == "hoofdvestiging"
    )
    nace = _nace(sbi_main, version)
    return {
        "vestigingsnummer": vest,
        "kvk_nummer": kvk,
        "trade_name": name,
        "is_sole_proprietor": sole,
        "is_main": bool(is_main),
        "sbi_main": sbi_main,
        "sbi_version": version,
        "sbi_other": ";".join(sbi_other),
        "nace_class": nace,
        "sbi_mapped": nace is not None,
        "street": a.get("straatnaam"),
        "house_number": str(hn) if hn not in (None, "") else None,
        "house_number_addition": str(a.get("huisnummerToevoeging") or a.get("huisletter") or ""),
        "postcode": postcode,
        "city": a.get("plaats"),
        "municipality_code": None,
        "lat": lat,
        "lon": lon,
        "employees": _employees(obj),
        "start_date": start_iso,
        "end_date": end_iso,
        "active": bool(active),
    }


def _is_personal(legal_form: str | None, obj: dict[str, Any]) -> bool:
    """The legal form decides; without one, only a statutory name (which only a legal entity
    with articles has) shows the name. An RSIN is no evidence: a vof or maatschap has one."""
    if legal_form:
        return is_sole_proprietor(legal_form)
    return not obj.get("statutaireNaam")


def _legal_form(obj: dict[str, Any] | None) -> str | None:
    if not obj:
        return None
    owner = (obj.get("_embedded") or {}).get("eigenaar") or obj.get("eigenaar") or {}
    return owner.get("rechtsvorm") or obj.get("rechtsvorm")


def _organisation(obj: dict[str, Any], retrieved_at: str) -> dict[str, Any]:
    kvk = str(obj.get("kvkNummer") or "").strip()
    if not re.fullmatch(r"\d{8}", kvk):
        raise ValueError("kvkNummer: not an 8-digit number")
    legal_form = _legal_form(obj)
    start = (obj.get("materieleRegistratie") or {}).get("datumAanvang")
    end = (obj.get("materieleRegistratie") or {}).get("datumEinde")
    try:
        reg_iso, _ = parse_kvk_date(start)
        if reg_iso is None:  # absent or '00000000' (unknown): the formal date, if any
            reg_iso, _ = parse_kvk_date(obj.get("formeleRegistratiedatum"))
        end_iso, _ = parse_kvk_date(end)
    except ValueError:
        raise ValueError("materieleRegistratie: not a KvK date") from None
    sbi_main, _ = _sbi(obj)
    version = guess_version(sbi_main, retrieved_at)
    return {
        "kvk_nummer": kvk,
        "name": obj.get("naam") or obj.get("statutaireNaam"),
        "legal_form": legal_form,
        "is_sole_proprietor": _is_personal(legal_form, obj),
        "registration_date": reg_iso,
        "end_date": end_iso,
        "employees": _employees(obj),
        "sbi_main": sbi_main,
        "sbi_version": version,
        "active": end_iso is None,
    }


def parse_kvk_json(raw: RawFile) -> dict[str, ParseResult]:
    """Each record yields an organisation (Basisprofiel) and/or establishments (Vestigings-
    profiel, a Basisprofiel's embedded hoofdvestiging, a Zoeken result with a
    vestigingsnummer). rows_in counts records; a record counts as kept if it yielded a row."""
    records = _load_json_records(raw)
    version = raw.retrieved_at
    est_rows: list[dict[str, Any]] = []
    est_lines: list[int] = []
    org_rows: list[dict[str, Any]] = []
    org_lines: list[int] = []
    est_rejects: list[dict[str, object]] = []
    org_rejects: list[dict[str, object]] = []
    est_in = org_in = recognised = 0
    for line, rec in records:
        if isinstance(rec, _BadRecord) or not isinstance(rec, dict):
            reason = rec.reason if isinstance(rec, _BadRecord) else "record: not a JSON object"
            est_in += 1
            est_rejects.append(reject_row(raw.name, line, "record", "", reason))
            continue
        if _is_organisatie(rec):  # v3 Organisatie: an organisation and its vestigingen
            recognised += 1
            org_in += 1
            org, vestigingen = _organisatie_as_basisprofiel(rec)
            try:
                org_rows.append(_organisation(org, version))
                org_lines.append(line)
            except (ValueError, TypeError, AttributeError) as exc:
                org_rejects.append(reject_row(raw.name, line, _field(exc), "", _reason(exc)))
            for vest in vestigingen:
                est_in += 1
                _try_est(vest, org, version, line, raw, est_rows, est_lines, est_rejects)
            continue
        is_profile_org = "vestigingsnummer" not in rec and (
            "_embedded" in rec or "handelsnamen" in rec or "naam" in rec
        )
        if is_profile_org:
            recognised += 1
            org_in += 1
            try:
                org_rows.append(_organisation(rec, version))
                org_lines.append(line)
            except (ValueError, TypeError, AttributeError) as exc:
                org_rejects.append(reject_row(raw.name, line, _field(exc), "", _reason(exc)))
            hoofd = (rec.get("_embedded") or {}).get("hoofdvestiging")
            if isinstance(hoofd, dict):
                est_in += 1
                _try_est(hoofd, rec, version, line, raw, est_rows, est_lines, est_rejects)
            continue
        if "vestigingsnummer" in rec or "adressen" in rec or "adres" in rec:
            recognised += 1
            est_in += 1
            _try_est(rec, None, version, line, raw, est_rows, est_lines, est_rejects)
            continue
        est_in += 1
        est_rejects.append(
            reject_row(raw.name, line, "record", "", "record: not a KvK profile or search result")
        )
    if recognised == 0 and not _is_empty_search(raw):
        raise SourceFileError(
            f"{raw.name}: no KvK profile or search result in the file (not a KvK API response?)"
        )
    _apply_legal_forms(est_rows, org_rows)
    est_rows, est_lines, dup_rejects = _dedupe(est_rows, est_lines, raw)
    est_rejects.extend(dup_rejects)
    est = pd.DataFrame(est_rows, columns=list(ESTABLISHMENTS.columns))
    est["employees"] = est["employees"].astype("Int64")
    est["lat"] = est["lat"].astype("float64")
    est["lon"] = est["lon"].astype("float64")
    orgs = pd.DataFrame(org_rows, columns=list(ORGANISATIONS.columns))
    orgs["employees"] = orgs["employees"].astype("Int64")
    return {
        "establishments": ParseResult(
            rows=add_provenance(est, raw, "kvk-api", est_lines),
            rejected=rejects_frame(est_rejects),
            rows_in=est_in,
        ),
        "organisations": ParseResult(
            rows=add_provenance(orgs, raw, "kvk-api", org_lines),
            rejected=rejects_frame(org_rejects),
            rows_in=org_in,
        ),
    }


def _is_organisatie(rec: dict[str, Any]) -> bool:
    """An Organisatie API (v3) response: its parts come as onderdelen."""
    return "vestigingsnummer" not in rec and (
        isinstance(rec.get("maatschappelijkeActiviteit"), dict)
        or isinstance(rec.get("onderneming"), dict)
    )


def _organisatie_as_basisprofiel(
    rec: dict[str, Any],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An Organisatie response as the Basisprofiel it succeeds (the fields the parser reads)
    and its vestigingen, each carrying the organisation's KvK number."""
    ma = rec.get("maatschappelijkeActiviteit") or {}
    ond = rec.get("onderneming") or {}
    kvk = rec.get("kvkNummer") or ma.get("kvkNummer") or ond.get("kvkNummer")
    org = {
        "kvkNummer": kvk,
        "naam": ma.get("naam") or ond.get("naam") or rec.get("naam"),
        "statutaireNaam": ond.get("statutaireNaam"),
        "formeleRegistratiedatum": ma.get("formeleRegistratiedatum"),
        "materieleRegistratie": ma.get("materieleRegistratie") or ond.get("materieleRegistratie"),
        "totaalWerkzamePersonen": ma.get(
            "totaalWerkzamePersonen", ond.get("totaalWerkzamePersonen")
        ),
        "sbiActiviteiten": ma.get("sbiActiviteiten") or ond.get("sbiActiviteiten") or [],
        "handelsnamen": ond.get("handelsnamen") or ma.get("handelsnamen") or [],
        "_embedded": {"eigenaar": {"rechtsvorm": ond.get("rechtsvorm")}},
    }
    vestigingen = [
        {**v, "kvkNummer": v.get("kvkNummer") or kvk}
        for v in (rec.get("vestigingen") or [])
        if isinstance(v, dict)
    ]
    return org, vestigingen


def _is_empty_search(raw: RawFile) -> bool:
    """A Zoeken page with no results is a valid (empty) answer, not a broken file."""
    try:
        doc = json.loads(decode_text(raw).lstrip("\ufeff"))
    except json.JSONDecodeError:
        return False
    return isinstance(doc, dict) and doc.get("resultaten") == []


def _apply_legal_forms(est_rows: list[dict[str, Any]], org_rows: list[dict[str, Any]]) -> None:
    """A Vestigingsprofiel has no legal form; the Basisprofiel in the same file decides."""
    forms = {o["kvk_nummer"]: o["legal_form"] for o in org_rows if o.get("legal_form")}
    for e in est_rows:
        form = forms.get(e["kvk_nummer"])
        if form:
            e["is_sole_proprietor"] = is_sole_proprietor(form)


def _dedupe(
    rows: list[dict[str, Any]], lines: list[int], raw: RawFile
) -> tuple[list[dict[str, Any]], list[int], list[dict[str, object]]]:
    """One row per vestigingsnummer. The record with most fields filled wins (a full
    Vestigingsprofiel over a Basisprofiel's embedded hoofdvestiging or a search result) and its
    empty fields are filled from the others; those others are set aside naming the kept one."""

    def filled(r: dict[str, Any]) -> int:
        return sum(v not in (None, "") for v in r.values()) + (10 if r.get("lat") else 0)

    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(r["vestigingsnummer"], []).append(i)
    keep: list[int] = []
    rejects: list[dict[str, object]] = []
    for idx in groups.values():
        best = max(idx, key=lambda i: (filled(rows[i]), i))
        for i in idx:
            if i == best:
                continue
            for k, v in rows[i].items():
                if rows[best].get(k) in (None, "") and v not in (None, ""):
                    rows[best][k] = v
            rejects.append(
                reject_row(
                    raw.name,
                    lines[i],
                    "vestigingsnummer",
                    rows[i]["vestigingsnummer"],
                    f"vestigingsnummer: duplicate in file; record {lines[best]} kept",
                )
            )
        keep.append(best)
    keep.sort()
    return [rows[i] for i in keep], [lines[i] for i in keep], rejects


def _reason(exc: Exception) -> str:
    """ValueErrors raised here already read '<field>: <problem>'; anything else is a record
    whose JSON structure is not what the KvK API documents."""
    if isinstance(exc, ValueError) and ":" in str(exc):
        return str(exc)
    return "record: unexpected JSON structure"


def _field(exc: Exception) -> str:
    return _reason(exc).split(":", 1)[0]


def _try_est(
    obj: dict[str, Any],
    org: dict[str, Any] | None,
    version: str,
    line: int,
    raw: RawFile,
    rows: list[dict[str, Any]],
    lines: list[int],
    rejects: list[dict[str, object]],
) -> None:
    try:
        rows.append(_establishment(obj, org, version))
        lines.append(line)
    except (ValueError, TypeError, AttributeError) as exc:
        rejects.append(reject_row(raw.name, line, _field(exc), "", _reason(exc)))


def parse_kvk(raw: RawFile) -> dict[str, ParseResult]:
    """Dispatch on content: JSON/JSONL profiles, the bulk open dataset, or our CSV."""
    suffix = raw.path.suffix.lower()
    head = raw.data[:4096].lstrip(b"\xef\xbb\xbf").lstrip()
    if suffix in (".json", ".jsonl") or head[:1] in (b"{", b"["):
        return parse_kvk_json(raw)
    text_head = head.decode("utf-8", errors="replace")
    if "Postcode regio" in text_head.splitlines()[0] if text_head else False:
        return parse_bulk_csv(raw)
    return parse_establishments_csv(raw)
