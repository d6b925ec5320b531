"""Writing key.json fast: each item as one line of JSON text.

The text is exactly ``json.dumps`` of the item's dict (:func:`quizgrad.formats.keyfile.item_json`),
but a key is mostly predicted values: they are written here directly, with the names and
numbers that come back from student to student remembered, rather than built into dicts and
encoded one by one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from quizgrad import __version__
from quizgrad.formats.keyfile import FORMAT, item_json, rounded
from quizgrad.math.compiled import FAILED
from quizgrad.math.matrix import Array
from quizgrad.math.plan import Plan
from quizgrad.memo import by_identity, remembered
from quizgrad.registry import kind_of

if TYPE_CHECKING:
    from quizgrad.items.base import Item, WireItem
    from quizgrad.items.circuit import CircuitItem
    from quizgrad.items.matrix import ArrayItem


def mistakes_text(item: CircuitItem | ArrayItem) -> str:
    """The mistakes of :func:`~quizgrad.formats.keyfile.item_json` as JSON text, written directly.

    A key is mostly these floats; rounding each through a float and printing that again
    would cost more than all the rest of an item.
    """
    parts = []
    for name in item.ask:
        values = item.mistake_values(name)  # type: ignore[attr-defined]
        pairs = ", ".join([_quoted(label) + (_array_text(value) if isinstance(value, Array)
                                             else _rounded_text(value))
                           for label, value in values.items()])
        parts.append(f"{_string(name)}: {{{pairs}}}")
    return "{" + ", ".join(parts) + "}"


def _quoted(label: str) -> str:
    """'"label": ', the start of a JSON member (remembered: the same labels come back).

    Like :func:`_rounded_text`, a cache written out: it is looked up once per value.
    """
    found = _QUOTED_LABELS.get(label)
    if found is None:
        if len(_QUOTED_LABELS) > 10_000:
            _QUOTED_LABELS.clear()
        found = _QUOTED_LABELS[label] = f"{_string(label)}: "
    return found


_QUOTED_LABELS: dict[str, str] = {}


def wire_mistakes_text(item: WireItem) -> str:
    """:func:`mistakes_text` of a wire item in one pass over its plan's predictions.

    As :meth:`WireItem.mistake_values`: a mistake's first prediction that differs from the
    answer is its value; the quoted names come from a table made once per plan.
    """
    point, values = item.point, item.point.values
    relative, absolute = item.tolerance.relative, item.tolerance.absolute
    parts = []
    for wire, quoted, entries in _quoted_layout(point.plan, item.ask):
        target = float(point.gradient[wire])
        width = max(relative * abs(target), absolute) * (1 + 1e-9)
        seen: set[str] = set()
        texts = []
        for index, mistake, prefix in entries:
            value = values[index]
            if value is not FAILED and mistake not in seen and abs(
                    value - target) > width:  # type: ignore[operator]
                seen.add(mistake)
                texts.append(prefix + _rounded_text(float(value)))  # type: ignore[arg-type]
        parts.append(f"{quoted}: {{{', '.join(texts)}}}")
    return "{" + ", ".join(parts) + "}"


QuotedLayout = tuple[tuple[str, str, tuple[tuple[int, str, str], ...]], ...]
_QUOTED: dict[tuple[int, object], tuple[object, QuotedLayout]] = {}


def _quoted_layout(plan: Plan, ask: tuple[str, ...]) -> QuotedLayout:
    """Per asked wire: it, its JSON text, and (index, mistake, '"mistake": ') per prediction."""
    return by_identity(_QUOTED, plan, lambda: tuple(
        (wire, _string(wire), tuple((index, mistake, f"{_string(mistake)}: ")
                                    for index, mistake, _ in entries))
        for wire, entries in plan.layout(ask)), ask)


def _array_text(array: Array) -> str:
    """``array.nested(rounded)`` as JSON text: a number, a list, or a list of rows."""
    texts = list(map(_rounded_text, array.entries))
    if len(array.shape) < 2:
        return f"[{', '.join(texts)}]" if array.shape else texts[0]
    width = array.shape[-1]
    return "[" + ", ".join(f"[{', '.join(texts[at:at + width])}]"
                           for at in range(0, len(texts), width)) + "]"


def _rounded_text(value: float) -> str:
    """``json.dumps(rounded(value))``, remembered: four predictions in five are seen before.

    The hottest cache of a key, written out rather than through :func:`memo.remembered`:
    its call and closure, once per value, cost 1.5% more instructions per student
    (callgrind), and :func:`_quoted` through it another 1.2%.
    """
    found = _ROUNDED_TEXT.get(value)
    if found is None:
        if len(_ROUNDED_TEXT) > 100_000:
            _ROUNDED_TEXT.clear()
        found = _ROUNDED_TEXT[value] = _round_text(value)
    return found


def _round_text(value: float) -> str:
    """The text of ``rounded(value)`` without the round trip through a float.

    Twelve significant digits in plain notation are already the shortest text of the float
    they stand for, which is what JSON prints; anything else takes the long way.
    """
    shown = rounded(value)
    if shown.__class__ is int:
        return str(shown)
    text = f"{value:.12g}"
    return _encode(shown) if "." not in text or "e" in text else text


_ROUNDED_TEXT: dict[float, str] = {}


_string = json.encoder.encode_basestring  # type: ignore[attr-defined]  # as dumps does it
_encode = json.JSONEncoder(ensure_ascii=False).encode


def variant_json(fields: dict[str, Any], items: Sequence[Item]) -> str:
    """One variant's part of key.json: its fields, then one item per line."""
    return variant_text(fields, [item_text(item) for item in items])


def variant_text(fields: dict[str, Any], texts: list[str]) -> str:
    """:func:`variant_json` from its items' :func:`item_text`, in order."""
    return "\n".join([json.dumps(fields, ensure_ascii=False)[:-1] + ', "items": [',
                      ",\n".join(texts), "]}"])


_TEXT: dict[tuple[object, ...], str] = {}


def item_text(item: Item) -> str:
    """One item of the key as a line of JSON (an item that may come back: made once)."""
    if not item.repeats:
        return _item_text(item)
    return remembered(_TEXT, item.key, lambda: _item_text(item))


def _item_text(item: Item) -> str:
    """``json.dumps(item_json(item))``, the mistakes written by the kind's ``mistakes_text``."""
    data = item_json(item, mistakes=False)
    if "mistakes" not in data:
        return _encode(data)
    names = list(data)
    at = names.index("mistakes")
    head = _encode({name: data[name] for name in names[:at]})
    tail = _encode({name: data[name] for name in names[at + 1:]})
    return (f'{head[:-1]}, "mistakes": {kind_of(item).mistakes_text(item)}'  # type: ignore[arg-type]
            + (f", {tail[1:]}" if len(tail) > 2 else "}"))


def key_head(seed: str, banks: list[dict[str, str]]) -> str:
    """The start of key.json, up to its first variant (see :func:`variant_json`)."""
    head = {"format": FORMAT, "quizgrad": __version__, "seed": seed, "banks": banks}
    return json.dumps(head, ensure_ascii=False)[:-1] + ', "variants": [\n'


KEY_SEPARATOR = ",\n"  # between two variants of key.json
KEY_TAIL = "\n]}\n"  # after the last
