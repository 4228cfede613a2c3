"""The learner's dashboard: latest levels, expected level, gaps, focus-next, trajectories and
stage boundaries — aggregated in the database in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from assessments.models import Assessment, SelfAssessment
from portfolio.dashboard import learner_dashboard
from portfolio.figures import standing_figure, trajectory_figure
from portfolio.tests.factories import AssessmentFactory, SelfAssessmentFactory
from programs.models import Expectation
from tests import factories as base

pytestmark = pytest.mark.django_db


def rows_by_code(dashboard):
    return {row.competency.code: row for row in dashboard.rows}


def test_each_competency_shows_latest_self_and_assessor_levels_expected_and_gap(
    learner, program, leaves, assessor
):
    SelfAssessmentFactory(
        learner=learner, competency=leaves[0], level=Decimal("1"), assessed_on=dt.date(2025, 8, 1)
    )
    SelfAssessmentFactory(
        learner=learner,
        competency=leaves[0],
        level=Decimal("2.5"),
        assessed_on=dt.date(2025, 10, 1),
    )
    AssessmentFactory(
        learner=learner,
        assessor=assessor,
        competency=leaves[0],
        level=Decimal("1.5"),
        observed_on=dt.date(2025, 9, 1),
    )
    AssessmentFactory(
        learner=learner,
        assessor=assessor,
        competency=leaves[0],
        level=Decimal("1"),
        observed_on=dt.date(2025, 8, 1),
    )
    SelfAssessmentFactory(
        learner=learner, competency=leaves[1], level=Decimal("3"), assessed_on=dt.date(2025, 10, 1)
    )
    rows = rows_by_code(learner_dashboard(learner=learner))
    first = rows["D1.1"]
    assert (first.self_level, first.self_on) == (Decimal("2.5"), dt.date(2025, 10, 1))
    assert (first.assessor_level, first.assessor_on, first.assessor_n) == (
        Decimal("1.5"),
        dt.date(2025, 9, 1),
        2,
    )
    # PGY-1 of a 3-year program: 1 + 3 × 1/3 = level 2.
    assert first.expected == Decimal("2")
    assert (first.basis, first.gap) == ("assessor", Decimal("0.5"))
    second = rows["D1.2"]
    assert (second.basis, second.gap, second.assessor_n) == ("self", Decimal("-1"), 0)
    assert rows["D1.3"].gap is None


def test_a_program_expectation_overrides_the_default(learner, program, leaves):
    Expectation.objects.create(
        program=program, competency=leaves[0], training_year=1, level=Decimal("3")
    )
    rows = rows_by_code(learner_dashboard(learner=learner))
    assert rows["D1.1"].expected == Decimal("3")
    assert rows["D1.2"].expected == Decimal("2")


def test_another_learners_ratings_never_count(learner, other_learner, leaves):
    SelfAssessmentFactory(learner=other_learner, competency=leaves[0], level=Decimal("5"))
    AssessmentFactory(learner=other_learner, competency=leaves[0], level=Decimal("5"))
    row = rows_by_code(learner_dashboard(learner=learner))["D1.1"]
    assert (row.self_level, row.assessor_level, row.assessor_n) == (None, None, 0)


def test_focus_next_lists_the_largest_gaps_first(learner, leaves):
    for leaf, level in zip(leaves, ["1", "0.5", "2", "1.5", "3", "0"], strict=True):
        SelfAssessmentFactory(learner=learner, competency=leaf, level=Decimal(level))
    focus = [row.competency.code for row in learner_dashboard(learner=learner).focus_next]
    assert focus == ["D2.3", "D1.2", "D1.1", "D2.1"]


def test_trajectories_are_monthly_means_with_counts(learner, leaves):
    SelfAssessmentFactory(
        learner=learner, competency=leaves[0], level=Decimal("1"), assessed_on=dt.date(2025, 9, 3)
    )
    SelfAssessmentFactory(
        learner=learner, competency=leaves[0], level=Decimal("2"), assessed_on=dt.date(2025, 9, 20)
    )
    SelfAssessmentFactory(
        learner=learner, competency=leaves[0], level=Decimal("3"), assessed_on=dt.date(2025, 10, 2)
    )
    points = [(p.month, p.mean, p.n) for p in learner_dashboard(learner=learner).self_points]
    assert points == [
        (dt.date(2025, 9, 1), Decimal("1.50"), 2),
        (dt.date(2025, 10, 1), Decimal("3.00"), 1),
    ]


def test_stage_changes_become_boundaries_on_the_time_axis(learner, program):
    school = base.ProgramFactory(stage="ume", name="MD")
    base.EnrollmentFactory(
        learner=learner,
        program=school,
        start_date=dt.date(2021, 8, 1),
        end_date=dt.date(2025, 5, 30),
    )
    dashboard = learner_dashboard(learner=learner)
    assert [(b.on, b.label) for b in dashboard.boundaries] == [
        (dt.date(2025, 7, 1), "Residency starts")
    ]


def test_the_figures_carry_the_same_numbers_as_the_table(learner, leaves):
    SelfAssessmentFactory(
        learner=learner, competency=leaves[0], level=Decimal("2.5"), assessed_on=dt.date(2025, 9, 3)
    )
    AssessmentFactory(
        learner=learner, competency=leaves[0], level=Decimal("2"), observed_on=dt.date(2025, 9, 5)
    )
    dashboard = learner_dashboard(learner=learner)
    figure = standing_figure(dashboard.sections[0])
    by_name = {trace["name"]: trace for trace in figure["data"]}
    assert by_name["You (latest)"]["x"][0] == 2.5
    assert by_name["Assessors (latest)"]["x"][0] == 2.0
    assert by_name["Expected now"]["x"][0] == 2.0
    trajectory = trajectory_figure(dashboard)
    assert trajectory["data"][0]["y"] == [2.5]
    assert trajectory["data"][0]["x"] == ["2025-09-01"]
    json.dumps(figure)  # serialisable as the page embeds it


def test_the_home_page_shows_charts_tables_and_local_plotly(client, learner, leaves):
    SelfAssessmentFactory(learner=learner, competency=leaves[0], level=Decimal("1"))
    client.force_login(learner)
    html = client.get(reverse("home")).content.decode()
    assert "/static/vendor/plotly.min.js" in html
    assert 'id="standing-' in html
    assert "<caption>Latest levels and gaps" in html
    assert "Focus next" in html
    assert "cdn" not in html.lower()


def test_plotly_is_served_from_our_own_static_files(client):
    response = client.get("/static/vendor/plotly.min.js")
    assert response.status_code == 200


def test_a_person_without_a_program_sees_the_empty_state(client, coach):
    client.force_login(coach)
    html = client.get(reverse("home")).content.decode()
    assert "Your portfolio is empty" in html


@pytest.mark.parametrize("size", [10, 1000])
def test_the_dashboard_runs_a_fixed_number_of_queries(
    client, learner, leaves, assessor, size, django_assert_num_queries
):
    SelfAssessment.objects.bulk_create(
        SelfAssessment(
            learner=learner,
            competency=leaves[i % len(leaves)],
            level=Decimal(i % 10) / 2,
            assessed_on=dt.date(2024, 1, 1) + dt.timedelta(days=i),
        )
        for i in range(size)
    )
    Assessment.objects.bulk_create(
        Assessment(
            learner=learner,
            assessor=assessor,
            competency=leaves[i % len(leaves)],
            level=Decimal(i % 10) / 2,
            observed_on=dt.date(2024, 1, 1) + dt.timedelta(days=i),
        )
        for i in range(size)
    )
    client.force_login(learner)
    # 1 session, 2 user; dashboard: 3 current enrollments, 4 their programs' frameworks,
    # 5 competencies with latest levels (correlated subqueries), 6 expectations, 7 timeline
    # enrollments, 8 timeline entries, 9 self trajectory, 10 assessor trajectory;
    # 11 grants shared with me, 12 navigation roles, 13 upcoming visits (next-clinic card)
    with django_assert_num_queries(13):
        response = client.get(reverse("home"))
    assert response.status_code == 200
