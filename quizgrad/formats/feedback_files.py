"""feedback/<student>.md: one student's answers, verdicts, named mistakes, worked solutions.

Worded like the terminal quiz (see :mod:`quizgrad.grading.feedback`).
"""

from __future__ import annotations

from quizgrad.formats.keyfile import KeyVariant
from quizgrad.grading.feedback import item_feedback, solution
from quizgrad.grading.grade import GRADED, StudentResult
from quizgrad.grading.judge import CORRECT
from quizgrad.items.base import Item
from quizgrad.math.numeric import fmt
from quizgrad.registry import kind_of

MARK = {"correct": "correct", "wrong": "wrong", "invalid": "could not be read",
        "missing": "no answer"}


def _answer(item: Item, result_parts: list[tuple[str | None, str]]) -> str:
    if kind_of(item).asked(item):
        return ", ".join(f"{wire}: {given or '—'}" for wire, given in result_parts if wire)
    return (result_parts[0][1] if result_parts else "") or "—"


def feedback_markdown(variant: KeyVariant, result: StudentResult) -> str:
    """The feedback file of one graded student."""
    lines = [f"# Feedback for {result.student}", "",
             f"Variant {result.variant} · **{fmt(result.points)} of {fmt(result.max_points)} "
             f"points** ({fmt(result.percent)}%)", ""]
    if result.status != GRADED:
        lines += [f"Not graded: {result.error or 'no submission'}.", ""]
    for number, (item, judgement) in enumerate(zip(variant.items, result.items, strict=False),
                                                 start=1):
        lines += [f"## {number}. {item.title} — {MARK.get(judgement.verdict, judgement.verdict)} "
                  f"({fmt(judgement.points)}/{fmt(judgement.max_points)})", "", item.prompt, "",
                  f"Your answer: {_answer(item, [(p.wire, p.given) for p in judgement.parts])}",
                  ""]
        if judgement.verdict == CORRECT:
            lines.append("Right.")
        else:
            lines += [f"- {line}" for line in item_feedback(item, judgement)]
            lines += ["", "Worked solution:", ""] + [f"- {line}" for line in solution(item)]
        lines.append("")
    if result.warnings:
        lines += ["## Notes", ""] + [f"- {warning}" for warning in result.warnings] + [""]
    return "\n".join(lines).rstrip() + "\n"
