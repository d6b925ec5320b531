"""The matrix kind: one node on arrays (Y = X @ W, bias, relu...), the gradient of each input.

Also :class:`ArrayKind`, what every kind answered in arrays shares (networks are one).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from quizgrad.bank.arrays import read_matrix
from quizgrad.bank.templates import MatrixTemplate
from quizgrad.formats.drawing import WireLabel, circuit, plain
from quizgrad.grading.judge import Part, array_parts
from quizgrad.grading.response_array import read_array
from quizgrad.items.matrix import ArrayItem, MatrixItem, matrix_draw, profile_of, show
from quizgrad.items.network import size
from quizgrad.kinds.base import Figure, Kind

if TYPE_CHECKING:
    from quizgrad.bank.arrays import Reader


class ArrayKind(Kind):
    """Items whose answer is an array per asked input, shaped like the input."""

    draws = True
    verb = "sent"
    keys = frozenset({"inputs", "upstream", "ask", "allow_kinks"})

    def schema(self, table: dict[str, Any]) -> dict[str, Any]:
        """Arrays (or shapes) for the inputs and the upstream gradient."""
        return {**super().schema(table), "inputs": table["array inputs"],
                "upstream": table["array"]}

    def asked(self, item: ArrayItem) -> tuple[str, ...]:
        """Every asked input, each answered at its own prompt when there are several."""
        return item.ask if len(item.ask) > 1 else ()

    def label(self, item: ArrayItem, name: str | None) -> str:
        """'gradient of W (3×2)'."""
        name = name if name is not None else item.ask[0]
        return f"gradient of {name} ({size(item.shape(name))})"

    def unreadable(self, item: ArrayItem, raw: str, label: str) -> str | None:
        """An array is wanted, of the input's shape (unless a mistake explains the shape)."""
        reading = read_array(raw)
        name = next((n for n in item.ask if label.startswith(f"gradient of {n} ")), None)
        if reading.ok and name is not None:
            given = reading.value
            if given.shape != item.shape(name) and not item.matching(name, given):  # type: ignore[union-attr, arg-type]
                return item.shape_message(name, given)  # type: ignore[arg-type]
        return None if reading.ok else reading.message or "cannot read that"

    def hint(self, item: ArrayItem) -> str:
        """The rule's shape, without the numbers."""
        return item.hint()

    def parts(self, item: ArrayItem, answer: Any) -> tuple[tuple[Part, ...], tuple[str, ...]]:
        """A part per asked input (see :func:`quizgrad.grading.judge.array_parts`)."""
        return array_parts(item, answer), ()

    def part_label(self, part: Part) -> str:
        """'W: '."""
        return f"{part.wire}: "

    def right_answer(self, item: ArrayItem, part: Part) -> str:
        """The rule and the right array."""
        from quizgrad.grading.feedback import matrix_solution

        return matrix_solution(item, part.wire) if part.wire in item.ask else ""

    def solution(self, item: ArrayItem) -> list[str]:
        """The forward pass, then each asked input's rule and array."""
        from quizgrad.grading.feedback import matrix_solution

        return [item.forward_line()] + [matrix_solution(item, n) for n in item.ask]

    def markdown(self, item: ArrayItem) -> list[str]:
        """The drawing and the arrays as text, then a blank per asked input."""
        arrays = [f"{n} = {text}" for n, text in item.shown()]
        return ["```text", self.text(item), "", *arrays,
                f"G = {show(item.upstream)}", "```", "",
                *(f"- gradient of {n} ({size(item.shape(n))}): ______" for n in item.ask)]

    def html(self, item: ArrayItem) -> str:
        """The drawing as SVG, the arrays as tables, then a blank per asked input."""
        from quizgrad.formats.sheets import blanks, matrix_table

        arrays = "".join(matrix_table(n, a) for n, a in [*item.inputs.items(),
                                                         ("G", item.upstream)])
        return (f'{self.svg(item)}<div class="arrays">{arrays}{self.more_arrays(item)}</div>'
                + blanks((f"gradient of {n} ({size(item.shape(n))})" for n in item.ask),
                         wide=True))

    def text(self, item: ArrayItem) -> str:
        """The drawing as plain text, the asked inputs marked."""
        raise NotImplementedError

    def svg(self, item: ArrayItem) -> str:
        """The drawing on a sheet."""
        raise NotImplementedError

    def more_arrays(self, item: ArrayItem) -> str:
        """HTML for the shown values that are not inputs (none here)."""
        return ""

    def figure(self, item: ArrayItem, reveal: bool) -> Figure:
        """The drawing, then the arrays (and, revealed, the right gradients in red)."""
        arrays = [(n, text, False) for n, text in item.shown()]
        arrays.append(("G", show(item.upstream), False))
        if reveal:
            arrays += [(f"d{n}", show(item.expected[n]), True) for n in item.ask]
        return self.framed(item, reveal, tuple(arrays))

    def framed(self, item: ArrayItem, reveal: bool, arrays: tuple[tuple[str, str, bool], ...]
               ) -> Figure:
        """The figure around ``arrays``: the kind's drawing."""
        raise NotImplementedError

    def to_json(self, item: ArrayItem, mistakes: bool) -> dict[str, Any]:
        """The formula, shapes, exact arrays, what it computes, answers and mistakes."""
        from quizgrad.formats.keyfile import mistakes_json, number
        from quizgrad.math.numeric import json_number

        def numbers(array: Any) -> Any:
            return array.nested(number)

        name, text = self.formula(item)
        data: dict[str, Any] = {
            name: text,
            "shapes": {n: list(item.shape(n)) for n in item.inputs},
            "inputs": {n: a.nested(json_number) for n, a in item.inputs.items()},
            "inputs_exact": {n: a.nested(str) for n, a in item.inputs.items()},
        }
        labels = self.labels(item)
        if labels:
            data["labels"] = {n: list(v) for n, v in labels}
        data.update({
            "upstream": item.upstream.nested(json_number),
            "upstream_exact": item.upstream.nested(str),
            **self.computed(item, numbers),
            "ask": list(item.ask),
            "answer": {n: numbers(item.expected[n]) for n in item.ask},
            "answer_exact": {n: item.exact(n) for n in item.ask},
            "mistakes": mistakes_json(item) if mistakes else None,
        })
        return data

    def from_json(self, data: dict[str, Any], common: dict[str, Any]) -> ArrayItem:
        """The item evaluated again at the stored exact arrays (its answers checked)."""
        from quizgrad.formats.keyfile import exact_nested
        from quizgrad.math.matrix_eval import exact_array

        shapes = {str(n): tuple(int(k) for k in v) for n, v in data["shapes"].items()}
        labels = {str(n): tuple(int(k) for k in v) for n, v in data.get("labels", {}).items()}
        inputs = {n: exact_array(exact_nested(data["inputs_exact"][n]), shapes[n])
                  for n in shapes}
        ask = tuple(str(n) for n in data["ask"])
        parts = self.rebuilt(data, shapes, labels, inputs, exact_nested(data["upstream_exact"]),
                             ask)
        return self.item(**common, ask=ask, **parts)

    @staticmethod
    def asked_among(data: dict[str, Any], ask: tuple[str, ...], names: Any, what: str) -> None:
        """ValueError unless the key asks (and answers) only ``names``."""
        if not ask or not set(ask) <= set(names) or set(data.get("answer", {})) - set(ask):
            kind = what.split()[0]
            raise ValueError(f"item {data['id']}: the asked {kind} {list(ask)} are not {what}")

    def formula(self, item: ArrayItem) -> tuple[str, str]:
        """The key's field for the formula and its text."""
        raise NotImplementedError

    def labels(self, item: ArrayItem) -> tuple[tuple[str, tuple[int, ...]], ...]:
        """The class indices the formula holds."""
        raise NotImplementedError

    def computed(self, item: ArrayItem, numbers: Any) -> dict[str, Any]:
        """What the key stores of the forward pass."""
        raise NotImplementedError

    def rebuilt(self, data: dict[str, Any], shapes: dict[str, Any], labels: dict[str, Any],
                inputs: dict[str, Any], upstream: Any, ask: tuple[str, ...]) -> dict[str, Any]:
        """The item's own fields rebuilt from the key, its stored answers checked."""
        raise NotImplementedError

    def questions(self, item: ArrayItem, name: str, category: str, prompt: str, general: str
                  ) -> list[Any]:
        """A grid question (a cloze) per asked input."""
        from quizgrad.formats.export import grid

        return [grid(item, n, f"{name} ({n})" if len(item.ask) > 1 else name, category,
                     prompt, general) for n in item.ask]

    def entry(self, item: ArrayItem) -> tuple[str, tuple[Any, ...]]:
        """An array per asked input, its shape in the comment."""
        return "arrays", tuple((n, item.shape(n)) for n in item.ask)

    def check(self, template: Any, summary: Any, samples: int) -> float:
        """Samples drawn as generate draws them, each verified entry by entry."""
        from quizgrad.bank.check import check_drawn

        return check_drawn(self, template, summary, samples if template.randomized else 1)

    def sample_answer(self, test: Any, item: ArrayItem) -> object:
        """Arrays as typed, or matrix formulas in the item's arrays and G."""
        from quizgrad.bank.check import array_answer

        arrays, labels = self.arrays(item)
        if isinstance(test.answer, dict):
            return {str(k): array_answer(v, arrays, labels) for k, v in test.answer.items()}
        return array_answer(test.answer, arrays, labels)

    def arrays(self, item: ArrayItem) -> tuple[dict[str, Any], dict[str, Any]]:
        """The arrays and class labels a test's formula may use."""
        raise NotImplementedError


