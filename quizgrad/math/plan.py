"""A node's plan: its formulas derived once (sympy), then evaluated fast at many points.

For a node and its asked wires the plan holds the forward value, each local gradient and
wire gradient, every applicable mistake's prediction and the kink arguments, compiled into
two programs (:class:`~quizgrad.math.compiled.Program`): an all-float one that screens candidate
draws in microseconds, and an exact one (Fractions wherever the arithmetic is rational)
for the draw that is kept. The symbolic work happens once per node.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy as sp

from quizgrad.errors import GradientError
from quizgrad.math.compiled import FAILED, Number, Program, compile_formula, exact_text, run
from quizgrad.math.engine import Node
from quizgrad.math.expr import to_text
from quizgrad.math.nodes import sigmoid, softplus
from quizgrad.math.numeric import NumericError, fmt
from quizgrad.math.regimes import Classifier, Regime, classifier
from quizgrad.mistakes.catalog import BY_ID, G, formulas


@dataclass(frozen=True)
class PredictionPlan:
    """One mistake's prediction on one wire: value formula, shown factors, operator."""

    mistake: str
    value: sp.Expr
    factors: tuple[sp.Expr, ...]
    op: str


@dataclass(frozen=True)
class Predicted:
    """A mistake's predicted value at a point (a float: it is only compared within tolerance)."""

    mistake: str
    value: float
    plan: PredictionPlan


@dataclass(frozen=True)
class Point:
    """A node evaluated at stored inputs and an upstream gradient.

    ``values`` holds every prediction's value (FAILED where it does not exist) in the order
    of the plan's ``flat`` list; ``predictions`` groups them by wire on demand.
    """

    inputs: dict[str, Fraction]
    upstream: Fraction
    output: Number
    local: dict[str, Number]
    gradient: dict[str, Number]
    at_kink: bool
    values: tuple[Number | object, ...]
    plan: Plan
    regime: Regime = ()  # which side of each kink the point lies on (see quizgrad.math.regimes)

    @functools.cached_property
    def key(self) -> tuple[object, ...]:
        """The point's numbers as plain integers (cheaper to hash than Fractions)."""
        return point_key(self.inputs, self.upstream)

    def remember(self, key: object, compute: Callable[[], Any]) -> Any:
        """``compute()``, remembered on the point under ``key``."""
        memo = self.__dict__.setdefault("_memo", {})
        found = memo.get(key)
        if found is None:
            found = memo[key] = compute()
        return found

    @functools.cached_property
    def predictions(self) -> dict[str, tuple[Predicted, ...]]:
        """Wire -> the predictions that could be computed there."""
        out = {}
        for wire, (start, end) in self.plan.spans.items():
            out[wire] = tuple(Predicted(p.mistake, float(v), p)  # type: ignore[arg-type]
                              for p, v in zip(self.plan.flat[start:end],
                                              self.values[start:end], strict=True)
                              if v is not FAILED)
        return out


