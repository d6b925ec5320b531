"""quizgrad take: whole sessions through a scripted IO, through CliRunner, and through a pty."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from quizgrad.bank.load import load_banks, templates_of
from quizgrad.grading.quiz import Session, default_templates, hint, quiz_items
from quizgrad.items.base import node_item


class Script:
    """A QuizIO that types the given lines and records what the session shows."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = list(lines)
        self.events: list[tuple[str, object]] = []

    def read(self, prompt: str) -> str | None:
        self.events.append(("prompt", prompt))
        return self.lines.pop(0) if self.lines else None

    def item(self, number, total, item) -> None:
        self.events.append(("item", item.id))

    def note(self, text, kind="info") -> None:
        self.events.append((kind, text))

    def verdict(self, item, judgement, lines) -> None:
        self.events.append(("verdict", (judgement.verdict, judgement.mistakes, lines)))

    def summary(self, rows, points, max_points) -> None:
        self.events.append(("summary", (rows, points, max_points)))

    def of(self, kind):
        return [value for k, value in self.events if k == kind]


MUL = node_item("x*y", {"x": 3, "y": -4}, 2, ask=("x",), item_id="mul")


def test_a_planted_mistake_is_named_with_the_students_numbers():
    io = Script(["-24"])  # 2 × f = 2 × (-12)
    Session([MUL], io).run()
    ((verdict, mistakes, lines),) = io.of("verdict")
    assert verdict == "wrong" and mistakes == ("forward-value",)
    assert "You sent -24, which is wrong. That is 2 × (-12) = -24: you multiplied the upstream " \
           "gradient by the forward value f" in lines[0]
    assert "The local gradient is df/dx = y = -4, so wire x gets 2 × (-4) = -8." in lines[0]


def test_unreadable_input_is_explained_and_asked_again_without_penalty():
    io = Script(["eight", "2*(-4", "-8"])
    rows = Session([MUL], io).run()
    invalid = io.of("invalid")
    assert len(invalid) == 2 and "is not a number" in invalid[0]
    assert "unclosed '('" in invalid[1] and "^" in invalid[1]  # a caret under the problem
    assert rows[0].verdict == "correct" and rows[0].points == 1


def test_hint_skip_and_summary():
    other = node_item("x+y", {"x": 1, "y": 2}, 3, item_id="add")
    io = Script(["hint", "skip", "3", "3"])
    rows = Session([MUL, other], io).run()
    assert "df/dx = y" in io.of("hint")[0] and "-8" not in io.of("hint")[0]
    assert [r.verdict for r in rows] == ["missing", "correct"]
    ((summary_rows, points, total),) = io.of("summary")
    assert points == 1 and total == 2 and len(summary_rows) == 2


@pytest.mark.parametrize("ending", [["quit"], []], ids=["quit", "end-of-input"])
def test_quitting_midway_ends_with_the_summary(ending):
    other = node_item("x+y", {"x": 1, "y": 2}, 3, item_id="add")
    io = Script(["-8", *ending])
    rows = Session([MUL, other], io).run()
    assert [(r.title, r.verdict, r.points, r.max_points) for r in rows] == [
        ("x*y", "correct", 1, 1), ("x+y", "not reached", 0, 1)]
    assert io.of("summary")[0][1:] == (1, 2)


def test_keyboard_interrupt_ends_with_the_summary():
    class Interrupting(Script):
        def read(self, prompt):
            raise KeyboardInterrupt

    io = Interrupting([])
    rows = Session([MUL], io).run()
    assert io.of("summary") and "Interrupted." in io.of("info")
    assert [(r.number, r.verdict) for r in rows] == [(1, "not reached")]


def test_practice_brings_missed_items_back_with_new_numbers_until_mastered():
    template = next(t for t in templates_of(load_banks()) if t.id == "mul-wire")
    (item,) = quiz_items([template], "p")
    first = item.inputs

    class Learner(Script):
        """Wrong on the first attempt, then right on every wire."""

        def __init__(self) -> None:
            super().__init__([])
            self.current = None

        def item(self, number, total, item):
            super().item(number, total, item)
            self.current = item

        def read(self, prompt):
            self.events.append(("prompt", prompt))
            wire = prompt.split()[1].rstrip(">")
            attempts = sum(1 for k, _ in self.events if k == "item")
            value = self.current.expected[wire]
            return "12345" if attempts == 1 else str(value)

    io = Learner()
    rows = Session([item], io, [template], practice=True, seed="p").run()
    assert [r.attempt for r in rows] == [0, 1]
    assert [r.verdict for r in rows] == ["wrong", "correct"]
    assert io.current.inputs != first or io.current.upstream != item.upstream
    assert "Every item mastered." in io.of("info")
    assert io.of("summary")[0][1] == 0  # the score counts first attempts


def test_default_quiz_starts_with_the_seed_page():
    templates = list(templates_of(load_banks()))
    chosen = default_templates(templates, 5, "s")
    assert [t.bank for t in chosen[:5]] == ["seed"] * 5 and len(chosen) == 10
    assert all(t.type == "wire" for t in chosen[5:])
    assert chosen == default_templates(templates, 5, "s")


def test_hints_do_not_give_the_answer_away():
    assert "-8" not in hint(MUL) and "y" in hint(MUL)


# --- the command ----------------------------------------------------------------------


def test_take_through_cli_runner(run):
    result = run("take", "--seed", "1", "--count", "1", input="-16\nskip\nb\nfalse\na\n0\n")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "seed 1" in out and "wire x> -16" in out  # piped input is echoed, not redrawn
    assert "✓ correct" in out and "forward-value" in out
    assert "your quiz" in out and "Score:" in out
    assert "\x1b[" not in out  # NO_COLOR


