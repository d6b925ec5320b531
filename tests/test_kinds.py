"""The item protocol: every kind is complete, and a new kind needs one module plus its registration.

The "forward" kind below lives in this file only: a template class, an item class and a Kind
subclass, registered for the test. Check, generate (sheets, key, answer files), take, grade
and export then all handle it with no change anywhere else.
"""

from __future__ import annotations

import ast
import functools
import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import sympy as sp

from quizgrad import registry
from quizgrad.bank.templates import NumberSpec, Template, fill
from quizgrad.grading.judge import CORRECT, INVALID, MISSING, WRONG, Part
from quizgrad.grading.response import raw_text, read_number
from quizgrad.items.base import Item, Key, common
from quizgrad.kinds.base import Figure, Kind
from quizgrad.math.engine import Node, solve
from quizgrad.math.numeric import fmt, json_number, to_float

PACKAGE = Path(__file__).resolve().parents[1] / "quizgrad"


@dataclass(frozen=True, kw_only=True, eq=False)
class ForwardTemplate(Template):
    """The forward value of a node at drawn inputs."""

    node: Node
    inputs: tuple[tuple[str, NumberSpec], ...]

    @property
    def randomized(self) -> bool:
        """Drawn when any input is."""
        return any(spec.random for _, spec in self.inputs)


@dataclass(frozen=True, kw_only=True)
class ForwardItem(Item):
    """A node at stored inputs; the answer is its output."""

    node: Node
    values: tuple[tuple[str, Fraction], ...]

    @functools.cached_property
    def key(self) -> tuple[object, ...]:
        """The template's fields and the drawn values."""
        return Key((*Item.key.func(self), self.node.text, self.values))  # type: ignore[attr-defined]

    @functools.cached_property
    def output(self) -> Fraction:
        """The forward value, exactly."""
        value = solve(self.node, {n: v for n, v in self.values}).output
        return Fraction(str(value))

    def multiplied(self) -> float:
        """What a student gets who multiplies where the node adds (the mistake it knows)."""
        product = Fraction(1)
        for _, value in self.values:
            product *= value
        return float(product)


class ForwardKind(Kind):
    """The forward pass of one node: what value leaves it."""

    type = "forward"
    template = ForwardTemplate
    item = ForwardItem
    keys = frozenset({"node", "inputs"})
    required = ("node", "inputs")
    prompt = "The node f = {node} receives {inputs}. What value does it send forward?"

    def read(self, reader: Any, data: Any, tid: str, shared: dict[str, Any]) -> ForwardTemplate:
        specs = reader.names(data, tid, specs=True)
        return ForwardTemplate(**shared, node=reader.node(data, tid, specs),
                               inputs=tuple(specs.items()))

    def variant(self, template: ForwardTemplate, stream: Any) -> ForwardItem:
        values = tuple((n, spec.draw(stream)) for n, spec in template.inputs)
        shown = ", ".join(f"{n} = {fmt(v)}" for n, v in values)
        prompt = fill(template.prompt, {"node": template.node.text, "inputs": shown})
        return ForwardItem(**common(template, prompt), node=template.node,  # type: ignore[arg-type]
                           values=values)

    def label(self, item: ForwardItem, name: str | None) -> str:
        return "f"

    def unreadable(self, item: ForwardItem, raw: str, label: str) -> str | None:
        reading = read_number(raw)
        return None if reading.ok else reading.message

    def parts(self, item: ForwardItem, answer: Any) -> tuple[tuple[Part, ...], tuple[str, ...]]:
        shown = fmt(item.output)
        reading = read_number(answer)
        if not reading.ok:
            return (Part(None, raw_text(answer), shown, reading.status,
                         message=reading.message),), ()
        value = to_float(reading.value)  # type: ignore[arg-type]
        if item.tolerance.accepts(value, float(item.output)):
            return (Part(None, reading.raw, shown, CORRECT, value=value),), ()
        found = ("add-as-multiply",) if item.tolerance.accepts(value, item.multiplied()) else ()
        return (Part(None, reading.raw, shown, WRONG, found, value=value),), ()

    def right_answer(self, item: ForwardItem, part: Part) -> str:
        return f"f = {item.node.text} = {fmt(item.output)}."

    def to_json(self, item: ForwardItem, mistakes: bool) -> dict[str, Any]:
        return {"node": item.node.text, "inputs_exact": {n: str(v) for n, v in item.values},
                "answer": json_number(item.output)}

    def from_json(self, data: dict[str, Any], shared: dict[str, Any]) -> ForwardItem:
        values = tuple((n, Fraction(v)) for n, v in data["inputs_exact"].items())
        return ForwardItem(**shared, node=Node.parse(data["node"], [n for n, _ in values]),
                           values=values)

    def markdown(self, item: ForwardItem) -> list[str]:
        return ["- f = ______"]

    def html(self, item: ForwardItem) -> str:
        return '<ul class="answers"><li>f = <span class="blank"></span></li></ul>'

    def figure(self, item: ForwardItem, reveal: bool) -> Figure:
        return Figure(arrays=(("f", fmt(item.output), True),) if reveal else ())

    def questions(self, item: ForwardItem, name: str, category: str, prompt: str,
                  general: str) -> list[Any]:
        from quizgrad.formats.export import Answer, Numerical

        right = float(item.output)
        return [Numerical(name, category, prompt, item.points, general,
                          (Answer(right, item.tolerance.width(right), 100.0, "Right."),),
                          "Not right.")]

    def entry(self, item: ForwardItem) -> tuple[str, tuple[Any, ...]]:
        return "wires", ("f",)


