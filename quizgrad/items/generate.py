"""Randomized problem sets: one reproducible, discriminating variant per student.

A variant's numbers derive from (seed, template id, variant id) through SHA-256 (see
:mod:`quizgrad.math.rng`), so the same command writes byte-identical files on any machine, and
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

from quizgrad.bank.load import Bank, Template, templates_of
from quizgrad.errors import GradientError, OutputError, QuizgradError, UsageError
from quizgrad.formats.answer_files import answer_entry, answer_page
from quizgrad.formats.keyfile import KeyVariant
from quizgrad.formats.keytext import KEY_SEPARATOR, KEY_TAIL, item_text, key_head, variant_text
from quizgrad.formats.sheets import html_page, html_section, markdown_page, markdown_section
from quizgrad.gcpause import paused
from quizgrad.grading.roster import Student
from quizgrad.items.base import Item
from quizgrad.items.discriminate import Profile, install
from quizgrad.math.rng import Stream
from quizgrad.registry import draw, kind_of, profile
from quizgrad.workers import Workers

SEPARATOR = KEY_SEPARATOR.encode("utf-8")


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
    """What writing one variant produced: its part of key.json, its size in items and points.

    A worker process leaves the key part in its spill file and sends only where it lies:
    (spill file name, offset, length).
    """

    key: bytes
    items: int
    points: float
    spilled: tuple[str, int, int] | None = None


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
    return tuple(draw_one(template, seed, variant) for template in templates)


def draw_one(template: Template, seed: str, variant: str) -> Item:
    """The item that ``template`` gives ``variant``: drawn from (seed, template id, variant id)."""
    stream = Stream(seed, template.id, variant)
    try:
        return draw(template, stream)
    except GradientError as exc:
        raise GenerationError(f"{template.where}: {template.id}: variant {variant}: "
                              f"{exc}") from None


@dataclass(frozen=True)
class _Column:
    """One template's items for a run of variants, and their parts of each file, in order."""

    items: list[Item]
    markdown: list[str]
    html: list[str]
    entries: list[str]
    key: list[str]

    @classmethod
    def of(cls, items: list[Item], number: int) -> _Column:
        """The parts of item ``number`` of each variant, one kind of part after another."""
        return cls(items, [markdown_section(item, number) for item in items],
                   [html_section(item, number) for item in items],
                   [answer_entry(item, number) for item in items],
                   [item_text(item) for item in items])


def write_variant(templates: Sequence[Template], seed: str, title: str, spec: VariantSpec,
                  folder: Path) -> Written:
    """Draw one variant, write its sheets and blank answer file, return its key entry."""
    return write_variants(templates, seed, title, [spec], folder)[0]


def write_variants(templates: Sequence[Template], seed: str, title: str,
                   specs: Sequence[VariantSpec], folder: Path) -> list[Written]:
    """:func:`write_variant` for each of ``specs``, made template by template.

    Each template draws its item for every variant in turn, then lays out each of them for
    one file after another; each variant's files are put together from its items' parts at
    the end. The files are the same as one variant at a time would give; what changes is
    that the same code runs many times in a row, which the processor's caches reward: for a
    class, about a fifth less time (docs/benchmarks.md).
    """
    columns = [_Column.of([draw_one(template, seed, spec.id) for spec in specs], number)
               for number, template in enumerate(templates, start=1)]
    written = []
    for at, spec in enumerate(specs):
        items = tuple(column.items[at] for column in columns)
        variant = KeyVariant(spec.id, spec.student, spec.name, items)
        _write(folder / "sheets" / f"{spec.id}.md",
               markdown_page(variant, title, [column.markdown[at] for column in columns]))
        _write(folder / "sheets" / f"{spec.id}.html",
               html_page(variant, title, [column.html[at] for column in columns]))
        _write(folder / "answers" / f"{spec.id}.yaml",
               answer_page(variant, [column.entries[at] for column in columns]))
        fields: dict[str, Any] = {"id": spec.id, "student": spec.student}
        if spec.name:
            fields["name"] = spec.name
        key = variant_text(fields, [column.key[at] for column in columns])
        written.append(Written(key.encode("utf-8"), len(items), variant.max_points))
    return written


SPILL = ".key-part-"  # a worker's key parts, in the staging folder until key.json is written
_JOB: tuple[Sequence[Template], str, str, Path] | None = None
_SPILL: tuple[int, str] | None = None  # this worker's spill file: descriptor and name
_SPILLED = 0  # bytes in it so far


def _probe(index: int) -> tuple[int, Profile | None]:
    """Probe one template and draw it once: one that cannot be drawn fails before any variant."""
    assert _JOB is not None
    templates, seed, _, _ = _JOB
    draw_one(templates[index], seed, "warm-up")
    return index, profile(templates[index])


