"""A stable random stream from hashlib: the same seed gives the same draws on any machine.

Python's ``random`` module is stable in practice, but quizgrad promises byte-identical
problem sets everywhere and forever, so its draws come from SHA-256 in counter mode.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


class Stream:
    """Deterministic draws derived from a tuple of text parts (seed, template id, variant id)."""

    def __init__(self, *parts: object) -> None:
        key = "\x1f".join(map(str, parts)).encode("utf-8")
        self._key = hashlib.sha256(key).digest()
        self._counter = 0
        self._pool = b""
        self._at = 0  # the next unused byte of the pool

    def _bytes(self, count: int) -> bytes:
        at = self._at
        if at + count > len(self._pool):
            pool = self._pool[at:]
            while len(pool) < count:
                pool += hashlib.sha256(self._key + self._counter.to_bytes(8, "big")).digest()
                self._counter += 1
            self._pool, at = pool, 0
        self._at = at + count
        return self._pool[at:at + count]

    def below(self, n: int) -> int:
        """A uniform integer in [0, n)."""
        if n <= 0:
            raise ValueError("n must be positive")
        bits = (n - 1).bit_length()
        if bits <= 8:  # the common case, one byte a try, read from the pool directly
            shift = 8 - bits  # n == 1 still takes a byte, as it always has
            while True:
                at = self._at
                if at < len(self._pool):
                    self._at = at + 1
                    value = self._pool[at] >> shift
                else:
                    value = self._bytes(1)[0] >> shift
                if value < n:
                    return value
        size = (bits + 7) // 8
        shift = 8 * size - bits
        while True:
            value = int.from_bytes(self._bytes(size), "big") >> shift
            if value < n:
                return value

    def integer(self, low: int, high: int) -> int:
        """A uniform integer in [low, high]."""
        return low + self.below(high - low + 1)

    def choice(self, options: Sequence[T]) -> T:
        """One of ``options``, uniformly."""
        return options[self.below(len(options))]

    def shuffled(self, items: Sequence[T]) -> list[T]:
        """A new list with ``items`` in a uniformly random order (Fisher-Yates)."""
        out = list(items)
        for i in range(len(out) - 1, 0, -1):
            j = self.below(i + 1)
            out[i], out[j] = out[j], out[i]
        return out

    def fork(self, *parts: object) -> Stream:
        """An independent stream derived from this one's key and ``parts``."""
        return Stream(self._key.hex(), *parts)
