"""The worked solution of one node, as data: what ``quizgrad explain`` prints and --json gives."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import sympy as sp

from . import expr as ex
from .engine import Node, kinks, solve
from .errors import ExprError, UsageError
from .numeric import fmt, json_number

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


def parse_assignments(options: Iterable[str]) -> dict[str, sp.Expr]:
    """``--at x=3,y=-4`` (repeatable) -> {name: exact value}; UsageError says what is wrong."""
    values: dict[str, sp.Expr] = {}
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
            try:
                values[name] = ex.parse_number(text)
            except ExprError as exc:
                raise UsageError(f"--at {name}: {exc}") from None
    if not values:
        raise UsageError("give the stored inputs with --at, e.g. --at x=3,y=-4")
    return values


def parse_upstream(text: str) -> sp.Expr:
    """The --upstream value, exactly."""
    try:
        return ex.parse_number(text)
    except ExprError as exc:
        raise UsageError(f"--upstream: {exc}") from None


def explain(node_text: str, values: dict[str, sp.Expr], upstream: sp.Expr) -> dict[str, Any]:
    """Everything about one node at stored inputs: JSON-ready numbers and display strings."""
    node = Node.parse(node_text, values)
    solution = solve(node, values, upstream)
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
        "kinks": kinks(node, values),
        "shown_inputs": {name: fmt(v) for name, v in solution.inputs.items()},
        "shown_upstream": fmt(solution.upstream),
        "shown_output": fmt(solution.output),
        "steps": {w.name: {"local": ex.to_text(w.local), "local_value": fmt(w.local_value),
                           "gradient": fmt(w.gradient)} for w in solution.wires},
    }


def public(data: dict[str, Any]) -> dict[str, Any]:
    """The --json view: the data without display-only strings."""
    return {k: v for k, v in data.items() if not k.startswith("shown_") and k != "steps"}
