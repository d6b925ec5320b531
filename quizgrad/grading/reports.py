"""Writing a class's grades: results.json, grades.csv and feedback/<student>.md, atomically.

Everything is built in a temporary folder beside the output and moved into place, so a
re-run replaces the previous reports cleanly and an interrupted run leaves the old ones.
Feedback files are named after the key's student ids, which are checked again here: no
file is ever written outside the output folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from quizgrad.errors import OutputError
from quizgrad.formats.canvas import canvas_csv
from quizgrad.formats.feedback_files import feedback_markdown
from quizgrad.formats.gradebook import grades_csv
from quizgrad.formats.gradescope import gradescope_json
from quizgrad.formats.keyfile import Key
from quizgrad.gcpause import paused
from quizgrad.grading.grade import ClassResults, results_json
from quizgrad.grading.roster import safe_id_problem

REPORTS = ("results.json", "grades.csv", "feedback")
FORMATS = ("quizgrad", "canvas", "gradescope")


def write_reports(key: Key, results: ClassResults, out: Path, form: str = "quizgrad",
                  assignment: str = "quizgrad") -> list[str]:
    """Write the reports into ``out`` (created if needed); returns the names written.

    ``form`` canvas adds canvas.csv (a gradebook Canvas imports); gradescope writes
    results.json in Gradescope's autograder format instead of quizgrad's own.
    """
    with paused():
        return _write(key, results, out, form, assignment)


def _write(key: Key, results: ClassResults, out: Path, form: str = "quizgrad",
           assignment: str = "quizgrad") -> list[str]:
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".grading.", dir=out))
    try:
        document = (gradescope_json(key, results) if form == "gradescope"
                    else results_json(key, results))
        (staging / "results.json").write_bytes(document.encode("utf-8"))
        (staging / "grades.csv").write_bytes(grades_csv(key, results).encode("utf-8"))
        names = list(REPORTS)
        if form == "canvas":
            (staging / "canvas.csv").write_bytes(canvas_csv(key, results, assignment)
                                                 .encode("utf-8"))
            names.append("canvas.csv")
        folder = staging / "feedback"
        folder.mkdir()
        variants = {v.student or v.id: v for v in key.variants}
        for result in results.students:
            if result.status == "missing" or safe_id_problem(result.student):
                continue
            target = folder / f"{result.student}.md"
            if target.resolve().parent != folder.resolve():  # pragma: no cover - ids are safe
                continue
            target.write_bytes(feedback_markdown(variants[result.student], result)
                               .encode("utf-8"))
        for name in names:
            _swap(staging / name, out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return names


def _swap(new: Path, old: Path) -> None:
    """Put ``new`` where ``old`` is (a file or a folder), replacing it."""
    if old.is_dir() and not old.is_symlink():
        trash = old.with_name(f".{old.name}.old-{os.getpid()}")
        old.rename(trash)
        new.rename(old)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(new, old)
