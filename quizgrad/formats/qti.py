"""QTI 2.1: one assessmentItem per question, zipped with an imsmanifest.xml.

Numbers are textEntryInteractions with a float response; responseProcessing compares with
``<equal toleranceMode="absolute">`` to the right value (SCORE 1) and then to each mistake's
value, setting a FEEDBACK outcome that shows that mistake's modalFeedback. A matrix item has
one blank per entry and is right when every entry is. Choices and true/false use a
choiceInteraction, scored by matching the correct identifier, with feedback per choice.
"""

from __future__ import annotations

import html
import io
import re
import xml.etree.ElementTree as ET
import zipfile

from quizgrad.formats.export import (
    Answer,
    Export,
    Grid,
    MultipleChoice,
    Numerical,
    Question,
    TrueFalse,
)
from quizgrad.formats.moodle import number

QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
_TAGS = re.compile(r"<[^>]+>")


def _plain(html_text: str) -> str:
    """HTML from the export as plain text (QTI bodies are built as elements, not markup)."""
    return html.unescape(_TAGS.sub(" ", html_text)).replace("  ", " ").strip()


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def qti_package(export: Export) -> bytes:
    """The zip: imsmanifest.xml and items/<n>.xml."""
    buffer = io.BytesIO()
    manifest = ET.Element("manifest", {"xmlns": CP, "identifier": "quizgrad-export"})
    meta = ET.SubElement(manifest, "metadata")
    ET.SubElement(meta, "schema").text = "IMS Content"
    ET.SubElement(meta, "schemaversion").text = "1.1.3"
    ET.SubElement(manifest, "organizations")
    resources = ET.SubElement(manifest, "resources")
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for index, question in enumerate(export.questions, start=1):
            identifier = f"item{index:05d}"
            href = f"items/{identifier}.xml"
            package.writestr(href, item_xml(question, identifier))
            resource = ET.SubElement(resources, "resource", {
                "identifier": f"R-{identifier}", "type": "imsqti_item_xmlv2p1", "href": href})
            ET.SubElement(resource, "file", {"href": href})
        package.writestr("imsmanifest.xml", _document(manifest))
    return buffer.getvalue()


def _document(root: ET.Element) -> bytes:
    """The element as a document; its namespace is the root's own xmlns attribute."""
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def item_xml(question: Question, identifier: str) -> bytes:
    """One question as a QTI 2.1 assessmentItem."""
    item = ET.Element("assessmentItem", {
        "xmlns": QTI, "identifier": identifier, "title": question.name, "adaptive": "false",
        "timeDependent": "false"})
    if isinstance(question, (Numerical, Grid)):
        for response, right in _blanks(question):
            declaration = _el(item, "responseDeclaration", identifier=response,
                              cardinality="single", baseType="float")
            _el(_el(declaration, "correctResponse"), "value", number(right.value))
    else:
        declaration = _el(item, "responseDeclaration", identifier="RESPONSE",
                          cardinality="single", baseType="identifier")
        _el(_el(declaration, "correctResponse"), "value", _right_choice(question))
    score = _el(item, "outcomeDeclaration", identifier="SCORE", cardinality="single",
                baseType="float")
    _el(_el(score, "defaultValue"), "value", "0")
    _el(item, "outcomeDeclaration", identifier="FEEDBACK", cardinality="single",
        baseType="identifier")
    body = _el(item, "itemBody")
    _el(body, "p", _plain(question.text))
    feedback: list[tuple[str, str]] = []
    if isinstance(question, (Numerical, Grid)):
        _numeric_body(body, question)
        _numeric_processing(item, question, feedback)
    else:
        _choice_body(body, question, feedback)
        _choice_processing(item)
    for key, text in feedback:
        _el(item, "modalFeedback", _plain(text), outcomeIdentifier="FEEDBACK", identifier=key,
            showHide="show")
    return _document(item)


