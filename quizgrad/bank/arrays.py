"""Reading matrix templates from a bank: arrays with shapes, class indices, the upstream.

    - id: linear-layer
      type: matrix
      node: X @ W + b
      inputs:
        X: {shape: [3, 2], int: [-3, 3]}     # entries drawn like any stored value
        W: [[1, -2], [3, 0]]                 # or given
        b: {shape: [2], int: [-2, 2]}
      upstream: {shape: [3, 2], int: [-2, 2], nonzero: true}
      ask: [W, b]

Class indices for ``softmax_ce(z, y)`` are written ``y: {class: random}`` (one drawn per row
of z) or ``y: {class: 2}`` / ``y: {class: [2, 0]}``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

import sympy as sp

from quizgrad.bank.templates import (
    ArraySpec,
    ClassSpec,
    MatrixTemplate,
    NetworkTemplate,
    NumberSpec,
)
from quizgrad.bank.yamlio import YamlMap, as_map
from quizgrad.errors import ExprError
from quizgrad.math.matrix import MAX_ENTRIES, Shape, parse_matrix
from quizgrad.math.network import Network, parse_network

if TYPE_CHECKING:
    from quizgrad.math.engine import Node


class Reader(Protocol):
    """What a kind may ask of the bank reader to read its entry (:mod:`quizgrad.bank.load`).

    Each method records its problems on the reader with the file's line and the field.
    """

    def problem(self, line: int, message: str, field: str | None = None) -> Exception:
        """Record a problem at ``line`` and return the exception that stops this field."""

    def text(self, value: Any, line: int, field: str, *, empty: bool = False) -> str:
        """A text value."""

    def flag(self, value: Any, line: int, field: str) -> bool:
        """A true/false value."""

    def optional(self, mapping: YamlMap, key: str, default: Any, read: Any, field: str
                 ) -> Any:
        """``mapping[key]`` read by ``read``, or ``default``."""

    def number_spec(self, value: Any, line: int, field: str) -> NumberSpec:
        """A fixed number or how one is drawn."""

    def number(self, value: Any, line: int, field: str) -> sp.Rational:
        """An exact number."""

    def ask(self, item: YamlMap, tid: str, known: Iterable[str],
            default: tuple[str, ...]) -> tuple[str, ...]:
        """The asked names."""

    def placeholders(self, prompt: str, names: set[str], item: YamlMap, tid: str) -> None:
        """Check a prompt's placeholders against ``names``."""

    def mapping(self, value: Any, line: int, field: str, allowed: set[str]) -> YamlMap:
        """A mapping with only ``allowed`` keys (unknown ones are problems)."""

    def names(self, item: YamlMap, tid: str, *, specs: bool) -> dict[str, Any]:
        """The ``inputs``: names -> how each is drawn (``specs``), or only the names."""

    def node(self, item: YamlMap, tid: str, names: Iterable[str]) -> Node:
        """The ``node`` formula in ``names``."""

    def parsed(self, build: Any, line: int, field: str) -> Any:
        """``build()``, its ExprError or GradientError a problem at ``line``."""

    def mistake_id(self, value: Any, line: int, field: str) -> str:
        """A known mistake id."""


MAX_SIDE = 8
RESERVED = {"G": "stands for the upstream gradient in prompts, rules and test answers",
            "Y": "stands for the node's output in prompts, rules and test answers"}


