"""Question templates and banks as typed, frozen objects (what bank.py builds from YAML)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import sympy as sp

from quizgrad.math.circuit import Circuit
from quizgrad.math.engine import Node
from quizgrad.math.matrix import Array, MatrixNode, Shape, parse_matrix
from quizgrad.math.numeric import Tolerance
from quizgrad.math.rng import Stream

if TYPE_CHECKING:
    from quizgrad.math.network import Network

PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True)
class NumberSpec:
    """How a stored value or upstream gradient is chosen: fixed, or drawn at random."""

    kind: str  # "fixed", "int", "decimal", "choice"
    values: tuple[sp.Rational, ...]
    places: int = 0
    nonzero: bool = False
    exclude: tuple[sp.Rational, ...] = ()

    @property
    def random(self) -> bool:
        """Whether draws can differ."""
        return self.kind != "fixed"

    @property
    def count(self) -> int | None:
        """How many values a draw can give (None: too many to list)."""
        pool = self._pool
        return None if pool is None else len(pool)

    @functools.cached_property
    def _grid(self) -> tuple[int, int, int]:
        scale = 10**self.places
        return int(sp.ceiling(self.values[0] * scale)), int(sp.floor(self.values[1] * scale)), \
            scale

    @functools.cached_property
    def _pool(self) -> tuple[Fraction, ...] | None:
        """Every allowed value when there are few enough to list (None: draw and reject)."""
        blocked = {Fraction(int(v.p), int(v.q)) for v in self.exclude}
        if self.nonzero:
            blocked.add(Fraction(0))
        if self.kind in ("fixed", "choice"):
            values = [Fraction(int(v.p), int(v.q)) for v in self.values]
        else:
            low, high, scale = self._grid
            if high - low > 100_000:
                return None
            values = [Fraction(k, scale) for k in range(low, high + 1)]
        return tuple(v for v in values if v not in blocked)

    def allowed(self, value: sp.Rational | Fraction) -> bool:
        """Whether ``value`` passes ``nonzero`` and ``exclude``."""
        return not (self.nonzero and value == 0) and value not in self.exclude

    def draw(self, stream: Stream) -> Fraction:
        """One value, exactly, uniform over the allowed ones."""
        pool = self._pool
        if pool is not None:
            return pool[0] if len(pool) == 1 else stream.choice(pool)
        low, high, scale = self._grid
        for _ in range(1000):
            value = Fraction(stream.integer(low, high), scale)
            if self.allowed(value):
                return value
        raise ValueError("no allowed value")  # pragma: no cover - validated at load time

    def describe(self) -> str:
        """A short description for listings, e.g. 'integer in [-9, 9], nonzero'."""
        if self.kind == "fixed":
            text = str(self.values[0])
        elif self.kind == "choice":
            text = "one of " + ", ".join(str(v) for v in self.values)
        elif self.kind == "int":
            text = f"integer in [{self.values[0]}, {self.values[1]}]"
        else:
            text = f"{self.places}-place decimal in [{self.values[0]}, {self.values[1]}]"
        extras = (["nonzero"] if self.nonzero else []) + [f"not {v}" for v in self.exclude]
        return ", ".join([text, *extras])


@dataclass(frozen=True)
class Choice:
    """One choice of a multiple-choice template."""

    text: str
    correct: bool
    mistake: str | None = None
    feedback: str | None = None


@dataclass(frozen=True, eq=False)
class SampleAnswer:
    """A question test: an answer and the verdict and mistakes the judge must give it."""

    answer: Any
    verdict: str
    mistakes: tuple[str, ...]
    line: int


@dataclass(frozen=True, kw_only=True, eq=False)
class Template:
    """What every template has (templates compare by identity: each is one bank entry)."""

    id: str
    type: str
    title: str
    prompt: str
    explanation: str
    points: float
    tolerance: Tolerance
    tests: tuple[SampleAnswer, ...]
    bank: str
    file: str
    line: int

    @property
    def where(self) -> str:
        """file:line of the template."""
        return f"{self.file}:{self.line}"

    @property
    def randomized(self) -> bool:
        """Whether variants of this template can differ."""
        return False


@dataclass(frozen=True, kw_only=True, eq=False)
class GradientTemplate(Template):
    """Gradients at drawn numbers: stored inputs, an upstream gradient, the asked values."""

    inputs: tuple[tuple[str, NumberSpec], ...]
    upstream: NumberSpec
    ask: tuple[str, ...]
    allow_kinks: bool = False

    @property
    def randomized(self) -> bool:
        """Whether any stored value or the upstream gradient is drawn."""
        return self.upstream.random or any(spec.random for _, spec in self.inputs)

    @functools.cached_property
    def draws(self) -> int | None:
        """How many different points a draw can give (None: too many to list)."""
        return _product([spec.count for _, spec in self.inputs] + [self.upstream.count])


@dataclass(frozen=True, kw_only=True, eq=False)
class WireTemplate(GradientTemplate):
    """Wire gradients of one node."""

    node: Node


@dataclass(frozen=True, kw_only=True, eq=False)
class CircuitTemplate(GradientTemplate):
    """Gradients in a circuit of several nodes (the upstream arrives on the output)."""

    circuit: Circuit


@dataclass(frozen=True)
class ArraySpec:
    """A matrix, vector or number: its shape and how each entry is chosen."""

    shape: Shape
    entries: tuple[NumberSpec, ...]  # one per entry, row-major

    @property
    def random(self) -> bool:
        """Whether draws can differ."""
        return any(spec.random for spec in self.entries)

    def draw(self, stream: Stream) -> Array:
        """One array, each entry drawn exactly."""
        return Array(self.shape, tuple(spec.draw(stream) for spec in self.entries))

    def describe(self) -> str:
        """A short description, e.g. '2×3, integer in [-3, 3]'."""
        size = "×".join(map(str, self.shape)) or "number"
        kinds = {spec.describe() for spec in self.entries}
        return f"{size}, {kinds.pop()}" if len(kinds) == 1 else f"{size}, fixed"


@dataclass(frozen=True)
class ClassSpec:
    """Class indices for softmax_ce(z, y): given, or drawn (one per row of z)."""

    fixed: tuple[int, ...] | None

    def draw(self, stream: Stream, rows: int, classes: int) -> tuple[int, ...]:
        """The indices for a z of ``rows`` rows and ``classes`` columns."""
        if self.fixed is not None:
            return self.fixed
        return tuple(stream.integer(0, classes - 1) for _ in range(rows))


@dataclass(frozen=True, kw_only=True, eq=False)
class ArrayTemplate(Template):
    """Gradients in arrays: stored arrays, class indices, an upstream gradient, asked values."""

    inputs: tuple[tuple[str, ArraySpec], ...]
    labels: tuple[tuple[str, ClassSpec], ...]
    upstream: ArraySpec
    ask: tuple[str, ...]
    allow_kinks: bool = False

    @property
    def randomized(self) -> bool:
        """Whether any stored array, class index or the upstream gradient is drawn."""
        return self.upstream.random or any(spec.random for _, spec in self.inputs) or any(
            spec.fixed is None for _, spec in self.labels)

    @functools.cached_property
    def draws(self) -> int | None:
        """How many different points a draw can give (None: too many to list)."""
        return _product([spec.count for _, array in [*self.inputs, ("", self.upstream)]
                         for spec in array.entries] + self.label_counts())

    def label_counts(self) -> list[int | None]:
        """How many ways each drawn set of class indices can fall (None: not counted)."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True, eq=False)
