"""The answer key (key.json): items as JSON, and back — what grading and assigned quizzes trust.

The key stores each item's numbers exactly (as strings beside the JSON numbers); reading it
rebuilds the items and recomputes their answers with the engine, so a key that was edited by
hand cannot make quizgrad grade against wrong numbers without noticing.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from quizgrad.errors import ExprError, GradientError, KeyFileError
from quizgrad.gcpause import paused
from quizgrad.items.base import Item
from quizgrad.math.matrix import Array
from quizgrad.math.numeric import Tolerance, json_number
from quizgrad.registry import kind_named, kind_of
from quizgrad.textio import TextFileError, read_text

FORMAT = "quizgrad-key/1"
MAX_KEY_BYTES = 200_000_000


@dataclass(frozen=True)
class KeyVariant:
    """One variant of a problem set: its id, the student (or None), and its items."""

    id: str
    student: str | None
    name: str
    items: tuple[Item, ...]

    @functools.cached_property
    def max_points(self) -> float:
        """Total points of the variant (correctly rounded: the same on every Python)."""
        return math.fsum(item.points for item in self.items)


@dataclass(frozen=True)
class Key:
    """A problem set's key: where it came from and every variant."""

    seed: str
    banks: tuple[dict[str, str], ...]
    variants: tuple[KeyVariant, ...]
    path: str = ""

    def variant_for(self, student: str) -> KeyVariant | None:
        """The variant of ``student`` (a roster id, or a variant id when there is no roster)."""
        for variant in self.variants:
            if student in (variant.student, variant.id):
                return variant
        return None


def item_json(item: Item, mistakes: bool = True) -> dict[str, Any]:
    """One item as the key stores it (without ``mistakes``, their place holds None)."""
    data: dict[str, Any] = {
        "id": item.id, "template": item.template, "type": item.type, "title": item.title,
        "prompt": item.prompt, "points": item.points,
        "tolerance": {"relative": item.tolerance.relative, "absolute": item.tolerance.absolute},
    }
    data.update(kind_of(item).to_json(item, mistakes))
    data["explanation"] = item.explanation
    return data


def number(value: Fraction | float) -> int | float:
    """A value of the key: an exact number as JSON keeps it, a float as it is."""
    return json_number(value) if isinstance(value, Fraction) else float(value)


def mistakes_json(item: Any) -> dict[str, dict[str, Any]]:
    """Asked name -> mistake -> its predicted value (rounded), where it differs from the answer."""
    return {name: {mistake: value.nested(rounded) if isinstance(value, Array) else rounded(value)
                   for mistake, value in item.mistake_values(name).items()}  # type: ignore[attr-defined]
            for name in item.ask}


_EXACT = 2.0**53  # floats below this in size that are whole are exact integers


def rounded(value: float) -> int | float:
    """A predicted value as the key stores it: an int when whole, else 12 significant digits."""
    if value.is_integer() and -_EXACT < value < _EXACT:
        return int(value)
    return float(f"{value:.12g}")


def read_key(path: Path) -> Key:
    """Read a key.json and rebuild its items; KeyFileError says what is wrong."""
    try:
        with paused():
            data = json.loads(read_text(path, MAX_KEY_BYTES))
    except TextFileError as exc:
        raise KeyFileError(f"{path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise KeyFileError(f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise KeyFileError(f"{path}: not a quizgrad answer key (expected format {FORMAT})")
    with paused():
        variants = _variants(data, path)
    if not variants:
        raise KeyFileError(f"{path}: the key has no variants")
    return Key(str(data.get("seed", "")), tuple(data.get("banks", [])), tuple(variants),
               str(path))


def _variants(data: dict[str, Any], path: Path) -> list[KeyVariant]:
    variants = []
    for index, raw in enumerate(data.get("variants", [])):
        try:
            items = tuple(item_from_json(entry) for entry in raw["items"])
            variants.append(KeyVariant(str(raw["id"]), raw.get("student"),
                                       str(raw.get("name") or ""), items))
        except (KeyError, TypeError, ValueError, AttributeError, ExprError,
                GradientError) as exc:  # (AttributeError: a list or null where a map goes)
            raise KeyFileError(f"{path}: variant {index + 1} is damaged ({exc})") from None
    return variants


def verify(data: dict[str, Any], computed: Mapping[str, Any]) -> None:
    """The key's stored answers must be what the engine computes (a hand-edited key is not)."""
    for wire, stored in data.get("answer", {}).items():
        if not math.isclose(float(computed[wire]), float(stored), rel_tol=1e-9, abs_tol=1e-12):
            raise ValueError(f"item {data['id']}: the stored answer for {wire} ({stored}) is "
                             f"not what the engine gives ({float(computed[wire])!r}); was the "
                             "key edited?")


@functools.lru_cache(maxsize=65536)
def fraction(text: str | int) -> Fraction:
    """'-3/10' -> Fraction(-3, 10): the exact numbers of the key (remembered: they repeat)."""
    if isinstance(text, int):
        return Fraction(text)
    return Fraction(str(text))  # '-3/10', '2', and a hand-edited '0.25' alike


def item_from_json(data: dict[str, Any]) -> Item:
    """Rebuild one item from the key."""
    tolerance = Tolerance(float(data["tolerance"]["relative"]),
                          float(data["tolerance"]["absolute"]))
    common = {"id": str(data["id"]), "template": str(data.get("template", data["id"])),
              "type": data["type"], "title": str(data["title"]), "prompt": str(data["prompt"]),
              "explanation": str(data.get("explanation", "")), "points": float(data["points"]),
              "tolerance": tolerance}
    try:
        kind = kind_named(str(data["type"]) if isinstance(data["type"], str) else "")
    except KeyError:
        raise ValueError(f"unknown item type {data['type']!r}") from None
    return kind.from_json(data, common)


def exact_nested(value: Any) -> Any:
    """Nested lists of the key's exact numbers as Fractions."""
    if isinstance(value, list):
        return [exact_nested(v) for v in value]
    return fraction(value)


def flat_pairs(stored: Any, like: Any, prefix: str = "") -> dict[str, Any]:
    """Nested lists as {'[0,1]': entry} so answers compare entry by entry."""
    if not isinstance(like, list):
        return {prefix: stored}
    if not isinstance(stored, list) or len(stored) != len(like):
        raise ValueError("a stored answer has the wrong shape")
    out: dict[str, Any] = {}
    for index, (a, b) in enumerate(zip(stored, like, strict=True)):
        out.update(flat_pairs(a, b, f"{prefix}[{index}]"))
    return out
