"""Is every part of the European List of Waste covered by cited knowledge, and reachable?

For each EURAL chapter and subchapter: the materials reported under it that have at least one
cited pathway, and whether a query reaches one of them (a top-10 class backed directly by a
pathway of such a material) from the code alone, from the official Dutch description alone and
from the English one.

Pure domain code: no dagster, no neo4j.
"""

from __future__ import annotations

from dataclasses import dataclass

from regionomie.domain.knowledge import KnowledgeBase
from regionomie.domain.reference import load_eural
from regionomie.domain.suggest.engine import engine_for
from regionomie.domain.suggest.explain import BASIS_KNOWLEDGE
from regionomie.domain.suggest.query import read_query


@dataclass(frozen=True)
class CoverageRow:
    code: str
    level: str  # chapter | subchapter
    description_en: str
    materials: tuple[str, ...]
    from_code: bool
    from_nl: bool
    from_en: bool

    @property
    def complete(self) -> bool:
        return bool(self.materials) and self.from_code and self.from_nl and self.from_en


def eural_coverage(kb: KnowledgeBase, top: int = 10) -> list[CoverageRow]:
    engine = engine_for(kb)
    eural = load_eural()
    headings = eural[eural["level"].isin(["chapter", "subchapter"])]
    out: list[CoverageRow] = []
    for row in headings.itertuples(index=False):
        code = str(row.code)
        materials = tuple(
            sorted(
                m.material_id
                for m in kb.material_by_id.values()
                if any(c.startswith(code) for c in m.eural_codes)
                and any(p.evidence for p in kb.pathways_by_material.get(m.material_id, ()))
            )
        )

        def reaches(waste_code: str | None, text: str | None, allowed: tuple[str, ...]) -> bool:
            """A top-`top` class that a cited pathway of one of `allowed` supports directly
            (the class may show another material's pathway when that one scored higher)."""
            query = read_query(None, waste_code, text)
            cands = engine.candidates(query)
            found = engine.rank(query, top).receivers
            return any(
                s.basis == BASIS_KNOWLEDGE and set(cands.slots[s.sector].others) & set(allowed)
                for s in found
            )

        out.append(
            CoverageRow(
                code=code,
                level=str(row.level),
                description_en=str(row.description_en),
                materials=materials,
                from_code=bool(materials) and reaches(code, None, materials),
                from_nl=bool(materials) and reaches(None, str(row.description_nl), materials),
                from_en=bool(materials) and reaches(None, str(row.description_en), materials),
            )
        )
    return out