@dataclass(frozen=True)
class Plan:
    """The formulas of one node for the given wires, and their compiled programs."""

    node: Node
    wires: tuple[str, ...]
    local: dict[str, sp.Expr]
    predictions: dict[str, tuple[PredictionPlan, ...]]
    classifier: Classifier | None  # the node's kinks, if it has any

    @property
    def kinks(self) -> tuple[sp.Expr, ...]:
        """The formulas the regime is read from (computed beside the main ones)."""
        return self.classifier.args if self.classifier else ()

    @functools.cached_property
    def gradient(self) -> dict[str, sp.Expr]:
        """Wire -> its gradient as a formula in the inputs and G."""
        return {w: G * self.local[w] for w in self.wires}

    @functools.cached_property
    def local_text(self) -> dict[str, str]:
        """Wire -> its local gradient formula as text."""
        return {w: to_text(self.local[w]) for w in self.wires}

    @functools.cached_property
    def _main(self) -> list[sp.Expr]:
        """Forward value, then each wire's local gradient, then each wire's gradient."""
        return [self.node.expr, *(self.local[w] for w in self.wires),
                *(self.gradient[w] for w in self.wires)]

    @functools.cached_property
    def flat(self) -> tuple[PredictionPlan, ...]:
        """Every prediction of every wire, in wire order."""
        return tuple(p for w in self.wires for p in self.predictions[w])

    @functools.cached_property
    def spans(self) -> dict[str, tuple[int, int]]:
        """Wire -> (start, end) of its predictions in ``flat``."""
        out, start = {}, 0
        for w in self.wires:
            out[w] = (start, start + len(self.predictions[w]))
            start += len(self.predictions[w])
        return out

    def layout(self, ask: tuple[str, ...]
               ) -> tuple[tuple[str, tuple[tuple[int, str, frozenset[int]], ...]], ...]:
        """For each asked wire: (index in ``flat``, mistake id, blind-at values)."""
        layouts = self.__dict__.setdefault("_layouts", {})
        found = layouts.get(ask)
        if found is None:
            found = layouts[ask] = tuple(
                (w, tuple((i, self.flat[i].mistake, _BLIND[self.flat[i].mistake])
                          for i in range(*self.spans[w]))) for w in ask)
        return found

    @functools.cached_property
    def _fast(self) -> Program:
        return Program([*self._main, *self.kinks, *(p.value for p in self.flat)], exact=False)

    @functools.cached_property
    def _exact(self) -> Program:
        return Program(self._main, exact=True)

    @functools.cached_property
    def rational(self) -> bool:
        """Whether exact arithmetic can pay off: no transcendental function in the formulas."""
        return not any(expr.has(*_TRANSCENDENTAL) or any(
            p.exp.is_Rational and p.exp.q not in (1, 2) for p in expr.atoms(sp.Pow))
            for expr in self._main)

    @functools.cached_property
    def _memo(self) -> dict[tuple[object, ...], Point | GradientError]:
        return {}

    def evaluate(self, inputs: dict[str, Fraction], upstream: Fraction, exact: bool = True,
                 key: tuple[object, ...] | None = None) -> Point:
        """Everything at one point; GradientError when the value or a gradient does not exist.

        With ``exact`` false every value is a float (fast, for screening candidate draws).
        Results are remembered: a class draws the same few points again and again.
        """
        plain = key or point_key(inputs, upstream)
        found = self._memo.get((plain, exact))
        if found is None:
            if len(self._memo) > 20_000:
                self._memo.clear()
            try:
                found = self._evaluate(inputs, upstream, exact)
                found.__dict__["key"] = plain  # the cached property, filled in
            except GradientError as exc:
                found = exc
            self._memo[(plain, exact)] = found
        if isinstance(found, GradientError):
            raise found
        return found

    def _evaluate(self, inputs: dict[str, Fraction], upstream: Fraction, exact: bool
                  ) -> Point:
        env: dict[str, Number] = {**inputs, G.name: upstream}
        fast = {name: value.numerator / value.denominator for name, value in env.items()}
        values = self._fast.run(fast)
        n = len(self.wires)
        main = self._exact.run(env) if exact else values[: 1 + 2 * n]
        self._require(main, inputs)
        regime: Regime = ()
        at_kink = False
        if self.classifier is not None:
            regime = self.classifier.classify(values[1 + 2 * n: 1 + 2 * n + len(self.kinks)])
            at_kink = self.classifier.at_kink(regime)
        return Point(dict(inputs), upstream, main[0],  # type: ignore[arg-type]
                     dict(zip(self.wires, main[1: 1 + n], strict=True)),  # type: ignore[arg-type]
                     dict(zip(self.wires, main[1 + n: 1 + 2 * n], strict=True)),  # type: ignore[arg-type]
                     at_kink, tuple(values[1 + 2 * n + len(self.kinks):]), self, regime)

    def exact_point(self, point: Point) -> Point:
        """``point`` with its forward value and gradients recomputed exactly (remembered)."""
        key = (point.key, "exact-of-fast")
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._exact_point(point)
        return found  # type: ignore[return-value]

    def _exact_point(self, point: Point) -> Point:
        if not self.rational:
            return point  # the exact program would give the same floats, only slower
        env: dict[str, Number] = {**point.inputs, G.name: point.upstream}
        main = self._exact.run(env)
        self._require(main, point.inputs)
        n = len(self.wires)
        return Point(point.inputs, point.upstream, main[0],  # type: ignore[arg-type]
                     dict(zip(self.wires, main[1: 1 + n], strict=True)),  # type: ignore[arg-type]
                     dict(zip(self.wires, main[1 + n:], strict=True)),  # type: ignore[arg-type]
                     point.at_kink, point.values, self, point.regime)

    def _require(self, main: list[Number | object], inputs: dict[str, Fraction]) -> None:
        if all(v is not FAILED for v in main):
            return
        where = ", ".join(f"{name} = {fmt(value)}" for name, value in inputs.items())
        labels = ["the forward value", *(f"the local gradient df/d{w}" for w in self.wires),
                  *(f"the gradient on wire {w}" for w in self.wires)]
        index = next(i for i, v in enumerate(main) if v is FAILED)
        reason = self._reason(self._main[index], inputs)
        raise GradientError(f"{labels[index]} at {where} {reason}")

    def _reason(self, expr: sp.Expr, inputs: dict[str, Fraction]) -> str:
        try:
            run(compile_formula(expr), {**inputs, G.name: Fraction(1)})
        except NumericError as exc:
            return str(exc)
        return "does not exist"

    def working(self, predicted: Predicted, point: Point) -> str:
        """How a mistake's value comes about at ``point``, e.g. '2 × 6' (empty if no factors)."""
        env = {**point.inputs, G.name: point.upstream}
        shown = []
        for factor in predicted.plan.factors:
            try:
                text = fmt(run(_compiled(factor), env))
            except NumericError:
                return ""
            shown.append(f"({text})" if text.startswith("-") else text)
        return f" {predicted.plan.op} ".join(shown)

    def exact_gradient(self, wire: str, point: Point) -> str:
        """An exact form of the gradient on ``wire`` at ``point``."""
        return exact_text(self.gradient[wire], {**point.inputs, G.name: point.upstream},
                          point.gradient[wire])


