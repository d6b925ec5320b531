"""GIFT: the same questions as the Moodle XML export, as text Moodle's GIFT importer reads.

Written the way Moodle's own GIFT writer does (question/format/gift/format.php): a
``$CATEGORY:`` line per template, ``::name::[html]text{...}``, numerical answers as
``=%100%value:tolerance#feedback`` with the mistakes as ``=%0%`` answers and ``~#`` for any
other number, reserved characters escaped. GIFT has no embedded-answer type, so matrix
(grid) questions are left out; the summary says so.
"""

from __future__ import annotations

from ..export import Export, Grid, MultipleChoice, Numerical, Question, TrueFalse
from .moodle import fraction, number

_RESERVED = [("\\", "\\\\"), ("#", "\\#"), ("=", "\\="), ("~", "\\~"), ("{", "\\{"),
             ("}", "\\}"), (":", "\\:"), ("\n", "\\n"), ("\r", "")]


def gift_escape(text: str) -> str:
    """Escape GIFT's reserved characters (Moodle's repchar)."""
    for char, escaped in _RESERVED:
        text = text.replace(char, escaped)
    return text


def _line(text: str) -> str:
    """Text kept on one line (a comment or a category cannot be broken out of)."""
    return " ".join(text.split())


def gift(export: Export) -> tuple[str, int]:
    """The export as GIFT text, and how many grid questions it had to leave out."""
    out = [f"// quizgrad export: seed {_line(export.seed)}, {export.variants} variant(s) per "
           "template", ""]
    category, left_out = None, 0
    for question in export.questions:
        if isinstance(question, Grid):
            left_out += 1
            continue
        if question.category != category:
            category = question.category
            out += [f"$CATEGORY: $course$/quizgrad/{_line(category)}", ""]
        out += [_question(question), ""]
    return "\n".join(out), left_out


def _head(question: Question) -> str:
    return f"::{gift_escape(question.name)}::[html]{gift_escape(question.text)}"


def _general(question: Question) -> str:
    return f"\t####{gift_escape(question.general)}\n" if question.general else ""


def _question(question: Question) -> str:
    if isinstance(question, Numerical):
        lines = [_head(question) + "{#"]
        for answer in question.answers:
            lines.append(f"\t=%{fraction(answer.fraction)}%{number(answer.value)}:"
                         f"{number(answer.tolerance)}#{gift_escape(answer.feedback)}")
        lines.append(f"\t~#{gift_escape(question.other)}")
        return "\n".join(lines) + "\n" + _general(question) + "}"
    if isinstance(question, MultipleChoice):
        lines = [_head(question) + "{"]
        for text, correct, feedback in question.choices:
            lines.append(f"\t{'=' if correct else '~'}{gift_escape(text)}"
                         f"#{gift_escape(feedback)}")
        return "\n".join(lines) + "\n" + _general(question) + "}"
    if isinstance(question, TrueFalse):
        word = "TRUE" if question.answer else "FALSE"
        # Moodle reads {TRUE#feedback for a wrong answer#feedback for the right one}.
        general = f"####{gift_escape(question.general)}" if question.general else ""
        return (f"{_head(question)}{{{word}#{gift_escape(question.wrong)}"
                f"#{gift_escape(question.right)}{general}}}")
    raise TypeError(question)  # pragma: no cover - grids are left out above
