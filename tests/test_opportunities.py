"""Opportunity engine on small hand-built tables: matching, start-ups, hazard rule, social
weighting, blocking, LMA supply and novelty, pseudonyms, cases, cascades and coalitions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from regionomie.domain.challenges import derive_challenges
from regionomie.domain.dutch_context import (
    ReceiverSector,
    SocialMechanism,
    load_dutch_context,
)
from regionomie.domain.opportunities import (
    ScoringConfig,
    business_case_cards,
    business_cases,
    cascades,
    coalitions,
    estimate_supply,
    generate_candidates,
    load_scoring_config,
    observed_flows,
    run_opportunities,
)
from regionomie.domain.opportunities.demo import demo_kb, synthetic_establishments
from regionomie.domain.regions import RegionsFileError, load_regions
from regionomie.domain.schemas import ESTABLISHMENTS, WASTE_PARTY_LINKS, WASTE_RECORDS

SOLE_NAME = "Jan Pietersen Koffiehuis"


def make_est(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Establishments in the contract; unspecified fields get neutral defaults."""
    defaults: dict[str, Any] = {
        "kvk_nummer": "12345678",
        "trade_name": "Bedrijf",
        "is_sole_proprietor": False,
        "is_main": True,
        "sbi_version": "2008",
        "sbi_other": "",
        "sbi_mapped": True,
        "street": "Stationsplein",
        "house_number": "1",
        "house_number_addition": "",
        "postcode": "3811AA",
        "city": "Amersfoort",
        "municipality_code": "GM0307",
        "employees": 5,
        "start_date": None,
        "end_date": None,
        "active": True,
    }
    out = []
    for i, row in enumerate(rows):
        full = {**defaults, "vestigingsnummer": f"{i + 1:012d}", **row}
        full.setdefault("sbi_main", full["nace_class"])
        out.append(full)
    df = pd.DataFrame(out)
    df["employees"] = df["employees"].astype("Int64")
    return df[list(ESTABLISHMENTS.columns)]


MUNICIPALITIES = pd.DataFrame(
    {
        "municipality_code": ["GM0307", "GM0342", "GM0119"],
        "name": ["Amersfoort", "Soest", "Meppel"],
        "province_code": ["PV26", "PV26", "PV22"],
        "province_name": ["Utrecht", "Utrecht", "Drenthe"],
        "lat": [52.1567, 52.1771, 52.6992],
        "lon": [5.3842, 5.2940, 6.1884],
    }
)


