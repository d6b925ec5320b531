"""Formulas compiled to closures: fast evaluation for generating and judging many items.

A sympy formula is turned, once, into a tree of Python closures (no code generation, no
exec). Evaluating it with exact rational inputs keeps Fractions wherever the arithmetic is
rational (add, multiply, integer powers, relu, max, abs) and falls back to floats only for
transcendental functions — exact inside, floats at the edges, at microseconds per formula.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction

import sympy as sp

from .expr import to_text
from .nodes import relu, sigmoid, softplus
from .numeric import NumericError

Number = Fraction | float
Env = Mapping[str, Number]
Compiled = Callable[[Env], Number]


def _sigmoid(x: Number) -> Number:
    if x == 0:
        return Fraction(1, 2)
    x = float(x)
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _softplus(x: Number) -> float:
    x = float(x)
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


def _sign(x: Number) -> Fraction:
    return Fraction((x > 0) - (x < 0))


def _floated(func: Callable[[float], float]) -> Callable[[Number], Number]:
    def run(x: Number) -> Number:
        return func(float(x))
    return run


_UNARY: dict[type, Callable[[Number], Number]] = {
    sp.exp: lambda x: Fraction(1) if x == 0 else math.exp(float(x)),
    sp.log: lambda x: Fraction(0) if x == 1 else math.log(float(x)),
    sp.sin: _floated(math.sin),
    sp.cos: _floated(math.cos),
    sp.tan: _floated(math.tan),
    sp.tanh: _floated(math.tanh),
    sp.Abs: abs,
    sp.sign: _sign,
    sigmoid: _sigmoid,
    relu: lambda x: x if x > 0 else Fraction(0),
    softplus: _softplus,
}


def _power(base: Number, exponent: Number) -> Number:
    if exponent == int(exponent):
        n = int(exponent)
        if abs(n) > 10_000:
            raise OverflowError
        if isinstance(base, Fraction):
            return base**n  # exact; ZeroDivisionError for 0 ** negative
        if base == 0 and n < 0:
            raise ZeroDivisionError
        return math.pow(base, n)
    if exponent == Fraction(1, 2) and isinstance(base, Fraction) and base >= 0:
        root = _exact_sqrt(base)
        if root is not None:
            return root
    if base < 0:
        raise ValueError("negative base")
    if base == 0 and exponent < 0:
        raise ZeroDivisionError
    return math.pow(float(base), float(exponent))


def _exact_sqrt(value: Fraction) -> Fraction | None:
    num, den = math.isqrt(value.numerator), math.isqrt(value.denominator)
    if num * num == value.numerator and den * den == value.denominator:
        return Fraction(num, den)
    return None


def _heaviside(u: Number, at_zero: Number) -> Number:
    return Fraction(1) if u > 0 else Fraction(0) if u < 0 else at_zero


def compile_formula(expr: sp.Expr, exact: bool = True) -> Compiled:
    """A closure evaluating ``expr``; symbols are looked up by name in the environment.

    ``exact`` keeps rational arithmetic in Fractions; otherwise everything is a float,
    several times faster (for predictions that are only ever compared within a tolerance).
    """
    if expr.is_Rational:
        constant: Number = Fraction(int(expr.p), int(expr.q))
        if not exact:
            constant = float(constant)
        return lambda env: constant
    if expr.is_Float:
        value = float(expr)
        return lambda env: value
    if expr is sp.pi or expr is sp.E:
        value = float(expr)
        return lambda env: value
    if expr.is_Symbol:
        name = expr.name
        return lambda env: env[name]
    args = [compile_formula(a, exact) for a in expr.args]
    if expr.is_Add or expr.is_Mul:
        return _fold(args, expr.is_Add, exact)
    if expr.is_Pow:
        base, exponent = args
        return lambda env: _power(base(env), exponent(env))
    if expr.func in _UNARY:
        func, (arg,) = _UNARY[expr.func], args
        return lambda env: func(arg(env))
    if expr.func in (sp.Max, sp.Min):
        pick = max if expr.func is sp.Max else min
        return lambda env: pick(a(env) for a in args)
    if expr.func is sp.Heaviside:
        u, at_zero = args
        return lambda env: _heaviside(u(env), at_zero(env))
    raise TypeError(f"cannot compile {expr.func}")


def _fold(args: list[Compiled], add: bool, exact: bool) -> Compiled:
    """A sum or product, specialised for two and three terms (the common cases)."""
    if len(args) == 2:
        a, b = args
        return (lambda env: a(env) + b(env)) if add else (lambda env: a(env) * b(env))
    if len(args) == 3:
        a, b, c = args
        return ((lambda env: a(env) + b(env) + c(env)) if add
                else (lambda env: a(env) * b(env) * c(env)))
    if add:
        start: Number = Fraction(0) if exact else 0.0
        return lambda env: sum((a(env) for a in args), start)
    one: Number = Fraction(1) if exact else 1.0
    return lambda env: math.prod((a(env) for a in args), start=one)


def run(compiled: Compiled, env: Env) -> Number:
    """Evaluate; NumericError when the value does not exist or is not finite."""
    try:
        value = compiled(env)
    except ZeroDivisionError:
        raise NumericError("is undefined (division by zero)") from None
    except OverflowError:
        raise NumericError("is too large") from None
    except (ValueError, TypeError):
        raise NumericError("is undefined (outside the function's domain)") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise NumericError("is too large or undefined")
    return value


def exact_text(expr: sp.Expr, env: Env, value: Number) -> str:
    """An exact form of ``value``: 'p/q' when rational, else ``expr`` with the inputs filled in."""
    if isinstance(value, Fraction):
        return str(value)
    shown = {name: str(v) if isinstance(v, Fraction) and v >= 0 and v.denominator == 1
             else f"({v})" for name, v in env.items()}
    return to_text(expr, shown)
