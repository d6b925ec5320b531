"""Formulas compiled for fast evaluation when generating and judging many items.

A sympy formula is turned, once, into a tree of Python closures, and several formulas into
a :class:`Program`, a list of operations on numbered slots (no code generation, no exec).
Evaluating with exact rational inputs keeps Fractions wherever the arithmetic is rational
(add, multiply, integer powers, relu, max, abs) and falls back to floats only for
transcendental functions — exact inside, floats at the edges, at microseconds per formula.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Mapping
from fractions import Fraction

import sympy as sp

from quizgrad.math.expr import to_text
from quizgrad.math.nodes import relu, sigmoid, softplus
from quizgrad.math.numeric import NumericError
from quizgrad.memo import by_identity

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
    sp.sinh: lambda x: Fraction(0) if x == 0 else math.sinh(float(x)),
    sp.cosh: lambda x: Fraction(1) if x == 0 else math.cosh(float(x)),
    sp.sech: lambda x: Fraction(1) if x == 0 else 1.0 / math.cosh(float(x)),
    sp.Abs: abs,
    sp.sign: _sign,
    sigmoid: _sigmoid,
    relu: lambda x: x if x > 0 else Fraction(0),
    softplus: _softplus,
}


def _softplus_float(x: float) -> float:
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


def _sigmoid_float(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


_FAST_UNARY: dict[type, Callable[[float], float]] = {
    sp.exp: math.exp, sp.log: math.log, sp.sin: math.sin, sp.cos: math.cos,
    sp.tan: math.tan, sp.tanh: math.tanh, sp.Abs: abs, sp.sinh: math.sinh,
    sp.cosh: math.cosh, sp.sech: lambda x: 1.0 / math.cosh(x),
    sp.sign: lambda x: float((x > 0) - (x < 0)),
    sigmoid: _sigmoid_float, relu: lambda x: x if x > 0 else 0.0, softplus: _softplus_float,
}


def _heaviside_float(u: float, at_zero: float) -> float:
    return 1.0 if u > 0 else 0.0 if u < 0 else at_zero


def _power_float(base: float, exponent: float) -> float:
    if base == 0 and exponent < 0:
        raise ZeroDivisionError
    if base < 0 and exponent != int(exponent):
        raise ValueError("negative base")
    return math.pow(base, exponent)


def _power(base: Number, exponent: Number) -> Number:
    if exponent == int(exponent):
        n = int(exponent)
        if abs(n) > 10_000:
            raise OverflowError
        if base.__class__ is int:  # a whole number inside an exact program
            return base**n if n >= 0 else Fraction(base) ** n
        if isinstance(base, Fraction):
            return base**n  # exact; ZeroDivisionError for 0 ** negative
        if base == 0 and n < 0:
            raise ZeroDivisionError
        return math.pow(base, n)
    if exponent == Fraction(1, 2) and isinstance(base, (Fraction, int)) and base >= 0:
        root = _exact_sqrt(base)
        if root is not None:
            return root
    if base < 0:
        raise ValueError("negative base")
    if base == 0 and exponent < 0:
        raise ZeroDivisionError
    return math.pow(float(base), float(exponent))


def _exact_sqrt(value: Fraction | int) -> Fraction | None:
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
    # from the left, from 0 or 1, as sum() and math.prod() in Python 3.11 (3.12's sum()
    # compensates its rounding)
    func = operator.add if add else operator.mul
    start: Number = (Fraction(0) if add else Fraction(1)) if exact else (0.0 if add else 1.0)
    return lambda env: functools.reduce(func, [a(env) for a in args], start)


class _Failed:
    """A value that could not be computed; any arithmetic on it raises TypeError."""

    def __repr__(self) -> str:
        return "FAILED"


FAILED = _Failed()
_CAUGHT = (ArithmeticError, ValueError, TypeError)


class Program:
    """Several formulas compiled together: each shared subexpression is computed once.

    Leaves (inputs and constants) fill the first slots; each further slot is one operation
    on earlier slots, in dependency order. A failure (a division by zero, a domain error)
    poisons only the values that depend on it: their slots hold FAILED, and every other
    formula is still computed. An exact program keeps whole numbers as ints inside (Python's
    int arithmetic is many times faster than Fraction's) and hands back Fractions.
    """

    def __init__(self, exprs: list[sp.Expr], exact: bool = True) -> None:
        self.exact = exact
        leaves: dict[sp.Basic, None] = {}
        for expr in exprs:
            for sub in sp.preorder_traversal(expr):
                if not sub.args or sub.is_Rational:
                    leaves.setdefault(sub)
        self._slots: dict[sp.Basic, int] = {leaf: i for i, leaf in enumerate(leaves)}
        self._leaves = [self._leaf(leaf) for leaf in leaves]
        self._ops: list[Operation] = []
        self.outputs = [self._slot(expr) for expr in exprs]

    def _leaf(self, expr: sp.Basic) -> tuple[str | None, Number]:
        if expr.is_Symbol:
            return expr.name, 0.0
        if expr.is_Rational and self.exact:
            return None, Fraction(int(expr.p), int(expr.q))
        if expr.is_Rational or expr.is_Float or expr is sp.pi or expr is sp.E:
            return None, float(expr)
        raise TypeError(f"cannot compile {expr}")

    def _slot(self, expr: sp.Basic) -> int:
        found = self._slots.get(expr)
        if found is not None:
            return found
        args = tuple(self._slot(a) for a in expr.args)
        if (expr.is_Add or expr.is_Mul) and len(args) > 2:
            # a sum or product of several terms, one term at a time from the left, a sum
            # from 0: the floats of sum() and math.prod() in Python 3.11, and as plain
            # IEEE arithmetic the same on every Python (3.12's sum() compensates its
            # rounding)
            first = _sum_from_zero if expr.is_Add else operator.mul
            self._ops.append((first, args[0], args[1]))
            at = len(self._leaves) + len(self._ops) - 1
            for arg in args[2:-1]:
                self._ops.append((operator.add if expr.is_Add else operator.mul, at, arg))
                at = len(self._leaves) + len(self._ops) - 1
            args = (at, args[-1])
        self._ops.append(_operation(expr, args, self.exact))
        self._slots[expr] = len(self._leaves) + len(self._ops) - 1
        return self._slots[expr]

    def run(self, env: Env) -> list[Number | _Failed]:
        """Every output's value at ``env`` (FAILED where it does not exist or is not finite)."""
        values: list[Number | _Failed] = [env[name] if name is not None else constant
                                          for name, constant in self._leaves]
        if self.exact:  # whole numbers as ints inside: int arithmetic is many times faster
            values = [v.numerator if v.__class__ is Fraction and v.denominator == 1 else v
                      for v in values]
        append = values.append
        for func, a, b in self._ops:  # as plain data, not closures: a call less per operation
            try:
                if b >= 0:
                    append(func(values[a], values[b]))  # type: ignore[index]
                elif b == _ONE:
                    append(func(values[a]))  # type: ignore[index]
                else:
                    append(func([values[i] for i in a]))  # type: ignore[union-attr]
            except _CAUGHT:
                append(FAILED)
        out = [values[i] for i in self.outputs]
        if not self.exact:  # all floats: one C-level sum says whether every one is finite
            try:
                if math.isfinite(sum(out)):  # type: ignore[arg-type]
                    return out
            except TypeError:  # a FAILED among them
                pass
        isfinite = math.isfinite
        return [FAILED if v.__class__ is float and not isfinite(v)  # type: ignore[arg-type]
                else Fraction(v) if v.__class__ is int else v for v in out]


def _sum_from_zero(a: Number, b: Number) -> Number:
    """The first step of a long sum, from 0 as sum() starts (so 0 + -0.0 gives 0.0)."""
    return 0 + a + b


# An operation: (function, first operand's slot, second operand's slot), or _ONE in place
# of the second for a function of one argument, or (function, slots, _MANY) for a function
# of a list of them (max, min).
Operation = tuple[Callable[..., Number], int | tuple[int, ...], int]
_ONE, _MANY = -1, -2


def _operation(expr: sp.Basic, args: tuple[int, ...], exact: bool) -> Operation:
    """One operation on earlier slots.

    The float versions never produce a Fraction, so that screening stays all-float.
    """
    if expr.is_Add or expr.is_Mul:  # of two terms: Program._slot splits longer ones
        return (operator.add if expr.is_Add else operator.mul, args[0], args[1])
    if expr.is_Pow:
        return (_power if exact else _power_float, args[0], args[1])
    table = _UNARY if exact else _FAST_UNARY
    if expr.func in table:
        return (table[expr.func], args[0], _ONE)
    if expr.func in (sp.Max, sp.Min):
        return (max if expr.func is sp.Max else min, args, _MANY)
    if expr.func is sp.Heaviside:
        return (_heaviside if exact else _heaviside_float, args[0], args[1])
    raise TypeError(f"cannot compile {expr.func}")


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


def exact_text(expr: sp.Expr, env: Env, value: Number, memo: dict[str, str] | None = None
               ) -> str:
    """An exact form of ``value``: 'p/q' when rational, else ``expr`` with the inputs filled in.

    ``memo`` keeps the filled-in text of each name across calls with the same ``env``.
    """
    if isinstance(value, Fraction):
        return str(value)
    memo = {} if memo is None else memo
    form, names = _template(expr)
    shown = []
    for name in names:
        found = memo.get(name)
        if found is None:
            found = memo[name] = _shown(env.get(name), name)
        shown.append(found)
    return form.format(*shown)


def _shown(value: Number | None, name: str) -> str:
    """A value as it is filled into a formula: bare when a whole number >= 0, else bracketed."""
    if value is None:
        return name
    if isinstance(value, Fraction) and value.denominator == 1 and value.numerator >= 0:
        return str(value.numerator)
    return f"({value})"


_TEMPLATES: dict[tuple[int, object], tuple[object, tuple[str, tuple[str, ...]]]] = {}


def _template(expr: sp.Expr) -> tuple[str, tuple[str, ...]]:
    """The printed formula as a format string with a {} for each symbol, and their names.

    Remembered by identity: hashing a SymPy expression costs more than filling it in, and
    the formulas are the long-lived ones of the plans.
    """
    return by_identity(_TEMPLATES, expr, lambda: _split(expr))


def _split(expr: sp.Expr) -> tuple[str, tuple[str, ...]]:
    marked = to_text(expr, {s.name: f"\x00{s.name}\x00" for s in expr.free_symbols})
    parts = marked.split("\x00")  # text, name, text, name, ..., text
    form = "{}".join(text.replace("{", "{{").replace("}", "}}") for text in parts[::2])
    return form, tuple(parts[1::2])
