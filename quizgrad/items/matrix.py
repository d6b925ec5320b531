"""Matrix items: variants of matrix templates, drawn to be discriminating, and judged.

An answer is an array. One of the expected shape is compared entry by entry (every entry
within the item's tolerance); one of another shape is matched against the mistakes that
predict that shape (a bias handed the whole of G), and is otherwise "invalid", with a
message that names the shape expected.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from quizgrad.bank.templates import MatrixTemplate, fill
from quizgrad.errors import GradientError
from quizgrad.formats.drawing import Layout
from quizgrad.items.base import Item, Key, common
from quizgrad.items.discriminate import Assessment, Judged, Profile, few, probe, profiled, search
from quizgrad.math.compiled import exact_text
from quizgrad.math.matrix import Array, MatrixNode, Shape, describe
from quizgrad.math.matrix_eval import MatrixPoint, env_of, evaluate, exactly
from quizgrad.math.numeric import Tolerance, fmt
from quizgrad.math.rng import Stream
from quizgrad.memo import remembered
from quizgrad.mistakes.arrays import UPSTREAM_BLIND

Draw = tuple[dict[str, Array], Array, dict[str, tuple[int, ...]]]


def show(array: Array) -> str:
    """An array as text: 3, [1, 2] or [[1, 2], [3, 4]] (what answers may look like too)."""
    if not array.shape:
        return fmt(array.entries[0])
    rows = ["[" + ", ".join(fmt(v) for v in row) + "]" for row in array.rows()]
    return rows[0] if len(array.shape) == 1 else "[" + ", ".join(rows) + "]"


def close(given: Sequence[float], expected: Sequence[Any], tolerance: Tolerance) -> bool:
    """Whether every entry is within tolerance of the expected one."""
    return all(tolerance.accepts(float(a), float(b)) for a, b in zip(given, expected,
                                                                     strict=True))


@dataclass(frozen=True, kw_only=True)
class ArrayItem(Item):
    """An item whose answers are arrays, one per asked name: a matrix node's or a network's.

    What judging, feedback, sheets and the quiz need of it, each kind supplies: the shapes,
    the right arrays, which mistakes an answer matches (and where they were made), the
    textbook rule for each answer, and the arrays shown with the question.
    """

    ask: tuple[str, ...]

    @property
    def expected(self) -> dict[str, Array]:
        """Asked name -> its right gradient."""
        raise NotImplementedError

    @property
    def upstream(self) -> Array:
        """The upstream gradient G on the output."""
        raise NotImplementedError

    def shape(self, name: str) -> Shape:
        """The shape of an asked name's gradient (its value's shape)."""
        return self.expected[name].shape

    def diagnosis(self, name: str, given: Array) -> tuple[tuple[str, str], ...]:
        """(mistake, where it was made) for each mistake ``given`` matches ('' where: anywhere)."""
        return tuple((mistake, "") for mistake in self.matching(name, given))

    def matching(self, name: str, given: Array) -> tuple[str, ...]:
        """The mistakes whose prediction for ``name`` is ``given``."""
        raise NotImplementedError

    def mistake_values(self, name: str) -> dict[str, Array]:
        """Mistake (or 'mistake@where') -> predicted array, where it differs from the answer."""
        raise NotImplementedError

    def rule(self, name: str) -> tuple[str, str]:
        """The textbook formula for what ``name`` receives, and what its letters stand for."""
        raise NotImplementedError

    def forward_line(self) -> str:
        """The forward pass and the upstream gradient in one sentence."""
        raise NotImplementedError

    def shown(self) -> list[tuple[str, str]]:
        """(name, text) of every array and class index shown with the question."""
        raise NotImplementedError

    def shape_message(self, name: str, given: Array) -> str:
        """Why an answer of the wrong shape cannot be judged."""
        return (f"expected {describe(self.shape(name))}, the shape of {name}; this "
                f"answer is {describe(given.shape)}")

    def layout(self, reveal: bool) -> Layout | None:
        """The drawing of a circuit of arrays (None: a single node, drawn as one box)."""
        return None

    def hint(self) -> str:
        """A hint that points the way without giving an array away."""
        shapes = "; ".join(f"{n} is {describe(self.shape(n))}" for n in self.ask)
        return (f"Each input gets an array of its own shape ({shapes}). Work out which products "
                "of G and the other factors give that shape; for a single entry, the gradient "
                "is the sum over the output of G times the entry's effect on each output.")


@dataclass(frozen=True, kw_only=True)
class MatrixItem(ArrayItem):
    """The gradients a matrix node sends to its asked inputs, at drawn arrays."""

    node: MatrixNode
    point: MatrixPoint

    @functools.cached_property
    def key(self) -> tuple[object, ...]:
        """What makes this variant: the template and the drawn numbers."""
        point = self.point
        return Key((*Item.key.func(self), self.node.text, self.node.labels,  # type: ignore[attr-defined]
                    tuple((n, tuple((v.numerator, v.denominator) for v in a.entries))
                          for n, a in point.inputs.items()),
                    tuple((v.numerator, v.denominator) for v in point.upstream.entries)))

    @property
    def inputs(self) -> dict[str, Array]:
        """The stored arrays."""
        return self.point.inputs

    @property
    def upstream(self) -> Array:
        """The upstream gradient G."""
        return self.point.upstream

    @functools.cached_property
    def expected(self) -> dict[str, Array]:
        """Asked input -> its gradient."""
        return {name: self.point.gradients[name] for name in self.ask}

    def matching(self, name: str, given: Array) -> tuple[str, ...]:
        """The mistakes whose prediction for ``name`` is ``given`` (same shape, every entry)."""
        target = self.expected[name]
        return tuple(mistake for mistake, array in self.point.predictions[name]
                     if array.shape == given.shape
                     and close(given.entries, array.entries, self.tolerance)
                     and not (array.shape == target.shape
                              and close(array.entries, target.entries, self.tolerance)))

    def mistake_values(self, name: str) -> dict[str, Array]:
        """Mistake -> predicted array for ``name``, where it differs from the answer."""
        target = self.expected[name]
        return {m: a for m, a in self.point.predictions[name]
                if a.shape != target.shape or not close(a.entries, target.entries,
                                                        self.tolerance)}

    def exact(self, name: str) -> Any:
        """The exact gradient of ``name`` as nested lists of text ('7', '3*exp(2)/...')."""
        return exact_nested(self.point, name)

    def shape(self, name: str) -> Shape:
        """The shape of an input."""
        return self.node.shape(name)

    def rule(self, name: str) -> tuple[str, str]:
        """The textbook formula for what ``name`` receives, and what its letters stand for."""
        return rule(self.node, name)

    def forward_line(self) -> str:
        """The forward value Y and the upstream gradient G, as a sentence."""
        return f"Forward value Y = {show(self.point.output)}; upstream gradient G = " \
               f"{show(self.upstream)}."

    def shown(self) -> list[tuple[str, str]]:
        """The stored arrays, then the class indices."""
        return [*((n, show(a)) for n, a in self.inputs.items()),
                *((n, f"{list(v) if len(v) > 1 else v[0]} (class index)")
                  for n, v in self.node.labels)]


def exact_nested(point: MatrixPoint, name: str) -> Any:
    """An input's exact gradient as nested lists of text: fractions, or formulas with e."""
    array = point.gradients[name]
    if all(isinstance(v, Fraction) for v in array.entries):
        return array.nested(str)
    env = env_of(point)
    formulas = point.node.gradients[name]
    filled: dict[str, str] = {}
    texts = [exact_text(f, env, v, filled) for f, v in zip(formulas.entries, array.entries,
                                                            strict=True)]
    return Array(array.shape, tuple(texts)).nested()


