"""The engine: forward values, local and wire gradients, exactness, kinks, undefined points."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from quizgrad.errors import ExprError, GradientError
from quizgrad.math.engine import Node, kinks, solve
from quizgrad.math.expr import parse, symbol

R = sp.Rational
LOG2 = sp.log(2)

# node, stored values, upstream, forward value, {wire: gradient}; all by hand.
CASES = [
    ("x*y", {"x": 3, "y": -4}, 2, -12, {"x": -8, "y": 6}),
    ("x + y", {"x": 3, "y": -4}, 5, -1, {"x": 5, "y": 5}),
    ("x - y", {"x": 3, "y": -4}, 5, 7, {"x": 5, "y": -5}),
    ("x / y", {"x": 6, "y": -2}, 3, -3, {"x": R(-3, 2), "y": R(-9, 2)}),
    ("max(x, y)", {"x": 2, "y": 5}, 3, 5, {"x": 0, "y": 3}),
    ("max(x, y)", {"x": 4, "y": 4}, 3, 4, {"x": R(3, 2), "y": R(3, 2)}),
    ("min(x, y)", {"x": 4, "y": 4}, -2, 4, {"x": -1, "y": -1}),
    ("min(x, y)", {"x": -1, "y": 4}, -2, -1, {"x": -2, "y": 0}),
    ("relu(x)", {"x": 0}, 7, 0, {"x": 0}),
    ("relu(x)", {"x": -2}, 7, 0, {"x": 0}),
    ("relu(x)", {"x": 3}, 7, 3, {"x": 7}),
    ("abs(x)", {"x": 0}, 5, 0, {"x": 0}),
    ("abs(x)", {"x": -2}, 5, 2, {"x": -5}),
    ("sigmoid(x)", {"x": 0}, 4, R(1, 2), {"x": 1}),
    ("tanh(x)", {"x": 0}, 3, 0, {"x": 3}),
    ("exp(x)", {"x": 0}, 3, 1, {"x": 3}),
    ("log(x)", {"x": 2}, 3, LOG2, {"x": R(3, 2)}),
    ("sqrt(x)", {"x": 4}, 3, 2, {"x": R(3, 4)}),
    ("x^3", {"x": 2}, -1, 8, {"x": -12}),
    ("x^y", {"x": 2, "y": 3}, 1, 8, {"x": 12, "y": 8 * LOG2}),
    ("softplus(x)", {"x": 0}, 2, LOG2, {"x": 1}),
    ("sin(x)", {"x": 0}, 2, 0, {"x": 2}),
    ("cos(x)", {"x": 0}, 2, 1, {"x": 0}),
    ("sinh(x)", {"x": 0}, 2, 0, {"x": 2}),  # sinh' = cosh
    ("cosh(x)", {"x": 0}, 2, 1, {"x": 0}),  # cosh' = sinh
    ("sech(x)", {"x": 0}, 2, 1, {"x": 0}),  # sech' = -sech tanh
    ("x - x + y", {"x": 1, "y": 2}, 3, 2, {"x": 0, "y": 3}),
    ("(x + y) * z", {"x": -2, "y": 5, "z": -4}, 1, -12, {"x": -4, "y": -4, "z": 3}),
    ("0.5*x", {"x": R(1, 4)}, 1, R(1, 8), {"x": R(1, 2)}),
]


@pytest.mark.parametrize(("text", "values", "upstream", "output", "wires"), CASES,
                         ids=[f"{c[0]}@{c[1]}" for c in CASES])
def test_solution_matches_hand_computation(text, values, upstream, output, wires):
    node = Node.parse(text, values)
    solution = solve(node, {k: sp.S(v) for k, v in values.items()}, sp.S(upstream))
    assert sp.simplify(solution.output - output) == 0
    assert set(solution.gradients) == set(values)
    for name, expected in wires.items():
        assert sp.simplify(solution.wire(name).gradient - expected) == 0, name


def test_rational_inputs_give_exact_rationals():
    solution = solve(Node.parse("x/y", ["x", "y"]), {"x": R(1, 3), "y": R(2, 7)}, R(5, 11))
    assert all(isinstance(g, sp.Rational) for g in solution.gradients.values())
    assert solution.wire("y").gradient == R(5, 11) * -R(1, 3) / R(2, 7) ** 2


def test_wire_gradient_is_upstream_times_local():
    solution = solve(Node.parse("sigmoid(w*x + b)", "wxb"), {"w": 2, "x": -1, "b": R(1, 2)}, 3)
    for wire in solution.wires:
        assert wire.gradient == 3 * wire.local_value


def test_local_formula_is_written_through_the_output():
    node = Node.parse("sigmoid(x)", ["x"])
    assert str(node.local("x")).replace(" ", "") == "(1-sigmoid(x))*sigmoid(x)"
    assert str(Node.parse("tanh(x)", ["x"]).local("x")) == "1 - tanh(x)**2"


@pytest.mark.parametrize(("text", "values", "phrase"), [
    ("log(x)", {"x": 0}, "forward value"),
    ("log(x)", {"x": -1}, "forward value"),
    ("sqrt(x)", {"x": 0}, "local gradient df/dx"),
    ("x / y", {"x": 1, "y": 0}, "forward value"),
    ("1 / x", {"x": 0}, "forward value"),
    ("x^(1/2) * y", {"x": 0, "y": 1}, "local gradient df/dx"),
    ("max(x, x / y)", {"x": 0, "y": 0}, "forward value"),  # SymPy cannot compare 0/0
])
def test_undefined_points_are_errors_that_say_so(text, values, phrase):
    node = Node.parse(text, values)
    with pytest.raises(GradientError, match=phrase):
        solve(node, {k: sp.S(v) for k, v in values.items()})


def test_missing_stored_value_is_an_error():
    with pytest.raises(GradientError, match="no stored value for y"):
        solve(Node.parse("x*y", "xy"), {"x": 1})


@pytest.mark.parametrize(("text", "values", "found"), [
    ("relu(x)", {"x": 0}, ["x = 0"]),
    ("relu(x)", {"x": 1}, []),
    ("abs(x - y)", {"x": 2, "y": 2}, ["x - y = 0"]),
    ("max(x, y)", {"x": 3, "y": 3}, ["x - y = 0"]),
    # SymPy merges nested min/max into one of three arguments: a tie is a kink only at the
    # extreme (found by hypothesis: min(sigmoid(x), min(x, y)) at x = y = 1/100)
    ("min(x, min(y, z))", {"x": 1, "y": 1, "z": 5},
     ["abs(x - y) + abs(x - min(x, min(y, z))) = 0"]),
    ("min(x, min(y, z))", {"x": 1, "y": 5, "z": 5}, []),
    ("min(sigmoid(x), min(x, y))", {"x": "1/100", "y": "1/100"},
     ["abs(x - y) + abs(x - min(x, min(y, sigmoid(x)))) = 0"]),
    ("relu(w*x + b)", {"w": 2, "x": 1, "b": -2}, ["b + w*x = 0"]),
    ("sigmoid(x)", {"x": 0}, []),
])
def test_kinks_are_found(text, values, found):
    assert kinks(Node.parse(text, values), {k: sp.S(v) for k, v in values.items()}) == found


# --- property: the engine agrees with mpmath's numerical differentiation -----------------

MPMATH = [{"sigmoid": lambda t: 1 / (1 + mpmath.exp(-t)),
           "relu": lambda t: max(t, 0),
           "softplus": lambda t: mpmath.log(1 + mpmath.exp(t)),
           "Heaviside": lambda t, h=0.5: 1 if t > 0 else (0 if t < 0 else h)}, "mpmath"]

leaves = st.sampled_from(["x", "y", "2", "3", "0.5", "-1.5"])


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    unary = st.tuples(st.sampled_from(["sigmoid", "tanh", "sin", "cos", "exp", "softplus",
                                       "relu", "abs", "sinh", "cosh", "sech", "-"]),
                      children)
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children)
    pairs = st.tuples(st.sampled_from(["max", "min"]), children, children)
    return st.one_of(
        unary.map(lambda t: f"{t[0]}({t[1]})" if t[0] != "-" else f"-({t[1]})"),
        binary.map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        pairs.map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        children.map(lambda c: f"({c})^2"),
    )


expressions = st.recursive(leaves, _combine, max_leaves=8)
points = st.integers(-300, 300).map(lambda n: sp.Rational(n, 100))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=expressions, x=points, y=points, g=st.integers(-5, 5))
@example(text="min(sigmoid(x), min(x, y))", x=sp.Rational(1, 100), y=sp.Rational(1, 100),
         g=1)  # a tie of three merged arguments: once missed as a kink
@example(text="min(sigmoid(x), min(x, y))", x=sp.Rational(1, 100), y=sp.Rational(-1, 2),
         g=3)
def test_engine_agrees_with_numerical_differentiation(text, x, y, g):
    try:
        node = Node.parse(text, ["x", "y"])
    except ExprError:  # a constant too large to compute, refused by the language
        assume(False)
    values = {"x": x, "y": y}
    assume(not kinks(node, values))
    try:
        solution = solve(node, values, sp.S(g))
    except GradientError:
        assume(False)
    f = sp.lambdify([symbol("x"), symbol("y")], node.expr, modules=MPMATH)
    mpmath.mp.dps = 40
    numeric = {
        "x": mpmath.diff(lambda t: f(t, mpmath.mpf(y.p) / y.q), mpmath.mpf(x.p) / x.q),
        "y": mpmath.diff(lambda t: f(mpmath.mpf(x.p) / x.q, t), mpmath.mpf(y.p) / y.q),
    }
    for name, approx in numeric.items():
        exact = solution.wire(name).gradient.evalf(30)
        assert abs(exact - g * approx) <= 1e-15 * max(1, abs(exact)), (text, name)


def test_parse_builds_the_same_expression_the_engine_uses():
    node = Node.parse("sigmoid(w*x + b)", ["w", "x", "b"])
    assert node.expr == parse("sigmoid(w*x + b)", ["w", "x", "b"])
    assert node.inputs == ("w", "x", "b")
