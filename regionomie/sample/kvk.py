"""KvK side of the synthetic region: establishments (the CSV export's rows) and a few KvK API
responses (Zoeken v2, Basisprofiel, Vestigingsprofiel) about them.

Why a module of its own: the establishments are what everything else hangs on (waste parties,
API profiles), and their draws are the subtle part; kept apart from the file writing so the
order of random draws, which the byte-identical sample depends on, is easy to see.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from regionomie.domain.parsers.kvk_csv import ESTABLISHMENT_CSV_COLUMNS
from regionomie.sample.tables import (
    DEFAULT_POPULATION,
    FIRST,
    LAST,
    PC4_RANGES,
    POPULATION,
    SECTORS,
    STREETS,
    WORDS,
)

# The two letters of a Dutch postcode (no SA, SD, SS).
RD_LETTERS = [a + b for a in "ABCDEFGHJKLMNPRTVWXZ" for b in "ABCDEFGHJKLMNPRTVWXZ"]
RD_LETTERS = [x for x in RD_LETTERS if x not in ("SA", "SD", "SS")]


def _pc4_range(code: str) -> tuple[int, int]:
    if code in PC4_RANGES:
        return PC4_RANGES[code]
    base = 1000 + (int(code[2:]) * 37) % 8900  # stable pseudo range outside the sample
    return base, base + 5


def _fmt(x: float, nd: int = 6) -> str:
    return f"{x:.{nd}f}"


def establishment_chunk(
    rng: np.random.Generator, start: int, n: int, munis: pd.DataFrame, org_start: int
) -> tuple[pd.DataFrame, int]:
    """n establishments (CSV columns as strings plus helper columns prefixed '_')."""
    weights = np.array([s.weight for s in SECTORS])
    sector_idx = rng.choice(len(SECTORS), size=n, p=weights / weights.sum())
    if start == 0:  # every sector present at least once in any sample
        k = min(n, len(SECTORS))
        sector_idx[:k] = np.arange(k)
    pop = np.array(
        [POPULATION.get(c, DEFAULT_POPULATION) for c in munis["municipality_code"]], float
    )
    muni_idx = rng.choice(len(munis), size=n, p=pop / pop.sum())
    new_org = rng.random(n) >= 0.08
    new_org[0] = True
    org_ids = org_start + np.cumsum(new_org) - 1
    # branches stay in their organisation's sector and municipality
    for i in np.flatnonzero(~new_org):
        sector_idx[i] = sector_idx[i - 1]
        muni_idx[i] = muni_idx[i - 1]
    sole = (rng.random(n) < 0.05) & new_org
    sole_next = np.zeros(n, dtype=bool)
    for i in range(n):  # branches inherit legal form of their organisation
        sole_next[i] = sole[i] if new_org[i] else sole_next[i - 1]
    sole = sole_next
    u_version = rng.random(n)
    word = rng.integers(0, len(WORDS), n)
    prefix_pick = rng.integers(0, 100, n)
    first = rng.integers(0, len(FIRST), n)
    last = rng.integers(0, len(LAST), n)
    street = rng.integers(0, len(STREETS), n)
    house = np.minimum(rng.geometric(0.03, n), 400)
    add_u = rng.random(n)
    pc_off = rng.random(n)
    letters = rng.integers(0, len(RD_LETTERS), n)
    emp_noise = rng.lognormal(0.0, 0.9, n)
    emp_blank = rng.random(n) < 0.03
    year = np.clip(2025 - np.floor(rng.exponential(11.0, n)).astype(int), 1950, 2024)
    month = rng.integers(1, 13, n)
    day = rng.integers(1, 29, n)
    date_u = rng.random(n)
    ended = rng.random(n) < 0.02
    end_year = np.minimum(year + 1 + rng.integers(0, 6, n), 2024)
    dlat = rng.normal(0.0, 0.012, n)
    dlon = rng.normal(0.0, 0.018, n)
    legal_u = rng.random(n)

    rows: dict[str, list[str]] = {c: [] for c in ESTABLISHMENT_CSV_COLUMNS}
    helper_sector: list[str] = []
    helper_emp: list[int] = []
    m_codes = [str(c) for c in munis["municipality_code"]]
    m_names = [str(c) for c in munis["name"]]
    m_lat = [float(x) for x in munis["lat"]]
    m_lon = [float(x) for x in munis["lon"]]
    for i in range(n):
        s = SECTORS[sector_idx[i]]
        mi = muni_idx[i]
        code, city, mlat, mlon = m_codes[mi], m_names[mi], m_lat[mi], m_lon[mi]
        vest = f"{100000000 + (start + i) * 13:012d}"
        kvk = f"{(10000000 + int(org_ids[i]) * 37) % 100000000:08d}"
        use_2025 = u_version[i] < 0.10
        prefix = s.names[prefix_pick[i] % len(s.names)]
        if sole[i]:
            person = f"{FIRST[first[i]]} {LAST[last[i]]}"
            name = person if prefix_pick[i] % 3 == 0 else f"{prefix} {LAST[last[i]].split()[-1]}"
            legal = "Eenmanszaak"
        else:
            name = f"{prefix} {WORDS[word[i]]}"
            if s.legal == "stichting":
                legal = "Stichting"
            elif s.legal == "nv" or legal_u[i] < 0.02:
                legal = "Naamloze Vennootschap"
            elif legal_u[i] < 0.15:
                legal = "Vennootschap onder firma"
            else:
                legal = "Besloten Vennootschap"
        if sole[i]:
            emp = 1 + int(emp_noise[i] > 1.5)
        else:
            emp = max(1, int(round(s.emp_median * emp_noise[i])))
        lo, hi = _pc4_range(code)
        pc4 = lo + int(pc_off[i] * (hi - lo + 1))
        y, mo, d = int(year[i]), int(month[i]), int(day[i])
        if date_u[i] < 0.01:
            start_date = f"{y:04d}0000"
        elif date_u[i] < 0.05:
            start_date = f"{y:04d}{mo:02d}00"
        else:
            start_date = f"{y:04d}{mo:02d}{d:02d}"
        end_date = f"{int(end_year[i]):04d}{mo:02d}{d:02d}" if ended[i] else ""
        other = ""
        rows["vestigingsnummer"].append(vest)
        rows["kvk_nummer"].append(kvk)
        rows["trade_name"].append(name)
        rows["legal_form"].append(legal)
        rows["is_main"].append("Ja" if new_org[i] else "Nee")
        rows["sbi_main"].append(s.sbi2025 if use_2025 else s.sbi2008)
        rows["sbi_version"].append("2025" if use_2025 else "2008")
        rows["sbi_other"].append(other)
        rows["street"].append(STREETS[street[i]])
        rows["house_number"].append(str(int(house[i])))
        rows["house_number_addition"].append(
            "A" if add_u[i] < 0.04 else ("B" if add_u[i] < 0.06 else "")
        )
        rows["postcode"].append(f"{pc4}{RD_LETTERS[letters[i]]}")
        rows["city"].append(city)
        rows["municipality_code"].append(code)
        rows["lat"].append(_fmt(mlat + dlat[i]))
        rows["lon"].append(_fmt(mlon + dlon[i]))
        rows["employees"].append("" if emp_blank[i] else str(emp))
        rows["start_date"].append(start_date)
        rows["end_date"].append(end_date)
        rows["active"].append("Nee" if ended[i] else "Ja")
        helper_sector.append(s.key)
        helper_emp.append(emp)
    frame = pd.DataFrame(rows, columns=list(ESTABLISHMENT_CSV_COLUMNS))
    # ~2% share a business-centre address with the establishment before them (same building).
    share = np.flatnonzero(rng.random(n) < 0.02)
    for i in share:
        if i == 0 or frame.at[i, "municipality_code"] != frame.at[i - 1, "municipality_code"]:
            continue
        for col in ("street", "house_number", "house_number_addition", "postcode", "lat", "lon"):
            frame.at[i, col] = frame.at[i - 1, col]
    frame["_sector"] = helper_sector
    frame["_emp"] = helper_emp
    return frame, int(org_ids[-1]) + 1


def _address(e: pd.Series, with_geo: bool) -> dict[str, Any]:
    a: dict[str, Any] = {
        "type": "bezoekadres",
        "indAfgeschermd": "Nee",
        "volledigAdres": f"{e['street']} {e['house_number']}{e['house_number_addition']} "
        f"{e['postcode']} {e['city']}",
        "straatnaam": e["street"],
        "huisnummer": int(e["house_number"]),
        "postcode": e["postcode"],
        "plaats": e["city"],
        "land": "Nederland",
    }
    if e["house_number_addition"]:
        a["huisnummerToevoeging"] = e["house_number_addition"]
    if with_geo:
        a["geoData"] = {"gpsLatitude": float(e["lat"]), "gpsLongitude": float(e["lon"])}
    return a


def _api_sbi(e: pd.Series) -> list[dict[str, str]]:
    s = next(x for x in SECTORS if x.key == e["_sector"])
    from regionomie.domain.reference import sbi_label

    label = sbi_label(s.sbi2008, "2008") or s.key
    return [{"sbiCode": s.sbi2008, "sbiOmschrijving": label, "indHoofdactiviteit": "Ja"}]


def kvk_api_files(est: pd.DataFrame) -> dict[str, Any]:
    """A few API responses as a connector would land them (fetched before the SBI 2025
    switch, so SBI 2008 codes)."""
    pick_sectors = ("restaurant", "brewery", "mushroom", "bakery", "cafe")
    chosen = [
        est[est["_sector"] == s].index[0] for s in pick_sectors if (est["_sector"] == s).any()
    ]
    profiles = []
    for idx in chosen:
        e = est.loc[idx]
        emp = int(e["_emp"])
        profiles.append(
            {
                "vestigingsnummer": e["vestigingsnummer"],
                "kvkNummer": e["kvk_nummer"],
                "formeleRegistratiedatum": e["start_date"],
                "materieleRegistratie": {"datumAanvang": e["start_date"]},
                "eersteHandelsnaam": e["trade_name"],
                "indHoofdvestiging": e["is_main"],
                "indCommercieleVestiging": "Ja",
                "voltijdWerkzamePersonen": emp,
                "deeltijdWerkzamePersonen": 0,
                "totaalWerkzamePersonen": emp,
                "handelsnamen": [{"naam": e["trade_name"], "volgorde": 0}],
                "adressen": [_address(e, with_geo=True)],
                "sbiActiviteiten": _api_sbi(e),
            }
        )
    e = est.loc[chosen[0]]
    basis = {
        "kvkNummer": e["kvk_nummer"],
        "naam": e["trade_name"],
        "formeleRegistratiedatum": e["start_date"],
        "materieleRegistratie": {"datumAanvang": e["start_date"]},
        "totaalWerkzamePersonen": int(e["_emp"]),
        "handelsnamen": [{"naam": e["trade_name"], "volgorde": 0}],
        "sbiActiviteiten": _api_sbi(e),
        "_embedded": {
            "hoofdvestiging": profiles[0],
            "eigenaar": {"rechtsvorm": e["legal_form"], "uitgebreideRechtsvorm": e["legal_form"]},
        },
    }
    results = []
    for idx in chosen:
        e = est.loc[idx]
        results.append(
            {
                "kvkNummer": e["kvk_nummer"],
                "vestigingsnummer": e["vestigingsnummer"],
                "naam": e["trade_name"],
                "adres": {
                    "binnenlandsAdres": {
                        "type": "bezoekadres",
                        "straatnaam": e["street"],
                        "huisnummer": int(e["house_number"]),
                        "postcode": e["postcode"],
                        "plaats": e["city"],
                    }
                },
                "type": "hoofdvestiging" if e["is_main"] == "Ja" else "nevenvestiging",
                "actief": e["active"],
            }
        )
    zoeken = {"pagina": 1, "resultatenPerPagina": 10, "totaal": len(results), "resultaten": results}
    return {"profiles": profiles, "basis": basis, "zoeken": zoeken}