def rule(node: MatrixNode, name: str) -> tuple[str, str]:
    """The textbook formula for what ``name`` receives, and what its letters stand for."""
    parts, kind = node.parts, node.kind
    if kind in ("matmul", "linear") and name in parts[:2]:
        a, b = parts[:2]
        vector_a, vector_b = len(node.shape(a)) == 1, len(node.shape(b)) == 1
        if name == a:
            return (f"outer(G, {b})" if vector_b and not vector_a else f"G * {b}" if vector_b
                    else f"{b} @ G" if vector_a else f"G @ {b}.T"), ""
        return (f"outer({a}, G)" if vector_a and not vector_b else f"G * {a}" if vector_a
                else f"{a}.T @ G"), ""
    if kind == "linear":
        shape, out = node.shape(name), node.output.shape
        if shape == out:
            return "G", ""
        if len(out) == 2 and shape in ((out[1],), (1, out[1])):
            return "G summed over the batch (down the rows)", ""
        if len(out) == 2 and shape == (out[0], 1):
            return "G summed across each row", ""
        return "G summed over the axes the bias was broadcast along", ""
    if kind == "softmax":
        return "s * (G - sum(G * s))", f"s = softmax({name}), row by row"
    if kind == "softmax_ce":
        rows = len(node.symbols(name).rows())
        scale = f" / {rows}" if rows > 1 else ""
        return f"g * (s - onehot({parts[1]})){scale}", f"s = softmax({name})" + (
            f", and the loss is the mean over {rows} rows" if rows > 1 else "")
    if kind == "elementwise":
        return f"G * {node.function}'({name})", "entry by entry"
    if kind in ("sum", "mean"):
        size = len(node.symbols(name).entries)
        return ("G in every entry" if kind == "sum" else f"G / {size} in every entry"), ""
    if kind == "dot":
        return f"G * {parts[1] if name == parts[0] else parts[0]}", ""
    return f"the sum over the output's entries of G * dY/d{name}", ""


