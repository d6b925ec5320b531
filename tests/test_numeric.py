"""Numbers at the edges: JSON numbers from exact values."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from quizgrad.math.numeric import NumericError, json_number


@given(st.fractions(max_denominator=10**12))
def test_a_fraction_is_a_json_int_when_whole_else_its_nearest_float(value):
    number = json_number(value)
    if value.denominator == 1 and abs(value) < 2**53:
        assert type(number) is int and number == value
    else:
        assert type(number) is float and number == float(value)


@pytest.mark.parametrize(("value", "expected"), [
    (Fraction(2**53), 9007199254740992.0),  # past 2**53 a whole number is a float
    (sp.Rational(1, 3), 1 / 3),
    (sp.exp(1), 2.718281828459045),
])
def test_json_number_edges(value, expected):
    assert json_number(value) == expected and type(json_number(value)) is float


def test_a_value_too_large_for_a_float_says_so():
    with pytest.raises(NumericError, match="too large"):
        json_number(Fraction(10**400, 3))
