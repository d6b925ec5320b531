"""The node kind (``type: wire``): the gradient a node sends back on each asked wire.

Also :class:`WiresKind`, what the node and the circuit share: numbers asked by name,
judged against the catalog's predictions, exported as numerical questions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp

from quizgrad.bank.templates import NumberSpec, WireTemplate
from quizgrad.formats.drawing import WireLabel, circuit, plain
from quizgrad.grading.judge import Part, wire_parts
from quizgrad.grading.response import read_number
from quizgrad.items.base import WireItem, draw_wire, profile_of, wire_draw
from quizgrad.kinds.base import Figure, Kind
from quizgrad.math.numeric import fmt, json_number

if TYPE_CHECKING:
    from quizgrad.bank.arrays import Reader


class WiresKind(Kind):
    """Items whose answer is a number per asked wire or value."""

    draws = True
    verb = "sent"
    what = "wire"  # how a question names one asked part

    @staticmethod
    def upstream(reader: Reader, data: Any, tid: str) -> NumberSpec:
        """How the upstream gradient is drawn (1 unless the bank says)."""
        if "upstream" not in data:
            return NumberSpec("fixed", (sp.S.One,))
        return reader.number_spec(data["upstream"], data.line_of("upstream"),
                                  f"{tid}.upstream")

    @staticmethod
    def kinks(reader: Reader, data: Any, tid: str) -> bool:
        """Whether draws may sit on a kink (allow_kinks)."""
        return reader.optional(data, "allow_kinks", False, reader.flag,
                               f"{tid}.allow_kinks")

    def asked(self, item: Any) -> tuple[str, ...]:
        """Every asked wire, each answered at its own prompt when there are several."""
        return item.ask if len(item.ask) > 1 else ()

    def label(self, item: Any, name: str | None) -> str:
        """'wire x'."""
        return f"wire {name if name is not None else item.ask[0]}"

    def unreadable(self, item: Any, raw: str, label: str) -> str | None:
        """A number is wanted."""
        reading = read_number(raw)
        return None if reading.ok else reading.message or "cannot read that"

    def parts(self, item: Any, answer: Any) -> tuple[tuple[Part, ...], tuple[str, ...]]:
        """A part per wire (see :func:`quizgrad.grading.judge.wire_parts`)."""
        return wire_parts(item, answer, self.found)

    def found(self, item: Any, name: str, value: float) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The mistakes that predict ``value`` on ``name``, and where (() when not placed)."""
        return item.matching(name, value), ()

    def feedback(self, item: Any, judgement: Any, lines: list[str]) -> list[str]:
        """The parts, and a word on sending one value everywhere."""
        if "same-gradient" in judgement.mistakes:
            lines.append("You sent the same value on every wire, but each wire gets the "
                         "upstream gradient times its own local gradient.")
        return lines

    def questions(self, item: Any, name: str, category: str, prompt: str, general: str
                  ) -> list[Any]:
        """A numerical question per asked wire, each mistake's value with its feedback."""
        from quizgrad.formats.export import numerical

        return numerical(self, item, name, category, prompt, general)

    def entry(self, item: Any) -> tuple[str, tuple[Any, ...]]:
        """A number per wire."""
        return "wires", item.ask

    def check(self, template: Any, summary: Any, samples: int) -> float:
        """Samples drawn as generate draws them, each verified."""
        from quizgrad.bank.check import check_drawn

        return check_drawn(self, template, summary, samples if template.randomized else 1)

    def sample_answer(self, test: Any, item: Any) -> object:
        """Formulas in the stored values, g (upstream) and f (output)."""
        from quizgrad.bank.check import number_answer

        return number_answer(test, item, self.environment(item))

    def environment(self, item: Any) -> dict[str, object]:
        """The names a test's formula may use."""
        env: dict[str, object] = {"upstream": item.upstream, "output": item.point.output}
        env.update({"g": item.upstream, "f": item.point.output})
        return env


