"""Candidate exchanges: producer establishment x material x receiver, every score component
kept as a column so a ranking can be explained and re-weighted.

Cost stays linear in the number of establishments:
- producers are only compared with receivers of a class named by a pathway for their material,
  through one KD-tree per receiver class: each producer examines its nearest few receivers of
  the class and keeps the k nearest within max_distance_km (road distance);
- where no receiver of the class is within reach, a start-up ("sector") candidate is proposed,
  located at the centroid of the producer's municipality;
- candidates are generated and scored in chunks of producers on ids and numbers only, then
  bounded: per producer x material the `receivers_per_producer_material` best existing
  receivers plus the best start-up option, per receiver x material the
  `producers_per_receiver` best producers. Every pruned candidate is counted
  (`attrs["pruning"]`: generated = kept + pruned at each bound). Names, texts and the
  explanation are attached to the kept candidates only.

Hard rule: a hazardous material is never proposed for a food or feed use.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from regionomie.domain.challenges import ELDERLY_CHALLENGES, EMPLOYMENT_CHALLENGES, severity_table
from regionomie.domain.opportunities.common import (
    KM_PER_DEG_LAT,
    KM_PER_DEG_LON_NL,
    KnowledgeLike,
    add_display_columns,
    as_object_strings,
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
NEAREST_MARGIN = 5  # extra KD-tree neighbours, re-ranked by great-circle distance

CARE_NACE_PREFIXES: tuple[str, ...] = ("87", "88")  # residential care, social work
COMMUNITY_NACE: tuple[str, ...] = ("5629", "9499", "9609")  # canteens, associations, other
CARE_USE_CATEGORIES: tuple[str, ...] = ("care", "community", "zorg", "buurt", "social")


def empty_candidates() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype="object") for c in CANDIDATE_COLUMNS})
    out.attrs["pruning"] = dict.fromkeys(
        ("generated", "pruned_per_producer", "pruned_startups", "pruned_per_receiver", "kept"), 0
    )
    return out


# Pathway fields that scoring needs; the texts (use, evidence, caveats) join after pruning.
_PATHWAY_NUMERIC: tuple[str, ...] = (
    "pathway_id",
    "material_id",
    "producer_nace",
    "receiver_nace",
    "use_category",
    "value_eur_per_tonne",
    "co2_avoided_kg_per_tonne",
    "jobs_per_1000_tonnes",
    "food_or_feed",
    "strength",
)


def _producer_pathways(
    supply: pd.DataFrame,
    actors: pd.DataFrame,
    pathways: pd.DataFrame,
    materials: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Supply rows joined to their establishment and to every pathway whose producer class
        matches; returns (rows, set_aside): set_aside names each supply row (establishment x
    material) that yields no candidate and why (no coordinates, or no usable pathway)."""
    actor_cols = ["establishment_id", "nace_class", "municipality_code", "lat", "lon"]
    sup = supply[["establishment_id", "material_id", "tonnes_per_year", "supply_source"]].merge(
        actors[actor_cols], on="establishment_id", how="left"
    )
    no_geo = sup["lat"].isna() | sup["lon"].isna()
    set_aside = sup.loc[no_geo, ["establishment_id", "material_id"]].assign(
        reason="producer has no coordinates (lat/lon) or is not in the establishments table"
    )
    sup = sup[~no_geo]
    paths = pathways.assign(producer_nace=split_codes(pathways["producer_nace"])).explode(
        "producer_nace"
    )
    paths = paths.dropna(subset=["producer_nace"])
    paths = paths[[c for c in _PATHWAY_NUMERIC if c in paths.columns]].merge(
        materials[["material_id", "hazardous"]], on="material_id", how="left"
    )
    paths["hazardous"] = paths["hazardous"].fillna(False).astype(bool)
    paths = paths[~(paths["hazardous"] & paths["food_or_feed"])]
    rows = match_nace(sup, "nace_class", paths, "producer_nace", also_on=("material_id",))
    rows = rows.sort_values(
        ["establishment_id", "pathway_id", "nace_match_digits"], ascending=[True, True, False]
    )
    rows = rows.groupby(["establishment_id", "pathway_id"], sort=False).head(1)
    paths = paths.rename(columns={"material_id": "path_material_id"})
    # LMA shows this establishment really disposes of the material: every pathway of the
    # material applies even when its class is not a typical producer (nace_match_digits 0).
    sup_keys = pd.MultiIndex.from_arrays([sup["establishment_id"], sup["material_id"]])

    def placed(frame: pd.DataFrame) -> np.ndarray:
        done = pd.MultiIndex.from_arrays([frame["establishment_id"], frame["material_id"]])
        return sup_keys.isin(done)

    observed = sup[(sup["supply_source"] == "lma").to_numpy() & ~placed(rows)]
    if len(observed):
        any_class = paths.drop(columns=["producer_nace"]).drop_duplicates("pathway_id")
        extra = observed.merge(
            any_class, left_on="material_id", right_on="path_material_id", how="inner"
        )
        extra = extra.drop(columns=["path_material_id"]).assign(nace_match_digits=0)
        rows = pd.concat([rows, extra], ignore_index=True)
    rows = rows.reset_index(drop=True)
    unused = sup[~placed(rows)]
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


