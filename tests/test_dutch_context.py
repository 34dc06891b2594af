"""The Dutch context files (data/knowledge): where materials occur, the waste hierarchy with the
LMA processing codes, receiving sectors, compositions, social mechanisms. Loaded strictly: a bad
row names its file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from regionomie.domain.dutch_context import check_against, load_dutch_context
from regionomie.domain.knowledge import KnowledgeBaseError, load_knowledge_base
from regionomie.paths import KNOWLEDGE_DIR


def test_shipped_context_covers_every_material_and_pathway() -> None:
    kb = load_knowledge_base()
    context = load_dutch_context()
    check_against(context, kb.material_by_id, [p.pathway_id for p in kb.pathway_records])
    kinds = {m.kind for m in context.mechanisms}
    assert kinds == {"circular+social", "social"}
    for mechanism in context.mechanisms:
        assert mechanism.evidence and mechanism.mechanism_nl and mechanism.mechanism_en


def test_materials_of_crops_not_grown_here_do_not_occur_in_the_netherlands() -> None:
    context = load_dutch_context()
    for material in ("rice_husk", "coconut_shells", "cassava_peels", "palm_kernel_shells"):
        assert not context.origin(material).occurs_in_nl
    for material in ("cocoa_shells", "sugar_beet_pulp", "spent_coffee_grounds"):
        assert context.origin(material).occurs_in_nl
    assert context.origin("cocoa_shells").produced_by("1082") == 4


def test_the_ladder_places_lma_codes_and_uses() -> None:
    hierarchy = load_dutch_context().hierarchy
    assert hierarchy.lma["B01"] == 2  # inzetten als veevoer
    assert hierarchy.lma["E03"] == 4  # composteren
    assert hierarchy.lma["F01"] == 5  # verbranden (AVI)
    assert hierarchy.lma["G01"] == 7  # storten
    assert hierarchy.lma["A02"] is None  # overslag says nothing about the treatment
    assert hierarchy.target_rung("food", "8899") == 1
    assert hierarchy.target_rung("energy", "3521") == 4  # digestion
    assert hierarchy.target_rung("energy", "3511") == 5
    # bedding from cardboard is a material use, not reuse: no step up from paper recycling
    assert hierarchy.target_rung("reuse", "0141") == 1
    assert hierarchy.target_rung("reuse", "0141", "cardboard-0141") == 3
    assert hierarchy.target_rung("reuse", "3811", "used_cooking_oil-3811") == 3


def test_a_start_up_cannot_be_a_cement_kiln_or_a_pulp_mill() -> None:
    context = load_dutch_context()
    for nace in ("2351", "1711", "3511", "2410", "1091"):
        assert not context.receiver(nace).startup_feasible, nace
    for nace in ("0113", "4779", "9524", "8899", "5610"):
        assert context.receiver(nace).startup_feasible, nace
    assert context.receiver("4779").tonnes_per_worker == pytest.approx(10.0)


@pytest.fixture()
def copy_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, folder)
    return folder


def test_a_bad_rung_names_file_line_and_field(copy_dir: Path) -> None:
    path = copy_dir / "material_origins.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[3] = "9"  # nl_current_rung outside the ladder
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_dutch_context.cache_clear()
    with pytest.raises(
        KnowledgeBaseError, match=r"material_origins.csv line 4 field nl_current_rung"
    ):
        load_dutch_context(copy_dir)


def test_contradictory_composition_shares_stop_the_load(copy_dir: Path) -> None:
    path = copy_dir / "stream_composition.csv"
    with path.open("a", encoding="utf-8") as fh:
        fh.write("020799,1105,malt_rootlets,0.2,test row that tips the shares over one\n")
    load_dutch_context.cache_clear()
    with pytest.raises(
        KnowledgeBaseError, match=r"stream_composition.csv line \d+ field share: .*1\.150"
    ):
        load_dutch_context(copy_dir)


def test_a_mechanism_without_challenges_is_refused(copy_dir: Path) -> None:
    path = copy_dir / "social_mechanisms.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "challenges: [low_income, low_average_income, social_assistance]", "challenges: [happiness]"
    )
    path.write_text(text, encoding="utf-8")
    load_dutch_context.cache_clear()
    with pytest.raises(KnowledgeBaseError, match=r"mechanism 1 field challenges"):
        load_dutch_context(copy_dir)
