"""`regionomie suggest-receivers`: which sectors could take a residual stream.

Single query:
    regionomie suggest-receivers --producer-sector 5610 --waste-code 200108 \\
        --waste-description "koffiedik" [--top 10] [--json]
Batch (JSON lines in, JSON lines out, input order kept, KB loaded once):
    regionomie suggest-receivers --input queries.jsonl [--top 10]
(keys producer_sector, waste_code, waste_description, country). --country sets the donor's
country (default: the Dutch context; pathways seen only abroad are marked); --lang en prints
the English sector names in the table.

Standard output carries only the table or JSON; progress and errors go to standard error.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, TextIO

from regionomie.domain.knowledge import KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from regionomie.domain.suggest import Answer, Suggestion, answer, engine_for
from regionomie.domain.suggest.exchanges import ExchangeSetError

QUERY_KEYS: tuple[str, ...] = ("producer_sector", "waste_code", "waste_description", "country")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "suggest-receivers",
        help="suggest receiving sectors (NACE 4-digit) for a waste stream",
        description="Rank receiving sectors for a residual stream from the curated knowledge base.",
    )
    parser.add_argument("--producer-sector", help="NACE Rev.2 or SBI code, e.g. 5610 or 56.10.1")
    parser.add_argument("--waste-code", help="EURAL/EWC code, e.g. 200108 or '20 01 08*'")
    parser.add_argument("--waste-description", help="free text, Dutch or English")
    parser.add_argument(
        "--country",
        help="ISO 3166 code of the donor's country (default: the Dutch context, where pathways "
        "seen only abroad are marked)",
    )
    parser.add_argument(
        "--input", type=Path, help="JSON-lines file of queries (batch mode); - reads standard input"
    )
    parser.add_argument("--top", type=int, default=10, help="number of sectors (default 10)")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    parser.add_argument(
        "--lang",
        choices=("nl", "en"),
        default="nl",
        help="language of the sector names in the table (JSON carries both)",
    )
    parser.add_argument(
        "--knowledge-dir",
        type=Path,
        default=None,
        help="knowledge base folder (default data/knowledge)",
    )
    parser.set_defaults(func=run)


def _suggestions_json(items: list[Suggestion]) -> list[dict[str, Any]]:
    return [
        {
            "sector": s.sector,
            "sector_name": s.sector_name,
            "sector_name_en": s.sector_name_en,
            "score": s.score,
            "material": s.material,
            "use": s.use,
            "evidence": s.evidence,
            "basis": s.basis,
            "explanation": s.explanation,
            "seen_abroad_only": s.seen_abroad_only,
        }
        for s in items
    ]


def _answer_json(result: Answer) -> dict[str, Any]:
    return {"receivers": _suggestions_json(result.receivers), "notes": list(result.notes)}


def _clean(value: Any) -> str | None:
    """JSON value -> stripped string or None (null, empty, whitespace)."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


_ID_PATTERN = re.compile(r'"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)')


def _salvage_id(raw: str) -> Any:
    """Best-effort id from a line that is not valid JSON, so the caller can still match it up."""
    match = _ID_PATTERN.search(raw[:10_000])
    if not match:
        return None
    try:
        return json.loads(match.group(1))
    except json.JSONDecodeError:
        return None


def _print_table(items: list[Suggestion], out: TextIO, lang: str = "nl") -> None:
    """The ranked classes, each with its sector name beside the code."""
    out.write(
        f"{'#':>2}  {'sector':<6}  {'name':<44}  {'score':>5}  {'material':<28}  use / evidence\n"
    )
    if not items:
        out.write("    (no suggestions; see the note)\n")
    for rank, s in enumerate(items, start=1):
        name = (s.sector_name if lang == "nl" else s.sector_name_en) or "?"
        if s.seen_abroad_only:
            name = "(abroad) " + name
        if len(name) > 44:
            name = name[:43] + "…"
        out.write(
            f"{rank:>2}  {s.sector:<6}  {name:<44}  {s.score:>5.3f}  {s.material:<28}  {s.use}\n"
        )
        out.write(
            f"{'':>2}  {'':<6}  {'':<44}  {'':>5}  {'':<28}  [{s.basis}: {s.explanation}] "
            f"{s.evidence}\n"
        )


MAX_LINE_BYTES = 1024 * 1024


