"""The true/false kind: a statement about the rule, false ones tagged with their mistake."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quizgrad.bank.templates import TrueFalseTemplate
from quizgrad.grading.judge import Part, truefalse_part
from quizgrad.grading.response import read_boolean
from quizgrad.items.base import TrueFalseItem, truefalse_item
from quizgrad.kinds.base import Kind
from quizgrad.mistakes.catalog import BY_ID

if TYPE_CHECKING:
    from quizgrad.bank.arrays import Reader


class TrueFalseKind(Kind):
    """A statement judged true or false."""

    type = "truefalse"
    template = TrueFalseTemplate
    item = TrueFalseItem
    keys = frozenset({"answer", "mistake"})
    required = ("answer", "prompt")

    def read(self, reader: Reader, data: Any, tid: str, common: dict[str, Any]
             ) -> TrueFalseTemplate:
        """answer, mistake."""
        if "answer" not in data:
            raise reader.problem(data.line, "missing required key 'answer'", f"{tid}.answer")
        answer = reader.flag(data["answer"], data.line_of("answer"), f"{tid}.answer")
        mistake = reader.optional(data, "mistake", None, reader.mistake_id, f"{tid}.mistake")
        return TrueFalseTemplate(**common, answer=answer, mistake=mistake)

    def variant(self, template: TrueFalseTemplate, stream: Any) -> TrueFalseItem:
        """The only variant."""
        return truefalse_item(template)

    def label(self, item: TrueFalseItem, name: str | None) -> str:
        """'true or false'."""
        return "true or false"

    def unreadable(self, item: TrueFalseItem, raw: str, label: str) -> str | None:
        """true/false, yes/no, t/f."""
        reading = read_boolean(raw)
        return None if reading.ok else reading.message or "cannot read that"

    def parts(self, item: TrueFalseItem, answer: Any
              ) -> tuple[tuple[Part, ...], tuple[str, ...]]:
        """The one verdict on the statement."""
        return (truefalse_part(item, answer),), ()

    def right_answer(self, item: TrueFalseItem, part: Part) -> str:
        """Whether the statement holds."""
        return f"The statement is {part.expected}."

    def expected(self, item: TrueFalseItem) -> str:
        """'true' or 'false'."""
        return "true" if item.answer else "false"

    def to_json(self, item: TrueFalseItem, mistakes: bool) -> dict[str, Any]:
        """The truth and the mistake a wrong verdict reveals."""
        return {"answer": item.answer, "mistake": item.mistake}

    def from_json(self, data: dict[str, Any], common: dict[str, Any]) -> TrueFalseItem:
        """The truth and the mistake."""
        return TrueFalseItem(**common, answer=bool(data["answer"]), mistake=data.get("mistake"))

    def markdown(self, item: TrueFalseItem) -> list[str]:
        """A blank for true or false."""
        return ["- true / false"]

    def html(self, item: TrueFalseItem) -> str:
        """A blank for true or false."""
        return '<ul class="answers"><li>true / false: <span class="blank"></span></li></ul>'

    def questions(self, item: TrueFalseItem, name: str, category: str, prompt: str,
                  general: str) -> list[Any]:
        """One true/false question."""
        from quizgrad.formats.export import TrueFalse

        wrong = "Not so." + (f" You {BY_ID[item.mistake].description}." if item.mistake
                             else "")
        return [TrueFalse(name, category, prompt, item.points, general, item.answer,
                          "Right.", wrong)]

    def entry(self, item: TrueFalseItem) -> tuple[str, tuple[Any, ...]]:
        """true or false."""
        return "truth", ()
