"""The analyst query library (graph_schema/queries/*.cypher) as data.

Why: the same files feed the tests (every query runs against a loaded sample graph), the
Neo4j Browser guide and anyone calling them from Python, so the header format is checked
here: a "// Question:" line and a "// Parameters:" line naming every $parameter used.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regionomie.paths import QUERIES_DIR

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class QueryFileError(ValueError):
    """A query file lacks its header; the message names the file."""


@dataclass(frozen=True)
class Query:
    name: str
    path: Path
    question: str
    parameters_doc: str
    parameters: tuple[str, ...]  # every $name used in the body, sorted
    text: str  # runnable Cypher (comments kept, trailing ';' removed)
    example: dict[str, Any] = field(default_factory=dict)  # '// Example: {json}' header


def _header(lines: list[str], tag: str, path: Path) -> str:
    """The text of a '// Tag:' comment including its indented continuation lines."""
    for i, line in enumerate(lines):
        if line.startswith(f"// {tag}:"):
            parts = [line.split(":", 1)[1].strip()]
            for cont in lines[i + 1 :]:
                if cont.startswith("//   "):
                    parts.append(cont[2:].strip())
                else:
                    break
            return " ".join(parts)
    raise QueryFileError(f"{path.name}: missing '// {tag}:' header comment")


def parse_query(path: Path) -> Query:
    raw = path.read_text(encoding="utf-8")
    lines = raw.splitlines()
    if not lines or not lines[0].startswith("// Question:"):
        raise QueryFileError(f"{path.name}: must start with a '// Question:' comment")
    question = _header(lines, "Question", path)
    params_doc = _header(lines, "Parameters", path)
    body = "\n".join(line for line in lines if not line.lstrip().startswith("//"))
    used = tuple(sorted(set(_PARAM.findall(body))))
    missing = [p for p in used if f"${p}" not in params_doc]
    if missing:
        raise QueryFileError(f"{path.name}: parameters not documented in header: {missing}")
    example: dict[str, Any] = {}
    for line in lines:
        if line.startswith("// Example:"):
            try:
                example = json.loads(line.split(":", 1)[1])
            except json.JSONDecodeError as exc:
                raise QueryFileError(f"{path.name}: '// Example:' is not JSON ({exc})") from exc
    if example and set(example) != set(used):
        raise QueryFileError(f"{path.name}: example parameters {sorted(example)} != {list(used)}")
    text = raw.strip()
    if text.endswith(";"):
        text = text[:-1].rstrip()
    return Query(
        name=path.stem,
        path=path,
        question=question,
        parameters_doc=params_doc,
        parameters=used,
        text=text,
        example=example,
    )


def load_queries(directory: Path = QUERIES_DIR) -> dict[str, Query]:
    return {p.stem: parse_query(p) for p in sorted(directory.glob("*.cypher"))}
