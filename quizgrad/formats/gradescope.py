"""results.json for a Gradescope autograder: one submission, one test per item.

Gradescope's format (see ../shared/reference/lms-formats.md): a top-level ``score`` (which
overrides the tests' sum), ``output``, and ``tests`` with ``name``, ``score``,
``max_score``, ``status`` and ``output``; everything visible to the student. A submission
that cannot be read still gets a results file: score 0 and the reason.
"""

from __future__ import annotations

import json

from quizgrad.formats.keyfile import Key
from quizgrad.grading.feedback import item_feedback, solution
from quizgrad.grading.grade import GRADED, ClassResults
from quizgrad.grading.judge import CORRECT


def gradescope_failure(reason: str) -> str:
    """A results file for a submission that cannot be graded at all: score 0 and why."""
    data = {"score": 0.0, "output": f"Your submission could not be graded: {reason}",
            "visibility": "visible", "tests": []}
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def gradescope_json(key: Key, results: ClassResults) -> str:
    """The results file; ``results`` holds the one student who handed something in."""
    submitted = [r for r in results.students if r.status != "missing"]
    if not submitted:
        reasons = "; ".join(f"{e.file}: {e.reason}" for e in results.errors) or "no answers"
        return gradescope_failure(reasons)
    result = submitted[0]
    variant = next(v for v in key.variants if (v.student or v.id) == result.student)
    tests = []
    if result.status == GRADED:
        for number, (item, judgement) in enumerate(zip(variant.items, result.items,
                                                       strict=False), start=1):
            lines = ["Right."] if judgement.verdict == CORRECT else [
                *item_feedback(item, judgement), "Worked solution:", *solution(item)]
            tests.append({"name": f"{number}. {item.title}", "score": judgement.points,
                          "max_score": judgement.max_points,
                          "status": "passed" if judgement.verdict == CORRECT else "failed",
                          "output": "\n".join(lines), "visibility": "visible"})
    output = (f"{result.student}, variant {result.variant}: {result.points:g} of "
              f"{result.max_points:g} points." if result.status == GRADED
              else f"Your submission could not be graded: {result.error}")
    if result.warnings:
        output += "\n" + "\n".join(result.warnings)
    data = {"score": result.points if result.status == GRADED else 0.0, "output": output,
            "visibility": "visible", "tests": tests}
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"
