"""Array circuits: circuits whose values are numbers, vectors or matrices, as a network's are.

``h = X @ W1 + b1; a = relu(h); s = a @ W2 + b2; L = softmax_ce(s, y)`` is read line by
line, and each line is a matrix node (see :mod:`quizgrad.math.matrix`) over the values before
it, whose shapes are known by then. The backward pass visits the nodes in reverse, applies
the node rule for arrays at each (an input X gets the sum over the output's entries of
G_ij * dY_ij/dX, in X's own shape) and adds up the contributions where a value feeds
several nodes (a residual connection's fan-out).

Diagnosis follows :mod:`quizgrad.math.circuit`: a *fault* is one mistake somewhere in the
backward pass, either a catalog mistake at one node (:mod:`quizgrad.mistakes.arrays`: the
wrong array it sends, carried on back through the nodes before it) or a fan-out value that
kept one path only (missed-branch). The backward pass is linear in what flows back, so a
fault's effect is the right gradients plus the backward pass of its difference alone.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from quizgrad.errors import ExprError, GradientError
from quizgrad.math.circuit import _NAME, assignments, check_assignment, relocated
from quizgrad.math.compiled import FAILED, Number, Program
from quizgrad.math.expr import CONSTANTS
from quizgrad.math.matrix import (
    MATRIX_FUNCTIONS,
    Array,
    MatrixNode,
    Shape,
    entry_name,
    indices,
    parse_matrix,
    symbols,
)
from quizgrad.math.matrix_eval import evaluate as evaluate_node
from quizgrad.math.nodes import FUNCTIONS
from quizgrad.mistakes.arrays import UPSTREAM_BLIND

MAX_STEPS = 12  # lines in one array circuit
NOISE = 1e-13  # a float entry this small next to its terms is a sum that is 0, rounded
_BUILT_IN = frozenset({*FUNCTIONS, *MATRIX_FUNCTIONS, *CONSTANTS})


@dataclass(frozen=True)
class Layer:
    """One line of an array circuit: the value it names and the matrix node computing it."""

    name: str
    line: str
    node: MatrixNode

    @property
    def reads(self) -> tuple[str, ...]:
        """The values this node differentiates (its inputs; class labels are not values)."""
        return self.node.inputs


@dataclass(frozen=True, eq=False)
class Network:
    """An array circuit: inputs with shapes, class labels, and its layers in order."""

    text: str
    inputs: tuple[str, ...]
    labels: tuple[tuple[str, tuple[int, ...]], ...]
    layers: tuple[Layer, ...]
    shapes: Mapping[str, Shape]  # every value: inputs and each layer's output

    @property
    def output(self) -> str:
        """The name of the output value (the last line's)."""
        return self.layers[-1].name

    @property
    def names(self) -> tuple[str, ...]:
        """Every value: inputs, then each layer's output."""
        return (*self.inputs, *(layer.name for layer in self.layers))

    def consumers(self, name: str) -> list[Layer]:
        """The layers that read ``name``."""
        return [layer for layer in self.layers if name in layer.reads]


def parse_network(text: str, shapes: Mapping[str, Shape],
                  labels: Mapping[str, tuple[int, ...]] | None = None) -> Network:
    """Read an array circuit over inputs of known shapes (ExprError, placed in its line)."""
    return _parse(text, tuple(shapes.items()), tuple((labels or {}).items()))


@functools.lru_cache(maxsize=256)
def _parse(text: str, shapes: tuple[tuple[str, Shape], ...],
           labels: tuple[tuple[str, tuple[int, ...]], ...]) -> Network:
    parsed = assignments(text)
    if len(parsed) > MAX_STEPS:
        raise ExprError(f"too many lines ({len(parsed)}; at most {MAX_STEPS})", text, 0,
                        len(text))
    assigned = [name for name, _, _ in parsed]
    known_shapes = dict(shapes)
    label_map = dict(labels)
    known = [*known_shapes, *label_map]
    layers = []
    for name, body, line in parsed:
        check_assignment(name, body, line, known, assigned)
        for match in _NAME.finditer(body):
            if match.group() not in known and match.group() not in _BUILT_IN:
                raise ExprError(f"unknown name '{match.group()}'; the names are: "
                                f"{', '.join(known)}", line,
                                line.index(body) + match.start(), len(match.group()))
        used = dict.fromkeys(n for n in _NAME.findall(body) if n in known)
        try:
            node = parse_matrix(body, {n: known_shapes[n] for n in used if n in known_shapes},
                                {n: label_map[n] for n in used if n in label_map})
        except ExprError as exc:
            raise relocated(exc, line, body, known) from None
        layers.append(Layer(name, line, node))
        known_shapes[name] = node.output.shape
        known.append(name)
    return Network(text.strip(), tuple(n for n, _ in shapes), labels, tuple(layers),
                   known_shapes)


@dataclass(frozen=True)
class Sent:
    """One backward step: the gradient a layer received and what it sent to each input."""

    layer: Layer
    upstream: Array
    sent: dict[str, Array]


@dataclass(frozen=True)
class NetworkPoint:
    """An array circuit evaluated: every value, every gradient, the steps, the faults' data."""

    network: Network
    values: dict[str, Array]  # inputs and every layer's output (exact where rational)
    upstream: Array
    gradients: dict[str, Array]  # every value's gradient, in its own shape
    backward: tuple[Sent, ...]  # in the order the backward pass takes them
    predictions: dict[str, dict[str, tuple[tuple[str, Array], ...]]]  # layer -> input -> ...
    at_kink: bool


@dataclass(frozen=True)
class NetworkFault:
    """One mistake in the backward pass and the wrong gradients it leads to."""

    mistake: str
    where: str  # the layer's line, or 'a (only the path through s)' for missed-branch
    at: str  # the value the wrong gradient is sent to
    gradients: dict[str, Array]  # the values whose gradient it changes -> that gradient

    @property
    def label(self) -> str:
        """'mistake@where', the fault's name in keys and reports."""
        return f"{self.mistake}@{self.where}"


def zeros(shape: Shape, exact: bool = True) -> Array:
    """An array of zeros."""
    zero: Number = Fraction(0) if exact else 0.0
    return Array(shape, (zero,) * len(list(indices(shape))))


def plus(a: Array, b: Array) -> Array:
    """Two arrays of the same shape added entry by entry."""
    return Array(a.shape, tuple(x + y for x, y in zip(a.entries, b.entries, strict=True)))


def minus(a: Array, b: Array) -> Array:
    """``a - b`` entry by entry (same shape)."""
    return Array(a.shape, tuple(x - y for x, y in zip(a.entries, b.entries, strict=True)))


@functools.lru_cache(maxsize=512)
def _programs(node: MatrixNode, exact: bool) -> tuple[Program, Program]:
    """The node's output, and every input's gradient, as compiled programs."""
    gradients = [e for name in node.inputs for e in node.gradients[name].entries]
    return (Program(list(node.output.entries), exact=exact),
            Program(gradients, exact=exact))


@functools.lru_cache(maxsize=512)
def _names(node: MatrixNode) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[str, ...]]:
    """Each input's entry names, and the upstream's ('_g[...]'), as the programs read them."""
    return (tuple((name, tuple(entry_name(name, i) for i in indices(node.shape(name))))
                  for name in node.inputs),
            tuple(entry_name("_g", i) for i in indices(node.output.shape)))


