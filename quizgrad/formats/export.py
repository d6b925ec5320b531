"""Questions for learning management systems: variants of a bank as LMS-neutral questions.

Each variant of each template becomes questions that an LMS can mark on its own and that
give quizgrad's diagnosis as feedback: a numeric value (a wire, a circuit value) is a
numerical question whose right answer carries the item's tolerance and whose every
predicted mistake value is a further 0% answer with that mistake's feedback; a matrix
becomes a grid of numeric blanks; choices and true/false keep their per-answer feedback.
Formula (local-gradient) items are left out: an LMS's own question types cannot check a
formula. The writers in :mod:`quizgrad.formats` turn these into Moodle XML, GIFT and QTI.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from quizgrad.bank.templates import Template
from quizgrad.grading.feedback import part_feedback, solution
from quizgrad.grading.judge import WRONG, Part
from quizgrad.items.generate import anonymous, draw_one
from quizgrad.math.matrix import describe
from quizgrad.math.numeric import fmt
from quizgrad.mistakes.catalog import BY_ID
from quizgrad.registry import kind_of

if TYPE_CHECKING:
    from quizgrad.items.base import Item, WireItem
    from quizgrad.items.circuit import CircuitItem
    from quizgrad.items.matrix import ArrayItem
    from quizgrad.kinds.node import WiresKind


@dataclass(frozen=True)
class Answer:
    """One numeric answer: value, absolute tolerance, Moodle fraction (percent), feedback."""

    value: float
    tolerance: float
    fraction: float
    feedback: str


@dataclass(frozen=True)
class Question:
    """What every exported question has (texts are HTML)."""

    name: str
    category: str  # bank/template
    text: str
    points: float
    general: str  # the worked solution


@dataclass(frozen=True)
class Numerical(Question):
    """A number with a tolerance; mistakes as further answers worth 0%."""

    answers: tuple[Answer, ...]
    other: str  # feedback for any other number


@dataclass(frozen=True)
class Grid(Question):
    """A matrix to fill in, one numeric blank per entry (``text`` has the prompt only)."""

    label: str
    cells: tuple[tuple[tuple[Answer, ...], ...], ...]  # rows of blanks
    mistakes: tuple[tuple[str, tuple[Answer, ...]], ...] = ()  # feedback, every entry


@dataclass(frozen=True)
class MultipleChoice(Question):
    """One right choice; each choice has its own feedback."""

    choices: tuple[tuple[str, bool, str], ...]  # (text, correct, feedback)
    shuffle: bool


@dataclass(frozen=True)
class TrueFalse(Question):
    """A statement, its truth, and feedback for each answer."""

    answer: bool
    right: str
    wrong: str


@dataclass(frozen=True)
class Export:
    """The questions, the templates left out (and why), and the settings used."""

    questions: tuple[Question, ...]
    skipped: tuple[tuple[str, str], ...]
    seed: str
    variants: int


SKIP_LOCAL = "a formula answer: an LMS's own question types cannot check it"


def export_questions(templates: Sequence[Template], seed: str, variants: int) -> Export:
    """Every template's first ``variants`` variants (the same as ``generate --count``)."""
    questions: list[Question] = []
    skipped: dict[str, str] = {}
    specs = anonymous(variants)
    for template in templates:
        if not kind_of(template).exported:
            skipped[template.id] = SKIP_LOCAL
            continue
        for spec in specs:
            item = draw_one(template, seed, spec.id)
            questions.extend(_questions(item, f"{template.bank}/{template.id}", spec.id))
    return Export(tuple(questions), tuple(skipped.items()), seed, variants)


def _questions(item: Item, category: str, variant: str) -> list[Question]:
    name = f"{item.id} {variant}"
    general = "".join(f"<p>{html.escape(line)}</p>" for line in solution(item))
    if item.explanation:
        general += f"<p>{html.escape(item.explanation)}</p>"
    prompt = f"<p>{html.escape(item.prompt)}</p>"
    return kind_of(item).questions(item, name, category, prompt, general)


