"""KvK API profiles and search results (v2 and v3) -> ORGANISATIONS and ESTABLISHMENTS rows.

Vestigingsprofiel, Basisprofiel and Zoeken results of v2, and Organisatie, Vestigingen and
Zoeken results of v3 (an Organisatie is read as the Basisprofiel it succeeds, see
kvk_api_records). A record that cannot be read is set aside with '<field>: <problem>', never
with a name; several records for one establishment are merged into one row.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from regionomie.domain import reference
from regionomie.domain.parsers.common import (
    RawFile,
    add_provenance,
    parse_kvk_date,
    reject_row,
    rejects_frame,
)
from regionomie.domain.parsers.kvk_api_records import (
    BadRecord,
    is_empty_search,
    is_organisatie,
    load_json_records,
    organisatie_as_basisprofiel,
)
from regionomie.domain.parsers.kvk_rules import (
    NL_LAT,
    NL_LON,
    guess_version,
    nace_class,
)
from regionomie.domain.privacy import legal_forms_are_personal
from regionomie.domain.results import ParseResult, SourceFileError
from regionomie.domain.schemas import ESTABLISHMENTS, ORGANISATIONS


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
        code = reference.normalise_sbi(act.get("sbiCode"))
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
    forms = _legal_forms(org) if org is not None else _legal_forms(obj)
    sole = _is_personal(forms, obj)
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
    nace = nace_class(sbi_main, version)
    return {
        SEARCH_FLAG: is_search_result(obj),
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
        "house_number_addition": _addition(a),
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


# Provenance `source` of establishment rows known only from a Zoeken result (no profile in
# the file): they carry a postcode only when the search was on it, which the quality suite
# takes into account (regionomie.quality.suites.NULL_RATE_SCOPE).
SEARCH_SOURCE = "kvk-zoeken"
SEARCH_FLAG = "_from_search"


def is_search_result(obj: dict[str, Any]) -> bool:
    """A Zoeken result (v2/v3: `adres.binnenlandsAdres`, no `adressen`) rather than a
    profile."""
    return isinstance(obj.get("adres"), dict) and "adressen" not in obj


def _addition(address: dict[str, Any]) -> str:
    """huisletter and huisnummerToevoeging together, as the BAG writes them after the number
    ('10A-2': letter, then '-' and the toevoeging); either alone as it is."""
    letter = str(address.get("huisletter") or "").strip()
    extra = str(address.get("huisnummerToevoeging") or "").strip()
    return f"{letter}-{extra}" if letter and extra else letter or extra


def _is_personal(forms: tuple[str | None, str | None], obj: dict[str, Any]) -> bool:
    """The legal form decides, read from both fields KvK gives it in (the enumeration and
    the spaced text); without one, only a statutory name (which only a legal entity with
    articles has) shows the name. An RSIN is no evidence: a vof or maatschap has one."""
    if any(forms):
        return legal_forms_are_personal(*forms)
    return not obj.get("statutaireNaam")


def _legal_forms(obj: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """(rechtsvorm, uitgebreideRechtsvorm) of a profile: the Basisprofiel gives the first as a
    camel-case enumeration ("BeslotenVennootschap") and the second as text ("Besloten
    Vennootschap met gewone structuur"); either may be missing."""
    if not obj:
        return None, None
    owner = (obj.get("_embedded") or {}).get("eigenaar") or obj.get("eigenaar") or {}
    if not isinstance(owner, dict):
        owner = {}
    enum = owner.get("rechtsvorm") or obj.get("rechtsvorm")
    text = owner.get("uitgebreideRechtsvorm") or obj.get("uitgebreideRechtsvorm")
    return (str(enum).strip() or None) if enum else None, (
        str(text).strip() or None
    ) if text else None


def _legal_form_label(forms: tuple[str | None, str | None]) -> str | None:
    """The legal form as readers see it: the spaced text, else the enumeration in words."""
    enum, text = forms
    if text:
        return text
    if enum:
        return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", enum)
    return None


def _organisation(obj: dict[str, Any], retrieved_at: str) -> dict[str, Any]:
    kvk = str(obj.get("kvkNummer") or "").strip()
    if not re.fullmatch(r"\d{8}", kvk):
        raise ValueError("kvkNummer: not an 8-digit number")
    forms = _legal_forms(obj)
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
        "legal_form": _legal_form_label(forms),
        "is_sole_proprietor": _is_personal(forms, obj),
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
    records = load_json_records(raw)
    version = raw.retrieved_at
    est_rows: list[dict[str, Any]] = []
    est_lines: list[int] = []
    org_rows: list[dict[str, Any]] = []
    org_lines: list[int] = []
    est_rejects: list[dict[str, object]] = []
    org_rejects: list[dict[str, object]] = []
    est_in = org_in = recognised = 0
    for line, rec in records:
        if isinstance(rec, BadRecord) or not isinstance(rec, dict):
            reason = rec.reason if isinstance(rec, BadRecord) else "record: not a JSON object"
            est_in += 1
            est_rejects.append(reject_row(raw.name, line, "record", "", reason))
            continue
        if is_organisatie(rec):  # v3 Organisatie: an organisation and its vestigingen
            recognised += 1
            org_in += 1
            org, vestigingen = organisatie_as_basisprofiel(rec)
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
    if recognised == 0 and not is_empty_search(raw):
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
    est = add_provenance(est, raw, "kvk-api", est_lines)
    est.loc[[bool(r[SEARCH_FLAG]) for r in est_rows], "source"] = SEARCH_SOURCE
    return {
        "establishments": ParseResult(
            rows=est,
            rejected=rejects_frame(est_rejects),
            rows_in=est_in,
        ),
        "organisations": ParseResult(
            rows=add_provenance(orgs, raw, "kvk-api", org_lines),
            rejected=rejects_frame(org_rejects),
            rows_in=org_in,
        ),
    }


def _apply_legal_forms(est_rows: list[dict[str, Any]], org_rows: list[dict[str, Any]]) -> None:
    """A Vestigingsprofiel has no legal form; the Basisprofiel in the same file decides."""
    personal = {o["kvk_nummer"]: o["is_sole_proprietor"] for o in org_rows if o.get("legal_form")}
    for e in est_rows:
        if e["kvk_nummer"] in personal:
            e["is_sole_proprietor"] = personal[e["kvk_nummer"]]


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
        # search-only when no record of the group is a profile
        rows[best][SEARCH_FLAG] = all(rows[i][SEARCH_FLAG] for i in idx)
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
