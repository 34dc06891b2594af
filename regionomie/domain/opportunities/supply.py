"""Who produces how much of which material, per establishment and year.

Observed beats estimated: when LMA waste records of a material are linked (as ontdoener or
herkomst) to an establishment, their weight is used (source "lma", tonnes per year averaged over
the years reported); otherwise sector yields x employees (source "estimate").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regionomie.domain.opportunities.common import (
    KnowledgeLike,
    digits,
    kb_frames,
    match_nace,
    split_codes,
)
from regionomie.domain.opportunities.config import ScoringConfig

SUPPLY_COLUMNS: tuple[str, ...] = (
    "establishment_id",
    "material_id",
    "tonnes_per_year",
    "supply_source",  # "lma" | "estimate"
    "basis",  # human-readable: how the figure was obtained
)
PRODUCER_ROLES: tuple[str, ...] = ("ontdoener", "herkomst")
RECEIVER_ROLES: tuple[str, ...] = ("ontvanger", "verwerker", "eerste_afnemer")


def _eural_to_material(materials: pd.DataFrame) -> pd.DataFrame:
    if "eural_codes" not in materials:
        return pd.DataFrame({"eural_code": [], "material_id": []}, dtype=str)
    exploded = materials[["material_id"]].assign(eural_code=split_codes(materials["eural_codes"]))
    exploded = exploded.explode("eural_code").dropna(subset=["eural_code"])
    exploded["eural_code"] = exploded["eural_code"].astype(str).str.zfill(6)
    return exploded.drop_duplicates(["eural_code", "material_id"])


def _linked_streams(links: pd.DataFrame, roles: tuple[str, ...]) -> pd.DataFrame:
    """afvalstroomnummer -> best-confidence linked establishment for the given roles."""
    if links is None or links.empty:
        return pd.DataFrame({"afvalstroomnummer": [], "establishment_id": []}, dtype=str)
    sub = links[links["role"].isin(roles) & links["vestigingsnummer"].notna()].copy()
    sub = sub[sub["vestigingsnummer"].astype(str) != ""]
    sub["role_rank"] = sub["role"].map({r: i for i, r in enumerate(roles)})
    sub["confidence"] = pd.to_numeric(sub.get("confidence", 1.0), errors="coerce").fillna(0.0)
    sub = sub.sort_values(
        ["afvalstroomnummer", "role_rank", "confidence", "vestigingsnummer"],
        ascending=[True, True, False, True],
    )
    best = sub.groupby("afvalstroomnummer", sort=True).head(1)
    return pd.DataFrame(
        {
            "afvalstroomnummer": best["afvalstroomnummer"].astype(str),
            "establishment_id": best["vestigingsnummer"].astype(str),
        }
    )


def _stream_tonnes(waste_records: pd.DataFrame, materials: pd.DataFrame) -> pd.DataFrame:
    """Per waste stream and material: mean tonnes per reported year (one extract type per
    stream-year, the larger, so ontvangst and afgifte of the same delivery are not summed)."""
    recs = waste_records[
        ["afvalstroomnummer", "extract_type", "eural_code", "period_year", "weight_kg"]
    ].copy()
    recs["afvalstroomnummer"] = recs["afvalstroomnummer"].astype(str)
    recs["eural_code"] = digits(recs["eural_code"]).str.zfill(6)
    recs["weight_kg"] = pd.to_numeric(recs["weight_kg"], errors="coerce").fillna(0.0)
    recs = recs.merge(_eural_to_material(materials), on="eural_code", how="inner")
    per_year = recs.groupby(
        ["afvalstroomnummer", "material_id", "period_year", "extract_type"], sort=True
    )["weight_kg"].sum()
    per_year = per_year.groupby(level=[0, 1, 2]).max()
    per_stream = per_year.groupby(level=[0, 1]).agg(["mean", "count"]).reset_index()
    per_stream["tonnes_per_year"] = per_stream["mean"] / 1000.0
    per_stream = per_stream.rename(columns={"count": "years"})
    return per_stream[["afvalstroomnummer", "material_id", "tonnes_per_year", "years"]]


def observed_supply(
    kb: KnowledgeLike, waste_records: pd.DataFrame | None, links: pd.DataFrame | None
) -> pd.DataFrame:
    """Supply rows (source "lma") from waste records linked to a producing establishment."""
    if waste_records is None or waste_records.empty or links is None or links.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in SUPPLY_COLUMNS})
    materials, _, _ = kb_frames(kb)
    streams = _stream_tonnes(waste_records, materials)
    linked = streams.merge(_linked_streams(links, PRODUCER_ROLES), on="afvalstroomnummer")
    grouped = linked.groupby(["establishment_id", "material_id"], sort=True).agg(
        tonnes_per_year=("tonnes_per_year", "sum"),
        streams=("afvalstroomnummer", "nunique"),
        years=("years", "max"),
    )
    grouped = grouped.reset_index()
    grouped["supply_source"] = "lma"
    grouped["basis"] = (
        "LMA-meldingen: "
        + grouped["streams"].astype(str)
        + " afvalstroom(en), gemiddeld over "
        + grouped["years"].astype(str)
        + " jaar"
    )
    return grouped[list(SUPPLY_COLUMNS)]


def estimated_supply(
    establishments: pd.DataFrame, kb: KnowledgeLike, config: ScoringConfig | None = None
) -> pd.DataFrame:
    """Supply rows (source "estimate"): kb.yields (t per employee per year) x employees
    (config.default_employees when unknown); 4-digit yield rows win over 2-digit ones."""
    config = config or ScoringConfig()
    _, _, yields = kb_frames(kb)
    yields = yields.dropna(subset=["tonnes_per_employee_per_year"])
    yields = yields.assign(producer_nace=split_codes(yields["producer_nace"])).explode(
        "producer_nace"
    )
    yields = yields.dropna(subset=["producer_nace"])
    est = pd.DataFrame(
        {
            "establishment_id": establishments["vestigingsnummer"].astype(str),
            "nace_class": digits(establishments["nace_class"]).str.slice(0, 4),
            "employees": pd.to_numeric(establishments.get("employees"), errors="coerce"),
        }
    )
    if "active" in establishments:
        active = establishments["active"].fillna(True).astype(bool)
        est = est[active.to_numpy()]
    matched = match_nace(est, "nace_class", yields, "producer_nace")
    if matched.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in SUPPLY_COLUMNS})
    matched = matched.sort_values(
        ["establishment_id", "material_id", "nace_match_digits"], ascending=[True, True, False]
    )
    matched = matched.groupby(["establishment_id", "material_id"], sort=True).head(1)
    known = matched["employees"].notna() & (matched["employees"] > 0)
    employees = matched["employees"].where(known, float(config.default_employees))
    matched["tonnes_per_year"] = employees * matched["tonnes_per_employee_per_year"]
    emp_text = np.where(
        known,
        employees.round(0).astype("int64").astype(str) + " werkzame personen",
        "werkzame personen onbekend, " + str(config.default_employees) + " aangenomen",
    )
    matched["supply_source"] = "estimate"
    matched["basis"] = (
        matched["tonnes_per_employee_per_year"].round(3).astype(str)
        + " t per werkzame persoon per jaar x "
        + pd.Series(emp_text, index=matched.index)
        + " (bron: "
        + matched["source"].fillna("").astype(str)
        + ")"
    )
    return matched[list(SUPPLY_COLUMNS)].reset_index(drop=True)


def estimate_supply(
    establishments: pd.DataFrame,
    kb: KnowledgeLike,
    waste_records: pd.DataFrame | None = None,
    links: pd.DataFrame | None = None,
    config: ScoringConfig | None = None,
) -> pd.DataFrame:
    """Producer establishment x material x tonnes/year; LMA observations replace estimates."""
    observed = observed_supply(kb, waste_records, links)
    estimated = estimated_supply(establishments, kb, config)
    if not observed.empty:
        key_obs = set(zip(observed["establishment_id"], observed["material_id"], strict=True))
        keys = pd.Series(
            list(zip(estimated["establishment_id"], estimated["material_id"], strict=True)),
            index=estimated.index,
            dtype=object,
        )
        estimated = estimated[~keys.isin(key_obs)]
    frames = [f for f in (observed, estimated) if not f.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in SUPPLY_COLUMNS})
    supply = pd.concat(frames, ignore_index=True)
    supply["tonnes_per_year"] = supply["tonnes_per_year"].astype(float)
    supply = supply[supply["tonnes_per_year"] > 0]
    return supply.sort_values(["establishment_id", "material_id"]).reset_index(drop=True)


def observed_flows(
    waste_records: pd.DataFrame | None,
    links: pd.DataFrame | None,
    kb: KnowledgeLike | None = None,
) -> pd.DataFrame:
    """Producer -> receiver establishment pairs already exchanging waste (per LMA), with
    material_id where the EURAL code maps to a KB material (else "")."""
    columns = ["producer_id", "receiver_id", "material_id", "tonnes_total"]
    if waste_records is None or waste_records.empty or links is None or links.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    producers = _linked_streams(links, PRODUCER_ROLES).rename(
        columns={"establishment_id": "producer_id"}
    )
    receivers = _linked_streams(links, RECEIVER_ROLES).rename(
        columns={"establishment_id": "receiver_id"}
    )
    pairs = producers.merge(receivers, on="afvalstroomnummer")
    recs = waste_records[["afvalstroomnummer", "eural_code", "weight_kg"]].copy()
    recs["afvalstroomnummer"] = recs["afvalstroomnummer"].astype(str)
    recs["eural_code"] = digits(recs["eural_code"]).str.zfill(6)
    if kb is not None:
        materials, _, _ = kb_frames(kb)
        recs = recs.merge(_eural_to_material(materials), on="eural_code", how="left")
    else:
        recs["material_id"] = ""
    recs["material_id"] = recs["material_id"].fillna("")
    recs["weight_kg"] = pd.to_numeric(recs["weight_kg"], errors="coerce").fillna(0.0)
    flows = pairs.merge(recs, on="afvalstroomnummer")
    out = flows.groupby(["producer_id", "receiver_id", "material_id"], sort=True)["weight_kg"].sum()
    out = (out / 1000.0).rename("tonnes_total").reset_index()
    return out[columns]


def observed_exchanges(
    waste_records: pd.DataFrame | None,
    links: pd.DataFrame | None,
    establishments: pd.DataFrame,
) -> list[tuple[str, str, str, str]]:
    """Distinct producer -> receiver streams per EURAL code seen in LMA, as documented
    exchanges for the receiver prior: (key, donor class, EURAL code, receiving class)."""
    if waste_records is None or waste_records.empty or links is None or links.empty:
        return []
    producers = _linked_streams(links, PRODUCER_ROLES).rename(
        columns={"establishment_id": "producer_id"}
    )
    receivers = _linked_streams(links, RECEIVER_ROLES).rename(
        columns={"establishment_id": "receiver_id"}
    )
    pairs = producers.merge(receivers, on="afvalstroomnummer")
    recs = waste_records[["afvalstroomnummer", "eural_code"]].copy()
    recs["afvalstroomnummer"] = recs["afvalstroomnummer"].astype(str)
    recs["eural_code"] = digits(recs["eural_code"]).str.zfill(6)
    flows = pairs.merge(recs, on="afvalstroomnummer").drop_duplicates(
        ["producer_id", "receiver_id", "eural_code"]
    )
    nace = establishments.drop_duplicates("vestigingsnummer").set_index(
        establishments.drop_duplicates("vestigingsnummer")["vestigingsnummer"].astype(str)
    )["nace_class"]
    flows["donor"] = flows["producer_id"].map(nace)
    flows["receiver"] = flows["receiver_id"].map(nace)
    flows = flows.dropna(subset=["donor", "receiver"]).sort_values(
        ["producer_id", "receiver_id", "eural_code"]
    )
    return [
        (f"{p}>{r}:{c}", str(d), str(c), str(rc))
        for p, r, c, d, rc in zip(
            flows["producer_id"],
            flows["receiver_id"],
            flows["eural_code"],
            flows["donor"],
            flows["receiver"],
            strict=True,
        )
    ]
