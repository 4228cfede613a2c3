"""Expected levels at any point of training, not only at the end of a training year.

A program states the level expected at the *end* of each training year (an `Expectation` row,
else `Program.default_expected_level`). Comparing a mid-year review with the end-of-year level
would flag nearly every learner half-way through each year, so within a year the expectation
rises in a straight line from the end of the previous year (level 1 at entry) to the end of
this one. A review period is judged at its last day; a dashboard at today.

Pure functions over values already read, so callers keep their fixed query counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from programs.models import Program, ReviewPeriod

# The level expected of someone who has just started: the bottom of every scale we ship.
ENTRY_LEVEL = Decimal(1)
TENTH = Decimal("0.1")
HUNDREDTH = Decimal("0.01")


def year_fraction(program: Program, day: dt.date) -> Decimal:
    """How far through its training year `day` falls: just above 0 on the first day, 1 on
    the last (to the hundredth)."""
    start = dt.date(program.academic_year_of(day), program.year_start_month, 1)
    next_start = dt.date(start.year + 1, start.month, 1)
    elapsed = (day - start).days + 1
    return (Decimal(elapsed) / Decimal((next_start - start).days)).quantize(HUNDREDTH)


def period_fraction(program: Program, period: ReviewPeriod) -> Decimal:
    """How far through the training year a review period's judgement falls: at its end.

    A period marked as closing the year, or one that runs past the year's end, counts as the
    whole year.
    """
    if period.is_year_end:
        return Decimal(1)
    if program.academic_year_of(period.end_date) != program.academic_year_of(period.start_date):
        return Decimal(1)
    return year_fraction(program, period.end_date)


def end_of_year_level(
    program: Program,
    overrides: Mapping[tuple[int, int], Decimal],
    competency_id: int,
    training_year: int,
) -> Decimal:
    """The level expected at the end of `training_year` (0 means entry)."""
    if training_year <= 0:
        return ENTRY_LEVEL
    year = min(training_year, program.duration_years)
    return overrides.get((competency_id, year), program.default_expected_level(year))


def expected_level(
    program: Program,
    overrides: Mapping[tuple[int, int], Decimal],
    competency_id: int,
    training_year: int,
    fraction: Decimal,
) -> Decimal:
    """The level expected `fraction` of the way through `training_year`, to the tenth.

    `overrides` maps (competency id, training year) to the program's own end-of-year level.
    """
    before = end_of_year_level(program, overrides, competency_id, training_year - 1)
    after = end_of_year_level(program, overrides, competency_id, training_year)
    if training_year > program.duration_years:  # beyond the programme: hold the final level
        before = after
    return (before + (after - before) * fraction).quantize(TENTH, rounding=ROUND_HALF_UP)


# A program's default level at graduation (`Program.default_expected_level` in its last year),
# and so the target of someone in practice who never had a program using the framework.
GRADUATION_LEVEL = Decimal(4)


def graduation_level(
    program: Program,
    overrides: Mapping[tuple[int, int], Decimal],
    competency_id: int,
    training_year: int,
) -> Decimal:
    """The level expected at the end of the last training year someone reached in `program`:
    where an ended enrollment left them, and the floor of what comes after."""
    return end_of_year_level(program, overrides, competency_id, training_year)
