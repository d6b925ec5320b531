"""quizgrad generate: determinism, roster stability, golden files, the key, sheets, bad input."""

from __future__ import annotations

import json
import os
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sympy as sp
import yaml

from quizgrad.bank.load import load_banks
from quizgrad.formats.keyfile import read_key
from quizgrad.items.generate import GenerationError, anonymous, pick, write_set
from quizgrad.math.engine import Node, solve

GOLDEN = Path(__file__).parent / "golden" / "generate"
PICK = "seed-mul-wire,seed-two-values,seed-same-gradient,sigmoid-local,div-wire"


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def roster(path: Path, ids: list[str]) -> Path:
    path.write_text("student,name,email\n" + "".join(f"{i},Name {i},{i}@uni.example\n"
                                                     for i in ids), encoding="utf-8")
    return path


def test_same_command_gives_byte_identical_files(run, tmp_path):
    for name in ("a", "b"):
        result = run("generate", "--seed", "s1", "--count", "3", "--out", str(tmp_path / name))
        assert result.exit_code == 0, result.stderr
    first, second = files(tmp_path / "a"), files(tmp_path / "b")
    assert first == second
    assert sorted(first) == sorted(
        ["key.json"] + [f"sheets/v0{i}.{e}" for i in (1, 2, 3) for e in ("html", "md")]
        + [f"answers/v0{i}.yaml" for i in (1, 2, 3)])


def test_different_seeds_give_different_numbers(run, tmp_path):
    run("generate", "--seed", "one", "--count", "1", "--out", str(tmp_path / "a"))
    run("generate", "--seed", "two", "--count", "1", "--out", str(tmp_path / "b"))
    assert files(tmp_path / "a")["key.json"] != files(tmp_path / "b")["key.json"]


def test_adding_a_student_changes_nobody_elses_variant(run, tmp_path):
    small = roster(tmp_path / "small.csv", ["ana", "bo"])
    large = roster(tmp_path / "large.csv", ["zed", "ana", "carl", "bo"])
    run("generate", "--seed", "r", "--roster", str(small), "--out", str(tmp_path / "s"))
    run("generate", "--seed", "r", "--roster", str(large), "--out", str(tmp_path / "l"))
    before, after = files(tmp_path / "s"), files(tmp_path / "l")
    for name in ("sheets/ana.md", "sheets/bo.md", "sheets/ana.html", "answers/bo.yaml"):
        assert before[name] == after[name]
    key_small = json.loads(before["key.json"])
    key_large = json.loads(after["key.json"])
    by_student = {v["student"]: v for v in key_large["variants"]}
    for variant in key_small["variants"]:
        assert by_student[variant["student"]]["items"] == variant["items"]
    assert [v["student"] for v in key_large["variants"]] == ["zed", "ana", "carl", "bo"]


def test_golden_set(run, tmp_path):
    out = tmp_path / "set"
    result = run("generate", "--seed", "golden", "--count", "2", "--pick", PICK, "--out",
                 str(out))
    assert result.exit_code == 0, result.stderr
    produced = files(out)
    if os.environ.get("QUIZGRAD_UPDATE_GOLDEN"):
        for name, data in produced.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_bytes(data)
    expected = files(GOLDEN)
    assert sorted(produced) == sorted(expected)
    for name in expected:
        assert produced[name] == expected[name], f"{name} differs from tests/golden/generate"


