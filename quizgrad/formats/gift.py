"""GIFT: the same questions as the Moodle XML export, as text Moodle's GIFT importer reads.

Written the way Moodle's own GIFT writer does (question/format/gift/format.php): a
``$CATEGORY:`` line per template, ``::name::[html]text{...}``, numerical answers as
``=%100%value:tolerance#feedback`` with the mistakes as ``=%0%`` answers and ``~#`` for any
other number, reserved characters escaped. GIFT has no embedded-answer type, so a matrix
becomes one numerical question per entry.
"""

from __future__ import annotations

from quizgrad.formats.export import Export, Grid, MultipleChoice, Numerical, Question, TrueFalse
from quizgrad.formats.moodle import fraction, number

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


def gift(export: Export) -> str:
    """The export as GIFT text."""
    out = [f"// quizgrad export: seed {_line(export.seed)}, {export.variants} variant(s) per "
           "template", ""]
    category = None
    for question in export.questions:
        if question.category != category:
            category = question.category
            out += [f"$CATEGORY: $course$/quizgrad/{_line(category)}", ""]
        for part in entries(question) if isinstance(question, Grid) else [question]:
            out += [_question(part), ""]
    return "\n".join(out)


def entries(grid: Grid) -> list[Numerical]:
    """A matrix as one numerical question per entry (GIFT has no embedded answers)."""
    count = sum(len(row) for row in grid.cells)
    return [Numerical(f"{grid.name} [{r + 1},{c + 1}]", grid.category,
                      f"{grid.text}<p>Give entry ({r + 1}, {c + 1}) of the gradient of "
                      f"{grid.label}.</p>", grid.points / count, grid.general, cell,
                      "Not right.")
            for r, row in enumerate(grid.cells) for c, cell in enumerate(row)]


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
    raise TypeError(question)  # pragma: no cover - grids are split into entries above
