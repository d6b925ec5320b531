"""The gradient engine: forward value, local gradients and wire gradients of one node.

A node f(x1..xn) that receives the upstream gradient g sends g * df/dxi back on wire i,
with df/dxi evaluated at the stored inputs. Everything here is exact sympy arithmetic;
floats appear only when a caller asks for them (see :mod:`quizgrad.math.numeric`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sympy as sp

from quizgrad.errors import GradientError
from quizgrad.math import expr as ex
from quizgrad.math.nodes import kink_arguments
from quizgrad.math.numeric import NumericError, fmt, to_float


@dataclass(frozen=True)
class Node:
    """A node function: its text as written, its input names in order, its expression."""

    text: str
    inputs: tuple[str, ...]
    expr: sp.Expr

    @classmethod
    def parse(cls, text: str, inputs: Iterable[str]) -> Node:
        """Read a node function in the given input names (raises ExprError; remembered)."""
        return _parse_node(text, tuple(inputs))

    def __hash__(self) -> int:
        """Text and inputs determine the expression: hashing them is enough, and cheap."""
        return hash((self.text, self.inputs))

    def symbol(self, name: str) -> sp.Symbol:
        """The sympy symbol of one input."""
        return ex.symbol(name)

    def local(self, name: str) -> sp.Expr:
        """The local gradient df/d(name) as a formula (derived once, then cached)."""
        return _derivative(self.expr, name)

    def at(self, values: Mapping[str, sp.Expr]) -> dict[sp.Symbol, sp.Expr]:
        """The substitution {symbol: value} for stored input values."""
        return {self.symbol(name): sp.S(values[name]) for name in self.inputs}


@functools.lru_cache(maxsize=4096)
def _parse_node(text: str, names: tuple[str, ...]) -> Node:
    return Node(text.strip(), names, ex.parse(text, names))


@functools.lru_cache(maxsize=4096)
def _derivative(expr: sp.Expr, name: str) -> sp.Expr:
    return sp.diff(expr, ex.symbol(name))


@dataclass(frozen=True)
class Wire:
    """What one input wire carries back: local gradient (formula and value) and gradient."""

    name: str
    local: sp.Expr
    local_value: sp.Expr
    gradient: sp.Expr


@dataclass(frozen=True)
class Solution:
    """The worked solution of one node at stored inputs with an upstream gradient."""

    node: Node
    inputs: dict[str, sp.Expr]
    upstream: sp.Expr
    output: sp.Expr
    wires: tuple[Wire, ...]

    def wire(self, name: str) -> Wire:
        """The wire called ``name``."""
        for wire in self.wires:
            if wire.name == name:
                return wire
        raise KeyError(name)

    @property
    def gradients(self) -> dict[str, sp.Expr]:
        """Wire name -> exact gradient sent back on it."""
        return {w.name: w.gradient for w in self.wires}

    @property
    def local_values(self) -> dict[str, sp.Expr]:
        """Wire name -> exact local gradient at the stored inputs."""
        return {w.name: w.local_value for w in self.wires}


def evaluate(formula: sp.Expr, point: Mapping[sp.Symbol, sp.Expr], what: str) -> sp.Expr:
    """``formula`` at ``point``, exactly; GradientError names ``what`` when it does not exist."""
    try:
        value = sp.S(formula).xreplace(dict(point))
    except (ValueError, TypeError):  # SymPy refuses some undefined values: max(0, 0/0)
        raise GradientError(f"{what} does not exist here (it is undefined)") from None
    if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise GradientError(f"{what} does not exist here (it is infinite or undefined)")
    try:
        to_float(value)
    except NumericError as exc:
        raise GradientError(f"{what} {exc}") from None
    return value


def solve(node: Node, values: Mapping[str, sp.Expr], upstream: sp.Expr = sp.S.One) -> Solution:
    """Forward value, local gradients and wire gradients of ``node`` at ``values``."""
    missing = [name for name in node.inputs if name not in values]
    if missing:
        raise GradientError(f"no stored value for {', '.join(missing)}")
    point = node.at(values)
    where = ", ".join(f"{name} = {fmt(point[node.symbol(name)])}" for name in node.inputs)
    output = evaluate(node.expr, point, f"the forward value at {where}")
    g = sp.S(upstream)
    wires = []
    for name in node.inputs:
        local = node.local(name)
        local_value = evaluate(local, point, f"the local gradient df/d{name} at {where}")
        wires.append(Wire(name, local, local_value, g * local_value))
    inputs = {name: point[node.symbol(name)] for name in node.inputs}
    return Solution(node, inputs, g, output, tuple(wires))


def kinks(node: Node, values: Mapping[str, sp.Expr]) -> list[str]:
    """The non-differentiable points ``values`` sits on, described (empty when smooth)."""
    point = node.at(values)
    found = []
    for argument in kink_arguments(node.expr):
        try:
            at_zero = to_float(argument.xreplace(point)) == 0
        except NumericError:
            continue
        if at_zero:
            found.append(f"{ex.to_text(argument)} = 0")
    return found