BANK = """\
bank: forward
templates:
  - id: forward-add
    type: forward
    title: A forward pass
    node: "x + y"
    inputs: {x: {int: [2, 9]}, y: {int: [10, 19]}}  # x + y is never x * y here
    tests:
      - {answer: "nope", verdict: invalid}
"""


@pytest.fixture()
def forward_kind():
    """The forward kind, registered for one test."""
    registry.register(ForwardKind())
    yield
    registry.unregister("forward")


def test_a_new_kind_in_one_module_goes_through_check_generate_take_grade_and_export(
        forward_kind, run, write, tmp_path):
    bank = write("forward.yaml", BANK)
    checked = run("check", str(bank), "--json")
    assert checked.exit_code == 0, checked.stdout
    assert json.loads(checked.stdout)["banks"][0]["templates"] == 1

    out = tmp_path / "set"
    generated = run("generate", str(bank), "--seed", "s", "--count", "2", "--out", str(out))
    assert generated.exit_code == 0, generated.stdout + generated.stderr
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    items = [v["items"][0] for v in key["variants"]]
    assert {i["type"] for i in items} == {"forward"}
    sheet = next(out.glob("**/*v01*.md")).read_text(encoding="utf-8")
    assert "- f = ______" in sheet and "x + y" in sheet
    blank = next(p for p in out.glob("**/*v01*.yaml")).read_text(encoding="utf-8")
    assert "forward-add:" in blank

    first = items[0]
    x, y = (Fraction(first["inputs_exact"][n]) for n in ("x", "y"))
    right = x + y
    answers = tmp_path / "in"
    answers.mkdir()
    (answers / "v01.yaml").write_text(f"student: v01\nanswers:\n  forward-add: {right}\n",
                                      encoding="utf-8")
    (answers / "v02.yaml").write_text("student: v02\nanswers:\n  forward-add: "
                                      f"{_product_of(items[1])}\n", encoding="utf-8")
    graded = run("grade", str(out / "key.json"), str(answers), "--out", str(tmp_path / "g"))
    assert graded.exit_code == 0, graded.stdout + graded.stderr
    results = json.loads((tmp_path / "g" / "results.json").read_text(encoding="utf-8"))
    students = {s["student"]: s for s in results["students"]}
    assert students["v01"]["points"] == 1
    assert students["v02"]["points"] == 0
    assert students["v02"]["items"][0]["mistakes"] == ["add-as-multiply"]

    taken = run("take", str(bank), "--seed", "t", input="zz\n0\n")
    assert taken.exit_code == 0, taken.stdout
    assert "f> " in taken.stdout and "try again" in taken.stdout  # read by the kind
    assert "f = x + y = " in taken.stdout  # its worked answer

    moodle = tmp_path / "q.xml"
    exported = run("export", str(bank), "--to", "moodle", "--variants", "1", "--seed", "x", "--out",
                   str(moodle))
    assert exported.exit_code == 0, exported.stdout + exported.stderr
    assert "<question type=\"numerical\">" in moodle.read_text(encoding="utf-8")


