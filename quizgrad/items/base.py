"""Items: concrete variants of templates, with numbers drawn and expected answers computed.

Data flows one way: Template -> Item (here) -> Key. An item knows everything needed to
show it, judge an answer to it, and explain its solution.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from quizgrad.bank.load import (
    Choice,
    ChoiceTemplate,
    LocalTemplate,
    Template,
    TrueFalseTemplate,
    WireTemplate,
    fill,
)
from quizgrad.errors import GradientError
from quizgrad.items.discriminate import (
    ELSEWHERE,
    Judged,
    Kinks,
    Profile,
    Values,
    assess,
    few,
    outside,
    probe,
    profiled,
    search_regimes,
)
from quizgrad.math import expr as ex
from quizgrad.math.compiled import FAILED, Number
from quizgrad.math.engine import Node
from quizgrad.math.numeric import Tolerance, fmt
from quizgrad.math.plan import Plan, Point, Predicted, plan_for, point_key
from quizgrad.math.rng import Stream
from quizgrad.memo import remembered

LETTERS = "abcdefghijklmnopqrstuvwxyz"


class Key(tuple):  # type: ignore[type-arg]
    """An item's identity for caches: a tuple that hashes once (caches look keys up often)."""

    def __hash__(self) -> int:
        found = self.__dict__.get("hash")
        if found is None:
            found = self.__dict__["hash"] = tuple.__hash__(self)
        return found  # type: ignore[no-any-return]


@dataclass(frozen=True, kw_only=True)
class Item:
    """What every item has: identity, the prompt as shown, points and tolerance."""

    id: str
    template: str
    type: str
    title: str
    prompt: str
    explanation: str
    points: float
    tolerance: Tolerance
    # Whether a class is likely to be given this very item again (its template has few
    # possible draws): only such items' texts are worth remembering (see formats.sheets).
    repeats: bool = field(default=True, compare=False, repr=False)

    @functools.cached_property
    def key(self) -> tuple[object, ...]:
        """What makes this variant of the item: equal keys, identical items (for caches)."""
        return Key((type(self).__name__, self.id, self.template, self.title, self.prompt,
                    self.explanation, self.points, self.tolerance))


@dataclass(frozen=True, kw_only=True)
class WireItem(Item):
    """Wire gradients of one node at drawn stored inputs and upstream gradient."""

    node: Node
    ask: tuple[str, ...]
    point: Point
    allow_kinks: bool = False

    @functools.cached_property
    def key(self) -> tuple[object, ...]:
        """What makes this variant: the template and the drawn numbers."""
        return Key((*Item.key.func(self), self.node.text, self.ask,  # type: ignore[attr-defined]
                    self.point.key))

    @property
    def inputs(self) -> dict[str, Fraction]:
        """Stored input values."""
        return self.point.inputs

    @property
    def upstream(self) -> Fraction:
        """The upstream gradient."""
        return self.point.upstream

    @functools.cached_property
    def expected(self) -> dict[str, Number]:
        """Asked wire -> expected gradient."""
        return {w: self.point.gradient[w] for w in self.ask}

    @functools.cached_property
    def plan(self) -> Plan:
        """The node's compiled plan for the asked wires."""
        return plan_for(self.node, self.ask)

    @functools.cached_property
    def mistakes(self) -> dict[str, tuple[Predicted, ...]]:
        """Asked wire -> predictions that differ from the right answer (the diagnosable ones)."""
        out = {}
        plan, values = self.point.plan, self.point.values
        for wire in self.ask:
            target = float(self.point.gradient[wire])
            width = self.tolerance.width(target) * (1 + 1e-9)
            start, end = plan.spans[wire]
            out[wire] = tuple(Predicted(plan.flat[i].mistake, float(values[i]), plan.flat[i])  # type: ignore[arg-type]
                              for i in range(start, end)
                              if values[i] is not FAILED and abs(values[i] - target) > width)  # type: ignore[operator]
        return out

    def every_gradient(self) -> dict[str, Number]:
        """The gradient on every input wire, asked or not (for the solved circuit)."""
        if set(self.ask) == set(self.node.inputs):
            return dict(self.point.gradient)
        point = plan_for(self.node, self.node.inputs).evaluate(self.inputs, self.upstream)
        return dict(point.gradient)

    def matching(self, wire: str, given: float) -> tuple[str, ...]:
        """The mistakes whose prediction on ``wire`` is ``given`` (and not the right answer)."""
        target = float(self.point.gradient[wire])
        tolerance = self.tolerance
        values = self.point.values
        found: list[str] = []
        for wired, entries in self.point.plan.layout(self.ask):
            if wired != wire:
                continue
            for index, mistake, _ in entries:
                value = values[index]
                if (value is not FAILED and mistake not in found
                        and tolerance.accepts(given, value)  # type: ignore[arg-type]
                        and not tolerance.accepts(value, target)):  # type: ignore[arg-type]
                    found.append(mistake)
        return tuple(found)

    def mistake_values(self, wire: str) -> dict[str, float]:
        """Mistake id -> its first predicted value on ``wire``, where it differs from the answer."""
        target = float(self.point.gradient[wire])
        width = self.tolerance.width(target) * (1 + 1e-9)
        values = self.point.values
        found: dict[str, float] = {}
        for wired, entries in self.point.plan.layout(self.ask):
            if wired != wire:
                continue
            for index, mistake, _ in entries:
                value = values[index]
                if mistake not in found and value is not FAILED and abs(
                        value - target) > width:  # type: ignore[operator]
                    found[mistake] = float(value)  # type: ignore[arg-type]
        return found

    def exact(self, wire: str) -> str:
        """The exact expected gradient on ``wire`` as text."""
        return self.plan.exact_gradient(wire, self.point)