def numerical(kind: WiresKind, item: WireItem | CircuitItem, name: str, category: str,
              prompt: str, general: str) -> list[Question]:
    """A numerical question per asked wire or value, each mistake's value with its feedback."""
    many = len(item.ask) > 1
    return [Numerical(f"{name} ({kind.what} {w})" if many else name, category,
                      prompt + (f"<p>Give the gradient on {kind.what} {html.escape(w)}."
                                "</p>" if many else ""),
                      item.points / len(item.ask), general, _numeric_answers(kind, item, w),
                      _other(item, w)) for w in item.ask]


def _width(item: Item, value: float) -> float:
    return item.tolerance.width(value)


def _numeric_answers(kind: WiresKind, item: WireItem | CircuitItem, wire: str
                     ) -> tuple[Answer, ...]:
    expected = float(item.expected[wire])
    answers = [Answer(expected, _width(item, expected), 100.0,
                      f"Right: {fmt(item.expected[wire])}.")]
    for value in item.mistake_values(wire).values():
        if any(item.tolerance.accepts(value, a.value) for a in answers):
            continue  # one answer per distinct value; its feedback names every mistake
        answers.append(Answer(value, _width(item, value), 0.0,
                              html.escape(part_feedback(item, _part(kind, item, wire, value)))))
    return tuple(answers)


def _part(kind: WiresKind, item: WireItem | CircuitItem, wire: str, value: float) -> Part:
    """The judgement a student sending ``value`` would get (its mistakes and where)."""
    mistakes, where = kind.found(item, wire, value)
    return Part(wire, fmt(value), fmt(item.expected[wire]), WRONG, mistakes, value=value,
                where=where)


def _other(item: WireItem | CircuitItem, wire: str) -> str:
    """The feedback for a number no mistake explains: the worked answer."""
    worked = kind_of(item).right_answer(item, Part(wire, "", "", WRONG))
    return html.escape(f"Not right. {worked}")


def grid(item: ArrayItem, name: str, title: str, category: str, prompt: str,
          general: str) -> Grid:
    """The gradient of input ``name`` as a grid question called ``title``."""
    right = item.expected[name]
    shape = right.shape
    mistakes = [(m, a) for m, a in item.mistake_values(name).items() if a.shape == shape]
    rows = []
    width = shape[-1] if shape else 1
    for r, row in enumerate(right.rows()):
        cells = []
        for c, value in enumerate(row):
            flat = r * width + c
            answers = [Answer(float(value), _width(item, float(value)), 100.0, "Right.")]
            for mistake, array in mistakes:
                guess = float(array.entries[flat])
                if item.tolerance.accepts(guess, float(value)) or any(
                        item.tolerance.accepts(guess, a.value) for a in answers):
                    continue
                answers.append(Answer(guess, _width(item, guess), 0.0, html.escape(
                    f"This entry is what you get if you {_described(mistake)}.")))
            cells.append(tuple(answers))
        rows.append(tuple(cells))
    whole = tuple((html.escape(f"You {_described(m)}."),
                   tuple(Answer(float(v), _width(item, float(v)), 0.0, "") for v in a.entries))
                  for m, a in mistakes)
    return Grid(title, category, prompt + f"<p>The gradient of {html.escape(name)} is "
                f"{describe(shape)}: give each entry.</p>", item.points / len(item.ask),
                general, name, tuple(rows), whole)


def _described(label: str) -> str:
    """A mistake's description; for 'mistake@where' (a network's), where it was made too."""
    mistake, _, where = label.partition("@")
    return BY_ID[mistake].description + (f" (at {where})" if where else "")


def choice_feedback(correct: bool, feedback: str | None, mistake: str | None) -> str:
    """The feedback on picking one choice (escaped for the LMS)."""
    if correct:
        return html.escape(feedback or "Right.")
    text = feedback or (f"You {BY_ID[mistake].description}." if mistake else "Not this one.")
    return html.escape(text)

