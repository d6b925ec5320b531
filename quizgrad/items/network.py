"""Network items: the gradients a circuit of arrays sends to its asked values, at drawn arrays.

A variant is drawn like any other: numbers from the template's ranges, kept when the
mistakes show. Here a candidate is scored by how many faults (a mistake at one layer, a
fan-out with one path kept; see :mod:`quizgrad.math.network`) would give an asked value its
right array, and the best of a few candidates is kept. Nothing is rejected outright, so a
coincidence that is the network's nature (a closed ReLU hides what flows behind it) never
pushes the draws into a corner; it only makes other draws preferred.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from quizgrad.bank.templates import NetworkTemplate, fill
from quizgrad.errors import ExprError, GradientError
from quizgrad.formats.drawing import Layout, circuit_layout
from quizgrad.items.base import Item, Key, common
from quizgrad.items.matrix import ArrayItem, close, rule, show
from quizgrad.math.matrix import Array, Shape, describe
from quizgrad.math.network import Layer, Network, NetworkFault, NetworkPoint, evaluate, faults
from quizgrad.math.numeric import Tolerance
from quizgrad.math.rng import Stream

CANDIDATES = 24  # draws tried per variant; the one whose mistakes show best is kept
PAIR_TRIES = 2  # ... of which these at most to keep two mistakes apart as well


def size(shape: Shape) -> str:
    """'3×2', '3' or 'number'."""
    return "×".join(map(str, shape)) if shape else "number"


@dataclass(frozen=True, kw_only=True)
class NetworkItem(ArrayItem):
    """A circuit of arrays at drawn inputs: each asked value's gradient, in its own shape."""

    network: Network
    point: NetworkPoint
    found: tuple[NetworkFault, ...] | None = field(default=None, compare=False, repr=False)

    @functools.cached_property
    def key(self) -> tuple[object, ...]:
        """What makes this variant: the template and the drawn numbers."""
        return Key((*Item.key.func(self), self.network.text, self.network.labels,  # type: ignore[attr-defined]
                    tuple((n, a.entries) for n, a in self.inputs.items()),
                    self.point.upstream.entries, self.ask))

    @property
    def inputs(self) -> dict[str, Array]:
        """The stored input arrays."""
        return {n: self.point.values[n] for n in self.network.inputs}

    @property
    def upstream(self) -> Array:
        """The upstream gradient on the output."""
        return self.point.upstream

    @functools.cached_property
    def expected(self) -> dict[str, Array]:
        """Asked value -> its gradient."""
        return {name: self.point.gradients[name] for name in self.ask}

    @functools.cached_property
    def faults(self) -> tuple[NetworkFault, ...]:
        """Every single mistake in the backward pass (worked out in floats)."""
        return self.found if self.found is not None else tuple(faults(self.point))

    def shape(self, name: str) -> Shape:
        """The shape of a value."""
        return self.network.shapes[name]

    def _wrong(self, name: str) -> list[tuple[NetworkFault, Array]]:
        target = self.expected[name]
        return [(f, a) for f in self.faults if (a := f.gradients.get(name)) is not None
                and not (a.shape == target.shape
                         and close(a.entries, target.entries, self.tolerance))]

    def hidden(self) -> frozenset[tuple[str, str]]:
        """(asked value, 'mistake@where') for each fault that gives the value its right array."""
        return frozenset((name, f.label) for name in self.ask for f in self.faults
                         if (a := f.gradients.get(name)) is not None
                         and a.shape == self.expected[name].shape
                         and close(a.entries, self.expected[name].entries, self.tolerance))

    def diagnosis(self, name: str, given: Array) -> tuple[tuple[str, str], ...]:
        """(mistake, the layer it was made at) for each fault that predicts ``given``."""
        return tuple((f.mistake, f.where) for f, array in self._wrong(name)
                     if array.shape == given.shape
                     and close(given.entries, array.entries, self.tolerance))

    def matching(self, name: str, given: Array) -> tuple[str, ...]:
        """The mistakes whose prediction for ``name`` is ``given``."""
        return tuple(dict.fromkeys(m for m, _ in self.diagnosis(name, given)))

    def mistake_values(self, name: str) -> dict[str, Array]:
        """'mistake@where' -> the array the fault gives ``name``, where it differs."""
        return {f.label: array for f, array in self._wrong(name)}

    def exact(self, name: str) -> Any:
        """The gradient as nested lists of text: fractions exact, other entries as floats."""
        return self.point.gradients[name].nested(
            lambda v: str(v) if isinstance(v, Fraction) else repr(float(v)))

    def rule(self, name: str) -> tuple[str, str]:
        """What ``name`` receives: its layers' rules, with G each layer's output gradient.

        E.g. ('a.T @ G', 'G is the gradient of s, from the layer s = a @ W2 + b2'), or for a
        value two layers use, the sum with each part's layer named.
        """
        if name == self.network.output:
            return "G, the upstream gradient", ""
        sent = {step.layer.name for step in self.point.backward}
        users = [u for u in self.network.consumers(name) if u.name in sent]
        if not users:
            return "0 (no gradient flows back to it)", ""
        if len(users) == 1:
            layer = users[0]
            return layer_rule(layer, name), (f"G is the gradient of {layer.name}, from the "
                                              f"layer {layer.line}")
        parts = [f"{layer_rule(u, name)} (G of {u.name}, from {u.line})" for u in users]
        return "the sum of what its layers send: " + " plus ".join(parts), ""

    def forward_line(self) -> str:
        """Every layer's forward value and the upstream gradient, as a sentence."""
        values = ", ".join(f"{layer.name} = {show(self.point.values[layer.name])}"
                           for layer in self.network.layers)
        return (f"Forward: {values}; the output {self.network.output} receives G = "
                f"{show(self.upstream)}.")

    def shown(self) -> list[tuple[str, str]]:
        """The stored arrays, then the class indices."""
        return [*((n, show(a)) for n, a in self.inputs.items()),
                *((n, f"{list(v)} (class indices)" if len(v) > 1 else f"{v[0]} (class index)")
                  for n, v in self.network.labels)]

    def hint(self) -> str:
        """Backwards layer by layer, shapes as the check."""
        shapes = "; ".join(f"{n} is {describe(self.shape(n))}" for n in self.ask)
        return ("Go backwards layer by layer from the output: each layer applies the rule for "
                "its node to the gradient its output received, a value used by several layers "
                f"adds up what they send, and every gradient has its value's shape ({shapes}).")

    def lines(self) -> list[str]:
        """The circuit layer by layer with every shape (for a terminal too narrow to draw it)."""
        out = []
        width = max(len(layer.line) for layer in self.network.layers)
        for layer in self.network.layers:
            reads = ", ".join(f"{n}: {size(self.shape(n))}" for n in layer.reads)
            out.append(f"{layer.line.ljust(width)}   {layer.name}: "
                       f"{size(self.shape(layer.name))}, from {reads}")
        return out

    def layout(self, reveal: bool) -> Layout:
        """The circuit with each value's shape; gradients' shapes, or '?' where asked."""
        network = self.network
        shapes = {n: size(network.shapes[n]) for n in network.names}
        if reveal:
            gradients = dict(shapes)
        else:
            gradients = {n: "?" if n in self.ask else "" for n in network.names}
            gradients[network.output] = show(self.upstream) if not self.upstream.shape \
                else "G"
        steps = [(layer.name, layer.line, list(layer.reads)) for layer in network.layers]
        return circuit_layout(list(network.inputs), steps, shapes, gradients, sep=": ")


