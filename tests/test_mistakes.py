"""The misconception catalog: every entry reachable on the nodes it applies to, and described.

Each planted answer below is computed by hand from the catalog's formula (not by quizgrad),
then judged: the judge must name the planted mistake.
"""

from __future__ import annotations

import math

import pytest

from quizgrad.grading.judge import judge
from quizgrad.items.base import node_item
from quizgrad.mistakes.catalog import BY_ID, CATALOG, node_kind


def sig(t: float) -> float:
    return 1 / (1 + math.exp(-t))


S = sig(0.5)
T = math.tanh(0.5)
U = -1.5  # w*x + b at w=2, x=-1, b=0.5

# (node, stored inputs, upstream, wire, planted mistake, what the student sends on that wire)
PLANTED = [
    ("x*y", {"x": 3, "y": -4}, 2, "x", "forward-value", 2 * -12),
    ("x*y", {"x": 3, "y": -4}, 2, "x", "upstream-only", 2),
    ("x*y", {"x": 3, "y": -4}, 2, "x", "local-only", -4),
    ("x*y", {"x": 3, "y": -4}, 2, "x", "added", 2 + -4),
    ("x*y", {"x": 3, "y": -4}, 2, "x", "swapped-wires", 2 * 3),
    ("x*y", {"x": 3, "y": -4}, 2, "y", "swapped-wires", 2 * -4),
    ("x*y", {"x": 3, "y": -4}, 2, "x", "sign-flip", 8),
    ("x*y", {"x": 3, "y": -4}, 2, "x", "divided", 2 / -4),
    ("x/y", {"x": 6, "y": -2}, 3, "x", "swapped-wires", 3 * (-6 / 4)),
    ("sigmoid(x)", {"x": "0.5"}, 2, "x", "wrong-stored-value", 2 * 0.5 * (1 - 0.5)),
    ("tanh(x)", {"x": "0.5"}, 2, "x", "wrong-stored-value", 2 * (1 - 0.25)),
    ("exp(x)", {"x": "0.5"}, 2, "x", "wrong-stored-value", 2 * 0.5),
    ("sqrt(x)", {"x": 4}, 2, "x", "wrong-stored-value", 2 / (2 * 4)),
    ("sigmoid(w*x + b)", {"w": 2, "x": -1, "b": "0.5"}, 3, "w", "wrong-stored-value",
     3 * U * (1 - U) * -1),
    ("sigmoid(x)", {"x": "0.5"}, 2, "x", "derivative-at-output", 2 * sig(S) * (1 - sig(S))),
    ("tanh(x)", {"x": "0.5"}, 2, "x", "derivative-at-output", 2 * (1 - math.tanh(T) ** 2)),
    ("log(x)", {"x": 2}, 3, "x", "derivative-at-output", 3 / math.log(2)),
    ("log(x)", {"x": 2}, 3, "x", "times-input", 6),
    ("relu(x)", {"x": -2}, 3, "x", "times-input", -6),
    ("sigmoid(w*x + b)", {"w": 2, "x": -1, "b": "0.5"}, 3, "w", "forgot-inner",
     3 * sig(U) * (1 - sig(U))),
    ("sigmoid(w*x + b)", {"w": 2, "x": -1, "b": "0.5"}, 3, "w", "forgot-outer", 3 * -1),
    ("(x - y)^2", {"x": 4, "y": 1}, 2, "x", "forgot-outer", 2 * 1),
    ("x + y", {"x": 1, "y": 4}, 2, "x", "split-evenly", 1),
    ("max(x, y)", {"x": 1, "y": 4}, 2, "y", "split-evenly", 1),
    ("x + y", {"x": 1, "y": 4}, 2, "x", "add-as-multiply", 2 * 4),
    ("max(x, y)", {"x": 1, "y": 4}, 2, "x", "routed-to-loser", 2),
    ("max(x, y)", {"x": 1, "y": 4}, 2, "y", "routed-to-loser", 0),
    ("min(x, y)", {"x": 1, "y": 4}, 2, "x", "routed-to-loser", 0),
    ("x/y", {"x": 6, "y": -2}, 3, "y", "quotient-sign", 3 * 6 / 4),
    ("x/y", {"x": 6, "y": -2}, 3, "y", "forgot-numerator", -3 / 4),
    ("x/y", {"x": 6, "y": -2}, 3, "x", "times-denominator", 3 * -2),
    ("x/y", {"x": 6, "y": -2}, 3, "y", "reciprocal-only", -3 / -2),
    ("x^3", {"x": 2}, 2, "x", "no-decrement", 2 * 3 * 8),
    ("x^3", {"x": 2}, 2, "x", "no-coefficient", 2 * 4),
    ("x^y", {"x": 2, "y": 3}, 2, "y", "power-rule-on-exponent", 2 * 3 * 4),
    ("relu(x)", {"x": -2}, 3, "x", "relu-gate-on-gradient", 3),
    ("relu(x)", {"x": 2}, -3, "x", "relu-gate-on-gradient", 0),
    ("sigmoid(x)", {"x": "0.5"}, 2, "x", "sigmoid-value-only", 2 * S),
    ("sigmoid(x)", {"x": "0.5"}, 2, "x", "sigmoid-one-minus-only", 2 * (1 - S)),
    ("tanh(x)", {"x": "0.5"}, 2, "x", "tanh-as-tan", 2 * (1 + T * T)),
    ("tanh(x)", {"x": "0.5"}, 2, "x", "tanh-dropped-one", -2 * T * T),
    ("softplus(x)", {"x": "0.5"}, 2, "x", "softplus-as-exp", 2 * math.exp(0.5)),
    ("sqrt(x)", {"x": 4}, 2, "x", "sqrt-no-half", 2 / 2),
    # roles come from the node, not from the order the inputs are listed in
    ("x/y", {"y": 2, "x": 3}, 1, "y", "quotient-sign", 0.75),
    ("x/y", {"y": 2, "x": 3}, 1, "y", "forgot-numerator", -0.25),
    ("x/y", {"y": 2, "x": 3}, 1, "y", "reciprocal-only", -0.5),
    ("x/y", {"y": 2, "x": 3}, 1, "x", "times-denominator", 2),
    ("y/x", {"x": 2, "y": 3}, 1, "x", "quotient-sign", 0.75),
    ("x^y", {"y": 3, "x": 2}, 1, "y", "power-rule-on-exponent", 12),
    ("b^a", {"a": 3, "b": 2}, 1, "a", "power-rule-on-exponent", 12),
]