def test_take_quits_cleanly_at_end_of_input(run):
    result = run("take", "--seed", "1", input="")
    assert result.exit_code == 0 and "Score: 0 of 10 points" in result.stdout


def test_assigned_variant_saved_and_graded_to_the_same_verdicts(run, tmp_path):
    assert run("generate", "--seed", "k", "--count", "2", "--pick",
               "seed-mul-wire,mul-wire,sigmoid-local,seed-two-values,seed-same-gradient",
               "--out", str(tmp_path / "set")).exit_code == 0
    key = json.loads((tmp_path / "set" / "key.json").read_text(encoding="utf-8"))
    items = key["variants"][1]["items"]
    mul = next(i for i in items if i["id"] == "mul-wire")
    typed = [str(next(i for i in items if i["id"] == "seed-mul-wire")["answer"]["x"]),
             "b", "true", str(mul["mistakes"]["x"]["forward-value"]),
             str(mul["answer"]["y"]), "x*(1-x)"]
    save = tmp_path / "mine.yaml"
    session = run("take", "--key", str(tmp_path / "set" / "key.json"), "--student", "v02",
                  "--save", str(save), input="\n".join(typed) + "\n")
    assert session.exit_code == 0, session.stderr
    shown = [line for line in session.stdout.splitlines() if line.startswith(("✓", "✗"))]
    graded = run("grade", str(tmp_path / "set" / "key.json"), str(save), "--out",
                 str(tmp_path / "g"))
    assert graded.exit_code == 0, graded.stderr
    results = json.loads((tmp_path / "g" / "results.json").read_text(encoding="utf-8"))
    verdicts = [i["verdict"] for i in results["students"][1]["items"]]
    assert [line.split()[1] for line in shown] == verdicts
    assert verdicts == ["correct", "wrong", "wrong", "wrong", "wrong"]
    mistakes = {i["item"]: i["mistakes"] for i in results["students"][1]["items"]}
    assert mistakes["mul-wire"] == ["forward-value"]
    assert mistakes["sigmoid-local"] == ["wrong-stored-value"]


@pytest.mark.parametrize(("args", "fragment"), [
    (["--key", "k.json"], "--key and --student go together"),
    (["--save", "x.yaml"], "--save goes with --key"),
])
def test_take_usage_errors(run, args, fragment):
    result = run("take", *args)
    assert result.exit_code == 2 and fragment in result.stderr


# --- a real pseudo-terminal ------------------------------------------------------------


class Terminal:
    """quizgrad take in a pty: type lines, read what a user would see."""

    def __init__(self, *args: str) -> None:
        import pty

        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become quizgrad
            env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "40"}
            env.pop("NO_COLOR", None)
            os.execvpe(sys.executable, [sys.executable, "-m", "quizgrad", "take", *args], env)
        self.raw = ""
        self.mark = 0

    @property
    def text(self) -> str:
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", self.raw).replace("\r", "")

    def expect(self, text: str, timeout: float = 20.0) -> str:
        """Wait for ``text`` after what was already expected; return the new screen text."""
        deadline = time.monotonic() + timeout
        while text not in self.text[self.mark:]:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"did not see {text!r}; saw:\n{self.text[-2000:]}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                self.raw += chunk.decode("utf-8", "replace")
        screen = self.text
        found = screen.index(text, self.mark)
        new, self.mark = screen[self.mark:found + len(text)], found + len(text)
        assert text in new, screen[-2000:]
        return new

    def type(self, line: str) -> None:
        os.write(self.fd, (line + "\r").encode())

    def close(self) -> int:
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


@pytest.mark.skipif(sys.platform == "win32", reason="pty is POSIX")
def test_a_session_in_a_real_terminal_quitting_midway():
    term = Terminal("--seed", "1", "--count", "1")
    term.expect("wire x>")
    term.type("-16")
    seen = term.expect("wire x>")
    assert "✓ correct" in seen and "\x1b[" in term.raw  # colour in a real terminal
    term.type("quit")
    seen = term.expect("Score: 1 of 6 points")
    assert seen.count("not reached") == 5  # the closing table lists every item
    assert term.close() == 0


@pytest.mark.skipif(sys.platform == "win32", reason="pty is POSIX")
def test_practice_mode_in_a_real_terminal(tmp_path):
    bank = tmp_path / "one.yaml"
    bank.write_text("templates:\n  - id: m\n    type: wire\n    title: M\n    node: x*y\n"
                    "    inputs: {x: {int: [2, 5]}, y: {int: [-5, -2]}}\n"
                    "    upstream: {int: [2, 3]}\n    ask: [x]\n", encoding="utf-8")
    term = Terminal(str(bank), "--seed", "7", "--practice")
    term.expect("wire x>")
    term.type("999")
    term.expect("Practice round 1")
    seen = term.expect("wire x>")
    stored_y = int(seen.split("y = ")[1].split()[0])
    upstream = int(seen.split("upstream gradient ")[1].split(".")[0])
    term.type(str(upstream * stored_y))
    term.expect("Every item mastered.")
    term.expect("Score: 0 of 1 points")
    assert term.close() == 0


def test_help_is_quick_and_shows_an_example():
    result = subprocess.run([sys.executable, "-m", "quizgrad", "take", "--help"],
                            capture_output=True, text=True, env={**os.environ, "COLUMNS": "100"})
    assert result.returncode == 0 and "quizgrad take --practice" in result.stdout
    assert Path(sys.executable).exists()
