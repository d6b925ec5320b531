"""Circuits: small graphs of nodes written as assignments, differentiated one node at a time.

``q = x + y; f = q * z`` has inputs x, y, z, an intermediate q and the output f. The
backward pass visits the nodes in reverse order, applies the function node rule at each
(upstream × local gradient on every input wire) and sums the contributions where a value
feeds several nodes (fan-out). Everything a circuit needs to be asked, judged and explained
is computed here: forward values, every gradient, each backward step, and — for diagnosis —
what a student would send if one node went wrong (a catalog mistake at that node) or if
one branch of a fan-out were forgotten (missed-branch).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

import sympy as sp

from quizgrad.errors import ExprError, GradientError
from quizgrad.math import expr as ex
from quizgrad.math.compiled import FAILED, Number, Program
from quizgrad.math.engine import Node
from quizgrad.math.nodes import FUNCTIONS
from quizgrad.math.regimes import Classifier, Regime, classifier
from quizgrad.memo import by_identity
from quizgrad.mistakes.catalog import BY_ID, G, formulas

_ASSIGN = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*=(?!=)\s*(.+?)\s*$", re.S)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Step:
    """One assignment: the value it names and the node that computes it."""

    name: str
    node: Node

    @property
    def line(self) -> str:
        """The assignment as written, e.g. 'q = x + y'."""
        return f"{self.name} = {self.node.text}"


class Branch(NamedTuple):
    """One path from a fanned-out value: the step it feeds, and the missed-branch fault's place."""

    value: str
    user: str  # the step's name
    position: int  # where the value sits among the step's inputs
    where: str
    ancestors: frozenset[str]  # what a gradient sent wrong along the value can change


@dataclass(frozen=True)
class Circuit:
    """Inputs and steps in order; the last step's value is the output."""

    text: str
    inputs: tuple[str, ...]
    steps: tuple[Step, ...]

    def __hash__(self) -> int:
        """The text and inputs determine the steps: hashing them is enough, and cheap."""
        return hash((self.text, self.inputs))

    @property
    def output(self) -> str:
        """The name of the output value."""
        return self.steps[-1].name

    @functools.cached_property
    def names(self) -> tuple[str, ...]:
        """Every named value: inputs, then intermediates and the output."""
        return (*self.inputs, *(s.name for s in self.steps))

    def consumers(self, name: str) -> list[Step]:
        """The steps that use ``name``."""
        return [s for s in self.steps if name in s.node.inputs]

    @functools.cached_property
    def branches(self) -> tuple[Branch, ...]:
        """Every path a fanned-out value feeds (a value used by several steps), in order."""
        return tuple(
            Branch(name, user.name, user.node.inputs.index(name),
                   f"{name} (only the path through {user.name})", self.ancestors([name]))
            for name in self.names if len(users := self.consumers(name)) > 1 for user in users)

    def ancestors(self, names: Iterable[str]) -> frozenset[str]:
        """``names`` and every value they are computed from (remembered)."""
        key = tuple(names)
        found = self._unions.get(key)
        if found is None:
            found = self._unions[key] = frozenset().union(*(self._lineage[n] for n in key))
        return found

    @functools.cached_property
    def _unions(self) -> dict[tuple[str, ...], frozenset[str]]:
        return {}

    @functools.cached_property
    def _lineage(self) -> dict[str, frozenset[str]]:
        lineage = {name: frozenset({name}) for name in self.inputs}
        for step in self.steps:
            lineage[step.name] = frozenset({step.name}).union(
                *(lineage[name] for name in step.node.inputs))
        return lineage

    def depth(self) -> dict[str, int]:
        """Each value's column when the circuit is laid out left to right."""
        depth = dict.fromkeys(self.inputs, 0)
        for step in self.steps:
            depth[step.name] = 1 + max((depth[n] for n in step.node.inputs), default=0)
        return depth


def is_circuit(text: str) -> bool:
    """Whether ``text`` is written as assignments (``q = x + y; f = q * z``)."""
    return bool(_ASSIGN.match(text.split(";")[0].split("\n")[0]))


