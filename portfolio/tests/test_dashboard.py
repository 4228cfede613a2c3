"""The learner's dashboard: latest levels, expected level, gaps, focus-next, trajectories and
stage boundaries — aggregated in the database in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from decimal import Decimal

import pytest
import time_machine
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, SelfAssessment
from assessments.summaries.monthly import monthly_summaries_rebuild
from assessments.tests.factories import on_shipped_form
from frameworks.models import Competency
from portfolio.api import DashboardSerializer, dashboard_data, dashboard_points
from portfolio.dashboard import learner_dashboard
from portfolio.dashboard_html import Formats
from portfolio.figures import standing_figure, trajectory_series
from portfolio.tests.factories import (
    AssessmentFactory,
    SelfAssessmentFactory,
    framework_with_tree,
)
from programs.models import Expectation
from tests import factories as base

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_year_end")]


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


def test_the_expected_level_now_rises_through_the_training_year(learner, leaves):
    # The module pins today to 30 June (year end); half-way through PGY-1 the level
    # expected is half-way from entry (1) to the year's end level (2).
    with time_machine.travel(dt.datetime(2025, 12, 31, 12, tzinfo=dt.UTC)):
        mid_year = rows_by_code(learner_dashboard(learner=learner))["D1.1"]
    assert mid_year.expected == Decimal("1.5")
    assert rows_by_code(learner_dashboard(learner=learner))["D1.1"].expected == Decimal(2)


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
    series = trajectory_series(dashboard)
    assert series["months"] == ["2025-09-01"]
    assert series["competencies"][0] == {
        "id": leaves[0].pk,
        "code": leaves[0].code,
        "framework": leaves[0].framework_id,
    }
    assert series["you"] == {
        "competency": (leaves[0].pk,),
        "month": [0],
        "mean": [2.5],
        "n": (1,),
        "tenths": (25,),
    }
    assert series["assessors"]["mean"] == [2.0] and series["assessors"]["tenths"] == (20,)
    json.dumps(figure)  # serialisable as the page embeds it
    json.dumps(series)


def test_each_expected_line_is_its_competencys_own_shared_or_not(learner, program, leaves):
    """The series writes a line shared by several competencies once; each competency still
    gets its own corners, a program's level for one of them included."""
    Expectation.objects.create(
        program=program, competency=leaves[0], training_year=1, level=Decimal("3")
    )
    for leaf in leaves[:3]:
        SelfAssessmentFactory(learner=learner, competency=leaf, level=Decimal("2"))
    dashboard = learner_dashboard(learner=learner)
    expected = trajectory_series(dashboard)["expected"]
    for leaf in leaves[:3]:
        corners = dashboard.expected_trajectory(leaf)
        assert expected[str(leaf.pk)] == {
            "x": [day.isoformat() for day, _ in corners],
            "y": [float(level) for _, level in corners],
        }
    own, first, second = (expected[str(leaf.pk)] for leaf in leaves[:3])
    assert own != first and first is second


def test_a_competencys_expected_line_is_the_same_whichever_was_drawn_first(
    learner, program, leaves
):
    """Lines shared by competencies without a level of their program's are drawn once per
    page: asking in another order gives the same corners, and changing one answer changes
    no other."""
    Expectation.objects.create(
        program=program, competency=leaves[0], training_year=1, level=Decimal("3")
    )
    forwards = learner_dashboard(learner=learner)
    lines = [forwards.expected_trajectory(leaf) for leaf in leaves]
    backwards = learner_dashboard(learner=learner)
    again = [backwards.expected_trajectory(leaf) for leaf in reversed(leaves)][::-1]

    assert lines == again
    assert lines[0] != lines[1] == lines[2] and lines[1]
    lines[1].clear()
    assert forwards.expected_trajectory(leaves[2]) == again[2]


