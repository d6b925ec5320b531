"""The answer key (key.json): items as JSON, and back — what grading and assigned quizzes trust.

The key stores each item's numbers exactly (as strings beside the JSON numbers); reading it
rebuilds the items and recomputes their answers with the engine, so a key that was edited by
hand cannot make quizgrad grade against wrong numbers without noticing.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from .bank import Choice
from .circuit import evaluate, parse_circuit
from .circuit_items import CircuitItem
from .engine import Node
from .errors import ExprError, GradientError, KeyFileError
from .expr import parse, to_text
from .gcpause import paused
from .items import LETTERS, ChoiceItem, Item, LocalItem, TrueFalseItem, WireItem
from .matrix import Array, parse_matrix
from .matrix_eval import evaluate as evaluate_matrix
from .matrix_eval import exact_array
from .matrix_items import MatrixItem
from .network_items import NetworkItem, network_from_json, network_json
from .numeric import Tolerance, json_number
from .plan import plan_for
from .textio import TextFileError, read_text

FORMAT = "quizgrad-key/1"
MAX_KEY_BYTES = 200_000_000


@dataclass(frozen=True)
class KeyVariant:
    """One variant of a problem set: its id, the student (or None), and its items."""

    id: str
    student: str | None
    name: str
    items: tuple[Item, ...]

    @functools.cached_property
    def max_points(self) -> float:
        """Total points of the variant (correctly rounded: the same on every Python)."""
        return math.fsum(item.points for item in self.items)


@dataclass(frozen=True)
class Key:
    """A problem set's key: where it came from and every variant."""

    seed: str
    banks: tuple[dict[str, str], ...]
    variants: tuple[KeyVariant, ...]
    path: str = ""

    def variant_for(self, student: str) -> KeyVariant | None:
        """The variant of ``student`` (a roster id, or a variant id when there is no roster)."""
        for variant in self.variants:
            if student in (variant.student, variant.id):
                return variant
        return None


def item_json(item: Item, mistakes: bool = True) -> dict[str, Any]:
    """One item as the key stores it (without ``mistakes``, their place holds None)."""
    data: dict[str, Any] = {
        "id": item.id, "template": item.template, "type": item.type, "title": item.title,
        "prompt": item.prompt, "points": item.points,
        "tolerance": {"relative": item.tolerance.relative, "absolute": item.tolerance.absolute},
    }
    if isinstance(item, WireItem):
        point = item.point
        data.update({
            "node": item.node.text,
            "inputs": {n: json_number(v) for n, v in point.inputs.items()},
            "inputs_exact": {n: str(v) for n, v in point.inputs.items()},
            "upstream": json_number(point.upstream),
            "upstream_exact": str(point.upstream),
            "output": _number(point.output),
            "ask": list(item.ask),
            "local": {w: item.plan.local_text[w] for w in item.ask},
            "answer": {w: _number(point.gradient[w]) for w in item.ask},
            "answer_exact": {w: item.exact(w) for w in item.ask},
            "mistakes": _mistakes(item) if mistakes else None,
        })
        if item.allow_kinks:
            data["allow_kinks"] = True
    elif isinstance(item, CircuitItem):
        point = item.point
        data.update({
            "circuit": "; ".join(s.line for s in item.circuit.steps),
            "inputs": {n: json_number(v) for n, v in point.inputs.items()},
            "inputs_exact": {n: str(v) for n, v in point.inputs.items()},
            "upstream": json_number(point.upstream),
            "upstream_exact": str(point.upstream),
            "values": {n: _number(point.values[n]) for n in item.circuit.names
                       if n not in point.inputs},
            "output": _number(point.output),
            "ask": list(item.ask),
            "answer": {n: _number(point.gradients[n]) for n in item.ask},
            "answer_exact": {n: item.exact(n) for n in item.ask},
            "mistakes": _mistakes(item) if mistakes else None,
        })
    elif isinstance(item, MatrixItem):
        data.update(_matrix_json(item, mistakes))
    elif isinstance(item, NetworkItem):
        data.update(network_json(item))
        data["mistakes"] = _mistakes(item) if mistakes else None
    elif isinstance(item, LocalItem):
        data.update({"node": item.node.text, "inputs": list(item.node.inputs), "wrt": item.wrt,
                     "let": {name: _formula_text(value) for name, value in item.let},
                     "answer": _formula_text(item.expected)})
    elif isinstance(item, ChoiceItem):
        data.update({
            "choices": [{"letter": LETTERS[i], "text": c.text, "correct": c.correct,
                         "mistake": c.mistake, "feedback": c.feedback}
                        for i, c in enumerate(item.choices)],
            "answer": LETTERS[item.correct]})
    elif isinstance(item, TrueFalseItem):
        data.update({"answer": item.answer, "mistake": item.mistake})
    data["explanation"] = item.explanation
    return data


