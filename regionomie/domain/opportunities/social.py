"""Social business cases without a material flow: a building or an activity in one place meets
a need in another (social_mechanisms.yaml, kind `social`: vacant space as shared housing for
young and old, a care farm).

Per mechanism, in the municipalities of the region where its challenges are worst compared
with the Netherlands (need >= social_need_threshold, at most max_social_sites), one site is
proposed: the provider of the mechanism's classes
nearest to the municipality's centre (a housing corporation, a farm) paired with the nearest
partner (a care provider), or a new initiative where the partner class can start small and none
is within reach. A site reaches the mechanism's people per site, creates its jobs per site and
turns over its money per site (all cited in the catalogue). The sites of a mechanism form one
case, hub = the municipality with the greatest need; the case is scored on the same components
and weights as the circular cases (cases.py). Pure pandas; no dagster, no neo4j.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from regionomie.domain.dutch_context import DutchContext, SocialMechanism
from regionomie.domain.opportunities.cases import (
    addressed_challenges,
    jobs_range,
    mun_names,
    partner_entry,
    saturate,
)
from regionomie.domain.opportunities.common import haversine_km
from regionomie.domain.opportunities.config import ScoringConfig

SITE_COLUMNS: tuple[str, ...] = (
    "mechanism_id",
    "municipality_code",
    "need",
    "provider_id",
    "provider_name",
    "provider_address",
    "provider_nace",
    "provider_lat",
    "provider_lon",
    "partner_kind",  # establishment | sector (a new initiative)
    "partner_id",
    "partner_name",
    "partner_address",
    "partner_nace",
    "partner_municipality",
    "partner_lat",
    "partner_lon",
    "distance_km",
)


def _need_by_municipality(
    challenges: pd.DataFrame | None, mechanism: SocialMechanism, codes: list[str]
) -> dict[str, float]:
    """Mean severity (against the Netherlands) of the mechanism's challenges per municipality."""
    if challenges is None or challenges.empty:
        return {}
    rows = challenges[
        challenges["municipality_code"].isin(codes)
        & challenges["challenge_id"].isin(mechanism.challenges)
    ]
    if rows.empty:
        return {}
    per = rows.pivot_table(
        index="municipality_code", columns="challenge_id", values="severity", aggfunc="max"
    )
    per = per.reindex(columns=list(mechanism.challenges)).fillna(0.0)
    return {str(k): float(v) for k, v in per.mean(axis=1).items()}


def _of_classes(actors: pd.DataFrame, classes: tuple[str, ...]) -> pd.DataFrame:
    nace = actors["nace_class"].astype(str)
    wanted = nace.str.slice(0, 4).isin([c for c in classes if len(c) == 4]) | nace.str.slice(
        0, 2
    ).isin([c for c in classes if len(c) == 2])
    found = actors[wanted & actors["lat"].notna() & actors["lon"].notna()]
    if "active" in found:
        found = found[found["active"].astype(bool)]
    return found.sort_values("establishment_id")


def social_sites(
    actors: pd.DataFrame,
    challenges: pd.DataFrame | None,
    municipalities: pd.DataFrame | None,
    region_codes: list[str],
    context: DutchContext,
    config: ScoringConfig,
) -> pd.DataFrame:
    """One proposed site per social mechanism and municipality with a need (SITE_COLUMNS)."""
    centres = {}
    if municipalities is not None and not municipalities.empty:
        mun = municipalities.drop_duplicates("municipality_code")
        centres = {
            str(c): (float(la), float(lo))
            for c, la, lo in zip(mun["municipality_code"], mun["lat"], mun["lon"], strict=True)
            if la == la and lo == lo
        }
    rows: list[dict[str, Any]] = []
    for mechanism in context.mechanisms:
        if mechanism.kind != "social":
            continue
        needs = _need_by_municipality(challenges, mechanism, region_codes)
        providers = _of_classes(actors, mechanism.providers)
        partners = _of_classes(actors, mechanism.partners)
        if providers.empty:
            continue
        most_in_need = sorted(
            (c for c, v in needs.items() if v >= config.social_need_threshold and c in centres),
            key=lambda c: (-needs[c], c),
        )[: config.max_social_sites]
        for code in sorted(most_in_need):
            need = needs[code]
            lat, lon = centres[code]
            local = providers[providers["municipality_code"] == code]
            pool = local if len(local) else providers
            d = haversine_km(lat, lon, pool["lat"].to_numpy(), pool["lon"].to_numpy())
            provider = pool.iloc[int(np.lexsort((pool["establishment_id"].to_numpy(), d))[0])]
            row = {
                "mechanism_id": mechanism.mechanism_id,
                "municipality_code": code,
                "need": round(need, 4),
                "provider_id": provider["establishment_id"],
                "provider_name": provider["display_name"],
                "provider_address": provider["display_address"],
                "provider_nace": provider["nace_class"],
                "provider_lat": float(provider["lat"]),
                "provider_lon": float(provider["lon"]),
            }
            partner = _nearest(partners, float(provider["lat"]), float(provider["lon"]), config)
            if partner is not None:
                row.update(partner)
            elif context.receiver(mechanism.partners[0]).startup_feasible:
                row.update(
                    {
                        "partner_kind": "sector",
                        "partner_id": f"sector:{mechanism.partners[0]}:{code}",
                        "partner_name": "Nieuw initiatief",
                        "partner_address": "",
                        "partner_nace": mechanism.partners[0],
                        "partner_municipality": code,
                        "partner_lat": lat,
                        "partner_lon": lon,
                        "distance_km": config.startup_distance_km,
                    }
                )
            else:
                continue
            rows.append(row)
    return pd.DataFrame(rows, columns=list(SITE_COLUMNS))


