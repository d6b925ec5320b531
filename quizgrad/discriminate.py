"""Discriminating draws: numbers chosen so that every mistake gives a wrong answer of its own.

A draw is judged by two counts on the asked wires:
1. mistakes whose prediction coincides with the right answer within tolerance (a student
   holding them would be marked right) — a draw must have none;
2. pairs of different mistakes that coincide with each other (the diagnosis would be
   ambiguous) — kept as low as the template allows.

Some coincidences are structural and never held against a draw: a mistake that gives the
right answer by definition where df/dx is 0 or 1 (passing g through a wire whose local
gradient is 1), an exact 0 predicted where the right answer is an exact 0 (a closed ReLU
gate), and — found by probing the template's own draws — mistakes or pairs that coincide on
every draw (on an exp node, g * f *is* the right answer).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import TypeVar

from .compiled import FAILED
from .errors import GradientError
from .memo import remembered
from .numeric import Tolerance
from .plan import Point

T = TypeVar("T")
Coincidence = tuple[str, str]  # (wire, mistake)
Pair = tuple[str, str, str]  # (wire, mistake, mistake)
PROBES = 32
FEW_DRAWS = 5_000


_PROFILES: dict[object, Profile] = {}


def profiled(template: object, make: Callable[[], Profile]) -> Profile:
    """The profile of ``template`` (by identity), probed once by ``make``."""
    return remembered(_PROFILES, template, make)


def install(profiles: dict[object, Profile]) -> None:
    """Take profiles probed by another process (those probed here are kept)."""
    for template, shape in profiles.items():
        _PROFILES.setdefault(template, shape)


def few(draws: int | None) -> bool:
    """Whether a template's possible points are few enough to remember each one judged.

    A class of hundreds then draws the same points again, and the memory used is bounded
    by the number of points itself.
    """
    return draws is not None and draws <= FEW_DRAWS


@dataclass(frozen=True)
class Assessment:
    """What coincides at one draw."""

    right: frozenset[Coincidence]
    pairs: frozenset[Pair]
    excused: frozenset[Coincidence] = frozenset()
    complete: bool = True


@dataclass(frozen=True)
class Profile:
    """What a template's draws can reach: structural coincidences and the best pair count."""

    always_right: frozenset[Coincidence]
    always_paired: frozenset[Pair]
    best_pairs: int  # the pair count a draw is held to
    probes: int
    by_definition: frozenset[Coincidence] = frozenset()
    fewest_pairs: int = 0  # the fewest seen on any probe

    @property
    def unrevealable(self) -> frozenset[Coincidence]:
        """Coincidences that are the node's nature, beyond the by-definition ones."""
        return self.always_right - self.by_definition

    def score(self, assessment: Assessment) -> tuple[int, int]:
        """(avoidable coincidences with the right answer, avoidable coinciding pairs)."""
        pairs = len(assessment.pairs - self.always_paired) if assessment.complete else 10**6
        return len(assessment.right - self.always_right), pairs

    def accepts(self, assessment: Assessment) -> bool:
        """Whether a draw is as discriminating as this template allows."""
        right, pairs = self.score(assessment)
        return right == 0 and pairs <= self.best_pairs


def assess(point: Point, ask: tuple[str, ...], tolerance: Tolerance,
           structural: frozenset[Coincidence] | None = None) -> Assessment:
    """The coincidences at one evaluated point.

    With ``structural`` given, stop at the first coincidence with the right answer that is
    not in it: the draw is rejected anyway (the assessment is then marked incomplete).
    """
    right: set[Coincidence] = set()
    excused: set[Coincidence] = set()
    pairs: set[Pair] = set()
    rel, floor = tolerance.relative * (1 + 1e-9), tolerance.absolute * (1 + 1e-9)
    values = point.values
    for wire, entries in point.plan.layout(ask):
        correct = point.gradient[wire]
        target = float(correct)
        width = max(rel * abs(target), floor)
        local = float(point.local[wire])  # a float hashes cheaply (a Fraction does not)
        zero = correct == 0
        distinct = []
        for index, mistake, blind_at in entries:
            value = values[index]
            if value is FAILED:
                continue
            if (zero and value == 0) or local in blind_at:
                excused.add((wire, mistake))
            elif abs(value - target) <= width:  # type: ignore[operator]
                right.add((wire, mistake))
                if structural is not None and (wire, mistake) not in structural:
                    return Assessment(frozenset(right), frozenset(), frozenset(excused), False)
            else:
                distinct.append((value, mistake))
        pairs |= close_pairs(wire, distinct, rel, floor)  # type: ignore[arg-type]
    return Assessment(frozenset(right), frozenset(pairs), frozenset(excused))


