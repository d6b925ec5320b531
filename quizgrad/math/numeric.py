"""Numbers at the edges: bounded float evaluation, display formatting, JSON numbers.

Inside, quizgrad keeps exact sympy values (``2*sigmoid(3)*(1 - sigmoid(3))``). Turning one
into a float goes through :func:`to_float`, which walks the expression with the math
module and refuses overflow at any step, so that a hostile ``exp(exp(exp(9)))`` costs
microseconds instead of sympy's arbitrary-precision minutes.
"""

from __future__ import annotations

import fractions
import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sympy as sp

from quizgrad.errors import QuizgradError
from quizgrad.math.nodes import relu, sigmoid, softplus


class NumericError(QuizgradError):
    """A value is too large, not real, or undefined; the message completes 'the value ...'."""


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _softplus(x: float) -> float:
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


def _sign(x: float) -> float:
    return float((x > 0) - (x < 0))


_UNARY: dict[type, Callable[[float], float]] = {
    sp.exp: math.exp,
    sp.log: math.log,
    sp.Abs: abs,
    sp.sin: math.sin,
    sp.cos: math.cos,
    sp.tan: math.tan,
    sp.tanh: math.tanh,
    sp.sinh: math.sinh,
    sp.cosh: math.cosh,
    sp.sech: lambda x: 1.0 / math.cosh(x),
    sp.sign: _sign,
    sigmoid: _sigmoid,
    relu: lambda x: max(0.0, x),
    softplus: _softplus,
}


def to_float(expr: sp.Basic | float | int, env: Mapping[sp.Symbol, float] | None = None) -> float:
    """Evaluate ``expr`` as a float, substituting ``env``; raise NumericError when impossible."""
    try:
        if isinstance(expr, (int, float, fractions.Fraction)):
            return _finite(float(expr))
        return _evaluate(expr, env or {})
    except OverflowError:
        raise NumericError("is too large") from None
    except ZeroDivisionError:
        raise NumericError("is undefined (division by zero)") from None
    except ValueError:
        raise NumericError("is undefined (outside the function's domain)") from None


def _finite(value: float) -> float:
    if math.isinf(value):
        raise OverflowError
    if math.isnan(value):
        raise ValueError
    return value


def _evaluate(e: sp.Basic, env: Mapping[sp.Symbol, float]) -> float:
    if e.is_Rational:
        return _finite(e.p / e.q)
    if e.is_Float:
        return _finite(float(e))
    if e.is_Symbol:
        if e not in env:
            raise NumericError(f"depends on {e}, which has no value")
        return float(env[e])
    if e is sp.pi:
        return math.pi
    if e is sp.E:
        return math.e
    if e in (sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ZeroDivisionError
    if e is sp.I:
        raise NumericError("is not a real number")
    args = [_evaluate(a, env) for a in e.args]
    if e.is_Add:
        return _finite(math.fsum(args))
    if e.is_Mul:
        return _finite(math.prod(args))
    if e.is_Pow:
        return _power(*args)
    func = e.func
    if func is sp.log and args[0] <= 0:
        raise NumericError("is undefined (log of 0)" if args[0] == 0 else
                           "is not a real number (log of a negative number)")
    if func in _UNARY:
        return _finite(_UNARY[func](args[0]))
    if func is sp.Max:
        return max(args)
    if func is sp.Min:
        return min(args)
    if func is sp.Heaviside:
        u = args[0]
        return 1.0 if u > 0 else 0.0 if u < 0 else (args[1] if len(args) > 1 else 0.5)
    raise NumericError(f"cannot be computed ({func})")


def _power(base: float, exponent: float) -> float:
    if base < 0 and exponent != int(exponent):
        raise NumericError("is not a real number (a negative number to a fractional power)")
    if base == 0 and exponent < 0:
        raise ZeroDivisionError
    return _finite(math.pow(base, exponent))


def json_number(value: sp.Expr | fractions.Fraction | float | int) -> int | float:
    """A JSON number: an int when the exact value is an integer, else a float.

    Exact sympy values are rounded correctly (evaluated at 30 digits after a cheap guard).
    """
    if value.__class__ is fractions.Fraction:  # the common case, first
        numerator, denominator = value.numerator, value.denominator  # type: ignore[union-attr]
        if denominator == 1 and abs(numerator) < 2**53:
            return numerator  # type: ignore[no-any-return]
        try:
            return numerator / denominator  # type: ignore[no-any-return]  # correctly rounded
        except OverflowError:
            return precise_float(value)  # too large for a float: says so
    is_integer = isinstance(value, sp.Integer) or (
        isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, fractions.Fraction) and value.denominator == 1)
    if is_integer and abs(int(value)) < 2**53:
        return int(value)
    return precise_float(value)


