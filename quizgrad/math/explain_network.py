"""The worked solution of an array circuit, as data: what ``quizgrad explain`` prints for one.

Every value (inputs, each layer's output) is listed with its shape, its forward value and
its gradient; the backward steps come in the order the pass takes them, each with the rule
its node follows; and the common mistakes are placed at the layer where they are made.
"""

from __future__ import annotations

from typing import Any

from quizgrad.errors import UsageError
from quizgrad.items.matrix import show
from quizgrad.items.network import layer_rule
from quizgrad.math.explain_matrix import _array, _number, read_arrays
from quizgrad.math.matrix import describe
from quizgrad.math.network import evaluate, faults, parse_network
from quizgrad.math.numeric import Tolerance, json_number
from quizgrad.mistakes.catalog import BY_ID


def explain_network(expression: str, values: dict[str, str], upstream: str | None
                    ) -> dict[str, Any]:
    """Every value and gradient with its shape, the backward steps, the common mistakes."""
    arrays, labels = read_arrays(expression, values)
    network = parse_network(expression, {n: a.shape for n, a in arrays.items()}, labels)
    out_shape = network.shapes[network.output]
    if upstream is None:
        if out_shape:
            raise UsageError(f"give the upstream gradient G with --upstream: "
                             f"{describe(out_shape)}, like the output {network.output}")
        upstream = "1"
    g = _array("", upstream, "--upstream")
    if g.shape != out_shape:
        raise UsageError(f"--upstream: G must be {describe(out_shape)}, like the output "
                         f"{network.output}; this is {describe(g.shape)}")
    point = evaluate(network, arrays, g)
    tolerance = Tolerance()
    mistakes: dict[str, dict[str, Any]] = {n: {} for n in network.names}
    shown = []
    for fault in faults(point):
        for name, array in fault.gradients.items():
            right = point.gradients[name]
            if array.shape == right.shape and all(
                    tolerance.accepts(float(a), float(b))
                    for a, b in zip(array.entries, right.entries, strict=True)):
                continue
            mistakes[name][fault.label] = array.nested(_number)
            if name == fault.at:
                shown.append((name, show(array), f"{fault.mistake}\nat {fault.where}",
                              BY_ID[fault.mistake].description))
    steps = [{"node": step.layer.line, "upstream": step.upstream.nested(_number),
              "sends": {n: {"rule": layer_rule(step.layer, n),
                            "gradient": a.nested(_number)} for n, a in step.sent.items()}}
             for step in point.backward]
    return {
        "node": "; ".join(layer.line for layer in network.layers),
        "circuit": [layer.line for layer in network.layers],
        "shapes": {n: list(network.shapes[n]) for n in network.names},
        "inputs": {n: a.nested(json_number) for n, a in arrays.items()},
        **({"labels": {n: list(v) for n, v in labels.items()}} if labels else {}),
        "upstream": g.nested(json_number),
        "values": {n: point.values[n].nested(_number) for n in network.names},
        "wires": {n: point.gradients[n].nested(_number) for n in network.names},
        "steps": steps,
        "mistakes": {n: found for n, found in mistakes.items() if found},
        "kinks": ["an entry sits on a kink; PyTorch's convention applies"]
        if point.at_kink else [],
        "shown_values": [(n, describe(network.shapes[n]), show(point.values[n]),
                          show(point.gradients[n])) for n in network.names],
        "shown_steps": [(step.layer.line, show(step.upstream),
                         [(n, layer_rule(step.layer, n), show(a))
                          for n, a in step.sent.items()]) for step in point.backward],
        "shown_labels": {n: str(list(v)) for n, v in labels.items()},
        "shown_mistakes": shown,
    }