def layer_rule(layer: Layer, name: str) -> str:
    """The textbook rule of one layer for one of its inputs, in the layer's own names."""
    node = layer.node
    if node.kind == "softmax_ce":  # (the matrix rule calls softmax(z) s, a name taken here)
        z, y = node.parts
        rows = len(node.symbols(z).rows())
        return f"G * (softmax({z}) - onehot({y}))" + (f" / {rows}" if rows > 1 else "")
    g, local = node.upstream(), node.gradients[name]
    if local.shape == g.shape and local.entries in (g.entries, tuple(-e for e in g.entries)):
        return "G" if local.entries == g.entries else "-G"  # an add or a subtract
    if node.kind == "general" and local.shape == g.shape:
        factor = _entrywise(node, name)
        if factor is not None:
            return f"G * {factor}" if factor.isidentifier() else f"G * ({factor})"
    return rule(node, name)[0]


def _entrywise(node: Any, name: str) -> str | None:
    """The local derivative as one formula when each entry depends on its own entries only.

    For q = e * e that is 2*e: entry i of the gradient is G[i] times the same formula of
    entry i of each input. None when the node mixes entries (a product, a sum).
    """
    import sympy as sp

    from quizgrad.math.expr import symbol, to_text
    from quizgrad.math.matrix import indices

    g, local = node.upstream(), node.gradients[name]
    formulas = set()
    for index, (gi, entry) in zip(indices(local.shape), zip(g.entries, local.entries,
                                                            strict=True), strict=True):
        factor = sp.factor(entry / gi)
        if factor.has(*(e for e in g.entries)):
            return None
        own = {node.symbols(n).at(index): symbol(n) for n in node.inputs}
        if factor.free_symbols - set(own):
            return None
        formulas.add(factor.xreplace(own))
    return to_text(formulas.pop()) if len(formulas) == 1 else None


