"""Judging one answer to one item: a verdict per part, points, and the mistakes it reveals.

Verdicts: correct, wrong, invalid (could not be read: said where, never counted as wrong),
missing (no answer). A wrong numeric answer is compared with every prediction of the
misconception catalog on that item; the mistakes whose prediction matches within the
item's tolerance are named (those whose prediction equals the right answer never are).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import sympy as sp

from quizgrad.grading.response import (
    INVALID,
    MISSING,
    Reading,
    raw_text,
    read_boolean,
    read_choice,
    read_formula,
    read_number,
)
from quizgrad.grading.response_array import read_array, show_raw
from quizgrad.items.base import local_mistakes
from quizgrad.items.matrix import close, show
from quizgrad.math.equiv import equivalent
from quizgrad.math.expr import symbol, to_text
from quizgrad.math.numeric import NumericError, fmt, to_float
from quizgrad.registry import kind_of

if TYPE_CHECKING:
    from quizgrad.items.base import ChoiceItem, Item, LocalItem, TrueFalseItem, WireItem
    from quizgrad.items.circuit import CircuitItem
    from quizgrad.items.matrix import ArrayItem

CORRECT, WRONG = "correct", "wrong"
_WORST = {WRONG: 3, INVALID: 2, MISSING: 1, CORRECT: 0}


@dataclass(frozen=True)
class Part:
    """One judged part: a wire of a node item, or the whole answer of another item."""

    wire: str | None
    given: str
    expected: str
    verdict: str
    mistakes: tuple[str, ...] = ()
    message: str | None = None
    value: float | None = None
    asked: bool = True
    where: tuple[str, ...] = ()


# (item, asked name, wrong value) -> (the mistakes that predict it, where each is made)
Found = Callable[[Any, str, float], tuple[tuple[str, ...], tuple[str, ...]]]


@dataclass(frozen=True)
class Judgement:
    """The judgement of one item: overall verdict, points, parts, every mistake named."""

    item: str
    verdict: str
    points: float
    max_points: float
    parts: tuple[Part, ...]
    mistakes: tuple[str, ...]


def judge(item: Item, answer: Any) -> Judgement:
    """Judge ``answer`` (as found in an answer file or typed) against ``item``."""
    parts, extra = kind_of(item).parts(item, answer)
    scored = [p for p in parts if p.asked]
    correct = sum(p.verdict == CORRECT for p in scored)
    points = round(item.points * correct / max(1, len(scored)), 6)
    verdicts = {p.verdict for p in scored}
    if verdicts == {CORRECT}:
        verdict = CORRECT
    elif verdicts == {MISSING}:
        verdict = MISSING
    else:
        verdict = max((v for v in verdicts if v != CORRECT), key=_WORST.__getitem__)
    named = list(dict.fromkeys(m for p in parts for m in p.mistakes))
    named.extend(m for m in extra if m not in named)
    return Judgement(item.id, verdict, points, item.points, tuple(parts), tuple(named))


def wire_parts(item: WireItem | CircuitItem, answer: Any, found: Found
               ) -> tuple[tuple[Part, ...], tuple[str, ...]]:
    """A part per asked wire of a node or value of a circuit; 'same-gradient' when it fits.

    ``found`` gives the mistakes that predict a wrong value, and where they are made.
    """
    raws: dict[str, Any]
    parts: list[Part] = []
    if isinstance(answer, dict):
        raws = {w: answer.get(w) for w in item.ask}
        for key in answer:
            if key not in item.ask:
                parts.append(Part(str(key), raw_text(answer[key]), "", INVALID, message=(
                    f"no wire '{key}' is asked here (the wires are {', '.join(item.ask)})"),
                    asked=False))
    elif len(item.ask) == 1:
        raws = {item.ask[0]: answer}
    elif answer is None or (isinstance(answer, str) and not answer.strip()):
        raws = dict.fromkeys(item.ask)
    else:
        message = "give one value per wire, e.g. {" + ", ".join(f"{w}: ..." for w in item.ask) + "}"
        return tuple(Part(w, raw_text(answer), fmt(item.expected[w]), INVALID, message=message)
                     for w in item.ask), ()
    judged = [_wire_part(item, w, raws[w], found) for w in item.ask]
    extra: tuple[str, ...] = ()
    if _same_gradient(item, judged):
        extra = ("same-gradient",)
        judged = [replace(p, mistakes=(*p.mistakes, "same-gradient"),
                          where=(*p.where, "") if p.where else ()) if p.verdict == WRONG
                  else p for p in judged]
    return (*judged, *parts), extra


def array_parts(item: ArrayItem, answer: Any) -> tuple[Part, ...]:
    """A part per asked input of an array item (its gradient, in its shape)."""
    if isinstance(answer, dict):
        extra = [Part(str(key), raw_text(value), "", INVALID, asked=False, message=(
            f"no input '{key}' is asked here (the inputs are {', '.join(item.ask)})"))
            for key, value in answer.items() if key not in item.ask]
        return (*(_matrix_part(item, n, answer.get(n)) for n in item.ask), *extra)
    if len(item.ask) == 1:
        return (_matrix_part(item, item.ask[0], answer),)
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        return tuple(_matrix_part(item, n, None) for n in item.ask)
    message = "give one array per input, e.g. {" + ", ".join(f"{n}: [[...]]"
                                                             for n in item.ask) + "}"
    return tuple(Part(n, show_raw(answer), show(item.expected[n]), INVALID, message=message)
                 for n in item.ask)


def _matrix_part(item: ArrayItem, name: str, raw: Any) -> Part:
    expected = item.expected[name]
    shown = show(expected)
    reading = read_array(raw)
    if not reading.ok:
        return Part(name, reading.raw, shown, reading.status, message=reading.message)
    given = reading.value
    if given.shape == expected.shape and close(given.entries, expected.entries,  # type: ignore[union-attr]
                                               item.tolerance):
        return Part(name, reading.raw, shown, CORRECT)
    found = item.diagnosis(name, given)  # type: ignore[arg-type]
    if given.shape != expected.shape and not found:  # type: ignore[union-attr]
        return Part(name, reading.raw, shown, INVALID,
                    message=item.shape_message(name, given))  # type: ignore[arg-type]
    first: dict[str, str] = {}  # each mistake once, at the first place that predicts it
    for mistake, where in found:
        first.setdefault(mistake, where)
    places = tuple(first.values())
    return Part(name, reading.raw, shown, WRONG, tuple(first),
                where=places if any(places) else ())


def _wire_part(item: WireItem | CircuitItem, wire: str, raw: Any, found: Found) -> Part:
    expected = item.expected[wire]
    reading = read_number(raw)
    shown = fmt(expected)
    if not reading.ok:
        return Part(wire, reading.raw, shown, reading.status, message=reading.message)
    value = _float(reading)
    if value is None:
        return Part(wire, reading.raw, shown, INVALID, message="the number is too large")
    if item.tolerance.accepts(value, float(expected)):
        return Part(wire, reading.raw, shown, CORRECT, value=value)
    mistakes, where = found(item, wire, value)
    return Part(wire, reading.raw, shown, WRONG, mistakes, value=value, where=where)


def _same_gradient(item: WireItem | CircuitItem, parts: list[Part]) -> bool:
    if len(parts) < 2 or any(p.value is None for p in parts):
        return False
    values = [p.value for p in parts]
    first = values[0]
    if not all(item.tolerance.accepts(v, first) for v in values):  # type: ignore[arg-type]
        return False
    expected = [float(item.expected[w]) for w in item.ask]
    return not all(item.tolerance.accepts(e, expected[0]) for e in expected)


def _float(reading: Reading) -> float | None:
    try:
        return to_float(reading.value)  # type: ignore[arg-type]
    except NumericError:
        return None


def local_part(item: LocalItem, answer: Any) -> Part:
    """The formula of a local-gradient item, judged by equivalence."""
    expected = to_text(item.expected)
    reading = read_formula(answer, item.names)
    if not reading.ok:
        return Part(None, reading.raw, expected, reading.status, message=reading.message)
    value = reading.value.xreplace(_let(item))  # type: ignore[union-attr]
    if equivalent(value, item.expected, item.node.inputs):
        return Part(None, reading.raw, expected, CORRECT)
    found = tuple(dict.fromkeys(m for m, formula in _local_predictions(item)
                                if equivalent(value, formula, item.node.inputs)))
    return Part(None, reading.raw, expected, WRONG, found)


@functools.lru_cache(maxsize=1024)
def _local_predictions(item: LocalItem) -> tuple[tuple[str, sp.Expr], ...]:
    return local_mistakes(item)


def _let(item: LocalItem) -> dict[sp.Symbol, sp.Expr]:
    return {symbol(name): value for name, value in item.let}


def choice_part(item: ChoiceItem, answer: Any) -> Part:
    """The choice made, with the mistake its choice is tagged with."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    correct = item.correct
    expected = f"{letters[correct]}) {item.choices[correct].text}"
    reading, index = read_choice(answer, [c.text for c in item.choices])
    if index is None:
        return Part(None, reading.raw, expected, reading.status, message=reading.message)
    if index == correct:
        return Part(None, reading.raw, expected, CORRECT)
    tag = item.choices[index].mistake
    return Part(None, reading.raw, expected, WRONG, (tag,) if tag else ())


def truefalse_part(item: TrueFalseItem, answer: Any) -> Part:
    """The verdict on a statement, with the mistake a wrong one reveals."""
    expected = "true" if item.answer else "false"
    reading = read_boolean(answer)
    if not reading.ok:
        return Part(None, reading.raw, expected, reading.status, message=reading.message)
    if bool(reading.value) == item.answer:
        return Part(None, reading.raw, expected, CORRECT)
    return Part(None, reading.raw, expected, WRONG, (item.mistake,) if item.mistake else ())
