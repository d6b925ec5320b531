"""The documentation stays true: every mistake id is documented, every bundled template tested."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quizgrad.bank.load import bundled_dir, load_banks, templates_of
from quizgrad.mistakes.catalog import CATALOG

ROOT = Path(__file__).resolve().parent.parent


def test_every_mistake_is_in_docs_mistakes_md():
    text = (ROOT / "docs" / "mistakes.md").read_text(encoding="utf-8")
    for mistake in CATALOG:
        assert f"| `{mistake.id}` | {mistake.description}" in text


def test_every_bundled_template_has_question_tests_with_a_wrong_answer():
    for template in templates_of(load_banks([bundled_dir()])):
        verdicts = {t.verdict for t in template.tests}
        assert {"correct", "wrong"} <= verdicts, template.id


def test_readme_names_both_setup_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "<!-- main-command -->" in text and "<!-- test-command -->" in text


# "x" as a times sign reads as the input x: "wire x gets upstream x y" (× is the sign used)
TIMES_X = re.compile(r"(?:(?<![A-Za-z])(?:upstream|gradient|g|f|\d+)|\))\s+x\s+(?=[A-Za-z0-9(])")


def _texts(template) -> list[str]:
    texts = [template.prompt, template.explanation]
    for choice in getattr(template, "choices", ()):
        texts += [choice.text, choice.feedback or ""]
    return texts


@pytest.mark.parametrize("text", ["so wire x gets upstream x y", "upstream x s * (1 - s)",
                                  "2 x 3", "(1 - s) x g"])
def test_x_as_a_times_sign_is_found(text):
    assert TIMES_X.search(text)


@pytest.mark.parametrize("text", ["so wire x gets upstream × y", "the node sends x the "
                                  "gradient", "df/dx = y", "x gets 3 × (-4)", "the input x"])
def test_x_as_an_input_is_not_a_times_sign(text):
    assert not TIMES_X.search(text)


def test_no_bundled_text_or_feedback_writes_x_as_a_times_sign():
    from quizgrad.bank.check import sample_answer
    from quizgrad.grading.feedback import item_feedback
    from quizgrad.grading.judge import judge
    from quizgrad.math.rng import Stream
    from quizgrad.registry import draw

    for template in templates_of(load_banks([bundled_dir()])):
        for text in _texts(template):
            assert not TIMES_X.search(text), (template.id, text)
        item = draw(template, Stream("times", template.id))
        for test in template.tests:  # the feedback on every sample answer, right or wrong
            for line in item_feedback(item, judge(item, sample_answer(test, item))):
                assert not TIMES_X.search(line), (template.id, line)
