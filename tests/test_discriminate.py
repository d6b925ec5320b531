"""Discriminating variants: no mistake a draw could reveal gives the right answer by accident."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from quizgrad.bank.load import WireTemplate, load_banks, templates_of
from quizgrad.errors import ExprError, GradientError
from quizgrad.items.base import draw_wire, profile_of, wire_draw
from quizgrad.items.discriminate import DEAD, LIVE
from quizgrad.math.engine import Node, solve
from quizgrad.math.plan import blind, plan_for
from quizgrad.math.rng import Stream

WIRE = [t for t in templates_of(load_banks()) if isinstance(t, WireTemplate) and t.randomized]


@pytest.mark.parametrize("template", WIRE, ids=[t.id for t in WIRE])
def test_bundled_draws_are_discriminating(template):
    shape = profile_of(template)
    for index in range(25):
        item = draw_wire(template, Stream("test", template.id, index))
        assert not item.point.at_kink
        regime = shape.within(item.point.regime)  # a kink's regime may excuse more
        for wire in item.ask:
            correct = item.point.gradient[wire]
            for p in item.point.predictions[wire]:
                structural = ((wire, p.mistake) in regime.always_right
                              or blind(p.mistake, item.point.local[wire])
                              or (correct == 0 and p.value == 0))
                if not structural:
                    assert not item.tolerance.accepts(p.value, float(correct)), (
                        item.inputs, item.upstream, wire, p.mistake)


@pytest.mark.parametrize("template", WIRE, ids=[t.id for t in WIRE])
def test_key_answers_agree_with_the_sympy_engine(template):
    item = draw_wire(template, Stream("engine", template.id))
    values = {n: sp.Rational(v.numerator, v.denominator) for n, v in item.inputs.items()}
    upstream = sp.Rational(item.upstream.numerator, item.upstream.denominator)
    solution = solve(item.node, values, upstream)
    for wire in item.ask:
        exact = solution.wire(wire).gradient
        assert float(item.expected[wire]) == pytest.approx(float(exact.evalf(30)), rel=1e-12)
        assert sp.simplify(sp.sympify(item.exact(wire).replace("^", "**"),
                                      locals=_names()) - exact) == 0


def _names() -> dict[str, object]:
    from quizgrad.math.nodes import relu, sigmoid, softplus

    return {"sigmoid": sigmoid, "relu": relu, "softplus": softplus}


def test_draws_are_reproducible_and_depend_on_the_stream():
    template = next(t for t in WIRE if t.id == "mul-wire")
    first = draw_wire(template, Stream("seed", "mul-wire", "v01"))
    again = draw_wire(template, Stream("seed", "mul-wire", "v01"))
    others = {tuple(draw_wire(template, Stream("seed", "mul-wire", f"v{i}")).inputs.values())
              for i in range(20)}
    assert first.inputs == again.inputs and first.upstream == again.upstream
    assert len(others) > 10


def test_mul_variants_avoid_x_equal_y_and_g_equal_one():
    template = next(t for t in WIRE if t.id == "mul-wire")
    for index in range(40):
        item = draw_wire(template, Stream("pairs", index))
        assert item.inputs["x"] != item.inputs["y"]  # swapped-wires would be right by accident
        assert item.upstream != 1  # local-only would be right


def test_ranges_that_cannot_discriminate_fail_to_draw(write):
    bank = write("blind.yaml", """
        templates:
          - id: blind
            type: wire
            title: Upstream one
            node: x*y
            inputs: {x: {int: [2, 5]}, y: {int: [2, 5]}}
            upstream: {choice: [1]}
        """)
    template = load_banks([bank])[0].templates[0]
    # g = 1 makes "forgot the upstream gradient" right on every draw: the ranges' fault
    assert ("x", "local-only") not in profile_of(template).always_right
    with pytest.raises(GradientError, match="no discriminating draw"):
        draw_wire(template, Stream("b"))
    stubborn = write("stubborn.yaml", """
        templates:
          - id: stubborn
            type: wire
            title: x equals y half the time
            node: x*y
            inputs: {x: {choice: [2, 3]}, y: {choice: [2, 3]}}
            upstream: {choice: [2, 3]}
            ask: [x]
        """)
    template = load_banks([stubborn])[0].templates[0]
    item, tries = wire_draw(template, Stream("s"))
    assert item.inputs["x"] != item.inputs["y"]
    assert tries >= 1


def test_no_discriminating_draw_raises(write):
    bank = write("hopeless.yaml", """
        templates:
          - id: hopeless
            type: wire
            title: Two draws, both bad
            node: x*y
            inputs: {x: {choice: [2, 3]}, y: {choice: [2, 3]}}
            upstream: {choice: [2, 3]}
            ask: [x, y]
            tolerance: 0.5
        """)
    template = load_banks([bank])[0].templates[0]
    with pytest.raises(GradientError, match="no discriminating draw"):
        wire_draw(template, Stream("h"), attempts=30)


def test_structural_coincidences_are_the_nodes_nature():
    exp = next(t for t in WIRE if t.id == "exp-wire")
    assert ("x", "forward-value") in profile_of(exp).always_right
    neuron = next(t for t in WIRE if t.id == "neuron-sigmoid-wire")
    assert ("b", "forgot-inner") in profile_of(neuron).always_right  # du/db = 1


# --- the compiled plans agree with the sympy engine at random points --------------------

leaves = st.sampled_from(["x", "y", "2", "3", "0.5"])
expressions = st.recursive(
    leaves,
    lambda c: st.one_of(
        st.tuples(st.sampled_from(["sigmoid", "tanh", "exp", "relu", "abs", "softplus", "sin"]),
                  c).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(c, st.sampled_from(["+", "-", "*", "/"]), c).map(lambda t: f"({' '.join(t)})"),
        st.tuples(c, c).map(lambda t: f"max({t[0]}, {t[1]})"),
        c.map(lambda t: f"({t})^2"),
    ),
    max_leaves=6,
)
points = st.integers(-30, 30).map(lambda n: Fraction(n, 10))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=expressions, x=points, y=points, g=st.integers(-4, 4))
def test_compiled_plan_agrees_with_the_engine(text, x, y, g):
    try:
        node = Node.parse(text, ["x", "y"])
        solution = solve(node, {"x": sp.Rational(x), "y": sp.Rational(y)}, sp.Integer(g))
    except (ExprError, GradientError):
        assume(False)
    try:
        point = plan_for(node).evaluate({"x": x, "y": y}, Fraction(g))
    except GradientError:
        assume(False)
    for wire in ("x", "y"):
        exact = float(solution.wire(wire).gradient.evalf(30))
        assert float(point.gradient[wire]) == pytest.approx(exact, rel=1e-9, abs=1e-12)
    assert float(point.output) == pytest.approx(float(solution.output.evalf(30)), rel=1e-9,
                                                abs=1e-12)


# --- kinks: each regime judged on its own, each drawn for part of the class ------------

def _template(name):
    return next(t for t in templates_of(load_banks()) if t.id == name)


def test_a_mistake_hidden_by_an_open_relu_is_excused_there_only():
    shape = profile_of(_template("neuron-relu-wire"))
    sides = {side.label: side for side in shape.regimes}
    opened, closed = sides["relu(b + w*x) is open"], sides["relu(b + w*x) is closed"]
    # relu' = 1 where the gate is open: dropping it changes nothing there ...
    assert {("w", "forgot-outer"), ("x", "forgot-outer"),
            ("b", "forgot-outer")} <= opened.profile.always_right
    # ... but where it is closed the right answer is 0 and forgetting relu' sends g * x
    assert ("w", "forgot-outer") not in closed.profile.always_right
    assert (opened.weight, closed.weight) == (LIVE, DEAD)


def test_the_closed_regime_reveals_what_the_open_one_hides():
    template = _template("neuron-relu-wire")
    closed = [item for index in range(40)
              if (item := draw_wire(template, Stream("regimes", index))).point.regime == (-1,)]
    assert closed
    for item in closed:
        assert all(item.expected[w] == 0 for w in item.ask)
        assert "forgot-outer" in item.mistake_values("w")  # it differs from 0 here


@pytest.mark.parametrize("name", ["relu-wire", "neuron-relu-wire", "max-wire"])
def test_a_variant_of_a_kinked_template_is_reproducible(name):
    template = _template(name)
    first = draw_wire(template, Stream("seed", name, "v07"))
    again = draw_wire(template, Stream("seed", name, "v07"))
    assert first.point.key == again.point.key and first.point.regime == again.point.regime


def test_a_regime_no_discriminating_draw_reaches_is_not_drawn(gate_bank):
    template = load_banks([gate_bank])[0].templates[0]
    sides = {side.label: side for side in profile_of(template).regimes}
    assert sides["relu(x) is open"].weight == 0
    assert sides["relu(x) is open"].blocking == {("x", "local-only"),
                                                 ("x", "relu-gate-on-gradient")}
    regimes = {draw_wire(template, Stream("g", index)).point.regime for index in range(20)}
    assert regimes == {(-1,)}
