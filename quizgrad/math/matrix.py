"""Matrix nodes: arrays of formulas, the matrix language, and the node rule for arrays.

A matrix node such as ``A @ B``, ``X @ W + b`` or ``softmax_ce(z, y)`` is read by the same
safe language as scalar nodes (allow-listed tokens, limits, positions in errors), extended
with ``@`` and the functions sum, mean, dot, outer, softmax, softmax_ce, onehot and
transpose; the scalar functions apply entry by entry and + - * / broadcast as in NumPy.
Every entry of every input is a symbol (``A[0,1]``), so the output is an :class:`Array` of
ordinary formulas.

The node rule for arrays: an input X receives, in each entry, the sum over the output's
entries of G_ij * dY_ij/dX_kl (G the upstream gradient, same shape as Y). That is derived
here once per node by plain differentiation, independently of the textbook shortcuts
(``G @ B.T``) that the mistakes in :mod:`quizgrad.mistakes.catalog` vary.
"""

from __future__ import annotations

import ast
import functools
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from quizgrad.errors import ExprError
from quizgrad.math import expr as ex
from quizgrad.math.nodes import FUNCTIONS

Shape = tuple[int, ...]  # () a number, (n,) a vector, (n, m) a matrix
MAX_ENTRIES = 64  # per array: small enough to read, to type, and to differentiate at once
MAX_INPUTS = 16  # named arrays in one node
MAX_SIZE = 4_000  # formula nodes in the output (A @ A @ A ... grows exponentially)
MAX_WORK = 40_000  # output size × input entries: the cost of differentiating it all


@dataclass(frozen=True)
class Array:
    """A number, vector or matrix: its shape and its entries in row-major order."""

    shape: Shape
    entries: tuple[Any, ...]

    def at(self, index: tuple[int, ...]) -> Any:
        """The entry at ``index``, NumPy broadcasting: missing or size-1 axes repeat."""
        offset = len(index) - len(self.shape)
        flat = 0
        for axis, size in enumerate(self.shape):
            flat = flat * size + (index[axis + offset] if size > 1 else 0)
        return self.entries[flat]

    def map(self, func: Callable[[Any], Any]) -> Array:
        """The array with ``func`` applied to every entry."""
        return Array(self.shape, tuple(func(e) for e in self.entries))

    def rows(self) -> list[tuple[Any, ...]]:
        """The rows of a matrix (a vector is one row; a number, one row of one)."""
        width = self.shape[-1] if self.shape else 1
        return [self.entries[i:i + width] for i in range(0, len(self.entries), width)]

    def nested(self, func: Callable[[Any], Any] = lambda v: v) -> Any:
        """Nested lists (a matrix), a list (a vector) or the entry (a number), mapped."""
        if not self.shape:
            return func(self.entries[0])
        if len(self.shape) == 1:
            return [func(e) for e in self.entries]
        return [[func(e) for e in row] for row in self.rows()]


def indices(shape: Shape) -> Iterable[tuple[int, ...]]:
    """Every index of ``shape`` in row-major order."""
    return itertools.product(*(range(n) for n in shape))


def describe(shape: Shape) -> str:
    """'a number', 'a vector of 3' or 'a 2×3 matrix'."""
    if not shape:
        return "a number"
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    return f"a {shape[0]}×{shape[1]} matrix"


def entry_name(name: str, index: tuple[int, ...]) -> str:
    """The symbol name of one entry: x, x[2] or A[0,1]."""
    return f"{name}[{','.join(map(str, index))}]" if index else name


def symbols(name: str, shape: Shape) -> Array:
    """An array of fresh real symbols, one per entry."""
    return Array(shape, tuple(ex.symbol(entry_name(name, i)) for i in indices(shape)))


def tree_size(exprs: Iterable[Any], limit: int) -> int:
    """The formulas' size as trees (shared parts counted each time), stopping past ``limit``.

    Computed over the shared graph, so it is cheap even when the trees are huge.
    """
    sizes: dict[Any, int] = {}
    total = 0
    for root in exprs:
        todo = [(root, False)]
        while todo:
            expr, ready = todo.pop()
            if expr in sizes:
                continue
            args = getattr(expr, "args", ())
            if ready or not args:
                sizes[expr] = 1 + sum(sizes[a] for a in args)
            else:
                todo.append((expr, True))
                todo.extend((a, False) for a in args if a not in sizes)
        total += sizes[root]
        if total > limit:
            return total
    return total


