"""Cascades (multi-step chains) and coalitions (communities of actors) over candidates.

Cascades: a step-1 candidate A -> B (pathway p1, material m1) continues only when B's use of
m1 leaves a residue (data/knowledge/cascade_links.csv: a mushroom farm on coffee grounds leaves
spent substrate, a digester leaves digestate; a feed mill leaves nothing of the spent grain),
through a pathway p2 of that residue, and again to p3: chains of at most three steps, no
pathway or material repeated, so every step follows from the one before. Each later step goes
to the nearest existing establishment of the next receiver class (or a start-up sector where
one can start). Documented score:
    cascade_score = score(step 1) * prod(strength(p_i), i >= 2) * cascade_decay ** (steps - 1)
tonnes(step i+1) = tonnes(step i) * the residue's share (cascade_links.csv). Each step follows
only the cascade_branching strongest next pathways (a beam), so the work grows linearly with
the starts.

Coalitions: actors are nodes, candidate edges weighted by score (summed per actor pair);
Louvain communities (igraph) with a fixed seed on a graph built in sorted order, so ids are
stable.
"""

from __future__ import annotations

import random
from typing import Any

import igraph as ig
import numpy as np
import pandas as pd

from regionomie.domain.dutch_context import DutchContext, context_for
from regionomie.domain.opportunities.common import (
    KnowledgeLike,
    add_display_columns,
    haversine_km,
    kb_frames,
)
from regionomie.domain.opportunities.config import ScoringConfig

CASCADE_COLUMNS: tuple[str, ...] = (
    "cascade_id",
    "steps",
    "chain",
    "pathway_ids",
    "actors",
    "tonnes_first_step",
    "co2_avoided_kg",
    "economic_value_eur",
    "cascade_score",
)


