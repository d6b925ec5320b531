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
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from . import expr as ex
from .compiled import FAILED, Number, Program
from .engine import Node
from .errors import ExprError, GradientError
from .mistakes import BY_ID, G, formulas
from .nodes import FUNCTIONS

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


@dataclass(frozen=True)
class Circuit:
    """Inputs and steps in order; the last step's value is the output."""

    text: str
    inputs: tuple[str, ...]
    steps: tuple[Step, ...]

    @property
    def output(self) -> str:
        """The name of the output value."""
        return self.steps[-1].name

    @property
    def names(self) -> tuple[str, ...]:
        """Every named value: inputs, then intermediates and the output."""
        return (*self.inputs, *(s.name for s in self.steps))

    def consumers(self, name: str) -> list[Step]:
        """The steps that use ``name``."""
        return [s for s in self.steps if name in s.node.inputs]

    def ancestors(self, names: Iterable[str]) -> frozenset[str]:
        """``names`` and every value they are computed from (remembered)."""
        return _ancestors(self, tuple(names))

    def _ancestors(self, names: tuple[str, ...]) -> frozenset[str]:
        found, todo = set(), list(names)
        steps = {s.name: s for s in self.steps}
        while todo:
            name = todo.pop()
            if name not in found:
                found.add(name)
                if name in steps:
                    todo.extend(steps[name].node.inputs)
        return frozenset(found)

    def depth(self) -> dict[str, int]:
        """Each value's column when the circuit is laid out left to right."""
        depth = dict.fromkeys(self.inputs, 0)
        for step in self.steps:
            depth[step.name] = 1 + max((depth[n] for n in step.node.inputs), default=0)
        return depth


@functools.lru_cache(maxsize=8192)
def _ancestors(circuit: Circuit, names: tuple[str, ...]) -> frozenset[str]:
    return circuit._ancestors(names)


def is_circuit(text: str) -> bool:
    """Whether ``text`` is written as assignments (``q = x + y; f = q * z``)."""
    return bool(_ASSIGN.match(text.split(";")[0].split("\n")[0]))


def split_lines(text: str) -> list[str]:
    """The assignments of a circuit text (separated by ';' or new lines)."""
    return [part.strip() for chunk in text.split("\n") for part in chunk.split(";")
            if part.strip()]


@functools.lru_cache(maxsize=1024)
def parse_circuit(text: str, inputs: tuple[str, ...] | None = None) -> Circuit:
    """Read a circuit; ``inputs`` declares the input names (else: every name not assigned).

    ExprError for a malformed line, a name used before it is assigned, or one assigned twice.
    """
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
    assigned = [name for name, _, _ in parsed]
    if inputs is None:
        used = [n for _, body, _ in parsed for n in _NAME.findall(body)]
        inputs = tuple(dict.fromkeys(n for n in used if n not in assigned
                                     and n not in FUNCTIONS and n not in ex.CONSTANTS))
    known = list(inputs)
    steps = []
    for name, body, line in parsed:
        why = ex.check_name(name)
        if why:
            raise ExprError(why, line, 0, len(name))
        if name in known:
            raise ExprError(f"'{name}' is already defined; each value is assigned once",
                            line, 0, len(name))
        operands = tuple(dict.fromkeys(n for n in _NAME.findall(body) if n in known))
        try:
            node = Node.parse(body, operands)
        except ExprError as exc:
            if "unknown name" in exc.message:
                raise ExprError(f"{exc.message} (a value must be assigned before it is used)",
                                line, line.index(body) + exc.position, exc.length) from None
            raise ExprError(exc.message, line, line.index(body) + exc.position,
                            exc.length) from None
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


@dataclass(frozen=True)
class Fault:
    """A single mistake somewhere in the backward pass, and the gradients it leads to."""

    mistake: str
    where: str  # the node's line, or the fan-out value for missed-branch
    gradients: dict[str, float]
    excused: bool = False
    affects: frozenset[str] = frozenset()  # the values whose gradient the fault can change

    # A wire whose contribution the mistake leaves unchanged *by definition* (passing g
    # through a wire whose local gradient is 1, an exact 0 on a closed gate) cannot be
    # affected; an accidental equality (x = y on a product) still counts as a change, so
    # that discrimination can avoid it.


@dataclass(frozen=True)
class CircuitPoint:
    """A circuit evaluated: values, gradients, backward steps, and single-fault predictions."""

    circuit: Circuit
    inputs: dict[str, Fraction]
    upstream: Fraction
    values: dict[str, Number]
    gradients: dict[str, Number]
    backward: tuple[BackStep, ...]
    faults: tuple[Fault, ...]
    at_kink: bool

    @property
    def output(self) -> Number:
        """The value of the last assignment."""
        return self.values[self.circuit.output]


@functools.lru_cache(maxsize=2048)
def _programs(node: Node) -> tuple[Program, Program, tuple[tuple[str, str, int], ...]]:
    """Per node: exact program (value, locals), fast program of every mistake prediction."""
    exact = Program([node.expr, *(node.local(w) for w in node.inputs)], exact=True)
    found = formulas(node, node.inputs)
    layout, exprs = [], []
    for wire in node.inputs:
        for mistake, predictions in found[wire].items():
            for prediction in predictions:
                layout.append((wire, mistake, len(exprs)))
                exprs.append(prediction.value)
    from .nodes import kink_arguments

    kinks = kink_arguments(node.expr)
    fast = Program([*exprs, *kinks], exact=False)
    return exact, fast, tuple(layout)