def test_key_items_are_complete_and_agree_with_the_engine(run, tmp_path):
    out = tmp_path / "set"
    run("generate", "--seed", "k", "--count", "4", "--out", str(out))
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    assert key["format"] == "quizgrad-key/1" and key["seed"] == "k"
    assert {b["name"] for b in key["banks"]} == {"seed", "nodes", "composite", "local",
                                                 "circuits", "matrices", "networks"}
    assert all(len(b["sha256"]) == 64 for b in key["banks"])
    assert [v["id"] for v in key["variants"]] == ["v1", "v2", "v3", "v4"] or \
        [v["id"] for v in key["variants"]] == ["v01", "v02", "v03", "v04"]
    for variant in key["variants"]:
        assert variant["student"] is None
        for item in variant["items"]:
            assert {"id", "template", "type", "prompt", "points", "tolerance"} <= set(item)
            if item["type"] != "wire":
                continue
            assert {"node", "inputs", "upstream", "ask", "answer", "answer_exact",
                    "mistakes"} <= set(item)
            values = {n: sp.Rational(v) for n, v in item["inputs_exact"].items()}
            solution = solve(Node.parse(item["node"], values), values,
                             sp.Rational(item["upstream_exact"]))
            tol = item["tolerance"]
            for wire in item["ask"]:
                exact = solution.wire(wire).gradient
                assert item["answer"][wire] == pytest.approx(float(exact.evalf(30)),
                                                             rel=1e-12, abs=1e-12)
                for mistake, value in item["mistakes"][wire].items():  # discriminating
                    width = max(tol["relative"] * abs(float(exact.evalf(20))), tol["absolute"])
                    assert abs(value - float(exact.evalf(20))) > width, (item["id"], mistake)


def test_read_key_rebuilds_the_items(run, tmp_path):
    out = tmp_path / "set"
    run("generate", "--seed", "rk", "--count", "2", "--out", str(out))
    key = read_key(out / "key.json")
    raw = json.loads((out / "key.json").read_text(encoding="utf-8"))
    assert [v.id for v in key.variants] == [v["id"] for v in raw["variants"]]
    for variant, data in zip(key.variants, raw["variants"], strict=True):
        for item, entry in zip(variant.items, data["items"], strict=True):
            assert item.id == entry["id"] and item.prompt == entry["prompt"]
            if entry["type"] == "wire":
                assert {w: float(v) for w, v in item.expected.items()} == pytest.approx(
                    entry["answer"])


class _Sheet(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.sections = 0
        self.svgs = 0
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)
        self.sections += tag == "section"
        self.svgs += tag == "svg"

    def handle_data(self, data: str) -> None:
        self.text += data


def test_html_sheet_is_self_contained_and_complete(run, tmp_path):
    out = tmp_path / "set"
    run("generate", "--seed", "h", "--count", "1", "--out", str(out))
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    items = key["variants"][0]["items"]
    sheet = _Sheet()
    sheet.feed((out / "sheets" / "v01.html").read_text(encoding="utf-8"))
    assert sheet.sections == len(items)
    drawn = ("wire", "circuit", "matrix", "network")
    assert sheet.svgs == sum(item["type"] in drawn for item in items)
    assert "style" in sheet.tags and "script" not in sheet.tags
    assert not [v for k, v in sheet.attrs if k in ("src", "href")]  # nothing external
    for item in items:
        assert item["title"] in sheet.text
    first_wire = next(i for i in items if i["type"] == "wire")
    for name, value in first_wire["inputs"].items():
        assert f"{name} = {value:g}" in sheet.text
    assert "@media print" in (out / "sheets" / "v01.html").read_text(encoding="utf-8")


