"""Shared fixtures: a CLI runner with a fixed width and no colour, and bank-writing helpers."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from quizgrad.bank.load import load_bank
from quizgrad.cli.app import app
from quizgrad.errors import BankError, Problem

WIDTH = 100
ENV = {"NO_COLOR": "1", "COLUMNS": str(WIDTH), "TERM": "dumb", "LINES": "50"}


@pytest.fixture
def run() -> Callable[..., Result]:
    """Invoke the CLI like a user: fixed width, no colour; returns click's Result."""

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(app, list(args), input=input, env=ENV, terminal_width=WIDTH)

    return invoke


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a dedented text file under tmp_path and return its path."""

    def make(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return make


@pytest.fixture
def bank_problem(write: Callable[[str, str], Path]) -> Callable[[str, str], Problem]:
    """Load a bad bank written as bad.yaml; the first problem whose message has a fragment."""

    def find(text: str, fragment: str) -> Problem:
        with pytest.raises(BankError) as caught:
            load_bank(write("bad.yaml", text))
        matching = [p for p in caught.value.problems if fragment in p.message]
        assert matching, [str(p) for p in caught.value.problems]
        assert matching[0].file.endswith("bad.yaml")
        return matching[0]

    return find


GATE = """
templates:
  - id: gate
    type: wire
    title: A ReLU with upstream 1
    node: relu(x)
    inputs: {x: {int: [-5, 5], exclude: [0]}}
    upstream: 1
"""


@pytest.fixture
def gate_bank(write: Callable[[str, str], Path]) -> Path:
    """A ReLU wire whose open regime no discriminating draw can reach (upstream 1, x integer)."""
    return write("gate.yaml", GATE)
