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

A node with a kink is judged regime by regime (see :mod:`quizgrad.math.regimes`): where a ReLU
is open its derivative is 1, so forgetting it (forgot-outer) gives the right answer on
every such draw. That is the regime's nature, not the draw's fault: it is found by probing
draws of that regime and excused there, while the closed regime, where the same mistake
shows, still holds draws to it. Each variant first picks a regime (a regime in which every
asked gradient is 0 half as often as one in which some are not, so that guessing 0 does
not pay), then draws within it.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Generic, TypeVar

from quizgrad.errors import GradientError
from quizgrad.math.compiled import FAILED
from quizgrad.math.numeric import Tolerance
from quizgrad.math.plan import Point
from quizgrad.math.regimes import Regime
from quizgrad.math.rng import Stream
from quizgrad.memo import remembered

T = TypeVar("T")
Coincidence = tuple[str, str]  # (wire, mistake)
Pair = tuple[str, str, str]  # (wire, mistake, mistake)
PROBES = 32
FEW_DRAWS = 5_000
REGIME_PROBES = 12  # a template with kinks probes up to 12 times as many draws ...
MOST_TRIES = 2_000  # ... and a search within a rare regime tries at most this many
LIVE, DEAD = 2, 1  # a regime's weight in the class: DEAD when every asked gradient is 0


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
    regime: Regime | None = None  # the regime draws are held to (None: any)
    regimes: tuple[Side, ...] = ()  # for a template with kinks: each regime its draws reach

    @property
    def unrevealable(self) -> frozenset[Coincidence]:
        """Coincidences that are the node's nature, beyond the by-definition ones."""
        return self.always_right - self.by_definition

    def within(self, regime: Regime) -> Profile:
        """The profile draws of ``regime`` are held to (this one when it has no regimes)."""
        return next((side.profile for side in self.regimes if side.key == regime), self)

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


@dataclass(frozen=True)
class Side:
    """One regime of a template with kinks: its profile, how often draws land in it, its weight.

    ``weight`` is LIVE or DEAD (every asked gradient 0 there), or 0 when no probe draw of
    the regime was discriminating; ``blocking`` then says what coincided on every one.
    """

    key: Regime
    label: str
    profile: Profile
    share: float  # of the template's own probe draws
    weight: int
    blocking: frozenset[Coincidence] = frozenset()


ELSEWHERE = "no draw fell in the regime being drawn"  # what a judge says of such a draw


def outside(shape: Profile | None, regime: Regime) -> bool:
    """Whether a point of ``regime`` lies outside the regime ``shape`` holds draws to."""
    return shape is not None and shape.regime is not None and regime != shape.regime


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


def search_regimes(draw: Callable[[], Values], judge: Callable[[Values, Profile], Judged[T]],
                   shape: Profile, tries: int, stream: Stream) -> tuple[T, int]:
    """Pick a regime by weight from ``stream``, then :func:`search` within it.

    A template without kinks (or drawn once) is searched as a whole. Should the picked
    regime yield no discriminating draw, the others are tried in turn, the likeliest first.
    """
    sides = [side for side in shape.regimes if side.weight]
    if tries == 1 or not sides:
        return search(draw, judge, shape, tries)
    picked = _weighted(sides, stream.below(sum(side.weight for side in sides)))
    order = [picked, *sorted((s for s in sides if s is not picked), key=lambda s: -s.share)]
    elsewhere = 0  # draws that fell in another regime do not count as tries

    def within(values: Values, shape: Profile) -> Judged[T]:
        nonlocal elsewhere
        judged = judge(values, shape)
        elsewhere += judged is ELSEWHERE
        return judged

    spent, problem = 0, GradientError("no regime was tried")
    for side in order:
        budget = min(MOST_TRIES, math.ceil(tries / max(side.share, 1e-9)))
        try:
            point, used = search(draw, within, side.profile, budget)
            return point, spent + used - elsewhere
        except GradientError as exc:
            spent, problem = spent + budget, exc
    raise problem


def _weighted(sides: list[Side], ticket: int) -> Side:
    """The side that ``ticket`` (below the total weight) falls on."""
    for side in sides:
        ticket -= side.weight
        if ticket < 0:
            return side
    raise ValueError("the ticket is beyond the total weight")  # pragma: no cover


def probe(judge: Callable[[Values, Profile | None], Judged[T]], own: Callable[[], Values],
          generic: Callable[[], Values], randomized: bool, pair_quantile: float = 0.0,
          kinks: Kinks[T] | None = None) -> Profile:
    """A template's profile from probe draws: its own (when randomized) and generic ones.

    With ``kinks`` (a template whose node has any), the draws are also grouped by regime
    and each regime the template's own draws reach gets a profile of its own.
    """
    many = kinks is not None and randomized

    def probes(draw: Callable[[], Values]) -> list[tuple[T, Assessment]]:
        found: list[tuple[T, Assessment]] = []
        seen: dict[Regime, int] = defaultdict(int)
        for _ in range(PROBES * 3 * (REGIME_PROBES if many else 1)):
            if len(found) >= PROBES and (not many or min(seen.values()) >= PROBES):
                break
            judged = judge(draw(), None)
            if not isinstance(judged, str):
                found.append(judged)
                if many:
                    seen[kinks.regime(judged[0])] += 1  # type: ignore[union-attr]
        return found

    mine = probes(own) if randomized else []
    generic_draws = probes(generic)
    general = [a for _, a in generic_draws]
    whole = profile([a for _, a in mine] or general, general, pair_quantile)
    if not many or not mine:
        return whole
    assert kinks is not None
    return replace(whole, regimes=_sides(mine, generic_draws, pair_quantile, kinks))


@dataclass(frozen=True)
class Kinks(Generic[T]):
    """How a family of points tells regimes: a point's regime, its words, its gradients' zeros."""

    regime: Callable[[T], Regime]
    label: Callable[[Regime], str]
    zero: Callable[[T], bool]  # whether every asked gradient is 0 at the point


def _sides(mine: list[tuple[T, Assessment]], generic: list[tuple[T, Assessment]],
           pair_quantile: float, kinks: Kinks[T]) -> tuple[Side, ...]:
    """One :class:`Side` per regime the template's own draws reach, in regime order."""
    own: dict[Regime, list[tuple[T, Assessment]]] = defaultdict(list)
    others: dict[Regime, list[Assessment]] = defaultdict(list)
    for point, assessment in mine:
        own[kinks.regime(point)].append((point, assessment))
    for point, assessment in generic:
        others[kinks.regime(point)].append(assessment)
    sides = []
    for key in sorted(own):
        draws = [a for _, a in own[key]]
        shape = replace(profile(draws, others[key], pair_quantile), regime=key)
        usable = [a for a in draws if shape.score(a)[0] == 0]
        blocking: frozenset[Coincidence] = frozenset()
        if usable:
            weight = DEAD if all(kinks.zero(p) for p, _ in own[key]) else LIVE
        else:
            weight = 0
            blocking = functools.reduce(frozenset.intersection,
                                        (a.right - shape.always_right for a in draws))
        sides.append(Side(key, kinks.label(key), shape, len(draws) / len(mine), weight,
                          blocking))
    return tuple(sides)


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
