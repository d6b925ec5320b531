"""quizgrad export (Moodle XML, GIFT, QTI) and the LMS gradebooks, read back with real parsers."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
import yaml

from quizgrad.formats.gift import gift_escape
from quizgrad.formats.moodle import ALLOWED_FRACTIONS, cdata, cloze_escape, fraction
from quizgrad.mistakes.catalog import BY_ID

QTI = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"
CP = "{http://www.imsglobal.org/xsd/imscp_v1p1}"
PICK = "seed-mul-wire,mul-wire,cs231n-example,seed-two-values,seed-same-gradient,matmul-square"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The bundled banks exported in every format, and a generated set with the same seed."""
    from typer.testing import CliRunner

    from quizgrad.cli.app import app

    folder = tmp_path_factory.mktemp("export")
    runner = CliRunner()
    paths = {}
    for to, name in (("moodle", "all.xml"), ("gift", "all.txt"), ("qti", "all.zip")):
        result = runner.invoke(app, ["export", "--to", to, "--variants", "2", "--seed", "x",
                                     "--out", str(folder / name)])
        assert result.exit_code == 0, result.output
        paths[to] = folder / name
    result = runner.invoke(app, ["generate", "--seed", "x", "--count", "2", "--out",
                                 str(folder / "set")])
    assert result.exit_code == 0, result.output
    paths["key"] = folder / "set" / "key.json"
    return paths


def _key_items(path: Path) -> dict[str, dict]:
    key = json.loads(path.read_text(encoding="utf-8"))
    return {f"{item['id']} {variant['id']}": item for variant in key["variants"]
            for item in variant["items"]}


def test_moodle_xml_follows_moodles_rules(exported):
    text = exported["moodle"].read_text(encoding="utf-8")
    root = ET.fromstring(text)  # well-formed
    assert root.tag == "quiz"
    questions = root.findall("question")
    categories = [q.findtext("category/text") for q in questions
                  if q.get("type") == "category"]
    assert len(categories) == len(set(categories))  # one category per template, in order
    assert categories[0] == "$course$/quizgrad"  # the export's own, with the seed in its info
    assert all(c.startswith("$course$/quizgrad/") for c in categories[1:])
    for answer in root.iter("answer"):
        assert float(answer.get("fraction")) in ALLOWED_FRACTIONS
    kinds = {q.get("type") for q in questions}
    assert kinds == {"category", "numerical", "multichoice", "truefalse", "cloze"}
    for question in questions:
        if question.get("type") == "numerical":
            answers = question.findall("answer")
            assert answers[0].get("fraction") == "100"
            assert all(a.find("tolerance") is not None for a in answers)  # inside <answer>
            assert answers[-1].findtext("text") == "*"
    assert text.count("<![CDATA[") >= len(questions) - len(categories)


def test_moodle_numerical_answers_are_the_keys_numbers_with_their_mistakes(exported):
    key = _key_items(exported["key"])
    root = ET.fromstring(exported["moodle"].read_text(encoding="utf-8"))
    checked = 0
    for question in root.findall("question[@type='numerical']"):
        name = question.findtext("name/text")
        item = key.get(name)
        if item is None or item["type"] != "wire" or len(item["ask"]) != 1:
            continue
        wire = item["ask"][0]
        answers = question.findall("answer")
        assert float(answers[0].findtext("text")) == pytest.approx(item["answer"][wire])
        tolerance = max(item["tolerance"]["relative"] * abs(item["answer"][wire]),
                        item["tolerance"]["absolute"])
        assert float(answers[0].findtext("tolerance")) == pytest.approx(tolerance)
        zero = {float(a.findtext("text")): a.findtext("feedback/text") for a in answers[1:-1]}
        for value in item["mistakes"][wire].values():
            match = next(v for v in zero if abs(v - value) <= max(
                item["tolerance"]["relative"] * abs(value), item["tolerance"]["absolute"]))
            assert "wrong" in zero[match]
        checked += 1
    assert checked >= 10


