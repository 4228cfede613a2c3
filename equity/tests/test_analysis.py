"""The statistics on plain rows: the interval's coverage of a known gap, and the assessor's
gap against colleagues'."""

from __future__ import annotations

import numpy as np
import statsmodels.api as sm

from equity.analysis import Row, adjusted_differences, assessor_gaps, summary

GAP = -0.3


def _dataset(rng: np.random.Generator, *, gap: float, learners: int = 40) -> list[Row]:
    """Learners in two groups over three training years and two periods, each with their own
    lasting offset (so ratings of one learner are correlated) and a group gap built in."""
    rows = []
    for learner in range(learners):
        group = "b" if learner % 2 else "a"
        year = 1 + learner % 3
        offset = rng.normal(0, 0.5)  # learner-level clustering
        for period in ("p1", "p2"):
            for _ in range(int(rng.integers(3, 9))):
                value = (
                    2.0 + 0.6 * year + (0.2 if period == "p2" else 0.0)
                    + (gap if group == "b" else 0.0) + offset + rng.normal(0, 0.4)
                )  # fmt: skip
                rows.append(Row(learner, group, year, period, value))
    return rows


def test_the_95_interval_contains_a_known_gap_in_at_least_90_of_100_data_sets():
    rng = np.random.default_rng(20261206)
    covered = 0
    for _ in range(100):
        [difference] = adjusted_differences(_dataset(rng, gap=GAP), reference="a")
        assert difference.group == "b"
        covered += difference.low <= GAP <= difference.high
    assert covered >= 90, covered


def test_clustering_widens_the_interval_against_treating_ratings_as_independent():
    rng = np.random.default_rng(7)
    [clustered] = adjusted_differences(_dataset(rng, gap=0.0), reference="a")
    rows = _dataset(np.random.default_rng(7), gap=0.0)
    design = np.column_stack(
        [np.ones(len(rows)), [1.0 if r.group == "b" else 0.0 for r in rows]]
        + [[1.0 if r.year == y else 0.0 for r in rows] for y in (2, 3)]
        + [[1.0 if r.period == "p2" else 0.0 for r in rows]]
    )
    naive_se = sm.OLS(np.array([r.value for r in rows]), design).fit().bse[1]
    assert clustered.se > naive_se


def test_the_model_reports_its_n_and_every_coefficient():
    rows = _dataset(np.random.default_rng(3), gap=GAP)
    [difference] = adjusted_differences(rows, reference="a")
    assert difference.n_rows == len(rows)
    assert difference.n_learners == 40
    assert (difference.n_group, difference.n_reference) == (20, 20)
    names = [t.name for t in difference.terms]
    assert names == ["intercept", "group b", "training year 2", "training year 3", "period p2"]


def test_a_group_under_five_learners_gets_no_difference():
    rows = [
        r for r in _dataset(np.random.default_rng(5), gap=GAP) if r.group == "a" or r.learner < 8
    ]
    assert adjusted_differences(rows, reference="a") == []


def test_summary_gives_mean_and_quartiles_but_no_extremes():
    assert summary([1.0, 2.0, 3.0, 4.0, 5.0]) == {"mean": 3.0, "q1": 2.0, "median": 3.0, "q3": 4.0}


def _assessor_rows(rng: np.random.Generator, my_extra_gap: float) -> list[Row]:
    rows = []
    for learner in range(30):
        group = "b" if learner % 2 else "a"
        offset = rng.normal(0, 0.3)
        for assessor in range(6):
            extra = my_extra_gap if assessor == 0 and group == "b" else 0.0
            for competency in (1, 2):
                value = 3 + offset + extra + rng.normal(0, 0.3)
                rows.append(Row(learner, group, 1, "p1", value, assessor, competency))
    return rows


def test_an_assessor_whose_gap_exceeds_colleagues_is_told_so():
    [gap] = assessor_gaps(_assessor_rows(np.random.default_rng(1), -0.8), assessor=0, reference="a")
    assert gap.beyond
    assert gap.difference < -0.5
    assert gap.my_group == 15 and gap.my_reference == 15


def test_an_assessor_in_line_with_colleagues_reads_as_within_range():
    [gap] = assessor_gaps(_assessor_rows(np.random.default_rng(2), 0.0), assessor=0, reference="a")
    assert not gap.beyond


def test_no_signal_where_the_assessor_rated_fewer_than_five_learners_of_a_group():
    rows = [
        r
        for r in _assessor_rows(np.random.default_rng(1), -0.8)
        if r.assessor != 0 or r.group == "a" or r.learner < 8
    ]
    assert assessor_gaps(rows, assessor=0, reference="a") == []
