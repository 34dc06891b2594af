"""A region's opportunities as graph frames (pure; no database): the best-ranked candidates
as Opportunity nodes linked to their producer, receiver (or receiving sector), residual stream
and the challenges they address (with municipality, value and weight), and the named business
cases as
BusinessCase nodes that INCLUDE them.

Which properties the nodes carry is declared in graph_schema/model.yaml (the full candidate
list, with every score component, lives in the exports). The loader replaces a region's
frames as a whole (`loader.replace_partition`), so a re-run never leaves stale opportunities.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regionomie.graph.frames import GraphFrames, node_frame, rel_frame
from regionomie.graph.model import MODEL

SOURCE = "regionomie-opportunity-engine"
MAX_OPPORTUNITY_NODES = 1000  # per region; the full list lives in the exports
SEVERE = 0.5  # challenges at or above this severity are ADDRESSED by an opportunity
#: challenges an opportunity works on through the jobs it creates where they land
JOB_CHALLENGES: frozenset[str] = frozenset(
    {"unemployment", "social_assistance", "disability_benefits", "low_income",
     "low_average_income"}
)  # fmt: skip


def _columns(frame: pd.DataFrame, label: str) -> dict[str, object]:
    """The frame's columns that are declared properties of the label."""
    return {p: frame[p].to_numpy() for p in MODEL.node(label).properties if p in frame.columns}


def _coalesce(frame: pd.DataFrame, *columns: str) -> pd.Series:
    out = pd.Series(None, index=frame.index, dtype=object)
    for col in reversed(columns):
        if col in frame.columns:
            out = frame[col].astype(object).where(frame[col].notna(), out)
    return out


def _titles(ranked: pd.DataFrame) -> pd.Series:
    """'<material> -> <receiver>', None when either side is unknown."""
    material = _coalesce(ranked, "material_name", "material_id")
    receiver = _coalesce(ranked, "receiver_name", "receiver_label", "receiver_nace")
    known = material.notna() & receiver.notna()
    titles = material.astype(str) + " -> " + receiver.astype(str)
    return titles.where(known, None)


def _severe_challenges(challenges: pd.DataFrame) -> dict[str, list[tuple[str, float, float]]]:
    """Municipality code -> (challenge id, value, severity) of its challenges with severity
    >= SEVERE."""
    if not len(challenges) or "severity" not in challenges.columns:
        return {}
    severe = challenges[challenges["severity"] >= SEVERE]
    by_municipality: dict[str, list[tuple[str, float, float]]] = {}
    for code, challenge_id, value, severity in zip(
        severe["municipality_code"],
        severe["challenge_id"],
        severe["value"],
        severe["severity"],
        strict=True,
    ):
        by_municipality.setdefault(str(code), []).append(
            (str(challenge_id), float(value), float(severity))
        )
    return by_municipality


def addressed_challenges(ranked: pd.DataFrame, challenges: pd.DataFrame) -> list[list[dict]]:
    """Per opportunity, the challenges it addresses, each with its municipality, the
    municipality's indicator value, the severity and a weight 0..1.

    When the engine says which challenges a candidate's case mechanism addresses (the case's
    `challenges`, "GMxxxx:challenge_id" keys) those are used, weighted by severity - and none
    when the mechanism addresses none. Otherwise (a candidate in no named case) only
    the mechanism every candidate has: jobs, in the municipality where they land (the
    receiver's; a start-up's is the producer's), for the challenges jobs work on
    (JOB_CHALLENGES), weighted by severity x min(1, jobs). A residual stream of a company does
    not change household waste or loneliness, so those are never addressed this way."""
    severe = _severe_challenges(challenges)
    lookup = {
        (code, cid): (value, sev) for code, rows in severe.items() for cid, value, sev in rows
    }
    out: list[list[dict]] = []
    keys = _column(ranked, "challenges")
    jobs = pd.to_numeric(_column(ranked, "jobs"), errors="coerce").fillna(0.0)
    where = (
        _column(ranked, "receiver_municipality")
        .where(
            _column(ranked, "receiver_kind") != "sector", _column(ranked, "producer_municipality")
        )
        .fillna(_column(ranked, "producer_municipality"))
    )
    for given, n_jobs, code in zip(keys, jobs, where, strict=True):
        items: list[dict] = []
        if isinstance(given, list | tuple | np.ndarray):  # the case's mechanism decides
            for key in given:
                municipality, _, cid = str(key).partition(":")
                if (municipality, cid) in lookup:
                    value, sev = lookup[(municipality, cid)]
                    items.append({"challenge": cid, "municipality": municipality, "value": value,
                                  "severity": sev, "weight": round(sev, 4),
                                  "basis": "case mechanism"})  # fmt: skip
        elif n_jobs > 0 and code is not None:
            for cid, value, sev in severe.get(str(code), []):
                if cid in JOB_CHALLENGES:
                    items.append({"challenge": cid, "municipality": str(code), "value": value,
                                  "severity": sev, "weight": round(sev * min(1.0, n_jobs), 4),
                                  "basis": "jobs"})  # fmt: skip
        out.append(sorted(items, key=lambda i: (i["challenge"], i["municipality"])))
    return out


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column, or None throughout when the frame lacks it."""
    if name in frame.columns:
        return frame[name].astype(object)
    return pd.Series(None, index=frame.index, dtype=object)


def _links(start: pd.Series, end: pd.Series, prefix: str = "") -> dict[str, object]:
    """start/end columns of the rows whose end is known (end prefixed, e.g. 'nace:')."""
    known = end.notna().to_numpy()
    ends = end.to_numpy()[known]
    return {"start": start.to_numpy()[known], "end": [f"{prefix}{e}" for e in ends]}


def _pairs(starts: pd.Series, ends: list[list[str]], prefix: str = "") -> dict[str, object]:
    """One start/end row per item of each start's list of ends."""
    pairs = [(s, f"{prefix}{e}") for s, items in zip(starts, ends, strict=True) for e in items]
    return {"start": [s for s, _ in pairs], "end": [e for _, e in pairs]}


