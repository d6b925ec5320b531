"""Items: concrete variants of templates, with numbers drawn and expected answers computed.

Data flows one way: Template -> Item (here) -> Key. An item knows everything needed to
show it, judge an answer to it, and explain its solution.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from . import expr as ex
from .bank import (
    Choice,
    ChoiceTemplate,
    LocalTemplate,
    Template,
    TrueFalseTemplate,
    WireTemplate,
    fill,
)
from .engine import Node, Solution, kinks, solve
from .errors import GradientError
from .numeric import Tolerance, fmt
from .rng import Stream

LETTERS = "abcdefghijklmnopqrstuvwxyz"


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


@dataclass(frozen=True, kw_only=True)
class WireItem(Item):
    """Wire gradients of one node at drawn stored inputs and upstream gradient."""

    solution: Solution
    ask: tuple[str, ...]
    kinks: tuple[str, ...] = ()
    mistakes: dict[str, dict[str, sp.Expr]] = field(default_factory=dict)

    @property
    def node(self) -> Node:
        """The node function."""
        return self.solution.node

    @property
    def expected(self) -> dict[str, sp.Expr]:
        """Asked wire -> exact expected gradient."""
        return {name: self.solution.wire(name).gradient for name in self.ask}


@dataclass(frozen=True, kw_only=True)
class LocalItem(Item):
    """A local gradient formula; the student may use the ``let`` names."""

    node: Node
    wrt: str
    let: tuple[tuple[str, sp.Expr], ...]

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

    @property
    def correct(self) -> int:
        """Index of the correct choice."""
        return next(i for i, choice in enumerate(self.choices) if choice.correct)


@dataclass(frozen=True, kw_only=True)
class TrueFalseItem(Item):
    """A true/false statement and the misconception the wrong answer reveals."""

    answer: bool
    mistake: str | None = None


def common(template: Template, prompt: str) -> dict[str, object]:
    """The fields every item copies from its template."""
    return {"id": template.id, "template": template.id, "type": template.type,
            "title": template.title, "prompt": prompt, "explanation": template.explanation,
            "points": template.points, "tolerance": template.tolerance}


def draw_wire(template: WireTemplate, stream: Stream, attempts: int = 200) -> WireItem:
    """One variant of a wire template, redrawn past kinks and undefined points."""
    problem = GradientError("no draw")
    for _ in range(attempts if template.randomized else 1):
        values = {name: spec.draw(stream) for name, spec in template.inputs}
        upstream = template.upstream.draw(stream)
        try:
            return wire_item(template, values, upstream)
        except GradientError as exc:
            problem = exc
    raise problem


def wire_item(template: WireTemplate, values: dict[str, sp.Rational],
              upstream: sp.Rational) -> WireItem:
    """The wire item of ``template`` at the given stored values and upstream gradient."""
    solution = solve(template.node, values, upstream)
    found = tuple(kinks(template.node, values))
    if found and not template.allow_kinks:
        raise GradientError(f"the point sits on a kink ({'; '.join(found)})")
    shown = {name: fmt(value) for name, value in values.items()}
    placeholders = {
        **shown,
        "node": template.node.text,
        "upstream": fmt(upstream),
        "inputs": _and([f"{name} = {text}" for name, text in shown.items()]),
        "wires": ("wire " if len(template.ask) == 1 else "wires ") + _and(list(template.ask)),
    }
    placeholders.setdefault("g", fmt(upstream))
    return WireItem(**common(template, fill(template.prompt, placeholders)),  # type: ignore[arg-type]
                    solution=solution, ask=template.ask, kinks=found)


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


def draw(template: Template, stream: Stream) -> Item:
    """One variant of any template, without discrimination (see :mod:`quizgrad.generate`)."""
    if isinstance(template, WireTemplate):
        return draw_wire(template, stream)
    if isinstance(template, LocalTemplate):
        return local_item(template)
    if isinstance(template, ChoiceTemplate):
        return choice_item(template, stream)
    if isinstance(template, TrueFalseTemplate):
        return truefalse_item(template)
    raise TypeError(template)  # pragma: no cover - the bank only builds these four


def _and(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
