"""Business cases: candidates aggregated per pathway (material x receiver use) within the
region, named after the hub municipality (the one receiving most tonnes), ranked, and the best
worked out as cards a municipal officer can act on.

Case score (documented):
    per producer only its best candidate in the case counts (so a producer's tonnes are never
    counted twice);
    case_score = 0.7 * tonnes-weighted mean of those best scores
               + 0.3 * (1 - exp(-matched_tonnes / startup_min_tonnes))
    case_score *= 1 - startup_case_penalty * (share of matched tonnes going to start-ups)
The second term rewards cases that bundle enough volume to be worth organising; the penalty
puts cases with existing receivers (actionable now) ahead of equally scored start-up cases. At most
`max_cases_per_material` uses of one material enter the top list (a stream can feed only so
many uses); the other uses are listed in `alternative_uses`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from regionomie.domain.opportunities.config import ScoringConfig

CASE_COLUMNS: tuple[str, ...] = (
    "case_id",
    "rank",
    "name",
    "material_id",
    "material_name",
    "pathway_id",
    "use_description",
    "receiver_nace",
    "receiver_label",
    "hub_municipality",
    "hub_municipality_name",
    "is_startup",
    "n_producers",
    "n_receivers",
    "supply_tonnes",
    "matched_tonnes",
    "share_estimated",
    "economic_value_eur",
    "co2_avoided_kg",
    "jobs",
    "mean_score",
    "case_score",
    "coalition_id",
    "alternative_uses",
)


def _mun_names(municipalities: pd.DataFrame | None) -> dict[str, str]:
    if municipalities is None or municipalities.empty:
        return {}
    return dict(
        zip(
            municipalities["municipality_code"].astype(str),
            municipalities["name"].astype(str),
            strict=False,
        )
    )


def _lower_first(text: str) -> str:
    """'Oyster mushrooms' -> 'oyster mushrooms', but acronyms stay ('FGD gypsum')."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:] if text else text


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def best_per_producer(candidates: pd.DataFrame) -> pd.DataFrame:
    """One candidate per producer x pathway x hub: the best scored (ties: candidate_id)."""
    keys = candidates[["score", "candidate_id", "producer_id", "pathway_id"]]
    order = keys.reset_index(drop=True).sort_values(
        ["score", "candidate_id"], ascending=[False, True]
    )
    first = order.groupby(["producer_id", "pathway_id"], sort=False).head(1).index
    cand = candidates.iloc[first.to_numpy()]  # one take of the wide frame, of the kept rows
    hub = cand["receiver_municipality"].fillna(cand["producer_municipality"])
    return cand.assign(hub_municipality=hub.fillna("onbekend").astype(str))


