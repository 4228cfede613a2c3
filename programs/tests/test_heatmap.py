import datetime as dt
from decimal import Decimal

import pytest

from programs import services
from programs.heatmap import Filters, heatmap_build
from programs.models import Expectation, Program
from programs.tests.factories import (
    AssessmentFactory,
    ReviewPeriodFactory,
    enrol,
    program_with_framework,
)
from tests.factories import CohortFactory, EnrollmentFactory, ProgramRoleFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 10, 1)  # inside the period below, training year 2025–26


@pytest.fixture
def world(program):
    program.duration_years = 3
    program.save()
    _, leaves = program_with_framework(program, domains=2, per_domain=2)
    period = ReviewPeriodFactory(
        program=program, start_date=dt.date(2025, 7, 1), end_date=dt.date(2025, 12, 31)
    )
    return program, leaves, period


def populate(program, leaves, count):
    """`count` learners, each with two ratings per sub-competency in the period."""
    learners = enrol(program, count, training_year=1)
    for learner in learners:
        for leaf in leaves:
            AssessmentFactory(
                learner=learner, competency=leaf, level=2, observed_on=dt.date(2025, 8, 1)
            )
            AssessmentFactory(
                learner=learner, competency=leaf, level=3, observed_on=dt.date(2025, 9, 1)
            )
    return learners


def cell(heatmap, learner, leaf):
    row = next(r for r in heatmap.rows if r.learner_id == learner.pk)
    return row.cells[[c.pk for c in heatmap.competencies].index(leaf.pk)]


def test_cell_is_the_median_of_the_period_ratings_with_their_count(world, learner):
    program, leaves, period = world
    AssessmentFactory(
        learner=learner, competency=leaves[0], level=1, observed_on=dt.date(2025, 8, 1)
    )
    AssessmentFactory(
        learner=learner, competency=leaves[0], level=2, observed_on=dt.date(2025, 9, 1)
    )
    AssessmentFactory(
        learner=learner, competency=leaves[0], level=5, observed_on=dt.date(2025, 1, 1)
    )

    heatmap = heatmap_build(program=program, filters=Filters(period.pk), today=TODAY)

    first = cell(heatmap, learner, leaves[0])
    assert (first.value, first.source, first.n) == (1.5, "ratings", 2)
    assert cell(heatmap, learner, leaves[1]).source == ""


def test_consensus_wins_over_the_median(world, learner, director):
    program, leaves, period = world
    AssessmentFactory(
        learner=learner, competency=leaves[0], level=1, observed_on=dt.date(2025, 8, 1)
    )
    review = services.learner_review_open(period=period, enrollment=learner.enrollments.get())
    services.consensus_record(
        review=review, competency_id=leaves[0].pk, level=Decimal("2.5"), rationale="r", by=director
    )
    services.consensus_record(
        review=review, competency_id=leaves[0].pk, level=Decimal("3"), rationale="r", by=director
    )

    first = cell(
        heatmap_build(program=program, filters=Filters(period.pk), today=TODAY), learner, leaves[0]
    )

    assert (first.value, first.source, first.n) == (3.0, "consensus", 1)


def test_colour_compares_with_the_expected_level_for_the_year_including_overrides(world, learner):
    program, leaves, period = world
    # Year 1 of 3: default expected level 2.
    AssessmentFactory(
        learner=learner, competency=leaves[0], level=1, observed_on=dt.date(2025, 8, 1)
    )
    AssessmentFactory(
        learner=learner, competency=leaves[1], level=1, observed_on=dt.date(2025, 8, 1)
    )
    Expectation.objects.create(
        program=program, competency=leaves[1], training_year=1, level=Decimal("1.5")
    )

    heatmap = heatmap_build(program=program, filters=Filters(period.pk), today=TODAY)

    below, slightly = cell(heatmap, learner, leaves[0]), cell(heatmap, learner, leaves[1])
    assert (below.expected, below.band, below.flags) == (Decimal(2), "below", ["below-expected"])
    assert (slightly.expected, slightly.band, slightly.flags) == (
        Decimal("1.5"),
        "slightly-below",
        [],
    )


def test_rows_are_sorted_by_concern(world):
    program, leaves, period = world
    fine, worrying = enrol(program, 2)
    AssessmentFactory(learner=fine, competency=leaves[0], level=3, observed_on=dt.date(2025, 8, 1))
    for leaf in leaves[:3]:
        AssessmentFactory(
            learner=worrying, competency=leaf, level=0, observed_on=dt.date(2025, 8, 1)
        )

    heatmap = heatmap_build(program=program, filters=Filters(period.pk), today=TODAY)

    assert [r.learner_id for r in heatmap.rows][:2] == [worrying.pk, fine.pk]
    assert heatmap.rows[0].flag_count == 3


