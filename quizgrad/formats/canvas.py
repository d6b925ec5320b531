"""canvas.csv: the class's totals as a gradebook Canvas imports (GradebookImporter's rules).

The header is ``Student,ID,SIS User ID,SIS Login ID,Section,<assignment>`` (column 0
Student, column 1 ID, the student columns ending with Section), then a ``Points Possible``
row. The roster id goes in SIS User ID, which Canvas matches; a student without a graded
submission gets an empty cell (no score) rather than a zero.
"""

from __future__ import annotations

import csv
import io

from quizgrad.formats.gradebook import safe_cell
from quizgrad.formats.keyfile import Key
from quizgrad.grading.grade import GRADED, ClassResults


def canvas_csv(key: Key, results: ClassResults, assignment: str) -> str:
    """The Canvas gradebook for one assignment column."""
    names = {v.student or v.id: v.name for v in key.variants}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                     safe_cell(assignment)])
    possible = max((r.max_points for r in results.students), default=0.0)
    writer.writerow(["Points Possible", "", "", "", "", f"{possible:g}"])
    for result in results.students:
        score = f"{result.points:g}" if result.status == GRADED else ""
        writer.writerow([safe_cell(names.get(result.student) or result.student), "",
                         safe_cell(result.student), "", "", score])
    return out.getvalue()