def split_lines(text: str) -> list[str]:
    """The assignments of a circuit text (separated by ';' or new lines)."""
    return [part.strip() for chunk in text.split("\n") for part in chunk.split(";")
            if part.strip()]


def assignments(text: str) -> list[tuple[str, str, str]]:
    """Each line of a circuit as (name, body, line); ExprError for a line that is none."""
    lines = split_lines(text)
    if not lines:
        raise ExprError("a circuit needs at least one assignment such as f = x * y", text, 0)
    parsed = []
    for line in lines:
        match = _ASSIGN.match(line)
        if not match:
            raise ExprError("each line of a circuit is an assignment such as q = x + y",
                            line, 0, len(line))
        parsed.append((match.group(1), match.group(2), line))
    return parsed


def check_assignment(name: str, body: str, line: str, known: list[str], assigned: list[str]
                     ) -> None:
    """ExprError unless ``name`` may be assigned here and ``body`` uses only known values."""
    why = ex.check_name(name, shadows=True)
    if why:
        raise ExprError(why, line, 0, len(name))
    if name in known:
        raise ExprError(f"'{name}' is already defined; each value is assigned once",
                        line, 0, len(name))
    used = [match for match in _NAME.finditer(body) if match.group() in assigned
            and match.group() not in known]
    if used:  # (a constant's name would otherwise be read as the constant here)
        early = used[0].group()
        raise ExprError(f"'{early}' is used before it is assigned (a value must be "
                        "assigned before it is used)", line,
                        line.index(body) + used[0].start(), len(early))


def relocated(exc: ExprError, line: str, body: str, known: list[str]) -> ExprError:
    """An error in a line's body, placed in the line (an unknown name lists the known ones)."""
    if "unknown name" in exc.message:
        unknown = exc.message.split("'")[1]
        return ExprError(f"unknown name '{unknown}'; the names are: {', '.join(known)} (a "
                         "value must be assigned before it is used)", line,
                         line.index(body) + exc.position, exc.length)
    return ExprError(exc.message, line, line.index(body) + exc.position, exc.length)


@functools.lru_cache(maxsize=1024)
def parse_circuit(text: str, inputs: tuple[str, ...] | None = None) -> Circuit:
    """Read a circuit; ``inputs`` declares the input names (else: every name not assigned).

    A name assigned in the circuit is that value everywhere in it, even one that is
    otherwise a constant (``e = a * b``: e is then not Euler's number). ExprError for a
    malformed line, a name used before it is assigned, or one assigned twice.
    """
    parsed = assignments(text)
    assigned = [name for name, _, _ in parsed]
    if inputs is None:
        used = [n for _, body, _ in parsed for n in _NAME.findall(body)]
        inputs = tuple(dict.fromkeys(n for n in used if n not in assigned
                                     and n not in FUNCTIONS and n not in ex.CONSTANTS))
    known = list(inputs)
    steps = []
    for name, body, line in parsed:
        check_assignment(name, body, line, known, assigned)
        operands = tuple(dict.fromkeys(n for n in _NAME.findall(body) if n in known))
        try:
            node = Node.parse(body, operands)
        except ExprError as exc:
            raise relocated(exc, line, body, known) from None
        steps.append(Step(name, node))
        known.append(name)
    return Circuit(text.strip(), tuple(inputs), tuple(steps))


@dataclass(frozen=True)
class Contribution:
    """One wire of one backward step: upstream × local = what the node sends back."""

    name: str
    local: Number
    sent: Number


@dataclass(frozen=True)
class BackStep:
    """A node applying the rule on the way back."""

    step: Step
    upstream: Number
    wires: tuple[Contribution, ...]


@dataclass(frozen=True, eq=False)
class Sensitivity:
    """The right gradients of a point and J[w][v], the derivative of value w by value v."""

    correct: dict[str, float]
    jacobian: dict[str, dict[str, float]]


_tuple = tuple.__new__  # makes a Fault from a tuple of its fields without NamedTuple's __new__


