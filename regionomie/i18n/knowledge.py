"""The knowledge base's reader-facing texts in the reader's language.

English texts (receiver label, use description, caveats) live in the pathways CSVs
(`data/knowledge/pathways*.csv`); the Dutch ones in `data/knowledge/pathway_texts.nl.csv`,
keyed by pathway_id, so translators and knowledge curators each own a file. Material names
come from the materials CSVs (name_nl / name_en), sector names from the SBI 2008 reference
list (label_nl / label_en; a class without an English label keeps its Dutch one).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from regionomie.i18n import check_language
from regionomie.paths import KNOWLEDGE_DIR, REFERENCE_DIR

PATHWAY_TEXT_COLUMNS: tuple[str, ...] = ("receiver_label", "use_description", "caveats")
DUTCH_PATHWAY_TEXTS = "pathway_texts.nl.csv"


def _family(folder: Path, stem: str) -> pd.DataFrame:
    """stem.csv plus its themed extensions stem.<theme>.csv (as the knowledge base reads)."""
    paths = [folder / f"{stem}.csv", *sorted(folder.glob(f"{stem}.*.csv"))]
    frames = [
        pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8")
        for p in paths
        if p.exists()
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


@lru_cache(maxsize=4)
def pathway_texts(lang: str, folder: Path = KNOWLEDGE_DIR) -> pd.DataFrame:
    """pathway_id -> receiver_label, use_description, caveats in `lang` (index pathway_id)."""
    lang = check_language(lang)
    path = folder / DUTCH_PATHWAY_TEXTS
    if lang == "en" or not path.exists():  # no Dutch file: the English texts (a test fails)
        frame = _family(folder, "pathways")
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    frame = frame.drop_duplicates("pathway_id").set_index("pathway_id")
    return frame[list(PATHWAY_TEXT_COLUMNS)]


@lru_cache(maxsize=4)
def material_names(lang: str, folder: Path = KNOWLEDGE_DIR) -> dict[str, str]:
    lang = check_language(lang)
    frame = _family(folder, "materials").drop_duplicates("material_id")
    return dict(zip(frame["material_id"], frame[f"name_{lang}"], strict=True))


@lru_cache(maxsize=4)
def sector_names(lang: str, folder: Path = REFERENCE_DIR) -> dict[str, str]:
    """4-digit NACE/SBI class (and 2-digit division) -> its name; English falls back to the
    Dutch label where the reference list has none."""
    lang = check_language(lang)
    frame = pd.read_csv(folder / "sbi2008.csv", dtype=str, keep_default_na=False)
    frame = frame[frame["level"].isin(["division", "class"])]
    label = frame["label_nl"]
    if lang == "en":
        label = frame["label_en"].where(frame["label_en"] != "", frame["label_nl"])
    return dict(zip(frame["code"], label, strict=True))


@dataclass(frozen=True)
class KnowledgeTexts:
    """Look-ups of one language; unknown ids give the fallback (never an error)."""

    lang: str

    def _pathway(self, pathway_id: str, column: str, fallback: str = "") -> str:
        table = pathway_texts(self.lang)
        if pathway_id in table.index:
            return str(table.at[pathway_id, column])
        return fallback

    def use(self, pathway_id: str, fallback: str = "") -> str:
        return self._pathway(pathway_id, "use_description", fallback)

    def receiver_label(self, pathway_id: str, fallback: str = "") -> str:
        return self._pathway(pathway_id, "receiver_label", fallback)

    def caveats(self, pathway_id: str) -> list[str]:
        text = self._pathway(pathway_id, "caveats")
        return [part.strip() for part in text.split(";") if part.strip(" -")]  # '-': none

    def material(self, material_id: str, fallback: str = "") -> str:
        return material_names(self.lang).get(material_id) or fallback or material_id

    def sector(self, nace: str, fallback: str = "") -> str:
        code = str(nace or "").replace(".", "").strip()
        names = sector_names(self.lang)
        return names.get(code) or names.get(code[:2]) or fallback
