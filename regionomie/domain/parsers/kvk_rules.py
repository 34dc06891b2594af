"""Rules every KvK shape applies alike: SBI version, NACE class, whose name is personal, and
where the Netherlands is.

SBI version: the KvK register switched to SBI 2025 in September 2025; data retrieved after that
carries SBI 2025 codes, older data SBI 2008 (a `sbi_version` column in a CSV wins over this).
A sole proprietor (eenmanszaak) name is personal data: it is never logged nor put in reasons.
`is_sole_proprietor` fails closed: it is True for every natural-person or unknown legal form
(regionomie.domain.privacy.name_is_personal), so only known legal entities show their name.
"""

from __future__ import annotations

from regionomie.domain import reference
from regionomie.domain.coordinates import WGS84_BOX
from regionomie.domain.privacy import name_is_personal

# Bounding box of the Netherlands (WGS84), generous: coordinates outside are data errors.
NL_LAT = (WGS84_BOX["lat_min"], WGS84_BOX["lat_max"])
NL_LON = (WGS84_BOX["lon_min"], WGS84_BOX["lon_max"])


def guess_version(code: str | None, retrieved_at: str | None) -> str:
    """Per code: a code listed in only one SBI version is that version; otherwise data
    retrieved on/after the KvK switch to SBI 2025 is SBI 2025 (reference.guess_sbi_version)."""
    date = (retrieved_at or "")[:10] or None
    if not code:
        return reference.guess_sbi_version("", date) if date else "2008"
    return reference.guess_sbi_version(code, date)


def nace_class(code: str | None, version: str | None) -> str | None:
    """The NACE Rev.2 class of an SBI code, the one key sectors are matched on across SBI
    versions; None when the version is unknown or the code has no mapping."""
    if not code or version not in ("2008", "2025"):
        return None
    return reference.sbi_to_nace(code, version)


def is_sole_proprietor(legal_form: object) -> bool:
    """Fail closed (regionomie.domain.privacy): True, i.e. the name is masked, for every
    natural-person form (eenmanszaak in any variant, vof, maatschap, ...) and for empty or
    unknown forms; False only for known legal entities (BV, NV, stichting, ...)."""
    return name_is_personal(legal_form)
