"""Which landed files are new, decided from content hashes (not wall-clock time).

A file counts once it has settled: unchanged (size, mtime) since the previous sensor tick, or
last modified more than `settle_seconds` ago. A half-written file is therefore never picked
up; an identical file dropped again (same content hash) never starts a second run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

CURSOR_VERSION = 1
MAX_REMEMBERED_HASHES = 100_000


@dataclass(frozen=True)
class NewFile:
    path: str
    content_hash: str


@dataclass
class Decision:
    new: list[NewFile] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    cursor: dict = field(default_factory=dict)


def decide_new_files(
    files: Iterable[tuple[str, int, float]],
    cursor: dict,
    hash_file: Callable[[str], str],
    now: float | None = None,
    settle_seconds: float = 10.0,
) -> Decision:
    now = time.time() if now is None else now
    seen: list[str] = list(cursor.get("hashes", []))
    seen_set = set(seen)
    observed: dict[str, list[float]] = cursor.get("observed", {})
    next_observed: dict[str, list[float]] = {}
    decision = Decision()
    for path, size, mtime in sorted(files):
        previous = observed.get(path)
        unchanged = previous is not None and previous == [size, mtime]
        old_enough = now - mtime >= settle_seconds
        if size == 0 or not (unchanged or old_enough):
            next_observed[path] = [size, mtime]
            decision.waiting.append(path)
            continue
        content_hash = hash_file(path)
        if content_hash in seen_set:
            continue
        seen_set.add(content_hash)
        seen.append(content_hash)
        decision.new.append(NewFile(path=path, content_hash=content_hash))
    decision.cursor = {
        "version": CURSOR_VERSION,
        "hashes": seen[-MAX_REMEMBERED_HASHES:],
        "observed": next_observed,
    }
    return decision
