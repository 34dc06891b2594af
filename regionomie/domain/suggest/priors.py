"""Structured priors over receiving classes: what kind of firm takes a stream, from sources that
cover every stream rather than from the cases someone happened to read.

data/knowledge/priors/ holds four cited tables:

- routes.csv: recovery routes (anchored to the Waste Framework Directive's R/D operations, plus
  by-product routes and utility carriers) -> the NACE classes, groups or divisions that perform
  them, with weights (utility routes weighted by the sectors' energy use in energy balances);
- eural_routes.csv: EURAL chapter, subchapter or entry -> routes (LAP3 minimum standards, BREFs);
- material_routes.csv: materials without a EURAL code (steam, heat, CO2, off-gases ...) and
  material categories -> routes;
- flowsa_crosswalk.csv: US EPA flowsa's waste-pathway crosswalks (NAICS) mapped to NACE; each row
  must be covered by the route it names, so the two sources check each other.

A route that names a group or division (the class hierarchy) is spread over that group's classes
in proportion to how many cited pathways lead into each class (plus one): evidence that points
at "basic metals" ranks the basic-metal classes by prior instead of guessing one.

Pure domain code: no dagster, no neo4j.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from regionomie.domain.knowledge import CATEGORIES, KnowledgeBase
from regionomie.domain.reference import load_eural, nace2_classes

PRIORS_DIR = "priors"
ROUTES_FILE = "routes.csv"
EURAL_ROUTES_FILE = "eural_routes.csv"
MATERIAL_ROUTES_FILE = "material_routes.csv"
FLOWSA_FILE = "flowsa_crosswalk.csv"
CATEGORY_PREFIX = "category:"

W_CODE = 1.0
W_CATEGORY = 0.5


class PriorTableError(ValueError):
    """A structured-prior table is unusable; one line naming file, line and field."""


@dataclass(frozen=True)
class Route:
    route_id: str
    operation: str  # WFD R/D code, or '-' for by-product and utility routes
    label: str
    targets: tuple[tuple[str, float], ...]  # (2-, 3- or 4-digit NACE code, weight), sum 1
    source: str


@dataclass(frozen=True)
class RouteTables:
    routes: dict[str, Route]
    by_code: dict[str, dict[str, float]]  # EURAL chapter/subchapter/entry -> route -> weight
    by_material: dict[str, dict[str, float]]  # material id or 'category:x' -> route -> weight
    crosswalk: tuple[tuple[str, str, str, str], ...]  # (flowsa file, pathway, nace, route)

    def classes(self) -> frozenset[str]:
        """Every NACE class a route can reach (groups and divisions expanded)."""
        known = nace2_classes()
        out: set[str] = set()
        for route in self.routes.values():
            for target, _ in route.targets:
                out |= {c for c in known if c.startswith(target)}
        return frozenset(out)

    def routes_of_code(self, code: str | None) -> dict[str, float]:
        """The most specific rows of a EURAL code: entry, else subchapter, else chapter."""
        if not code:
            return {}
        for n in (6, 4, 2):
            if len(code) >= n and code[:n] in self.by_code:
                return self.by_code[code[:n]]
        return {}

    def routes_of_material(self, kb: KnowledgeBase, material_id: str) -> dict[str, float]:
        """A material's own rows, else the mean over its EURAL codes, else its category's."""
        own = self.by_material.get(material_id)
        if own:
            return own
        material = kb.material_by_id.get(material_id)
        if material is None:
            return {}
        mixed: dict[str, float] = {}
        for code in material.eural_codes:
            for route, w in self.routes_of_code(code).items():
                mixed[route] = mixed.get(route, 0.0) + w / len(material.eural_codes)
        return mixed or self.by_material.get(CATEGORY_PREFIX + material.category, {})


def _rows(path: Path, columns: tuple[str, ...]) -> Iterable[tuple[int, dict[str, str]]]:
    if not path.is_file():
        raise PriorTableError(f"{path}: file not found")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or ())]
        if missing:
            raise PriorTableError(f"{path.name}: missing column(s) {', '.join(missing)}")
        for line, row in enumerate(reader, start=2):
            yield line, {c: (row.get(c) or "").strip() for c in columns}


def _weight(path: Path, line: int, value: str) -> float:
    try:
        weight = float(value)
    except ValueError:
        raise PriorTableError(
            f"{path.name} line {line} field weight: {value!r} is not a number"
        ) from None
    if not 0.0 < weight <= 1.0:
        raise PriorTableError(f"{path.name} line {line} field weight: {weight} is outside (0, 1]")
    return weight


def _normalised(table: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {k: {r: w / sum(v.values()) for r, w in v.items()} for k, v in table.items()}


def load_route_tables(knowledge_dir: Path, kb: KnowledgeBase | None = None) -> RouteTables | None:
    """The structured priors of a knowledge folder, checked row by row; None without priors/."""
    folder = knowledge_dir / PRIORS_DIR
    if not folder.is_dir():
        return None
    classes = nace2_classes()
    prefixes = {c[:n] for c in classes for n in (2, 3, 4)}
    path = folder / ROUTES_FILE
    raw: dict[str, dict[str, object]] = {}
    for line, row in _rows(
        path, ("route_id", "operation", "label", "receiver_nace", "weight", "source")
    ):
        target = row["receiver_nace"]
        if not (target.isdigit() and len(target) in (2, 3, 4) and target in prefixes):
            raise PriorTableError(
                f"{path.name} line {line} field receiver_nace: {target!r} is not a NACE Rev.2 "
                "division, group or class"
            )
        for col in ("route_id", "operation", "label", "source"):
            if not row[col]:
                raise PriorTableError(f"{path.name} line {line} field {col}: empty")
        entry = raw.setdefault(
            row["route_id"],
            {
                "operation": row["operation"],
                "label": row["label"],
                "source": row["source"],
                "t": {},
            },
        )
        targets = entry["t"]
        assert isinstance(targets, dict)
        targets[target] = targets.get(target, 0.0) + _weight(path, line, row["weight"])
    routes = {}
    for rid, entry in raw.items():
        targets = entry["t"]
        assert isinstance(targets, dict)
        total = sum(targets.values())
        routes[rid] = Route(
            rid,
            str(entry["operation"]),
            str(entry["label"]),
            tuple((t, w / total) for t, w in sorted(targets.items())),
            str(entry["source"]),
        )

    eural = {str(c) for c in load_eural()["code"]}
    by_code: dict[str, dict[str, float]] = {}
    path = folder / EURAL_ROUTES_FILE
    for line, row in _rows(path, ("eural", "route_id", "weight", "source")):
        if row["eural"] not in eural:
            raise PriorTableError(
                f"{path.name} line {line} field eural: {row['eural']!r} is not in the European "
                "List of Waste"
            )
        _check_route(path, line, row["route_id"], routes)
        if not row["source"]:
            raise PriorTableError(f"{path.name} line {line} field source: empty")
        by_code.setdefault(row["eural"], {})[row["route_id"]] = _weight(path, line, row["weight"])

    by_material: dict[str, dict[str, float]] = {}
    path = folder / MATERIAL_ROUTES_FILE
    for line, row in _rows(path, ("material", "route_id", "weight", "source")):
        key = row["material"]
        if key.startswith(CATEGORY_PREFIX):
            if key.removeprefix(CATEGORY_PREFIX) not in CATEGORIES:
                raise PriorTableError(f"{path.name} line {line} field material: unknown {key!r}")
        elif kb is not None and key not in kb.material_by_id:
            raise PriorTableError(f"{path.name} line {line} field material: unknown {key!r}")
        _check_route(path, line, row["route_id"], routes)
        if not row["source"]:
            raise PriorTableError(f"{path.name} line {line} field source: empty")
        by_material.setdefault(key, {})[row["route_id"]] = _weight(path, line, row["weight"])

    crosswalk = []
    path = folder / FLOWSA_FILE
    for line, row in _rows(
        path, ("flowsa_file", "pathway", "naics_2012", "nace", "route_id", "source")
    ):
        _check_route(path, line, row["route_id"], routes)
        nace = row["nace"]
        if nace not in classes:
            raise PriorTableError(f"{path.name} line {line} field nace: {nace!r} is not a class")
        if not any(nace.startswith(t) for t, _ in routes[row["route_id"]].targets):
            raise PriorTableError(
                f"{path.name} line {line} field nace: {nace} is not a receiver of route "
                f"{row['route_id']} in {ROUTES_FILE}"
            )
        crosswalk.append((row["flowsa_file"], row["pathway"], nace, row["route_id"]))
    return RouteTables(routes, _normalised(by_code), _normalised(by_material), tuple(crosswalk))


def _check_route(path: Path, line: int, route: str, routes: dict[str, Route]) -> None:
    if route not in routes:
        raise PriorTableError(f"{path.name} line {line} field route_id: unknown route {route!r}")


class RoutePrior:
    """The routes as distributions over one receiver universe (the engine's prior classes)."""

    def __init__(self, tables: RouteTables, kb: KnowledgeBase, receivers: tuple[str, ...]) -> None:
        self.tables = tables
        self.kb = kb
        self.receivers = receivers
        self.position = {r: i for i, r in enumerate(receivers)}
        inflow: dict[str, int] = {}
        for p in kb.pathway_records:
            inflow[p.receiver_nace] = inflow.get(p.receiver_nace, 0) + 1
        # Within a group or division, classes are ranked by how much cited knowledge leads there.
        class_weight = np.array([1.0 + inflow.get(r, 0) for r in receivers])
        self.vectors: dict[str, np.ndarray] = {}
        for rid, route in tables.routes.items():
            vec = np.zeros(len(receivers))
            for target, weight in route.targets:
                members = [i for i, r in enumerate(receivers) if r.startswith(target)]
                if members:
                    share = class_weight[members] / class_weight[members].sum()
                    vec[members] += weight * share
            self.vectors[rid] = vec / vec.sum() if vec.sum() > 0 else vec
        self._cache: dict[tuple[object, ...], dict[str, float]] = {}

    def route_weights(
        self,
        code: str | None,
        confidence: dict[str, float],
        categories: dict[str, float],
        skip: frozenset[str],
    ) -> dict[str, float]:
        """How much each route is meant by a query: its EURAL code, its materials (by their own
        routes or codes), the categories it was read as. Normalised; {} when nothing fits."""
        key = (code, tuple(sorted(confidence.items())), tuple(sorted(categories.items())))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        mixed: dict[str, float] = {}

        def add(routes: dict[str, float], weight: float) -> None:
            for route, w in routes.items():
                mixed[route] = mixed.get(route, 0.0) + weight * w

        add(self.tables.routes_of_code(code), W_CODE)
        for mid, conf in confidence.items():
            if mid not in skip:
                add(self.tables.routes_of_material(self.kb, mid), conf)
        for cat, weight in categories.items():
            add(self.tables.by_material.get(CATEGORY_PREFIX + cat, {}), W_CATEGORY * weight)
        total = sum(mixed.values())
        out = {r: w / total for r, w in mixed.items()} if total > 0 else {}
        if len(self._cache) < 50_000:
            self._cache[key] = out
        return out

    def distribution(self, weights: dict[str, float]) -> np.ndarray | None:
        """P(receiving class | routes meant), or None when no route is meant."""
        if not weights:
            return None
        dist = np.zeros(len(self.receivers))
        for route, w in weights.items():
            dist += w * self.vectors[route]
        return dist

    def best_route(self, weights: dict[str, float], receiver_index: int) -> Route | None:
        """The route that contributes most to one class, for the explanation."""
        best = max(
            ((w * self.vectors[r][receiver_index], r) for r, w in weights.items()), default=None
        )
        if best is None or best[0] <= 0.0:
            return None
        return self.tables.routes[best[1]]