class Fault(NamedTuple):
    """A single mistake somewhere in the backward pass, and the gradients it leads to.

    A fault changes the gradient sent along some wires by ``deltas``; the backward pass is
    linear in what flows back, so every value's gradient moves by delta × (the derivative
    of the wire's value by that value), found on demand rather than by a second pass.
    """

    mistake: str
    where: str  # the node's line, or the fan-out value for missed-branch
    label: str  # 'mistake@where', the fault's name in keys and reports
    deltas: tuple[tuple[str, float], ...]
    affects: frozenset[str]  # the values whose gradient the fault can change
    sensitivity: Sensitivity  # last: the rest is the same wherever a node sees the same

    # A wire whose contribution the mistake leaves unchanged *by definition* (passing g
    # through a wire whose local gradient is 1, an exact 0 on a closed gate) cannot be
    # affected, and a fault that changes nothing so is not listed at all; an accidental
    # equality (x = y on a product) still counts as a change, so that discrimination can
    # avoid it.

    def gradient(self, name: str) -> float:
        """The gradient of ``name`` that this fault leads to."""
        value = self.sensitivity.correct[name]
        jacobian = self.sensitivity.jacobian
        for wire, delta in self.deltas:
            value += delta * jacobian[wire].get(name, 0.0)
        return value


@dataclass(frozen=True)
class CircuitPoint:
    """A circuit evaluated: values, gradients, backward steps, and single-fault predictions."""

    circuit: Circuit
    inputs: dict[str, Fraction]
    upstream: Fraction
    values: dict[str, Number]
    gradients: dict[str, Number]
    locals: dict[str, list[Number]]  # each step's local gradients, in its inputs' order
    faults: tuple[Fault, ...]
    at_kink: bool
    regime: Regime = ()  # the side of every kink, step by step (see quizgrad.math.regimes)

    @property
    def output(self) -> Number:
        """The value of the last assignment."""
        return self.values[self.circuit.output]

    @functools.cached_property
    def backward(self) -> tuple[BackStep, ...]:
        """The backward steps, node by node from the output (for explanations)."""
        steps = []
        for step in reversed(self.circuit.steps):
            g = self.gradients[step.name]
            steps.append(BackStep(step, g, tuple(
                Contribution(wire, local, g * local)
                for wire, local in zip(step.node.inputs, self.locals[step.name], strict=True))))
        return tuple(steps)

    def predictions(self, name: str) -> tuple[tuple[Fault, float], ...]:
        """Each fault that can change the gradient of ``name``, with the value it gives there."""
        found = self._predictions.get(name)
        if found is None:
            found = self._predictions[name] = tuple(
                (f, f.gradient(name)) for f in self.faults if name in f.affects)
        return found

    @functools.cached_property
    def _predictions(self) -> dict[str, tuple[tuple[Fault, float], ...]]:
        return {}


Group = tuple[str, frozenset[int], tuple[tuple[int, str, tuple[int, ...]], ...]]


@functools.lru_cache(maxsize=2048)
def _programs(node: Node) -> tuple[Program, Program, Classifier | None, tuple[Group, ...]]:
    """Per node: exact (value, locals), fast (every mistake prediction), its kinks (or None).

    The groups say where each mistake's predictions sit among the fast program's outputs:
    (mistake, its blind spots, ((input position, wire, output indices), ...)).
    """
    exact = Program([node.expr, *(node.local(w) for w in node.inputs)], exact=True)
    found = formulas(node, node.inputs)
    exprs: list[sp.Expr] = []
    where: dict[str, dict[str, list[int]]] = {}
    for wire in node.inputs:
        for mistake, predictions in found[wire].items():
            for prediction in predictions:
                where.setdefault(mistake, {}).setdefault(wire, []).append(len(exprs))
                exprs.append(prediction.value)
    groups = tuple((mistake, BY_ID[mistake].blind_at,
                    tuple((node.inputs.index(w), w, tuple(ix)) for w, ix in wires.items()))
                   for mistake, wires in where.items())
    return exact, Program(exprs, exact=False), classifier(node.expr), groups


