"""Banks: the format, strict validation with file:line:field, defaults, bundled banks."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from quizgrad.bank.load import (
    ChoiceTemplate,
    LocalTemplate,
    TrueFalseTemplate,
    WireTemplate,
    bundled_dir,
    fill,
    load_bank,
    load_banks,
)
from quizgrad.errors import BankError
from quizgrad.math.rng import Stream
from quizgrad.registry import types

GOOD = """
bank: demo
title: A demo bank
defaults:
  points: 2
  tolerance: 0.05
templates:
  - id: mul
    type: wire
    title: Multiply
    node: x * y
    inputs:
      x: {int: [-5, 5], nonzero: true}
      y: -4
    upstream: {choice: [2, 3]}
    ask: x
    prompt: "x = {x}, y = {y}, g = {g}: wire x? {{literal}}"
  - id: sig
    type: local
    title: Sigmoid
    node: sigmoid(x)
    inputs: [x]
    let: {s: sigmoid(x)}
    points: 1
    tolerance: {relative: 0.001, absolute: 0.0001}
  - id: two
    type: choice
    title: Two values
    prompt: Which?
    shuffle: true
    choices:
      - text: upstream x local
        correct: true
      - text: upstream x forward
        mistake: forward-value
  - id: tf
    type: truefalse
    title: Same?
    prompt: Same gradient?
    answer: false
    mistake: same-gradient
