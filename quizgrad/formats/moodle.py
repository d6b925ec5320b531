"""Moodle XML: numerical, multichoice, truefalse and cloze questions, one category per template.

Rules from Moodle's question/format/xml (see ../shared/reference/lms-formats.md): HTML goes
inside CDATA (a literal ``]]>`` split in two), ``<tolerance>`` sits inside each numerical
``<answer>`` and is absolute, and every ``fraction`` comes from Moodle's list of allowed
percentages. A matrix becomes a cloze (embedded answers) question with one NUMERICAL blank
per entry, each with the mistakes' values as 0% answers.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from quizgrad.formats.export import Export, Grid, MultipleChoice, Numerical, Question, TrueFalse

ALLOWED_FRACTIONS = (100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25,
                     20, 16.66667, 14.28571, 12.5, 11.11111, 10, 5, 0)


def cdata(text: str) -> str:
    """``text`` inside CDATA, any ``]]>`` in it split across two sections."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def number(value: float) -> str:
    """A number as Moodle reads it: plain decimal text, 12 significant digits."""
    text = f"{value:.12g}"
    return "0" if text == "-0" else text


def fraction(value: float) -> str:
    """A fraction from Moodle's allowed list (anything else would fail the import)."""
    match = next((f for f in ALLOWED_FRACTIONS if abs(abs(value) - f) < 1e-6), None)
    if match is None:
        raise ValueError(f"{value} is not one of Moodle's allowed fractions")
    return f"{'-' if value < 0 else ''}{match}"  # as listed: 33.33333, not 33.3333


def moodle_xml(export: Export) -> str:
    """The whole export as one Moodle XML file."""
    about = f"quizgrad export, seed {escape(export.seed)}, {export.variants} variant(s) each"
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>",
           '<question type="category"><category><text>$course$/quizgrad</text></category>'
           f'<info format="html"><text>{cdata(about)}</text></info></question>']
    category = None
    for question in export.questions:
        if question.category != category:
            category = question.category
            out.append('<question type="category"><category><text>'
                       f"$course$/quizgrad/{escape(category)}</text></category></question>")
        out.append(_question(question))
    out.append("</quiz>")
    return "\n".join(out) + "\n"


def _head(kind: str, question: Question, text: str) -> list[str]:
    return [f'<question type="{kind}">',
            f"  <name><text>{escape(question.name)}</text></name>",
            f'  <questiontext format="html"><text>{cdata(text)}</text></questiontext>',
            f'  <generalfeedback format="html"><text>{cdata(question.general)}</text>'
            "</generalfeedback>",
            f"  <defaultgrade>{question.points:.7f}</defaultgrade>",
            "  <penalty>0.3333333</penalty>", "  <hidden>0</hidden>", "  <idnumber/>"]


def _feedback(text: str) -> str:
    return f'<feedback format="html"><text>{cdata(text)}</text></feedback>'


def _question(question: Question) -> str:
    if isinstance(question, Numerical):
        lines = _head("numerical", question, question.text)
        for answer in question.answers:
            lines.append(f'  <answer fraction="{fraction(answer.fraction)}" '
                         f'format="moodle_auto_format"><text>{number(answer.value)}</text>'
                         f"{_feedback(answer.feedback)}<tolerance>{number(answer.tolerance)}"
                         "</tolerance></answer>")
        lines.append('  <answer fraction="0" format="moodle_auto_format"><text>*</text>'
                     f"{_feedback(question.other)}<tolerance>0</tolerance></answer>")
    elif isinstance(question, MultipleChoice):
        lines = _head("multichoice", question, question.text)
        lines += ["  <single>true</single>",
                  f"  <shuffleanswers>{str(question.shuffle).lower()}</shuffleanswers>",
                  "  <answernumbering>abc</answernumbering>",
                  "  <showstandardinstruction>0</showstandardinstruction>",
                  f'  <correctfeedback format="html"><text>{cdata("Right.")}</text>'
                  "</correctfeedback>",
                  '  <partiallycorrectfeedback format="html"><text/></partiallycorrectfeedback>',
                  '  <incorrectfeedback format="html"><text/></incorrectfeedback>']
        for text, correct, feedback in question.choices:
            lines.append(f'  <answer fraction="{fraction(100 if correct else 0)}" '
                         f'format="html"><text>{cdata(escape(text))}</text>'
                         f"{_feedback(feedback)}</answer>")
    elif isinstance(question, TrueFalse):
        lines = _head("truefalse", question, question.text)
        for word in ("true", "false"):
            right = (word == "true") == question.answer
            lines.append(f'  <answer fraction="{fraction(100 if right else 0)}" '
                         f'format="moodle_auto_format"><text>{word}</text>'
                         f"{_feedback(question.right if right else question.wrong)}</answer>")
    elif isinstance(question, Grid):
        lines = _head("cloze", question, question.text + _cloze_table(question))
    else:  # pragma: no cover - every exported kind is handled above
        raise TypeError(question)
    lines.append("</question>")
    return "\n".join(lines)


def _cloze_table(question: Grid) -> str:
    rows = "".join("<tr>" + "".join(f"<td>{_blank(cell)}</td>" for cell in row) + "</tr>"
                   for row in question.cells)
    return f"<p>{escape(question.label)} gets:</p><table>{rows}</table>"


def _blank(answers: tuple) -> str:  # type: ignore[type-arg]
    """One embedded NUMERICAL answer: {1:NUMERICAL:=v:tol#fb~%0%w:tol#fb}."""
    parts = []
    for answer in answers:
        mark = "=" if answer.fraction == 100 else f"%{fraction(answer.fraction)}%"
        parts.append(f"{mark}{number(answer.value)}:{number(answer.tolerance)}"
                     f"#{cloze_escape(answer.feedback)}")
    return "{1:NUMERICAL:" + "~".join(parts) + "}"


def cloze_escape(text: str) -> str:
    """Feedback inside an embedded answer, as Moodle's multianswer reader takes it back.

    The feedback ends at a tilde or a closing brace; the reader unescapes a backslash before
    a brace or a hash and nothing else, so those two are escaped, a tilde becomes a dash
    and a backslash a slash.
    """
    return text.replace("\\", "/").replace("~", "-").replace("}", "\\}").replace("#", "\\#")
