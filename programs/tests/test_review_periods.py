"""Review periods: generated from the program's period length with the year-end marked,
never overlapping."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from programs import services
from programs.models import ReviewPeriod
from programs.tests.factories import ReviewPeriodFactory
from tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db


def test_generated_periods_are_semi_annual_with_year_end_marked():
    program = ProgramFactory(review_months=6, year_start_month=7)

    periods = services.review_periods_generate(program=program, first_year=2025, years=2)

    assert [(p.start_date, p.end_date, p.is_year_end) for p in periods] == [
        (dt.date(2025, 7, 1), dt.date(2025, 12, 31), False),
        (dt.date(2026, 1, 1), dt.date(2026, 6, 30), True),
        (dt.date(2026, 7, 1), dt.date(2026, 12, 31), False),
        (dt.date(2027, 1, 1), dt.date(2027, 6, 30), True),
    ]
    assert periods[1].name == "2025–26 year-end"


def test_quarterly_programs_get_four_periods_a_year_and_overlaps_are_skipped():
    program = ProgramFactory(review_months=3, year_start_month=9)
    ReviewPeriodFactory(
        program=program, start_date=dt.date(2025, 9, 1), end_date=dt.date(2025, 11, 30)
    )

    created = services.review_periods_generate(program=program, first_year=2025, years=1)

    assert [p.start_date.month for p in created] == [12, 3, 6]
    assert ReviewPeriod.objects.filter(program=program).count() == 4


def test_overlapping_period_is_refused(program):
    ReviewPeriodFactory(program=program)
    with pytest.raises(ValidationError, match="Overlaps"):
        services.review_period_create(
            program=program, name="", start_date=dt.date(2025, 12, 1), end_date=dt.date(2026, 5, 31)
        )
