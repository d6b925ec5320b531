"""Matrix nodes: finite differences, textbook identities, every mistake, answers, banks, CLI."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizgrad.bank.load import load_bank
from quizgrad.errors import BankError
from quizgrad.grading.judge import judge
from quizgrad.grading.response_array import read_array
from quizgrad.items.matrix import MatrixItem
from quizgrad.math.matrix import Array, parse_matrix
from quizgrad.math.matrix_eval import evaluate
from quizgrad.math.numeric import Tolerance
from quizgrad.math.rng import Stream
from quizgrad.mistakes.arrays import MATRIX_ONLY
from quizgrad.mistakes.catalog import CATALOG
from quizgrad.registry import draw

# --- plain-Python arrays: nested lists, written here without quizgrad --------------------------


def shape_of(v):
    if not isinstance(v, list):
        return ()
    return (len(v), len(v[0])) if isinstance(v[0], list) else (len(v),)


def flat(v):
    if not isinstance(v, list):
        return [v]
    return [e for row in v for e in (row if isinstance(row, list) else [row])]


def unflat(entries, shape):
    if len(shape) < 2:
        return list(entries) if shape else entries[0]
    return [list(entries[i * shape[1]:(i + 1) * shape[1]]) for i in range(shape[0])]


def mm(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))]
            for i in range(len(a))]


def tr(a):
    return [list(col) for col in zip(*a, strict=True)]


def softmax_row(row):
    exps = [math.exp(v - max(row)) for v in row]
    return [e / sum(exps) for e in exps]


def rows_of(z):
    return z if isinstance(z[0], list) else [z]


def ce(z, labels):
    losses = [-math.log(softmax_row(r)[y]) for r, y in zip(rows_of(z), labels, strict=True)]
    return sum(losses) / len(labels)


def emap(func, v):
    return unflat([func(e) for e in flat(v)], shape_of(v))


FORWARD = {
    "A @ B": lambda v, y: mm(v["A"], v["B"]),
    "X @ W + b": lambda v, y: [[e + b for e, b in zip(r, v["b"], strict=True)]
                               for r in mm(v["X"], v["W"])],
    "W @ x": lambda v, y: [sum(w * x for w, x in zip(r, v["x"], strict=True)) for r in v["W"]],
    "softmax(z)": lambda v, y: [softmax_row(r) for r in v["z"]] if isinstance(v["z"][0], list)
    else softmax_row(v["z"]),
    "softmax_ce(z, y)": lambda v, y: ce(v["z"], y),
    "sum(X)": lambda v, y: sum(flat(v["X"])),
    "mean(X)": lambda v, y: sum(flat(v["X"])) / len(flat(v["X"])),
    "sigmoid(X)": lambda v, y: emap(lambda t: 1 / (1 + math.exp(-t)), v["X"]),
    "tanh(X)": lambda v, y: emap(math.tanh, v["X"]),
    "relu(X)": lambda v, y: emap(lambda t: max(t, 0.0), v["X"]),
}


def exact(v):
    return Array(shape_of(v), tuple(Fraction(e) for e in flat(v)))


def quizgrad_point(text, arrays, upstream, labels=None):
    node = parse_matrix(text, {n: shape_of(v) for n, v in arrays.items()}, labels)
    return evaluate(node, {n: exact(v) for n, v in arrays.items()}, exact(upstream))


def item(text, arrays, upstream, labels=None, ask=None):
    point = quizgrad_point(text, arrays, upstream, labels)
    return MatrixItem(id="m", template="m", type="matrix", title=text, prompt=text,
                      explanation="", points=1.0, tolerance=Tolerance(), node=point.node,
                      ask=tuple(ask or point.node.inputs), point=point)


# --- the engine against central finite differences of L = sum(G * Y) ------------------------

ints = st.integers(-3, 3)


def matrix(rows, cols, entries=ints):
    return st.lists(st.lists(entries, min_size=cols, max_size=cols), min_size=rows,
                    max_size=rows)


@st.composite
def cases(draw):
    text = draw(st.sampled_from(sorted(FORWARD)))
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    labels = None
    if text == "A @ B":
        arrays = {"A": draw(matrix(n, k)), "B": draw(matrix(k, m))}
    elif text == "X @ W + b":
        arrays = {"X": draw(matrix(n, k)), "W": draw(matrix(k, m)),
                  "b": draw(st.lists(ints, min_size=m, max_size=m))}
    elif text == "W @ x":
        arrays = {"W": draw(matrix(m, k)), "x": draw(st.lists(ints, min_size=k, max_size=k))}
    elif text.startswith("softmax"):
        z = draw(matrix(n, k + 1))
        arrays = {"z": z[0] if draw(st.booleans()) else z}
        if text == "softmax_ce(z, y)":
            labels = tuple(draw(st.integers(0, k)) for _ in rows_of(arrays["z"]))
    else:
        entries = st.sampled_from([-3, -2, -1, 1, 2, 3]) if text == "relu(X)" else ints
        arrays = {"X": draw(matrix(n, k, entries))}
    out = shape_of(FORWARD[text](arrays, labels))
    g = [draw(st.integers(-3, 3)) for _ in range(math.prod(out))]
    return text, arrays, labels, unflat(g, out)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_every_gradient_is_a_central_finite_difference(case):
    text, arrays, labels, upstream = case
    point = quizgrad_point(text, arrays, upstream, labels and {"y": labels})
    forward = FORWARD[text]
    assert flat(point.output.nested(float)) == pytest.approx(
        flat(forward(arrays, labels)), rel=1e-9, abs=1e-12)

    def loss(values):
        return sum(g * y for g, y in zip(flat(upstream), flat(forward(values, labels)),
                                         strict=True))

    def moved(name, i, step):  # one entry of one input moved by step
        entries = [e + step * (j == i) for j, e in enumerate(flat(arrays[name]))]
        return {**arrays, name: unflat(entries, shape_of(arrays[name]))}

    h = 1e-6
    for name, value in arrays.items():
        assert point.gradients[name].shape == shape_of(value)
        for i, got in enumerate(point.gradients[name].entries):
            slope = (loss(moved(name, i, h)) - loss(moved(name, i, -h))) / (2 * h)
            assert float(got) == pytest.approx(slope, rel=1e-6, abs=1e-6), (text, name, i)


# --- textbook identities ---------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.data())
def test_linear_layer_gradients_are_the_textbook_products(n, k, m, data):
    x, w = data.draw(matrix(n, k)), data.draw(matrix(k, m))
    b, g = data.draw(st.lists(ints, min_size=m, max_size=m)), data.draw(matrix(n, m))
    point = quizgrad_point("X @ W + b", {"X": x, "W": w, "b": b}, g)
    assert point.gradients["X"].nested() == mm(g, tr(w))  # exact, entry by entry
    assert point.gradients["W"].nested() == mm(tr(x), g)
    assert point.gradients["b"].nested() == [sum(r[j] for r in g) for j in range(m)]
    product = quizgrad_point("A @ B", {"A": x, "B": w}, g)
    assert product.gradients["A"].nested() == mm(g, tr(w))
    assert product.gradients["B"].nested() == mm(tr(x), g)


@pytest.mark.parametrize(("z", "labels", "g"), [
    ([1, 2, 0], (1,), 1), ([-2, 0, 3, 1], (3,), -2), ([[1, 2, 0], [0, -1, 1]], (1, 2), 1),
    ([[0, 0], [3, -3], [1, 2]], (0, 0, 1), 3),
])
def test_softmax_ce_gradient_is_softmax_minus_one_hot_over_the_batch(z, labels, g):
    point = quizgrad_point("softmax_ce(z, y)", {"z": z}, g, {"y": labels})
    want = [[g * (p - (j == y)) / len(labels) for j, p in enumerate(softmax_row(r))]
            for r, y in zip(rows_of(z), labels, strict=True)]
    assert flat(point.gradients["z"].nested(float)) == pytest.approx(flat(want), rel=1e-12)
    assert float(point.output.entries[0]) == pytest.approx(ce(z, labels), rel=1e-12)


# --- every matrix mistake, built from its textbook definition --------------------------------

A, B, G = [[1, 2], [-3, 1]], [[2, -1], [1, 3]], [[1, -2], [3, 1]]
X, W, BIAS, GX = [[1, 2], [-1, 3], [2, 0]], [[1, -2], [3, 1]], [1, -1], [[1, 2], [-3, 1], [2, 2]]
Z, ZB = [1, 2, 0], [[1, 2, 0], [0, -1, 1]]
S = softmax_row(Z)
SB = [softmax_row(r) for r in ZB]
GS = [2, -1, 1]
PLANTED = [  # (mistake, node, arrays, upstream, labels, input, the wrong answer)
    ("no-transpose", "A @ B", {"A": A, "B": B}, G, None, "A", mm(G, B)),
    ("no-transpose", "A @ B", {"A": A, "B": B}, G, None, "B", mm(A, G)),
    ("wrong-order", "A @ B", {"A": A, "B": B}, G, None, "A", mm(tr(B), G)),
    ("wrong-order", "A @ B", {"A": A, "B": B}, G, None, "B", mm(G, tr(A))),
    ("forward-instead-of-upstream", "A @ B", {"A": A, "B": B}, G, None, "A",
     mm(mm(A, B), tr(B))),
    ("bias-not-summed", "X @ W + b", {"X": X, "W": W, "b": BIAS}, GX, None, "b", GX),  # 3×2
    ("bias-averaged", "X @ W + b", {"X": X, "W": W, "b": BIAS}, GX, None, "b",
     [sum(r[j] for r in GX) / 3 for j in range(2)]),
    ("no-transpose", "X @ W + b", {"X": X, "W": W, "b": BIAS}, GX, None, "X", mm(GX, W)),
    ("softmax-diagonal-only", "softmax(z)", {"z": Z}, GS, None, "z",
     [g * s * (1 - s) for g, s in zip(GS, S, strict=True)]),
    ("forgot-one-hot", "softmax_ce(z, y)", {"z": Z}, 2, {"y": (1,)}, "z", [2 * s for s in S]),
    ("forgot-one-hot", "softmax_ce(z, y)", {"z": ZB}, 1, {"y": (1, 2)}, "z",
     [[s / 2 for s in r] for r in SB]),
    ("forgot-batch-mean", "softmax_ce(z, y)", {"z": ZB}, 1, {"y": (1, 2)}, "z",
     [[s - (j == y) for j, s in enumerate(r)] for r, y in zip(SB, (1, 2), strict=True)]),
    ("mean-as-sum", "mean(X)", {"X": X}, 3, None, "X", [[3, 3]] * 3),
    ("sign-flip", "W @ x", {"W": X, "x": [2, -1]}, [1, 2, -1], None, "x",
     [-sum(X[i][j] * [1, 2, -1][i] for i in range(3)) for j in range(2)]),  # -(W.T @ G)
]


@pytest.mark.parametrize(("mistake", "text", "arrays", "g", "labels", "name", "answer"),
                         PLANTED, ids=[f"{p[0]}-{p[1]}-{p[5]}" for p in PLANTED])
def test_a_planted_matrix_mistake_is_diagnosed(mistake, text, arrays, g, labels, name, answer):
    result = judge(item(text, arrays, g, labels, ask=(name,)), answer)
    assert result.verdict == "wrong" and result.parts[0].verdict == "wrong"
    assert mistake in result.parts[0].mistakes and mistake in result.mistakes


def test_every_matrix_mistake_is_planted():
    planted = {p[0] for p in PLANTED} & {m for m, _ in MATRIX_ONLY}
    assert planted == {m.id for m in CATALOG if m.scope == "matrix"}
    assert {m for m, _ in MATRIX_ONLY} == {m.id for m in CATALOG if m.scope == "matrix"}


def test_right_answers_as_nested_lists_or_text_are_correct():
    matmul, right = item("A @ B", {"A": A, "B": B}, G), {"A": mm(G, tr(B)), "B": mm(tr(A), G)}
    text = {n: "; ".join(" ".join(str(e) for e in r) for r in v) for n, v in right.items()}
    assert judge(matmul, right).verdict == judge(matmul, text).verdict == "correct"
    assert judge(matmul, {"A": right["A"]}).points == 0.5


@pytest.mark.parametrize(("text", "arrays", "g", "name", "answer", "fragments"), [
    ("A @ B", {"A": A, "B": B}, G, "A", [[1, 2, 3]], ["2×2 matrix", "1×3 matrix"]),
    ("A @ B", {"A": A, "B": B}, G, "A", [5, 6], ["2×2 matrix", "vector of 2"]),
    ("X @ W + b", {"X": X, "W": W, "b": BIAS}, GX, "b", [1, 2, 3], ["vector of 2"]),
    ("X @ W + b", {"X": X, "W": W, "b": BIAS}, GX, "W", 4, ["2×2 matrix", "a number"]),
])
def test_a_wrong_shape_matching_no_mistake_is_invalid_and_names_the_shape(
        text, arrays, g, name, answer, fragments):
    result = judge(item(text, arrays, g, ask=(name,)), answer)
    assert result.verdict == "invalid" and result.points == 0
    for fragment in fragments:
        assert fragment in result.parts[0].message


def test_the_bias_handed_the_whole_upstream_is_wrong_not_invalid():  # G has the wrong shape
    result = judge(item("X @ W + b", {"X": X, "W": W, "b": BIAS}, GX), {"b": GX})
    assert [(p.wire, p.verdict, p.mistakes) for p in result.parts] == [
        ("X", "missing", ()), ("W", "missing", ()), ("b", "wrong", ("bias-not-summed",))]


# --- reading array answers -------------------------------------------------------------------

GOOD_ARRAYS = [  # (answer, shape, entries)
    ([[1, 2], [3, 4]], (2, 2), [1, 2, 3, 4]), ("[[1, 2], [3, 4]]", (2, 2), [1, 2, 3, 4]),
    ("1 2; 3 4", (2, 2), [1, 2, 3, 4]), ("[1/4, -2, 2*(-4)]", (3,), [0.25, -2, -8]),
    ("[\u22121, 2.5e-3]", (2,), [-1, 0.0025]), ("1; 2; 3", (3, 1), [1, 2, 3]),
    ("7", (), [7]), ([["1/2", "-3"]], (1, 2), [0.5, -3]),
]
BAD_ARRAYS = [  # (answer, status, message fragment)
    ("[[1, 2], [3]]", "invalid", "different lengths (2, 1)"), ("1 2; 3", "invalid", "lengths"),
    ("[[[1]]]", "invalid", "too many brackets"), ([[[1]]], "invalid", "at most two levels"),
    ([[1, 2], 3], "invalid", "list of rows"), ("[1, , 2]", "invalid", "an empty entry"),
    ([[1, None], [2, 3]], "invalid", "row 1, entry 2 is empty"),
    ([[1, "a"], [2, 3]], "invalid", "row 1, entry 2: 'a' is not a number"),
    ("[[1, 2] [3, 4]]", "invalid", "missing ','"), ("[1, 2", "invalid", "unclosed '['"),
    ("[1, 2] 3", "invalid", "unexpected text after"), ([], "invalid", "empty list"),
    ("[1e999]", "invalid", "too large"), (True, "invalid", "expected a matrix"),
    ("[" + ", ".join(["1"] * 65) + "]", "invalid", "too many entries"),
    (None, "missing", ""), ("   ", "missing", ""),
]


@pytest.mark.parametrize(("answer", "shape", "entries"), GOOD_ARRAYS,
                         ids=[repr(a[0])[:30] for a in GOOD_ARRAYS])
def test_read_array_reads_matrices_vectors_and_numbers(answer, shape, entries):
    reading = read_array(answer)
    assert reading.status == "ok", reading.message
    assert reading.value.shape == shape and list(reading.value.entries) == pytest.approx(entries)


@pytest.mark.parametrize(("answer", "status", "fragment"), BAD_ARRAYS,
                         ids=[repr(a[0])[:30] for a in BAD_ARRAYS])
def test_read_array_says_what_is_wrong(answer, status, fragment):
    reading = read_array(answer)
    assert reading.status == status and fragment in (reading.message or "")


# --- matrix templates in banks ---------------------------------------------------------------

def bank(node, inputs, upstream=None):
    """A matrix template: node on line 5, inputs from line 7, then the upstream (if any)."""
    lines = ["templates:", "  - id: m", "    type: matrix", "    title: M", f"    node: {node}",
             "    inputs:", *(f"      {n}: {v}" for n, v in inputs.items())]
    return "\n".join([*lines, *([f"    upstream: {upstream}"] if upstream else [])]) + "\n"


SQ, WIDE = "{shape: [2, 2], int: [-2, 2]}", "{shape: [2, 3], int: [-2, 2]}"
Z3 = "{shape: [3], int: [-2, 2]}"
BAD_BANKS = [  # (bank text, line, field, fragment)
    (bank("A @ B", {"A": WIDE, "B": SQ}, SQ), 5, "m.node",
     "cannot multiply 2×3 by 2×2: the inner sizes 3 and 2 differ (at position 3)"),
    (bank("A @ B", {"A": SQ, "B": SQ}, WIDE), 9, "m.upstream", "must have the output's shape"),
    (bank("A @ B", {"A": SQ, "B": SQ}), 2, "m.upstream", "missing required key 'upstream'"),
    (bank("sum(A)", {"A": "{shape: [2, 0], int: [-2, 2]}"}), 7, "m.inputs.A.shape",
     "a shape is [n] or [rows, columns]"),
    (bank("sum(A)", {"A": "{shape: [8, 9]}"}), 7, "m.inputs.A.shape", "each 1 to 8"),
    (bank("sum(A)", {"A": "[[1, 2], [3]]"}), 7, "m.inputs.A", "rows of equal length"),
    (bank("softmax_ce(z, y)", {"z": Z3, "y": "{class: 3}"}), 5, "m.node",
     "y needs 1 class index(es) in 0..2"),
    (bank("softmax_ce(Z, y)", {"Z": WIDE, "y": "{class: [0]}"}), 5, "m.node",
     "y needs 2 class index(es)"),
    (bank("softmax_ce(z, y)", {"z": Z3, "y": "{class: -1}"}), 8, "m.inputs.y",
     "an index from 0"),
]


@pytest.mark.parametrize(("text", "line", "field", "fragment"), BAD_BANKS,
                         ids=[b[3] for b in BAD_BANKS])
def test_bad_matrix_templates_name_file_line_and_field(bank_problem, text, line, field,
                                                       fragment):
    problem = bank_problem(text, fragment)
    assert (problem.line, problem.field) == (line, field)
    assert str(problem).startswith(f"{problem.file}:{line}: {field}: ")


# --- the command line ------------------------------------------------------------------------

EXPLAIN = ["explain", "A @ B", "--at", "A=[[1,2],[3,4]]", "--at", "B=[[0,1],[-1,2]]"]


def test_explain_a_matrix_product(run):
    result = run(*EXPLAIN, "--upstream", "[[1,0],[2,1]]", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    # by hand: Y = A @ B; A gets G @ B.T, B gets A.T @ G
    assert data["output"] == [[-2, 5], [-4, 11]]
    assert data["wires"] == {"A": [[0, -1], [1, 0]], "B": [[7, 3], [10, 4]]}
    assert data["mistakes"]["A"]["no-transpose"] == [[0, 1], [-1, 4]]  # G @ B


@pytest.mark.parametrize(("args", "fragment"), [
    (EXPLAIN, "give the upstream gradient G with --upstream: a 2×2 matrix"),
    ([*EXPLAIN, "--upstream", "[1, 2]"], "G must be a 2×2 matrix, like the output; this is a"),
    ([*EXPLAIN[:5], "B=[[0,1,3]]", "--upstream", "[[1,0,0],[2,1,0]]"],
     "cannot read the matrix node: cannot multiply 2×2 by 1×3"),
    (["explain", "softmax_ce(z, y)", "--at", "z=[1,2,0]", "--at", "y=3"], "class"),  # 0..2
])
def test_explain_usage_errors_exit_2_with_a_message(run, args, fragment):
    result = run(*args)
    assert result.exit_code == 2 and fragment in result.stderr
    assert "Traceback" not in result.stdout + result.stderr and result.stdout == ""


def _exact(nested):
    return [_exact(e) for e in nested] if isinstance(nested, list) else Fraction(nested)


def _answer(value):
    if isinstance(value, list):
        return [_answer(e) for e in value]
    return int(value) if value.denominator == 1 else str(value)


def test_generate_then_grade_matrix_items(run, tmp_path):
    made = run("generate", "--seed", "mx", "--count", "2", "--pick",
               "matmul-square,linear-layer,softmax-ce", "--out", str(tmp_path / "set"))
    assert made.exit_code == 0, made.stderr
    key = json.loads((tmp_path / "set" / "key.json").read_text(encoding="utf-8"))
    folder = tmp_path / "in"
    folder.mkdir()
    for variant in key["variants"]:
        items = {i["id"]: i for i in variant["items"]}
        mat, lin, sce = items["matmul-square"], items["linear-layer"], items["softmax-ce"]
        (a, b, g), (x, w, gl) = ([_exact(i["inputs_exact"][n]) for n in names]
                                 + [_exact(i["upstream_exact"])] for i, names in
                                 ((mat, "AB"), (lin, "XW")))
        probs = softmax_row([float(v) for v in _exact(sce["inputs_exact"]["z"])])
        (label,) = sce["labels"]["y"]
        mine = {"matmul-square": {"A": mm(g, tr(b)), "B": mm(tr(a), g)},
                "linear-layer": {"X": mm(gl, tr(w)), "W": mm(tr(x), gl),
                                 "b": [sum(r[j] for r in gl) for j in range(len(gl[0]))]}}
        for name in ("matmul-square", "linear-layer"):  # the key agrees with the textbook
            assert {n: _exact(v) for n, v in items[name]["answer_exact"].items()} == mine[name]
        answers = {name: {n: _answer(v) for n, v in parts.items()}
                   for name, parts in mine.items()}
        answers["softmax-ce"] = [p - (j == label) for j, p in enumerate(probs)]
        assert answers["softmax-ce"] == pytest.approx(sce["answer"]["z"], rel=1e-9)
        if variant["id"] == "v02":
            answers["matmul-square"]["A"] = _answer(mm(g, b))  # no-transpose
        (folder / f"{variant['id']}.json").write_text(json.dumps(
            {"student": variant["id"], "answers": answers}), encoding="utf-8")
    graded = run("grade", str(tmp_path / "set" / "key.json"), str(folder), "--out",
                 str(tmp_path / "out"))
    assert graded.exit_code == 0, graded.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    students = {s["student"]: s for s in results["students"]}
    assert students["v01"]["points"] == students["v01"]["max_points"] == 3
    assert all(i["verdict"] == "correct" for i in students["v01"]["items"])
    wrong = next(i for i in students["v02"]["items"] if i["item"] == "matmul-square")
    assert (wrong["verdict"], wrong["mistakes"]) == ("wrong", ["no-transpose"])
    assert [p["verdict"] for p in wrong["parts"]] == ["wrong", "correct"]
    assert students["v02"]["points"] == 2.5
    assert results["mistakes"]["no-transpose"]["items"] == {"matmul-square": 1}


# --- limits and edge cases found in review ------------------------------------------------------

@pytest.mark.parametrize("expression", [
    "sum(" + " @ ".join(["A"] * 12) + ")",
    "sum(softmax(softmax(softmax(softmax(softmax(softmax(A)))))))",
])
def test_formulas_that_explode_are_refused_at_once(run, expression):
    result = run("explain", expression, "--at", "A=[[1,2],[3,4]]")
    assert result.exit_code == 2 and "grows too large" in result.stderr


def test_a_repeated_name_is_no_textbook_pattern():
    node = parse_matrix("A @ A", {"A": (2, 2)})
    assert node.kind == "general"
    assert parse_matrix("dot(x, x)", {"x": (3,)}).kind == "general"
    assert parse_matrix("X @ W + X", {"X": (2, 2), "W": (2, 2)}).kind == "general"


@pytest.mark.parametrize("name", ["G", "Y"])
def test_g_and_y_are_reserved_in_matrix_banks(write, name):
    bank = write("reserved.yaml", f"""
        templates:
          - id: r
            type: matrix
            title: R
            node: X @ {name}
            inputs: {{X: [[1, 2]], {name}: [[1], [2]]}}
        """)
    with pytest.raises(BankError) as caught:
        load_bank(bank)
    assert f"'{name}' stands for" in str(caught.value)


def test_class_indices_follow_the_logits_not_the_first_array(write):
    bank = write("ce.yaml", """
        templates:
          - id: ce
            type: matrix
            title: CE
            node: softmax_ce(z, y)
            inputs:
              W: {shape: [1, 2], int: [1, 3]}
              z: {shape: [3], int: [-2, 2]}
              y: {class: random}
        """)
    (template,) = load_bank(bank).templates
    seen = {item.node.labels[0][1][0] for item in
            (draw(template, Stream("c", i)) for i in range(40))}
    assert seen == {0, 1, 2}


_ENTRY = st.sampled_from([0.0, 1.0, -1.0, 2.0, 2.01, 1.999, -0.5, 100.0, 101.0, 1e-9])


@given(st.lists(st.tuples(st.sampled_from([(2,), (2, 2)]), st.data()), max_size=9),
       st.sampled_from([Tolerance(), Tolerance(0.1, 0.5), Tolerance(2.0, 0.0)]))
def test_coinciding_pairs_are_those_of_the_plain_all_pairs_comparison(arrays, tolerance):
    from quizgrad.items.matrix import _close_pairs, close

    distinct = [(f"m{i}", Array(shape, tuple(data.draw(st.lists(
        _ENTRY, min_size=math.prod(shape), max_size=math.prod(shape))))))
        for i, (shape, data) in enumerate(arrays)]
    expected = {("w", *sorted((first, second)))
                for i, (first, a) in enumerate(distinct) for second, b in distinct[i + 1:]
                if a.shape == b.shape and close(a.entries, b.entries, tolerance)}
    assert _close_pairs("w", distinct, tolerance) == expected