def broadcast_shape(a: Shape, b: Shape) -> Shape:
    """NumPy's broadcast of two shapes (ValueError when they do not fit)."""
    out = []
    for x, y in itertools.zip_longest(reversed(a), reversed(b), fillvalue=1):
        if x != y and 1 not in (x, y):
            raise ValueError(f"shapes {_show(a)} and {_show(b)} do not broadcast")
        out.append(max(x, y))
    return tuple(reversed(out))


def elementwise(op: Callable[[Any, Any], Any], a: Array, b: Array) -> Array:
    """``op`` entry by entry, with broadcasting."""
    shape = broadcast_shape(a.shape, b.shape)
    return Array(shape, tuple(op(a.at(i), b.at(i)) for i in indices(shape)))


def matmul(a: Array, b: Array) -> Array:
    """NumPy's ``a @ b`` for vectors and matrices (ValueError on a shape mismatch)."""
    if not a.shape or not b.shape:
        raise ValueError("@ multiplies vectors and matrices; use * with a number")
    left = a.shape if len(a.shape) == 2 else (1, a.shape[0])
    right = b.shape if len(b.shape) == 2 else (b.shape[0], 1)
    if left[1] != right[0]:
        raise ValueError(f"cannot multiply {_show(a.shape)} by {_show(b.shape)}: the inner "
                         f"sizes {left[1]} and {right[0]} differ")
    entries = tuple(sp.Add(*(a.entries[i * left[1] + k] * b.entries[k * right[1] + j]
                             for k in range(left[1])))
                    for i in range(left[0]) for j in range(right[1]))
    shape = ((left[0],) if len(a.shape) == 2 else ()) + ((right[1],) if len(b.shape) == 2
                                                          else ())
    return Array(shape, entries)


def transpose(a: Array) -> Array:
    """The transpose of a matrix (a vector or a number is its own transpose)."""
    if len(a.shape) < 2:
        return a
    rows, cols = a.shape
    return Array((cols, rows), tuple(a.entries[i * cols + j] for j in range(cols)
                                     for i in range(rows)))


def total(a: Array, axis: int | None = None) -> Array:
    """The sum of every entry (a number), or along one axis as NumPy's ``sum(a, axis)``."""
    if axis is None:
        return Array((), (sp.Add(*a.entries),))
    if axis >= len(a.shape):
        raise ValueError(f"axis {axis} does not exist for {describe(a.shape)}")
    if len(a.shape) == 1:
        return Array((), (sp.Add(*a.entries),))
    rows = a.rows()
    if axis == 0:
        return Array((a.shape[1],), tuple(sp.Add(*col) for col in zip(*rows, strict=True)))
    return Array((a.shape[0],), tuple(sp.Add(*row) for row in rows))


def reduce_to(a: Array, shape: Shape) -> Array:
    """Sum ``a`` over the axes that broadcasting added or stretched to reach ``shape``."""
    sums: dict[tuple[int, ...], list[Any]] = {}
    offset = len(a.shape) - len(shape)
    for index in indices(a.shape):
        target = tuple(0 if shape[k] == 1 else index[k + offset] for k in range(len(shape)))
        sums.setdefault(target, []).append(a.at(index))
    return Array(shape, tuple(sp.Add(*sums[i]) for i in indices(shape)))


def softmax(z: Array) -> Array:
    """Softmax over the last axis (each row of a matrix on its own)."""
    if not z.shape:
        raise ValueError("softmax takes a vector or a matrix of rows")
    out = []
    for row in z.rows():
        exps = [sp.exp(v) for v in row]
        out.extend(e / sp.Add(*exps) for e in exps)
    return Array(z.shape, tuple(out))


