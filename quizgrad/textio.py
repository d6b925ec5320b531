"""Reading untrusted text files safely and writing output files atomically."""

from __future__ import annotations

import codecs
import os
import tempfile
from pathlib import Path

from quizgrad.errors import QuizgradError

MAX_FILE_BYTES = 1_000_000


class TextFileError(QuizgradError):
    """A file could not be read as text (missing, too large, binary, undecodable)."""


def decode(data: bytes, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Bytes -> text: UTF-8 (with or without BOM) or UTF-16 with a BOM; CRLF becomes LF."""
    if len(data) > max_bytes:
        raise TextFileError(f"file too large ({len(data):,} bytes; the limit is {max_bytes:,})")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
        if b"\0" in data:
            raise TextFileError("binary file (it contains NUL bytes)")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise TextFileError(f"not UTF-8 text (undecodable byte at offset {exc.start})") from None
    if "\0" in text:
        raise TextFileError("binary file (it contains NUL characters)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a text file with :func:`decode`; TextFileError says what is wrong."""
    try:
        if path.is_dir():
            raise TextFileError("is a directory")
        size = path.stat().st_size
        if size > max_bytes:
            raise TextFileError(f"file too large ({size:,} bytes; the limit is {max_bytes:,})")
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise TextFileError("no such file") from None
    except OSError as exc:
        raise TextFileError(exc.strerror or str(exc)) from None
    return decode(data, max_bytes)


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file and a rename: never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