def _project_km(lat: pd.Series | np.ndarray, lon: pd.Series | np.ndarray) -> np.ndarray:
    """Points as (x, y) km on an equirectangular plane around 52.2 N (for the KD-tree)."""
    x = np.asarray(lon, dtype="float64") * KM_PER_DEG_LON_NL
    y = np.asarray(lat, dtype="float64") * KM_PER_DEG_LAT
    return np.column_stack([x, y])


def _nearest_receivers(
    pp: pd.DataFrame, receivers: pd.DataFrame, config: ScoringConfig
) -> pd.DataFrame:
    """The k nearest receivers within reach per producer-pathway row (pp_row = position in pp).

    One KD-tree per receiver class: each producer examines only its nearest few receivers
    (k + a margin, re-ranked by great-circle distance), never all pairs."""
    reach_km = config.max_distance_km / config.road_factor
    k = config.k_nearest
    results: list[pd.DataFrame] = []
    pairs_compared = 0
    pp_nace = pp["receiver_nace"].to_numpy()
    producer_ids = pp["establishment_id"].to_numpy()
    for nace, rec in receivers.groupby("nace_class", sort=True):
        rows = np.flatnonzero(pp_nace == nace)
        if not len(rows):
            continue
        rec = rec.sort_values("establishment_id")
        tree = cKDTree(_project_km(rec["lat"], rec["lon"]))
        sub = pp.iloc[rows]
        wanted = min(len(rec), k + NEAREST_MARGIN)
        _, idx = tree.query(
            _project_km(sub["lat"], sub["lon"]),
            k=wanted,
            distance_upper_bound=reach_km * 1.01,
        )
        idx = np.asarray(idx).reshape(len(rows), wanted)
        found = idx < len(rec)
        pairs_compared += int(found.sum())
        pp_row = np.repeat(rows, wanted)[found.ravel()]
        ri = idx.ravel()[found.ravel()]
        rec_ids = rec["establishment_id"].to_numpy()[ri]
        rlat = rec["lat"].to_numpy(dtype="float64")[ri]
        rlon = rec["lon"].to_numpy(dtype="float64")[ri]
        plat = pp["lat"].to_numpy(dtype="float64")[pp_row]
        plon = pp["lon"].to_numpy(dtype="float64")[pp_row]
        road = haversine_km(plat, plon, rlat, rlon) * config.road_factor
        keep = (rec_ids != producer_ids[pp_row]) & (road <= config.max_distance_km)
        near = pd.DataFrame(
            {
                "pp_row": pp_row[keep].astype("int64"),
                "receiver_id": rec_ids[keep],
                "receiver_lat": rlat[keep],
                "receiver_lon": rlon[keep],
                "receiver_employees": rec["employees"].to_numpy(dtype="float64")[ri][keep],
                "distance_km": road[keep],
            }
        )
        near = near.sort_values(["pp_row", "distance_km", "receiver_id"])
        results.append(near.groupby("pp_row", sort=False).head(k))
    out = pd.concat(results, ignore_index=True) if results else pd.DataFrame(columns=_NEAR_COLUMNS)
    out.attrs["pairs_compared"] = pairs_compared
    return out


def _saturate(values: pd.Series | np.ndarray, scale: float) -> np.ndarray:
    arr = np.clip(np.asarray(values, dtype="float64"), 0.0, None)
    return 1.0 - np.exp(-arr / scale)


def _fmt(values: pd.Series, decimals: int) -> list[str]:
    """Numbers as '12,345.6' text, formatted in one pass over a plain list (fast)."""
    return [f"{v:,.{decimals}f}" for v in values.astype(float).round(decimals).tolist()]


