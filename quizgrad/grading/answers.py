"""Answer files -> submissions: YAML, JSON and CSV, read defensively.

Whatever students hand in — malformed YAML, binary files, UTF-16, a BOM, CRLF line ends,
the wrong top-level type, python/object tags, alias bombs, files over the size limit —
becomes either a :class:`Submission` or an :class:`Unreadable` that says why. Nothing here
raises for bad input, and one bad file never affects another.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from quizgrad.gcpause import paused
from quizgrad.grading.roster import safe_id_problem
from quizgrad.textio import MAX_FILE_BYTES, TextFileError, decode

SUFFIXES = (".yaml", ".yml", ".json", ".csv")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Submission:
    """One student's answers: item id -> raw answer (text, number, or wire -> value)."""

    student: str
    answers: dict[str, Any]
    file: str
    warnings: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Unreadable:
    """A file (or a CSV row) that could not be read as a submission, and why."""

    file: str
    reason: str
    student: str | None = None


Read = Submission | Unreadable


def collect(paths: Iterable[Path]) -> tuple[list[Path], list[Unreadable]]:
    """The answer files named (folders are searched for .yaml/.yml/.json/.csv), in order.

    A file named on the command line is read as named. A folder's contents are handed in by
    students, so a link in it that leads outside the folder is refused without being read
    (and a linked folder is not searched): a submission cannot make ``grade`` read
    ``~/.ssh/id_rsa`` into its feedback.
    """
    found: list[Path] = []
    problems: list[Unreadable] = []
    for path in paths:
        if path.is_dir():
            files, refused = _folder(path)
            found.extend(files)
            problems.extend(refused)
        elif not path.exists():
            problems.append(Unreadable(str(path), "no such file"))
        elif path.suffix.lower() not in SUFFIXES:
            problems.append(Unreadable(str(path), "not an answer file (expected .yaml, .yml, "
                                       ".json or .csv)"))
        else:
            found.append(path)
    return found, problems


def _folder(root: Path) -> tuple[list[Path], list[Unreadable]]:
    """The answer files under ``root``, and the links in it that were refused.

    A link to a file within the folder is read as that file, and each file once (a link
    beside its target would otherwise be a second submission, and a conflict).
    """
    base = Path(os.path.realpath(root))
    found: list[Path] = []
    linked: dict[Path, Path] = {}  # target -> the link that leads to it
    refused: list[Unreadable] = []
    for here, folders, names in os.walk(root):  # links to folders are listed, not entered
        folders.sort()
        names.sort()
        for name in [*folders, *names]:
            path = Path(here) / name
            if not path.is_symlink():
                if name in names and path.suffix.lower() in SUFFIXES:
                    found.append(path)
                continue
            if name in names and path.suffix.lower() not in SUFFIXES:
                continue
            target = Path(os.path.realpath(path))
            what = "folder" if name in folders else "file"
            if not target.exists():
                refused.append(Unreadable(str(path), "a link that leads nowhere (or loops): "
                                          "not read"))
            elif not target.is_relative_to(base):
                verb = "searched" if what == "folder" else "read"
                refused.append(Unreadable(str(path), f"a link to a {what} outside {root}: "
                                          f"not {verb}"))
            elif what == "file":
                linked.setdefault(target, path)
    real = {Path(os.path.realpath(path)) for path in found}
    found.extend(link for target, link in linked.items() if target not in real)
    return sorted(found), sorted(refused, key=lambda u: u.file)


def read_all(paths: Iterable[Path], progress: Callable[[], None] | None = None) -> list[Read]:
    """Every submission in the files and folders named; unreadable ones say why."""
    files, problems = collect(paths)
    reads: list[Read] = list(problems)
    with paused():
        for path in files:
            reads.extend(read(path))
            if progress:
                progress()
    return reads


