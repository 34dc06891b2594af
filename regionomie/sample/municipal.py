"""Municipal side of the synthetic region: CBS OData v3 bundles of 85984NED (Kerncijfers wijken
en buurten) and 83452NED (huishoudelijk afval per inwoner), and PDOK municipality outlines.

Why a module of its own: these files have the real keys and dimensions the parser depends on
but invented values; the shapes are long, and none of it touches the establishments.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from regionomie.sample.tables import (
    DEFAULT_POPULATION,
    HOUSEHOLD_WASTE_KINDS,
    HOUSEHOLD_WASTE_TOTAL,
    INCOME_PER_INHABITANT,
    KERNCIJFERS_FIELDS,
    NETHERLANDS_HOUSEHOLD_WASTE,
    NETHERLANDS_KERNCIJFERS,
    POPULATION,
)

RETRIEVED_AT = "2025-06-02T06:00:00Z"  # fixed stamp inside the bundles (determinism)
_NL_INHABITANTS = NETHERLANDS_KERNCIJFERS["AantalInwoners_5"]
#: national shares per inhabitant the invented municipal values are drawn around
_NL_SHARE = {k: v / _NL_INHABITANTS for k, v in NETHERLANDS_KERNCIJFERS.items()}


def _pad(code: str) -> str:
    return code.ljust(10)


def _kerncijfers_values(
    rng: np.random.Generator,
    inhabitants: int,
    benefits_factor: float,
    elderly_share: float,
    income: float | None = None,
) -> dict[str, Any]:
    """Invented values around the national level (cbs.yaml netherlands): bijstand, WW and AO
    per inhabitant are the national shares times `benefits_factor`; the income is the cited
    one where cbs.yaml has it."""
    inh = int(inhabitants)
    old = int(round(inh * elderly_share))
    young = int(round(inh * rng.uniform(0.15, 0.19)))
    y1525 = int(round(inh * rng.uniform(0.10, 0.13)))
    y2545 = int(round(inh * rng.uniform(0.22, 0.27)))
    y4565 = max(0, inh - old - young - y1525 - y2545)
    hh = int(round(inh / rng.uniform(2.1, 2.5)))
    return {
        "AantalInwoners_5": inh,
        "Mannen_6": inh // 2,
        "Vrouwen_7": inh - inh // 2,
        "k_0Tot15Jaar_8": young,
        "k_15Tot25Jaar_9": y1525,
        "k_25Tot45Jaar_10": y2545,
        "k_45Tot65Jaar_11": y4565,
        "k_65JaarOfOuder_12": old,
        "HuishoudensTotaal_29": hh,
        "Eenpersoonshuishoudens_30": int(round(hh * rng.uniform(0.3, 0.4))),
        "GemiddeldeHuishoudensgrootte_33": round(inh / max(hh, 1), 1),
        "Bevolkingsdichtheid_34": int(rng.uniform(400, 2500)),
        "Woningvoorraad_35": int(round(hh * 1.02)),
        "GemiddeldeWOZWaardeVanWoningen_39": int(rng.uniform(330, 520)),
        "OnbewoondeWoningen_46": int(round(hh * 1.02 * rng.uniform(0.02, 0.06))),
        "GemiddeldInkomenPerInwoner_78": round(
            income if income is not None else float(rng.uniform(27, 33)) / benefits_factor**0.3,
            1,
        ),
        "PersonenPerSoortUitkeringBijstand_87": int(
            round(inh * _NL_SHARE["PersonenPerSoortUitkeringBijstand_87"] * benefits_factor)
        ),
        "PersonenPerSoortUitkeringAO_88": int(
            round(inh * _NL_SHARE["PersonenPerSoortUitkeringAO_88"] * benefits_factor**0.5)
        ),
        "PersonenPerSoortUitkeringWW_89": int(
            round(inh * _NL_SHARE["PersonenPerSoortUitkeringWW_89"] * benefits_factor)
        ),
        "PersonenPerSoortUitkeringAOW_90": int(round(old * 0.97)),
        "BedrijfsvestigingenTotaal_95": int(round(inh * rng.uniform(0.09, 0.14))),
        "OppervlakteTotaal_115": int(rng.uniform(1500, 8000)),
    }


def cbs_kerncijfers(rng: np.random.Generator, munis: pd.DataFrame) -> dict[str, Any]:
    """85984NED for every municipality with three wijken of two buurten each (keys from
    cbs.yaml). The first municipality gets many benefits, the second many elderly, so the
    sample has challenges to find."""
    props: list[dict[str, Any]] = [
        {
            "odata.type": "Cbs.OData.GeoDimension",
            "ID": 0,
            "Position": 0,
            "ParentID": None,
            "Type": "GeoDimension",
            "Key": "WijkenEnBuurten",
            "Title": "Wijken en buurten",
        },
        {
            "odata.type": "Cbs.OData.Topic",
            "ID": 1,
            "Position": 1,
            "ParentID": None,
            "Type": "Topic",
            "Key": "Gemeentenaam_1",
            "Title": "Gemeentenaam",
            "Unit": "",
            "Datatype": "String",
        },
        {
            "odata.type": "Cbs.OData.Topic",
            "ID": 2,
            "Position": 2,
            "ParentID": None,
            "Type": "Topic",
            "Key": "SoortRegio_2",
            "Title": "Soort regio",
            "Unit": "",
            "Datatype": "String",
        },
        {
            "odata.type": "Cbs.OData.Topic",
            "ID": 3,
            "Position": 3,
            "ParentID": None,
            "Type": "Topic",
            "Key": "Codering_3",
            "Title": "Codering",
            "Unit": "",
            "Datatype": "String",
        },
    ]
    for n, field in enumerate(KERNCIJFERS_FIELDS, start=4):
        props.append(
            {
                "odata.type": "Cbs.OData.Topic",
                "ID": n,
                "Position": n,
                "ParentID": None,
                "Type": "Topic",
                "Key": field.key,
                "Title": field.title,
                "Unit": field.unit,
                "Datatype": field.datatype,
                "Decimals": 1 if field.datatype == "Double" else 0,
            }
        )
    rows: list[dict[str, Any]] = []
    titles: list[dict[str, str]] = []
    codes = list(munis["municipality_code"])
    for k, (code, name) in enumerate(zip(codes, munis["name"], strict=True)):
        inh = POPULATION.get(code, int(rng.integers(8000, 120000)))
        benefits = 2.3 if k == 0 else float(rng.uniform(0.7, 1.1))  # first: high benefits
        elderly = 0.29 if k == 1 else float(rng.uniform(0.16, 0.21))  # second: many elderly
        regions = [(code, "Gemeente", name, inh)]
        n_wijk = 3
        wijk_share = rng.dirichlet(np.ones(n_wijk))
        for w in range(n_wijk):
            wcode = f"WK{code[2:]}{w:02d}"
            winh = int(inh * wijk_share[w])
            regions.append((wcode, "Wijk", f"Wijk {w:02d} {name}", winh))
            split = float(rng.uniform(0.3, 0.7))
            for b, share in enumerate((split, 1 - split)):
                bcode = f"BU{code[2:]}{w:02d}{b:02d}"
                regions.append((bcode, "Buurt", f"Buurt {w:02d}{b:02d} {name}", int(winh * share)))
        for rcode, rtype, rname, rinh in regions:
            row: dict[str, Any] = {
                "ID": len(rows),
                "WijkenEnBuurten": _pad(rcode),
                "Gemeentenaam_1": name.ljust(40),
                "SoortRegio_2": rtype.ljust(10),
                "Codering_3": _pad(rcode),
            }
            row.update(
                _kerncijfers_values(rng, rinh, benefits, elderly, INCOME_PER_INHABITANT.get(code))
            )
            if rtype == "Buurt" and rng.random() < 0.2:
                row["GemiddeldInkomenPerInwoner_78"] = None  # CBS suppresses small areas
            rows.append(row)
            titles.append({"Key": _pad(rcode), "Title": rname})
    rows.append(_netherlands_row(len(rows)))
    titles.append({"Key": _pad("NL00"), "Title": "Nederland"})
    return {
        "format": "cbs-odata-v3",
        "table_id": "85984NED",
        "base_url": "https://opendata.cbs.nl",
        "retrieved_at": RETRIEVED_AT,
        "region": None,
        "data_properties": props,
        "dimensions": {"WijkenEnBuurten": titles},
        "rows": rows,
    }


def _netherlands_row(row_id: int) -> dict[str, Any]:
    """The Nederland row (NL00) of 85984NED from cbs.yaml; fields it lacks stay empty."""
    row: dict[str, Any] = {
        "ID": row_id,
        "WijkenEnBuurten": _pad("NL00"),
        "Gemeentenaam_1": "Nederland".ljust(40),
        "SoortRegio_2": "Land".ljust(10),
        "Codering_3": _pad("NL00"),
    }
    for field in KERNCIJFERS_FIELDS:
        value = NETHERLANDS_KERNCIJFERS.get(field.key)
        if value is None:
            row[field.key] = None
        else:
            row[field.key] = round(value, 1) if field.datatype == "Double" else int(value)
    return row


def cbs_household_waste(rng: np.random.Generator, munis: pd.DataFrame) -> dict[str, Any]:
    """83452NED "Huishoudelijk afval per gemeente per inwoner": dimensions Afvalsoort, RegioS
    (GM codes), Perioden; one measure, kg per inhabitant (kinds and codes from cbs.yaml)."""
    props: list[dict[str, Any]] = [
        {
            "odata.type": "Cbs.OData.Dimension",
            "ID": 0,
            "Position": 0,
            "ParentID": None,
            "Type": "Dimension",
            "Key": "Afvalsoort",
            "Title": "Afvalsoort",
        },
        {
            "odata.type": "Cbs.OData.GeoDimension",
            "ID": 1,
            "Position": 1,
            "ParentID": None,
            "Type": "GeoDimension",
            "Key": "RegioS",
            "Title": "Regio's",
        },
        {
            "odata.type": "Cbs.OData.TimeDimension",
            "ID": 2,
            "Position": 2,
            "ParentID": None,
            "Type": "TimeDimension",
            "Key": "Perioden",
            "Title": "Perioden",
        },
        {
            "odata.type": "Cbs.OData.Topic",
            "ID": 3,
            "Position": 3,
            "ParentID": None,
            "Type": "Topic",
            "Key": "HoeveelheidHuishoudelijkAfval_1",
            "Title": "Hoeveelheid huishoudelijk afval",
            "Unit": "kg per inwoner",
            "Datatype": "Double",
            "Decimals": 1,
        },
    ]
    kinds = [HOUSEHOLD_WASTE_TOTAL, *((k.code, k.title) for k in HOUSEHOLD_WASTE_KINDS)]
    rows: list[dict[str, Any]] = []
    for code in munis["municipality_code"]:
        for year in (2022, 2023):
            per_inh = float(rng.uniform(380, 520))
            values = {HOUSEHOLD_WASTE_TOTAL[0]: per_inh}
            for k in HOUSEHOLD_WASTE_KINDS:
                values[k.code] = per_inh * float(rng.uniform(k.share_low, k.share_high))
            for kind, _ in kinds:
                rows.append(
                    {
                        "ID": len(rows),
                        "Afvalsoort": kind,
                        "RegioS": code.ljust(6),
                        "Perioden": f"{year}JJ00",
                        "HoeveelheidHuishoudelijkAfval_1": round(values[kind], 1),
                    }
                )
    for year in (2022, 2023):
        for kind, _ in kinds:
            value = NETHERLANDS_HOUSEHOLD_WASTE.get(kind, {}).get(str(year))
            if value is None:
                continue
            rows.append(
                {
                    "ID": len(rows),
                    "Afvalsoort": kind,
                    "RegioS": "NL01".ljust(6),
                    "Perioden": f"{year}JJ00",
                    "HoeveelheidHuishoudelijkAfval_1": value,
                }
            )
    return {
        "format": "cbs-odata-v3",
        "table_id": "83452NED",
        "base_url": "https://opendata.cbs.nl",
        "retrieved_at": RETRIEVED_AT,
        "region": None,
        "data_properties": props,
        "dimensions": {
            "Afvalsoort": [
                {"Key": c, "Title": t, "Description": None, "CategoryGroupID": None}
                for c, t in kinds
            ],
            "RegioS": [
                {"Key": c.ljust(6), "Title": n, "Description": None}
                for c, n in zip(munis["municipality_code"], munis["name"], strict=True)
            ]
            + [{"Key": "NL01".ljust(6), "Title": "Nederland", "Description": None}],
        },
        "rows": rows,
    }


def pdok_outlines(rng: np.random.Generator, munis: pd.DataFrame) -> dict[str, Any]:
    """Generalised municipality outlines: 12-gons around the real centroids, sized by
    inhabitants (placeholder geometry in the PDOK GeoJSON shape)."""
    features = []
    for code, name, lat, lon in zip(
        munis["municipality_code"], munis["name"], munis["lat"], munis["lon"], strict=True
    ):
        k = 12
        radius = math.sqrt(POPULATION.get(code, DEFAULT_POPULATION) / 160000.0) * 0.06 + 0.02
        ring = []
        for j in range(k):
            a = 2 * math.pi * j / k
            r = radius * float(rng.uniform(0.85, 1.15))
            ring.append(
                [
                    round(float(lon) + r * 1.6 * math.cos(a), 6),
                    round(float(lat) + r * math.sin(a), 6),
                ]
            )
        ring.append(ring[0])
        features.append(
            {
                "type": "Feature",
                "id": f"gemeente_gegeneraliseerd.{code}",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"statcode": code, "statnaam": name, "jrstatcode": f"2024{code}"},
            }
        )
    return {"type": "FeatureCollection", "features": features}