def _lines(source: IO[bytes] | IO[str] | Iterable[bytes | str]) -> Iterator[bytes | str | None]:
    """Input lines, each at most MAX_LINE_BYTES: a longer line yields None and is skipped to
    its end without holding it in memory."""
    readline = getattr(source, "readline", None)
    if readline is None:
        yield from source  # type: ignore[misc]
        return
    while True:
        line = readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        newline = "\n" if isinstance(line, str) else b"\n"
        if len(line) > MAX_LINE_BYTES and not line.endswith(newline):
            while line and not line.endswith(newline):  # drain the rest of the long line
                line = readline(MAX_LINE_BYTES)
            yield None
            continue
        yield line


def _answer_line(kb: KnowledgeBase, raw: bytes | str | None, line_no: int, top: int) -> dict:
    """The output record for one input line: receivers, or an error naming the line. Nothing
    a single line holds can stop the batch."""
    if raw is None:
        return {"id": None, "error": f"line {line_no}: longer than {MAX_LINE_BYTES} bytes"}
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return {"id": None, "error": f"line {line_no}: not UTF-8 text"}
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as exc:
        return {"id": _salvage_id(raw), "error": f"line {line_no}: invalid JSON ({exc.msg})"}
    except RecursionError:
        return {"id": _salvage_id(raw), "error": f"line {line_no}: JSON nested too deeply"}
    if not isinstance(parsed, dict):
        return {"id": None, "error": f"line {line_no}: expected a JSON object"}
    record: dict[str, Any] = {"id": _plain_id(parsed.get("id"))}
    bad_keys = [
        k
        for k in QUERY_KEYS
        if parsed.get(k) is not None and not isinstance(parsed.get(k), str | int | float)
    ]
    if bad_keys:
        record["error"] = f"line {line_no} field {bad_keys[0]}: expected a string or null"
        return record
    query = {k: _clean(parsed.get(k)) for k in QUERY_KEYS}
    try:
        record.update(_answer_json(answer(kb, top=top, **query)))
    except Exception as exc:  # noqa: BLE001 - one odd query must not end the batch
        record["error"] = f"line {line_no}: could not be answered ({type(exc).__name__})"
    return record


def _plain_id(value: Any) -> Any:
    """The id echoed back: scalars as given, anything else as its JSON text (bounded)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, ensure_ascii=False)[:200]


def run_batch(
    kb: KnowledgeBase, lines: IO[bytes] | IO[str] | Iterable[bytes | str], out: TextIO, top: int
) -> tuple[int, int]:
    """One JSON line out per non-blank input line; bad lines get an "error". Returns (ok, bad)."""
    ok = bad = 0
    for line_no, raw in enumerate(_lines(lines), start=1):
        if raw is not None and not raw.strip():
            continue
        record = _answer_line(kb, raw, line_no, top)
        if "error" in record:
            bad += 1
        else:
            ok += 1
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return ok, bad


def run(args: argparse.Namespace) -> int:
    if args.top <= 0:
        print("error: --top must be positive", file=sys.stderr)
        return 2
    try:
        kb = load_knowledge_base(args.knowledge_dir)
        engine_for(kb)  # load the documented exchanges and the model now, not mid-batch
    except (KnowledgeBaseError, ExchangeSetError) as exc:
        print(f"error: knowledge base: {exc}", file=sys.stderr)
        return 1

    if args.input is not None:
        started = time.perf_counter()
        try:
            if str(args.input) == "-":
                stdin = getattr(sys.stdin, "buffer", sys.stdin)
                ok, bad = run_batch(kb, stdin, sys.stdout, args.top)
            else:
                with args.input.open("rb") as handle:  # decoded per line: one bad line is one
                    ok, bad = run_batch(kb, handle, sys.stdout, args.top)
        except OSError as exc:
            print(f"error: cannot read {args.input}: {exc}", file=sys.stderr)
            return 1
        elapsed = time.perf_counter() - started
        print(
            f"suggest-receivers: {ok} queries answered, {bad} lines with errors, {elapsed:.2f}s",
            file=sys.stderr,
        )
        return 0

    query = {
        "producer_sector": _clean(args.producer_sector),
        "waste_code": _clean(args.waste_code),
        "waste_description": _clean(args.waste_description),
        "country": _clean(args.country),
    }
    result = answer(kb, top=args.top, **query)
    if args.json:
        print(json.dumps({"query": query, **_answer_json(result)}, ensure_ascii=False))
    else:
        _print_table(result.receivers, sys.stdout, args.lang)
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
    return 0