def read_matrix(reader: Reader, item: YamlMap, tid: str, common: dict[str, Any]
                ) -> MatrixTemplate:
    """A matrix template from its YAML mapping; problems are recorded on ``reader``."""
    if "node" not in item:
        raise reader.problem(item.line, "missing required key 'node'", f"{tid}.node")
    text = reader.text(item["node"], item.line_of("node"), f"{tid}.node")
    if "inputs" not in item or not isinstance(item["inputs"], dict) or not item["inputs"]:
        raise reader.problem(item.line_of("inputs") if "inputs" in item else item.line,
                             "must map each input name to a matrix, a vector or a number",
                             f"{tid}.inputs")
    arrays, labels = _inputs(reader, item, tid)
    node = _node(reader, text, arrays, labels, item.line_of("node"), f"{tid}.node")
    if "upstream" in item:
        upstream = array_spec(reader, item["upstream"], item.line_of("upstream"),
                              f"{tid}.upstream")
    elif not node.output.shape:
        upstream = ArraySpec((), (NumberSpec("fixed", (sp.S.One,)),))
    else:
        raise reader.problem(item.line, f"missing required key 'upstream' (G, {_shape(node)})",
                             f"{tid}.upstream")
    if upstream.shape != node.output.shape:
        raise reader.problem(item.line_of("upstream"), f"the upstream gradient must have the "
                             f"output's shape, {_shape(node)}", f"{tid}.upstream")
    ask = reader.ask(item, tid, node.inputs, default=node.inputs)
    kinks = reader.optional(item, "allow_kinks", False, reader.flag, f"{tid}.allow_kinks")
    reader.placeholders(common["prompt"], {*arrays, *labels, "node", "upstream", "inputs",
                                           "wires"}, item, tid)
    return MatrixTemplate(**common, node_text=text, inputs=tuple(arrays.items()),
                          labels=tuple(labels.items()), upstream=upstream, ask=ask,
                          allow_kinks=kinks,
                          logits=node.parts[0] if node.kind == "softmax_ce" else None)


def _inputs(reader: Reader, item: YamlMap, tid: str
            ) -> tuple[dict[str, ArraySpec], dict[str, ClassSpec]]:
    """The stored arrays and the class indices of a matrix or network template."""
    raw = as_map(item["inputs"], item.line_of("inputs"))
    arrays: dict[str, ArraySpec] = {}
    labels: dict[str, ClassSpec] = {}
    for name, value in raw.items():
        field, line = f"{tid}.inputs.{name}", raw.line_of(name)
        if name in RESERVED:
            raise reader.problem(line, f"'{name}' {RESERVED[name]}; call the input something "
                                 "else", field)
        if isinstance(value, dict) and "class" in value:
            labels[str(name)] = class_spec(reader, as_map(value, line), field)
        else:
            arrays[str(name)] = array_spec(reader, value, line, field)
    return arrays, labels


def circuit_text(reader: Reader, item: YamlMap, tid: str) -> str:
    """A template's ``circuit``: one line of text per node, or a list of lines."""
    field = f"{tid}.circuit"
    if "circuit" not in item:
        raise reader.problem(item.line, "missing required key 'circuit'", field)
    raw = item["circuit"]
    if isinstance(raw, list):
        return "\n".join(map(str, raw))
    return reader.text(raw, item.line_of("circuit"), field)


def read_network(reader: Reader, item: YamlMap, tid: str, common: dict[str, Any]
                 ) -> NetworkTemplate:
    """A network template (a circuit of arrays) from its YAML mapping."""
    field = f"{tid}.circuit"
    text = circuit_text(reader, item, tid)
    if "inputs" not in item or not isinstance(item["inputs"], dict) or not item["inputs"]:
        raise reader.problem(item.line_of("inputs") if "inputs" in item else item.line,
                             "must map each input name to a matrix, a vector or a number",
                             f"{tid}.inputs")
    arrays, labels = _inputs(reader, item, tid)
    network, logits = _network(reader, text, arrays, labels, item.line_of("circuit"), field)
    out = network.shapes[network.output]
    size = "×".join(map(str, out)) if out else "a number"
    if "upstream" in item:
        upstream = array_spec(reader, item["upstream"], item.line_of("upstream"),
                              f"{tid}.upstream")
    elif not out:
        upstream = ArraySpec((), (NumberSpec("fixed", (sp.S.One,)),))
    else:
        raise reader.problem(item.line, f"missing required key 'upstream' (G, {size})",
                             f"{tid}.upstream")
    if upstream.shape != out:
        raise reader.problem(item.line_of("upstream"), f"the upstream gradient must have the "
                             f"output's shape, {size}", f"{tid}.upstream")
    ask = reader.ask(item, tid, network.names, default=network.inputs)
    kinks = reader.optional(item, "allow_kinks", False, reader.flag, f"{tid}.allow_kinks")
    reader.placeholders(common["prompt"], {*arrays, *labels, "circuit", "upstream", "inputs",
                                           "wires", "output"}, item, tid)
    return NetworkTemplate(**common, circuit_text=text, inputs=tuple(arrays.items()),
                           labels=tuple(labels.items()), upstream=upstream, ask=ask,
                           allow_kinks=kinks, logits=tuple(logits.items()),
                           classes=tuple((n, *_rows(network.shapes[z])) for n, z in
                                         logits.items()))


