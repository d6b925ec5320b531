"""A matrix node at given inputs: output, exact gradients, and every mistake's prediction.

The right gradients are computed exactly (fractions; floats only where exp or log leave the
rationals), the mistake predictions in floats, each by a compiled program made once per
node (see :mod:`quizgrad.compiled`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from .compiled import FAILED, Number, Program
from .errors import GradientError
from .matrix import Array, MatrixNode, entry_name, indices
from .matrix_mistakes import predictions
from .nodes import kink_arguments


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
    fast: Program | None  # every prediction's entries, then kink arguments
    layout: tuple[tuple[str, str, tuple[int, ...], int], ...]  # (input, mistake, shape, start)
    kinks: int


@functools.lru_cache(maxsize=256)
def _plan(node: MatrixNode) -> _Plan:
    exprs = list(node.output.entries)
    for name in node.inputs:
        exprs.extend(node.gradients[name].entries)
    fast: list[sp.Expr] = []
    layout = []
    for name, found in predictions(node).items():
        for mistake, array in found:
            layout.append((name, mistake, array.shape, len(fast)))
            fast.extend(array.entries)
    kinks = [k for e in node.output.entries for k in kink_arguments(e)]
    fast.extend(kinks)
    return _Plan(Program(exprs, exact=True), Program(fast, exact=False) if fast else None,
                 tuple(layout), len(kinks))


def env_of(inputs: Mapping[str, Array], upstream: Array) -> dict[str, Number]:
    """Entry symbol name -> value, for the inputs and the upstream gradient ('_g')."""
    env: dict[str, Number] = {}
    for name, array in [*inputs.items(), ("_g", upstream)]:
        for index, value in zip(indices(array.shape), array.entries, strict=True):
            env[entry_name(name, index)] = value
    return env


def evaluate(node: MatrixNode, inputs: Mapping[str, Array], upstream: Array) -> MatrixPoint:
    """The node at ``inputs`` with upstream gradient ``upstream`` (GradientError if undefined)."""
    for name in node.inputs:
        if inputs[name].shape != node.shape(name):  # pragma: no cover - callers check shapes
            raise GradientError(f"{name} must be {node.shape(name)}")
    plan = _plan(node)
    env = env_of({n: inputs[n] for n in node.inputs}, upstream)
    values = plan.exact.run(env)
    if any(v is FAILED for v in values):
        raise GradientError("the node or its gradient is undefined at these inputs")
    size = len(node.output.entries)
    output = Array(node.output.shape, tuple(values[:size]))
    gradients = {}
    for name in node.inputs:
        count = len(node.gradients[name].entries)
        gradients[name] = Array(node.shape(name), tuple(values[size:size + count]))
        size += count
    found: dict[str, list[tuple[str, Array]]] = {n: [] for n in node.inputs}
    at_kink = False
    if plan.fast is not None:
        floats = {k: float(v) for k, v in env.items()}
        fast = plan.fast.run(floats)
        for name, mistake, shape, start in plan.layout:
            entries = fast[start:start + math.prod(shape)]
            if all(e is not FAILED for e in entries):
                found[name].append((mistake, Array(shape, tuple(entries))))
        tail = fast[len(fast) - plan.kinks:] if plan.kinks else []
        at_kink = any(k is FAILED or abs(k) < 1e-12 for k in tail)  # type: ignore[arg-type]
    return MatrixPoint(node, dict(inputs), upstream, output, gradients,
                       {n: tuple(v) for n, v in found.items()}, at_kink)


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
