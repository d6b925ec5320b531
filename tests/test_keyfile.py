"""The key's items as JSON text: written fast, the same as encoding their dicts."""

from __future__ import annotations

import json
import math

from hypothesis import given
from hypothesis import strategies as st

from quizgrad.bank import load_banks
from quizgrad.generate import draw_items, pick
from quizgrad.keyfile import _rounded, _rounded_text, item_json, item_text


def test_item_text_is_the_json_of_item_json_for_every_bundled_template():
    templates = pick(load_banks([]), [])
    kinds = set()
    for variant in ("a", "b", "c"):
        for item in draw_items(templates, "keyfile", variant):
            text = item_text(item)
            assert text == json.dumps(item_json(item), ensure_ascii=False), item.id
            kinds.add(item.type)
    assert kinds == {"wire", "circuit", "matrix", "local", "choice", "truefalse"}


@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                 st.integers(-2**60, 2**60).map(float),
                 st.integers(-10**6, 10**6).map(lambda n: n / 1000),
                 st.floats(min_value=1e11, max_value=1e17)))
def test_rounded_text_is_the_json_of_the_rounded_value(value):
    assert _rounded_text(value) == json.dumps(_rounded(value))


def test_rounded_keeps_twelve_significant_digits():
    assert _rounded(2 / 3) == 0.666666666667 and _rounded(-14.0) == -14
    assert isinstance(_rounded(3.0), int) and math.isinf(_rounded(math.inf))