def _env(node: MatrixNode, values: Mapping[str, Array], upstream: Array | None = None
         ) -> dict[str, Number]:
    inputs, g = _names(node)
    env: dict[str, Number] = {}
    for name, names in inputs:
        env.update(zip(names, values[name].entries, strict=True))
    if upstream is not None:
        env.update(zip(g, upstream.entries, strict=True))
    return env


def _checked(values: list[Number]) -> list[Number]:
    if any(v is FAILED for v in values):
        raise GradientError("the circuit or a gradient cannot be computed at these inputs (a "
                            "value is undefined, or too large for a float, as exp(1000))")
    return values


def forward(network: Network, inputs: Mapping[str, Array], exact: bool = True
            ) -> dict[str, Array]:
    """Every value of the circuit at ``inputs``: the inputs and each layer's output."""
    values = {name: inputs[name] for name in network.inputs}
    for layer in network.layers:
        run = _programs(layer.node, exact)[0].run
        values[layer.name] = Array(layer.node.output.shape,
                                   tuple(_checked(run(_env(layer.node, values)))))
    return values


def _sent(node: MatrixNode, values: Mapping[str, Array], upstream: Array, exact: bool
          ) -> dict[str, Array]:
    """What ``node`` sends to each input when it receives ``upstream``."""
    found = _checked(_programs(node, exact)[1].run(_env(node, values, upstream)))
    sent, at = {}, 0
    for name in node.inputs:
        size = len(node.gradients[name].entries)
        array = Array(node.shape(name), tuple(found[at:at + size]))
        sent[name] = _snapped(array, _scale(array)) if exact else array
        at += size
    return sent


def _scale(*arrays: Array) -> float:
    """The largest entry, in size, of the arrays."""
    return max((abs(float(v)) for a in arrays for v in a.entries), default=0.0)


def _snapped(array: Array, scale: float) -> Array:
    """Float entries that are rounding noise next to ``scale`` set to 0.

    Where exp or log leave the rationals, a sum that is 0 (a row of G @ W.T whose terms
    cancel, two paths that send back opposite arrays) comes out as 1e-17 or so: an entry
    below NOISE times the largest of the terms it was summed from is that.
    """
    if not any(isinstance(v, float) for v in array.entries):
        return array
    floor = NOISE * scale
    return Array(array.shape, tuple(0.0 if isinstance(v, float) and abs(v) < floor else v
                                    for v in array.entries))


