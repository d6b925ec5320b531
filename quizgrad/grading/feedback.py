"""Feedback in words: what the student did, which mistake it is, and the worked solution.

The same sentences serve the terminal quiz and the feedback files of ``grade``, e.g.
"You sent 24 on wire x. That is 2 × 12 = 24: you multiplied the upstream gradient by the
forward value f instead of by the local gradient df/dx. The local gradient is df/dx = y =
-4, so wire x gets 2 × (-4) = -8."
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quizgrad.grading.judge import CORRECT, MISSING, WRONG, Judgement, Part
from quizgrad.items.matrix import show
from quizgrad.math.numeric import fmt
from quizgrad.mistakes.catalog import BY_ID
from quizgrad.registry import kind_of

if TYPE_CHECKING:
    from quizgrad.items.base import Item, WireItem
    from quizgrad.items.circuit import CircuitItem
    from quizgrad.items.matrix import ArrayItem


def _paren(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def wire_solution(item: WireItem, wire: str) -> str:
    """The right answer on a wire in words, e.g. "... so wire x gets 2 × (-4) = -8"."""
    local = item.point.local[wire]
    formula = item.plan.local_text[wire]
    value = fmt(local)
    shown = f"df/d{wire} = {formula}" + ("" if formula == value else f" = {value}")
    return (f"The local gradient is {shown}, so wire {wire} gets "
            f"{_paren(fmt(item.upstream))} × {_paren(value)} = {fmt(item.point.gradient[wire])}.")


def circuit_solution(item: CircuitItem, name: str) -> str:
    """Where a value's gradient comes from: the sum of what each node using it sends back."""
    point = item.point
    if name == item.circuit.output:
        return f"{name} is the output: it receives the upstream gradient {fmt(item.upstream)}."
    sent = [(back.step, wire) for back in point.backward for wire in back.wires
            if wire.name == name]
    pieces = [f"{step.line} sends {_paren(fmt(back_upstream(point, step.name)))} × "
              f"{_paren(fmt(wire.local))} = {fmt(wire.sent)}" for step, wire in sent]
    total = fmt(point.gradients[name])
    if len(pieces) == 1:
        return f"The gradient of {name}: {pieces[0]}."
    return (f"{name} feeds {len(pieces)} nodes, so its gradient is the sum: "
            f"{'; '.join(pieces)}; together {total}.")


def matrix_solution(item: ArrayItem, name: str) -> str:
    """The rule and the right array for one input, e.g. "W gets X.T @ G = [[...]]"."""
    formula, where = item.rule(name)
    return (f"{name} gets {formula} = {show(item.expected[name])}"
            + (f", where {where}." if where else "."))


def back_upstream(point: object, step_name: str) -> object:
    """The gradient a step received (its output's gradient)."""
    return point.gradients[step_name]  # type: ignore[attr-defined]


def mistake_sentence(item: Item, part: Part, mistake: str) -> str:
    """The mistake in words, with its working when it can be shown ("That is 2 × 12 = 24: ...")."""
    description = BY_ID[mistake].description
    if mistake in part.mistakes and part.where:  # a circuit's: the place is known
        where = part.where[part.mistakes.index(mistake)]
        place = f"at {where}" if mistake == "missed-branch" else f"at the node {where}"
        return f"That is what you get {place}, if you {description}."
    working = kind_of(item).working(item, part, mistake)
    if working:
        return f"{working}: you {description}."
    return f"You {description}." if not description.startswith("you") else f"{description}."


def part_feedback(item: Item, part: Part) -> str:
    """One part's verdict in words, with the mistake named and the right answer explained."""
    kind = kind_of(item)
    label, verb = kind.part_label(part), kind.verb
    if not part.asked:
        return f"{label}{part.message}."
    if part.verdict == CORRECT:
        return f"{label}{part.given.strip()} is right."
    if part.verdict == MISSING:
        opening = f"{label}No answer."
    elif part.verdict == WRONG:
        opening = f"{label}You {verb} {part.given.strip()}, which is wrong."
        named = [m for m in part.mistakes if m != "same-gradient"]
        if named:
            opening += " " + mistake_sentence(item, part, named[0])
            also = [f"{m} at {w}" if w else m
                    for m, w in zip(part.mistakes, part.where or [""] * len(part.mistakes),
                                    strict=True) if m != "same-gradient"][1:]
            if also:
                opening += f" (It also matches: {', '.join(dict.fromkeys(also))}.)"
    else:
        first = (part.message or "").splitlines()[0]
        opening = (f"{label}{part.given.strip()!r} could not be read ({first}); it is not "
                   "counted as wrong.")
    return f"{opening} {kind.right_answer(item, part)}".strip()


def item_feedback(item: Item, judgement: Judgement) -> list[str]:
    """Every line of feedback on one item: the parts, item-level mistakes, the explanation."""
    lines = kind_of(item).feedback(item, judgement,
                                   [part_feedback(item, part) for part in judgement.parts])
    if judgement.verdict != CORRECT and item.explanation:
        lines.append(item.explanation)
    return lines


def solution(item: Item) -> list[str]:
    """The worked solution of an item, one line per asked wire (or one line)."""
    return kind_of(item).solution(item)


def backward_steps(item: CircuitItem) -> list[str]:
    """The backward pass in order: each node receives its upstream gradient and sends back."""
    point = item.point
    values = ", ".join(f"{n} = {fmt(point.values[n])}" for n in item.circuit.names
                       if n not in item.inputs)
    lines = [f"Forward: {values}. The output {item.circuit.output} receives "
             f"{fmt(item.upstream)}."]
    for back in point.backward:
        sends = "; ".join(f"{w.name}: {_paren(fmt(back.upstream))} × {_paren(fmt(w.local))} = "
                          f"{fmt(w.sent)}" for w in back.wires)
        lines.append(f"{back.step.line} receives {fmt(back.upstream)} and sends {sends}.")
    for name in dict.fromkeys(branch.value for branch in item.circuit.branches):
        lines.append(circuit_solution(item, name))
    return lines