def test_filters_by_cohort_year_and_domain(world):
    program, leaves, period = world
    cohort = CohortFactory(program=program)
    in_cohort = EnrollmentFactory(program=program, cohort=cohort, training_year=2).learner
    EnrollmentFactory(program=program, training_year=1)

    by_cohort = heatmap_build(
        program=program, filters=Filters(period.pk, cohort_id=cohort.pk), today=TODAY
    )
    by_year = heatmap_build(program=program, filters=Filters(period.pk, year=2), today=TODAY)
    by_domain = heatmap_build(
        program=program, filters=Filters(period.pk, domain_id=leaves[2].parent_id), today=TODAY
    )

    assert [r.learner_id for r in by_cohort.rows] == [in_cohort.pk]
    assert [r.learner_id for r in by_year.rows] == [in_cohort.pk]
    assert [c.pk for c in by_domain.competencies] == [leaves[2].pk, leaves[3].pk]


def test_end_of_pgy2_at_or_below_two_and_a_half_is_flagged_at_year_end_only(world):
    program, leaves, _ = world
    year_end = ReviewPeriodFactory(
        program=program,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 6, 30),
        is_year_end=True,
    )
    resident = EnrollmentFactory(program=program, training_year=2).learner
    AssessmentFactory(
        learner=resident,
        competency=leaves[0],
        level=Decimal("2.5"),
        observed_on=dt.date(2026, 3, 1),
    )

    heatmap = heatmap_build(
        program=program, filters=Filters(year_end.pk), today=dt.date(2026, 3, 1)
    )

    assert "holmboe-pgy2" in cell(heatmap, resident, leaves[0]).flags
    program.stage = Program.Stage.UME
    heatmap = heatmap_build(
        program=program, filters=Filters(year_end.pk), today=dt.date(2026, 3, 1)
    )
    assert "holmboe-pgy2" not in cell(heatmap, resident, leaves[0]).flags


@pytest.mark.parametrize("learners", [2, 9])
def test_heatmap_runs_seven_queries_whatever_the_cohort_size(
    world, learners, django_assert_num_queries
):
    program, leaves, period = world
    populate(program, leaves, learners)

    with django_assert_num_queries(7):
        # 1 periods, 2 cohorts, 3 competencies, 4 enrollments, 5 expectations,
        # 6 reviews with current consensus, 7 medians of the period's ratings.
        heatmap = heatmap_build(program=program, filters=Filters(period.pk), today=TODAY)

    assert len(heatmap.rows) == learners


@pytest.mark.parametrize("learners", [2, 9])
def test_heatmap_api_and_page_query_counts_do_not_grow_with_the_cohort(
    world, learners, client, director, django_assert_num_queries
):
    program, leaves, period = world
    populate(program, leaves, learners)
    client.force_login(director)

    with django_assert_num_queries(10):
        # 1 session, 2 user, 3 program with the viewer's rights, then the seven heatmap
        # queries (periods, cohorts, competencies, enrollments, expectations, reviews, medians).
        response = client.get(f"/api/v1/programs/{program.pk}/heatmap/?period={period.pk}")
    assert len(response.json()["rows"]) == learners

    with django_assert_num_queries(11):
        # The same ten, plus 11 the navigation's roles (context processor).
        page = client.get(f"/programs/{program.pk}/heatmap/?period={period.pk}")
    assert page.status_code == 200


def test_a_heatmap_cell_links_to_the_packet_at_that_competency(world, learner, client, director):
    program, leaves, period = world
    AssessmentFactory(
        learner=learner, competency=leaves[0], level=1, observed_on=dt.date(2025, 8, 1)
    )
    client.force_login(director)

    page = client.get(f"/programs/{program.pk}/heatmap/?period={period.pk}").content.decode()

    assert (
        f"/programs/{program.pk}/periods/{period.pk}/learners/{learner.pk}/#c-{leaves[0].pk}"
        in page
    )


def test_committee_member_sees_the_heatmap_but_a_coach_does_not(world, client, coach):
    program, _, _ = world
    member = ProgramRoleFactory(program=program, role="committee").user
    client.force_login(member)
    assert client.get(f"/api/v1/programs/{program.pk}/heatmap/").status_code == 200
    client.force_login(coach)
    assert client.get(f"/api/v1/programs/{program.pk}/heatmap/").status_code == 404
