"""quizgrad grade: a whole class checked by hand, conflicts, bad files, paths, spreadsheets."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from quizgrad.formats.gradebook import safe_cell
from quizgrad.grading import answers

BANK = """
templates:
  - id: mul
    type: wire
    title: Multiply
    node: x * y
    inputs: {x: 3, y: -4}
    upstream: 2
  - id: relu
    type: wire
    title: ReLU
    node: relu(x)
    inputs: {x: -2}
    upstream: 3
  - id: sig
    type: local
    title: Sigmoid
    node: sigmoid(x)
    inputs: [x]
    let: {s: sigmoid(x)}
  - id: two
    type: choice
    title: Two values
    prompt: Which two values does a node multiply?
    choices:
      - {text: upstream and local, correct: true}
      - {text: upstream and forward value, mistake: forward-value}
      - {text: local alone}
  - id: tf
    type: truefalse
    title: Same gradient?
    prompt: A two-input node sends the same gradient to both wires.
    answer: false
    mistake: same-gradient
"""

SUBMISSIONS = {
    "v01.yaml": "student: v01\nanswers:\n  mul: {x: -8, y: 6}\n  relu: 0\n  sig: \"s*(1-s)\"\n"
                "  two: a\n  tf: false\n",
    "v02.yaml": "student: v02\nanswers:\n  mul: {x: -24, y: -24}\n  relu: 3\n"
                "  sig: \"x*(1-x)\"\n  two: b\n  tf: true\n",
    "v03.json": '{"student": "v03", "answers": {"mul": {"x": "-8", "y": "six"}, "relu": "",'
                ' "sig": "s*(1-", "two": "z", "tf": "yes", "bogus": 1}}',
    "v04.yaml": "student: v04\nanswers: [broken\n",
    "v05-a.yaml": "student: v05\nanswers: {tf: false}\n",
    "v05-b.yaml": "student: v05\nanswers: {tf: true}\n",
    "nobody.yaml": "student: nobody\nanswers: {tf: false}\n",
}


@pytest.fixture
def graded(run, write, tmp_path):
    bank = write("bank.yaml", BANK)
    assert run("generate", str(bank), "--seed", "c", "--count", "6", "--out",
               str(tmp_path / "set")).exit_code == 0
    folder = tmp_path / "in"
    folder.mkdir()
    for name, text in SUBMISSIONS.items():
        (folder / name).write_text(text, encoding="utf-8")
    result = run("grade", str(tmp_path / "set" / "key.json"), str(folder), "--out",
                 str(tmp_path / "out"))
    data = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    return result, data, tmp_path / "out"


def _student(data, name):
    return next(s for s in data["students"] if s["student"] == name)


def _item(student, name):
    return next(i for i in student["items"] if i["item"] == name)


def test_statuses_in_key_order_and_exit_status(graded):
    result, data, _ = graded
    assert result.exit_code == 1  # some files could not be graded
    assert [(s["student"], s["status"]) for s in data["students"]] == [
        ("v01", "graded"), ("v02", "graded"), ("v03", "graded"), ("v04", "error"),
        ("v05", "error"), ("v06", "missing")]
    assert [s["points"] for s in data["students"]] == [5, 0, 0.5, 0, 0, 0]
    assert all(s["max_points"] == 5 for s in data["students"])


def test_a_perfect_submission(graded):
    _, data, _ = graded
    v01 = _student(data, "v01")
    assert {i["item"]: i["verdict"] for i in v01["items"]} == dict.fromkeys(
        ["mul", "relu", "sig", "two", "tf"], "correct")
    assert all(i["mistakes"] == [] for i in v01["items"])


def test_planted_mistakes_are_named(graded):
    _, data, _ = graded
    v02 = _student(data, "v02")
    mul = _item(v02, "mul")  # g*f = 2 * (-12) = -24 on both wires
    assert mul["verdict"] == "wrong"
    assert [p["wire"] for p in mul["parts"]] == ["x", "y"]
    assert all(p["mistakes"] == ["forward-value", "same-gradient"] for p in mul["parts"])
    assert [p["expected"] for p in mul["parts"]] == ["-8", "6"]
    relu = _item(v02, "relu")  # the gate is closed; 3 is the upstream gradient passed through
    assert relu["verdict"] == "wrong" and "upstream-only" in relu["mistakes"]
    assert _item(v02, "sig")["mistakes"] == ["wrong-stored-value"]
    assert _item(v02, "two")["mistakes"] == ["forward-value"]
    assert _item(v02, "tf")["mistakes"] == ["same-gradient"]


def test_invalid_and_missing_are_not_wrong(graded):
    _, data, _ = graded
    v03 = _student(data, "v03")
    mul = _item(v03, "mul")
    assert [p["verdict"] for p in mul["parts"]] == ["correct", "invalid"]
    assert mul["points"] == 0.5 and mul["verdict"] == "invalid"
    assert "at position 1" in mul["parts"][1]["message"]
    assert _item(v03, "relu")["verdict"] == "missing"
    assert _item(v03, "sig")["verdict"] == "invalid"
    assert _item(v03, "two")["verdict"] == "invalid"
    assert _item(v03, "tf")["verdict"] == "wrong"  # "yes" is read as true
    assert v03["warnings"] == ["answer for unknown item 'bogus' ignored"]


def test_errors_list_every_file_that_could_not_be_graded(graded):
    _, data, _ = graded
    reasons = {Path(e["file"]).name: e["reason"] for e in data["errors"]}
    assert set(reasons) == {"v04.yaml", "v05-a.yaml", "v05-b.yaml", "nobody.yaml"}
    assert "malformed YAML" in reasons["v04.yaml"]
    assert "conflict: 2 submissions for 'v05'" in reasons["v05-a.yaml"]
    assert "none was graded" in reasons["v05-b.yaml"]
    assert "not in the key" in reasons["nobody.yaml"]
    assert "conflict" in _student(data, "v05")["error"]


def test_misconception_table(graded):
    _, data, _ = graded
    table = data["mistakes"]
    assert table["forward-value"]["students"] == 1
    assert table["forward-value"]["items"] == {"mul": 1, "two": 1}
    assert table["same-gradient"]["students"] == 2  # v02 (mul, tf) and v03 (tf)
    assert table["same-gradient"]["items"] == {"tf": 2, "mul": 1}
    assert table["wrong-stored-value"]["items"] == {"sig": 1}
    assert next(iter(table)) == "same-gradient"  # most students first
    assert table["forward-value"]["description"].startswith("multiplied the upstream")


def test_gradebook_rows(graded):
    _, _, out = graded
    rows = list(csv.reader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8"))))
    assert rows[0] == ["student", "variant", "status", "points", "max_points", "percent",
                       "mul", "relu", "sig", "two", "tf"]
    assert rows[1] == ["v01", "v01", "graded", "5", "5", "100", "1", "1", "1", "1", "1"]
    assert rows[3][:6] == ["v03", "v03", "graded", "0.5", "5", "10"]
    assert rows[4][:3] == ["v04", "v04", "error"] and rows[6][:3] == ["v06", "v06", "missing"]


def test_feedback_files_explain_with_the_students_numbers(graded):
    _, _, out = graded
    assert sorted(p.name for p in (out / "feedback").iterdir()) == [
        "v01.md", "v02.md", "v03.md", "v04.md", "v05.md"]
    text = (out / "feedback" / "v02.md").read_text(encoding="utf-8")
    assert "That is 2 × (-12) = -24: you multiplied the upstream gradient by the forward " \
           "value f" in text
    assert "The local gradient is df/dx = y = -4, so wire x gets 2 × (-4) = -8." in text
    assert "**0 of 5 points**" in text
    assert "Not graded" in (out / "feedback" / "v05.md").read_text(encoding="utf-8")


def test_terminal_summary_leads_with_misconceptions(graded):
    result, _, _ = graded
    text = result.stdout
    assert text.index("misconceptions") < text.index("score distribution") < text.index(
        "item difficulty")
    assert "same-gradient" in text and "not in the key" in text


def test_a_rerun_replaces_reports_cleanly(run, write, tmp_path, graded):
    _, _, out = graded
    folder = tmp_path / "again"
    folder.mkdir()
    (folder / "v01.yaml").write_text(SUBMISSIONS["v01.yaml"], encoding="utf-8")
    result = run("grade", str(tmp_path / "set" / "key.json"), str(folder), "--out", str(out))
    assert result.exit_code == 0
    assert sorted(p.name for p in (out / "feedback").iterdir()) == ["v01.md"]
    assert sorted(p.name for p in out.iterdir()) == ["feedback", "grades.csv", "results.json"]


def test_grading_one_file_prints_the_students_feedback(run, graded, tmp_path):
    one = tmp_path / "in" / "v02.yaml"
    result = run("grade", str(tmp_path / "set" / "key.json"), str(one), "--out",
                 str(tmp_path / "single"))
    assert result.exit_code == 0
    assert "v02: 0 of 5 points" in result.stdout
    assert "You sent -24, which is wrong." in result.stdout


def test_csv_submissions(run, write, tmp_path, graded):
    sheet = tmp_path / "form.csv"
    sheet.write_text("student,mul.x,mul.y,relu,sig,two,tf\nv01,-8,6,0,s*(1-s),a,false\n"
                     "v02,-8,,0,,,\n", encoding="utf-8")
    result = run("grade", str(tmp_path / "set" / "key.json"), str(sheet), "--out",
                 str(tmp_path / "csvout"), "--json")
    summary = json.loads(result.stdout)
    assert summary["scores"]["v01"] == 5 and summary["scores"]["v02"] == 1.5
    assert result.exit_code == 0


def test_hostile_answer_strings_are_invalid_not_crashes(run, tmp_path, graded):
    hostile = ["__import__('os').system('touch pwned')", "9**9**9", "(" * 5000 + "1",
               "x" * 100_000, "exp(exp(exp(9)))", "\\x00", "{{7*7}}", "'; DROP TABLE"]
    folder = tmp_path / "hostile"
    folder.mkdir()
    answers = {"mul": {"x": hostile[0], "y": hostile[1]}, "relu": hostile[2],
               "sig": hostile[3], "two": hostile[4], "tf": hostile[5]}
    (folder / "v01.json").write_text(json.dumps({"student": "v01", "answers": answers}),
                                     encoding="utf-8")
    result = run("grade", str(tmp_path / "set" / "key.json"), str(folder), "--out",
                 str(tmp_path / "h"))
    assert result.exit_code == 0, result.stderr
    data = json.loads((tmp_path / "h" / "results.json").read_text(encoding="utf-8"))
    verdicts = [p["verdict"] for i in data["students"][0]["items"] for p in i["parts"]]
    assert set(verdicts) == {"invalid"}
    assert not (Path.cwd() / "pwned").exists()


def test_student_ids_never_leave_the_output_folder(run, tmp_path, graded):
    key = json.loads((tmp_path / "set" / "key.json").read_text(encoding="utf-8"))
    key["variants"][0]["student"] = "../../escaped"
    key["variants"][1]["student"] = "=HYPERLINK(\"http://x\")"
    (tmp_path / "evil-key.json").write_text(json.dumps(key), encoding="utf-8")
    folder = tmp_path / "evil"
    folder.mkdir()
    (folder / "a.yaml").write_text("student: ../../escaped\nanswers: {}\n", encoding="utf-8")
    out = tmp_path / "deep" / "out"
    result = run("grade", str(tmp_path / "evil-key.json"), str(folder), "--out", str(out))
    assert result.exit_code == 1
    assert not (tmp_path / "escaped.md").exists()
    assert not list(tmp_path.rglob("escaped*"))
    rows = (out / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert any(row.startswith("\"'=HYPERLINK") for row in rows)


@pytest.mark.parametrize(("value", "safe"), [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("s001", "s001"), ("", ""), (None, ""),
])
def test_spreadsheet_neutralisation(value, safe):
    assert safe_cell(value) == safe


def test_bad_key_and_usage(run, tmp_path):
    (tmp_path / "k.json").write_text('{"format": "other"}', encoding="utf-8")
    result = run("grade", str(tmp_path / "k.json"), str(tmp_path), "--out", str(tmp_path / "o"))
    assert result.exit_code == 1 and "not a quizgrad answer key" in result.stderr
    assert run("grade", str(tmp_path / "k.json"), str(tmp_path)).exit_code == 2
    missing = run("grade", str(tmp_path / "none.json"), str(tmp_path), "--out", "o")
    assert missing.exit_code == 1 and "no such file" in missing.stderr


def test_one_absurdly_nested_answer_file_does_not_stop_the_class(run, write, tmp_path):
    bank = write("b.yaml", BANK)
    assert run("generate", str(bank), "--seed", "n", "--count", "2", "--out",
               str(tmp_path / "set")).exit_code == 0
    deep = "[" * 500 + "1" + "]" * 500
    write("in/v01.yaml", f"student: v01\nanswers: {{mul: {{x: {deep}}}}}\n")
    write("in/v02.yaml", "student: v02\nanswers: {tf: false}\n")
    result = run("grade", str(tmp_path / "set" / "key.json"), str(tmp_path / "in"), "--out",
                 str(tmp_path / "out"))
    assert result.exit_code == 1
    data = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    status = {s["student"]: s["status"] for s in data["students"]}
    assert status == {"v01": "error", "v02": "graded"}
    assert "nested" in next(e["reason"] for e in data["errors"])


REFINED = """
templates:
  - id: sig
    type: wire
    title: Sigmoid
    node: sigmoid(x)
    inputs: {x: 0}
    upstream: 2