"""


def test_a_good_bank_loads_into_typed_templates(write):
    bank = load_bank(write("demo.yaml", GOOD))
    assert (bank.name, bank.title, len(bank.templates)) == ("demo", "A demo bank", 4)
    mul, sig, two, tf = bank.templates
    assert isinstance(mul, WireTemplate) and mul.ask == ("x",) and mul.points == 2.0
    assert mul.tolerance.relative == 0.05 and mul.randomized
    assert dict(mul.inputs)["y"].values == (sp.Integer(-4),)
    assert isinstance(sig, LocalTemplate) and sig.wrt == "x" and sig.let[0][0] == "s"
    assert sig.tolerance.absolute == 0.0001 and sig.points == 1.0
    assert isinstance(two, ChoiceTemplate) and two.choices[1].mistake == "forward-value"
    assert isinstance(tf, TrueFalseTemplate) and tf.answer is False
    assert mul.line == 7 and mul.file.endswith("demo.yaml")
    assert len(bank.sha256) == 64


def test_number_specs_draw_within_their_ranges(write):
    path = write("draw.yaml", """
        templates:
          - id: d
            type: wire
            title: D
            node: a + b + c
            inputs:
              a: {int: [-2, 2], nonzero: true, exclude: [1]}
              b: {decimal: [0.5, 1.5], places: 2}
              c: {choice: ["1/4", 0.5, -3]}
        """)
    template = load_bank(path).templates[0]
    specs = dict(template.inputs)
    stream = Stream("test")
    for _ in range(300):
        a, b, c = (specs[name].draw(stream) for name in "abc")
        assert a in (-2, -1, 2)
        assert Fraction(1, 2) <= b <= Fraction(3, 2) and (b * 100).denominator == 1
        assert c in (Fraction(1, 4), Fraction(1, 2), -3)


@pytest.mark.parametrize(("inputs", "upstream", "draws"), [
    ("{x: 3, y: -4}", "2", 1),  # fixed: one point, judged once for a whole class
    ("{x: {int: [-2, 2], nonzero: true, exclude: [1]}, y: -4}", "{choice: [2, 3]}", 6),
    ("{x: {decimal: [0.5, 1.5], places: 2}, y: {int: [-9, 9]}}", "2", 101 * 19),
    ("{x: {decimal: [-9, 9], places: 4}, y: 1}", "2", None),  # too many to list
])
def test_draws_counts_the_points_a_template_can_give(write, inputs, upstream, draws):
    template = load_bank(write("count.yaml", f"""
        templates:
          - id: c
            type: wire
            title: C
            node: x * y
            inputs: {inputs}
            upstream: {upstream}
        """)).templates[0]
    assert template.draws == draws


def test_default_prompt_fills_in_names_and_values(write):
    path = write("p.yaml", """
        templates:
          - id: p
            type: wire
            title: P
            node: x*y
            inputs: {x: 2, y: 3}
        """)
    assert "{upstream}" in load_bank(path).templates[0].prompt


# (bank text, expected line, expected field, message fragment)
BAD = [
    ("templates: []", 1, "templates", "non-empty list"),
    ("- 1", 1, None, "must be a mapping"),
    ("templates:\n  - id: a\n    type: wire\n    title: A\n    node: x*z\n    inputs: {x: 1}\n",
     5, "a.node", "unknown name 'z'"),
    ("templates:\n  - id: a\n    type: wire\n    title: A\n    node: foo(x)\n    inputs: {x: 1}\n",
     5, "a.node", "unknown name 'foo'"),
    ("templates:\n  - id: a\n    type: wire\n    title: A\n    node: x\n    inputs: {x: 1}\n"
     "    colour: red\n", 7, "a.colour", "unknown key 'colour'"),
    ("templates:\n  - id: a\n    type: wire\n    title: A\n    node: x\n    inputs: {x: 1}\n"
     "    points: -1\n", 7, "a.points", "positive"),
    ("templates:\n  - id: a\n    type: wire\n    title: A\n    node: x\n    inputs:\n"
     "      x: {int: [5, 1]}\n", 7, "a.inputs.x", "low must not be above high"),
    ("templates:\n  - id: a\n    type: wire\n    title: A\n    node: x\n    inputs:\n"
     "      x: {int: [0, 0], nonzero: true}\n", 7, "a.inputs.x", "no value to draw"),
    ("templates:\n  - id: a\n    type: wire\n    title: A\n    node: x\n    inputs:\n"
     "      x: {int: [0.5, 2]}\n", 7, "a.inputs.x", "whole numbers"),
    ("templates:\n  - id: a\n    type: wire\n    title: A\n    node: x\n    inputs:\n"
     "      x: hello\n", 7, "a.inputs.x", "'hello' is not a number"),
    ("templates:\n  - id: a\n    type: wire\n    title: A\n    node: x\n    inputs: {x: 1}\n"
     "    ask: [y]\n", 7, "a.ask", "'y' is not a value of this node"),
    ("templates:\n  - id: a\n    type: wire\n    title: A\n    node: x\n    inputs: {x: 1}\n"
     "    prompt: 'x is {x} and {z}'\n", 7, "a.prompt", "unknown placeholder {z}"),
    ("templates:\n  - id: a\n    type: wire\n    title: A\n    node: x\n    inputs: {exp: 1}\n",
     6, "a.inputs.exp", "function name"),
    ("templates:\n  - id: a\n    type: quiz\n    title: A\n", 3, "a.type", "type must be"),
    ("templates:\n  - type: wire\n    title: A\n", 2, "id", "missing required key 'id'"),
    ("templates:\n  - id: a b\n    type: wire\n", 2, "id", "not a valid id"),
    ("templates:\n  - id: a\n    type: truefalse\n    title: A\n    prompt: P\n    answer: 'no'\n",
     6, "a.answer", "true or false"),
    ("templates:\n  - id: a\n    type: choice\n    title: A\n    prompt: P\n"
     "    choices: [one, two]\n", 6, "a.choices", "exactly one choice"),
    ("templates:\n  - id: a\n    type: choice\n    title: A\n    prompt: P\n    choices:\n"
     "      - {text: one, correct: true}\n      - {text: two, mistake: Not An Id}\n",
     8, "a.choices[1].mistake", "mistake id"),
    ("templates:\n  - id: a\n    type: local\n    title: A\n    node: x*y\n    inputs: [x, y]\n",
     2, "a.wrt", "must name one of the inputs"),
    ("templates:\n  - id: a\n    type: truefalse\n    title: A\n    prompt: P\n    answer: true\n"
     "  - id: a\n    type: truefalse\n    title: B\n    prompt: P\n    answer: true\n",
     7, "id", "duplicate id 'a'"),
    ("templates:\n  - id: a\n    type: truefalse\n    title: A\n    title: B\n", 5, None,
     "duplicate key 'title'"),
    ("templates: [\n", 2, None, "invalid YAML"),
    ("templates:\n  - !!python/object/apply:os.system [echo hi]\n", 2, None,
     "could not determine a constructor"),
    ("a: &a [1, 2]\nb: *a\n", 1, "a", "unknown key 'a'"),
]


@pytest.mark.parametrize(("text", "line", "field", "fragment"), BAD,
                         ids=[b[3] for b in BAD])
def test_bad_banks_name_file_line_and_field(bank_problem, text, line, field, fragment):
    problem = bank_problem(text, fragment)
    assert problem.line == line
    assert problem.field == field
    assert str(problem).startswith(f"{problem.file}:{line}: ")


def test_every_problem_in_a_file_is_reported(write):
    path = write("many.yaml", """
        templates:
          - id: a
            type: wire
            title: A
            node: x*q
            inputs: {x: 1}
          - id: b
            type: truefalse
            title: B
            prompt: P
            answer: maybe
        """)
    with pytest.raises(BankError) as caught:
        load_bank(path)
    assert [p.field for p in caught.value.problems] == ["a.node", "b.answer"]


@pytest.mark.parametrize(("content", "fragment"), [
    (b"\xff\xfe\x00\x00garbage\x00", "binary"),
    (b"templates: \xff\n", "not UTF-8"),
])
def test_unreadable_files_are_problems_not_crashes(tmp_path, content, fragment):
    path = tmp_path / "x.yaml"
    path.write_bytes(content)
    with pytest.raises(BankError, match=fragment):
        load_bank(path)


def test_missing_file_is_a_problem(tmp_path):
    with pytest.raises(BankError, match="no such file"):
        load_bank(tmp_path / "nope.yaml")


def test_duplicate_ids_across_banks(write):
    tf = ("templates:\n  - id: same\n    type: truefalse\n    title: T\n    prompt: P\n"
          "    answer: true\n")
    first, second = write("a.yaml", tf), write("b.yaml", tf)
    with pytest.raises(BankError, match="duplicate id 'same'"):
        load_banks([first, second])


def test_bom_and_crlf_are_read(tmp_path):
    path = tmp_path / "win.yaml"
    text = ("templates:\r\n  - id: t\r\n    type: truefalse\r\n    title: T\r\n"
            "    prompt: P\r\n    answer: true\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert load_bank(path).templates[0].id == "t"


def test_fill_replaces_placeholders_and_escapes():
    assert fill("{x} and {{y}} {unknown}", {"x": "3"}) == "3 and {y} {unknown}"


@given(st.text(alphabet="{}xy ", max_size=30))
def test_fill_is_the_placeholder_substitution_one_match_at_a_time(prompt):
    from quizgrad.bank.templates import PLACEHOLDER

    def replace(match):  # the substitution as a regular-expression callback
        token = match.group()
        return {"{{": "{", "}}": "}"}.get(token) or {"x": "3", "y": "-4"}.get(
            match.group(1) or "", token)

    assert fill(prompt, {"x": "3", "y": "-4"}) == PLACEHOLDER.sub(replace, prompt)


def test_bundled_banks_load_with_unique_ids():
    banks = load_banks([bundled_dir()])
    ids = [t.id for b in banks for t in b.templates]
    assert len(ids) == len(set(ids)) >= 30
    kinds = {t.type for b in banks for t in b.templates}
    assert kinds == set(types())  # every kind of item the banks can hold
