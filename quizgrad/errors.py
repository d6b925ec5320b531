"""One small exception hierarchy; the CLI maps it to messages and exit codes in one place."""

from __future__ import annotations

from dataclasses import dataclass


class QuizgradError(Exception):
    """Base of every error quizgrad raises on purpose; carries the exit status it implies."""

    exit_code: int = 1


class UsageError(QuizgradError):
    """The command was called wrongly (a malformed option, a missing file): exit status 2."""

    exit_code = 2


class ExprError(QuizgradError):
    """An expression could not be read: the message, the text and the offending position."""

    def __init__(self, message: str, text: str, position: int, length: int = 1) -> None:
        self.message = message
        self.text = text
        self.position = max(0, min(position, len(text)))
        self.length = max(1, length)
        super().__init__(self.describe())

    def caret(self, width: int = 60) -> str:
        """Two lines: the text (a window of it when long) and a caret under the offending part."""
        start = max(0, self.position - width // 2)
        end = min(len(self.text), start + width)
        shown = self.text[start:end].replace("\t", " ").replace("\n", " ").replace("\0", " ")
        shown = "".join(ch if ch.isprintable() else " " for ch in shown)
        prefix = "..." if start > 0 else ""
        suffix = "..." if end < len(self.text) else ""
        marks = "^" * max(1, min(self.length, end - self.position))
        return f"{prefix}{shown}{suffix}\n{' ' * (len(prefix) + self.position - start)}{marks}"

    def describe(self) -> str:
        """The message with its 1-based position."""
        return f"{self.message} (at position {self.position + 1})"

    def __str__(self) -> str:
        return f"{self.describe()}\n{self.caret()}"


@dataclass(frozen=True)
class Problem:
    """One located problem in a file: where it is and what is wrong."""

    file: str
    line: int | None
    message: str
    field: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = f"{self.field}: {self.message}" if self.field else self.message
        return f"{where}: {what}"


class BankError(QuizgradError):
    """A question bank is invalid; carries every problem found, each located."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class GradientError(QuizgradError):
    """A value or gradient does not exist at the stored inputs (log(0), division by zero, ...)."""


class SubmissionError(QuizgradError):
    """A submission (answer file) cannot be read or does not fit the key."""


class KeyFileError(QuizgradError):
    """An answer key (key.json) cannot be read or is not one quizgrad wrote."""


class OutputError(QuizgradError):
    """Output cannot be written where asked (a non-empty directory without --force, ...)."""
