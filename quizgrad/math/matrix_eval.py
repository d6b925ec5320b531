"""A matrix node at given inputs: output, exact gradients, and every mistake's prediction.

The right gradients are computed exactly (fractions; floats only where exp or log leave the
rationals), the mistake predictions in floats, each by a compiled program made once per
node (see :mod:`quizgrad.math.compiled`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import sympy as sp

from quizgrad.errors import GradientError
from quizgrad.math.compiled import FAILED, Number, Program
from quizgrad.math.matrix import Array, MatrixNode, entry_name, indices
from quizgrad.math.nodes import kink_arguments
from quizgrad.mistakes.arrays import predictions


@dataclass(frozen=True)
class MatrixPoint:
    """A matrix node evaluated: inputs, upstream, output, gradients, predicted mistakes."""

    node: MatrixNode
    inputs: dict[str, Array]  # exact entries
    upstream: Array
    output: Array
    gradients: dict[str, Array]
    predictions: dict[str, tuple[tuple[str, Array], ...]]  # float entries
    at_kink: bool


@dataclass(frozen=True)
class _Plan:
    exact: Program  # output entries, then each input's gradient entries
    fast: Program  # the same in floats, then every prediction's entries, then kink arguments
    size: int  # how many entries the exact program gives
    layout: tuple[tuple[str, str, tuple[int, ...], int], ...]  # (input, mistake, shape, start)
    kinks: int
    names: dict[str, tuple[str, ...]]  # input (and '_g') -> its entries' symbol names


@functools.lru_cache(maxsize=256)
def _plan(node: MatrixNode) -> _Plan:
    exprs = list(node.output.entries)
    for name in node.inputs:
        exprs.extend(node.gradients[name].entries)
    fast: list[sp.Expr] = list(exprs)
    layout = []
    for name, found in predictions(node).items():
        for mistake, array in found:
            layout.append((name, mistake, array.shape, len(fast)))
            fast.extend(array.entries)
    kinks = [k for e in node.output.entries for k in kink_arguments(e)]
    fast.extend(kinks)
    names = {n: tuple(entry_name(n, i) for i in indices(node.shape(n))) for n in node.inputs}
    names["_g"] = tuple(entry_name("_g", i) for i in indices(node.output.shape))
    return _Plan(Program(exprs, exact=True), Program(fast, exact=False), len(exprs),
                 tuple(layout), len(kinks), names)


def env_of(point: MatrixPoint) -> dict[str, Number]:
    """Entry symbol name -> value ('A[0,1]', and '_g[...]' for the upstream gradient)."""
    return _env(_plan(point.node), point.node, point.inputs, point.upstream)


def evaluate(node: MatrixNode, inputs: Mapping[str, Array], upstream: Array,
             exact: bool = True) -> MatrixPoint:
    """The node at ``inputs`` with upstream gradient ``upstream`` (GradientError if undefined).

    Without ``exact`` the output and gradients are floats too: cheap enough to judge many
    candidate draws, of which only the chosen one is then evaluated exactly.
    """
    plan = _plan(node)
    env = _env(plan, node, inputs, upstream)
    fast = plan.fast.run({k: float(v) for k, v in env.items()})
    output, gradients = _values(node, plan.exact.run(env) if exact else fast[:plan.size])
    found: dict[str, list[tuple[str, Array]]] = {n: [] for n in node.inputs}
    for name, mistake, shape, start in plan.layout:
        entries = fast[start:start + math.prod(shape)]
        if all(e is not FAILED for e in entries):
            found[name].append((mistake, Array(shape, tuple(entries))))
    tail = fast[len(fast) - plan.kinks:] if plan.kinks else []
    at_kink = any(k is FAILED or abs(k) < 1e-12 for k in tail)  # type: ignore[arg-type]
    return MatrixPoint(node, dict(inputs), upstream, output, gradients,
                       {n: tuple(v) for n, v in found.items()}, at_kink)


def exactly(point: MatrixPoint) -> MatrixPoint:
    """A point judged in floats, with its output and gradients now computed exactly."""
    plan = _plan(point.node)
    output, gradients = _values(point.node, plan.exact.run(
        _env(plan, point.node, point.inputs, point.upstream)))
    return replace(point, output=output, gradients=gradients)


def _env(plan: _Plan, node: MatrixNode, inputs: Mapping[str, Array], upstream: Array
         ) -> dict[str, Number]:
    env: dict[str, Number] = {}
    for name, array in [*((n, inputs[n]) for n in node.inputs), ("_g", upstream)]:
        env.update(zip(plan.names[name], array.entries, strict=True))
    return env


def _values(node: MatrixNode, values: list[Any]) -> tuple[Array, dict[str, Array]]:
    """The output and each input's gradient from a program's values."""
    if any(v is FAILED for v in values):
        raise GradientError("the node or its gradient cannot be computed at these inputs (a "
                            "value is undefined, or too large for a float, as exp(1000))")
    size = len(node.output.entries)
    output = Array(node.output.shape, tuple(values[:size]))
    gradients = {}
    for name in node.inputs:
        count = len(node.gradients[name].entries)
        gradients[name] = Array(node.shape(name), tuple(values[size:size + count]))
        size += count
    return output, gradients


def exact_array(values: object, shape: tuple[int, ...]) -> Array:
    """Nested lists of numbers (ints, Fractions, sympy Rationals) as an exact Array."""
    flat: list[Fraction] = []

    def walk(value: object, depth: int) -> None:
        if depth < len(shape):
            for entry in value:  # type: ignore[attr-defined]
                walk(entry, depth + 1)
        else:
            flat.append(Fraction(str(value)) if isinstance(value, sp.Basic)
                        else Fraction(value))  # type: ignore[arg-type]

    walk(values, 0)
    return Array(shape, tuple(flat))
