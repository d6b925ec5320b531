"""key.json written fast: each item's text the same as encoding its dict."""

from __future__ import annotations

import json
import math

from hypothesis import given
from hypothesis import strategies as st

from quizgrad.bank.load import load_banks
from quizgrad.errors import GradientError
from quizgrad.formats.keyfile import item_json, rounded
from quizgrad.formats.keytext import _rounded_text, item_text
from quizgrad.items.base import node_item
from quizgrad.items.generate import draw_items, pick
from quizgrad.registry import types


def test_item_text_is_the_json_of_item_json_for_every_bundled_template():
    templates = pick(load_banks([]), [])
    kinds = set()
    for variant in ("a", "b", "c"):
        for item in draw_items(templates, "keyfile", variant):
            text = item_text(item)
            assert text == json.dumps(item_json(item), ensure_ascii=False), item.id
            kinds.add(item.type)
    assert kinds == set(types())  # every kind of item the banks can hold


@given(st.sampled_from(["x * y", "x / y", "max(x, y)", "x ^ y", "log(x) * y", "relu(x - y)",
                        "sigmoid(x) + y", "(x + y)^2", "exp(x) / y"]),
       st.integers(-5, 5), st.integers(-5, 5), st.integers(-3, 3),
       st.sampled_from([("x",), ("y",), ("x", "y")]))
def test_a_wire_item_at_any_point_is_written_as_its_dict(node, x, y, g, ask):
    try:
        item = node_item(node, {"x": x, "y": y}, g, ask=ask)
    except GradientError:  # no value or gradient here (a division by zero, log of -1)
        return
    assert item_text(item) == json.dumps(item_json(item), ensure_ascii=False)


@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                 st.integers(-2**60, 2**60).map(float),
                 st.integers(-10**6, 10**6).map(lambda n: n / 1000),
                 st.floats(min_value=1e11, max_value=1e17)))
def test_rounded_text_is_the_json_of_the_rounded_value(value):
    assert _rounded_text(value) == json.dumps(rounded(value))


def test_rounded_keeps_twelve_significant_digits():
    assert rounded(2 / 3) == 0.666666666667 and rounded(-14.0) == -14
    assert isinstance(rounded(3.0), int) and math.isinf(rounded(math.inf))
