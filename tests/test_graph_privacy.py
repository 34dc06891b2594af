"""Neo4j Browser captions every actor by display_name (a pseudonym for a sole proprietor), and
the pipeline's graph holds a sole proprietor only under its pseudonym, without its name (on
the session's real Neo4j; tests/test_graph_personal.py measures the whole sample)."""

from __future__ import annotations

import re

import pytest

from regionomie.graph import guide, migrations, sample
from regionomie.graph.model import MODEL

pytestmark = pytest.mark.neo4j


def test_style_never_captions_an_actor_by_name() -> None:
    style = guide.render_style()
    for label in ("Organisation", "Establishment"):
        block = re.search(rf"node\.{label} \{{(.*?)\n\}}", style, flags=re.S)
        assert block, label
        assert 'caption: "{display_name}"' in block.group(1)
        assert "display_name" in MODEL.nodes[label].properties


def test_sole_proprietors_have_only_a_pseudonym(empty_graph) -> None:
    from regionomie import flow
    from regionomie.graph.loader import load_frames

    migrations.migrate(empty_graph)
    tables = sample.tables()
    load_frames(empty_graph, flow.establishment_frames(tables), run_id="privacy", source="kvk")
    records, _, _ = empty_graph.execute_query(
        "MATCH (n) WHERE n:Organisation OR n:Establishment "
        "RETURN labels(n)[0] AS label, n.name AS name, n.display_name AS shown, "
        "coalesce(n.vestigingsnummer, n.kvkNummer) AS key, n.is_sole_proprietor AS sole"
    )
    sole = [r for r in records if r["sole"]]
    others = [r for r in records if not r["sole"]]
    assert sole and others, "the sample has both kinds"
    names = set(tables["establishments"]["trade_name"])
    for r in sole:
        assert r["shown"].startswith("Eenmanszaak (") and r["name"] is None
        assert r["key"].startswith("ez-") and not any(n in r["shown"] for n in names)
    for r in others:
        assert r["shown"] == r["name"] and not r["key"].startswith("ez-")
