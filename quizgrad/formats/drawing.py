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

import functools
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from quizgrad.memo import by_identity


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
            unknown: str = "?", *, output_name: str = "f", sep: str = " = "
            ) -> list[list[Segment]]:
    """The circuit as lines of styled segments; ``output`` None hides the forward value.

    Matrix nodes label wires with shapes: ``output_name="Y", sep=": "`` gives "X: 3×2".
    """
    left = [(f"{w.name}{sep}{w.value}", "" if w.gradient == "" else
             f"← {w.gradient if w.gradient is not None else unknown}") for w in wires]
    left_width = max(max(len(a), len(b)) for a, b in left) + 4
    rows = 3 * len(wires)
    middle = rows // 2 if len(wires) > 1 else 1
    out_above = f"{output_name}{sep}{output}" if output is not None else output_name
    out_width = max(len(out_above), len(upstream) + 2) + 4
    box = _box_rows(node, rows, middle)
    wire = Segment("─" * left_width, "wire")
    right = {middle - 1: Segment(("  " + out_above).rstrip(), "value"),
             middle: Segment("─" * out_width, "wire"),
             middle + 1: Segment(f"  ← {upstream}".rstrip(), "gradient")}
    lines: list[list[Segment]] = []
    for row in range(rows):
        index, part = divmod(row, 3)
        if part == 1:
            first = wire
        else:
            first = Segment(("  " + left[index][part // 2]).ljust(left_width),
                            "gradient" if part else "value")
        last = right.get(row)
        if last is None:  # the box ends the line: no trailing blanks after it
            lines.append([first, Segment(box[row].rstrip(), "node")])
        else:
            lines.append([first, Segment(box[row], "node"), last])
    return lines


@functools.lru_cache(maxsize=1024)
def _box_rows(node: str, rows: int, middle: int) -> tuple[str, ...]:
    """The node's box, row by row: wires enter on every third row, the output leaves mid-way."""
    inner = len(node) + 2
    out = []
    for row in range(rows):
        wired = row % 3 == 1
        right = "├" if row == middle else "│"
        if row == 0 and not wired:
            out.append("┌" + "─" * inner + "┐")
        elif row == rows - 1 and not wired:
            out.append("└" + "─" * inner + "┘")
        else:
            body = f" {node} " if row == middle else " " * inner
            out.append(("┤" if wired else "│") + body + right)
    return tuple(out)


def _strip(line: list[Segment]) -> list[Segment]:
    last = line[-1]
    return [*line[:-1], Segment(last.text.rstrip(), last.style)]


def plain(lines: list[list[Segment]]) -> str:
    """The drawing as plain text."""
    return "\n".join("".join(seg.text for seg in line) for line in lines)


# --- circuits: a layout on a character grid, drawn as text here and as SVG in the sheets ---


@dataclass(frozen=True)
class Box:
    """A node's box on the grid: top-left corner, size, its line, and its port rows."""

    name: str
    text: str
    x: int
    y: int
    width: int
    height: int
    ports: tuple[tuple[str, int], ...]  # (source, row) for each input port, top to bottom

    def port(self, name: str) -> int | None:
        """The row where ``name``'s wire enters, if it does."""
        return next((row for source, row in self.ports if source == name), None)

    @property
    def out(self) -> tuple[int, int]:
        """Where the output wire leaves (right edge, middle row)."""
        return self.x + self.width - 1, self.y + self.height // 2


class Label(NamedTuple):
    """A value (above a wire) or a gradient (below it) at a grid position."""

    x: int
    y: int
    text: str
    style: str


@dataclass(frozen=True)
class Layout:
    """A circuit on a grid: boxes, wires as polylines, labels, and the grid's size."""

    boxes: tuple[Box, ...]
    wires: tuple[tuple[tuple[int, int], ...], ...]
    labels: tuple[Label, ...]
    width: int
    height: int


def circuit_layout(inputs: list[str], steps: list[tuple[str, str, list[str]]],
                   values: dict[str, str], gradients: dict[str, str], sep: str = " = "
                   ) -> Layout:
    """Lay a circuit out left to right by depth; ``steps`` are (name, line, operands).

    Values ride above each wire and gradients below it, as in the CS231n notes; a wire that
    skips a column runs in a lane under the boxes. ``sep`` joins a name and its value
    (': ' where the value is a shape).
    """
    names = [*inputs, *(s[0] for s in steps)]
    gap = max(max(len(f"{n}{sep}{values.get(n, '')}"), len(f"← {gradients.get(n, '')}"))
              for n in names) + 6
    boxes, wires, anchors, width, height = _geometry(
        tuple(inputs), tuple((n, line, tuple(ops)) for n, line, ops in steps), gap)
    labels = []
    for name, (x, y) in anchors:
        labels.append(Label(x, y - 1, f"{name}{sep}{values.get(name, '')}", "value"))
        if gradients.get(name):
            labels.append(Label(x, y + 1, f"← {gradients[name]}", "gradient"))
    return Layout(boxes, wires, tuple(labels), width, height)


@functools.lru_cache(maxsize=512)
def _geometry(inputs: tuple[str, ...], steps: tuple[tuple[str, str, tuple[str, ...]], ...],
              gap: int) -> tuple[tuple[Box, ...], tuple[tuple[tuple[int, int], ...], ...],
                                 tuple[tuple[str, tuple[int, int]], ...], int, int]:
    """Boxes, wires, where each value's labels go, and the size, for a column gap."""
    depth = dict.fromkeys(inputs, 0)
    for name, _, operands in steps:
        depth[name] = 1 + max((depth[o] for o in operands), default=0)
    columns: dict[int, list[str]] = {}
    for name in [*inputs, *(s[0] for s in steps)]:
        columns.setdefault(depth[name], []).append(name)
    line_of = {name: line for name, line, _ in steps}
    operands_of = {name: ops for name, _, ops in steps}
    x, boxes = 0, {}
    for col in sorted(columns):
        width = 0
        y = 0
        for name in columns[col]:
            if col == 0:
                boxes[name] = Box(name, "", x, y, 1, 3, ())
                y += 4
                width = max(width, 1)
                continue
            ops = sorted(operands_of[name], key=lambda op: boxes[op].out[1] if boxes[op].text
                         else boxes[op].y + 1)  # ports in the order of their sources' rows
            height = max(3, len(ops) + 2)
            text = f" {line_of[name]} "
            ports = {op: y + 1 + i for i, op in enumerate(ops)} if len(ops) > 1 else {
                ops[0]: y + height // 2} if ops else {}
            boxes[name] = Box(name, text, x, y, len(text) + 2, height, tuple(ports.items()))
            y += height + 1
            width = max(width, len(text) + 2)
        x += width + gap
    total_height = max(b.y + b.height for b in boxes.values()) + 1
    lane = total_height
    wires, anchors = [], []
    for name, box in boxes.items():
        sx, sy = (box.x, box.y + 1) if not box.text else box.out
        users = [b for b in boxes.values() if b.port(name) is not None]
        right = sx + 1
        if users or name == steps[-1][0]:
            anchors.append((name, (right + 1, sy)))
        if not users:
            wires.append(((sx, sy), (right + gap - 2, sy)))
        for target in users:
            ty = target.port(name)
            assert ty is not None
            turn = (target.x - 1 - len(target.ports)
                    + [source for source, _ in target.ports].index(name))
            if depth[target.name] == depth[name] + 1:
                wires.append(((sx, sy), (turn, sy), (turn, ty), (target.x, ty)))
            else:
                lane += 1
                out = right + gap - 4
                wires.append(((sx, sy), (out, sy), (out, lane), (turn, lane), (turn, ty),
                              (target.x, ty)))
    height = max(lane + 1, total_height)
    width = max(b.x + b.width for b in boxes.values()) + gap
    return (tuple(b for b in boxes.values() if b.text), tuple(wires), tuple(anchors), width,
            height)


_JOIN = {("─", "│"): "┼", ("│", "─"): "┼"}
_TEE = {("─", "┐"): "┬", ("─", "┌"): "┬", ("─", "┘"): "┴", ("─", "└"): "┴",
        ("│", "┌"): "├", ("│", "└"): "├", ("│", "┐"): "┤", ("│", "┘"): "┤"}


def layout_lines(layout: Layout) -> list[list[Segment]]:
    """A layout drawn with box-drawing characters, as styled lines."""
    lines = []
    for text, marks in zip(*_grid(layout, styled=True), strict=True):
        segments = [Segment(text[m.start():m.end()], _STYLE_NAME[m.group()[0]])
                    for m in _RUNS.finditer(marks)]
        lines.append(_strip(segments))
    while lines and not "".join(s.text for s in lines[-1]).strip():
        lines.pop()
    return lines


def layout_text(layout: Layout) -> str:
    """A layout drawn with box-drawing characters, as plain text (the same as ``plain``)."""
    rows = [row.rstrip() for row in _grid(layout, styled=False)[0]]
    while rows and not rows[-1]:
        rows.pop()
    return "\n".join(rows)


def _grid(layout: Layout, styled: bool) -> tuple[list[str], list[str]]:
    """The layout's rows (and, if ``styled``, their style codes): labels on the skeleton.

    A label goes where the skeleton is blank; it is written in one piece when its whole
    span is blank (as it nearly always is), else character by character around the lines.
    """
    rows, marks = _skeleton(layout)
    text, style = list(rows), list(marks) if styled else []
    for label in layout.labels:
        y, x = label.y, label.x
        if not 0 <= y < layout.height:
            continue
        end = min(x + len(label.text), layout.width)
        row = text[y]
        span = row[x:end]
        if not span.strip(" "):
            text[y] = row[:x] + label.text[:end - x] + row[end:]
            if styled:
                style[y] = style[y][:x] + _STYLE_CODE[label.style] * (end - x) + style[y][end:]
            continue
        chars, codes = list(row), list(style[y]) if styled else []
        for at in range(x, end):
            if chars[at] == " ":
                chars[at] = label.text[at - x]
                if styled:
                    codes[at] = _STYLE_CODE[label.style]
        text[y] = "".join(chars)
        if styled:
            style[y] = "".join(codes)
    return text, style


_STYLE_CODE = {"": " ", "wire": "w", "node": "n", "value": "v", "gradient": "g"}
_STYLE_NAME = {code: name for name, code in _STYLE_CODE.items()}
_RUNS = re.compile(r"(.)\1*", re.S)


T = TypeVar("T")
_BY_GEOMETRY: dict[tuple[int, object], tuple[object, object]] = {}


def by_geometry(layout: Layout, kind: object, make: Callable[[Layout], T]) -> T:
    """``make(layout)`` for what depends only on a layout's geometry, remembered.

    Layouts of one circuit with the same column gap share their boxes and wires (the same
    tuples, see :func:`_geometry`), so what is drawn from them alone is drawn once.
    """
    return by_identity(_BY_GEOMETRY, layout.boxes, lambda: make(layout), kind, limit=1024)


def _skeleton(layout: Layout) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A layout's wires and boxes as rows of text and of style codes (remembered)."""
    return by_geometry(layout, "skeleton", lambda _: _draw_skeleton(
        layout.boxes, layout.wires, layout.width, layout.height))


def _draw_skeleton(boxes: tuple[Box, ...], wires: tuple[tuple[tuple[int, int], ...], ...],
                   width: int, height: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The wires and boxes as rows of text and of style codes."""
    grid = [[" "] * width for _ in range(height)]
    style = [[" "] * width for _ in range(height)]

    def put(x: int, y: int, ch: str) -> None:
        if 0 <= y < height and 0 <= x < width:
            old = grid[y][x]
            grid[y][x] = _JOIN.get((old, ch), ch) if old in "─│" else ch
            style[y][x] = "w"

    paths = [[p for i, p in enumerate(raw) if i == 0 or p != raw[i - 1]] for raw in wires]
    for wire in paths:
        bends = set(wire[1:-1])
        for (x1, y1), (x2, y2) in itertools.pairwise(wire):
            cells = ([(x, y1) for x in range(min(x1, x2), max(x1, x2) + 1)] if y1 == y2
                     else [(x1, y) for y in range(min(y1, y2), max(y1, y2) + 1)])
            for x, y in cells:
                if (x, y) not in bends:
                    put(x, y, "─" if y1 == y2 else "│")
    for wire in paths:
        for index in range(1, len(wire) - 1):
            (px, py), (cx, cy), (nx, ny) = wire[index - 1], wire[index], wire[index + 1]
            corner = _corner(px - cx, py - cy, nx - cx, ny - cy)
            grid[cy][cx] = _TEE.get((grid[cy][cx], corner), corner)
    for box in boxes:
        for y in range(box.y, box.y + box.height):
            for x in range(box.x, box.x + box.width):
                edge_top, edge_bottom = y == box.y, y == box.y + box.height - 1
                left, right = x == box.x, x == box.x + box.width - 1
                ch = " "
                if edge_top:
                    ch = "┌" if left else "┐" if right else "─"
                elif edge_bottom:
                    ch = "└" if left else "┘" if right else "─"
                elif left:
                    ch = "┤" if any(row == y for _, row in box.ports) else "│"
                elif right:
                    ch = "├" if (x, y) == box.out else "│"
                grid[y][x] = ch
                style[y][x] = "n"
        mid = box.y + box.height // 2
        for offset, ch in enumerate(box.text):
            grid[mid][box.x + 1 + offset] = ch
    return tuple(map("".join, grid)), tuple(map("".join, style))


def _corner(dx1: int, dy1: int, dx2: int, dy2: int) -> str:
    """The box-drawing corner joining the directions towards two neighbours."""
    dirs = {("l" if dx < 0 else "r") if dx else ("u" if dy < 0 else "d")
            for dx, dy in ((dx1, dy1), (dx2, dy2))}
    return {frozenset("lu"): "┘", frozenset("ld"): "┐", frozenset("ru"): "└",
            frozenset("rd"): "┌", frozenset("lr"): "─", frozenset("ud"): "│"}.get(
        frozenset(dirs), "┼")
