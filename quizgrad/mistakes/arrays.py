"""The misconception catalog for matrix nodes: each rule is a catalog id and a small function.

A rule sees the node (its pattern and the names in their roles), the upstream gradient G and
the right gradients as arrays of formulas, and returns what a student holding the
misconception sends to each input: an array, possibly of the wrong shape (a bias given the
whole of G), or nothing where the mistake cannot even be written down (a product whose
shapes do not fit). Descriptions live in :mod:`quizgrad.mistakes.catalog`, with every other entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from quizgrad.math.matrix import (
    Array,
    MatrixNode,
    elementwise,
    matmul,
    one_hot,
    reduce_to,
    softmax,
    transpose,
)
from quizgrad.math.nodes import FUNCTIONS, relu


@dataclass(frozen=True)
class MatrixContext:
    """What a rule sees: the node, G, the output Y and the right gradients (all formulas)."""

    node: MatrixNode

    @property
    def G(self) -> Array:  # noqa: N802 - the textbook's name
        """The upstream gradient's entry symbols."""
        return self.node.upstream()

    @property
    def Y(self) -> Array:  # noqa: N802
        """The node's output."""
        return self.node.output

    def X(self, name: str) -> Array:  # noqa: N802
        """An input's entry symbols."""
        return self.node.symbols(name)

    def right(self, name: str) -> Array:
        """The right gradient of an input."""
        return self.node.gradients[name]

    @property
    def parts(self) -> tuple[str, ...]:
        """The names in the pattern's roles, e.g. (A, B, bias) for a linear layer."""
        return self.node.parts


Predictions = dict[str, Array | None]
UPSTREAM_BLIND = frozenset({"local-only"})  # the right answer by definition where G is 1


@dataclass(frozen=True)
class MatrixRule:
    """One catalog id's meaning on matrix nodes of some patterns."""

    mistake: str
    kinds: frozenset[str] | None  # None: every pattern
    predict: Callable[[MatrixContext], Predictions]


def _product(a: Array, b: Array) -> Array | None:
    try:
        return matmul(a, b)
    except ValueError:
        return None


def _times(a: Array, b: Array) -> Array:
    return elementwise(lambda x, y: x * y, a, b)


def _no_transpose(c: MatrixContext) -> Predictions:
    a, b = c.parts[:2]
    return {a: _product(c.G, c.X(b)), b: _product(c.X(a), c.G)}


def _wrong_order(c: MatrixContext) -> Predictions:
    a, b = c.parts[:2]
    return {a: _product(transpose(c.X(b)), c.G), b: _product(c.G, transpose(c.X(a)))}


def _forward_for_upstream(c: MatrixContext) -> Predictions:
    swap = dict(zip(c.G.entries, c.Y.entries, strict=True))
    return {n: c.right(n).map(lambda e: e.xreplace(swap)) for n in c.node.inputs}


def _bias_whole(c: MatrixContext) -> Predictions:
    bias = c.parts[2]
    return {bias: c.G if c.G.shape != c.node.shape(bias) else None}


def _bias_averaged(c: MatrixContext) -> Predictions:
    bias = c.parts[2]
    summed = reduce_to(c.G, c.node.shape(bias))
    ratio = len(c.G.entries) // max(1, len(summed.entries))
    return {bias: summed.map(lambda e: e / ratio) if ratio > 1 else None}


def _diagonal_only(c: MatrixContext) -> Predictions:
    s = softmax(c.X(c.parts[0]))
    return {c.parts[0]: _times(c.G, s.map(lambda v: v * (1 - v)))}


def _ce_parts(c: MatrixContext) -> tuple[Array, Array, int]:
    z, y = c.parts
    s = softmax(c.X(z))
    return s, one_hot(dict(c.node.labels)[y], s.shape), len(s.rows())


def _forgot_one_hot(c: MatrixContext) -> Predictions:
    s, _, rows = _ce_parts(c)
    g = c.G.entries[0]
    return {c.parts[0]: s.map(lambda v: g * v / rows)}


def _forgot_batch_mean(c: MatrixContext) -> Predictions:
    s, hot, rows = _ce_parts(c)
    g = c.G.entries[0]
    return {c.parts[0]: elementwise(lambda v, h: g * (v - h), s, hot) if rows > 1 else None}


def _ce_local_only(c: MatrixContext) -> Predictions:
    s, hot, rows = _ce_parts(c)
    return {c.parts[0]: elementwise(lambda v, h: (v - h) / rows, s, hot)}


def _mean_as_sum(c: MatrixContext) -> Predictions:
    x = c.parts[0]
    g = c.G.entries[0]
    return {x: c.X(x).map(lambda _: g)}


def _sign_flip(c: MatrixContext) -> Predictions:
    return {n: c.right(n).map(lambda e: -e) for n in c.node.inputs}


