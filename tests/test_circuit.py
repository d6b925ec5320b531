"""Circuits: parsing, the backward pass against known numbers, fan-out, diagnosis, explain."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import mpmath
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from quizgrad.errors import ExprError, GradientError
from quizgrad.grading.judge import judge
from quizgrad.items.circuit import CircuitItem
from quizgrad.math import circuit
from quizgrad.math.circuit import composed, evaluate, gradient_formulas, parse_circuit
from quizgrad.math.numeric import Tolerance
from quizgrad.mistakes.catalog import BY_ID, CATALOG


def at(text, upstream=1, **inputs):
    circuit = parse_circuit(text)
    return evaluate(circuit, {n: Fraction(v) for n, v in inputs.items()}, Fraction(upstream))


def item(text, ask, upstream, inputs):
    circuit = parse_circuit(text, tuple(inputs))
    point = evaluate(circuit, {n: Fraction(v) for n, v in inputs.items()}, Fraction(upstream))
    return CircuitItem(id="c", template="c", type="circuit", title=text, prompt=text,
                       explanation="", points=1.0, tolerance=Tolerance(), circuit=circuit,
                       ask=tuple(ask), point=point)


# --- parsing --------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "inputs", "lines"), [
    ("q = x + y; f = q * z", ("x", "y", "z"), ["q = x + y", "f = q * z"]),
    ("q = x + y\nf = q * z", ("x", "y", "z"), ["q = x + y", "f = q * z"]),
    ("  q=x+y ;\n\n f = q*z ; ", ("x", "y", "z"), ["q = x+y", "f = q*z"]),
    ("a = x * y\nb = max(z, w); c = a + b\nf = 2 * c", ("x", "y", "z", "w"),
     ["a = x * y", "b = max(z, w)", "c = a + b", "f = 2 * c"]),
    ("f = sigmoid(w*x + b) * pi", ("w", "x", "b"), ["f = sigmoid(w*x + b) * pi"]),
])
def test_assignments_split_on_semicolons_and_newlines(text, inputs, lines):
    circuit = parse_circuit(text)
    assert circuit.inputs == inputs
    assert [s.line for s in circuit.steps] == lines
    assert circuit.output == lines[-1].split("=")[0].strip()
    assert circuit.names == (*inputs, *(ln.split("=")[0].strip() for ln in lines))


# (text, declared inputs, message fragment, the offending line, the text the error points at)
BAD = [
    ("q = x + y; f = q * r; r = x", None, "'r' is used before it is assigned", "f = q * r",
     "r"),
    ("f = f + x", None, "'f' is used before it is assigned", "f = f + x", "f"),  # self-use
    ("d = e + c; e = a * b", None, "'e' is used before it is assigned", "d = e + c", "e"),
    ("a = b + x; b = a * y", None, "must be assigned before it is used", "a = b + x", "b"),
    ("q = x + y; q = q * z", None, "already defined", "q = q * z", "q"),
    ("x = y * 2; f = x * y", ("x", "y"), "already defined", "x = y * 2", "x"),
    ("q = x + y; f = q * z", ("x", "y"), "unknown name 'z'", "f = q * z", "z"),
    ("q = x + y\nf = q * (z", None, "unclosed '('", "f = q * (z", "("),
    ("q = x + y; x + y", None, "each line of a circuit is an assignment", "x + y", "x + y"),
    ("q == x", None, "each line of a circuit is an assignment", "q == x", "q == x"),
    ("exp = x + 1", None, "function name", "exp = x + 1", "exp"),
    (" ; \n ", None, "at least one assignment", None, None),
]


@pytest.mark.parametrize(("text", "inputs", "fragment", "line", "marked"), BAD)
def test_bad_circuits_are_expr_errors_with_positions(text, inputs, fragment, line, marked):
    with pytest.raises(ExprError) as caught:
        parse_circuit(text, inputs)
    error = caught.value
    assert fragment in error.message
    if line is not None:
        assert error.text == line
        assert 0 <= error.position < len(line)
    if marked is not None:
        assert error.text[error.position:error.position + error.length] == marked
    assert "position" in str(error) and "^" in str(error)


# micrograd's lecture circuit: e and d are values, not Euler's number (a=2, b=-3, c=10, f=-2)
MICROGRAD = "e = a * b; d = e + c; L = d * f"


def test_a_name_assigned_in_a_circuit_is_that_value_even_a_constants():
    point = at(MICROGRAD, a=2, b=-3, c=10, f=-2)
    assert point.output == -8 and point.values["e"] == -6 and point.values["d"] == 4
    assert point.gradients == {"a": 6, "b": -4, "c": -2, "f": 4, "e": -2, "d": -2, "L": 1}
    symbol_e = sp.Symbol("e", real=True)
    assert composed(parse_circuit(MICROGRAD), keep="e") == (symbol_e + sp.Symbol("c", real=True)
                                                           ) * sp.Symbol("f", real=True)


def test_pi_too_can_be_a_value():
    assert at("pi = x + 1; f = pi * 2", x=3).output == 8


def test_a_constant_that_is_never_assigned_stays_the_constant():
    point = at("d = e * c; L = d + 1", c=2)
    assert parse_circuit("d = e * c; L = d + 1").inputs == ("c",)
    assert float(point.output) == pytest.approx(2 * 2.718281828459045 + 1)


def test_an_undefined_name_error_lists_every_value_defined_so_far():
    with pytest.raises(ExprError) as caught:  # e.g. explain "..." --at x=1,y=2 without z
        parse_circuit("q = x + y; f = q * z", ("x", "y"))
    listed = caught.value.message.split("the names are: ")[1].split(" (")[0]
    assert set(listed.split(", ")) == {"x", "y", "q"}


# --- the backward pass, against CS231n's worked numbers ---------------------------------------

def test_cs231n_add_then_multiply():
    point = at("q = x + y; f = q * z", x=-2, y=5, z=-4)
    assert point.output == -12 and point.values["q"] == 3
    assert point.gradients == {"x": -4, "y": -4, "z": 3, "q": -4, "f": 1}
    assert [b.step.line for b in point.backward] == ["f = q * z", "q = x + y"]
    assert [b.upstream for b in point.backward] == [1, -4]
    assert not point.at_kink


def test_cs231n_max_circuit():  # f = 2(xy + max(z, w)), "Patterns in backward flow"
    point = at("a = x * y; b = max(z, w); c = a + b; f = 2 * c", x=3, y=-4, z=2, w=-1)
    assert point.output == 2 * (3 * -4 + 2)
    assert {n: point.gradients[n] for n in "xyzw"} == {"x": -8, "y": 6, "z": 2, "w": 0}
    doubled = at("a = x * y; b = max(z, w); c = a + b; f = 2 * c", 3, x=3, y=-4, z=2, w=-1)
    assert {n: doubled.gradients[n] for n in "xyzw"} == {"x": -24, "y": 18, "z": 6, "w": 0}


def test_cs231n_sigmoid_neuron():
    point = at("a = w0 * x0; b = w1 * x1; d = a + b + w2; f = sigmoid(d)",
               w0=2, x0=-1, w1=-3, x1=-2, w2=-3)
    assert float(point.output) == pytest.approx(0.7310585786, abs=1e-9)  # sigmoid(1)
    local = 0.7310585786300049 * (1 - 0.7310585786300049)  # ~0.2, CS231n's "0.2"
    expected = {"w0": -1 * local, "x0": 2 * local, "w1": -2 * local, "x1": -3 * local,
                "w2": local, "d": local}
    for name, value in expected.items():
        assert float(point.gradients[name]) == pytest.approx(value, rel=1e-9)
    rounded = {n: round(float(point.gradients[n]), 2) for n in ("w0", "x0", "w1", "x1", "w2")}
    assert rounded == {"w0": -0.2, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.2}


def test_faults_remembered_per_node_match_faults_found_afresh():
    # Both points give the node a = x * y the same inputs and gradient: the faults
    # remembered at the first serve the second exactly as a fresh computation would.
    text = "a = x * y; b = max(z, w); c = a + b; f = 2 * c"
    at(text, x=3, y=-4, z=2, w=-1)
    second = at(text, x=3, y=-4, z=-5, w=1)
    circuit._STEP_FAULTS.clear()
    fresh = at(text, x=3, y=-4, z=-5, w=1)
    def shown(faults):
        return [(f.mistake, f.where, f.label, f.deltas, f.affects) for f in faults]

    assert shown(second.faults) == shown(fresh.faults)
    assert [[v for _, v in second.predictions(n)] for n in "xyzw"] == [
        [v for _, v in fresh.predictions(n)] for n in "xyzw"]


def test_a_value_that_does_not_exist_is_a_gradient_error():
    with pytest.raises(GradientError, match="does not exist"):
        at("a = x - y; f = log(a)", x=2, y=2)


# --- fan-out: gradients sum over the paths ---------------------------------------------------

x_, y_, z_ = sp.symbols("x y z", real=True)

FANOUT = [  # (circuit, the same function written by hand, the point)
    ("a = x * y; b = x + y; f = a * b", x_ * y_ * (x_ + y_), {"x": 2, "y": 3}),
    ("q = x * y; f = q + x", x_ * y_ + x_, {"x": -3, "y": 4}),
    ("q = x * x; f = q * y", x_**2 * y_, {"x": 5, "y": -2}),
    ("a = x + y; b = a * a; f = b + a", (x_ + y_) ** 2 + x_ + y_, {"x": Fraction(1, 2), "y": -3}),
    ("a = x * y; b = a + z; c = a * z; f = b + c", x_ * y_ + z_ + x_ * y_ * z_,
     {"x": 2, "y": -1, "z": 3}),
    ("s = sigmoid(x); f = s * x + s", 1 / (1 + sp.exp(-x_)) * (x_ + 1), {"x": Fraction(3, 4)}),
]


@pytest.mark.parametrize(("text", "formula", "values"), FANOUT)
@pytest.mark.parametrize("upstream", [1, -3])
def test_fan_out_gradients_equal_the_symbolic_derivative(text, formula, values, upstream):
    point = at(text, upstream, **values)
    subs = {sp.Symbol(n, real=True): sp.Rational(str(v)) for n, v in values.items()}
    for name in values:
        derivative = upstream * sp.diff(formula, sp.Symbol(name, real=True)).subs(subs)
        assert float(point.gradients[name]) == pytest.approx(float(derivative), rel=1e-12)
    mine = composed(point.circuit)
    by_name = {s: subs[sp.Symbol(s.name, real=True)] for s in mine.free_symbols}
    assert float(mine.xreplace(by_name)) == pytest.approx(float(formula.subs(subs)), rel=1e-12)


def test_fan_out_gradient_is_the_sum_of_the_paths():
    point = at("a = x * y; b = x + y; f = a * b", 1, x=2, y=3)  # a = 6, b = 5
    via_a, via_b = 5 * 3, 6 * 1  # g*b*y along x -> a -> f, g*a*1 along x -> b -> f
    assert point.gradients["x"] == via_a + via_b == 2 * 2 * 3 + 3**2  # d(x^2 y + x y^2)/dx
    sent = [w.sent for b in point.backward for w in b.wires if w.name == "x"]
    assert sorted(sent) == sorted([via_a, via_b])
    assert (point.gradients["a"], point.gradients["b"]) == (5, 6)


def test_gradient_formulas_agree_with_the_evaluated_gradients():
    text = "a = x * y; b = x + y; f = a * b"
    point = at(text, -2, x=Fraction(3, 2), y=-1)
    formulas = gradient_formulas(point.circuit)
    for name in point.circuit.names:
        env = {s: (-2 if s.name == "_g" else sp.Rational(str(point.inputs[s.name])))
               for s in formulas[name].free_symbols}
        assert sp.Rational(str(point.gradients[name])) == formulas[name].xreplace(env)


# --- property: every gradient is a finite difference of the composed output -----------------

MP = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
      "max": max, "sigmoid": lambda a: 1 / (1 + mpmath.exp(-a)), "tanh": mpmath.tanh,
      "exp": mpmath.exp}
TEXT = {"+": "{} + {}", "-": "{} - {}", "*": "{} * {}", "max": "max({}, {})",
        "sigmoid": "sigmoid({})", "tanh": "tanh({})", "exp": "exp({})"}


@st.composite
def circuits(draw):
    inputs = [f"x{i}" for i in range(draw(st.integers(1, 3)))]
    values = {n: Fraction(draw(st.integers(-8, 8)), 4) for n in inputs}
    names, steps = list(inputs), []
    for i in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(sorted(TEXT)))
        pool = inputs if kind == "exp" else names  # exp only of bounded values
        operands = [draw(st.sampled_from(pool)) for _ in range(TEXT[kind].count("{}"))]
        steps.append((f"v{i}", kind, operands))
        names.append(f"v{i}")
    return inputs, values, steps, Fraction(draw(st.sampled_from([-3, -1, 1, 2, 5])), 2)


def forward(steps, values, bump=None, h=0):
    env = {n: mpmath.mpf(v.numerator) / v.denominator for n, v in values.items()}
    env = {n: v + (h if n == bump else 0) for n, v in env.items()}
    for name, kind, operands in steps:
        env[name] = MP[kind](*(env[o] for o in operands)) + (h if name == bump else 0)
    return env


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(circuits())
def test_every_gradient_is_a_central_finite_difference(case):
    inputs, values, steps, upstream = case
    with mpmath.workdps(40):
        check_against_finite_differences(inputs, values, steps, upstream)


def check_against_finite_differences(inputs, values, steps, upstream):
    env = forward(steps, values)
    for _, kind, operands in steps:
        if kind == "max":  # keep away from the kink (a tie, including max(a, a))
            assume(abs(env[operands[0]] - env[operands[1]]) > mpmath.mpf("1e-3"))
    assume(all(abs(v) < 40 for v in env.values()))
    text = "; ".join(f"{n} = {TEXT[k].format(*ops)}" for n, k, ops in steps)
    point = evaluate(parse_circuit(text, tuple(inputs)), values, upstream)
    assert not point.at_kink
    output, h = steps[-1][0], mpmath.mpf("1e-15")
    assert float(point.output) == pytest.approx(float(env[output]), rel=1e-12, abs=1e-12)
    for name in (*inputs, *(s[0] for s in steps)):
        slope = (forward(steps, values, name, h)[output]
                 - forward(steps, values, name, -h)[output]) / (2 * h)
        expected = float(upstream * slope)
        assert float(point.gradients[name]) == pytest.approx(expected, rel=1e-8, abs=1e-10), (
            text, name)


# --- diagnosis: one planted fault, named with where it happened ------------------------------

LOCAL = {"sigmoid": lambda t: 1 / (1 + sp.exp(-t)), "max": sp.Max, "tanh": sp.tanh,
         "exp": sp.exp}
FAULTS = {  # what wire i gets from a node holding the misconception (the GUIDE's table)
    "forward-value": lambda g, f, loc, i, xs: g * f,
    "upstream-only": lambda g, f, loc, i, xs: g,
    "local-only": lambda g, f, loc, i, xs: loc[i],
    "added": lambda g, f, loc, i, xs: g + loc[i],
    "sign-flip": lambda g, f, loc, i, xs: -g * loc[i],
    "swapped-wires": lambda g, f, loc, i, xs: g * loc[1 - i],
    "wrong-stored-value": lambda g, f, loc, i, xs: g * xs[i] * (1 - xs[i]),  # sigmoid only
}


def planted(text, values, upstream, fault=None, branch=None):
    """Gradients by a backward pass written here (sympy), with one fault planted.

    ``fault`` is (mistake, node line): that node sends what the mistake says on every wire;
    ``branch`` is (value, consumer): the value keeps only the gradient through that consumer.
    """
    steps = []
    for line in re.split(r"[;\n]", text):
        name, body = (s.strip() for s in line.split("="))
        operands = [o for o in dict.fromkeys(re.findall(r"\b[a-z]\w*", body))
                    if o not in LOCAL]
        steps.append((line.strip(), name, operands, sp.sympify(body, locals=LOCAL)))
    env = {sp.Symbol(n): sp.Rational(str(v)) for n, v in values.items()}
    for _, name, _, expr in steps:
        env[sp.Symbol(name)] = expr.subs(env)
    grads = dict.fromkeys([*values, *(s[1] for s in steps)], sp.S.Zero)
    grads[steps[-1][1]] = sp.S(upstream)
    for line, name, operands, expr in reversed(steps):
        g, f = grads[name], env[sp.Symbol(name)]
        local = [sp.diff(expr, sp.Symbol(o)).subs(env) for o in operands]
        for i, operand in enumerate(operands):
            sent = g * local[i]
            if fault is not None and fault[1] == line:
                sent = FAULTS[fault[0]](g, f, local, i, [env[sp.Symbol(o)] for o in operands])
            if branch is None or operand != branch[0] or name == branch[1]:
                grads[operand] += sent
    return {n: float(v) for n, v in grads.items()}


CS = "q = x + y; f = q * z"
MAX = "a = x * y; b = max(z, w); c = a + b; f = 2 * c"
FAN = "a = x * y; b = x + y; f = a * b"
DEEP = "a = x * y; b = a + z; c = a * z; f = b + c"
SIGN = "a = w0 * x0; b = w1 * x1; d = a + b + w2; f = sigmoid(d)"
CASES = [  # (circuit, inputs, upstream, asked, mistake, where, (fan-out value, kept consumer))
    (CS, {"x": 3, "y": -1, "z": -4}, 3, "xyzq", "forward-value", "f = q * z", None),
    (CS, {"x": 3, "y": -1, "z": -4}, 3, "xyzq", "forward-value", "q = x + y", None),
    (CS, {"x": 3, "y": -1, "z": -4}, 3, "xyzq", "swapped-wires", "f = q * z", None),
    (CS, {"x": 3, "y": -1, "z": -4}, 3, "xyzq", "upstream-only", "f = q * z", None),
    (CS, {"x": 3, "y": -1, "z": -4}, 3, "xyzq", "local-only", "f = q * z", None),
    (CS, {"x": 3, "y": -1, "z": -4}, 3, "xyzq", "added", "q = x + y", None),
    (MAX, {"x": 3, "y": -4, "z": 2, "w": -1}, 2, "xyzw", "sign-flip", "a = x * y", None),
    (SIGN, {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -2}, 2, ["w0", "x0", "w2", "d"],
     "wrong-stored-value", "f = sigmoid(d)", None),  # d = 2: x(1-x) = -2, not s(1-s)
    (SIGN, {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}, 2, ["w0", "x0", "w2", "d"],
     "sign-flip", "d = a + b + w2", None),
    (FAN, {"x": 2, "y": 3}, -2, "xy", "missed-branch", "x (only the path through a)",
     ("x", "a")),
    (FAN, {"x": 2, "y": 3}, -2, "xy", "missed-branch", "y (only the path through b)",
     ("y", "b")),
    (DEEP, {"x": 2, "y": -3, "z": 4}, 3, "xyza", "missed-branch",
     "a (only the path through c)", ("a", "c")),
    (DEEP, {"x": 2, "y": -3, "z": 4}, 3, "xyza", "forward-value", "c = a * z", None),
]


@pytest.mark.parametrize(("text", "values", "upstream", "ask", "mistake", "where", "branch"),
                         CASES, ids=[f"{c[4]}@{c[5]}" for c in CASES])
def test_a_planted_fault_is_named_with_where(text, values, upstream, ask, mistake, where,
                                            branch):
    right = planted(text, values, upstream)
    wrong = planted(text, values, upstream, None if branch else (mistake, where), branch)
    the_item = item(text, list(ask), upstream, values)
    assert {n: float(the_item.expected[n]) for n in the_item.ask} == pytest.approx(
        {n: right[n] for n in the_item.ask}, rel=1e-12)
    result = judge(the_item, {n: repr(wrong[n]) for n in the_item.ask})
    changed = [p for p in result.parts if abs(wrong[p.wire] - right[p.wire]) > 1e-6]
    assert changed, "the fault must change some asked gradient"
    assert result.verdict == "wrong" and mistake in result.mistakes
    for part in result.parts:
        if part in changed:
            assert part.verdict == "wrong"
            assert (mistake, where) in set(zip(part.mistakes, part.where, strict=True)), part
        else:
            assert part.verdict == "correct"


REFINED = {"sigmoid-value-only": "forward-value", "routed-to-loser": "swapped-wires"}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(circuits(), st.data())
def test_a_random_planted_fault_is_named_where_it_changes_an_answer(case, data):
    inputs, values, steps, upstream = case
    text = "; ".join(f"{n} = {TEXT[k].format(*ops)}" for n, k, ops in steps)
    with mpmath.workdps(30):
        env = forward(steps, values)
    assume(all(abs(v) < 40 for v in env.values()) and all(
        abs(env[o[0]] - env[o[1]]) > 1e-3 for _, k, o in steps if k == "max"))
    users = {v: [n for n, _, ops in steps if v in ops] for v in (*inputs, *env)}
    fans = [(v, u) for v, us in users.items() if len(us) > 1 for u in us]
    mistake = data.draw(st.sampled_from([*FAULTS.keys() - {"wrong-stored-value"},
                                         *(["missed-branch"] if fans else [])]))
    if mistake == "missed-branch":
        branch, fault = data.draw(st.sampled_from(fans)), None
        where = f"{branch[0]} (only the path through {branch[1]})"
    else:
        name, kind, ops = data.draw(st.sampled_from(steps))
        assume(mistake != "swapped-wires" or (kind in ("*", "max") and ops[0] != ops[1]))
        where = f"{name} = {TEXT[kind].format(*ops)}"
        branch, fault = None, (mistake, where)
    ask = [*inputs, *(s[0] for s in steps[:-1])]
    right = planted(text, values, upstream)
    wrong = planted(text, values, upstream, fault, branch)
    result = judge(item(text, ask, upstream, values), {n: repr(wrong[n]) for n in ask})
    for part in result.parts:
        named = {(REFINED.get(m, m), w) for m, w in zip(part.mistakes, part.where, strict=True)}
        if not Tolerance().accepts(wrong[part.wire], right[part.wire]):
            assert part.verdict == "wrong" and (mistake, where) in named, (text, part)


def test_every_circuit_scope_mistake_is_planted():
    ids = {c[4] for c in CASES if BY_ID[c[4]].scope == "circuit"}
    assert ids == {m.id for m in CATALOG if m.scope == "circuit"}


def test_right_answers_name_no_mistake():
    result = judge(item(FAN, "xy", -2, {"x": 2, "y": 3}), {"x": "-42", "y": "-2*(4+12)"})
    assert result.verdict == "correct" and result.mistakes == ()  # d/dx = 2xy + y^2 = 21


# --- quizgrad explain on a circuit ------------------------------------------------------------

def test_explain_circuit_json(run):
    result = run("explain", CS, "--at", "x=-2,y=5,z=-4", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["output"] == -12
    assert data["wires"] == {"x": -4, "y": -4, "z": 3, "q": -4, "f": 1}
    assert data["values"]["q"] == 3
    assert [s["node"] for s in data["steps"]] == ["f = q * z", "q = x + y"]
    assert data["steps"][1]["upstream"] == -4
    assert data["steps"][0]["sends"]["z"] == {"local": "q", "local_value": 3, "gradient": 3}
    assert data["mistakes"]["x"]["forward-value@f = q * z"] == -12


def test_explain_circuit_human_output_lists_the_backward_steps_last_node_first(run):
    result = run("explain", CS, "--at", "x=-2,y=5,z=-4")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    table = text[text.index("backward"):]
    assert table.index("f = q * z") < table.index("q = x + y")
    assert "1 × (-4) = -4" in table and "-4 × 1 = -4" in table
    assert "Traceback" not in text + result.stderr


def test_micrograds_circuit_as_a_bank_template_checks_and_grades(run, write, tmp_path):
    bank = write("micrograd.yaml", """
        templates:
          - id: micrograd
            type: circuit
            title: micrograd's first expression
            circuit: e = a * b; d = e + c; L = d * f
            inputs:
              a: {int: [-4, 4], exclude: [0, 1, -1]}
              b: {int: [-4, 4], exclude: [0, 1, -1]}
              c: {int: [-9, 9], exclude: [0]}
              f: {int: [-4, 4], exclude: [0, 1, -1]}
            upstream: {int: [-3, 3], exclude: [0, 1]}  # with 1, local-only at L is right
            ask: [a, e, d]
            tests:
              - {answer: {a: "g*f*b", e: "g*f", d: "g*f"}, verdict: correct}
              - {answer: {a: "g*f*a", e: "g*f", d: "g*f"}, verdict: wrong,
                 mistakes: [swapped-wires]}
        """)
    result = run("check", str(bank), "--variants", "40")
    assert result.exit_code == 0, result.stdout
    out = tmp_path / "set"
    assert run("generate", str(bank), "--seed", "m", "--count", "1", "--out",
               str(out)).exit_code == 0
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    expected = key["variants"][0]["items"][0]["answer"]
    assert set(expected) == {"a", "e", "d"}
    answers = write("v01.yaml", "student: v01\nanswers:\n  micrograd: {"
                    + ", ".join(f"{k}: {v}" for k, v in expected.items()) + "}\n")
    graded = run("grade", str(out / "key.json"), str(answers), "--out", str(tmp_path / "g"),
                 "--json")
    assert graded.exit_code == 0, graded.stdout + graded.stderr
    assert json.loads(graded.stdout)["scores"] == {"v01": 1.0}


def test_explain_micrograds_circuit(run):
    data = json.loads(run("explain", MICROGRAD, "--at", "a=2,b=-3,c=10,f=-2", "--json").stdout)
    assert data["output"] == -8
    assert data["wires"] == {"a": 6, "b": -4, "c": -2, "f": 4, "e": -2, "d": -2, "L": 1}