def _matrix_json(item: MatrixItem, mistakes: bool) -> dict[str, Any]:
    point, node = item.point, item.node

    def numbers(array: Array) -> Any:
        return array.nested(_number)

    data: dict[str, Any] = {
        "node": node.text,
        "shapes": {n: list(node.shape(n)) for n in node.inputs},
        "inputs": {n: a.nested(json_number) for n, a in point.inputs.items()},
        "inputs_exact": {n: a.nested(str) for n, a in point.inputs.items()},
    }
    if node.labels:
        data["labels"] = {n: list(v) for n, v in node.labels}
    data.update({
        "upstream": point.upstream.nested(json_number),
        "upstream_exact": point.upstream.nested(str),
        "output": numbers(point.output),
        "ask": list(item.ask),
        "answer": {n: numbers(item.expected[n]) for n in item.ask},
        "answer_exact": {n: item.exact(n) for n in item.ask},
        "mistakes": _mistakes(item) if mistakes else None,
    })
    return data


@functools.lru_cache(maxsize=4096)
def _formula_text(expr: object) -> str:
    return to_text(expr)  # type: ignore[arg-type]


def _number(value: Fraction | float) -> int | float:
    return json_number(value) if isinstance(value, Fraction) else float(value)


def _mistakes(item: WireItem | CircuitItem | MatrixItem | NetworkItem) -> dict[str, dict[str, Any]]:
    """Asked name -> mistake -> its predicted value (rounded), where it differs from the answer."""
    return {name: {mistake: value.nested(rounded) if isinstance(value, Array) else rounded(value)
                   for mistake, value in item.mistake_values(name).items()}  # type: ignore[attr-defined]
            for name in item.ask}


_EXACT = 2.0**53  # floats below this in size that are whole are exact integers


def rounded(value: float) -> int | float:
    """A predicted value as the key stores it: an int when whole, else 12 significant digits."""
    if value.is_integer() and -_EXACT < value < _EXACT:
        return int(value)
    return float(f"{value:.12g}")