def business_cases(
    candidates: pd.DataFrame,
    municipalities: pd.DataFrame | None = None,
    config: ScoringConfig | None = None,
    top: int | None = None,
) -> pd.DataFrame:
    """Top `top` (default config.top_cases) named business cases (CASE_COLUMNS)."""
    config = config or ScoringConfig()
    top = config.top_cases if top is None else top
    if candidates is None or candidates.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in CASE_COLUMNS})
    best = best_per_producer(candidates)
    best = best.assign(
        _w=best["matched_tonnes"].astype(float).clip(lower=1e-6),
        _est=np.where(best["supply_source"] == "estimate", best["supply_tonnes"], 0.0),
        _ws=best["score"].astype(float) * best["matched_tonnes"].astype(float).clip(lower=1e-6),
        _startup=best["receiver_kind"] == "sector",
        _startup_t=np.where(best["receiver_kind"] == "sector", best["matched_tonnes"], 0.0),
    )
    if "coalition_id" not in best:
        best["coalition_id"] = ""
    keys = ["pathway_id"]
    hub_tonnes = (
        best.groupby(["pathway_id", "hub_municipality"], sort=True)["matched_tonnes"]
        .sum()
        .reset_index()
        .sort_values(
            ["pathway_id", "matched_tonnes", "hub_municipality"], ascending=[True, False, True]
        )
    )
    hubs = hub_tonnes.groupby("pathway_id", sort=True).head(1)
    hubs = hubs.set_index("pathway_id")["hub_municipality"]
    grouped = best.groupby(keys, sort=True)
    agg = grouped.agg(
        material_id=("material_id", "first"),
        material_name=("material_name", "first"),
        use_description=("use_description", "first"),
        receiver_nace=("receiver_nace", "first"),
        receiver_label=("receiver_label", "first"),
        is_startup=("_startup", "all"),
        startup_tonnes=("_startup_t", "sum"),
        n_producers=("producer_id", "nunique"),
        supply_tonnes=("supply_tonnes", "sum"),
        matched_tonnes=("matched_tonnes", "sum"),
        estimated_tonnes=("_est", "sum"),
        economic_value_eur=("economic_value_eur", "sum"),
        co2_avoided_kg=("co2_avoided_kg", "sum"),
        jobs=("jobs", "sum"),
        max_score=("score", "max"),
        _w=("_w", "sum"),
        _ws=("_ws", "sum"),
        coalition_id=("coalition_id", lambda s: s.mode().sort_values().iloc[0] if len(s) else ""),
    ).reset_index()
    receivers = (
        best[best["receiver_kind"] == "establishment"].groupby(keys)["receiver_id"].nunique()
    )
    agg = agg.merge(receivers.rename("n_receivers").reset_index(), on=keys, how="left")
    agg["n_receivers"] = agg["n_receivers"].fillna(0).astype(int)
    agg["mean_score"] = agg["_ws"] / agg["_w"]
    volume_term = 1.0 - np.exp(-agg["matched_tonnes"].astype(float) / config.startup_min_tonnes)
    startup_share = agg["startup_tonnes"] / agg["matched_tonnes"].where(agg["matched_tonnes"] > 0)
    startup_share = startup_share.fillna(agg["is_startup"].astype(float))
    penalty = 1.0 - config.startup_case_penalty * startup_share
    agg["case_score"] = ((0.7 * agg["mean_score"] + 0.3 * volume_term) * penalty).round(6)
    agg["share_estimated"] = (
        agg["estimated_tonnes"] / agg["supply_tonnes"].where(agg["supply_tonnes"] > 0)
    ).fillna(0.0)
    names = _mun_names(municipalities)
    agg["hub_municipality"] = agg["pathway_id"].map(hubs)
    agg["hub_municipality_name"] = agg["hub_municipality"].map(lambda c: names.get(c, c))
    startup_tag = np.where(agg["is_startup"], " [start-up / nieuwe afnemer]", "")
    agg["name"] = (
        agg["material_name"].map(_upper_first)
        + " -> "
        + agg["use_description"].map(_lower_first)
        + " ("
        + agg["hub_municipality_name"]
        + ")"
        + startup_tag
    )
    agg["case_id"] = agg["pathway_id"]
    agg = agg.sort_values(["case_score", "case_id"], ascending=[False, True])
    nth_of_material = agg.groupby("material_id", sort=False).cumcount()
    kept = agg[nth_of_material < config.max_cases_per_material]
    dropped = agg[nth_of_material >= config.max_cases_per_material]
    alternatives = dropped.groupby("material_id", sort=False)["use_description"].agg(
        lambda s: "; ".join(s)
    )
    agg = kept.head(top).copy()
    agg["alternative_uses"] = agg["material_id"].map(alternatives).fillna("")
    agg["rank"] = np.arange(1, len(agg) + 1)
    for column in ("supply_tonnes", "matched_tonnes", "economic_value_eur", "co2_avoided_kg"):
        agg[column] = agg[column].astype(float).round(2)
    agg["jobs"] = agg["jobs"].astype(float).round(3)
    agg["mean_score"] = agg["mean_score"].astype(float).round(6)
    agg["share_estimated"] = agg["share_estimated"].astype(float).round(3)
    return agg[list(CASE_COLUMNS)].reset_index(drop=True)


def _case_challenges(
    challenges: pd.DataFrame | None, municipalities: list[str], threshold: float = 0.5
) -> list[dict[str, Any]]:
    """Above-median challenges (severity >= threshold) where the case's jobs and uses land,
    worst first, at most five."""
    if challenges is None or challenges.empty:
        return []
    rows = challenges[
        challenges["municipality_code"].isin(municipalities) & (challenges["severity"] >= threshold)
    ].sort_values(["severity", "municipality_code", "challenge_id"], ascending=[False, True, True])
    return [
        {
            "municipality_code": str(r.municipality_code),
            "challenge_id": str(r.challenge_id),
            "label": str(r.label),
            "value": round(float(r.value), 4),
            "percentile": round(float(r.percentile), 3),
            "severity": round(float(r.severity), 3),
        }
        for r in rows.head(5).itertuples(index=False)
    ]


