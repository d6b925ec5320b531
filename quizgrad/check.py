"""Checking banks: validate, sample every template, verify gradients by finite differences.

The finite difference is independent of sympy's differentiation: it evaluates the node
function itself at x +- h with h = 1e-20 at 60 significant digits (mpmath, through sympy's
evalf) and compares (f(x+h) - f(x-h)) / 2h with the engine's exact local gradient.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import sympy as sp

from .bank import Bank, LocalTemplate, Template, WireTemplate, bank_files, duplicate_ids, load_bank
from .engine import Node, kinks
from .errors import BankError, GradientError, Problem
from .items import draw_wire
from .numeric import NumericError, to_float
from .rng import Stream

STEP = sp.Rational(1, 10**20)
DIGITS = 60
RELATIVE = 1e-12


@dataclass
class BankSummary:
    """What checking one bank file found."""

    file: str
    name: str = ""
    templates: int = 0
    samples: int = 0
    derivatives: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass
class CheckReport:
    """The outcome of ``quizgrad check``: one summary per file, problems across files."""

    banks: list[BankSummary]
    problems: list[Problem]
    worst_error: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether nothing was found."""
        return not self.problems


def central_difference(node: Node, point: dict[sp.Symbol, sp.Expr], name: str) -> sp.Float:
    """(f(x+h) - f(x-h)) / 2h for input ``name`` at ``point``, at high precision."""
    sym = node.symbol(name)
    here = point[sym]
    plus = node.expr.xreplace({**point, sym: here + STEP})
    minus = node.expr.xreplace({**point, sym: here - STEP})
    for value in (plus, minus):
        to_float(value)  # refuses overflow before mpmath is asked for 60 digits
    return ((plus.evalf(DIGITS) - minus.evalf(DIGITS)) / (2 * STEP)).evalf(DIGITS)


def relative_error(exact: sp.Expr, approx: sp.Expr) -> float:
    """|exact - approx| / max(|exact|, 1e-30), computed at high precision."""
    value = exact.evalf(DIGITS)
    return float(abs(value - approx) / max(abs(value), sp.Float("1e-30")))


def check_banks(paths: Iterable[Path | str] = (), samples: int = 6) -> CheckReport:
    """Check every bank file named (the bundled ones by default)."""
    summaries: list[BankSummary] = []
    banks: list[Bank] = []
    worst = 0.0
    for path in bank_files(paths):
        summary = BankSummary(str(path))
        summaries.append(summary)
        try:
            bank = load_bank(path)
        except BankError as exc:
            summary.problems.extend(exc.problems)
            if exc.problems:
                summary.file = exc.problems[0].file
            continue
        banks.append(bank)
        summary.file, summary.name, summary.templates = bank.file, bank.name, len(bank.templates)
        for template in bank.templates:
            worst = max(worst, check_template(template, summary, samples))
    problems = [p for s in summaries for p in s.problems]
    dupes = duplicate_ids(banks)
    for dupe in dupes:
        next(s for s in summaries if s.file == dupe.file).problems.append(dupe)
    return CheckReport(summaries, problems + dupes, worst)


def check_template(template: Template, summary: BankSummary, samples: int) -> float:
    """Sample one template and verify its gradients; returns the worst relative error."""
    if isinstance(template, WireTemplate):
        return _check_wire(template, summary, samples if template.randomized else 1)
    if isinstance(template, LocalTemplate):
        return _check_local(template, summary, samples)
    summary.samples += 1
    return 0.0


def _report(summary: BankSummary, template: Template, message: str) -> None:
    summary.problems.append(Problem(template.file, template.line, message, template.id))


def _check_wire(template: WireTemplate, summary: BankSummary, samples: int) -> float:
    worst = 0.0
    failures = 0
    for index in range(samples):
        stream = Stream("check", template.id, index)
        try:
            item = draw_wire(template, stream)
        except GradientError as exc:
            failures += 1
            last = str(exc)
            continue
        summary.samples += 1
        if item.kinks:
            continue  # a deliberate kink: the convention applies, a difference cannot
        point = item.node.at(item.solution.inputs)
        for wire in item.solution.wires:
            try:
                approx = central_difference(item.node, point, wire.name)
            except NumericError as exc:
                _report(summary, template, f"finite difference failed: the value {exc}")
                return worst
            error = relative_error(wire.local_value, approx)
            summary.derivatives += 1
            worst = max(worst, error)
            if error > RELATIVE:
                _report(summary, template, f"df/d{wire.name} = {wire.local_value} disagrees "
                        f"with the finite difference {sp.N(approx, 15)} at "
                        f"{dict(item.solution.inputs)}")
    if failures:
        _report(summary, template, f"{failures} of {samples} draws failed; last: {last}")
    return worst


def _check_local(template: LocalTemplate, summary: BankSummary, samples: int) -> float:
    node = template.node
    formula = node.local(template.wrt)
    worst = 0.0
    stream = Stream("check", template.id)
    checked = 0
    for _ in range(samples * 4):
        if checked == samples:
            break
        values = {name: sp.Rational(stream.integer(-300, 300), 100) for name in node.inputs}
        if kinks(node, values):
            continue
        point = node.at(values)
        try:
            exact = formula.xreplace(point)
            to_float(exact)
            approx = central_difference(node, point, template.wrt)
        except NumericError:
            continue  # outside the domain (log of a negative number, ...): try another point
        error = relative_error(exact, approx)
        checked += 1
        summary.derivatives += 1
        worst = max(worst, error)
        if error > RELATIVE:
            _report(summary, template, f"df/d{template.wrt} disagrees with the finite "
                    f"difference at {values}")
    summary.samples += 1
    if not checked:
        _report(summary, template, "found no point where the node is defined")
    return worst