def assess(point: MatrixPoint, ask: tuple[str, ...], tolerance: Tolerance,
           structural: frozenset[tuple[str, str]] | None = None) -> Assessment:
    """Mistakes that coincide with the right answer, and pairs that coincide, at a point."""
    right: set[tuple[str, str]] = set()
    excused: set[tuple[str, str]] = set()
    pairs: set[tuple[str, str, str]] = set()
    unit = all(v == 1 for v in point.upstream.entries)
    for name in ask:
        target = point.gradients[name]
        distinct = []
        for mistake, array in point.predictions[name]:
            if array.shape == target.shape and close(array.entries, target.entries, tolerance):
                if unit and mistake in UPSTREAM_BLIND:  # leaving out G = 1 changes nothing
                    excused.add((name, mistake))
                    continue
                right.add((name, mistake))
                if structural is not None and (name, mistake) not in structural:
                    return Assessment(frozenset(right), frozenset(), frozenset(), False)
            else:
                distinct.append((mistake, array))
        pairs |= _close_pairs(name, distinct, tolerance)
    return Assessment(frozenset(right), frozenset(pairs), frozenset(excused))


def _close_pairs(name: str, distinct: list[tuple[str, Array]], tolerance: Tolerance
                 ) -> set[tuple[str, str, str]]:
    """Pairs of mistakes whose arrays coincide entry by entry (same shape, within tolerance).

    Sorted by shape and first entry, an array need only be compared with the next ones up
    to the first whose first entry is further off than any tolerance allows: the later
    ones are further still. Each pair found is compared in its order in ``distinct``.
    """
    pairs: set[tuple[str, str, str]] = set()
    rel, floor = tolerance.relative * (1 + 1e-6), tolerance.absolute * (1 + 1e-6)
    prune = rel <= 1  # (the ordering argument needs a relative tolerance of at most 100%)
    order = sorted(range(len(distinct)), key=lambda i: (distinct[i][1].shape,
                                                         float(distinct[i][1].entries[0])))
    for at, i in enumerate(order):
        shape, x = distinct[i][1].shape, float(distinct[i][1].entries[0])
        for j in order[at + 1:]:
            if distinct[j][1].shape != shape:
                break
            y = float(distinct[j][1].entries[0])
            if prune and y - x > max(rel * max(abs(x), abs(y)), floor):
                break
            (first, a), (second, b) = distinct[min(i, j)], distinct[max(i, j)]
            if close(a.entries, b.entries, tolerance):
                pairs.add((name, *sorted((first, second))))  # type: ignore[arg-type]
    return pairs


_JUDGED: dict[tuple[object, ...], Judged[MatrixPoint]] = {}
_ITEMS: dict[tuple[object, ...], MatrixItem] = {}


def _drawn(template: MatrixTemplate, inputs: Mapping[str, Array], upstream: Array,
           labels: Mapping[str, tuple[int, ...]]) -> tuple[object, ...]:
    """The drawn numbers as a cache key (plain integers hash fast)."""
    return (template, tuple((n, tuple((v.numerator, v.denominator) for v in a.entries))
                            for n, a in inputs.items()),
            tuple((v.numerator, v.denominator) for v in upstream.entries), tuple(labels.items()))


