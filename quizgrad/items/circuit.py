"""Circuit items: variants of circuit templates, drawn to be discriminating, and judged.

A wrong answer on a value is matched against every single fault of the backward pass — a
catalog mistake at one node, or one branch of a fan-out forgotten — so the diagnosis names
both the mistake and where it happened ("forward-value at q = x + y").
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction

from quizgrad.bank.templates import CircuitTemplate, fill
from quizgrad.errors import GradientError
from quizgrad.formats.drawing import Layout, circuit_layout
from quizgrad.items.base import Item, Key, common
from quizgrad.items.discriminate import (
    ELSEWHERE,
    Assessment,
    Judged,
    Kinks,
    Profile,
    Values,
    assess_faults,
    few,
    outside,
    probe,
    profiled,
    search_regimes,
)
from quizgrad.math.circuit import Circuit, CircuitPoint, evaluate, gradient_formulas
from quizgrad.math.compiled import Number, exact_text
from quizgrad.math.numeric import Tolerance, fmt
from quizgrad.math.plan import point_key
from quizgrad.math.regimes import Regime, classifier
from quizgrad.math.rng import Stream
from quizgrad.memo import remembered
from quizgrad.mistakes.catalog import G


@dataclass(frozen=True, kw_only=True)
class CircuitItem(Item):
    """Gradients asked on values of a circuit at drawn inputs and upstream gradient."""

    circuit: Circuit
    ask: tuple[str, ...]
    point: CircuitPoint

    @functools.cached_property
    def key(self) -> tuple[object, ...]:
        """What makes this variant: the template and the drawn numbers."""
        point = self.point
        return Key((*Item.key.func(self), self.circuit.text, self.ask,  # type: ignore[attr-defined]
                    tuple((n, v.numerator, v.denominator) for n, v in point.inputs.items()),
                    point.upstream.numerator, point.upstream.denominator))

    @property
    def inputs(self) -> dict[str, Fraction]:
        """Stored input values."""
        return self.point.inputs

    @property
    def upstream(self) -> Fraction:
        """The upstream gradient on the output."""
        return self.point.upstream

    @functools.cached_property
    def expected(self) -> dict[str, Number]:
        """Asked value -> its gradient."""
        return {name: self.point.gradients[name] for name in self.ask}

    def matching(self, name: str, given: float) -> tuple[tuple[str, str], ...]:
        """(mistake, where) of every single fault that predicts ``given`` on ``name``."""
        target = float(self.point.gradients[name])
        found: list[tuple[str, str]] = []
        for fault, value in self.point.predictions(name):
            if (self.tolerance.accepts(given, value) and not self.tolerance.accepts(value, target)
                    and (fault.mistake, fault.where) not in found):
                found.append((fault.mistake, fault.where))
        return tuple(found)

    def exact(self, name: str) -> str:
        """The exact gradient of ``name`` as text."""
        value = self.point.gradients[name]
        if isinstance(value, Fraction):
            return str(value)
        env = {**self.point.inputs, G.name: self.point.upstream}
        return exact_text(gradient_formulas(self.circuit)[name], env, value, self._filled)

    @functools.cached_property
    def _filled(self) -> dict[str, str]:
        """The inputs as filled into exact forms, shared by the asked values."""
        return {}

    def mistake_values(self, name: str) -> dict[str, float]:
        """'mistake@where' -> predicted gradient of ``name``, where it differs from the answer."""
        target = float(self.point.gradients[name])
        width = self.tolerance.width(target) * (1 + 1e-9)
        return {fault.label: value for fault, value in self.point.predictions(name)
                if abs(value - target) > width}

    @functools.cached_property
    def blank_layout(self) -> Layout:
        """The drawing a student sees: every forward value, '?' under each asked gradient."""
        return layout_for(self.circuit, self.point, self.ask, reveal=False)


def assess_point(point: CircuitPoint, ask: tuple[str, ...], tolerance: Tolerance,
                 structural: frozenset[tuple[str, str]] | None = None,
                 pairs_too: bool = True) -> Assessment:
    """The coincidences among single faults at one evaluated point."""
    correct = {name: float(point.gradients[name]) for name in ask}
    predictions = {name: [(f.label, value) for f, value in point.predictions(name)]
                   for name in ask}
    return assess_faults(correct, predictions, tolerance, structural, pairs_too)


_JUDGED: dict[tuple[object, ...], Judged[CircuitPoint]] = {}


def _judged(template: CircuitTemplate, values: Values, shape: Profile | None
            ) -> Judged[CircuitPoint]:
    """A candidate evaluated and assessed (remembered when the template has few points)."""
    inputs, upstream = values
    if not few(template.draws):
        return _judge(template, inputs, upstream, shape)
    return remembered(_JUDGED, (template, id(shape), point_key(inputs, upstream)),
                      lambda: _judge(template, inputs, upstream, shape))


def _judge(template: CircuitTemplate, inputs: dict[str, Fraction], upstream: Fraction,
           shape: Profile | None) -> Judged[CircuitPoint]:
    try:
        point = evaluate(template.circuit, inputs, upstream,
                         regime=shape.regime if shape is not None else None)
    except GradientError as exc:
        return str(exc)
    if point.at_kink and not template.allow_kinks:
        return "every draw sat on a kink (a non-differentiable point)"
    if outside(shape, point.regime):
        return ELSEWHERE
    structural = shape.always_right if shape else None
    # Circuits have dozens of single faults and accept the pair count of any probe (see
    # profile_of), so a search only needs to rule out faults that give the right answer.
    return point, assess_point(point, template.ask, template.tolerance, structural,
                               pairs_too=shape is None)


def profile_of(template: CircuitTemplate) -> Profile:
    """What discrimination the template's draws can reach (probed once, cached)."""
    return profiled(template, lambda: _probe(template))


