"""Integrity of the curated knowledge base and of its loader's error messages."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from regionomie.domain.knowledge import (
    CATEGORIES,
    EVIDENCE_TYPES,
    USE_CATEGORIES,
    KnowledgeBase,
    KnowledgeBaseError,
    load_knowledge_base,
    normalise_text,
    split_list,
)
from regionomie.domain.reference import nace2_classes
from regionomie.paths import KNOWLEDGE_DIR, REFERENCE_DIR


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def _raw(name: str) -> pd.DataFrame:
    """The CSV as written on disk, independent of the loader."""
    return pd.read_csv(KNOWLEDGE_DIR / name, dtype=str, keep_default_na=False)


def test_breadth_targets(kb: KnowledgeBase) -> None:
    assert len(kb.material_by_id) >= 60
    assert len(kb.pathway_records) >= 120
    assert kb.pathways["receiver_nace"].nunique() >= 50
    assert set(kb.materials["category"]) >= {
        "food",
        "agri",
        "wood",
        "paper",
        "construction",
        "chemical",
        "metal",
        "energy",
        "water",
        "textile",
        "plastic",
    }


def test_every_pathway_row_is_well_formed() -> None:
    materials = _raw("materials.csv")
    pathways = _raw("pathways.csv")
    known = set(materials["material_id"])
    assert materials["material_id"].is_unique
    assert pathways["pathway_id"].is_unique
    for row in pathways.itertuples(index=False):
        assert row.material_id in known, row.pathway_id
        assert re.fullmatch(r"\d{4}", row.receiver_nace), row.pathway_id
        assert all(re.fullmatch(r"\d{2}(\d{2})?", c) for c in split_list(row.producer_nace))
        assert row.use_category in USE_CATEGORIES
        assert row.evidence_type in EVIDENCE_TYPES
        assert len(row.evidence) >= 10, row.pathway_id
        assert row.receiver_label and row.use_description
        assert 0.0 <= float(row.strength) <= 1.0
        assert row.food_or_feed in ("true", "false")


def test_every_material_row_is_well_formed() -> None:
    materials = _raw("materials.csv")
    for row in materials.itertuples(index=False):
        assert re.fullmatch(r"[a-z0-9_]+", row.material_id)
        assert row.category in CATEGORIES
        assert row.hazardous in ("true", "false")
        for code in split_list(row.eural_codes):
            assert re.fullmatch(r"\d{6}", code), (row.material_id, code)
            assert 1 <= int(code[:2]) <= 20


def test_eural_codes_exist_in_official_list(kb: KnowledgeBase) -> None:
    """Cross-check against the shared EURAL reference (another module's file), when present."""
    path = REFERENCE_DIR / "eural.csv"
    if not path.is_file():
        pytest.skip("data/reference/eural.csv not present")
    with path.open(encoding="utf-8") as handle:
        entries = {r["code"]: r for r in csv.DictReader(handle) if r.get("level") == "entry"}
    unknown = [
        (m.material_id, c)
        for m in kb.material_by_id.values()
        for c in m.eural_codes
        if c not in entries
    ]
    assert unknown == []
    # A material we call non-hazardous must not be filed under a hazardous ('*') entry.
    mislabelled = [
        (m.material_id, c)
        for m in kb.material_by_id.values()
        if not m.hazardous
        for c in m.eural_codes
        if entries[c].get("hazardous") == "true"
    ]
    assert mislabelled == []


def test_hazardous_materials_never_feed_food(kb: KnowledgeBase) -> None:
    hazardous = {m.material_id for m in kb.material_by_id.values() if m.hazardous}
    assert hazardous, "the KB should know some hazardous streams"
    for pathway in kb.pathway_records:
        if pathway.material_id in hazardous:
            assert not pathway.food_or_feed, pathway.pathway_id


def test_generic_fallback_sectors_present(kb: KnowledgeBase) -> None:
    generic = {p.receiver_nace for p in kb.pathway_records if p.material_id.startswith("generic_")}
    assert {"3811", "3812", "3821", "3822", "3832", "3521"} <= generic
    assert all(
        p.strength <= 0.3 for p in kb.pathway_records if p.material_id.startswith("generic_")
    )


def test_yields_reference_known_materials(kb: KnowledgeBase) -> None:
    assert len(kb.yields) >= 20
    assert set(kb.yields["material_id"]) <= set(kb.material_by_id)
    assert (kb.yields["tonnes_per_employee_per_year"] > 0).all()
    assert kb.yields["producer_nace"].str.fullmatch(r"\d{4}").all()


def test_indexes_agree_with_tables(kb: KnowledgeBase) -> None:
    assert sum(len(v) for v in kb.pathways_by_material.values()) == len(kb.pathways)
    assert "spent_coffee_grounds" in kb.materials_by_eural["200108"]
    assert kb.pathways["strength"].dtype == float
    assert kb.pathways["food_or_feed"].dtype == bool


def test_aliases_are_normalised(kb: KnowledgeBase) -> None:
    coffee = kb.material("spent_coffee_grounds")
    assert "koffiedik" in coffee.aliases
    assert "koffie dik" in coffee.aliases  # from 'koffie-dik'
    assert normalise_text("Koffie-Dik  (É)") == "koffie dik e"


# --- loader errors name file, line and field ----------------------------------------------------


@pytest.fixture()
def kb_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


def _edit(path: Path, column: str, row: int, value: str) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row, column] = value
    frame.to_csv(path, index=False)


