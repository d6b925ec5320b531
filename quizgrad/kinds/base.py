"""The one protocol every kind of item implements, with the defaults most kinds share.

A kind (node, circuit, matrix, network, local, choice, true/false) is one class: how its
templates are read from a bank and drawn into items, how an answer is read and judged, the
feedback and worked solution, its entry in the key, its section of a sheet, what the
terminal draws, its LMS questions, its answer-file entry and how ``check`` verifies it.
The modules that do these jobs for every item (judge, feedback, keyfile, sheets, quiz,
render, export, check) ask the item's kind (:func:`quizgrad.registry.kind_of`) and never
look at its class; a new kind is one module with a subclass of :class:`Kind` and a line
in :mod:`quizgrad.kinds` that registers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from quizgrad.bank.arrays import Reader
    from quizgrad.bank.check import BankSummary
    from quizgrad.bank.templates import SampleAnswer, Template
    from quizgrad.bank.yamlio import YamlMap
    from quizgrad.formats.drawing import Segment
    from quizgrad.formats.export import Question
    from quizgrad.grading.judge import Judgement, Part
    from quizgrad.items.base import Item
    from quizgrad.items.discriminate import Profile
    from quizgrad.math.rng import Stream

GENERIC_HINT = ("A node sends back, on each input wire, the upstream gradient times that wire's "
                "own local gradient, evaluated at the stored inputs.")


@dataclass(frozen=True)
class Figure:
    """What the terminal shows of an item below its prompt (``render`` gives it colour).

    ``narrow`` replaces the drawing when the terminal is narrower than ``width``; ``arrays``
    are (name, text, highlighted) lines; ``choices`` are shown as written.
    """

    drawing: list[list[Segment]] | None = None
    width: int = 0
    narrow: tuple[str, ...] = ()
    arrays: tuple[tuple[str, str, bool], ...] = ()
    choices: tuple[str, ...] = ()


class Kind:
    """One kind of item: every job done differently for it, in one place.

    Class attributes describe the kind; the methods are its share of each job. Methods
    without a default raise NotImplementedError, so a kind that forgets one fails loudly.
    """

    type: ClassVar[str]  # the bank's ``type:``
    template: ClassVar[type[Template]]
    item: ClassVar[type[Item]]
    keys: ClassVar[frozenset[str]] = frozenset()  # bank keys beyond the common ones
    required: ClassVar[tuple[str, ...]] = ()  # bank keys the schema requires
    prompt: ClassVar[str | None] = None  # the default prompt (None: the bank must give one)
    draws: ClassVar[bool] = False  # draws numbers (so: discrimination, coverage, search)
    cost: ClassVar[int] = 0  # generate probes the costliest kinds first
    exported: ClassVar[bool] = True  # an LMS can mark it on its own
    verb: ClassVar[str] = "answered"  # "You answered 3, which is wrong."

    # --- banks and drawing -------------------------------------------------------------
    def read(self, reader: Reader, data: YamlMap, tid: str, common: dict[str, Any]
             ) -> Template:
        """The template of a bank entry (problems recorded on ``reader``)."""
        raise NotImplementedError

    def schema(self, table: dict[str, Any]) -> dict[str, Any]:
        """The JSON schema of this kind's bank keys (``table``: the shared key schemas).

        A key the table does not know may hold anything (``{}``); override to say more.
        """
        return {key: table.get(key, {}) for key in sorted(self.keys)}

    def variant(self, template: Any, stream: Stream) -> Item:
        """One variant, as generate draws it."""
        raise NotImplementedError

    def search(self, template: Any, stream: Stream, attempts: int) -> tuple[Item, int]:
        """A variant searched over up to ``attempts`` draws, and the draws it took."""
        raise TypeError(f"{template.id}: a {template.type} template draws no numbers")

    def profile(self, template: Any) -> Profile | None:
        """What the template's draws can reach (None: no discrimination for this kind)."""
        return None

    # --- answering -------------------------------------------------------------------------
    def asked(self, item: Any) -> tuple[str, ...]:
        """The named parts asked one by one (wires, arrays); () for a single answer."""
        return ()

    def label(self, item: Any, name: str | None) -> str:
        """The prompt label of the answer (or of the part ``name``) in the terminal."""
        raise NotImplementedError

    def unreadable(self, item: Any, raw: str, label: str) -> str | None:
        """Why ``raw`` typed at ``label`` cannot be read (None when it can)."""
        raise NotImplementedError

    def hint(self, item: Any) -> str:
        """A hint that points the way without giving the answer away."""
        return GENERIC_HINT

    def parts(self, item: Any, answer: Any) -> tuple[tuple[Part, ...], tuple[str, ...]]:
        """The judged parts of ``answer`` and any mistakes of the whole answer."""
        raise NotImplementedError

    # --- feedback --------------------------------------------------------------------------
    def part_label(self, part: Part) -> str:
        """What a part's feedback starts with ("Wire x: ")."""
        return f"Wire {part.wire}: " if part.wire is not None else ""

    def working(self, item: Any, part: Part, mistake: str) -> str | None:
        """The sentence showing how ``part`` came about by ``mistake`` (None: not shown)."""
        return None

    def right_answer(self, item: Any, part: Part) -> str:
        """The right answer of ``part`` in words."""
        raise NotImplementedError

    def expected(self, item: Any) -> str:
        """The right answer as the worked solution of a one-part item names it."""
        return ""

    def solution(self, item: Any) -> list[str]:
        """The worked solution, one line per asked part (or one line)."""
        from quizgrad.grading.judge import CORRECT, Part

        return [self.right_answer(item, Part(None, "", self.expected(item), CORRECT))]

    def feedback(self, item: Any, judgement: Judgement, lines: list[str]) -> list[str]:
        """The item's feedback lines, given those of its parts."""
        return lines

    # --- the key ---------------------------------------------------------------------------
    def to_json(self, item: Any, mistakes: bool) -> dict[str, Any]:
        """The item's own fields in the key (without ``mistakes``, their place holds None)."""
        raise NotImplementedError

    def from_json(self, data: dict[str, Any], common: dict[str, Any]) -> Item:
        """The item rebuilt from its key entry (``common``: the fields every item has)."""
        raise NotImplementedError

    def mistakes_text(self, item: Any) -> str:
        """The key's ``mistakes`` of the item as JSON text."""
        from quizgrad.formats.keytext import mistakes_text

        return mistakes_text(item)

    # --- sheets, terminal, LMS, answer files ------------------------------------------------
    def markdown(self, item: Any) -> list[str]:
        """The lines of the item's Markdown section after its prompt."""
        raise NotImplementedError

    def html(self, item: Any) -> str:
        """The HTML of the item's section after its prompt."""
        raise NotImplementedError

    def figure(self, item: Any, reveal: bool) -> Figure:
        """What the terminal draws: before the answer, or (``reveal``) with every gradient."""
        return Figure()

    def questions(self, item: Any, name: str, category: str, prompt: str, general: str
                  ) -> list[Question]:
        """The item as LMS questions (``general``: the worked solution as HTML)."""
        raise NotImplementedError

    def entry(self, item: Any) -> tuple[str, tuple[Any, ...]]:
        """The item's blank in an answer file: its answer shape and what the comment names."""
        raise NotImplementedError

    # --- check -----------------------------------------------------------------------------
    def check(self, template: Any, summary: BankSummary, samples: int) -> float:
        """Sample and verify the template, run its tests; the worst relative error."""
        from quizgrad.bank.check import check_fixed

        return check_fixed(self, template, summary)

    def verify(self, template: Any, item: Any, summary: BankSummary) -> float:
        """The item's gradients against finite differences; the worst relative error."""
        return 0.0

    def hidden(self, item: Any) -> frozenset[tuple[str, str]]:
        """(place, mistake) pairs that this draw cannot reveal (they give the right answer)."""
        return frozenset()

    def sample_answer(self, test: SampleAnswer, item: Any) -> object:
        """The answer a bank test describes, built for this variant."""
        return test.answer