def run(est: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
    kb = demo_kb()
    supply = estimate_supply(est, kb)
    return generate_candidates(est, supply, kb, MUNICIPALITIES, **kwargs)


def test_coffee_grounds_go_to_nearby_mushroom_grower() -> None:
    est = make_est(
        [
            {"nace_class": "5610", "lat": 52.155, "lon": 5.387, "trade_name": "Eetcafe De Hof"},
            {"nace_class": "0113", "lat": 52.170, "lon": 5.400, "trade_name": "Zwammerij Eem"},
            {"nace_class": "0113", "lat": 52.900, "lon": 6.500, "trade_name": "Verre Zwam"},
        ]
    )
    cand = run(est)
    coffee = cand[cand["pathway_id"] == "P-koffie-zwam"]
    assert list(coffee["receiver_kind"]) == ["establishment"]
    assert coffee.iloc[0]["receiver_name"] == "Zwammerij Eem"
    assert 0 < coffee.iloc[0]["distance_km"] < 5
    # road factor applied to the straight-line distance
    assert coffee.iloc[0]["distance_km"] > 1.3 * 1.5
    assert "Koffiedik" in coffee.iloc[0]["explanation"]


def test_coffee_grounds_without_grower_become_startup_opportunity() -> None:
    est = make_est([{"nace_class": "5610", "lat": 52.155, "lon": 5.387}])
    cand = run(est)
    coffee = cand[cand["pathway_id"] == "P-koffie-zwam"]
    assert len(coffee) == 1
    row = coffee.iloc[0]
    assert row["receiver_kind"] == "sector"
    assert row["receiver_nace"] == "0113"
    assert row["receiver_id"].startswith("sector:0113")
    assert row["receiver_name"].startswith("Nieuw bedrijf")


def test_spent_grain_to_feed_and_bakery() -> None:
    est = make_est(
        [
            {"nace_class": "1105", "lat": 52.15, "lon": 5.38, "employees": 10},
            {"nace_class": "1091", "lat": 52.16, "lon": 5.42, "employees": 30},
            {"nace_class": "1071", "lat": 52.14, "lon": 5.37, "employees": 8},
        ]
    )
    cand = run(est)
    grain = cand[cand["material_id"] == "bierbostel"]
    assert set(grain["receiver_nace"]) == {"1091", "1071"}
    assert set(grain["receiver_kind"]) == {"establishment"}
    # 10 employees x 15 t (demo yield) = 150 t/yr estimated
    assert grain["supply_tonnes"].iloc[0] == pytest.approx(150.0)
    assert set(grain["supply_source"]) == {"estimate"}


@pytest.mark.parametrize("flag", [True, "true", "Ja", 1])
def test_nothing_hazardous_is_proposed_for_food_or_feed(flag: Any) -> None:
    kb = demo_kb()
    kb.materials["hazardous"] = kb.materials["hazardous"].astype(object)
    kb.materials.loc[kb.materials["material_id"] == "afgewerkte_olie", "hazardous"] = flag
    est = make_est(
        [
            {"nace_class": "4520", "lat": 52.15, "lon": 5.38, "employees": 20},
            {"nace_class": "1091", "lat": 52.151, "lon": 5.381},
        ]
    )
    supply = estimate_supply(est, kb)
    assert "afgewerkte_olie" in set(supply["material_id"])  # the garage does produce it
    cand = generate_candidates(est, supply, kb, MUNICIPALITIES)
    assert not (cand["hazardous"] & cand["food_or_feed"]).any()
    assert "afgewerkte_olie" not in set(cand["material_id"])


def with_labour_ratio(nace: str, tonnes_per_worker: float) -> Any:
    """The shipped Dutch context with a labour ratio for one receiving class."""
    import dataclasses

    context = load_dutch_context()
    receivers = {**context.receivers, nace: ReceiverSector(nace, tonnes_per_worker, True, "test")}
    return dataclasses.replace(context, receivers=receivers)


def test_high_unemployment_case_outranks_identical_case_elsewhere() -> None:
    # two identical restaurant -> grower pairs, one in Amersfoort, one in Meppel
    est = make_est(
        [
            {"nace_class": "5610", "lat": 52.155, "lon": 5.387, "municipality_code": "GM0307"},
            {"nace_class": "0113", "lat": 52.165, "lon": 5.387, "municipality_code": "GM0307"},
            {"nace_class": "5610", "lat": 52.700, "lon": 6.190, "municipality_code": "GM0119"},
            {"nace_class": "0113", "lat": 52.710, "lon": 6.190, "municipality_code": "GM0119"},
        ]
    )
    rows = []
    for code, ww in (("GM0307", 1500.0), ("GM0119", 300.0), ("GM0342", 800.0)):
        rows.append((code, "inhabitants", 50_000.0))
        rows.append((code, "ww_benefits", ww))
    indicators = pd.DataFrame(rows, columns=["region_code", "indicator", "value"])
    indicators["period"] = "2024"
    challenges = derive_challenges(indicators)
    # jobs come from the receiving sector's labour ratio (1 worker per 0.5 t here)
    cand = run(est, challenges=challenges, context=with_labour_ratio("0113", 0.5))
    coffee = cand[cand["pathway_id"] == "P-koffie-zwam"].set_index("producer_municipality")
    assert coffee.loc["GM0307", "employment_severity"] == pytest.approx(1.0)
    assert coffee.loc["GM0119", "employment_severity"] == pytest.approx(0.0)
    assert coffee.loc["GM0307", "jobs"] > 0
    assert coffee.loc["GM0307", "score"] > coffee.loc["GM0119", "score"]
    # everything but the social component is identical
    for column in ("material_fit", "volume_fit", "economic", "climate"):
        assert coffee.loc["GM0307", column] == pytest.approx(coffee.loc["GM0119", column])


def test_unknown_labour_ratio_gives_no_jobs_and_says_so() -> None:
    est = make_est(
        [
            {"nace_class": "5610", "lat": 52.155, "lon": 5.387},
            {"nace_class": "0113", "lat": 52.165, "lon": 5.387},
        ]
    )
    cand = run(est)
    coffee = cand[cand["pathway_id"] == "P-koffie-zwam"].iloc[0]
    assert coffee["jobs"] == 0.0
    assert coffee["jobs_basis"].startswith("onbekend")
    assert "werkgelegenheid onbekend" in coffee["explanation"]


def test_need_counts_only_for_the_mechanism_of_the_pathway() -> None:
    """A social mechanism adds need_weight x its challenges' severity in the receiver's
    municipality to the social impact of its own pathway's candidates, not to others."""
    import dataclasses

    est = make_est(
        [
            {"nace_class": "1071", "lat": 52.155, "lon": 5.387},
            {"nace_class": "8899", "lat": 52.160, "lon": 5.390},
            {"nace_class": "1091", "lat": 52.158, "lon": 5.392},
        ]
    )
    chall = pd.DataFrame(
        {"municipality_code": ["GM0307"], "challenge_id": ["ageing"], "severity": [0.9]}
    )
    base = load_dutch_context()
    mechanism = dataclasses.replace(
        base.mechanisms[0],
        mechanism_id="test_buurt",
        pathways=("P-brood-buurt",),
        challenges=("ageing",),
    )
    context = dataclasses.replace(base, mechanisms=(mechanism,))
    with_need = run(est, challenges=chall, context=context)
    without = run(est, context=context)
    bread_b = with_need[with_need["pathway_id"] == "P-brood-buurt"].iloc[0]
    bread_0 = without[without["pathway_id"] == "P-brood-buurt"].iloc[0]
    assert bread_b["mechanism_id"] == "test_buurt" and bread_b["case_kind"] == "circular+social"
    assert bread_b["need_severity"] == pytest.approx(0.9)
    assert bread_b["social_impact"] == pytest.approx(bread_0["social_impact"] + 1.0 * 0.9)
    feed = with_need[with_need["pathway_id"] != "P-brood-buurt"]
    assert (feed["need_severity"] == 0).all() and (feed["case_kind"] == "circular").all()
    assert isinstance(mechanism, SocialMechanism)


def test_blocking_keeps_candidate_count_linear_and_bounded() -> None:
    kb = demo_kb()
    config = ScoringConfig(k_nearest=3)
    counts = []
    for n in (5_000, 20_000):
        est = synthetic_establishments(n, seed=1)
        supply = estimate_supply(est, kb, config=config)
        cand = generate_candidates(est, supply, kb, config=config)
        per_producer_path = cand.groupby(["producer_id", "pathway_id"]).size()
        assert per_producer_path.max() <= config.k_nearest
        assert (cand["distance_km"][cand["receiver_kind"] == "establishment"] <= 25.0).all()
        counts.append(len(cand))
    ratio = counts[1] / counts[0]
    assert 3.0 < ratio < 5.0  # 4x establishments -> ~4x candidates, not ~16x


def test_candidates_are_bounded_and_every_pruned_one_is_counted() -> None:
    kb = demo_kb()
    cafes = [{"nace_class": "5610", "lat": 52.155 + i * 1e-3, "lon": 5.387} for i in range(40)]
    growers = [{"nace_class": "0113", "lat": 52.16, "lon": 5.39 + i * 1e-4} for i in range(30)]
    est = make_est(cafes + growers)
    config = ScoringConfig(
        k_nearest=10, receivers_per_producer_material=3, producers_per_receiver=7
    )
    cand = generate_candidates(est, estimate_supply(est, kb, config=config), kb, config=config)
    existing = cand[cand["receiver_kind"] == "establishment"]
    assert existing.groupby(["producer_id", "material_id"]).size().max() <= 3
    assert cand.groupby(["receiver_id", "material_id"]).size().max() <= 7
    startups = cand[cand["receiver_kind"] == "sector"]
    assert startups.groupby(["producer_id", "material_id"]).size().max() <= 1
    pruning = cand.attrs["pruning"]
    assert pruning["pruned_per_producer"] > 0 and pruning["pruned_per_receiver"] > 0
    assert pruning["generated"] == (
        pruning["kept"]
        + pruning["pruned_per_producer"]
        + pruning["pruned_startups"]
        + pruning["pruned_per_receiver"]
    )
    assert pruning["kept"] == len(cand)
    # Per producer x material the bound keeps exactly the best receivers (no receiver bound).
    wide = {"k_nearest": 10, "producers_per_receiver": 1000}
    supply = estimate_supply(est, kb, config=config)
    loose = generate_candidates(
        est, supply, kb, config=ScoringConfig(receivers_per_producer_material=100, **wide)
    )
    tight = generate_candidates(
        est, supply, kb, config=ScoringConfig(receivers_per_producer_material=3, **wide)
    )

    def best3(frame: pd.DataFrame) -> dict[tuple[str, str], set[str]]:
        frame = frame[frame["receiver_kind"] == "establishment"]
        frame = frame.sort_values(["score", "candidate_id"], ascending=[False, True])
        top = frame.groupby(["producer_id", "material_id"]).head(3)
        return top.groupby(["producer_id", "material_id"])["candidate_id"].apply(set).to_dict()

    assert best3(tight) == best3(loose)


def waste_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    recs = []
    for month, kg in ((1, 400.0), (2, 600.0)):
        row = {c: None for c in WASTE_RECORDS.columns}
        row.update(
            extract_type="ontvangst",
            afvalstroomnummer="000000000001",
            eural_code="200108",
            waste_name="Koffiedik",
            period_year=2024,
            period_month=month,
            weight_kg=kg,
        )
        recs.append(row)
    records = pd.DataFrame(recs)
    links = pd.DataFrame(
        [
            ("000000000001", "ontdoener", "3811AA", "1", "000000000001", "address", 1.0),
            ("000000000001", "ontvanger", "3812AA", "2", "000000000002", "address", 1.0),
        ],
        columns=list(WASTE_PARTY_LINKS.columns),
    )
    return records, links


def test_lma_supply_replaces_estimate_and_marks_existing_flow() -> None:
    kb = demo_kb()
    est = make_est(
        [
            {"nace_class": "5610", "lat": 52.155, "lon": 5.387},
            {"nace_class": "0113", "lat": 52.165, "lon": 5.387},
        ]
    )
    records, links = waste_tables()
    supply = estimate_supply(est, kb, records, links)
    coffee = supply[supply["material_id"] == "koffiedik"].iloc[0]
    assert coffee["supply_source"] == "lma"
    assert coffee["tonnes_per_year"] == pytest.approx(1.0)  # 400 + 600 kg in 2024
    oil = supply[supply["material_id"] == "frituurvet"].iloc[0]
    assert oil["supply_source"] == "estimate"
    flows = observed_flows(records, links)
    cand = generate_candidates(est, supply, kb, MUNICIPALITIES, observed_flows=flows)
    row = cand[cand["pathway_id"] == "P-koffie-zwam"].iloc[0]
    assert row["novelty"] == 0.0
    assert "bestaat al" in row["explanation"]


def test_supply_without_coordinates_is_set_aside_not_lost() -> None:
    kb = demo_kb()
    est = make_est(
        [
            {"nace_class": "5610", "lat": 52.155, "lon": 5.387},
            {"nace_class": "5610", "lat": None, "lon": None},
        ]
    )
    supply = estimate_supply(est, kb)
    cand = generate_candidates(est, supply, kb, MUNICIPALITIES)
    set_aside = cand.attrs["set_aside"]
    placed = cand[["producer_id", "material_id"]].drop_duplicates()
    assert len(placed) + len(set_aside) == len(supply)
    no_place = set_aside[set_aside["establishment_id"] == "000000000002"]
    assert len(no_place) == len(supply[supply["establishment_id"] == "000000000002"])
    assert no_place["reason"].str.contains("coordinates").all()
    # the other restaurant is placed, or set aside only for want of a receiver it can reach
    other = set_aside[set_aside["establishment_id"] == "000000000001"]
    assert other["reason"].str.contains("no receiver").all()


def test_sole_proprietor_name_never_in_outputs() -> None:
    est = make_est(
        [
            {
                "nace_class": "5610",
                "lat": 52.155,
                "lon": 5.387,
                "trade_name": SOLE_NAME,
                "is_sole_proprietor": True,
                "postcode": "3811CD",
            },
            {"nace_class": "0113", "lat": 52.165, "lon": 5.387},
        ]
    )
    result = run_opportunities(est, demo_kb(), municipalities=MUNICIPALITIES)
    text = result.candidates.to_csv() + result.cases.to_csv() + repr(result.cards)
    text += result.cascades.to_csv() + result.coalitions.to_csv()
    assert SOLE_NAME not in text
    sole = result.candidates[result.candidates["producer_id"] == "000000000001"]
    assert not sole.empty
    assert set(sole["producer_address"]) == {"3811 Amersfoort"}
    names = set(result.candidates["producer_name"])
    assert any(n.startswith("Eenmanszaak (") and n.endswith(", 3811)") for n in names)


def test_business_cases_are_named_ranked_and_carded() -> None:
    est = make_est(
        [{"nace_class": "5610", "lat": 52.155 + i * 0.001, "lon": 5.387} for i in range(6)]
        + [{"nace_class": "0113", "lat": 52.165, "lon": 5.387}]
        + [{"nace_class": "1105", "lat": 52.15, "lon": 5.38, "employees": 10}]
    )
    result = run_opportunities(est, demo_kb(), municipalities=MUNICIPALITIES)
    cases = result.cases
    assert list(cases["rank"]) == list(range(1, len(cases) + 1))
    assert cases["case_score"].is_monotonic_decreasing
    assert "Koffiedik -> oesterzwammen kweken (Amersfoort)" in set(cases["name"])
    coffee_case = cases[cases["pathway_id"] == "P-koffie-zwam"].iloc[0]
    assert coffee_case["n_producers"] == 6
    assert coffee_case["n_receivers"] == 1
    # tonnes are counted once per producer even though each has several candidates
    assert coffee_case["supply_tonnes"] == pytest.approx(6 * 5 * 0.3)
    cards = business_case_cards(cases, result.candidates, result.challenges)
    assert len(cards) == min(5, len(cases))
    card = cards[0]
    for key in ("producers", "receivers", "risks", "next_steps", "evidence", "jobs"):
        assert key in card
    assert all(p["address"] for p in card["producers"])


def test_case_ranking_rewards_bundled_volume() -> None:
    kb = demo_kb()
    one = make_est(
        [
            {"nace_class": "5610", "lat": 52.155, "lon": 5.387},
            {"nace_class": "0113", "lat": 52.165, "lon": 5.387},
        ]
    )
    many = make_est(
        [{"nace_class": "5610", "lat": 52.155, "lon": 5.387 + i * 1e-3} for i in range(20)]
        + [{"nace_class": "0113", "lat": 52.165, "lon": 5.387}]
    )
    s1 = business_cases(run(one), MUNICIPALITIES)
    s2 = business_cases(run(many), MUNICIPALITIES)
    key = s1["pathway_id"] == "P-koffie-zwam"
    assert (
        s2[s2["pathway_id"] == "P-koffie-zwam"]["case_score"].iloc[0]
        > s1[key]["case_score"].iloc[0]
    )
    assert kb is not None


def test_cascade_coffee_mushroom_compost() -> None:
    est = make_est(
        [
            {"nace_class": "5610", "lat": 52.155, "lon": 5.387},
            {"nace_class": "0113", "lat": 52.165, "lon": 5.387},
            {"nace_class": "0150", "lat": 52.175, "lon": 5.390},
        ]
    )
    import dataclasses

    kb = demo_kb()
    cand = run(est)
    # a cascade chains only what a use leaves behind: the grower's spent substrate
    context = dataclasses.replace(
        load_dutch_context(), residues={("koffiedik", "0113"): ("champost", 0.5, "test")}
    )
    chains = cascades(cand, kb, est, context=context)
    two = chains[chains["pathway_ids"] == "P-koffie-zwam;P-champost-grond"]
    assert len(two) == 1
    assert two.iloc[0]["steps"] == 2
    assert "Champost" in two.iloc[0]["chain"]
    start = cand[cand["pathway_id"] == "P-koffie-zwam"].iloc[0]
    assert two.iloc[0]["cascade_score"] == pytest.approx(start["score"] * 0.7 * 0.9, abs=1e-5)
    assert (chains["steps"] <= 3).all()
    assert chains["pathway_ids"].str.startswith("P-koffie-zwam;").all()
    # without the residue link nothing follows from the mushroom farm
    none = cascades(cand, kb, est, context=dataclasses.replace(context, residues={}))
    assert none.empty


def test_coalitions_separate_distant_clusters() -> None:
    est = make_est(
        [
            {"nace_class": "5610", "lat": 52.155, "lon": 5.387},
            {"nace_class": "0113", "lat": 52.165, "lon": 5.387},
            {"nace_class": "5610", "lat": 52.700, "lon": 6.190, "municipality_code": "GM0119"},
            {"nace_class": "0113", "lat": 52.710, "lon": 6.190, "municipality_code": "GM0119"},
        ]
    )
    cand = run(est)
    est_only = cand[cand["receiver_kind"] == "establishment"]
    with_ids, summary = coalitions(est_only)
    ids = with_ids.groupby("producer_municipality")["coalition_id"].first()
    assert ids["GM0307"] != ids["GM0119"]
    assert set(summary["coalition_id"]) == set(ids)
    again, _ = coalitions(est_only)
    assert list(again["coalition_id"]) == list(with_ids["coalition_id"])


def test_engine_is_deterministic() -> None:
    est = synthetic_establishments(3_000, seed=3, bbox=(52.0, 52.3, 5.2, 5.6))
    a = run_opportunities(est, demo_kb())
    b = run_opportunities(est.sample(frac=1.0, random_state=1), demo_kb())
    pd.testing.assert_frame_equal(a.candidates, b.candidates)
    pd.testing.assert_frame_equal(a.cases, b.cases)


def test_score_is_weighted_mean_of_components() -> None:
    est = make_est(
        [
            {"nace_class": "5610", "lat": 52.155, "lon": 5.387},
            {"nace_class": "0113", "lat": 52.165, "lon": 5.387},
        ]
    )
    config = ScoringConfig()
    cand = run(est, config=config)
    w = config.normalised_weights()
    comp = {k: cand[k] for k in ("material_fit", "volume_fit", "proximity", "economic")}
    comp.update({"climate": cand["climate"], "social": cand["social"], "novelty": cand["novelty"]})
    comp["hierarchy"] = cand["hierarchy"]
    expected = sum(w[k] * comp[k] for k in w)
    np.testing.assert_allclose(cand["score"], expected, atol=1e-3)
    assert cand["score"].between(0, 1).all()


def test_scoring_config_file(tmp_path: Path) -> None:
    good = tmp_path / "scoring.yaml"
    good.write_text("max_distance_km: 10\nweights:\n  social: 0.5\n", encoding="utf-8")
    config = load_scoring_config(good)
    assert config.max_distance_km == 10
    assert config.weights["social"] == 0.5
    assert config.weights["material_fit"] == 0.20
    bad = tmp_path / "bad.yaml"
    bad.write_text("weights:\n  beauty: 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.yaml.*beauty"):
        load_scoring_config(bad)
    assert load_scoring_config(tmp_path / "absent.yaml") == ScoringConfig()


def test_regions_file() -> None:
    regions = load_regions()
    assert set(regions) >= {"regio-amersfoort", "regio-meppel", "regio-groningen"}
    assert len(regions["regio-amersfoort"].municipality_codes) == 10
    assert "GM0180" in regions["regio-meppel"].municipality_codes  # Staphorst
    assert "GM0014" in regions["regio-groningen"].municipality_codes


def test_regions_file_errors_name_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "regions.yaml"
    bad.write_text("regions:\n  r1:\n    municipalities:\n      G307: X\n", encoding="utf-8")
    with pytest.raises(RegionsFileError, match=r"regions.yaml: region r1: .*'G307'"):
        load_regions(bad)


def test_shipped_knowledge_base_end_to_end() -> None:
    """Every producer and receiver class of data/knowledge in one town: the engine runs on the
    real KB, finds the documented exchanges, and never sends hazardous material to food/feed."""
    from regionomie.domain.knowledge import load_knowledge_base
    from regionomie.domain.opportunities.common import split_codes

    kb = load_knowledge_base()
    producer_classes = sorted(
        {
            c if len(c) == 4 else c + "00"
            for codes in split_codes(kb.pathways["producer_nace"])
            for c in codes
        }
    )
    receiver_classes = sorted(set(kb.pathways["receiver_nace"].astype(str)))
    rows = [
        {"nace_class": c, "lat": 52.15 + i * 1e-3, "lon": 5.38, "employees": 10}
        for i, c in enumerate(producer_classes + receiver_classes)
    ]
    est = make_est(rows)
    result = run_opportunities(est, kb, municipalities=MUNICIPALITIES)
    cand = result.candidates
    assert len(cand) > 0
    hazardous_ids = set(kb.materials.loc[kb.materials["hazardous"], "material_id"])
    assert hazardous_ids, "the shipped KB is expected to list hazardous materials"
    assert not (cand["material_id"].isin(hazardous_ids) & cand["food_or_feed"]).any()
    pairs = set(zip(cand["producer_nace"], cand["receiver_nace"], strict=True))
    assert ("5610", "0113") in pairs  # coffee grounds -> mushroom growers
    assert ("1105", "1091") in pairs  # spent grain -> feed
    assert ("1105", "1071") in pairs  # spent grain -> bakery
    assert 0 < len(result.cases) <= 20
    assert result.cases.groupby("material_id").size().max() <= 2  # varied list


def test_at_most_n_uses_per_material_in_top_list() -> None:
    est = make_est(
        [
            {"nace_class": "1105", "lat": 52.15, "lon": 5.38, "employees": 10},
            {"nace_class": "1091", "lat": 52.16, "lon": 5.42, "employees": 30},
            {"nace_class": "1071", "lat": 52.14, "lon": 5.37, "employees": 8},
        ]
    )
    cand = run(est)
    both = business_cases(cand, MUNICIPALITIES, ScoringConfig(max_cases_per_material=2))
    assert set(both.loc[both["material_id"] == "bierbostel", "pathway_id"]) == {
        "P-bostel-voer",
        "P-bostel-bakker",
    }
    one = business_cases(cand, MUNICIPALITIES, ScoringConfig(max_cases_per_material=1))
    grain = one[one["material_id"] == "bierbostel"]
    assert len(grain) == 1
    other = ({"P-bostel-voer", "P-bostel-bakker"} - set(grain["pathway_id"])).pop()
    other_use = {"P-bostel-voer": "veevoer", "P-bostel-bakker": "bostelbrood en -meel"}[other]
    assert grain.iloc[0]["alternative_uses"] == other_use


def test_supply_without_pathway_is_set_aside_with_reason() -> None:
    kb = demo_kb()
    kb.yields = pd.concat(
        [
            kb.yields,
            pd.DataFrame([("champost", "5610", 0.1, "test")], columns=kb.yields.columns),
        ],
        ignore_index=True,
    )  # restaurants now "produce" champost, but no champost pathway starts at 5610
    est = make_est([{"nace_class": "5610", "lat": 52.155, "lon": 5.387}])
    supply = estimate_supply(est, kb)
    cand = generate_candidates(est, supply, kb, MUNICIPALITIES)
    aside = cand.attrs["set_aside"].set_index("material_id")
    assert "no usable pathway" in aside.loc["champost", "reason"]
    # frying oil goes only to receiving classes a start-up cannot be (biodiesel): with none
    # in reach it is set aside with that reason, not proposed as a start-up
    assert "none a start-up can be" in aside.loc["frituurvet", "reason"]
    placed = cand[["producer_id", "material_id"]].drop_duplicates()
    assert len(placed) + len(aside) == len(supply)


def test_lma_observed_producer_of_atypical_class_still_gets_candidates() -> None:
    kb = demo_kb()
    # an office (7022) that LMA shows disposing of coffee grounds (EURAL 200108)
    est = make_est(
        [
            {"nace_class": "7022", "lat": 52.155, "lon": 5.387},
            {"nace_class": "0113", "lat": 52.165, "lon": 5.387},
        ]
    )
    records, links = waste_tables()
    supply = estimate_supply(est, kb, records, links)
    office = supply[supply["establishment_id"] == "000000000001"]
    assert list(office["supply_source"]) == ["lma"]
    cand = generate_candidates(est, supply, kb, MUNICIPALITIES)
    coffee = cand[cand["pathway_id"] == "P-koffie-zwam"]
    assert len(coffee) == 1
    assert coffee.iloc[0]["material_fit"] == pytest.approx(0.8 * 0.85)
    assert cand.attrs["set_aside"].empty


def test_messy_establishment_values_do_not_crash() -> None:
    est = make_est(
        [
            {"nace_class": "5610", "lat": 52.155, "lon": 5.387},
            {"nace_class": None, "lat": 52.16, "lon": 5.39},
            {"nace_class": "56.10", "lat": 52.157, "lon": 5.388},
        ]
    )
    est["lat"] = est["lat"].astype(object)
    est.loc[2, "lat"] = "niet bekend"
    est["employees"] = est["employees"].astype(object)
    est.loc[0, "employees"] = "onbekend"
    result = run_opportunities(est, demo_kb(), municipalities=MUNICIPALITIES)
    placed = set(result.candidates["producer_id"])
    aside = result.set_aside
    assert "000000000001" in placed  # unknown employees -> default 1, still a candidate
    unusable = aside[aside["reason"].str.contains("coordinates")]
    assert set(unusable["establishment_id"]) == {"000000000003"}  # '56.10' ok, lat unusable
    # anything else set aside lacks a reachable receiver (frying oil -> biodiesel plant)
    assert aside.drop(unusable.index)["reason"].str.contains("no receiver").all()
    basis = result.candidates.loc[
        result.candidates["producer_id"] == "000000000001", "supply_basis"
    ]
    assert basis.str.contains("onbekend").all()


def test_blocked_search_equals_brute_force_nearest() -> None:
    """The KD-tree search returns exactly the k nearest receivers within reach (checked
    against an all-pairs computation on a small set)."""
    from regionomie.domain.opportunities.common import haversine_km

    rng = np.random.default_rng(5)
    n_prod, n_rec = 150, 400
    rows = [
        {"nace_class": "5610", "lat": float(a), "lon": float(b)}
        for a, b in zip(rng.uniform(52.0, 52.6, n_prod), rng.uniform(5.0, 6.0, n_prod), strict=True)
    ] + [
        {"nace_class": "0113", "lat": float(a), "lon": float(b)}
        for a, b in zip(rng.uniform(52.0, 52.6, n_rec), rng.uniform(5.0, 6.0, n_rec), strict=True)
    ]
    est = make_est(rows)
    config = ScoringConfig(
        k_nearest=4,
        max_distance_km=15.0,
        receivers_per_producer_material=100,
        producers_per_receiver=1000,
    )
    kb = demo_kb()
    cand = generate_candidates(est, estimate_supply(est, kb, config=config), kb, config=config)
    got = cand[(cand["pathway_id"] == "P-koffie-zwam") & (cand["receiver_kind"] == "establishment")]
    got_sets = got.groupby("producer_id")["receiver_id"].apply(frozenset).to_dict()
    prod = est[est["nace_class"] == "5610"]
    rec = est[est["nace_class"] == "0113"]
    dist = 1.3 * haversine_km(
        prod["lat"].to_numpy()[:, None],
        prod["lon"].to_numpy()[:, None],
        rec["lat"].to_numpy()[None, :],
        rec["lon"].to_numpy()[None, :],
    )
    expected = {}
    for i, pid in enumerate(prod["vestigingsnummer"]):
        order = np.argsort(dist[i], kind="stable")
        near = [rec["vestigingsnummer"].iloc[j] for j in order[:4] if dist[i, j] <= 15.0]
        if near:
            expected[pid] = frozenset(near)
    assert got_sets == expected
    assert cand.attrs["pairs_compared"] < n_prod * n_rec / 5  # far fewer than all pairs


@pytest.mark.parametrize(
    "keys", [["producer_id", "material_id", "receiver_kind"], ["receiver_id", "material_id"]]
)
def test_rank_within_group_matches_a_plain_sort(keys: list[str]) -> None:
    """The pruning ranks (integer codes, one lexsort) equal pandas' sort + cumcount, with tied
    scores, missing scores and an index that is not 0..n-1."""
    from regionomie.domain.opportunities.candidates import _ranked

    rng = np.random.default_rng(3)
    n = 5_000
    cand = pd.DataFrame(
        {
            "producer_id": rng.choice(["p1", "p2", "p3", "p4"], n),
            "material_id": rng.choice(["m1", "m2"], n),
            "receiver_kind": rng.choice(["sector", "establishment"], n),
            "pathway_id": rng.choice(["a", "b", "c"], n),
            "receiver_id": rng.choice([f"r{i:02d}" for i in range(40)], n),
            "score": rng.choice([0.1, 0.2, 0.3, np.nan], n),
        },
        index=rng.permutation(n) + 10,
    )
    ties = [t for t in ("producer_id", "pathway_id", "receiver_id") if t not in keys]
    order = cand.sort_values(
        [*keys, "score", *ties], ascending=[True] * len(keys) + [False] + [True] * len(ties)
    )
    expected = order.groupby(keys, sort=False).cumcount().reindex(cand.index)
    assert _ranked(cand, keys).tolist() == expected.tolist()


def test_louvain_is_repeatable_and_leaves_igraphs_generator_alone() -> None:
    import random

    import igraph as ig

    from regionomie.domain.opportunities.network import louvain

    edges = pd.DataFrame(
        {
            "producer_id": ["a", "a", "b", "x", "x", "y"],
            "receiver_id": ["b", "c", "c", "y", "z", "z"],
            "score": [0.9, 0.8, 0.7, 0.9, 0.8, 0.7],
        }
    )
    first = louvain(edges, seed=42)
    assert sorted(map(sorted, first)) == [["a", "b", "c"], ["x", "y", "z"]]
    assert louvain(edges, seed=42) == first
    random.seed(7)
    expected = random.random()
    random.seed(7)
    louvain(edges, seed=1)
    ig.Graph.Erdos_Renyi(n=5, m=3)  # igraph draws from the `random` module again
    assert random.random() != expected  # the module's generator is the one in use again
