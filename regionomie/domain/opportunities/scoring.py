"""Scoring candidate pairs: every score component (material and volume fit, proximity,
economic, climate, social, novelty, the step up the waste hierarchy) and the weighted score, on
ids and numbers only, so that millions of pairs can be scored and pruned before any text is
attached."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from regionomie.domain.challenges import EMPLOYMENT_CHALLENGES, severity_table
from regionomie.domain.opportunities.config import ScoringConfig

ReceiverFit = Callable[[str, str | None], dict[str, float]]
#: mechanism id -> the challenge ids it addresses (regionomie.domain.dutch_context)
MechanismNeeds = dict[str, tuple[str, ...]]


def receiver_fits(pp: pd.DataFrame, receiver_fit: ReceiverFit | None) -> np.ndarray:
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


def _texts(values: pd.Series) -> pd.Series:
    """Ids and codes as plain Python strings (object dtype): the engine joins, ranks and
    takes millions of these rows, which Arrow-backed strings make slow (as_object_strings)."""
    return pd.Series(values.to_numpy(dtype=object), dtype=object)


def _per_code(codes: np.ndarray, per_distinct: pd.Series, missing: object) -> np.ndarray:
    """Values per row from values per distinct value (pd.factorize codes; -1 = missing): a
    few lookups instead of a hash lookup per row of millions."""
    values = np.asarray(per_distinct.to_numpy())
    if not len(values):
        return np.full(len(codes), missing)
    return np.where(codes >= 0, values[np.clip(codes, 0, None)], missing)


def _saturate(values: pd.Series | np.ndarray, scale: float) -> np.ndarray:
    """0..1 with diminishing returns: a value of `scale` gives 0.63 (negatives give 0)."""
    arr = np.clip(np.asarray(values, dtype="float64"), 0.0, None)
    return 1.0 - np.exp(-arr / scale)


def _need(
    mun_codes: np.ndarray,
    muns: pd.Index,
    mechanism: pd.Series,
    sev: pd.DataFrame,
    needs: MechanismNeeds,
) -> np.ndarray:
    """Per candidate, the mean severity (against the Netherlands) of its mechanism's challenges
    in the receiver's municipality; 0 without a mechanism."""
    out = np.zeros(len(mechanism))
    if not needs or sev.empty:
        return out
    mech_codes, mechs = pd.factorize(mechanism.fillna(""))
    for i, mechanism_id in enumerate(mechs):
        challenges = [c for c in needs.get(str(mechanism_id), ()) if c in sev.columns]
        if not challenges:
            continue
        per_mun = sev[challenges].reindex(muns).fillna(0.0).mean(axis=1).to_numpy()
        rows = mech_codes == i
        codes = mun_codes[rows]
        out[rows] = np.where(codes >= 0, per_mun[np.clip(codes, 0, None)], 0.0)
    return out


def score_candidates(
    cand: pd.DataFrame,
    challenges: pd.DataFrame | None,
    observed: pd.DataFrame | None,
    config: ScoringConfig,
    needs: MechanismNeeds | None = None,
) -> pd.DataFrame:
    """Every score component and the combined score, on ids and numbers only (texts come
    after pruning, in describe.py, so millions of candidates never carry strings). `cand` is
    pairing.chunk_candidates' output (it carries each receiver's municipality, the supply's
    stream, today's rung and the pathway's target rung, labour ratio and mechanism)."""
    weights = config.normalised_weights()
    is_startup = (cand["receiver_kind"] == "sector").to_numpy()
    receiver_mun = cand["receiver_municipality"]

    reported = cand["tonnes_per_year"].astype(float)
    ceiling = cand["plausible_max_tonnes"].astype(float)
    flagged = cand["volume_flag"].fillna(False).astype(bool).to_numpy()
    # A tonnage above what the producer plausibly produces is ranked at the plausible amount.
    tonnes = reported.where(~flagged, np.minimum(reported, ceiling))
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
    # Jobs from the receiving sector's labour ratio (receiver_sectors.csv); unknown stays 0.
    ratio = cand["tonnes_per_worker"].astype(float).to_numpy()
    jobs = np.where(ratio > 0, matched / np.where(ratio > 0, ratio, 1.0), 0.0)

    current = cand["current_rung"].astype(float).to_numpy()
    target = cand["target_rung"].astype(float).to_numpy()
    gain = current - target  # NaN when either is unknown
    hierarchy = np.clip(np.nan_to_num(gain, nan=0.0) / config.hierarchy_full_gain, 0.0, 1.0)

    sev = severity_table(challenges) if challenges is not None else pd.DataFrame()
    emp_cols = [c for c in EMPLOYMENT_CHALLENGES if c in sev.columns]
    emp_by_mun = sev[emp_cols].max(axis=1) if emp_cols else pd.Series(dtype=float)
    mun_codes, muns = pd.factorize(receiver_mun)
    emp_sev = _per_code(mun_codes, emp_by_mun.reindex(muns).astype(float).fillna(0.0), 0.0)
    need = _need(mun_codes, pd.Index(muns), cand["mechanism_id"], sev, needs or {})
    social_impact = jobs * (1.0 + emp_sev) + config.need_weight * need

    if observed is not None and not observed.empty:
        pairs = pd.MultiIndex.from_arrays(
            [observed["producer_id"].astype(str), observed["receiver_id"].astype(str)]
        )
        novelty = np.ones(len(cand))
        # only producers with an observed flow can repeat one: test just their rows
        maybe = np.flatnonzero(cand["establishment_id"].isin(pairs.levels[0]))
        if len(maybe):
            sub = cand.iloc[maybe]
            key = pd.MultiIndex.from_arrays([sub["establishment_id"], sub["receiver_id"]])
            novelty[maybe] = np.where(key.isin(pairs), 0.0, 1.0)
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
        "hierarchy": hierarchy,
    }
    score = sum(weights[name] * np.asarray(values) for name, values in components.items())
    return pd.DataFrame(
        {
            "producer_id": _texts(cand["establishment_id"]),
            "material_id": _texts(cand["material_id"]),
            "pathway_id": _texts(cand["pathway_id"]),
            "receiver_kind": _texts(cand["receiver_kind"]),
            "receiver_id": _texts(cand["receiver_id"]),
            "receiver_nace": _texts(cand["receiver_nace"]),
            "receiver_municipality": _texts(receiver_mun),
            "receiver_lat": cand["receiver_lat"].astype(float).to_numpy(),
            "receiver_lon": cand["receiver_lon"].astype(float).to_numpy(),
            "food_or_feed": cand["food_or_feed"].astype(bool).to_numpy(),
            "mechanism_id": _texts(cand["mechanism_id"].fillna("")),
            "supply_tonnes": np.round(reported.to_numpy(), 3),
            "volume_flag": flagged,
            "receiver_demand_tonnes": np.round(demand, 3),
            "matched_tonnes": np.round(matched, 3),
            "material_fit": np.round(material_fit, 4),
            "pathway_strength": np.round(cand["strength"].astype(float).to_numpy() * quality, 4),
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
            "need_severity": np.round(need, 4),
            "social_impact": np.round(social_impact, 4),
            "social": np.round(components["social"], 4),
            "novelty": novelty,
            "current_rung": current,
            "target_rung": target,
            "hierarchy_gain": gain,
            "hierarchy": np.round(hierarchy, 4),
            "score": np.round(score, 6),
        }
    )
