"""Across the border: a region's residual streams may go to receivers in the next
municipality outside it (within transport reach), flagged with their region, and the
report says how much of the region's supply leaves it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from regionomie import flow
from regionomie.domain import reference
from regionomie.domain.opportunities.demo import demo_kb, synthetic_establishments
from regionomie.domain.regions import get_region

ZEIST = "GM0355"  # next to Soest and Leusden, outside regio Amersfoort, COROP Utrecht
MAASTRICHT = "GM0935"  # far beyond transport reach


def _tables(outside: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    municipalities = reference.load_municipalities()
    region = get_region("regio-amersfoort")
    codes = list(region.municipality_codes) + list(outside)
    mun = municipalities.set_index("municipality_code").loc[codes].reset_index()
    est = synthetic_establishments(6_000, seed=11, bbox=(50.8, 53.5, 3.4, 7.2))
    rng = np.random.default_rng(11)
    pick = rng.integers(0, len(mun), len(est))
    est["municipality_code"] = mun["municipality_code"].to_numpy()[pick]
    est["lat"] = mun["lat"].to_numpy(dtype=float)[pick] + rng.normal(0, 0.01, len(est))
    est["lon"] = mun["lon"].to_numpy(dtype=float)[pick] + rng.normal(0, 0.015, len(est))
    if ZEIST in outside:  # the mushroom growers (who take coffee grounds) sit next door
        zeist = municipalities.set_index("municipality_code").loc[ZEIST]
        growers = est["nace_class"] == "0113"
        est.loc[growers, "municipality_code"] = ZEIST
        est.loc[growers, "lat"] = float(zeist["lat"])
        est.loc[growers, "lon"] = float(zeist["lon"])
    return {"establishments": est, "municipalities": municipalities}


def test_receivers_next_door_are_candidates_flagged_with_their_region():
    region = get_region("regio-amersfoort")
    result = flow.compute_region(region, _tables((ZEIST, MAASTRICHT)), demo_kb(), flow.FlowConfig())
    cand = result.candidates
    assert set(cand["producer_municipality"]) <= set(region.municipality_codes)
    outside = cand[cand["receiver_outside_region"]]
    assert len(outside) > 0
    assert set(outside["receiver_municipality"]) == {ZEIST}  # Maastricht is out of reach
    assert set(outside["receiver_region"]) == {"COROP-gebied Utrecht"}
    inside = cand[~cand["receiver_outside_region"]]
    assert set(inside["receiver_region"]) == {region.label}
    out_tonnes, all_tonnes = flow.supply_leaving(cand)
    assert 0 < out_tonnes < all_tonnes
    note = next(n for n in result.notes if n.startswith("Over de grens"))
    assert f"{round(100 * out_tonnes / all_tonnes)}% van het aanbod" in note


def test_a_region_alone_keeps_its_streams_inside():
    region = get_region("regio-amersfoort")
    result = flow.compute_region(region, _tables(()), demo_kb(), flow.FlowConfig())
    cand = result.candidates
    assert len(cand) > 0 and not cand["receiver_outside_region"].any()
    assert "Over de grens: 0% van het aanbod" in " ".join(result.notes)
