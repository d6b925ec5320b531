"""The misconception catalog: each mistake is an id, a line for students and a small function.

For wire i of a node: g is the upstream gradient, f the forward value, L_i = df/dx_i and
c_i = g * L_i the correct answer. Each entry gives, as a formula in the inputs and the
upstream gradient G, what a student who holds that misconception sends on the wire.
Diagnosis compares an answer with every prediction (see :mod:`quizgrad.grading.judge`). Nothing is
written per question: the formulas are derived from the node, once per node and wire.
Ids and formulas follow ../shared/reference/backprop-catalog.md (section 2).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from quizgrad.math.engine import Node
from quizgrad.math.nodes import relu, sigmoid, softplus
from quizgrad.mistakes.arrays import MATRIX_ONLY

G = sp.Symbol("_g", real=True)  # the upstream gradient in formulas (never an input name)

UNARY = {sigmoid: "sigmoid", sp.tanh: "tanh", sp.exp: "exp", sp.log: "log", relu: "relu",
         softplus: "softplus", sp.sin: "sin", sp.cos: "cos", sp.tan: "tan", sp.Abs: "abs",
         sp.sinh: "sinh", sp.cosh: "cosh", sp.sech: "sech"}


def node_kind(node: Node) -> str:
    """The catalog's name for a node's shape: add, sub, mul, div, pow, powxy, sigmoid, ..."""
    e = node.expr
    syms = [node.symbol(n) for n in node.inputs]
    if e.is_Add and all(a in syms or (-a) in syms for a in e.args):
        return "add" if all(a in syms for a in e.args) else "sub"
    if e.is_Mul and len(e.args) == 2:
        a, b = e.args
        if a in syms and b in syms:
            return "mul"
        for top, bottom in ((a, b), (b, a)):
            if bottom.is_Pow and bottom.exp == -1 and bottom.base in syms and top in syms:
                return "div"
    if e.is_Pow and e.base in syms:
        if e.exp == sp.S.Half:
            return "sqrt"
        return "pow" if e.exp.is_Number else "powxy" if e.exp in syms else "composite"
    if isinstance(e, (sp.Max, sp.Min)) and all(a in syms for a in e.args):
        return "max" if isinstance(e, sp.Max) else "min"
    if e.func in UNARY and len(e.args) == 1 and e.args[0] in syms:
        return UNARY[e.func]
    return "composite"


def outer_inner(node: Node) -> tuple[Callable[[sp.Expr], sp.Expr], sp.Expr] | None:
    """(F, u) when the node is F(u) for a one-argument function F, else None."""
    e = node.expr
    if e.func in UNARY and len(e.args) == 1:
        return e.func, e.args[0]
    if e.is_Pow and e.exp.is_Number and not e.base.is_Number:
        exponent = e.exp
        return (lambda t: t**exponent), e.base
    return None


# Derivatives written through the output y, as sigmoid, tanh, exp and sqrt are taught.
_THROUGH_OUTPUT: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "sigmoid": lambda y: y * (1 - y),
    "tanh": lambda y: 1 - y**2,
    "exp": lambda y: y,
    "sqrt": lambda y: 1 / (2 * y),
}


@dataclass(frozen=True)
class Context:
    """What a mistake formula sees for one wire: the node, its kind, the wire; g is G."""

    node: Node
    kind: str
    wire: str

    @property
    def g(self) -> sp.Expr:
        """The upstream gradient (a symbol)."""
        return G

    @property
    def f(self) -> sp.Expr:
        """The forward value (as a formula)."""
        return self.node.expr

    @property
    def x(self) -> sp.Expr:
        """The stored input of this wire (a symbol)."""
        return self.node.symbol(self.wire)

    def local(self, wire: str) -> sp.Expr:
        """df/d(wire) as a formula."""
        return self.node.local(wire)

    @property
    def L(self) -> sp.Expr:  # noqa: N802 - the catalog's name
        """The local gradient of this wire."""
        return self.local(self.wire)

    def others(self) -> list[str]:
        """The other input wires."""
        return [name for name in self.node.inputs if name != self.wire]

    def roles(self) -> tuple[sp.Expr, sp.Expr]:
        """(numerator, denominator) of a divide node, or (base, exponent) of x^y."""
        e = self.node.expr
        if e.is_Pow:
            return e.base, e.exp
        a, b = e.args
        return (b, a.base) if a.is_Pow and a.exp == -1 else (a, b.base)

    def top(self) -> bool:
        """Whether this wire is the numerator of a divide node (or the base of x^y)."""
        return self.x == self.roles()[0]

    def d(self, formula: sp.Expr) -> sp.Expr:
        """d formula / d wire."""
        return sp.diff(formula, self.x)


@dataclass(frozen=True)
class Prediction:
    """A predicted wrong value as a formula, and the factors that show how it was got."""

    value: sp.Expr
    factors: tuple[sp.Expr, ...] = ()
    op: str = "×"


Predict = Callable[[Context], list[Prediction]]


@dataclass(frozen=True)
class Mistake:
    """One catalog entry: id, a line for students, the node kinds it applies to, a function.

    ``blind_at`` lists local-gradient values at which the mistake gives the right answer by
    its very definition (passing g through is right where df/dx = 1), so such a wire cannot
    reveal it; ``refines`` names a generic entry this one explains better where both agree;
    ``symbolic`` is false for entries that only make sense with a number for g.
    """

    id: str
    description: str
    kinds: frozenset[str] | None
    predict: Predict
    refines: str | None = None
    scope: str = "wire"
    blind_at: frozenset[int] = frozenset()
    symbolic: bool = True

    def applies(self, kind: str) -> bool:
        """Whether the entry applies to a node of this kind."""
        return self.kinds is None or kind in self.kinds


def _one(value: Callable[[Context], sp.Expr | None],
         factors: Callable[[Context], tuple[sp.Expr, ...]] | None = None, op: str = "×",
         ) -> Predict:
    def predict(ctx: Context) -> list[Prediction]:
        got = value(ctx)
        if got is None:
            return []
        return [Prediction(got, factors(ctx) if factors else (), op)]
    return predict


def _swapped(ctx: Context) -> list[Prediction]:
    return [Prediction(ctx.g * ctx.local(other), (ctx.g, ctx.local(other)))
            for other in ctx.others()]


def _outer_derivative(ctx: Context, at: sp.Expr) -> sp.Expr | None:
    parts = outer_inner(ctx.node)
    if parts is None:
        return None
    t = sp.Dummy("t", real=True)
    return sp.diff(parts[0](t), t).xreplace({t: at})


def _through_output(ctx: Context) -> sp.Expr | None:
    parts = outer_inner(ctx.node)
    expr = ctx.node.expr
    name = "sqrt" if expr.is_Pow and expr.exp == sp.S.Half else UNARY.get(expr.func)
    if parts is None or name not in _THROUGH_OUTPUT:
        return None
    return ctx.g * _THROUGH_OUTPUT[name](parts[1]) * ctx.d(parts[1])


def _at_output(ctx: Context) -> sp.Expr | None:
    parts = outer_inner(ctx.node)
    outer = _outer_derivative(ctx, ctx.f)
    return None if parts is None or outer is None else ctx.g * outer * ctx.d(parts[1])


def _forgot_inner(ctx: Context) -> sp.Expr | None:
    parts = outer_inner(ctx.node)
    if parts is None or parts[1].is_Symbol:
        return None
    return ctx.g * _outer_derivative(ctx, parts[1])


def _forgot_outer(ctx: Context) -> sp.Expr | None:
    parts = outer_inner(ctx.node)
    if parts is None or parts[1].is_Symbol:
        return None
    return ctx.g * ctx.d(parts[1])


def _exponent(ctx: Context) -> sp.Expr:
    return ctx.node.expr.exp


WIRE, ITEM = "wire", "item"
ALL = None


def _k(*kinds: str) -> frozenset[str]:
    return frozenset(kinds)


CATALOG: tuple[Mistake, ...] = (
    Mistake("forward-value", "multiplied the upstream gradient by the forward value f instead "
            "of by the local gradient df/dx", ALL,
            _one(lambda c: c.g * c.f, lambda c: (c.g, c.f))),
    Mistake("upstream-only", "passed the upstream gradient through unchanged, as if it were "
            "the gradient the node sends back", ALL, _one(lambda c: c.g),
            blind_at=frozenset({1})),
    Mistake("local-only", "sent the local gradient alone and forgot to multiply by the upstream "
            "gradient", ALL, _one(lambda c: c.L), blind_at=frozenset({0})),
    Mistake("added", "added the upstream and local gradients instead of multiplying them", ALL,
            _one(lambda c: c.g + c.L, lambda c: (c.g, c.L), "+")),
    Mistake("swapped-wires", "sent this wire the gradient of another input (for a product: "
            "multiplied by the wire's own input instead of the other one)",
            _k("mul", "div", "max", "min", "powxy", "composite"), _swapped),
    Mistake("same-gradient", "sent the same gradient to every input wire; each wire gets its "
            "own local gradient", ALL, lambda c: [], scope=ITEM),
    Mistake("sign-flip", "got the sign wrong", ALL, _one(lambda c: -c.g * c.L),
            blind_at=frozenset({0})),
    Mistake("divided", "divided the upstream gradient by the local gradient instead of "
            "multiplying", ALL, _one(lambda c: c.g / c.L if c.L != 0 else None,
                                     lambda c: (c.g, c.L), "/"),
            blind_at=frozenset({1, -1})),
    Mistake("wrong-stored-value", "fed the derivative formula the input where it needs the "
            "node's output (sigmoid: s(1 - s) with s the output, not x(1 - x); tanh: 1 - t^2; "
            "exp: e^x, not x)", _k("sigmoid", "tanh", "exp", "sqrt", "composite"),
            _one(_through_output)),
    Mistake("derivative-at-output", "evaluated the local derivative at the node's output f "
            "instead of at its stored input", _k("sigmoid", "tanh", "exp", "log", "softplus",
                                                  "sin", "cos", "tan", "sqrt", "sinh",
                                                  "cosh", "sech"),
            _one(_at_output)),
    Mistake("times-input", "multiplied the upstream gradient by the stored input itself",
            _k("relu", "log", "sin", "cos", "tan", "softplus", "sqrt", "abs", "sinh", "cosh",
               "sech"),
            _one(lambda c: c.g * c.x, lambda c: (c.g, c.x))),
    Mistake("forgot-inner", "forgot the inner derivative: the chain rule inside the node needs "
            "du/dx too", _k("composite"), _one(_forgot_inner)),
    Mistake("forgot-outer", "kept only the inner derivative and dropped the outer function's",
            _k("composite"), _one(_forgot_outer)),
    Mistake("split-evenly", "split the upstream gradient evenly between the inputs; an add "
            "node copies it to every input and a max node routes all of it to one",
            _k("add", "max", "min"), _one(lambda c: c.g / len(c.node.inputs))),
    Mistake("add-as-multiply", "treated the add node like a multiply node (other input × "
            "upstream)", _k("add"), _one(lambda c: c.g * c.node.symbol(c.others()[0]))),
    Mistake("routed-to-loser", "routed the gradient to the input that lost the comparison",
            _k("max", "min"), _swapped, refines="swapped-wires"),
    Mistake("quotient-sign", "lost the minus sign of the quotient rule: d(x/y)/dy = -x/y^2",
            _k("div"), _one(lambda c: None if c.top() else -c.g * c.L), refines="sign-flip"),
    Mistake("forgot-numerator", "forgot the numerator in d(x/y)/dy = -x/y^2",
            _k("div"), _one(lambda c: None if c.top() else -c.g / c.x**2)),
    Mistake("times-denominator", "multiplied by the denominator instead of dividing by it",
            _k("div"), _one(lambda c: c.g * c.roles()[1] if c.top() else None),
            refines="divided"),
    Mistake("reciprocal-only", "used -1/y for d(x/y)/dy, missing the square and the x",
            _k("div"), _one(lambda c: None if c.top() else -c.g / c.x)),
    Mistake("no-decrement", "applied the power rule without lowering the exponent "
            "(c * x^c instead of c * x^(c - 1))", _k("pow"),
            _one(lambda c: c.g * _exponent(c) * c.x ** _exponent(c))),
    Mistake("no-coefficient", "applied the power rule without the coefficient "
            "(x^(c - 1) instead of c * x^(c - 1))", _k("pow"),
            _one(lambda c: c.g * c.x ** (_exponent(c) - 1))),
    Mistake("power-rule-on-exponent", "used the power rule on the exponent wire; "
            "d(x^y)/dy = x^y * log(x)", _k("powxy"),
            _one(lambda c: None if c.top() else c.g * c.local(c.roles()[0].name)),
            refines="swapped-wires"),
    Mistake("relu-gate-on-gradient", "gated the ReLU on the sign of the upstream gradient "
            "instead of the sign of the stored input", _k("relu"),
            _one(lambda c: c.g * sp.Heaviside(c.g, 0)), symbolic=False),
    Mistake("sigmoid-value-only", "multiplied by the sigmoid's value s alone; its derivative "
            "is s(1 - s)", _k("sigmoid"), _one(lambda c: c.g * c.f, lambda c: (c.g, c.f)),
            refines="forward-value"),
    Mistake("sigmoid-one-minus-only", "multiplied by (1 - s) alone; the sigmoid's derivative "
            "is s(1 - s)", _k("sigmoid"), _one(lambda c: c.g * (1 - c.f))),
    Mistake("tanh-as-tan", "used the derivative of tan, 1 + t^2, instead of tanh's 1 - t^2",
            _k("tanh"), _one(lambda c: c.g * (1 + c.f**2))),
    Mistake("tanh-dropped-one", "dropped the 1 in tanh's derivative 1 - t^2",
            _k("tanh"), _one(lambda c: -c.g * c.f**2)),
    Mistake("softplus-as-exp", "used e^x as the derivative of softplus; it is sigmoid(x)",
            _k("softplus"), _one(lambda c: c.g * sp.exp(c.x))),
    Mistake("sqrt-no-half", "forgot the 1/2 in d sqrt(x)/dx = 1/(2 sqrt(x))",
            _k("sqrt"), _one(lambda c: c.g / c.f)),
    Mistake("missed-branch", "kept the gradient of only one path where a value feeds several "
            "nodes; its gradient is the sum over all of them", ALL, lambda c: [],
            scope="circuit"),
    *(Mistake(mistake, description, ALL, lambda c: [], scope="matrix")
      for mistake, description in MATRIX_ONLY),
)

BY_ID: dict[str, Mistake] = {m.id: m for m in CATALOG}

# The three common mistakes of the teaching page quizgrad comes from, in its order.
TEACHING_PAGE = ("forward-value", "same-gradient", "upstream-only")

Formulas = dict[str, dict[str, list[Prediction]]]


@functools.lru_cache(maxsize=512)
def formulas(node: Node, wires: tuple[str, ...]) -> Formulas:
    """Wire -> {mistake id: predicted formulas in the inputs and G}, for the entries that apply.

    An entry that refines a generic one replaces it where the two give the same formula.
    """
    kind = node_kind(node)
    out: Formulas = {}
    for wire in wires:
        ctx = Context(node, kind, wire)
        found: dict[str, list[Prediction]] = {}
        for mistake in CATALOG:
            if mistake.scope == WIRE and mistake.applies(kind):
                kept = [p for p in _safe(mistake, ctx) if not p.value.has(sp.zoo, sp.nan)]
                if kept:
                    found[mistake.id] = kept
        for mistake in CATALOG:
            if mistake.refines in found and mistake.id in found:
                mine = [p.value for p in found[mistake.id]]
                rest = [p for p in found[mistake.refines]
                        if not any(sp.simplify(p.value - m) == 0 for m in mine)]
                if rest:
                    found[mistake.refines] = rest
                else:
                    del found[mistake.refines]
        out[wire] = found
    return out


def _safe(mistake: Mistake, ctx: Context) -> list[Prediction]:
    try:
        return mistake.predict(ctx)
    except (ArithmeticError, TypeError, ValueError):
        return []
