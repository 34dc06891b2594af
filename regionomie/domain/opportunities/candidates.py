"""Candidate exchanges: producer establishment x material x receiver, every score component
kept as a column so a ranking can be explained and re-weighted.

Blocking keeps cost ~linear in the number of establishments: producers are only compared with
receivers (1) of a receiver class named by a pathway for their material, (2) on a grid per
receiver class whose cell size follows the class density (about k receivers per cell, between
min_cell_km and cell_km), searched ring by ring outwards and stopped for a producer as soon as
its k nearest are certain, and (3) at most `receivers_per_cell` receivers per class and cell
(largest first) take part. Each producer thus examines a bounded number of receivers however
dense the region; the k nearest within max_distance_km are kept.
Where no receiver of the class is within reach, a start-up ("sector") candidate is proposed,
located at the centroid of the producer's municipality.

Hard rule: a hazardous material is never proposed for a food or feed use.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from regionomie.domain.challenges import ELDERLY_CHALLENGES, EMPLOYMENT_CHALLENGES, severity_table
from regionomie.domain.opportunities.common import (
    KM_PER_DEG_LAT,
    KM_PER_DEG_LON_NL,
    KnowledgeLike,
    add_display_columns,
    grid_cells,
    haversine_km,
    kb_frames,
    match_nace,
    split_codes,
)
from regionomie.domain.opportunities.config import ScoringConfig

CANDIDATE_COLUMNS: tuple[str, ...] = (
    "candidate_id",
    "producer_id",
    "producer_name",
    "producer_address",
    "producer_nace",
    "producer_municipality",
    "producer_lat",
    "producer_lon",
    "material_id",
    "material_name",
    "hazardous",
    "pathway_id",
    "receiver_kind",  # "establishment" | "sector" (start-up opportunity)
    "receiver_id",
    "receiver_name",
    "receiver_address",
    "receiver_nace",
    "receiver_label",
    "receiver_municipality",
    "receiver_lat",
    "receiver_lon",
    "use_category",
    "use_description",
    "food_or_feed",
    "supply_tonnes",
    "supply_source",
    "supply_basis",
    "receiver_demand_tonnes",
    "matched_tonnes",
    "material_fit",
    "volume_fit",
    "distance_km",
    "proximity",
    "transport_cost_eur",
    "transport_co2_kg",
    "economic_value_eur",
    "economic",
    "co2_avoided_kg",
    "climate",
    "jobs",
    "employment_severity",
    "elderly_severity",
    "social_impact",
    "social",
    "novelty",
    "score",
    "explanation",
    "evidence_type",
    "evidence",
    "caveats",
)

ReceiverFit = Callable[[str, str | None], dict[str, float]]

CARE_NACE_PREFIXES: tuple[str, ...] = ("87", "88")  # residential care, social work
COMMUNITY_NACE: tuple[str, ...] = ("5629", "9499", "9609")  # canteens, associations, other
CARE_USE_CATEGORIES: tuple[str, ...] = ("care", "community", "zorg", "buurt", "social")


def empty_candidates() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in CANDIDATE_COLUMNS})


def _producer_pathways(
    supply: pd.DataFrame,
    actors: pd.DataFrame,
    pathways: pd.DataFrame,
    materials: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Supply rows joined to their establishment and to every pathway whose producer class
        matches; returns (rows, set_aside): set_aside names each supply row (establishment x
    material) that yields no candidate and why (no coordinates, or no usable pathway)."""
    sup = supply.merge(actors, on="establishment_id", how="left")
    no_geo = sup["lat"].isna() | sup["lon"].isna()
    set_aside = sup.loc[no_geo, ["establishment_id", "material_id"]].assign(
        reason="producer has no coordinates (lat/lon) or is not in the establishments table"
    )
    sup = sup[~no_geo]
    paths = pathways.assign(producer_nace=split_codes(pathways["producer_nace"])).explode(
        "producer_nace"
    )
    paths = paths.dropna(subset=["producer_nace"])
    paths = paths.merge(
        materials[["material_id", "name_nl", "hazardous"]], on="material_id", how="left"
    )
    paths["hazardous"] = paths["hazardous"].fillna(False).astype(bool)
    paths = paths[~(paths["hazardous"] & paths["food_or_feed"])]
    paths = paths.rename(columns={"material_id": "path_material_id"})
    rows = match_nace(sup, "nace_class", paths, "producer_nace")
    rows = rows[rows["material_id"] == rows["path_material_id"]]
    rows = rows.sort_values(
        ["establishment_id", "pathway_id", "nace_match_digits"], ascending=[True, True, False]
    )
    rows = rows.groupby(["establishment_id", "pathway_id"], sort=False).head(1)
    rows = rows.drop(columns=["path_material_id"])
    # LMA shows this establishment really disposes of the material: every pathway of the
    # material applies even when its class is not a typical producer (nace_match_digits 0).
    placed = set(zip(rows["establishment_id"], rows["material_id"], strict=True))
    sup_keys = pd.Series(
        list(zip(sup["establishment_id"], sup["material_id"], strict=True)),
        index=sup.index,
        dtype=object,
    )
    observed = sup[(sup["supply_source"] == "lma") & ~sup_keys.isin(placed)]
    if len(observed):
        any_class = paths.drop(columns=["producer_nace"]).drop_duplicates("pathway_id")
        extra = observed.merge(
            any_class, left_on="material_id", right_on="path_material_id", how="inner"
        )
        extra = extra.drop(columns=["path_material_id"]).assign(nace_match_digits=0)
        rows = pd.concat([rows, extra], ignore_index=True)
    rows = rows.reset_index(drop=True)
    placed = set(zip(rows["establishment_id"], rows["material_id"], strict=True))
    keys = pd.Series(
        list(zip(sup["establishment_id"], sup["material_id"], strict=True)),
        index=sup.index,
        dtype=object,
    )
    unused = sup[~keys.isin(placed)]
    no_path = unused[["establishment_id", "material_id"]].assign(
        reason="no usable pathway for this material from producer class "
        + unused["nace_class"].fillna("").astype(str)
        + " (none in the knowledge base, or hazardous -> food/feed refused)"
    )
    set_aside = pd.concat([set_aside, no_path], ignore_index=True)
    return rows, set_aside


