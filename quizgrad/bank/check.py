"""Checking banks: validate, sample every template, verify gradients, run question tests.

Each gradient is verified against a central finite difference that is independent of
sympy's differentiation: the node function itself is evaluated at x +- h with h = 1e-20 at
60 significant digits (mpmath, through sympy's evalf). Randomized templates are sampled
several times; each draw must be discriminating (see :mod:`quizgrad.items.discriminate`), and the
sample answers a template lists under ``tests`` must get the verdicts and mistakes it expects.
Then every template that draws numbers is drawn as a class would be (see
:mod:`quizgrad.bank.coverage`): variants that collapse onto few answers, or that miss a regime of
a kink, are problems too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sympy as sp

from quizgrad.bank.coverage import VARIANTS, Coverage, coverage
from quizgrad.bank.load import (
    Bank,
    CircuitTemplate,
    LocalTemplate,
    MatrixTemplate,
    SampleAnswer,
    Template,
    WireTemplate,
    bank_files,
    duplicate_ids,
    load_bank,
)
from quizgrad.bank.templates import GradientTemplate, NetworkTemplate
from quizgrad.errors import BankError, ExprError, GradientError, Problem
from quizgrad.grading.judge import judge
from quizgrad.items.base import Item, WireItem
from quizgrad.items.circuit import CircuitItem
from quizgrad.items.matrix import MatrixItem
from quizgrad.items.network import NetworkItem
from quizgrad.math.circuit import composed, symbols
from quizgrad.math.compiled import compile_formula, run
from quizgrad.math.engine import Node, kinks
from quizgrad.math.expr import parse
from quizgrad.math.matrix import entry_name, indices, parse_matrix
from quizgrad.math.network import composed as composed_network
from quizgrad.math.numeric import NumericError, to_float
from quizgrad.math.rng import Stream
from quizgrad.registry import kind_of, profile

if TYPE_CHECKING:
    from quizgrad.kinds.base import Kind

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
    tests: int = 0
    draws: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    coverage: list[Coverage] = field(default_factory=list)


ZERO_SCORE = 0.05  # guessing 0 on every wire should score no more than this


@dataclass
class CheckReport:
    """The outcome of ``quizgrad check``: one summary per file, problems across files."""

    banks: list[BankSummary]
    problems: list[Problem]
    worst_error: float = 0.0
    variants: int = VARIANTS

    @property
    def coverage(self) -> list[Coverage]:
        """What each template's variants cover, bank after bank."""
        return [c for bank in self.banks for c in bank.coverage]

    @property
    def zero_score(self) -> float:
        """The share of every gradient point that answering 0 on every wire would score."""
        total = sum(c.max_points for c in self.coverage)
        return sum(c.zero_points for c in self.coverage) / total if total else 0.0

    @property
    def guessable(self) -> bool:
        """Whether answering 0 everywhere would score more than ZERO_SCORE of the points."""
        return self.zero_score > ZERO_SCORE

    @property
    def ok(self) -> bool:
        """Whether nothing was found."""
        return not self.problems

    @property
    def notes(self) -> list[Problem]:
        """Remarks that are not problems (mistakes a template can never reveal, ...)."""
        return [note for bank in self.banks for note in bank.notes]


def central_difference(node: Node, point: dict[sp.Symbol, sp.Expr], name: str) -> sp.Float:
    """(f(x+h) - f(x-h)) / 2h for input ``name`` at ``point``, at high precision."""
    return difference(node.expr, point, node.symbol(name))


def difference(expr: sp.Expr, point: dict[sp.Symbol, sp.Expr], sym: sp.Symbol) -> sp.Float:
    """The central finite difference of ``expr`` in ``sym`` at ``point``, at 60 digits."""
    here = point[sym]
    plus = expr.xreplace({**point, sym: here + STEP})
    minus = expr.xreplace({**point, sym: here - STEP})
    for value in (plus, minus):
        to_float(value)  # refuses overflow before mpmath is asked for 60 digits
    return ((plus.evalf(DIGITS) - minus.evalf(DIGITS)) / (2 * STEP)).evalf(DIGITS)


