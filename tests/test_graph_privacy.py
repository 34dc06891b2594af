"""The graph keeps what analysts need (the name, flagged), but Neo4j Browser captions a sole
proprietor only by a pseudonym: Organisation and Establishment nodes carry display_name and the
generated style captions them with it (on the session's real Neo4j)."""

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


def test_sole_proprietors_have_a_pseudonymous_display_name(empty_graph) -> None:
    migrations.migrate(empty_graph)
    sample.load_sample_region(empty_graph, "run-privacy")
    records, _, _ = empty_graph.execute_query(
        "MATCH (n) WHERE n:Organisation OR n:Establishment "
        "RETURN labels(n)[0] AS label, n.name AS name, n.display_name AS shown, "
        "n.is_sole_proprietor AS sole"
    )
    sole = [r for r in records if r["sole"]]
    others = [r for r in records if not r["sole"]]
    assert sole and others, "the sample has both kinds"
    for r in sole:
        assert r["shown"].startswith("Eenmanszaak (") and r["name"] not in r["shown"]
    for r in others:
        assert r["shown"] == r["name"]