def _upstream_only(c: MatrixContext) -> Predictions:
    return {n: c.G for n in c.node.inputs if c.node.shape(n) == c.G.shape}


def _elementwise_derivative(c: MatrixContext) -> Array:
    x = c.X(c.parts[0])
    spec = FUNCTIONS[c.node.function or ""]
    t = sp.Symbol("t", real=True)
    local = sp.diff(spec.build(t), t)
    return x.map(lambda v: local.xreplace({t: v}))


def _forward_value(c: MatrixContext) -> Predictions:
    return {c.parts[0]: _times(c.G, c.Y)}


def _local_only(c: MatrixContext) -> Predictions:
    return {c.parts[0]: _elementwise_derivative(c)}


def _gate_on_gradient(c: MatrixContext) -> Predictions:
    return {c.parts[0]: c.G.map(relu)} if c.node.function == "relu" else {}


def _dot_swapped(c: MatrixContext) -> Predictions:
    x, y = c.parts
    g = c.G.entries[0]
    return {x: c.X(x).map(lambda v: g * v), y: c.X(y).map(lambda v: g * v)}


def _k(*kinds: str) -> frozenset[str]:
    return frozenset(kinds)


RULES: tuple[MatrixRule, ...] = (
    MatrixRule("no-transpose", _k("matmul", "linear"), _no_transpose),
    MatrixRule("wrong-order", _k("matmul", "linear"), _wrong_order),
    MatrixRule("forward-instead-of-upstream", None, _forward_for_upstream),
    MatrixRule("bias-not-summed", _k("linear"), _bias_whole),
    MatrixRule("bias-averaged", _k("linear"), _bias_averaged),
    MatrixRule("softmax-diagonal-only", _k("softmax"), _diagonal_only),
    MatrixRule("forgot-one-hot", _k("softmax_ce"), _forgot_one_hot),
    MatrixRule("forgot-batch-mean", _k("softmax_ce"), _forgot_batch_mean),
    MatrixRule("local-only", _k("softmax_ce"), _ce_local_only),
    MatrixRule("local-only", _k("elementwise"), _local_only),
    MatrixRule("mean-as-sum", _k("mean"), _mean_as_sum),
    MatrixRule("sign-flip", None, _sign_flip),
    MatrixRule("upstream-only", None, _upstream_only),
    MatrixRule("forward-value", _k("elementwise"), _forward_value),
    MatrixRule("swapped-wires", _k("dot"), _dot_swapped),
    MatrixRule("relu-gate-on-gradient", _k("elementwise"), _gate_on_gradient),
)

# Catalog entries that only matrix nodes have: (id, the line students read).
MATRIX_ONLY: tuple[tuple[str, str], ...] = (
    ("no-transpose", "multiplied by the other factor without transposing it: for Y = A @ B, "
     "A gets G @ B.T and B gets A.T @ G"),
    ("wrong-order", "multiplied the upstream gradient and the transposed factor in the wrong "
     "order: for Y = A @ B, A gets G @ B.T, not B.T @ G"),
    ("forward-instead-of-upstream", "used the node's forward output Y where the upstream "
     "gradient G belongs"),
    ("bias-not-summed", "gave the bias the whole upstream gradient; a bias broadcast over the "
     "batch gets G summed over the batch"),
    ("bias-averaged", "averaged the upstream gradient over the batch for the bias; a broadcast "
     "bias gets the sum"),
    ("softmax-diagonal-only", "kept only the diagonal of the softmax Jacobian, G * s(1 - s); "
     "each output depends on every input, so z gets s * (G - sum(G * s))"),
    ("forgot-one-hot", "sent softmax(z) back without subtracting the one-hot of the true class: "
     "z gets softmax(z) - onehot(y)"),
    ("forgot-batch-mean", "forgot to divide by the batch size; the loss is the mean over the "
     "batch"),
    ("mean-as-sum", "treated mean like sum and forgot to divide by the number of entries"),
)


def predictions(node: MatrixNode) -> dict[str, list[tuple[str, Array]]]:
    """Input -> [(mistake id, predicted array of formulas)], in catalog order.

    A prediction identical to the right gradient, or undefined, is left out.
    """
    context = MatrixContext(node)
    found: dict[str, list[tuple[str, Array]]] = {n: [] for n in node.inputs}
    for rule in RULES:
        if rule.kinds is not None and node.kind not in rule.kinds:
            continue
        try:
            predicted = rule.predict(context)
        except (ArithmeticError, TypeError, ValueError, KeyError):
            continue
        for name, array in predicted.items():
            if array is None or name not in found:
                continue
            right = node.gradients[name]
            if array.shape == right.shape and array.entries == right.entries:
                continue
            if any(sp.S(e).has(sp.zoo, sp.nan) for e in array.entries):
                continue
            if all(m != rule.mistake for m, _ in found[name]):
                found[name].append((rule.mistake, array))
    return found