@dataclass(frozen=True, kw_only=True)
class LocalItem(Item):
    """A local gradient formula; the student may use the ``let`` names."""

    node: Node
    wrt: str
    let: tuple[tuple[str, sp.Expr], ...]

    @functools.cached_property
    def key(self) -> tuple[object, ...]:
        """What makes this item: the node, the variable and the helper names."""
        return Key((*Item.key.func(self), self.node.text, self.node.inputs,  # type: ignore[attr-defined]
                    self.wrt, tuple((n, str(v)) for n, v in self.let)))

    @property
    def expected(self) -> sp.Expr:
        """The exact local gradient df/dwrt."""
        return self.node.local(self.wrt)

    @property
    def names(self) -> tuple[str, ...]:
        """Names a student may write: the inputs and the ``let`` names."""
        return (*self.node.inputs, *(name for name, _ in self.let))


@dataclass(frozen=True, kw_only=True)
class ChoiceItem(Item):
    """Multiple choice with its choices in shown order (letters a, b, c, ...)."""

    choices: tuple[Choice, ...]

    @functools.cached_property
    def key(self) -> tuple[object, ...]:
        """What makes this variant: the template and the order of the choices."""
        return Key((*Item.key.func(self), self.choices))  # type: ignore[attr-defined]

    @property
    def correct(self) -> int:
        """Index of the correct choice."""
        return next(i for i, choice in enumerate(self.choices) if choice.correct)


@dataclass(frozen=True, kw_only=True)
class TrueFalseItem(Item):
    """A true/false statement and the misconception the wrong answer reveals."""

    answer: bool
    mistake: str | None = None

    @functools.cached_property
    def key(self) -> tuple[object, ...]:
        """What makes this item: the statement's truth and the mistake it reveals."""
        return Key((*Item.key.func(self), self.answer, self.mistake))  # type: ignore[attr-defined]


def common(template: Template, prompt: str) -> dict[str, object]:
    """The fields every item copies from its template."""
    from quizgrad.registry import kind_of

    drawn = kind_of(template).draws
    return {"id": template.id, "template": template.id, "type": template.type,
            "title": template.title, "prompt": prompt, "explanation": template.explanation,
            "points": template.points, "tolerance": template.tolerance,
            "repeats": few(template.draws) if drawn else True}


def draw_wire(template: WireTemplate, stream: Stream, attempts: int = 100) -> WireItem:
    """One discriminating variant of a wire template (GradientError when none is found)."""
    return wire_draw(template, stream, attempts)[0]


def wire_draw(template: WireTemplate, stream: Stream, attempts: int = 100
              ) -> tuple[WireItem, int]:
    """A discriminating variant and the number of draws it took."""
    plan = plan_for(template.node, template.ask)

    def draw() -> Values:
        return ({n: spec.draw(stream) for n, spec in template.inputs},
                template.upstream.draw(stream))

    point, tries = search_regimes(draw, lambda v, shape: _judged(template, plan, v, shape),
                                  profile_of(template), attempts if template.randomized else 1,
                                  stream)
    return _exact_item(template, plan, point), tries


def _judged(template: WireTemplate, plan: Plan, values: Values,
            shape: Profile | None) -> Judged[Point]:
    inputs, upstream = values
    try:
        point = plan.evaluate(inputs, upstream, exact=False, key=point_key(inputs, upstream))
    except GradientError as exc:
        return str(exc)
    if point.at_kink and not template.allow_kinks:
        return "every draw sat on a kink (a non-differentiable point)"
    if outside(shape, point.regime):
        return ELSEWHERE
    structural = shape.always_right if shape else None
    assessment = point.remember(
        (template.ask, template.tolerance, id(shape)),
        lambda: assess(point, template.ask, template.tolerance, structural))
    return point, assessment


_ITEMS: dict[tuple[object, ...], WireItem] = {}  # templates compare by identity