@pytest.mark.parametrize(("node", "inputs", "g", "wire", "mistake", "sent"), PLANTED,
                         ids=[f"{p[4]}@{p[0]}:{p[3]}" for p in PLANTED])
def test_planted_mistake_is_named(node, inputs, g, wire, mistake, sent):
    item = node_item(node, inputs, g, ask=(wire,))
    result = judge(item, repr(sent) if isinstance(sent, float) else str(sent))
    assert result.verdict == "wrong"
    assert mistake in result.mistakes, result.mistakes


def test_no_false_diagnosis_from_input_order():
    item = node_item("x/y", {"y": 2, "x": 3}, 1, ask=("y",))
    assert judge(item, "3").mistakes == ()  # g * x is no divide-node mistake on wire y


def test_same_gradient_is_judged_on_the_whole_item():
    item = node_item("x*y", {"x": 3, "y": -4}, 2)
    assert "same-gradient" in judge(item, {"x": "-24", "y": "-24"}).mistakes
    assert "same-gradient" in judge(item, {"x": 6, "y": 6}).mistakes  # one right, one wrong
    assert "same-gradient" not in judge(item, {"x": "-8", "y": "7"}).mistakes


def test_same_gradient_is_not_reported_where_it_is_right():
    item = node_item("x + y", {"x": 3, "y": -4}, 2)
    result = judge(item, {"x": 2, "y": 2})
    assert result.verdict == "correct" and result.mistakes == ()


def test_every_entry_is_reachable_in_the_table():
    planted = {p[4] for p in PLANTED} | {"same-gradient"}
    # circuit and matrix entries: test_circuit.py and test_matrix.py
    assert planted == {m.id for m in CATALOG if m.scope in ("wire", "item")}


@pytest.mark.parametrize("mistake", CATALOG, ids=[m.id for m in CATALOG])
def test_every_entry_is_described_for_students(mistake):
    assert mistake.id.islower() and " " not in mistake.id
    assert 15 < len(mistake.description) < 260
    assert mistake.description[0].islower() and not mistake.description.endswith(".")
    assert mistake.kinds is None or mistake.kinds
    assert mistake.refines is None or mistake.refines in BY_ID