def _probe(template: CircuitTemplate) -> Profile:
    stream = Stream("probe", template.circuit.text, template.ask)

    def own() -> Values:
        return ({n: spec.draw(stream) for n, spec in template.inputs},
                template.upstream.draw(stream))

    def generic() -> Values:
        return ({n: Fraction(stream.integer(-30, 30), 10) for n, _ in template.inputs},
                Fraction(stream.choice([-3, -2, 2, 3])))

    return probe(lambda v, _: _judged(template, v, None), own, generic, template.randomized,
                 pair_quantile=1.0, kinks=circuit_kinks(template.circuit, template.ask))


def circuit_kinks(circuit: Circuit, ask: tuple[str, ...]) -> Kinks[CircuitPoint] | None:
    """How a circuit's points tell regimes (None when no node has a kink)."""
    steps = [(step, found) for step in circuit.steps
             if (found := classifier(step.node.expr)) is not None]
    if not steps:
        return None

    def label(regime: Regime) -> str:
        words, at = [], 0
        for step, found in steps:
            part = regime[at:at + len(found.sites)]
            at += len(found.sites)
            words.append(f"{found.describe(part)} (at {step.name})")
        return " and ".join(words)

    return Kinks(lambda point: point.regime, label,
                 lambda point: all(point.gradients[n] == 0 for n in ask))


def circuit_draw(template: CircuitTemplate, stream: Stream, attempts: int = 100
                 ) -> tuple[CircuitItem, int]:
    """A discriminating variant of a circuit template and the number of draws it took."""

    def draw() -> Values:
        return ({n: spec.draw(stream) for n, spec in template.inputs},
                template.upstream.draw(stream))

    point, tries = search_regimes(draw, lambda v, shape: _judged(template, v, shape),
                                  profile_of(template), attempts if template.randomized else 1,
                                  stream)
    if not few(template.draws):
        return circuit_item(template, point), tries
    return remembered(_ITEMS, (template, point_key(point.inputs, point.upstream)),
                      lambda: circuit_item(template, point)), tries


_ITEMS: dict[tuple[object, ...], CircuitItem] = {}


def circuit_item(template: CircuitTemplate, point: CircuitPoint) -> CircuitItem:
    """The item of ``template`` at an evaluated point."""
    shown = {name: fmt(value) for name, value in point.inputs.items()}
    names = list(template.ask)
    placeholders = {
        **shown, "circuit": "; ".join(s.line for s in template.circuit.steps),
        "upstream": fmt(point.upstream), "output": template.circuit.output,
        "inputs": _and([f"{name} = {text}" for name, text in shown.items()]),
        "wires": _and(names),
    }
    placeholders.setdefault("g", fmt(point.upstream))
    return CircuitItem(**common(template, fill(template.prompt, placeholders)),  # type: ignore[arg-type]
                       circuit=template.circuit, ask=template.ask, point=point)


def _and(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def layout_for(circuit: Circuit, point: CircuitPoint, asked: tuple[str, ...] = (),
               reveal: bool = True) -> Layout:
    """The circuit's drawing: every forward value; gradients all shown, or '?' where asked."""
    values = {n: fmt(v) for n, v in point.values.items()}
    if reveal:
        gradients = {n: fmt(v) for n, v in point.gradients.items()}
    else:
        gradients = {n: "?" if n in asked else "" for n in circuit.names}
        gradients[circuit.output] = fmt(point.upstream)
    steps = [(s.name, s.line, list(s.node.inputs)) for s in circuit.steps]
    return circuit_layout(list(circuit.inputs), steps, values, gradients)
