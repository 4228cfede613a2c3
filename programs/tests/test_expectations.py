"""Expected levels part-way through a training year (programs.expectations)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from programs.expectations import expected_level, period_fraction, year_fraction
from programs.models import Expectation, Program, ReviewPeriod
from programs.selectors import current_enrollments, expected_levels, expected_levels_of_sets
from programs.tests.factories import program_with_framework
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


def three_year_program(**fields) -> Program:
    return Program(duration_years=3, year_start_month=7, **fields)


@pytest.mark.parametrize(
    ("day", "fraction"),
    [
        (dt.date(2025, 7, 1), "0.00"),  # 1/365 rounds to nothing
        (dt.date(2025, 12, 31), "0.50"),  # 184 of 365 days
        (dt.date(2026, 3, 31), "0.75"),
        (dt.date(2026, 6, 30), "1.00"),
        (dt.date(2026, 7, 1), "0.00"),  # the next year has begun
    ],
)
def test_the_fraction_of_a_july_training_year(day, fraction):
    assert year_fraction(three_year_program(), day) == Decimal(fraction)


def test_a_training_year_starting_in_january_is_the_calendar_year():
    program = Program(duration_years=4, year_start_month=1)
    assert year_fraction(program, dt.date(2025, 6, 30)) == Decimal("0.50")
    assert year_fraction(program, dt.date(2025, 12, 31)) == Decimal("1.00")


def test_a_period_is_judged_at_its_end_and_a_year_end_period_at_the_full_year():
    program = three_year_program()
    autumn = ReviewPeriod(start_date=dt.date(2025, 7, 1), end_date=dt.date(2025, 12, 31))
    marked = ReviewPeriod(
        start_date=dt.date(2025, 7, 1), end_date=dt.date(2025, 12, 31), is_year_end=True
    )
    straddling = ReviewPeriod(start_date=dt.date(2026, 4, 1), end_date=dt.date(2026, 9, 30))
    assert period_fraction(program, autumn) == Decimal("0.50")
    assert period_fraction(program, marked) == Decimal(1)
    assert period_fraction(program, straddling) == Decimal(1)


def test_the_expectation_rises_from_last_years_end_level_to_this_years():
    program = three_year_program()  # default end levels: 2, 3, 4 (entry 1)
    half = Decimal("0.5")
    assert expected_level(program, {}, 1, 1, half) == Decimal("1.5")
    assert expected_level(program, {}, 1, 2, half) == Decimal("2.5")
    assert expected_level(program, {}, 1, 3, Decimal(1)) == Decimal(4)
    assert expected_level(program, {}, 1, 1, Decimal(0)) == Decimal(1)


def test_overrides_of_either_end_of_the_year_bend_the_line():
    program = three_year_program()
    overrides = {(7, 1): Decimal("3"), (7, 2): Decimal("3.5")}
    # Year 1: from entry level 1 to the program's 3.
    assert expected_level(program, overrides, 7, 1, Decimal("0.5")) == Decimal(2)
    # Year 2: from 3 to 3.5; a quarter of the way rounds to the tenth (3.125 -> 3.1).
    assert expected_level(program, overrides, 7, 2, Decimal("0.25")) == Decimal("3.1")
    # Another competency keeps the default.
    assert expected_level(program, overrides, 8, 1, Decimal("0.5")) == Decimal("1.5")


def test_beyond_the_programs_length_the_final_level_holds():
    program = three_year_program()
    assert expected_level(program, {}, 1, 4, Decimal("0.1")) == Decimal(4)
    assert expected_level(program, {}, 1, 5, Decimal("0.9")) == Decimal(4)


def test_the_learners_expected_level_now_follows_the_calendar(learner, program):
    program.duration_years = 3
    program.save()
    _, leaves = program_with_framework(program, domains=1, per_domain=2)
    Expectation.objects.create(
        program=program, competency=leaves[1], training_year=1, level=Decimal(3)
    )
    enrollments = list(current_enrollments(learner=learner))

    def now(day: dt.date) -> dict[int, Decimal]:
        with time_machine.travel(dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)):
            return expected_levels(enrollments=enrollments, competencies=leaves)

    assert now(dt.date(2025, 12, 31)) == {leaves[0].pk: Decimal("1.5"), leaves[1].pk: Decimal(2)}
    assert now(dt.date(2026, 6, 30)) == {leaves[0].pk: Decimal(2), leaves[1].pk: Decimal(3)}


def test_several_sets_of_enrollments_take_one_read_and_each_gets_its_own_levels(
    program, django_assert_num_queries
):
    program.duration_years = 3
    program.save()
    _, leaves = program_with_framework(program, domains=1, per_domain=2)
    Expectation.objects.create(
        program=program, competency=leaves[1], training_year=2, level=Decimal("2.5")
    )
    first, second = (
        current_enrollments(learner=EnrollmentFactory(program=program, training_year=y).learner)
        for y in (1, 2)
    )
    sets = [
        (first, {leaf.pk: leaf.framework_id for leaf in leaves}),
        (second, {leaves[1].pk: leaves[1].framework_id}),
    ]
    day = dt.date(2026, 3, 31)
    # 1 the programs' overrides for every competency of every set
    with django_assert_num_queries(1):
        levels = expected_levels_of_sets(sets=sets, today=day)
    assert levels == [
        expected_levels(enrollments=first, competencies=leaves, today=day),
        expected_levels(enrollments=second, competencies=[leaves[1]], today=day),
    ]
    assert levels[0][leaves[1].pk] != levels[1][leaves[1].pk]