def _product_of(item: dict[str, Any]) -> Fraction:
    return Fraction(item["inputs_exact"]["x"]) * Fraction(item["inputs_exact"]["y"])


def test_a_bank_of_an_unregistered_kind_is_a_clear_error(run, write):
    result = run("check", str(write("forward.yaml", BANK)))
    assert result.exit_code == 1
    assert "type must be one of wire, circuit, matrix, network, local, choice" in result.stdout
    assert "Traceback" not in result.stdout


def test_a_type_is_registered_once():
    with pytest.raises(ValueError, match="registered already"):
        registry.register(registry.kind_named("wire"))


@pytest.mark.parametrize("name", registry.types())
def test_every_bundled_kind_does_every_job(name):
    kind = registry.kind_named(name)
    bases = [c for c in type(kind).__mro__ if issubclass(c, Kind)]  # Kind, ArrayKind, ...
    missing = [method for base in bases for method, found in vars(base).items()
               if callable(found) and _abstract(found) and getattr(type(kind), method) is found
               and (method != "questions" or kind.exported)]  # local is never exported
    assert not missing, f"{name} leaves {missing} to the base class"


def _abstract(function: Any) -> bool:
    """Whether the base's method only raises NotImplementedError."""
    return any(isinstance(node, ast.Raise) and "NotImplementedError" in ast.unparse(node)
               for node in ast.walk(ast.parse(_source(function))))


def _source(function: Any) -> str:
    import inspect
    import textwrap

    return textwrap.dedent(inspect.getsource(function))


def _switches(path: Path) -> list[str]:
    """isinstance checks against an item or template class (the kinds' job) in one module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "isinstance":
            target = ast.unparse(node.args[1])
            if "Item" in target or "Template" in target:
                found.append(f"{path.name}:{node.lineno}: {target}")
    return found


def test_no_module_switches_on_the_class_of_an_item_or_template():
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in _switches(path)]
    assert found == []


@pytest.mark.parametrize("status", [MISSING, INVALID])
def test_the_forward_kinds_unread_answers_keep_their_status(forward_kind, status):
    from quizgrad.grading.judge import judge
    from quizgrad.math.rng import Stream

    template = ForwardTemplate(
        id="f", type="forward", title="t", prompt=ForwardKind.prompt, explanation="",
        points=1.0, tolerance=_tolerance(), tests=(), bank="b", file="f.yaml", line=1,
        node=Node.parse("x + 1", ["x"]), inputs=(("x", NumberSpec("fixed", (sp.Integer(2),))),))
    item = registry.draw(template, Stream("s"))
    assert judge(item, None if status == MISSING else "x+").verdict == status
    assert judge(item, "3").verdict == CORRECT


def _tolerance() -> Any:
    from quizgrad.math.numeric import Tolerance

    return Tolerance(1e-6, 1e-9)


def test_the_switch_finder_finds_a_switch(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("if isinstance(item, (WireItem, CircuitItem)):\n    pass\n"
                      "if isinstance(value, dict):\n    pass\n", encoding="utf-8")
    assert _switches(module) == ["m.py:1: (WireItem, CircuitItem)"]
