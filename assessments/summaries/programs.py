"""The program summaries behind the institution overview: per program × current training year
× calendar month, how many assessor ratings (of any competency) fell on each level
(`ProgramRatingHistogram`), and per program × year × month how many learners were rated
(`ProgramMonthLearners`). A rating counts by its counted level, for every program the learner
is currently enrolled in, under the training year of that enrollment. The overview shows no
competency, so the histogram keeps none: its window is programs × years × months × steps rows.

Kept exact rather than eventually right, in the writer's transaction:

- an assessment recorded (`assessments.services.observations`): it only adds ratings, so each
  is folded into its cell by one upsert, and the month's learner count grows by one unless the
  learner already had a rating that month (`program_summaries_add`);
- an assessment revised or deleted: the months it touched, in the learner's current programs,
  are recomputed from the raw rows (`program_summaries_refresh_learner`);
- an enrollment added, changed (training year, end) or removed, or moved by a merge: every
  month of that program is recomputed (`program_summaries_refresh_programs`, the receiver of
  `programs.signals.enrollments_changed`).

A program's months are a few thousand ratings at most, so recomputing them is cheap next to
the writes that trigger it. `manage.py check_summaries` compares both tables with the raw
rows and `--rebuild` rewrites them with one INSERT … SELECT each (the benchmark's generator
calls `program_summaries_rebuild` after its bulk load).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from assessments.models import Assessment, ProgramMonthLearners, ProgramRatingHistogram
from core.db import execute, placeholders, summary_differences
from programs.models import Enrollment

HISTOGRAM = ProgramRatingHistogram._meta.db_table
LEARNERS = ProgramMonthLearners._meta.db_table
_ASSESSMENTS = Assessment._meta.db_table
_ENROLLMENTS = Enrollment._meta.db_table
_HISTOGRAM_COLUMNS = "program_id, training_year, month, level, n"
_LEARNERS_COLUMNS = "program_id, training_year, month, learners"


def month_sql(day: str) -> str:
    """The first day of `day`'s month as each database stores a DateField (a date on
    PostgreSQL, ISO text on SQLite). Statements here take parameters, so % is written %%."""
    if connection.vendor == "postgresql":
        return f"CAST(DATE_TRUNC('month', {day}) AS date)"
    return f"strftime('%%Y-%%m-01', {day})"


def _rated(scope: str) -> str:
    """The counted assessor ratings of currently enrolled learners, with the enrollment's
    program and year; {scope} narrows them (always ANDed, aliases e and a)."""
    return (
        f"FROM {_ENROLLMENTS} e JOIN {_ASSESSMENTS} a ON a.learner_id = e.learner_id "
        f"WHERE e.end_date IS NULL AND a.counted_level IS NOT NULL{scope}"
    )


def _histogram_raw(scope: str) -> str:
    month = month_sql("a.observed_on")
    return (
        f"SELECT e.program_id, e.training_year, {month}, a.counted_level, COUNT(*) "
        f"{_rated(scope)} GROUP BY e.program_id, e.training_year, {month}, a.counted_level"
    )


def _learners_raw(scope: str) -> str:
    month = month_sql("a.observed_on")
    return (
        f"SELECT e.program_id, e.training_year, {month}, COUNT(DISTINCT a.learner_id) "
        f"{_rated(scope)} GROUP BY e.program_id, e.training_year, {month}"
    )


def _months(days: Iterable[dt.date]) -> list[dt.date]:
    return sorted({day.replace(day=1) for day in days})


def _next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


_TABLES = {
    HISTOGRAM: (_HISTOGRAM_COLUMNS, _histogram_raw),
    LEARNERS: (_LEARNERS_COLUMNS, _learners_raw),
}


def _refresh(
    *,
    where: str,
    where_params: list[Any],
    scope: str,
    scope_params: list[Any],
    tables: Sequence[str] = (HISTOGRAM, LEARNERS),
) -> int:
    """Replace the rows of `tables` matching `where` (columns program_id and month) with the
    recomputed ones in `scope` (the same cells, seen from the raw side)."""
    # Joins the writer's transaction (no savepoint: a failure here fails the whole write).
    with transaction.atomic(savepoint=False):
        written = 0
        for table in tables:
            columns, raw = _TABLES[table]
            execute(f"DELETE FROM {table} WHERE {where}", where_params)  # noqa: S608
            written += execute(f"INSERT INTO {table} ({columns}) {raw(scope)}", scope_params)
        return written


def program_summaries_refresh_programs(*, program_ids: Iterable[int]) -> int:
    """After enrollments in these programs were added, changed or removed: every month."""
    programs = sorted(set(program_ids))
    if not programs:
        return 0
    ids = placeholders(len(programs))
    return _refresh(
        where=f"program_id IN ({ids})",
        where_params=programs,
        scope=f" AND e.program_id IN ({ids})",
        scope_params=programs,
    )


def program_summaries_refresh_learner(*, learner_id: int, days: Iterable[dt.date]) -> int:
    """After a learner's assessments were changed or removed: the months of `days` (give old
    and new dates) in every program the learner is currently enrolled in."""
    months = _months(days)
    if not months:
        return 0
    programs = f"SELECT program_id FROM {_ENROLLMENTS} WHERE learner_id = %s AND end_date IS NULL"  # noqa: S608
    in_months = placeholders(len(months))
    ranges = " OR ".join(["(a.observed_on >= %s AND a.observed_on < %s)"] * len(months))
    range_params: list[Any] = []
    for month in months:
        range_params += [month, _next_month(month)]
    return _refresh(
        where=f"program_id IN ({programs}) AND month IN ({in_months})",
        where_params=[learner_id, *months],
        scope=f" AND e.program_id IN ({programs}) AND ({ranges})",
        scope_params=[learner_id, *range_params],
    )


@dataclass(frozen=True)
class NewAssessment:
    """An assessor rating just inserted: its id, competency, day and counted level."""

    pk: int
    competency_id: int
    day: dt.date
    counted_level: Decimal | None


def program_summaries_add(*, learner_id: int, ratings: Sequence[NewAssessment]) -> int:
    """After assessments of a learner were only added: fold them into the histogram of each
    program the learner is in (one upsert), and count the learner once in each month they had
    no other counted rating in (one upsert). Returns the rows written."""
    counted = [r for r in ratings if r.counted_level is not None]
    if not counted:
        return 0
    cells = Counter((r.day.replace(day=1), r.counted_level) for r in counted)
    enrolled = f"FROM {_ENROLLMENTS} e WHERE e.learner_id = %s AND e.end_date IS NULL"
    values = ", ".join(["(%s, %s, %s)"] * len(cells))
    params: list[Any] = []
    # In key order, so two writers upserting the same cells lock them in the same order.
    for (month, level), n in sorted(cells.items()):
        params += [month, level, n]
    # Three statements would do on both databases; SQLite parses `INSERT … SELECT … ON
    # CONFLICT` only after a WHERE clause, which every statement here has.
    written = execute(
        f"INSERT INTO {HISTOGRAM} ({_HISTOGRAM_COLUMNS}) "  # noqa: S608 — placeholders only
        f"SELECT e.program_id, e.training_year, c.month, c.level, c.n "
        f"FROM (SELECT column1 AS month, column2 AS level, column3 AS n "
        f"FROM (VALUES {values}) v) c, {_ENROLLMENTS} e "
        f"WHERE e.learner_id = %s AND e.end_date IS NULL "
        f"ON CONFLICT (program_id, month, training_year, level) DO UPDATE SET "
        f"n = {HISTOGRAM}.n + EXCLUDED.n",
        [*params, learner_id],
    )
    months = sorted({r.day.replace(day=1) for r in counted})
    new_ids = placeholders(len(counted))
    for month in months:
        # The learner adds one to the month unless an older counted rating already did.
        written += execute(
            f"INSERT INTO {LEARNERS} ({_LEARNERS_COLUMNS}) "  # noqa: S608 — placeholders only
            f"SELECT e.program_id, e.training_year, %s, 1 {enrolled} AND NOT EXISTS ("
            f"SELECT 1 FROM {_ASSESSMENTS} a WHERE a.learner_id = e.learner_id "
            f"AND a.observed_on >= %s AND a.observed_on < %s AND a.counted_level IS NOT NULL "
            f"AND a.id NOT IN ({new_ids})) "
            f"ON CONFLICT (program_id, month, training_year) DO UPDATE SET "
            f"learners = {LEARNERS}.learners + 1",
            [month, learner_id, month, _next_month(month), *[r.pk for r in counted]],
        )
    return written


def program_histogram_rebuild() -> int:
    """Rewrite the histogram from the raw rows (one INSERT … SELECT; after bulk loads)."""
    return _refresh(where="1 = 1", where_params=[], scope="", scope_params=[], tables=[HISTOGRAM])


def program_learners_rebuild() -> int:
    """Rewrite the month learner counts from the raw rows (one INSERT … SELECT)."""
    return _refresh(where="1 = 1", where_params=[], scope="", scope_params=[], tables=[LEARNERS])


def program_summaries_rebuild() -> int:
    """Rewrite both tables from the raw rows (after bulk loads)."""
    return program_histogram_rebuild() + program_learners_rebuild()


def program_histogram_differences(limit: int = 10) -> tuple[int, int, list[tuple[Any, ...]]]:
    """Compare the histogram with a recomputation from the raw rows, cell by cell."""
    stored = f"SELECT {_HISTOGRAM_COLUMNS} FROM {HISTOGRAM}"  # noqa: S608
    return summary_differences(_histogram_raw(""), stored, limit)


def program_learners_differences(limit: int = 10) -> tuple[int, int, list[tuple[Any, ...]]]:
    """Compare the learner counts with a recomputation from the raw rows."""
    stored = f"SELECT {_LEARNERS_COLUMNS} FROM {LEARNERS}"  # noqa: S608
    return summary_differences(_learners_raw(""), stored, limit)


def on_enrollments_changed(sender: object, *, program_id: int, **kwargs: object) -> None:
    """Receiver of `programs.signals.enrollments_changed`."""
    program_summaries_refresh_programs(program_ids=[program_id])
