"""Bounded caches: made once, emptied past their limit, identity never confused."""

from __future__ import annotations

from quizgrad.memo import by_identity, remembered


def test_remembered_makes_a_value_once_and_starts_over_past_its_limit():
    cache: dict[str, int] = {}
    made: list[str] = []

    def make(key: str) -> int:
        made.append(key)
        return len(made)

    assert [remembered(cache, k, lambda k=k: make(k), limit=2) for k in "aab"] == [1, 1, 2]
    assert remembered(cache, "c", lambda: make("c"), limit=2) == 3  # 3 entries: one more
    assert remembered(cache, "d", lambda: make("d"), limit=2) == 4  # past the limit: cleared
    assert cache == {"d": 4} and made == ["a", "b", "c", "d"]


def test_by_identity_tells_equal_objects_apart_and_keeps_its_anchors():
    cache: dict = {}
    first, second = [1, 2], [1, 2]  # equal, not the same object (and not hashable)
    assert by_identity(cache, first, lambda: "first") == "first"
    assert by_identity(cache, second, lambda: "second") == "second"
    assert by_identity(cache, first, lambda: "again") == "first"
    assert by_identity(cache, first, lambda: "tagged", tag="svg") == "tagged"
    assert all(entry[0] in (first, second) for entry in cache.values())  # kept alive
