"""Candidate exchanges: producer establishment x material x receiver, every score component
kept as a column so a ranking can be explained and re-weighted.

Cost stays linear in the number of establishments:
- producers are only compared with receivers of a class named by a pathway for their material,
  through one KD-tree per receiver class: each producer examines its nearest few receivers of
  the class and keeps the k nearest within max_distance_km (road distance);
- where no receiver of the class is within reach, a start-up ("sector") candidate is proposed,
  located at the centroid of the producer's municipality, but only for a class a start-up can
  be (receiver_sectors.csv: a mushroom grower or a repair shop, never a cement kiln, a power
  plant or a pulp mill); otherwise the supply row is set aside with that reason;
- candidates are generated and scored in chunks of producers on ids and numbers only, then
  bounded: per producer x material the `receivers_per_producer_material` best existing
  receivers plus the best start-up option, per receiver x material the
  `producers_per_receiver` best producers. Every pruned candidate is counted
  (`attrs["pruning"]`: generated = kept + pruned at each bound). Names, texts and the
  explanation are attached to the kept candidates only.

Hard rule: a hazardous material is never proposed for a food or feed use.

Each candidate carries its supply stream (afvalstroomnummer or estimate key, the stream's whole
tonnes and the share attributed to this material), today's rung on the waste hierarchy and the
rung the use reaches, the receiving sector's labour ratio, and the social mechanism its
pathway belongs to (social_mechanisms.yaml), if any.

The parts: pairing.py (nearest receivers, start-ups), scoring.py (score components),
describe.py (names, texts, explanation); this module joins supply to pathways, runs the
chunks and applies the bounds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from regionomie.domain.dutch_context import DutchContext, context_for
from regionomie.domain.opportunities.common import (
    KnowledgeLike,
    add_display_columns,
    as_object_strings,
    kb_frames,
    match_nace,
    split_codes,
)
from regionomie.domain.opportunities.config import ScoringConfig
from regionomie.domain.opportunities.describe import describe_candidates
from regionomie.domain.opportunities.pairing import (
    chunk_candidates,
    municipality_centroids,
    receiver_key,
    receiver_pool,
)
from regionomie.domain.opportunities.scoring import ReceiverFit, receiver_fits, score_candidates

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
    "supply_stream_id",
    "stream_tonnes",
    "supply_share",
    "supply_attribution",
    "volume_flag",
    "receiver_demand_tonnes",
    "matched_tonnes",
    "material_fit",
    "pathway_strength",
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
    "jobs_basis",
    "employment_severity",
    "need_severity",
    "social_impact",
    "social",
    "novelty",
    "current_rung",
    "current_basis",
    "target_rung",
    "hierarchy_gain",
    "hierarchy",
    "mechanism_id",
    "case_kind",
    "score",
    "explanation",
    "evidence_type",
    "evidence",
    "caveats",
)


def empty_candidates() -> pd.DataFrame:
    """No candidates: every column, and pruning counts of zero, so callers need no special case."""
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
    "food_or_feed",
    "strength",
)
#: supply columns that travel with each candidate (the rest joins after pruning)
_SUPPLY_CARRIED: tuple[str, ...] = (
    "establishment_id",
    "material_id",
    "tonnes_per_year",
    "supply_source",
    "current_rung",
    "plausible_max_tonnes",
    "volume_flag",
)


def pathway_context(pathways: pd.DataFrame, context: DutchContext) -> pd.DataFrame:
    """Per pathway what the Dutch context adds: the rung its use reaches, the receiving
    sector's labour ratio, whether a start-up can be the receiver, its social mechanism."""
    mechanisms = context.mechanism_of_pathway()
    ids = pathways["pathway_id"].astype(str)
    receivers = [context.receiver(str(n)) for n in pathways["receiver_nace"]]
    return pd.DataFrame(
        {
            "pathway_id": ids.to_numpy(),
            "target_rung": [
                context.hierarchy.target_rung(str(u), str(n), p)
                for u, n, p in zip(
                    pathways["use_category"], pathways["receiver_nace"], ids, strict=True
                )
            ],
            "tonnes_per_worker": [r.tonnes_per_worker for r in receivers],
            "startup_feasible": [r.startup_feasible for r in receivers],
            "mechanism_id": [mechanisms[p].mechanism_id if p in mechanisms else "" for p in ids],
        }
    ).astype({"target_rung": float, "tonnes_per_worker": float})


