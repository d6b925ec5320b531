"""The interactive quiz: items asked one by one, judged at once, explained, practised.

The session owns no terminal: reading a line and showing things go through a
:class:`QuizIO` the caller provides (the CLI's draws with rich; tests script one). Answers
go through the same judge as ``grade``, so a saved session grades to the verdicts it showed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from quizgrad.bank.load import Template
from quizgrad.errors import GradientError
from quizgrad.grading.feedback import item_feedback
from quizgrad.grading.judge import CORRECT, Judgement, judge
from quizgrad.items.base import Item
from quizgrad.math.rng import Stream
from quizgrad.registry import draw, kind_of

NOT_REACHED = "not reached"  # the verdict of an item the session ended before
QUIT = ("quit", "exit", "q", ":q")
SKIP = ("skip", "s", "pass")
HINT = ("hint", "h", "?")
HELP = ("help",)


class QuizIO(Protocol):
    """What a session needs from its surroundings."""

    def read(self, prompt: str) -> str | None:
        """One line typed by the student, or None at the end of input (Ctrl-D)."""

    def item(self, number: int, total: int, item: Item) -> None:
        """Show an item: its prompt and, for a node, the circuit."""

    def note(self, text: str, kind: str = "info") -> None:
        """Show a line: kind is info, hint, invalid or help."""

    def verdict(self, item: Item, judgement: Judgement, lines: list[str]) -> None:
        """Show the verdict, its explanation, and the solved circuit."""

    def summary(self, rows: list[Row], points: float, max_points: float) -> None:
        """Show the closing table and the score."""


@dataclass(frozen=True)
class Row:
    """One line of the closing table."""

    number: int
    title: str
    given: str
    expected: str
    verdict: str
    mistakes: tuple[str, ...]
    points: float
    max_points: float
    attempt: int = 0


@dataclass
class Session:
    """A quiz over ``items``; ``templates`` (aligned with items) enable practice redraws."""

    items: list[Item]
    io: QuizIO
    templates: Sequence[Template | None] = ()
    practice: bool = False
    seed: str = "practice"
    answers: dict[str, Any] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    stopped: bool = False

    def run(self) -> list[Row]:
        """Ask every item (and, in practice mode, redraws of the missed ones); the rows.

        The score counts first attempts; practice rounds are for mastery. Items the session
        ended before (quit, end of input, Ctrl-C) are rows too, "not reached", 0 points.
        """
        queue = list(enumerate(self.items))
        templates = list(self.templates) or [None] * len(self.items)
        attempt = 0
        try:
            while queue and not self.stopped:
                missed = []
                for position, (index, item) in enumerate(queue, start=1):
                    judgement = self.ask(position, len(queue), item, attempt)
                    if judgement is None:
                        break
                    if judgement.verdict != CORRECT:
                        missed.append(index)
                if not self.practice or self.stopped:
                    break
                attempt += 1
                queue = [(i, self.redraw(templates[i], self.items[i], attempt)) for i in missed]
                if queue:
                    self.io.note(f"Practice round {attempt}: {len(queue)} item(s) come back "
                                 "with new numbers.")
                else:
                    self.io.note("Every item mastered.")
        except KeyboardInterrupt:
            self.stopped = True
            self.io.note("Interrupted.")
        reached = sum(r.attempt == 0 for r in self.rows)  # the first round asks in order
        for item in self.items[reached:]:
            self.rows.append(Row(len(self.rows) + 1, item.title, "", "", NOT_REACHED, (), 0.0,
                                 item.points))
        points = sum(r.points for r in self.rows if r.attempt == 0)
        total = sum(item.points for item in self.items)
        self.io.summary(self.rows, points, total)
        return self.rows

    def redraw(self, template: Template | None, item: Item, round_: int) -> Item:
        """A new variant of a missed item (the same item when it cannot vary)."""
        if template is None:
            return item
        try:
            return draw(template, Stream(self.seed, template.id, "practice", round_))
        except GradientError:
            return item

    def ask(self, number: int, total: int, item: Item, attempt: int = 0) -> Judgement | None:
        """Ask one item; None when the student quits or input ends."""
        self.io.item(number, total, item)
        answer: Any
        kind = kind_of(item)
        if kind.asked(item):
            answer = {}
            for wire in kind.asked(item):
                raw = self.line(item, kind.label(item, wire))
                if raw is None:
                    return None
                if raw is SKIPPED:
                    answer = {}
                    break
                answer[wire] = raw
        else:
            raw = self.line(item, kind.label(item, None))
            if raw is None:
                return None
            answer = None if raw is SKIPPED else raw
        judgement = judge(item, answer)
        self.answers[item.id] = answer
        self.io.verdict(item, judgement, item_feedback(item, judgement))
        self.rows.append(Row(len(self.rows) + 1, item.title, _shown(answer),
                             _expected(judgement), judgement.verdict, judgement.mistakes,
                             judgement.points, judgement.max_points, attempt))
        return judgement

    def line(self, item: Item, label: str) -> Any:
        """One readable answer: commands handled, unreadable input explained and re-asked."""
        while True:
            raw = self.io.read(f"{label}> ")
            if raw is None:
                self.stopped = True
                return None
            command = raw.strip().lower()
            if command in QUIT:
                self.stopped = True
                return None
            if command in SKIP:
                return SKIPPED
            if command in HINT:
                self.io.note(hint(item), "hint")
                continue
            if command in HELP:
                self.io.note("Type your answer, or: hint, skip, quit.", "help")
                continue
            problem = unreadable(item, raw, label)
            if problem:
                first, _, caret = problem.partition("\n")
                indented = "".join(f"\n    {line}" for line in caret.splitlines())
                self.io.note(f"{first}; try again (this does not count).{indented}", "invalid")
                continue
            return raw


SKIPPED = object()


def unreadable(item: Item, raw: str, label: str = "") -> str | None:
    """Why ``raw`` cannot be read as an answer to ``item`` (None when it can, or is empty)."""
    if not raw.strip():
        return "Type an answer (or skip)"
    return kind_of(item).unreadable(item, raw, label)


def hint(item: Item) -> str:
    """A hint that points the way without giving the number away."""
    return kind_of(item).hint(item)


def _shown(answer: Any) -> str:
    if answer is None:
        return "(skipped)"
    if isinstance(answer, dict):
        return ", ".join(f"{w}: {v}" for w, v in answer.items()) or "(skipped)"
    return str(answer)


def _expected(judgement: Judgement) -> str:
    parts = [p for p in judgement.parts if p.asked]
    if len(parts) > 1:
        return ", ".join(f"{p.wire}: {p.expected}" for p in parts)
    return parts[0].expected if parts else ""


def quiz_items(templates: Sequence[Template], seed: str) -> list[Item]:
    """One variant of each template, drawn from ``seed``."""
    return [draw(template, Stream(seed, template.id, "quiz")) for template in templates]


def default_templates(templates: Sequence[Template], count: int, seed: str,
                      kinds: tuple[str, ...] = ("wire",)) -> list[Template]:
    """The seed page's questions first, then ``count`` randomized items of ``kinds`` by seed.

    The default quiz draws single nodes; a quiz on named banks draws circuits and matrix
    nodes too.
    """
    seed_page = [t for t in templates if t.bank == "seed"]
    others = [t for t in templates if t.bank != "seed" and t.type in kinds and t.randomized]
    chosen = Stream(seed, "choose").shuffled(others)[:count]
    return seed_page + sorted(chosen, key=others.index)