def point_key(inputs: dict[str, Fraction], upstream: Fraction) -> tuple[object, ...]:
    """Stored inputs and upstream gradient as a tuple of plain integers."""
    return (*((n, v.numerator, v.denominator) for n, v in inputs.items()),
            upstream.numerator, upstream.denominator)


@functools.lru_cache(maxsize=4096)
def _compiled(expr: sp.Expr) -> object:
    return compile_formula(expr)


@functools.lru_cache(maxsize=512)
def plan_for(node: Node, wires: tuple[str, ...] | None = None) -> Plan:
    """The (cached) plan of ``node`` for ``wires`` (default: every input)."""
    wires = wires or node.inputs
    found = formulas(node, wires)
    predictions = {
        w: tuple(PredictionPlan(mistake, p.value, p.factors, p.op)
                 for mistake, preds in found[w].items() for p in preds)
        for w in wires
    }
    return Plan(node, wires, {w: node.local(w) for w in wires}, predictions,
                classifier(node.expr))


def blind(mistake: str, local: Number) -> bool:
    """Whether ``mistake`` gives the right answer by definition where df/dx = ``local``."""
    return local in _BLIND[mistake]


_BLIND = {mistake.id: mistake.blind_at for mistake in BY_ID.values()}
_TRANSCENDENTAL = (sp.exp, sp.log, sp.sin, sp.cos, sp.tan, sp.tanh, sp.sinh, sp.cosh, sp.sech,
                   sigmoid, softplus)
