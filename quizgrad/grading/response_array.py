"""A matrix, vector or number typed by a student -> a reading whose value is an Array.

Written ``[[1, 2], [3, 4]]`` (nested lists, as in NumPy or JSON), ``1, 2; 3, 4`` (rows
split by semicolons), ``[1, 2, 3]`` or a bare number; in YAML or JSON answer files, as real
nested lists. Each entry is read like any numeric answer (``-1/4``, ``2.5e-3``, ``2*(-4)``);
the first unreadable entry is named by its row and column.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from quizgrad.grading.response import INVALID, MISSING, OK, Reading, read_number
from quizgrad.math.matrix import MAX_ENTRIES, Array
from quizgrad.math.numeric import NumericError, to_float

MAX_TEXT = 4000


def show_raw(answer: Any) -> str:
    """An answer as text; nested lists as the student would type them."""
    if isinstance(answer, list):
        return "[" + ", ".join(show_raw(a) for a in answer) + "]"
    if answer is None:
        return ""
    if isinstance(answer, float):
        return repr(answer)
    return str(answer)


def read_array(answer: Any, exact: bool = False) -> Reading:
    """An array answer; the value is an Array of floats (or, ``exact``, of Fractions)."""
    raw = show_raw(answer)
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        return Reading(MISSING, raw)
    if isinstance(answer, bool) or not isinstance(answer, (int, float, str, list)):
        return Reading(INVALID, raw, message="expected a matrix such as [[1, 2], [3, 4]]")
    if isinstance(answer, str):
        if len(answer) > MAX_TEXT:
            return Reading(INVALID, raw, message=f"too long (at most {MAX_TEXT} characters)")
        nested, problem = _from_text(answer)
        if problem:
            return Reading(INVALID, raw, message=problem)
    else:
        nested = answer
    shape = _shape(nested)
    if isinstance(shape, str):
        return Reading(INVALID, raw, message=shape)
    rows = nested if len(shape) == 2 else [nested] if shape else [[nested]]
    entries = []
    for r, row in enumerate(rows):
        for c, entry in enumerate(row):
            reading = read_number(entry)
            where = _where(shape, r, c)
            if reading.status == MISSING:
                return Reading(INVALID, raw, message=f"{where} is empty")
            if not reading.ok:
                return Reading(INVALID, raw, message=f"{where}: {reading.message}")
            try:
                entries.append(_exact(reading.value) if exact
                               else to_float(reading.value))  # type: ignore[arg-type]
            except NumericError as exc:
                return Reading(INVALID, raw, message=f"{where}: the value {exc}")
            except ValueError:
                return Reading(INVALID, raw, message=f"{where} is not a rational number")
    return Reading(OK, raw, Array(shape, tuple(entries)))  # type: ignore[arg-type]


def _exact(value: Any) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if getattr(value, "is_Rational", False):
        return Fraction(int(value.p), int(value.q))
    raise ValueError(value)


def _where(shape: tuple[int, ...], row: int, column: int) -> str:
    if not shape:
        return "the answer"
    if len(shape) == 1:
        return f"entry {column + 1}"
    return f"row {row + 1}, entry {column + 1}"


def _shape(nested: Any) -> tuple[int, ...] | str:
    if not isinstance(nested, list):
        return ()
    if not nested:
        return "an empty list is not a matrix"
    if all(not isinstance(e, list) for e in nested):
        shape: tuple[int, ...] = (len(nested),)
    elif all(isinstance(e, list) and e and all(not isinstance(x, list) for x in e)
             for e in nested):
        widths = {len(e) for e in nested}
        if len(widths) != 1:
            return f"the rows have different lengths ({', '.join(str(len(e)) for e in nested)})"
        shape = (len(nested), widths.pop())
    else:
        return "a matrix is a list of rows, each a list of numbers (at most two levels)"
    if math.prod(shape) > MAX_ENTRIES:
        return f"too many entries (at most {MAX_ENTRIES})"
    return shape


def _from_text(text: str) -> tuple[Any, str | None]:
    """Nested lists of entry texts, or a message saying what is wrong."""
    text = text.strip()
    if not text.startswith("["):
        if ";" in text:
            rows = [_entries(row) for row in text.split(";")]
            empty = next((i for i, row in enumerate(rows) if not row), None)
            if empty is not None:
                return None, f"row {empty + 1} is empty (rows are separated by ';')"
            return rows, None
        parts = _entries(text)
        return (parts if len(parts) > 1 else text), None
    found, end = _bracketed(text, 0, 0)
    if end < 0:
        return None, found
    if text[end:].strip():
        return None, f"unexpected text after the closing ']' (at position {end + 1})"
    return found, None


def _entries(row: str) -> list[str]:
    return [p for p in row.replace(",", " ").split() if p]


def _bracketed(text: str, start: int, depth: int) -> tuple[Any, int]:
    """Parse ``[ ... ]`` at ``start``: (list, position after it) or (message, -1)."""
    if depth >= 2:
        return f"too many brackets (at position {start + 1}); a matrix has two levels", -1
    items: list[Any] = []
    pos, entry_start = start + 1, start + 1
    while pos < len(text):
        ch = text[pos]
        if ch == "[":
            if text[entry_start:pos].strip():
                return f"missing ',' before '[' (at position {pos + 1})", -1
            inner, pos = _bracketed(text, pos, depth + 1)
            if pos < 0:
                return inner, -1
            items.append(inner)
            rest = text[pos:].lstrip()
            if rest[:1] == ",":
                pos = len(text) - len(rest) + 1
            elif not rest:
                return f"unclosed '[' (at position {start + 1})", -1
            elif rest[:1] != "]":
                where = len(text) - len(rest) + 1
                return f"missing ',' between the rows (at position {where})", -1
            entry_start = pos
            continue
        if ch in ",]":
            piece = text[entry_start:pos].strip()
            if piece:
                items.append(piece)
            elif ch == "," or (items and text[entry_start - 1] == ","):
                return f"an empty entry (at position {pos + 1})", -1
            if ch == "]":
                return items, pos + 1
            entry_start = pos + 1
        elif ch == "(":  # commas inside parentheses belong to the entry
            level = 0
            while pos < len(text):
                level += {"(": 1, ")": -1}.get(text[pos], 0)
                if level == 0:
                    break
                pos += 1
        pos += 1
    return f"unclosed '[' (at position {start + 1})", -1
