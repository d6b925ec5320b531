"""Compiled programs: exact and float evaluation, and what fails where."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp

from quizgrad.compiled import FAILED, Program, exact_text

x, y = sp.symbols("x y")


@pytest.mark.parametrize(("env", "expected"), [
    ({"x": 2.0, "y": 4.0}, [8.0, 6.0, 0.5]),
    ({"x": 1.0, "y": 0.0}, [0.0, 1.0, FAILED]),  # only the division fails
    ({"x": 1e200, "y": 1e200}, [FAILED, 2e200, 1.0]),  # an overflow to inf is a failure
    ({"x": float("nan"), "y": 1.0}, [FAILED, FAILED, FAILED]),
])
def test_float_program_marks_only_the_values_that_do_not_exist(env, expected):
    assert Program([x * y, x + y, x / y], exact=False).run(env) == expected


def test_exact_program_keeps_fractions_and_marks_failures():
    program = Program([x * y, x / y, sp.exp(x)], exact=True)
    assert program.run({"x": Fraction(1, 3), "y": Fraction(3, 2)}) == [
        Fraction(1, 2), Fraction(2, 9), pytest.approx(1.3956124250860895)]
    assert program.run({"x": Fraction(1), "y": Fraction(0)})[1] is FAILED


G = sp.Symbol("G")
LOGISTIC = G * sp.exp(x) / (1 + sp.exp(x))


@pytest.mark.parametrize(("env", "value", "expected"), [
    ({"x": Fraction(2), "G": Fraction(-3)}, 1.5, "(-3)*exp(2)/(exp(2) + 1)"),
    ({"x": Fraction(1, 2), "G": Fraction(3)}, 1.5, "3*exp((1/2))/(exp((1/2)) + 1)"),
    ({"x": Fraction(1, 2)}, 1.5, "G*exp((1/2))/(exp((1/2)) + 1)"),  # a name left as it is
    ({"x": Fraction(2), "G": Fraction(-3)}, Fraction(-7, 3), "-7/3"),  # rational: p/q
])
def test_exact_text_fills_the_inputs_into_the_formula(env, value, expected):
    assert exact_text(LOGISTIC, env, value) == expected


def test_exact_text_shares_the_filled_in_inputs_through_its_memo():
    memo: dict[str, str] = {}
    env = {"x": Fraction(2), "G": Fraction(-3)}
    assert exact_text(LOGISTIC, env, 1.5, memo) == exact_text(LOGISTIC, env, 1.5)
    assert memo == {"G": "(-3)", "x": "2"}
