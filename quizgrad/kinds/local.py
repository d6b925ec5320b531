"""The local kind: the local gradient df/dx of a node, answered as a formula."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import sympy as sp

from quizgrad.bank.templates import LocalTemplate
from quizgrad.grading.judge import Part, local_part
from quizgrad.grading.response import read_formula
from quizgrad.items.base import LocalItem, local_item
from quizgrad.kinds.base import Kind
from quizgrad.math import expr as ex
from quizgrad.math.expr import to_text

if TYPE_CHECKING:
    from quizgrad.bank.arrays import Reader


class LocalKind(Kind):
    """A formula, judged by equivalence; mistakes are formulas too."""

    type = "local"
    template = LocalTemplate
    item = LocalItem
    keys = frozenset({"node", "inputs", "wrt", "let"})
    required = ("node", "inputs")
    prompt = "What is the local gradient df/d{wrt} of the node f = {node}?"
    exported = False  # an LMS's own question types cannot check a formula

    def read(self, reader: Reader, data: Any, tid: str, common: dict[str, Any]) -> LocalTemplate:
        """node, inputs (names), wrt, let."""
        names = list(reader.names(data, tid, specs=False))
        node = reader.node(data, tid, names)
        wrt = data.get("wrt", names[0] if len(names) == 1 else None)
        if wrt not in names:
            raise reader.problem(data.line_of("wrt"), "must name one of the inputs",
                                 f"{tid}.wrt")
        let: list[tuple[str, sp.Expr]] = []
        if "let" in data:
            raw = reader.mapping(data["let"], data.line_of("let"), f"{tid}.let",
                                 set(data["let"]) if isinstance(data["let"], dict) else set())
            for name, text in raw.items():
                field = f"{tid}.let.{name}"
                why = ex.check_name(name) if isinstance(name, str) else "must be a name"
                if why or name in names:
                    reader.problem(raw.line_of(name), why or "already an input name", field)
                    continue
                source = reader.text(text, raw.line_of(name), field)
                let.append((name, reader.parsed(lambda s=source: ex.parse(s, names),
                                                raw.line_of(name), field)))
        reader.placeholders(common["prompt"], {"node", "wrt", *names}, data, tid)
        return LocalTemplate(**common, node=node, wrt=wrt, let=tuple(let))

    def schema(self, table: dict[str, Any]) -> dict[str, Any]:
        """The inputs may be only names."""
        return {**super().schema(table), "inputs": table["inputs by name"]}

    def variant(self, template: LocalTemplate, stream: Any) -> LocalItem:
        """The only variant."""
        return local_item(template)

    def label(self, item: LocalItem, name: str | None) -> str:
        """'df/dx'."""
        return f"df/d{item.wrt}"

    def unreadable(self, item: LocalItem, raw: str, label: str) -> str | None:
        """A formula in the node's inputs (and the helpers it lets you write)."""
        reading = read_formula(raw, item.names)
        return None if reading.ok else reading.message or "cannot read that"

    def hint(self, item: LocalItem) -> str:
        """What to differentiate."""
        names = ", ".join(name for name, _ in item.let)
        extra = f" You may write {names}." if names else ""
        return f"Differentiate f = {item.node.text} with respect to {item.wrt}.{extra}"

    def parts(self, item: LocalItem, answer: Any) -> tuple[tuple[Part, ...], tuple[str, ...]]:
        """The one formula."""
        return (local_part(item, answer),), ()

    def right_answer(self, item: LocalItem, part: Part) -> str:
        """The local gradient."""
        return f"The local gradient is df/d{item.wrt} = {to_text(item.expected)}."

    def to_json(self, item: LocalItem, mistakes: bool) -> dict[str, Any]:
        """The node, its inputs, wrt, the helpers and the answer as formulas."""
        return {"node": item.node.text, "inputs": list(item.node.inputs), "wrt": item.wrt,
                "let": {name: to_text(value) for name, value in item.let},
                "answer": to_text(item.expected)}

    def from_json(self, data: dict[str, Any], common: dict[str, Any]) -> LocalItem:
        """The node and helpers parsed again (by the safe expression language)."""
        from quizgrad.math.engine import Node

        names = tuple(data["inputs"])
        let = tuple((k, _formula(v, names)) for k, v in data.get("let", {}).items())
        return LocalItem(**common, node=Node.parse(data["node"], names), wrt=data["wrt"],
                         let=let)

    def markdown(self, item: LocalItem) -> list[str]:
        """A blank for the formula."""
        helpers = ", ".join(name for name, _ in item.let)
        return [f"- df/d{item.wrt} = ______" + (f" (you may use {helpers})" if helpers else "")]

    def html(self, item: LocalItem) -> str:
        """A blank for the formula."""
        from quizgrad.formats.sheets import escape

        helpers = ", ".join(name for name, _ in item.let)
        note = f" <small>(you may use {escape(helpers)})</small>" if helpers else ""
        return (f'<ul class="answers"><li>df/d{escape(item.wrt)} = <span class="blank">'
                f"</span>{note}</li></ul>")

    def entry(self, item: LocalItem) -> tuple[str, tuple[Any, ...]]:
        """A formula in quotes."""
        return "formula", (item.wrt, tuple(n for n, _ in item.let))

    def check(self, template: LocalTemplate, summary: Any, samples: int) -> float:
        """The derivative against finite differences at sampled points, then the tests."""
        from quizgrad.bank.check import check_fixed, check_local

        worst = check_local(template, summary, samples)
        return max(worst, check_fixed(self, template, summary))


@functools.lru_cache(maxsize=1024)  # every student's key holds the same helpers
def _formula(text: str, names: tuple[str, ...]) -> Any:
    from quizgrad.math.expr import parse

    return parse(text, names)
