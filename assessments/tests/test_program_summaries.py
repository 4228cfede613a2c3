"""The institution overview's program summaries (histogram per program × training year ×
month over every competency, learners rated per month) stay equal to the raw ratings through every
write path, and `check_summaries` proves it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from assessments.models import Assessment, ProgramMonthLearners, ProgramRatingHistogram
from assessments.services.observations import assessment_revise
from assessments.services.ratings import ratings_delete
from assessments.summaries.programs import (
    program_histogram_differences,
    program_learners_differences,
    program_summaries_rebuild,
)
from assessments.tests.factories import observe
from programs import services
from programs.models import Enrollment
from programs.tests.factories import enrol, program_with_framework

# Observations must be dated within the last year: today is 30 June 2026 here.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_year_end")]

MAY = dt.date(2026, 5, 1)
JUNE = dt.date(2026, 6, 1)


def assert_exact():
    assert program_histogram_differences() == (0, 0, [])
    assert program_learners_differences() == (0, 0, [])


def histogram(program):
    return {
        (h.training_year, h.month, h.level): h.n
        for h in ProgramRatingHistogram.objects.filter(program=program)
    }


def learners(program):
    return {
        (m.training_year, m.month): m.learners
        for m in ProgramMonthLearners.objects.filter(program=program)
    }


@pytest.fixture
def leaves(program):
    _, leaves = program_with_framework(program, domains=1, per_domain=2)
    return leaves


def test_recorded_observations_are_counted_once_per_level_and_learner(
    program, learner, director, leaves
):
    observe(director, learner, leaves[0], "2", dt.date(2026, 5, 3))
    observe(director, learner, leaves[0], "2", dt.date(2026, 5, 20))
    observe(director, learner, leaves[1], "2", dt.date(2026, 5, 21))
    observe(director, learner, leaves[1], "3", dt.date(2026, 6, 2))
    (second,) = enrol(program, 1, training_year=2)
    observe(director, second, leaves[0], "4", dt.date(2026, 5, 9))

    # Ratings of different competencies at one level in one month share a cell.
    assert histogram(program) == {
        (1, MAY, Decimal("2.0")): 3,
        (1, JUNE, Decimal("3.0")): 1,
        (2, MAY, Decimal("4.0")): 1,
    }
    # Two ratings in May are still one learner rated in May.
    assert learners(program) == {(1, MAY): 1, (1, JUNE): 1, (2, MAY): 1}
    assert_exact()


def test_a_revision_moves_the_rating_between_months_and_levels(program, learner, director, leaves):
    first = observe(director, learner, leaves[0], "2", dt.date(2026, 5, 3))

    assessment_revise(
        assessment=first, author=director, level="1", observed_on=dt.date(2026, 6, 1), reason="r"
    )

    assert histogram(program) == {(1, JUNE, Decimal("1.0")): 1}
    assert learners(program) == {(1, JUNE): 1}
    assert_exact()


def test_deleting_ratings_takes_them_out(program, learner, director, leaves):
    observe(director, learner, leaves[0], "2", dt.date(2026, 5, 3))
    gone = observe(director, learner, leaves[1], "3", dt.date(2026, 6, 3))

    ratings_delete(Assessment.objects.filter(pk=gone.pk))

    assert histogram(program) == {(1, MAY, Decimal("2.0")): 1}
    assert learners(program) == {(1, MAY): 1}
    assert_exact()


def test_a_new_training_year_moves_the_learners_ratings_with_them(
    program, learner, director, leaves
):
    observe(director, learner, leaves[0], "2", dt.date(2026, 5, 3))
    enrollment = Enrollment.objects.get(learner=learner, program=program)

    services.enrollment_update(enrollment=enrollment, training_year=2, cohort=None, end_date=None)

    assert histogram(program) == {(2, MAY, Decimal("2.0")): 1}
    assert learners(program) == {(2, MAY): 1}
    assert_exact()


def test_an_ended_enrollment_leaves_the_overview(program, learner, director, leaves):
    observe(director, learner, leaves[0], "2", dt.date(2026, 5, 3))
    enrollment = Enrollment.objects.get(learner=learner, program=program)

    services.enrollment_update(
        enrollment=enrollment, training_year=1, cohort=None, end_date=dt.date(2026, 6, 30)
    )

    assert histogram(program) == {} and learners(program) == {}
    assert_exact()


def test_a_roster_import_that_changes_a_training_year_moves_the_ratings(
    program, learner, director, leaves
):
    observe(director, learner, leaves[0], "2", dt.date(2026, 5, 3))

    services.roster_import(
        program=program,
        data=f"email,training_year,start_date\n{learner.email},3,2025-07-01\n".encode(),
    )

    assert set(learners(program)) == {(3, MAY)}
    assert_exact()


def test_the_check_command_proves_equality_and_reports_a_write_that_bypassed_it(
    program, learner, director, leaves, capsys
):
    observe(director, learner, leaves[0], "2", dt.date(2026, 5, 3))
    call_command("check_summaries")
    assert "The program rating histogram equals the raw ratings." in capsys.readouterr().out

    Assessment.objects.filter(learner=learner).update(counted_level=Decimal(5))  # behind its back

    with pytest.raises(CommandError, match="program rating histogram"):
        call_command("check_summaries")
    assert "ratings at 5" in capsys.readouterr().err

    call_command("check_summaries", "--rebuild")
    assert "The program rating histogram equals the raw ratings." in capsys.readouterr().out
    assert program_summaries_rebuild() == 2  # one histogram cell, one month of learners
