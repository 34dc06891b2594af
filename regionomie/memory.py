"""Giving freed memory back to the operating system between the big steps of a run.

glibc keeps memory that Python and pandas freed inside the process (for reuse) instead of
returning it, and so does Arrow's own pool (mimalloc or jemalloc), which holds pandas' str
columns; after a region's candidates are built that is most of a gigabyte at 60,000
establishments, and the next step (storing the result, writing the exports) then starts
from that high-water mark. `malloc_trim` and the pool's `release_unused` hand it back.
Elsewhere (macOS, musl) the glibc part is a no-op."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache

import pyarrow as pa


@cache
def _malloc_trim() -> object | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def give_back_free_memory() -> bool:
    """Collect garbage and return the allocator's free pages; True when the allocator did."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    return bool(trim(0)) if callable(trim) else False