def one_hot(labels: tuple[int, ...], shape: Shape) -> Array:
    """Rows of zeros with a 1 at each row's class index."""
    width = shape[-1]
    return Array(shape, tuple(sp.S.One if j == label else sp.S.Zero for label in labels
                              for j in range(width)))


def softmax_ce(z: Array, labels: tuple[int, ...]) -> Array:
    """Cross-entropy of softmax(z) against class indices, averaged over the rows."""
    if not z.shape or len(labels) != len(z.rows()):
        raise ValueError("softmax_ce(z, y) needs one class index in y per row of z")
    classes = z.shape[-1]
    if not all(0 <= label < classes for label in labels):
        raise ValueError(f"a class index in y is out of range: z has {classes} classes, "
                         f"indices 0 to {classes - 1}")
    losses = [-row[label] + sp.log(sp.Add(*(sp.exp(v) for v in row)))
              for row, label in zip(z.rows(), labels, strict=True)]
    return Array((), (sp.Add(*losses) / len(losses),))


def _show(shape: Shape) -> str:
    return "×".join(map(str, shape)) if shape else "a number"


# --- the node --------------------------------------------------------------------------------

MATRIX_FUNCTIONS = {"sum": 1, "mean": 1, "dot": 2, "softmax": 1, "softmax_ce": 2, "transpose": 1,
                    "onehot": 2, "outer": 2}
AXIS_FUNCTIONS = ("sum", "mean")  # sum(X) or sum(X, axis) with axis 0 (down) or 1 (across)
ELEMENTWISE = frozenset(n for n, spec in FUNCTIONS.items() if spec.arity == 1)


@dataclass(frozen=True, eq=False)
class MatrixNode:
    """A matrix node: its text, inputs with shapes, class-index labels, and its output.

    ``kind`` and ``parts`` name the textbook pattern the node follows (``matmul`` with
    parts (A, B); ``linear`` with (A, B, bias); ``softmax_ce`` with (z, y); ...), which is
    what the mistakes vary; ``general`` for anything else.
    """

    text: str
    inputs: tuple[str, ...]  # differentiable inputs, in the order given
    shapes: tuple[tuple[str, Shape], ...]
    labels: tuple[tuple[str, tuple[int, ...]], ...]
    output: Array
    kind: str
    parts: tuple[str, ...]
    function: str | None = None

    def shape(self, name: str) -> Shape:
        """The shape of an input."""
        return dict(self.shapes)[name]

    def symbols(self, name: str) -> Array:
        """The entry symbols of an input."""
        return symbols(name, self.shape(name))

    def upstream(self) -> Array:
        """The entry symbols of the upstream gradient (same shape as the output)."""
        return symbols("_g", self.output.shape)

    @functools.cached_property
    def gradients(self) -> dict[str, Array]:
        """Input -> its gradient as formulas in the entries and in the upstream's entries."""
        g = self.upstream()
        return {name: self.symbols(name).map(
            lambda x: sp.Add(*(gi * sp.diff(y, x) for gi, y in zip(g.entries,
                                                                 self.output.entries,
                                                                 strict=True))))
            for name in self.inputs}


def parse_matrix(text: str, shapes: Mapping[str, Shape],
                 labels: Mapping[str, tuple[int, ...]] | None = None) -> MatrixNode:
    """Read a matrix node over inputs of known shapes (ExprError, with a position, if not)."""
    return _parse(text, tuple(shapes.items()), tuple((labels or {}).items()))


@functools.lru_cache(maxsize=512)
def _parse(text: str, shapes: tuple[tuple[str, Shape], ...],
           labels: tuple[tuple[str, tuple[int, ...]], ...]) -> MatrixNode:
    names = [n for n, _ in shapes] + [n for n, _ in labels]
    if len(names) > MAX_INPUTS:
        raise ExprError(f"too many inputs ({len(names)}; at most {MAX_INPUTS})", text, 0,
                        len(text))
    tree, pieces = ex.read_tree(text, names, functions=[*FUNCTIONS, *MATRIX_FUNCTIONS],
                                matmul=True)
    builder = _Builder(text, pieces, ex.DEFAULT_LIMITS, dict(shapes), dict(labels))
    try:
        output = builder.build(tree)
    except (RecursionError, MemoryError):
        raise ExprError("too deeply nested", text, 0) from None
    entries = sum(len(list(indices(shape))) for _, shape in shapes)
    if tree_size(output.entries, MAX_WORK) * max(1, entries) > MAX_WORK:
        raise ExprError("the node is too large to differentiate here (fewer or smaller "
                        "arrays, or a simpler formula)", text, 0, len(text))
    kind, parts, function = _pattern(tree, dict(labels))
    return MatrixNode(text, tuple(n for n, _ in shapes), shapes, labels, output, kind, parts,
                      function)


