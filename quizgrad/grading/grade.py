"""Grading a class: submissions x key -> results, and the class's misconception table.

Every student of the key gets a result, in key order: ``graded``, ``missing`` (no
submission) or ``error`` (the submission could not be graded: unreadable, or two files
for one student — a conflict that is reported, never silently resolved). Each distinct
(item, answer) pair is judged once: a class gives the same few answers again and again.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from quizgrad.formats.keyfile import Key, KeyVariant
from quizgrad.gcpause import paused
from quizgrad.grading.answers import Read, Submission, Unreadable
from quizgrad.grading.judge import Judgement, judge
from quizgrad.items.base import Item
from quizgrad.mistakes.catalog import BY_ID, TEACHING_PAGE

GRADED, MISSING, ERROR = "graded", "missing", "error"


@dataclass(frozen=True)
class StudentResult:
    """One student's outcome."""

    student: str
    variant: str
    status: str
    error: str | None
    points: float
    max_points: float
    items: tuple[Judgement, ...] = ()
    file: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def percent(self) -> float:
        """Points as a percentage of the maximum."""
        return round(100 * self.points / self.max_points, 2) if self.max_points else 0.0


@dataclass(frozen=True)
class ClassResults:
    """The whole class: students in key order, files that could not be graded, mistakes."""

    students: tuple[StudentResult, ...]
    errors: tuple[Unreadable, ...]
    mistakes: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every submission was graded."""
        return not self.errors


class Judge:
    """Judges answers, remembering each distinct (item, answer) pair."""

    def __init__(self) -> None:
        self._memo: dict[tuple[object, ...], Judgement] = {}

    def __call__(self, item: Item, answer: Any) -> Judgement:
        """The judgement of ``answer`` on ``item`` (computed once per distinct pair)."""
        try:
            key = (item.key, _frozen(answer))
        except TypeError:
            return judge(item, answer)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = judge(item, answer)
        return found


def _frozen(value: Any) -> object:
    if isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return (type(value).__name__, value)


def grade_class(key: Key, reads: Iterable[Read],
                progress: Callable[[], None] | None = None) -> ClassResults:
    """Grade every submission against the key."""
    with paused():
        return _grade_class(key, reads, progress)


def _grade_class(key: Key, reads: Iterable[Read],
                 progress: Callable[[], None] | None) -> ClassResults:
    by_student: dict[str, list[Submission]] = defaultdict(list)
    errors: list[Unreadable] = []
    known = {variant.student or variant.id for variant in key.variants}
    for read in reads:
        if isinstance(read, Unreadable):
            errors.append(_attributed(read, known))
        else:
            by_student[read.student].append(read)
    for student, submissions in by_student.items():
        if student not in known:
            errors.extend(Unreadable(s.file, f"student '{student}' is not in the key", student)
                          for s in submissions)
        elif len(submissions) > 1:
            files = ", ".join(s.file for s in submissions)
            errors.extend(Unreadable(s.file, f"conflict: {len(submissions)} submissions for "
                                     f"'{student}' ({files}); none was graded", student)
                          for s in submissions)
    failed = {e.student: e for e in errors if e.student}
    judge_once = Judge()
    results = []
    for variant in key.variants:
        student = variant.student or variant.id
        mine = by_student.get(student, [])
        if student in failed:
            results.append(_failed(variant, failed[student].reason))
        elif not mine:
            results.append(StudentResult(student, variant.id, MISSING, None, 0.0,
                                         variant.max_points))
        else:
            results.append(_graded(variant, mine[0], judge_once))
        if progress:
            progress()
    students = tuple(results)
    return ClassResults(students, tuple(errors), misconception_table(key, students))


def _attributed(unreadable: Unreadable, known: set[str]) -> Unreadable:
    """An unreadable file named after a student of the key (s001.yaml) is that student's."""
    if unreadable.student is None:
        stem = Path(unreadable.file.split(" (row ")[0]).stem
        if stem in known:
            return replace(unreadable, student=stem)
    return unreadable


def _failed(variant: KeyVariant, reason: str) -> StudentResult:
    return StudentResult(variant.student or variant.id, variant.id, ERROR, reason, 0.0,
                         variant.max_points)


def _graded(variant: KeyVariant, submission: Submission, judge_once: Judge) -> StudentResult:
    ids = {item.id for item in variant.items}
    warnings = list(submission.warnings)
    warnings.extend(f"answer for unknown item '{item}' ignored"
                    for item in submission.answers if item not in ids)
    items = tuple(judge_once(item, submission.answers.get(item.id)) for item in variant.items)
    points = round(sum(j.points for j in items), 6)
    return StudentResult(variant.student or variant.id, variant.id, GRADED, None, points,
                         variant.max_points, items, submission.file, tuple(warnings))


def misconception_table(key: Key, students: Iterable[StudentResult]) -> dict[str, dict[str, Any]]:
    """Mistake id -> how many students made it, on which items (and how often).

    A specific mistake also counts under the generic one it refines (sigmoid-value-only is
    forward-value on a sigmoid node), each student and item once, and the generic row lists
    the refinements it ``includes``. The teaching page's three mistakes always have a row,
    with 0 students when nobody made them: that nobody did is worth knowing too.
    """
    who: dict[str, set[str]] = defaultdict(set)
    where: dict[str, Counter[str]] = defaultdict(Counter)
    includes: dict[str, set[str]] = defaultdict(set)
    for result in students:
        for judgement in result.items:
            rows = set(judgement.mistakes)
            for mistake in judgement.mistakes:
                parent = BY_ID[mistake].refines if mistake in BY_ID else None
                if parent is not None:
                    rows.add(parent)
                    includes[parent].add(mistake)
            for row in rows:
                who[row].add(result.student)
                where[row][judgement.item] += 1
    table = {m: {"description": BY_ID[m].description if m in BY_ID else "",
                 "students": len(who[m]), "items": dict(where[m].most_common()),
                 "includes": sorted(includes[m])}
             for m in (*who, *(m for m in TEACHING_PAGE if m not in who))}
    return dict(sorted(table.items(), key=lambda kv: (-kv[1]["students"], kv[0])))


def results_json(key: Key, results: ClassResults) -> str:
    """results.json: students in key order (one per line), errors, the misconception table."""
    students = []
    for result in results.students:
        students.append({
            "student": result.student, "variant": result.variant, "status": result.status,
            "error": result.error, "points": result.points, "max_points": result.max_points,
            "percent": result.percent, "file": result.file, "warnings": list(result.warnings),
            "items": [{
                "item": j.item, "points": j.points, "max_points": j.max_points,
                "verdict": j.verdict, "mistakes": list(j.mistakes),
                "parts": [{"wire": p.wire, "given": p.given, "expected": p.expected,
                           "verdict": p.verdict, "mistakes": list(p.mistakes),
                           "message": p.message} for p in j.parts],
            } for j in result.items],
        })
    head = {"key": key.path, "seed": key.seed}
    tail = {"errors": [{"file": e.file, "reason": e.reason} for e in results.errors],
            "mistakes": results.mistakes}
    rows = ",\n".join(json.dumps(student, ensure_ascii=False) for student in students)
    return (json.dumps(head, ensure_ascii=False)[:-1] + ', "students": [\n' + rows + "\n], "
            + json.dumps(tail, ensure_ascii=False, indent=1)[1:] + "\n")
