"""Regimes: which side of each kink a point lies on (a ReLU open or closed, who wins a max).

A node with a kink behaves differently on either side of it: relu(u) passes the gradient
where u > 0 and blocks it where u < 0, max(x, y) routes it to whichever input is larger.
Each such side is a *regime*, and a class should meet every one of them: a ReLU item whose
variants are all closed teaches nothing and is answered by guessing 0. A point's regime is
one branch per kink site, computed from floats: for a gate (relu, abs, sign, step) the sign
of its argument (1, 0 at the kink, -1); for max and min the position of the argument that
wins (-1 on a tie).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy as sp

from quizgrad.math.compiled import FAILED, Program
from quizgrad.math.expr import to_text
from quizgrad.math.nodes import relu

Regime = tuple[int, ...]
TIE = -1


@dataclass(frozen=True)
class Site:
    """One kink of a formula: a gate on the sign of one argument, or a max/min of several."""

    kind: str  # "relu", "abs", "gate" (sign, step, heaviside), "max" or "min"
    args: tuple[sp.Expr, ...]

    @property
    def text(self) -> str:
        """The kink as written, e.g. 'relu(w*x + b)' or 'max(z, w)'."""
        inner = ", ".join(to_text(a) for a in self.args)
        return f"{self.kind}({inner})" if self.kind != "gate" else f"the sign of {inner}"

    def branch(self, values: Sequence[float]) -> int:
        """The side of the kink for the arguments' values (see the module's docstring)."""
        if self.kind in ("max", "min"):
            best = max(values) if self.kind == "max" else min(values)
            winners = [i for i, v in enumerate(values) if abs(v - best) < 1e-12]
            return winners[0] if len(winners) == 1 else TIE
        u = values[0]
        return 0 if abs(u) < 1e-12 else 1 if u > 0 else -1

    def at_kink(self, branch: int) -> bool:
        """Whether ``branch`` is the kink itself (a tie, or a gate's argument at 0)."""
        return branch == (TIE if self.kind in ("max", "min") else 0)

    def describe(self, branch: int) -> str:
        """One side in words: 'relu(u) is open', 'z wins max(z, w)', 'x > 0'."""
        if self.kind in ("max", "min"):
            if branch == TIE:
                return f"{self.text} is a tie"
            return f"{to_text(self.args[branch])} wins {self.text}"
        if self.kind == "relu":
            return f"{self.text} is " + {1: "open", 0: "at its kink", -1: "closed"}[branch]
        sign = {1: ">", 0: "=", -1: "<"}[branch]
        return f"{to_text(self.args[0])} {sign} 0"


def sites(expr: sp.Expr) -> tuple[Site, ...]:
    """The kink sites of ``expr`` in a fixed order (each site once)."""
    found: dict[Site, None] = {}
    for sub in sp.preorder_traversal(expr):
        if isinstance(sub, relu):
            found.setdefault(Site("relu", sub.args))
        elif isinstance(sub, sp.Abs):
            found.setdefault(Site("abs", sub.args))
        elif isinstance(sub, (sp.sign, sp.Heaviside)):
            found.setdefault(Site("gate", sub.args[:1]))
        elif isinstance(sub, (sp.Max, sp.Min)):
            found.setdefault(Site("max" if isinstance(sub, sp.Max) else "min", sub.args))
    return tuple(found)


@dataclass(frozen=True)
class Classifier:
    """A formula's sites, the arguments they look at, and a float program for those."""

    sites: tuple[Site, ...]

    @functools.cached_property
    def args(self) -> tuple[sp.Expr, ...]:
        """Every site's arguments, in order (a caller may compute them in its own program)."""
        return tuple(a for site in self.sites for a in site.args)

    @functools.cached_property
    def _program(self) -> Program:
        return Program(list(self.args), exact=False)

    def regime(self, env: Mapping[str, float]) -> Regime:
        """The branch of every site at ``env``."""
        return self.classify(self._program.run(env))

    def classify(self, values: Sequence[object]) -> Regime:
        """The branch of every site from its arguments' values (a failed one: the kink)."""
        out, at = [], 0
        for site in self.sites:
            args = values[at:at + len(site.args)]
            at += len(site.args)
            out.append((TIE if site.kind in ("max", "min") else 0)
                       if any(v is FAILED for v in args) else site.branch(args))  # type: ignore[arg-type]
        return tuple(out)

    def at_kink(self, regime: Regime) -> bool:
        """Whether a regime sits on a kink (a gate's argument 0, or a tie)."""
        return any(site.at_kink(b) for site, b in zip(self.sites, regime, strict=True))

    def describe(self, regime: Regime) -> str:
        """A regime in words, its sites' sides joined by ' and '."""
        return " and ".join(site.describe(b) for site, b in zip(self.sites, regime,
                                                                  strict=True))


@functools.lru_cache(maxsize=2048)
def classifier(expr: sp.Expr) -> Classifier | None:
    """The classifier of a formula's regimes (None when it has no kink)."""
    found = sites(expr)
    return Classifier(found) if found else None
