"""The interactive quiz: items asked one by one, judged at once, explained, practised.

The session owns no terminal: reading a line and showing things go through a
:class:`QuizIO` the caller provides (the CLI's draws with rich; tests script one). Answers
go through the same judge as ``grade``, so a saved session grades to the verdicts it showed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .bank import Template
from .circuit_items import CircuitItem
from .errors import GradientError
from .feedback import item_feedback
from .items import LETTERS, ChoiceItem, Item, LocalItem, TrueFalseItem, WireItem
from .judge import CORRECT, Judgement, judge
from .kinds import draw
from .matrix_items import ArrayItem
from .response import read_boolean, read_choice, read_formula, read_number
from .response_array import read_array
from .rng import Stream

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
        if isinstance(item, (WireItem, CircuitItem, ArrayItem)) and len(item.ask) > 1:
            answer = {}
            for wire in item.ask:
                raw = self.line(item, _wire_label(item, wire))
                if raw is None:
                    return None
                if raw is SKIPPED:
                    answer = {}
                    break
                answer[wire] = raw
        else:
            label = (_wire_label(item, item.ask[0])
                     if isinstance(item, (WireItem, CircuitItem, ArrayItem)) else _label(item))
            raw = self.line(item, label)
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


def _wire_label(item: Item, name: str) -> str:
    if isinstance(item, ArrayItem):
        return f"gradient of {name} ({'×'.join(map(str, item.shape(name))) or 'number'})"
    return f"wire {name}"


def _label(item: Item) -> str:
    if isinstance(item, LocalItem):
        return f"df/d{item.wrt}"
    if isinstance(item, ChoiceItem):
        return f"choice ({LETTERS[0]}-{LETTERS[len(item.choices) - 1]})"
    return "true or false"


def unreadable(item: Item, raw: str, label: str = "") -> str | None:
    """Why ``raw`` cannot be read as an answer to ``item`` (None when it can, or is empty)."""
    if not raw.strip():
        return "Type an answer (or skip)"
    if isinstance(item, ArrayItem):
        reading = read_array(raw)
        name = next((n for n in item.ask if label.startswith(f"gradient of {n} ")), None)
        if reading.ok and name is not None:
            given = reading.value
            if given.shape != item.shape(name) and not item.matching(name, given):  # type: ignore[union-attr]
                return item.shape_message(name, given)  # type: ignore[arg-type]
    elif isinstance(item, (WireItem, CircuitItem)):
        reading = read_number(raw)
    elif isinstance(item, LocalItem):
        reading = read_formula(raw, item.names)
    elif isinstance(item, ChoiceItem):
        reading = read_choice(raw, [c.text for c in item.choices])[0]
    elif isinstance(item, TrueFalseItem):
        reading = read_boolean(raw)
    else:  # pragma: no cover - every item type is handled above
        return None
    if reading.ok:
        return None
    return reading.message or "cannot read that"


def hint(item: Item) -> str:
    """A hint that points the way without giving the number away."""
    if isinstance(item, WireItem):
        parts = [f"df/d{w} = {item.plan.local_text[w]}" for w in item.ask]
        return (f"The local gradient: {'; '.join(parts)}. Evaluate it at the stored inputs and "
                f"multiply by the upstream gradient {_number(item.upstream)}.")
    if isinstance(item, ArrayItem):
        return item.hint()
    if isinstance(item, CircuitItem):
        return ("Go backwards node by node: each node multiplies the gradient it receives by its "
                "local gradients, and a value that feeds several nodes adds up what they send.")
    if isinstance(item, LocalItem):
        names = ", ".join(name for name, _ in item.let)
        extra = f" You may write {names}." if names else ""
        return f"Differentiate f = {item.node.text} with respect to {item.wrt}.{extra}"
    return ("A node sends back, on each input wire, the upstream gradient times that wire's "
            "own local gradient, evaluated at the stored inputs.")


def _number(value: object) -> str:
    from .numeric import fmt

    return fmt(value)  # type: ignore[arg-type]


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