"""


def test_a_refined_mistake_counts_under_its_parent_and_the_teaching_page_is_always_shown(
        run, write, tmp_path):
    key = tmp_path / "set" / "key.json"
    run("generate", str(write("refined.yaml", REFINED)), "--seed", "r", "--count", "3",
        "--out", str(tmp_path / "set"))
    folder = tmp_path / "in"
    folder.mkdir()
    answers = {"v01": "sig: 1", "v02": "sig: 1", "v03": "sig: 0.5"}
    for student, text in answers.items():  # sig: g * s = 1 is sigmoid-value-only
        (folder / f"{student}.yaml").write_text(f"student: {student}\nanswers:\n  {text}\n",
                                               encoding="utf-8")
    result = run("grade", str(key), str(folder), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stdout
    table = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))[
        "mistakes"]
    assert table["sigmoid-value-only"]["students"] == 2
    assert table["forward-value"] == {
        "description": table["forward-value"]["description"], "students": 2,
        "items": {"sig": 2}, "includes": ["sigmoid-value-only"]}
    assert table["sigmoid-value-only"]["includes"] == []
    assert table["same-gradient"]["students"] == table["upstream-only"]["students"] == 0
    assert list(table)[-2:] == ["same-gradient", "upstream-only"]  # nobody: listed last
    text = " ".join(result.stdout.split())
    assert "incl. sigmoid-value-only" in text


ONE = """
templates:
  - id: tf
    type: truefalse
    title: Same gradient?
    prompt: A two-input node sends the same gradient to both wires.
    answer: false
