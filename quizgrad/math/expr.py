"""The safe expression language: text -> sympy expression, without eval.

Untrusted text (student answers, shared banks) never reaches eval, exec, sympify or
parse_expr. It is scanned into tokens against an allow-list (numbers, declared names, the
functions of :mod:`quizgrad.math.nodes`, ``+ - * / ** ^ ( ) ,``), bounded in length, token count
and nesting, rewritten into Python syntax that contains only those tokens, parsed by
:func:`ast.parse` (which only parses), and the tree is walked to build sympy objects.
Every error is an :class:`~quizgrad.errors.ExprError` naming the offending token and its
position in the original text.
"""

from __future__ import annotations

import ast
import fractions
import itertools
import keyword
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sympy as sp
from sympy.printing.str import StrPrinter

from quizgrad.errors import ExprError
from quizgrad.math.nodes import FUNCTIONS
from quizgrad.math.numeric import NumericError, to_float


@dataclass(frozen=True)
class Limits:
    """Bounds that keep hostile input cheap: everything is refused before real work starts."""

    max_length: int = 1000
    max_tokens: int = 400
    max_depth: int = 30
    max_tree_depth: int = 200
    max_digits: int = 400
    max_decimal_exponent: int = 300
    max_exponent: int = 1000
    max_bits: int = 1100


DEFAULT_LIMITS = Limits()

# Characters read as their ASCII meaning; each maps one character to one, so positions hold.
_NORMALIZE = str.maketrans({"\u2212": "-", "\u2013": "-", "\u00d7": "*", "\u00b7": "*",
                            "\u22c5": "*", "\u2217": "*", "\u00f7": "/"})

_TOKEN = re.compile(
    r"(?P<ws>[ \t\r\n]+)"
    r"|(?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|[-+*/^(),@])"
)


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name", "function", "op"
    text: str
    pos: int


def symbol(name: str) -> sp.Symbol:
    """The sympy symbol for an input name (real-valued, so abs and max differentiate)."""
    return sp.Symbol(name, real=True)