class WireKind(WiresKind):
    """A node f(x1..xn) and the gradients it sends back on its wires."""

    type = "wire"
    template = WireTemplate
    item = WireItem
    keys = frozenset({"node", "inputs", "upstream", "ask", "allow_kinks"})
    required = ("node", "inputs")
    prompt = ("The node f = {node} stored {inputs} in the forward pass and now receives the "
              "upstream gradient {upstream}. What gradient does it send back on {wires}?")
    cost = 1

    def read(self, reader: Reader, data: Any, tid: str, common: dict[str, Any]) -> WireTemplate:
        """node, inputs, upstream, ask, allow_kinks."""
        specs = reader.names(data, tid, specs=True)
        node = reader.node(data, tid, specs)
        upstream = self.upstream(reader, data, tid)
        ask = reader.ask(data, tid, specs, default=tuple(specs))
        names = {*specs, "node", "upstream", "inputs", "wires"} | (
            set() if "g" in specs else {"g"})
        reader.placeholders(common["prompt"], names, data, tid)
        return WireTemplate(**common, node=node, inputs=tuple(specs.items()),
                            upstream=upstream, ask=ask, allow_kinks=self.kinks(reader, data, tid))

    def variant(self, template: WireTemplate, stream: Any) -> WireItem:
        """A discriminating draw."""
        return draw_wire(template, stream)

    def search(self, template: WireTemplate, stream: Any, attempts: int
               ) -> tuple[WireItem, int]:
        """A discriminating draw and the draws it took."""
        return wire_draw(template, stream, attempts)

    def profile(self, template: WireTemplate) -> Any:
        """The regimes and answers the node's draws reach."""
        return profile_of(template)

    def hint(self, item: WireItem) -> str:
        """The local gradients, left to evaluate."""
        parts = [f"df/d{w} = {item.plan.local_text[w]}" for w in item.ask]
        return (f"The local gradient: {'; '.join(parts)}. Evaluate it at the stored inputs and "
                f"multiply by the upstream gradient {fmt(item.upstream)}.")

    def working(self, item: WireItem, part: Part, mistake: str) -> str | None:
        """'That is 2 × 12 = 24' when the mistake's working can be shown."""
        if part.wire is None or part.value is None:
            return None
        for prediction in item.point.predictions.get(part.wire, ()):
            if prediction.mistake == mistake and item.tolerance.accepts(part.value,
                                                                         prediction.value):
                working = item.plan.working(prediction, item.point)
                return f"That is {working} = {fmt(prediction.value)}" if working else None
        return None

    def right_answer(self, item: WireItem, part: Part) -> str:
        """The local gradient times the upstream gradient."""
        from quizgrad.grading.feedback import wire_solution

        return wire_solution(item, part.wire) if part.wire is not None else ""

    def solution(self, item: WireItem) -> list[str]:
        """The forward value, then each wire."""
        from quizgrad.grading.feedback import wire_solution

        return [f"Forward value f = {fmt(item.point.output)}; upstream gradient "
                f"{fmt(item.upstream)}."] + [wire_solution(item, w) for w in item.ask]

    def to_json(self, item: WireItem, mistakes: bool) -> dict[str, Any]:
        """The node, its stored numbers, local gradients and answers (exact and rounded)."""
        from quizgrad.formats.keyfile import mistakes_json, number

        point = item.point
        data = {
            "node": item.node.text,
            "inputs": {n: json_number(v) for n, v in point.inputs.items()},
            "inputs_exact": {n: str(v) for n, v in point.inputs.items()},
            "upstream": json_number(point.upstream),
            "upstream_exact": str(point.upstream),
            "output": number(point.output),
            "ask": list(item.ask),
            "local": {w: item.plan.local_text[w] for w in item.ask},
            "answer": {w: number(point.gradient[w]) for w in item.ask},
            "answer_exact": {w: item.exact(w) for w in item.ask},
            "mistakes": mistakes_json(item) if mistakes else None,
        }
        if item.allow_kinks:
            data["allow_kinks"] = True
        return data

    def from_json(self, data: dict[str, Any], common: dict[str, Any]) -> WireItem:
        """The node evaluated again at the stored exact numbers (and checked)."""
        from quizgrad.formats.keyfile import fraction, verify
        from quizgrad.math.engine import Node
        from quizgrad.math.plan import plan_for

        inputs = {str(k): fraction(v) for k, v in data["inputs_exact"].items()}
        node = Node.parse(data["node"], inputs)
        ask = tuple(data["ask"])
        point = plan_for(node, ask).evaluate(inputs, fraction(data["upstream_exact"]),
                                             exact=False)
        verify(data, point.gradient)
        return WireItem(**common, node=node, ask=ask, point=point,
                        allow_kinks=bool(data.get("allow_kinks", False)))

    def mistakes_text(self, item: WireItem) -> str:
        """Written from the plan's remembered layout (the key is mostly these)."""
        from quizgrad.formats.keytext import wire_mistakes_text

        return wire_mistakes_text(item)

    def markdown(self, item: WireItem) -> list[str]:
        """The node drawn as text, then a blank per wire."""
        labels = [WireLabel(n, fmt(v), "?" if n in item.ask else "")
                  for n, v in item.inputs.items()]
        drawing = plain(circuit(item.node.text, labels, fmt(item.point.output),
                                fmt(item.upstream)))
        return ["```text", drawing, "```", "", *(f"- wire {w}: ______" for w in item.ask)]

    def html(self, item: WireItem) -> str:
        """The node as SVG, then a blank per wire."""
        from quizgrad.formats.sheets import blanks, node_svg

        return node_svg(item) + blanks(f"wire {w}" for w in item.ask)

    def figure(self, item: WireItem, reveal: bool) -> Figure:
        """The node with the asked wires marked, or with every gradient."""
        if reveal:
            gradients = item.every_gradient()
            labels = [WireLabel(n, fmt(v), fmt(gradients[n])) for n, v in item.inputs.items()]
        else:
            labels = [WireLabel(n, fmt(v), "?" if n in item.ask else "")
                      for n, v in item.inputs.items()]
        return Figure(circuit(item.node.text, labels, fmt(item.point.output),
                              fmt(item.upstream)))

    def verify(self, template: Any, item: WireItem, summary: Any) -> float:
        """Each local gradient against a central difference."""
        from quizgrad.bank.check import verify_wire

        return verify_wire(template, item, summary)

    def environment(self, item: WireItem) -> dict[str, object]:
        """g, f and the stored inputs."""
        return {**super().environment(item), **item.inputs}
