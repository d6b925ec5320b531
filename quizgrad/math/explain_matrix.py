"""The worked solution of one matrix node, as data: what ``quizgrad explain`` prints for it."""

from __future__ import annotations

import re
from typing import Any

from quizgrad.errors import UsageError
from quizgrad.grading.response_array import read_array
from quizgrad.items.matrix import exact_nested, rule, show
from quizgrad.math.matrix import Array, describe, parse_matrix
from quizgrad.math.matrix_eval import evaluate
from quizgrad.math.numeric import Tolerance, json_number
from quizgrad.mistakes.catalog import BY_ID

_MATRIX_CALL = re.compile(r"@|\b(?:softmax|softmax_ce|dot|transpose|sum|mean)\s*\(")
_LABELS = re.compile(r"\bsoftmax_ce\s*\(\s*[^,()]+,\s*([A-Za-z][A-Za-z0-9_]*)\s*\)")


def is_matrix(expression: str, values: dict[str, str]) -> bool:
    """Whether ``explain`` is asked about a matrix node (an @, a matrix function, an array)."""
    return bool(_MATRIX_CALL.search(expression)) or any(
        t.lstrip().startswith("[") for t in values.values())


def _array(name: str, text: str, what: str) -> Array:
    reading = read_array(text, exact=True)
    if not reading.ok:
        label = f"{what} {name}" if name else what
        raise UsageError(f"{label}: {reading.message or 'no value'}")
    return reading.value  # type: ignore[return-value]


def _labels(text: str) -> tuple[int, ...]:
    values = text.strip().strip("[]").replace(",", " ").split()
    if not values or not all(v.isdigit() for v in values):
        raise ValueError(text)
    return tuple(int(v) for v in values)


def read_arrays(expression: str, values: dict[str, str]
                ) -> tuple[dict[str, Array], dict[str, tuple[int, ...]]]:
    """The arrays of ``--at``, and the class indices (the y of each softmax_ce(z, y))."""
    labels: dict[str, tuple[int, ...]] = {}
    for name in set(_LABELS.findall(expression)) & set(values):
        try:
            labels[name] = _labels(values[name])
        except ValueError:
            raise UsageError(f"--at {name}: class indices are whole numbers from 0, one per "
                             "row, e.g. 2 or [2, 0]") from None
    return {n: _array(n, t, "--at") for n, t in values.items() if n not in labels}, labels


def explain_matrix(expression: str, values: dict[str, str], upstream: str | None
                   ) -> dict[str, Any]:
    """Output, every input's gradient (exact), the textbook rules and the common mistakes."""
    arrays, labels = read_arrays(expression, values)
    node = parse_matrix(expression, {n: a.shape for n, a in arrays.items()}, labels)
    if upstream is None:
        if node.output.shape:
            raise UsageError(f"give the upstream gradient G with --upstream: "
                             f"{describe(node.output.shape)}, like the output")
        upstream = "1"
    g = _array("", upstream, "--upstream")
    if g.shape != node.output.shape:
        raise UsageError(f"--upstream: G must be {describe(node.output.shape)}, like the "
                         f"output; this is {describe(g.shape)}")
    point = evaluate(node, arrays, g)
    tolerance = Tolerance()
    mistakes: dict[str, dict[str, Any]] = {}
    shown: list[tuple[str, str, str, str]] = []
    for name in node.inputs:
        right = point.gradients[name]
        mistakes[name] = {}
        for mistake, array in point.predictions[name]:
            if array.shape == right.shape and all(
                    tolerance.accepts(float(a), float(b))
                    for a, b in zip(array.entries, right.entries, strict=True)):
                continue
            mistakes[name][mistake] = array.nested(_number)
            shown.append((name, show(array), mistake, BY_ID[mistake].description))
    return {
        "node": node.text,
        "kind": node.kind,
        "shapes": {n: list(node.shape(n)) for n in node.inputs},
        "output_shape": list(node.output.shape),
        "inputs": {n: a.nested(json_number) for n, a in arrays.items()},
        **({"labels": {n: list(v) for n, v in labels.items()}} if labels else {}),
        "upstream": g.nested(json_number),
        "output": point.output.nested(_number),
        "wires": {n: point.gradients[n].nested(_number) for n in node.inputs},
        "exact": {n: exact_nested(point, n) for n in node.inputs},
        "rules": {n: rule(node, n)[0] for n in node.inputs},
        "mistakes": mistakes,
        "kinks": ["an entry sits on a kink; PyTorch's convention applies"]
        if point.at_kink else [],
        "shown_arrays": {**{n: show(a) for n, a in arrays.items()},
                         **{n: str(list(v)) for n, v in labels.items()}, "G": show(g)},
        "shown_output": show(point.output),
        "shown_steps": [(n, *rule(node, n), show(point.gradients[n])) for n in node.inputs],
        "shown_mistakes": shown,
    }


def _number(value: object) -> int | float:
    from fractions import Fraction

    if isinstance(value, Fraction):
        return json_number(value)
    number = float(value)  # type: ignore[arg-type]
    return int(number) if number.is_integer() and abs(number) < 2**53 else number