def relative_error(exact: sp.Expr | float, approx: sp.Expr) -> float:
    """|exact - approx| / max(|exact|, 1e-30), computed at high precision."""
    value = sp.S(exact).evalf(DIGITS)
    return float(abs(value - approx) / max(abs(value), sp.Float("1e-30")))


def check_banks(paths: Iterable[Path | str] = (), samples: int = 6, variants: int = VARIANTS
                ) -> CheckReport:
    """Check every bank file named (the bundled ones by default).

    ``variants`` is how many variants of each template are drawn to measure what they
    cover (0: not measured).
    """
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
            worst = max(worst, _check_template(template, summary, samples))
            if variants and kind_of(template).draws:
                _check_coverage(template, summary, variants)
    for dupe in duplicate_ids(banks):
        next(s for s in summaries if s.file == dupe.file).problems.append(dupe)
    return CheckReport(summaries, [p for s in summaries for p in s.problems], worst, variants)


def _check_coverage(template: GradientTemplate | MatrixTemplate, summary: BankSummary,
                    variants: int) -> None:
    found = coverage(template, variants)
    summary.coverage.append(found)
    for problem in found.problems:
        _report(summary, template, problem)


def _report(summary: BankSummary, template: Template, message: str, note: bool = False,
            line: int | None = None) -> None:
    target = summary.notes if note else summary.problems
    problem = Problem(template.file, line or template.line, message, template.id)
    if problem not in target:
        target.append(problem)


def _check_template(template: Template, summary: BankSummary, samples: int) -> float:
    """Sample one template, verify its gradients, run its tests; the worst relative error."""
    return kind_of(template).check(template, summary, samples)


def check_fixed(kind: Kind, template: Template, summary: BankSummary) -> float:
    """A template with no numbers to draw: one variant, its tests run."""
    item = kind.variant(template, Stream("check", template.id))
    summary.samples += 1
    _run_tests(template, item, summary)
    return 0.0


def check_drawn(kind: Kind, template: Template, summary: BankSummary, samples: int) -> float:
    """``samples`` draws as generate makes them, each verified and tested; notes on the draws."""
    worst = 0.0
    failures, attempts, last = 0, 0, ""
    hidden: list[frozenset[tuple[str, str]]] = []  # the faults that hid, per sample
    for index in range(samples):
        try:
            item, tries = kind.search(template, Stream("check", template.id, index), 100)
        except GradientError as exc:
            failures, last = failures + 1, str(exc)
            continue
        attempts += tries
        summary.samples += 1
        summary.draws += tries
        worst = max(worst, kind.verify(template, item, summary))
        _run_tests(template, item, summary)
        hidden.append(kind.hidden(item))
    if hidden and template.randomized and frozenset.intersection(*hidden):
        found = sorted(frozenset.intersection(*hidden))
        _report(summary, template, "these mistakes give the right answer on every sampled "
                f"draw, so no variant reveals them: {', '.join(f'{m} ({n})' for n, m in found)}",
                note=True)
    if failures:
        _report(summary, template, f"{failures} of {samples} samples found no usable draw; "
                f"last: {last}")
    if template.randomized and samples > failures and kind.profile(template) is not None:
        _discrimination_notes(template, summary, attempts / (samples - failures))
    return worst


def _discrimination_notes(template: WireTemplate | CircuitTemplate | MatrixTemplate,
                          summary: BankSummary, mean: float) -> None:
    shape = profile(template)
    assert shape is not None  # only templates that draw numbers are noted on
    if mean > 5:
        _report(summary, template, f"discriminating draws are rare: {mean:.1f} draws per "
                "variant on average; consider wider or different ranges", note=True)
    sides = [side for side in shape.regimes if side.weight]
    everywhere = shape.unrevealable
    if sides:  # hidden in every regime (a closed gate's exact 0 hides, it does not reveal)
        everywhere = (frozenset.intersection(*(s.profile.always_right for s in sides))
                      - frozenset.intersection(*(s.profile.by_definition for s in sides)))
    if everywhere:
        _report(summary, template, "these mistakes give the right answer on every draw, so "
                f"no variant can reveal them: {_coincidences(everywhere)}", note=True)
    for side in sides:
        only = side.profile.unrevealable - everywhere
        if only:
            _report(summary, template, f"where {side.label}, these mistakes give the right "
                    f"answer on every draw (variants in other regimes reveal them): "
                    f"{_coincidences(only)}", note=True)
    if shape.fewest_pairs:
        _report(summary, template, f"at best {shape.fewest_pairs} pair(s) of mistakes predict "
                "the same value on a draw (the diagnosis names both)", note=True)


