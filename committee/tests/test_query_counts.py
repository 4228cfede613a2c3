"""Committee pages and endpoints run a fixed number of queries, whatever the data size.

Each test runs at two sizes with the same expected count; the comment names every query.
"""

import datetime as dt
from decimal import Decimal

import pytest

from assessments.tests.factories import AssessmentFactory
from committee import services
from committee.models import LearnerReview
from programs.tests.factories import ReviewPeriodFactory, enrol, program_with_framework
from tests.factories import CohortFactory

pytestmark = pytest.mark.django_db

SIZES = [2, 7]


@pytest.fixture
def setup(program, director):
    _, leaves = program_with_framework(program, domains=2, per_domain=2)
    period = ReviewPeriodFactory(program=program)
    return program, leaves, period, director


def grow(program, leaves, period, director, size):
    """`size` learners with ratings, reviews and consensus, and `size` cohorts."""
    learners = enrol(program, size)
    for index in range(size):
        CohortFactory(program=program, name=f"Cohort {index}")
    for learner in learners:
        for leaf in leaves:
            AssessmentFactory(
                learner=learner, competency=leaf, level=2, observed_on=dt.date(2025, 8, 1)
            )
        review = services.learner_review_open(period=period, enrollment=learner.enrollments.get())
        services.consensus_record(
            review=review, competency_id=leaves[0].pk, level=Decimal(2), rationale="r", by=director
        )
    return learners


@pytest.mark.parametrize("size", SIZES)
def test_flags_distributions_and_csv(client, setup, size, django_assert_num_queries):
    program, leaves, period, director = setup
    grow(program, leaves, period, director, size)
    client.force_login(director)
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(12):
        # 1 session, 2 user, 3 program, 4–9 the heatmap's six queries, 10 graduated
        # cohorts (history model; fewer than two, so no history query), 11 navigation roles.
        client.get(f"/programs/{program.pk}/flags/?period={period.pk}")
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(12):
        # 1 session, 2 user, 3 program, 4–9 the heatmap's six, 10 trends, 11 navigation.
        client.get(f"/programs/{program.pk}/distributions/?period={period.pk}")
    with django_assert_num_queries(8):
        # 1 session, 2 user, 3 program, 4 period, 5 competencies, 6 enrollments with
        # learners, 7 reviews with who signed off, 8 current consensus with who recorded.
        client.get(f"/programs/{program.pk}/periods/{period.pk}/consensus.csv")


@pytest.mark.parametrize("size", SIZES)
def test_packet_api(client, setup, learner, size, django_assert_num_queries):
    program, leaves, period, director = setup
    for index in range(size):
        for leaf in leaves:
            AssessmentFactory(
                learner=learner, competency=leaf, level=2, observed_on=dt.date(2025, 8, 1 + index)
            )
        ReviewPeriodFactory(
            program=program,
            start_date=dt.date(2020 - index, 1, 1),
            end_date=dt.date(2020 - index, 6, 30),
        )
    client.force_login(director)
    with django_assert_num_queries(15):
        # 1 session, 2 user, 3 program, 4 period, 5 the learner's enrollment, 6 periods,
        # 7 competencies, 8 their scale levels, 9 review, 10 consensus versions,
        # 11 assessments with assessors, 12 medians per period, 13 expectations,
        # 14 the viewer's share grants from the learner (none, so nothing else is read),
        # 15 the access-log INSERT recording the packet read.
        client.get(
            f"/api/v1/programs/{program.pk}/periods/{period.pk}/learners/{learner.pk}/packet/"
        )


@pytest.mark.parametrize("size", SIZES)
def test_my_reviews_api(client, setup, learner, size, django_assert_num_queries):
    program = setup[0]
    for index in range(size):
        period = ReviewPeriodFactory(
            program=program,
            start_date=dt.date(2010 + index, 1, 1),
            end_date=dt.date(2010 + index, 6, 30),
        )
        review = services.learner_review_open(period=period, enrollment=learner.enrollments.get())
        LearnerReview.objects.filter(pk=review.pk).update(status=LearnerReview.Status.SIGNED_OFF)
    client.force_login(learner)
    with django_assert_num_queries(3):
        # 1 session, 2 user, 3 signed-off reviews with period, program and signer.
        response = client.get("/api/v1/me/reviews/")
    assert len(response.json()) == size


@pytest.mark.parametrize("size", SIZES)
def test_meeting_mode(client, setup, size, django_assert_num_queries):
    program, leaves, period, director = setup
    learners = grow(program, leaves, period, director, size)
    client.force_login(director)
    url = f"/programs/{program.pk}/meeting/?period={period.pk}&learner={learners[-1].pk}"
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(22):
        # 1 session, 2 user, 3 program, 4 navigation roles, 5–10 the heatmap's six (the
        # order of learners), then the learner's packet: 11 enrollment in the period,
        # 12 periods, 13 competencies, 14 their scales' levels, 15 the review, 16 consensus
        # versions, 17 the period's assessments, 18 the trajectory's medians, 19 expectation
        # overrides, 20 share grants, 21 the access-log INSERT.
        assert client.get(url).status_code == 200
