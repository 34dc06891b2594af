"""LMA ontvangstmeldingen (waste receipts) for the establishments of the synthetic region.

Why a module of its own: the receipts carry the hard cases the matcher must cope with (parties
without house number, name variants, parties outside the KvK file, quarterly small streams);
kept apart so those rules read as one piece.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from regionomie.sample.tables import COLLECTOR_OUT_OF_REGION, RECEIVERS, SECTORS, WORDS, Party

# The column layout of an LMA ontvangstmeldingen extract: fixed columns, then per party role
# name (not for Herkomst), postcode, place, street, house number, country.
LMA_PARTIES = (
    "Ontdoener",
    "Herkomst",
    "Afzender",
    "Inzamelaar",
    "Bemiddelaar",
    "Handelaar",
    "Ontvanger",
    "Verwerker",
)
LMA_COLUMNS: tuple[str, ...] = (
    "Afvalstroomnummer",
    "VerwerkingsmethodeCode",
    "VerwerkingsOmschrijving",
    "RouteInzameling",
    "Inzamelaarsregeling",
    "EuralCode",
    "EuralcodeOmschrijving",
    "BenamingAfval",
    "MeldPeriodeJAAR",
    "MeldPeriodeMAAND",
    "Gewicht_KG",
    "Aantal_vrachten",
) + tuple(
    c
    for p in LMA_PARTIES
    for c in (
        ([p] if p != "Herkomst" else [])
        + [f"{p}_Postcode", f"{p}_Plaats", f"{p}_Straat", f"{p}_Huisnr", f"{p}_Land"]
    )
)


def _party(est: pd.Series | None, fallback: Party) -> list[str]:
    """The six LMA party columns (name, postcode, city, street, house number, country)."""
    if est is None:
        f = fallback
        return [f.name, f.postcode, f.city, f.street, f.house_number, "NEDERLAND"]
    hn = est["house_number"] + est["house_number_addition"]
    return [
        str(est["trade_name"]).upper(),
        est["postcode"],
        str(est["city"]).upper(),
        str(est["street"]).upper(),
        hn,
        "NEDERLAND",
    ]


def waste_rows(
    rng: np.random.Generator,
    est: pd.DataFrame,
    asn_start: int,
    scale: float,
    year: int,
) -> tuple[list[list[str]], int]:
    """Monthly LMA receipts for the waste streams of these establishments."""
    by_kind: dict[str, list[int]] = {}
    for kind, receiver in RECEIVERS.items():
        by_kind[kind] = [int(i) for i in np.flatnonzero(est["_sector"].isin(receiver.sectors))]
    collectors = [int(i) for i in np.flatnonzero(est["_sector"] == "waste_collector")]
    active = est["active"].to_numpy() == "Ja"
    sector_of = {s.key: s for s in SECTORS}
    rows: list[list[str]] = []
    asn = asn_start
    for i in range(len(est)):
        if not active[i]:
            continue
        s = sector_of[est["_sector"].iat[i]]
        e = est.iloc[i]
        for waste in s.wastes:
            small = waste.kg_per_emp_month < 50
            if rng.random() >= s.stream_p * scale * (0.6 if small else 1.0):
                continue
            asn += 1
            number = f"{100000000000 + asn * 7919:012d}"
            cands = [j for j in by_kind[waste.receiver] if j != i]
            rec = est.iloc[cands[int(rng.integers(0, len(cands)))]] if cands else None
            receiver = _party(rec, RECEIVERS[waste.receiver].out_of_region)
            route = rng.random() < 0.35 and waste.kg_per_emp_month < 50
            coll = (
                est.iloc[collectors[int(rng.integers(0, len(collectors)))]] if collectors else None
            )
            collector = _party(coll, COLLECTOR_OUT_OF_REGION)
            mode = rng.random()
            ontdoener = _party(e, RECEIVERS["incinerator"].out_of_region)
            if mode >= 0.82 and mode < 0.90:
                # known firm, address without house number: only the name can link it
                ontdoener[4] = ""
                ontdoener[0] = (
                    ontdoener[0].replace(" ", "  ", 1)
                    if rng.random() < 0.5
                    else (ontdoener[0] + " B.V.")
                )
            elif mode >= 0.90:
                # a party that is not in the KvK file (e.g. a private person or an unknown site)
                ontdoener = [
                    f"{WORDS[int(rng.integers(0, len(WORDS)))].upper()} LOCATIE {asn % 97}",
                    e["postcode"][:4] + "ZZ",
                    ontdoener[2],
                    "ONBEKENDEWEG",
                    str(900 + asn % 99),
                    "NEDERLAND",
                ]
            herkomst = ontdoener[1:]
            base = waste.kg_per_emp_month * max(1, int(e["_emp"]))
            code = RECEIVERS[waste.receiver].processing_code
            desc = RECEIVERS[waste.receiver].processing_description
            parties: list[str] = []
            for p in LMA_PARTIES:
                if p in ("Ontdoener", "Afzender"):
                    parties += ontdoener
                elif p == "Herkomst":
                    parties += herkomst
                elif p == "Inzamelaar":
                    parties += collector if route else [""] * 6
                elif p in ("Ontvanger", "Verwerker"):
                    parties += receiver
                else:
                    parties += [""] * 6
            small_stream = base < 250
            for month in range(1, 13):
                if rng.random() >= waste.monthly_p:
                    continue
                if small_stream and month % 3:
                    continue  # small streams are collected and reported quarterly
                months = 3 if small_stream else 1
                kg = max(10, int(round(months * base * rng.lognormal(0.0, 0.35) / 10.0)) * 10)
                loads = max(1, int(math.ceil(kg / 4000.0)))
                rows.append(
                    [
                        number,
                        code,
                        desc,
                        "J" if route else "N",
                        "J" if route else "N",
                        str(int(waste.eural)),  # LMA exports EuralCode as an integer
                        waste.description,
                        waste.name,
                        str(year),
                        str(month),
                        str(kg),
                        str(loads),
                        *parties,
                    ]
                )
    return rows, asn
