"""The Browser guide and style are generated from the model and the query library and the
committed files are up to date."""

from __future__ import annotations

import html
import re

from regionomie.graph import guide
from regionomie.graph.model import MODEL
from regionomie.graph.queries import load_queries


def test_committed_guide_and_style_are_current():
    assert (guide.BROWSER_DIR / "guide.html").read_text(encoding="utf-8") == guide.render_guide(), (
        "run `python -m regionomie.graph.guide write`"
    )
    assert (guide.BROWSER_DIR / "style.grass").read_text(encoding="utf-8") == guide.render_style()


def test_guide_has_a_runnable_block_per_query_and_its_params():
    text = guide.render_guide()
    assert text.startswith("<!--") and '<article class="guide">' in text
    blocks = [
        html.unescape(b)
        for b in re.findall(r'<pre class="[^"]*runnable">(.*?)</pre>', text, flags=re.S)
    ]
    for query in load_queries().values():
        body = "\n".join(
            line for line in query.text.splitlines() if not line.lstrip().startswith("//")
        )
        assert body in blocks, query.name
        assert guide.params_command(query.example) in blocks, query.name
    assert text.count("<slide") == len(load_queries()) + 4


def test_params_command_uses_cypher_literals():
    assert guide.params_command({"a": "GM0307", "b": None, "c": 1.5, "d": True}) == (
        ':params {a: "GM0307", b: null, c: 1.5, d: true}'
    )


def test_style_colours_and_captions_every_label():
    style = guide.render_style()
    for label, spec in MODEL.nodes.items():
        block = re.search(rf"node\.{label} \{{(.*?)\n\}}", style, flags=re.S)
        assert block, label
        assert f'caption: "{{{spec.caption}}}"' in block.group(1)
        assert "color: #" in block.group(1)