def test_a_mistake_equal_to_the_right_answer_is_never_reported():
    item = node_item("exp(x)", {"x": 1}, 3)  # g * f is exactly right on an exp node
    assert "forward-value" not in {p.mistake for p in item.mistakes["x"]}
    right = judge(item, "3*exp(1)")
    assert right.verdict == "correct" and right.mistakes == ()


def test_refined_entry_replaces_the_generic_one():
    item = node_item("sigmoid(x)", {"x": "0.5"}, 2)
    found = judge(item, repr(2 * S)).mistakes
    assert "sigmoid-value-only" in found and "forward-value" not in found


def test_an_unrecognised_wrong_answer_names_nothing():
    result = judge(node_item("x*y", {"x": 3, "y": -4}, 2, ask=("x",)), "123")
    assert result.verdict == "wrong" and result.mistakes == ()


@pytest.mark.parametrize(("node", "kind"), [
    ("x + y", "add"), ("x + y + z", "add"), ("x - y", "sub"), ("x*y", "mul"), ("x/y", "div"),
    ("x^3", "pow"), ("x^y", "powxy"), ("sqrt(x)", "sqrt"), ("max(x, y)", "max"),
    ("min(x, y)", "min"), ("sigmoid(x)", "sigmoid"), ("tanh(x)", "tanh"), ("exp(x)", "exp"),
    ("log(x)", "log"), ("relu(x)", "relu"), ("softplus(x)", "softplus"), ("abs(x)", "abs"),
    ("sigmoid(w*x + b)", "composite"), ("(x + y)*z", "composite"), ("2*x", "composite"),
])
def test_node_kinds(node, kind):
    from quizgrad.math.engine import Node

    names = sorted({ch for ch in node if ch in "bwxyz"})
    assert node_kind(Node.parse(node, names)) == kind


# Local-gradient formula items use the same catalog with g = 1.
LOCAL = [
    ("sigmoid(x)", "x", {"s": "sigmoid(x)"}, "x*(1-x)", "wrong-stored-value"),
    ("sigmoid(x)", "x", {"s": "sigmoid(x)"}, "s", "sigmoid-value-only"),
    ("tanh(x)", "x", {"t": "tanh(x)"}, "1 + t^2", "tanh-as-tan"),
    ("x*y", "x", {}, "x", "swapped-wires"),
    ("x/y", "y", {}, "x/y^2", "quotient-sign"),
    ("x^4", "x", {}, "x^3", "no-coefficient"),
    ("softplus(x)", "x", {}, "exp(x)", "softplus-as-exp"),
    ("sigmoid(w*x + b)", "w", {"s": "sigmoid(w*x + b)"}, "s(1-s)", "forgot-inner"),
    ("y/x", "x", {}, "y/x^2", "quotient-sign"),
    ("b^a", "a", {}, "a*b^(a-1)", "power-rule-on-exponent"),
]


@pytest.mark.parametrize(("node", "wrt", "let", "answer", "mistake"), LOCAL,
                         ids=[f"{c[4]}@{c[0]}" for c in LOCAL])
def test_local_formula_mistakes_are_named(node, wrt, let, answer, mistake):
    from quizgrad.items.base import LocalItem
    from quizgrad.math.engine import Node
    from quizgrad.math.expr import parse
    from quizgrad.math.numeric import Tolerance

    names = sorted({ch for ch in node if ch in "abwxy"})
    parsed = Node.parse(node, names)
    item = LocalItem(id="l", template="l", type="local", title="l", prompt="p", explanation="",
                     points=1.0, tolerance=Tolerance(), node=parsed, wrt=wrt,
                     let=tuple((k, parse(v, names)) for k, v in let.items()))
    result = judge(item, answer)
    assert result.verdict == "wrong" and mistake in result.mistakes


def test_local_items_name_nothing_undefined_where_the_gradient_exists():
    from quizgrad.items.base import LocalItem
    from quizgrad.math.engine import Node
    from quizgrad.math.numeric import Tolerance

    item = LocalItem(id="l", template="l", type="local", title="t", prompt="p",
                     explanation="", points=1.0, tolerance=Tolerance(),
                     node=Node.parse("max(x, y)", ["x", "y"]), wrt="x", let=())
    assert "divided" not in judge(item, "1").mistakes  # 1/heaviside(x-y) is not a gradient
