"""Bounded caches: a value made once per key, and a value made once per object's identity.

A class draws the same points, items and drawings again and again; a library process may
load banks again and again, so every cache is emptied once it passes its limit.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
LIMIT = 50_000  # entries a cache holds at most before it starts over


def remembered(cache: dict[K, T], key: K, make: Callable[[], T], limit: int = LIMIT) -> T:
    """``cache[key]``, made once."""
    found = cache.get(key)
    if found is None:
        if len(cache) > limit:
            cache.clear()
        found = cache[key] = make()
    return found


def by_identity(cache: dict[tuple[int, Hashable], tuple[object, T]], anchor: object,
                make: Callable[[], T], tag: Hashable = None, limit: int = 4096) -> T:
    """What ``make`` gives for ``anchor`` (and ``tag``), remembered by the anchor's identity.

    For long-lived objects that are costly to hash (a SymPy formula, a layout's geometry).
    The entry keeps the anchor alive, so its id cannot be reused while it is remembered.
    """
    key = (id(anchor), tag)
    found = cache.get(key)
    if found is None or found[0] is not anchor:
        if len(cache) > limit:
            cache.clear()
        found = cache[key] = (anchor, make())
    return found[1]
