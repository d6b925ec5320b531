"""Everything quizgrad shows on a terminal, through rich (the only module that imports it)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from quizgrad.formats.drawing import Segment, WireLabel, circuit

if TYPE_CHECKING:
    from quizgrad.bank.check import CheckReport
    from quizgrad.formats.keyfile import Key
    from quizgrad.formats.lms import Written
    from quizgrad.grading.answers import Read
    from quizgrad.grading.grade import ClassResults
    from quizgrad.grading.judge import Judgement
    from quizgrad.grading.quiz import Row
    from quizgrad.items.base import Item
    from quizgrad.items.generate import Summary
    from quizgrad.kinds.base import Figure

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
    """A drawing from :mod:`quizgrad.formats.drawing` as rich Text."""
    text = Text()
    for index, line in enumerate(lines):
        if index:
            text.append("\n")
        for segment in line:
            text.append(segment.text, style=STYLES.get(segment.style, ""))
    return text


def draw_node(node: str, wires: list[WireLabel], output: str | None, upstream: str,
              **options: str) -> Text:
    """A node drawn as a circuit, coloured (``options``: see :func:`drawing.circuit`)."""
    return styled(circuit(node, wires, output, upstream, **options))


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
    if report.coverage:
        _coverage(report, out)
    for note in report.notes:
        out.print(Text(f"note: {note}", style="dim"), soft_wrap=True)
    for problem in report.problems:
        out.print(Text(str(problem), style="red"), soft_wrap=True)
    guess = ""
    if any(found.drawn for found in report.coverage):
        guess = (f" Answering 0 on every wire would score {report.zero_score:.1%} of the "
                 f"gradient points of {report.variants} variants.")
    if report.guessable:
        out.print(Text(f"note: answering 0 on every wire would score {report.zero_score:.0%} "
                       "of the gradient points; see the 0 scores column", style="dim"))
    if report.ok:
        out.print(Text(
            "All well: every gradient agrees with a central finite difference (worst relative "
            f"error {report.worst_error:.1e}), every draw is discriminating and every question "
            f"test gets the verdict it expects.{guess}", style="green"))
    else:
        out.print(Text(f"{len(report.problems)} problem(s) found.{guess}", style="bold red"))


def _coverage(report: CheckReport, out: Console) -> None:
    """What the variants of each template cover (distinct answers, zeros, regimes)."""
    table = Table(title=f"what {report.variants} variants of each template cover",
                  title_justify="left")
    table.add_column("template", overflow="fold")
    table.add_column("answers", justify="right")
    table.add_column("zero gradients", justify="right")
    table.add_column("0 scores", justify="right")
    table.add_column("regimes (kinks)", overflow="fold")
    table.add_column("status")
    for found in report.coverage:
        regimes = "\n".join(f"{r.label}: {r.variants / max(1, found.drawn):.0%}"
                            for r in found.regimes) or "-"
        status = (Text("ok", style="green") if not found.problems else
                  Text(f"{len(found.problems)} problem(s)", style="bold red"))
        table.add_row(found.template, str(found.answers), f"{found.zero_gradients:.0%}",
                      f"{found.zero_score:.0%}", regimes, status)
    out.print(table)


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


def circuit_explanation(data: dict[str, Any], out: Console) -> None:
    """A circuit's drawing, its backward steps in order, and every gradient."""
    from quizgrad.math.numeric import fmt

    out.print(styled(data["drawing"]), no_wrap=True, crop=True)
    out.print()
    table = Table(title="backward, node by node (upstream × local, summed where values fan out)",
                  title_justify="left")
    for column in ("node", "receives", "sends back"):
        table.add_column(column, overflow="fold")
    for step in data["steps"]:
        sends = "\n".join(f"{name}: {fmt(step['upstream'])} × {_paren(fmt(w['local_value']))} = "
                          f"{fmt(w['gradient'])}   (d/d{name} = {w['local']})"
                          for name, w in step["sends"].items())
        table.add_row(step["node"], fmt(step["upstream"]), sends)
    out.print(table)
    grads = Table(title="gradients", title_justify="left")
    for column in ("value", "forward", "gradient"):
        grads.add_column(column)
    for name, gradient in data["wires"].items():
        grads.add_row(name, fmt(data["values"][name]), fmt(gradient))
    out.print(grads)


