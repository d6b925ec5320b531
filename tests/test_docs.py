"""The documentation stays true: every mistake id is documented, every bundled template tested."""

from __future__ import annotations

from pathlib import Path

from quizgrad.bank import bundled_dir, load_banks, templates_of
from quizgrad.mistakes import CATALOG

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