def _receiver_pool(actors: pd.DataFrame, classes: set[str]) -> pd.DataFrame:
    """Active receivers of the wanted classes that have coordinates."""
    rec = actors[actors["nace_class"].isin(classes) & actors["lat"].notna() & actors["lon"].notna()]
    return rec[rec["active"].astype(bool)] if "active" in rec else rec


_NEAR_COLUMNS = [
    "pp_row",
    "receiver_id",
    "receiver_lat",
    "receiver_lon",
    "receiver_employees",
    "distance_km",
]


def _class_cell_km(rec: pd.DataFrame, config: ScoringConfig) -> float:
    """Grid cell for one receiver class: about k receivers per cell on average
    (sqrt(bbox area x k / receivers)), between min_cell_km and cell_km. Dense classes get small
    cells, so the pairs examined per producer stay bounded as density grows."""
    x = rec["lon"].to_numpy(dtype="float64") * KM_PER_DEG_LON_NL
    y = rec["lat"].to_numpy(dtype="float64") * KM_PER_DEG_LAT
    area = max(float((x.max() - x.min()) * (y.max() - y.min())), 1.0)
    cell = math.sqrt(area * config.k_nearest / len(rec))
    return float(min(config.cell_km, max(config.min_cell_km, cell)))


def _ring_offsets(r: int) -> pd.DataFrame:
    """Cell offsets at Chebyshev distance r (ring 1 includes the centre cell)."""
    span = range(-r, r + 1)
    cells = [(dx, dy) for dx in span for dy in span if r == 1 or max(abs(dx), abs(dy)) == r]
    return pd.DataFrame(cells, columns=["dx", "dy"])