def precise_float(value: sp.Expr | fractions.Fraction | float | int) -> float:
    """The float nearest an exact value (sympy values are evaluated at 30 digits)."""
    guess = to_float(value)
    if isinstance(value, sp.Basic) and not value.is_Rational:
        return float(value.evalf(30))
    return guess


def fmt(value: sp.Expr | fractions.Fraction | float | int, digits: int = 4) -> str:
    """A number for people: exact when short (``-8``, ``0.25``), else ``digits`` significant."""
    if value.__class__ is fractions.Fraction:  # the common case, remembered by its integers
        key = (value.numerator, value.denominator, digits)  # type: ignore[union-attr]
        found = _FRACTIONS.get(key)
        if found is None:
            if len(_FRACTIONS) > 65536:
                _FRACTIONS.clear()
            found = _FRACTIONS[key] = _fmt(value, digits)
        return found
    return _fmt(value, digits)


_FRACTIONS: dict[tuple[int, int, int], str] = {}


@functools.lru_cache(maxsize=65536, typed=True)
def _fmt(value: sp.Expr | fractions.Fraction | float | int, digits: int = 4) -> str:
    if isinstance(value, (sp.Rational, int, fractions.Fraction)) and not isinstance(value, bool):
        exact = fractions.Fraction(int(value.p), int(value.q)) if isinstance(
            value, sp.Rational) else fractions.Fraction(value)
        if exact.denominator == 1 and abs(exact.numerator) < 10**12:
            return str(exact.numerator)
        decimal = _short_decimal(exact)
        if decimal is not None:
            return decimal
    number = to_float(value)
    if number == 0:
        return "0"
    text = f"{number:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}e{int(exponent)}"
    return text


def _short_decimal(value: fractions.Fraction, places: int = 6) -> str | None:
    """``value`` as a terminating decimal of at most ``places`` places, or None."""
    scaled = value * 10**places
    if scaled.denominator != 1 or abs(scaled.numerator) >= 10**15:
        return None
    sign = "-" if scaled.numerator < 0 else ""
    whole, frac = divmod(abs(scaled.numerator), 10**places)
    digits = str(frac).rjust(places, "0").rstrip("0")
    return f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}"


def exact_fraction(value: sp.Rational | fractions.Fraction | int) -> fractions.Fraction:
    """A Python Fraction from an exact rational."""
    if isinstance(value, sp.Rational):
        return fractions.Fraction(int(value.p), int(value.q))
    return fractions.Fraction(value)


def decimal_rational(value: float | int | str) -> sp.Rational:
    """Exact rational of a number or a plain decimal text (the float 0.1 is 1/10).

    ValueError when it is not finite or not a plain decimal.
    """
    if isinstance(value, float):
        value = repr(value)
    frac = fractions.Fraction(value.strip() if isinstance(value, str) else int(value))
    return sp.Rational(frac.numerator, frac.denominator)


@dataclass(frozen=True)
class Tolerance:
    """How close a numeric answer must be: within max(relative * |expected|, absolute)."""

    relative: float = 0.01
    absolute: float = 1e-8

    def width(self, expected: float) -> float:
        """The allowed distance from ``expected``."""
        return max(self.relative * abs(expected), self.absolute)

    def accepts(self, given: float, expected: float) -> bool:
        """Whether ``given`` is close enough to ``expected`` (a hair of float slack included)."""
        return abs(given - expected) <= self.width(expected) * (1 + 1e-9)

    def describe(self) -> str:
        """Human wording, e.g. 'within 1% (or 1e-08)'."""
        return f"within {self.relative:.4g} relative, {self.absolute:.4g} absolute"
