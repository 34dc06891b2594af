"""k-anonymity of pseudonymous actors (regionomie.domain.anonymity): on the shipped sample's
register every sole proprietor is shown with a sector and area that at least k other personal
establishments share (counted here independently, from the register), the finest such step
is taken, and frames, texts and cards are rewritten consistently."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from regionomie.domain.anonymity import STEPS, SectorTree, generalise_actors
from regionomie.domain.opportunities.common import sole_proprietor_mask
from regionomie.domain.parsers import parse_file
from regionomie.paths import SAMPLE_DIR

REGION_NAMES = {
    "GM0307": "Amersfoort",
    "GM0308": "Baarn",
    "GM0313": "Bunschoten",
    "GM0203": "Barneveld",
    "GM0267": "Nijkerk",
    "GM0317": "Eemnes",
    "GM0327": "Leusden",
    "GM0339": "Renswoude",
    "GM0351": "Woudenberg",
    "GM0342": "Soest",
}


@pytest.fixture(scope="module")
def register() -> pd.DataFrame:
    path = next((SAMPLE_DIR / "kvk").glob("establishments_*.csv"))
    return parse_file(path, "kvk")["establishments"].rows.reset_index(drop=True)


def _area_keys(est: pd.DataFrame) -> dict[str, pd.Series]:
    municipality = est["municipality_code"].fillna("").astype(str)
    pc4 = est["postcode"].fillna("").astype(str).str.replace(" ", "").str.slice(0, 4)
    return {
        "postcode4": municipality + "/" + pc4,
        "municipality": municipality,
        "region": municipality.isin(REGION_NAMES).map({True: "region", False: "outside"}),
    }


@pytest.mark.parametrize("k", [1, 5, 12])
def test_every_actor_shares_its_shown_sector_and_area_with_k_others(
    register: pd.DataFrame, k: int
) -> None:
    g = generalise_actors(register, k, region_municipalities=REGION_NAMES, region_label="Regio")
    sole = sole_proprietor_mask(register).to_numpy()
    personal = register[sole]
    assert len(g.actors) == len(personal) > 400
    tree = SectorTree.from_reference()
    nace = personal["nace_class"].fillna("").astype(str).str.slice(0, 4)
    areas = {level: keys[sole] for level, keys in _area_keys(register).items()}
    for vest, actor in g.actors.items():
        me = personal.index[personal["vestigingsnummer"] == vest][0]
        same_sector = nace.map(lambda c, a=actor: tree.code(c, a.sector_level) == a.sector)
        same_area = areas[actor.area_level] == areas[actor.area_level].loc[me]
        sharing = int((same_sector & same_area).sum()) - 1
        assert sharing == actor.others
        if (actor.sector_level, actor.area_level) != STEPS[-1]:
            assert sharing >= k, (vest, actor)  # below k only where nothing coarser exists
        # the finest step: every earlier step left it with fewer than k others
        step = STEPS.index((actor.sector_level, actor.area_level))
        for sector_level, area_level in STEPS[:step]:
            code = tree.code(nace.loc[me], sector_level)
            finer = (nace.map(lambda c, lv=sector_level: tree.code(c, lv)) == code) & (
                areas[area_level] == areas[area_level].loc[me]
            )
            assert int(finer.sum()) - 1 < k


def test_report_counts_before_and_after(register: pd.DataFrame) -> None:
    g = generalise_actors(register, 5, region_municipalities=REGION_NAMES)
    report = g.report(set(g.actors))
    assert report["pseudonymous_actors"] == len(g.actors)
    assert report["before"]["unique_on_nace_class_and_postcode4"] > 100  # the finding
    assert report["before"]["alone_in_their_500m_cell"] > 100
    assert report["after"] == {
        "unique_on_shown_sector_and_area": 0,
        "below_k_on_shown_sector_and_area": 0,
    }
    assert sum(report["generalised"]["area"].values()) == len(g.actors)
    assert report["generalised"]["area"]["municipality"] > 0
    assert report["generalised"]["area"]["region"] > 0


def test_k_zero_switches_it_off(register: pd.DataFrame) -> None:
    g = generalise_actors(register, 0)
    assert g.actors == {} and g.apply_frame(register) is register


def _candidates(register: pd.DataFrame, vest: str, firm: str, old_label: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "candidate_id": [f"{vest}|p|{firm}", f"{firm}|p|{vest}"],
            "producer_id": [vest, firm],
            "producer_name": [old_label, "Bakkerij B.V."],
            "producer_address": ["3811 Amersfoort", "Langestraat 1, 3811AB Amersfoort"],
            "producer_nace": ["5610", "1071"],
            "producer_municipality": ["GM0307", "GM0307"],
            "producer_lat": [52.1563, 52.15],
            "producer_lon": [5.3871, 5.38],
            "receiver_id": [firm, vest],
            "receiver_name": ["Bakkerij B.V.", old_label],
            "receiver_nace": ["1071", "5610"],
            "receiver_municipality": ["GM0307", "GM0307"],
            "receiver_lat": [52.15, 52.1563],
            "receiver_lon": [5.38, 5.3871],
            "explanation": [f"Koffiedik van {old_label} naar Bakkerij B.V.", "x"],
            "score": [0.9, 0.8],
        }
    )


def test_frames_texts_and_cards_are_rewritten_consistently(register: pd.DataFrame) -> None:
    g = generalise_actors(register, 5, region_municipalities=REGION_NAMES, region_label="Regio")
    vest, actor = next((v, a) for v, a in g.actors.items() if a.area_level == "region")
    old = next(o for o, n in g.labels.items() if n == actor.name)
    firm = register.loc[~sole_proprietor_mask(register), "vestigingsnummer"].iloc[0]
    out = g.apply_frame(_candidates(register, vest, firm, old))
    assert out.loc[0, "producer_name"] == actor.name == out.loc[1, "receiver_name"]
    assert (
        out.loc[0, "producer_nace"] == actor.sector and out.loc[1, "receiver_nace"] == actor.sector
    )
    assert pd.isna(out.loc[0, "producer_municipality"])
    assert (out.loc[0, "producer_lat"], out.loc[0, "producer_lon"]) == (actor.lat, actor.lon)
    assert out.loc[0, "explanation"] == f"Koffiedik van {actor.name} naar Bakkerij B.V."
    assert out.loc[1, "producer_name"] == "Bakkerij B.V."  # a legal entity keeps its row
    assert out.loc[1, "producer_lat"] == 52.15
    card = g.apply_json(
        {"producers": [{"id": vest, "name": old, "nace": "5610", "municipality": "GM0307"}]}
    )
    assert card["producers"][0] == {
        "id": vest,
        "name": actor.name,
        "nace": actor.sector,
        "municipality": None,
    }
    again = g.apply_frame(out)  # idempotent: new labels are never rewritten again
    pd.testing.assert_frame_equal(again, out)


def test_text_with_two_labels_rewrites_both(register: pd.DataFrame) -> None:
    g = generalise_actors(register, 5, region_municipalities=REGION_NAMES)
    (a, b), (na, nb) = zip(*list(g.labels.items())[:2], strict=True)
    assert g.rewrite_text(f"{a} -> {b}; {a}") == f"{na} -> {nb}; {na}"


@pytest.mark.slow
def test_exports_of_the_sample_show_the_generalised_actors(
    register: pd.DataFrame, tmp_path: Path
) -> None:
    """Through the export writer (its one call site): the Parquet shows every pseudonymous
    producer exactly as the generalisation says, and the manifest reports it."""
    import json

    from regionomie.domain.knowledge import load_knowledge_base
    from regionomie.domain.matching import link_waste_parties
    from regionomie.domain.privacy import pseudonymous_id
    from regionomie.domain.regions import get_region
    from regionomie.flow import FlowConfig, region_municipalities, run_region
    from regionomie.settings import export_salt, pseudonym_key

    waste = parse_file(next((SAMPLE_DIR / "waste").glob("*.csv")), "waste")
    records = waste["waste_records"].rows
    tables = {
        "establishments": register,
        "waste_records": records,
        "waste_party_links": link_waste_parties(records, register),
    }
    run_region(
        "regio-amersfoort",
        tables,
        load_knowledge_base(),
        "2026-11-28",
        FlowConfig(exports_root=tmp_path),
    )
    folder = tmp_path / "regio-amersfoort" / "2026-11-28"
    anonymity = json.loads((folder / "manifest.json").read_text())["anonymity"]
    assert anonymity["k"] == 5 and anonymity["pseudonymous_actors"] > 50
    assert anonymity["before"]["unique_on_nace_class_and_postcode4"] > 20
    assert anonymity["after"]["below_k_on_shown_sector_and_area"] == 0
    munis = region_municipalities(tables, get_region("regio-amersfoort"))
    g = generalise_actors(
        register,
        5,
        region_municipalities=dict(zip(munis["municipality_code"], munis["name"], strict=True)),
        region_label="Regio Amersfoort",
    )
    # the export's own pseudonyms: salted with region and date, not the graph's
    key = pseudonym_key(export_salt("regio-amersfoort", "2026-11-28"))
    assert key != pseudonym_key()
    by_pseudonym = {pseudonymous_id(v, key): a for v, a in g.actors.items()}
    cand = pd.read_parquet(folder / "opportunities.parquet")
    mine = cand[cand["producer_id"].isin(by_pseudonym)].drop_duplicates("producer_id")
    assert len(mine) > 30
    for row in mine.itertuples():
        actor = by_pseudonym[row.producer_id]
        assert (row.producer_name, row.producer_nace) == (actor.name, actor.sector)
    # a postcode left in a text belongs to an actor shown at postcode level
    quoted = set(
        cand["explanation"].str.findall(r"Eenmanszaak \([^()]*?, \d{4}\)").explode().dropna()
    )
    assert quoted <= {a.name for a in g.actors.values() if a.area_level == "postcode4"}