def _rows(shape: Shape) -> tuple[int, int]:
    """The rows and the classes of a z of ``shape`` (a vector is one row)."""
    return (1, shape[0]) if len(shape) == 1 else (shape[0], shape[1])


def _network(reader: Reader, text: str, arrays: dict[str, ArraySpec],
             labels: dict[str, ClassSpec], line: int, field: str
             ) -> tuple[Network, dict[str, str]]:
    """The network parsed with its class indices (placeholders where they are drawn)."""
    shapes = {n: s.shape for n, s in arrays.items()}
    likely = sorted({1} | {s[0] for s in shapes.values() if len(s) == 2})
    rows = [*likely, *(n for n in range(1, MAX_SIDE + 1) if n not in likely)] if labels \
        else [1]
    try:
        for count in rows:  # the batch size is not known until the layers are read
            try:
                network = parse_network(text, shapes, {n: (0,) * count for n in labels})
                break
            except ExprError:
                if count == rows[-1]:
                    raise
        losses = [layer.node.parts for layer in network.layers
                  if layer.node.kind == "softmax_ce"]
        logits = {y: z for z, y in losses}
        for y in logits:
            if sum(used == y for _, used in losses) > 1:
                raise reader.problem(line, f"class indices {y} go with one softmax_ce line; "
                                     "give each loss its own", field)
        for name, spec in labels.items():
            if name not in logits:
                raise reader.problem(line, f"class indices {name} go with a line "
                                     f"L = softmax_ce(z, {name})", field)
            count, classes = _rows(network.shapes[logits[name]])
            if spec.fixed is not None and (len(spec.fixed) != count or not all(
                    0 <= k < classes for k in spec.fixed)):
                raise reader.problem(line, f"{name} needs {count} class index(es) in 0.."
                                     f"{classes - 1} (one per row of {logits[name]})", field)
        network = parse_network(text, shapes, {
            n: spec.fixed if spec.fixed is not None else
            (0,) * _rows(network.shapes[logits[n]])[0] for n, spec in labels.items()})
    except ExprError as exc:
        caret = exc.caret().replace("\n", "\n    ")
        raise reader.problem(line, f"{exc.describe()}\n    {caret}", field) from None
    return network, logits


def _shape(node: Any) -> str:
    shape = node.output.shape
    return "×".join(map(str, shape)) if shape else "a number"


def _node(reader: Reader, text: str, arrays: dict[str, ArraySpec],
          labels: dict[str, ClassSpec], line: int, field: str) -> Any:
    """The node, parsed with every class index at 0 (the indices do not change its shape)."""
    shapes = {n: s.shape for n, s in arrays.items()}
    try:
        node = _first_parse(text, shapes, labels)
        if labels:
            if node.kind != "softmax_ce":
                raise reader.problem(line, "class indices go with a node softmax_ce(z, y) on "
                                     "its own", field)
            z, y = node.parts
            rows = 1 if len(shapes[z]) == 1 else shapes[z][0]
            spec = labels[y]
            if spec.fixed is None:
                node = parse_matrix(text, shapes, {y: (0,) * rows})
            elif len(spec.fixed) != rows or not all(0 <= k < shapes[z][-1]
                                                    for k in spec.fixed):
                raise reader.problem(line, f"{y} needs {rows} class index(es) in 0.."
                                     f"{shapes[z][-1] - 1} (one per row of {z})", field)
            else:
                node = parse_matrix(text, shapes, {y: spec.fixed})
    except ExprError as exc:
        caret = exc.caret().replace("\n", "\n    ")
        raise reader.problem(line, f"{exc.describe()}\n    {caret}", field) from None
    return node