def close_pairs(wire: str, distinct: list[tuple[float, str]], rel: float, floor: float,
                mistake: Callable[[str], str] = lambda label: label) -> set[Pair]:
    """Pairs of labels whose values coincide within tolerance (of different mistakes)."""
    pairs: set[Pair] = set()
    distinct.sort()
    for i, (a, first) in enumerate(distinct):  # sorted: close values are neighbours
        for b, second in distinct[i + 1:]:
            if b - a > max(rel * max(abs(a), abs(b)), floor):
                break
            if mistake(first) != mistake(second):
                pairs.add((wire, *sorted((first, second))))  # type: ignore[arg-type]
    return pairs


def profile(assessments: list[Assessment], generic: list[Assessment],
            pair_quantile: float = 0.0) -> Profile:
    """A template's profile from its own probe draws and from generic ones of the same node.

    A coincidence with the right answer is structural only when it holds at generic points
    too (it is the node's nature, as g * f on exp); one that holds on all of the template's
    draws but not generically is the ranges' fault, and such a template cannot be drawn.
    Draws are later held to the pair count at ``pair_quantile`` of the probes (0: the best
    one seen; circuits, with dozens of single faults, use the median).
    """
    if not assessments:
        return Profile(frozenset(), frozenset(), 0, 0)
    always_right = functools.reduce(
        frozenset.intersection, (a.right | a.excused for a in generic)) if generic else frozenset()
    always_paired = functools.reduce(frozenset.intersection, (a.pairs for a in assessments))
    by_definition = functools.reduce(
        frozenset.intersection, (a.excused for a in generic)) if generic else frozenset()
    partial = Profile(always_right, always_paired, 0, len(assessments))
    usable = sorted(pairs for right, pairs in map(partial.score, assessments) if right == 0)
    best = usable[int(pair_quantile * (len(usable) - 1))] if usable else 0
    return Profile(always_right, always_paired, best, len(assessments), by_definition,
                   usable[0] if usable else 0)


Values = tuple[dict[str, Fraction], Fraction]
Judged = tuple[T, Assessment] | str  # the point and its assessment, or why it is unusable


def search(draw: Callable[[], Values], judge: Callable[[Values, Profile], Judged[T]],
           shape: Profile, tries: int) -> tuple[T, int]:
    """Draw until a point is as discriminating as the template allows (bounded).

    Returns the point and the number of draws; GradientError says why none was found.
    """
    best: tuple[tuple[int, int], T] | None = None
    problem = "no draw was tried"
    for attempt in range(1, tries + 1):
        judged = judge(draw(), shape)
        if isinstance(judged, str):
            problem = judged
            continue
        point, assessment = judged
        if tries == 1 or shape.accepts(assessment):
            return point, attempt
        score = shape.score(assessment)
        if best is None or score < best[0]:
            best = (score, point)
        problem = "no draw kept every mistake apart from the right answer"
    if best is not None and best[0][0] == 0:
        return best[1], tries
    raise GradientError(f"no discriminating draw in {tries} attempts: {problem}")


def probe(judge: Callable[[Values, Profile | None], Judged[T]], own: Callable[[], Values],
          generic: Callable[[], Values], randomized: bool, pair_quantile: float = 0.0
          ) -> Profile:
    """A template's profile from probe draws: its own (when randomized) and generic ones."""

    def probes(draw: Callable[[], Values]) -> list[Assessment]:
        found: list[Assessment] = []
        for _ in range(PROBES * 3):
            if len(found) == PROBES:
                break
            judged = judge(draw(), None)
            if not isinstance(judged, str):
                found.append(judged[1])
        return found

    mine = probes(own) if randomized else []
    return profile(mine or probes(generic), probes(generic), pair_quantile)


def assess_faults(correct: dict[str, float], predictions: dict[str, list[tuple[str, float]]],
                  tolerance: Tolerance, structural: frozenset[Coincidence] | None = None,
                  pairs_too: bool = True) -> Assessment:
    """The coincidences among ('mistake@where' label, predicted value) per asked value.

    Without ``pairs_too`` only coincidences with the right answer are looked for (a search
    that holds draws to no pair count need not count them).
    """
    right: set[Coincidence] = set()
    excused: set[Coincidence] = set()
    pairs: set[Pair] = set()
    rel, floor = tolerance.relative * (1 + 1e-9), tolerance.absolute * (1 + 1e-9)
    for wire, found in predictions.items():
        target = correct[wire]
        width = max(rel * abs(target), floor)
        distinct = []
        for label, value in found:
            if target == 0 and value == 0:
                excused.add((wire, label))
            elif abs(value - target) <= width:
                right.add((wire, label))
                if structural is not None and (wire, label) not in structural:
                    return Assessment(frozenset(right), frozenset(), frozenset(excused), False)
            elif pairs_too:
                distinct.append((value, label))
        pairs |= close_pairs(wire, distinct, rel, floor, lambda label: label.split("@")[0])
    return Assessment(frozenset(right), frozenset(pairs), frozenset(excused))
