"""Problem sheets: Markdown, and self-contained HTML with each node drawn as an inline SVG.

The HTML carries its own CSS (no external files, fonts or scripts) and prints cleanly:
items are not split across pages and the answer blanks are visible on paper. Every text
that comes from a bank is escaped.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from quizgrad.formats.drawing import Layout, by_geometry
from quizgrad.formats.keyfile import KeyVariant
from quizgrad.math.matrix import Array
from quizgrad.math.numeric import fmt
from quizgrad.memo import remembered
from quizgrad.registry import kind_of

if TYPE_CHECKING:
    from quizgrad.items.base import Item, WireItem
    from quizgrad.items.matrix import MatrixItem


@functools.lru_cache(maxsize=8192)
def escape(text: str) -> str:
    """``html.escape``, remembered, for the short labels and numbers a sheet repeats."""
    return html.escape(text)


def _points(points: float) -> str:
    shown = fmt(points) if points != int(points) else str(int(points))
    return f"{shown} point" + ("" if points == 1 else "s")


def _who(variant: KeyVariant) -> str:
    if variant.student is None:
        return f"Variant {variant.id}"
    name = f"{variant.name} ({variant.student})" if variant.name else variant.student
    return f"{name}, variant {variant.id}"


def markdown_sheet(variant: KeyVariant, title: str) -> str:
    """The student's sheet as Markdown."""
    return markdown_page(variant, title, [markdown_section(item, number) for number, item
                                          in enumerate(variant.items, start=1)])


def markdown_page(variant: KeyVariant, title: str, sections: list[str]) -> str:
    """The Markdown sheet around its items' sections (:func:`markdown_section`, in order)."""
    lines = [f"# {title}", "", f"**{_who(variant)}** · {len(variant.items)} items · "
             f"{_points(variant.max_points)}", "",
             "Write your answers in the answer file you were given (see its comments).", ""]
    return "\n".join(lines + sections).rstrip() + "\n"


def markdown_section(item: Item, number: int) -> str:
    """Item ``number`` of a Markdown sheet."""
    return _cached(_MD, item, number, _markdown_section)


def html_section(item: Item, number: int) -> str:
    """Item ``number`` of an HTML sheet."""
    return _cached(_HTML, item, number, _html_section)


_MD: dict[tuple[object, ...], str] = {}
_HTML: dict[tuple[object, ...], str] = {}


def _cached(cache: dict[tuple[object, ...], str], item: Item, number: int,
            make: Callable[[Item, int], str]) -> str:
    """An item's section of a sheet, made once per item and place (a class repeats items).

    Only items that may well come back are remembered: the others would only fill memory
    (a worker grew by about 300 kB a student when every item was kept).
    """
    if not item.repeats:
        return make(item, number)
    return remembered(cache, (item.key, number), lambda: make(item, number))


def _markdown_section(item: Item, number: int) -> str:
    return "\n".join([f"## {number}. {item.title} ({_points(item.points)})", "", item.prompt,
                      "", _markdown_body(item)])


def _markdown_body(item: Item) -> str:
    return "\n".join([*kind_of(item).markdown(item), ""])


def blanks(labels: Iterable[str], wide: bool = False) -> str:
    """A list of labelled blanks to write the answers in."""
    blank = '<span class="blank wide"></span>' if wide else '<span class="blank"></span>'
    rows = "".join(f"<li>{escape(label)}: {blank}</li>" for label in labels)
    return f'<ul class="answers">{rows}</ul>'


CSS = """
:root { --ink: #1a1a1a; --muted: #666; --grad: #b3261e; --line: #444; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
       max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
header { border-bottom: 2px solid var(--ink); margin-bottom: 1.5rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
.who { color: var(--muted); margin: 0 0 .75rem; }
.item { border: 1px solid #ccc; border-radius: 6px; padding: .75rem 1rem; margin: 0 0 1rem;
        break-inside: avoid; page-break-inside: avoid; }
.item h2 { font-size: 1.05rem; margin: 0 0 .4rem; }
.item h2 .pts { color: var(--muted); font-weight: normal; font-size: .9rem; }
.prompt { margin: 0 0 .5rem; }
svg.circuit { display: block; margin: .25rem 0 .5rem; max-width: 100%; height: auto; }
svg text { font: 13px ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.value { fill: var(--ink); } .gradient { fill: var(--grad); }
.node-text { fill: var(--ink); text-anchor: middle; }
svg .w { fill: none; stroke: #444; stroke-width: 1.5; }
svg .n { fill: #f4f4f4; stroke: #222; stroke-width: 1.5; }
ul.answers { list-style: none; padding: 0; margin: .25rem 0 0; }
ul.answers li { margin: .35rem 0; }
.blank { display: inline-block; min-width: 9rem; border-bottom: 1px solid var(--line);
         height: 1.2rem; vertical-align: bottom; }
.blank.wide { min-width: 16rem; }
.arrays { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; margin: .25rem 0 .5rem; }
.array { display: flex; align-items: center; gap: .4rem;
         font: 13px ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
table.matrix { border-collapse: collapse; border-left: 1.5px solid var(--ink);
               border-right: 1.5px solid var(--ink); }
table.matrix td { padding: .1rem .45rem; text-align: right; }
ol.choices { list-style: lower-alpha; margin: .25rem 0 0; }
footer { color: var(--muted); font-size: .85rem; margin-top: 2rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 12pt; }
  .item { border-color: #999; }
  a { color: inherit; text-decoration: none; }
}
"""