"""


@pytest.fixture
def linked(run, write, tmp_path):
    """A key for v01..v03 and a handed-in folder with links in it (some leading outside)."""
    run("generate", str(write("one.yaml", ONE)), "--seed", "l", "--count", "3", "--out",
        str(tmp_path / "set"))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("student: v02\nanswers: {tf: false}\n",
                                         encoding="utf-8")
    (outside / "deep.yaml").write_text("student: v03\nanswers: {tf: false}\n",
                                       encoding="utf-8")
    folder = tmp_path / "handed-in"
    folder.mkdir()
    (folder / "v01.yaml").write_text("student: v01\nanswers: {tf: false}\n", encoding="utf-8")
    (folder / "evil.yaml").symlink_to(outside / "secret.yaml")
    (folder / "away").symlink_to(outside, target_is_directory=True)
    (folder / "gone.yaml").symlink_to(tmp_path / "nothing.yaml")
    (folder / "loop.yaml").symlink_to(folder / "loop.yaml")
    (folder / "again.yaml").symlink_to(folder / "v01.yaml")  # within: v01 is read once
    return tmp_path / "set" / "key.json", folder


def test_links_out_of_the_handed_in_folder_are_refused_without_being_read(run, tmp_path,
                                                                          linked, monkeypatch):
    key, folder = linked
    opened = []
    real_read = answers.read
    monkeypatch.setattr(answers, "read", lambda path: opened.append(path) or real_read(path))
    result = run("grade", str(key), str(folder), "--out", str(tmp_path / "out"))
    assert [p.name for p in opened] == ["v01.yaml"]  # nothing else was even opened
    assert result.exit_code == 1  # some files could not be graded
    data = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert [(s["student"], s["status"]) for s in data["students"]] == [
        ("v01", "graded"), ("v02", "missing"), ("v03", "missing")]  # secret.yaml: never read
    reasons = {Path(e["file"]).name: e["reason"] for e in data["errors"]}
    assert reasons == {
        "away": f"a link to a folder outside {folder}: not searched",
        "evil.yaml": f"a link to a file outside {folder}: not read",
        "gone.yaml": "a link that leads nowhere (or loops): not read",
        "loop.yaml": "a link that leads nowhere (or loops): not read"}
    assert "Traceback" not in result.stdout + result.stderr


def test_a_link_named_on_the_command_line_is_read(run, tmp_path, linked):
    key, folder = linked
    result = run("grade", str(key), str(folder / "evil.yaml"), "--out", str(tmp_path / "out"),
                 "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["scores"]["v02"] == 1.0