def test_the_trajectory_series_index_months_and_keep_exact_sums(learner, leaves):
    # Two competencies in September, one in November. Each month's sum comes in whole tenths
    # (6.0 as 60), from which the browser's mean across competencies is exact.
    for competency, level, day in (
        (leaves[0], "2.5", dt.date(2025, 9, 3)),
        (leaves[0], "3.5", dt.date(2025, 9, 20)),
        (leaves[1], "1.5", dt.date(2025, 9, 4)),
        (leaves[1], "2", dt.date(2025, 11, 2)),
    ):
        SelfAssessmentFactory(
            learner=learner, competency=competency, level=Decimal(level), assessed_on=day
        )
    series = trajectory_series(learner_dashboard(learner=learner))
    assert series["months"] == ["2025-09-01", "2025-11-01"]
    you = series["you"]
    columns = (you["competency"], you["month"], you["mean"], you["n"], you["tenths"])
    assert list(zip(*columns, strict=True)) == [
        (leaves[0].pk, 0, 3.0, 2, 60),
        (leaves[1].pk, 0, 1.5, 1, 15),
        (leaves[1].pk, 1, 2.0, 1, 20),
    ]
    assert series["assessors"]["month"] == []


def test_the_progress_page_shows_charts_tables_and_local_plotly(client, learner, leaves):
    SelfAssessmentFactory(learner=learner, competency=leaves[0], level=Decimal("1"))
    client.force_login(learner)
    html = client.get(reverse("progress")).content.decode()
    assert "/static/vendor/plotly-cartesian.min.js" in html
    assert 'id="standing-' in html and 'id="trajectory"' in html
    assert "<caption>Latest levels and gaps" in html
    assert "Focus next" in html
    assert "cdn" not in html.lower()


def test_home_sums_up_where_you_stand_and_links_to_the_progress_page(client, learner, leaves):
    # leaves[0] rated 1 where 2 is expected (below); leaves[1] rated 3 (at or above); the
    # rest unrated.
    SelfAssessmentFactory(learner=learner, competency=leaves[0], level=Decimal("1"))
    SelfAssessmentFactory(learner=learner, competency=leaves[1], level=Decimal("3"))
    client.force_login(learner)
    html = client.get(reverse("home")).content.decode()
    unrated = len(leaves) - 2
    assert f"1 at or above expected, 1 below, {unrated} not rated yet." in html
    assert f'href="{reverse("progress")}"' in html
    assert "Focus next" in html
    assert "plotly" not in html  # the charts are on the progress page


def test_plotly_is_served_from_our_own_static_files(client):
    response = client.get("/static/vendor/plotly-cartesian.min.js")
    assert response.status_code == 200


def test_a_person_without_a_program_sees_the_empty_state(client, coach):
    client.force_login(coach)
    html = client.get(reverse("home")).content.decode()
    assert "Your portfolio is empty" in html
    html = client.get(reverse("progress")).content.decode()
    assert "Nothing to chart yet" in html


@pytest.mark.parametrize("size", [10, 1000])
def test_the_progress_page_runs_a_fixed_number_of_queries(
    client, learner, leaves, assessor, size, django_assert_num_queries
):
    _fill(learner, leaves, assessor, size)
    client.force_login(learner)
    # 1 session, 2 user; dashboard: 3 enrollments (current ones and the timeline's), 4 the
    # current programs' frameworks' ratable competencies, 5 expectations, 6 latest levels and
    # monthly means (one statement), 7 timeline entries; 8 the person's roles (navigation)
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(9):
        response = client.get(reverse("progress"))
    assert response.status_code == 200
    # The whole history is on the page, in the trajectory chart's series.
    points = learner_dashboard(learner=learner).self_points
    html = response.content.decode()
    assert len(_trajectory_series_of(html)["you"]["month"]) == len(points) > 0
    assert "<td>You</td>" not in html  # the table is on a page of its own


@pytest.mark.parametrize("size", [10, 1000])
def test_the_monthly_levels_page_runs_a_fixed_number_of_queries(
    client, learner, leaves, assessor, size, django_assert_num_queries
):
    _fill(learner, leaves, assessor, size)
    client.force_login(learner)
    # The progress page's eight: session, user, the dashboard's five, the person's roles.
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(9):
        response = client.get(reverse("progress-monthly"))
    assert response.status_code == 200
    # The whole history is in the table, yours and assessors'.
    dashboard = learner_dashboard(learner=learner)
    html = response.content.decode()
    assert html.count("<td>You</td>") == len(dashboard.self_points) > 0
    assert html.count("<td>Assessors</td>") == len(dashboard.assessor_points) > 0