def _blanks(question: Numerical | Grid) -> list[tuple[str, Answer]]:
    """(response identifier, right answer) for every blank."""
    if isinstance(question, Numerical):
        return [("RESPONSE", question.answers[0])]
    return [(f"RESPONSE_{r}_{c}", cell[0]) for r, row in enumerate(question.cells)
            for c, cell in enumerate(row)]


def _numeric_body(body: ET.Element, question: Numerical | Grid) -> None:
    if isinstance(question, Numerical):
        _el(_el(body, "p"), "textEntryInteraction", responseIdentifier="RESPONSE",
            expectedLength="12")
        return
    table = _el(body, "table")
    tbody = _el(table, "tbody")
    for r, row in enumerate(question.cells):
        tr = _el(tbody, "tr")
        for c, _ in enumerate(row):
            _el(_el(tr, "td"), "textEntryInteraction", responseIdentifier=f"RESPONSE_{r}_{c}",
                expectedLength="8")


def _close(parent: ET.Element, response: str, answer: Answer) -> None:
    tolerance = number(answer.tolerance)
    equal = _el(parent, "equal", toleranceMode="absolute",
                tolerance=f"{tolerance} {tolerance}")
    _el(equal, "variable", identifier=response)
    _el(equal, "baseValue", number(answer.value), baseType="float")


def _numeric_processing(item: ET.Element, question: Numerical | Grid,
                        feedback: list[tuple[str, str]]) -> None:
    condition = _el(_el(item, "responseProcessing"), "responseCondition")
    blanks = _blanks(question)
    branch = _el(condition, "responseIf")
    both = _el(branch, "and")
    for response, answer in blanks:
        _close(both, response, answer)
    _set(branch, "SCORE", "float", "1")
    if isinstance(question, Numerical):
        wrong = [(a.feedback, [("RESPONSE", a)]) for a in question.answers[1:]]
    else:  # a matrix: a mistake is recognised when every entry is what it predicts
        wrong = [(text, [(response, entry) for (response, _), entry
                         in zip(blanks, entries, strict=True)])
                 for text, entries in question.mistakes]
    for index, (text, expected) in enumerate(wrong, start=1):
        branch = _el(condition, "responseElseIf")
        every = _el(branch, "and")
        for response, answer in expected:
            _close(every, response, answer)
        key = f"MISTAKE{index}"
        _set(branch, "FEEDBACK", "identifier", key)
        feedback.append((key, text))


def _set(parent: ET.Element, outcome: str, base: str, value: str) -> None:
    _el(_el(parent, "setOutcomeValue", identifier=outcome), "baseValue", value, baseType=base)


def _choices(question: Question) -> list[tuple[str, str, bool, str]]:
    """(identifier, text, correct, feedback) for each choice."""
    if isinstance(question, MultipleChoice):
        return [(f"choice{i + 1}", text, correct, feedback)
                for i, (text, correct, feedback) in enumerate(question.choices)]
    assert isinstance(question, TrueFalse)
    return [("true", "true", question.answer, question.right if question.answer
             else question.wrong),
            ("false", "false", not question.answer, question.wrong if question.answer
             else question.right)]


def _right_choice(question: Question) -> str:
    return next(key for key, _, correct, _ in _choices(question) if correct)


def _choice_body(body: ET.Element, question: Question,
                 feedback: list[tuple[str, str]]) -> None:
    interaction = _el(body, "choiceInteraction", responseIdentifier="RESPONSE",
                      shuffle="false", maxChoices="1")
    for key, text, _, note in _choices(question):
        _el(interaction, "simpleChoice", text, identifier=key)
        feedback.append((key, note))


def _choice_processing(item: ET.Element) -> None:
    processing = _el(item, "responseProcessing")
    condition = _el(processing, "responseCondition")
    branch = _el(condition, "responseIf")
    match = _el(branch, "match")
    _el(match, "variable", identifier="RESPONSE")
    _el(match, "correct", identifier="RESPONSE")
    _set(branch, "SCORE", "float", "1")
    chosen = _el(processing, "setOutcomeValue", identifier="FEEDBACK")
    _el(chosen, "variable", identifier="RESPONSE")
