"""Blank answer files: the submission format, pre-filled with every item and comments."""

from __future__ import annotations

import functools
import json
from typing import Any

from quizgrad.formats.keyfile import KeyVariant
from quizgrad.items.base import LETTERS, Item
from quizgrad.math.matrix import describe
from quizgrad.registry import kind_of

HEADER = """\
# quizgrad answer file{who}
# Fill in each answer after its colon, save, and hand the file back. Leave an answer empty
# if you skip it. Numbers may be written as -8, 0.25, 1/4, 2.5e-3 or 2*(-4); a formula
# goes in quotes, e.g. "s*(1-s)"; a matrix is a list of rows, e.g. [[1, -2], [0, 3]];
# a choice is its letter; true/false is true or false.
"""


def _key(text: str) -> str:
    """A YAML mapping key, quoted when it needs to be."""
    return text if text.replace("-", "").replace("_", "").replace(".", "").isalnum() \
        else json.dumps(text)


def answer_template(variant: KeyVariant) -> str:
    """The blank submission for one variant."""
    return answer_page(variant, [answer_entry(item, number) for number, item
                                 in enumerate(variant.items, start=1)])


def answer_page(variant: KeyVariant, entries: list[str]) -> str:
    """The blank submission around its items' entries (:func:`answer_entry`, in order)."""
    who = f" for {variant.student}" if variant.student else f" for variant {variant.id}"
    lines = [HEADER.format(who=who).rstrip("\n")]
    lines.append(f"student: {_key(variant.student or variant.id)}")
    lines.append("answers:")
    return "\n".join(lines + entries) + "\n"


def answer_entry(item: Item, number: int) -> str:
    """The lines of item ``number`` (made by the remembered :func:`_entry` from what they show)."""
    kind, detail = kind_of(item).entry(item)
    return _entry(kind, detail, item.id, item.title, item.points, number)


@functools.lru_cache(maxsize=4096)  # the same for every student: only the numbers differ
def _entry(kind: str, detail: tuple[Any, ...], item_id: str, title: str, points: float,
           number: int) -> str:
    shown = f"{points:g} point" + ("" if points == 1 else "s")
    lines = [f"  # {number}. {' '.join(title.split())} ({shown})"]
    key = _key(item_id)
    if kind == "wires" and len(detail) > 1:
        lines.append(f"  {key}:")
        lines.extend(f"    {_key(w)}:    # the gradient on wire {w}" for w in detail)
    elif kind == "wires":
        lines.append(f"  {key}:    # the gradient on wire {detail[0]}")
    elif kind == "arrays" and len(detail) > 1:
        lines.append(f"  {key}:")
        lines.extend(f"    {_key(n)}:    # the gradient of {n}: {_array_hint(shape)}"
                     for n, shape in detail)
    elif kind == "arrays":
        name, shape = detail[0]
        lines.append(f"  {key}:    # the gradient of {name}: {_array_hint(shape)}")
    elif kind == "formula":
        wrt, helpers = detail
        hint = f"; you may use {', '.join(helpers)}" if helpers else ""
        lines.append(f'  {key}: ""    # df/d{wrt} as a formula in quotes{hint}')
    elif kind == "choice":
        lines.append(f"  {key}:    # one of {', '.join(LETTERS[: detail[0]])}")
    elif kind == "truth":
        lines.append(f"  {key}:    # true or false")
    return "\n".join(lines)


def _array_hint(shape: tuple[int, ...]) -> str:
    """'a 2×3 matrix, e.g. [[a, b, c], [d, e, f]]' for an array of ``shape``."""
    letters = iter("abcdefghijklmnopqrstuvwxyz" * 3)
    if not shape:
        return "a number"
    if len(shape) == 1:
        return f"{describe(shape)}, e.g. [{', '.join(next(letters) for _ in range(shape[0]))}]"
    rows = ["[" + ", ".join(next(letters) for _ in range(shape[1])) + "]"
            for _ in range(shape[0])]
    example = "[" + ", ".join(rows) + "]" if len(rows) <= 3 else "[[...], ...]"
    return f"{describe(shape)}, e.g. {example}"
