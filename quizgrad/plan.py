"""A node's plan: its formulas derived once (sympy), then evaluated fast at many points.

For a node and its asked wires the plan holds, compiled: the forward value, each local
gradient and wire gradient, every applicable mistake's prediction, and the kink arguments.
Generating a problem set or grading a class evaluates plans thousands of times; the
symbolic work happens once per node.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from .compiled import Compiled, Env, Number, compile_formula, exact_text, run
from .engine import Node
from .errors import GradientError
from .mistakes import BY_ID, G, formulas
from .nodes import kink_arguments
from .numeric import NumericError, fmt


@dataclass(frozen=True)
class Formula:
    """A sympy formula and its compiled closures (exact, and all-float)."""

    expr: sp.Expr
    compiled: Compiled
    fast: Compiled

    @classmethod
    def of(cls, expr: sp.Expr) -> Formula:
        """Compile ``expr`` both ways."""
        return cls(expr, compile_formula(expr), compile_formula(expr, exact=False))


@dataclass(frozen=True)
class PredictionPlan:
    """One mistake's prediction on one wire: value formula, shown factors, operator."""

    mistake: str
    value: Formula
    factors: tuple[Formula, ...]
    op: str


@dataclass(frozen=True)
class Predicted:
    """A mistake's predicted value at a point (a float: it is only compared within tolerance)."""

    mistake: str
    value: float
    plan: PredictionPlan


@dataclass(frozen=True)
class Point:
    """A node evaluated at stored inputs and an upstream gradient."""

    inputs: dict[str, Fraction]
    upstream: Fraction
    output: Number
    local: dict[str, Number]
    gradient: dict[str, Number]
    predictions: dict[str, tuple[Predicted, ...]]
    at_kink: bool


@dataclass(frozen=True)
class Plan:
    """Compiled formulas of one node for the given wires."""

    node: Node
    wires: tuple[str, ...]
    forward: Formula
    local: dict[str, Formula]
    gradient: dict[str, Formula]
    predictions: dict[str, tuple[PredictionPlan, ...]]
    kinks: tuple[Formula, ...]

    def env(self, inputs: dict[str, Fraction], upstream: Fraction) -> Env:
        """The evaluation environment: inputs by name, the upstream gradient as G."""
        return {**inputs, G.name: upstream}

    def evaluate(self, inputs: dict[str, Fraction], upstream: Fraction, exact: bool = True
                 ) -> Point:
        """Everything at one point; GradientError when the value or a gradient does not exist.

        With ``exact`` false, every value is a float (fast, for screening candidate draws).
        """
        env = self.env(inputs, upstream)
        fast = {name: float(value) for name, value in env.items()}
        where = ", ".join(f"{name} = {fmt(value)}" for name, value in inputs.items())
        at, use = (env, "compiled") if exact else (fast, "fast")
        output = _value(getattr(self.forward, use), at, f"the forward value at {where}")
        local = {w: _value(getattr(self.local[w], use), at,
                           f"the local gradient df/d{w} at {where}") for w in self.wires}
        gradient = {w: _value(getattr(self.gradient[w], use), at,
                              f"the gradient on wire {w}") for w in self.wires}
        predictions = {w: tuple(_predicted(p, fast) for p in self.predictions[w])
                       for w in self.wires}
        predictions = {w: tuple(p for p in ps if p is not None) for w, ps in predictions.items()}
        at_kink = any(_zero(k, fast) for k in self.kinks)
        return Point(dict(inputs), upstream, output, local, gradient, predictions, at_kink)

    def working(self, predicted: Predicted, point: Point) -> str:
        """How a mistake's value comes about at ``point``, e.g. '2 × 6' (empty if no factors)."""
        env = self.env(point.inputs, point.upstream)
        shown = []
        for factor in predicted.plan.factors:
            try:
                text = fmt(run(factor.compiled, env))
            except NumericError:
                return ""
            shown.append(f"({text})" if text.startswith("-") else text)
        return f" {predicted.plan.op} ".join(shown)

    def exact(self, formula: Formula, point: Point) -> str:
        """An exact form of a formula's value at ``point``."""
        env = self.env(point.inputs, point.upstream)
        return exact_text(formula.expr, env, run(formula.compiled, env))


@functools.lru_cache(maxsize=512)
def plan_for(node: Node, wires: tuple[str, ...] | None = None) -> Plan:
    """The (cached) plan of ``node`` for ``wires`` (default: every input)."""
    wires = wires or node.inputs
    local = {w: node.local(w) for w in wires}
    found = formulas(node, wires)
    predictions = {
        w: tuple(PredictionPlan(mistake, Formula.of(p.value),
                                tuple(Formula.of(f) for f in p.factors), p.op)
                 for mistake, preds in found[w].items() for p in preds)
        for w in wires
    }
    return Plan(node, wires, Formula.of(node.expr),
                {w: Formula.of(e) for w, e in local.items()},
                {w: Formula.of(G * e) for w, e in local.items()},
                predictions, tuple(Formula.of(k) for k in kink_arguments(node.expr)))


def _value(compiled: Compiled, env: Env, what: str) -> Number:
    try:
        return run(compiled, env)
    except NumericError as exc:
        raise GradientError(f"{what} {exc}") from None


def _zero(formula: Formula, env: Env) -> bool:
    try:
        return abs(run(formula.fast, env)) < 1e-12
    except NumericError:
        return False


def _predicted(plan: PredictionPlan, env: Env) -> Predicted | None:
    try:
        return Predicted(plan.mistake, float(run(plan.value.fast, env)), plan)
    except NumericError:
        return None


def blind(mistake: str, local: Number) -> bool:
    """Whether ``mistake`` gives the right answer by definition where df/dx = ``local``."""
    return local in _BLIND[mistake]


_BLIND = {mistake.id: mistake.blind_at for mistake in BY_ID.values()}