CHAR = 7.8  # average width of a 13px monospace character in the SVG


def node_svg(item: WireItem) -> str:
    """The node as a small circuit, an inline SVG.

    Stored values ride above the input wires and "? (wire x)" marks the asked gradients
    below them; the forward value sits on the output wire, the upstream gradient arrives
    from the right.
    """
    wires = tuple((n, f"{n} = {fmt(v)}", n in item.ask) for n, v in item.inputs.items())
    return _node_svg(item.node.text, wires, f"f = {fmt(item.point.output)}",
                     f"\u2190 {fmt(item.upstream)} (upstream)", _description(item))


def matrix_svg(item: MatrixItem) -> str:
    """A matrix node as a small circuit: shapes on the wires (the arrays follow as tables)."""
    wires = tuple((n, f"{n}: {_size(a.shape)}", n in item.ask) for n, a in item.inputs.items())
    wires += tuple((n, f"{n} = {list(v) if len(v) > 1 else v[0]}", False)
                   for n, v in item.node.labels)
    return _node_svg(item.node.text, wires, f"Y: {_size(item.point.output.shape)}",
                     "\u2190 G (upstream)", f"Matrix node Y = {item.node.text}")


def _size(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape)) if shape else "number"


def _node_svg(text: str, wires: tuple[tuple[str, str, bool], ...], out_value: str,
              upstream: str, description: str) -> str:
    labels = [label for _, label, _ in wires]
    left = max(max(len(label) for label in labels) * CHAR + 48, 140)
    right = max(len(out_value), len(upstream)) * CHAR + 40
    frame = _node_frame(text, tuple((name, asked) for name, _, asked in wires), left, right)
    return frame.format(escape(description), escape(out_value), escape(upstream),
                        *map(escape, labels))


@functools.lru_cache(maxsize=4096)
def _node_frame(text: str, wires: tuple[tuple[str, bool], ...], left: float, right: float
                ) -> str:
    """The node's SVG for one geometry, as a format string (laid out once, then shared).

    The slots: {0} the description, {1} the forward value, {2} the upstream gradient,
    {3}, {4}, ... the wires' labels.
    """

    def static(part: str) -> str:
        return escape(part).replace("{", "{{").replace("}", "}}")

    box_w = max(len(text) * CHAR + 28, 70)
    row = 56
    height = row * len(wires) + 16
    width = left + box_w + right
    box_x, box_y, box_h = left, 8, row * len(wires)
    mid = box_y + box_h / 2
    parts = [f'<svg class="circuit" role="img" width="{width:.0f}" height="{height:.0f}" '
             f'viewBox="0 0 {width:.0f} {height:.0f}" aria-label="{{0}}">']
    for index, (name, asked) in enumerate(wires):
        y = box_y + row * index + row / 2
        parts.append(f'<line class="w" x1="6" y1="{y:.1f}" x2="{box_x}" y2="{y:.1f}"/>')
        parts.append(f'<text class="value" x="12" y="{y - 7:.1f}">{{{3 + index}}}</text>')
        if asked:
            parts.append(f'<text class="gradient" x="12" y="{y + 18:.1f}">'
                         f"\u2190 ? (wire {static(name)})</text>")
    parts.append(f'<rect class="n" x="{box_x}" y="{box_y}" width="{box_w:.0f}" '
                 f'height="{box_h}" rx="8"/>')
    parts.append(f'<text class="node-text" x="{box_x + box_w / 2:.1f}" y="{mid + 4:.1f}">'
                 f'{static(text)}</text>')
    end = box_x + box_w
    parts.append(f'<line class="w" x1="{end:.1f}" y1="{mid:.1f}" x2="{width - 6:.1f}" '
                 f'y2="{mid:.1f}"/>')
    parts.append(f'<text class="value" x="{end + 12:.1f}" y="{mid - 7:.1f}">{{1}}</text>')
    parts.append(f'<text class="gradient" x="{end + 12:.1f}" y="{mid + 18:.1f}">{{2}}</text>')
    parts.append("</svg>")
    return "".join(parts)


