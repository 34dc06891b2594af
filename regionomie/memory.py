"""Giving freed memory back to the operating system between the big steps of a run.

glibc keeps memory that Python and pandas freed inside the process (for reuse) instead of
returning it; after a region's candidates are built that is most of a gigabyte at 60,000
establishments, and the next step (pickling the result for Dagster, writing the exports)
then starts from that high-water mark. `malloc_trim` hands it back. Elsewhere (macOS, musl)
this is a no-op."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache


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
    trim = _malloc_trim()
    return bool(trim(0)) if callable(trim) else False
