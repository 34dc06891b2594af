"""Which material a reported waste stream is: one stream's tonnes are never counted twice.

An LMA receipt names a EURAL code, the stream's own description (BenamingAfval) and, through
the party links, the establishment that produced it. A EURAL code is shared by many materials
(020304 'unfit for consumption' covers coffee silverskin, cocoa shells, rice bran, cassava
peels ...), so a stream is attributed, in this order, by:

1. its description, when it names materials of the code's EURAL chapter that occur in the
   Netherlands (the best-read materials share the stream evenly; "omschrijving");
2. a cited composition of the producer class's stream under that code
   (stream_composition.csv; the rest of the stream stays unclassified; "samenstelling");
3. the producer class: the code's materials that occur in the Netherlands and that this class
   produces, 4-digit producers before 2-digit ones, split by the class's yields where the
   knowledge base has them, else evenly ("sector");
4. the code's family fallback material (family_ash, family_packaging ...), then its generic
   material ("familie" / "algemeen");
5. otherwise the stream stays "unclassified", with its tonnes (reported, never dropped).

Shares of a stream always add up to exactly one; `check_shares` refuses anything else with the
stream's number. Materials that occur only abroad (crop residues of rice, cane, palm, cassava
...) are never Dutch supply, whatever their EURAL code. Pure pandas; no dagster, no neo4j.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from regionomie.domain.dutch_context import DutchContext
from regionomie.domain.knowledge import KnowledgeBase, normalise_text

UNCLASSIFIED = "unclassified"
DESCRIPTION_MIN_CONFIDENCE = 0.5
DESCRIPTION_TIE = 0.05  # materials read within this of the best share the stream
GENERIC_PREFIX = "generic_"
FAMILY_PREFIX = "family_"

ATTRIBUTION_COLUMNS: tuple[str, ...] = (
    "afvalstroomnummer",
    "material_id",
    "share",
    "how",  # omschrijving | samenstelling | sector | familie | algemeen | ongeclassificeerd
    "basis",
)

DescriptionReader = Callable[[str], dict[str, float]]


class ContradictoryShares(ValueError):
    """A stream's shares over its materials do not add up to one; names the stream."""


@dataclass(frozen=True)
class MaterialInfo:
    material_id: str
    name: str
    codes: tuple[str, ...]


def _specific(material_id: str) -> bool:
    return not (material_id.startswith(GENERIC_PREFIX) or material_id.startswith(FAMILY_PREFIX))


def simple_reader(materials: pd.DataFrame) -> DescriptionReader:
    """A description reader for knowledge bases without the suggestion engine's alias index:
    a material is read when one of its names or synonyms appears as whole words."""
    aliases: list[tuple[str, str]] = []
    for row in materials.itertuples(index=False):
        names = [str(getattr(row, c, "") or "") for c in ("name_nl", "name_en")]
        names += [s for s in str(getattr(row, "synonyms", "") or "").split(";")]
        for name in names:
            norm = normalise_text(name)
            if norm:
                aliases.append((f" {norm} ", str(row.material_id)))

    def read(description: str) -> dict[str, float]:
        text = f" {normalise_text(description)} "
        found: dict[str, float] = {}
        for alias, material_id in aliases:
            if alias in text:
                exact = alias.strip() == text.strip()
                found[material_id] = max(found.get(material_id, 0.0), 1.0 if exact else 0.9)
        return found

    return read