def read_key(path: Path) -> Key:
    """Read a key.json and rebuild its items; KeyFileError says what is wrong."""
    try:
        with paused():
            data = json.loads(read_text(path, MAX_KEY_BYTES))
    except TextFileError as exc:
        raise KeyFileError(f"{path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise KeyFileError(f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise KeyFileError(f"{path}: not a quizgrad answer key (expected format {FORMAT})")
    with paused():
        variants = _variants(data, path)
    if not variants:
        raise KeyFileError(f"{path}: the key has no variants")
    return Key(str(data.get("seed", "")), tuple(data.get("banks", [])), tuple(variants),
               str(path))


def _variants(data: dict[str, Any], path: Path) -> list[KeyVariant]:
    variants = []
    for index, raw in enumerate(data.get("variants", [])):
        try:
            items = tuple(item_from_json(entry) for entry in raw["items"])
            variants.append(KeyVariant(str(raw["id"]), raw.get("student"),
                                       str(raw.get("name") or ""), items))
        except (KeyError, TypeError, ValueError, AttributeError, ExprError,
                GradientError) as exc:  # (AttributeError: a list or null where a map goes)
            raise KeyFileError(f"{path}: variant {index + 1} is damaged ({exc})") from None
    return variants


def _verify(data: dict[str, Any], computed: Mapping[str, Any]) -> None:
    """The key's stored answers must be what the engine computes (a hand-edited key is not)."""
    for wire, stored in data.get("answer", {}).items():
        if not math.isclose(float(computed[wire]), float(stored), rel_tol=1e-9, abs_tol=1e-12):
            raise ValueError(f"item {data['id']}: the stored answer for {wire} ({stored}) is "
                             f"not what the engine gives ({float(computed[wire])!r}); was the "
                             "key edited?")


@functools.lru_cache(maxsize=65536)
def _fraction(text: str | int) -> Fraction:
    """'-3/10' -> Fraction(-3, 10): the exact numbers of the key (remembered: they repeat)."""
    if isinstance(text, int):
        return Fraction(text)
    top, _, bottom = str(text).partition("/")
    return Fraction(int(top), int(bottom or 1))


@functools.lru_cache(maxsize=1024)
def _formula(text: str, names: tuple[str, ...]) -> Any:
    return parse(text, names)


def item_from_json(data: dict[str, Any]) -> Item:
    """Rebuild one item from the key."""
    tolerance = Tolerance(float(data["tolerance"]["relative"]),
                          float(data["tolerance"]["absolute"]))
    common = {"id": str(data["id"]), "template": str(data.get("template", data["id"])),
              "type": data["type"], "title": str(data["title"]), "prompt": str(data["prompt"]),
              "explanation": str(data.get("explanation", "")), "points": float(data["points"]),
              "tolerance": tolerance}
    kind = data["type"]
    if kind == "wire":
        inputs = {str(k): _fraction(v) for k, v in data["inputs_exact"].items()}
        node = Node.parse(data["node"], inputs)
        ask = tuple(data["ask"])
        point = plan_for(node, ask).evaluate(inputs, _fraction(data["upstream_exact"]),
                                             exact=False)
        _verify(data, point.gradient)
        return WireItem(**common, node=node, ask=ask, point=point,
                        allow_kinks=bool(data.get("allow_kinks", False)))
    if kind == "circuit":
        inputs = {str(k): _fraction(v) for k, v in data["inputs_exact"].items()}
        circuit = parse_circuit(data["circuit"], tuple(inputs))
        point = evaluate(circuit, inputs, _fraction(data["upstream_exact"]))
        _verify(data, {n: point.gradients[n] for n in data["ask"]})
        return CircuitItem(**common, circuit=circuit, ask=tuple(data["ask"]), point=point)
    if kind == "matrix":
        return _matrix_from_json(data, common)
    if kind == "network":
        return network_from_json(data, common)
    if kind == "local":
        names = tuple(data["inputs"])
        let = tuple((k, _formula(v, names)) for k, v in data.get("let", {}).items())
        return LocalItem(**common, node=Node.parse(data["node"], names), wrt=data["wrt"],
                         let=let)
    if kind == "choice":
        choices = tuple(Choice(c["text"], bool(c["correct"]), c.get("mistake"), c.get("feedback"))
                        for c in data["choices"])
        return ChoiceItem(**common, choices=choices)
    if kind == "truefalse":
        return TrueFalseItem(**common, answer=bool(data["answer"]), mistake=data.get("mistake"))
    raise ValueError(f"unknown item type {kind!r}")


def _matrix_from_json(data: dict[str, Any], common: dict[str, Any]) -> MatrixItem:
    shapes = {str(n): tuple(int(k) for k in v) for n, v in data["shapes"].items()}
    labels = {str(n): tuple(int(k) for k in v) for n, v in data.get("labels", {}).items()}
    node = parse_matrix(data["node"], shapes, labels)
    inputs = {n: exact_array(_exact_nested(data["inputs_exact"][n]), shapes[n]) for n in shapes}
    upstream = exact_array(_exact_nested(data["upstream_exact"]), node.output.shape)
    point = evaluate_matrix(node, inputs, upstream)
    ask = tuple(str(n) for n in data["ask"])
    if not ask or not set(ask) <= set(node.inputs) or set(data.get("answer", {})) - set(ask):
        raise ValueError(f"item {data['id']}: the asked inputs {list(ask)} are not inputs of "
                         f"{node.text}")
    for name, stored in data.get("answer", {}).items():
        computed = point.gradients[name]
        flat = Array(computed.shape, computed.entries).nested()
        _verify({"id": data["id"], "answer": _flat_pairs(stored, flat, name)},
                _flat_pairs(flat, flat, name))
    return MatrixItem(**common, node=node, ask=ask, point=point)


def _exact_nested(value: Any) -> Any:
    if isinstance(value, list):
        return [_exact_nested(v) for v in value]
    return _fraction(value)


def _flat_pairs(stored: Any, like: Any, prefix: str = "") -> dict[str, Any]:
    """Nested lists as {'[0,1]': entry} so answers compare entry by entry."""
    if not isinstance(like, list):
        return {prefix: stored}
    if not isinstance(stored, list) or len(stored) != len(like):
        raise ValueError("a stored answer has the wrong shape")
    out: dict[str, Any] = {}
    for index, (a, b) in enumerate(zip(stored, like, strict=True)):
        out.update(_flat_pairs(a, b, f"{prefix}[{index}]"))
    return out