def _first_parse(text: str, shapes: dict[str, Shape], labels: dict[str, ClassSpec]) -> Any:
    """Parse with placeholder class indices, trying each row count a z could have."""
    rows = sorted({1} | {s[0] for s in shapes.values() if len(s) == 2}) if labels else [1]
    for count in rows:
        try:
            return parse_matrix(text, shapes, {n: (0,) * count for n in labels})
        except ExprError:
            if count == rows[-1]:
                raise
    raise AssertionError  # pragma: no cover - the loop returns or raises


def array_spec(reader: Reader, value: Any, line: int, field: str) -> ArraySpec:
    """A given array (nested lists), a number, {shape: [...], int: ...} or {int: ...} (a number)."""
    if isinstance(value, dict):
        raw = as_map(value, line)
        if "shape" not in raw and not set(raw) & {"int", "decimal", "choice"}:
            raise reader.problem(line, "give the shape, e.g. {shape: [2, 3], int: [-3, 3]}",
                                 field)
        if "shape" not in raw:  # a number, drawn like any stored value
            return ArraySpec((), (reader.number_spec(raw, line, field),))
        shape = _read_shape(reader, raw["shape"], raw.line_of("shape"), f"{field}.shape")
        rest = as_map({k: v for k, v in raw.items() if k != "shape"}, raw.line)
        rest.key_lines = {k: raw.line_of(k) for k in rest}
        spec = reader.number_spec(rest, line, field)
        return ArraySpec(shape, (spec,) * math.prod(shape))
    shape = _nested_shape(reader, value, line, field)
    flat: list[Any] = []
    _flatten(value, flat)
    return ArraySpec(shape, tuple(NumberSpec("fixed", (reader.number(v, line, field),))
                                  for v in flat))


def _read_shape(reader: Reader, value: Any, line: int, field: str) -> Shape:
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if (not isinstance(value, list) or not 1 <= len(value) <= 2
            or not all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= MAX_SIDE
                       for n in value)):
        raise reader.problem(line, f"a shape is [n] or [rows, columns], each 1 to {MAX_SIDE}",
                             field)
    if math.prod(value) > MAX_ENTRIES:
        raise reader.problem(line, f"at most {MAX_ENTRIES} entries", field)
    return tuple(value)


def _nested_shape(reader: Reader, value: Any, line: int, field: str) -> Shape:
    if not isinstance(value, list):
        return ()
    if not value:
        raise reader.problem(line, "an empty list is not a matrix", field)
    if all(not isinstance(v, list) for v in value):
        return _read_shape(reader, [len(value)], line, field)
    if not all(isinstance(v, list) and v and not any(isinstance(e, list) for e in v)
               for v in value) or len({len(v) for v in value}) != 1:
        raise reader.problem(line, "a matrix is a list of rows of equal length, each a list "
                             "of numbers", field)
    return _read_shape(reader, [len(value), len(value[0])], line, field)


def _flatten(value: Any, out: list[Any]) -> None:
    if isinstance(value, list):
        for entry in value:
            _flatten(entry, out)
    else:
        out.append(value)


def class_spec(reader: Reader, raw: YamlMap, field: str) -> ClassSpec:
    """``{class: random}``, ``{class: 2}`` or ``{class: [2, 0]}``."""
    if set(raw) != {"class"}:
        raise reader.problem(raw.line, "class indices take only 'class'", field)
    value = raw["class"]
    if value == "random":
        return ClassSpec(None)
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                             for v in values):
        raise reader.problem(raw.line_of("class"), "class is 'random', an index from 0, or a "
                             "list of indices (one per row)", field)
    return ClassSpec(tuple(values))
