"""Randomized problem sets: one reproducible, discriminating variant per student.

A variant's numbers derive from (seed, template id, variant id) through SHA-256 (see
:mod:`quizgrad.rng`), so the same command writes byte-identical files on any machine, and
adding a student to the roster changes nobody else's variant. The whole set is written to
a temporary folder beside the output and moved into place at the end: nothing is ever
half-written: the folder appears complete or not at all.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .bank import Bank, Template, WireTemplate, templates_of
from .errors import GradientError, OutputError, QuizgradError, UsageError
from .formats.answer_files import answer_template
from .formats.sheets import html_sheet, markdown_sheet
from .gcpause import paused
from .items import Item, draw, wire_draw
from .keyfile import KEY_SEPARATOR, KEY_TAIL, KeyVariant, key_head, variant_json
from .rng import Stream
from .roster import Student


class GenerationError(QuizgradError):
    """A template could not be drawn for a variant (no discriminating draw)."""


@dataclass(frozen=True)
class VariantSpec:
    """Who a variant is for: its id (file name), the roster student (or None), a name."""

    id: str
    student: str | None = None
    name: str = ""


@dataclass(frozen=True)
class Written:
    """What writing one variant produced: its lines of key.json, its size in items and points."""

    key: str
    items: int
    points: float


def anonymous(count: int) -> list[VariantSpec]:
    """v01 .. vN (zero-padded to at least two digits)."""
    if count < 1:
        raise UsageError("--count must be at least 1")
    width = max(2, len(str(count)))
    return [VariantSpec(f"v{i:0{width}d}") for i in range(1, count + 1)]


def for_roster(students: Iterable[Student]) -> list[VariantSpec]:
    """One variant per roster student, named after the student id."""
    return [VariantSpec(s.id, s.id, s.name) for s in students]


def pick(banks: Sequence[Bank], ids: Sequence[str]) -> list[Template]:
    """The templates to use: all, or those whose ids are listed (in bank order)."""
    templates = list(templates_of(banks))
    wanted = [i.strip() for raw in ids for i in raw.split(",") if i.strip()]
    if not wanted:
        return templates
    known = {t.id for t in templates}
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise GenerationError(f"unknown template id(s) for --pick: {', '.join(unknown)} "
                              "(see quizgrad list)")
    return [t for t in templates if t.id in set(wanted)]


def draw_items(templates: Sequence[Template], seed: str, variant: str) -> tuple[Item, ...]:
    """The items of one variant, each from its own stream (seed, template id, variant id)."""
    items = []
    for template in templates:
        stream = Stream(seed, template.id, variant)
        try:
            if isinstance(template, WireTemplate):
                items.append(wire_draw(template, stream)[0])
            else:
                items.append(draw(template, stream))
        except GradientError as exc:
            raise GenerationError(f"{template.where}: {template.id}: variant {variant}: "
                                  f"{exc}") from None
    return tuple(items)


def write_variant(templates: Sequence[Template], seed: str, title: str, spec: VariantSpec,
                  folder: Path) -> Written:
    """Draw one variant, write its sheets and blank answer file, return its key entry."""
    items = draw_items(templates, seed, spec.id)
    variant = KeyVariant(spec.id, spec.student, spec.name, items)
    _write(folder / "sheets" / f"{spec.id}.md", markdown_sheet(variant, title))
    _write(folder / "sheets" / f"{spec.id}.html", html_sheet(variant, title))
    _write(folder / "answers" / f"{spec.id}.yaml", answer_template(variant, seed))
    fields: dict[str, Any] = {"id": spec.id, "student": spec.student}
    if spec.name:
        fields["name"] = spec.name
    return Written(variant_json(fields, items), len(items), variant.max_points)


_JOB: tuple[Sequence[Template], str, str, Path] | None = None


def _job(spec: VariantSpec) -> Written:
    assert _JOB is not None
    templates, seed, title, folder = _JOB
    return write_variant(templates, seed, title, spec, folder)


def write_all(templates: Sequence[Template], seed: str, title: str,
              specs: Sequence[VariantSpec], folder: Path, workers: int | None = None
              ) -> Iterator[Written]:
    """Write every variant, on several processes when there are many; yields them in order.

    The parent only collects the key parts as they come, so it can write key.json while
    the workers go on; small chunks keep both workers busy to the end.
    """
    global _JOB
    workers = min(workers or os.cpu_count() or 1, 8)
    if workers < 2 or len(specs) < 40 or (
            "fork" not in multiprocessing.get_all_start_methods()):
        for spec in specs:
            yield write_variant(templates, seed, title, spec, folder)
        return
    draw_items(templates, seed, "warm-up")  # fill the plan caches once, before forking
    _JOB = (templates, seed, title, folder)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from pool.imap(_job, specs, chunksize=max(1, min(4, len(specs) // (
                workers * 8))))
    finally:
        _JOB = None


@dataclass(frozen=True)
class Summary:
    """What ``generate`` wrote."""

    out: str
    seed: str
    variants: int
    items: int
    points: float
    templates: tuple[str, ...]


def write_set(banks: Sequence[Bank], templates: Sequence[Template], seed: str,
              specs: Sequence[VariantSpec], out: Path, force: bool = False,
              workers: int | None = None, title: str = "Problem set") -> Summary:
    """Generate and write the whole set into ``out`` (refuses a non-empty folder unless forced)."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not force:
        raise OutputError(f"{out} exists and is not empty; use --force to replace it")
    if not templates:
        raise GenerationError("no templates to draw from")
    bank_info = [{"name": b.name, "file": Path(b.file).name, "sha256": b.sha256}
                 for b in banks]
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    items = variants = 0
    points = 0.0
    try:
        (staging / "sheets").mkdir()
        (staging / "answers").mkdir()
        with paused(), (staging / "key.json").open("w", encoding="utf-8", newline="\n") as key:
            key.write(key_head(seed, bank_info))
            for written in write_all(templates, seed, title, specs, staging, workers):
                key.write(KEY_SEPARATOR + written.key if variants else written.key)
                points = points if variants else written.points
                variants, items = variants + 1, items + written.items
            key.write(KEY_TAIL)
        _replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Summary(str(out), seed, variants, items, points, tuple(t.id for t in templates))


def _write(path: Path, text: str) -> None:
    """UTF-8 with LF line ends on every platform: the same bytes everywhere."""
    path.write_bytes(text.encode("utf-8"))


def _replace(staging: Path, out: Path) -> None:
    """Move the finished set into place; an old folder is removed only after that."""
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(out)
