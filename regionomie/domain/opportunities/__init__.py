"""Regional opportunity engine: supply -> candidates (scored, explained) -> cascades,
coalitions -> business cases and cards. Pure pandas/igraph; no dagster, no neo4j."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from regionomie.domain.challenges import derive_challenges
from regionomie.domain.knowledge import KnowledgeBase
from regionomie.domain.opportunities.candidates import (
    CANDIDATE_COLUMNS,
    empty_candidates,
    generate_candidates,
)
from regionomie.domain.opportunities.cases import (
    CASE_COLUMNS,
    business_case_cards,
    business_cases,
)
from regionomie.domain.opportunities.common import KnowledgeLike, add_display_columns
from regionomie.domain.opportunities.config import ScoringConfig, load_scoring_config
from regionomie.domain.opportunities.network import (
    CASCADE_COLUMNS,
    COALITION_COLUMNS,
    cascades,
    coalitions,
)
from regionomie.domain.opportunities.scoring import ReceiverFit
from regionomie.domain.opportunities.supply import (
    SUPPLY_COLUMNS,
    estimate_supply,
    observed_exchanges,
    observed_flows,
)
from regionomie.domain.suggest import engine_for

__all__ = [
    "CANDIDATE_COLUMNS",
    "CASCADE_COLUMNS",
    "CASE_COLUMNS",
    "COALITION_COLUMNS",
    "SUPPLY_COLUMNS",
    "KnowledgeLike",
    "OpportunityResult",
    "ScoringConfig",
    "add_display_columns",
    "business_case_cards",
    "business_cases",
    "cascades",
    "coalitions",
    "derive_challenges",
    "empty_candidates",
    "estimate_supply",
    "generate_candidates",
    "load_scoring_config",
    "observed_flows",
    "run_opportunities",
]


@dataclass
class OpportunityResult:
    supply: pd.DataFrame
    candidates: pd.DataFrame
    cases: pd.DataFrame
    cards: list[dict[str, Any]]
    cascades: pd.DataFrame
    coalitions: pd.DataFrame
    challenges: pd.DataFrame
    set_aside: pd.DataFrame = field(default_factory=pd.DataFrame)


def _in_region(df: pd.DataFrame | None, codes: set[str] | None) -> pd.DataFrame | None:
    if df is None or codes is None or "municipality_code" not in df:
        return df
    return df[df["municipality_code"].isin(codes)]


def _receiver_fit(
    kb: KnowledgeLike,
    waste_records: pd.DataFrame | None,
    links: pd.DataFrame | None,
    establishments: pd.DataFrame,
) -> ReceiverFit | None:
    """The suggestion engine's ranking of receiving classes, with the region's LMA flows in
    its prior; None for a knowledge stand-in that is not a KnowledgeBase (then: strength)."""
    if not isinstance(kb, KnowledgeBase):
        return None
    engine = engine_for(kb).with_observed(observed_exchanges(waste_records, links, establishments))
    return engine.material_receiver_fit


def run_opportunities(
    establishments: pd.DataFrame,
    kb: KnowledgeLike,
    waste_records: pd.DataFrame | None = None,
    waste_party_links: pd.DataFrame | None = None,
    municipal_indicators: pd.DataFrame | None = None,
    municipalities: pd.DataFrame | None = None,
    region_codes: list[str] | tuple[str, ...] | None = None,
    config: ScoringConfig | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> OpportunityResult:
    """The whole engine for one region. Challenges are ranked against every municipality in
    `municipal_indicators`; actors are limited to the region's municipalities."""
    config = config or ScoringConfig()
    codes = set(region_codes) if region_codes is not None else None
    est = _in_region(establishments, codes)
    assert est is not None
    challenges = (
        derive_challenges(municipal_indicators, region_codes)
        if municipal_indicators is not None
        else derive_challenges(pd.DataFrame(), None)
    )
    supply = estimate_supply(est, kb, waste_records, waste_party_links, config)
    known = set(est["vestigingsnummer"].astype(str))
    supply = supply[supply["establishment_id"].isin(known)]
    flows = observed_flows(waste_records, waste_party_links, kb)
    cand = generate_candidates(
        est,
        supply,
        kb,
        municipalities,
        challenges,
        flows,
        config,
        receiver_fit=_receiver_fit(kb, waste_records, waste_party_links, establishments),
        progress=(lambda done, total: progress("candidates", done, total)) if progress else None,
    )
    # Out of attrs before any further work: pandas deep-copies DataFrame.attrs on every
    # operation, and a frame of set-aside rows there made each step copy it again.
    set_aside = cand.attrs.pop("set_aside", pd.DataFrame())
    counts = {key: cand.attrs[key] for key in ("pruning", "pairs_compared") if key in cand.attrs}
    cand, coalition_summary = coalitions(cand)
    cand.attrs = counts
    cases = business_cases(cand, municipalities, config)
    in_case = cand["pathway_id"].isin(set(cases["case_id"]))
    cand["case_id"] = cand["pathway_id"].where(in_case, None).astype(object)
    cards = business_case_cards(cases, cand, challenges, config)
    chains = cascades(cand, kb, est, config)
    return OpportunityResult(
        supply=supply,
        candidates=cand,
        cases=cases,
        cards=cards,
        cascades=chains,
        coalitions=coalition_summary,
        challenges=challenges,
        set_aside=set_aside,
    )
