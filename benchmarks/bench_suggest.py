"""Evaluate and time the receiver-suggestion engine.

Quality: Hit@10 and MRR of the documented receiving sector, at NACE 4-digit and 2-digit level, on
the documented exchanges in ../shared/examples/documented-exchanges.csv (read at run time, never
copied into the repository). Modes:

- full: all inputs of the example (producer sector, EURAL code, description);
- description-only, codes-only (producer + EURAL, no text): robustness to missing inputs;
- leave-one-out: the example's own knowledge is removed first (every pathway from the material the
  engine recognises to the documented receiver sector), so the receiver must be found through
  other materials, related pathways or generic fallbacks. This shows how much the score rests
  on having curated that very exchange.

Speed: queries/second of batch mode (KB loaded once, JSON lines in and out) against a baseline
that loads the knowledge base for every query, both measured in this run.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_suggest.py [--examples PATH] [--json]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from regionomie.commands.suggest import run_batch  # noqa: E402
from regionomie.domain.knowledge import KnowledgeBase, Pathway, load_knowledge_base  # noqa: E402
from regionomie.domain.suggest import Suggestion, suggest_receivers  # noqa: E402

DEFAULT_EXAMPLES = REPO_ROOT.parent / "shared" / "examples" / "documented-exchanges.csv"

Query = tuple[str | None, str | None, str | None]


def read_examples(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [dict(row) for row in csv.DictReader(handle)]


def _opt(value: str | None) -> str | None:
    return value.strip() or None if value else None


def rank_of(found: list[Suggestion], expected: str, digits: int) -> int | None:
    """1-based rank of the first suggestion matching `expected` on its first `digits` digits."""
    for rank, s in enumerate(found, start=1):
        if s.sector[:digits] == expected[:digits]:
            return rank
    return None


def metrics(ranks: list[int | None], k: int = 10) -> dict[str, float]:
    n = len(ranks) or 1
    hit = sum(1 for r in ranks if r is not None and r <= k) / n
    mrr = sum(1.0 / r for r in ranks if r is not None and r <= k) / n
    return {"hit@10": round(hit, 3), "mrr": round(mrr, 3)}


def without_exchange(kb: KnowledgeBase, material: str, receiver: str) -> KnowledgeBase:
    """A copy of the KB that does not know `material` -> `receiver` (fresh caches)."""
    keep = tuple(
        p
        for p in kb.pathway_records
        if not (p.material_id == material and p.receiver_nace == receiver)
    )
    by_material: dict[str, list[Pathway]] = {m: [] for m in kb.material_by_id}
    for p in keep:
        by_material[p.material_id].append(p)
    return dataclasses.replace(
        kb,
        pathway_records=keep,
        pathways_by_material={k: tuple(v) for k, v in by_material.items()},
        cache={},
    )


def evaluate(
    kb: KnowledgeBase, examples: list[dict[str, str]], make_query: Callable[[dict[str, str]], Query]
) -> dict[str, object]:
    ranks4: list[int | None] = []
    ranks2: list[int | None] = []
    for ex in examples:
        found = suggest_receivers(kb, *make_query(ex), top=10)
        ranks4.append(rank_of(found, ex["receiver_sector"], 4))
        ranks2.append(rank_of(found, ex["receiver_sector"], 2))
    return {"4-digit": metrics(ranks4), "2-digit": metrics(ranks2), "ranks4": ranks4}


def evaluate_leave_one_out(kb: KnowledgeBase, examples: list[dict[str, str]]) -> dict[str, object]:
    ranks4: list[int | None] = []
    ranks2: list[int | None] = []
    for ex in examples:
        query = full_query(ex)
        recognised = suggest_receivers(kb, *query, top=1)
        reduced = kb
        if recognised:
            # Remove every pathway from the recognised material(s) to the documented receiver.
            first = suggest_receivers(kb, *query, top=10)
            for material in {s.material for s in first}:
                reduced = without_exchange(reduced, material, ex["receiver_sector"])
        found = suggest_receivers(reduced, *query, top=10)
        ranks4.append(rank_of(found, ex["receiver_sector"], 4))
        ranks2.append(rank_of(found, ex["receiver_sector"], 2))
    return {"4-digit": metrics(ranks4), "2-digit": metrics(ranks2), "ranks4": ranks4}


def full_query(ex: dict[str, str]) -> Query:
    return (_opt(ex["producer_sector"]), _opt(ex["waste_code"]), _opt(ex["waste_description"]))


def description_only(ex: dict[str, str]) -> Query:
    return (None, None, _opt(ex["waste_description"]))


def codes_only(ex: dict[str, str]) -> Query:
    return (_opt(ex["producer_sector"]), _opt(ex["waste_code"]), None)


def throughput(examples: list[dict[str, str]], n_batch: int, n_baseline: int) -> dict[str, float]:
    """Batch mode (KB loaded once) vs loading the KB for each query, both in this process."""
    lines = []
    for i in range(n_batch):
        ex = examples[i % len(examples)]
        lines.append(
            json.dumps(
                {
                    "id": i,
                    "producer_sector": ex["producer_sector"],
                    "waste_code": ex["waste_code"],
                    "waste_description": ex["waste_description"],
                }
            )
        )
    text = "\n".join(lines) + "\n"

    started, cpu_started = time.perf_counter(), time.process_time()
    kb = load_knowledge_base()
    ok, bad = run_batch(kb, io.StringIO(text), io.StringIO(), top=10)
    batch_s = time.perf_counter() - started
    batch_cpu = time.process_time() - cpu_started
    assert ok == n_batch and bad == 0

    started = time.perf_counter()
    for i in range(n_baseline):
        per_query_kb = load_knowledge_base()
        suggest_receivers(per_query_kb, *full_query(examples[i % len(examples)]), top=10)
    baseline_s = time.perf_counter() - started
    return {
        "batch_queries": n_batch,
        "batch_seconds": round(batch_s, 3),
        "batch_qps": round(n_batch / batch_s, 1),
        "batch_cpu_seconds": round(batch_cpu, 3),
        "baseline_queries": n_baseline,
        "baseline_seconds": round(baseline_s, 3),
        "baseline_qps_kb_per_query": round(n_baseline / baseline_s, 1),
        "speedup": round((n_batch / batch_s) / (n_baseline / baseline_s), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=Path, default=DEFAULT_EXAMPLES)
    parser.add_argument("--batch", type=int, default=5000, help="queries in the batch timing")
    parser.add_argument("--baseline", type=int, default=30, help="queries in the baseline timing")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    if not args.examples.is_file():
        print(f"error: examples file not found: {args.examples}", file=sys.stderr)
        return 1
    examples = read_examples(args.examples)
    kb = load_knowledge_base()
    report: dict[str, object] = {
        "examples": len(examples),
        "kb": {"materials": len(kb.material_by_id), "pathways": len(kb.pathway_records)},
        "full": evaluate(kb, examples, full_query),
        "description_only": evaluate(kb, examples, description_only),
        "codes_only": evaluate(kb, examples, codes_only),
        "leave_one_out": evaluate_leave_one_out(kb, examples),
        "speed": throughput(examples, args.batch, args.baseline),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"examples: {len(examples)} ({args.examples})  kb: {report['kb']}")
    print(
        f"{'mode':<18} {'hit@10 4d':>10} {'MRR 4d':>7} {'hit@10 2d':>10} {'MRR 2d':>7}  ranks(4d)"
    )
    for mode in ("full", "description_only", "codes_only", "leave_one_out"):
        res = report[mode]
        assert isinstance(res, dict)
        m4, m2 = res["4-digit"], res["2-digit"]
        print(
            f"{mode:<18} {m4['hit@10']:>10.3f} {m4['mrr']:>7.3f} {m2['hit@10']:>10.3f} "
            f"{m2['mrr']:>7.3f}  {res['ranks4']}"
        )
    speed = report["speed"]
    assert isinstance(speed, dict)
    print(
        f"batch: {speed['batch_queries']} queries in {speed['batch_seconds']}s = "
        f"{speed['batch_qps']} q/s (KB loaded once; {speed['batch_cpu_seconds']}s CPU)\n"
        f"baseline: {speed['baseline_queries']} queries in {speed['baseline_seconds']}s = "
        f"{speed['baseline_qps_kb_per_query']} q/s (KB loaded per query); "
        f"speed-up x{speed['speedup']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
