"""Business cases: candidates aggregated per pathway (material x receiving use) and social cases
per mechanism, ranked on one scale, named after the hub municipality, and the best worked out
as cards a municipal officer or a founder can act on.

Case kinds: `circular` (a material pathway), `circular+social` (a pathway run through a social
mechanism: surplus food to the food bank, reuse by a kringloop company, coffee grounds to a
social mushroom farm) and `social` (no material: vacant space as shared housing, a care farm;
social.py). Every case says which municipal challenges it addresses (`challenges`:
GMxxxx:challenge keys, in the municipalities where its effect lands (its receivers', a
start-up's producers'; a social case's sites), only where the municipality is clearly worse
off than the Netherlands) and how (`mechanism`, one Dutch sentence).

Case score (documented; weights `case_weights` in data/scoring.yaml):
    per producer only its best candidate in the case counts (a producer's tonnes never twice);
    evidence       tonnes-weighted mean strength of the pathway (how established the use is,
                   x the producer's match quality; social: the mechanism's strength)
    actionability  0.5 x (1 - share of tonnes going to start-ups) + 0.5 x mean proximity
    scale          1 - exp(-matched tonnes / case_scale_tonnes), or of the people reached /
                   case_scale_people when the case's mechanism counts them (the larger)
    environment    0.5 x tonnes-weighted hierarchy step + 0.5 x (1 - exp(-CO2e / case_co2_scale_kg))
    social         1 - exp(-(jobs x (1 + employment severity) + need_weight x need) /
                   case_social_scale), need = mean severity of the addressed challenges
    economic       1 - exp(-max(0, EUR) / case_economic_scale_eur)
    case_score = evidence ** evidence_power x weighted mean of the other components
                 x (0.5 + 0.5 x share of tonnes not yet exchanged today)
    (evidence gates: a use nobody has shown cannot rank high on volume alone)
A case whose stream is already used at least this well today (most tonnes at or above the
use's rung: fly ash already in cement, concrete already granulate) is no new opportunity: it is
not named (`already_practised`). The named list holds no material twice and no (mechanism,
receiving sector) pair twice; the alternatives go into the kept case as alternative uses.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from regionomie.domain.challenges import EMPLOYMENT_CHALLENGES
from regionomie.domain.dutch_context import DutchContext
from regionomie.domain.opportunities.config import ScoringConfig
from regionomie.domain.opportunities.describe import jobs_words

CASE_COLUMNS: tuple[str, ...] = (
    "case_id",
    "rank",
    "name",
    "case_kind",
    "mechanism_id",
    "mechanism",
    "challenges",
    "material_id",
    "material_name",
    "pathway_id",
    "use_category",
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
    "tonnes_basis",
    "share_estimated",
    "volume_flagged",
    "people_reached",
    "reach_unit",
    "current_rung",
    "target_rung",
    "hierarchy_step",
    "already_practised",
    "economic_value_eur",
    "co2_avoided_kg",
    "jobs",
    "jobs_range",
    "jobs_basis",
    "evidence",
    "actionability",
    "scale",
    "environment",
    "social",
    "economic",
    "mean_score",
    "case_score",
    "coalition_id",
    "alternative_uses",
)


def empty_cases() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in CASE_COLUMNS})


def mun_names(municipalities: pd.DataFrame | None) -> dict[str, str]:
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


def jobs_range(jobs: float) -> str:
    """A range a person would sign: whole jobs, +-40 % around the estimate ('1-3')."""
    if not jobs or jobs != jobs:
        return "0"
    low, high = math.floor(jobs * 0.6), math.ceil(jobs * 1.4)
    return str(high) if low == high else f"{low}-{high}"


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


def addressed_challenges(
    challenges: pd.DataFrame | None,
    challenge_ids: tuple[str, ...],
    municipalities: list[str],
    threshold: float = 0.2,
) -> list[str]:
    """GMxxxx:challenge keys of the given challenges in the given municipalities, only where
    the municipality is clearly worse off than the Netherlands (severity >= threshold, config
    challenge_cite_threshold), worst first."""
    if challenges is None or challenges.empty or not challenge_ids:
        return []
    rows = challenges[
        challenges["municipality_code"].isin(municipalities)
        & challenges["challenge_id"].isin(challenge_ids)
        & (challenges["severity"].astype(float) >= max(threshold, 1e-9))
    ].sort_values(["severity", "municipality_code", "challenge_id"], ascending=[False, True, True])
    return [
        f"{m}:{c}" for m, c in zip(rows["municipality_code"], rows["challenge_id"], strict=True)
    ]


def _need(challenges: pd.DataFrame | None, keys: list[str]) -> float:
    """Mean severity of the addressed challenge keys (0 when none)."""
    if challenges is None or challenges.empty or not keys:
        return 0.0
    index = challenges.set_index(["municipality_code", "challenge_id"])["severity"]
    values = [float(index.get(tuple(k.split(":", 1)), 0.0)) for k in keys]
    return float(np.mean(values)) if values else 0.0


def saturate(value: float, scale: float) -> float:
    return 1.0 - math.exp(-max(0.0, float(value)) / scale)


def circular_mechanism_text(
    material: str, n_producers: int, target: str, now: str, receiver: str
) -> str:
    """One Dutch sentence for a circular case: what moves where and up which rung."""
    leveranciers = "leverancier" if n_producers == 1 else "leveranciers"
    return (
        f"{_upper_first(material)} van {n_producers} {leveranciers} wordt {target} bij "
        f"{_lower_first(receiver)} in plaats van {now}."
    )


def business_cases(
    candidates: pd.DataFrame,
    municipalities: pd.DataFrame | None = None,
    config: ScoringConfig | None = None,
    top: int | None = None,
    challenges: pd.DataFrame | None = None,
    context: DutchContext | None = None,
    social_cases: pd.DataFrame | None = None,
    sector_label: Any = None,
) -> pd.DataFrame:
    """The top `top` (default config.top_cases) named business cases (CASE_COLUMNS): circular
    and circular+social cases from the candidates, social cases from `social_cases`
    (social.py), ranked together."""
    config = config or ScoringConfig()
    top = config.top_cases if top is None else top
    ranked = rank_cases(
        candidates, municipalities, config, challenges, context, social_cases, sector_label
    )
    return name_top(ranked, config, top)


def rank_cases(
    candidates: pd.DataFrame,
    municipalities: pd.DataFrame | None,
    config: ScoringConfig,
    challenges: pd.DataFrame | None,
    context: DutchContext | None,
    social_cases: pd.DataFrame | None,
    sector_label: Any = None,
) -> pd.DataFrame:
    """Every case, scored (CASE_COLUMNS but rank and alternatives), best first."""
    frames = []
    if candidates is not None and not candidates.empty:
        frames.append(
            _material_cases(candidates, municipalities, config, challenges, context, sector_label)
        )
    if social_cases is not None and not social_cases.empty:
        frames.append(social_cases)
    if not frames:
        return empty_cases()
    cases = pd.concat(frames, ignore_index=True)
    weights = config.normalised_case_weights()
    base = sum(weights[k] * cases[k].astype(float) for k in weights)
    gate = cases["evidence"].astype(float).clip(lower=0.0) ** config.evidence_power
    novel = cases["novel_share"].astype(float) if "novel_share" in cases else 1.0
    cases["case_score"] = (gate * base * (0.5 + 0.5 * novel)).round(6)
    return cases.sort_values(["case_score", "case_id"], ascending=[False, True]).reset_index(
        drop=True
    )


def _material_cases(
    candidates: pd.DataFrame,
    municipalities: pd.DataFrame | None,
    config: ScoringConfig,
    challenges: pd.DataFrame | None,
    context: DutchContext | None,
    sector_label: Any,
) -> pd.DataFrame:
    best = best_per_producer(candidates)
    w = best["matched_tonnes"].astype(float).clip(lower=1e-6)
    startup = (best["receiver_kind"] == "sector").to_numpy()
    gain = best["hierarchy_gain"].astype(float) if "hierarchy_gain" in best else np.nan
    best = best.assign(
        _w=w,
        _est=np.where(best["supply_source"] == "estimate", best["supply_tonnes"], 0.0),
        _fit=best["pathway_strength"].astype(float) * w,
        _hier=best["hierarchy"].astype(float) * w,
        _prox=best["proximity"].astype(float) * w,
        _startup=startup,
        _startup_t=np.where(startup, best["matched_tonnes"], 0.0),
        _novel_t=best["novelty"].astype(float) * w,
        _practised_t=np.where(np.asarray(gain <= 0), w, 0.0),
        _flag_t=np.where(best["volume_flag"].astype(bool), w, 0.0),
        _ws=best["score"].astype(float) * w,
        _emp=best["employment_severity"].astype(float) * w,
    )
    if "coalition_id" not in best:
        best["coalition_id"] = ""
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
    agg = (
        best.groupby("pathway_id", sort=True)
        .agg(
            material_id=("material_id", "first"),
            material_name=("material_name", "first"),
            use_category=("use_category", "first"),
            use_description=("use_description", "first"),
            receiver_nace=("receiver_nace", "first"),
            receiver_label=("receiver_label", "first"),
            mechanism_id=("mechanism_id", "first"),
            case_kind=("case_kind", "first"),
            current_rung=("current_rung", "median"),
            target_rung=("target_rung", "first"),
            is_startup=("_startup", "all"),
            startup_tonnes=("_startup_t", "sum"),
            n_producers=("producer_id", "nunique"),
            supply_tonnes=("supply_tonnes", "sum"),
            matched_tonnes=("matched_tonnes", "sum"),
            estimated_tonnes=("_est", "sum"),
            economic_value_eur=("economic_value_eur", "sum"),
            co2_avoided_kg=("co2_avoided_kg", "sum"),
            jobs=("jobs", "sum"),
            jobs_basis=("jobs_basis", "first"),
            sum_w=("_w", "sum"),
            sum_fit=("_fit", "sum"),
            sum_hier=("_hier", "sum"),
            sum_prox=("_prox", "sum"),
            sum_novel=("_novel_t", "sum"),
            sum_practised=("_practised_t", "sum"),
            sum_flag=("_flag_t", "sum"),
            sum_ws=("_ws", "sum"),
            sum_emp=("_emp", "sum"),
            coalition_id=(
                "coalition_id",
                lambda s: s.mode().sort_values().iloc[0] if len(s) else "",
            ),
        )
        .reset_index()
    )
    receivers = (
        best[best["receiver_kind"] == "establishment"]
        .groupby("pathway_id")["receiver_id"]
        .nunique()
    )
    agg = agg.merge(receivers.rename("n_receivers").reset_index(), on="pathway_id", how="left")
    agg["n_receivers"] = agg["n_receivers"].fillna(0).astype(int)
    # Where a case's effect lands: the receivers' municipalities (the jobs at the mushroom
    # farm, the food bank's clients); a start-up is placed in its producers' municipality.
    places = (
        best.assign(_where=best["receiver_municipality"].fillna(best["producer_municipality"]))
        .groupby("pathway_id", sort=True)["_where"]
        .agg(lambda s: sorted(set(s.dropna().astype(str))))
    )
    mechanisms = {m.mechanism_id: m for m in (context.mechanisms if context else ())}
    names = mun_names(municipalities)
    hierarchy = context.hierarchy if context is not None else None
    rows: list[dict[str, Any]] = []
    for case in agg.itertuples(index=False):
        where = list(places.get(case.pathway_id, []))
        mechanism = mechanisms.get(str(case.mechanism_id))
        jobs = float(case.jobs)
        if mechanism is not None:
            keys = addressed_challenges(
                challenges, mechanism.challenges, where, config.challenge_cite_threshold
            )
            text = mechanism.mechanism_nl
        else:
            # a circular case addresses employment only where it creates a whole job
            keys = (
                addressed_challenges(
                    challenges, EMPLOYMENT_CHALLENGES, where, config.challenge_cite_threshold
                )
                if round(jobs) >= 1
                else []
            )
            target = hierarchy.name(_int(case.target_rung)) if hierarchy else "grondstof"
            now = hierarchy.name(_int(case.current_rung)) if hierarchy else "afval"
            label = sector_label(str(case.receiver_nace)) if sector_label else case.receiver_label
            text = circular_mechanism_text(
                str(case.material_name), int(case.n_producers), target, now, str(label)
            )
        need = _need(challenges, keys)
        w = float(case.sum_w)
        startup_share = float(case.startup_tonnes) / max(float(case.matched_tonnes), 1e-9)
        emp = float(case.sum_emp) / w
        social_impact = jobs * (1.0 + emp) + (config.need_weight * need if mechanism else 0.0)
        reach = None
        if mechanism is not None and mechanism.reach.per_tonne:
            reach = float(case.matched_tonnes) * mechanism.reach.per_tonne
        estimated = float(case.estimated_tonnes) / max(float(case.supply_tonnes), 1e-9)
        rows.append(
            {
                "case_id": case.pathway_id,
                "pathway_id": case.pathway_id,
                "case_kind": case.case_kind if mechanism is not None else "circular",
                "mechanism_id": str(case.mechanism_id or ""),
                "mechanism": text,
                "challenges": ";".join(keys),
                "material_id": case.material_id,
                "material_name": case.material_name,
                "use_category": case.use_category,
                "use_description": case.use_description,
                "receiver_nace": case.receiver_nace,
                "receiver_label": case.receiver_label,
                "hub_municipality": hubs.get(case.pathway_id, "onbekend"),
                "is_startup": bool(case.is_startup),
                "n_producers": int(case.n_producers),
                "n_receivers": int(case.n_receivers),
                "supply_tonnes": round(float(case.supply_tonnes), 2),
                "matched_tonnes": round(float(case.matched_tonnes), 2),
                "tonnes_basis": _tonnes_basis(estimated),
                "share_estimated": round(estimated, 3),
                "volume_flagged": float(case.sum_flag) / w > 0.5,
                "people_reached": round(reach, 1) if reach is not None else np.nan,
                "reach_unit": mechanism.reach.unit_nl if mechanism and reach is not None else "",
                "current_rung": case.current_rung,
                "target_rung": case.target_rung,
                "hierarchy_step": (
                    float(case.current_rung) - float(case.target_rung)
                    if pd.notna(case.current_rung) and pd.notna(case.target_rung)
                    else np.nan
                ),
                "already_practised": float(case.sum_practised) / w > 0.5,
                "economic_value_eur": round(float(case.economic_value_eur), 2),
                "co2_avoided_kg": round(float(case.co2_avoided_kg), 2),
                "jobs": int(round(jobs)),
                "jobs_range": jobs_range(jobs),
                "jobs_basis": str(case.jobs_basis),
                "evidence": round(float(case.sum_fit) / w, 4),
                "actionability": round(
                    0.5 * (1.0 - startup_share) + 0.5 * float(case.sum_prox) / w, 4
                ),
                "scale": round(
                    max(
                        saturate(float(case.matched_tonnes), config.case_scale_tonnes),
                        saturate(reach or 0.0, config.case_scale_people),
                    ),
                    4,
                ),
                "environment": round(
                    0.5 * float(case.sum_hier) / w
                    + 0.5 * saturate(float(case.co2_avoided_kg), config.case_co2_scale_kg),
                    4,
                ),
                "social": round(saturate(social_impact, config.case_social_scale), 4),
                "economic": round(
                    saturate(float(case.economic_value_eur), config.case_economic_scale_eur), 4
                ),
                "mean_score": round(float(case.sum_ws) / w, 6),
                "novel_share": float(case.sum_novel) / w,
                "coalition_id": case.coalition_id,
            }
        )
    out = pd.DataFrame(rows)
    out["hub_municipality_name"] = out["hub_municipality"].map(lambda c: names.get(c, c))
    startup_tag = np.where(out["is_startup"], " [start-up / nieuwe afnemer]", "")
    circular = (
        out["material_name"].map(_upper_first) + " -> " + out["use_description"].map(_lower_first)
    )
    mechanism_names = {m.mechanism_id: m.name_nl for m in (context.mechanisms if context else ())}
    social = (
        out["mechanism_id"].map(mechanism_names).fillna("")
        + ": "
        + out["material_name"].map(_lower_first)
    )
    title = np.where(out["case_kind"] == "circular", circular, social)
    out["name"] = title + " (" + out["hub_municipality_name"] + ")" + startup_tag
    return out


def _int(value: Any) -> int | None:
    return int(value) if value is not None and value == value else None


def _tonnes_basis(estimated_share: float) -> str:
    if estimated_share <= 0.0:
        return "gemeten (LMA)"
    if estimated_share >= 1.0:
        return "geschat"
    return f"deels gemeten ({100 * (1 - estimated_share):.0f} % LMA)"


def name_top(cases: pd.DataFrame, config: ScoringConfig, top: int) -> pd.DataFrame:
    """The named list: best first, never a case already practised, no material twice, no
    (mechanism, receiving sector) pair twice; what is left out of a kept case's material or
    pair becomes its alternative uses."""
    if cases.empty:
        return empty_cases()
    candidates = cases[~cases["already_practised"].astype(bool)]
    kept: list[int] = []
    material_of: dict[str, int] = {}
    pair_of: dict[tuple[str, str], int] = {}
    per_material: dict[str, int] = {}
    alternatives: dict[int, list[str]] = {}
    for i, case in candidates.iterrows():
        material = str(case["material_id"] or "")
        mechanism = str(case["mechanism_id"] or case["use_category"] or "")
        pair = (mechanism, str(case["receiver_nace"]))
        if material and per_material.get(material, 0) >= config.max_cases_per_material:
            alternatives.setdefault(material_of[material], []).append(
                _lower_first(str(case["use_description"]))
            )
            continue
        if pair in pair_of:
            alternatives.setdefault(pair_of[pair], []).append(
                f"ook: {_lower_first(str(case['material_name']))}"
            )
            continue
        if len(kept) >= top:
            continue
        kept.append(i)
        if material:
            per_material[material] = per_material.get(material, 0) + 1
            material_of.setdefault(material, i)
        pair_of[pair] = i
    out = cases.loc[kept].copy()
    out["alternative_uses"] = ["; ".join(dict.fromkeys(alternatives.get(i, []))) for i in kept]
    out["rank"] = np.arange(1, len(out) + 1)
    return out[list(CASE_COLUMNS)].reset_index(drop=True)


def partner_entry(
    row: pd.Series, role: str, prefix: str, municipality: Any = None
) -> dict[str, Any]:
    """A card's partner from the `<prefix>_*` columns of a candidate or site (pseudonymised
    names and addresses already)."""
    return {
        "role": role,
        "id": str(row[f"{prefix}_id"]),
        "name": str(row[f"{prefix}_name"]),
        "address": str(row[f"{prefix}_address"]),
        "nace": str(row[f"{prefix}_nace"]),
        "municipality": str(
            row[f"{prefix}_municipality"] if municipality is None else municipality
        ),
    }


def card_challenges(
    challenges: pd.DataFrame | None, keys: str, names: dict[str, str]
) -> list[dict[str, Any]]:
    """The case's addressed challenges with the municipality's value, the Netherlands' value
    and which direction is worse: the "why" of a card, nothing generic."""
    if challenges is None or challenges.empty or not keys:
        return []
    index = challenges.set_index(["municipality_code", "challenge_id"])
    out = []
    for key in keys.split(";"):
        code, challenge = key.split(":", 1)
        if (code, challenge) not in index.index:
            continue
        row = index.loc[(code, challenge)]
        out.append(
            {
                "key": key,
                "municipality_code": code,
                "municipality": names.get(code, code),
                "challenge_id": challenge,
                "label": str(row["label"]),
                "value": _round(row["value"]),
                "national_value": _round(row["national_value"]),
                "reference_basis": str(row.get("reference_basis", "")),
                "worse_when": "hoger" if bool(row["higher_is_worse"]) else "lager",
                "gap": _round(row.get("gap", np.nan), 3),
                "severity": _round(row["severity"], 3),
                "unit": str(row.get("unit", "share")),
                "period": str(row.get("period", "")),
            }
        )
    return out


def _round(value: Any, digits: int = 4) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else round(number, digits)


def business_case_cards(
    cases: pd.DataFrame,
    candidates: pd.DataFrame,
    challenges: pd.DataFrame | None = None,
    config: ScoringConfig | None = None,
    top: int | None = None,
    max_partners: int = 10,
    municipalities: pd.DataFrame | None = None,
    social_partners: dict[str, dict[str, list[dict[str, Any]]]] | None = None,
    context: DutchContext | None = None,
) -> list[dict[str, Any]]:
    """The top cases worked out: partners (pseudonymised), volume (measured or estimated),
    what happens to the stream today and after, revenue, CO2, jobs (whole, with range and
    basis), the challenges its mechanism addresses (value against the Netherlands), evidence,
    risks and next steps. JSON-serialisable dicts."""
    config = config or ScoringConfig()
    top = config.top_cards if top is None else top
    if cases is None or cases.empty:
        return []
    names = mun_names(municipalities)
    best = best_per_producer(candidates) if candidates is not None and len(candidates) else None
    hierarchy = context.hierarchy if context is not None else None
    mechanisms = {m.mechanism_id: m for m in (context.mechanisms if context else ())}
    cards: list[dict[str, Any]] = []
    for case in cases.head(top).itertuples(index=False):
        mechanism = mechanisms.get(str(case.mechanism_id))
        if case.case_kind == "social":
            members = pd.DataFrame()
            partners = (social_partners or {}).get(str(case.case_id), {})
            producers = partners.get("providers", [])[:max_partners]
            receivers = partners.get("partners", [])[:max_partners]
            n_producers = len(partners.get("providers", []))
            first = None
        else:
            assert best is not None
            members = best[best["pathway_id"] == case.pathway_id].sort_values(
                ["matched_tonnes", "producer_id"], ascending=[False, True]
            )
            n_producers = len(members)
            producers = [
                partner_entry(r, "leverancier", "producer")
                for _, r in members.head(max_partners).iterrows()
            ]
            receivers_df = members[members["receiver_kind"] == "establishment"].drop_duplicates(
                "receiver_id"
            )
            receivers = [
                partner_entry(r, "afnemer", "receiver")
                for _, r in receivers_df.head(max_partners).iterrows()
            ]
            first = members.iloc[0]
        risks = _risks(case, first)
        if mechanism is not None:  # what stops such a case in practice, before the figures
            risks = [*mechanism.risks_nl, *risks]
        cards.append(
            {
                "case_id": str(case.case_id),
                "rank": int(case.rank),
                "name": str(case.name),
                "case_kind": str(case.case_kind),
                "mechanism": str(case.mechanism),
                "material": str(case.material_name or ""),
                "process": str(case.use_description or ""),
                "receiver_sector": f"{case.receiver_label} ({case.receiver_nace})",
                "hub_municipality": str(case.hub_municipality_name),
                "volume_tonnes_per_year": float(case.matched_tonnes or 0.0),
                "supply_tonnes_per_year": float(case.supply_tonnes or 0.0),
                "tonnes_basis": str(case.tonnes_basis),
                "share_estimated": float(case.share_estimated or 0.0),
                "volume_flagged": bool(case.volume_flagged),
                "people_reached": None
                if case.people_reached != case.people_reached
                else float(case.people_reached),
                "reach_unit": str(case.reach_unit or ""),
                "today": hierarchy.name(_int(case.current_rung))
                if hierarchy and case.case_kind != "social"
                else "",
                "after": hierarchy.name(_int(case.target_rung))
                if hierarchy and case.case_kind != "social"
                else "",
                "estimated_revenue_eur_per_year": float(case.economic_value_eur or 0.0),
                "co2_avoided_kg_per_year": float(case.co2_avoided_kg or 0.0),
                "jobs": int(case.jobs),
                "jobs_range": str(case.jobs_range),
                "jobs_text": jobs_words(
                    float(case.jobs), not str(case.jobs_basis).startswith("onbekend")
                ),
                "jobs_basis": str(case.jobs_basis),
                "case_score": float(case.case_score),
                "producers": producers,
                "n_producers": n_producers,
                "receivers": receivers,
                "challenges_addressed": card_challenges(challenges, str(case.challenges), names),
                "evidence": (
                    mechanism.evidence
                    if mechanism is not None and first is None
                    else f"{first['evidence_type']}: {first['evidence']}".strip(": ")
                    if first is not None
                    else ""
                ),
                "mechanism_evidence": mechanism.evidence if mechanism is not None else "",
                "alternative_uses": str(case.alternative_uses),
                "risks": risks,
                "mechanism_risks_en": list(mechanism.risks_en) if mechanism is not None else [],
                "next_steps": _next_steps(case, min(n_producers, max_partners)),
            }
        )
    return cards


def _risks(case: Any, first: pd.Series | None) -> list[str]:
    risks = []
    if first is not None:
        risks = [c.strip() for c in str(first["caveats"]).split(";") if c.strip(" -")]
    if float(case.share_estimated or 0.0) > 0.5:
        risks.append(
            "Volumes zijn grotendeels geschat uit sectorgemiddelden: meet eerst bij de "
            "leveranciers."
        )
    if bool(case.volume_flagged):
        risks.append(
            "De gemelde hoeveelheid is groter dan de leveranciers aannemelijk produceren: "
            "controleer de LMA-melding."
        )
    if bool(case.is_startup):
        risks.append(
            "Er is in de regio nog geen afnemer van deze klasse: een start-up of een "
            "afnemer van buiten de regio is nodig."
        )
    if first is not None and bool(first["food_or_feed"]):
        risks.append("Voedsel-/diervoederbestemming: NVWA-eisen en hygiëneprotocol gelden.")
    return risks


def _next_steps(case: Any, n_partners: int) -> list[str]:
    if case.case_kind == "social":
        return [
            f"Breng de {n_partners} betrokken organisaties aan tafel en toets de behoefte in "
            "de gemeente(n) waar de opgave het grootst is.",
            "Zoek een trekker (corporatie, zorgaanbieder, boer of sociale onderneming) en "
            "een locatie.",
            "Regel financiering (Wmo, Participatiewet, fondsen) en de vergunningen.",
            "Start een pilot van een jaar en meet bereik en effect op de opgave.",
        ]
    return [
        f"Benader de {n_partners} grootste leveranciers en bevestig hoeveelheden en "
        "ophaalfrequentie.",
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