def _install(profiles: dict[int, Profile]) -> None:
    """Take the profiles that the workers probed between them."""
    assert _JOB is not None
    install({_JOB[0][index]: shape for index, shape in profiles.items()})


def _jobs(specs: list[VariantSpec]) -> list[Written]:
    """Write some variants in a worker; their key parts go to the worker's spill file."""
    global _SPILL, _SPILLED
    assert _JOB is not None
    templates, seed, title, folder = _JOB
    done = []
    for written in write_variants(templates, seed, title, specs, folder):
        if _SPILL is None:
            name = f"{SPILL}{os.getpid()}"
            _SPILL = (os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), name)
        fd, name = _SPILL
        _write_fully(fd, written.key)  # unbuffered: the parent reads it once this returns
        done.append(Written(b"", written.items, written.points, (name, _SPILLED, len(written.key))))
        _SPILLED += len(written.key)
    return done


def _costliest_first(templates: Sequence[Template]) -> list[int]:
    """Template indices, the costliest to probe first (matrices, circuits, then nodes).

    The workers share the probes out one by one; a long one started last would keep one
    worker busy while the other waits for it.
    """
    def cost(index: int) -> int:
        return kind_of(templates[index]).cost

    return sorted(range(len(templates)), key=cost, reverse=True)


LONGEST_RUN = 64  # variants made together by write_variants (128 took as long: docs/benchmarks.md)


def runs(specs: Sequence[VariantSpec], workers: int) -> list[list[VariantSpec]]:
    """The variants in runs for the workers: long runs first, shorter and shorter to the end.

    The longer a run, the more variants each template serves in a row (see
    :func:`write_variants`); the short ones at the end keep every worker busy to the last.
    """
    found: list[list[VariantSpec]] = []
    at = 0
    while at < len(specs):
        size = max(1, min(LONGEST_RUN, (len(specs) - at) // (workers * 4)))
        found.append(list(specs[at:at + size]))
        at += size
    return found


def write_all(templates: Sequence[Template], seed: str, title: str,
              specs: Sequence[VariantSpec], folder: Path, workers: int | None = None
              ) -> Iterator[Written]:
    """Write every variant, on several processes when there are many; yields them in order.

    The workers first probe the templates between them (each once), then share out the
    variants in runs (see :func:`runs`). A worker keeps its key parts in a spill file and
    sends only where each lies, so the parent has little to do but copy them into key.json
    in order.
    """
    global _JOB
    workers = min(workers or os.cpu_count() or 1, 8)
    if workers < 2 or len(specs) < 40 or (
            "fork" not in multiprocessing.get_all_start_methods()):
        for run in runs(specs, 1):
            yield from write_variants(templates, seed, title, run, folder)
        return
    _JOB = (templates, seed, title, folder)
    spills: dict[str, int] = {}
    try:
        with Workers(workers) as pool:
            probed = pool.unordered(_probe, _costliest_first(templates))
            pool.each((_install, {index: shape for index, shape in probed if shape is not None}))
            for chunk in pool.ordered(_jobs, runs(specs, workers)):
                for written in chunk:
                    assert written.spilled is not None
                    name, offset, length = written.spilled
                    if name not in spills:
                        spills[name] = os.open(folder / name, os.O_RDONLY)
                    yield Written(os.pread(spills[name], length, offset), written.items,
                                  written.points)
    finally:
        _JOB = None
        for fd in spills.values():
            os.close(fd)
        for spill in folder.glob(f"{SPILL}*"):
            spill.unlink()


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
        with paused(), (staging / "key.json").open("wb") as key:
            key.write(key_head(seed, bank_info).encode("utf-8"))
            for written in write_all(templates, seed, title, specs, staging, workers):
                key.write(SEPARATOR + written.key if variants else written.key)
                points = points if variants else written.points
                variants, items = variants + 1, items + written.items
            key.write(KEY_TAIL.encode("utf-8"))
        _replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Summary(str(out), seed, variants, items, points, tuple(t.id for t in templates))


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _write(path: Path, text: str) -> None:
    """UTF-8 with LF line ends on every platform: the same bytes everywhere.

    A new file in the staging folder, written with one system call where possible (the
    thousands of small files of a class are mostly the cost of creating them).
    """
    fd = os.open(path, _NEW_FILE, 0o666)  # as open() does: the umask decides
    try:
        _write_fully(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


def _write_fully(fd: int, data: bytes) -> None:
    """Write all of ``data`` to a descriptor (os.write may take only part of it)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _replace(staging: Path, out: Path) -> None:
    """Move the finished set into place; an old folder is removed only after that."""
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(out)
