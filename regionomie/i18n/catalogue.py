"""Keeping the message catalogues complete: Babel's extractor finds every reader-facing
string in the code (`_()`, `gettext()`, `ngettext()` calls), and `update` merges them into
`locale/<lang>/LC_MESSAGES/regionomie.po` (new ones empty, for a translator to fill).

    python -m regionomie.i18n.catalogue check    # exit 1 and name every missing message
    python -m regionomie.i18n.catalogue update   # add new messages to both catalogues
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from regionomie.i18n import DOMAIN, LANGUAGES, LOCALES, catalogue_path

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # regionomie/
KEYWORDS = {**DEFAULT_KEYWORDS, "_": None, "gettext": None, "ngettext": (1, 2)}
SINGULAR = frozenset({"_", "gettext"})
PLURAL = frozenset({"ngettext"})


def extract_python_ast(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator:
    """A Babel extraction method reading the syntax tree, so calls inside f-strings are found
    too (Babel's token-based extractor sees an f-string as one token before Python 3.12).
    Finds `_("…")`, `x._("…")`, `x.gettext("…")` and `x.ngettext("…", "…", n)` whose texts
    are literal strings."""
    source = fileobj.read().decode("utf-8")
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else "")  # fmt: skip
        args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
                for a in node.args]  # fmt: skip
        if name in SINGULAR and args and args[0]:
            yield node.lineno, name, args[0], []
        elif name in PLURAL and len(args) >= 2 and args[0] and args[1]:
            yield node.lineno, name, (args[0], args[1]), []


METHOD_MAP = [("**.py", "regionomie.i18n.catalogue:extract_python_ast")]


def extract(package_dir: Path = PACKAGE_DIR) -> Catalog:
    """Every message in the package's code, as a template catalogue."""
    template = Catalog(domain=DOMAIN, project="regionomie")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(package_dir), METHOD_MAP, keywords=KEYWORDS
    ):
        template.add(message, locations=[(filename, lineno)], auto_comments=comments,
                     context=context)  # fmt: skip
    return template


def load(lang: str) -> Catalog:
    with catalogue_path(lang).open("rb") as handle:
        return read_po(handle, locale=LOCALES[lang], domain=DOMAIN)


def missing(lang: str, template: Catalog | None = None) -> list[str]:
    """Messages of the code that `lang`'s catalogue lacks or leaves untranslated/fuzzy."""
    template = template or extract()
    catalogue = load(lang)
    gaps = []
    for message in template:
        if not message.id:
            continue
        found = catalogue.get(message.id, context=message.context)
        strings = found.string if found is not None else None
        texts = strings if isinstance(strings, tuple) else (strings,)
        if found is None or found.fuzzy or not all(texts):
            gaps.append(message.id if isinstance(message.id, str) else message.id[0])
    return gaps


def update(lang: str, template: Catalog | None = None) -> int:
    """Merge the code's messages into `lang`'s catalogue; returns how many were added."""
    template = template or extract()
    path = catalogue_path(lang)
    if path.exists():
        catalogue = load(lang)
    else:
        catalogue = Catalog(locale=LOCALES[lang], domain=DOMAIN, project="regionomie")
    before = {m.id for m in catalogue if m.id}
    catalogue.update(template, no_fuzzy_matching=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalogue, width=100, omit_header=False, sort_output=True,
                 no_location=True)  # fmt: skip
    return len({m.id for m in catalogue if m.id} - before)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m regionomie.i18n.catalogue")
    parser.add_argument("action", choices=["check", "update"])
    args = parser.parse_args(argv)
    template = extract()
    if args.action == "update":
        for lang in LANGUAGES:
            print(f"{lang}: {update(lang, template)} new message(s)")
        return 0
    status = 0
    for lang in LANGUAGES:
        for message in missing(lang, template):
            print(f"{catalogue_path(lang)}: missing: {message!r}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