@pytest.mark.parametrize(
    ("file", "column", "value", "expected"),
    [
        ("pathways.csv", "material_id", "unicorn_tears", r"pathways\.csv line 5 field material_id"),
        ("pathways.csv", "receiver_nace", "011", r"pathways\.csv line 5 field receiver_nace"),
        ("pathways.csv", "strength", "1.5", r"pathways\.csv line 5 field strength"),
        ("pathways.csv", "evidence", "", r"pathways\.csv line 5 field evidence"),
        ("pathways.csv", "producer_nace", "5610;56A", r"field producer_nace"),
        ("materials.csv", "eural_codes", "200108;2001", r"materials\.csv line 5 field eural_codes"),
        ("materials.csv", "category", "food-ish", r"materials\.csv line 5 field category"),
        ("materials.csv", "hazardous", "maybe", r"materials\.csv line 5 field hazardous"),
        ("producer_yields.csv", "tonnes_per_employee_per_year", "-1", r"producer_yields\.csv"),
    ],
)
def test_bad_cells_are_reported(
    kb_copy: Path, file: str, column: str, value: str, expected: str
) -> None:
    _edit(kb_copy / file, column, 3, value)
    with pytest.raises(KnowledgeBaseError, match=expected):
        load_knowledge_base(kb_copy)


def test_duplicate_material_id_is_reported(kb_copy: Path) -> None:
    path = kb_copy / "materials.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    frame.to_csv(path, index=False)
    with pytest.raises(KnowledgeBaseError, match=r"duplicate id 'spent_coffee_grounds'"):
        load_knowledge_base(kb_copy)


def test_food_pathway_on_hazardous_material_is_rejected(kb_copy: Path) -> None:
    path = kb_copy / "pathways.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    idx = frame.index[frame["material_id"] == "spent_solvents"][0]
    frame.loc[idx, "food_or_feed"] = "true"
    frame.to_csv(path, index=False)
    with pytest.raises(KnowledgeBaseError, match="hazardous material may never go to food"):
        load_knowledge_base(kb_copy)


def test_missing_column_and_file_are_reported(kb_copy: Path) -> None:
    frame = pd.read_csv(kb_copy / "pathways.csv", dtype=str, keep_default_na=False)
    frame.drop(columns=["evidence"]).to_csv(kb_copy / "pathways.csv", index=False)
    with pytest.raises(KnowledgeBaseError, match=r"pathways\.csv: missing column\(s\) evidence"):
        load_knowledge_base(kb_copy)
    (kb_copy / "pathways.csv").unlink()
    with pytest.raises(KnowledgeBaseError, match="file not found"):
        load_knowledge_base(kb_copy)
    with pytest.raises(KnowledgeBaseError, match="not found"):
        load_knowledge_base(kb_copy / "nope")


def test_sector_codes_are_real_classes(kb: KnowledgeBase) -> None:
    """Receiver and producer classes are NACE Rev.2 classes (SBI 2008's own variants such as
    35.20 biogas are written as their NACE class, 35.21) and divisions exist."""
    path = REFERENCE_DIR / "sbi2008.csv"
    with path.open(encoding="utf-8") as handle:
        codes = {r["code"] for r in csv.DictReader(handle)}
    classes = set(nace2_classes())
    divisions = {c for c in codes if len(c) == 2 and c.isdigit()}
    bad = sorted(
        {p.receiver_nace for p in kb.pathway_records} - classes
        | {c for p in kb.pathway_records for c in p.producer_nace if len(c) == 4} - classes
        | {c for p in kb.pathway_records for c in p.producer_nace if len(c) == 2} - divisions
        | set(kb.yields["producer_nace"]) - classes
    )
    assert bad == []