def _partner(row: pd.Series, role: str, prefix: str) -> dict[str, Any]:
    return {
        "role": role,
        "id": str(row[f"{prefix}_id"]),
        "name": str(row[f"{prefix}_name"]),
        "address": str(row[f"{prefix}_address"]),
        "nace": str(row[f"{prefix}_nace"]),
        "municipality": str(row[f"{prefix}_municipality"]),
    }


def business_case_cards(
    cases: pd.DataFrame,
    candidates: pd.DataFrame,
    challenges: pd.DataFrame | None = None,
    config: ScoringConfig | None = None,
    top: int | None = None,
    max_partners: int = 10,
) -> list[dict[str, Any]]:
    """The top cases worked out: partners (pseudonymised), volume, process, revenue, CO2, jobs,
    challenges addressed, evidence, risks and next steps. JSON-serialisable dicts."""
    config = config or ScoringConfig()
    top = config.top_cards if top is None else top
    if cases is None or cases.empty:
        return []
    best = best_per_producer(candidates)
    cards: list[dict[str, Any]] = []
    for case in cases.head(top).itertuples(index=False):
        members = best[best["pathway_id"] == case.pathway_id].sort_values(
            ["matched_tonnes", "producer_id"], ascending=[False, True]
        )
        n_producers = len(members)
        producers = [
            _partner(r, "leverancier", "producer") for _, r in members.head(max_partners).iterrows()
        ]
        receivers_df = members[members["receiver_kind"] == "establishment"].drop_duplicates(
            "receiver_id"
        )
        receivers = [
            _partner(r, "afnemer", "receiver")
            for _, r in receivers_df.head(max_partners).iterrows()
        ]
        first = members.iloc[0]
        risks = [c for c in str(first["caveats"]).split(";") if c.strip()]
        risks = [c.strip() for c in risks]
        if case.share_estimated > 0.5:
            risks.append(
                "Volumes zijn grotendeels geschat uit sectorgemiddelden: meet eerst bij de "
                "leveranciers."
            )
        if case.is_startup:
            risks.append(
                "Er is in de regio nog geen afnemer van deze klasse: een start-up of een "
                "afnemer van buiten de regio is nodig."
            )
        if bool(first["food_or_feed"]):
            risks.append("Voedsel-/diervoederbestemming: NVWA-eisen en hygiëneprotocol gelden.")
        steps = [
            f"Benader de {min(n_producers, max_partners)} grootste leveranciers en bevestig "
            "hoeveelheden en ophaalfrequentie.",
            (
                "Zoek een initiatiefnemer (start-up, ondernemer of sociale onderneming) voor: "
                + str(case.use_description)
                if case.is_startup
                else "Leg het voorstel voor aan de afnemer(s) en vraag naar kwaliteitseisen."
            ),
            "Regel inzameling (route langs leveranciers) en controleer vergunning/afvalstatus "
            "(einde-afval of bijproduct).",
            "Start een pilot van 3 maanden en meet tonnen, opbrengst en CO2.",
        ]
        cards.append(
            {
                "case_id": str(case.case_id),
                "rank": int(case.rank),
                "name": str(case.name),
                "material": str(case.material_name),
                "process": str(case.use_description),
                "receiver_sector": f"{case.receiver_label} ({case.receiver_nace})",
                "hub_municipality": str(case.hub_municipality_name),
                "volume_tonnes_per_year": float(case.matched_tonnes),
                "supply_tonnes_per_year": float(case.supply_tonnes),
                "share_estimated": float(case.share_estimated),
                "estimated_revenue_eur_per_year": float(case.economic_value_eur),
                "co2_avoided_kg_per_year": float(case.co2_avoided_kg),
                "jobs": float(case.jobs),
                "case_score": float(case.case_score),
                "producers": producers[:max_partners],
                "n_producers": n_producers,
                "receivers": receivers[:max_partners],
                "challenges_addressed": _case_challenges(
                    challenges,
                    [str(case.hub_municipality)]
                    + sorted(set(members["hub_municipality"]) - {case.hub_municipality}),
                ),
                "evidence": f"{first['evidence_type']}: {first['evidence']}".strip(": "),
                "alternative_uses": str(case.alternative_uses),
                "risks": risks,
                "next_steps": steps,
            }
        )
    return cards
