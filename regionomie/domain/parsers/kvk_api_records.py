"""How KvK API answers arrive, turned into numbered records for the profile parser.

A file holds one JSON object, an array, or JSON lines; Zoeken pages ({"resultaten": [...]})
are unpacked into their results; an Organisatie answer of the v3 API is reshaped into the
Basisprofiel (v2) it succeeds, so kvk_api reads one field layout for both generations.
"""

from __future__ import annotations

import json
from typing import Any

from regionomie.domain.parsers.common import RawFile, decode_text
from regionomie.domain.results import SourceFileError


def load_json_records(raw: RawFile) -> list[tuple[int, Any]]:
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
                records.append((i, BadRecord(f"record: invalid JSON ({err.msg})")))
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


class BadRecord:
    """A JSON line that did not parse: kept in place so it is set aside under its own line
    number while the other lines are read."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def is_organisatie(rec: dict[str, Any]) -> bool:
    """An Organisatie API (v3) response: its parts come as onderdelen."""
    return "vestigingsnummer" not in rec and (
        isinstance(rec.get("maatschappelijkeActiviteit"), dict)
        or isinstance(rec.get("onderneming"), dict)
    )


def organisatie_as_basisprofiel(
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
        "_embedded": {
            "eigenaar": {
                "rechtsvorm": ond.get("rechtsvorm"),
                "uitgebreideRechtsvorm": ond.get("uitgebreideRechtsvorm"),
            }
        },
    }
    vestigingen = [
        {**v, "kvkNummer": v.get("kvkNummer") or kvk}
        for v in (rec.get("vestigingen") or [])
        if isinstance(v, dict)
    ]
    return org, vestigingen


def is_empty_search(raw: RawFile) -> bool:
    """A Zoeken page with no results is a valid (empty) answer, not a broken file."""
    try:
        doc = json.loads(decode_text(raw).lstrip("\ufeff"))
    except json.JSONDecodeError:
        return False
    return isinstance(doc, dict) and doc.get("resultaten") == []