class StreamAttributor:
    """Attributes (EURAL code, description, producer class) to material shares; each distinct
    key is worked out once (a region has thousands of streams but few distinct keys)."""

    def __init__(
        self,
        materials: pd.DataFrame,
        yields: pd.DataFrame,
        context: DutchContext,
        read_description: DescriptionReader | None = None,
    ) -> None:
        self.context = context
        self.read_description = read_description or simple_reader(materials)
        self.names = dict(
            zip(materials["material_id"].astype(str), materials["name_nl"].astype(str), strict=True)
        )
        self.by_code: dict[str, list[str]] = {}
        self.by_chapter: dict[str, set[str]] = {}
        for material_id, codes in zip(
            materials["material_id"].astype(str), materials["eural_codes"], strict=True
        ):
            for code in str(codes or "").split(";"):
                code = "".join(ch for ch in code if ch.isdigit())
                if len(code) == 6:
                    self.by_code.setdefault(code, []).append(material_id)
                    self.by_chapter.setdefault(code[:2], set()).add(material_id)
        self.yields: dict[tuple[str, str], float] = {}
        if yields is not None and len(yields):
            for row in yields.itertuples(index=False):
                self.yields[(str(row.material_id), str(row.producer_nace))] = float(
                    row.tonnes_per_employee_per_year
                )
        self._cache: dict[tuple[str, str, str], tuple[tuple[str, float, str, str], ...]] = {}

    def occurs(self, material_id: str) -> bool:
        return self.context.origin(material_id).occurs_in_nl

    def attribute(
        self, code: str, description: str, nace: str
    ) -> tuple[tuple[str, float, str, str], ...]:
        """(material_id, share, how, basis) rows whose shares add up to one."""
        key = (code, normalise_text(description or ""), (nace or "")[:4])
        found = self._cache.get(key)
        if found is None:
            found = self._attribute(*key, description=description or "")
            self._cache[key] = found
        return found

    def _attribute(
        self, code: str, _norm: str, nace: str, description: str
    ) -> tuple[tuple[str, float, str, str], ...]:
        candidates = [m for m in self.by_code.get(code, []) if self.occurs(m)]
        sector = f"klasse {nace}" if nace else "onbekende klasse"
        # 1. the stream's own description, within the code's chapter
        if description.strip():
            chapter = self.by_chapter.get(code[:2], set())
            read = {
                m: c
                for m, c in self.read_description(description).items()
                if c >= DESCRIPTION_MIN_CONFIDENCE and m in chapter and self.occurs(m)
            }
            if any(_specific(m) for m in read):
                read = {m: c for m, c in read.items() if _specific(m)}
            if read:
                best = max(read.values())
                chosen = sorted(m for m, c in read.items() if c >= best - DESCRIPTION_TIE)
                names = ", ".join(self.names.get(m, m) for m in chosen)
                basis = f"omschrijving '{description.strip()}' gelezen als {names}"
                return _even(chosen, "omschrijving", basis)
        # 2. a cited composition of this class's stream under this code
        composition = [
            (m, s, b) for m, s, b in self.context.composition(code, nace) if self.occurs(m)
        ]
        if composition:
            rows = [
                (m, s, "samenstelling", f"samenstelling van EURAL {code} bij {sector}: {b}")
                for m, s, b in composition
            ]
            rest = 1.0 - sum(s for _, s, _, _ in rows)
            if rest > 1e-9:
                rows.append(
                    (UNCLASSIFIED, rest, "samenstelling", f"rest van EURAL {code} bij {sector}")
                )
            return tuple(rows)
        # 3. what this class produces among the code's materials
        # 4-digit producer class, then division, then materials listed for any class (-1)
        fits = {m: self.context.origin(m).produced_by(nace) for m in candidates if _specific(m)}
        fits = {m: (1 if f == -1 else f) for m, f in fits.items()}
        best_fit = max((f for f in fits.values() if f > 0), default=0)
        if best_fit:
            chosen = sorted(m for m, f in fits.items() if f == best_fit)
            weights = [self.yields.get((m, nace), 0.0) for m in chosen]
            names = ", ".join(self.names.get(m, m) for m in chosen)
            if len(chosen) > 1 and all(w > 0 for w in weights):
                total = sum(weights)
                basis = (
                    f"EURAL {code} van {sector}: verdeeld over {names} naar de opbrengst per "
                    "werkzame persoon van deze klasse"
                )
                return tuple(
                    (m, w / total, "sector", basis) for m, w in zip(chosen, weights, strict=True)
                )
            basis = f"EURAL {code} van {sector}: wat deze klasse maakt ({names})"
            return _even(chosen, "sector", basis)
        # 4. the code's family, then its generic material
        family = sorted(m for m in candidates if m.startswith(FAMILY_PREFIX))
        if family:
            return _even(family, "familie", f"alleen EURAL {code}: algemene stroom")
        generic = sorted(m for m in candidates if m.startswith(GENERIC_PREFIX))
        if generic:
            return _even(generic, "algemeen", f"alleen EURAL {code}: algemene stroom")
        # 5. nothing fits: kept, with its tonnes
        basis = (
            f"EURAL {code} '{description.strip()}' van {sector} past bij geen materiaal dat in "
            "Nederland bij deze klasse voorkomt"
        )
        return ((UNCLASSIFIED, 1.0, "ongeclassificeerd", basis),)


def _even(materials: list[str], how: str, basis: str) -> tuple[tuple[str, float, str, str], ...]:
    share = 1.0 / len(materials)
    return tuple((m, share, how, basis) for m in materials)


def attributor_for(kb: object, context: DutchContext) -> StreamAttributor:
    """The attributor of reported streams; it reads descriptions with the suggestion engine's
    alias index when the knowledge base has one (the same reading as suggest-receivers)."""
    from regionomie.domain.opportunities.common import kb_frames

    materials, _, yields = kb_frames(kb)  # type: ignore[arg-type]
    reader: DescriptionReader | None = None
    if isinstance(kb, KnowledgeBase):
        from regionomie.domain.suggest import engine_for
        from regionomie.domain.suggest.text import description_matches

        index = engine_for(kb).reader.index

        def read_with_index(text: str) -> dict[str, float]:
            return {m: match.confidence for m, match in description_matches(index, text).items()}

        reader = read_with_index
    return StreamAttributor(materials, yields, context, reader)


def attribute_streams(streams: pd.DataFrame, attributor: StreamAttributor) -> pd.DataFrame:
    """One row per stream x material (ATTRIBUTION_COLUMNS). `streams` has afvalstroomnummer,
    eural_code (6 digits), waste_name and producer_nace (may be empty)."""
    rows: list[tuple[str, str, float, str, str]] = []
    keys = streams[["afvalstroomnummer", "eural_code", "waste_name", "producer_nace"]]
    for number, code, name, nace in keys.itertuples(index=False):
        for material_id, share, how, basis in attributor.attribute(
            str(code), "" if name is None or name != name else str(name), str(nace or "")
        ):
            rows.append((str(number), material_id, share, how, basis))
    out = pd.DataFrame(rows, columns=list(ATTRIBUTION_COLUMNS))
    check_shares(out)
    return out


def check_shares(attribution: pd.DataFrame) -> None:
    """Every stream's shares add up to one (mass is conserved), or this names the stream."""
    if attribution.empty:
        return
    totals = attribution.groupby("afvalstroomnummer", sort=True)["share"].sum()
    bad = totals[~np.isclose(totals.to_numpy(dtype=float), 1.0, atol=1e-6)]
    if len(bad):
        stream = str(bad.index[0])
        raise ContradictoryShares(
            f"afvalstroom {stream}: shares over its materials add up to {float(bad.iloc[0]):.3f}, "
            "not 1 (contradictory attribution)"
        )