def matrix_table(name: str, array: Array) -> str:
    """``name =`` and the array as a bracketed HTML table (a number as it is)."""
    if not array.shape:
        return (f'<div class="array"><span>{escape(name)} = '
                f"{escape(fmt(array.entries[0]))}</span></div>")
    # fmt gives a number's characters only (digits, '-', '.', 'e', inf): nothing to escape
    rows = "".join("<tr><td>" + "</td><td>".join(map(fmt, row)) + "</td></tr>"
                   for row in array.rows())
    return (f'<div class="array"><span>{escape(name)} =</span>'
            f'<table class="matrix">{rows}</table></div>')


CELL_W, CELL_H = 7.8, 17.0


def layout_svg(layout: Layout, title: str) -> str:
    """A circuit layout (see :func:`quizgrad.formats.drawing.circuit_layout`) as an inline SVG."""
    parts = [_layout_frame(layout, title)]
    for label in layout.labels:
        parts.append(f'<text class="{label.style}" x="{label.x * CELL_W:.1f}" '
                     f'y="{label.y * CELL_H + CELL_H * 0.8:.1f}">{escape(label.text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _layout_frame(layout: Layout, title: str) -> str:
    """The SVG of a layout up to its labels: the wires and boxes (drawn once per geometry)."""
    return by_geometry(layout, ("svg", title), lambda _: _draw_frame(layout, title))


def _draw_frame(layout: Layout, title: str) -> str:
    width, height = layout.width * CELL_W, layout.height * CELL_H

    def px(x: float, y: float) -> str:
        return f"{x * CELL_W + CELL_W / 2:.1f},{y * CELL_H + CELL_H / 2:.1f}"

    parts = [f'<svg class="circuit" role="img" width="{width:.0f}" height="{height:.0f}" '
             f'viewBox="0 0 {width:.0f} {height:.0f}" aria-label="{escape("Circuit " + title)}">']
    for wire in layout.wires:
        points = " ".join(px(x, y) for x, y in wire)
        parts.append(f'<polyline class="w" points="{points}"/>')
    for box in layout.boxes:
        x, y = box.x * CELL_W + CELL_W / 2, box.y * CELL_H + CELL_H / 2
        w, h = (box.width - 1) * CELL_W, (box.height - 1) * CELL_H
        parts.append(f'<rect class="n" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" '
                     f'height="{h:.1f}" rx="8"/>')
        parts.append(f'<text class="node-text" x="{x + w / 2:.1f}" '
                     f'y="{(box.y + box.height // 2) * CELL_H + CELL_H * 0.8:.1f}">'
                     f'{escape(box.text.strip())}</text>')
    return "".join(parts)


def _description(item: WireItem) -> str:
    stored = ", ".join(f"{n} = {fmt(v)}" for n, v in item.inputs.items())
    return (f"Node f = {item.node.text} with stored inputs {stored}, forward value "
            f"{fmt(item.point.output)}, receiving upstream gradient {fmt(item.upstream)}")


def _html_section(item: Item, number: int) -> str:
    return (f'<section class="item" id="{escape(item.id)}"><h2>{number}. {escape(item.title)} '
            f'<span class="pts">({_points(item.points)})</span></h2>'
            f'<p class="prompt">{html.escape(item.prompt)}</p>{_answers_html(item)}</section>')


def _answers_html(item: Item) -> str:
    return kind_of(item).html(item)


def html_sheet(variant: KeyVariant, title: str) -> str:
    """The student's sheet as one self-contained HTML page."""
    return html_page(variant, title, [html_section(item, number) for number, item
                                      in enumerate(variant.items, start=1)])


def html_page(variant: KeyVariant, title: str, sections: list[str]) -> str:
    """The HTML sheet around its items' sections (:func:`html_section`, in order)."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} \u2014 {escape(_who(variant))}</title>"
        f"<style>{CSS}</style></head><body>"
        f'<header><h1>{escape(title)}</h1><p class="who">{escape(_who(variant))} \u00b7 '
        f"{len(variant.items)} items \u00b7 {_points(variant.max_points)}</p></header>"
        f'<main>{"".join(sections)}</main>'
        "<footer>Write your answers in the answer file you were given. Gradients ride below "
        "the wires (red), values above them; the upstream gradient arrives from the right."
        "</footer></body></html>\n")
