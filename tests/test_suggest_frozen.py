"""The frozen set (data/knowledge/frozen/): evaluated, never learned from.

The code keeps it out of the receiver prior, the fitted weights and the prior cache; these
tests fail if any of those paths starts reading it."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from regionomie.domain.knowledge import load_knowledge_base
from regionomie.domain.reference import nace2_classes
from regionomie.domain.suggest import engine_for
from regionomie.domain.suggest.engine import prior_cache_path
from regionomie.domain.suggest.evaluation import evaluate_held_out
from regionomie.domain.suggest.exchanges import (
    EXCHANGE_COLUMNS,
    FROZEN_DIR,
    FROZEN_PREFIX,
    ExchangeSetError,
    FrozenSetError,
    ReceiverPrior,
    load_exchanges,
    load_frozen_set,
)
from regionomie.paths import KNOWLEDGE_DIR


def test_frozen_set_is_large_cited_and_separate() -> None:
    frozen = load_frozen_set(KNOWLEDGE_DIR)
    assert len(frozen) >= 200
    assert all(ex.exchange_id.startswith(FROZEN_PREFIX) for ex in frozen)
    assert all(len(ex.citation) >= 10 for ex in frozen)
    assert all(ex.receiver_nace in nace2_classes() for ex in frozen)
    assert {ex.kind for ex in frozen} == {"eural", "description", "utility"}
    # Its own sources: no citation of the development set is reused.
    development = load_exchanges(KNOWLEDGE_DIR / "eval")
    assert not {ex.citation for ex in frozen} & {ex.citation for ex in development}


def test_the_frozen_folder_cannot_be_loaded_as_a_prior_source() -> None:
    with pytest.raises(FrozenSetError, match="never learned from"):
        load_exchanges(KNOWLEDGE_DIR / FROZEN_DIR)


def test_the_engine_prior_and_training_data_hold_no_frozen_exchange() -> None:
    engine = engine_for(load_knowledge_base())
    assert engine.exchanges
    assert not [ex for ex in engine.exchanges if ex.exchange_id.startswith(FROZEN_PREFIX)]
    frozen = load_frozen_set(KNOWLEDGE_DIR)
    assert not {ex.exchange_id for ex in frozen} & set(engine.exchange_by_id)
    assert all(engine.prior.context_of(ex.exchange_id) == {} for ex in frozen)


def test_a_frozen_id_cannot_enter_the_prior() -> None:
    prior = ReceiverPrior(["2351"])
    with pytest.raises(FrozenSetError):
        prior.add("FZ-001", "2351", {"chapter": ("10",)})
    engine = engine_for(load_knowledge_base())
    with pytest.raises(FrozenSetError):
        engine.add_exchange("FZ-999", "3511", "100102", "vliegas", "2351")


def test_a_frozen_id_in_the_development_set_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "eval"
    folder.mkdir()
    cases = KNOWLEDGE_DIR / FROZEN_DIR / "exchanges_frozen_cases.csv"
    with cases.open(encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    with (folder / "exchanges_x.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, EXCHANGE_COLUMNS)
        writer.writeheader()
        writer.writerow({c: row[c] for c in EXCHANGE_COLUMNS})
    with pytest.raises(ExchangeSetError, match="frozen set only"):
        load_exchanges(folder)


def test_evaluating_refuses_exchanges_the_prior_has_seen() -> None:
    engine = engine_for(load_knowledge_base())
    with pytest.raises(ValueError, match="in the engine's prior"):
        evaluate_held_out(engine, engine.exchanges[:3])


def test_changing_the_frozen_set_changes_nothing_the_engine_learns(tmp_path: Path) -> None:
    """Same prior cache key, same prior, same fitted weights whatever the frozen file says."""
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, copy)
    key_before = prior_cache_path(copy)
    engine_before = engine_for(load_knowledge_base(copy))
    frozen_file = copy / FROZEN_DIR / "exchanges_frozen_cases.csv"
    lines = frozen_file.read_text(encoding="utf-8").splitlines()
    frozen_file.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")  # one row left
    assert prior_cache_path(copy) == key_before
    engine_after = engine_for(load_knowledge_base(copy))
    assert engine_after.prior.receivers == engine_before.prior.receivers
    assert (
        engine_after.prior.global_distribution() == engine_before.prior.global_distribution()
    ).all()
    assert (engine_after.model.weights == engine_before.model.weights).all()
    assert len(load_frozen_set(copy)) == len(load_frozen_set(KNOWLEDGE_DIR)) - (len(lines) - 2)
