"""Neo4j Browser guide and style, generated from graph_schema/model.yaml and the query library.

Why generated: the guide's model slide and query slides must never drift from the model and
the .cypher files the tests run; a test compares the committed files with a fresh render.

    python -m regionomie.graph.guide write          # rewrite graph_schema/browser/*
    python -m regionomie.graph.guide serve --port 8001
        # serve graph_schema/browser on http://localhost:8001 with CORS, then in Browser:
        # :play http://localhost:8001/guide.html
"""

from __future__ import annotations

import argparse
import html
import json
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from regionomie.graph.model import MODEL, GraphModel
from regionomie.graph.queries import Query, load_queries
from regionomie.paths import GRAPH_SCHEMA_DIR

BROWSER_DIR = GRAPH_SCHEMA_DIR / "browser"

# one colour per label (fill, border); captions come from model.yaml `caption`
PALETTE: dict[str, tuple[str, str]] = {
    "Organisation": ("#8DCC93", "#5DB665"),
    "Establishment": ("#4C8EDA", "#2870C2"),
    "Municipality": ("#F79767", "#F36924"),
    "Province": ("#FFC454", "#D7A013"),
    "Sector": ("#C990C0", "#B261A5"),
    "Material": ("#57C7E3", "#23B3D7"),
    "Challenge": ("#F16667", "#EB2728"),
    "DataSource": ("#D9C8AE", "#C0A378"),
    "LoadRun": ("#A5ABB6", "#9AA1AC"),
    "Opportunity": ("#ECB5C9", "#DA7298"),
    "ResidualStream": ("#6DCE9E", "#3FB67F"),
    "BusinessCase": ("#FF756E", "#E06760"),
}


