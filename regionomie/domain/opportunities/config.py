"""Scoring and matching parameters, in one dataclass so every number in a ranking is traceable.

Combined score (documented, in [0, 1]):

    score = sum_i w_i * c_i / sum_i w_i        over components c_i in [0, 1]:

    material_fit   pathway strength (0..1) x match quality (4-digit producer match 1.0,
                   2-digit 0.85, LMA-observed producer of another class 0.85; existing
                   receiver 1.0, start-up sector 0.75)
    volume_fit     min(supply, demand) / max(supply, demand), demand = receiver employees x
                   demand_t_per_employee (start-up: startup_min_tonnes, capped at 1 above it)
    proximity      exp(-distance_km / distance_scale_km)
    economic       1 - exp(-max(0, economic_value_eur) / economic_scale_eur)
    climate        1 - exp(-max(0, co2_avoided_kg) / co2_scale_kg)
    social         1 - exp(-social_impact / social_scale), social_impact = jobs x (1 +
                   employment severity) + need_weight x need; jobs = matched tonnes / the
                   receiving sector's tonnes per worker (receiver_sectors.csv, 0 when unknown);
                   need = mean severity (against the Netherlands) of the challenges the case's
                   social mechanism addresses, in the receiver's municipality
    novelty        1, or 0 when the producer -> receiver pair is already an observed flow
    hierarchy      clip((today's rung - the use's rung) / hierarchy_full_gain, 0, 1): the step
                   up the waste hierarchy (waste_hierarchy.yaml); 0 when the stream is already
                   used this well today

Saturating transforms (not min-max over the batch) keep a candidate's score independent of
which other candidates happen to be in the run, so rankings are stable and reproducible.

Transport factors are assumptions of the right order for a small/medium lorry in the
Netherlands (cost ~EUR 0.20 and ~0.12 kg CO2e per tonne-km, laden leg only; compare CE Delft
"STREAM Goederenvervoer" emission factors and TLN/NEA cost figures before relying on them);
they are configurable, not facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

DEFAULT_WEIGHTS: dict[str, float] = {
    "material_fit": 0.20,
    "volume_fit": 0.10,
    "proximity": 0.10,
    "economic": 0.10,
    "climate": 0.10,
    "social": 0.15,
    "novelty": 0.05,
    "hierarchy": 0.20,
}
#: Business cases are ranked on their own components (cases.py), circular and social alike.
DEFAULT_CASE_WEIGHTS: dict[str, float] = {
    "actionability": 0.20,
    "scale": 0.20,
    "environment": 0.20,
    "social": 0.25,
    "economic": 0.15,
}


@dataclass(frozen=True)
class ScoringConfig:
    """All tunables of candidate generation and scoring; defaults documented in the module."""

    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    max_distance_km: float = 25.0  # road distance
    road_factor: float = 1.3  # road km per straight-line km
    k_nearest: int = 5  # receivers kept per producer x pathway
    receivers_per_producer_material: int = 10  # bound: best existing receivers per stream
    producers_per_receiver: int = 25  # bound: best producers per receiver x material
    producer_chunk: int = 5_000  # producers per chunk of candidate generation
    cascade_branching: int = 3  # next steps followed per cascade step (best first)
    transport_cost_eur_per_tkm: float = 0.20
    transport_co2_kg_per_tkm: float = 0.12
    demand_t_per_employee: float = 10.0  # plausible intake of a receiver per employee/year
    startup_min_tonnes: float = 20.0  # a start-up needs this much a year to be viable
    startup_distance_km: float = 5.0  # when no centroid is known for the producer's municipality
    distance_scale_km: float = 15.0
    economic_scale_eur: float = 5_000.0
    co2_scale_kg: float = 5_000.0
    social_scale: float = 0.5
    need_weight: float = 1.0  # job-equivalents a fully severe need of the mechanism is worth
    hierarchy_full_gain: float = 3.0  # rungs up the waste hierarchy that count as the full step
    producer_2digit_quality: float = 0.85
    observed_other_class_quality: float = 0.85  # LMA-observed producer outside pathway classes
    startup_quality: float = 0.75
    default_employees: int = 1  # when KvK gives no employee count
    cascade_decay: float = 0.9  # per extra step
    top_cases: int = 20
    top_cards: int = 5
    startup_case_penalty: float = 0.1  # case score x (1 - 0.1 x start-up share of tonnes)
    max_cases_per_material: int = 1  # the named cases: no material twice (others: alternatives)
    case_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_CASE_WEIGHTS))
    case_scale_tonnes: float = 100.0  # case volume giving 63 % of the scale component
    case_scale_people: float = 20.0  # people reached giving 63 % of the scale component
    case_economic_scale_eur: float = 25_000.0
    case_co2_scale_kg: float = 50_000.0
    case_social_scale: float = 1.0
    evidence_power: float = 0.5  # case score x evidence ** power: weak evidence cannot rank high
    challenge_cite_threshold: float = 0.2  # a case cites a challenge from this severity up
    social_need_threshold: float = 0.3  # a social site only where the need is at least this
    max_social_sites: int = 3  # sites per social mechanism: the municipalities most in need

    def normalised_weights(self) -> dict[str, float]:
        return _normalised(self.weights, DEFAULT_WEIGHTS, "weights")

    def normalised_case_weights(self) -> dict[str, float]:
        return _normalised(self.case_weights, DEFAULT_CASE_WEIGHTS, "case_weights")


def _normalised(weights: dict[str, float], names: dict[str, float], what: str) -> dict[str, float]:
    total = sum(max(0.0, w) for w in weights.values())
    if total <= 0:
        raise ValueError(f"scoring {what}: at least one weight must be positive")
    return {k: max(0.0, weights.get(k, 0.0)) / total for k in names}


def load_scoring_config(path: Path | None) -> ScoringConfig:
    """ScoringConfig from a YAML file (keys = field names, `weights` a mapping); defaults when
    the file is absent. Unknown keys are an error naming the file and key."""
    if path is None or not path.exists():
        return ScoringConfig()
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: expected a mapping of ScoringConfig fields")
    known = {f.name for f in fields(ScoringConfig)}
    unknown = sorted(set(doc) - known)
    if unknown:
        raise ValueError(f"{path}: unknown scoring field {unknown[0]!r}")
    for key, defaults in (("weights", DEFAULT_WEIGHTS), ("case_weights", DEFAULT_CASE_WEIGHTS)):
        if key in doc:
            bad = sorted(set(doc[key]) - set(defaults))
            if bad:
                raise ValueError(f"{path}: field {key}: unknown component {bad[0]!r}")
            doc[key] = {**defaults, **{k: float(v) for k, v in doc[key].items()}}
    return ScoringConfig(**doc)