def matrix_explanation(data: dict[str, Any], out: Console) -> None:
    """A matrix node: the node with shapes, the arrays, each input's rule and gradient."""

    def size(shape: list[int]) -> str:
        return "×".join(map(str, shape)) or "number"

    labels = [WireLabel(n, size(s), "") for n, s in data["shapes"].items()]
    out.print(draw_node(data["node"], labels, size(data["output_shape"]), "G",
                        output_name="Y", sep=": "), no_wrap=True, crop=True)
    for name, text in data["shown_arrays"].items():
        out.print(Text(f"  {name} = ", style="bold") + Text(text), soft_wrap=True)
    out.print(Text("  Y = ", style="bold") + Text(data["shown_output"]), soft_wrap=True)
    out.print()
    table = Table(title="backward: each input gets an array of its own shape",
                  title_justify="left")
    for column in ("input", "rule", "gradient"):
        table.add_column(column, overflow="fold")
    for name, formula, where, value in data["shown_steps"]:
        rule = formula + (f"\n({where})" if where else "")
        table.add_row(name, rule, Text(value, style="magenta"))
    out.print(table)
    _wrong_answers(data, out, "input")


def network_explanation(data: dict[str, Any], out: Console) -> None:
    """An array circuit: its lines, every value with shape, the backward steps, the mistakes."""
    for line in data["circuit"]:
        out.print(Text(f"  {line}", style="bold"), soft_wrap=True)
    for name, text in data["shown_labels"].items():
        out.print(Text(f"  {name} = {text} (class indices)"), soft_wrap=True)
    out.print()
    table = Table(title="backward, layer by layer (each input gets an array of its own "
                  "shape; summed where values fan out)", title_justify="left")
    for column in ("layer", "receives", "sends back"):
        table.add_column(column, overflow="fold")
    for line, upstream, sends in data["shown_steps"]:
        table.add_row(line, upstream, "\n".join(f"{name} ← {value}   ({formula})"
                                                for name, formula, value in sends))
    out.print(table)
    values = Table(title="values and gradients", title_justify="left")
    for column in ("value", "shape", "forward", "gradient"):
        values.add_column(column, overflow="fold")
    for name, shape, forward, gradient in data["shown_values"]:
        values.add_row(name, shape, forward, Text(gradient, style="magenta"))
    out.print(values)
    _wrong_answers(data, out, "value")


def _wrong_answers(data: dict[str, Any], out: Console, what: str) -> None:
    for kink in data.get("kinks", []):
        out.print(Text(f"note: {kink}", style="yellow"))
    mistakes = data.get("shown_mistakes", [])
    if mistakes:
        wrong = Table(title="common wrong answers", title_justify="left")
        for column in (what, "wrong answer", "mistake", "what it means"):
            wrong.add_column(column, overflow="fold")
        for row in mistakes:
            wrong.add_row(*row)
        out.print(wrong)


def exported(written: Written, out: Console) -> None:
    """What ``export`` wrote, and what it left out."""
    out.print(Text(f"{written.questions} question(s) written to {written.path} "
                   f"({written.format})", style="bold"), soft_wrap=True)
    for note in written.notes:
        out.print(Text(f"note: {note}", style="yellow"), soft_wrap=True)


