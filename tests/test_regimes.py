"""Regimes: the side of each kink a point lies on, and their words."""

from __future__ import annotations

import pytest

from quizgrad.math.engine import Node
from quizgrad.math.regimes import TIE, classifier

CASES = [
    # node, inputs, stored values, regime, words
    ("relu(x)", "x", {"x": 2.0}, (1,), "relu(x) is open"),
    ("relu(x)", "x", {"x": -2.0}, (-1,), "relu(x) is closed"),
    ("relu(x)", "x", {"x": 0.0}, (0,), "relu(x) is at its kink"),
    ("relu(w*x + b)", "wxb", {"w": 2.0, "x": -1.0, "b": 3.0}, (1,), "relu(b + w*x) is open"),
    ("max(x, y)", "xy", {"x": 3.0, "y": 1.0}, (0,), "x wins max(x, y)"),
    ("max(x, y)", "xy", {"x": 3.0, "y": 5.0}, (1,), "y wins max(x, y)"),
    ("max(x, y)", "xy", {"x": 3.0, "y": 3.0}, (TIE,), "max(x, y) is a tie"),
    ("min(x, y)", "xy", {"x": 3.0, "y": 5.0}, (0,), "x wins min(x, y)"),
    ("abs(x - y)", "xy", {"x": 1.0, "y": 4.0}, (-1,), "x - y < 0"),
    ("x*step(y)", "xy", {"x": 1.0, "y": 4.0}, (1,), "y > 0"),
    ("relu(x) + abs(y)", "xy", {"x": -1.0, "y": 2.0}, (1, -1),  # in sympy's order
     "y > 0 and relu(x) is closed"),
]


@pytest.mark.parametrize(("text", "names", "values", "regime", "words"), CASES,
                         ids=[f"{c[0]}@{c[2]}" for c in CASES])
def test_a_point_lies_on_one_side_of_each_kink(text, names, values, regime, words):
    found = classifier(Node.parse(text, list(names)).expr)
    assert found is not None
    assert found.regime(values) == regime
    assert found.describe(regime) == words


@pytest.mark.parametrize(("regime", "at_kink"), [((1,), False), ((-1,), False), ((0,), True)])
def test_a_gate_is_at_its_kink_only_where_its_argument_is_0(regime, at_kink):
    found = classifier(Node.parse("relu(x)", ["x"]).expr)
    assert found is not None and found.at_kink(regime) is at_kink


@pytest.mark.parametrize(("regime", "at_kink"), [((0,), False), ((1,), False), ((TIE,), True)])
def test_a_max_is_at_its_kink_only_on_a_tie(regime, at_kink):
    found = classifier(Node.parse("max(x, y)", ["x", "y"]).expr)
    assert found is not None and found.at_kink(regime) is at_kink


def test_three_arguments_of_a_max_each_can_win():
    found = classifier(Node.parse("max(x, max(y, z))", ["x", "y", "z"]).expr)
    assert found is not None
    wins = {found.regime({"x": a, "y": b, "z": c}) for a, b, c in
            [(3.0, 1.0, 2.0), (1.0, 3.0, 2.0), (1.0, 2.0, 3.0)]}
    assert len(wins) == 3


@pytest.mark.parametrize("text", ["x * y", "sigmoid(x) + y", "exp(x - y)"])
def test_a_smooth_node_has_no_regimes(text):
    assert classifier(Node.parse(text, ["x", "y"]).expr) is None
