"""Feedback in words: what the student did, which mistake it is, and the worked solution.

The same sentences serve the terminal quiz and the feedback files of ``grade``, e.g.
"You sent 24 on wire x. That is 2 × 12 = 24: you multiplied the upstream gradient by the
forward value f instead of by the local gradient df/dx. The local gradient is df/dx = y =
-4, so wire x gets 2 × (-4) = -8."
"""

from __future__ import annotations

from .circuit_items import CircuitItem
from .expr import to_text
from .items import LETTERS, ChoiceItem, Item, LocalItem, TrueFalseItem, WireItem
from .judge import CORRECT, MISSING, WRONG, Judgement, Part
from .matrix_items import ArrayItem, show
from .mistakes import BY_ID
from .numeric import fmt


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
    if isinstance(item, WireItem) and part.wire is not None and part.value is not None:
        for prediction in item.point.predictions.get(part.wire, ()):
            if prediction.mistake == mistake and item.tolerance.accepts(part.value,
                                                                         prediction.value):
                working = item.plan.working(prediction, item.point)
                if working:
                    return f"That is {working} = {fmt(prediction.value)}: you {description}."
                break
    return f"You {description}." if not description.startswith("you") else f"{description}."


def part_feedback(item: Item, part: Part) -> str:
    """One part's verdict in words, with the mistake named and the right answer explained."""
    label = f"Wire {part.wire}: " if part.wire is not None else ""
    if isinstance(item, ArrayItem):
        label = f"{part.wire}: "
    verb = "sent" if isinstance(item, (WireItem, CircuitItem, ArrayItem)) else "answered"
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
    return f"{opening} {_right_answer(item, part)}".strip()


def _right_answer(item: Item, part: Part) -> str:
    if isinstance(item, WireItem) and part.wire is not None:
        return wire_solution(item, part.wire)
    if isinstance(item, CircuitItem) and part.wire is not None:
        return circuit_solution(item, part.wire)
    if isinstance(item, ArrayItem) and part.wire is not None:
        return matrix_solution(item, part.wire) if part.wire in item.ask else ""
    if isinstance(item, LocalItem):
        return f"The local gradient is df/d{item.wrt} = {to_text(item.expected)}."
    if isinstance(item, ChoiceItem):
        return f"The answer is {part.expected}."
    if isinstance(item, TrueFalseItem):
        return f"The statement is {part.expected}."
    return ""  # pragma: no cover - every item type is handled above


def item_feedback(item: Item, judgement: Judgement) -> list[str]:
    """Every line of feedback on one item: the parts, item-level mistakes, the explanation."""
    lines = [part_feedback(item, part) for part in judgement.parts]
    if isinstance(item, ChoiceItem):
        lines = [_choice_feedback(item, judgement)]
    if "same-gradient" in judgement.mistakes and isinstance(item, (WireItem, CircuitItem)):
        lines.append("You sent the same value on every wire, but each wire gets the upstream "
                     "gradient times its own local gradient.")
    if judgement.verdict != CORRECT and item.explanation:
        lines.append(item.explanation)
    return lines


def _choice_feedback(item: ChoiceItem, judgement: Judgement) -> str:
    part = judgement.parts[0]
    if part.verdict != WRONG:
        return part_feedback(item, part)
    chosen = next((i for i, c in enumerate(item.choices)
                   if part.given.strip().lower() in (LETTERS[i], c.text.lower())
                   or part.given.strip().lower().rstrip(").") == LETTERS[i]), None)
    text = f"You chose {part.given.strip()}, which is wrong."
    if chosen is not None:
        choice = item.choices[chosen]
        if choice.feedback:
            text += f" {choice.feedback}"
        elif choice.mistake:
            text += f" You {BY_ID[choice.mistake].description}."
    return f"{text} The answer is {part.expected}."


def solution(item: Item) -> list[str]:
    """The worked solution of an item, one line per asked wire (or one line)."""
    if isinstance(item, CircuitItem):
        return backward_steps(item)
    if isinstance(item, WireItem):
        return [f"Forward value f = {fmt(item.point.output)}; upstream gradient "
                f"{fmt(item.upstream)}."] + [wire_solution(item, w) for w in item.ask]
    if isinstance(item, ArrayItem):
        return [item.forward_line()] + [matrix_solution(item, n) for n in item.ask]
    return [_right_answer(item, Part(None, "", _expected(item), CORRECT))]


def _expected(item: Item) -> str:
    if isinstance(item, ChoiceItem):
        return f"({LETTERS[item.correct]}) {item.choices[item.correct].text}"
    if isinstance(item, TrueFalseItem):
        return "true" if item.answer else "false"
    return ""


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
