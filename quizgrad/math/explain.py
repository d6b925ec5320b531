"""The worked solution of one node, as data: what ``quizgrad explain`` prints and --json gives."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import sympy as sp

from quizgrad.errors import ExprError, UsageError
from quizgrad.math import expr as ex
from quizgrad.math.engine import Node, kinks, solve
from quizgrad.math.numeric import Tolerance, exact_fraction, fmt, json_number, to_float
from quizgrad.math.plan import plan_for
from quizgrad.mistakes.catalog import BY_ID

_ASSIGNMENT = re.compile(r"\s*([^=\s]+)\s*=\s*(.*\S)\s*$", re.S)


def split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside parentheses or brackets."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def raw_assignments(options: Iterable[str]) -> dict[str, str]:
    """``--at x=3,y=-4`` or ``--at "A=[[1,2],[3,4]]"`` (repeatable) -> {name: text}."""
    values: dict[str, str] = {}
    for option in options:
        for part in split_top_level(option):
            match = _ASSIGNMENT.match(part)
            if not match:
                raise UsageError(f"--at takes name=value pairs such as x=3,y=-4, not '{part}'")
            name, text = match.groups()
            why = ex.check_name(name)
            if why:
                raise UsageError(f"--at {name}: {why}")
            if name in values:
                raise UsageError(f"--at gives {name} twice")
            values[name] = text
    if not values:
        raise UsageError("give the stored inputs with --at, e.g. --at x=3,y=-4")
    return values


def parse_assignments(options: Iterable[str]) -> dict[str, sp.Expr]:
    """``--at x=3,y=-4`` (repeatable) -> {name: exact value}; UsageError says what is wrong."""
    values: dict[str, sp.Expr] = {}
    for name, text in raw_assignments(options).items():
        try:
            values[name] = ex.parse_number(text)
        except ExprError as exc:
            raise UsageError(f"--at {name}: {exc}") from None
    return values


def parse_upstream(text: str) -> sp.Expr:
    """The --upstream value, exactly."""
    try:
        return ex.parse_number(text)
    except ExprError as exc:
        raise UsageError(f"--upstream: {exc}") from None


Found = dict[str, list[tuple[str, float, str]]]


def common_mistakes(node: Node, values: dict[str, sp.Expr], upstream: sp.Expr,
                    tolerance: Tolerance | None = None) -> Found:
    """Wire -> [(mistake id, predicted value, working)], where they differ from the answer."""
    tolerance = tolerance or Tolerance()
    plan = plan_for(node)
    exact = all(v.is_Rational for v in (*values.values(), upstream))
    convert = exact_fraction if exact else to_float
    point = plan.evaluate({n: convert(values[n]) for n in node.inputs},  # type: ignore[misc]
                          convert(upstream), exact=False)  # type: ignore[arg-type]
    out: dict[str, list[tuple[str, float, str]]] = {}
    for wire in node.inputs:
        target = float(point.gradient[wire])
        out[wire] = [(p.mistake, p.value, plan.working(p, point) if exact else "")
                     for p in point.predictions[wire]
                     if not tolerance.accepts(p.value, target)]
    return out


def explain(node_text: str, values: dict[str, sp.Expr], upstream: sp.Expr) -> dict[str, Any]:
    """Everything about one node at stored inputs: JSON-ready numbers and display strings."""
    node = Node.parse(node_text, values)
    solution = solve(node, values, upstream)
    mistakes = common_mistakes(node, values, upstream)
    return {
        "node": node.text,
        "inputs": {name: json_number(v) for name, v in solution.inputs.items()},
        "upstream": json_number(solution.upstream),
        "output": json_number(solution.output),
        "local": {w.name: ex.to_text(w.local) for w in solution.wires},
        "local_values": {w.name: json_number(w.local_value) for w in solution.wires},
        "wires": {w.name: json_number(w.gradient) for w in solution.wires},
        "exact": {
            "output": ex.to_text(solution.output),
            "local_values": {w.name: ex.to_text(w.local_value) for w in solution.wires},
            "wires": {w.name: ex.to_text(w.gradient) for w in solution.wires},
        },
        "mistakes": {w: {m: _number(v) for m, v, _ in found} for w, found in mistakes.items()},
        "kinks": kinks(node, values),
        "shown_mistakes": [(w, f"{working} = {fmt(v)}" if working else fmt(v), m,
                            BY_ID[m].description)
                           for w, found in mistakes.items() for m, v, working in found],
        "shown_inputs": {name: fmt(v) for name, v in solution.inputs.items()},
        "shown_upstream": fmt(solution.upstream),
        "shown_output": fmt(solution.output),
        "steps": {w.name: {"local": ex.to_text(w.local), "local_value": fmt(w.local_value),
                           "gradient": fmt(w.gradient)} for w in solution.wires},
    }


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def public(data: dict[str, Any]) -> dict[str, Any]:
    """The --json view: the data without display-only parts."""
    hidden = {"drawing"} | ({"steps"} if "circuit" not in data else set())
    return {k: v for k, v in data.items() if not k.startswith("shown_") and k not in hidden}


def explain_circuit(text: str, values: dict[str, sp.Expr], upstream: sp.Expr) -> dict[str, Any]:
    """A circuit's worked solution: every value, every gradient, the backward steps in order."""
    from fractions import Fraction

    from quizgrad.formats.drawing import layout_lines
    from quizgrad.items.circuit import layout_for
    from quizgrad.math.circuit import evaluate, gradient_formulas, local_text, parse_circuit
    from quizgrad.mistakes.catalog import G

    circuit = parse_circuit(text, tuple(values))

    def exact(value: sp.Expr) -> Fraction | float:
        return exact_fraction(value) if value.is_Rational else to_float(value)

    point = evaluate(circuit, {n: exact(v) for n, v in values.items()},  # type: ignore[misc]
                     exact(upstream))  # type: ignore[arg-type]
    formulas = gradient_formulas(circuit)
    at = {ex.symbol(n): v for n, v in values.items()} | {G: upstream}
    gradients = {n: json_number(formulas[n].xreplace(at)) for n in circuit.names}
    steps = [{"node": back.step.line, "upstream": _num(back.upstream),
              "sends": {w.name: {"local": local_text(back.step, w.name),
                                 "local_value": _num(w.local), "gradient": _num(w.sent)}
                        for w in back.wires}} for back in point.backward]
    tolerance = Tolerance()
    mistakes = {n: {f.label: _number(v) for f, v in point.predictions(n)
                    if not tolerance.accepts(v, float(point.gradients[n]))}
                for n in circuit.names if n != circuit.output}
    return {
        "node": "; ".join(s.line for s in circuit.steps),
        "circuit": [s.line for s in circuit.steps],
        "inputs": {n: json_number(v) for n, v in values.items()},
        "upstream": json_number(upstream),
        "output": _num(point.output),
        "values": {n: _num(v) for n, v in point.values.items()},
        "wires": gradients,
        "steps": steps,
        "mistakes": mistakes,
        "kinks": ["a node sits on a kink; PyTorch's convention applies"] if point.at_kink else [],
        "drawing": layout_lines(layout_for(circuit, point)),
    }


def _num(value: object) -> int | float:
    from fractions import Fraction

    if isinstance(value, Fraction):
        return json_number(value)
    return _number(float(value))  # type: ignore[arg-type]