def generate_candidates(
    establishments: pd.DataFrame,
    supply: pd.DataFrame,
    kb: KnowledgeLike,
    municipalities: pd.DataFrame | None = None,
    challenges: pd.DataFrame | None = None,
    observed_flows: pd.DataFrame | None = None,
    config: ScoringConfig | None = None,
    receiver_fit: ReceiverFit | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Scored candidates (CANDIDATE_COLUMNS), sorted by score desc then candidate_id.
    Bounded: per producer x material the `receivers_per_producer_material` best existing
    receivers and the best start-up option, per receiver x material the
    `producers_per_receiver` best producers; producers are handled in chunks, and
    `df.attrs["pruning"]` counts what was generated, pruned at each bound and kept
    (generated = kept + every pruned count). `progress(done, total)` follows the chunks.
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
    actors = as_object_strings(add_display_columns(establishments))
    actors = actors.drop_duplicates("establishment_id")
    supply = as_object_strings(supply.astype({"establishment_id": str}))
    materials, pathways = as_object_strings(materials), as_object_strings(pathways)
    pp, set_aside = _producer_pathways(supply, actors, pathways, materials)
    if pp.empty:
        out = empty_candidates()
        out.attrs["set_aside"] = set_aside
        return out

    pp["receiver_fit"] = _receiver_fits(pp, receiver_fit)
    receivers = _receiver_pool(actors, set(pp["receiver_nace"]))
    centroids = _centroids(municipalities)
    receiver_municipality = actors.set_index("establishment_id")["municipality_code"]
    producers = np.sort(pp["establishment_id"].unique())
    kept: list[pd.DataFrame] = []
    counts = {"generated": 0, "pruned_per_producer": 0, "pruned_startups": 0}
    pairs_compared = 0
    chunk = max(1, config.producer_chunk)
    for start in range(0, len(producers), chunk):
        ids = set(producers[start : start + chunk])
        part, compared = _chunk_candidates(
            pp[pp["establishment_id"].isin(ids)], receivers, centroids, config
        )
        pairs_compared += compared
        part = _score(part, receiver_municipality, challenges, observed_flows, config)
        counts["generated"] += len(part)
        part, pruned = _bound_per_producer(part, config)
        for key, value in pruned.items():
            counts[key] += value
        kept.append(part)
        if progress is not None:
            progress(min(start + chunk, len(producers)), len(producers))
    cand = pd.concat(kept, ignore_index=True) if kept else empty_candidates()
    before = cand[["producer_id", "material_id"]].drop_duplicates()
    cand, counts["pruned_per_receiver"] = _bound_per_receiver(cand, config)
    after = pd.MultiIndex.from_frame(cand[["producer_id", "material_id"]].drop_duplicates())
    crowded = before[~pd.MultiIndex.from_frame(before).isin(after)]
    set_aside = pd.concat(
        [
            set_aside,
            crowded.rename(columns={"producer_id": "establishment_id"}).assign(
                reason="every receiver within reach has better-placed producers "
                f"(kept: the best {config.producers_per_receiver} per receiver and material)"
            ),
        ],
        ignore_index=True,
    )
    cand = _describe(cand, actors, pathways, materials, supply)
    counts["kept"] = len(cand)
    cand.attrs["set_aside"] = set_aside.reset_index(drop=True)
    cand.attrs["pairs_compared"] = pairs_compared
    cand.attrs["pruning"] = counts
    return cand


def _chunk_candidates(
    pp: pd.DataFrame, receivers: pd.DataFrame, centroids: pd.DataFrame, config: ScoringConfig
) -> tuple[pd.DataFrame, int]:
    """Existing-receiver candidates (k nearest per producer-pathway) and start-up candidates
    (where no receiver of the class is within reach) for one chunk of producers."""
    pp = pp.reset_index(drop=True)
    near = _nearest_receivers(pp, receivers, config)
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
    return pd.concat([existing, startup], ignore_index=True), int(
        near.attrs.get("pairs_compared", 0)
    )


def _ranked(cand: pd.DataFrame, keys: list[str]) -> pd.Series:
    """0-based rank of each candidate within its `keys` group, best score first (ties: ids)."""
    ties = ["producer_id", "pathway_id", "receiver_id"]
    order = cand.sort_values(
        [*keys, "score", *ties], ascending=[True] * len(keys) + [False] + [True] * len(ties)
    )
    return order.groupby(keys, sort=False).cumcount().reindex(cand.index)


def _bound_per_producer(
    cand: pd.DataFrame, config: ScoringConfig
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Per producer x material: the k best existing receivers and the best start-up option."""
    if cand.empty:
        return cand, {"pruned_per_producer": 0, "pruned_startups": 0}
    startup = cand["receiver_kind"] == "sector"
    rank = _ranked(cand, ["producer_id", "material_id", "receiver_kind"])
    keep_existing = ~startup & (rank < config.receivers_per_producer_material)
    keep_startup = startup & (rank < 1)
    pruned = {
        "pruned_per_producer": int((~startup & ~keep_existing).sum()),
        "pruned_startups": int((startup & ~keep_startup).sum()),
    }
    return cand[keep_existing | keep_startup], pruned


def _bound_per_receiver(cand: pd.DataFrame, config: ScoringConfig) -> tuple[pd.DataFrame, int]:
    """Per receiver x material: the best producers only (a receiver can take so much)."""
    if cand.empty:
        return cand, 0
    rank = _ranked(cand, ["receiver_id", "material_id"])
    keep = rank < config.producers_per_receiver
    return cand[keep], int((~keep).sum())


def _receiver_fits(pp: pd.DataFrame, receiver_fit: ReceiverFit | None) -> np.ndarray:
    """Per producer-pathway row, how well its receiving class fits the stream (0..1)."""
    if receiver_fit is None:
        return pp["strength"].astype(float).to_numpy()
    producer = pp["nace_class"].fillna("").astype(str)
    keys = pd.DataFrame({"material_id": pp["material_id"], "nace_class": producer})
    table = [
        (material, nace, receiver, fit)
        for material, nace in keys.drop_duplicates().itertuples(index=False)
        for receiver, fit in receiver_fit(material, nace or None).items()
    ]
    fits = pd.DataFrame(table, columns=["material_id", "nace_class", "receiver_nace", "fit"])
    joined = keys.assign(receiver_nace=pp["receiver_nace"].to_numpy()).merge(
        fits, on=["material_id", "nace_class", "receiver_nace"], how="left"
    )
    return joined["fit"].fillna(0.0).to_numpy(dtype="float64")


def _centroids(municipalities: pd.DataFrame | None) -> pd.DataFrame:
    if municipalities is None or municipalities.empty:
        return pd.DataFrame(columns=["lat", "lon"])
    mun = municipalities.drop_duplicates("municipality_code").set_index("municipality_code")
    return mun[["lat", "lon"]].apply(pd.to_numeric, errors="coerce")


def _score(
    cand: pd.DataFrame,
    receiver_municipality: pd.Series,
    challenges: pd.DataFrame | None,
    observed: pd.DataFrame | None,
    config: ScoringConfig,
) -> pd.DataFrame:
    """Every score component and the combined score, on ids and numbers only (texts come
    after pruning, in _describe, so millions of candidates never carry strings)."""
    weights = config.normalised_weights()
    is_startup = (cand["receiver_kind"] == "sector").to_numpy()
    receiver_mun = cand["receiver_id"].map(receiver_municipality)
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
        pairs = pd.MultiIndex.from_arrays(
            [observed["producer_id"].astype(str), observed["receiver_id"].astype(str)]
        )
        key = pd.MultiIndex.from_arrays([cand["establishment_id"], cand["receiver_id"]])
        novelty = np.where(key.isin(pairs), 0.0, 1.0)
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
    return pd.DataFrame(
        {
            "producer_id": cand["establishment_id"].to_numpy(),
            "material_id": cand["material_id"].to_numpy(),
            "pathway_id": cand["pathway_id"].to_numpy(),
            "receiver_kind": cand["receiver_kind"].to_numpy(),
            "receiver_id": cand["receiver_id"].to_numpy(),
            "receiver_nace": cand["receiver_nace"].to_numpy(),
            "receiver_municipality": receiver_mun.to_numpy(),
            "receiver_lat": cand["receiver_lat"].astype(float).to_numpy(),
            "receiver_lon": cand["receiver_lon"].astype(float).to_numpy(),
            "food_or_feed": cand["food_or_feed"].astype(bool).to_numpy(),
            "supply_tonnes": np.round(tonnes.to_numpy(), 3),
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
        }
    )


def _describe(
    cand: pd.DataFrame,
    actors: pd.DataFrame,
    pathways: pd.DataFrame,
    materials: pd.DataFrame,
    supply: pd.DataFrame,
) -> pd.DataFrame:
    """The kept candidates with their names, addresses, texts and explanation, in
    CANDIDATE_COLUMNS order, best first."""
    if cand.empty:
        return empty_candidates()
    info = actors.set_index("establishment_id")
    producer = info.reindex(cand["producer_id"])
    receiver = info.reindex(cand["receiver_id"])
    texts = pathways.drop_duplicates("pathway_id").set_index("pathway_id")
    texts = texts[
        [
            "receiver_label",
            "use_category",
            "use_description",
            "evidence_type",
            "evidence",
            "caveats",
        ]
    ].reindex(cand["pathway_id"])
    mats = materials.drop_duplicates("material_id").set_index("material_id")
    basis = supply.drop_duplicates(["establishment_id", "material_id"]).set_index(
        ["establishment_id", "material_id"]
    )
    keys = pd.MultiIndex.from_arrays([cand["producer_id"], cand["material_id"]])
    sup = basis.reindex(keys)
    is_startup = (cand["receiver_kind"] == "sector").to_numpy()
    label = pd.Series(texts["receiver_label"].fillna("").to_numpy(), index=cand.index)
    label = label.where(label != "", "NACE " + cand["receiver_nace"])
    receiver_name = pd.Series(receiver["display_name"].to_numpy(), index=cand.index)
    receiver_name = receiver_name.where(~is_startup, "Nieuw bedrijf (start-up): " + label)
    receiver_address = pd.Series(receiver["display_address"].to_numpy(), index=cand.index)
    material_name = pd.Series(
        mats["name_nl"].reindex(cand["material_id"]).to_numpy(), index=cand.index
    ).fillna(cand["material_id"])
    out = cand.assign(
        candidate_id=cand["producer_id"] + "|" + cand["pathway_id"] + "|" + cand["receiver_id"],
        producer_name=producer["display_name"].to_numpy(),
        producer_address=producer["display_address"].to_numpy(),
        producer_nace=producer["nace_class"].to_numpy(),
        producer_municipality=producer["municipality_code"].to_numpy(),
        producer_lat=producer["lat"].astype(float).to_numpy(),
        producer_lon=producer["lon"].astype(float).to_numpy(),
        material_name=material_name,
        hazardous=mats["hazardous"]
        .reindex(cand["material_id"])
        .fillna(False)
        .astype(bool)
        .to_numpy(),
        receiver_name=receiver_name,
        receiver_address=receiver_address.where(~is_startup, "").fillna(""),
        receiver_label=label,
        use_category=texts["use_category"].to_numpy(),
        use_description=texts["use_description"].to_numpy(),
        supply_source=sup["supply_source"].to_numpy(),
        supply_basis=sup["basis"].to_numpy() if "basis" in sup else "",
        evidence_type=texts["evidence_type"].to_numpy(),
        evidence=texts["evidence"].to_numpy(),
        caveats=texts["caveats"].to_numpy(),
    )
    out["explanation"] = _explain(out)
    out = out.sort_values(["score", "candidate_id"], ascending=[False, True])
    return out[list(CANDIDATE_COLUMNS)].reset_index(drop=True)


def _explain(out: pd.DataFrame) -> pd.Series:
    """One readable Dutch sentence per candidate naming the figures behind its score (built in
    one pass over plain lists: millions of rows cost seconds, not minutes)."""
    unemployment = (
        " Banen in een gemeente met bovengemiddelde werkloosheid/uitkeringsafhankelijkheid."
    )
    columns = zip(
        out["material_name"].astype(str).tolist(),
        out["producer_name"].astype(str).tolist(),
        _fmt(out["supply_tonnes"], 1),
        (out["supply_source"] == "lma").tolist(),
        out["receiver_name"].astype(str).tolist(),
        out["use_description"].astype(str).tolist(),
        _fmt(out["distance_km"], 1),
        _fmt(out["economic_value_eur"], 0),
        _fmt(out["co2_avoided_kg"], 0),
        _fmt(out["jobs"], 2),
        _fmt(out["score"], 3),
        _fmt(out["material_fit"], 2),
        _fmt(out["volume_fit"], 2),
        _fmt(out["social"], 2),
        (out["employment_severity"] >= 0.5).tolist(),
        (out["novelty"] < 1).tolist(),
        strict=True,
    )
    sentences = [
        f"{mat[:1].upper()}{mat[1:]} van {prod} ({tonnes} t/jaar, "
        f"{'gemeten (LMA)' if lma else 'geschat'}) naar {rec} voor {use}: {dist} km, ca. EUR "
        f"{eur} per jaar, {co2} kg CO2e vermeden, {jobs} banen. Score {score} (materiaal "
        f"{fit}, volume {vol}, sociaal {soc})."
        f"{unemployment if poor else ''}{' Deze stroom bestaat al (LMA).' if known else ''}"
        for (
            mat,
            prod,
            tonnes,
            lma,
            rec,
            use,
            dist,
            eur,
            co2,
            jobs,
            score,
            fit,
            vol,
            soc,
            poor,
            known,
        ) in columns
    ]
    return pd.Series(sentences, index=out.index, dtype="object")
