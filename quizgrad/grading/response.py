"""What a student typed -> a reading: a value, or 'invalid' with a located message, or 'missing'.

Numbers: ``-8``, ``-8.0``, ``+3``, ``−8`` (unicode minus), ``1/4``, ``2.5e-3``, ``2*(-4)``,
surrounding spaces, and a decimal comma (``-0,25``) where it cannot be a thousands
separator. Formulas: the item's names and the node functions, ``^`` for powers, implicit
multiplication (``2x``, ``2 x``, ``x(1-x)``). Everything goes through the safe expression
language; an unreadable answer is 'invalid', never 'wrong'.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy as sp

from quizgrad.errors import ExprError
from quizgrad.math import expr as ex

MISSING, INVALID, OK = "missing", "invalid", "ok"
_COMMA_NUMBER = re.compile(r"\s*([+\-\u2212]?)\s*([0-9]+),([0-9]+)([eE][+\-\u2212]?[0-9]+)?\s*")
_PLAIN = re.compile(
    r"\s*[+\-]?(?:[0-9]{1,30}\.?[0-9]{0,30}|\.[0-9]{1,30})(?:[eE][+\-]?[0-9]{1,2})?\s*")
_HALF_EXPONENT = re.compile(r"[0-9.][eE](?![+\-\u2212]?[0-9])")


@dataclass(frozen=True)
class Reading:
    """One answer as read: status 'ok' (with a value), 'invalid' (with a message) or 'missing'."""

    status: str
    raw: str
    value: sp.Expr | Fraction | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the answer was read."""
        return self.status == OK


def raw_text(answer: Any) -> str:
    """An answer as the text the student gave (numbers from YAML or JSON as written)."""
    if answer is None:
        return ""
    if isinstance(answer, bool):
        return "true" if answer else "false"
    if isinstance(answer, float):
        return repr(answer)
    return str(answer)


def _missing(answer: Any) -> bool:
    return answer is None or (isinstance(answer, str) and not answer.strip())


def read_number(answer: Any) -> Reading:
    """A numeric answer, exactly."""
    raw = raw_text(answer)
    if _missing(answer):
        return Reading(MISSING, raw)
    if isinstance(answer, bool) or not isinstance(answer, (int, float, str)):
        return Reading(INVALID, raw, message="expected a number")
    if isinstance(answer, (int, float)):
        if isinstance(answer, float) and not math.isfinite(answer):
            return Reading(INVALID, raw, message="expected a finite number")
        return Reading(OK, raw, Fraction(repr(answer) if isinstance(answer, float) else answer))
    text = _decimal_comma(answer)
    if isinstance(text, Reading):
        return text
    half = _HALF_EXPONENT.search(text)
    if half:
        return Reading(INVALID, raw, message=f"an exponent is missing after '{half.group()}' "
                       f"(at position {half.start() + 2}); write e.g. 2.5e-3")
    if _PLAIN.fullmatch(text):  # the common case, without the parser
        return Reading(OK, raw, Fraction(text.strip()))
    return _parse(raw, text, ())


def read_formula(answer: Any, names: Iterable[str]) -> Reading:
    """A symbolic answer in ``names`` (implicit multiplication allowed)."""
    raw = raw_text(answer)
    if _missing(answer):
        return Reading(MISSING, raw)
    if isinstance(answer, bool) or not isinstance(answer, (int, float, str)):
        return Reading(INVALID, raw, message="expected an expression")
    if isinstance(answer, (int, float)):
        number = read_number(answer)
        if number.ok:
            value = number.value
            return Reading(OK, raw, sp.Rational(value.numerator, value.denominator))  # type: ignore[union-attr]
        return number
    return _parse(raw, answer, tuple(names))


def _parse(raw: str, text: str, names: tuple[str, ...]) -> Reading:
    try:
        value = ex.parse(text, names, implicit=True)
    except ExprError as exc:
        return Reading(INVALID, raw, message=f"{exc.describe()}\n{exc.caret()}")
    if not names and value.free_symbols:  # pragma: no cover - parse allows no names
        return Reading(INVALID, raw, message="expected a number")
    return Reading(OK, raw, value)


def _decimal_comma(text: str) -> str | Reading:
    """``-0,25`` -> ``-0.25``; ``1,000`` is ambiguous; other text is returned unchanged."""
    match = _COMMA_NUMBER.fullmatch(text)
    if not match:
        return text
    sign, whole, frac, exponent = match.groups()
    if len(frac) == 3 and whole != "0" and not exponent:
        return Reading(INVALID, text, message=f"'{text.strip()}' is ambiguous: write "
                       f"{whole}.{frac} or {whole}{frac}")
    minus = "-" if sign in ("-", "\u2212") else ""
    return f"{minus}{whole}.{frac}{(exponent or '').replace(chr(0x2212), '-')}"


def read_boolean(answer: Any) -> Reading:
    """A true/false answer: true/false, t/f, yes/no, 1/0 (any case)."""
    raw = raw_text(answer)
    if _missing(answer):
        return Reading(MISSING, raw)
    word = raw.strip().lower()
    if word in ("true", "t", "yes", "y", "1"):
        return Reading(OK, raw, sp.true)
    if word in ("false", "f", "no", "n", "0"):
        return Reading(OK, raw, sp.false)
    return Reading(INVALID, raw, message="answer true or false")


def read_choice(answer: Any, choices: list[str]) -> tuple[Reading, int | None]:
    """A choice letter (a, b, ...) or the choice's text; the index of the chosen one."""
    raw = raw_text(answer)
    if _missing(answer):
        return Reading(MISSING, raw), None
    text = raw.strip().lower()
    for index, choice in enumerate(choices):
        if text == choice.strip().lower():
            return Reading(OK, raw, sp.Integer(index)), index
    word = text.rstrip(").").strip()
    if len(word) == 1 and "a" <= word <= "z":
        index = ord(word) - ord("a")
        if index < len(choices):
            return Reading(OK, raw, sp.Integer(index)), index
        return Reading(INVALID, raw, message=f"there are only {len(choices)} choices "
                       f"(a to {chr(ord('a') + len(choices) - 1)})"), None
    return Reading(INVALID, raw, message="answer with a choice letter such as a or b"), None
