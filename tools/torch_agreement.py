"""Check ``quizgrad explain --json`` against PyTorch autograd, independently of quizgrad's code.

For every function of the expression language, every binary operator, unary minus and a few
composite nodes, the script draws random smooth points (away from kinks and domain edges) and
a random upstream gradient, runs the installed ``quizgrad explain EXPR --at ... --upstream G
--json`` and recomputes the forward value, the local gradients and the wire gradients with
torch in float64 (``y.backward(gradient=G)``). Every number must agree within a relative
tolerance of 1e-9 (absolute floor 1e-12). Kink points (relu/abs at 0, max/min ties) and
softplus past PyTorch's threshold of 20 (where torch returns the identity; the smooth points
keep softplus in [-8, 8]) are reported side by side but never fail the run.

Run it from a virtual environment that has torch and quizgrad installed::

    python3 -m venv /tmp/torchvenv
    /tmp/torchvenv/bin/pip install torch /path/to/quizgrad
    /tmp/torchvenv/bin/python tools/torch_agreement.py [--points 5] [--seed 2024]

Exit status: 0 when everything agrees, 1 on any disagreement.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
import torch  # noqa: E402 - after the warning filter
import torch.nn.functional as F  # noqa: E402, N812

T = torch.Tensor
F64 = torch.float64
REL, ABS = 1e-9, 1e-12
Box = dict[str, tuple[float, float]]
N = (-3.0, 3.0)  # a plain range for inputs without domain limits
POS = (0.2, 3.0)
# (expression, torch function, input ranges, smoothness test on the float point)
CASES: list[tuple[str, Callable[[dict[str, T]], T], Box, Callable[[dict[str, float]], bool]]] = [
    ("exp(x)", lambda v: torch.exp(v["x"]), {"x": N}, lambda p: True),
    ("log(x)", lambda v: torch.log(v["x"]), {"x": (0.1, 5.0)}, lambda p: True),
    ("sqrt(x)", lambda v: torch.sqrt(v["x"]), {"x": (0.1, 5.0)}, lambda p: True),
    ("abs(x)", lambda v: torch.abs(v["x"]), {"x": N}, lambda p: abs(p["x"]) > 0.05),
    ("sin(x)", lambda v: torch.sin(v["x"]), {"x": N}, lambda p: True),
    ("cos(x)", lambda v: torch.cos(v["x"]), {"x": N}, lambda p: True),
    ("tan(x)", lambda v: torch.tan(v["x"]), {"x": (-1.3, 1.3)}, lambda p: True),
    ("tanh(x)", lambda v: torch.tanh(v["x"]), {"x": N}, lambda p: True),
    ("sigmoid(x)", lambda v: torch.sigmoid(v["x"]), {"x": (-6.0, 6.0)}, lambda p: True),
    ("relu(x)", lambda v: torch.relu(v["x"]), {"x": N}, lambda p: abs(p["x"]) > 0.05),
    ("softplus(x)", lambda v: F.softplus(v["x"]), {"x": (-8.0, 8.0)}, lambda p: True),
    ("max(x, y)", lambda v: torch.maximum(v["x"], v["y"]), {"x": N, "y": N},
     lambda p: abs(p["x"] - p["y"]) > 0.05),
    ("min(x, y)", lambda v: torch.minimum(v["x"], v["y"]), {"x": N, "y": N},
     lambda p: abs(p["x"] - p["y"]) > 0.05),
    ("x + y", lambda v: v["x"] + v["y"], {"x": N, "y": N}, lambda p: True),
    ("x - y", lambda v: v["x"] - v["y"], {"x": N, "y": N}, lambda p: True),
    ("x * y", lambda v: v["x"] * v["y"], {"x": N, "y": N}, lambda p: True),
    ("x / y", lambda v: v["x"] / v["y"], {"x": N, "y": N}, lambda p: abs(p["y"]) > 0.2),
    ("x**3", lambda v: v["x"] ** 3, {"x": N}, lambda p: True),
    ("x^2.5", lambda v: v["x"] ** 2.5, {"x": POS}, lambda p: True),
    ("x**-2", lambda v: v["x"] ** -2, {"x": N}, lambda p: abs(p["x"]) > 0.3),
    ("x**y", lambda v: v["x"] ** v["y"], {"x": POS, "y": (-2.0, 2.0)}, lambda p: True),
    ("-x", lambda v: -v["x"], {"x": N}, lambda p: True),
    ("sigmoid(w*x + b)", lambda v: torch.sigmoid(v["w"] * v["x"] + v["b"]),
     {"w": N, "x": N, "b": N}, lambda p: True),
    ("tanh(x*y) + log(z)", lambda v: torch.tanh(v["x"] * v["y"]) + torch.log(v["z"]),
     {"x": N, "y": N, "z": (0.1, 5.0)}, lambda p: True),
    ("max(x, y) * z", lambda v: torch.maximum(v["x"], v["y"]) * v["z"],
     {"x": N, "y": N, "z": N}, lambda p: abs(p["x"] - p["y"]) > 0.05),
    ("relu(w*x + b)", lambda v: torch.relu(v["w"] * v["x"] + v["b"]),
     {"w": N, "x": N, "b": N}, lambda p: abs(p["w"] * p["x"] + p["b"]) > 0.05),
    ("softplus(x) / y", lambda v: F.softplus(v["x"]) / v["y"], {"x": (-8.0, 8.0), "y": N},
     lambda p: abs(p["y"]) > 0.2),
    ("(x + y)**2", lambda v: (v["x"] + v["y"]) ** 2, {"x": N, "y": N}, lambda p: True),
    ("exp(-x)/(1 + exp(-x))**2", lambda v: torch.exp(-v["x"]) / (1 + torch.exp(-v["x"])) ** 2,
     {"x": (-6.0, 6.0)}, lambda p: True),
]
# Points where the derivative does not exist or torch deviates by design: report only.
EDGES: list[tuple[str, Callable[[dict[str, T]], T], dict[str, str]]] = [
    ("relu(x)", lambda v: torch.relu(v["x"]), {"x": "0"}),
    ("abs(x)", lambda v: torch.abs(v["x"]), {"x": "0"}),
    ("max(x, x)", lambda v: torch.maximum(v["x"], v["x"]), {"x": "1.5"}),
    ("min(x, x)", lambda v: torch.minimum(v["x"], v["x"]), {"x": "1.5"}),
    ("max(x, y)", lambda v: torch.maximum(v["x"], v["y"]), {"x": "1.5", "y": "1.5"}),
    ("min(x, y)", lambda v: torch.minimum(v["x"], v["y"]), {"x": "-0.5", "y": "-0.5"}),
    ("softplus(x)", lambda v: F.softplus(v["x"]), {"x": "20.5"}),
]


def decimal(rng: random.Random, lo: float, hi: float) -> str:
    """A random decimal in [lo, hi] with three places, as the exact text passed to quizgrad."""
    return f"{rng.randint(round(lo * 1000), round(hi * 1000)) / 1000:.3f}"


def draw(rng: random.Random, box: Box, smooth: Callable[[dict[str, float]], bool]) -> dict:
    """A random point (name -> decimal text) inside ``box`` that passes ``smooth``."""
    while True:
        point = {name: decimal(rng, lo, hi) for name, (lo, hi) in box.items()}
        if smooth({k: float(v) for k, v in point.items()}):
            return point


def run_quizgrad(exe: str, expr: str, point: dict[str, str], upstream: str) -> dict:
    """The JSON of ``quizgrad explain`` for one node at one point."""
    at = ",".join(f"{k}={v}" for k, v in point.items())
    # "--" ends the options, so that a node such as "-x" is not read as an option
    cmd = [exe, "explain", "--at", at, f"--upstream={upstream}", "--json", "--", expr]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr.strip() or done.stdout}")
    return json.loads(done.stdout)


def run_torch(fn: Callable[[dict[str, T]], T], point: dict[str, str], upstream: str) -> dict:
    """Forward value, local gradients and wire gradients from torch autograd in float64."""
    leaves = {k: torch.tensor(float(v), dtype=F64, requires_grad=True) for k, v in point.items()}
    y = fn(leaves)
    local = torch.autograd.grad(y, list(leaves.values()), retain_graph=True, allow_unused=True)
    y.backward(gradient=torch.tensor(float(upstream), dtype=F64))
    zero = torch.tensor(0.0, dtype=F64)
    return {"output": y.item(),
            "local_values": {k: (g if g is not None else zero).item()
                             for k, g in zip(leaves, local, strict=True)},
            "wires": {k: (t.grad if t.grad is not None else zero).item()
                      for k, t in leaves.items()}}


def flatten(data: dict) -> dict[str, float]:
    """The compared numbers keyed 'output', 'local_values.x', 'wires.x', ..."""
    flat = {"output": data["output"]}
    for key in ("local_values", "wires"):
        flat.update({f"{key}.{name}": value for name, value in data[key].items()})
    return flat


def agrees(got: float | None, want: float) -> bool:
    """Whether quizgrad's number is within the relative tolerance (or absolute floor)."""
    return got is not None and abs(got - want) <= max(REL * abs(want), ABS)


