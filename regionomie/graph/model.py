"""The graph model as typed constants, read from graph_schema/model.yaml (the one place that
declares labels, keys, properties and relationship types).

Why: Cypher cannot take labels or relationship types as parameters, so the loader splices them
into query text. Taking them only from this declaration (and checking they are plain
identifiers) means no label or type ever comes from data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from regionomie.paths import GRAPH_SCHEMA_DIR

MODEL_FILE = GRAPH_SCHEMA_DIR / "model.yaml"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ModelError(ValueError):
    """model.yaml is malformed; the message names the entry."""


@dataclass(frozen=True)
class PointSpec:
    property: str
    latitude: str
    longitude: str


@dataclass(frozen=True)
class NodeSpec:
    label: str
    key: str
    properties: tuple[str, ...]
    caption: str
    point: PointSpec | None = None
    restricted: bool = False  # personal data: the restricted store only


@dataclass(frozen=True)
class RelSpec:
    name: str  # family name in model.yaml (PART_OF exists for sectors and materials)
    type: str
    start: str  # label
    end: str  # label
    identity: tuple[str, ...]
    properties: tuple[str, ...]
    anchor: str | None = None  # label whose row implies this relationship


@dataclass(frozen=True)
class GraphModel:
    nodes: dict[str, NodeSpec]
    relationships: dict[str, RelSpec]
    bookkeeping: tuple[str, ...]
    relationship_bookkeeping: tuple[str, ...]
    volatile: tuple[str, ...]
    volatile_labels: tuple[str, ...]

    def node(self, label: str) -> NodeSpec:
        return self.nodes[label]

    def rel(self, name: str) -> RelSpec:
        return self.relationships[name]


def _ident(value: object, where: str) -> str:
    if not isinstance(value, str) or not _IDENT.match(value):
        raise ModelError(f"model.yaml {where}: {value!r} is not a plain identifier")
    return value


def parse_model(data: dict) -> GraphModel:
    """Validate and convert the YAML mapping; every name must be a plain identifier."""
    nodes: dict[str, NodeSpec] = {}
    for label, spec in (data.get("nodes") or {}).items():
        _ident(label, "nodes")
        point = spec.get("point")
        nodes[label] = NodeSpec(
            label=label,
            key=_ident(spec.get("key"), f"nodes.{label}.key"),
            properties=tuple(
                _ident(p, f"nodes.{label}.properties") for p in spec.get("properties") or ()
            ),
            caption=_ident(spec.get("caption", spec.get("key")), f"nodes.{label}.caption"),
            point=PointSpec(
                property=_ident(point["property"], f"nodes.{label}.point"),
                latitude=_ident(point["latitude"], f"nodes.{label}.point"),
                longitude=_ident(point["longitude"], f"nodes.{label}.point"),
            )
            if point
            else None,
            restricted=bool(spec.get("restricted", False)),
        )
    rels: dict[str, RelSpec] = {}
    for name, spec in (data.get("relationships") or {}).items():
        _ident(name, "relationships")
        start = _ident(spec.get("from"), f"relationships.{name}.from")
        end = _ident(spec.get("to"), f"relationships.{name}.to")
        for label in (start, end):
            if label not in nodes:
                raise ModelError(f"model.yaml relationships.{name}: unknown label {label}")
        rels[name] = RelSpec(
            name=name,
            type=_ident(spec.get("type", name), f"relationships.{name}.type"),
            start=start,
            end=end,
            identity=tuple(
                _ident(p, f"relationships.{name}.identity") for p in spec.get("identity") or ()
            ),
            properties=tuple(
                _ident(p, f"relationships.{name}.properties") for p in spec.get("properties") or ()
            ),
            anchor=_ident(spec["anchor"], f"relationships.{name}.anchor")
            if spec.get("anchor")
            else None,
        )
        if rels[name].anchor and rels[name].anchor not in (start, end):
            raise ModelError(f"model.yaml relationships.{name}: anchor must be from or to")
    return GraphModel(
        nodes=nodes,
        relationships=rels,
        bookkeeping=tuple(data.get("bookkeeping") or ()),
        relationship_bookkeeping=tuple(data.get("relationship_bookkeeping") or ()),
        volatile=tuple(data.get("volatile") or ()),
        volatile_labels=tuple(data.get("volatile_labels") or ()),
    )


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_FILE) -> GraphModel:
    with path.open(encoding="utf-8") as handle:
        return parse_model(yaml.safe_load(handle))


MODEL = load_model()
