"""Reading what students type: number formats, decimal commas, formulas, booleans, choices."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp

from quizgrad.grading.response import read_boolean, read_choice, read_formula, read_number
from quizgrad.math.expr import symbol

NUMBERS = [
    ("-8", -8), ("-8.0", -8), ("+3", 3), ("\u22128", -8), ("1/4", Fraction(1, 4)),
    ("2.5e-3", Fraction(1, 400)), ("2*(-4)", -8), ("  7 ", 7), ("\t-0.5\n", Fraction(-1, 2)),
    (".25", Fraction(1, 4)), ("25e-2", Fraction(1, 4)), ("-16/2", -8), ("2(-4)", -8),
    ("-0,25", Fraction(-1, 4)), ("0,250", Fraction(1, 4)), ("1,5", Fraction(3, 2)),
    ("\u2212 0,5", Fraction(-1, 2)), ("3 \u00d7 -2", -6), ("6 \u00f7 4", Fraction(3, 2)),
    (-8, -8), (0.25, Fraction(1, 4)), (0.1, Fraction(1, 10)), ("1e5", 100000),
    ("2,5e-3", Fraction(1, 400)), ("1E-2", Fraction(1, 100)),
]


@pytest.mark.parametrize(("raw", "value"), NUMBERS, ids=[repr(n[0]) for n in NUMBERS])
def test_accepted_number_formats_are_read_exactly(raw, value):
    reading = read_number(raw)
    assert reading.status == "ok", reading.message
    assert sp.Rational(reading.value) == sp.Rational(value)


INVALID = [
    ("abc", "'abc' is not a number", 1),
    ("1,000", "ambiguous", None),
    ("12,345", "ambiguous", None),
    ("2 3", "two numbers in a row", 3),
    ("3 +", "ends with '+'", 3),
    ("1/0", "division by zero", 2),
    ("sqrt(-4)", "not a real number", 1),
    ("x", "is not a number", 1),
    ("1e999", "too large", 1),
    ("4..5", "two numbers in a row", 3),
    ("\x00", "unexpected character", 1),
    ("8e", "an exponent is missing", 2),
    ("2.5e-", "an exponent is missing", 4),
    ("\u0668", "unexpected character", 1),
    ("-\uff18", "unexpected character", 2),
]


@pytest.mark.parametrize(("raw", "fragment", "position"), INVALID,
                         ids=[repr(i[0]) for i in INVALID])
def test_unreadable_numbers_are_invalid_with_a_located_message(raw, fragment, position):
    reading = read_number(raw)
    assert reading.status == "invalid"
    assert fragment in reading.message
    if position is not None:
        assert f"(at position {position})" in reading.message


@pytest.mark.parametrize("raw", [None, "", "   ", "\n"])
def test_empty_answers_are_missing(raw):
    assert read_number(raw).status == "missing"
    assert read_formula(raw, ["x"]).status == "missing"


@pytest.mark.parametrize("raw", [True, [1, 2], {"a": 1}, float("nan"), float("inf")])
def test_answers_of_the_wrong_kind_are_invalid(raw):
    assert read_number(raw).status == "invalid"


x, s = symbol("x"), symbol("s")

FORMULAS = [
    ("s*(1-s)", s * (1 - s)), ("s(1-s)", s * (1 - s)), ("2x", 2 * x), ("2 x", 2 * x),
    ("x^2", x**2), ("x**2", x**2), ("3x^2", 3 * x**2), ("(x+1)(x-1)", (x + 1) * (x - 1)),
    ("2sigmoid(x)", 2 * sp.Function("sigmoid")(x)),
]


@pytest.mark.parametrize(("raw", "expected"), FORMULAS, ids=[f[0] for f in FORMULAS])
def test_formulas_with_implicit_multiplication(raw, expected):
    reading = read_formula(raw, ["x", "s"])
    assert reading.status == "ok"
    assert str(reading.value) == str(expected)


def test_formula_with_unknown_name_is_invalid_and_hints():
    reading = read_formula("xs", ["x", "s"])
    assert reading.status == "invalid" and "did you mean x*s?" in reading.message


@pytest.mark.parametrize(("raw", "value"), [
    (True, True), (False, False), ("true", True), ("False", False), ("T", True), ("f", False),
    ("yes", True), ("no", False), (" TRUE ", True), ("1", True), ("0", False),
])
def test_booleans(raw, value):
    reading = read_boolean(raw)
    assert reading.status == "ok" and bool(reading.value) is value


def test_boolean_nonsense_is_invalid():
    assert read_boolean("maybe").status == "invalid"


CHOICES = ["the upstream gradient", "the forward value", "the stored input"]


@pytest.mark.parametrize(("raw", "index"), [
    ("a", 0), ("B", 1), ("c)", 2), (" b. ", 1), ("the forward value", 1),
    ("THE STORED INPUT", 2),
])
def test_choices_by_letter_or_text(raw, index):
    reading, chosen = read_choice(raw, CHOICES)
    assert reading.status == "ok" and chosen == index


@pytest.mark.parametrize(("raw", "status"), [("d", "invalid"), ("zz", "invalid"),
                                             ("", "missing")])
def test_bad_choices(raw, status):
    reading, chosen = read_choice(raw, CHOICES)
    assert reading.status == status and chosen is None