def _pathways_by_material(pathways: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """material -> its pathways, strongest first (plain dicts: the beam reads them often)."""
    table: dict[str, list[dict[str, Any]]] = {}
    for row in pathways.to_dict("records"):
        table.setdefault(str(row["material_id"]), []).append(row)
    for rows in table.values():
        rows.sort(key=lambda r: (-float(r["strength"]), str(r["pathway_id"])))
    return table


def cascades(
    candidates: pd.DataFrame,
    kb: KnowledgeLike,
    establishments: pd.DataFrame,
    config: ScoringConfig | None = None,
    max_steps: int = 3,
    top_starts: int = 200,
    context: DutchContext | None = None,
) -> pd.DataFrame:
    """Scored chains of 2..max_steps steps starting from the `top_starts` best candidates."""
    config = config or ScoringConfig()
    context = context or context_for(kb)
    if candidates is None or candidates.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in CASCADE_COLUMNS})
    materials, pathways, _ = kb_frames(kb)
    mats = materials.set_index("material_id")
    hazardous = mats["hazardous"].to_dict()
    names = mats["name_nl"].to_dict() if "name_nl" in mats else {}
    by_material = _pathways_by_material(pathways)
    actors = add_display_columns(establishments)
    actors = actors[actors["lat"].notna() & actors["lon"].notna()]
    by_class = {cls: grp for cls, grp in actors.groupby("nace_class", sort=True)}

    def nearest(cls: str, lat: float, lon: float) -> tuple[str, str, float, float, float]:
        grp = by_class.get(cls)
        if grp is None or grp.empty:
            return f"sector:{cls}", f"Nieuw bedrijf (start-up) NACE {cls}", lat, lon, 1.0
        d = haversine_km(lat, lon, grp["lat"].to_numpy(), grp["lon"].to_numpy())
        order = np.lexsort((grp["establishment_id"].to_numpy(), d))
        i = int(order[0])
        row = grp.iloc[i]
        return (
            str(row["establishment_id"]),
            str(row["display_name"]),
            float(row["lat"]),
            float(row["lon"]),
            float(d[i]) * config.road_factor,
        )

    # Order on the key columns only, then take the few start rows of the wide frame.
    keys = candidates[["score", "candidate_id", "pathway_id", "receiver_id"]]
    order = keys.reset_index(drop=True).sort_values(
        ["score", "candidate_id"], ascending=[False, True]
    )
    first = order.drop_duplicates(["pathway_id", "receiver_id"]).head(top_starts).index
    starts = candidates.iloc[first.to_numpy()]
    rows: list[dict[str, object]] = []
    pruned = 0
    for start in starts.itertuples(index=False):
        frontier = [
            (
                [str(start.pathway_id)],
                [str(start.material_id)],
                [str(start.producer_name), str(start.receiver_name)],
                str(start.receiver_nace),
                float(start.receiver_lat),
                float(start.receiver_lon),
                float(start.matched_tonnes),
                float(start.co2_avoided_kg),
                float(start.economic_value_eur),
                float(start.score),
                [f"{start.material_name} -> {start.use_description}"],
            )
        ]
        for step in range(2, max_steps + 1):
            new_frontier = []
            for path, mat_ids, actor_names, cls, lat, lon, tonnes, co2, eur, sc, text in frontier:
                residue = context.residues.get((mat_ids[-1], cls))
                if residue is None:  # the use leaves nothing (feed is eaten): the chain ends
                    continue
                residue_id, residue_share, _ = residue
                options = [
                    p
                    for p in by_material.get(residue_id, [])
                    if str(p["pathway_id"]) not in path
                    and str(p["material_id"]) not in mat_ids
                    and not (
                        bool(hazardous.get(str(p["material_id"]), False)) and p["food_or_feed"]
                    )
                    and (
                        str(p["receiver_nace"]) in by_class
                        or context.receiver(str(p["receiver_nace"])).startup_feasible
                    )
                ]
                # Beam: only the strongest continuations of each step (cost stays linear).
                pruned += max(0, len(options) - config.cascade_branching)
                for p in options[: config.cascade_branching]:
                    pid, mid = str(p["pathway_id"]), str(p["material_id"])
                    rid, rname, rlat, rlon, dist = nearest(str(p["receiver_nace"]), lat, lon)
                    t = tonnes * residue_share
                    tkm = t * dist
                    step_co2 = t * float(p["co2_avoided_kg_per_tonne"]) - (
                        tkm * config.transport_co2_kg_per_tkm
                    )
                    step_eur = t * float(p["value_eur_per_tonne"]) - (
                        tkm * config.transport_cost_eur_per_tkm
                    )
                    new_sc = sc * float(p["strength"]) * config.cascade_decay
                    label = f"{names.get(mid, mid)} -> {p['use_description']}"
                    item = (
                        path + [pid],
                        mat_ids + [mid],
                        actor_names + [rname],
                        str(p["receiver_nace"]),
                        rlat,
                        rlon,
                        t,
                        co2 + step_co2,
                        eur + step_eur,
                        new_sc,
                        text + [label],
                    )
                    new_frontier.append(item)
                    rows.append(
                        {
                            "steps": step,
                            "chain": " => ".join(item[10]),
                            "pathway_ids": ";".join(item[0]),
                            "actors": " -> ".join(item[2]),
                            "tonnes_first_step": round(float(start.matched_tonnes), 3),
                            "co2_avoided_kg": round(item[7], 2),
                            "economic_value_eur": round(item[8], 2),
                            "cascade_score": round(new_sc, 6),
                            "_start": str(start.candidate_id),
                        }
                    )
            frontier = new_frontier
            if not frontier:
                break
    if not rows:
        empty = pd.DataFrame({c: pd.Series(dtype="object") for c in CASCADE_COLUMNS})
        empty.attrs["pruned_continuations"] = pruned
        return empty
    out = pd.DataFrame(rows).sort_values(
        ["cascade_score", "_start", "pathway_ids"], ascending=[False, True, True]
    )
    out["cascade_id"] = out["_start"] + "#" + out["pathway_ids"].str.replace(";", ">", regex=False)
    out = out[list(CASCADE_COLUMNS)].reset_index(drop=True)
    out.attrs["pruned_continuations"] = pruned
    return out


COALITION_COLUMNS: tuple[str, ...] = (
    "coalition_id",
    "n_actors",
    "n_producers",
    "n_receivers",
    "n_candidates",
    "materials",
    "municipalities",
    "matched_tonnes",
    "mean_score",
    "lead_actor",
)