class MatrixKind(ArrayKind):
    """One matrix node."""

    type = "matrix"
    template = MatrixTemplate
    item = MatrixItem
    keys = ArrayKind.keys | {"node"}
    required = ("node", "inputs")
    prompt = ("The node Y = {node} stored {inputs} in the forward pass and receives the "
              "upstream gradient G = {upstream}. What gradient does it send to {wires}?")
    cost = 3

    def read(self, reader: Reader, data: Any, tid: str, common: dict[str, Any]) -> MatrixTemplate:
        """node, inputs (arrays or shapes), upstream, ask."""
        return read_matrix(reader, data, tid, common)

    def variant(self, template: MatrixTemplate, stream: Any) -> MatrixItem:
        """A discriminating draw."""
        return matrix_draw(template, stream)[0]

    def search(self, template: MatrixTemplate, stream: Any, attempts: int
               ) -> tuple[MatrixItem, int]:
        """A discriminating draw and the draws it took."""
        return matrix_draw(template, stream, attempts)

    def profile(self, template: MatrixTemplate) -> Any:
        """What the node's draws reach."""
        return profile_of(template)

    def framed(self, item: MatrixItem, reveal: bool, arrays: tuple[tuple[str, str, bool], ...]
               ) -> Figure:
        """The node, then the arrays."""
        return Figure(self.drawing(item, reveal), arrays=arrays)

    def drawing(self, item: MatrixItem, reveal: bool) -> list[list[Any]]:
        """The node with shapes on its wires; the asked ones marked until revealed."""
        labels = [WireLabel(n, size(a.shape), "?" if n in item.ask and not reveal else "")
                  for n, a in item.inputs.items()]
        return circuit(item.node.text, labels, size(item.point.output.shape), "G",
                       output_name="Y", sep=": ")

    def text(self, item: MatrixItem) -> str:
        """The node as text (remembered: the same for every student but for class indices)."""
        labels = tuple(WireLabel(n, size(a.shape), "?" if n in item.ask else "")
                       for n, a in item.inputs.items())
        return _node_text(item.node.text, labels, size(item.point.output.shape))

    def svg(self, item: MatrixItem) -> str:
        """The node as SVG."""
        from quizgrad.formats.sheets import matrix_svg

        return matrix_svg(item)

    def formula(self, item: MatrixItem) -> tuple[str, str]:
        """The node's text."""
        return "node", item.node.text

    def labels(self, item: MatrixItem) -> tuple[tuple[str, tuple[int, ...]], ...]:
        """The node's class indices."""
        return item.node.labels

    def computed(self, item: MatrixItem, numbers: Any) -> dict[str, Any]:
        """The node's output."""
        return {"output": numbers(item.point.output)}

    def rebuilt(self, data: dict[str, Any], shapes: dict[str, Any], labels: dict[str, Any],
                inputs: dict[str, Any], upstream: Any, ask: tuple[str, ...]) -> dict[str, Any]:
        """The node and its point (the stored answers compared entry by entry)."""
        from quizgrad.formats.keyfile import flat_pairs, verify
        from quizgrad.math.matrix import Array, parse_matrix
        from quizgrad.math.matrix_eval import evaluate, exact_array

        node = parse_matrix(data["node"], shapes, labels)
        point = evaluate(node, inputs, exact_array(upstream, node.output.shape))
        self.asked_among(data, ask, node.inputs, f"inputs of {node.text}")
        for name, stored in data.get("answer", {}).items():
            computed = point.gradients[name]
            flat = Array(computed.shape, computed.entries).nested()
            verify({"id": data["id"], "answer": flat_pairs(stored, flat, name)},
                   flat_pairs(flat, flat, name))
        return {"node": node, "point": point}

    def verify(self, template: Any, item: MatrixItem, summary: Any) -> float:
        """Every entry of every gradient against a finite difference."""
        from quizgrad.bank.check import verify_matrix

        return verify_matrix(template, item, summary)

    def arrays(self, item: MatrixItem) -> tuple[dict[str, Any], dict[str, Any]]:
        """The inputs, G and Y; the node's class labels."""
        return ({**item.inputs, "G": item.upstream, "Y": item.point.output},
                dict(item.node.labels))


@functools.lru_cache(maxsize=1024)
def _node_text(text: str, labels: tuple[WireLabel, ...], output: str) -> str:
    return plain(circuit(text, list(labels), output, "G", output_name="Y", sep=": "))
