"""Blank answer files: the submission format, pre-filled with every item and comments."""

from __future__ import annotations

import json

from ..circuit_items import CircuitItem
from ..items import LETTERS, ChoiceItem, Item, LocalItem, TrueFalseItem, WireItem
from ..keyfile import KeyVariant
from ..matrix import describe
from ..matrix_items import MatrixItem

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


def _comment(item: Item, number: int) -> str:
    points = f"{item.points:g} point" + ("" if item.points == 1 else "s")
    title = " ".join(item.title.split())
    return f"  # {number}. {title} ({points})"


def answer_template(variant: KeyVariant, seed: str) -> str:
    """The blank submission for one variant."""
    who = f" for {variant.student}" if variant.student else f" for variant {variant.id}"
    lines = [HEADER.format(who=who).rstrip("\n")]
    lines.append(f"student: {_key(variant.student or variant.id)}")
    lines.append("answers:")
    for number, item in enumerate(variant.items, start=1):
        lines.append(_comment(item, number))
        key = _key(item.id)
        if isinstance(item, (WireItem, CircuitItem)) and len(item.ask) > 1:
            lines.append(f"  {key}:")
            lines.extend(f"    {_key(w)}:    # the gradient on wire {w}" for w in item.ask)
        elif isinstance(item, (WireItem, CircuitItem)):
            lines.append(f"  {key}:    # the gradient on wire {item.ask[0]}")
        elif isinstance(item, MatrixItem) and len(item.ask) > 1:
            lines.append(f"  {key}:")
            lines.extend(f"    {_key(n)}:    # the gradient of {n}: {_array_hint(item, n)}"
                         for n in item.ask)
        elif isinstance(item, MatrixItem):
            name = item.ask[0]
            lines.append(f"  {key}:    # the gradient of {name}: {_array_hint(item, name)}")
        elif isinstance(item, LocalItem):
            helpers = ", ".join(n for n, _ in item.let)
            hint = f"; you may use {helpers}" if helpers else ""
            lines.append(f'  {key}: ""    # df/d{item.wrt} as a formula in quotes{hint}')
        elif isinstance(item, ChoiceItem):
            letters = ", ".join(LETTERS[: len(item.choices)])
            lines.append(f"  {key}:    # one of {letters}")
        elif isinstance(item, TrueFalseItem):
            lines.append(f"  {key}:    # true or false")
    return "\n".join(lines) + "\n"


def _array_hint(item: MatrixItem, name: str) -> str:
    """'a 2×3 matrix, e.g. [[a, b, c], [d, e, f]]' for the shape of ``name``."""
    shape = item.node.shape(name)
    letters = iter("abcdefghijklmnopqrstuvwxyz" * 3)
    if not shape:
        return "a number"
    if len(shape) == 1:
        return f"{describe(shape)}, e.g. [{', '.join(next(letters) for _ in range(shape[0]))}]"
    rows = ["[" + ", ".join(next(letters) for _ in range(shape[1])) + "]"
            for _ in range(shape[0])]
    example = "[" + ", ".join(rows) + "]" if len(rows) <= 3 else "[[...], ...]"
    return f"{describe(shape)}, e.g. {example}"
