"""Question banks: YAML files of templates -> validated, typed, frozen objects.

The format is documented in docs/bank-format.md. Loading is strict: yaml.safe_load
semantics only, and unknown keys, wrong types, unknown functions or names, and duplicate
ids are problems naming the file, the line and the field. Every problem in a file is
reported, not just the first.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sympy as sp

from quizgrad.bank.templates import (
    PLACEHOLDER,
    Bank,
    Choice,
    ChoiceTemplate,
    CircuitTemplate,
    LocalTemplate,
    MatrixTemplate,
    NumberSpec,
    SampleAnswer,
    Template,
    TrueFalseTemplate,
    WireTemplate,
    fill,
)
from quizgrad.bank.yamlio import YamlError, YamlMap, as_map, line_of, load
from quizgrad.errors import BankError, ExprError, Problem
from quizgrad.math import expr as ex
from quizgrad.math.engine import Node
from quizgrad.math.numeric import Tolerance, decimal_rational
from quizgrad.mistakes.catalog import BY_ID
from quizgrad.registry import kind_named, types
from quizgrad.textio import TextFileError, read_text

if TYPE_CHECKING:
    from quizgrad.kinds.base import Kind

__all__ = ["Bank", "Choice", "ChoiceTemplate", "CircuitTemplate", "LocalTemplate",
           "MatrixTemplate",
           "NumberSpec", "SampleAnswer", "Template", "TrueFalseTemplate", "WireTemplate",
           "bank_files", "bundled_dir", "duplicate_ids", "fill", "load_bank", "load_banks",
           "templates_of"]

VERDICTS = ("correct", "wrong", "invalid", "missing")
MAX_BANK_BYTES = 5_000_000
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_MISTAKE_ID = re.compile(r"[a-z][a-z0-9-]{0,63}")


def bundled_dir() -> Path:
    """The folder of bundled banks (inside the installed package, or the source checkout)."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "questions", package.parent / "questions"):
        if candidate.is_dir():
            return candidate
    raise BankError([Problem("questions", None, "the bundled banks are missing")])


def bank_files(paths: Iterable[Path | str] = ()) -> list[Path]:
    """The bank files named by ``paths`` (folders are searched); the bundled ones by default."""
    chosen = [Path(p) for p in paths] or [bundled_dir()]
    files: list[Path] = []
    for path in chosen:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")))
        else:
            files.append(path)
    return files


