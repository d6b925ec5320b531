"""Every kind of template in one table: how its variants are drawn, what its draws reach.

This is where a kind of item is registered for drawing: each template class maps to the
functions of its own module (items for wire, local, choice and true/false items;
circuit_items, matrix_items and network_items for theirs), so that no module of a kind
needs to know any other, and callers need no switch on the template's class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .circuit_items import circuit_draw
from .circuit_items import profile_of as circuit_profile
from .discriminate import Profile
from .items import (
    Item,
    choice_item,
    draw_wire,
    local_item,
    profile_of,
    truefalse_item,
    wire_draw,
)
from .matrix_items import matrix_draw
from .matrix_items import profile_of as matrix_profile
from .network_items import CANDIDATES, network_draw
from .rng import Stream
from .templates import (
    ChoiceTemplate,
    CircuitTemplate,
    LocalTemplate,
    MatrixTemplate,
    NetworkTemplate,
    Template,
    TrueFalseTemplate,
    WireTemplate,
)


@dataclass(frozen=True)
class Kind:
    """How one kind of template is drawn: once, or searching up to some draws; its profile."""

    variant: Callable[[Any, Stream], Item]  # one variant, as generate draws it
    search: Callable[[Any, Stream, int], tuple[Item, int]] | None = None  # (drawn kinds)
    profile: Callable[[Any], Profile | None] = lambda _: None


KINDS: dict[type[Template], Kind] = {
    WireTemplate: Kind(draw_wire, wire_draw, profile_of),
    CircuitTemplate: Kind(lambda t, s: circuit_draw(t, s)[0], circuit_draw, circuit_profile),
    MatrixTemplate: Kind(lambda t, s: matrix_draw(t, s)[0], matrix_draw, matrix_profile),
    NetworkTemplate: Kind(lambda t, s: network_draw(t, s)[0],
                          lambda t, s, n: network_draw(t, s, min(n, CANDIDATES))),
    LocalTemplate: Kind(lambda t, _: local_item(t)),
    ChoiceTemplate: Kind(choice_item),
    TrueFalseTemplate: Kind(lambda t, _: truefalse_item(t)),
}


def draw(template: Template, stream: Stream) -> Item:
    """One variant of any template (see :mod:`quizgrad.generate`)."""
    return KINDS[type(template)].variant(template, stream)


def drawn(template: Template, stream: Stream, attempts: int = 100) -> tuple[Item, int]:
    """A variant of a template that draws numbers, and the draws it took.

    With ``attempts`` 1 the first draw is taken, discriminating or not (GradientError when
    it sits on a kink or a value does not exist there).
    """
    search = KINDS[type(template)].search
    if search is None:
        raise TypeError(f"{template.id}: a {template.type} template draws no numbers")
    return search(template, stream, attempts)


def profile(template: Template) -> Profile | None:
    """What a drawn template's draws can reach (None for the kinds with no discrimination)."""
    return KINDS[type(template)].profile(template)
