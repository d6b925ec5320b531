"""What a class's variants cover: distinct answers, every kink regime, little for guessing 0."""

from __future__ import annotations

import pytest

from quizgrad.bank.coverage import Coverage, RegimeCount, _regime_problems, coverage
from quizgrad.bank.load import load_banks, templates_of
from quizgrad.bank.templates import GradientTemplate, MatrixTemplate
from quizgrad.items.discriminate import DEAD, LIVE, Profile, Side

DRAWN = [t for t in templates_of(load_banks()) if isinstance(t, GradientTemplate | MatrixTemplate)]
KINKED = {"max-wire", "relu-wire", "neuron-relu-wire", "max-circuit"}


@pytest.fixture(scope="module")
def bundled() -> dict[str, Coverage]:
    """200 variants of every bundled template that draws numbers, as generate draws them."""
    return {t.id: coverage(t, 200) for t in DRAWN}


@pytest.mark.parametrize("template", [t.id for t in DRAWN])
def test_no_bundled_template_collapses(bundled, template):
    found = bundled[template]
    assert found.drawn == 200
    assert found.answers >= min(5, found.reach), found
    assert not found.problems


@pytest.mark.parametrize("template", sorted(KINKED))
def test_each_kink_regime_gets_at_least_a_quarter_of_the_variants(bundled, template):
    regimes = bundled[template].regimes
    assert len(regimes) == 2
    for regime in regimes:
        assert regime.reached and regime.variants >= 50, regime


def test_exactly_the_templates_with_kinks_have_regimes(bundled):
    assert {name for name, found in bundled.items() if found.regimes} == KINKED


def test_answering_0_on_every_wire_scores_at_most_5_percent(bundled):
    zero = sum(found.zero_points for found in bundled.values())
    total = sum(found.max_points for found in bundled.values())
    assert total == 200 * sum(t.points for t in DRAWN)
    assert zero / total <= 0.05


def test_the_relu_neuron_is_not_a_dead_neuron_in_every_variant(bundled):
    found = bundled["neuron-relu-wire"]
    assert found.answers >= 20  # it had 1 (every wire 0) before regimes
    assert 0.2 < found.zero_score < 0.5  # the closed gate still appears, a third of the time


def test_a_template_whose_filter_removes_answers_is_a_collapse(write):
    bank = write("few.yaml", """
        templates:
          - id: few
            type: wire
            title: An add node
            node: x + y
            inputs: {x: {int: [-9, 9]}, y: {int: [-9, 9]}}
            upstream: {choice: [1, 2, 3, 4, 5]}
        """)
    template = load_banks([bank])[0].templates[0]
    found = coverage(template, 100)
    # g = 1 makes local-only right (df/dx = 1 = g * 1), and g = 2 makes split-evenly and
    # local-only both 1: the draws keep g = 3, 4, 5 only, where the ranges give five
    assert (found.answers, found.reach) == (3, 5)
    assert found.problems == ("its variants collapse: 3 distinct answer(s) in 100 variants, "
                              "where its ranges give 5+",)


def test_a_regime_no_draw_can_reach_is_reported_with_what_stands_in_its_way(gate_bank):
    template = load_banks([gate_bank])[0].templates[0]
    found = coverage(template, 40)
    assert [(r.label, r.reached) for r in found.regimes] == [("relu(x) is closed", True),
                                                             ("relu(x) is open", False)]
    assert found.regimes[0].variants == 40
    assert ("the regime 'relu(x) is open' is never drawn: on every draw in it local-only "
            "(wire x), relu-gate-on-gradient (wire x) give the right answer; widen or change "
            "the ranges") in found.problems


def _side(label: str, weight: int) -> Side:
    return Side((0,), label, Profile(frozenset(), frozenset(), 0, 0), 0.5, weight)


@pytest.mark.parametrize(("weights", "counts", "flagged"), [
    ((LIVE, DEAD), (140, 60), []),  # 30% of the class meets the closed gate: enough
    ((LIVE, DEAD), (160, 40), ["b"]),  # 20%: under a quarter
    ((LIVE, LIVE), (110, 90), []),
    ((LIVE, LIVE), (160, 40), ["b"]),
    ((LIVE, 0), (200, 0), ["b"]),  # never drawn: said, with what stands in its way
])
def test_a_regime_drawn_too_rarely_is_a_problem(weights, counts, flagged):
    sides = (_side("a", weights[0]), _side("b", weights[1]))
    total = sum(weights)
    regimes = tuple(RegimeCount(s.label, n, s.weight / total, s.weight > 0)
                    for s, n in zip(sides, counts, strict=True))
    problems = _regime_problems(sides, regimes, sum(counts))
    assert [p.split("'")[1] for p in problems] == flagged