def _paren(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


@contextlib.contextmanager
def progress(what: str, total: int, enabled: bool) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr (only when asked, e.g. stderr is a terminal); yields advance()."""
    if not enabled or total < 2:
        yield lambda: None
        return
    from rich.progress import Progress

    with Progress(console=console(stderr=True), transient=True) as bar:
        task = bar.add_task(what, total=total)
        yield lambda: bar.advance(task)


def grade_json(results: ClassResults, out: Path) -> dict[str, Any]:
    """The --json summary of ``grade``."""
    counts = {status: sum(r.status == status for r in results.students)
              for status in ("graded", "missing", "error")}
    return {"out": str(out), "students": len(results.students), **counts,
            "errors": [{"file": e.file, "reason": e.reason} for e in results.errors],
            "scores": {r.student: r.points for r in results.students},
            "mistakes": results.mistakes}


def grade_summary(key: Key, results: ClassResults, out: Path, console_: Console) -> None:
    """The class at a glance: misconceptions first, then scores, item difficulty, errors."""
    graded = [r for r in results.students if r.status == "graded"]
    missing = sum(r.status == "missing" for r in results.students)
    console_.print(Text(f"Graded {len(graded)} of {len(results.students)} students "
                        f"({missing} missing, {len(results.errors)} file(s) with errors); "
                        f"reports in {out}", style="bold"), soft_wrap=True)
    _misconceptions(results, console_)
    if graded:
        _distribution(graded, console_)
        _difficulty(key, graded, console_)
    for error in results.errors:
        console_.print(Text(f"{error.file}: {error.reason}", style="red"), soft_wrap=True)


def _misconceptions(results: ClassResults, out: Console) -> None:
    table = Table(title="the class's misconceptions", title_justify="left")
    for column in ("mistake", "what the students did", "students", "items"):
        table.add_column(column, overflow="fold",
                         justify="right" if column == "students" else "left")
    for mistake, row in results.mistakes.items():
        items = ", ".join(f"{item} ({n})" for item, n in list(row["items"].items())[:4])
        name = mistake + "".join(f"\n incl. {child}" for child in row["includes"])
        table.add_row(name, row["description"], str(row["students"]), items or "—")
    out.print(table)


def _distribution(graded: list[Any], out: Console) -> None:
    buckets = [0] * 10
    for result in graded:
        buckets[min(9, int(result.percent // 10))] += 1
    top = max(buckets) or 1
    table = Table(title="score distribution", title_justify="left", show_header=False)
    table.add_column("range", justify="right")
    table.add_column("bar")
    table.add_column("students", justify="right")
    for index, count in enumerate(buckets):
        label = f"{index * 10}–{index * 10 + 10 if index < 9 else 100}%"
        table.add_row(label, Text("█" * round(30 * count / top), style="cyan"), str(count))
    out.print(table)


def _difficulty(key: Key, graded: list[Any], out: Console) -> None:
    stats: dict[str, list[int]] = {}
    common: dict[str, dict[str, int]] = {}
    for result in graded:
        for judgement in result.items:
            row = stats.setdefault(judgement.item, [0, 0])
            row[0] += judgement.verdict == "correct"
            row[1] += 1
            for mistake in judgement.mistakes:
                common.setdefault(judgement.item, {}).setdefault(mistake, 0)
                common[judgement.item][mistake] += 1
    table = Table(title="item difficulty", title_justify="left")
    for column in ("item", "right", "most common mistake"):
        table.add_column(column, overflow="fold", justify="right" if column == "right" else "left")
    for item, (right, total) in stats.items():
        mistakes = common.get(item, {})
        worst = max(mistakes, key=mistakes.__getitem__) if mistakes else ""
        table.add_row(item, f"{100 * right / total:.0f}%",
                      f"{worst} ({mistakes[worst]})" if worst else "")
    out.print(table)


def one_student(key: Key, results: ClassResults, read: Read, out: Console) -> None:
    """One student's score and feedback (grading a single file)."""
    from quizgrad.grading.feedback import item_feedback

    if results.errors:
        for error in results.errors:
            out.print(Text(f"{error.file}: {error.reason}", style="red"), soft_wrap=True)
        return
    result = next(r for r in results.students if r.status == "graded")
    variant = next(v for v in key.variants if (v.student or v.id) == result.student)
    out.print(Text(f"{result.student}: {result.points:g} of {result.max_points:g} points "
                   f"({result.percent:g}%)", style="bold"))
    for item, judgement in zip(variant.items, result.items, strict=False):
        style = "green" if judgement.verdict == "correct" else "red"
        out.print(Text(f"{item.id}: {judgement.verdict} ({judgement.points:g}/"
                       f"{judgement.max_points:g})", style=style))
        if judgement.verdict != "correct":
            for line in item_feedback(item, judgement):
                out.print(Text(f"  {line}"), soft_wrap=False)


class TerminalQuiz:
    """The quiz's terminal: rich drawing; prompts on a terminal, echoed lines from a pipe."""

    def __init__(self, out: Console, stdin: Any, interactive: bool) -> None:
        self.out = out
        self.stdin = stdin
        self.interactive = interactive

    def read(self, prompt: str) -> str | None:
        """A line from the student (None at the end of input)."""
        if self.interactive:
            try:
                return self.out.input(Text(prompt, style="bold"))
            except EOFError:
                return None
        line = self.stdin.readline()
        if not line:
            return None
        self.out.print(Text(prompt, style="bold") + Text(line.rstrip("\n")))
        return line.rstrip("\n")

    def item(self, number: int, total: int, item: Item) -> None:
        """The item's prompt and, for a node, its circuit with the asked wires marked."""
        from quizgrad.registry import kind_of

        self.out.print()
        self.out.rule(Text(f"{number}/{total} · {item.title} · {item.points:g} point"
                           + ("" if item.points == 1 else "s"), style="bold"))
        self.out.print(item.prompt)
        self.figure(kind_of(item).figure(item, reveal=False))

    def note(self, text: str, kind: str = "info") -> None:
        """A hint, a help line, or why the input could not be read."""
        style = {"hint": "yellow", "invalid": "magenta", "help": "dim"}.get(kind, "")
        self.out.print(Text(text, style=style))

    def verdict(self, item: Item, judgement: Judgement, lines: list[str]) -> None:
        """Right or wrong (and which mistake), then the circuit with every gradient."""
        from quizgrad.registry import kind_of

        if judgement.verdict == "correct":
            self.out.print(Text("✓ correct", style="bold green"))
        else:
            named = f" — {', '.join(judgement.mistakes)}" if judgement.mistakes else ""
            self.out.print(Text(f"✗ {judgement.verdict}{named}", style="bold red"))
            for line in lines:
                self.out.print(Text(f"  {line}"))
        self.figure(kind_of(item).figure(item, reveal=True))

    def figure(self, figure: Figure) -> None:
        """An item's figure: its drawing (layer by layer when too wide), arrays, choices."""
        if figure.narrow and figure.width > self.out.width:
            for line in figure.narrow:
                self.out.print(Text(f"  {line}"), no_wrap=True, crop=True)
        elif figure.drawing is not None:
            self.out.print(styled(figure.drawing), no_wrap=True, crop=True)
        for name, text, highlighted in figure.arrays:
            self.out.print(Text(f"  {name} = ", style="bold")
                           + Text(text, style="red" if highlighted else ""), soft_wrap=True)
        for line in figure.choices:
            self.out.print(line)

    def summary(self, rows: list[Row], points: float, max_points: float) -> None:
        """The closing table and the score."""
        from quizgrad.grading.quiz import NOT_REACHED

        table = Table(title="your quiz", title_justify="left")
        for column in ("#", "item", "your answer", "correct answer", "mistake", "points"):
            table.add_column(column, overflow="fold",
                             justify="right" if column in ("#", "points") else "left")
        for row in rows:
            style = {"correct": "green", NOT_REACHED: "dim"}.get(row.verdict, "red")
            title = row.title + (f" (practice {row.attempt})" if row.attempt else "")
            table.add_row(str(row.number), title, row.given, row.expected,
                          ", ".join(row.mistakes) or ("" if row.verdict == "correct"
                                                      else row.verdict),
                          Text(f"{row.points:g}/{row.max_points:g}", style=style))
        self.out.print()
        self.out.print(table)
        percent = 100 * points / max_points if max_points else 0
        self.out.print(Text(f"Score: {points:g} of {max_points:g} points ({percent:.0f}%)",
                            style="bold"))