def check(exe: str, job: tuple) -> tuple[str, dict, str, list[tuple[str, float | None, float]]]:
    """Run one case; return it with its (quantity, quizgrad, torch) disagreements."""
    expr, fn, point, upstream = job
    try:
        got = flatten(run_quizgrad(exe, expr, point, upstream))
    except (RuntimeError, json.JSONDecodeError, KeyError) as exc:
        return expr, point, upstream, [(f"quizgrad error: {exc}", None, float("nan"))]
    want = flatten(run_torch(fn, point, upstream))
    bad = [(k, got.get(k), w) for k, w in want.items() if not agrees(got.get(k), w)]
    bad += [(k, g, float("nan")) for k, g in got.items() if k not in want]
    return expr, point, upstream, bad


def main() -> int:
    """Run every case, print the summary, the disagreements and the edge-point report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=5, help="random points per expression")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--quizgrad", default=str(Path(sys.executable).with_name("quizgrad")))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    jobs = [(expr, fn, draw(rng, box, smooth), decimal(rng, -2.0, 2.0))
            for expr, fn, box, smooth in CASES for _ in range(args.points)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda job: check(args.quizgrad, job), jobs))
    print(f"{'expression':<28}{'cases':>6}{'numbers':>9}{'failed':>8}")
    for expr, *_ in CASES:
        mine = [r for r in results if r[0] == expr]
        numbers = sum(1 + 2 * len(r[1]) for r in mine)
        print(f"{expr:<28}{len(mine):>6}{numbers:>9}{sum(1 for r in mine if r[3]):>8}")
    failed = [r for r in results if r[3]]
    print(f"\n{len(results)} cases, {len(failed)} with disagreements "
          f"(rel {REL:g}, abs floor {ABS:g}, seed {args.seed})")
    for expr, point, upstream, bad in failed:
        for what, got, want in bad:
            print(f"  DISAGREE {expr} at {point} upstream={upstream}: {what} "
                  f"quizgrad={got!r} torch={want!r}")
    print("\nKinks and edges (reported, never failed):")
    for expr, fn, point in EDGES:
        got = flatten(run_quizgrad(args.quizgrad, expr, point, "1"))
        want = flatten(run_torch(fn, point, "1"))
        for key in (k for k in want if not k.startswith("local")):
            mark = "same" if agrees(got.get(key), want[key]) else "DIFFERS"
            print(f"  {expr:<10} at {point}: {key:<8} quizgrad={got.get(key)!r} "
                  f"torch={want[key]!r} [{mark}]")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