def _nearest_receivers(
    pp: pd.DataFrame, receivers: pd.DataFrame, config: ScoringConfig, chunk_rows: int = 50_000
) -> pd.DataFrame:
    """k nearest receivers within reach per producer-pathway row (pp_row = position in pp).

    Per receiver class: a grid sized to the class density, at most receivers_per_cell per cell
    (largest first), and a ring-by-ring search that stops for a producer once its k-th nearest
    is closer than anything in unexamined rings (r x cell km), so no all-pairs comparison."""
    reach_km = config.max_distance_km / config.road_factor
    k = config.k_nearest
    results: list[pd.DataFrame] = []
    pairs_compared = 0
    pp_nace = pp["receiver_nace"].to_numpy()
    for nace, rec in receivers.groupby("nace_class", sort=True):
        rows = np.flatnonzero(pp_nace == nace)
        if not len(rows):
            continue
        cell = _class_cell_km(rec, config)
        cx, cy = grid_cells(rec["lat"], rec["lon"], cell)
        rec = rec.assign(cx=cx, cy=cy, _emp=rec["employees"].fillna(0.0))
        rec = rec.sort_values(["cx", "cy", "_emp", "establishment_id"], ascending=[1, 1, 0, 1])
        rec = rec.groupby(["cx", "cy"], sort=False).head(config.receivers_per_cell)
        table = pd.DataFrame(
            {
                "receiver_id": rec["establishment_id"].to_numpy(),
                "cx": rec["cx"].to_numpy(),
                "cy": rec["cy"].to_numpy(),
                "receiver_lat": rec["lat"].to_numpy(dtype="float64"),
                "receiver_lon": rec["lon"].to_numpy(dtype="float64"),
                "receiver_employees": rec["employees"].to_numpy(dtype="float64"),
            }
        )
        sub = pp.iloc[rows]
        pcx, pcy = grid_cells(sub["lat"], sub["lon"], cell)
        pending = pd.DataFrame(
            {
                "pp_row": rows.astype("int64"),
                "producer_id": sub["establishment_id"].to_numpy(),
                "pcx": pcx,
                "pcy": pcy,
                "plat": sub["lat"].to_numpy(dtype="float64"),
                "plon": sub["lon"].to_numpy(dtype="float64"),
            }
        )
        best = pd.DataFrame(columns=_NEAR_COLUMNS)
        for r in range(1, max(1, math.ceil(reach_km / cell)) + 1):
            offsets = _ring_offsets(r)
            found = [best]
            for start in range(0, len(pending), chunk_rows):
                part = pending.iloc[start : start + chunk_rows].merge(offsets, how="cross")
                part["cx"] = part["pcx"] + part["dx"]
                part["cy"] = part["pcy"] + part["dy"]
                joined = part.merge(table, on=["cx", "cy"], how="inner")
                joined = joined[joined["receiver_id"] != joined["producer_id"]]
                pairs_compared += len(joined)
                straight = haversine_km(
                    joined["plat"], joined["plon"], joined["receiver_lat"], joined["receiver_lon"]
                )
                joined = joined.assign(distance_km=straight * config.road_factor)
                found.append(
                    joined.loc[joined["distance_km"] <= config.max_distance_km, _NEAR_COLUMNS]
                )
            found = [f for f in found if len(f)]
            if found:
                best = pd.concat(found, ignore_index=True)
                best = best.sort_values(["pp_row", "distance_km", "receiver_id"])
                best = best.groupby("pp_row", sort=False).head(k)
            stats = best.groupby("pp_row")["distance_km"].agg(["count", "max"])
            settled = stats.index[
                (stats["count"] >= k) & (stats["max"] <= r * cell * config.road_factor)
            ]
            pending = pending[~pending["pp_row"].isin(settled)]
            if pending.empty:
                break
        if len(best):
            results.append(best)
    out = pd.concat(results, ignore_index=True) if results else pd.DataFrame(columns=_NEAR_COLUMNS)
    out.attrs["pairs_compared"] = pairs_compared
    return out


def _saturate(values: pd.Series | np.ndarray, scale: float) -> np.ndarray:
    arr = np.clip(np.asarray(values, dtype="float64"), 0.0, None)
    return 1.0 - np.exp(-arr / scale)


def _fmt(values: pd.Series, decimals: int) -> pd.Series:
    return values.astype(float).round(decimals).map(lambda v: f"{v:,.{decimals}f}")


