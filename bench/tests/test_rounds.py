"""How many timed rounds a measurement gets (`bench.measure.Rounds`)."""

from __future__ import annotations

from bench.measure import Rounds


def test_cheap_measurements_get_as_many_rounds_as_fit_the_budget_up_to_the_most():
    rounds = Rounds(15, budget_s=6.0, most=200)
    assert rounds.count(0.012) == 200  # 500 would fit: capped
    assert rounds.count(0.1) == 60
    assert rounds.count(1.0) == 15  # an expensive one keeps the least
    assert rounds.count(0.0) == 15


def test_an_exact_number_of_rounds_when_asked_for_one():
    assert Rounds(7, most=7).count(0.001) == 7