def _coincidences(found: frozenset[tuple[str, str]]) -> str:
    return ", ".join(sorted(f"{mistake} (wire {wire})" for wire, mistake in found))


def verify_wire(template: WireTemplate, item: WireItem, summary: BankSummary) -> float:
    """Each asked wire's local gradient against a central difference."""
    if item.point.at_kink:
        return 0.0  # a deliberate kink: the convention applies, a difference cannot
    node = item.node
    point = node.at({n: sp.Rational(v.numerator, v.denominator) for n, v in item.inputs.items()})
    worst = 0.0
    for wire in node.inputs if set(item.ask) == set(node.inputs) else item.ask:
        try:
            approx = central_difference(node, point, wire)
        except NumericError as exc:
            _report(summary, template, f"finite difference failed: the value {exc}")
            return worst
        error = relative_error(item.point.local[wire], approx)
        summary.derivatives += 1
        worst = max(worst, error)
        if error > RELATIVE:
            _report(summary, template, f"df/d{wire} = {item.point.local[wire]} disagrees with "
                    f"the finite difference {sp.N(approx, 15)} at {item.inputs}")
    return worst


def verify_circuit(template: CircuitTemplate, item: CircuitItem, summary: BankSummary) -> float:
    """Every gradient of the circuit against a finite difference of the composed output."""
    if item.point.at_kink:
        return 0.0
    circuit, point = item.circuit, item.point
    names = symbols(circuit)
    worst = 0.0
    for name in circuit.names:
        if name == circuit.output:
            continue
        expr = composed(circuit, keep=name)
        at = {names[n]: _exact(point.values[n]) for n in circuit.names}
        try:
            approx = difference(expr, at, names[name]) * _exact(point.upstream)
        except NumericError as exc:
            _report(summary, template, f"finite difference failed: the value {exc}")
            return worst
        error = relative_error(sp.Float(float(point.gradients[name]), 30)
                               if isinstance(point.gradients[name], float)
                               else _exact(point.gradients[name]), approx)
        summary.derivatives += 1
        worst = max(worst, error)
        if error > RELATIVE and (abs(approx) > 1e-12 or abs(float(point.gradients[name])) > 1e-9):
            _report(summary, template, f"the gradient of {name} disagrees with the finite "
                    f"difference {sp.N(approx, 15)} at {dict(point.inputs)}")
    return worst


def verify_matrix(template: MatrixTemplate, item: MatrixItem, summary: BankSummary) -> float:
    """Every entry of every gradient against a finite difference of sum(G * Y)."""
    if item.point.at_kink:
        return 0.0
    node, point = item.node, item.point
    at = {sp.Symbol(entry_name(n, i), real=True): _exact(v)
          for n, a in point.inputs.items() for i, v in zip(indices(a.shape), a.entries,
                                                          strict=True)}
    loss = sp.Add(*(_exact(g) * y for g, y in zip(point.upstream.entries,
                                                  node.output.entries, strict=True)))
    return _entries_checked(template, summary, loss, at, (
        (sym, value) for name in node.inputs
        for sym, value in zip(node.symbols(name).entries, point.gradients[name].entries,
                              strict=True)))


def _entries_checked(template: Template, summary: BankSummary, loss: sp.Expr,
                     at: dict[sp.Symbol, sp.Expr], entries: Iterable[tuple[sp.Symbol, object]]
                     ) -> float:
    """Each (entry, its gradient) against a finite difference of ``loss``; the worst error."""
    worst = 0.0
    for sym, value in entries:
        try:
            approx = difference(loss, at, sym)
        except NumericError as exc:
            _report(summary, template, f"finite difference failed: the value {exc}")
            return worst
        error = relative_error(_exact(value), approx)
        summary.derivatives += 1
        worst = max(worst, error)
        if error > RELATIVE and (abs(approx) > 1e-12 or abs(float(value)) > 1e-9):  # type: ignore[arg-type]
            _report(summary, template, f"the gradient entry {sym} disagrees with the "
                    f"finite difference {sp.N(approx, 15)}")
    return worst


