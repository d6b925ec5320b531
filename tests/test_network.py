"""Array circuits: parsing, the backward pass against finite differences and CS231n's rules."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from quizgrad.errors import ExprError
from quizgrad.math.matrix import Array
from quizgrad.math.network import _sent, evaluate, faults, forward, parse_network, plus

MLP = "h = X @ W1 + b1; a = relu(h); s = a @ W2 + b2; L = softmax_ce(s, y)"
RESIDUAL = "h = X @ W + b; a = relu(h); r = a + X; L = sum(r * r)"
MSE = "p = X @ w + b; e = p - t; L = mean(e * e)"
ONE = Array((), (Fraction(1),))


def shapes_of(text: str, n: int, d: int, k: int, c: int) -> dict[str, tuple[int, ...]]:
    """Input shapes for the three networks: batch n, features d, hidden k, classes c."""
    return {MLP: {"X": (n, d), "W1": (d, k), "b1": (k,), "W2": (k, c), "b2": (c,)},
            RESIDUAL: {"X": (n, d), "W": (d, d), "b": (d,)},
            MSE: {"X": (n, d), "w": (d,), "b": (), "t": (n,)}}[text]


def array(shape: tuple[int, ...], numbers: list[int]) -> Array:
    size = math.prod(shape)
    return Array(shape, tuple(Fraction(numbers[i % len(numbers)], 4) for i in range(size)))


def numeric_gradient(network, inputs, name, index, h=1e-6):
    """Central difference of the output by one entry of one input."""
    def at(delta):
        moved = dict(inputs)
        entries = [float(v) for v in inputs[name].entries]
        entries[index] += delta
        moved[name] = Array(inputs[name].shape, tuple(entries))
        floats = {n: Array(a.shape, tuple(float(v) for v in a.entries)) if n != name else a
                  for n, a in moved.items()}
        return float(forward(network, floats, exact=False)[network.output].entries[0])
    return (at(h) - at(-h)) / (2 * h)


@settings(max_examples=25, deadline=None)
@given(text=st.sampled_from([MLP, RESIDUAL, MSE]), n=st.integers(1, 3), d=st.integers(1, 3),
       k=st.integers(1, 3), c=st.integers(2, 3),
       numbers=st.lists(st.integers(-9, 9), min_size=5, max_size=12), data=st.data())
def test_every_gradient_agrees_with_finite_differences(text, n, d, k, c, numbers, data):
    shapes = shapes_of(text, n, d, k, c)
    labels = {"y": tuple(data.draw(st.integers(0, c - 1)) for _ in range(n))} if text == MLP \
        else {}
    network = parse_network(text, shapes, labels)
    inputs = {name: array(shape, numbers[i:] + numbers[:i])
              for i, (name, shape) in enumerate(shapes.items())}
    point = evaluate(network, inputs, ONE)
    assume(not point.at_kink)
    for name in network.inputs:
        assert point.gradients[name].shape == shapes[name]
        for index, value in enumerate(point.gradients[name].entries):
            assert float(value) == pytest.approx(
                numeric_gradient(network, inputs, name, index), rel=1e-4, abs=1e-6)


def cs231n(x, w1, b1, w2, b2, y):
    """The two-layer net's backward pass written out as CS231n's layers do it, in floats."""
    def matmul(a, b):
        return [[sum(a[i][t] * b[t][j] for t in range(len(b))) for j in range(len(b[0]))]
                for i in range(len(a))]

    def transpose(a):
        return [list(row) for row in zip(*a, strict=True)]

    h = [[v + b1[j] for j, v in enumerate(row)] for row in matmul(x, w1)]  # affine_forward
    a = [[max(v, 0.0) for v in row] for row in h]  # relu_forward
    s = [[v + b2[j] for j, v in enumerate(row)] for row in matmul(a, w2)]
    n = len(x)
    ds = []
    for i, row in enumerate(s):  # softmax_loss: (softmax - onehot) / N
        top = max(row)
        exps = [math.exp(v - top) for v in row]
        ds.append([e / sum(exps) - (j == y[i]) for j, e in enumerate(exps)])
        ds[-1] = [v / n for v in ds[-1]]
    dw2 = matmul(transpose(a), ds)  # affine_backward: dw = x.T @ dout
    db2 = [sum(col) for col in zip(*ds, strict=True)]  # db = sum(dout, axis=0)
    da = matmul(ds, transpose(w2))  # dx = dout @ w.T
    dh = [[g * (v > 0) for g, v in zip(gr, hr, strict=True)]  # relu_backward
          for gr, hr in zip(da, h, strict=True)]
    return {"W1": matmul(transpose(x), dh), "b1": [sum(col) for col in zip(*dh, strict=True)],
            "X": matmul(dh, transpose(w1)), "W2": dw2, "b2": db2}


def nested(a: Array) -> list:
    return a.nested(float)


def test_the_two_layer_net_follows_cs231n_layer_rules():
    shapes = shapes_of(MLP, 3, 2, 3, 3)
    network = parse_network(MLP, shapes, {"y": (0, 2, 1)})
    inputs = {name: array(shape, [3, -5, 7, 2, -1, 4, -6, 1][i:] + [3, -5, 7, 2][:i])
              for i, (name, shape) in enumerate(shapes.items())}
    point = evaluate(network, inputs, ONE)
    assert not point.at_kink
    want = cs231n(*(nested(inputs[n]) for n in ["X", "W1", "b1", "W2", "b2"]), (0, 2, 1))
    for name, expected in want.items():
        got = nested(point.gradients[name])
        assert got == pytest.approx(expected, rel=1e-9) if not isinstance(expected[0], list) \
            else all(g == pytest.approx(e, rel=1e-9) for g, e in zip(got, expected, strict=True))


def test_each_value_gets_a_gradient_of_its_own_shape_and_the_steps_are_listed():
    network = parse_network("C = A @ B", {"A": (1, 2), "B": (2, 1)})
    point = evaluate(network, {"A": Array((1, 2), (Fraction(1), Fraction(2))),
                               "B": Array((2, 1), (Fraction(1), Fraction(2)))},
                     Array((1, 1), (Fraction(1),)))
    assert point.values["C"].entries == (5,)
    assert point.gradients["A"] == Array((1, 2), (1, 2))
    assert point.gradients["B"] == Array((2, 1), (1, 2))
    assert [step.layer.name for step in point.backward] == ["C"]


def test_a_residual_fan_out_sums_both_paths_and_forgetting_one_is_diagnosed():
    network = parse_network("a = relu(X); r = a + X; L = sum(r)", {"X": (2,)})
    x = Array((2,), (Fraction(3), Fraction(-2)))
    point = evaluate(network, {"X": x}, ONE)
    assert point.gradients["X"].entries == (2, 1)  # 1 through the skip, 1 (or 0) through relu
    missed = {f.where: f.gradients["X"].entries for f in faults(point)
              if f.mistake == "missed-branch"}
    assert missed == {"X (only the path through a)": (1.0, 0.0),
                      "X (only the path through r)": (1.0, 1.0)}


@pytest.mark.parametrize(("mistake", "where", "name"), [
    ("no-transpose", "s = a @ W2 + b2", "W2"),
    ("bias-not-summed", "h = X @ W1 + b1", "b1"),
    ("relu-gate-on-gradient", "a = relu(h)", "W1"),
    ("forgot-batch-mean", "L = softmax_ce(s, y)", "W2"),
])
def test_a_mistake_at_one_layer_is_carried_back_and_named_by_its_line(mistake, where, name):
    shapes = shapes_of(MLP, 2, 2, 2, 3)
    network = parse_network(MLP, shapes, {"y": (0, 2)})
    inputs = {n: array(s, [3, -5, 7, 2, -1, 4, -6][i:] + [3, -5][:i])
              for i, (n, s) in enumerate(shapes.items())}
    point = evaluate(network, inputs, ONE)
    found = {(f.mistake, f.where): f for f in faults(point)}
    fault = found[(mistake, where)]
    layer = next(layer for layer in network.layers if layer.line == where)
    wrong = dict(point.predictions[layer.name][fault.at])[mistake]
    reference = backward_with(network, point, layer, fault.at, wrong)
    assert fault.gradients[name] != point.gradients[name]
    assert [float(v) for v in fault.gradients[name].entries] == pytest.approx(
        [float(v) for v in reference[name].entries])


def backward_with(network, point, wrong_layer, name, array):
    """The whole backward pass again, in floats, with ``wrong_layer`` sending ``array``."""
    grads = {network.output: point.upstream}
    for layer in reversed(network.layers):
        if layer.name not in grads:
            continue
        sent = _sent(layer.node, point.values, grads[layer.name], exact=False)
        if layer is wrong_layer:
            sent[name] = array
        for value, gradient in sent.items():
            grads[value] = plus(grads[value], gradient) if value in grads else gradient
    return grads


def test_a_branch_that_carries_no_gradient_is_no_fan_out():
    network = parse_network("h = X @ W; z = relu(X); L = sum(h)", {"X": (1, 2), "W": (2, 1)})
    point = evaluate(network, {"X": Array((1, 2), (Fraction(1), Fraction(2))),
                               "W": Array((2, 1), (Fraction(1), Fraction(2)))}, ONE)
    assert point.gradients["z"].entries == (0, 0)
    assert not [f for f in faults(point) if f.mistake == "missed-branch"]


def test_a_sum_that_cancels_after_a_fan_out_is_zero_and_small_values_stay():
    network = parse_network("a = softmax(z); b = softmax(z); L = sum(a * w) - sum(b * v)",
                            {"z": (3,), "w": (3,), "v": (3,)})
    third = [Fraction(1), Fraction(2), Fraction(1, 2)]
    point = evaluate(network, {"z": Array((3,), tuple(third)),
                               "w": Array((3,), (Fraction(1), Fraction(2), Fraction(3))),
                               "v": Array((3,), (Fraction(6), Fraction(7), Fraction(8)))}, ONE)
    assert point.gradients["z"].entries == (0, 0, 0)  # v = w + 5: softmax sums to 1
    tiny = parse_network("h = exp(X) * c; L = sum(h)", {"X": (2,), "c": ()})
    point = evaluate(tiny, {"X": Array((2,), (Fraction(1), Fraction(2))),
                            "c": Array((), (Fraction(1, 10**14),))}, ONE)
    assert [float(v) for v in point.gradients["X"].entries] == pytest.approx(
        [math.e * 1e-14, math.e**2 * 1e-14])


@pytest.mark.parametrize(("text", "shapes", "message", "position"), [
    ("h = X @ W", {"X": (2, 3), "W": (2, 2)}, "the inner sizes 3 and 2 differ", 6),
    ("h = X @ W; h = h + 1", {"X": (2, 2), "W": (2, 2)}, "already defined", 0),
    ("h = relu(Q)", {"X": (2, 2)}, "unknown name 'Q'", 9),
])
def test_a_bad_line_is_reported_in_place(text, shapes, message, position):
    with pytest.raises(ExprError) as caught:
        parse_network(text, shapes)
    assert message in caught.value.message
    assert caught.value.position == position
