"""Regional opportunity engine: supply -> candidates (scored, explained) -> cascades,
coalitions -> business cases and cards. Pure pandas/igraph; no dagster, no neo4j."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from regionomie.domain.challenges import derive_challenges
from regionomie.domain.dutch_context import DutchContext, context_for
from regionomie.domain.knowledge import KnowledgeBase
from regionomie.domain.opportunities.attribution import attributor_for
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
from regionomie.domain.opportunities.common import (
    KnowledgeLike,
    add_display_columns,
    nace_labeler,
)
from regionomie.domain.opportunities.config import ScoringConfig, load_scoring_config
from regionomie.domain.opportunities.network import (
    CASCADE_COLUMNS,
    COALITION_COLUMNS,
    cascades,
    coalitions,
)
from regionomie.domain.opportunities.scoring import ReceiverFit
from regionomie.domain.opportunities.social import SITE_COLUMNS, social_cases, social_sites
from regionomie.domain.opportunities.supply import (
    STREAM_COLUMNS,
    SUPPLY_COLUMNS,
    attributed_streams,
    empty_streams,
    estimate_supply,
    observed_exchanges,
    observed_flows,
    supply_from_streams,
)
from regionomie.domain.suggest import engine_for

__all__ = [
    "CANDIDATE_COLUMNS",
    "CASCADE_COLUMNS",
    "CASE_COLUMNS",
    "COALITION_COLUMNS",
    "STREAM_COLUMNS",
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
    streams: pd.DataFrame = field(default_factory=empty_streams)  # every LMA stream, attributed
    sites: pd.DataFrame = field(  # proposed sites of the social (no-material) cases
        default_factory=lambda: pd.DataFrame(columns=list(SITE_COLUMNS))
    )
    notes: list[str] = field(default_factory=list)  # what the run could not say, and why


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
    context = context_for(kb)
    streams = attributed_streams(
        waste_records, waste_party_links, establishments, attributor_for(kb, context)
    )
    supply = supply_from_streams(est, kb, context, streams, config)
    known = set(est["vestigingsnummer"].astype(str))
    supply = supply[supply["establishment_id"].isin(known)]
    streams = streams[streams["establishment_id"].isin(known) | (streams["establishment_id"] == "")]
    flows = observed_flows(waste_records, waste_party_links)
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
        context=context,
    )
    # Out of attrs before any further work: pandas deep-copies DataFrame.attrs on every
    # operation, and a frame of set-aside rows there made each step copy it again.
    set_aside = cand.attrs.pop("set_aside", pd.DataFrame())
    counts = {key: cand.attrs[key] for key in ("pruning", "pairs_compared") if key in cand.attrs}
    cand, coalition_summary = coalitions(cand)
    cand.attrs = counts
    label = nace_labeler()
    actors = add_display_columns(est)
    sites = social_sites(actors, challenges, municipalities, list(codes or []), context, config)
    social, partners = social_cases(sites, challenges, municipalities, context, config, label)
    cases = business_cases(
        cand,
        municipalities,
        config,
        challenges=challenges,
        context=context,
        social_cases=social,
        sector_label=label,
    )
    in_case = cand["pathway_id"].isin(set(cases["case_id"]))
    cand["case_id"] = cand["pathway_id"].where(in_case, None).astype(object)
    cards = business_case_cards(
        cases,
        cand,
        challenges,
        config,
        municipalities=municipalities,
        social_partners=partners,
        context=context,
    )
    notes = social_notes(context, actors, challenges, cases)
    if est.empty:
        notes = [
            "Geen vestigingen in de gemeenten van deze regio in de geladen gegevens: er zijn "
            "geen business cases (haal de KvK-gegevens van deze gemeenten op)."
        ]
    chains = cascades(cand, kb, est, config, context=context)
    return OpportunityResult(
        supply=supply,
        candidates=cand,
        cases=cases,
        cards=cards,
        cascades=chains,
        coalitions=coalition_summary,
        challenges=challenges,
        set_aside=set_aside,
        streams=streams.reset_index(drop=True),
        sites=sites,
        notes=notes,
    )


def social_notes(
    context: DutchContext, actors: pd.DataFrame, challenges: pd.DataFrame, cases: pd.DataFrame
) -> list[str]:
    """Why the named cases hold no social case, when they hold none (one line each)."""
    if len(cases) and cases["case_kind"].isin(["social", "circular+social"]).any():
        return []
    if challenges is None or challenges.empty:
        return [
            "Geen sociale cases: er zijn geen CBS-indicatoren voor de gemeenten van deze regio, "
            "dus geen maatschappelijke opgave om op te richten."
        ]
    if not (challenges["severity"].astype(float) > 0).any():
        return [
            "Geen sociale cases: de gemeenten van deze regio scoren op geen enkele opgave "
            "slechter dan Nederland."
        ]
    classes = sorted(
        {c for m in context.mechanisms for c in (*m.providers, *m.partners)}
        | {p.rsplit("-", 1)[-1][:4] for m in context.mechanisms for p in m.pathways}
    )
    present = set(actors["nace_class"].astype(str).str.slice(0, 4)) if len(actors) else set()
    if not present & set(classes):
        return [
            "Geen sociale cases: de regio heeft geen vestigingen van de klassen die sociale "
            f"mechanismen nodig hebben ({', '.join(classes)})."
        ]
    return ["Geen sociale cases in de top: circulaire cases scoren hoger in deze regio."]