def evaluate(circuit: Circuit, inputs: Mapping[str, Fraction], upstream: Fraction,
             diagnose: bool = True, regime: Regime | None = None) -> CircuitPoint:
    """Forward and backward pass; GradientError when a value or gradient does not exist.

    With ``diagnose`` every single fault is worked out too, but only, when ``regime`` is
    given, for a point in that regime (a search within it rejects the others unseen).
    """
    values: dict[str, Number] = dict(inputs)
    locals_: dict[str, list[Number]] = {}
    sides: list[int] = []
    at_kink = False
    for step in circuit.steps:
        exact, _, kinks, _ = _programs(step.node)
        env = {n: values[n] for n in step.node.inputs}
        out = exact.run(env)
        if any(v is FAILED for v in out):
            what = "value" if out[0] is FAILED else "local gradient"
            raise GradientError(f"the {what} of {step.line} does not exist at "
                                f"{_where(env)}")
        values[step.name] = out[0]  # type: ignore[assignment]
        locals_[step.name] = out[1:]  # type: ignore[assignment]
        if kinks is not None:
            branches = kinks.regime({n: float(v) for n, v in env.items()})
            sides.extend(branches)
            at_kink = at_kink or kinks.at_kink(branches)
    gradients = _gradients(circuit, locals_, upstream)
    diagnose = diagnose and (regime is None or tuple(sides) == regime)
    faults = tuple(_faults(circuit, values, locals_, gradients, upstream)) if diagnose else ()
    return CircuitPoint(circuit, dict(inputs), upstream, values, gradients, locals_, faults,
                        at_kink, tuple(sides))


@functools.lru_cache(maxsize=4096)
def _label(mistake: str, where: str) -> str:
    return f"{mistake}@{where}"


def _where(env: Mapping[str, Number]) -> str:
    from quizgrad.math.numeric import fmt

    return ", ".join(f"{n} = {fmt(v)}" for n, v in env.items())


def _gradients(circuit: Circuit, locals_: dict[str, list[Number]], upstream: Number
               ) -> dict[str, Number]:
    """The gradient of every value, node by node from the output.

    Whole numbers are summed as ints (many times faster than Fractions, and as exact) and
    handed back as Fractions.
    """
    gradients: dict[str, Number] = dict.fromkeys(circuit.names, 0)
    gradients[circuit.output] = _whole(upstream)
    for step in reversed(circuit.steps):
        g = gradients[step.name]
        for wire, local in zip(step.node.inputs, locals_[step.name], strict=True):
            gradients[wire] += g * _whole(local)  # fan-out: contributions add up
    return {name: Fraction(v) if v.__class__ is int else v for name, v in gradients.items()}


def _whole(value: Number) -> Number | int:
    """A whole Fraction as an int; any other value as it is."""
    return value.numerator if value.__class__ is Fraction and value.denominator == 1 else value


def _sensitivities(circuit: Circuit, locals_: dict[str, list[float]]
                   ) -> dict[str, dict[str, float]]:
    """J[w][v] = the total derivative of value w with respect to value v (forward mode)."""
    jacobian: dict[str, dict[str, float]] = {name: {name: 1.0} for name in circuit.inputs}
    for step in circuit.steps:
        row: dict[str, float] = {step.name: 1.0}
        for operand, local in zip(step.node.inputs, locals_[step.name], strict=True):
            for v, d in jacobian[operand].items():
                row[v] = row.get(v, 0.0) + local * d
        jacobian[step.name] = row
    return jacobian