def _trajectory_series_of(html: str) -> dict:
    text = html.split('<script id="trajectory-data" type="application/json">', 1)[1]
    return json.loads(text.split("</script>", 1)[0])


@pytest.mark.parametrize("size", [10, 1000])
def test_home_runs_a_fixed_number_of_queries(
    client, learner, leaves, assessor, size, django_assert_num_queries
):
    _fill(learner, leaves, assessor, size)
    client.force_login(learner)
    # 1 session, 2 user; dashboard without the timeline: 3 enrollments, 4 competencies,
    # 5 expectations, 6 latest levels, 7 the person's roles (worklist and navigation), 8 unread
    # notifications (header and worklist), all six in one round trip; 9 grants shared with me,
    # 10 upcoming visits (next-clinic card), 11 first steps done yet (check-in, coach, share:
    # one query)
    with django_assert_num_queries(11):
        response = client.get(reverse("home"))
    assert response.status_code == 200


@pytest.mark.parametrize("size", [10, 1000])
def test_the_dashboard_api_runs_a_fixed_number_of_queries(
    client, learner, leaves, assessor, size, django_assert_num_queries
):
    _fill(learner, leaves, assessor, size)
    client.force_login(learner)
    # 1 session, 2 user; 3 enrollments, 4 the current programs' frameworks' ratable
    # competencies, 5 expectations, 6 latest levels and monthly means (one statement)
    with django_assert_num_queries(6):
        response = client.get("/api/v1/me/dashboard/")
    assert response.status_code == 200
    dashboard = learner_dashboard(learner=learner)
    assert len(response.json()["trajectory"]) == len(dashboard.self_points) + len(
        dashboard.assessor_points
    )


# --- The numbers equal a straightforward recomputation ---------------------------------------


def _fill(learner, leaves, assessor, size):
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
            **on_shipped_form(
                dict(
                    learner=learner,
                    assessor=assessor,
                    competency=leaves[i % len(leaves)],
                    level=Decimal(i % 10) / 2,
                    observed_on=dt.date(2024, 1, 1) + dt.timedelta(days=i),
                )
            )
        )
        for i in range(size)
    )
    monthly_summaries_rebuild()  # bulk inserts bypass the services that keep it exact


def _random_history(learner, other_learner, assessor, leaves, elsewhere):
    """Ratings on a few dozen days: several a month, ties on the same day, some competencies
    never rated by assessors, one outside the learner's frameworks, another learner's noise."""
    rng = random.Random(20251126)
    levels = [Decimal(v) / 2 for v in range(11)]
    days = [dt.date(2024, 7, 1) + dt.timedelta(days=rng.randrange(0, 400)) for _ in range(30)]
    rated = [*leaves[:4], elsewhere]  # leaves[4:] never by assessors; leaves[5] by nobody
    for _ in range(120):
        SelfAssessmentFactory(
            learner=rng.choice([learner, learner, other_learner]),
            competency=rng.choice([*leaves[:5], elsewhere]),
            level=rng.choice(levels),
            assessed_on=rng.choice(days),
        )
        AssessmentFactory(
            learner=rng.choice([learner, learner, other_learner]),
            assessor=assessor,
            competency=rng.choice(rated),
            level=rng.choice(levels),
            observed_on=rng.choice(days),
        )
    # Same day, same competency: the later entry wins even when its id is lower.
    first = SelfAssessmentFactory(
        learner=learner, competency=leaves[0], level=Decimal("4.5"), assessed_on=dt.date(2026, 1, 5)
    )
    SelfAssessmentFactory(
        learner=learner, competency=leaves[0], level=Decimal("1"), assessed_on=dt.date(2026, 1, 5)
    )
    SelfAssessment.objects.filter(pk=first.pk).update(
        created_at=timezone.now() + dt.timedelta(hours=1)
    )
    monthly_summaries_rebuild()  # the update went behind the services' back


