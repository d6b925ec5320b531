"""Symbolic equivalence of formulas: agreement at seeded random points, exact where cheap.

``s*(1-s)`` with s = sigmoid(x) and ``exp(-x)/(1+exp(-x))^2`` are the same answer. Both
formulas are evaluated with compiled float closures at points drawn from a stream seeded by
the expected formula, away from kinks and outside-the-domain points — bounded work, the
same verdict on every machine; small polynomials that agree are then confirmed exactly.
"""

from __future__ import annotations

import math

import sympy as sp

from quizgrad.math.compiled import compile_formula, run
from quizgrad.math.expr import to_text
from quizgrad.math.nodes import kink_arguments
from quizgrad.math.numeric import NumericError
from quizgrad.math.rng import Stream

POINTS = 8
ATTEMPTS = 120
RELATIVE = 1e-8
ABSOLUTE = 1e-10


def equivalent(given: sp.Expr, expected: sp.Expr, names: tuple[str, ...]) -> bool:
    """Whether ``given`` equals ``expected`` as a function of ``names`` (real inputs)."""
    if given == expected:
        return True
    if not _agree(given, expected, names):
        return False
    difference = given - expected
    if _small_polynomial(difference):
        return sp.expand(difference) == 0  # exact confirmation, where it is cheap
    return True


def _small_polynomial(expr: sp.Expr) -> bool:
    """A polynomial small enough for sympy to expand at once."""
    if not expr.is_polynomial() or sp.count_ops(expr) > 40:
        return False
    return all(p.exp.is_Integer and 0 <= p.exp <= 6 for p in expr.atoms(sp.Pow))


def _agree(given: sp.Expr, expected: sp.Expr, names: tuple[str, ...]) -> bool:
    try:
        mine, theirs = compile_formula(given, False), compile_formula(expected, False)
    except TypeError:
        return False
    kinks = [compile_formula(k, False) for k in kink_arguments(given) + kink_arguments(expected)]
    stream = Stream("equivalence", to_text(expected), names)
    compared = 0
    for attempt in range(ATTEMPTS):
        spread = 2.5 if attempt < ATTEMPTS // 2 else 6.0
        env = {n: stream.integer(-int(spread * 1000), int(spread * 1000)) / 1000 for n in names}
        try:
            want = float(run(theirs, env))
        except NumericError:
            continue  # outside the expected formula's domain: try elsewhere
        if any(_near_zero(k, env) for k in kinks):
            continue
        try:
            got = float(run(mine, env))
        except NumericError:
            return False  # defined for the right answer, undefined for the given one
        if not math.isclose(got, want, rel_tol=RELATIVE, abs_tol=ABSOLUTE):
            return False
        compared += 1
        if compared == POINTS:
            return True
    return compared > 0


def _near_zero(compiled: object, env: dict[str, float]) -> bool:
    try:
        return abs(run(compiled, env)) < 1e-6  # type: ignore[arg-type]
    except NumericError:
        return True


def defined_like(formula: sp.Expr, reference: sp.Expr, names: tuple[str, ...],
                 domain: sp.Expr | None = None) -> bool:
    """Whether ``formula`` is defined wherever ``reference`` (and ``domain``) are (sampled).

    A predicted formula such as 1/step(x) exists only where the gate is open; it cannot
    stand for a misconception about the whole local gradient.
    """
    try:
        mine, theirs = compile_formula(formula, False), compile_formula(reference, False)
        where = compile_formula(domain, False) if domain is not None else theirs
    except TypeError:
        return False
    stream = Stream("domain", to_text(reference), to_text(formula), names)
    for _ in range(ATTEMPTS // 4):
        env = {n: stream.integer(-2500, 2500) / 1000 for n in names}
        try:
            run(theirs, env)
            run(where, env)
        except NumericError:
            continue
        try:
            run(mine, env)
        except NumericError:
            return False
    return True
