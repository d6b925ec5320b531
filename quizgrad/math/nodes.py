"""Node functions the expression language knows, and their conventions at kinks.

Conventions follow PyTorch (release builds): relu'(0) = 0, abs'(0) = 0, and
max/min split the gradient evenly on a tie (each input gets g/2).
sympy already does the right thing for abs (d|x|/dx = sign(x), sign(0) = 0) and for
max/min (d max(x, y)/dx = heaviside(x - y) with heaviside(0) = 1/2); relu, sigmoid and
softplus are defined here so that their derivatives print the way the catalog writes them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp


def _numeric_evalf(expr: sp.Expr, prec: int) -> sp.Expr | None:
    """Evaluate a closed form numerically at binary precision ``prec`` (sympy's evalf hook)."""
    from mpmath.libmp import prec_to_dps

    value = expr.evalf(prec_to_dps(prec))
    return value if value.is_number else None


class sigmoid(sp.Function):  # noqa: N801 - the name students write
    """The logistic function 1/(1 + exp(-x)); its derivative is written through its output."""

    nargs = 1

    @classmethod
    def eval(cls, x: sp.Expr) -> sp.Expr | None:
        """sigmoid(0) = 1/2; other values stay exact and symbolic."""
        if x.is_zero:
            return sp.S.Half
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        """d sigmoid(x)/dx = sigmoid(x) * (1 - sigmoid(x))."""
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, x: sp.Expr, **kwargs: object) -> sp.Expr:
        return 1 / (1 + sp.exp(-x))

    def _eval_evalf(self, prec: int) -> sp.Expr | None:
        return _numeric_evalf(1 / (1 + sp.exp(-self.args[0])), prec)

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real

    def _eval_is_positive(self) -> bool | None:
        return self.args[0].is_real


class relu(sp.Function):  # noqa: N801 - the name students write
    """max(0, x), with PyTorch's convention relu'(0) = 0."""

    nargs = 1

    @classmethod
    def eval(cls, x: sp.Expr) -> sp.Expr | None:
        """Exact on numbers and on arguments of known sign."""
        if x.is_extended_positive:
            return x
        if x.is_extended_nonpositive:
            return sp.S.Zero
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        """d relu(x)/dx = step(x): 1 where x > 0, else 0 (0 at the kink, as PyTorch)."""
        return sp.Heaviside(self.args[0], 0)

    def _eval_rewrite_as_Max(self, x: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.Max(0, x)

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real

    def _eval_is_nonnegative(self) -> bool | None:
        return self.args[0].is_real


class softplus(sp.Function):  # noqa: N801 - the name students write
    """log(1 + exp(x)); its derivative is sigmoid(x).

    PyTorch switches to the identity above x = 20 (its ``threshold``); quizgrad uses the
    mathematical function everywhere, which differs from PyTorch there by under 2e-9.
    """

    nargs = 1

    @classmethod
    def eval(cls, x: sp.Expr) -> sp.Expr | None:
        """softplus(0) = log(2); other values stay exact and symbolic."""
        if x.is_zero:
            return sp.log(2)
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        """d softplus(x)/dx = sigmoid(x)."""
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, x: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.log(1 + sp.exp(x))

    def _eval_evalf(self, prec: int) -> sp.Expr | None:
        return _numeric_evalf(sp.log(1 + sp.exp(self.args[0])), prec)

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real

    def _eval_is_positive(self) -> bool | None:
        return self.args[0].is_real


def _step(u: sp.Expr, **kwargs: bool) -> sp.Expr:
    return sp.Heaviside(u, 0, **kwargs)


def _heaviside(u: sp.Expr, **kwargs: bool) -> sp.Expr:
    return sp.Heaviside(u, sp.S.Half, **kwargs)


@dataclass(frozen=True)
class FunctionSpec:
    """A function of the expression language: its arity, how to build it, what it means."""

    name: str
    arity: int
    build: Callable[..., sp.Expr]
    meaning: str


FUNCTIONS: dict[str, FunctionSpec] = {
    spec.name: spec
    for spec in (
        FunctionSpec("exp", 1, sp.exp, "e to the power x"),
        FunctionSpec("log", 1, sp.log, "natural logarithm"),
        FunctionSpec("ln", 1, sp.log, "natural logarithm (same as log)"),
        FunctionSpec("sqrt", 1, sp.sqrt, "square root"),
        FunctionSpec("abs", 1, sp.Abs, "absolute value; abs'(0) = 0"),
        FunctionSpec("sin", 1, sp.sin, "sine"),
        FunctionSpec("cos", 1, sp.cos, "cosine"),
        FunctionSpec("tan", 1, sp.tan, "tangent"),
        FunctionSpec("tanh", 1, sp.tanh, "hyperbolic tangent"),
        FunctionSpec("sinh", 1, sp.sinh, "hyperbolic sine; sinh' = cosh"),
        FunctionSpec("cosh", 1, sp.cosh, "hyperbolic cosine; cosh' = sinh"),
        FunctionSpec("sech", 1, sp.sech, "hyperbolic secant 1/cosh(x); tanh' = sech^2"),
        FunctionSpec("sigmoid", 1, sigmoid, "logistic function 1/(1+exp(-x))"),
        FunctionSpec("relu", 1, relu, "max(0, x); relu'(0) = 0"),
        FunctionSpec("softplus", 1, softplus, "log(1 + exp(x))"),
        FunctionSpec("max", 2, sp.Max, "larger of two values; a tie splits the gradient"),
        FunctionSpec("min", 2, sp.Min, "smaller of two values; a tie splits the gradient"),
        FunctionSpec("sign", 1, sp.sign, "-1, 0 or 1 (the derivative of abs)"),
        FunctionSpec("step", 1, _step, "1 if x > 0 else 0 (the derivative of relu)"),
        FunctionSpec("heaviside", 1, _heaviside, "1 if x > 0, 1/2 if x = 0, else 0"),
    )
}


def kink_arguments(expr: sp.Expr) -> list[sp.Expr]:
    """Expressions whose zero is a non-differentiable point of ``expr`` (relu, abs, max, ...)."""
    found: list[sp.Expr] = []
    for sub in sp.preorder_traversal(expr):
        if isinstance(sub, (relu, sp.Abs, sp.sign, sp.Heaviside)):
            found.append(sub.args[0])
        elif isinstance(sub, (sp.Max, sp.Min)) and len(sub.args) == 2:
            found.append(sub.args[0] - sub.args[1])
        elif isinstance(sub, (sp.Max, sp.Min)):  # SymPy merges min(a, min(b, c)) into one
            # a kink where two arguments tie *at* the extreme: both distances are then 0
            found.extend(sp.Abs(a - b) + sp.Abs(a - sub)
                         for a, b in itertools.combinations(sub.args, 2))
    return found