def _recomputed(learner, competencies):
    """Every rating loaded and grouped in Python: slow, obvious, and independent of the SQL."""
    latest = {}
    for c in competencies:
        mine = sorted(
            SelfAssessment.objects.filter(learner=learner, competency=c),
            key=lambda r: (r.assessed_on, r.created_at, r.pk),
        )
        theirs = sorted(
            Assessment.objects.filter(learner=learner, competency=c),
            key=lambda r: (r.observed_on, r.created_at, r.pk),
        )
        latest[c.pk] = (
            str(mine[-1].level) if mine else None,
            mine[-1].assessed_on if mine else None,
            str(theirs[-1].level) if theirs else None,
            theirs[-1].observed_on if theirs else None,
            len(theirs),
        )

    def monthly(ratings, day):
        groups = defaultdict(list)
        for r in ratings:
            groups[(getattr(r, day).replace(day=1), r.competency_id)].append(r.level)
        return [
            (month, competency_id, str((sum(v) / len(v)).quantize(Decimal("0.01"))), len(v))
            for (month, competency_id), v in sorted(groups.items())
        ]

    return (
        latest,
        monthly(SelfAssessment.objects.filter(learner=learner), "assessed_on"),
        monthly(Assessment.objects.filter(learner=learner), "observed_on"),
    )


def test_the_dashboards_numbers_equal_a_straightforward_recomputation(
    learner, other_learner, assessor, leaves
):
    elsewhere = base.CompetencyFactory(code="OLD1")  # an earlier stage's framework
    _random_history(learner, other_learner, assessor, leaves, elsewhere)
    latest, self_monthly, assessor_monthly = _recomputed(learner, leaves)

    dashboard = learner_dashboard(learner=learner)

    shown = {
        row.competency.pk: (
            None if row.self_level is None else str(row.self_level),
            row.self_on,
            None if row.assessor_level is None else str(row.assessor_level),
            row.assessor_on,
            row.assessor_n,
        )
        for row in dashboard.rows
    }
    assert shown == latest
    assert latest[leaves[0].pk][:2] == ("4.5", dt.date(2026, 1, 5))
    assert latest[leaves[5].pk] == (None, None, None, None, 0)
    assert [(p.month, p.competency_id, str(p.mean), p.n) for p in dashboard.self_points] == (
        self_monthly
    )
    assert [(p.month, p.competency_id, str(p.mean), p.n) for p in dashboard.assessor_points] == (
        assessor_monthly
    )
    assert any(p.competency_id == elsewhere.pk for p in dashboard.self_points)


def test_the_api_sends_what_its_serializer_describes(learner, other_learner, assessor, leaves):
    elsewhere = base.CompetencyFactory(code="OLD1")
    _random_history(learner, other_learner, assessor, leaves, elsewhere)
    dashboard = learner_dashboard(learner=learner, stages=False)
    described = DashboardSerializer(
        {
            "rows": dashboard.rows,
            "focus_next": dashboard.focus_next,
            "trajectory": dashboard_points(dashboard),
        }
    ).data

    sent = dashboard_data(dashboard)

    assert json.loads(json.dumps(sent)) == json.loads(json.dumps(described))
    assert sent["focus_next"] and sent["trajectory"]
    # A competency of a framework no program of the learner's uses keeps its code.
    assert {p["code"] for p in sent["trajectory"] if p["competency_id"] == elsewhere.pk} == {"OLD1"}


def test_the_api_has_the_trajectorys_monthly_means(client, learner, leaves):
    for day, level in ((3, "1"), (20, "2")):
        SelfAssessmentFactory(
            learner=learner,
            competency=leaves[0],
            level=Decimal(level),
            assessed_on=dt.date(2025, 9, day),
        )
    client.force_login(learner)
    body = client.get("/api/v1/me/dashboard/").json()
    assert body["trajectory"] == [
        {
            "competency_id": leaves[0].pk,
            "code": "D1.1",
            "rated_by": "self",
            "month": "2025-09-01",
            "mean": "1.50",
            "n": 2,
        }
    ]