def _producer_pathways(
    supply: pd.DataFrame,
    actors: pd.DataFrame,
    pathways: pd.DataFrame,
    materials: pd.DataFrame,
    context: DutchContext,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Supply rows joined to their establishment and to every pathway whose producer class
        matches; returns (rows, set_aside): set_aside names each supply row (establishment x
    material) that yields no candidate and why (no coordinates, or no usable pathway)."""
    actor_cols = ["establishment_id", "nace_class", "municipality_code", "lat", "lon"]
    carried = [c for c in _SUPPLY_CARRIED if c in supply.columns]
    sup = supply[carried].merge(actors[actor_cols], on="establishment_id", how="left")
    for column, default in (
        ("current_rung", np.nan),
        ("plausible_max_tonnes", np.nan),
        ("volume_flag", False),
    ):
        if column not in sup:
            sup[column] = default
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
    paths = paths.merge(pathway_context(pathways, context), on="pathway_id", how="left")
    paths = paths[~paths["pathway_id"].isin(list(context.barred_pathways))]  # not allowed here
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
    context: DutchContext | None = None,
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
    context = context or context_for(kb)
    materials, pathways, _ = kb_frames(kb)
    if supply is None or supply.empty or establishments is None or establishments.empty:
        out = empty_candidates()
        out.attrs["set_aside"] = pd.DataFrame(columns=["establishment_id", "material_id", "reason"])
        return out
    actors = as_object_strings(add_display_columns(establishments))
    actors = actors.drop_duplicates("establishment_id")
    supply = as_object_strings(supply.astype({"establishment_id": str}))
    materials, pathways = as_object_strings(materials), as_object_strings(pathways)
    pp, set_aside = _producer_pathways(supply, actors, pathways, materials, context)
    if pp.empty:
        out = empty_candidates()
        out.attrs["set_aside"] = set_aside
        return out

    pp["receiver_fit"] = receiver_fits(pp, receiver_fit)
    pp["receiver_key"] = receiver_key(
        pp["receiver_nace"], pp["pathway_id"], context.receiver_filters
    ).to_numpy(dtype=object)
    receivers = receiver_pool(actors, set(pp["receiver_key"]), context.receiver_filters)
    centroids = municipality_centroids(municipalities)
    producers = np.sort(pp["establishment_id"].unique())
    needs = {m.mechanism_id: m.challenges for m in context.mechanisms}
    kept: list[pd.DataFrame] = []
    unplaced: list[pd.DataFrame] = []
    counts = {"generated": 0, "pruned_per_producer": 0, "pruned_startups": 0}
    pairs_compared = 0
    chunk = max(1, config.producer_chunk)
    for start in range(0, len(producers), chunk):
        ids = set(producers[start : start + chunk])
        part, compared, no_receiver = chunk_candidates(
            pp[pp["establishment_id"].isin(ids)], receivers, centroids, config
        )
        pairs_compared += compared
        unplaced.append(no_receiver)
        part = score_candidates(part, challenges, observed_flows, config, needs)
        counts["generated"] += len(part)
        part, pruned = _bound_per_producer(part, config)
        for key, value in pruned.items():
            counts[key] += value
        kept.append(part)
        if progress is not None:
            progress(min(start + chunk, len(producers)), len(producers))
    cand = pd.concat(kept, ignore_index=True) if kept else empty_candidates()
    generated = pd.MultiIndex.from_frame(cand[["producer_id", "material_id"]].drop_duplicates())
    no_receiver = pd.concat(unplaced, ignore_index=True).drop_duplicates(
        ["establishment_id", "material_id"]
    )
    no_receiver = no_receiver[
        ~pd.MultiIndex.from_frame(no_receiver[["establishment_id", "material_id"]]).isin(generated)
    ]
    set_aside = pd.concat(
        [
            set_aside,
            no_receiver[["establishment_id", "material_id"]].assign(
                reason="no receiver of a class that can use it within reach "
                + f"({config.max_distance_km:g} km by road), and none a start-up can be "
                + "(classes: "
                + no_receiver["classes"]
                + ")"
            ),
        ],
        ignore_index=True,
    )
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
    if cand.empty:
        cand = empty_candidates()
    else:
        cand = describe_candidates(cand, actors, pathways, materials, supply, context)
        cand = cand[list(CANDIDATE_COLUMNS)].reset_index(drop=True)
        # Worked on as object strings (fast takes); handed on as pandas' own str dtype.
        ids = [c for c in cand.columns if cand[c].dtype == object and c != "explanation"]
        cand = cand.astype(dict.fromkeys(ids, "str"))
    counts["kept"] = len(cand)
    cand.attrs["set_aside"] = set_aside.reset_index(drop=True)
    cand.attrs["pairs_compared"] = pairs_compared
    cand.attrs["pruning"] = counts
    return cand


def _ranked(cand: pd.DataFrame, keys: list[str]) -> pd.Series:
    """0-based rank of each candidate within its `keys` group, best score first (ties: ids)."""
    ties = [t for t in ("producer_id", "pathway_id", "receiver_id") if t not in keys]
    # One stable lexsort on integer codes (value order) instead of sorting strings.
    group = [pd.factorize(cand[k], sort=True)[0] for k in keys]
    score = -cand["score"].to_numpy(dtype="float64")  # best first; NaN last
    tie = [pd.factorize(cand[t], sort=True)[0] for t in ties]
    order = np.lexsort([*reversed(tie), score, *reversed(group)])
    in_order = np.column_stack([g[order] for g in group])
    new_group = np.r_[True, (in_order[1:] != in_order[:-1]).any(axis=1)]
    starts = np.flatnonzero(new_group)
    sizes = np.diff(np.r_[starts, len(order)])
    rank = np.empty(len(order), dtype="int64")
    rank[order] = np.arange(len(order)) - np.repeat(starts, sizes)
    return pd.Series(rank, index=cand.index)


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