def display_path(path: Path) -> str:
    """``path`` relative to the current folder when it is below it, for messages."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_bank(path: Path | str) -> Bank:
    """Read and validate one bank file; BankError lists every problem found."""
    path = Path(path)
    name = display_path(path)
    try:
        text = read_text(path, MAX_BANK_BYTES)
        data = load(text, max_aliases=1000)
    except TextFileError as exc:
        raise BankError([Problem(name, None, str(exc))]) from None
    except YamlError as exc:
        raise BankError([Problem(name, exc.line, f"invalid YAML: {exc.message}")]) from None
    reader = _Reader(name, path.stem)
    bank = reader.bank(data, hashlib.sha256(text.encode("utf-8")).hexdigest())
    if reader.problems:
        raise BankError(sorted(reader.problems, key=lambda p: p.line or 0))
    return bank


def load_banks(paths: Iterable[Path | str] = ()) -> list[Bank]:
    """Load several banks; template ids must be unique across them. BankError lists all."""
    banks: list[Bank] = []
    problems: list[Problem] = []
    for path in bank_files(paths):
        try:
            banks.append(load_bank(path))
        except BankError as exc:
            problems.extend(exc.problems)
    problems.extend(duplicate_ids(banks))
    if problems:
        raise BankError(problems)
    return banks


def duplicate_ids(banks: Iterable[Bank]) -> list[Problem]:
    """A problem for each template id already used by an earlier template."""
    seen: dict[str, Template] = {}
    problems = []
    for template in templates_of(banks):
        if template.id in seen:
            first = seen[template.id]
            problems.append(Problem(template.file, template.line,
                                    f"duplicate id '{template.id}' (first at {first.where})",
                                    "id"))
        else:
            seen[template.id] = template
    return problems


def templates_of(banks: Iterable[Bank]) -> Iterator[Template]:
    """Every template of ``banks`` in order."""
    for bank in banks:
        yield from bank.templates


# --- reading -------------------------------------------------------------------------------

COMMON_KEYS = frozenset({"id", "type", "title", "prompt", "explanation", "points", "tolerance",
                     "tests"})


def keys(kind: Kind) -> frozenset[str]:
    """The keys a template of ``kind`` may have."""
    return COMMON_KEYS | kind.keys


class FieldError(Exception):
    """A field could not be read; the problem is already recorded (the reader goes on)."""


class _Reader:
    """Validates one bank's data, collecting every problem with its line and field."""

    def __init__(self, file: str, stem: str) -> None:
        self.file = file
        self.stem = stem
        self.problems: list[Problem] = []
        self.ids: dict[str, int] = {}

    def problem(self, line: int, message: str, field: str | None = None) -> FieldError:
        self.problems.append(Problem(self.file, line, message, field or None))
        return FieldError()

    def mapping(self, value: Any, line: int, field: str, allowed: set[str]) -> YamlMap:
        if not isinstance(value, dict):
            raise self.problem(line_of(value, line), f"must be a mapping, not {_kind(value)}",
                               field)
        value = as_map(value, line)
        for key in value:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                self.problem(value.line_of(key), f"unknown key '{key}' (known: {known})",
                             f"{field}.{key}" if field else str(key))
        return value

    def text(self, value: Any, line: int, field: str, *, empty: bool = False) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.problem(line, f"must be text, not {_kind(value)}", field)
        text = str(value).strip()
        if not text and not empty:
            raise self.problem(line, "must not be empty", field)
        return text

    def flag(self, value: Any, line: int, field: str) -> bool:
        if not isinstance(value, bool):
            raise self.problem(line, f"must be true or false, not {_kind(value)}", field)
        return value

    def bank(self, data: Any, sha256: str) -> Bank:
        try:
            top = self.mapping(data, 1, "", {"bank", "title", "defaults", "templates"})
        except FieldError:
            return Bank(self.stem, self.stem, self.file, sha256, ())
        name = self.optional(top, "bank", self.stem, self.text, "bank")
        title = self.optional(top, "title", name, self.text, "title")
        defaults = self.defaults(top)
        raw = top.get("templates")
        if not isinstance(raw, list) or not raw:
            self.problem(top.line_of("templates"), "a bank needs a non-empty list of templates",
                         "templates")
            return Bank(name, title, self.file, sha256, ())
        templates = []
        for index, item in enumerate(raw):
            try:
                templates.append(self.template(item, raw.line_of(index), name, defaults))
            except FieldError:
                continue
        return Bank(name, title, self.file, sha256, tuple(templates))

    def optional(self, mapping: YamlMap, key: str, default: Any, read: Any, field: str) -> Any:
        if key not in mapping:
            return default
        try:
            return read(mapping[key], mapping.line_of(key), field)
        except FieldError:
            return default

    def defaults(self, top: YamlMap) -> dict[str, Any]:
        out: dict[str, Any] = {"points": 1.0, "tolerance": Tolerance()}
        if "defaults" not in top:
            return out
        try:
            raw = self.mapping(top["defaults"], top.line_of("defaults"), "defaults",
                               {"points", "tolerance"})
        except FieldError:
            return out
        out["points"] = self.optional(raw, "points", 1.0, self.points, "defaults.points")
        out["tolerance"] = self.optional(raw, "tolerance", Tolerance(), self.tolerance,
                                         "defaults.tolerance")
        return out

    def points(self, value: Any, line: int, field: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise self.problem(line, "must be a positive number", field)
        if value > 1000:
            raise self.problem(line, "must be at most 1000", field)
        return float(value)

    def tolerance(self, value: Any, line: int, field: str) -> Tolerance:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = {"relative": value}
        raw = self.mapping(value, line, field, {"relative", "absolute"})
        parts = {}
        for key, default in (("relative", 0.01), ("absolute", 1e-8)):
            number = raw.get(key, default)
            if (isinstance(number, bool) or not isinstance(number, (int, float))
                    or not 0 <= number < (1 if key == "relative" else 1e6)):
                raise self.problem(raw.line_of(key), "must be a number from 0 (and below 1 "
                                   "when relative)", f"{field}.{key}")
            parts[key] = float(number)
        return Tolerance(**parts)

    def template(self, item: Any, line: int, bank: str, defaults: dict[str, Any]) -> Template:
        if not isinstance(item, dict):
            raise self.problem(line, f"a template must be a mapping, not {_kind(item)}",
                               "templates")
        line = item.line
        tid = self.text(item.get("id"), item.line_of("id"), "id") if "id" in item else None
        if tid is None:
            raise self.problem(line, "missing required key 'id'", "id")
        if not _ID.fullmatch(tid):
            raise self.problem(item.line_of("id"), f"'{tid}' is not a valid id (letters, "
                               "digits, - _ . ; at most 64 characters)", "id")
        if tid in self.ids:
            raise self.problem(item.line_of("id"), f"duplicate id '{tid}' (first at line "
                               f"{self.ids[tid]})", "id")
        self.ids[tid] = item.line
        name = item.get("type")
        if not isinstance(name, str) or name not in types():
            raise self.problem(item.line_of("type"),
                               f"type must be one of {', '.join(types())}", f"{tid}.type")
        kind = kind_named(name)
        before = len(self.problems)
        self.mapping(item, line, tid, set(keys(kind)))
        common = self.common(item, tid, kind, bank, defaults)
        template = kind.read(self, item, tid, common)
        if len(self.problems) > before:
            raise FieldError()
        return template

    def common(self, item: YamlMap, tid: str, kind: Kind, bank: str,
               defaults: dict[str, Any]) -> dict[str, Any]:
        def need(key: str, read: Any) -> Any:
            if key not in item:
                raise self.problem(item.line, f"missing required key '{key}'", f"{tid}.{key}")
            return read(item[key], item.line_of(key), f"{tid}.{key}")

        out = {"id": tid, "type": kind.type, "bank": bank, "file": self.file,
               "line": item.line}
        for key, read in (("title", self.text), ("prompt", self.text)):
            if key == "prompt" and kind.prompt is not None and key not in item:
                out[key] = kind.prompt
                continue
            try:
                out[key] = need(key, read)
            except FieldError:
                out[key] = ""
        out["explanation"] = self.optional(
            item, "explanation", "", lambda v, ln, f: self.text(v, ln, f, empty=True),
            f"{tid}.explanation")
        out["points"] = self.optional(item, "points", defaults["points"], self.points,
                                      f"{tid}.points")
        out["tolerance"] = self.optional(item, "tolerance", defaults["tolerance"],
                                         self.tolerance, f"{tid}.tolerance")
        out["tests"] = self.optional(item, "tests", (), self.tests, f"{tid}.tests")
        return out

    def tests(self, value: Any, line: int, field: str) -> tuple[SampleAnswer, ...]:
        if not isinstance(value, list):
            raise self.problem(line, "must be a list of sample answers", field)
        out = []
        for index, raw in enumerate(value):
            where = f"{field}[{index}]"
            try:
                entry = self.mapping(raw, value.line_of(index), where,
                                     {"answer", "verdict", "mistakes"})
                verdict = entry.get("verdict", "correct")
                if verdict not in VERDICTS:
                    raise self.problem(entry.line_of("verdict"),
                                       f"must be one of {', '.join(VERDICTS)}", where)
                if "answer" not in entry:
                    raise self.problem(entry.line, "missing required key 'answer'", where)
                mistakes = entry.get("mistakes", [])
                mistakes = [mistakes] if isinstance(mistakes, str) else mistakes
                if not isinstance(mistakes, list):
                    raise self.problem(entry.line_of("mistakes"),
                                       "must be a list of mistake ids", where)
                for mistake in mistakes:
                    self.mistake_id(mistake, entry.line_of("mistakes"), f"{where}.mistakes")
                out.append(SampleAnswer(entry["answer"], verdict, tuple(mistakes),
                                        entry.line))
            except FieldError:
                continue
        return tuple(out)

    def names(self, item: YamlMap, tid: str, *, specs: bool) -> dict[str, Any]:
        field = f"{tid}.inputs"
        if "inputs" not in item:
            raise self.problem(item.line, "missing required key 'inputs'", field)
        raw = item["inputs"]
        line = item.line_of("inputs")
        if not specs and isinstance(raw, list):
            raw_map = {name: None for name in raw}
            lines = {name: raw.line_of(i) for i, name in enumerate(raw)}
        elif isinstance(raw, dict):
            raw_map, lines = dict(raw), {k: raw.line_of(k) for k in raw}
        else:
            raise self.problem(line, "must map each input name to its value"
                               if specs else "must list the input names", field)
        if not raw_map:
            raise self.problem(line, "needs at least one input", field)
        out = {}
        for name, spec in raw_map.items():
            why = ex.check_name(name) if isinstance(name, str) else "must be a name"
            if why:
                self.problem(lines[name], why, f"{field}.{name}")
                continue
            out[name] = None
            if specs:
                with contextlib.suppress(FieldError):
                    out[name] = self.number_spec(spec, lines[name], f"{field}.{name}")
        return out

    def node(self, item: YamlMap, tid: str, names: Iterable[str]) -> Node:
        field = f"{tid}.node"
        if "node" not in item:
            raise self.problem(item.line, "missing required key 'node'", field)
        text = self.text(item["node"], item.line_of("node"), field)
        return self.parsed(lambda: Node.parse(text, names), item.line_of("node"), field)

    def parsed(self, build: Any, line: int, field: str) -> Any:
        try:
            return build()
        except ExprError as exc:
            caret = exc.caret().replace("\n", "\n    ")
            raise self.problem(line, f"{exc.describe()}\n    {caret}", field) from None

    def number_spec(self, value: Any, line: int, field: str) -> NumberSpec:
        if not isinstance(value, dict):
            return NumberSpec("fixed", (self.number(value, line, field),))
        raw = self.mapping(value, line, field, {"int", "decimal", "choice", "places",
                                                "nonzero", "exclude"})
        kinds = [k for k in ("int", "decimal", "choice") if k in raw]
        if len(kinds) != 1:
            raise self.problem(raw.line, "give exactly one of int, decimal or choice", field)
        kind = kinds[0]
        spot = raw.line_of(kind)
        nonzero = self.flag(raw["nonzero"], raw.line_of("nonzero"), f"{field}.nonzero") \
            if "nonzero" in raw else False
        exclude = raw.get("exclude", [])
        if not isinstance(exclude, list):
            exclude = [exclude]
        excluded = tuple(self.number(v, raw.line_of("exclude"), f"{field}.exclude")
                         for v in exclude)
        places = 0
        if kind == "choice":
            options = raw[kind]
            if not isinstance(options, list) or not options:
                raise self.problem(spot, "must be a non-empty list of numbers", field)
            values = tuple(self.number(v, spot, field) for v in options)
        else:
            bounds = raw[kind]
            if not isinstance(bounds, list) or len(bounds) != 2:
                raise self.problem(spot, f"{kind} takes [low, high]", field)
            values = tuple(self.number(v, spot, field) for v in bounds)
            if values[0] > values[1]:
                raise self.problem(spot, "low must not be above high", field)
            if kind == "int" and not all(v.is_Integer for v in values):
                raise self.problem(spot, "int bounds must be whole numbers", field)
            if kind == "decimal":
                places = raw.get("places", 1)
                if isinstance(places, bool) or places not in range(1, 7):
                    raise self.problem(raw.line_of("places"), "places must be 1 to 6", field)
            elif "places" in raw:
                raise self.problem(raw.line_of("places"), "places goes with decimal", field)
            if (values[1] - values[0]) * 10**places > 10**9:
                raise self.problem(spot, "range too wide", field)
        spec = NumberSpec(kind, values, places, nonzero, excluded)
        if not self.can_draw(spec):
            raise self.problem(spot, "nonzero and exclude leave no value to draw", field)
        return spec

    @staticmethod
    def can_draw(spec: NumberSpec) -> bool:
        if spec.kind == "choice":
            return any(spec.allowed(v) for v in spec.values)
        scale = 10**spec.places
        low, high = sp.ceiling(spec.values[0] * scale), sp.floor(spec.values[1] * scale)
        if high < low:
            return False
        blocked = {v * scale for v in spec.exclude} | ({0} if spec.nonzero else set())
        return (high - low + 1) > len({b for b in blocked if low <= b <= high})

    def number(self, value: Any, line: int, field: str) -> sp.Rational:
        if isinstance(value, bool) or value is None:
            raise self.problem(line, f"must be a number, not {_kind(value)}", field)
        if isinstance(value, (int, float)):
            try:
                return decimal_rational(value)
            except (ValueError, OverflowError):
                raise self.problem(line, f"must be a finite number, not {value}", field) from None
        if isinstance(value, str):
            number = self.parsed(lambda: ex.parse_number(value), line, field)
            if not number.is_Rational:
                raise self.problem(line, f"'{value}' is not a rational number", field)
            return number
        raise self.problem(line, f"must be a number, not {_kind(value)}", field)

    def ask(self, item: YamlMap, tid: str, known: Iterable[str],
            default: tuple[str, ...]) -> tuple[str, ...]:
        """The asked wires or values: a name or a list of names, each once."""
        if "ask" not in item:
            return default
        raw = item["ask"]
        ask = tuple(raw) if isinstance(raw, list) else (raw,)
        names = set(known)
        for name in ask:
            if name not in names:
                kind = "circuit" if item.get("type") in ("circuit", "network") else "node"
                raise self.problem(item.line_of("ask"), f"'{name}' is not a value of this "
                                   f"{kind}", f"{tid}.ask")
        if len(set(ask)) != len(ask) or not ask:
            raise self.problem(item.line_of("ask"), "list each wire once", f"{tid}.ask")
        return ask

    def mistake_id(self, value: Any, line: int, field: str) -> str:
        if not isinstance(value, str) or not _MISTAKE_ID.fullmatch(value):
            raise self.problem(line, "must be a mistake id such as forward-value", field)
        if value not in BY_ID:
            raise self.problem(line, f"unknown mistake '{value}' (see docs/mistakes.md)", field)
        return value

    def placeholders(self, prompt: str, names: set[str], item: YamlMap, tid: str) -> None:
        for match in PLACEHOLDER.finditer(prompt):
            token = match.group()
            if token in ("{{", "}}"):
                continue
            name = match.group(1)
            if name is None or name not in names:
                shown = ", ".join("{" + n + "}" for n in sorted(names))
                self.problem(item.line_of("prompt"), f"unknown placeholder {token} "
                             f"(known: {shown}; write {{{{ and }}}} for braces)",
                             f"{tid}.prompt")


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