def test_html_escapes_bank_text(run, write, tmp_path):
    bank = write("evil.yaml", """
        templates:
          - id: evil
            type: truefalse
            title: "<script>alert(1)</script>"
            prompt: "a <b>bold</b> & claim"
            answer: true
        """)
    out = tmp_path / "set"
    assert run("generate", str(bank), "--seed", "e", "--count", "1", "--out",
               str(out)).exit_code == 0
    html = (out / "sheets" / "v01.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; claim" in html


def test_answer_templates_are_blank_valid_submissions(run, tmp_path):
    ids = ["s1", "s2"]
    out = tmp_path / "set"
    run("generate", "--seed", "t", "--roster", str(roster(tmp_path / "r.csv", ids)), "--out",
        str(out))
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    for variant in key["variants"]:
        text = (out / "answers" / f"{variant['student']}.yaml").read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        assert data["student"] == variant["student"]
        assert list(data["answers"]) == [item["id"] for item in variant["items"]]
        for item in variant["items"]:
            answer = data["answers"][item["id"]]
            if item["type"] in ("wire", "circuit", "matrix", "network") and len(item["ask"]) > 1:
                assert answer == dict.fromkeys(item["ask"])
            else:
                assert answer in (None, "")
        assert "# " in text  # comments say what goes where


def test_pick_selects_templates_in_bank_order(run, tmp_path):
    out = tmp_path / "set"
    run("generate", "--seed", "p", "--count", "1", "--pick", "div-wire", "--pick",
        "seed-mul-wire", "--out", str(out))
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    assert [i["id"] for i in key["variants"][0]["items"]] == ["seed-mul-wire", "div-wire"]


def test_json_summary(run, tmp_path):
    result = run("generate", "--seed", "j", "--count", "2", "--out", str(tmp_path / "o"),
                 "--json")
    data = json.loads(result.stdout)
    assert data["variants"] == 2 and data["items_per_variant"] == 48
    assert data["points_per_variant"] == 53  # the three network items are worth 8


BAD_ROSTERS = [
    ("name,email\nAna,a@x\n", "no 'student' column"),
    ("student,name\n", "no students"),
    ("", "empty"),
    ("student\nana\nana\n", "duplicate student id 'ana'"),
    ("student,name\n,Nobody\n", "is empty"),
    ("student\n../../evil\n", "may only use"),
    ("student\n/abs/path\n", "may only use"),
]


@pytest.mark.parametrize(("text", "fragment"), BAD_ROSTERS, ids=[b[1] for b in BAD_ROSTERS])
def test_bad_rosters_are_refused_and_nothing_is_written(run, tmp_path, text, fragment):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = run("generate", "--seed", "x", "--roster", str(path), "--out", str(out))
    assert result.exit_code == 1
    assert fragment in result.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roster.csv"]


def test_unknown_pick_is_refused(run, tmp_path):
    result = run("generate", "--seed", "x", "--count", "1", "--pick", "nope,mul-wire",
                 "--out", str(tmp_path / "o"))
    assert result.exit_code == 1 and "unknown template id(s) for --pick: nope" in result.stderr
    assert not (tmp_path / "o").exists()


def test_non_empty_output_is_refused_unless_forced(run, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    result = run("generate", "--seed", "x", "--count", "1", "--out", str(out))
    assert result.exit_code == 1 and "not empty" in result.stderr
    assert (out / "keep.txt").read_text(encoding="utf-8") == "mine"
    forced = run("generate", "--seed", "x", "--count", "1", "--out", str(out), "--force")
    assert forced.exit_code == 0
    assert not (out / "keep.txt").exists() and (out / "key.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["o"]  # no staging folders left behind


@pytest.mark.parametrize(("args", "fragment"), [
    (["--count", "2"], "--seed"),
    (["--seed", "x"], "exactly one of --count"),
    (["--seed", "x", "--count", "1", "--roster", "r.csv"], "exactly one of --count"),
    (["--seed", "x", "--count", "0"], "at least 1"),
    (["--seed", "x", "--count", "2"], "--out"),
])
def test_usage_errors(run, tmp_path, args, fragment):
    result = run("generate", *args)
    assert result.exit_code == 2 and fragment in result.stderr


UNDRAWABLE = """
templates:
  - id: g1
    type: wire
    title: g is one
    node: x*y
    inputs: {x: {int: [2, 5]}, y: {int: [-5, -2]}}
    upstream: 1
"""  # with g = 1 the local gradient alone ("local-only") is the right answer on every draw


def test_a_template_that_cannot_be_drawn_fails_cleanly(run, write, tmp_path):
    bank = write("bad.yaml", UNDRAWABLE)
    result = run("generate", str(bank), "--seed", "x", "--count", "1", "--out",
                 str(tmp_path / "o"))
    assert result.exit_code == 1 and "no discriminating draw" in result.stderr
    assert not (tmp_path / "o").exists()


PARALLEL_PICK = ["seed-mul-wire", "seed-two-values", "div-wire", "fanout-circuit",
                 "softmax-ce", "sigmoid-local"]


def test_workers_write_exactly_what_one_process_writes(tmp_path):
    banks = load_banks([])
    templates = pick(banks, PARALLEL_PICK)
    specs = anonymous(45)  # enough for the work to be shared out
    write_set(banks, templates, "par", specs, tmp_path / "one", workers=1)
    write_set(banks, templates, "par", specs, tmp_path / "two", workers=2)
    one, two = files(tmp_path / "one"), files(tmp_path / "two")
    assert len(one) == 1 + 2 * 45 + 45 and one == two  # and no spill file is left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one", "two"]


def test_template_by_template_writes_what_one_variant_at_a_time_writes(tmp_path):
    from quizgrad.formats.answer_files import answer_template
    from quizgrad.formats.keyfile import KeyVariant
    from quizgrad.formats.keytext import variant_json
    from quizgrad.formats.sheets import html_sheet, markdown_sheet
    from quizgrad.items.generate import draw_items, write_variant, write_variants

    templates = pick(load_banks([]), [])  # every kind of item
    specs = anonymous(6)
    together, alone = tmp_path / "together", tmp_path / "alone"
    for folder in (together, alone):
        (folder / "sheets").mkdir(parents=True)
        (folder / "answers").mkdir()
    run = write_variants(templates, "runs", "Set", specs, together)
    each = [write_variant(templates, "runs", "Set", spec, alone) for spec in specs]
    assert run == each
    assert files(together) == files(alone)
    assert len(files(alone)) == 3 * 6
    written_files = files(together)
    for spec, written in zip(specs, run, strict=True):  # and the one-variant functions agree
        variant = KeyVariant(spec.id, None, "", draw_items(templates, "runs", spec.id))
        assert written_files[f"sheets/{spec.id}.md"] == markdown_sheet(variant, "Set").encode()
        assert written_files[f"sheets/{spec.id}.html"] == html_sheet(variant, "Set").encode()
        assert written_files[f"answers/{spec.id}.yaml"] == answer_template(variant).encode()
        assert written.key == variant_json({"id": spec.id, "student": None},
                                           variant.items).encode()


@pytest.mark.parametrize(("count", "workers"), [(1, 1), (7, 1), (45, 2), (1000, 2), (5000, 8)])
def test_runs_cover_every_variant_in_order_longest_first(count, workers):
    from quizgrad.items.generate import LONGEST_RUN, runs

    specs = anonymous(count)
    found = runs(specs, workers)
    assert [spec for run in found for spec in run] == specs
    sizes = [len(run) for run in found]
    assert all(1 <= size <= LONGEST_RUN for size in sizes)
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[-1] == 1  # the last runs are short, so no worker waits long for another


def test_a_template_that_cannot_be_drawn_stops_the_workers_cleanly(write, tmp_path):
    bank = write("bad.yaml", UNDRAWABLE)
    banks = load_banks([bank])
    with pytest.raises(GenerationError, match="no discriminating draw"):
        write_set(banks, pick(banks, []), "x", anonymous(50), tmp_path / "o", workers=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_only_items_that_can_come_back_are_remembered():
    from quizgrad.bank.templates import GradientTemplate, MatrixTemplate, NetworkTemplate
    from quizgrad.formats import keytext, sheets
    from quizgrad.formats.keyfile import KeyVariant
    from quizgrad.items.discriminate import few
    from quizgrad.items.generate import draw_items

    templates = pick(load_banks([]), [])
    items = draw_items(templates, "memo", "v1")
    for template, item in zip(templates, items, strict=True):
        drawn = isinstance(template, GradientTemplate | MatrixTemplate | NetworkTemplate)
        assert item.repeats == (few(template.draws) if drawn else True), template.id
    kinds = {item.repeats for item in items}
    assert kinds == {True, False}  # the bundled banks have both
    for item in items:
        sheets._MD.clear()
        keytext._TEXT.clear()
        sheets.markdown_sheet(KeyVariant("v1", None, "", (item,)), "Set")
        keytext.item_text(item)
        assert len(sheets._MD) == len(keytext._TEXT) == (1 if item.repeats else 0), item.id
