"""The network kind: a circuit of arrays (layers, a loss), the gradient of each asked value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quizgrad.bank.arrays import read_network
from quizgrad.bank.templates import NetworkTemplate
from quizgrad.formats.drawing import layout_lines, layout_text
from quizgrad.items.network import CANDIDATES, NetworkItem, network_draw
from quizgrad.kinds.base import Figure
from quizgrad.kinds.matrix import ArrayKind

if TYPE_CHECKING:
    from quizgrad.bank.arrays import Reader


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

    def read(self, reader: Reader, data: Any, tid: str, common: dict[str, Any]) -> NetworkTemplate:
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

    def formula(self, item: NetworkItem) -> tuple[str, str]:
        """The circuit, one layer after another."""
        return "circuit", "; ".join(layer.line for layer in item.network.layers)

    def labels(self, item: NetworkItem) -> tuple[tuple[str, tuple[int, ...]], ...]:
        """The circuit's class indices."""
        return item.network.labels

    def computed(self, item: NetworkItem, numbers: Any) -> dict[str, Any]:
        """Every layer's value."""
        return {"values": {layer.name: numbers(item.point.values[layer.name])
                           for layer in item.network.layers}}

    def rebuilt(self, data: dict[str, Any], shapes: dict[str, Any], labels: dict[str, Any],
                inputs: dict[str, Any], upstream: Any, ask: tuple[str, ...]) -> dict[str, Any]:
        """The circuit and its point (each stored answer within 1e-9 of the engine's)."""
        from quizgrad.math.matrix_eval import exact_array
        from quizgrad.math.network import evaluate, parse_network

        network = parse_network(data["circuit"], shapes, labels)
        point = evaluate(network, inputs, exact_array(upstream, network.shapes[network.output]))
        self.asked_among(data, ask, network.names, f"values of {network.text}")
        for name, stored in data.get("answer", {}).items():
            computed = point.gradients[name]
            flat = _flat(stored)
            if len(flat) != len(computed.entries) or not all(
                    abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
                    for a, b in zip(flat, computed.entries, strict=True)):
                raise ValueError(f"item {data['id']}: the stored answer for {name} is not "
                                 "what the engine gives; was the key edited?")
        return {"network": network, "point": point}

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


def _flat(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [e for v in value for e in _flat(v)]
    return [value]