def backward(network: Network, values: Mapping[str, Array], seeds: Mapping[str, Array],
             exact: bool = True) -> tuple[dict[str, Array], list[Sent]]:
    """Every gradient that ``seeds`` (value -> gradient put on it) lead to, and the steps."""
    grads = dict(seeds)
    scales = {name: _scale(array) for name, array in seeds.items()}
    steps = []
    for layer in reversed(network.layers):
        g = grads.get(layer.name)
        if g is None:
            continue  # nothing flows back through this layer
        if exact:  # every contribution is in: what cancelled is 0
            g = grads[layer.name] = _snapped(g, scales[layer.name])
        sent = _sent(layer.node, values, g, exact)
        steps.append(Sent(layer, g, sent))
        for name, array in sent.items():
            grads[name] = plus(grads[name], array) if name in grads else array
            scales[name] = max(scales.get(name, 0.0), _scale(array))
    if exact:
        grads = {name: _snapped(array, scales[name]) for name, array in grads.items()}
    return grads, steps


def evaluate(network: Network, inputs: Mapping[str, Array], upstream: Array,
             exact: bool = True, like: NetworkPoint | None = None) -> NetworkPoint:
    """The circuit at ``inputs`` with ``upstream`` on its output (GradientError if undefined).

    Without ``exact`` every value is a float: cheap enough to try many candidate draws.
    ``like``, the same point worked out in floats, lends its mistakes' predictions and kinks.
    """
    if not exact:  # (a Fraction among floats would make every operation slow)
        inputs = {n: _floats(inputs[n]) for n in network.inputs}
        upstream = _floats(upstream)
    values = forward(network, inputs, exact)
    grads, steps = backward(network, values, {network.output: upstream}, exact)
    gradients = {n: grads.get(n) or zeros(network.shapes[n], exact) for n in network.names}
    if like is not None:
        return NetworkPoint(network, values, upstream, gradients, tuple(steps),
                            like.predictions, like.at_kink)
    predictions, at_kink = {}, False
    for layer in network.layers:
        point = evaluate_node(layer.node, {n: values[n] for n in layer.reads},
                              gradients[layer.name], exact=False)
        predictions[layer.name] = point.predictions
        at_kink = at_kink or point.at_kink
    return NetworkPoint(network, values, upstream, gradients, tuple(steps), predictions,
                        at_kink)


def faults(point: NetworkPoint) -> list[NetworkFault]:
    """Every single mistake in the backward pass, in order.

    A mistake whose formula is the right one (upstream-only where the local gradient is
    the identity) is none; one that happens to give the right array at this point is kept,
    so that a draw where it hides can be told.
    """
    network, found = point.network, []
    sent = {step.layer.name: step.sent for step in point.backward}
    floats = {name: _floats(array) for name, array in point.values.items()}
    for layer in network.layers:
        unit = all(v == 1 for v in point.gradients[layer.name].entries)
        for name in layer.reads:
            right = sent.get(layer.name, {}).get(name)
            for mistake, array in point.predictions[layer.name][name]:
                if unit and mistake in UPSTREAM_BLIND:
                    continue  # leaving out a G of 1 changes nothing: no mistake here
                fault = _fault(point, floats, mistake, layer.line, name, array, right,
                               len(network.consumers(name)))
                if fault:
                    found.append(fault)
    for name in network.names:
        users = [u for u in network.consumers(name) if u.name in sent]  # (a dead end: none)
        if len(users) < 2:
            continue
        for user in users:
            kept = sent.get(user.name, {}).get(name) or zeros(network.shapes[name], False)
            fault = _fault(point, floats, "missed-branch",
                           f"{name} (only the path through {user.name})", name, kept,
                           point.gradients[name], 1)
            if fault:
                found.append(fault)
    return found


def _fault(point: NetworkPoint, floats: Mapping[str, Array], mistake: str, where: str,
           name: str, array: Array, right: Array | None, users: int) -> NetworkFault | None:
    """The fault that sends ``array`` to ``name`` where ``right`` belongs, carried back."""
    if right is None:
        return None
    if array.shape != right.shape:  # cannot flow further back; only a sole path shows it
        return NetworkFault(mistake, where, name, {name: _floats(array)}) if users == 1 \
            else None
    delta = _floats(minus(array, right))  # (an accidental 0, a symmetric a in a.T @ G, is
    try:                                   # kept: the fault hides there, draws avoid that)
        moved, _ = backward(point.network, floats, {name: delta}, exact=False)
    except GradientError:
        return None
    return NetworkFault(mistake, where, name, {n: _floats(plus(point.gradients[n], d))
                                               for n, d in moved.items()})


def _floats(array: Array) -> Array:
    return Array(array.shape, tuple(float(v) for v in array.entries))


def composed(network: Network) -> dict[str, Array]:
    """Every value as formulas in the inputs' entries (for checks; it grows with depth)."""
    formulas = {name: symbols(name, network.shapes[name]) for name in network.inputs}
    for layer in network.layers:
        at = {sym: value for name in layer.reads
              for sym, value in zip(layer.node.symbols(name).entries, formulas[name].entries,
                                    strict=True)}
        formulas[layer.name] = layer.node.output.map(lambda e, at=at: e.xreplace(at))
    return formulas