def evaluate(circuit: Circuit, inputs: Mapping[str, Fraction], upstream: Fraction,
             diagnose: bool = True) -> CircuitPoint:
    """Forward and backward pass; GradientError when a value or gradient does not exist."""
    values: dict[str, Number] = dict(inputs)
    locals_: dict[str, list[Number]] = {}
    at_kink = False
    for step in circuit.steps:
        exact, fast, layout = _programs(step.node)
        env = {n: values[n] for n in step.node.inputs}
        out = exact.run(env)
        if any(v is FAILED for v in out):
            what = "value" if out[0] is FAILED else "local gradient"
            raise GradientError(f"the {what} of {step.line} does not exist at "
                                f"{_where(env)}")
        values[step.name] = out[0]  # type: ignore[assignment]
        locals_[step.name] = out[1:]  # type: ignore[assignment]
        kinks = fast.run({**{n: float(v) for n, v in env.items()}, G.name: 1.0})[len(layout):]
        at_kink = at_kink or any(k is FAILED or abs(k) < 1e-12 for k in kinks)  # type: ignore[arg-type]
    gradients, backward = _backward(circuit, values, locals_, upstream)
    faults = tuple(_faults(circuit, values, locals_, gradients, upstream)) if diagnose else ()
    return CircuitPoint(circuit, dict(inputs), upstream, values, gradients, tuple(backward),
                        faults, at_kink)


def _where(env: Mapping[str, Number]) -> str:
    from .numeric import fmt

    return ", ".join(f"{n} = {fmt(v)}" for n, v in env.items())


def _backward(circuit: Circuit, values: dict[str, Number], locals_: dict[str, list[Number]],
              upstream: Number, override: tuple[str, dict[str, Number]] | None = None,
              keep_only: tuple[str, str] | None = None
              ) -> tuple[dict[str, Number], list[BackStep]]:
    """Gradients of every value, and the backward steps.

    ``override`` replaces one step's contributions (a fault at that node); ``keep_only`` =
    (value, step) keeps only that step's contribution to the value (a missed branch).
    """
    gradients: dict[str, Number] = dict.fromkeys(circuit.names, Fraction(0))
    gradients[circuit.output] = upstream
    backward = []
    received: dict[str, list[tuple[str, Number]]] = {n: [] for n in circuit.names}
    for step in reversed(circuit.steps):
        incoming = received[step.name]
        if keep_only and keep_only[0] == step.name:
            incoming = [(s, v) for s, v in incoming if s == keep_only[1]]
        g = upstream if step.name == circuit.output else sum((v for _, v in incoming),
                                                             Fraction(0))
        gradients[step.name] = g
        wires = []
        for wire, local in zip(step.node.inputs, locals_[step.name], strict=True):
            sent = g * local
            if override and override[0] == step.name and wire in override[1]:
                sent = override[1][wire]
            received[wire].append((step.name, sent))
            wires.append(Contribution(wire, local, sent))
        backward.append(BackStep(step, g, tuple(wires)))
    for name in circuit.inputs:
        incoming = received[name]
        if keep_only and keep_only[0] == name:
            incoming = [(s, v) for s, v in incoming if s == keep_only[1]]
        gradients[name] = sum((v for _, v in incoming), Fraction(0))
    return gradients, backward


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
    jacobian = _sensitivities(circuit, floats)
    correct = {name: float(v) for name, v in gradients.items()}

    def shifted(deltas: dict[str, float]) -> dict[str, float]:
        out = dict(correct)
        for wire, delta in deltas.items():
            for v, d in jacobian[wire].items():
                out[v] += delta * d
        return out

    for step in circuit.steps:
        _, fast, layout = _programs(step.node)
        g = correct[step.name]
        env = {**{n: float(values[n]) for n in step.node.inputs}, G.name: g}
        out = fast.run(env)
        by_mistake: dict[str, dict[str, float]] = {}
        for wire, mistake, index in layout:
            if out[index] is not FAILED:
                by_mistake.setdefault(mistake, {}).setdefault(wire, out[index])  # type: ignore[arg-type]
        locals_here = dict(zip(step.node.inputs, floats[step.name], strict=True))
        for mistake, sent in by_mistake.items():
            blind = BY_ID[mistake].blind_at
            deltas = {w: p - g * locals_here[w] for w, p in sent.items()}
            changed = [w for w, p in sent.items()
                       if not (math.isclose(p, g * locals_here[w], rel_tol=1e-12,
                                            abs_tol=1e-300)
                               and (locals_here[w] in blind or p == 0))]
            yield Fault(mistake, step.line, shifted(deltas), not changed,
                        circuit.ancestors(changed))
    for name in circuit.names:
        users = circuit.consumers(name)
        if len(users) < 2:
            continue
        sends = {u.name: correct[u.name] * floats[u.name][u.node.inputs.index(name)]
                 for u in users}
        for user in users:
            delta = sends[user.name] - correct[name]
            yield Fault("missed-branch", f"{name} (only the path through {user.name})",
                        shifted({name: delta}), affects=circuit.ancestors([name]))


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