class MatrixTemplate(ArrayTemplate):
    """Gradients of a matrix node: stored arrays, an upstream gradient array, asked inputs."""

    node_text: str
    logits: str | None = None  # z of softmax_ce(z, y): its rows and columns size the indices

    def label_counts(self) -> list[int | None]:
        """classes ** rows for each drawn set of indices (one index per row of z)."""
        counts: list[int | None] = []
        shapes = dict(self.inputs)
        for _, spec in self.labels:
            if spec.fixed is None:
                shape = shapes[self.logits].shape if self.logits in shapes else ()
                rows, classes = (1, shape[0]) if len(shape) == 1 else shape[:2] or (1, 1)
                counts.append(classes ** rows)
        return counts

    def node(self, labels: dict[str, tuple[int, ...]]) -> MatrixNode:
        """The node for given class indices (the labels are part of the formula)."""
        return parse_matrix(self.node_text, {n: s.shape for n, s in self.inputs}, labels)


@dataclass(frozen=True, kw_only=True, eq=False)
class NetworkTemplate(ArrayTemplate):
    """Gradients in a circuit of arrays (a network's layers): stored arrays, asked values."""

    circuit_text: str
    logits: tuple[tuple[str, str], ...] = ()  # label -> the z of its softmax_ce(z, label)
    classes: tuple[tuple[str, int, int], ...] = ()  # label, the rows and columns of its z

    def label_counts(self) -> list[int | None]:
        """Drawn class indices are not counted (a network has too many draws to list)."""
        return [None] * any(spec.fixed is None for _, spec in self.labels)

    def network(self, labels: dict[str, tuple[int, ...]]) -> Network:
        """The circuit for given class indices (the labels are part of its formulas)."""
        from quizgrad.math.network import parse_network

        return parse_network(self.circuit_text, {n: s.shape for n, s in self.inputs}, labels)


@dataclass(frozen=True, kw_only=True, eq=False)
class LocalTemplate(Template):
    """A local gradient df/dx as a formula; ``let`` names helpers such as s = sigmoid(x)."""

    node: Node
    wrt: str
    let: tuple[tuple[str, sp.Expr], ...] = ()


@dataclass(frozen=True, kw_only=True, eq=False)
class ChoiceTemplate(Template):
    """Multiple choice; wrong choices may carry the misconception they reveal."""

    choices: tuple[Choice, ...]
    shuffle: bool = False


@dataclass(frozen=True, kw_only=True, eq=False)
class TrueFalseTemplate(Template):
    """A statement that is true or false; the wrong answer may reveal a misconception."""

    answer: bool
    mistake: str | None = None


@dataclass(frozen=True)
class Bank:
    """One bank file: its name, title, where it came from, a content hash, its templates."""

    name: str
    title: str
    file: str
    sha256: str
    templates: tuple[Template, ...]


def fill(prompt: str, values: dict[str, str]) -> str:
    """Replace ``{name}`` placeholders (already validated) and ``{{``/``}}`` escapes."""
    return "".join([text if name is None else values.get(name, text)
                    for text, name in _pieces(prompt)])


@functools.lru_cache(maxsize=4096)
def _pieces(prompt: str) -> tuple[tuple[str, str | None], ...]:
    """A prompt split once: (text, None) for what stays, (token, name) for a placeholder.

    A placeholder with no value, or a lone brace (name ''), stays as written.
    """
    pieces: list[tuple[str, str | None]] = []
    at = 0
    for match in PLACEHOLDER.finditer(prompt):
        token = match.group()
        pieces.append((prompt[at:match.start()], None))
        pieces.append((token[0], None) if token in ("{{", "}}")
                      else (token, match.group(1) or ""))
        at = match.end()
    pieces.append((prompt[at:], None))
    return tuple(pieces)


def _product(counts: list[int | None], limit: int = 10**9) -> int | None:
    """The product of the counts; None when one is unknown or the product passes ``limit``."""
    total = 1
    for count in counts:
        if count is None or total * count > limit:
            return None
        total *= count
    return total