def test_the_tables_show_the_same_numbers_as_the_charts(client, learner, leaves, assessor):
    SelfAssessmentFactory(
        learner=learner, competency=leaves[0], level=Decimal("1"), assessed_on=dt.date(2025, 9, 3)
    )
    SelfAssessmentFactory(
        learner=learner, competency=leaves[0], level=Decimal("2"), assessed_on=dt.date(2025, 9, 20)
    )
    AssessmentFactory(
        learner=learner,
        assessor=assessor,
        competency=leaves[0],
        level=Decimal("1.5"),
        observed_on=dt.date(2025, 10, 2),
    )
    client.force_login(learner)
    html = client.get(reverse("progress")).content.decode()
    # Latest levels: yours 2 on 20 Sep, assessors' 1.5 on 2 Oct (n=1), expected 2, gap 0.5.
    assert (
        '<td class="num">2<small class="muted narrow-hidden"> on 20 Sep 2025</small></td>'
        '<td class="num">1.5<small class="muted"><span class="narrow-hidden"> on 2 Oct 2025,'
        '</span> n=1</small></td><td class="num">2</td><td class="num gap-pos">below expected by 0.5</td>'
    ) in html
    assert '<td class="num">—</td><td class="num">—</td><td class="num">2</td>' in html
    # The chart's numbers as a table: a link beside the chart, to a page of their own.
    assert f'<a href="{reverse("progress-monthly")}">The same numbers as a table</a>' in html
    html = client.get(reverse("progress-monthly")).content.decode()
    # Monthly means: yours 1.50 of 2 in September, assessors' 1.50 of 1 in October.
    assert (
        '<tr><td>Sep 2025</td><td>D1.1</td><td>You</td><td class="num">1.50</td>'
        '<td class="num">2</td></tr>'
    ) in html
    assert (
        '<tr><td>Oct 2025</td><td>D1.1</td><td>Assessors</td><td class="num">1.50</td>'
        '<td class="num">1</td></tr>'
    ) in html


def test_the_gap_column_says_below_or_above_expected_in_words(client, learner, leaves):
    # Expected now is 2 (see above): 3.1 is above it by 1.1, 2 is at it, 0.9 below by 1.1.
    for leaf, level in zip(leaves, ("3.1", "2", "0.9"), strict=False):
        SelfAssessmentFactory(learner=learner, competency=leaf, level=Decimal(level))
    client.force_login(learner)
    html = client.get(reverse("progress")).content.decode()
    assert '<td class="num">above expected by 1.1</td></tr>' in html
    assert '<td class="num">at expected</td></tr>' in html
    assert '<td class="num gap-pos">below expected by 1.1</td></tr>' in html
    assert "-1.1" not in html and "−1.1" not in html
    # The API keeps the signed number: expected minus current, positive when below expected.
    gaps = {
        row["competency"]["id"]: row["gap"]
        for row in client.get("/api/v1/me/dashboard/").json()["rows"]
    }
    assert [gaps[leaf.pk] for leaf in leaves[:3]] == ["-1.1", "0.0", "1.1"]


def test_competency_names_are_escaped_in_the_tables(client, learner, leaves):
    Competency.objects.filter(pk=leaves[0].pk).update(code="<b>X", title="<script>x</script>")
    SelfAssessmentFactory(learner=learner, competency=leaves[0], level=Decimal("1"))
    client.force_login(learner)
    for page in ("progress", "progress-monthly"):
        html = client.get(reverse(page)).content.decode()
        assert "<script>x</script>" not in html and "<b>X" not in html
        assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<td>&lt;b&gt;X</td>" in html  # the monthly table's competency column
    html = client.get(reverse("progress-monthly"), {"competency": leaves[0].pk}).content.decode()
    assert "<caption>Monthly mean levels of &lt;b&gt;X" in html