def test_moodle_mistake_feedback_names_the_mistake(exported):
    root = ET.fromstring(exported["moodle"].read_text(encoding="utf-8"))
    question = next(q for q in root.findall("question[@type='numerical']")
                    if q.findtext("name/text") == "seed-mul-wire v01")
    feedback = " ".join(a.findtext("feedback/text") or "" for a in question.findall("answer"))
    assert BY_ID["forward-value"].description in feedback
    assert BY_ID["upstream-only"].description in feedback


def test_moodle_choice_and_truefalse_carry_feedback(exported):
    root = ET.fromstring(exported["moodle"].read_text(encoding="utf-8"))
    choice = next(q for q in root.findall("question[@type='multichoice']"))
    assert choice.findtext("single") == "true"
    answers = choice.findall("answer")
    assert sorted(a.get("fraction") for a in answers).count("100") == 1
    assert all(a.findtext("feedback/text") for a in answers)
    truefalse = next(q for q in root.findall("question[@type='truefalse']"))
    assert sorted(a.findtext("text") for a in truefalse.findall("answer")) == ["false", "true"]
    assert sorted(a.get("fraction") for a in truefalse.findall("answer")) == ["0", "100"]


def test_moodle_cloze_has_a_blank_per_matrix_entry(exported):
    root = ET.fromstring(exported["moodle"].read_text(encoding="utf-8"))
    cloze = next(q for q in root.findall("question[@type='cloze']")
                 if q.findtext("name/text") == "matmul-square v01 (A)")
    text = cloze.findtext("questiontext/text")
    blanks = re.findall(r"\{1:NUMERICAL:(.*?)(?<!\\)\}", text)
    assert len(blanks) == 4  # a 2×2 matrix
    key = _key_items(exported["key"])["matmul-square v01"]
    right = [float(b.split(":")[0].lstrip("=")) for b in blanks]
    assert right == [v for row in key["answer"]["A"] for v in row]
    mistaken = key["mistakes"]["A"]["no-transpose"]
    assert f"%0%{mistaken[0][0]:g}:" in blanks[0]


@pytest.mark.parametrize(("text", "expected"), [
    ("plain", "<![CDATA[plain]]>"),
    ("a ]]> b", "<![CDATA[a ]]]]><![CDATA[> b]]>"),
])
def test_cdata_splits_its_terminator(text, expected):
    assert cdata(text) == expected
    assert ET.fromstring(f"<t>{cdata(text)}</t>").text == text


@pytest.mark.parametrize(("value", "text"), [(100, "100"), (0, "0"), (33.33333, "33.33333"),
                                             (-50, "-50")])
def test_fractions_come_from_moodles_list(value, text):
    assert fraction(value) == text


@pytest.mark.parametrize("value", [33, 1, 99.5])
def test_other_fractions_are_refused(value):
    with pytest.raises(ValueError):
        fraction(value)


def test_cloze_escape():  # Moodle's multianswer reader unescapes \\} and \\# only
    assert cloze_escape('a}b#c~d/e"f\\g') == 'a\\}b\\#c-d/e"f/g'


