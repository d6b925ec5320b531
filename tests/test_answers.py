"""Reading answer files defensively: every kind of bad file is a clear Unreadable."""

from __future__ import annotations

import codecs

import pytest

from quizgrad.grading.answers import Submission, Unreadable, collect, read

GOOD = "student: s1\nanswers:\n  mul: {x: -8, y: 6}\n  sig: \"s*(1-s)\"\n  tf: false\n"


def _read_bytes(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return read(path)


@pytest.mark.parametrize(("name", "data"), [
    ("plain.yaml", GOOD.encode()),
    ("bom.yaml", codecs.BOM_UTF8 + GOOD.encode()),
    ("utf16.yaml", GOOD.encode("utf-16")),
    ("crlf.yaml", GOOD.replace("\n", "\r\n").encode()),
    ("sub.yml", GOOD.encode()),
    ("sub.json", b'{"student": "s1", "answers": {"mul": {"x": -8, "y": 6}, "sig": "s*(1-s)",'
                 b' "tf": false}}'),
])
def test_encodings_and_formats_are_read(tmp_path, name, data):
    (submission,) = _read_bytes(tmp_path, name, data)
    assert isinstance(submission, Submission), submission
    assert submission.student == "s1"
    assert submission.answers["mul"] == {"x": -8, "y": 6}
    assert submission.answers["sig"] == "s*(1-s)" and submission.answers["tf"] is False


BAD = [
    ("broken.yaml", b"student: s1\nanswers: [1, 2\n", "malformed YAML (line 3"),
    ("broken.json", b'{"student": "s1", "answers": ', "malformed JSON"),
    ("dup.json", b'{"student": "s1", "student": "s2"}', "duplicate key 'student'"),
    ("binary.yaml", b"\x00\x01\x02\xff\xfe", "binary file"),
    ("latin1.yaml", "student: s\xe9\n".encode("latin-1"), "not UTF-8"),
    ("empty.yaml", b"", "empty"),
    ("blank.json", b"  \n\n ", "empty"),
    ("list.yaml", b"- 1\n- 2\n", "expected a mapping"),
    ("scalar.json", b"42", "expected a mapping"),
    ("nostudent.yaml", b"answers: {a: 1}\n", "no 'student'"),
    ("answers-list.yaml", b"student: s1\nanswers: [1, 2]\n", "'answers' must be a mapping"),
    ("python.yaml", b"student: !!python/object/apply:os.system ['echo hi']\n",
     "could not determine a constructor"),
    ("bomb.yaml", b"a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nstudent: s1\n",
     "anchors and aliases"),
    ("escape.yaml", b"student: ../../x\nanswers: {}\n", "may only use"),
    ("absolute.yaml", b"student: /etc/passwd\nanswers: {}\n", "may only use"),
    ("nul.json", b'{"student": "a\\u0000b", "answers": {}}', "may only use"),
    ("deep.json", b"[" * 100_000 + b"]" * 100_000, "malformed JSON"),
]


@pytest.mark.parametrize(("name", "data", "fragment"), BAD, ids=[b[0] for b in BAD])
def test_bad_files_are_unreadable_with_a_reason(tmp_path, name, data, fragment):
    (result,) = _read_bytes(tmp_path, name, data)
    assert isinstance(result, Unreadable)
    assert fragment in result.reason


def test_files_over_the_size_limit_are_refused(tmp_path):
    (result,) = _read_bytes(tmp_path, "big.yaml", b"student: s1\n#" + b"x" * 1_100_000)
    assert isinstance(result, Unreadable) and "too large" in result.reason


def test_csv_rows_become_submissions(tmp_path):
    data = (b"student,name,mul.x,mul.y,sig,tf\n"
            b"s1,Ana,-8,6,s*(1-s),false\n"
            b"s2,Bo,,,,\n"
            b"=HYPERLINK(1),Eve,1,2,3,4\n")
    first, second, third = _read_bytes(tmp_path, "class.csv", data)
    assert first.answers == {"mul": {"x": "-8", "y": "6"}, "sig": "s*(1-s)", "tf": "false"}
    assert second.answers == {"mul": {"x": None, "y": None}, "sig": None, "tf": None}
    assert isinstance(third, Unreadable) and "row 4" in third.file


def test_csv_without_student_column(tmp_path):
    (result,) = _read_bytes(tmp_path, "bad.csv", b"name,mul\nAna,1\n")
    assert isinstance(result, Unreadable) and "'student' column" in result.reason


def test_collect_finds_answer_files_and_reports_others(tmp_path):
    (tmp_path / "in").mkdir()
    for name in ("b.yaml", "a.json", "c.csv", "notes.txt"):
        (tmp_path / "in" / name).write_text("x", encoding="utf-8")
    (tmp_path / "odd.txt").write_text("x", encoding="utf-8")
    files, problems = collect([tmp_path / "in", tmp_path / "odd.txt", tmp_path / "nope.yaml"])
    assert [p.name for p in files] == ["a.json", "b.yaml", "c.csv"]
    assert [p.reason.split(" (")[0] for p in problems] == ["not an answer file", "no such file"]


def test_unknown_top_level_keys_are_warnings(tmp_path):
    (result,) = _read_bytes(tmp_path, "w.yaml", b"student: s1\nanswers: {}\ncolour: red\n")
    assert isinstance(result, Submission) and "colour" in result.warnings[0]
