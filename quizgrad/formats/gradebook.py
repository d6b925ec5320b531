"""grades.csv: one row per student of the key, spreadsheet-safe."""

from __future__ import annotations

import csv
import io

from quizgrad.formats.keyfile import Key
from quizgrad.grading.grade import ClassResults

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """Text that a spreadsheet cannot take for a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _number(value: float) -> str:
    return f"{value:g}"


def grades_csv(key: Key, results: ClassResults) -> str:
    """student, variant, status, points, max_points, percent, then one column per item."""
    items = list(dict.fromkeys(item.id for variant in key.variants for item in variant.items))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "variant", "status", "points", "max_points", "percent", *items])
    for result in results.students:
        scored = {j.item: _number(j.points) for j in result.items}
        writer.writerow([safe_cell(result.student), safe_cell(result.variant), result.status,
                         _number(result.points), _number(result.max_points),
                         _number(result.percent),
                         *(scored.get(item, "") for item in items)])
    return out.getvalue()
