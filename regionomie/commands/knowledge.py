"""`regionomie knowledge`: look after the curated knowledge and the ranking fitted on it.

regionomie knowledge coverage [--json]      EURAL chapters/subchapters: cited and reachable?
regionomie knowledge fit-ranking [--write]  refit the ranking weights on the development set
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from regionomie.domain.knowledge import KnowledgeBaseError, load_knowledge_base
from regionomie.domain.suggest import engine_for
from regionomie.domain.suggest.coverage import eural_coverage
from regionomie.domain.suggest.engine import Engine
from regionomie.domain.suggest.evaluation import by_kind, evaluate_project, fit_on
from regionomie.domain.suggest.exchanges import EXCHANGES_GLOB, ExchangeSetError, load_exchanges
from regionomie.domain.suggest.model import (
    FEATURES,
    ModelFileError,
    RankingModel,
    default_model,
    save_model,
)
from regionomie.domain.suggest.priors import PriorTableError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "knowledge", help="knowledge base coverage and the ranking model fitted on it"
    )
    parser.add_argument("--knowledge-dir", type=Path, default=None)
    sub = parser.add_subparsers(dest="knowledge_command", metavar="ACTION", required=True)
    coverage = sub.add_parser("coverage", help="EURAL chapters/subchapters: cited and reachable?")
    coverage.add_argument("--json", action="store_true")
    coverage.set_defaults(func=run_coverage)
    fit = sub.add_parser("fit-ranking", help="refit the ranking weights on the development set")
    fit.add_argument("--folds", type=int, default=5)
    fit.add_argument("--write", action="store_true", help="write data/knowledge/ranking_model.json")
    fit.set_defaults(func=run_fit)


def run_coverage(args: argparse.Namespace) -> int:
    try:
        kb = load_knowledge_base(args.knowledge_dir)
        rows = eural_coverage(kb)
    except (KnowledgeBaseError, ExchangeSetError) as exc:
        print(f"error: knowledge base: {exc}", file=sys.stderr)
        return 1
    gaps = [r for r in rows if not r.complete]
    if args.json:
        print(json.dumps([r.__dict__ | {"complete": r.complete} for r in rows], indent=1))
    else:
        for r in gaps:
            print(
                f"{r.level:<10} {r.code:<6} materials={len(r.materials)} code={r.from_code} "
                f"nl={r.from_nl} en={r.from_en}  {r.description_en[:60]}"
            )
    print(
        f"coverage: {len(rows) - len(gaps)} of {len(rows)} EURAL chapters and subchapters "
        "have cited pathways reachable from the code and from the Dutch and English text",
        file=sys.stderr,
    )
    return 0 if not gaps else 1


def run_fit(args: argparse.Namespace) -> int:
    try:
        kb = load_knowledge_base(args.knowledge_dir)
        try:
            engine = engine_for(kb)
        except ModelFileError as exc:  # a feature was added or removed: refit from defaults
            print(f"note: {exc}; fitting from the default weights", file=sys.stderr)
            engine = Engine(kb, load_exchanges(kb.source_dir / "eval"), default_model())
    except (KnowledgeBaseError, ExchangeSetError, PriorTableError) as exc:
        print(f"error: knowledge base: {exc}", file=sys.stderr)
        return 1
    exchanges = list(engine.exchanges)
    if not exchanges:
        print(f"error: no {EXCHANGES_GLOB} in {kb.source_dir / 'eval'}", file=sys.stderr)
        return 1
    _, cross = evaluate_project(engine, exchanges, folds=args.folds)
    weights = fit_on(engine, exchanges)
    digest = hashlib.sha256()
    for path in sorted((kb.source_dir / "eval").glob(EXCHANGES_GLOB)):
        digest.update(path.read_bytes())
    cv = by_kind(cross)
    model = RankingModel(
        np.round(weights, 6),
        {
            "exchanges": len(exchanges),
            "exchanges_sha256": digest.hexdigest(),
            f"cv_{args.folds}_fold": cv["all"],
        },
    )
    for name, w in zip(FEATURES, model.weights, strict=True):
        print(f"{name:<14} {w:8.3f}")
    print(f"{args.folds}-fold CV, leave-one-out prior: {cv['all']}")
    if args.write:
        path = save_model(kb.source_dir, model)
        print(f"written {path}", file=sys.stderr)
    return 0
