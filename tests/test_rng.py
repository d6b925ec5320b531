"""The stable stream: the same draws on any machine, today and in every later version."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from quizgrad.math.rng import Stream


class Reference:
    """The stream's definition, written plainly: SHA-256 in counter mode, rejection sampling."""

    def __init__(self, *parts: object) -> None:
        self.key = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).digest()
        self.counter = 0
        self.data = b""

    def take(self, count: int) -> bytes:
        while len(self.data) < count:
            self.data += hashlib.sha256(self.key + self.counter.to_bytes(8, "big")).digest()
            self.counter += 1
        taken, self.data = self.data[:count], self.data[count:]
        return taken

    def below(self, n: int) -> int:
        bits = (n - 1).bit_length()
        size = max(1, (bits + 7) // 8)
        while True:
            value = int.from_bytes(self.take(size), "big") >> (8 * size - bits)
            if value < n:
                return value


def test_the_draws_of_a_known_stream_never_change():
    stream = Stream("quizgrad", "mul-wire", "s0001")
    assert [stream.below(10) for _ in range(12)] == [4, 4, 8, 3, 8, 6, 3, 1, 2, 3, 9, 8]
    assert [stream.integer(-300, 300) for _ in range(4)] == [-273, -108, 154, 53]
    assert stream.shuffled("abcdef") == ["c", "d", "b", "e", "f", "a"]


@given(st.text(max_size=20), st.lists(st.integers(1, 70_000), max_size=60))
def test_below_follows_the_definition(seed, bounds):
    stream, reference = Stream(seed, "t", "v"), Reference(seed, "t", "v")
    assert [stream.below(n) for n in bounds] == [reference.below(n) for n in bounds]