def _judged(template: MatrixTemplate, values: Draw, shape: Profile | None
            ) -> Judged[MatrixPoint]:
    """A candidate evaluated in floats and assessed (remembered when there are few points)."""
    if not few(template.draws):
        return _judge(template, values, shape)
    return remembered(_JUDGED, (id(shape), *_drawn(template, *values)),
                      lambda: _judge(template, values, shape))


def _judge(template: MatrixTemplate, values: Draw, shape: Profile | None
           ) -> Judged[MatrixPoint]:
    inputs, upstream, labels = values
    try:
        point = evaluate(template.node(labels), inputs, upstream, exact=False)
    except GradientError as exc:
        return str(exc)
    if point.at_kink and not template.allow_kinks:
        return "every draw sat on a kink (a non-differentiable point)"
    structural = shape.always_right if shape else None
    return point, assess(point, template.ask, template.tolerance, structural)


def _draw(template: MatrixTemplate, stream: Stream) -> Draw:
    inputs = {n: spec.draw(stream) for n, spec in template.inputs}
    return inputs, template.upstream.draw(stream), _labels(template, inputs, stream)


def _labels(template: MatrixTemplate, inputs: dict[str, Array], stream: Stream
            ) -> dict[str, tuple[int, ...]]:
    if not template.labels or template.logits is None:
        return {}
    z = inputs[template.logits]
    rows, classes = (1, z.shape[0]) if len(z.shape) == 1 else z.shape
    return {n: spec.draw(stream, rows, classes) for n, spec in template.labels}


def profile_of(template: MatrixTemplate) -> Profile:
    """What discrimination the template's draws can reach (probed once, cached)."""
    return profiled(template, lambda: _probe(template))


def _probe(template: MatrixTemplate) -> Profile:
    stream = Stream("probe", template.node_text, template.ask)

    def generic() -> Draw:
        inputs = {n: Array(spec.shape, tuple(Fraction(stream.integer(-30, 30), 10)
                                             for _ in spec.entries))
                  for n, spec in template.inputs}
        upstream = Array(template.upstream.shape, tuple(
            Fraction(stream.choice([-3, -2, 2, 3])) for _ in template.upstream.entries)
        ) if template.upstream.random else template.upstream.draw(stream)  # a given G stays
        return inputs, upstream, _labels(template, inputs, stream)

    return probe(lambda v, _: _judged(template, v, None),  # type: ignore[arg-type]
                 lambda: _draw(template, stream), generic,  # type: ignore[arg-type,return-value]
                 template.randomized)


def matrix_draw(template: MatrixTemplate, stream: Stream, attempts: int = 100
                ) -> tuple[MatrixItem, int]:
    """A discriminating variant of a matrix template and the number of draws it took."""
    point, tries = search(lambda: _draw(template, stream),  # type: ignore[arg-type,return-value]
                          lambda v, shape: _judged(template, v, shape),  # type: ignore[arg-type]
                          profile_of(template), attempts if template.randomized else 1)
    return matrix_item(template, point), tries


def matrix_item(template: MatrixTemplate, point: MatrixPoint) -> MatrixItem:
    """The item of ``template`` at a point chosen in floats, now evaluated exactly."""
    if not few(template.draws):
        return _item(template, point)
    return remembered(_ITEMS, _drawn(template, point.inputs, point.upstream,
                                     dict(point.node.labels)), lambda: _item(template, point))


def _item(template: MatrixTemplate, point: MatrixPoint) -> MatrixItem:
    point = exactly(point)
    shown = {name: show(array) for name, array in point.inputs.items()}
    labels = {name: (str(v[0]) if len(v) == 1 else "[" + ", ".join(map(str, v)) + "]")
              for name, v in point.node.labels}
    placeholders = {
        **shown, **labels, "node": template.node_text, "upstream": show(point.upstream),
        "inputs": _and([f"{n} = {t}" for n, t in {**shown, **labels}.items()]),
        "wires": _and(list(template.ask)),
    }
    return MatrixItem(**common(template, fill(template.prompt, placeholders)),  # type: ignore[arg-type]
                      node=point.node, ask=template.ask, point=point)


def _and(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