def _pattern(tree: ast.expr, labels: dict[str, tuple[int, ...]]
             ) -> tuple[str, tuple[str, ...], str | None]:
    """Which textbook pattern the node is, and the names in its roles."""
    def name(node: ast.expr) -> str | None:
        return node.id if isinstance(node, ast.Name) and not node.id.startswith("_n") else None

    def product(node: ast.expr) -> tuple[str, str] | None:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            a, b = name(node.left), name(node.right)
            return (a, b) if a and b else None
        return None

    if product(tree) and len(set(product(tree))) == 2:  # type: ignore[arg-type]
        return "matmul", product(tree), None  # type: ignore[return-value]
    if isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Add):
        for mm, bias in ((tree.left, tree.right), (tree.right, tree.left)):
            roles = (*product(mm), name(bias)) if product(mm) else ()  # type: ignore[misc]
            if roles and all(roles) and len(set(roles)) == 3:
                return "linear", roles, None  # type: ignore[return-value]
    if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name):
        args = [name(a) for a in tree.args]
        if all(args) and len(set(args)) == len(args):  # a name used twice is no textbook case
            func = tree.func.id
            if func in ("softmax", "softmax_ce", "sum", "mean", "dot"):
                return func, tuple(args), None  # type: ignore[arg-type]
            if func in ELEMENTWISE:
                return "elementwise", tuple(args), func  # type: ignore[arg-type]
    return "general", (), None


