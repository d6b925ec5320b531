"""A node drawn as a small circuit in plain text (the terminal and Markdown sheets use it).

Values ride above the wires and gradients below them (the CS231n convention); the upstream
gradient arrives on the output wire from the right::

      x = 3   ┌───────┐
    ────────┤       │
      ← -8  │       │  f = -12
      y = -4│ x * y ├───────────
    ────────┤       │  ← 2
      ← 6   └───────┘
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class WireLabel:
    """One input wire: its name, the stored value, and the gradient.

    A gradient of None is drawn as unknown ("?"); an empty one is not drawn at all.
    """

    name: str
    value: str
    gradient: str | None = None


class Segment(NamedTuple):
    """A run of text with a style name ('value', 'gradient', 'node', 'wire', or '')."""

    text: str
    style: str = ""


def circuit(node: str, wires: list[WireLabel], output: str | None, upstream: str,
            unknown: str = "?") -> list[list[Segment]]:
    """The circuit as lines of styled segments; ``output`` None hides the forward value."""
    left = [(f"{w.name} = {w.value}", "" if w.gradient == "" else
             f"← {w.gradient if w.gradient is not None else unknown}") for w in wires]
    left_width = max(max(len(a), len(b)) for a, b in left) + 4
    inner = len(node) + 2
    rows = 3 * len(wires)
    middle = rows // 2 if len(wires) > 1 else 1
    out_above = f"f = {output}" if output is not None else "f"
    out_below = f"← {upstream}"
    out_width = max(len(out_above), len(out_below)) + 4
    lines: list[list[Segment]] = []
    for row in range(rows):
        index, part = divmod(row, 3)
        line: list[Segment] = []
        if part == 0:
            line.append(Segment(("  " + left[index][0]).ljust(left_width), "value"))
        elif part == 1:
            line.append(Segment("─" * left_width, "wire"))
        else:
            line.append(Segment(("  " + left[index][1]).ljust(left_width), "gradient"))
        line.append(Segment(_box_row(row, rows, middle, node, inner, part == 1), "node"))
        if row == middle:
            line.append(Segment("─" * out_width, "wire"))
        elif row == middle - 1:
            line.append(Segment("  " + out_above, "value"))
        elif row == middle + 1:
            line.append(Segment("  " + out_below, "gradient"))
        lines.append(line)
    return [_strip(line) for line in lines]


def _box_row(row: int, rows: int, middle: int, node: str, inner: int, wired: bool) -> str:
    right = "├" if row == middle else "│"
    if row == 0 and not wired:
        return "┌" + "─" * inner + "┐"
    if row == rows - 1 and not wired:
        return "└" + "─" * inner + "┘"
    body = f" {node} " if row == middle else " " * inner
    return ("┤" if wired else "│") + body + right


def _strip(line: list[Segment]) -> list[Segment]:
    last = line[-1]
    return [*line[:-1], Segment(last.text.rstrip(), last.style)]


def plain(lines: list[list[Segment]]) -> str:
    """The drawing as plain text."""
    return "\n".join("".join(seg.text for seg in line) for line in lines)