def network_draw(template: NetworkTemplate, stream: Stream, attempts: int = CANDIDATES
                 ) -> tuple[NetworkItem, int]:
    """A variant of a network template whose mistakes show, and the draws it took."""
    best: tuple[tuple[int, int, int], dict[str, Array], Array, dict[str, tuple[int, ...]],
                NetworkPoint, list[NetworkFault]] | None
    best, last, tries = None, "no draw was tried", 0
    for _ in range(attempts if template.randomized else 1):
        tries += 1
        inputs = {n: spec.draw(stream) for n, spec in template.inputs}
        classes = dict((n, (rows, k)) for n, rows, k in template.classes)
        labels = {n: spec.draw(stream, *classes[n]) for n, spec in template.labels}
        upstream = template.upstream.draw(stream)
        try:
            point = evaluate(template.network(labels), inputs, upstream, exact=False)
        except (GradientError, ExprError) as exc:  # (class indices a line cannot take)
            last = str(exc)
            continue
        if point.at_kink and not template.allow_kinks:
            last = "every draw sat on a kink (a non-differentiable point)"
            continue
        found = faults(point)
        score = _score(point, found, template.ask, template.tolerance)
        if best is None or score < best[0]:
            best = (score, inputs, upstream, labels, point, found)
        if score[:2] == (0, 0) and (score[2] == 0 or tries >= PAIR_TRIES):
            break  # (two mistakes that coincide are both named: worth a few more tries only)
    if best is None:
        raise GradientError(f"no usable draw in {tries} attempts: {last}")
    _, inputs, upstream, labels, candidate, found = best
    point = evaluate(template.network(labels), inputs, upstream, like=candidate)
    return network_item(template, point, tuple(found)), tries


def _score(point: NetworkPoint, found: list[NetworkFault], ask: tuple[str, ...],
           tolerance: Tolerance) -> tuple[int, int, int]:
    """How well a draw's mistakes show: (hidden, dead, pairs), lower is better.

    Hidden: faults that give an asked value its right array; dead: asked gradients that are
    0 throughout; pairs: two different mistakes that give an asked value the same array.
    """
    hidden = pairs = 0
    for name in ask:
        right = point.gradients[name]
        groups: dict[tuple[object, ...], set[str]] = defaultdict(set)
        for fault in found:
            array = fault.gradients.get(name)
            if array is None:
                continue
            if array.shape == right.shape and close(array.entries, right.entries, tolerance):
                hidden += 1
            else:  # (six digits: the coincidences that matter are exact ones, G = 1 and so on)
                groups[(array.shape, *(f"{float(v) + 0.0:.6g}" for v in array.entries))].add(
                    fault.mistake)
        pairs += sum(len(m) * (len(m) - 1) // 2 for m in groups.values())
    dead = sum(all(float(v) == 0 for v in point.gradients[n].entries) for n in ask)
    return hidden, dead, pairs


def network_item(template: NetworkTemplate, point: NetworkPoint,
                 found: tuple[NetworkFault, ...] | None = None) -> NetworkItem:
    """The item of ``template`` at an exactly evaluated point (and its faults, if known)."""
    network = point.network
    shown = {n: show(point.values[n]) for n in network.inputs}
    labels = {n: (str(v[0]) if len(v) == 1 else "[" + ", ".join(map(str, v)) + "]")
              for n, v in network.labels}
    wires = [f"{n} ({describe(network.shapes[n])})" for n in template.ask]
    placeholders = {
        **shown, **labels, "circuit": "; ".join(layer.line for layer in network.layers),
        "upstream": show(point.upstream), "output": network.output,
        "inputs": _and([f"{n} = {t}" for n, t in {**shown, **labels}.items()]),
        "wires": _and(wires),
    }
    return NetworkItem(**common(template, fill(template.prompt, placeholders)),  # type: ignore[arg-type]
                       network=network, ask=template.ask, point=point, found=found)


def _and(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
