"""How much English a Dutch reader meets in report.html: the visible text (no script, style or
tooltips) split into words; a word counts as English when the English word list has it and
the Dutch one does not (words both languages share, such as 'score' or 'sector', do not
count). Word lists: Debian's wamerican and wdutch (`apt-get install wamerican wdutch`).

    .venv/bin/python benchmarks/english_words.py exports/regio-amersfoort/latest/report.html
"""

from __future__ import annotations

import argparse
import collections
import json
import re
from pathlib import Path

from lxml import html

ENGLISH = Path("/usr/share/dict/american-english")
DUTCH = Path("/usr/share/dict/dutch")
WORD = re.compile(r"[A-Za-zÀ-ÿ]{3,}")


def _words(path: Path) -> set[str]:
    return {w.strip().lower() for w in path.read_text(encoding="utf-8", errors="replace").split()}


def visible_text(page: Path) -> str:
    tree = html.fromstring(page.read_bytes())
    for node in tree.xpath("//script|//style"):
        node.drop_tree()
    return tree.text_content()


def count(page: Path) -> dict[str, object]:
    english, dutch = _words(ENGLISH), _words(DUTCH)
    words = [w.lower() for w in WORD.findall(visible_text(page))]
    found = collections.Counter(w for w in words if w in english and w not in dutch)
    return {
        "file": str(page),
        "words": len(words),
        "english_words": sum(found.values()),
        "distinct_english_words": len(found),
        "most_common": found.most_common(25),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", type=Path)
    for page in parser.parse_args().reports:
        print(json.dumps(count(page), ensure_ascii=False))


if __name__ == "__main__":
    main()
