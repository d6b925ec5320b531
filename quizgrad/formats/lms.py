"""``quizgrad export``: render the exported questions in an LMS format and write one file."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from quizgrad.errors import OutputError, UsageError
from quizgrad.formats.export import Export, Grid

FORMATS = ("moodle", "gift", "qti")
SUFFIX = {"moodle": ".xml", "gift": ".txt", "qti": ".zip"}


@dataclass(frozen=True)
class Written:
    """What ``export`` wrote: the file, the count of questions, and what it left out."""

    path: str
    format: str
    questions: int
    notes: tuple[str, ...]


def render(export: Export, to: str) -> tuple[bytes, int, list[str]]:
    """The file's bytes, the number of questions in it, and notes on what was left out."""
    reasons: dict[str, list[str]] = {}
    for template, why in export.skipped:
        reasons.setdefault(why, []).append(template)
    notes = [f"{len(ids)} template(s) left out ({', '.join(ids)}): {why}"
             for why, ids in reasons.items()]
    if to == "moodle":
        from quizgrad.formats.moodle import moodle_xml

        return moodle_xml(export).encode("utf-8"), len(export.questions), notes
    if to == "gift":
        from quizgrad.formats.gift import entries, gift

        grids = sum(isinstance(q, Grid) for q in export.questions)
        if grids:
            notes.append(f"{grids} matrix question(s) written one entry per question: GIFT has "
                         "no embedded answers (--to moodle or --to qti keep each matrix whole)")
        count = sum(len(entries(q)) if isinstance(q, Grid) else 1 for q in export.questions)
        return gift(export).encode("utf-8"), count, notes
    if to == "qti":
        from quizgrad.formats.qti import qti_package

        return qti_package(export), len(export.questions), notes
    raise UsageError(f"--to must be one of {', '.join(FORMATS)}, not '{to}'")


def write_export(export: Export, to: str, out: Path, force: bool = False) -> Written:
    """Render and write ``out`` atomically (an existing file only with ``force``)."""
    data, count, notes = render(export, to)
    if out.exists() and (out.is_dir() or not force):
        raise OutputError(f"{out} exists; use --force to replace it" if not out.is_dir()
                          else f"{out} is a folder; give a file name such as "
                          f"quiz{SUFFIX[to]}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _write(out, data)
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from None
    if not count:
        raise OutputError(f"nothing to export: {'; '.join(notes) or 'no templates'} "
                          f"({out} holds no questions)")
    return Written(str(out), to, count, tuple(notes))


def _write(out: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)  # mkstemp makes it private; a normal file is not
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
