"""The command line: a thin typer adapter over the core, and the one error boundary.

Core modules (and sympy) are imported inside the commands, so ``quizgrad --help`` stays
fast. Every QuizgradError becomes a short message on stderr and its exit status
(0 fine, 1 the work found problems, 2 usage); nothing reaches the user as a traceback.
"""

from __future__ import annotations

import functools
import gc
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from quizgrad import __version__

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="quizgrad",
    help="Teach and test the function node rule of backpropagation: a node that receives "
    "the upstream gradient g sends g * df/dx_i back on each input wire.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)

BankPaths = Annotated[
    list[Path] | None,
    typer.Argument(help="Bank files or folders (default: the bundled banks).", show_default=False),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON only (for scripts).")]


def boundary(command: F) -> F:
    """Turn quizgrad's errors into a message on stderr and an exit status."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        from quizgrad.errors import QuizgradError

        try:
            return command(*args, **kwargs)
        except QuizgradError as exc:
            from quizgrad.cli import render

            render.error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except RecursionError:
            from quizgrad.cli import render

            render.error("input too deeply nested")
            raise typer.Exit(1) from None
        except OSError as exc:  # a folder that cannot be written, a full disk, ...
            from quizgrad.cli import render

            where = f"{exc.filename}: " if exc.filename else ""
            render.error(f"{where}{exc.strerror or exc}")
            raise typer.Exit(1) from None

    return run  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"quizgrad {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Teach and test the function node rule of backpropagation."""


def _problem(problem: Any) -> dict[str, Any]:
    return {"file": problem.file, "line": problem.line, "field": problem.field,
            "message": problem.message}


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@app.command(epilog="Examples: [bold]quizgrad check[/]  ·  "
             "[bold]quizgrad check questions/ my-bank.yaml[/]")
@boundary
def check(
    paths: BankPaths = None,
    samples: Annotated[int, typer.Option(min=1, max=200,
                                         help="Draws per randomized template.")] = 6,
    variants: Annotated[int, typer.Option(
        min=0, max=5000, help="Variants drawn per template to measure what a class gets "
        "(0: skip).")] = 200,
    as_json: JsonFlag = False,
) -> None:
    """Validate banks, sample every template, verify gradients and run question tests.

    Every gradient is checked against a central finite difference, every randomized draw must
    be discriminating (no mistake gives the right answer by accident), and each template's
    sample answers must get the verdicts they expect. Then each template is drawn as for a
    class of --variants students: its distinct answers, its kink regimes (a ReLU open and
    closed, each input of a max winning) and its share of zero gradients are reported, and a
    template whose variants collapse onto few answers or miss a regime is a problem. Exit
    status 0 when all is well, 1 when any problem is found (each shown as file:line: field:
    message).
    """
    from quizgrad.bank.check import check_banks
    from quizgrad.cli import render

    report = check_banks(paths or [], samples, variants)
    if as_json:
        _print_json({
            "ok": report.ok,
            "banks": [{"file": b.file, "name": b.name, "templates": b.templates,
                       "samples": b.samples, "derivatives": b.derivatives, "tests": b.tests,
                       "draws": b.draws, "problems": [str(p) for p in b.problems]}
                      for b in report.banks],
            "problems": [_problem(p) for p in report.problems],
            "notes": [_problem(p) for p in report.notes],
            "worst_relative_error": report.worst_error,
            "variants": report.variants,
            "zero_score": round(report.zero_score, 6),
            "coverage": [{
                "template": c.template, "variants": c.drawn, "answers": c.answers,
                "reach": c.reach, "zero_gradients": round(c.zero_gradients, 6),
                "zero_score": round(c.zero_score, 6),
                "regimes": [{"regime": r.label, "variants": r.variants,
                             "expected": round(r.expected, 6)} for r in c.regimes],
                "problems": list(c.problems)} for c in report.coverage],
        })
    else:
        render.check_report(report, render.console())
    if not report.ok:
        raise typer.Exit(1)


@app.command(name="list", epilog="Example: [bold]quizgrad list questions/1-seed.yaml[/]")
@boundary
def list_templates(paths: BankPaths = None, as_json: JsonFlag = False) -> None:
    """List the templates of the banks: id, type, title and bank."""
    from quizgrad.bank.load import load_banks, templates_of
    from quizgrad.cli import render

    rows = [(t.id, t.type, t.title, t.bank) for t in templates_of(load_banks(paths or []))]
    if as_json:
        _print_json([dict(zip(("id", "type", "title", "bank"), row, strict=True))
                     for row in rows])
    else:
        render.template_list(rows, render.console())


@app.command(epilog="Examples: [bold]quizgrad explain \"x*y\" --at x=3,y=-4 --upstream 2[/]  ·  "
             "[bold]quizgrad explain \"sigmoid(w*x + b)\" --at w=0.5,x=-1,b=0.2 --json[/]  ·  "
             "[bold]quizgrad explain \"q = x + y; f = q * z\" --at x=-2,y=5,z=-4[/]  ·  "
             "[bold]quizgrad explain \"A @ B\" --at \"A=[[1,2],[3,4]]\" --at \"B=[[0,1],[1,0]]\" "
             "--upstream \"[[1,0],[2,1]]\"[/]")
@boundary
def explain(
    expression: Annotated[str, typer.Argument(help="The node function, e.g. \"x*y\".",
                                              show_default=False)],
    at: Annotated[list[str], typer.Option(
        "--at", help="Stored inputs as name=value pairs, e.g. x=3,y=-4; arrays as nested "
        "lists, e.g. \"A=[[1,2],[3,4]]\" (repeatable).", show_default=False)],
    upstream: Annotated[str | None, typer.Option(
        help="The upstream gradient g (for a matrix node, an array shaped like the output).",
        show_default="1")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show the worked solution of one node, circuit or matrix node: values, gradients, mistakes.

    Every input named in --at is a wire, even one that cancels out of the expression. A circuit
    is written as assignments (q = x + y; f = q * z): its output is the last value, and every
    named value gets its gradient. A matrix node (A @ B, X @ W + b, softmax_ce(z, y), ...)
    takes arrays: each input gets a gradient of its own shape.
    """
    from quizgrad.cli import render
    from quizgrad.errors import ExprError, UsageError
    from quizgrad.math.circuit import is_circuit
    from quizgrad.math.explain import explain as solve_node
    from quizgrad.math.explain import (
        explain_circuit,
        parse_assignments,
        parse_upstream,
        public,
        raw_assignments,
    )
    from quizgrad.math.explain_matrix import explain_matrix, is_matrix
    from quizgrad.math.explain_network import explain_network

    raw = raw_assignments(at)
    circuit = is_circuit(expression)
    matrix = is_matrix(expression, raw)
    what = ("circuit of arrays" if circuit and matrix else "circuit" if circuit
            else "matrix node" if matrix else "node function")
    try:
        if circuit and matrix:
            data = explain_network(expression, raw, upstream)
        elif matrix:
            data = explain_matrix(expression, raw, upstream)
        else:
            g = parse_upstream(upstream or "1")
            data = (explain_circuit if circuit else solve_node)(
                expression, parse_assignments(at), g)
    except ExprError as exc:
        raise UsageError(f"cannot read the {what}: {exc}") from None
    if as_json:
        _print_json(public(data))
    elif circuit and matrix:
        render.network_explanation(data, render.console())
    elif circuit:
        render.circuit_explanation(data, render.console())
    elif matrix:
        render.matrix_explanation(data, render.console())
    else:
        render.explanation(data, render.console())


@app.command(epilog="Examples: [bold]quizgrad generate --seed fall26 --roster roster.csv --out "
             "set/[/]  ·  [bold]quizgrad generate questions/2-nodes.yaml --seed 7 --count 30 "
             "--pick mul-wire,relu-wire --out set/[/]")
@boundary
def generate(
    paths: BankPaths = None,
    seed: Annotated[str, typer.Option(help="Any text; the same seed gives the same set.",
                                      show_default=False)] = "",
    count: Annotated[int | None, typer.Option(help="N anonymous variants v01..vN.",
                                              show_default=False)] = None,
    roster: Annotated[Path | None, typer.Option(
        help="CSV with a 'student' column (optional 'name', 'email'): one variant each.",
        show_default=False)] = None,
    pick: Annotated[list[str] | None, typer.Option(
        help="Only these template ids (repeatable, or comma-separated).",
        show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(help="The folder to write (must be empty).",
                                             show_default=False)] = None,
    title: Annotated[str, typer.Option(help="The title on the sheets.")] =
        "Backpropagation: the function node rule",
    force: Annotated[bool, typer.Option(help="Replace a non-empty --out folder.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Generate a randomized problem set: one reproducible, discriminating variant per student.

    Writes DIR/key.json (the answer key), DIR/sheets/<variant>.md and .html (the problem
    sheets) and DIR/answers/<variant>.yaml (blank answer files to fill in).
    """
    from quizgrad.errors import UsageError
    from quizgrad.gcpause import paused

    if not seed:
        raise UsageError("give a --seed (any text, e.g. --seed fall26): it makes the set "
                         "reproducible")
    if (count is None) == (roster is None):
        raise UsageError("give exactly one of --count N or --roster roster.csv")
    if count is not None and count < 1:
        raise UsageError("--count must be at least 1")
    if out is None:
        raise UsageError("give the output folder with --out DIR")
    with paused():  # SymPy's import and the banks make many objects and no garbage
        from quizgrad.bank.load import load_banks
        from quizgrad.grading.roster import read_roster
        from quizgrad.items.generate import anonymous, for_roster, write_set
        from quizgrad.items.generate import pick as pick_templates

        banks = load_banks(paths or [])
        specs = anonymous(count) if count is not None else for_roster(read_roster(roster))
        summary = write_set(banks, pick_templates(banks, pick or []), seed, specs, out, force,
                            title=title)
    if as_json:
        _print_json({"out": summary.out, "seed": summary.seed, "variants": summary.variants,
                     "items_per_variant": summary.items // max(1, summary.variants),
                     "points_per_variant": summary.points, "templates": summary.templates})
    else:
        from quizgrad.cli import render

        render.generated(summary, render.console())


@app.command(epilog="Examples: [bold]quizgrad export --to moodle --variants 20 --seed fall26 "
             "--out backprop.xml[/]  ·  [bold]quizgrad export questions/2-nodes.yaml --to gift "
             "--variants 5 --seed 7 --out nodes.txt[/]  ·  [bold]quizgrad export --to qti "
             "--variants 10 --seed 7 --pick matmul-square --out matmul-qti.zip[/]")
@boundary
def export(
    paths: BankPaths = None,
    to: Annotated[str, typer.Option(help="moodle (Moodle XML), gift, or qti (a QTI 2.1 zip).",
                                    show_default=False)] = "",
    variants: Annotated[int, typer.Option(help="Variants per template.")] = 5,
    seed: Annotated[str, typer.Option(help="Any text; the same seed gives the same numbers "
                                      "as generate --count.", show_default=False)] = "",
    pick: Annotated[list[str] | None, typer.Option(
        help="Only these template ids (repeatable, or comma-separated).",
        show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(help="The file to write.",
                                             show_default=False)] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing --out file.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Export variants as LMS questions that give quizgrad's diagnosis as feedback.

    Wire and circuit values become numerical questions (a category per template): the right
    value with the item's tolerance, each predicted mistake's value as a 0% answer carrying
    that mistake's feedback. Matrices become grids of numeric blanks (Moodle cloze, QTI;
    one question per entry in GIFT); choice and true/false questions keep their feedback.
    Formula items are left out.
    """
    from quizgrad.bank.load import load_banks
    from quizgrad.cli import render
    from quizgrad.errors import UsageError
    from quizgrad.formats.export import export_questions
    from quizgrad.formats.lms import FORMATS, write_export
    from quizgrad.items.generate import pick as pick_templates

    if to not in FORMATS:
        raise UsageError(f"give --to {' | '.join(FORMATS)}")
    if not seed:
        raise UsageError("give a --seed (any text): it makes the export reproducible")
    if not 1 <= variants <= 500:
        raise UsageError("--variants must be from 1 to 500")
    if out is None:
        raise UsageError("give the file to write with --out PATH")
    banks = load_banks(paths or [])
    questions = export_questions(pick_templates(banks, pick or []), seed, variants)
    written = write_export(questions, to, out, force)
    if as_json:
        _print_json({"out": written.path, "format": written.format,
                     "questions": written.questions, "notes": list(written.notes)})
    else:
        render.exported(written, render.console())


@app.command(epilog="Examples: [bold]quizgrad schema bank > bank.schema.json[/]  ·  "
             "[bold]quizgrad schema submission > submission.schema.json[/]")
@boundary
def schema(
    what: Annotated[str, typer.Argument(help="bank or submission.", show_default=False)],
) -> None:
    """Print the JSON Schema of a bank or of an answer file (for editors and CI).

    Save it beside your banks and put "# yaml-language-server: $schema=bank.schema.json" on
    a bank's first line: editors with YAML support then check keys, types and mistake ids as
    you type. The loader still checks what a schema cannot: formulas, shapes and ranges.
    """
    from quizgrad.bank.schema import SCHEMAS
    from quizgrad.errors import UsageError

    if what not in SCHEMAS:
        raise UsageError(f"schema takes one of: {', '.join(SCHEMAS)}")
    _print_json(SCHEMAS[what]())


@app.command(epilog="Examples: [bold]quizgrad grade set/key.json handed-in/ --out graded/[/]  ·  "
             "[bold]quizgrad grade set/key.json s001.yaml --out graded/[/]")
@boundary
def grade(
    key: Annotated[Path, typer.Argument(help="The key.json written by quizgrad generate.",
                                        show_default=False)],
    submissions: Annotated[list[Path], typer.Argument(
        help="Answer files (.yaml, .yml, .json, .csv) or folders of them.", show_default=False)],
    out: Annotated[Path | None, typer.Option(help="The folder for the reports.",
                                             show_default=False)] = None,
    form: Annotated[str, typer.Option(
        "--format", help="quizgrad; canvas (also writes canvas.csv for Canvas's gradebook "
        "import); gradescope (results.json for a Gradescope autograder, one submission).")
    ] = "quizgrad",
    assignment: Annotated[str, typer.Option(
        help="The assignment's column title in canvas.csv.")] = "quizgrad",
    as_json: JsonFlag = False,
) -> None:
    """Grade a class: marks, feedback per student, a gradebook and the misconception table.

    Writes DIR/results.json, DIR/grades.csv and DIR/feedback/<student>.md. Exit status 0 when
    every submission was graded, 1 when any could not be (after writing all outputs).
    """
    import sys

    from quizgrad.cli import render
    from quizgrad.errors import UsageError
    from quizgrad.formats.keyfile import read_key
    from quizgrad.grading.answers import collect, read_all
    from quizgrad.grading.grade import grade_class
    from quizgrad.grading.reports import FORMATS, write_reports

    if out is None:
        raise UsageError("give the folder for the reports with --out DIR")
    if form not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not '{form}'")
    if form == "canvas" and not assignment.strip():
        raise UsageError("--assignment needs a title for the Canvas column")
    answer_key = read_key(key)
    files, unreadable = collect(submissions)
    if form == "gradescope" and len(files) + len(unreadable) != 1:
        found = len(files) + len(unreadable)
        names = ", ".join(p.name for p in files) or "none"
        _gradescope_failure(out, f"upload exactly one answer file (found {found}: {names})")
    with render.progress("grading", len(files), enabled=sys.stderr.isatty()) as advance:
        reads = read_all(submissions, advance)
    results = grade_class(answer_key, reads)
    handed_in = sum(r.status != "missing" for r in results.students)
    if form == "gradescope" and handed_in > 1:
        _gradescope_failure(out, f"the file holds answers for {handed_in} students; upload "
                            "your own only")
    write_reports(answer_key, results, out, form, assignment)
    if as_json:
        _print_json(render.grade_json(results, out))
    elif len(files) == 1 and len(reads) == 1 and not unreadable:
        render.one_student(answer_key, results, reads[0], render.console())
    else:
        render.grade_summary(answer_key, results, out, render.console())
    if not results.ok:
        raise typer.Exit(1)


def _gradescope_failure(out: Path, reason: str) -> None:
    """Gradescope shows results.json to the student: write why, then stop (status 1)."""
    from quizgrad.cli import render
    from quizgrad.formats.gradescope import gradescope_failure

    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(gradescope_failure(reason), encoding="utf-8")
    render.error(reason)
    raise typer.Exit(1)


@app.command(epilog="Examples: [bold]quizgrad take[/]  ·  "
             "[bold]quizgrad take --practice --seed 7[/]  ·  "
             "[bold]quizgrad take --key set/key.json --student s001 --save mine.yaml[/]")
@boundary
def take(
    paths: BankPaths = None,
    seed: Annotated[str | None, typer.Option(
        help="Draw the same quiz again (default: a fresh one; its seed is shown).",
        show_default=False)] = None,
    count: Annotated[int | None, typer.Option(
        min=1, help="Randomized node items after the seed page's questions (default 5); "
        "with banks named, how many of their templates to ask.", show_default=False)] = None,
    practice: Annotated[bool, typer.Option(
        help="Missed items come back with new numbers until answered right.")] = False,
    key: Annotated[Path | None, typer.Option(help="A key.json from quizgrad generate.",
                                             show_default=False)] = None,
    student: Annotated[str | None, typer.Option(help="Your id (or variant id) in --key.",
                                                show_default=False)] = None,
    save: Annotated[Path | None, typer.Option(
        help="Save your answers as an answer file (to hand in or grade).",
        show_default=False)] = None,
) -> None:
    """Take a quiz in the terminal: see each node, answer, learn at once which mistake it was.

    At any prompt: hint, skip or quit (Ctrl-D and Ctrl-C end the quiz too, with the summary).
    """
    import secrets
    import sys

    from quizgrad.cli import render
    from quizgrad.errors import UsageError
    from quizgrad.grading.quiz import Session, default_templates, quiz_items

    out = render.console()
    templates: list[Any] = []
    if key is not None or student is not None:
        if key is None or student is None:
            raise UsageError("--key and --student go together")
        if practice or paths or seed or count:
            raise UsageError("--key/--student take the assigned variant as it is; leave out "
                             "banks, --seed, --count and --practice")
        from quizgrad.formats.keyfile import read_key

        variant = read_key(key).variant_for(student)
        if variant is None:
            raise UsageError(f"no variant for '{student}' in {key}")
        items = list(variant.items)
        name = variant.student or variant.id
        out.print(Text_(f"quizgrad · your assigned set ({name}, {len(items)} items)"))
    else:
        if save is not None:
            raise UsageError("--save goes with --key and --student")
        from quizgrad.bank.load import load_banks, templates_of
        from quizgrad.registry import drawn_types

        seed = seed or secrets.token_hex(3)
        every = list(templates_of(load_banks(paths or [])))
        if paths:
            templates = every if count is None else default_templates(
                every, count, seed, drawn_types())
        else:
            templates = default_templates(every, 5 if count is None else count, seed)
        items = quiz_items(templates, seed)
        name = "you"
        out.print(Text_(f"quizgrad quiz · {len(items)} items · seed {seed} (--seed {seed} "
                        "takes it again) · type hint, skip or quit at any prompt"))
    terminal = render.TerminalQuiz(out, sys.stdin, sys.stdin.isatty())
    session = Session(items, terminal, templates, practice, seed or "assigned")
    session.run()
    if save is not None:
        from quizgrad.textio import write_atomic

        write_atomic(save, submission_yaml(name, session.answers))
        out.print(f"Your answers are saved in {save}.")


def Text_(text: str) -> Any:  # noqa: N802 - a tiny adapter, named like the rich class
    """A bold line (rich is imported only when a command draws)."""
    from rich.text import Text

    return Text(text, style="bold")


def submission_yaml(student: str, answers: dict[str, Any]) -> str:
    """Answers as an answer file (the submission format that grade reads)."""
    import yaml

    body = {"student": student,
            "answers": {item: answer for item, answer in answers.items() if answer is not None}}
    return yaml.safe_dump(body, sort_keys=False, allow_unicode=True)


def main() -> None:
    """Entry point of the ``quizgrad`` console script and ``python -m quizgrad``."""
    try:
        if os.environ.get("QUIZGRAD_DEBUG"):
            app(prog_name="quizgrad")
            return
        try:
            app(prog_name="quizgrad")
        except Exception as exc:  # the last line of defence: a bug, reported without a traceback
            sys.stderr.write(f"quizgrad: internal error: {type(exc).__name__}: {exc}\n"
                             "Please report it; QUIZGRAD_DEBUG=1 shows the traceback.\n")
            sys.exit(1)
    finally:
        # The collector's last pass at exit walks the whole heap (SymPy's caches, a bank's
        # plans) and frees nothing the process needs: a tenth of a second, skipped.
        gc.freeze()