def louvain(edges: pd.DataFrame, seed: int) -> list[set[str]]:
    """Louvain communities (igraph's multilevel method, in C: a region's producers in a
    second) of the actor graph with `edges` (producer_id, receiver_id, score); the same
    edges and seed always give the same communities (vertices in sorted order, a seeded
    generator lent to igraph for this call only)."""
    nodes = sorted(set(edges["producer_id"]) | set(edges["receiver_id"]))
    index = {node: i for i, node in enumerate(nodes)}
    graph = ig.Graph(
        n=len(nodes),
        edges=list(
            zip(edges["producer_id"].map(index), edges["receiver_id"].map(index), strict=True)
        ),
    )
    graph.es["weight"] = edges["score"].astype(float).tolist()
    ig.set_random_number_generator(random.Random(seed))
    try:
        parts = graph.community_multilevel(weights="weight")
    finally:
        ig.set_random_number_generator(random)
    return [{nodes[i] for i in members} for members in parts]


def coalitions(
    candidates: pd.DataFrame, seed: int = 42, min_score: float = 0.0, edges_per_producer: int = 3
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(candidates with coalition_id, coalition summaries). Communities (Louvain, fixed seed)
    over each producer's `edges_per_producer` strongest candidate links, so the graph grows
    with the producers, not with every candidate. Coalition ids C001.. ordered by total edge
    weight desc, then smallest actor id."""
    if candidates.empty:
        cand = candidates.assign(coalition_id=pd.Series(dtype="object"))
        return cand, pd.DataFrame({c: pd.Series(dtype="object") for c in COALITION_COLUMNS})
    slim = candidates[["producer_id", "receiver_id", "score", "candidate_id"]]
    used = slim[(slim["score"] >= min_score) & (slim["producer_id"] != slim["receiver_id"])]
    used = used.sort_values(["producer_id", "score", "candidate_id"], ascending=[True, False, True])
    used = used.groupby("producer_id", sort=False).head(edges_per_producer)
    edges = used.groupby(["producer_id", "receiver_id"], sort=True)["score"].sum().reset_index()
    communities = louvain(edges, seed)
    member_of = {node: i for i, members in enumerate(communities) for node in members}
    inside = edges[edges["producer_id"].map(member_of) == edges["receiver_id"].map(member_of)]
    weight = inside.groupby(inside["producer_id"].map(member_of))["score"].sum()
    ranked = sorted(
        (sorted(c) for c in communities),
        key=lambda members: (-round(float(weight.get(member_of[members[0]], 0.0)), 9), members[0]),
    )
    node_to_id = {node: f"C{i + 1:03d}" for i, members in enumerate(ranked) for node in members}
    cand = candidates.assign(coalition_id=candidates["producer_id"].map(node_to_id).fillna(""))
    strength: dict[str, float] = {}
    for column in ("producer_id", "receiver_id"):
        for node, value in inside.groupby(column)["score"].sum().items():
            strength[node] = strength.get(node, 0.0) + float(value)
    summaries = []
    names: dict[str, str] = {}
    for role in ("producer", "receiver"):  # the last name seen per id, receivers' last
        ids = cand[[f"{role}_id", f"{role}_name"]].drop_duplicates(f"{role}_id", keep="last")
        names.update(zip(ids[f"{role}_id"], ids[f"{role}_name"], strict=True))
    summed = ["coalition_id", "producer_id", "receiver_id", "material_name"]
    summed += ["producer_municipality", "matched_tonnes", "score"]
    by_coalition = dict(iter(cand[summed].groupby("coalition_id", sort=False)))
    for i, members in enumerate(ranked):
        cid = f"C{i + 1:03d}"
        sub = by_coalition.get(cid)
        if sub is None or sub.empty:
            continue
        degree = sorted(
            ((m, round(strength.get(m, 0.0), 9)) for m in members), key=lambda kv: (-kv[1], kv[0])
        )
        summaries.append(
            {
                "coalition_id": cid,
                "n_actors": len(members),
                "n_producers": int(sub["producer_id"].nunique()),
                "n_receivers": int(sub["receiver_id"].nunique()),
                "n_candidates": len(sub),
                "materials": ";".join(sorted(sub["material_name"].astype(str).unique())),
                "municipalities": ";".join(
                    sorted(sub["producer_municipality"].dropna().astype(str).unique())
                ),
                "matched_tonnes": round(float(sub["matched_tonnes"].sum()), 3),
                "mean_score": round(float(sub["score"].mean()), 6),
                "lead_actor": names.get(degree[0][0], degree[0][0]) if degree else "",
            }
        )
    return cand, pd.DataFrame(summaries, columns=list(COALITION_COLUMNS))