def generate_candidates(
    establishments: pd.DataFrame,
    supply: pd.DataFrame,
    kb: KnowledgeLike,
    municipalities: pd.DataFrame | None = None,
    challenges: pd.DataFrame | None = None,
    observed_flows: pd.DataFrame | None = None,
    config: ScoringConfig | None = None,
    receiver_fit: ReceiverFit | None = None,
) -> pd.DataFrame:
    """Scored candidates (CANDIDATE_COLUMNS), sorted by score desc then candidate_id.
    `receiver_fit(material, producer class)` gives each receiving class's fit (the suggestion
    engine's calibrated ranking); without it the pathway strength is used.
    `df.attrs["set_aside"]` lists supply rows that could not be placed, with a reason;
    `df.attrs["pairs_compared"]` counts producer-receiver pairs whose distance was computed."""
    config = config or ScoringConfig()
    materials, pathways, _ = kb_frames(kb)
    if supply is None or supply.empty or establishments is None or establishments.empty:
        out = empty_candidates()
        out.attrs["set_aside"] = pd.DataFrame(columns=["establishment_id", "material_id", "reason"])
        return out
    actors = add_display_columns(establishments)
    actors = actors.drop_duplicates("establishment_id")
    supply = supply.copy()
    supply["establishment_id"] = supply["establishment_id"].astype(str)
    pp, set_aside = _producer_pathways(supply, actors, pathways, materials)
    if pp.empty:
        out = empty_candidates()
        out.attrs["set_aside"] = set_aside
        return out

    pp["receiver_fit"] = _receiver_fits(pp, receiver_fit)
    receivers = _receiver_pool(actors, set(pp["receiver_nace"]))
    near = _nearest_receivers(pp, receivers, config)
    pp = pp.reset_index(drop=True)
    pp["pp_row"] = np.arange(len(pp), dtype="int64")

    existing = pp.merge(near, on="pp_row", how="inner")
    existing["receiver_kind"] = "establishment"

    reached = set(near["pp_row"].unique())
    startup = pp[~pp["pp_row"].isin(reached)].copy()
    startup["receiver_kind"] = "sector"
    startup["receiver_id"] = (
        "sector:" + startup["receiver_nace"] + ":" + startup["municipality_code"].fillna("onbekend")
    )
    startup["receiver_employees"] = np.nan
    centroids = _centroids(municipalities)
    cen = startup["municipality_code"].map(centroids["lat"]) if len(centroids) else np.nan
    startup["receiver_lat"] = pd.to_numeric(cen, errors="coerce")
    cen_lon = startup["municipality_code"].map(centroids["lon"]) if len(centroids) else np.nan
    startup["receiver_lon"] = pd.to_numeric(cen_lon, errors="coerce")
    no_centroid = startup["receiver_lat"].isna() | startup["receiver_lon"].isna()
    startup.loc[no_centroid, "receiver_lat"] = startup.loc[no_centroid, "lat"]
    startup.loc[no_centroid, "receiver_lon"] = startup.loc[no_centroid, "lon"]
    dist = haversine_km(
        startup["lat"], startup["lon"], startup["receiver_lat"], startup["receiver_lon"]
    )
    startup["distance_km"] = np.where(
        no_centroid, config.startup_distance_km, np.maximum(dist * config.road_factor, 1.0)
    )
    cand = pd.concat([existing, startup], ignore_index=True)
    cand = _score(cand, actors, challenges, observed_flows, config)
    cand.attrs["set_aside"] = set_aside.reset_index(drop=True)
    cand.attrs["pairs_compared"] = int(near.attrs.get("pairs_compared", 0))
    return cand


def _receiver_fits(pp: pd.DataFrame, receiver_fit: ReceiverFit | None) -> np.ndarray:
    """Per producer-pathway row, how well its receiving class fits the stream (0..1)."""
    if receiver_fit is None:
        return pp["strength"].astype(float).to_numpy()
    producer = pp["nace_class"].fillna("").astype(str)
    tables = {
        key: receiver_fit(key[0], key[1] or None)
        for key in set(zip(pp["material_id"], producer, strict=True))
    }
    return np.array(
        [
            tables[(m, n)].get(r, 0.0)
            for m, n, r in zip(pp["material_id"], producer, pp["receiver_nace"], strict=True)
        ],
        dtype="float64",
    )


def _centroids(municipalities: pd.DataFrame | None) -> pd.DataFrame:
    if municipalities is None or municipalities.empty:
        return pd.DataFrame(columns=["lat", "lon"])
    mun = municipalities.drop_duplicates("municipality_code").set_index("municipality_code")
    return mun[["lat", "lon"]].apply(pd.to_numeric, errors="coerce")


