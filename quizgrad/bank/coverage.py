"""What a template's variants cover: distinct answers, kink regimes, and how much 0 scores.

Discriminating draws can collapse a template: a ReLU neuron whose every variant is a closed
gate has one answer (0 on every wire), and a student who guesses 0 gets it right every
time. Here a template's variants are drawn as ``generate`` draws them (seed, template id,
variant id) and measured:

- distinct answers, against what its ranges reach without the discrimination filter (up to
  :data:`ENOUGH_ANSWERS`): fewer than that is a collapse;
- each kink regime's share of the variants, against the share its weight promises (see
  :mod:`quizgrad.items.discriminate`): a regime drawn in fewer than a quarter of them (or, with
  many regimes, than three quarters of its share) is under-covered, and one that no
  discriminating draw reaches is reported with what stands in its way;
- the share of asked gradients that are 0, and the points a student who answers 0 on every
  wire would score (judged by the same judge as ``grade``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from quizgrad.bank.templates import GradientTemplate, MatrixTemplate
from quizgrad.errors import GradientError
from quizgrad.grading.judge import judge
from quizgrad.items.base import Item
from quizgrad.items.discriminate import Side
from quizgrad.math.matrix import Array
from quizgrad.math.rng import Stream
from quizgrad.registry import drawn, profile

VARIANTS = 200
ENOUGH_ANSWERS = 5
LEAST_SHARE = 0.25


@dataclass(frozen=True)
class RegimeCount:
    """One regime of a template: its words, how many variants fell in it, the share promised."""

    label: str
    variants: int
    expected: float
    reached: bool  # whether any discriminating draw lies in it


@dataclass(frozen=True)
class Coverage:
    """What ``variants`` variants of one template cover, and the problems that shows."""

    template: str
    variants: int
    drawn: int  # the variants that could be drawn (the rest are reported by check)
    answers: int
    reach: int  # distinct answers of as many plain draws, at most ENOUGH_ANSWERS
    zero_gradients: float  # share of asked gradients (array entries) that are 0
    zero_points: float  # what answering 0 everywhere scores, over all the variants
    max_points: float
    regimes: tuple[RegimeCount, ...]
    problems: tuple[str, ...]

    @property
    def zero_score(self) -> float:
        """The share of the points that answering 0 everywhere scores."""
        return self.zero_points / self.max_points if self.max_points else 0.0


def coverage(template: GradientTemplate | MatrixTemplate, variants: int = VARIANTS,
             seed: str = "check") -> Coverage:
    """Draw ``variants`` variants of ``template`` as ``generate --seed SEED`` would, and measure."""
    items: list[Item] = []
    for index in range(variants):
        try:
            items.append(drawn(template, Stream(seed, template.id, f"c{index:03d}"))[0])
        except GradientError:
            continue  # check reports templates that cannot be drawn
    answers = {_answer(item) for item in items}
    reach = _reach(template, variants) if template.randomized else len(answers)
    zeros = total = 0
    zero_points = max_points = 0.0
    for item in items:
        for value in item.expected.values():  # type: ignore[attr-defined]
            entries = value.entries if isinstance(value, Array) else (value,)
            zeros += sum(entry == 0 for entry in entries)
            total += len(entries)
        zero_points += judge(item, _zeros(item)).points
        max_points += item.points
    shape = profile(template)
    regimes = _regimes(shape.regimes if shape else (), items)
    problems = []
    if len(answers) < reach and items:
        problems.append(f"its variants collapse: {len(answers)} distinct answer(s) in "
                        f"{len(items)} variants, where its ranges give "
                        f"{reach}{'+' if reach == ENOUGH_ANSWERS else ''}")
    problems.extend(_regime_problems(shape.regimes if shape else (), regimes, len(items)))
    return Coverage(template.id, variants, len(items), len(answers), reach,
                    zeros / total if total else 0.0, zero_points, max_points, regimes,
                    tuple(problems))


def _answer(item: Item) -> tuple[object, ...]:
    """The item's right answer as a hashable value."""
    return tuple((name, value.entries if isinstance(value, Array) else value)
                 for name, value in item.expected.items())  # type: ignore[attr-defined]


def _zeros(item: Item) -> dict[str, object]:
    """The answer 0 on every asked wire (an array of zeros for an array)."""
    return {name: value.map(lambda _: 0).nested() if isinstance(value, Array) else 0
            for name, value in item.expected.items()}  # type: ignore[attr-defined]


def _reach(template: GradientTemplate | MatrixTemplate, draws: int) -> int:
    """Distinct answers among plain (undiscriminated) draws, at most ENOUGH_ANSWERS."""
    seen: set[tuple[object, ...]] = set()
    for index in range(draws):
        try:
            seen.add(_answer(drawn(template, Stream("reach", template.id, index), 1)[0]))
        except GradientError:
            continue  # on a kink, or outside the domain
        if len(seen) == ENOUGH_ANSWERS:
            break
    return len(seen)


def _regimes(sides: tuple[Side, ...], items: list[Item]) -> tuple[RegimeCount, ...]:
    if not sides:
        return ()
    counts = Counter(item.point.regime for item in items)  # type: ignore[attr-defined]
    weight = sum(side.weight for side in sides) or 1
    return tuple(RegimeCount(side.label, counts[side.key], side.weight / weight,
                             side.weight > 0) for side in sides)


def _regime_problems(sides: tuple[Side, ...], regimes: tuple[RegimeCount, ...], drawn: int
                     ) -> list[str]:
    problems = []
    for side, count in zip(sides, regimes, strict=True):
        if not count.reached:
            what = ", ".join(f"{mistake} (wire {wire})" for wire, mistake in
                             sorted(side.blocking))
            verb = "give" if len(side.blocking) > 1 else "gives"
            why = (f"on every draw in it {what} {verb} the right answer" if what else
                   "no draw in it keeps the mistakes apart")
            problems.append(f"the regime '{side.label}' is never drawn: {why}; widen or "
                            "change the ranges")
        elif drawn and count.variants / drawn < min(LEAST_SHARE, count.expected * 3 / 4):
            problems.append(f"the regime '{side.label}' is drawn in only "
                            f"{count.variants / drawn:.0%} of {drawn} variants (about "
                            f"{count.expected:.0%} expected)")
    return problems