class _Builder(ex._Builder):
    """Build arrays from an allow-listed tree (the scalar builder's errors and limits)."""

    def __init__(self, text: str, pieces: list[Any], limits: ex.Limits,
                 shapes: dict[str, Shape], labels: dict[str, tuple[int, ...]]) -> None:
        super().__init__(text, pieces, limits)
        self.shapes = shapes
        self.labels = labels

    def build(self, node: ast.AST) -> Array:  # type: ignore[override]
        try:
            value = self.array(node)
        except ValueError as exc:
            raise self.fail(str(exc), node) from None
        if len(value.entries) > MAX_ENTRIES:
            raise self.fail(f"the result has {len(value.entries)} entries (at most "
                            f"{MAX_ENTRIES})", node)
        if tree_size(value.entries, MAX_SIZE) > MAX_SIZE:
            raise self.fail(f"the formula grows too large here (more than {MAX_SIZE:,} "
                            "terms; chained products and nested softmax grow fast)", node)
        return value

    def array(self, node: ast.AST) -> Array:
        if isinstance(node, ast.Name):
            if node.id in self.labels:
                raise self.fail(f"'{node.id}' holds class indices: it goes in softmax_ce(z, "
                                f"{node.id}) only", node)
            if node.id.startswith("_n"):
                return Array((), (self.name(node),))
            return symbols(node.id, self.shapes[node.id])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.build(node.operand)
            return inner.map(lambda v: -v) if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp):
            return self.binary_array(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self.call_array(node)
        if isinstance(node, ast.Tuple):
            raise self.fail("a comma may only separate a function's arguments", node)
        raise self.fail("this is not allowed in a matrix node", node)

    def binary_array(self, node: ast.BinOp) -> Array:
        left, right = self.build(node.left), self.build(node.right)
        try:
            return self.combine(node, left, right)
        except ValueError as exc:  # shapes that do not fit: point at the operator
            token = self.operator_token(node)
            raise ExprError(str(exc), self.text, token.pos if token else 0) from None

    def combine(self, node: ast.BinOp, left: Array, right: Array) -> Array:
        if isinstance(node.op, ast.MatMult):
            return matmul(left, right)
        if isinstance(node.op, ast.Pow):
            if right.shape or not right.entries[0].is_Rational:
                raise self.fail("a power takes a constant number as exponent", node)
            self.check_power(sp.S(2), right.entries[0], node)
        ops: dict[type, Callable[[Any, Any], Any]] = {
            ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
            ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
            ast.Pow: lambda a, b: a**b}
        if type(node.op) not in ops:
            raise self.fail("this operator is not allowed", node)
        result = elementwise(ops[type(node.op)], left, right)
        if any(e.has(sp.zoo, sp.nan) for e in result.entries):
            raise self.fail("division by zero", node)
        return result

    def call_array(self, node: ast.Call) -> Array:
        func = node.func.id  # type: ignore[attr-defined]
        arity = MATRIX_FUNCTIONS.get(func) or FUNCTIONS[func].arity
        if func in AXIS_FUNCTIONS and len(node.args) == 2 and not node.keywords:
            return self.along(node, func)
        if node.keywords or len(node.args) != arity:
            raise self.fail(f"{func}() takes {arity} argument{'s' if arity > 1 else ''}"
                            + (" (or 2: an array and an axis)" if func in AXIS_FUNCTIONS
                               else ""), node)
        if func == "onehot":
            return self.onehot(node)
        if func == "softmax_ce":
            label = node.args[1]
            if not (isinstance(label, ast.Name) and label.id in self.labels):
                raise self.fail("softmax_ce(z, y) takes the class indices y by name (a "
                                "'class' input in a bank; --at y=... for explain)", label)
            return softmax_ce(self.build(node.args[0]), self.labels[label.id])
        args = [self.build(a) for a in node.args]
        if func in ("sum", "mean"):
            out = total(args[0])
            return out.map(lambda v: v / len(args[0].entries)) if func == "mean" else out
        if func == "dot":
            if len(args[0].shape) != 1 or args[0].shape != args[1].shape:
                raise self.fail("dot(x, y) takes two vectors of the same length", node)
            return matmul(args[0], args[1])
        if func == "softmax":
            return softmax(args[0])
        if func == "transpose":
            return transpose(args[0])
        if func == "outer":
            if len(args[0].shape) != 1 or len(args[1].shape) != 1:
                raise self.fail("outer(x, y) takes two vectors", node)
            return Array((args[0].shape[0], args[1].shape[0]),
                         tuple(a * b for a in args[0].entries for b in args[1].entries))
        spec = FUNCTIONS[func]
        if arity == 1:
            return args[0].map(spec.build)
        return elementwise(spec.build, args[0], args[1])

    def along(self, node: ast.Call, func: str) -> Array:
        """sum(X, axis) or mean(X, axis): the axis a literal 0 or 1."""
        array, axis = self.build(node.args[0]), self.build(node.args[1])
        value = axis.entries[0] if not axis.shape else None
        if value not in (0, 1):
            raise self.fail(f"the axis of {func}() is 0 (down the rows) or 1 (across)",
                            node.args[1])
        out = total(array, int(value))  # type: ignore[arg-type]
        count = len(array.entries) // max(1, len(out.entries))
        return out.map(lambda v: v / count) if func == "mean" else out

    def onehot(self, node: ast.Call) -> Array:
        """One-hot rows of C entries, one per class index in y (a vector when y holds one)."""
        label, count = node.args
        if not (isinstance(label, ast.Name) and label.id in self.labels):
            raise self.fail("onehot(y, C) takes the class indices y by name", label)
        size = self.build(count)
        classes = size.entries[0] if not size.shape else None
        indices_ = self.labels[label.id]
        if classes is None or not classes.is_Integer or not max(indices_) < classes <= 64:
            raise self.fail(f"onehot(y, C) needs C, the number of classes (above every index "
                            f"in {label.id})", count)
        shape = (int(classes),) if len(indices_) == 1 else (len(indices_), int(classes))
        return one_hot(indices_, shape)