def _score(
    cand: pd.DataFrame,
    actors: pd.DataFrame,
    challenges: pd.DataFrame | None,
    observed: pd.DataFrame | None,
    config: ScoringConfig,
) -> pd.DataFrame:
    """Every score component as a column, combined score and explanation."""
    weights = config.normalised_weights()
    is_startup = (cand["receiver_kind"] == "sector").to_numpy()
    rec_info = actors.set_index("establishment_id")[
        ["display_name", "display_address", "municipality_code"]
    ]
    rec_ids = cand["receiver_id"]
    receiver_name = rec_ids.map(rec_info["display_name"])
    label = cand["receiver_label"].where(
        cand["receiver_label"] != "", "NACE " + cand["receiver_nace"]
    )
    startup_name = "Nieuw bedrijf (start-up): " + label
    receiver_name = receiver_name.where(~is_startup, startup_name)
    receiver_address = rec_ids.map(rec_info["display_address"]).where(~is_startup, "")
    receiver_mun = rec_ids.map(rec_info["municipality_code"])
    receiver_mun = receiver_mun.where(~is_startup, cand["municipality_code"])

    tonnes = cand["tonnes_per_year"].astype(float)
    rec_emp = cand["receiver_employees"].astype(float)
    rec_emp = rec_emp.where(rec_emp > 0, float(config.default_employees))
    demand = np.where(is_startup, np.nan, rec_emp * config.demand_t_per_employee)
    matched = np.where(is_startup, tonnes, np.minimum(tonnes, demand))
    volume_fit = np.where(
        is_startup,
        np.minimum(1.0, tonnes / config.startup_min_tonnes),
        np.minimum(tonnes, demand) / np.maximum(np.maximum(tonnes, demand), 1e-9),
    )
    digits_matched = cand["nace_match_digits"].to_numpy()
    quality = np.select(
        [digits_matched == 4, digits_matched == 2],
        [1.0, config.producer_2digit_quality],
        config.observed_other_class_quality,
    )
    quality = quality * np.where(is_startup, config.startup_quality, 1.0)
    material_fit = np.clip(cand["receiver_fit"].astype(float).to_numpy() * quality, 0.0, 1.0)
    distance = cand["distance_km"].astype(float).to_numpy()
    tkm = matched * distance
    transport_cost = tkm * config.transport_cost_eur_per_tkm
    transport_co2 = tkm * config.transport_co2_kg_per_tkm
    economic_value = matched * cand["value_eur_per_tonne"].to_numpy(dtype=float) - transport_cost
    co2_avoided = matched * cand["co2_avoided_kg_per_tonne"].to_numpy(dtype=float) - transport_co2
    jobs = matched * cand["jobs_per_1000_tonnes"].to_numpy(dtype=float) / 1000.0

    sev = severity_table(challenges) if challenges is not None else pd.DataFrame()
    emp_cols = [c for c in EMPLOYMENT_CHALLENGES if c in sev.columns]
    eld_cols = [c for c in ELDERLY_CHALLENGES if c in sev.columns]
    emp_by_mun = sev[emp_cols].max(axis=1) if emp_cols else pd.Series(dtype=float)
    eld_by_mun = sev[eld_cols].max(axis=1) if eld_cols else pd.Series(dtype=float)
    emp_sev = receiver_mun.map(emp_by_mun).astype(float).fillna(0.0).to_numpy()
    eld_sev = receiver_mun.map(eld_by_mun).astype(float).fillna(0.0).to_numpy()
    rnace = cand["receiver_nace"].astype(str)
    care = (
        rnace.str.slice(0, 2).isin(CARE_NACE_PREFIXES)
        | rnace.isin(COMMUNITY_NACE)
        | cand["use_category"].str.lower().isin(CARE_USE_CATEGORIES)
    ).to_numpy()
    elderly_bonus = np.where(
        care & (eld_sev >= config.elderly_severity_threshold),
        config.elderly_bonus_jobs * eld_sev,
        0.0,
    )
    social_impact = jobs * (1.0 + emp_sev) + elderly_bonus

    if observed is not None and not observed.empty:
        pairs = set(
            zip(
                observed["producer_id"].astype(str),
                observed["receiver_id"].astype(str),
                strict=True,
            )
        )
        key = pd.Series(
            list(zip(cand["establishment_id"], cand["receiver_id"], strict=True)), dtype=object
        )
        novelty = np.where(key.isin(pairs).to_numpy(), 0.0, 1.0)
    else:
        novelty = np.ones(len(cand))

    components = {
        "material_fit": material_fit,
        "volume_fit": volume_fit,
        "proximity": np.exp(-distance / config.distance_scale_km),
        "economic": _saturate(economic_value, config.economic_scale_eur),
        "climate": _saturate(co2_avoided, config.co2_scale_kg),
        "social": _saturate(social_impact, config.social_scale),
        "novelty": novelty,
    }
    score = sum(weights[name] * np.asarray(values) for name, values in components.items())

    out = pd.DataFrame(
        {
            "candidate_id": cand["establishment_id"]
            + "|"
            + cand["pathway_id"]
            + "|"
            + cand["receiver_id"],
            "producer_id": cand["establishment_id"],
            "producer_name": cand["display_name"],
            "producer_address": cand["display_address"],
            "producer_nace": cand["nace_class"],
            "producer_municipality": cand["municipality_code"],
            "producer_lat": cand["lat"].astype(float),
            "producer_lon": cand["lon"].astype(float),
            "material_id": cand["material_id"],
            "material_name": cand["name_nl"].fillna(cand["material_id"]),
            "hazardous": cand["hazardous"].astype(bool),
            "pathway_id": cand["pathway_id"],
            "receiver_kind": cand["receiver_kind"],
            "receiver_id": cand["receiver_id"],
            "receiver_name": receiver_name,
            "receiver_address": receiver_address.fillna(""),
            "receiver_nace": cand["receiver_nace"],
            "receiver_label": label,
            "receiver_municipality": receiver_mun,
            "receiver_lat": cand["receiver_lat"].astype(float),
            "receiver_lon": cand["receiver_lon"].astype(float),
            "use_category": cand["use_category"],
            "use_description": cand["use_description"],
            "food_or_feed": cand["food_or_feed"].astype(bool),
            "supply_tonnes": tonnes.round(3),
            "supply_source": cand["supply_source"],
            "supply_basis": cand["basis"],
            "receiver_demand_tonnes": np.round(demand, 3),
            "matched_tonnes": np.round(matched, 3),
            "material_fit": np.round(material_fit, 4),
            "volume_fit": np.round(volume_fit, 4),
            "distance_km": np.round(distance, 2),
            "proximity": np.round(components["proximity"], 4),
            "transport_cost_eur": np.round(transport_cost, 2),
            "transport_co2_kg": np.round(transport_co2, 2),
            "economic_value_eur": np.round(economic_value, 2),
            "economic": np.round(components["economic"], 4),
            "co2_avoided_kg": np.round(co2_avoided, 2),
            "climate": np.round(components["climate"], 4),
            "jobs": np.round(jobs, 4),
            "employment_severity": np.round(emp_sev, 4),
            "elderly_severity": np.round(eld_sev, 4),
            "social_impact": np.round(social_impact, 4),
            "social": np.round(components["social"], 4),
            "novelty": novelty,
            "score": np.round(score, 6),
            "evidence_type": cand["evidence_type"],
            "evidence": cand["evidence"],
            "caveats": cand["caveats"],
        }
    )
    out["explanation"] = _explain(out)
    out = out.sort_values(["score", "candidate_id"], ascending=[False, True])
    return out[list(CANDIDATE_COLUMNS)].reset_index(drop=True)