def _nearest(
    partners: pd.DataFrame, lat: float, lon: float, config: ScoringConfig
) -> dict[str, Any] | None:
    if partners.empty:
        return None
    d = haversine_km(lat, lon, partners["lat"].to_numpy(), partners["lon"].to_numpy())
    d = d * config.road_factor
    i = int(np.lexsort((partners["establishment_id"].to_numpy(), d))[0])
    if d[i] > config.max_distance_km:
        return None
    p = partners.iloc[i]
    return {
        "partner_kind": "establishment",
        "partner_id": p["establishment_id"],
        "partner_name": p["display_name"],
        "partner_address": p["display_address"],
        "partner_nace": p["nace_class"],
        "partner_municipality": p["municipality_code"],
        "partner_lat": float(p["lat"]),
        "partner_lon": float(p["lon"]),
        "distance_km": round(float(d[i]), 2),
    }


def social_cases(
    sites: pd.DataFrame,
    challenges: pd.DataFrame | None,
    municipalities: pd.DataFrame | None,
    context: DutchContext,
    config: ScoringConfig,
    sector_label: Any = None,
) -> tuple[pd.DataFrame, dict[str, dict[str, list[dict[str, Any]]]]]:
    """(cases with the same components as the circular ones, partners per case for cards)."""
    if sites.empty:
        return pd.DataFrame(), {}
    names = mun_names(municipalities)
    mechanisms = {m.mechanism_id: m for m in context.mechanisms}
    rows: list[dict[str, Any]] = []
    partners: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for mechanism_id, group in sites.groupby("mechanism_id", sort=True):
        m = mechanisms[str(mechanism_id)]
        n = len(group)
        hub = str(
            group.sort_values(["need", "municipality_code"], ascending=[False, True]).iloc[0][
                "municipality_code"
            ]
        )
        where = sorted(set(group["municipality_code"]) | set(group["partner_municipality"]))
        keys = addressed_challenges(
            challenges, m.challenges, where, config.challenge_cite_threshold
        )
        need = float(group["need"].mean())
        people = (m.reach.per_site or 0.0) * n
        jobs = (m.jobs_per_site or 0.0) * n
        eur = (m.eur_per_site or 0.0) * n
        existing = group["partner_kind"] == "establishment"
        proximity = float(
            np.exp(-group["distance_km"].astype(float) / config.distance_scale_km).mean()
        )
        label = sector_label(m.partners[0]) if sector_label else m.partners[0]
        case_id = f"social:{mechanism_id}"
        rows.append(
            {
                "case_id": case_id,
                "pathway_id": "",
                "case_kind": "social",
                "mechanism_id": str(mechanism_id),
                "mechanism": m.mechanism_nl,
                "challenges": ";".join(keys),
                "material_id": "",
                "material_name": "",
                "use_category": "",
                "use_description": m.name_nl,
                "receiver_nace": m.partners[0],
                "receiver_label": str(label),
                "hub_municipality": hub,
                "hub_municipality_name": names.get(hub, hub),
                "is_startup": not bool(existing.any()),
                "n_producers": int(group["provider_id"].nunique()),
                "n_receivers": int(group.loc[existing, "partner_id"].nunique()),
                "supply_tonnes": 0.0,
                "matched_tonnes": 0.0,
                "tonnes_basis": "",
                "share_estimated": 0.0,
                "volume_flagged": False,
                "people_reached": round(people, 1),
                "reach_unit": m.reach.unit_nl,
                "current_rung": np.nan,
                "target_rung": np.nan,
                "hierarchy_step": np.nan,
                "already_practised": False,
                "economic_value_eur": round(eur, 2),
                "co2_avoided_kg": 0.0,
                "jobs": int(round(jobs)),
                "jobs_range": jobs_range(jobs),
                "jobs_basis": m.jobs_basis or "onbekend",
                "evidence": round(
                    m.strength * (1.0 if existing.all() else config.startup_quality), 4
                ),
                "actionability": round(0.5 * float(existing.mean()) + 0.5 * proximity, 4),
                "scale": round(1.0 - math.exp(-people / config.case_scale_people), 4),
                "environment": 0.0,
                "social": round(
                    saturate(jobs + config.need_weight * need, config.case_social_scale), 4
                ),
                "economic": round(saturate(eur, config.case_economic_scale_eur), 4),
                "mean_score": np.nan,
                "novel_share": 1.0,
                "coalition_id": "",
                "name": f"{m.name_nl} ({names.get(hub, hub)})",
            }
        )
        partners[case_id] = {
            "providers": [
                partner_entry(r, "aanbieder", "provider", r["municipality_code"])
                for _, r in group.iterrows()
            ],
            "partners": [
                partner_entry(r, "partner", "partner", r["partner_municipality"])
                for _, r in group[existing].drop_duplicates("partner_id").iterrows()
            ],
        }
    return pd.DataFrame(rows), partners
