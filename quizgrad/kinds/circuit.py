"""The circuit kind: scalar nodes wired together, the gradient arriving at each asked value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quizgrad.bank.arrays import circuit_text
from quizgrad.bank.templates import CircuitTemplate
from quizgrad.formats.drawing import layout_lines, layout_text
from quizgrad.grading.judge import Part
from quizgrad.items.circuit import CircuitItem, circuit_draw, layout_for, profile_of
from quizgrad.kinds.base import Figure
from quizgrad.kinds.node import WiresKind
from quizgrad.math.circuit import parse_circuit
from quizgrad.math.numeric import json_number

if TYPE_CHECKING:
    from quizgrad.bank.arrays import Reader


class CircuitKind(WiresKind):
    """A circuit of scalar nodes; mistakes are placed at the node that makes them."""

    type = "circuit"
    template = CircuitTemplate
    item = CircuitItem
    keys = frozenset({"circuit", "inputs", "upstream", "ask", "allow_kinks"})
    required = ("circuit", "inputs")
    prompt = ("The circuit {circuit} stored {inputs} in the forward pass, and its output "
              "{output} receives the upstream gradient {upstream}. What gradient arrives at "
              "{wires}?")
    cost = 2
    what = "value"

    def read(self, reader: Reader, data: Any, tid: str, common: dict[str, Any]) -> CircuitTemplate:
        """circuit, inputs, upstream, ask, allow_kinks."""
        specs = reader.names(data, tid, specs=True)
        text = circuit_text(reader, data, tid)
        circuit = reader.parsed(lambda: parse_circuit(text, tuple(specs)),
                                data.line_of("circuit"), f"{tid}.circuit")
        upstream = self.upstream(reader, data, tid)
        ask = reader.ask(data, tid, circuit.names, default=tuple(specs))
        names = {*specs, "circuit", "upstream", "inputs", "wires", "output"} | (
            set() if "g" in specs else {"g"})
        reader.placeholders(common["prompt"], names, data, tid)
        return CircuitTemplate(**common, circuit=circuit, inputs=tuple(specs.items()),
                               upstream=upstream, ask=ask,
                               allow_kinks=self.kinks(reader, data, tid))

    def variant(self, template: CircuitTemplate, stream: Any) -> CircuitItem:
        """A discriminating draw."""
        return circuit_draw(template, stream)[0]

    def search(self, template: CircuitTemplate, stream: Any, attempts: int
               ) -> tuple[CircuitItem, int]:
        """A discriminating draw and the draws it took."""
        return circuit_draw(template, stream, attempts)

    def profile(self, template: CircuitTemplate) -> Any:
        """The regimes and answers the circuit's draws reach."""
        return profile_of(template)

    def found(self, item: CircuitItem, name: str, value: float
              ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The mistakes that predict ``value``, each with the node that makes it."""
        found = item.matching(name, value)
        return tuple(m for m, _ in found), tuple(w for _, w in found)

    def hint(self, item: CircuitItem) -> str:
        """Node by node, sums at fan-outs."""
        return ("Go backwards node by node: each node multiplies the gradient it receives by its "
                "local gradients, and a value that feeds several nodes adds up what they send.")

    def right_answer(self, item: CircuitItem, part: Part) -> str:
        """What each node using the value sends back, summed."""
        from quizgrad.grading.feedback import circuit_solution

        return circuit_solution(item, part.wire) if part.wire is not None else ""

    def solution(self, item: CircuitItem) -> list[str]:
        """The backward pass step by step."""
        from quizgrad.grading.feedback import backward_steps

        return backward_steps(item)

    def to_json(self, item: CircuitItem, mistakes: bool) -> dict[str, Any]:
        """The circuit, its stored numbers, every value and the answers."""
        from quizgrad.formats.keyfile import mistakes_json, number

        point = item.point
        return {
            "circuit": "; ".join(s.line for s in item.circuit.steps),
            "inputs": {n: json_number(v) for n, v in point.inputs.items()},
            "inputs_exact": {n: str(v) for n, v in point.inputs.items()},
            "upstream": json_number(point.upstream),
            "upstream_exact": str(point.upstream),
            "values": {n: number(point.values[n]) for n in item.circuit.names
                       if n not in point.inputs},
            "output": number(point.output),
            "ask": list(item.ask),
            "answer": {n: number(point.gradients[n]) for n in item.ask},
            "answer_exact": {n: item.exact(n) for n in item.ask},
            "mistakes": mistakes_json(item) if mistakes else None,
        }

    def from_json(self, data: dict[str, Any], common: dict[str, Any]) -> CircuitItem:
        """The circuit evaluated again at the stored exact numbers (and checked)."""
        from quizgrad.formats.keyfile import fraction, verify
        from quizgrad.math.circuit import evaluate, parse_circuit

        inputs = {str(k): fraction(v) for k, v in data["inputs_exact"].items()}
        circuit = parse_circuit(data["circuit"], tuple(inputs))
        point = evaluate(circuit, inputs, fraction(data["upstream_exact"]))
        verify(data, {n: point.gradients[n] for n in data["ask"]})
        return CircuitItem(**common, circuit=circuit, ask=tuple(data["ask"]), point=point)

    def markdown(self, item: CircuitItem) -> list[str]:
        """The circuit drawn as text, then a blank per asked value."""
        return ["```text", layout_text(item.blank_layout), "```", "",
                *(f"- gradient at {name}: ______" for name in item.ask)]

    def html(self, item: CircuitItem) -> str:
        """The circuit as SVG, then a blank per asked value."""
        from quizgrad.formats.sheets import blanks, layout_svg

        return (layout_svg(item.blank_layout, item.circuit.text)
                + blanks(f"gradient at {w}" for w in item.ask))

    def figure(self, item: CircuitItem, reveal: bool) -> Figure:
        """The circuit with the asked values marked, or with every gradient."""
        layout = layout_for(item.circuit, item.point) if reveal else item.blank_layout
        return Figure(layout_lines(layout))

    def verify(self, template: Any, item: CircuitItem, summary: Any) -> float:
        """Every gradient against a finite difference of the composed output."""
        from quizgrad.bank.check import verify_circuit

        return verify_circuit(template, item, summary)

    def environment(self, item: CircuitItem) -> dict[str, object]:
        """g, f, every value of the circuit and the stored inputs."""
        return {**super().environment(item), **item.point.values, **item.inputs}
