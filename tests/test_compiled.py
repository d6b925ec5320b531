"""Compiled programs: exact and float evaluation, and what fails where."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from quizgrad.math.compiled import FAILED, Program, compile_formula, exact_text, run

x, y, z = sp.symbols("x y z")


@pytest.mark.parametrize(("env", "expected"), [
    ({"x": 2.0, "y": 4.0}, [8.0, 6.0, 0.5]),
    ({"x": 1.0, "y": 0.0}, [0.0, 1.0, FAILED]),  # only the division fails
    ({"x": 1e200, "y": 1e200}, [FAILED, 2e200, 1.0]),  # an overflow to inf is a failure
    ({"x": float("nan"), "y": 1.0}, [FAILED, FAILED, FAILED]),
])
def test_float_program_marks_only_the_values_that_do_not_exist(env, expected):
    assert Program([x * y, x + y, x / y], exact=False).run(env) == expected


@pytest.mark.parametrize(("expr", "env", "expected"), [
    (x * y, {"x": Fraction(2), "y": Fraction(-3)}, Fraction(-6)),
    (x / y, {"x": Fraction(1), "y": Fraction(3)}, Fraction(1, 3)),  # ints inside, still exact
    (x / 2 + y, {"x": Fraction(3), "y": Fraction(1)}, Fraction(5, 2)),
    (x**-2, {"x": Fraction(2)}, Fraction(1, 4)),
    (x**3 * y, {"x": Fraction(-2), "y": Fraction(1, 2)}, Fraction(-4)),
    (sp.sqrt(x), {"x": Fraction(9)}, Fraction(3)),
    (sp.sqrt(x) * y, {"x": Fraction(9, 4), "y": Fraction(2)}, Fraction(3)),
    (sp.Max(x, y) - sp.Abs(y), {"x": Fraction(4), "y": Fraction(-7)}, Fraction(-3)),
])
def test_exact_program_gives_fractions_for_whole_and_fractional_inputs(expr, env, expected):
    (value,) = Program([expr], exact=True).run(env)
    assert value == expected and type(value) is Fraction


def test_exact_program_keeps_fractions_and_marks_failures():
    program = Program([x * y, x / y, sp.exp(x)], exact=True)
    assert program.run({"x": Fraction(1, 3), "y": Fraction(3, 2)}) == [
        Fraction(1, 2), Fraction(2, 9), pytest.approx(1.3956124250860895)]
    assert program.run({"x": Fraction(1), "y": Fraction(0)})[1] is FAILED
    assert Program([x**-1], exact=True).run({"x": Fraction(0)}) == [FAILED]
    assert isinstance(Program([sp.sqrt(x)], exact=True).run({"x": Fraction(2)})[0], float)


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


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=3, max_size=6))
@example([0.1, 0.2, 0.3])  # 0.6000000000000001 from the left; 3.12's sum() gives 0.6
@example([1e16, 1.0, -1e16])  # 0.0 from the left; a compensated sum gives 1.0
@example([-0.0, -0.0, -0.0])  # a sum starts from 0, as sum() does: 0.0, not -0.0
def test_long_sums_and_products_are_plain_arithmetic_from_the_left(numbers):
    """The same floats on every Python (sum() compensates its rounding from Python 3.12)."""
    names = [sp.Symbol(f"a{i}") for i in range(len(numbers))]
    env = {str(n): v for n, v in zip(names, numbers, strict=True)}
    total, product = Program([sp.Add(*names), sp.Mul(*names)], exact=False).run(env)
    ordered = [env[str(arg)] for arg in sp.Add(*names).args]  # the order SymPy keeps them in
    expected_sum, expected_product = 0 + ordered[0], ordered[0]
    for value in ordered[1:]:
        expected_sum, expected_product = expected_sum + value, expected_product * value
    assert (repr(total), repr(product)) == (repr(expected_sum), repr(expected_product))
    single = [run(compile_formula(f(*names), exact=False), env) for f in (sp.Add, sp.Mul)]
    assert single == [expected_sum, expected_product]  # one formula alone: the same values


def test_max_and_min_of_several_terms():
    program = Program([sp.Max(x, y, z), sp.Min(x, y, z)], exact=True)
    assert program.run({"x": Fraction(1), "y": Fraction(-2), "z": Fraction(3, 2)}) == [
        Fraction(3, 2), Fraction(-2)]
