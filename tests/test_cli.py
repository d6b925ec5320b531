"""The command line through typer's CliRunner: outputs, JSON, exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

COMMANDS = ["check", "list", "explain", "generate", "grade", "take"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(run, command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert f"quizgrad {command}" in result.stdout


def test_version(run):
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.startswith("quizgrad ")


def test_check_bundled_banks_is_clean(run):
    result = run("check")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "All well" in result.stdout
    for name in ("seed", "nodes", "composite", "local"):
        assert name in result.stdout


def test_check_json(run):
    result = run("check", "--json")
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["ok"] is True
    assert {b["name"] for b in data["banks"]} >= {"seed", "nodes"}
    assert data["worst_relative_error"] < 1e-12


def test_check_reports_located_problems_and_exits_1(run, write):
    good = write("good.yaml", "templates:\n  - id: t\n    type: truefalse\n    title: T\n"
                 "    prompt: P\n    answer: true\n")
    bad = write("bad.yaml", "templates:\n  - id: w\n    type: wire\n    title: W\n"
                "    node: x * z\n    inputs: {x: 1}\n")
    result = run("check", str(good), str(bad))
    assert result.exit_code == 1
    assert "bad.yaml:5: w.node: unknown name 'z'" in result.stdout
    assert "good.yaml" in result.stdout  # the good file was checked too
    assert "Traceback" not in result.stdout + result.stderr


def test_check_reports_a_wrong_convention_free_template_that_cannot_be_drawn(run, write):
    bank = write("kink.yaml", "templates:\n  - id: k\n    type: wire\n    title: K\n"
                 "    node: relu(x)\n    inputs: {x: 0}\n")
    result = run("check", str(bank))
    assert result.exit_code == 1
    assert "kink" in result.stdout


def test_check_missing_path_is_a_located_problem(run, tmp_path):
    result = run("check", str(tmp_path / "missing.yaml"))
    assert result.exit_code == 1
    assert "no such file" in result.stdout


def test_list(run):
    result = run("list", "--json")
    rows = json.loads(result.stdout)
    assert {"id": "seed-mul-wire", "type": "wire", "title": "Multiply node, wire x",
            "bank": "seed"} in rows
    human = run("list")
    assert human.exit_code == 0 and "seed-why-stored" in human.stdout


def test_explain_json_has_the_documented_keys(run):
    result = run("explain", "x*y", "--at", "x=3,y=-4", "--upstream", "2", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["node"] == "x*y"
    assert data["inputs"] == {"x": 3, "y": -4}
    assert data["upstream"] == 2 and data["output"] == -12
    assert data["local"] == {"x": "y", "y": "x"}
    assert data["local_values"] == {"x": -4, "y": 3}
    assert data["wires"] == {"x": -8, "y": 6}


def test_explain_human_output_shows_the_product(run):
    result = run("explain", "x*y", "--at", "x=3,y=-4", "--upstream", "2")
    assert result.exit_code == 0
    assert "2 × (-4) = -8" in result.stdout
    assert "df/dx = y" in result.stdout
    assert "f = -12" in result.stdout


def test_explain_cancelled_input_is_still_a_wire(run):
    data = json.loads(run("explain", "x - x + y", "--at", "x=1", "--at", "y=2", "--json").stdout)
    assert data["wires"] == {"x": 0, "y": 1}


def test_explain_defaults_upstream_to_one_and_handles_irrational_values(run):
    data = json.loads(run("explain", "sigmoid(x)", "--at", "x=0.5", "--json").stdout)
    assert data["upstream"] == 1
    assert data["wires"]["x"] == pytest.approx(0.2350037122015945, rel=1e-12)
    assert data["exact"]["wires"]["x"] == "(1 - sigmoid(1/2))*sigmoid(1/2)"


def test_explain_at_a_kink_notes_the_convention(run):
    result = run("explain", "relu(x)", "--at", "x=0", "--upstream", "3")
    assert result.exit_code == 0
    assert "PyTorch" in result.stdout
    assert json.loads(run("explain", "relu(x)", "--at", "x=0", "--json").stdout)["wires"] == {
        "x": 0}


@pytest.mark.parametrize(("args", "code", "fragment"), [
    (["explain", "x*", "--at", "x=1"], 2, "cannot read"),
    (["explain", "x*z", "--at", "x=1"], 2, "unknown name 'z'"),
    (["explain", "x.__class__", "--at", "x=1"], 2, "unexpected character '.'"),
    (["explain", "x", "--at", "x"], 2, "name=value"),
    (["explain", "x", "--at", "x=abc"], 2, "--at x"),
    (["explain", "x", "--at", "1x=2"], 2, "--at 1x"),
    (["explain", "x", "--at", "x=1,x=2"], 2, "twice"),
    (["explain", "x", "--at", "exp=1"], 2, "function name"),
    (["explain", "x", "--at", "x=1", "--upstream", "zz"], 2, "--upstream"),
    (["explain", "log(x)", "--at", "x=0"], 1, "does not exist"),
    (["explain", "sqrt(x)", "--at", "x=0"], 1, "local gradient"),
    (["explain", "9**9**9", "--at", "x=1"], 2, "exponent too large"),
    (["explain", "x"], 2, "--at"),
    (["list", "/no/such/folder.yaml"], 1, "no such file"),
    (["bogus"], 2, "No such command"),
])
def test_bad_input_gets_a_message_and_a_status_never_a_traceback(run, args, code, fragment):
    result = run(*args)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert fragment in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                     SystemExit)


def test_help_does_not_import_sympy():
    code = ("import sys; from quizgrad.cli.app import app; "
            "print('sympy' in sys.modules, 'rich.table' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0] == "False"


def test_python_dash_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "quizgrad", "--version"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("quizgrad ")


def test_explain_lists_common_wrong_answers(run):
    data = json.loads(run("explain", "x*y", "--at", "x=3,y=-4", "--upstream", "2",
                          "--json").stdout)
    assert data["mistakes"]["x"]["forward-value"] == -24
    assert data["mistakes"]["x"]["swapped-wires"] == 6
    assert data["mistakes"]["y"]["local-only"] == 3
    human = run("explain", "x*y", "--at", "x=3,y=-4", "--upstream", "2").stdout
    assert "common wrong answers" in human and "2 × (-12) = -24" in human


def test_explain_leaves_out_mistakes_equal_to_the_right_answer(run):
    data = json.loads(run("explain", "exp(x)", "--at", "x=1", "--upstream", "3",
                          "--json").stdout)
    assert "forward-value" not in data["mistakes"]["x"]


def test_check_runs_question_tests_and_reports_failures(run, write):
    bank = write("tested.yaml", """
        templates:
          - id: m
            type: wire
            title: M
            node: x*y
            inputs: {x: {int: [2, 5]}, y: {int: [-5, -2]}}
            upstream: {int: [2, 3]}
            ask: [x]
            tests:
              - {answer: "g*y", verdict: correct}
              - {answer: "g*f", verdict: wrong, mistakes: [sign-flip]}
        """)
    result = run("check", str(bank))
    assert result.exit_code == 1
    assert "tested.yaml:11: m: test: answer" in result.stdout
    assert "judged wrong (forward-value), expected wrong (sign-flip)" in result.stdout
    assert result.stdout.count("judged wrong") == 1  # once, not once per sampled variant


def test_check_reports_templates_that_cannot_discriminate(run, write):
    bank = write("gone.yaml", """
        templates:
          - id: g1
            type: wire
            title: g is always 1
            node: x*y
            inputs: {x: {int: [2, 5]}, y: {int: [-5, -2]}}
            upstream: 1
        """)
    result = run("check", str(bank))
    assert result.exit_code == 1
    assert "no discriminating draw" in result.stdout


def test_check_reports_what_the_variants_of_each_template_cover(run):
    result = run("check", "--variants", "60")
    assert result.exit_code == 0, result.stdout
    assert "what 60 variants of each template cover" in result.stdout
    assert "relu(x) is open" in result.stdout and "relu(x) is closed" in result.stdout
    assert "Answering 0 on every wire would score" in " ".join(result.stdout.split())
    data = json.loads(run("check", "--variants", "60", "--json").stdout)
    assert data["variants"] == 60 and 0 < data["zero_score"] <= 0.05
    relu = next(c for c in data["coverage"] if c["template"] == "neuron-relu-wire")
    assert relu["variants"] == 60 and relu["answers"] >= 5 and not relu["problems"]
    assert {r["regime"] for r in relu["regimes"]} == {"relu(b + w*x) is open",
                                                      "relu(b + w*x) is closed"}
    assert sum(r["variants"] for r in relu["regimes"]) == 60


def test_check_without_measuring_variants(run):
    data = json.loads(run("check", "--variants", "0", "--json").stdout)
    assert data["ok"] and data["coverage"] == [] and data["zero_score"] == 0


def test_check_reports_a_regime_that_is_never_drawn_at_its_line(run, gate_bank):
    result = run("check", str(gate_bank))
    assert result.exit_code == 1
    assert "gate.yaml:2: gate: the regime 'relu(x) is open' is never drawn" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(("node", "local"), [("sinh(x)", "cosh(x)"), ("cosh(x)", "sinh(x)"),
                                             ("sech(x)", "-tanh(x)*sech(x)")])
def test_explain_knows_the_hyperbolic_functions(run, node, local):
    data = json.loads(run("explain", node, "--at", "x=0.5", "--upstream", "2", "--json").stdout)
    assert data["local"]["x"] == local


def test_explain_an_array_circuit_lists_every_value_with_its_shape(run):
    result = run("explain", "C = A @ B", "--at", "A=[[1,2]]", "--at", "B=[[1],[2]]",
                 "--upstream", "[[1]]")
    assert result.exit_code == 0, result.stdout
    assert "│ A     │ a 1×2 matrix │ [[1, 2]]   │ [[1, 2]]   │" in result.stdout
    assert "B ← [[1], [2]]   (A.T @ G)" in result.stdout


def test_explain_a_two_layer_network_as_json(run):
    result = run("explain", "h = X @ W1 + b1; a = relu(h); s = a @ W2 + b2; "
                 "L = softmax_ce(s, y)", "--at", "X=[[1,2],[3,-1]]", "--at",
                 "W1=[[1,-1],[2,1]]", "--at", "b1=[0,1]", "--at", "W2=[[1,0,-1],[2,1,0]]",
                 "--at", "b2=[0,0,1]", "--at", "y=[0,2]", "--json")
    data = json.loads(result.stdout)
    assert data["shapes"]["W2"] == [2, 3] and data["shapes"]["L"] == []
    assert [step["node"] for step in data["steps"]] == [
        "L = softmax_ce(s, y)", "s = a @ W2 + b2", "a = relu(h)", "h = X @ W1 + b1"]
    assert data["wires"]["h"][1][1] == 0  # h[1,1] = -3: the ReLU is closed there
    assert data["wires"]["X"][0][0] == 0  # a sum that is exactly 0, not rounding noise
    assert "no-transpose@s = a @ W2 + b2" in data["mistakes"]["W2"]
    assert "bias-not-summed@h = X @ W1 + b1" in data["mistakes"]["b1"]


@pytest.mark.parametrize(("args", "message"), [
    (["C = A @ B", "--at", "A=[[1,2]]", "--at", "B=[[1],[2]]"], "give the upstream gradient"),
    (["C = A @ B", "--at", "A=[[1,2]]", "--at", "B=[[1],[2]]", "--upstream", "[1, 2]"],
     "G must be a 1×1 matrix, like the output C"),
    (["C = A @ B", "--at", "A=[[1,2]]", "--at", "B=[[1,2]]", "--upstream", "1"],
     "inner sizes 2 and 1 differ"),
])
def test_explain_an_array_circuit_refuses_bad_input_with_a_message(run, args, message):
    result = run("explain", *args)
    assert result.exit_code == 2
    assert message in " ".join((result.stdout + result.stderr).split())
    assert "Traceback" not in result.stdout + result.stderr
