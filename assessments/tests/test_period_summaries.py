"""The period rating summary stays equal to the raw ratings through every write path, and
`check_summaries` proves it (or says what differs)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory

from assessments.models import Assessment, PeriodRatingSummary
from assessments.services.observations import assessment_revise
from assessments.summaries.periods import period_summaries_differences, period_summaries_rebuild
from assessments.tests.factories import AssessmentFactory, observe, on_shipped_form
from programs import services
from programs.models import Enrollment
from programs.tests.factories import ReviewPeriodFactory, program_with_framework
from tests.factories import UserFactory

# Observations must be dated within the last year: today is 30 June 2026 here.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_year_end")]

AUTUMN = (dt.date(2025, 7, 1), dt.date(2025, 12, 31))
SPRING = (dt.date(2026, 1, 1), dt.date(2026, 6, 30))


def assert_exact():
    assert period_summaries_differences() == (0, 0, [])


def cells(period):
    return {
        (s.learner_id, s.competency_id): (s.median, s.n)
        for s in PeriodRatingSummary.objects.filter(period=period)
    }


@pytest.fixture
def world(program, learner, director):
    _, leaves = program_with_framework(program, domains=1, per_domain=2)
    autumn = ReviewPeriodFactory(program=program, start_date=AUTUMN[0], end_date=AUTUMN[1])
    spring = ReviewPeriodFactory(program=program, start_date=SPRING[0], end_date=SPRING[1])
    return program, leaves, autumn, spring


def test_recorded_and_revised_observations_keep_the_summary_exact(world, learner, director):
    _, leaves, autumn, spring = world
    first = observe(director, learner, leaves[0], "2", dt.date(2025, 9, 1))
    observe(director, learner, leaves[0], "3", dt.date(2025, 10, 1))
    assert cells(autumn) == {(learner.pk, leaves[0].pk): (2.5, 2)}

    # Moved into the spring period and re-levelled: both periods change.
    assessment_revise(
        assessment=first, author=director, level="1", observed_on=dt.date(2026, 2, 1), reason="r"
    )

    assert cells(autumn) == {(learner.pk, leaves[0].pk): (3.0, 1)}
    assert cells(spring) == {(learner.pk, leaves[0].pk): (1.0, 1)}
    assert_exact()


def test_enrolling_someone_brings_their_earlier_ratings_into_the_programs_periods(world, director):
    program, leaves, autumn, _ = world
    newcomer = UserFactory(email="newcomer@example.org")
    Assessment.objects.create(  # rated before joining (say, in another program)
        **on_shipped_form(
            dict(
                assessor=director,
                learner=newcomer,
                competency=leaves[1],
                level=Decimal(4),
                observed_on=dt.date(2025, 8, 1),
            )
        )
    )
    assert cells(autumn) == {}

    services.enrollment_create(
        program=program,
        email=newcomer.email,
        training_year=1,
        start_date=dt.date(2025, 7, 1),
    )

    assert cells(autumn) == {(newcomer.pk, leaves[1].pk): (4.0, 1)}
    assert_exact()


def test_roster_imports_and_new_periods_keep_the_summary_exact(world, director):
    program, leaves, _, _ = world
    person = UserFactory(email="roster.person@example.org")
    Assessment.objects.create(
        **on_shipped_form(
            dict(
                assessor=director,
                learner=person,
                competency=leaves[0],
                level=Decimal(2),
                observed_on=dt.date(2026, 8, 1),
            )
        )
    )
    services.roster_import(
        program=program,
        data=b"email,training_year,start_date\nroster.person@example.org,1,2025-07-01\n",
    )
    later = services.review_period_create(
        program=program, name="", start_date=dt.date(2026, 7, 1), end_date=dt.date(2026, 12, 31)
    )

    assert cells(later) == {(person.pk, leaves[0].pk): (2.0, 1)}
    assert_exact()


def test_new_dates_take_the_ratings_they_now_cover_into_the_period(program, learner):
    _, leaves = program_with_framework(program, domains=1, per_domain=2)
    autumn = ReviewPeriodFactory(
        program=program, name="Autumn", start_date=AUTUMN[0], end_date=AUTUMN[1]
    )
    AssessmentFactory(
        learner=learner, competency=leaves[0], level=2, observed_on=dt.date(2026, 1, 15)
    )
    assert not PeriodRatingSummary.objects.filter(period=autumn).exists()

    services.review_period_update(
        period=autumn,
        name=autumn.name,
        start_date=autumn.start_date,
        end_date=dt.date(2026, 1, 31),
        is_year_end=autumn.is_year_end,
    )

    (cell,) = PeriodRatingSummary.objects.filter(period=autumn)
    assert (cell.learner_id, cell.competency_id, cell.median, cell.n) == (
        learner.pk,
        leaves[0].pk,
        2.0,
        1,
    )
    assert period_summaries_differences() == (0, 0, [])


def test_an_admin_deleting_an_enrollment_takes_its_cells_out(world, learner, director):
    program, leaves, autumn, _ = world
    observe(director, learner, leaves[0], "2", dt.date(2025, 9, 1))
    enrollment = Enrollment.objects.get(learner=learner, program=program)
    admin = site._registry[Enrollment]
    request = RequestFactory().post("/")

    admin.delete_model(request, enrollment)

    assert cells(autumn) == {}
    assert_exact()


def test_the_check_command_proves_equality_and_reports_a_write_that_bypassed_it(
    world, learner, director, capsys
):
    _, leaves, _, _ = world
    observe(director, learner, leaves[0], "2", dt.date(2025, 9, 1))
    call_command("check_summaries")
    assert "equals the raw ratings" in capsys.readouterr().out

    Assessment.objects.filter(learner=learner).update(  # behind its back
        level=Decimal(5), counted_level=Decimal(5)
    )

    with pytest.raises(CommandError, match="Period rating summary and monthly rating summary"):
        call_command("check_summaries")
    err = capsys.readouterr().err
    assert "median 5.0 of 1 is missing or different" in err
    assert (
        "period rating summary differs from the raw ratings: 1 cells missing or different, 1" in err
    )
    # SQLite answers 5 where PostgreSQL answers 5.0.
    assert re.search(r"assessor ratings of competency \d+ in 2025-09: total 5(\.0)? of 1, ", err)

    call_command("check_summaries", "--rebuild")
    assert "equals the raw ratings" in capsys.readouterr().out
    assert period_summaries_rebuild() == 1
