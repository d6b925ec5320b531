"""The network kind: a circuit of arrays (layers, a loss), the gradient of each asked value."""

from __future__ import annotations

from typing import Any

from quizgrad.bank.arrays import read_network
from quizgrad.bank.templates import NetworkTemplate
from quizgrad.formats.drawing import layout_lines, layout_text
from quizgrad.items.network import (
    CANDIDATES,
    NetworkItem,
    network_draw,
    network_from_json,
    network_json,
)
from quizgrad.kinds.base import Figure
from quizgrad.kinds.matrix import ArrayKind


class NetworkKind(ArrayKind):
    """Layers of arrays; a mistake is named with the layer that makes it."""

    type = "network"
    template = NetworkTemplate
    item = NetworkItem
    keys = ArrayKind.keys | {"circuit"}
    required = ("circuit", "inputs")
    prompt = ("The circuit {circuit} stored {inputs} in the forward pass, and its output "
              "{output} receives the upstream gradient {upstream}. What gradient arrives at "
              "{wires}? Each has the shape of its value.")

    def read(self, reader: Any, data: Any, tid: str, common: dict[str, Any]) -> NetworkTemplate:
        """circuit (one layer a line), inputs, upstream, ask, labels."""
        return read_network(reader, data, tid, common)

    def variant(self, template: NetworkTemplate, stream: Any) -> NetworkItem:
        """The best of a few draws."""
        return network_draw(template, stream)[0]

    def search(self, template: NetworkTemplate, stream: Any, attempts: int
               ) -> tuple[NetworkItem, int]:
        """The best of up to ``attempts`` draws (at most CANDIDATES) and the draws it took."""
        return network_draw(template, stream, min(attempts, CANDIDATES))

    def text(self, item: NetworkItem) -> str:
        """The circuit as text, the asked values marked."""
        return layout_text(item.layout(reveal=False))

    def svg(self, item: NetworkItem) -> str:
        """The circuit as SVG."""
        from quizgrad.formats.sheets import layout_svg

        return layout_svg(item.layout(reveal=False), item.network.text)

    def more_arrays(self, item: NetworkItem) -> str:
        """The class indices beside the arrays."""
        from quizgrad.formats.sheets import escape

        return "".join(f'<div class="array"><span>{escape(n)} = {escape(text)}</span></div>'
                       for n, text in item.shown() if n not in item.inputs)

    def framed(self, item: NetworkItem, reveal: bool, arrays: tuple[tuple[str, str, bool], ...]
               ) -> Figure:
        """The circuit, or layer by layer when the terminal is narrower than the drawing."""
        layout = item.layout(reveal)
        return Figure(layout_lines(layout), layout.width, tuple(item.lines()), arrays)

    def to_json(self, item: NetworkItem, mistakes: bool) -> dict[str, Any]:
        """The circuit, shapes, exact arrays, every value, answers and mistakes."""
        from quizgrad.formats.keyfile import mistakes_json

        data = network_json(item)
        data["mistakes"] = mistakes_json(item) if mistakes else None
        return data

    def from_json(self, data: dict[str, Any], common: dict[str, Any]) -> NetworkItem:
        """The circuit evaluated again at the stored arrays (and checked)."""
        return network_from_json(data, common)

    def verify(self, template: Any, item: NetworkItem, summary: Any) -> float:
        """Every entry of every input's gradient against a finite difference."""
        from quizgrad.bank.check import verify_network

        return verify_network(template, item, summary)

    def hidden(self, item: NetworkItem) -> frozenset[tuple[str, str]]:
        """The faults that give the right answer at this draw."""
        return item.hidden()

    def arrays(self, item: NetworkItem) -> tuple[dict[str, Any], dict[str, Any]]:
        """Every value and G; the circuit's class labels."""
        return {**item.point.values, "G": item.upstream}, dict(item.network.labels)
