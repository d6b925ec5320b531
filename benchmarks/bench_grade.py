"""Time grading 1,000 submissions x 20 items (a quarter of them symbolic).

Three timings from one run, on the same files:
  read      a plain script that only reads and parses them: json.load of key.json and
            yaml.load of every answer file (with PyYAML's C loader when it has one);
  quizgrad  quizgrad's grading of them: read the key, read every file, judge every answer,
            in memory (and, reported apart, with writing results.json, grades.csv and the
            1,000 feedback files);
  naive     a grader that sympifies each answer and simplifies its difference from the
            expected one (timed on a sample of files and scaled to all of them).
It prints the ratios quizgrad / read (target at most 3, aim 2) and naive / quizgrad
(target at least 50).

    python benchmarks/bench_grade.py [--students 1000] [--sample 40]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

from quizgrad.bank.load import load_banks
from quizgrad.formats.keyfile import read_key
from quizgrad.grading.answers import read_all
from quizgrad.grading.grade import grade_class
from quizgrad.grading.reports import write_reports
from quizgrad.grading.roster import Student
from quizgrad.items.generate import for_roster, pick, write_set

WIRES = ["seed-mul-wire", "add-wire", "sub-wire", "mul-wire", "div-wire", "max-wire",
         "relu-wire", "sigmoid-wire", "tanh-wire", "exp-wire", "log-wire", "pow-wire",
         "sqrt-wire", "neuron-sigmoid-wire", "sum-times-wire"]
LOCALS = ["sigmoid-local", "tanh-local", "mul-local", "div-local", "pow-local"]
LOCAL_ANSWERS = {
    "sigmoid-local": ["s*(1-s)", "s(1-s)", "sigmoid(x)*(1-sigmoid(x))", "x*(1-x)", "s", "1-s"],
    "tanh-local": ["1-t^2", "1 - tanh(x)^2", "1-x^2", "1+t^2", "t"],
    "mul-local": ["y", "x", "x*y", "1"],
    "div-local": ["-x/y^2", "-x*y^-2", "x/y^2", "-1/y^2", "1/y"],
    "pow-local": ["4x^3", "4*x^3", "4*x^4", "x^3", "4 x^3"],
}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def answer_for(item: dict, rng: random.Random) -> object:
    """A plausible answer: mostly right, often a common mistake, sometimes junk or nothing."""
    roll = rng.random()
    if item["type"] == "local":
        return rng.choice(LOCAL_ANSWERS[item["id"]]) if roll < 0.95 else ""
    values = {}
    for wire in item["ask"]:
        mistakes = list(item["mistakes"][wire].values())
        if roll < 0.6 or not mistakes:
            values[wire] = item["answer"][wire]
        elif roll < 0.85:
            values[wire] = rng.choice(mistakes)
        elif roll < 0.9:
            values[wire] = rng.choice(["?", "idk", "1,000", "2 3"])
        else:
            values[wire] = None
    return values if len(values) > 1 else values[item["ask"][0]]


def make_class(folder: Path, students: int) -> tuple[Path, list[Path]]:
    """A key for ``students`` roster students and one YAML answer file each."""
    banks = load_banks()
    roster = [Student(f"s{i:04d}") for i in range(students)]
    write_set(banks, pick(banks, WIRES + LOCALS), "bench", for_roster(roster), folder / "set")
    key = json.loads((folder / "set" / "key.json").read_text(encoding="utf-8"))
    rng = random.Random(7)
    files = []
    (folder / "in").mkdir()
    for variant in key["variants"]:
        answers = {item["id"]: answer_for(item, rng) for item in variant["items"]}
        path = folder / "in" / f"{variant['student']}.yaml"
        path.write_text(yaml.safe_dump({"student": variant["student"], "answers": answers},
                                       sort_keys=False), encoding="utf-8")
        files.append(path)
    return folder / "set" / "key.json", files


def plain_read(key_path: Path, files: list[Path]) -> int:
    """Only read and parse: what any grader must do at least."""
    count = len(json.loads(key_path.read_text(encoding="utf-8"))["variants"])
    for path in files:
        count += len(yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader))
    return count


def quizgrad_grade(key_path: Path, files: list[Path]) -> object:
    """quizgrad's grading, in memory."""
    key = read_key(key_path)
    return key, grade_class(key, read_all(files))


def naive_grade(key_path: Path, files: list[Path]) -> int:
    """sympify every answer and simplify its difference from the expected value."""
    import sympy as sp

    key = json.loads(key_path.read_text(encoding="utf-8"))
    variants = {v["student"]: v for v in key["variants"]}
    right = 0
    for path in files:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
        for item in variants[data["student"]]["items"]:
            given = data["answers"].get(item["id"])
            if item["type"] == "local":
                expected = {item["id"]: item["answer"]}
                given = {item["id"]: given}
            else:
                expected = item["answer_exact"]
                given = given if isinstance(given, dict) else {item["ask"][0]: given}
            for part, want in expected.items():
                try:
                    text = str(given.get(part)).replace("^", "**")
                    names = {"s": sp.Symbol("s"), "t": sp.Symbol("t")}
                    diff = sp.simplify(sp.sympify(text, locals=names) - sp.sympify(
                        want.replace("^", "**")))
                    right += diff == 0
                except (sp.SympifyError, TypeError, SyntaxError, AttributeError):
                    pass
    return right


def timed(function, *args, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function(*args)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=40, help="files for the naive grader")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    try:
        key_path, files = make_class(folder, args.students)
        baseline = timed(plain_read, key_path, files)
        ours = timed(quizgrad_grade, key_path, files)
        key, results = quizgrad_grade(key_path, files)
        start = time.perf_counter()
        write_reports(key, results, folder / "out")  # type: ignore[arg-type]
        reports = time.perf_counter() - start
        sample = files[: args.sample]
        naive = timed(naive_grade, key_path, sample, repeat=1) * len(files) / len(sample)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    answers = args.students * (len(WIRES) + len(LOCALS))
    loader = "C" if _Loader is not yaml.SafeLoader else "pure-Python"
    print(f"grading {args.students} submissions x {len(WIRES) + len(LOCALS)} items "
          f"({len(LOCALS)} symbolic; {answers} answers), PyYAML {loader} loader")
    print(f"read and parse only : {baseline:6.2f} s")
    print(f"quizgrad grading    : {ours:6.2f} s   ({ours / baseline:.2f}x the reading; "
          "target <= 3x, aim 2x)")
    print(f"  + writing reports : {reports:6.2f} s   (results.json, grades.csv, "
          f"{args.students} feedback files)")
    print(f"naive sympy grader  : {naive:6.1f} s   (from {len(sample)} files; "
          f"{naive / ours:.0f}x slower than quizgrad; target >= 50x)")
    ok = ours / baseline <= 3 and naive / ours >= 50
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