def _explain(out: pd.DataFrame) -> pd.Series:
    """One readable Dutch sentence per candidate naming the figures behind its score."""
    source = np.where(out["supply_source"] == "lma", "gemeten (LMA)", "geschat")
    novelty = np.where(out["novelty"] < 1, " Deze stroom bestaat al (LMA).", "")
    social = np.where(
        out["employment_severity"] >= 0.5,
        " Banen in een gemeente met bovengemiddelde werkloosheid/uitkeringsafhankelijkheid.",
        "",
    )
    material = out["material_name"].astype(str)
    return (
        material.str.slice(0, 1).str.upper()
        + material.str.slice(1)
        + " van "
        + out["producer_name"]
        + " ("
        + _fmt(out["supply_tonnes"], 1)
        + " t/jaar, "
        + pd.Series(source, index=out.index)
        + ") naar "
        + out["receiver_name"]
        + " voor "
        + out["use_description"]
        + ": "
        + _fmt(out["distance_km"], 1)
        + " km, ca. EUR "
        + _fmt(out["economic_value_eur"], 0)
        + " per jaar, "
        + _fmt(out["co2_avoided_kg"], 0)
        + " kg CO2e vermeden, "
        + _fmt(out["jobs"], 2)
        + " banen. Score "
        + _fmt(out["score"], 3)
        + " (materiaal "
        + _fmt(out["material_fit"], 2)
        + ", volume "
        + _fmt(out["volume_fit"], 2)
        + ", sociaal "
        + _fmt(out["social"], 2)
        + ")."
        + pd.Series(social, index=out.index)
        + pd.Series(novelty, index=out.index)
    )
