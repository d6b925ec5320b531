"""Class rosters: a CSV with a ``student`` column (and optional ``name`` and ``email``)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from quizgrad.errors import QuizgradError
from quizgrad.textio import TextFileError, read_text

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")


class RosterError(QuizgradError):
    """The roster cannot be used; the message says which row and why."""


@dataclass(frozen=True)
class Student:
    """One roster row."""

    id: str
    name: str = ""
    email: str = ""


def safe_id_problem(value: str) -> str | None:
    """Why ``value`` cannot name a variant's files, or None when it can."""
    if not value:
        return "is empty"
    if not SAFE_ID.fullmatch(value) or value in (".", ".."):
        return ("may only use letters, digits and . _ @ + - (at most 64, not starting with "
                "a dot)")
    return None


def read_roster(path: Path) -> list[Student]:
    """Read and validate a roster CSV; RosterError names the row and the problem."""
    try:
        text = read_text(path)
    except TextFileError as exc:
        raise RosterError(f"{path}: {exc}") from None
    rows = list(csv.reader(io.StringIO(text)))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise RosterError(f"{path}: the roster is empty")
    header = [cell.strip().lower() for cell in rows[0]]
    if "student" not in header:
        raise RosterError(f"{path}: no 'student' column in the header row "
                          f"(found: {', '.join(rows[0]) or 'nothing'})")
    column = {name: header.index(name) for name in ("student", "name", "email") if name in header}
    students: list[Student] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = {key: row[i].strip() if i < len(row) else "" for key, i in column.items()}
        student = cells["student"]
        problem = safe_id_problem(student)
        if problem:
            raise RosterError(f"{path}: row {number}: the student id {student!r} {problem}")
        if student in seen:
            raise RosterError(f"{path}: row {number}: duplicate student id {student!r} "
                              f"(first on row {seen[student]})")
        seen[student] = number
        students.append(Student(student, cells.get("name", ""), cells.get("email", "")))
    if not students:
        raise RosterError(f"{path}: the roster has a header but no students")
    return students