def _cypher_value(value: Any) -> str:
    """A Browser :params literal (Cypher map syntax)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def params_command(example: dict[str, Any]) -> str:
    inner = ", ".join(f"{k}: {_cypher_value(v)}" for k, v in example.items())
    return f":params {{{inner}}}"


def _pre(code: str) -> str:
    return f'<pre class="pre-scrollable code runnable">{html.escape(code)}</pre>'


def _slide(title: str, lead: str, body: str) -> str:
    return (
        '<slide class="row-fluid">\n'
        '  <div class="col-sm-3">\n'
        f"    <h3>{html.escape(title)}</h3>\n"
        f'    <p class="lead">{lead}</p>\n'
        "  </div>\n"
        f'  <div class="col-sm-9">\n{body}\n  </div>\n'
        "</slide>"
    )


def _query_body(query: Query) -> str:
    text = "\n".join(line for line in query.text.splitlines() if not line.lstrip().startswith("//"))
    parts = [f"<p>{html.escape(query.parameters_doc)}</p>"]
    if query.example:
        parts.append("<p>1. Set the parameters (click, then run):</p>")
        parts.append(_pre(params_command(query.example)))
        parts.append("<p>2. Run the query:</p>")
    parts.append(_pre(text))
    parts.append(f"<p><small>File: graph_schema/queries/{html.escape(query.path.name)}</small></p>")
    return "\n".join(parts)


def render_guide(queries: dict[str, Query] | None = None, model: GraphModel = MODEL) -> str:
    queries = queries if queries is not None else load_queries()
    rows = "\n".join(
        f"<tr><td>:{html.escape(s.label)}</td><td>{html.escape(s.key)}</td>"
        f"<td>{html.escape(', '.join(s.properties))}</td></tr>"
        for s in model.nodes.values()
        if not s.restricted  # not in the analysts' graph
    )
    rels = "\n".join(
        f"<tr><td>(:{html.escape(r.start)})-[:{html.escape(r.type)}]-&gt;(:{html.escape(r.end)})"
        f"</td><td>{html.escape(', '.join((*r.identity, *r.properties)))}</td></tr>"
        for r in model.relationships.values()
    )
    slides = [
        _slide(
            "Regionomie: the regional graph",
            "Companies, their waste, sectors, places and challenges of a Dutch region.",
            "<p>Establishments (KvK vestigingen) belong to organisations, lie in "
            "municipalities, are active in SBI/NACE sectors, produce EURAL materials "
            "(LMA receipts) and send them to other establishments (observed flows). "
            "Municipalities face societal challenges (CBS). The opportunity step adds "
            "ranked Opportunity nodes.</p>"
            "<p>Each query slide has two blocks: click the first to put its "
            "<code>:params</code> in the editor and run it, then click and run the query.</p>"
            + _pre("CALL db.schema.visualization()"),
        ),
        _slide(
            "Nodes",
            "Labels, their unique key and properties (graph_schema/model.yaml).",
            '<table class="table table-condensed"><tr><th>Label</th><th>Key</th>'
            f"<th>Properties</th></tr>\n{rows}\n</table>",
        ),
        _slide(
            "Relationships",
            "Types and their properties; every relationship also carries source, "
            "load_run, row_hash, current, valid_from and valid_to.",
            '<table class="table table-condensed"><tr><th>Pattern</th><th>Properties</th></tr>'
            f"\n{rels}\n</table>",
        ),
        _slide(
            "Provenance and history",
            "Nothing is deleted: closed things are marked.",
            "<p><code>source</code> and <code>load_run</code> name the source and the load "
            "run that last changed a node or relationship; <code>row_hash</code> is the "
            "content hash the incremental loader compares. Establishments gone from a full "
            "snapshot get <code>active = false</code> and an <code>end_date</code>; "
            "relationships that no longer hold get <code>current = false</code> and "
            "<code>valid_to</code>. Filter on <code>r.current</code> for today's graph.</p>"
            + _pre(
                "MATCH (r:LoadRun)-[:LOADED_FROM]->(d:DataSource)\n"
                "RETURN r.run_id, d.name, r.status, r.mode, r.started_at, r.finished_at\n"
                "ORDER BY r.started_at DESC LIMIT 20"
            ),
        ),
    ]
    for query in queries.values():
        slides.append(
            _slide(
                query.name.replace("_", " ").capitalize(),
                html.escape(query.question[0].upper() + query.question[1:]),
                _query_body(query),
            )
        )
    return (
        "<!-- Generated by `python -m regionomie.graph.guide write` from graph_schema/"
        "model.yaml and graph_schema/queries; do not edit by hand. -->\n"
        '<article class="guide">\n<carousel class="deck container-fluid">\n'
        + "\n".join(slides)
        + "\n</carousel>\n</article>\n"
    )


def render_style(model: GraphModel = MODEL) -> str:
    """GraSS for Neo4j Browser: a colour per label, nodes captioned by their name."""
    blocks = [
        "/* Generated by `python -m regionomie.graph.guide write` from graph_schema/model.yaml. */",
        "node {\n  diameter: 50px;\n  color: #A5ABB6;\n  border-color: #9AA1AC;\n"
        "  border-width: 2px;\n  text-color-internal: #FFFFFF;\n  font-size: 10px;\n}",
        "relationship {\n  color: #A5ABB6;\n  shaft-width: 1px;\n  font-size: 8px;\n"
        "  padding: 3px;\n  text-color-external: #000000;\n  text-color-internal: #FFFFFF;\n"
        '  caption: "<type>";\n}',
    ]
    captions = {label: spec.caption for label, spec in model.nodes.items()}
    for label, caption in captions.items():
        fill, border = PALETTE.get(label, ("#A5ABB6", "#9AA1AC"))
        size = "65px" if label in ("Municipality", "Province") else "50px"
        blocks.append(
            f"node.{label} {{\n  color: {fill};\n  border-color: {border};\n"
            f"  diameter: {size};\n  text-color-internal: #FFFFFF;\n"
            f'  caption: "{{{caption}}}";\n}}'
        )
    return "\n".join(blocks) + "\n"


def write(directory: Path = BROWSER_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    guide = directory / "guide.html"
    style = directory / "style.grass"
    guide.write_text(render_guide(), encoding="utf-8")
    style.write_text(render_style(), encoding="utf-8")
    return [guide, style]


class _CorsHandler(SimpleHTTPRequestHandler):
    """Neo4j Browser fetches guides cross-origin: allow it."""

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()


def serve(port: int, directory: Path = BROWSER_DIR) -> None:
    def handler(*args: Any, **kwargs: Any) -> _CorsHandler:
        return _CorsHandler(*args, directory=str(directory), **kwargs)

    with ThreadingHTTPServer(("127.0.0.1", port), handler) as httpd:
        print(
            f"serving {directory} - in Neo4j Browser run :play http://localhost:{port}/guide.html"
        )
        httpd.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Neo4j Browser guide and style")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("write", help="regenerate graph_schema/browser/guide.html and style.grass")
    srv = sub.add_parser("serve", help="serve graph_schema/browser with CORS on 127.0.0.1")
    srv.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    if args.action == "write":
        for path in write():
            print(f"wrote {path}")
    else:
        serve(args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