def _gift_questions(text: str) -> list[str]:
    """Questions as Moodle's importer splits them: blocks between blank lines, no comments."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text)]
    return [b for b in blocks if b and not b.startswith("//") and not b.startswith("$CATEGORY")]


def _unescaped(text: str, chars: str) -> list[str]:
    return re.findall(rf"(?<!\\)[{re.escape(chars)}]", text.replace("\\\\", ""))


def test_gift_export_follows_moodles_rules(exported):
    text = exported["gift"].read_text(encoding="utf-8")
    categories = re.findall(r"^\$CATEGORY: (.+)$", text, re.M)
    assert len(categories) == len(set(categories))
    questions = _gift_questions(text)
    moodle = ET.fromstring(exported["moodle"].read_text(encoding="utf-8"))
    not_cloze = [q for q in moodle.findall("question") if q.get("type") not in
                 ("category", "cloze")]
    blanks = sum(q.findtext("questiontext/text").count("{1:NUMERICAL:")
                 for q in moodle.findall("question[@type='cloze']"))
    assert blanks and len(questions) == len(not_cloze) + blanks  # a matrix: one per entry
    entry = next(q for q in questions if q.startswith("::matmul-square v01 (A) [1,1]::"))
    assert "=%0%" in entry  # the mistakes' entries are still 0% answers with feedback
    for question in questions:
        head, _, body = question.partition("{")
        assert head.startswith("::") and "::[html]" in head
        assert not _unescaped(head.split("::[html]", 1)[1], "{}=~#")
        assert body.endswith("}")
        answers = body[:-1]
        if answers.startswith("#"):  # numerical: =%fraction%value:tolerance#feedback
            lines = [ln.strip() for ln in answers[1:].splitlines() if ln.strip()]
            graded = [ln for ln in lines if ln.startswith("=%")]
            assert graded[0].startswith("=%100%")
            for line in graded:
                weight, number, rest = re.match(r"=%(-?[0-9.]+)%(-?[0-9.e+-]+):(.*)",
                                                line).groups()
                assert float(weight) in ALLOWED_FRACTIONS
                float(number)
                tolerance, _, feedback = rest.partition("#")
                assert float(tolerance) >= 0
                assert not _unescaped(feedback, "=~{}")
            assert any(ln.startswith("~#") for ln in lines)


def test_gift_escape_round_trip():
    text = "a = b: {c} ~d #e \\ f\nline"
    escaped = gift_escape(text)
    assert not _unescaped(escaped, "={}~#:")
    restored = re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), escaped)
    assert restored == text


def test_qti_package_has_a_manifest_and_valid_items(exported):
    with zipfile.ZipFile(exported["qti"]) as package:
        names = set(package.namelist())
        manifest = ET.fromstring(package.read("imsmanifest.xml"))
        assert manifest.tag == f"{CP}manifest"
        resources = list(manifest.iter(f"{CP}resource"))
        assert resources and {r.get("href") for r in resources} == names - {"imsmanifest.xml"}
        kinds = set()
        for resource in resources:
            assert resource.get("type") == "imsqti_item_xmlv2p1"
            item = ET.fromstring(package.read(resource.get("href")))
            assert item.tag == f"{QTI}assessmentItem"
            declarations = item.findall(f"{QTI}responseDeclaration")
            base = {d.get("baseType") for d in declarations}
            kinds |= base
            if base == {"float"}:
                equal = item.find(f".//{QTI}equal")
                assert equal.get("toleranceMode") == "absolute"
                feedback = item.findall(f"{QTI}modalFeedback")
                branches = item.findall(f".//{QTI}responseElseIf")
                assert len(feedback) == len(branches)
            else:
                assert item.find(f".//{QTI}choiceInteraction") is not None
        assert kinds == {"float", "identifier"}


def test_export_bad_input(run, tmp_path):
    target = tmp_path / "q.xml"
    assert run("export", "--to", "canvas", "--seed", "s", "--out", str(target)).exit_code == 2
    assert run("export", "--to", "moodle", "--out", str(target)).exit_code == 2
    assert run("export", "--to", "moodle", "--seed", "s", "--variants", "0", "--out",
               str(target)).exit_code == 2
    assert run("export", "--to", "moodle", "--seed", "s", "--pick", "mul-wire", "--out",
               str(target)).exit_code == 0
    again = run("export", "--to", "moodle", "--seed", "s", "--pick", "mul-wire", "--out",
                str(target))
    assert again.exit_code == 1 and "--force" in again.stderr
    assert run("export", "--to", "moodle", "--seed", "s", "--pick", "mul-wire", "--force",
               "--out", str(target)).exit_code == 0
    summary = json.loads(run("export", "--to", "gift", "--seed", "s", "--pick",
                             "mul-wire,sigmoid-local", "--out", str(tmp_path / "q.txt"),
                             "--json").stdout)
    assert summary["questions"] == 5 * 2 and "sigmoid-local" in summary["notes"][0]


# --- gradebooks for Canvas and Gradescope ----------------------------------------------------

BANK = """
templates:
  - id: mul
    type: wire
    title: Multiply
    node: x * y
    inputs: {x: 3, y: -4}
    upstream: 2
  - id: tf
    type: truefalse
    title: Same gradient?
    prompt: A two-input node sends the same gradient to both wires.
    answer: false
