"""End to end on the shipped sample region (data/sample, synthetic firms): parsers -> party
matching -> engine with the shipped knowledge base -> exports."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from regionomie.paths import SAMPLE_DIR

pytestmark = pytest.mark.slow


def _one(folder: str, pattern: str) -> Path:
    files = sorted((SAMPLE_DIR / folder).glob(pattern))
    assert files, f"sample file {folder}/{pattern} missing"
    return files[0]


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from regionomie.domain.knowledge import load_knowledge_base
    from regionomie.domain.matching import link_waste_parties
    from regionomie.domain.parsers import parse_file
    from regionomie.flow import FlowConfig, run_region

    kvk = parse_file(_one("kvk", "establishments_*.csv"), "kvk")
    waste = parse_file(_one("waste", "ontvangstmeldingen_*.csv"), "waste")
    kern = parse_file(_one("municipal", "cbs_85984NED_*.json"), "municipal")
    afval = parse_file(_one("municipal", "cbs_83452NED_*.json"), "municipal")
    pdok = parse_file(_one("municipal", "pdok_gemeenten_*.geojson"), "municipal")
    est = kvk["establishments"].rows
    records = waste["waste_records"].rows
    tables = {
        "establishments": est,
        "waste_records": records,
        "waste_party_links": link_waste_parties(records, est),
        "municipal_indicators": pd.concat(
            [kern["municipal_indicators"].rows, afval["municipal_indicators"].rows],
            ignore_index=True,
        ),
        "municipalities": pdok["municipalities"].rows,
    }
    out = tmp_path_factory.mktemp("sample_exports")
    kb = load_knowledge_base()
    result = run_region("regio-amersfoort", tables, kb, "2026-11-28", FlowConfig(exports_root=out))
    return {"tables": tables, "result": result, "kb": kb, "out": out}


def test_sample_challenges_show_the_built_in_patterns(sample_run: dict[str, Any]) -> None:
    chall = sample_run["result"].result.challenges
    sev = chall.pivot(index="municipality_code", columns="challenge_id", values="severity")
    assert sev.loc["GM0307", "unemployment"] == pytest.approx(1.0)  # high WW in Amersfoort
    assert sev.loc["GM0307", "social_assistance"] == pytest.approx(1.0)
    assert sev.loc["GM0308", "ageing"] == pytest.approx(1.0)  # Baarn: many elderly


def test_sample_finds_coffee_and_spent_grain_exchanges(sample_run: dict[str, Any]) -> None:
    cand = sample_run["result"].result.candidates
    coffee = cand[
        (cand["material_id"] == "spent_coffee_grounds") & (cand["receiver_nace"] == "0113")
    ]
    assert not coffee.empty
    assert set(coffee["producer_nace"]) & {"5610", "5630"}
    grain = cand[(cand["producer_nace"] == "1105") & cand["receiver_nace"].isin(["1091", "1071"])]
    assert not grain.empty
    assert (cand[cand["receiver_municipality"] == "GM0307"]["employment_severity"] == 1.0).all()


def test_sample_never_sends_hazardous_material_to_food_or_feed(sample_run: dict[str, Any]) -> None:
    kb = sample_run["kb"]
    cand = sample_run["result"].result.candidates
    hazardous = set(kb.materials.loc[kb.materials["hazardous"], "material_id"])
    assert not (cand["material_id"].isin(hazardous) & cand["food_or_feed"]).any()


def test_sample_supply_rows_are_placed_or_set_aside(sample_run: dict[str, Any]) -> None:
    res = sample_run["result"].result
    supply_keys = set(zip(res.supply["establishment_id"], res.supply["material_id"], strict=True))
    cand = res.candidates
    placed = set(zip(cand["producer_id"], cand["material_id"], strict=True))
    aside = set(zip(res.set_aside["establishment_id"], res.set_aside["material_id"], strict=True))
    assert len(res.supply) == len(supply_keys)
    assert placed | aside == supply_keys
    assert not placed & aside
    assert len(res.set_aside) == len(aside)
    assert res.set_aside["reason"].str.len().gt(10).all()
    assert res.supply["supply_source"].eq("lma").any()  # LMA observations were used
    assert res.candidates["novelty"].eq(0.0).any()  # and existing flows recognised


def test_sample_exports_hold_no_sole_proprietor_name(sample_run: dict[str, Any]) -> None:
    est = sample_run["tables"]["establishments"]
    sole = est["is_sole_proprietor"].astype(bool)
    # a name that is (part of) a legal entity's name is that entity's (the sample reuses them)
    public = "\n".join(set(est.loc[~sole, "trade_name"].dropna()))
    names = sorted(n for n in set(est.loc[sole, "trade_name"].dropna()) if n not in public)
    assert names, "the sample is expected to contain eenmanszaken"
    folder = sample_run["out"] / "regio-amersfoort" / "2026-11-28"
    texts: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as zf:
                texts += [zf.read(n).decode("utf-8", "ignore") for n in zf.namelist()]
        elif path.suffix == ".parquet":
            texts.append(pd.read_parquet(path).to_csv())
        else:
            texts.append(path.read_text(encoding="utf-8"))
    blob = "\n".join(texts)
    pattern = re.compile("|".join(re.escape(n) for n in names if len(n) > 3))
    found = pattern.search(blob)
    assert found is None, "a sole proprietor's trade name is in the exports"
    cand = sample_run["result"].result.candidates
    assert cand["producer_name"].str.startswith("Eenmanszaak (").any()


def test_sample_business_cases_and_cards(sample_run: dict[str, Any]) -> None:
    res = sample_run["result"].result
    cases = res.cases
    assert 0 < len(cases) <= 20
    assert len(res.cards) == min(5, len(cases))
    assert cases["name"].str.contains(r".+ \(.+\)").all()
    assert (
        cases["hub_municipality"]
        .isin(sample_run["tables"]["municipalities"]["municipality_code"])
        .all()
    )


def test_sample_cards_speak_dutch_about_their_risks(sample_run: dict[str, Any]) -> None:
    """The Dutch cards quote the Dutch pathway texts, never the English caveats the engine
    read, and a circular+social case keeps the name that says what it does for people."""
    import json

    from regionomie.i18n.knowledge import KnowledgeTexts

    res = sample_run["result"].result
    folder = sample_run["out"] / "regio-amersfoort" / "2026-11-28"
    cards = json.loads((folder / "business_case_cards.json").read_text(encoding="utf-8"))
    english, shown = KnowledgeTexts("en"), 0
    for card in cards["cards"]:
        case = res.cases.set_index("case_id").loc[card["case_id"]]
        english_caveats = set(english.caveats(str(case["pathway_id"])))
        assert not english_caveats & set(card["risks"]), card["name"]
        assert "-" not in card["risks"] and "mechanism_risks_en" not in card
        if case["case_kind"] != "circular":
            assert card["name"].startswith(str(case["name"]).split(":")[0]), card["name"]
            assert card["risks"], card["name"]  # a social case says what stops it in practice
            shown += 1
        nace = str(case["receiver_nace"])
        assert card["receiver_sector"].count(f"({nace})") <= 1, card["receiver_sector"]
    assert shown >= 2
    # a social case moves no material: the report gives its reach, not '0,0 t'
    report = (folder / "report.html").read_text(encoding="utf-8")
    social = [c for c in cards["cards"] if c["case_kind"] == "social"]
    assert social and "<dt>Bereik</dt>" in report


def test_sample_names_twenty_different_cases_circular_and_social(
    sample_run: dict[str, Any],
) -> None:
    """Issue 20: no material twice, no (mechanism, receiving sector) pair twice, none already
    practised, at least six social or circular+social cases, coffee grounds to mushrooms and a
    surplus-food case among them."""
    cases = sample_run["result"].result.cases
    assert len(cases) == 20
    materials = cases.loc[cases["material_id"] != "", "material_id"]
    assert materials.is_unique
    pairs = cases["mechanism_id"].where(cases["mechanism_id"] != "", cases["use_category"])
    assert not pd.Series(list(zip(pairs, cases["receiver_nace"], strict=True))).duplicated().any()
    assert not cases["already_practised"].astype(bool).any()
    assert cases["case_kind"].isin(["social", "circular+social"]).sum() >= 6
    assert cases["case_kind"].eq("social").any() and cases["case_kind"].eq("circular").any()
    assert (cases["pathway_id"] == "spent_coffee_grounds-0113").any()
    assert cases["material_id"].isin(["surplus_food", "bread_waste"]).any()
    assert cases["jobs"].map(lambda j: float(j).is_integer()).all()
    assert cases["mechanism"].str.len().gt(40).all()


def test_sample_cases_cite_only_the_challenges_their_mechanism_addresses(
    sample_run: dict[str, Any],
) -> None:
    from regionomie.domain.challenges import EMPLOYMENT_CHALLENGES
    from regionomie.domain.dutch_context import load_dutch_context

    res = sample_run["result"].result
    mechanisms = {m.mechanism_id: m for m in load_dutch_context().mechanisms}
    severity = res.challenges.set_index(["municipality_code", "challenge_id"])["severity"]
    for case in res.cases.itertuples(index=False):
        allowed = (
            mechanisms[case.mechanism_id].challenges if case.mechanism_id else EMPLOYMENT_CHALLENGES
        )
        for key in filter(None, str(case.challenges).split(";")):
            municipality, challenge = key.split(":")
            assert challenge in allowed, (case.name, key)
            assert severity[(municipality, challenge)] >= 0.2, (case.name, key)
    for card in res.cards:
        cited = {c["key"] for c in card["challenges_addressed"]}
        case = res.cases.set_index("case_id").loc[card["case_id"]]
        assert cited == set(filter(None, str(case["challenges"]).split(";")))
        for challenge in card["challenges_addressed"]:
            assert challenge["national_value"] is not None
            assert challenge["worse_when"] in ("hoger", "lager")
            assert challenge["value"] is not None


def test_sample_receivers_exist_as_such(sample_run: dict[str, Any]) -> None:
    """Coffee grounds go to mushroom growers (SBI 01133), not to any grower of NACE 0113;
    food aid goes to food banks, not to any welfare organisation of NACE 8899; no start-up is
    proposed for a class a new firm cannot be (a cement kiln, a power plant, a pulp mill)."""
    from regionomie.domain.dutch_context import load_dutch_context

    res = sample_run["result"].result
    est = sample_run["tables"]["establishments"].set_index("vestigingsnummer")
    cand = res.candidates
    existing = cand[cand["receiver_kind"] == "establishment"]
    coffee = existing[existing["pathway_id"] == "spent_coffee_grounds-0113"]
    assert len(coffee)
    assert est.loc[coffee["receiver_id"], "sbi_main"].astype(str).str.startswith("01133").all()
    food = existing[existing["pathway_id"].isin(["surplus_food-8899", "bread_waste-8899"])]
    assert len(food)
    assert est.loc[food["receiver_id"], "trade_name"].str.contains("Voedselbank").all()
    context = load_dutch_context()
    startups = cand[cand["receiver_kind"] == "sector"]
    assert all(context.receiver(n).startup_feasible for n in startups["receiver_nace"].unique())
    # what EU law does not allow here (catering waste to insects) is never a candidate
    assert "food_waste_mixed-0149" in context.barred_pathways
    assert not cand["pathway_id"].isin(list(context.barred_pathways)).any()
    # every named circular case takes its stream up the ladder from where it is today
    named = res.cases[res.cases["rank"].notna() & res.cases["current_rung"].notna()]
    assert len(named) and (named["current_rung"] > named["target_rung"]).all()


def test_sample_supply_never_counts_a_stream_twice(sample_run: dict[str, Any]) -> None:
    """Issue 20: total supply from LMA <= the tonnes LMA reports; every stream's shares over
    its materials add up to one; candidates say which stream and which share they carry."""
    res = sample_run["result"].result
    streams = res.streams
    per_stream = streams.groupby("afvalstroomnummer")
    assert (per_stream["share"].sum() - 1.0).abs().max() < 1e-9
    whole = per_stream["tonnes_per_year"].first().sum()
    assert streams["attributed_tonnes"].sum() == pytest.approx(whole)
    lma = res.supply[res.supply["supply_source"] == "lma"]
    assert lma["tonnes_per_year"].sum() <= whole + 1e-6
    cand = res.candidates
    for column in ("supply_stream_id", "stream_tonnes", "supply_share"):
        assert cand[column].notna().all(), column
    assert (cand["supply_share"] <= 1.0 + 1e-9).all()
    single = cand[(cand["supply_source"] == "lma") & ~cand["supply_stream_id"].str.contains(";")]
    shares = (
        single.drop_duplicates(["supply_stream_id", "material_id"])
        .groupby("supply_stream_id")["supply_share"]
        .sum()
    )
    assert (shares <= 1.0 + 1e-9).all()


def test_sample_supply_comes_only_from_materials_that_occur_in_the_netherlands(
    sample_run: dict[str, Any],
) -> None:
    from regionomie.domain.dutch_context import load_dutch_context

    context = load_dutch_context()
    res = sample_run["result"].result
    absent = {m for m, o in context.origins.items() if not o.occurs_in_nl}
    assert not res.supply["material_id"].isin(absent).any()
    assert not res.candidates["material_id"].isin(absent).any()
    # an estimate only where the producer's class produces the material (its yield row)
    kb = sample_run["kb"]
    yields = set(zip(kb.yields["material_id"], kb.yields["producer_nace"], strict=True))
    est = sample_run["tables"]["establishments"].set_index("vestigingsnummer")["nace_class"]
    estimates = res.supply[res.supply["supply_source"] == "estimate"]
    classes = estimates["establishment_id"].map(est).astype(str).str.slice(0, 4)
    assert all((m, c) in yields for m, c in zip(estimates["material_id"], classes, strict=True))


def test_stored_result_comes_back_exactly(sample_run: dict[str, Any], tmp_path: Path) -> None:
    """The hand-over between regional_opportunities and the exports (Parquet frames instead
    of one pickle) gives back the same frames, dtypes, index, attrs and cards; storing it
    again replaces the folder with the same bytes; a frame Arrow cannot hold is kept too."""
    import dataclasses

    from regionomie.domain.opportunities.store import load_result, save_result

    result = sample_run["result"].result
    mixed = pd.DataFrame({"value": [1, "een", 2.5]}, index=[7, 3, 5])
    mixed.attrs["why"] = "mixed types"
    result = dataclasses.replace(result, set_aside=mixed)
    folder = save_result(result, tmp_path / "regio")
    back = load_result(folder)
    for name in ("supply", "candidates", "cases", "cascades", "coalitions", "challenges"):
        ours, theirs = getattr(result, name), getattr(back, name)
        assert not ours.empty or name == "cascades"
        pd.testing.assert_frame_equal(theirs, ours, check_exact=True)
        assert list(theirs.dtypes) == list(ours.dtypes), name
        assert type(theirs.index) is type(ours.index), name
        assert theirs.attrs == ours.attrs, name
    assert (folder / "candidates.parquet").exists() and (folder / "set_aside.pkl").exists()
    pd.testing.assert_frame_equal(back.set_aside, mixed)
    assert back.set_aside.attrs == {"why": "mixed types"}
    assert back.candidates["explanation"].dtype == object
    assert back.cards == result.cards and back.cards
    first = {p.name: p.read_bytes() for p in folder.iterdir()}
    save_result(result, tmp_path / "regio")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == first
    assert [p.name for p in tmp_path.iterdir()] == ["regio"], "no staging folder left behind"
    with pytest.raises(FileNotFoundError, match="materialise regional_opportunities"):
        load_result(tmp_path / "never-stored")


def test_result_io_manager_stores_on_disk_and_hands_on_in_process(
    sample_run: dict[str, Any], tmp_path: Path
) -> None:
    """The IO manager of regional_opportunities (Dagster's own contexts): in the process that
    stored the result the exports get that very object; any other process (a fresh manager)
    reads the Parquet folder back to an equal result; another partition is never mixed up."""
    import dagster as dg

    from assets.partitions import region_partitions
    from assets.resources import OpportunityResultIOManager

    result = sample_run["result"].result
    key = dg.AssetKey("regional_opportunities")
    factory = OpportunityResultIOManager(base_dir=str(tmp_path))

    def manager() -> Any:
        return factory.create_io_manager(dg.build_init_resource_context())

    def contexts(partition: str) -> tuple[Any, Any]:
        kw = {"asset_key": key, "partition_key": partition}
        output = dg.build_output_context(asset_partitions_def=region_partitions, **kw)
        inp = dg.build_input_context(
            asset_partitions_def=region_partitions, upstream_output=output, **kw
        )
        return output, inp

    writer = manager()
    output, inp = contexts("regio-amersfoort")
    writer.handle_output(output, result)
    assert (
        tmp_path / "opportunity_results" / "regional_opportunities" / "regio-amersfoort"
    ).is_dir()
    assert writer.load_input(inp) is result
    fresh = manager().load_input(inp)
    assert fresh is not result
    pd.testing.assert_frame_equal(fresh.candidates, result.candidates, check_exact=True)
    assert fresh.cards == result.cards
    other = next(p for p in region_partitions.get_partition_keys() if p != "regio-amersfoort")
    with pytest.raises(FileNotFoundError, match="materialise regional_opportunities"):
        writer.load_input(contexts(other)[1])