def test_the_monthly_levels_narrow_to_one_competency(client, learner, leaves, assessor):
    SelfAssessmentFactory(
        learner=learner, competency=leaves[0], level=Decimal("1"), assessed_on=dt.date(2025, 9, 3)
    )
    SelfAssessmentFactory(
        learner=learner, competency=leaves[1], level=Decimal("3"), assessed_on=dt.date(2025, 9, 4)
    )
    AssessmentFactory(
        learner=learner,
        assessor=assessor,
        competency=leaves[1],
        level=Decimal("2.5"),
        observed_on=dt.date(2025, 10, 2),
    )
    # Listed in the levels table's order, not the codes' alphabetical one.
    Competency.objects.filter(pk=leaves[0].pk).update(code="Z1")
    client.force_login(learner)
    url = reverse("progress-monthly")
    every = client.get(url).content.decode()
    assert every.count("<tr><td>") == 3
    assert every.index("<td>Z1</td>") < every.index(f"<td>{leaves[1].code}</td>")
    only = client.get(url, {"competency": leaves[1].pk}).content.decode()
    code = leaves[1].code
    assert only.count("<tr><td>") == 2
    assert f"<tr><td>Sep 2025</td><td>{code}</td><td>You</td>" in only
    assert f"<tr><td>Oct 2025</td><td>{code}</td><td>Assessors</td>" in only
    assert f'<option value="{leaves[1].pk}" selected>' in only
    # A competency the dashboard does not show, or no number at all: not found.
    other = base.CompetencyFactory()
    assert client.get(url, {"competency": other.pk}).status_code == 404
    assert client.get(url, {"competency": "x"}).status_code == 404


def test_the_monthly_levels_page_before_any_rating(client, learner, leaves):
    client.force_login(learner)
    html = client.get(reverse("progress-monthly")).content.decode()
    assert "appear after your first check-in" in html and "<table" not in html


def test_the_python_written_markup_reads_as_the_template_filters_would():
    formats = Formats()
    day = dt.date(2024, 1, 1)
    for _ in range(800):
        assert formats.day_month_year(day) == date_filter(day, "j M Y")
        assert formats.month_year(day) == date_filter(day, "M Y")
        day += dt.timedelta(days=1)
    for value in [Decimal(v) / 4 for v in range(-20, 21)]:
        assert formats.level(value) == floatformat(value, "-1")
        assert formats.level(value, "-2") == floatformat(value, "-2")
    assert formats.level(None) == "—"


def test_the_trajectory_keeps_an_earlier_schools_epas_and_draws_the_expected_line(
    client, learner, program, leaves, assessor
):
    """A school's EPAs, rated before the move to this residency, keep their codes; the mean
    lines are per framework; the expected line and its table carry the same corners."""
    school = base.ProgramFactory(stage="ume", duration_years=4)
    epa_framework, epas = framework_with_tree(code="epas", domains=1, per_domain=2)
    school.frameworks.add(epa_framework)
    base.EnrollmentFactory(
        learner=learner,
        program=school,
        training_year=4,
        start_date=dt.date(2021, 7, 1),
        end_date=dt.date(2025, 5, 31),
    )
    AssessmentFactory(
        learner=learner,
        assessor=assessor,
        competency=epas[0],
        level=Decimal(4),
        observed_on=dt.date(2025, 3, 3),
    )
    AssessmentFactory(
        learner=learner,
        assessor=assessor,
        competency=leaves[0],
        level=Decimal(1),
        observed_on=dt.date(2025, 3, 9),
    )
    dashboard = learner_dashboard(learner=learner)

    assert {row.code for row in dashboard.monthly_rows()} == {"D1.1"}  # both frameworks' D1.1
    means = {(r.code, r.mean) for r in dashboard.framework_monthly_rows()}
    assert means == {("Test epas 2.0", Decimal(4)), ("Test im-milestones 2.0", Decimal(1))}
    series = trajectory_series(dashboard)
    assert len(series["frameworks"]) == 2
    line = series["expected"][str(leaves[0].pk)]
    assert line["x"][0] == "2025-07-01" and line["y"] == sorted(line["y"])

    client.force_login(learner)
    body = client.get("/api/v1/me/trajectory/").json()
    school_epa = next(c for c in body["competencies"] if c["id"] == epas[0].pk)
    assert (school_epa["code"], school_epa["framework"], school_epa["current"]) == (
        "D1.1",
        "epas",
        False,
    )
    assert school_epa["expected"][0] == {"on": "2021-07-01", "level": "1.0"}
    assert {m["framework"] for m in body["framework_means"]} == {
        "Test epas 2.0",
        "Test im-milestones 2.0",
    }
    page = client.get(reverse("progress-monthly"), {"competency": leaves[0].pk}).content.decode()
    corners = dashboard.expected_trajectory(leaves[0])
    assert page.count('<tr class="expected-row">') == len(corners) > 1
    page = client.get(reverse("progress-monthly")).content.decode()
    assert page.count('<tr class="framework-mean">') == 2