def _faults(circuit: Circuit, values: dict[str, Number], locals_: dict[str, list[Number]],
            gradients: dict[str, Number], upstream: Number) -> Iterable[Fault]:
    """Every single fault: a catalog mistake at one node, or a missed branch of a fan-out.

    A fault changes some contributions by delta; by linearity every gradient changes by
    delta × (the derivative of the changed wire with respect to that value), so no second
    backward pass is needed.
    """
    floats = {name: [float(v) for v in row] for name, row in locals_.items()}
    sensitivity = Sensitivity({name: float(v) for name, v in gradients.items()},
                              _sensitivities(circuit, floats))
    correct = sensitivity.correct
    for step in circuit.steps:
        g = correct[step.name]
        inputs = tuple([float(values[n]) for n in step.node.inputs])
        local = tuple(floats[step.name])
        found = by_identity(_STEP_FAULTS, step, functools.partial(
            _step_faults, circuit, step, inputs, g, local), (inputs, g, local), limit=50_000)
        for entry in found:  # tuple.__new__: a fault is made for every node of every draw
            yield _tuple(Fault, (*entry, sensitivity))  # type: ignore[arg-type]
    for name, user, position, where, ancestors in circuit.branches:
        sent = correct[user] * floats[user][position]
        yield Fault("missed-branch", where, _label("missed-branch", where),
                    ((name, sent - correct[name]),), ancestors, sensitivity)


StepFault = tuple[str, str, str, tuple[tuple[str, float], ...], frozenset[str]]
_STEP_FAULTS: dict[tuple[int, object], tuple[object, tuple[StepFault, ...]]] = {}


def _step_faults(circuit: Circuit, step: Step, inputs: tuple[float, ...], g: float,
                 local: tuple[float, ...]) -> tuple[StepFault, ...]:
    """The catalog mistakes at one node that change what it sends, given what it sees.

    What a node's mistakes send depends only on its inputs, the gradient it receives and
    its local gradients, which a class's circuits repeat often: each is remembered (see
    :func:`_faults`). Each entry is (mistake, line, label, deltas, the values it affects).
    """
    _, fast, _, groups = _programs(step.node)
    env = dict(zip(step.node.inputs, inputs, strict=True))
    env[G.name] = g
    out = fast.run(env)
    right = [g * d for d in local]
    line = step.line
    found = []
    for mistake, blind, wires in groups:
        deltas, changed = [], []
        for position, wire, indices in wires:
            sent = out[indices[0]]
            if sent is FAILED:  # a mistake with several forms: the first that exists
                sent = next((out[i] for i in indices if out[i] is not FAILED), None)
                if sent is None:
                    continue
            due = right[position]
            delta = sent - due  # type: ignore[operator]
            deltas.append((wire, delta))
            if not (abs(delta) <= 1e-12 * max(abs(sent), abs(due))  # type: ignore[arg-type]
                    and (local[position] in blind or sent == 0)):
                changed.append(wire)
        if changed:  # else the mistake is right here by its definition: nothing to see
            found.append((mistake, line, _label(mistake, line), tuple(deltas),
                          circuit.ancestors(changed)))
    return tuple(found)


def local_text(step: Step, wire: str) -> str:
    """d step / d wire as text."""
    return ex.to_text(step.node.local(wire))


def symbols(circuit: Circuit) -> dict[str, sp.Symbol]:
    """The sympy symbol of every named value."""
    return {n: ex.symbol(n) for n in circuit.names}


def composed(circuit: Circuit, keep: str | None = None) -> sp.Expr:
    """The output as one formula in the inputs (and in ``keep``, left as a symbol)."""
    names = symbols(circuit)
    replaced: dict[sp.Symbol, sp.Expr] = {}
    for step in circuit.steps:
        if step.name == keep and step.name != circuit.output:
            continue
        replaced[names[step.name]] = step.node.expr.xreplace(replaced)
    return replaced[names[circuit.output]]


@functools.lru_cache(maxsize=512)
def gradient_formulas(circuit: Circuit) -> dict[str, sp.Expr]:
    """Name -> its gradient as a formula in the inputs and the upstream gradient G."""
    names = symbols(circuit)
    out: dict[str, sp.Expr] = {}
    for name in circuit.names:
        if name == circuit.output:
            out[name] = G
            continue
        formula = sp.diff(composed(circuit, keep=name), names[name])
        if name not in circuit.inputs:  # put the intermediate's own formula back in
            inner = composed(Circuit(circuit.text, circuit.inputs, circuit.steps[
                : [s.name for s in circuit.steps].index(name) + 1]))
            formula = formula.xreplace({names[name]: inner})
        out[name] = G * formula
    return out