def _exact_item(template: WireTemplate, plan: Plan, point: Point) -> WireItem:
    """The item at an accepted point (remembered when a class may draw the point again)."""
    if not few(template.draws):
        return wire_item(template, plan.exact_point(point))
    return remembered(_ITEMS, (template, point.key),
                      lambda: wire_item(template, plan.exact_point(point)))


def _probe(template: WireTemplate) -> Profile:
    plan = plan_for(template.node, template.ask)
    stream = Stream("probe", template.node.text, template.ask)

    def own() -> Values:
        return ({n: spec.draw(stream) for n, spec in template.inputs},
                template.upstream.draw(stream))

    def generic() -> Values:
        return ({n: Fraction(stream.integer(-30, 30), 10) for n, _ in template.inputs},
                Fraction(stream.choice([-3, -2, 2, 3])))

    kinks = None
    if plan.classifier is not None:
        ask = template.ask
        kinks = Kinks(lambda point: point.regime, plan.classifier.describe,
                      lambda point: all(point.gradient[w] == 0 for w in ask))
    return probe(lambda v, _: _judged(template, plan, v, None), own, generic,
                 template.randomized, kinks=kinks)


def profile_of(template: WireTemplate) -> Profile:
    """What discrimination the template's draws can reach (probed once, cached)."""
    return profiled(template, lambda: _probe(template))


def wire_item(template: WireTemplate, point: Point) -> WireItem:
    """The wire item of ``template`` at an evaluated point."""
    shown = {name: fmt(value) for name, value in point.inputs.items()}
    placeholders = {
        **shown,
        "node": template.node.text,
        "upstream": fmt(point.upstream),
        "inputs": _and([f"{name} = {text}" for name, text in shown.items()]),
        "wires": ("wire " if len(template.ask) == 1 else "wires ") + _and(list(template.ask)),
    }
    placeholders.setdefault("g", fmt(point.upstream))
    return WireItem(**common(template, fill(template.prompt, placeholders)),  # type: ignore[arg-type]
                    node=template.node, ask=template.ask, point=point,
                    allow_kinks=template.allow_kinks)


@functools.lru_cache(maxsize=1024)
def local_item(template: LocalTemplate) -> LocalItem:
    """The (only) variant of a local-gradient template."""
    placeholders = {"node": template.node.text, "wrt": template.wrt}
    placeholders.update({name: name for name in template.node.inputs})
    prompt = fill(template.prompt, placeholders)
    if template.let:
        helpers = _and([f"{name} for {ex.to_text(value)}" for name, value in template.let])
        prompt = f"{prompt} (You may write {helpers}.)"
    return LocalItem(**common(template, prompt),  # type: ignore[arg-type]
                     node=template.node, wrt=template.wrt, let=template.let)


def choice_item(template: ChoiceTemplate, stream: Stream) -> ChoiceItem:
    """A variant of a choice template (choices shuffled when the template says so)."""
    choices = list(template.choices)
    if template.shuffle:
        choices = stream.shuffled(choices)
    return ChoiceItem(**common(template, template.prompt),  # type: ignore[arg-type]
                      choices=tuple(choices))


def truefalse_item(template: TrueFalseTemplate) -> TrueFalseItem:
    """The (only) variant of a true/false template."""
    return TrueFalseItem(**common(template, template.prompt),  # type: ignore[arg-type]
                         answer=template.answer, mistake=template.mistake)


def _and(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def local_mistakes(item: LocalItem) -> tuple[tuple[str, sp.Expr], ...]:
    """(mistake id, predicted formula with g = 1) for a local-gradient item, minus the right one."""
    from quizgrad.math.equiv import defined_like, equivalent
    from quizgrad.mistakes.catalog import BY_ID, G, formulas

    found = []
    names = item.node.inputs
    for mistake, predictions in formulas(item.node, (item.wrt,))[item.wrt].items():
        if not BY_ID[mistake].symbolic:
            continue  # it depends on the upstream gradient's sign, which a formula lacks
        for prediction in predictions:
            value = prediction.value.xreplace({G: sp.S.One})
            if defined_like(value, item.expected, names, item.node.expr) and not equivalent(
                    value, item.expected, names):
                found.append((mistake, value))
    return tuple(found)


def node_item(node: str, inputs: dict[str, Fraction | int | str], upstream: Fraction | int | str
              = 1, *, ask: tuple[str, ...] | None = None, tolerance: Tolerance | None = None,
              item_id: str = "node", points: float = 1.0) -> WireItem:
    """A wire item for a node at given stored inputs, without a bank (for library use)."""
    parsed = Node.parse(node, inputs)
    wires = ask or parsed.inputs
    values = {name: Fraction(value) for name, value in inputs.items()}
    point = plan_for(parsed, wires).evaluate(values, Fraction(upstream))
    return WireItem(id=item_id, template=item_id, type="wire", title=node, prompt=node,
                    explanation="", points=points, tolerance=tolerance or Tolerance(),
                    node=parsed, ask=wires, point=point)