def read(path: Path) -> list[Read]:
    """Every submission in one file (a CSV holds one per row)."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return [Unreadable(name, f"file too large ({size:,} bytes; the limit is "
                                     f"{MAX_FILE_BYTES:,})")]
        text = decode(path.read_bytes())
    except TextFileError as exc:
        return [Unreadable(name, str(exc))]
    except OSError as exc:
        return [Unreadable(name, exc.strerror or str(exc))]
    return parse(text, name, path.suffix.lower())


def parse(text: str, name: str, suffix: str) -> list[Read]:
    """Submissions from the text of a file with the given suffix."""
    if not text.strip():
        return [Unreadable(name, "the file is empty")]
    if suffix == ".csv":
        return list(_csv(text, name))
    try:
        data = _json(text) if suffix == ".json" else _yaml(text)
    except ValueError as exc:
        return [Unreadable(name, str(exc))]
    return [_submission(data, name)]


def _yaml(text: str) -> Any:
    try:
        if "&" in text and any(
                isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None)
                for event in yaml.parse(text, Loader=_Loader)):
            raise ValueError("YAML anchors and aliases (&name, *name) are not allowed in "
                             "answer files")  # (an alias needs an anchor, so '&' suffices)
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}: " if mark else ""
        raise ValueError(f"malformed YAML ({where}{exc.problem or exc})") from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise ValueError(f"malformed YAML ({str(exc).splitlines()[0]})") from None


def _json(text: str) -> Any:
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        if len(set(keys)) != len(keys):
            duplicate = next(k for k in keys if keys.count(k) > 1)
            raise ValueError(f"duplicate key '{duplicate}'")
        return dict(pairs)

    try:
        return json.loads(text, object_pairs_hook=unique)
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise ValueError("malformed JSON (nested too deeply)") from None
    except ValueError as exc:
        raise ValueError(f"malformed JSON ({exc})") from None


MAX_DEPTH = 6  # answers -> item -> wire -> matrix rows -> entries, with room to spare


def _depth(value: Any) -> int:
    """How deeply lists and mappings nest (without recursion: hostile files nest deep)."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        item, level = todo.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        if isinstance(item, dict):
            todo.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            todo.extend((v, level + 1) for v in item)
    return deepest


def _submission(data: Any, name: str) -> Read:
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "nothing"
        return Unreadable(name, f"expected a mapping with 'student' and 'answers', not {kind}")
    student = data.get("student")
    if isinstance(student, bool) or not isinstance(student, (str, int)):
        return Unreadable(name, "no 'student' (the student id) in the file")
    student = str(student).strip()
    problem = safe_id_problem(student)
    if problem:
        shown = student[:40].encode("unicode_escape").decode("ascii")
        return Unreadable(name, f"the student id '{shown}' {problem}")
    answers = data.get("answers", {})
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        return Unreadable(name, "'answers' must be a mapping of item id -> answer", student)
    if _depth(answers) > MAX_DEPTH:
        return Unreadable(name, f"answers nested more than {MAX_DEPTH} levels deep (a matrix "
                          "is a list of rows: two levels)", student)
    warnings = tuple(f"unknown top-level key '{key}' ignored" for key in data
                     if key not in ("student", "answers", "name", "variant", "email"))
    return Submission(student, {str(k): v for k, v in answers.items()}, name, warnings)


def _csv(text: str, name: str) -> Iterator[Read]:
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        yield Unreadable(name, f"malformed CSV ({exc})")
        return
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        yield Unreadable(name, "the file is empty")
        return
    header = [cell.strip() for cell in rows[0]]
    lowered = [cell.lower() for cell in header]
    if "student" not in lowered:
        yield Unreadable(name, "a CSV of answers needs a 'student' column")
        return
    student_at = lowered.index("student")
    columns = [(i, cell) for i, cell in enumerate(header)
               if i != student_at and cell and cell.lower() not in ("name", "email", "variant")]
    for number, row in enumerate(rows[1:], start=2):
        where = f"{name} (row {number})"
        cells = {"student": row[student_at] if student_at < len(row) else ""}
        answers: dict[str, Any] = {}
        for index, column in columns:
            value = row[index].strip() if index < len(row) else ""
            item, _, wire = column.partition(".")
            if wire:
                answers.setdefault(item, {})[wire] = value or None
            else:
                answers[item] = value or None
        yield _submission({**cells, "answers": answers}, where)
