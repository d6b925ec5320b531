"""Pausing Python's cyclic garbage collector around bulk work.

Generating a problem set or grading a class makes hundreds of thousands of short-lived
containers and no reference cycles; the collector's full passes over a large heap then cost
a tenth or more of the time while finding nothing to free.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Run the block with the cyclic collector off (restored afterwards, even on error)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