def check_name(name: str, *, shadows: bool = False) -> str | None:
    """Why ``name`` cannot be an input name, or None when it can.

    With ``shadows`` a constant's name is allowed: a value assigned in a circuit (micrograd
    writes ``e = a * b``) is that value there, and the constant is not available.
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        return "a name starts with a letter and has only letters, digits and _"
    if name in FUNCTIONS:
        return f"'{name}' is a function name"
    if name in CONSTANTS and not shadows:
        return f"'{name}' is a constant ({CONSTANTS[name]})"
    if keyword.iskeyword(name) or len(name) > 32:
        return f"'{name}' cannot be used as a name"
    return None


def parse(
    text: str,
    names: Iterable[str] = (),
    *,
    implicit: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> sp.Expr:
    """Read ``text`` as an expression in ``names``; with ``implicit``, ``2x`` means ``2*x``."""
    if not isinstance(text, str):
        raise ExprError("an expression must be text", str(text), 0)
    tree, pieces = read_tree(text, names, implicit=implicit, limits=limits)
    try:
        value = _Builder(text, pieces, limits).build(tree)
    except (RecursionError, MemoryError):
        raise ExprError("too deeply nested", text, 0) from None
    except (ArithmeticError, ValueError, TypeError):
        raise ExprError("the value cannot be computed", text, 0, len(text)) from None
    if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ExprError("the expression is undefined (division by zero?)", text, 0, len(text))
    if not value.free_symbols:
        if value.is_real is False:
            raise ExprError("the value is not a real number", text, 0, len(text))
        try:
            to_float(value)
        except NumericError as exc:
            raise ExprError(f"the value {exc}", text, 0, len(text)) from None
    return value


def read_tree(text: str, names: Iterable[str], *, implicit: bool = False,
              limits: Limits = DEFAULT_LIMITS, functions: Iterable[str] = FUNCTIONS,
              matmul: bool = False) -> tuple[ast.expr, list[_Piece]]:
    """Scan, check and parse ``text`` into an allow-listed tree and its token map.

    The building step is left to the caller: scalar formulas here, matrices in
    :mod:`quizgrad.math.matrix` (which also allows ``@`` and its own functions).
    """
    if len(text) > limits.max_length:
        raise ExprError(
            f"expression too long ({len(text)} characters; the limit is {limits.max_length})",
            text, limits.max_length)
    tokens = _scan(text, frozenset(names), limits, frozenset(functions), matmul)
    if not tokens:
        raise ExprError("empty expression", text, 0)
    _check_ends(text, tokens)
    source, pieces = _to_python(text, tokens, implicit)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        token = _piece_at(pieces, exc.offset - 1) if exc.offset else None
        where = f" near '{token.text}'" if token else " at the end"
        raise ExprError(f"cannot read the expression{where}", text,
                        token.pos if token else len(text)) from None
    except (RecursionError, MemoryError):
        raise ExprError("too deeply nested", text, 0) from None
    _check_depth(tree, text, pieces, limits)
    return tree.body, pieces


def parse_number(text: str, *, limits: Limits = DEFAULT_LIMITS) -> sp.Expr:
    """Read a constant such as ``-8``, ``1/4``, ``2.5e-3`` or ``2*(-4)`` exactly."""
    return parse(text, (), limits=limits)


def _scan(text: str, names: frozenset[str], limits: Limits, functions: frozenset[str],
          matmul: bool) -> list[_Token]:
    norm = text.translate(_NORMALIZE)
    tokens: list[_Token] = []
    depth = 0
    opened: list[int] = []
    pos = 0
    while pos < len(norm):
        match = _TOKEN.match(norm, pos)
        if match is None:
            raise ExprError(f"unexpected character {norm[pos]!r}", text, pos)
        kind = match.lastgroup or ""
        piece = match.group()
        if kind == "ws":
            pos = match.end()
            continue
        if len(tokens) >= limits.max_tokens:
            raise ExprError(f"expression too long (more than {limits.max_tokens} tokens)",
                            text, pos)
        if kind == "name":
            kind = _classify_name(piece, names, text, pos, norm, match.end(), functions)
        elif piece == "@" and not matmul:
            raise ExprError("'@' (the matrix product) belongs in matrix nodes only", text, pos)
        elif kind == "number":
            _check_number(piece, text, pos, limits)
        elif piece == "(":
            depth += 1
            opened.append(pos)
            if depth > limits.max_depth:
                raise ExprError(f"too deeply nested (more than {limits.max_depth} levels)",
                                text, pos)
        elif piece == ")":
            if depth == 0:
                raise ExprError("unmatched ')'", text, pos)
            depth -= 1
            opened.pop()
        tokens.append(_Token(kind, piece, pos))
        pos = match.end()
    if opened:
        raise ExprError("unclosed '('", text, opened[-1])
    return tokens


def _classify_name(name: str, names: frozenset[str], text: str, pos: int,
                   norm: str, end: int, functions: frozenset[str]) -> str:
    if name in names:
        return "name"
    if name in CONSTANTS:
        return "constant"
    if name in functions:
        if not norm[end:].lstrip().startswith("("):
            raise ExprError(f"'{name}' is a function: write {name}(...)", text, pos, len(name))
        return "function"
    raise ExprError(_unknown_name_message(name, names), text, pos, len(name))


def _unknown_name_message(name: str, names: frozenset[str]) -> str:
    if len(name) > 24:
        name = name[:20] + "..."
    if not names:
        return f"'{name}' is not a number (a number is expected here)"
    if name == "E":
        return "unknown name 'E' (did you mean e, Euler's number?)"
    known = ", ".join(sorted(names))
    hint = ""
    lower = name.lower()
    if lower in FUNCTIONS:
        hint = f" (did you mean {lower}?)"
    elif 1 < len(name) <= 6 and all(ch in names for ch in name):
        hint = f" (did you mean {'*'.join(name)}?)"
    return f"unknown name '{name}'{hint}; the names are: {known}"


def _check_number(piece: str, text: str, pos: int, limits: Limits) -> None:
    mantissa, _, exponent = piece.lower().partition("e")
    if sum(ch.isdigit() for ch in mantissa) > limits.max_digits:
        raise ExprError(f"number with too many digits (the limit is {limits.max_digits})",
                        text, pos, len(piece))
    if exponent and abs(int(exponent)) > limits.max_decimal_exponent:
        raise ExprError(f"number too large or too small ({piece})", text, pos, len(piece))


_BINARY_ONLY = ("*", "/", "^", "**", ",", ")", "@")
_NEEDS_OPERAND = ("+", "-", "*", "/", "^", "**", ",", "(", "@")


def _check_ends(text: str, tokens: list[_Token]) -> None:
    """Clear messages for a dangling operator at either end and for stray commas."""
    first, last = tokens[0], tokens[-1]
    if first.kind == "op" and first.text in _BINARY_ONLY:
        raise ExprError(f"the expression cannot start with '{first.text}'", text, first.pos)
    if last.kind == "op" and last.text in _NEEDS_OPERAND:
        raise ExprError(f"the expression ends with '{last.text}': something is missing after "
                        "it", text, last.pos)
    for prev, token in itertools.pairwise(tokens):
        if prev.text == "," and token.text == ")":
            raise ExprError("a comma with nothing after it", text, prev.pos)


@dataclass(frozen=True)
class _Piece:
    start: int  # offset in the rewritten Python source
    token: _Token


_OPERAND_END = ("number", "name", "constant")
_OPERAND_START = ("number", "name", "function", "constant")
CONSTANTS: dict[str, sp.Expr] = {"e": sp.E, "pi": sp.pi}


def _to_python(text: str, tokens: list[_Token], implicit: bool) -> tuple[str, list[_Piece]]:
    """Rewrite tokens as Python source; numbers become placeholder names ``_n<i>``."""
    parts: list[str] = []
    pieces: list[_Piece] = []
    length = 0
    prev: _Token | None = None
    for index, token in enumerate(tokens):
        if prev is not None and _adjacent_operands(prev, token):
            if not implicit:
                raise ExprError(f"missing operator before '{token.text}'", text, token.pos,
                                len(token.text))
            if prev.kind == "number" and token.kind == "number":
                raise ExprError(f"two numbers in a row: '{prev.text} {token.text}'", text,
                                token.pos, len(token.text))
            parts.append(" * ")
            length += 3
        out = {"^": "**"}.get(token.text, token.text)
        if token.kind in ("number", "constant"):
            out = f"_n{index}"
        parts.append(out + " ")
        pieces.append(_Piece(length, token))
        length += len(out) + 1
        prev = token
    return "".join(parts), pieces


def _adjacent_operands(prev: _Token, token: _Token) -> bool:
    ends = prev.kind in _OPERAND_END or prev.text == ")"
    starts = token.kind in _OPERAND_START or token.text == "("
    return ends and starts


def _piece_at(pieces: list[_Piece], offset: int) -> _Token | None:
    found = None
    for piece in pieces:
        if piece.start <= offset:
            found = piece.token
        else:
            break
    return found


def _check_depth(tree: ast.AST, text: str, pieces: list[_Piece], limits: Limits) -> None:
    """Refuse trees deeper than the limit without recursing (unary chains, long powers)."""
    stack: list[tuple[ast.AST, int, int]] = [(tree, 0, 0)]
    while stack:
        node, depth, offset = stack.pop()
        offset = getattr(node, "col_offset", offset)
        if depth > limits.max_tree_depth:
            token = _piece_at(pieces, offset)
            raise ExprError("too deeply nested", text, token.pos if token else 0)
        stack.extend((child, depth + 1, offset) for child in ast.iter_child_nodes(node))


_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}


class _Builder:
    """Walk an allow-listed Python expression tree and build sympy objects."""

    def __init__(self, text: str, pieces: list[_Piece], limits: Limits) -> None:
        self.text = text
        self.pieces = pieces
        self.limits = limits

    def fail(self, message: str, node: ast.AST) -> ExprError:
        token = _piece_at(self.pieces, getattr(node, "col_offset", 0))
        pos = token.pos if token else 0
        return ExprError(message, self.text, pos, len(token.text) if token else 1)

    def build(self, node: ast.AST) -> sp.Expr:
        value = self.construct(node)
        self.check(value, node)
        return value

    def check(self, value: sp.Expr, node: ast.AST) -> None:
        """Refuse, at the node that made it, a number too large or a non-real constant."""
        if value.is_Rational:
            if max(abs(value.p).bit_length(), value.q.bit_length()) > self.limits.max_bits:
                raise self.fail("number too large", node)
            return
        if value.is_Pow and value.exp.is_Number:
            limit = self.limits.max_exponent
            if not value.exp.is_Rational or abs(value.exp.p) > limit or value.exp.q > limit:
                raise self.fail(f"exponent too large (the limit is {limit})", node)
        if not value.free_symbols and not value.is_Number:
            try:
                to_float(value)
            except NumericError as exc:
                raise self.fail(f"the value {exc}", node) from None

    def construct(self, node: ast.AST) -> sp.Expr:
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return self.binary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Tuple):
            raise self.fail("a comma may only separate a function's arguments", node)
        raise self.fail("this is not allowed in an expression", node)

    def name(self, node: ast.Name) -> sp.Expr:
        if node.id.startswith("_n"):
            token = self.pieces[_index_of(self.pieces, node.col_offset)].token
            if token.kind == "constant":
                return CONSTANTS[token.text]
            frac = fractions.Fraction(token.text)
            return sp.Rational(frac.numerator, frac.denominator)
        return symbol(node.id)

    def binary(self, node: ast.BinOp) -> sp.Expr:
        left = self.build(node.left)
        right = self.build(node.right)
        op = type(node.op)
        if op is ast.Pow:
            self.check_power(left, right, node)
            result = sp.Pow(left, right)
        elif op is ast.Add:
            result = left + right
        elif op is ast.Sub:
            result = left - right
        elif op is ast.Mult:
            result = left * right
        else:
            result = left / right
        if result.has(sp.zoo, sp.nan):
            where = self.operator_token(node)
            raise ExprError("division by zero" if op in (ast.Div, ast.Pow) else
                            "undefined value", self.text, where.pos if where else 0)
        return result

    def operator_token(self, node: ast.BinOp) -> _Token | None:
        end = node.left.end_col_offset or 0
        for piece in self.pieces:
            if piece.start >= end and piece.token.kind == "op" and piece.token.text != ")":
                return piece.token
        return None

    def check_power(self, base: sp.Expr, exponent: sp.Expr, node: ast.BinOp) -> None:
        if not exponent.is_Number:
            return
        limit = self.limits.max_exponent
        if not exponent.is_Rational or abs(exponent.p) > limit or exponent.q > limit:
            token = self.operator_token(node)
            raise ExprError(f"exponent too large (the limit is {limit})", self.text,
                            token.pos if token else 0)
        if base.is_Rational:
            size = max(math.log2(abs(base.p)) if base.p else 0.0, math.log2(base.q))
            if size * abs(exponent) > self.limits.max_bits:
                token = self.operator_token(node)
                raise ExprError("power too large to compute", self.text,
                                token.pos if token else 0)

    def call(self, node: ast.Call) -> sp.Expr:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise self.fail("only the listed functions may be called", node)
        spec = FUNCTIONS[node.func.id]
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(f"{spec.name}() takes plain arguments", node)
        if len(node.args) != spec.arity:
            plural = "argument" if spec.arity == 1 else "arguments"
            raise self.fail(f"{spec.name}() takes {spec.arity} {plural}, "
                            f"not {len(node.args)}", node)
        args = [self.build(arg) for arg in node.args]
        if not any(arg.free_symbols for arg in args):
            try:  # a bounded float evaluation first: sympy may work very hard on constants
                to_float(spec.build(*args, evaluate=False))
            except NumericError as exc:
                raise self.fail(f"{spec.name}() {exc}", node) from None
        result = spec.build(*args)
        if result.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            raise self.fail(f"{spec.name}() is undefined here", node)
        return result


def _index_of(pieces: list[_Piece], offset: int) -> int:
    for index, piece in enumerate(pieces):
        if piece.start == offset:
            return index
    raise AssertionError(f"no token at offset {offset}")  # pragma: no cover - internal


class _Printer(StrPrinter):
    """Print formulas in the language's own spelling (max, abs, step, ^)."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.values = values or {}

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return self.values.get(expr.name, expr.name)

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        name = "step" if expr.args[1] == 0 else "heaviside"
        return f"{name}({self._print(expr.args[0])})"

    def _print_Max(self, expr: sp.Max) -> str:
        return self._nested("max", [self._print(a) for a in expr.args])

    def _print_Min(self, expr: sp.Min) -> str:
        return self._nested("min", [self._print(a) for a in expr.args])

    def _nested(self, name: str, args: list[str]) -> str:
        """sympy merges max(max(x, y), z) into one Max; the language takes two arguments."""
        if len(args) <= 2:
            return f"{name}({', '.join(args)})"
        return f"{name}({args[0]}, {self._nested(name, args[1:])})"

    def _print_Exp1(self, expr: sp.Expr) -> str:
        return "e"

    def _print_Abs(self, expr: sp.Abs) -> str:
        return f"abs({self._print(expr.args[0])})"


def to_text(expr: sp.Expr, values: Mapping[str, str] | None = None) -> str:
    """A formula as text that :func:`parse` reads back (``^`` for powers).

    ``values`` replaces symbols by text, e.g. {"x": "(3/10)"} for an exact worked form.
    """
    return _Printer(values).doprint(expr).replace("**", "^")