def verify_network(template: NetworkTemplate, item: NetworkItem, summary: BankSummary
                    ) -> float:
    """Every entry of every input's gradient against a finite difference of sum(G * output)."""
    point, network = item.point, item.network
    if point.at_kink:
        return 0.0
    out = composed_network(network)[network.output]
    loss = sp.Add(*(_exact(g) * y for g, y in zip(point.upstream.entries, out.entries,
                                                  strict=True)))
    at = {sp.Symbol(entry_name(n, i), real=True): _exact(v) for n in network.inputs
          for i, v in zip(indices(network.shapes[n]), point.values[n].entries, strict=True)}
    return _entries_checked(template, summary, loss, at, (
        (sp.Symbol(entry_name(name, index), real=True), value) for name in network.inputs
        for index, value in zip(indices(network.shapes[name]), point.gradients[name].entries,
                                strict=True)))


def _exact(value: object) -> sp.Expr:
    from fractions import Fraction

    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    return sp.Float(value, 30)  # type: ignore[arg-type]


def check_local(template: LocalTemplate, summary: BankSummary, samples: int) -> float:
    """A local template's derivative against finite differences at sampled points."""
    node = template.node
    formula = node.local(template.wrt)
    worst, checked = 0.0, 0
    stream = Stream("check", template.id)
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
    if not checked:
        _report(summary, template, "found no point where the node is defined")
    return worst


def _run_tests(template: Template, item: Item, summary: BankSummary) -> None:
    for test in template.tests:
        summary.tests += 1
        if any(p.line == test.line and p.field == template.id for p in summary.problems):
            continue  # reported once, on the first variant that failed it
        try:
            answer = sample_answer(test, item)
        except (ExprError, NumericError, KeyError) as exc:
            _report(summary, template, f"test: cannot build the answer ({exc})",
                    line=test.line)
            continue
        result = judge(item, answer)
        missing = [m for m in test.mistakes if m not in result.mistakes]
        if result.verdict != test.verdict or missing:
            got = f"{result.verdict}" + (f" ({', '.join(result.mistakes)})"
                                         if result.mistakes else "")
            want = test.verdict + (f" ({', '.join(test.mistakes)})" if test.mistakes else "")
            _report(summary, template, f"test: answer {answer!r} was judged {got}, expected "
                    f"{want}", line=test.line)


def sample_answer(test: SampleAnswer, item: Item) -> object:
    """The answer a test describes, built for this variant (wire answers are formulas)."""
    return kind_of(item).sample_answer(test, item)


def number_answer(test: SampleAnswer, item: Item, env: dict[str, object]) -> object:
    """A test's numbers: formulas in ``env`` (a map of them for several wires)."""
    if isinstance(test.answer, dict):
        return {str(k): _evaluate(v, env) for k, v in test.answer.items()}
    return _evaluate(test.answer, env)


def _evaluate(text: object, env: dict[str, object]) -> str:
    if text is None or (isinstance(text, str) and not text.strip()):
        return ""
    value = run(compile_formula(parse(str(text), env)), env)  # type: ignore[arg-type]
    return str(value) if not isinstance(value, float) else repr(value)


def array_answer(text: object, arrays: dict[str, Any], labels: dict[str, Any]) -> object:
    """A test's array answer: as a list, or a matrix formula in ``arrays`` (class ``labels``)."""
    if not isinstance(text, str) or not text.strip() or text.lstrip().startswith("["):
        return text  # given as it would be typed
    node = parse_matrix(text, {n: a.shape for n, a in arrays.items()}, labels)
    at = {sp.Symbol(entry_name(n, i), real=True): _exact(v)
          for n, a in arrays.items() for i, v in zip(indices(a.shape), a.entries, strict=True)}
    return node.output.map(lambda e: repr(to_float(e.xreplace(at)))).nested()
