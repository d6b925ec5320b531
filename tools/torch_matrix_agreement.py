"""Check ``quizgrad explain --json`` on matrix nodes against PyTorch autograd, independently.

For A @ B, W @ x, X @ W + b (b broadcast over the rows), softmax(z), elementwise sigmoid and
tanh, sum, mean, and softmax_ce(z, y) for one example and for a batch (PyTorch's
cross_entropy with its mean reduction), the script draws random integer arrays and a random
upstream gradient G, runs the installed ``quizgrad explain EXPR --at ... --upstream G
--json`` and recomputes the output and every input's gradient with torch in float64
(``y.backward(gradient=G)``). Every entry must agree within 1e-9 relative (1e-12 absolute).

    /tmp/torchvenv/bin/python tools/torch_matrix_agreement.py [--cases 10] [--seed 7]

Exit status: 0 when everything agrees, 1 on any disagreement.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys

import torch
import torch.nn.functional as F  # noqa: N812 - PyTorch's own spelling

NODES = {  # expression -> (input shapes, class index count or None, torch function)
    "A @ B": ({"A": (2, 3), "B": (3, 2)}, None, lambda t, y: t["A"] @ t["B"]),
    "W @ x": ({"W": (2, 3), "x": (3,)}, None, lambda t, y: t["W"] @ t["x"]),
    "X @ W + b": ({"X": (3, 2), "W": (2, 2), "b": (2,)}, None,
                  lambda t, y: t["X"] @ t["W"] + t["b"]),
    "softmax(z)": ({"z": (4,)}, None, lambda t, y: torch.softmax(t["z"], dim=-1)),
    "softmax(Z)": ({"Z": (2, 3)}, None, lambda t, y: torch.softmax(t["Z"], dim=-1)),
    "sigmoid(X)": ({"X": (2, 2)}, None, lambda t, y: torch.sigmoid(t["X"])),
    "tanh(X) * Y": ({"X": (2, 2), "Y": (2, 2)}, None, lambda t, y: torch.tanh(t["X"]) * t["Y"]),
    "sum(X * X)": ({"X": (2, 3)}, None, lambda t, y: (t["X"] * t["X"]).sum()),
    "mean(X, 0)": ({"X": (3, 2)}, None, lambda t, y: t["X"].mean(dim=0)),
    "softmax_ce(z, y)": ({"z": (3,)}, 1, lambda t, y: F.cross_entropy(t["z"][None], y)),
    "softmax_ce(Z, y)": ({"Z": (3, 4)}, 3, lambda t, y: F.cross_entropy(t["Z"], y)),
}


def nested(tensor: torch.Tensor) -> object:
    """A tensor as the nested lists quizgrad reads."""
    return tensor.tolist()


def close(a: float, b: float) -> bool:
    """Within 1e-9 relative, 1e-12 absolute."""
    return abs(a - b) <= max(1e-9 * max(abs(a), abs(b)), 1e-12)


def flat(value: object) -> list[float]:
    """Nested lists (or a number) as a flat list."""
    if isinstance(value, list):
        return [x for v in value for x in flat(v)]
    return [float(value)]  # type: ignore[arg-type]


def check(expr: str, rng: random.Random) -> list[str]:
    """Draw one case; the list of disagreements (empty when all agree)."""
    shapes, rows, function = NODES[expr]
    values = {n: torch.tensor([rng.randint(-3, 3) for _ in range(int(torch.tensor(s).prod()))],
                              dtype=torch.float64).reshape(s).requires_grad_()
              for n, s in shapes.items()}
    labels = None
    args = [f"{n}={json.dumps(nested(v.detach()))}" for n, v in values.items()]
    if rows is not None:
        classes = next(iter(shapes.values()))[-1]
        labels = torch.tensor([rng.randrange(classes) for _ in range(rows)])
        args.append(f"y={json.dumps(labels.tolist()) if rows > 1 else labels.item()}")
    output = function(values, labels)
    upstream = torch.tensor([rng.choice([-3, -2, -1, 1, 2, 3])
                             for _ in range(output.numel())],
                            dtype=torch.float64).reshape(output.shape)
    output.backward(gradient=upstream)
    command = ["quizgrad", "explain", expr, "--json", "--upstream",
               json.dumps(nested(upstream)) if upstream.dim() else str(upstream.item())]
    for arg in args:
        command += ["--at", arg]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return [f"{expr}: quizgrad failed: {result.stderr.strip()}"]
    data = json.loads(result.stdout)
    problems = []
    pairs = [("output", flat(data["output"]), flat(nested(output.detach())))]
    pairs += [(f"wires.{n}", flat(data["wires"][n]), flat(nested(v.grad)))
              for n, v in values.items()]
    for what, ours, theirs in pairs:
        if len(ours) != len(theirs) or not all(map(close, ours, theirs)):
            problems.append(f"{expr} at {args}: {what} quizgrad={ours} torch={theirs}")
    return problems


def main() -> int:
    """Run every node on ``--cases`` random draws; print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    failures = []
    for expr in NODES:
        for _ in range(options.cases):
            failures += check(expr, rng)
    for failure in failures:
        print(failure)
    total = len(NODES) * options.cases
    print(f"{total} cases over {len(NODES)} matrix nodes, {len(failures)} disagreement(s) "
          f"(rel 1e-9, abs 1e-12, seed {options.seed})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
