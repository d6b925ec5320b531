"""Everything quizgrad shows on a terminal, through rich (the only module that imports it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .drawing import Segment, WireLabel, circuit

if TYPE_CHECKING:
    from .check import CheckReport
    from .generate import Summary

STYLES = {"value": "cyan", "gradient": "magenta", "node": "bold", "wire": "dim", "": ""}


def console(stderr: bool = False) -> Console:
    """A console for stdout (or stderr); rich honours NO_COLOR, COLUMNS and pipes itself."""
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def error(message: str, hint: str | None = None) -> None:
    """An error line on stderr: 'error: ...' (and an optional hint line)."""
    err = console(stderr=True)
    err.print(Text("error: ", style="bold red") + Text(message), soft_wrap=True)
    if hint:
        err.print(Text(hint, style="dim"), soft_wrap=True)


def styled(lines: list[list[Segment]]) -> Text:
    """A drawing from :mod:`quizgrad.drawing` as rich Text."""
    text = Text()
    for index, line in enumerate(lines):
        if index:
            text.append("\n")
        for segment in line:
            text.append(segment.text, style=STYLES.get(segment.style, ""))
    return text


def draw_node(node: str, wires: list[WireLabel], output: str | None, upstream: str) -> Text:
    """A node drawn as a circuit, coloured."""
    return styled(circuit(node, wires, output, upstream))


def check_report(report: CheckReport, out: Console) -> None:
    """The summary of ``quizgrad check``: a table of banks, notes, then every problem located."""
    table = Table(title="quizgrad check", title_justify="left")
    width = max((len(bank.file) for bank in report.banks), default=10)
    table.add_column("bank file", min_width=min(width, 40), overflow="fold")
    for column in ("templates", "samples", "gradients", "tests"):
        table.add_column(column, justify="right")
    table.add_column("status")
    for bank in report.banks:
        status = (Text("ok", style="green") if not bank.problems else
                  Text(f"{len(bank.problems)} problem(s)", style="bold red"))
        table.add_row(bank.file, str(bank.templates), str(bank.samples),
                      str(bank.derivatives), str(bank.tests), status)
    out.print(table)
    for note in report.notes:
        out.print(Text(f"note: {note}", style="dim"), soft_wrap=True)
    for problem in report.problems:
        out.print(Text(str(problem), style="red"), soft_wrap=True)
    if report.ok:
        out.print(Text(
            "All well: every gradient agrees with a central finite difference (worst relative "
            f"error {report.worst_error:.1e}), every draw is discriminating and every question "
            "test gets the verdict it expects.", style="green"))
    else:
        out.print(Text(f"{len(report.problems)} problem(s) found.", style="bold red"))


def generated(summary: Summary, out: Console) -> None:
    """The summary of ``quizgrad generate``."""
    table = Table(title=f"problem set written to {summary.out}", title_justify="left",
                  show_header=False)
    table.add_column("")
    table.add_column("", overflow="fold")
    table.add_row("seed", summary.seed)
    table.add_row("variants", str(summary.variants))
    table.add_row("items per variant", str(summary.items // max(1, summary.variants)))
    table.add_row("points per variant", f"{summary.points:g}")
    table.add_row("files", "key.json, sheets/<variant>.md and .html, answers/<variant>.yaml")
    out.print(table)


def template_list(rows: Iterable[tuple[str, str, str, str]], out: Console) -> None:
    """The table of ``quizgrad list``: id, type, title, bank."""
    table = Table(title="templates", title_justify="left")
    for column in ("id", "type", "title", "bank"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    out.print(table)


def explanation(data: dict[str, object], out: Console) -> None:
    """The worked solution of one node (the dict that ``explain --json`` prints)."""
    node = str(data["node"])
    inputs: dict[str, str] = data["shown_inputs"]  # type: ignore[assignment]
    wires: dict[str, dict[str, str]] = data["steps"]  # type: ignore[assignment]
    labels = [WireLabel(name, inputs[name], wires[name]["gradient"]) for name in inputs]
    out.print(draw_node(node, labels, str(data["shown_output"]), str(data["shown_upstream"])))
    out.print()
    out.print(Text("forward value ", style="bold") + Text(f"f = {data['shown_output']}"))
    table = Table(title="backward: wire gradient = upstream × local gradient",
                  title_justify="left")
    for column in ("wire", "local gradient", "at the stored inputs", "wire gradient"):
        table.add_column(column)
    for name, step in wires.items():
        table.add_row(name, f"df/d{name} = {step['local']}", step["local_value"],
                      Text(f"{data['shown_upstream']} × {_paren(step['local_value'])} = "
                           f"{step['gradient']}", style="magenta"))
    out.print(table)
    for kink in data.get("kinks", []):  # type: ignore[attr-defined]
        out.print(Text(f"note: {kink} is a non-differentiable point; quizgrad follows "
                       "PyTorch (relu'(0) = 0, abs'(0) = 0, max/min split a tie).",
                       style="yellow"))
    mistakes: list[tuple[str, str, str, str]] = data.get("shown_mistakes", [])  # type: ignore[assignment]
    if mistakes:
        wrong = Table(title="common wrong answers", title_justify="left")
        for column in ("wire", "wrong answer", "mistake", "what it means"):
            wrong.add_column(column, overflow="fold")
        for wire, how, mistake, meaning in mistakes:
            wrong.add_row(wire, how, mistake, meaning)
        out.print(wrong)


def _paren(text: str) -> str:
    return f"({text})" if text.startswith("-") else text
