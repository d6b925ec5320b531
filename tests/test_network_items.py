"""Network items: templates in YAML, drawing, judging, keys, take, grade, sheets and export."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from test_quiz import Script

from quizgrad.bank.load import load_bank, load_banks
from quizgrad.errors import BankError
from quizgrad.formats.keyfile import item_from_json, item_json
from quizgrad.grading.judge import judge
from quizgrad.grading.quiz import Session
from quizgrad.items.matrix import close
from quizgrad.items.network import NetworkItem
from quizgrad.math.rng import Stream
from quizgrad.registry import draw

NETWORKS = load_banks([])[-1]  # questions/7-networks.yaml
BY_ID = {t.id: t for t in NETWORKS.templates}


def nested(array) -> list:
    return array.nested(float)


def test_the_bundled_network_bank_has_the_three_networks_of_the_issue():
    assert NETWORKS.name == "networks"
    assert list(BY_ID) == ["mlp-softmax-ce", "residual-block", "mse-regression"]


@settings(max_examples=20, deadline=None)
@given(template=st.sampled_from(sorted(BY_ID)), variant=st.integers(0, 10**6))
def test_generate_then_answer_right_scores_full_marks_and_the_key_rebuilds_it(template,
                                                                               variant):
    item = draw(BY_ID[template], Stream("prop", template, variant))
    assert isinstance(item, NetworkItem)
    right = {n: nested(a) for n, a in item.expected.items()}
    result = judge(item, right)
    assert result.verdict == "correct" and result.points == item.points
    data = json.loads(json.dumps(item_json(item)))
    again = item_from_json(data)
    assert again.expected == item.expected and again.prompt == item.prompt


@settings(max_examples=20, deadline=None)
@given(template=st.sampled_from(sorted(BY_ID)), variant=st.integers(0, 10**6))
def test_every_fault_answer_is_diagnosed_as_its_mistake_at_its_layer(template, variant):
    item = draw(BY_ID[template], Stream("faults", template, variant))
    for name in item.ask:
        for label, array in item.mistake_values(name).items():
            mistake, _, where = label.partition("@")
            part = judge(item, {**{n: nested(a) for n, a in item.expected.items()},
                                name: nested(array)}).parts[item.ask.index(name)]
            assert mistake in part.mistakes, (label, part)
            assert len(set(part.mistakes)) == len(part.mistakes)  # each id once
            named = part.where[part.mistakes.index(mistake)]  # the first layer that fits
            layers = [f.where for f in item.faults if f.mistake == mistake
                      and f.gradients.get(name) is not None
                      and f.gradients[name].shape == array.shape
                      and close(f.gradients[name].entries, array.entries, item.tolerance)]
            assert where in layers and named == layers[0]


def test_a_variant_avoids_draws_where_a_mistake_hides():
    template = BY_ID["mlp-softmax-ce"]
    for index in range(10):
        item = draw(template, Stream("hide", template.id, index))
        assert not item.hidden()  # no fault gives an asked value its right array


def test_a_session_names_the_layer_of_a_mistake():
    item = draw(BY_ID["mse-regression"], Stream("take", "mse", 1))
    forgot = next(a for label, a in item.mistake_values("e").items()
                  if label.startswith("mean-as-sum"))
    right = {n: str(nested(a)) for n, a in item.expected.items()}
    io = Script([str(nested(forgot)), right["w"], right["b"]])
    Session([item], io).run()
    ((verdict, mistakes, lines),) = io.of("verdict")
    assert verdict == "wrong" and "mean-as-sum" in mistakes
    assert "at the node L = mean(q)" in lines[0]


def test_a_wrong_shape_is_asked_again_not_counted():
    item = draw(BY_ID["residual-block"], Stream("take", "res", 1))
    right = {n: str(nested(a)) for n, a in item.expected.items()}
    io = Script(["[1, 2]", right["h"], right["X"]])
    Session([item], io).run()
    assert any("expected a 2×2 matrix, the shape of h" in text for text in io.of("invalid"))
    assert io.of("verdict")[0][0] == "correct"


def test_generate_grade_round_trip_through_the_cli(run, tmp_path):
    out = tmp_path / "set"
    assert run("generate", "--seed", "net", "--count", "2", "--pick",
               "mlp-softmax-ce,residual-block,mse-regression", "--out", str(out)).exit_code == 0
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    variant = key["variants"][0]
    answers = {}
    for entry in variant["items"]:
        answers[entry["id"]] = dict(entry["answer"])
    residual = next(e for e in variant["items"] if e["id"] == "residual-block")
    missed = next(label for label in residual["mistakes"]["X"]
                  if label.startswith("missed-branch"))
    answers["residual-block"]["X"] = residual["mistakes"]["X"][missed]
    handed = tmp_path / "in" / "v01.yaml"
    handed.parent.mkdir()
    handed.write_text(yaml.safe_dump({"student": variant["id"], "answers": answers}))
    result = run("grade", str(out / "key.json"), str(handed), "--out", str(tmp_path / "g"))
    assert result.exit_code == 0, result.stdout
    feedback = (tmp_path / "g" / "feedback" / "v01.md").read_text(encoding="utf-8")
    assert "**7 of 8 points**" in feedback
    assert "That is what you get at X (only the path through h), if you kept the gradient of " \
        "only one path" in feedback


def test_sheets_draw_each_network_with_its_shapes(run, tmp_path):
    out = tmp_path / "set"
    run("generate", "--seed", "sheet", "--count", "1", "--pick", "mlp-softmax-ce", "--out",
        str(out))
    markdown = (out / "sheets" / "v01.md").read_text(encoding="utf-8")
    assert "┤ h = X @ W1 + b1 ├" in markdown and "W2: 2×3" in markdown
    assert "- gradient of W2 (2×3): ______" in markdown and "(class indices)" in markdown
    html = (out / "sheets" / "v01.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 1 and "s: 2×3" in html


def test_export_writes_a_grid_per_asked_value(run, tmp_path):
    target = tmp_path / "quiz.xml"
    result = run("export", "questions/7-networks.yaml", "--to", "moodle", "--variants", "1",
                 "--seed", "x", "--out", str(target))
    assert result.exit_code == 0, result.stdout
    names = [q.findtext("name/text") for q in ET.parse(target).getroot().iter("question")
             if q.get("type") == "cloze"]
    assert names == ["mlp-softmax-ce v01 (s)", "mlp-softmax-ce v01 (W2)",
                     "mlp-softmax-ce v01 (b1)", "residual-block v01 (h)",
                     "residual-block v01 (X)", "mse-regression v01 (e)",
                     "mse-regression v01 (w)", "mse-regression v01 (b)"]


def test_check_verifies_the_network_bank(run):
    result = run("check", "questions/7-networks.yaml", "--json")
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["ok"], data["problems"]
    assert data["banks"][0]["derivatives"] > 100  # every entry against a finite difference


def test_logits_that_are_not_batch_first_take_their_own_row_count(write):
    bank = write("t.yaml", """
        templates:
          - id: tlogits
            type: network
            title: Logits from a transpose
            circuit: ['z = transpose(X) @ W', 'L = softmax_ce(z, y)']
            inputs:
              X: {shape: [3, 2], int: [-2, 2], nonzero: true}
              W: {shape: [3, 4], int: [-2, 2], nonzero: true}
              y: {class: random}
        """)
    template = load_bank(bank).templates[0]
    assert template.classes == (("y", 2, 4),)
    item = draw(template, Stream("t", 1))
    assert len(dict(item.network.labels)["y"]) == 2


@pytest.mark.parametrize(("body", "message"), [
    ("circuit: ['L1 = softmax_ce(X, y)', 's = X @ W', 'L2 = softmax_ce(s, y)', 'L = L1 + L2']"
     "\n    inputs: {X: {shape: [2, 2], int: [-2, 2]}, W: {shape: [2, 3], int: [-2, 2]}, "
     "y: {class: random}}", "class indices y go with one softmax_ce line"),
    ("circuit: [h = X @ W]\n    inputs: {X: {shape: [2, 3], int: [-2, 2]}, "
     "W: {shape: [2, 2], int: [-2, 2]}}\n    upstream: 1",
     "cannot multiply 2×3 by 2×2"),
    ("circuit: [h = X @ W, L = sum(h)]\n    inputs: {X: {shape: [2, 2], int: [-2, 2]}, "
     "W: {shape: [2, 2], int: [-2, 2]}}\n    ask: [q]", "'q' is not a value of this circuit"),
    ("circuit: [h = X @ W]\n    inputs: {X: {shape: [2, 2], int: [-2, 2]}, "
     "W: {shape: [2, 2], int: [-2, 2]}}", "missing required key 'upstream' (G, 2×2)"),
    ("circuit: ['s = X @ W', 'L = softmax_ce(s, y)']\n    inputs: {X: {shape: [2, 2], "
     "int: [-2, 2]}, W: {shape: [2, 3], int: [-2, 2]}, y: {class: [0, 5]}}",
     "y needs 2 class index(es) in 0..2 (one per row of s)"),
])
def test_a_bad_network_template_is_reported_at_its_line(write, body, message):
    bank = write("bad.yaml", "templates:\n  - id: net\n    type: network\n    title: Net\n"
                 f"    {body}\n")
    with pytest.raises(BankError) as caught:
        load_bank(bank)
    found = [str(p) for p in caught.value.problems]
    assert any(message in text and "bad.yaml:" in text for text in found), found


def test_take_lists_a_network_too_wide_for_the_terminal_layer_by_layer(run):
    result = run("take", "questions/7-networks.yaml", "--seed", "3", "--count", "1",
                 input="quit\n")
    assert result.exit_code == 0
    assert "  L = softmax_ce(s, y)   L: number, from s: 2×3" in result.stdout
    assert "┤ h = X @ W1 + b1 ├" not in result.stdout  # 170 columns would be cut off at 100


def test_check_notes_a_mistake_no_variant_of_a_network_can_reveal(run, write):
    bank = write("blind.yaml", """
        templates:
          - id: blind
            type: network
            title: A sum of a product
            circuit: [h = X * W, L = sum(h)]
            inputs:
              X: {shape: [2], int: [1, 3]}
              W: [1, 1]
        """)
    result = run("check", str(bank))
    text = " ".join(result.stdout.split())
    assert "blind.yaml:2: blind: these mistakes give the right answer on every sampled draw, " \
           "so no variant reveals them: upstream-only@h = X * W (X)" in text
