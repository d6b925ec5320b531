"""The registered kinds of item, looked up by type name, template or item.

The kinds register themselves when :mod:`quizgrad.kinds` is imported, which happens on
the first lookup: the modules that dispatch on kinds import this small module, never the
kinds themselves (which import them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quizgrad.bank.templates import Template
    from quizgrad.items.base import Item
    from quizgrad.items.discriminate import Profile
    from quizgrad.kinds.base import Kind
    from quizgrad.math.rng import Stream

_BY_TYPE: dict[str, Kind] = {}
_BY_CLASS: dict[type, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add ``kind`` (its type name must be new); the kind, for use as a one-liner."""
    if kind.type in _BY_TYPE:
        raise ValueError(f"a kind of type {kind.type!r} is registered already")
    _BY_TYPE[kind.type] = kind
    _BY_CLASS[kind.template] = _BY_CLASS[kind.item] = kind
    return kind


def unregister(name: str) -> None:
    """Remove the kind of type ``name`` (for tests that register a kind of their own)."""
    kind = _BY_TYPE.pop(name)
    _BY_CLASS.pop(kind.template, None)
    _BY_CLASS.pop(kind.item, None)


def _loaded() -> dict[str, Kind]:
    import sys

    if "quizgrad.kinds" not in sys.modules:
        from quizgrad import kinds  # noqa: F401  (registers the bundled kinds)
    return _BY_TYPE


def types() -> tuple[str, ...]:
    """Every type name a bank may use, in the order they are documented."""
    return tuple(_loaded())


def kind_named(name: str) -> Kind:
    """The kind of type ``name`` (KeyError when there is none)."""
    return _loaded()[name]


def kind_of(thing: Item | Template) -> Kind:
    """The kind of an item or a template."""
    _loaded()
    for cls in type(thing).__mro__:  # a subclass of an item class is of its kind
        if cls in _BY_CLASS:
            return _BY_CLASS[cls]
    raise KeyError(f"no kind is registered for {type(thing).__name__}")


def drawn_types() -> tuple[str, ...]:
    """The type names of the kinds that draw numbers."""
    return tuple(name for name, kind in _loaded().items() if kind.draws)


def draw(template: Template, stream: Stream) -> Item:
    """One variant of any template, as generate draws it."""
    return kind_of(template).variant(template, stream)


def drawn(template: Template, stream: Stream, attempts: int = 100) -> tuple[Item, int]:
    """A variant of a template that draws numbers, and the draws it took.

    With ``attempts`` 1 the first draw is taken, discriminating or not (GradientError when
    it sits on a kink or a value does not exist there).
    """
    return kind_of(template).search(template, stream, attempts)


def profile(template: Template) -> Profile | None:
    """What a drawn template's draws can reach (None for the kinds with no discrimination)."""
    return kind_of(template).profile(template)