def opportunity_frames(
    region: str,
    candidates: pd.DataFrame,
    cases: pd.DataFrame,
    challenges: pd.DataFrame,
    *,
    max_nodes: int = MAX_OPPORTUNITY_NODES,
) -> GraphFrames:
    """Opportunity nodes for the best `max_nodes` candidates (by score, then id), ranked 1..n,
    and BusinessCase nodes; node keys are '<region>:<candidate or case id>'."""
    keys = candidates[["score", "candidate_id"]].reset_index(drop=True)
    scores = keys["score"].to_numpy(dtype="float64")
    if len(keys) > max_nodes > 0:  # only rows scoring at least the n-th best can be in the top
        nth = np.partition(np.nan_to_num(scores, nan=-np.inf), len(scores) - max_nodes)
        keys = keys[scores >= nth[len(scores) - max_nodes]]
    best = keys.sort_values(["score", "candidate_id"], ascending=[False, True]).head(max_nodes)
    ranked = candidates.iloc[best.index.to_numpy()].reset_index(drop=True)  # one narrow take
    ranked = ranked.assign(rank=range(1, len(ranked) + 1))
    keys = region + ":" + ranked["candidate_id"].astype(str)
    case_keys = {
        str(case): [k for k in str(keys).split(";") if ":" in k]
        for case, keys in zip(_column(cases, "case_id"), _column(cases, "challenges"), strict=True)
        if isinstance(keys, str)
    }
    if case_keys and "case_id" in ranked.columns and "challenges" not in ranked.columns:
        ranked = ranked.assign(
            challenges=[
                case_keys.get(str(c)) if isinstance(c, str) else None for c in ranked["case_id"]
            ]
        )
    addresses = addressed_challenges(ranked, challenges)
    addressed = [sorted({i["challenge"] for i in items}) for items in addresses]
    opportunities = node_frame(
        "Opportunity",
        {
            **_columns(ranked, "Opportunity"),
            "key": keys.to_numpy(),
            "region": region,
            "title": _titles(ranked).to_numpy(),
            "challenge_ids": addressed,
        },
    )
    relationships = {
        family: rel_frame(family, _links(keys, _column(ranked, column), prefix))
        for family, column, prefix in (
            ("FROM_PRODUCER", "producer_id", ""),
            ("TO_RECEIVER", "receiver_id", ""),
            ("FOR_SECTOR", "receiver_nace", "nace:"),
            ("USES_STREAM", "material_id", ""),
        )
    }
    rows = [(k, i) for k, items in zip(keys, addresses, strict=True) for i in items]
    relationships["ADDRESSES"] = rel_frame(
        "ADDRESSES",
        {
            "start": [k for k, _ in rows],
            "end": [i["challenge"] for _, i in rows],
            **{
                field: [i[field] for _, i in rows]
                for field in ("municipality", "value", "severity", "weight", "basis")
            },
        },
    )
    members: dict[str, list[str]] = {}
    if "case_id" in candidates.columns:
        in_case = candidates[["case_id", "candidate_id"]]
        # a boolean mask, not a list: an empty list would select no columns (open-data mode)
        is_case = np.fromiter(
            (isinstance(c, str) for c in in_case["case_id"].to_numpy(dtype=object)),
            bool,
            len(in_case),
        )
        in_case = in_case.loc[is_case]
        for case_id, ids in in_case.groupby("case_id", sort=False)["candidate_id"]:
            members[str(case_id)] = [str(c) for c in ids.to_numpy(dtype=object)]
    case_ids = _column(cases, "case_id")
    case_keys = region + ":" + case_ids.astype(str)
    case_members = [sorted(members.get(str(c), [])) for c in case_ids]
    business_cases = node_frame(
        "BusinessCase",
        {
            **_columns(cases, "BusinessCase"),
            "key": case_keys.to_numpy(),
            "region": region,
            "candidate_ids": case_members,
        },
    )
    # only the members that became Opportunity nodes (the top max_nodes) can be linked
    written = set(ranked["candidate_id"].astype(str))
    linked = [[m for m in ids if m in written] for ids in case_members]
    relationships["INCLUDES"] = rel_frame("INCLUDES", _pairs(case_keys, linked, region + ":"))
    return GraphFrames(
        nodes={"Opportunity": opportunities, "BusinessCase": business_cases},
        relationships=relationships,
    )
