"""Once the committee has recorded consensus in a review period, programs' correction of the
period keeps its dates (committee's receiver of `review_period_dates_changing`) but still
takes a new name and year-end mark."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from committee import services as committee_services
from programs import services
from programs.tests.factories import ReviewPeriodFactory, program_with_framework

pytestmark = pytest.mark.django_db

AUTUMN = (dt.date(2025, 7, 1), dt.date(2025, 12, 31))


@pytest.fixture
def world(program, learner):
    _, leaves = program_with_framework(program, domains=1, per_domain=2)
    autumn = ReviewPeriodFactory(
        program=program, name="Autumn", start_date=AUTUMN[0], end_date=AUTUMN[1]
    )
    return program, leaves, autumn


def update(period, **changes):
    fields = {
        "name": period.name,
        "start_date": period.start_date,
        "end_date": period.end_date,
        "is_year_end": period.is_year_end,
    }
    return services.review_period_update(period=period, **{**fields, **changes})


def test_after_consensus_the_dates_stay_but_the_name_and_year_end_mark_may_change(
    world, learner, director
):
    _, leaves, autumn = world
    review = committee_services.learner_review_open(
        period=autumn, enrollment=learner.enrollments.get()
    )
    committee_services.consensus_record(
        review=review, competency_id=leaves[0].pk, level=Decimal(2), rationale="r", by=director
    )
    with pytest.raises(ValidationError, match="dates can no longer change"):
        update(autumn, start_date=dt.date(2025, 8, 1))

    update(autumn, name="2025–26 mid-year", is_year_end=True)

    autumn.refresh_from_db()
    assert (autumn.name, autumn.is_year_end, autumn.start_date, autumn.end_date) == (
        "2025–26 mid-year",
        True,
        *AUTUMN,
    )