"""


@pytest.fixture
def graded_set(run, write, tmp_path):
    bank = write("bank.yaml", BANK)
    roster = write("roster.csv", "student,name\ns1,Ana Lee\ns2,=HYPERLINK(1)\ns3,Cy\n")
    assert run("generate", str(bank), "--seed", "k", "--roster", str(roster), "--out",
               str(tmp_path / "set")).exit_code == 0
    write("in/s1.yaml", "student: s1\nanswers: {mul: {x: -8, y: 6}, tf: false}\n")
    write("in/s2.yaml", "student: s2\nanswers: {mul: {x: -24, y: 6}, tf: true}\n")
    return tmp_path


def test_canvas_gradebook_follows_the_importers_header_rules(run, graded_set):
    out = graded_set / "graded"
    result = run("grade", str(graded_set / "set" / "key.json"), str(graded_set / "in"),
                 "--format", "canvas", "--assignment", "Backprop quiz 1", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO((out / "canvas.csv").read_text(encoding="utf-8"))))
    header = rows[0]
    assert header[0] == "Student" and header[1] == "ID" and header[4] == "Section"
    assert header[5] == "Backprop quiz 1"
    assert rows[1][0] == "Points Possible" and rows[1][5] == "2"
    by_sis = {row[2]: row for row in rows[2:]}
    assert by_sis["s1"][0] == "Ana Lee" and by_sis["s1"][5] == "2"
    assert by_sis["s2"][0] == "'=HYPERLINK(1)" and by_sis["s2"][5] == "0.5"
    assert by_sis["s3"][5] == ""  # no submission: no score, not a zero
    assert (out / "grades.csv").exists() and (out / "results.json").exists()


def test_gradescope_results_for_one_submission(run, graded_set):
    out = graded_set / "gs"
    result = run("grade", str(graded_set / "set" / "key.json"),
                 str(graded_set / "in" / "s2.yaml"), "--format", "gradescope", "--out",
                 str(out))
    assert result.exit_code == 0, result.stderr
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert data["score"] == 0.5 and data["visibility"] == "visible"
    assert [t["status"] for t in data["tests"]] == ["failed", "failed"]
    assert [t["max_score"] for t in data["tests"]] == [1.0, 1.0]
    assert data["tests"][0]["score"] == 0.5
    assert BY_ID["forward-value"].description in data["tests"][0]["output"]


def test_gradescope_refuses_a_class_and_reports_an_unreadable_file(run, write, graded_set):
    key = str(graded_set / "set" / "key.json")
    many = run("grade", key, str(graded_set / "in"), "--format", "gradescope", "--out",
               str(graded_set / "gs"))  # Gradescope shows results.json: it must say why
    assert many.exit_code == 1 and "exactly one answer file" in many.stderr
    data = json.loads((graded_set / "gs" / "results.json").read_text(encoding="utf-8"))
    assert data["score"] == 0 and "exactly one answer file (found 2" in data["output"]
    broken = write("broken/answers.yaml", "student: [unclosed\n")
    result = run("grade", key, str(broken), "--format", "gradescope", "--out",
                 str(graded_set / "gs2"))
    assert result.exit_code == 1
    data = json.loads((graded_set / "gs2" / "results.json").read_text(encoding="utf-8"))
    assert data["score"] == 0 and "could not be graded" in data["output"]


def test_unknown_grade_format(run, graded_set):
    result = run("grade", str(graded_set / "set" / "key.json"), str(graded_set / "in"),
                 "--format", "blackboard", "--out", str(graded_set / "x"))
    assert result.exit_code == 2 and "--format" in result.stderr


# --- JSON Schemas ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def validators():
    import jsonschema

    from quizgrad.bank.schema import bank_schema, submission_schema

    for schema in (bank_schema(), submission_schema()):
        jsonschema.Draft202012Validator.check_schema(schema)
    return (jsonschema.Draft202012Validator(bank_schema()),
            jsonschema.Draft202012Validator(submission_schema()))


def test_the_bundled_banks_validate(validators):
    from quizgrad.bank.load import bank_files, bundled_dir

    for path in bank_files([bundled_dir()]):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert list(validators[0].iter_errors(data)) == [], path


@pytest.mark.parametrize(("change", "fragment"), [
    ({"colour": 1}, "'colour' was unexpected"),
    ({"type": "essay"}, "'essay' is not one of"),
    ({"tests": [{"answer": 1, "mistakes": ["no-such-mistake"]}]}, "not valid"),
    ({"points": -1}, "less than or equal to the minimum of 0"),
])
def test_a_bad_bank_does_not_validate(validators, change, fragment):
    template = {"id": "t", "type": "wire", "title": "T", "node": "x*y",
                "inputs": {"x": 1, "y": 2}, **change}
    errors = [e.message for e in validators[0].iter_errors({"templates": [template]})]
    assert any(fragment in e for e in errors), errors


def test_a_generated_answer_file_validates(validators, run, tmp_path):
    assert run("generate", "--seed", "v", "--count", "1", "--out",
               str(tmp_path / "set")).exit_code == 0
    blank = yaml.safe_load((tmp_path / "set" / "answers" / "v01.yaml").read_text("utf-8"))
    assert list(validators[1].iter_errors(blank)) == []
    assert list(validators[1].iter_errors({"student": "x"}))  # answers are required


def test_schema_command(run):
    result = run("schema", "bank")
    assert result.exit_code == 0 and json.loads(result.stdout)["title"]
    assert run("schema", "submission").exit_code == 0
    assert run("schema", "key").exit_code == 2


# --- edge cases found in review -------------------------------------------------------------

def test_no_seed_or_bank_name_can_break_the_files(run, write, tmp_path):
    bank = write("evil.yaml", """
        bank: "evil\\n::Injected::Pwned {T}"
        templates:
          - id: tf
            type: truefalse
            title: T
            prompt: A statement.
            answer: true
        """)
    seed = "fall--26\n::x::{T}"
    assert run("export", str(bank), "--to", "moodle", "--seed", seed, "--out",
               str(tmp_path / "q.xml")).exit_code == 0
    ET.fromstring((tmp_path / "q.xml").read_text(encoding="utf-8"))  # still well-formed
    assert run("export", str(bank), "--to", "gift", "--seed", seed, "--variants", "1",
               "--out", str(tmp_path / "q.txt")).exit_code == 0
    questions = _gift_questions((tmp_path / "q.txt").read_text(encoding="utf-8"))
    assert len(questions) == 1 and questions[0].startswith("::tf v01::")


def test_an_export_with_nothing_in_it_is_an_error(run, tmp_path):
    result = run("export", "--to", "moodle", "--seed", "s", "--pick", "sigmoid-local",
                 "--out", str(tmp_path / "q.xml"))
    assert result.exit_code == 1 and "nothing to export" in result.stderr


def test_an_unwritable_output_is_a_message_not_a_traceback(run, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    for args in (["export", "--to", "gift", "--seed", "s", "--pick", "mul-wire", "--out",
                  str(blocker / "q.txt")],
                 ["generate", "--seed", "s", "--count", "1", "--pick", "mul-wire", "--out",
                  str(blocker / "set")]):
        result = run(*args)
        assert result.exit_code == 1 and "Traceback" not in result.output + result.stderr
        assert str(blocker) in result.stderr


def test_canvas_needs_an_assignment_title(run, graded_set):
    result = run("grade", str(graded_set / "set" / "key.json"), str(graded_set / "in"),
                 "--format", "canvas", "--assignment", " ", "--out", str(graded_set / "c"))
    assert result.exit_code == 2 and "--assignment" in result.stderr
