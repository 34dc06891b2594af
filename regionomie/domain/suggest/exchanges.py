"""Documented exchanges: the development set, and what usually happens according to it.

data/knowledge/eval/exchanges_*.csv holds real, cited exchanges (donor class, waste
description, EURAL code where known, receiving class). They serve twice: to measure the engine
(benchmarks/bench_suggest.py) and as a prior over receiving classes, so that when a query's
evidence is thin the engine falls back to what documented practice says, per EURAL chapter,
donor sector and material. Flows observed in a region's LMA receipts are exchanges too and
enter the same counts. Evaluation is leave-one-out: `exclude` removes one exchange's own
counts before it is ranked.

Pure domain code: no dagster, no neo4j.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from regionomie.domain.reference import SBI2008_NACE_EXCEPTIONS, eural_codes, nace2_classes

EXCHANGE_COLUMNS: tuple[str, ...] = (
    "exchange_id",
    "donor_nace",
    "donor_label",
    "waste_description",
    "eural_code",
    "eural_code_origin",
    "stream_type",
    "receiver_nace",
    "receiver_label",
    "use",
    "place",
    "sector_group",
    "citation",
)
SECTOR_GROUPS: frozenset[str] = frozenset(
    {
        "heavy_industry",
        "energy_utilities",
        "chemicals",
        "food",
        "agriculture",
        "construction",
        "paper_wood",
        "metals",
        "water",
        "waste_management",
    }
)
STREAM_TYPES: frozenset[str] = frozenset({"waste", "utility"})
EXCHANGES_GLOB = "exchanges_*.csv"
# The frozen set (data/knowledge/frozen/): held-out exchanges, evaluated but never learned from.
FROZEN_DIR = "frozen"
FROZEN_PREFIX = "FZ-"

# Context levels, most specific first within each family; each backs off to the next.
CODE_LEVELS: tuple[str, ...] = ("subchapter", "chapter")
DONOR_LEVELS: tuple[str, ...] = ("donor_class", "donor_group", "donor_division")
MATERIAL_LEVELS: tuple[str, ...] = ("material", "category")


class ExchangeSetError(ValueError):
    """The development set is unusable; one line naming file, line and field."""


class FrozenSetError(ExchangeSetError):
    """A frozen (held-out) exchange was about to enter the prior or the fitted weights."""


@dataclass(frozen=True)
class Exchange:
    exchange_id: str
    donor_nace: str
    donor_label: str
    waste_description: str
    eural_code: str
    eural_code_origin: str
    stream_type: str
    receiver_nace: str
    receiver_label: str
    use: str
    place: str
    sector_group: str
    citation: str
    source: str = ""  # the file it was read from (its stem), for reporting per collection

    @property
    def kind(self) -> str:
        """Query kind for reporting: 'utility', 'eural' (code given) or 'description'."""
        if self.stream_type == "utility":
            return "utility"
        return "eural" if self.eural_code else "description"


def load_exchanges(directory: Path, *, held_out: bool = False) -> tuple[Exchange, ...]:
    """Every exchanges_*.csv in `directory` (sorted), checked row by row; () if none.

    The frozen set is refused unless `held_out` says the caller only evaluates on it, and a
    frozen id (FZ-) outside the frozen folder is an error: it cannot slip into the prior."""
    if (directory.name == FROZEN_DIR) != held_out:
        raise FrozenSetError(
            f"{directory}: the frozen set is evaluated only (load_frozen_set), never learned from"
            if not held_out
            else f"{directory}: not the frozen set folder ({FROZEN_DIR}/)"
        )
    classes = nace2_classes()
    codes = eural_codes()
    seen: set[str] = set()
    out: list[Exchange] = []
    for path in sorted(directory.glob(EXCHANGES_GLOB)):
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in EXCHANGE_COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise ExchangeSetError(f"{path.name}: missing column(s) {', '.join(missing)}")
            for line, row in enumerate(reader, start=2):
                values = {c: (row.get(c) or "").strip() for c in EXCHANGE_COLUMNS}
                for col in ("donor_nace", "receiver_nace"):
                    # Dutch SBI classes that stand for a NACE class (3520 biogas -> 3521).
                    values[col] = SBI2008_NACE_EXCEPTIONS.get(values[col]) or values[col]
                problem = _row_problem(values, classes, codes, seen)
                if problem is None and values["exchange_id"].startswith(FROZEN_PREFIX) != held_out:
                    problem = (
                        "exchange_id",
                        f"{FROZEN_PREFIX} ids belong to the frozen set only"
                        if not held_out
                        else f"frozen-set ids start with {FROZEN_PREFIX}",
                    )
                if problem:
                    field, message = problem
                    raise ExchangeSetError(f"{path.name} line {line} field {field}: {message}")
                seen.add(values["exchange_id"])
                out.append(Exchange(**values, source=path.stem))
    return tuple(out)


def load_frozen_set(knowledge_dir: Path) -> tuple[Exchange, ...]:
    """The frozen set of `knowledge_dir` (data/knowledge/frozen/), for evaluation only."""
    folder = knowledge_dir / FROZEN_DIR
    return load_exchanges(folder, held_out=True) if folder.is_dir() else ()


def _row_problem(
    row: dict[str, str], classes: frozenset[str], codes: frozenset[str], seen: set[str]
) -> tuple[str, str] | None:
    if not row["exchange_id"]:
        return "exchange_id", "empty"
    if row["exchange_id"] in seen:
        return "exchange_id", f"duplicate id {row['exchange_id']!r}"
    for col in ("donor_nace", "receiver_nace"):
        if row[col] not in classes:
            return col, f"{row[col]!r} is not a NACE Rev.2 class"
    if row["eural_code"] and row["eural_code"] not in codes:
        return "eural_code", f"{row['eural_code']!r} is not a EURAL entry"
    if bool(row["eural_code"]) != (row["eural_code_origin"] in ("source", "assigned")):
        return "eural_code_origin", "must be source|assigned exactly when a code is given"
    if row["stream_type"] not in STREAM_TYPES:
        return "stream_type", f"{row['stream_type']!r} is not waste|utility"
    if row["sector_group"] not in SECTOR_GROUPS:
        return "sector_group", f"{row['sector_group']!r} is not a known group"
    for col in ("waste_description", "citation"):
        if len(row[col]) < 2:
            return col, "empty"
    if not re.search(r"[A-Za-z]", row["citation"]):
        return "citation", "not a citation"
    return None


def contexts(
    eural_code: str | None,
    donor_sectors: Sequence[str],
    materials: Sequence[str],
    categories: Sequence[str],
) -> dict[str, tuple[str, ...]]:
    """The context values of a query or exchange, per level (several donors/materials allowed)."""
    code = eural_code or ""
    donors = [d for d in donor_sectors if len(d) >= 2]
    return {
        "subchapter": (code[:4],) if len(code) >= 4 else (),
        "chapter": (code[:2],) if len(code) >= 2 else (),
        "donor_class": tuple(dict.fromkeys(d[:4] for d in donors if len(d) >= 4)),
        "donor_group": tuple(dict.fromkeys(d[:3] for d in donors if len(d) >= 3)),
        "donor_division": tuple(dict.fromkeys(d[:2] for d in donors)),
        "material": tuple(materials),
        "category": tuple(categories),
    }


@dataclass
class _Observation:
    receiver: str
    weight: float
    ctx: dict[str, tuple[str, ...]]


class ReceiverPrior:
    """Smoothed P(receiving class | context) from documented exchanges and observed flows.

    Each level backs off to the next (subchapter -> chapter -> all; class -> group -> division
    -> all; material -> category -> all) with Dirichlet smoothing, so an unseen context returns
    the level above, never zero.
    """

    def __init__(self, receivers: Iterable[str], smoothing: float = 2.0) -> None:
        self.receivers: tuple[str, ...] = tuple(sorted(set(receivers)))
        self.position: dict[str, int] = {r: i for i, r in enumerate(self.receivers)}
        self.smoothing = smoothing
        self._counts: dict[tuple[str, str], np.ndarray] = {}
        self._total = np.zeros(len(self.receivers))
        self._observations: dict[str, _Observation] = {}
        self._by_receiver: dict[str, list[str]] = {}
        self._cache: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}

    def copy(self) -> ReceiverPrior:
        clone = ReceiverPrior(self.receivers, self.smoothing)
        clone._counts = {k: v.copy() for k, v in self._counts.items()}
        clone._total = self._total.copy()
        clone._observations = dict(self._observations)
        clone._by_receiver = {k: list(v) for k, v in self._by_receiver.items()}
        return clone

    def __len__(self) -> int:
        return len(self._observations)

    def add(
        self, key: str, receiver: str, ctx: dict[str, tuple[str, ...]], weight: float = 1.0
    ) -> None:
        if key.startswith(FROZEN_PREFIX):
            raise FrozenSetError(f"{key}: frozen-set exchanges never enter the receiver prior")
        if receiver not in self.position or key in self._observations:
            return
        self._observations[key] = _Observation(receiver, weight, ctx)
        self._by_receiver.setdefault(receiver, []).append(key)
        i = self.position[receiver]
        self._total[i] += weight
        for level, values in ctx.items():
            for value in values:
                vec = self._counts.setdefault((level, value), np.zeros(len(self.receivers)))
                vec[i] += weight / len(values)
        self._cache.clear()

    def context_of(self, key: str) -> dict[str, tuple[str, ...]]:
        found = self._observations.get(key)
        return found.ctx if found is not None else {}

    def observations_of(self, receiver: str) -> list[tuple[str, _Observation]]:
        return [(k, self._observations[k]) for k in self._by_receiver.get(receiver, ())]

    def _global(self, exclude: _Observation | None) -> np.ndarray:
        counts = self._total.copy()
        if exclude is not None:
            counts[self.position[exclude.receiver]] -= exclude.weight
        alpha = 0.5
        return (counts + alpha) / (counts.sum() + alpha * len(counts))

    def _level(
        self, level: str, values: tuple[str, ...], base: np.ndarray, exclude: _Observation | None
    ) -> np.ndarray:
        if not values:
            return base
        counts = np.zeros(len(self.receivers))
        for value in values:
            vec = self._counts.get((level, value))
            if vec is not None:
                counts += vec
        if exclude is not None:
            shared = [v for v in exclude.ctx.get(level, ()) if v in values]
            if shared:
                share = exclude.weight * len(shared) / len(exclude.ctx[level])
                counts[self.position[exclude.receiver]] -= share
        counts = np.maximum(counts, 0.0) / len(values)
        return (counts + self.smoothing * base) / (counts.sum() + self.smoothing)

    def distribution(
        self, levels: tuple[str, ...], ctx: dict[str, tuple[str, ...]], exclude: str | None = None
    ) -> np.ndarray:
        """P(receiver | the most specific of `levels` present in ctx), backed off upwards."""
        excluded = self._observations.get(exclude) if exclude else None
        key = (
            "|".join(levels),
            tuple(",".join(ctx.get(level, ())) for level in levels),
        )
        if excluded is None and key in self._cache:
            return self._cache[key]
        dist = self._global(excluded)
        for level in reversed(levels):
            dist = self._level(level, ctx.get(level, ()), dist, excluded)
        if excluded is None:
            self._cache[key] = dist
        return dist

    def global_distribution(self, exclude: str | None = None) -> np.ndarray:
        return self._global(self._observations.get(exclude) if exclude else None)

    def support(
        self, level: str, ctx: dict[str, tuple[str, ...]], receiver: str
    ) -> tuple[float, float]:
        """(exchanges of this context that went to `receiver`, exchanges of this context)."""
        values = ctx.get(level, ())
        if not values or receiver not in self.position:
            return 0.0, 0.0
        hit = total = 0.0
        for value in values:
            vec = self._counts.get((level, value))
            if vec is not None:
                hit += float(vec[self.position[receiver]])
                total += float(vec.sum())
        return hit, total
