"""The choice kind: one right choice among several, each wrong one tagged with its mistake."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quizgrad.bank.load import FieldError
from quizgrad.bank.templates import Choice, ChoiceTemplate
from quizgrad.grading.judge import WRONG, Part, choice_part
from quizgrad.grading.response import read_choice
from quizgrad.items.base import LETTERS, ChoiceItem, choice_item
from quizgrad.kinds.base import Figure, Kind
from quizgrad.mistakes.catalog import BY_ID

if TYPE_CHECKING:
    from quizgrad.bank.arrays import Reader


class ChoiceKind(Kind):
    """Multiple choice (shuffled per variant when the template says so)."""

    type = "choice"
    template = ChoiceTemplate
    item = ChoiceItem
    keys = frozenset({"choices", "shuffle"})
    required = ("choices", "prompt")

    def read(self, reader: Reader, data: Any, tid: str, common: dict[str, Any]) -> ChoiceTemplate:
        """choices (text, correct, mistake, feedback), shuffle."""
        field = f"{tid}.choices"
        raw = data.get("choices")
        if not isinstance(raw, list) or len(raw) < 2:
            raise reader.problem(data.line_of("choices"),
                                 "needs a list of at least two choices", field)
        if len(raw) > 26:
            raise reader.problem(data.line_of("choices"), "at most 26 choices", field)
        choices = []
        for index, entry in enumerate(raw):
            where = f"{field}[{index}]"
            try:
                if isinstance(entry, (str, int, float)) and not isinstance(entry, bool):
                    entry = {"text": entry}
                fields = reader.mapping(entry, raw.line_of(index), where,
                                        {"text", "correct", "mistake", "feedback"})
                text = reader.text(fields.get("text"), fields.line_of("text"), f"{where}.text")
                correct = reader.optional(fields, "correct", False, reader.flag,
                                          f"{where}.correct")
                mistake = reader.optional(fields, "mistake", None, reader.mistake_id,
                                          f"{where}.mistake")
                if correct and mistake:
                    reader.problem(fields.line_of("mistake"), "a correct choice has no mistake",
                                   where)
                feedback = reader.optional(fields, "feedback", None, reader.text,
                                           f"{where}.feedback")
                choices.append(Choice(text, correct, mistake, feedback))
            except FieldError:
                continue
        if sum(c.correct for c in choices) != 1 and len(choices) == len(raw):
            reader.problem(data.line_of("choices"), "exactly one choice must be correct: true",
                           field)
        if len({c.text for c in choices}) != len(choices):
            reader.problem(data.line_of("choices"), "two choices have the same text", field)
        shuffle = reader.optional(data, "shuffle", False, reader.flag, f"{tid}.shuffle")
        return ChoiceTemplate(**common, choices=tuple(choices), shuffle=shuffle)

    def variant(self, template: ChoiceTemplate, stream: Any) -> ChoiceItem:
        """The choices, shuffled by the variant's stream if asked."""
        return choice_item(template, stream)

    def label(self, item: ChoiceItem, name: str | None) -> str:
        """'choice (a-d)'."""
        return f"choice ({LETTERS[0]}-{LETTERS[len(item.choices) - 1]})"

    def unreadable(self, item: ChoiceItem, raw: str, label: str) -> str | None:
        """A letter or a choice's text."""
        reading = read_choice(raw, [c.text for c in item.choices])[0]
        return None if reading.ok else reading.message or "cannot read that"

    def parts(self, item: ChoiceItem, answer: Any) -> tuple[tuple[Part, ...], tuple[str, ...]]:
        """The one choice."""
        return (choice_part(item, answer),), ()

    def right_answer(self, item: ChoiceItem, part: Part) -> str:
        """The right choice."""
        return f"The answer is {part.expected}."

    def expected(self, item: ChoiceItem) -> str:
        """'(b) text'."""
        return f"({LETTERS[item.correct]}) {item.choices[item.correct].text}"

    def feedback(self, item: ChoiceItem, judgement: Any, lines: list[str]) -> list[str]:
        """The chosen choice's own feedback (or its mistake), then the answer."""
        from quizgrad.grading.feedback import part_feedback

        part = judgement.parts[0]
        if part.verdict != WRONG:
            return [part_feedback(item, part)]
        chosen = next((i for i, c in enumerate(item.choices)
                       if part.given.strip().lower() in (LETTERS[i], c.text.lower())
                       or part.given.strip().lower().rstrip(").") == LETTERS[i]), None)
        text = f"You chose {part.given.strip()}, which is wrong."
        if chosen is not None:
            choice = item.choices[chosen]
            if choice.feedback:
                text += f" {choice.feedback}"
            elif choice.mistake:
                text += f" You {BY_ID[choice.mistake].description}."
        return [f"{text} The answer is {part.expected}."]

    def to_json(self, item: ChoiceItem, mistakes: bool) -> dict[str, Any]:
        """The choices in their order, and the right letter."""
        return {"choices": [{"letter": LETTERS[i], "text": c.text, "correct": c.correct,
                             "mistake": c.mistake, "feedback": c.feedback}
                            for i, c in enumerate(item.choices)],
                "answer": LETTERS[item.correct]}

    def from_json(self, data: dict[str, Any], common: dict[str, Any]) -> ChoiceItem:
        """The choices in the stored order."""
        from quizgrad.bank.templates import Choice

        choices = tuple(Choice(c["text"], bool(c["correct"]), c.get("mistake"), c.get("feedback"))
                        for c in data["choices"])
        return ChoiceItem(**common, choices=choices)

    def markdown(self, item: ChoiceItem) -> list[str]:
        """The choices, lettered."""
        return [f"- ({LETTERS[i]}) {c.text}" for i, c in enumerate(item.choices)]

    def html(self, item: ChoiceItem) -> str:
        """The choices as an ordered list."""
        from quizgrad.formats.sheets import escape

        rows = "".join(f"<li>{escape(c.text)}</li>" for c in item.choices)
        return f'<ol class="choices">{rows}</ol>'

    def figure(self, item: ChoiceItem, reveal: bool) -> Figure:
        """The choices, lettered (not again with the verdict)."""
        if reveal:
            return Figure()
        return Figure(choices=tuple(f"  ({LETTERS[i]}) {c.text}"
                                    for i, c in enumerate(item.choices)))

    def questions(self, item: ChoiceItem, name: str, category: str, prompt: str, general: str
                  ) -> list[Any]:
        """One multiple-choice question."""
        from quizgrad.formats.export import MultipleChoice, choice_feedback

        choices = tuple((c.text, c.correct, choice_feedback(c.correct, c.feedback, c.mistake))
                        for c in item.choices)
        return [MultipleChoice(name, category, prompt, item.points, general, choices, False)]

    def entry(self, item: ChoiceItem) -> tuple[str, tuple[Any, ...]]:
        """A letter."""
        return "choice", (len(item.choices),)
